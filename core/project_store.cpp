#include "core/project_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <limits>
#include <span>
#include <stdexcept>
#include <system_error>
#include <utility>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "core/atomic_file.h"
#include "core/content_hash.h"
#include "core/file_bytes.h"
#include "core/image_pattern.h"
#include "core/sqlite.h"
#include "core/utc_time.h"

namespace loctex::core {
namespace fs = std::filesystem;
using sqlite::Database;
using sqlite::Statement;
using sqlite::Transaction;

namespace {

// ---------------------------------------------------------------------------
// Schema

// "LocT": marks project.sqlite as ours, so that open() refuses (and never
// converts to WAL) some other program's database that happens to carry the name.
constexpr std::int64_t kApplicationId = 0x4C6F6354;

// Migration N (0-based) upgrades a file from schema version N to N + 1, in one
// transaction with the version bump. Append a new entry to change the schema;
// never edit an entry that has shipped, files in the field already hold it.
//
// STRICT tables make SQLite enforce the declared types. The doubles are
// declared ANY with a typeof() check instead of REAL because REAL affinity
// stores integral values as integers on disk and so turns -0.0 into 0.0; ANY
// keeps the bound double bit for bit.
constexpr std::string_view kMigration1[] = {
    "PRAGMA application_id = 1282368340",  // kApplicationId; PRAGMA takes no bound parameters
    R"(CREATE TABLE images (
         id INTEGER PRIMARY KEY,
         dataset_id TEXT NOT NULL,
         image_id TEXT NOT NULL,
         path TEXT,
         width INTEGER CHECK (width > 0),
         height INTEGER CHECK (height > 0),
         content_hash TEXT,
         UNIQUE (dataset_id, image_id)
       ) STRICT)",
    R"(CREATE TABLE annotators (
         id INTEGER PRIMARY KEY,
         name TEXT
       ) STRICT)",
    R"(CREATE TABLE narratives (
         id INTEGER PRIMARY KEY AUTOINCREMENT,
         image_ref INTEGER NOT NULL REFERENCES images (id),
         annotator_id INTEGER NOT NULL REFERENCES annotators (id),
         caption TEXT NOT NULL,
         voice_recording TEXT NOT NULL,
         extra_json TEXT NOT NULL DEFAULT '{}',
         trace_segments INTEGER NOT NULL CHECK (trace_segments >= 0),
         status TEXT NOT NULL CHECK (status IN ('draft', 'done', 'accepted', 'rejected')),
         review_comment TEXT NOT NULL DEFAULT '',
         created_at TEXT NOT NULL,
         updated_at TEXT NOT NULL
       ) STRICT)",
    "CREATE INDEX narratives_by_image ON narratives (image_ref)",
    "CREATE INDEX narratives_by_annotator ON narratives (annotator_id)",
    R"(CREATE TABLE utterances (
         narrative_id INTEGER NOT NULL REFERENCES narratives (id) ON DELETE CASCADE,
         idx INTEGER NOT NULL CHECK (idx >= 0),
         utterance TEXT NOT NULL,
         start_time ANY NOT NULL CHECK (typeof(start_time) = 'real'),
         end_time ANY NOT NULL CHECK (typeof(end_time) = 'real'),
         PRIMARY KEY (narrative_id, idx)
       ) STRICT, WITHOUT ROWID)",
    R"(CREATE TABLE trace_points (
         narrative_id INTEGER NOT NULL REFERENCES narratives (id) ON DELETE CASCADE,
         segment INTEGER NOT NULL CHECK (segment >= 0),
         idx INTEGER NOT NULL CHECK (idx >= 0),
         x ANY NOT NULL CHECK (typeof(x) = 'real'),
         y ANY NOT NULL CHECK (typeof(y) = 'real'),
         t ANY NOT NULL CHECK (typeof(t) = 'real'),
         PRIMARY KEY (narrative_id, segment, idx)
       ) STRICT, WITHOUT ROWID)",
    R"(CREATE TABLE audio_recordings (
         id INTEGER PRIMARY KEY AUTOINCREMENT,
         narrative_id INTEGER NOT NULL REFERENCES narratives (id) ON DELETE CASCADE,
         path TEXT NOT NULL,
         sample_rate INTEGER NOT NULL CHECK (sample_rate > 0),
         channels INTEGER NOT NULL CHECK (channels > 0),
         duration_s ANY NOT NULL CHECK (typeof(duration_s) = 'real' AND duration_s >= 0),
         created_at TEXT NOT NULL
       ) STRICT)",
    "CREATE INDEX audio_recordings_by_narrative ON audio_recordings (narrative_id)",
};

