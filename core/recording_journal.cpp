#include "core/recording_journal.h"

#include <cctype>
#include <cmath>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "core/audio_file.h"
#include "core/sqlite.h"
#include "core/utc_time.h"

namespace loctex::core {
namespace {

using sqlite::Statement;
using sqlite::Transaction;

constexpr std::string_view kModeNames[] = {"speak_and_point", "type_and_point", "retrace"};

std::string timed_caption_json(const std::vector<TimedUtterance>& words) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& w : words) out.push_back({w.utterance, w.start_time, w.end_time});
  return out.dump();
}

std::vector<TimedUtterance> parse_timed_caption(const std::string& text, std::int64_t id) {
  std::vector<TimedUtterance> words;
  try {
    for (const auto& w : nlohmann::json::parse(text))
      words.push_back({w.at(0).get<std::string>(), w.at(1).get<double>(), w.at(2).get<double>()});
  } catch (const std::exception& e) {
    throw std::runtime_error("recording " + std::to_string(id) + ": timed_caption_json: " + e.what());
  }
  return words;
}

[[noreturn]] void no_recording(std::int64_t id) {
  throw std::invalid_argument("no recording " + std::to_string(id) + " in progress in this project");
}

}  // namespace

std::string_view to_string(RecordingMode mode) { return kModeNames[static_cast<int>(mode)]; }

RecordingMode parse_recording_mode(std::string_view text) {
  for (std::size_t i = 0; i < std::size(kModeNames); ++i)
    if (kModeNames[i] == text) return static_cast<RecordingMode>(i);
  throw std::invalid_argument("unknown recording mode '" + std::string(text) +
                              "'; expected speak_and_point, type_and_point or retrace");
}

RecordingJournal::RecordingJournal(ProjectStore& store, std::int64_t id, RecordingMode mode,
                                   std::int64_t next_seq, std::int64_t last_segment)
    : m_store(&store), m_id(id), m_mode(mode), m_next_seq(next_seq), m_last_segment(last_segment) {}

RecordingJournal RecordingJournal::begin(ProjectStore& store, std::string_view dataset_id,
                                         std::string_view image_id, std::int64_t annotator_id,
                                         RecordingMode mode) {
  auto& db = store.database();
  Transaction transaction(db);
  std::int64_t image_ref = 0;
  {
    Statement image(db, "SELECT id FROM images WHERE dataset_id = ?1 AND image_id = ?2");
    image.bind_text(1, dataset_id).bind_text(2, image_id);
    if (!image.step())
      throw std::invalid_argument("cannot record image " + std::string(dataset_id) + "/" +
                                  std::string(image_id) + ": the project does not hold it");
    image_ref = image.column_int64(0);
  }
  Statement(db, "INSERT INTO annotators (id) VALUES (?1) ON CONFLICT (id) DO NOTHING")
      .bind_int64(1, annotator_id)
      .run();
  const auto now = utc_now();
  Statement insert(db,
                   "INSERT INTO recordings (image_ref, annotator_id, mode, started_at, updated_at) "
                   "VALUES (?1, ?2, ?3, ?4, ?4)");
  insert.bind_int64(1, image_ref).bind_int64(2, annotator_id).bind_text(3, to_string(mode)).bind_text(4, now);
  insert.run();
  const std::int64_t id = db.last_insert_rowid();
  if (mode == RecordingMode::speak_and_point) {
    // Recording ids are never handed out twice (AUTOINCREMENT), so the name is
    // unique; the start time makes it tell when it was said.
    std::string stamp;
    for (const char c : now)
      if (std::isdigit(static_cast<unsigned char>(c))) stamp += c;
    Statement voice(db, "UPDATE recordings SET voice_recording = ?2 WHERE id = ?1");
    voice.bind_int64(1, id).bind_text(2, "audio/recording-" + std::to_string(id) + "-" + stamp + ".wav");
    voice.run();
  }
  transaction.commit();
  return RecordingJournal(store, id, mode, 0, 0);
}

