#pragma once
// A recording in progress, written to the project as it happens: the trace
// points and the caption so far go to the `recordings` and
// `recording_points` tables in small transactions (the app flushes at least
// every half second), so a crash or a kill loses only what was not yet
// flushed. finish() turns the journal into a narrative in one transaction;
// whatever journal is left when the app starts is an interrupted recording,
// which unfinished_recordings() lists for recovery.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/narrative.h"
#include "core/project_store.h"

namespace loctex::core {

// How the words got their times: the three recording modes of the app.
enum class RecordingMode {
  speak_and_point,  // voice and trace; the transcript is typed and aligned afterwards
  type_and_point,   // typed while pointing; a word spans its keystrokes
  retrace,          // an existing caption shown at a pace; the schedule gives the times
};
std::string_view to_string(RecordingMode mode);
// Throws std::invalid_argument quoting `text` if it is not one of the names.
RecordingMode parse_recording_mode(std::string_view text);

// One captured pointer sample; `segment` counts from 0 and starts anew each
// time the pointer comes back into the recorded area.
struct JournalPoint {
  std::int64_t segment = 0;
  TracePoint point;
  friend bool operator==(const JournalPoint&, const JournalPoint&) = default;
};

// An interrupted recording, as the recovery offer lists it.
struct RecordingSummary {
  std::int64_t id = 0;
  std::string dataset_id;
  std::string image_id;
  std::int64_t annotator_id = 0;
  RecordingMode mode = RecordingMode::type_and_point;
  std::string started_at;  // ISO 8601 UTC
  std::string updated_at;  // the last flush
  std::int64_t points = 0;
  double last_time = 0;  // t of the last point, seconds; 0 without points
  std::string caption;
};

class RecordingJournal {
 public:
  // Starts a journal for a recording of an image the project holds. Throws
  // std::invalid_argument naming the image if the project does not hold it.
  // A speak and point journal names its voice recording at once, a new WAV
  // under the project's audio/ folder (voice_file()).
  static RecordingJournal begin(ProjectStore& store, std::string_view dataset_id, std::string_view image_id,
                                std::int64_t annotator_id, RecordingMode mode);
  // Reopens an interrupted recording to continue or finish it. Throws
  // std::invalid_argument if there is no journal `id`.
  static RecordingJournal resume(ProjectStore& store, std::int64_t id);

  std::int64_t id() const { return m_id; }
  RecordingMode mode() const { return m_mode; }

  // Appends points in one transaction. Segments may not go back, and every
  // coordinate and time must be finite: std::invalid_argument otherwise, and
  // nothing of the call is written.
  void append(std::span<const JournalPoint> points);
  // Replaces the caption so far and its word times in one transaction.
  void set_caption(const std::string& caption, const std::vector<TimedUtterance>& timed_caption);

  // The voice recording's file (absolute) for speak and point; nullopt in
  // the other modes.
  std::optional<std::filesystem::path> voice_file() const;

  // What the journal holds, as a narrative: ids, annotator, caption, word
  // times, voice recording and the trace by segment.
  Narrative narrative() const;

  // Adds `narrative` to the project and deletes the journal, in one
  // transaction; returns the narrative's id. The journal is closed after it.
  // A speak and point recording's voice file, if it exists and can be read,
  // is registered with the narrative (ProjectStore::audio_recordings) in the
  // same transaction; one that cannot be read is left unregistered, still
  // named by voice_recording.
  std::int64_t finish(const Narrative& narrative, NarrativeStatus status = NarrativeStatus::draft);
  // Deletes the journal and its points, and a speak and point recording's
  // voice file; the journal is closed after it. Throws std::invalid_argument
  // (deleting nothing) if the journal is gone already, e.g. finished through
  // another handle.
  void discard();

 private:
  RecordingJournal(ProjectStore& store, std::int64_t id, RecordingMode mode, std::int64_t next_seq,
                   std::int64_t last_segment);
  void check_open(const char* what) const;

  ProjectStore* m_store;
  std::int64_t m_id;
  RecordingMode m_mode;
  std::int64_t m_next_seq;
  std::int64_t m_last_segment;
  bool m_closed = false;
};

// Every journal left in the project, oldest first.
std::vector<RecordingSummary> unfinished_recordings(const ProjectStore& store);

}  // namespace loctex::core