// Recordings in progress (core/recording_journal.h): a row while the
// annotator records, deleted when the recording becomes a narrative or is
// discarded, so every row left is an interrupted recording to recover.
constexpr std::string_view kMigration2[] = {
    R"(CREATE TABLE recordings (
         id INTEGER PRIMARY KEY AUTOINCREMENT,
         image_ref INTEGER NOT NULL REFERENCES images (id),
         annotator_id INTEGER NOT NULL REFERENCES annotators (id),
         mode TEXT NOT NULL CHECK (mode IN ('speak_and_point', 'type_and_point', 'retrace')),
         caption TEXT NOT NULL DEFAULT '',
         timed_caption_json TEXT NOT NULL DEFAULT '[]',
         voice_recording TEXT NOT NULL DEFAULT '',
         started_at TEXT NOT NULL,
         updated_at TEXT NOT NULL
       ) STRICT)",
    R"(CREATE TABLE recording_points (
         recording_id INTEGER NOT NULL REFERENCES recordings (id) ON DELETE CASCADE,
         seq INTEGER NOT NULL CHECK (seq >= 0),
         segment INTEGER NOT NULL CHECK (segment >= 0),
         x ANY NOT NULL CHECK (typeof(x) = 'real'),
         y ANY NOT NULL CHECK (typeof(y) = 'real'),
         t ANY NOT NULL CHECK (typeof(t) = 'real'),
         PRIMARY KEY (recording_id, seq)
       ) STRICT, WITHOUT ROWID)",
};

constexpr std::span<const std::string_view> kMigrations[] = {kMigration1, kMigration2};
static_assert(std::size(kMigrations) == ProjectStore::kSchemaVersion,
              "kSchemaVersion must equal the number of migrations");

constexpr std::array<std::string_view, 4> kStatusNames = {"draft", "done", "accepted", "rejected"};

// ---------------------------------------------------------------------------
// Small helpers

std::int64_t query_int(Database& db, std::string_view sql) {
  Statement statement(db, sql);
  if (!statement.step())
    throw std::runtime_error(db.path().string() + ": '" + std::string(sql) + "' gave no value");
  return statement.column_int64(0);
}

// Rows of a store are addressed by path relative to the folder when inside it.
std::string stored_path(const fs::path& folder, const fs::path& canonical_file) {
  if (is_inside(folder, canonical_file)) return canonical_file.lexically_relative(folder).generic_string();
  return canonical_file.string();
}

fs::path absolute_in(const fs::path& folder, const std::string& stored) {
  const fs::path path(stored);
  return path.is_absolute() ? path : (folder / path).lexically_normal();
}

// Decodes fully: OpenCV has no header-only size query. IMREAD_COLOR applies
// EXIF orientation as cv::imread does, so the size matches what the overlay
// and heatmap code will draw on.
cv::Size decoded_size(const std::string& bytes, const fs::path& path) {
  if (bytes.empty()) throw std::runtime_error("cannot decode image " + path.string() + ": the file is empty");
  if (bytes.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    throw std::runtime_error("cannot decode image " + path.string() + ": larger than 2 GiB");
  }
  cv::Mat image;
  try {
    const cv::Mat raw(1, static_cast<int>(bytes.size()), CV_8UC1,
                      const_cast<void*>(static_cast<const void*>(bytes.data())));
    image = cv::imdecode(raw, cv::IMREAD_COLOR);
  } catch (const cv::Exception& e) {
    throw std::runtime_error("cannot decode image " + path.string() + ": " + e.what());
  }
  if (image.empty()) {
    throw std::runtime_error("cannot decode image " + path.string() +
                             ": not an image format OpenCV can read");
  }
  return image.size();
}

// Files written during a change that has not committed yet; removed again if
// it rolls back, so that a failed import leaves no stray copies in images/.
class CreatedFiles {
 public:
  CreatedFiles() = default;
  CreatedFiles(const CreatedFiles&) = delete;
  CreatedFiles& operator=(const CreatedFiles&) = delete;
  ~CreatedFiles() {
    for (const auto& path : m_paths) {
      std::error_code ec;
      fs::remove(path, ec);  // best effort: a destructor must not throw
    }
  }
  void add(fs::path path) { m_paths.push_back(std::move(path)); }
  void keep() { m_paths.clear(); }

 private:
  std::vector<fs::path> m_paths;
};

// Copies into <folder>/images/ under the file's own name; if another file
// already has that name, under "<stem>-<hash prefix><ext>". A file with the
// same content is reused, so images shared by datasets are stored once.
std::string copy_into_images(const fs::path& folder, const fs::path& source, const std::string& bytes,
                             const std::string& hash, CreatedFiles& created) {
  const fs::path images = folder / "images";
  const fs::path name = source.filename();
  const fs::path candidates[] = {
      images / name,
      images / (name.stem().string() + "-" + hash.substr(0, 12) + name.extension().string()),
  };
  for (const fs::path& target : candidates) {
    std::error_code ec;
    if (!fs::exists(target, ec)) {
      write_file_atomically(target, bytes);
      created.add(target);
      return target.lexically_relative(folder).generic_string();
    }
    if (sha256_file(target) == hash) return target.lexically_relative(folder).generic_string();
  }
  throw std::runtime_error("cannot copy image " + source.string() + " into " + images.string() + ": " +
                           candidates[0].filename().string() + " and " + candidates[1].filename().string() +
                           " already exist with other content");
}