RecordingJournal RecordingJournal::resume(ProjectStore& store, std::int64_t id) {
  auto& db = store.database();
  Transaction snapshot(db, Transaction::Kind::deferred);
  RecordingMode mode{};
  std::int64_t next_seq = 0, last_segment = 0;
  {
    Statement row(db, "SELECT mode FROM recordings WHERE id = ?1");
    row.bind_int64(1, id);
    if (!row.step()) no_recording(id);
    mode = parse_recording_mode(row.column_text(0));
    Statement last(
        db, "SELECT seq, segment FROM recording_points WHERE recording_id = ?1 ORDER BY seq DESC LIMIT 1");
    last.bind_int64(1, id);
    if (last.step()) {
      next_seq = last.column_int64(0) + 1;
      last_segment = last.column_int64(1);
    }
  }
  snapshot.commit();
  return RecordingJournal(store, id, mode, next_seq, last_segment);
}

void RecordingJournal::check_open(const char* what) const {
  if (m_closed)
    throw std::logic_error(std::string("RecordingJournal::") + what + ": recording " + std::to_string(m_id) +
                           " is already finished or discarded");
}

void RecordingJournal::append(std::span<const JournalPoint> points) {
  check_open("append");
  std::int64_t segment = m_last_segment;
  for (std::size_t i = 0; i < points.size(); ++i) {
    const auto& p = points[i];
    // Built only for an error: this runs for every point of every flush.
    const auto where = [&] {
      return "recording " + std::to_string(m_id) + ", point " + std::to_string(m_next_seq + i) + ": ";
    };
    if (p.segment < segment)
      throw std::invalid_argument(where() + "segment " + std::to_string(p.segment) + " after segment " +
                                  std::to_string(segment));
    if (!std::isfinite(p.point.x) || !std::isfinite(p.point.y) || !std::isfinite(p.point.t))
      throw std::invalid_argument(where() + "x, y and t must be finite");
    segment = p.segment;
  }
  auto& db = m_store->database();
  Transaction transaction(db);
  Statement insert(db,
                   "INSERT INTO recording_points (recording_id, seq, segment, x, y, t) "
                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  std::int64_t seq = m_next_seq;
  for (const auto& p : points) {
    insert.reset();
    insert.bind_int64(1, m_id)
        .bind_int64(2, seq++)
        .bind_int64(3, p.segment)
        .bind_double(4, p.point.x)
        .bind_double(5, p.point.y)
        .bind_double(6, p.point.t);
    insert.run();
  }
  Statement touch(db, "UPDATE recordings SET updated_at = ?2 WHERE id = ?1");
  touch.bind_int64(1, m_id).bind_text(2, utc_now());
  touch.run();
  if (db.changes() == 0) no_recording(m_id);
  transaction.commit();
  m_next_seq = seq;
  m_last_segment = segment;
}

void RecordingJournal::set_caption(const std::string& caption,
                                   const std::vector<TimedUtterance>& timed_caption) {
  check_open("set_caption");
  auto& db = m_store->database();
  Statement update(
      db, "UPDATE recordings SET caption = ?2, timed_caption_json = ?3, updated_at = ?4 WHERE id = ?1");
  update.bind_int64(1, m_id)
      .bind_text(2, caption)
      .bind_text(3, timed_caption_json(timed_caption))
      .bind_text(4, utc_now());
  update.run();
  if (db.changes() == 0) no_recording(m_id);
}

Narrative RecordingJournal::narrative() const {
  auto& db = m_store->database();
  Transaction snapshot(db, Transaction::Kind::deferred);
  Narrative n;
  {
    Statement row(db, R"(SELECT i.dataset_id, i.image_id, r.annotator_id, r.caption, r.timed_caption_json,
                              r.voice_recording
                       FROM recordings r JOIN images i ON i.id = r.image_ref WHERE r.id = ?1)");
    row.bind_int64(1, m_id);
    if (!row.step()) no_recording(m_id);
    n.dataset_id = row.column_text(0);
    n.image_id = row.column_text(1);
    n.annotator_id = row.column_int64(2);
    n.caption = row.column_text(3);
    n.timed_caption = parse_timed_caption(row.column_text(4), m_id);
    n.voice_recording = row.column_text(5);
    Statement points(db,
                     "SELECT segment, x, y, t FROM recording_points WHERE recording_id = ?1 ORDER BY seq");
    points.bind_int64(1, m_id);
    std::int64_t segment = -1;
    while (points.step()) {
      if (points.column_int64(0) != segment) {
        segment = points.column_int64(0);
        n.traces.emplace_back();
      }
      n.traces.back().push_back({points.column_double(1), points.column_double(2), points.column_double(3)});
    }
  }
  snapshot.commit();
  return n;
}

std::optional<std::filesystem::path> RecordingJournal::voice_file() const {
  if (m_mode != RecordingMode::speak_and_point) return std::nullopt;
  Statement row(m_store->database(), "SELECT voice_recording FROM recordings WHERE id = ?1");
  row.bind_int64(1, m_id);
  if (!row.step()) no_recording(m_id);
  const std::string name = row.column_text(0);
  if (name.empty()) return std::nullopt;
  return m_store->folder() / name;
}

std::int64_t RecordingJournal::finish(const Narrative& narrative, NarrativeStatus status) {
  check_open("finish");
  // The voice is read before the write lock is taken. One that cannot be
  // read is not registered, but it does not stop the narrative from being
  // kept: voice_recording still names it.
  std::optional<std::pair<std::filesystem::path, AudioInfo>> voice;
  if (const auto file = voice_file(); file && std::filesystem::exists(*file)) {
    try {
      voice.emplace(*file, probe_audio(*file));
    } catch (const std::runtime_error&) {
    }
  }
  auto& db = m_store->database();
  Transaction transaction(db);
  const std::int64_t id = m_store->add_narrative(narrative, status);  // a savepoint inside this transaction
  if (voice) {
    const auto& [file, audio] = *voice;
    m_store->add_audio_recording(id, file, audio.sample_rate, audio.channels, audio.duration());
  }
  Statement remove(db, "DELETE FROM recordings WHERE id = ?1");
  remove.bind_int64(1, m_id);
  remove.run();
  if (db.changes() == 0) no_recording(m_id);
  transaction.commit();
  m_closed = true;
  return id;
}

void RecordingJournal::discard() {
  check_open("discard");
  const auto voice = voice_file();
  auto& db = m_store->database();
  Statement remove(db, "DELETE FROM recordings WHERE id = ?1");
  remove.bind_int64(1, m_id);
  remove.run();
  // Gone already (finished through another handle): its voice may be a
  // narrative's now, and stays.
  if (db.changes() == 0) no_recording(m_id);
  m_closed = true;
  // The voice belongs to the journal alone; nothing else refers to it now.
  std::error_code ignored;
  if (voice) std::filesystem::remove(*voice, ignored);
}

std::vector<RecordingSummary> unfinished_recordings(const ProjectStore& store) {
  auto& db = store.database();
  Transaction snapshot(db, Transaction::Kind::deferred);
  std::vector<RecordingSummary> out;
  {
    Statement rows(db, R"(SELECT r.id, i.dataset_id, i.image_id, r.annotator_id, r.mode, r.started_at,
                               r.updated_at, r.caption,
                               (SELECT count(*) FROM recording_points p WHERE p.recording_id = r.id),
                               (SELECT t FROM recording_points p WHERE p.recording_id = r.id
                                ORDER BY seq DESC LIMIT 1)
                        FROM recordings r JOIN images i ON i.id = r.image_ref ORDER BY r.id)");
    while (rows.step()) {
      RecordingSummary s;
      s.id = rows.column_int64(0);
      s.dataset_id = rows.column_text(1);
      s.image_id = rows.column_text(2);
      s.annotator_id = rows.column_int64(3);
      s.mode = parse_recording_mode(rows.column_text(4));
      s.started_at = rows.column_text(5);
      s.updated_at = rows.column_text(6);
      s.caption = rows.column_text(7);
      s.points = rows.column_int64(8);
      s.last_time = rows.column_is_null(9) ? 0.0 : rows.column_double(9);
      out.push_back(std::move(s));
    }
  }
  snapshot.commit();
  return out;
}

}  // namespace loctex::core
