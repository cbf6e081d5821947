#pragma once
// A LocTex project: a folder holding `project.sqlite` and the images its
// narratives describe, referenced by paths relative to the folder so that the
// folder can be moved or shared whole. The schema is described in
// docs/project-store.md.
//
// Every change is one SQLite transaction: an exception leaves the project as
// it was. A ProjectStore is one connection; use one per thread.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/ln_jsonl.h"
#include "core/narrative.h"

namespace loctex::core {

namespace sqlite {
class Database;
}

// The review state of a narrative; stored as its name.
enum class NarrativeStatus { draft, done, accepted, rejected };
std::string_view to_string(NarrativeStatus status);
// Throws std::invalid_argument quoting `text` if it is not one of the names.
NarrativeStatus parse_narrative_status(std::string_view text);

// Where add_image() leaves a file that lies outside the project folder. A
// file already inside the folder is always referenced where it is.
enum class ImagePlacement {
  copy_into_project,   // copied to <project>/images/, referenced relatively
  reference_in_place,  // referenced by absolute path; the project is no longer self-contained
};

struct ImageRecord {
  std::string dataset_id;
  std::string image_id;
  // As stored: relative to the project folder ("images/000000137576.jpg"),
  // absolute for a file referenced in place, empty if no file is known.
  std::string path;
  int width = 0;             // pixels as decoded (EXIF orientation applied); 0 if no file
  int height = 0;            // pixels as decoded (EXIF orientation applied); 0 if no file
  std::string content_hash;  // sha256 of the file's bytes, lowercase hex; empty if no file
};

// One row of the narrative listing.
struct NarrativeEntry {
  std::int64_t id = 0;
  std::string dataset_id;
  std::string image_id;
  std::int64_t annotator_id = 0;
  NarrativeStatus status = NarrativeStatus::draft;
  std::string review_comment;
  std::string created_at;  // ISO 8601 UTC, "2024-05-01T12:34:56.789Z"
  std::string updated_at;
  std::optional<std::filesystem::path> image_file;  // absolute; nullopt if the image has no file
};

// A recording made in LocTex Studio. Distinct from Narrative::voice_recording,
// which is the name Google's data gives and is kept as-is.
struct AudioRecording {
  std::int64_t id = 0;
  std::int64_t narrative_id = 0;
  std::string path;  // relative to the project folder, or absolute if outside it
  int sample_rate = 0;
  int channels = 0;
  double duration_s = 0.0;
  std::string created_at;
};

struct ImportOptions {
  ReadMode mode = ReadMode::strict;
  // With an image folder, each narrative's image is looked up as
  // image_folder / ImagePattern(image_pattern).format(dataset_id, image_id)
  // and added with add_image(). A missing or unreadable image is an error for
  // that line: fatal in strict mode; in lenient mode it is reported and the
  // narrative is imported without an image file.
  std::optional<std::filesystem::path> image_folder;
  std::string image_pattern = "{image_id}.jpg";
  ImagePlacement image_placement = ImagePlacement::copy_into_project;
  NarrativeStatus status = NarrativeStatus::done;
  // Called after each imported narrative with the lines read so far of the
  // file being read. Throwing from it cancels the import, which then leaves
  // no trace.
  std::function<void(std::size_t lines_read)> progress;
  // Lenient mode: each problem is passed here as it is found instead of
  // being kept in ImportReport::errors, so that memory stays constant
  // however broken the input is.
  std::function<void(const LnError&)> on_error;
};

struct ImportReport {
  std::size_t imported = 0;
  std::size_t skipped = 0;      // lines that held no valid narrative
  std::size_t problems = 0;     // every problem found, missing images included
  std::vector<LnError> errors;  // the problems, in input order, unless ImportOptions::on_error took them
};

enum class ExportFilter { all, accepted_only };

class ProjectStore {
 public:
  static constexpr const char* kDatabaseName = "project.sqlite";
  // Increase by appending a migration in project_store.cpp; never edit one.
  static constexpr int kSchemaVersion = 2;

  // Creates `folder` if needed and a new project in it. Throws
  // std::runtime_error naming the folder if it already holds a project. An
  // empty project.sqlite (left by a create() killed before its first write)
  // is not a project and is replaced.
  static ProjectStore create(const std::filesystem::path& folder);
  // Opens the project in `folder`, upgrading an older schema. Throws
  // std::runtime_error naming the path if the folder holds no project, the
  // file is not a LocTex project, or its schema is newer than kSchemaVersion.
  static ProjectStore open(const std::filesystem::path& folder);