// The file work of add_image, kept apart from the database work so that
// import can report a bad file per line while database failures stay fatal.
ImageRecord prepare_image(const fs::path& folder, const fs::path& file, std::string_view dataset_id,
                          std::string_view image_id, ImagePlacement placement, CreatedFiles& created) {
  const fs::path source = fs::weakly_canonical(fs::absolute(file));
  const std::string bytes = read_file_bytes(source, "image");
  ImageRecord record;
  record.dataset_id = std::string(dataset_id);
  record.image_id = std::string(image_id);
  record.content_hash = sha256_hex(bytes);
  const cv::Size size = decoded_size(bytes, source);
  record.width = size.width;
  record.height = size.height;
  if (is_inside(folder, source) || placement == ImagePlacement::reference_in_place) {
    record.path = stored_path(folder, source);
  } else {
    record.path = copy_into_images(folder, source, bytes, record.content_hash, created);
  }
  return record;
}

void upsert_image(Database& db, const ImageRecord& record) {
  Statement upsert(db, R"(
      INSERT INTO images (dataset_id, image_id, path, width, height, content_hash)
      VALUES (?1, ?2, ?3, ?4, ?5, ?6)
      ON CONFLICT (dataset_id, image_id) DO UPDATE SET
        path = excluded.path, width = excluded.width, height = excluded.height,
        content_hash = excluded.content_hash)");
  upsert.bind_text(1, record.dataset_id)
      .bind_text(2, record.image_id)
      .bind_text(3, record.path)
      .bind_int64(4, record.width)
      .bind_int64(5, record.height)
      .bind_text(6, record.content_hash);
  upsert.run();
}

void check_finite(double value, const std::string& field) {
  // SQLite would store NaN as NULL, and JSON cannot hold either.
  if (!std::isfinite(value)) throw std::invalid_argument("field '" + field + "': non-finite number");
}

// add and update accept exactly what the LN reader accepts, so whatever the
// store holds can be exported and read back unchanged.
void check_narrative(const Narrative& narrative) {
  for (std::size_t i = 0; i < narrative.timed_caption.size(); ++i) {
    const std::string at = "timed_caption[" + std::to_string(i) + "]";
    check_finite(narrative.timed_caption[i].start_time, at + ".start_time");
    check_finite(narrative.timed_caption[i].end_time, at + ".end_time");
  }
  for (std::size_t s = 0; s < narrative.traces.size(); ++s) {
    for (std::size_t p = 0; p < narrative.traces[s].size(); ++p) {
      const std::string at = "traces[" + std::to_string(s) + "][" + std::to_string(p) + "]";
      check_finite(narrative.traces[s][p].x, at + ".x");
      check_finite(narrative.traces[s][p].y, at + ".y");
      check_finite(narrative.traces[s][p].t, at + ".t");
    }
  }
  Narrative reread;
  try {
    reread = parse_narrative(format_narrative(narrative));
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(std::string("narrative cannot be written as LN JSONL: ") + e.what());
  }
  if (!(reread == narrative)) {
    throw std::invalid_argument("narrative does not survive an LN JSONL round trip unchanged");
  }
}

[[noreturn]] void no_narrative(const fs::path& folder, std::int64_t id) {
  throw std::out_of_range("project " + folder.string() + " has no narrative with id " + std::to_string(id));
}

// ---------------------------------------------------------------------------
// Narrative rows. Each class prepares its statements once, so that an import
// of many narratives reuses them.

