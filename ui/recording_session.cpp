#include "ui/recording_session.h"

#include <algorithm>
#include <exception>
#include <utility>

namespace loctex::ui {

RecordingSession::RecordingSession(core::ProjectStore& store, QObject* parent)
    : QObject(parent), m_store(store) {
  m_flush_timer.setInterval(kFlushIntervalMs);
  connect(&m_flush_timer, &QTimer::timeout, this, &RecordingSession::flush);
}

void RecordingSession::setClock(Clock clock) { m_clock = std::move(clock); }

double RecordingSession::elapsed() const {
  if (m_clock) return m_clock();
  return m_clock_offset + static_cast<double>(m_timer.nsecsElapsed()) * 1e-9;
}

void RecordingSession::start(const QString& dataset_id, const QString& image_id, std::int64_t annotator_id,
                             core::RecordingMode mode) {
  if (m_journal) discard();
  m_journal.emplace(core::RecordingJournal::begin(m_store, dataset_id.toStdString(), image_id.toStdString(),
                                                  annotator_id, mode));
  m_capture = core::TraceCapture();
  m_unwritten.clear();
  m_unsaved_caption.reset();
  m_written = 0;
  m_clock_offset = 0;
  m_capturing = true;
  m_timer.start();
  m_flush_timer.start();
}

core::Narrative RecordingSession::resume(std::int64_t journal_id) {
  if (m_journal) discard();
  auto journal = core::RecordingJournal::resume(m_store, journal_id);
  core::Narrative so_far = journal.narrative();
  m_journal.emplace(std::move(journal));
  m_capture = core::TraceCapture(so_far.traces);
  m_unwritten.clear();
  m_unsaved_caption.reset();
  m_written = m_capture.points();
  // Time goes on from the last thing recorded, so times keep increasing.
  double last = 0;
  for (const auto& segment : so_far.traces)
    if (!segment.empty()) last = std::max(last, segment.back().t);
  for (const auto& word : so_far.timed_caption) last = std::max(last, word.end_time);
  m_clock_offset = last;
  m_capturing = true;
  m_timer.start();
  m_flush_timer.start();
  return so_far;
}

void RecordingSession::endTrace() {
  m_capture.end_segment();
  m_capturing = false;
}

void RecordingSession::addPointer(QPointF image_pos) {
  if (!m_journal || !m_capturing) return;
  const double t = elapsed();
  if (m_capture.add(image_pos.x(), image_pos.y(), t)) Q_EMIT traceChanged(t);
}

void RecordingSession::pointerLeft() {
  if (m_journal) m_capture.end_segment();
}

void RecordingSession::setCaption(const QString& caption,
                                  const std::vector<core::TimedUtterance>& timed_caption) {
  if (m_journal) m_unsaved_caption.emplace(caption.toStdString(), timed_caption);
}

void RecordingSession::flush() {
  if (!m_journal) return;
  auto pending = m_capture.take_pending();
  m_unwritten.insert(m_unwritten.end(), pending.begin(), pending.end());
  if (m_unwritten.empty() && !m_unsaved_caption) return;
  try {
    if (m_unsaved_caption) {
      m_journal->set_caption(m_unsaved_caption->first, m_unsaved_caption->second);
      m_unsaved_caption.reset();
    }
    if (!m_unwritten.empty()) {
      m_journal->append(m_unwritten);
      m_written += static_cast<std::int64_t>(m_unwritten.size());
      m_unwritten.clear();
    }
    Q_EMIT flushed(m_written);
  } catch (const std::exception& e) {
    Q_EMIT failed(QString::fromStdString(e.what()));
  }
}

std::int64_t RecordingSession::finish(const QString& caption,
                                      const std::vector<core::TimedUtterance>& timed_caption,
                                      core::NarrativeStatus status, const nlohmann::ordered_json& extra) {
  if (!m_journal) throw std::logic_error("RecordingSession::finish: no recording in progress");
  flush();
  if (!m_unwritten.empty())
    throw std::runtime_error("cannot finish the recording: its last points could not be written");
  core::Narrative narrative = m_journal->narrative();
  narrative.caption = caption.toStdString();
  narrative.timed_caption = timed_caption;
  for (const auto& [field, value] : extra.items()) narrative.extra[field] = value;
  const std::int64_t id = m_journal->finish(narrative, status);
  m_journal.reset();
  m_flush_timer.stop();
  return id;
}

void RecordingSession::discard() {
  if (!m_journal) return;
  m_flush_timer.stop();
  m_journal->discard();
  m_journal.reset();
  m_unwritten.clear();
}

}  // namespace loctex::ui
