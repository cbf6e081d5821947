#include "ui/word_timeline.h"

#include <QMouseEvent>
#include <QPainter>

#include <algorithm>
#include <cmath>

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
  for (std::size_t i = 0; i < m_words.size(); ++i) {
    const auto& w = m_words[i];
    const QRectF block(QPointF(xAt(w.start_time), 2), QPointF(xAt(w.end_time), height() - 2));
    painter.fillRect(block, i % 2 ? palette().alternateBase() : palette().button());
    painter.setPen(palette().mid().color());
    painter.drawRect(block);
    painter.setPen(palette().text().color());
    painter.drawText(block.adjusted(2, 0, -2, 0), Qt::AlignVCenter | Qt::AlignLeft,
                     QString::fromStdString(w.utterance));
  }
  painter.setPen(QPen(palette().highlight().color(), 2));
  painter.drawLine(QPointF(xAt(m_position), 0), QPointF(xAt(m_position), height()));
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