class NarrativeWriter {
 public:
  explicit NarrativeWriter(Database& db)
      : m_db(db),
        m_find_image(db, "SELECT id FROM images WHERE dataset_id = ?1 AND image_id = ?2"),
        m_insert_image(db, "INSERT INTO images (dataset_id, image_id) VALUES (?1, ?2)"),
        m_image_has_file(db, "SELECT path IS NOT NULL FROM images WHERE dataset_id = ?1 AND image_id = ?2"),
        m_insert_annotator(db, "INSERT INTO annotators (id) VALUES (?1) ON CONFLICT (id) DO NOTHING"),
        m_insert_narrative(db, R"(
            INSERT INTO narratives (image_ref, annotator_id, caption, voice_recording, extra_json,
                                    trace_segments, status, created_at, updated_at)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8))"),
        m_update_narrative(db, R"(
            UPDATE narratives SET image_ref = ?2, annotator_id = ?3, caption = ?4, voice_recording = ?5,
                                  extra_json = ?6, trace_segments = ?7, updated_at = ?8
            WHERE id = ?1)"),
        m_delete_utterances(db, "DELETE FROM utterances WHERE narrative_id = ?1"),
        m_delete_points(db, "DELETE FROM trace_points WHERE narrative_id = ?1"),
        m_insert_utterance(db, R"(
            INSERT INTO utterances (narrative_id, idx, utterance, start_time, end_time)
            VALUES (?1, ?2, ?3, ?4, ?5))"),
        m_insert_point(db, R"(
            INSERT INTO trace_points (narrative_id, segment, idx, x, y, t)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6))") {}

  std::int64_t insert(const Narrative& narrative, NarrativeStatus status, const std::string& now) {
    const std::int64_t image = image_row(narrative.dataset_id, narrative.image_id);
    annotator_row(narrative.annotator_id);
    m_insert_narrative.bind_int64(1, image)
        .bind_int64(2, narrative.annotator_id)
        .bind_text(3, narrative.caption)
        .bind_text(4, narrative.voice_recording)
        .bind_text(5, narrative.extra.dump())
        .bind_int64(6, static_cast<std::int64_t>(narrative.traces.size()))
        .bind_text(7, to_string(status))
        .bind_text(8, now);
    m_insert_narrative.run();
    const std::int64_t id = m_db.last_insert_rowid();
    insert_children(id, narrative);
    return id;
  }

  // Returns false if no narrative has `id`.
  bool replace(std::int64_t id, const Narrative& narrative, const std::string& now) {
    const std::int64_t image = image_row(narrative.dataset_id, narrative.image_id);
    annotator_row(narrative.annotator_id);
    m_update_narrative.bind_int64(1, id)
        .bind_int64(2, image)
        .bind_int64(3, narrative.annotator_id)
        .bind_text(4, narrative.caption)
        .bind_text(5, narrative.voice_recording)
        .bind_text(6, narrative.extra.dump())
        .bind_int64(7, static_cast<std::int64_t>(narrative.traces.size()))
        .bind_text(8, now);
    m_update_narrative.run();
    if (m_db.changes() == 0) return false;
    m_delete_utterances.bind_int64(1, id).run();
    m_delete_points.bind_int64(1, id).run();
    insert_children(id, narrative);
    return true;
  }

  // Whether the image row exists and has a file, so import adds each image once.
  bool image_has_file(const std::string& dataset_id, const std::string& image_id) {
    m_image_has_file.bind_text(1, dataset_id).bind_text(2, image_id);
    const bool has_file = m_image_has_file.step() && m_image_has_file.column_int64(0) != 0;
    m_image_has_file.reset();
    return has_file;
  }

 private:
  std::int64_t image_row(const std::string& dataset_id, const std::string& image_id) {
    m_find_image.bind_text(1, dataset_id).bind_text(2, image_id);
    const bool found = m_find_image.step();
    const std::int64_t id = found ? m_find_image.column_int64(0) : 0;
    m_find_image.reset();
    if (found) return id;
    m_insert_image.bind_text(1, dataset_id).bind_text(2, image_id).run();
    return m_db.last_insert_rowid();
  }

  void annotator_row(std::int64_t annotator_id) { m_insert_annotator.bind_int64(1, annotator_id).run(); }

  void insert_children(std::int64_t id, const Narrative& narrative) {
    for (std::size_t i = 0; i < narrative.timed_caption.size(); ++i) {
      const TimedUtterance& u = narrative.timed_caption[i];
      m_insert_utterance.bind_int64(1, id)
          .bind_int64(2, static_cast<std::int64_t>(i))
          .bind_text(3, u.utterance)
          .bind_double(4, u.start_time)
          .bind_double(5, u.end_time)
          .run();
    }
    for (std::size_t s = 0; s < narrative.traces.size(); ++s) {
      const TraceSegment& segment = narrative.traces[s];
      for (std::size_t i = 0; i < segment.size(); ++i) {
        m_insert_point.bind_int64(1, id)
            .bind_int64(2, static_cast<std::int64_t>(s))
            .bind_int64(3, static_cast<std::int64_t>(i))
            .bind_double(4, segment[i].x)
            .bind_double(5, segment[i].y)
            .bind_double(6, segment[i].t)
            .run();
      }
    }
  }

  Database& m_db;
  Statement m_find_image;
  Statement m_insert_image;
  Statement m_image_has_file;
  Statement m_insert_annotator;
  Statement m_insert_narrative;
  Statement m_update_narrative;
  Statement m_delete_utterances;
  Statement m_delete_points;
  Statement m_insert_utterance;
  Statement m_insert_point;
};

class NarrativeReader {
 public:
  explicit NarrativeReader(Database& db)
      : m_db(db),
        m_narrative(db, R"(
            SELECT i.dataset_id, i.image_id, n.annotator_id, n.caption, n.voice_recording, n.extra_json,
                   n.trace_segments
            FROM narratives n JOIN images i ON i.id = n.image_ref
            WHERE n.id = ?1)"),
        m_utterances(
            db,
            "SELECT utterance, start_time, end_time FROM utterances WHERE narrative_id = ?1 ORDER BY idx"),
        m_points(db,
                 "SELECT segment, x, y, t FROM trace_points WHERE narrative_id = ?1 ORDER BY segment, idx") {}