  ProjectStore(ProjectStore&&) noexcept;
  ProjectStore& operator=(ProjectStore&&) noexcept;
  ProjectStore(const ProjectStore&) = delete;
  ProjectStore& operator=(const ProjectStore&) = delete;
  ~ProjectStore();

  // Absolute and canonical.
  const std::filesystem::path& folder() const;
  std::filesystem::path database_path() const;
  int schema_version() const;

  // Images. add_image reads the file once: its bytes are hashed, decoded for
  // width and height and, when copied, written from the same buffer. Adding
  // an image that already has a row (e.g. one created by add_narrative)
  // updates that row. Throws std::runtime_error naming the file if it cannot
  // be read or decoded.
  ImageRecord add_image(const std::filesystem::path& file, std::string_view dataset_id,
                        std::string_view image_id,
                        ImagePlacement placement = ImagePlacement::copy_into_project);
  std::optional<ImageRecord> find_image(std::string_view dataset_id, std::string_view image_id) const;
  // Every image row, files or not, by dataset_id then image_id.
  std::vector<ImageRecord> list_images() const;
  // The image's file as an absolute path; nullopt if unknown or without a file.
  std::optional<std::filesystem::path> image_file(std::string_view dataset_id,
                                                  std::string_view image_id) const;

  // Narratives. Ids are never reused, even after removal. add_narrative
  // creates the image row (without a file) and the annotator row if missing.
  // add and update accept exactly what the LN reader accepts and throw
  // std::invalid_argument naming the field otherwise (non-finite numbers,
  // end_time before start_time, `extra` not an object), so whatever the
  // store holds can be exported and read back. Functions taking an id throw
  // std::out_of_range if no narrative has it.
  std::int64_t add_narrative(const Narrative& narrative, NarrativeStatus status = NarrativeStatus::draft);
  Narrative load_narrative(std::int64_t id) const;
  // Replaces the content; status, review comment and created_at stay.
  void update_narrative(std::int64_t id, const Narrative& narrative);
  // Sets the status and replaces the review comment ("" clears it).
  void set_status(std::int64_t id, NarrativeStatus status, std::string_view review_comment = {});
  // Removes the narrative with its utterances, trace points and recording
  // rows. Its image and annotator rows stay; recording files stay on disk.
  void remove_narrative(std::int64_t id);
  NarrativeEntry narrative_entry(std::int64_t id) const;
  // Every narrative in insertion order.
  std::vector<NarrativeEntry> list_narratives() const;
  // The narratives of one image, oldest first (as list_narratives orders them).
  std::vector<NarrativeEntry> list_narratives(std::string_view dataset_id, std::string_view image_id) const;
  std::size_t narrative_count() const;

  // Recordings. Throws std::invalid_argument naming the field for a
  // non-positive sample rate or channel count or a negative or non-finite
  // duration.
  std::int64_t add_audio_recording(std::int64_t narrative_id, const std::filesystem::path& file,
                                   int sample_rate, int channels, double duration_s);
  std::vector<AudioRecording> audio_recordings(std::int64_t narrative_id) const;

  // Streams LN JSONL into the project in constant memory, all in one
  // transaction: strict mode throws LnError at the first bad line and leaves
  // the project (and images/) as it was. Throws std::invalid_argument for a
  // bad image pattern or a missing image folder before reading anything.
  ImportReport import_jsonl(const std::filesystem::path& path, const ImportOptions& options = {});
  // Several files as one change: in strict mode a bad line in any of them
  // leaves the project as it was before the first.
  ImportReport import_jsonl(const std::vector<std::filesystem::path>& paths,
                            const ImportOptions& options = {});
  // Writes LN JSONL atomically, in insertion order, from one consistent
  // snapshot. Returns the number of narratives written.
  // `progress`, if given, hears (written, total) after each narrative; an
  // exception it throws (a cancel) ends the export with no file written.
  std::size_t export_jsonl(
      const std::filesystem::path& path, ExportFilter filter = ExportFilter::all,
      const std::function<void(std::size_t written, std::size_t total)>& progress = {}) const;

  // The connection, for diagnostics and tests. Changes made through it
  // bypass the store's checks.
  sqlite::Database& database() const;

 private:
  class Impl;
  explicit ProjectStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> m_impl;
};

}  // namespace loctex::core
