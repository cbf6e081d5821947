#include "ui/word_timeline.h"

#include <QMouseEvent>
#include <QPainter>

#include <algorithm>
#include <cmath>

#include "ui/flag_color.h"

namespace loctex::ui {
namespace {
constexpr double kEdgeGrab = 5;  // pixels either side of an edge that grab it
constexpr int kMargin = 4;
}  // namespace

WordTimeline::WordTimeline(QWidget* parent) : QWidget(parent) {
  setMinimumHeight(24);
  setMouseTracking(true);  // the cursor shows where an edge can be grabbed
}

void WordTimeline::setWords(const std::vector<core::TimedUtterance>& words, double start, double end) {
  m_words = words;
  m_start = start;
  m_end = end > start ? end : start + 1;
  m_drag.reset();
  update();
}

void WordTimeline::setPosition(double t) {
  m_position = t;
  update();
}

double WordTimeline::xAt(double t) const {
  return kMargin + (t - m_start) / (m_end - m_start) * (width() - 2 * kMargin);
}

double WordTimeline::timeAt(double x) const {
  return m_start + (x - kMargin) / std::max(1, width() - 2 * kMargin) * (m_end - m_start);
}

void WordTimeline::paintEvent(QPaintEvent*) {
  QPainter painter(this);
  painter.fillRect(rect(), palette().base());
  const auto block_of = [this](const core::TimedUtterance& w) {
    return QRectF(QPointF(xAt(w.start_time), 2), QPointF(xAt(w.end_time), height() - 2));
  };
  for (std::size_t i = 0; i < m_words.size(); ++i) {
    const bool flagged = i < m_flagged.size() && m_flagged[i];
    painter.fillRect(
        block_of(m_words[i]),
        flagged ? flag_color() : (i % 2 ? palette().alternateBase() : palette().button()).color());
  }
  if (!m_waveform.empty()) {
    // Each pixel column the loudest of the slices under it, centred, so
    // pauses and words said but not typed show between the blocks.
    painter.setPen(palette().mid().color());
    const double mid = height() / 2.0;
    const double slices = static_cast<double>(m_waveform.size());
    const auto slice_at = [&](double x) { return timeAt(x) / m_waveform_seconds * slices; };
    for (int x = 0; x < width(); ++x) {
      const double from = std::max(0.0, slice_at(x)), to = std::min(slices, slice_at(x + 1));
      if (to <= 0 || from >= slices) continue;
      float peak = 0;
      for (auto k = static_cast<std::size_t>(from); k < static_cast<std::size_t>(std::ceil(to)); ++k)
        peak = std::max(peak, m_waveform[k]);
      const double half = peak * (mid - 2);
      painter.drawLine(QPointF(x + 0.5, mid - half), QPointF(x + 0.5, mid + half));
    }
  }
  for (const auto& w : m_words) {
    const QRectF block = block_of(w);
    painter.setPen(palette().mid().color());
    painter.drawRect(block);
    painter.setPen(palette().text().color());
    // Over a waveform the words go to the top, clear of the loud middle.
    painter.drawText(block.adjusted(2, 0, -2, 0),
                     (m_waveform.empty() ? Qt::AlignVCenter : Qt::AlignTop) | Qt::AlignLeft,
                     QString::fromStdString(w.utterance));
  }
  painter.setPen(QPen(palette().highlight().color(), 2));
  painter.drawLine(QPointF(xAt(m_position), 0), QPointF(xAt(m_position), height()));
}

void WordTimeline::setVoice(const core::AudioClip& clip) {
  m_waveform_seconds = clip.duration();
  m_waveform = m_waveform_seconds > 0 ? core::peak_envelope(clip, kWaveformSlices) : std::vector<float>{};
  update();
}

void WordTimeline::setFlagged(std::vector<bool> flagged) {
  m_flagged = std::move(flagged);
  update();
}

void WordTimeline::mousePressEvent(QMouseEvent* event) {
  const double x = event->position().x();
  for (std::size_t i = 0; i < m_words.size(); ++i) {
    const double left = xAt(m_words[i].start_time), right = xAt(m_words[i].end_time);
    if (std::abs(x - left) <= kEdgeGrab || std::abs(x - right) <= kEdgeGrab) {
      m_drag = Drag{static_cast<int>(i), std::abs(x - left) < std::abs(x - right)};
      return;
    }
  }
  for (std::size_t i = 0; i < m_words.size(); ++i)
    if (x >= xAt(m_words[i].start_time) && x <= xAt(m_words[i].end_time)) {
      Q_EMIT wordPicked(static_cast<int>(i));
      return;
    }
}

void WordTimeline::mouseMoveEvent(QMouseEvent* event) {
  if (!m_drag) return;
  auto& w = m_words[static_cast<std::size_t>(m_drag->word)];
  const double t = timeAt(event->position().x());
  if (m_drag->left_edge)
    w.start_time = std::min(t, w.end_time);
  else
    w.end_time = std::max(t, w.start_time);
  update();
}

void WordTimeline::mouseReleaseEvent(QMouseEvent* event) {
  if (!m_drag) return;
  mouseMoveEvent(event);
  const auto& w = m_words[static_cast<std::size_t>(m_drag->word)];
  const int index = m_drag->word;
  m_drag.reset();
  Q_EMIT spanEdited(index, w.start_time, w.end_time);
}

}  // namespace loctex::ui