  // nullopt if no narrative has `id`.
  std::optional<Narrative> load(std::int64_t id) {
    Narrative narrative;
    m_narrative.bind_int64(1, id);
    if (!m_narrative.step()) {
      m_narrative.reset();
      return std::nullopt;
    }
    narrative.dataset_id = m_narrative.column_text(0);
    narrative.image_id = m_narrative.column_text(1);
    narrative.annotator_id = m_narrative.column_int64(2);
    narrative.caption = m_narrative.column_text(3);
    narrative.voice_recording = m_narrative.column_text(4);
    const std::string extra = m_narrative.column_text(5);
    const std::int64_t segments = m_narrative.column_int64(6);
    m_narrative.reset();
    try {
      narrative.extra = nlohmann::ordered_json::parse(extra);
    } catch (const nlohmann::json::exception& e) {
      corrupt(id, std::string("extra_json is not valid JSON: ") + e.what());
    }
    if (!narrative.extra.is_object()) corrupt(id, "extra_json is not a JSON object");

    m_utterances.bind_int64(1, id);
    while (m_utterances.step()) {
      narrative.timed_caption.push_back(TimedUtterance{
          m_utterances.column_text(0), m_utterances.column_double(1), m_utterances.column_double(2)});
    }
    m_utterances.reset();

    // The segment count comes from the narrative row: an empty segment has no
    // point rows, yet must come back.
    narrative.traces.resize(static_cast<std::size_t>(segments));
    m_points.bind_int64(1, id);
    while (m_points.step()) {
      const std::int64_t segment = m_points.column_int64(0);
      if (segment < 0 || segment >= segments) {
        m_points.reset();
        corrupt(id, "trace point in segment " + std::to_string(segment) + " of " + std::to_string(segments));
      }
      narrative.traces[static_cast<std::size_t>(segment)].push_back(
          TracePoint{m_points.column_double(1), m_points.column_double(2), m_points.column_double(3)});
    }
    m_points.reset();
    return narrative;
  }

 private:
  [[noreturn]] void corrupt(std::int64_t id, const std::string& problem) const {
    throw std::runtime_error(m_db.path().string() + ": narrative " + std::to_string(id) + ": " + problem);
  }

  Database& m_db;
  Statement m_narrative;
  Statement m_utterances;
  Statement m_points;
};

constexpr std::string_view kEntrySelect = R"(
    SELECT n.id, i.dataset_id, i.image_id, n.annotator_id, n.status, n.review_comment, n.created_at,
           n.updated_at, i.path
    FROM narratives n JOIN images i ON i.id = n.image_ref)";

NarrativeEntry read_entry(const Statement& row, const fs::path& folder) {
  NarrativeEntry entry;
  entry.id = row.column_int64(0);
  entry.dataset_id = row.column_text(1);
  entry.image_id = row.column_text(2);
  entry.annotator_id = row.column_int64(3);
  entry.status = parse_narrative_status(row.column_text(4));
  entry.review_comment = row.column_text(5);
  entry.created_at = row.column_text(6);
  entry.updated_at = row.column_text(7);
  if (!row.column_is_null(8)) entry.image_file = absolute_in(folder, row.column_text(8));
  return entry;
}

}  // namespace

// ---------------------------------------------------------------------------

std::string_view to_string(NarrativeStatus status) {
  return kStatusNames.at(static_cast<std::size_t>(status));
}

NarrativeStatus parse_narrative_status(std::string_view text) {
  for (std::size_t i = 0; i < kStatusNames.size(); ++i) {
    if (kStatusNames[i] == text) return static_cast<NarrativeStatus>(i);
  }
  throw std::invalid_argument("unknown narrative status '" + std::string(text) +
                              "' (expected draft, done, accepted or rejected)");
}

class ProjectStore::Impl {
 public:
  explicit Impl(fs::path project_folder)
      : folder(std::move(project_folder)), db(folder / kDatabaseName, Database::OpenMode::existing) {}

  // Refuses, before changing anything, a file that is not ours or is newer
  // than this build understands.
  void check_identity(bool fresh) {
    std::int64_t application_id = 0;
    std::int64_t version = 0;
    try {
      application_id = query_int(db, "PRAGMA application_id");
      version = query_int(db, "PRAGMA user_version");
    } catch (const std::runtime_error& e) {
      // e.g. "file is not a database" for a text file named project.sqlite
      throw std::runtime_error(folder.string() + " is not a usable LocTex project: " + e.what());
    }
    if (!fresh && application_id != kApplicationId) {
      throw std::runtime_error(db.path().string() + " is not a LocTex project database (application_id " +
                               std::to_string(application_id) + ")");
    }
    if (version > kSchemaVersion) {
      throw std::runtime_error(db.path().string() + ": schema version " + std::to_string(version) +
                               " is newer than this LocTex Studio supports (" +
                               std::to_string(kSchemaVersion) + "); open it with a newer LocTex Studio");
    }
  }

  void configure() {
    // WAL lets readers (the UI) go on while an import writes; the setting is
    // stored in the file, but asking again costs nothing.
    Statement journal(db, "PRAGMA journal_mode = WAL");
    const std::string mode = journal.step() ? journal.column_text(0) : std::string();
    if (mode != "wal") {
      throw std::runtime_error(db.path().string() + ": cannot switch to WAL journal mode (got '" + mode +
                               "')");
    }
    // Per connection and off by default; without it ON DELETE CASCADE is inert.
    db.execute("PRAGMA foreign_keys = ON");
    if (query_int(db, "PRAGMA foreign_keys") != 1) {
      throw std::runtime_error(db.path().string() + ": this SQLite cannot enforce foreign keys");
    }
  }

