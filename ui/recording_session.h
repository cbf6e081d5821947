#pragma once
// A recording in progress in the app. Pointer samples (from a TraceCanvas)
// go through core::TraceCapture, timed by one clock that starts with the
// recording, and a timer flushes them to the project's recording journal at
// least every half second, so a crash or a kill loses at most that much.
// The session never shows a dialog: a store error is reported by failed()
// and recording goes on in memory.

#include <QElapsedTimer>
#include <QObject>
#include <QPointF>
#include <QString>
#include <QTimer>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/narrative.h"
#include "core/project_store.h"
#include "core/recording_journal.h"
#include "core/trace_capture.h"

namespace loctex::ui {

class RecordingSession : public QObject {
  Q_OBJECT

 public:
  // Seconds since the recording started.
  using Clock = std::function<double()>;
  static constexpr int kFlushIntervalMs = 250;  // well inside the half second the issue allows

  explicit RecordingSession(core::ProjectStore& store, QObject* parent = nullptr);

  // Replaces the recording's clock (tests drive time themselves); by default
  // a QElapsedTimer started by start().
  void setClock(Clock clock);

  // Starts a journal for the image and begins capturing. Throws what
  // core::RecordingJournal::begin throws (an image the project lacks).
  void start(const QString& dataset_id, const QString& image_id, std::int64_t annotator_id,
             core::RecordingMode mode);
  // Continues an interrupted recording (core::unfinished_recordings) and
  // returns what its journal holds. Its clock goes on from the journal's last
  // time, and the next sample starts a new segment. Throws what
  // core::RecordingJournal::resume throws.
  core::Narrative resume(std::int64_t journal_id);
  bool isRecording() const { return m_journal.has_value(); }
  core::RecordingMode mode() const {
    return m_journal ? m_journal->mode() : core::RecordingMode::type_and_point;
  }
  double elapsed() const;
  const core::TraceCapture& capture() const { return m_capture; }
  std::int64_t journalId() const { return m_journal ? m_journal->id() : 0; }
  // Speak and point's voice file, named by the journal; nullopt otherwise.
  std::optional<std::filesystem::path> voiceFile() const {
    return m_journal ? m_journal->voice_file() : std::nullopt;
  }
  // Stops capturing the pointer (Speak and Point's speaking is over); the
  // recording stays open for its words. start() and resume() capture again.
  void endTrace();
  bool capturing() const { return m_journal && m_capturing; }

  // The caption so far, saved to the journal with the next flush.
  void setCaption(const QString& caption, const std::vector<core::TimedUtterance>& timed_caption);
  // Writes what was captured since the last flush (points, and the caption
  // if it changed) to the journal.
  void flush();
  // Flushes, then stores the narrative (the journal's ids and trace with
  // this caption and word times, and the fields of `extra`, an object, such
  // as "loctex_alignment") and ends the recording; returns its id.
  std::int64_t finish(const QString& caption, const std::vector<core::TimedUtterance>& timed_caption,
                      core::NarrativeStatus status = core::NarrativeStatus::draft,
                      const nlohmann::ordered_json& extra = nlohmann::ordered_json::object());
  // Ends the recording and deletes its journal.
  void discard();

 public Q_SLOTS:
  void addPointer(QPointF image_pos);
  void pointerLeft();

 Q_SIGNALS:
  // A sample was recorded; `now` is its time.
  void traceChanged(double now);
  void flushed(std::int64_t points_written);
  void failed(QString message);

 private:
  core::ProjectStore& m_store;
  Clock m_clock;
  QElapsedTimer m_timer;
  double m_clock_offset = 0;  // seconds already recorded before m_timer started (a resumed recording)
  QTimer m_flush_timer;
  core::TraceCapture m_capture;
  std::optional<core::RecordingJournal> m_journal;
  std::vector<core::JournalPoint> m_unwritten;  // kept when a flush failed, tried again next time
  std::int64_t m_written = 0;
  bool m_capturing = false;
  std::optional<std::pair<std::string, std::vector<core::TimedUtterance>>> m_unsaved_caption;
};

}  // namespace loctex::ui