  void migrate() {
    if (query_int(db, "PRAGMA user_version") == kSchemaVersion) return;
    Transaction transaction(db);
    // Read again under the write lock: another process may have migrated.
    const std::int64_t from = query_int(db, "PRAGMA user_version");
    for (std::int64_t version = from; version < kSchemaVersion; ++version) {
      for (const std::string_view sql : kMigrations[version]) db.execute(sql);
      // PRAGMA takes no bound parameters; the value is our own integer.
      db.execute("PRAGMA user_version = " + std::to_string(version + 1));
    }
    transaction.commit();
  }

  fs::path folder;
  Database db;
};

ProjectStore::ProjectStore(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
ProjectStore::ProjectStore(ProjectStore&&) noexcept = default;
ProjectStore& ProjectStore::operator=(ProjectStore&&) noexcept = default;
ProjectStore::~ProjectStore() = default;

ProjectStore ProjectStore::create(const fs::path& folder) {
  std::error_code ec;
  fs::create_directories(folder, ec);
  if (ec) throw std::runtime_error("cannot create project folder " + folder.string() + ": " + ec.message());
  const fs::path canonical = fs::canonical(folder);
  const fs::path database = canonical / kDatabaseName;
  // O_EXCL: of two processes creating the same project, exactly one wins.
  int fd = ::open(database.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0 && errno == EEXIST && fs::file_size(database, ec) == 0 && !ec) {
    // An empty file is what a create() killed before its first write leaves
    // behind: it holds nothing, so take its place instead of refusing forever.
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(database.string() + suffix, ec);
    fd = ::open(database.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  }
  if (fd < 0) {
    if (errno == EEXIST) {
      throw std::runtime_error("cannot create a project in " + folder.string() + ": it already holds one (" +
                               database.string() + ")");
    }
    throw std::system_error(errno, std::generic_category(), "cannot create " + database.string());
  }
  ::close(fd);
  try {
    auto impl = std::make_unique<Impl>(canonical);
    impl->check_identity(/*fresh=*/true);
    impl->configure();
    impl->migrate();
    return ProjectStore(std::move(impl));
  } catch (...) {
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(database.string() + suffix, ec);
    throw;
  }
}

ProjectStore ProjectStore::open(const fs::path& folder) {
  const fs::path database = folder / kDatabaseName;
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) {
    throw std::runtime_error(folder.string() + " is not a LocTex project: no such folder");
  }
  if (!fs::is_regular_file(database, ec)) {
    throw std::runtime_error(folder.string() + " is not a LocTex project: it holds no " + kDatabaseName);
  }
  auto impl = std::make_unique<Impl>(fs::canonical(folder));
  impl->check_identity(/*fresh=*/false);
  impl->configure();
  impl->migrate();
  return ProjectStore(std::move(impl));
}

const fs::path& ProjectStore::folder() const { return m_impl->folder; }

fs::path ProjectStore::database_path() const { return m_impl->db.path(); }

int ProjectStore::schema_version() const {
  return static_cast<int>(query_int(m_impl->db, "PRAGMA user_version"));
}

sqlite::Database& ProjectStore::database() const { return m_impl->db; }

// ---------------------------------------------------------------------------
// Images

ImageRecord ProjectStore::add_image(const fs::path& file, std::string_view dataset_id,
                                    std::string_view image_id, ImagePlacement placement) {
  CreatedFiles created;
  ImageRecord record = prepare_image(m_impl->folder, file, dataset_id, image_id, placement, created);
  upsert_image(m_impl->db, record);
  created.keep();
  return record;
}

std::optional<ImageRecord> ProjectStore::find_image(std::string_view dataset_id,
                                                    std::string_view image_id) const {
  Statement query(m_impl->db, R"(
      SELECT path, width, height, content_hash FROM images WHERE dataset_id = ?1 AND image_id = ?2)");
  query.bind_text(1, dataset_id).bind_text(2, image_id);
  if (!query.step()) return std::nullopt;
  ImageRecord record;
  record.dataset_id = std::string(dataset_id);
  record.image_id = std::string(image_id);
  record.path = query.column_text(0);
  record.width = static_cast<int>(query.column_int64(1));
  record.height = static_cast<int>(query.column_int64(2));
  record.content_hash = query.column_text(3);
  return record;
}

std::vector<ImageRecord> ProjectStore::list_images() const {
  Statement query(m_impl->db, R"(
      SELECT dataset_id, image_id, path, width, height, content_hash FROM images
      ORDER BY dataset_id, image_id)");
  std::vector<ImageRecord> out;
  while (query.step()) {
    ImageRecord record;
    record.dataset_id = query.column_text(0);
    record.image_id = query.column_text(1);
    record.path = query.column_text(2);
    record.width = static_cast<int>(query.column_int64(3));
    record.height = static_cast<int>(query.column_int64(4));
    record.content_hash = query.column_text(5);
    out.push_back(std::move(record));
  }
  return out;
}

std::optional<fs::path> ProjectStore::image_file(std::string_view dataset_id,
                                                 std::string_view image_id) const {
  const auto record = find_image(dataset_id, image_id);
  if (!record || record->path.empty()) return std::nullopt;
  return absolute_in(m_impl->folder, record->path);
}

// ---------------------------------------------------------------------------
// Narratives

std::int64_t ProjectStore::add_narrative(const Narrative& narrative, NarrativeStatus status) {
  check_narrative(narrative);
  Transaction transaction(m_impl->db);
  std::int64_t id = 0;
  {
    NarrativeWriter writer(m_impl->db);
    id = writer.insert(narrative, status, utc_now());
  }
  transaction.commit();
  return id;
}

Narrative ProjectStore::load_narrative(std::int64_t id) const {
  // Three queries, one snapshot; inside a caller's transaction (a progress
  // callback during import) that transaction already is one.
  std::optional<Transaction> snapshot;
  if (!m_impl->db.in_transaction()) snapshot.emplace(m_impl->db, Transaction::Kind::deferred);
  auto narrative = NarrativeReader(m_impl->db).load(id);
  if (!narrative) no_narrative(m_impl->folder, id);
  if (snapshot) snapshot->commit();
  return std::move(*narrative);
}

void ProjectStore::update_narrative(std::int64_t id, const Narrative& narrative) {
  check_narrative(narrative);
  Transaction transaction(m_impl->db);
  bool found = false;
  {
    NarrativeWriter writer(m_impl->db);
    found = writer.replace(id, narrative, utc_now());
  }
  if (!found) no_narrative(m_impl->folder, id);
  transaction.commit();
}

void ProjectStore::set_status(std::int64_t id, NarrativeStatus status, std::string_view review_comment) {
  Statement update(m_impl->db,
                   "UPDATE narratives SET status = ?2, review_comment = ?3, updated_at = ?4 WHERE id = ?1");
  update.bind_int64(1, id)
      .bind_text(2, to_string(status))
      .bind_text(3, review_comment)
      .bind_text(4, utc_now());
  update.run();
  if (m_impl->db.changes() == 0) no_narrative(m_impl->folder, id);
}

void ProjectStore::remove_narrative(std::int64_t id) {
  // One statement, so one implicit transaction; the foreign keys cascade to
  // utterances, trace points and recordings.
  Statement remove(m_impl->db, "DELETE FROM narratives WHERE id = ?1");
  remove.bind_int64(1, id).run();
  if (m_impl->db.changes() == 0) no_narrative(m_impl->folder, id);
}

NarrativeEntry ProjectStore::narrative_entry(std::int64_t id) const {
  Statement query(m_impl->db, std::string(kEntrySelect) + " WHERE n.id = ?1");
  query.bind_int64(1, id);
  if (!query.step()) no_narrative(m_impl->folder, id);
  return read_entry(query, m_impl->folder);
}

std::vector<NarrativeEntry> ProjectStore::list_narratives() const {
  Statement query(m_impl->db, std::string(kEntrySelect) + " ORDER BY n.id");
  std::vector<NarrativeEntry> entries;
  while (query.step()) entries.push_back(read_entry(query, m_impl->folder));
  return entries;
}

std::vector<NarrativeEntry> ProjectStore::list_narratives(std::string_view dataset_id,
                                                          std::string_view image_id) const {
  Statement query(m_impl->db,
                  std::string(kEntrySelect) + " WHERE i.dataset_id = ?1 AND i.image_id = ?2 ORDER BY n.id");
  query.bind_text(1, dataset_id).bind_text(2, image_id);
  std::vector<NarrativeEntry> entries;
  while (query.step()) entries.push_back(read_entry(query, m_impl->folder));
  return entries;
}

std::size_t ProjectStore::narrative_count() const {
  return static_cast<std::size_t>(query_int(m_impl->db, "SELECT count(*) FROM narratives"));
}

// ---------------------------------------------------------------------------
// Recordings

std::int64_t ProjectStore::add_audio_recording(std::int64_t narrative_id, const fs::path& file,
                                               int sample_rate, int channels, double duration_s) {
  if (sample_rate <= 0) {
    throw std::invalid_argument("field 'sample_rate': must be positive, got " + std::to_string(sample_rate));
  }
  if (channels <= 0)
    throw std::invalid_argument("field 'channels': must be positive, got " + std::to_string(channels));
  if (!std::isfinite(duration_s) || duration_s < 0) {
    throw std::invalid_argument("field 'duration_s': must be finite and not negative, got " +
                                std::to_string(duration_s));
  }
  Transaction transaction(m_impl->db);
  Statement exists(m_impl->db, "SELECT 1 FROM narratives WHERE id = ?1");
  if (!exists.bind_int64(1, narrative_id).step()) no_narrative(m_impl->folder, narrative_id);
  Statement insert(m_impl->db, R"(
      INSERT INTO audio_recordings (narrative_id, path, sample_rate, channels, duration_s, created_at)
      VALUES (?1, ?2, ?3, ?4, ?5, ?6))");
  insert.bind_int64(1, narrative_id)
      .bind_text(2, stored_path(m_impl->folder, fs::weakly_canonical(fs::absolute(file))))
      .bind_int64(3, sample_rate)
      .bind_int64(4, channels)
      .bind_double(5, duration_s)
      .bind_text(6, utc_now());
  insert.run();
  const std::int64_t id = m_impl->db.last_insert_rowid();
  transaction.commit();
  return id;
}

std::vector<AudioRecording> ProjectStore::audio_recordings(std::int64_t narrative_id) const {
  Statement query(m_impl->db, R"(
      SELECT id, path, sample_rate, channels, duration_s, created_at
      FROM audio_recordings WHERE narrative_id = ?1 ORDER BY id)");
  query.bind_int64(1, narrative_id);
  std::vector<AudioRecording> recordings;
  while (query.step()) {
    AudioRecording recording;
    recording.id = query.column_int64(0);
    recording.narrative_id = narrative_id;
    recording.path = query.column_text(1);
    recording.sample_rate = static_cast<int>(query.column_int64(2));
    recording.channels = static_cast<int>(query.column_int64(3));
    recording.duration_s = query.column_double(4);
    recording.created_at = query.column_text(5);
    recordings.push_back(std::move(recording));
  }
  return recordings;
}

// ---------------------------------------------------------------------------
// LN JSONL

ImportReport ProjectStore::import_jsonl(const fs::path& path, const ImportOptions& options) {
  return import_jsonl(std::vector<fs::path>{path}, options);
}

ImportReport ProjectStore::import_jsonl(const std::vector<fs::path>& paths, const ImportOptions& options) {
  // Parse the pattern first: a typo in it must not cost a half-read file.
  std::optional<ImagePattern> pattern;
  if (options.image_folder) {
    pattern.emplace(options.image_pattern);
    std::error_code ec;
    if (!fs::is_directory(*options.image_folder, ec)) {
      throw std::invalid_argument("image folder " + options.image_folder->string() + " is not a folder");
    }
  }

  ImportReport report;
  auto report_error = [&report, &options](LnError error) {
    ++report.problems;
    if (options.on_error)
      options.on_error(error);
    else
      report.errors.push_back(std::move(error));
  };

  CreatedFiles created;  // declared before the transaction: removed only after it rolled back
  Transaction transaction(m_impl->db);
  {
    NarrativeWriter writer(m_impl->db);
    const std::string now = utc_now();  // one logical change, one time
    for (const fs::path& path : paths) {
      LnReader reader(path, options.mode);
      reader.on_error(report_error);
      while (const auto narrative = reader.next()) {
        if (pattern && !writer.image_has_file(narrative->dataset_id, narrative->image_id)) {
          std::optional<ImageRecord> image;
          try {
            const fs::path file = resolve_inside(*options.image_folder,
                                                 pattern->format(narrative->dataset_id, narrative->image_id));
            image = prepare_image(m_impl->folder, file, narrative->dataset_id, narrative->image_id,
                                  options.image_placement, created);
          } catch (const std::exception& e) {
            LnError error(reader.source(), reader.line(), e.what());
            if (options.mode == ReadMode::strict) throw error;
            report_error(std::move(error));
          }
          if (image) upsert_image(m_impl->db, *image);
        }
        writer.insert(*narrative, options.status, now);
        ++report.imported;
        if (options.progress) options.progress(reader.line());
      }
      report.skipped += reader.error_count();
    }
  }
  transaction.commit();
  created.keep();
  return report;
}

std::size_t ProjectStore::export_jsonl(const fs::path& path, ExportFilter filter,
                                       const std::function<void(std::size_t, std::size_t)>& progress) const {
  std::optional<Transaction> snapshot;
  if (!m_impl->db.in_transaction()) snapshot.emplace(m_impl->db, Transaction::Kind::deferred);
  AtomicFile out(path);
  std::size_t count = 0;
  {
    const char* where = filter == ExportFilter::accepted_only ? " WHERE status = 'accepted'" : "";
    std::size_t total = 0;
    if (progress) {
      Statement counting(m_impl->db, std::string("SELECT count(*) FROM narratives") + where);
      counting.step();
      total = static_cast<std::size_t>(counting.column_int64(0));
    }
    Statement ids(m_impl->db, std::string("SELECT id FROM narratives") + where + " ORDER BY id");
    NarrativeReader reader(m_impl->db);
    while (ids.step()) {
      const std::int64_t id = ids.column_int64(0);
      const auto narrative = reader.load(id);
      if (!narrative) no_narrative(m_impl->folder, id);
      write_narrative(out.stream(), *narrative);
      ++count;
      if (progress) progress(count, total);
    }
  }
  out.commit();
  if (snapshot) snapshot->commit();
  return count;
}

}  // namespace loctex::core
