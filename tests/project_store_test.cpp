#include "core/project_store.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "core/content_hash.h"
#include "core/ln_jsonl.h"
#include "core/sqlite.h"
#include "test_support.h"

namespace fs = std::filesystem;
using namespace loctex::core;
using loctex::testing::error_of;
using loctex::testing::files_in;

namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void write_bytes(const fs::path& path, const std::string& bytes) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << bytes;
}

void write_jpeg(const fs::path& path, int width, int height, int shade = 90) {
  fs::create_directories(path.parent_path());
  cv::Mat image(height, width, CV_8UC3, cv::Scalar(shade, 120, 200));
  ASSERT_TRUE(cv::imwrite(path.string(), image)) << path;
}

std::int64_t count_rows(ProjectStore& store, const std::string& sql) {
  sqlite::Statement query(store.database(), sql);
  EXPECT_TRUE(query.step());
  return query.column_int64(0);
}

// Every quirk of real Localized Narratives data the store must keep.
Narrative quirky_narrative() {
  Narrative n;
  n.dataset_id = "mscoco_val2017";
  n.image_id = "137576";
  n.annotator_id = 93;
  n.caption = "In this image we can see a caf\u00e9.";
  n.timed_caption = {
      {"In this", 0.1, 0.7},               // multi-word utterance
      {"image", 0.7, 0.7},                 // zero length
      {"we", 1e-05, 0.30000000000000004},  // doubles that print long
      {"caf\u00e9", 1.2, 2.0},             // integral double, non-ASCII
  };
  n.traces = {
      {{-0.05, 1.07, 0.5}, {0.4, 0.3, 0.25}, {1.0, 0.0, 0.75}},  // outside [0, 1]; t out of order
      {},                                                        // empty segment
      {{0.1, 0.2, -0.0}},                                        // negative zero
      {},                                                        // empty again, last
  };
  n.voice_recording = "coco_val/coco_val_137576_93.ogg";
  n.extra = nlohmann::ordered_json::parse(R"({"zeta": 1, "extra_field": {"a": [1, 2]}, "alpha": 0.1})");
  return n;
}

Narrative simple_narrative(std::string image_id, std::int64_t annotator_id = 7) {
  Narrative n;
  n.dataset_id = "mscoco_val2017";
  n.image_id = std::move(image_id);
  n.annotator_id = annotator_id;
  n.caption = "A dog.";
  n.timed_caption = {{"A dog.", 0.5, 1.25}};
  n.traces = {{{0.5, 0.5, 0.5}, {0.6, 0.55, 0.75}}};
  n.voice_recording = "";
  return n;
}

class project_store_test : public ::testing::Test {
 protected:
  const fs::path& base() const { return m_dir.path(); }
  fs::path project() const { return base() / "project"; }

 private:
  loctex::testing::TempDir m_dir;
};

}  // namespace

// --- Creating and opening -------------------------------------------------

TEST_F(project_store_test, create_then_open) {
  {
    auto store = ProjectStore::create(project());
    EXPECT_EQ(store.folder(), project());
    EXPECT_EQ(store.database_path(), project() / "project.sqlite");
    EXPECT_TRUE(fs::is_regular_file(project() / "project.sqlite"));
    EXPECT_EQ(store.narrative_count(), 0u);
  }
  auto store = ProjectStore::open(project());
  EXPECT_EQ(store.folder(), project());
  EXPECT_EQ(store.schema_version(), ProjectStore::kSchemaVersion);
}

TEST_F(project_store_test, store_is_movable) {
  auto first = ProjectStore::create(project());
  const auto id = first.add_narrative(simple_narrative("1"));
  ProjectStore second = std::move(first);
  EXPECT_EQ(second.load_narrative(id), simple_narrative("1"));
}

TEST_F(project_store_test, open_folder_without_project_names_the_path) {
  fs::create_directories(base() / "empty");
  EXPECT_EQ(error_of<std::runtime_error>([&] { ProjectStore::open(base() / "empty"); }),
            (base() / "empty").string() + " is not a LocTex project: it holds no project.sqlite");
  EXPECT_EQ(error_of<std::runtime_error>([&] { ProjectStore::open(base() / "missing"); }),
            (base() / "missing").string() + " is not a LocTex project: no such folder");
}

TEST_F(project_store_test, open_refuses_a_file_that_is_not_a_database) {
  write_bytes(project() / "project.sqlite",
              "hello, not sqlite at all, but long enough to have a header....\n");
  const std::string error = error_of<std::runtime_error>([&] { ProjectStore::open(project()); });
  EXPECT_TRUE(contains(error, project().string() + " is not a usable LocTex project: ")) << error;
  EXPECT_TRUE(contains(error, "file is not a database")) << error;
}

TEST_F(project_store_test, open_refuses_and_leaves_alone_another_programs_database) {
  fs::create_directories(project());
  {
    sqlite::Database other(project() / "project.sqlite", sqlite::Database::OpenMode::create);
    other.execute("CREATE TABLE notes (text TEXT)");
  }
  EXPECT_EQ(error_of<std::runtime_error>([&] { ProjectStore::open(project()); }),
            (project() / "project.sqlite").string() + " is not a LocTex project database (application_id 0)");
  sqlite::Database other(project() / "project.sqlite", sqlite::Database::OpenMode::existing);
  sqlite::Statement mode(other, "PRAGMA journal_mode");
  ASSERT_TRUE(mode.step());
  EXPECT_EQ(mode.column_text(0), "delete");  // not switched to WAL
}

TEST_F(project_store_test, create_over_existing_project_is_refused) {
  { auto store = ProjectStore::create(project()); }
  EXPECT_EQ(error_of<std::runtime_error>([&] { ProjectStore::create(project()); }),
            "cannot create a project in " + project().string() + ": it already holds one (" +
                (project() / "project.sqlite").string() + ")");
  EXPECT_NO_THROW(ProjectStore::open(project()));
}

TEST_F(project_store_test, create_takes_the_place_of_an_empty_file_left_by_an_interrupted_create) {
  fs::create_directories(project());
  std::ofstream(project() / ProjectStore::kDatabaseName).close();  // killed before its first write
  auto store = ProjectStore::create(project());
  EXPECT_EQ(store.schema_version(), ProjectStore::kSchemaVersion);
  EXPECT_EQ(ProjectStore::open(project()).narrative_count(), 0u);
}

TEST_F(project_store_test, importing_several_files_is_one_change) {
  auto store = ProjectStore::create(project());
  write_ln_file(base() / "a.jsonl", {simple_narrative("1"), simple_narrative("2")});
  std::ofstream(base() / "b.jsonl") << "{}\n";
  EXPECT_THROW(store.import_jsonl(std::vector<fs::path>{base() / "a.jsonl", base() / "b.jsonl"}), LnError);
  EXPECT_EQ(store.narrative_count(), 0u);

  ImportOptions lenient;
  lenient.mode = ReadMode::lenient;
  std::vector<std::string> seen;
  lenient.on_error = [&](const LnError& e) { seen.push_back(e.what()); };
  const auto report =
      store.import_jsonl(std::vector<fs::path>{base() / "a.jsonl", base() / "b.jsonl"}, lenient);
  EXPECT_EQ(report.imported, 2u);
  EXPECT_EQ(report.skipped, 1u);
  EXPECT_EQ(report.problems, 1u);
  EXPECT_TRUE(report.errors.empty());  // handed to on_error instead of kept
  EXPECT_EQ(seen, std::vector<std::string>{(base() / "b.jsonl").string() + ":1: missing field 'dataset_id'"});
}

TEST_F(project_store_test, create_in_existing_nonempty_folder_keeps_its_files) {
  write_bytes(project() / "notes.txt", "mine");
  auto store = ProjectStore::create(project());
  EXPECT_EQ(read_bytes(project() / "notes.txt"), "mine");
}

TEST_F(project_store_test, uses_wal_and_foreign_keys) {
  auto store = ProjectStore::create(project());
  sqlite::Statement foreign_keys(store.database(), "PRAGMA foreign_keys");
  ASSERT_TRUE(foreign_keys.step());
  EXPECT_EQ(foreign_keys.column_int64(0), 1);

  // The journal mode is stored in the file: a second connection sees it.
  sqlite::Database second(store.database_path(), sqlite::Database::OpenMode::existing);
  sqlite::Statement journal(second, "PRAGMA journal_mode");
  ASSERT_TRUE(journal.step());
  EXPECT_EQ(journal.column_text(0), "wal");

  // And the keys are enforced, not merely declared.
  sqlite::Statement orphan(store.database(),
                           "INSERT INTO utterances (narrative_id, idx, utterance, start_time, end_time) "
                           "VALUES (999, 0, 'x', 0.0, 1.0)");
  EXPECT_TRUE(contains(error_of<std::runtime_error>([&] { orphan.run(); }), "FOREIGN KEY constraint failed"));
}

TEST_F(project_store_test, user_version_is_the_schema_version) {
  { auto store = ProjectStore::create(project()); }
  sqlite::Database raw(project() / "project.sqlite", sqlite::Database::OpenMode::existing);
  sqlite::Statement version(raw, "PRAGMA user_version");
  ASSERT_TRUE(version.step());
  EXPECT_EQ(version.column_int64(0), ProjectStore::kSchemaVersion);
  EXPECT_EQ(ProjectStore::kSchemaVersion, 2);
}

TEST_F(project_store_test, a_version_1_file_is_migrated_and_keeps_its_data) {
  std::int64_t id = 0;
  {
    auto store = ProjectStore::create(project());
    id = store.add_narrative(quirky_narrative(), NarrativeStatus::accepted);
  }
  {
    // What version 1 wrote: migration 2 (the recording journal) not yet run.
    sqlite::Database raw(project() / "project.sqlite", sqlite::Database::OpenMode::existing);
    raw.execute("DROP TABLE recording_points");
    raw.execute("DROP TABLE recordings");
    raw.execute("PRAGMA user_version = 1");
  }
  auto store = ProjectStore::open(project());
  EXPECT_EQ(store.schema_version(), 2);
  sqlite::Statement tables(
      store.database(),
      "SELECT count(*) FROM sqlite_schema WHERE name IN ('recordings', 'recording_points')");
  ASSERT_TRUE(tables.step());
  EXPECT_EQ(tables.column_int64(0), 2);
  EXPECT_EQ(store.load_narrative(id), quirky_narrative());
  EXPECT_EQ(store.narrative_entry(id).status, NarrativeStatus::accepted);
}

TEST_F(project_store_test, newer_schema_version_is_refused) {
  { auto store = ProjectStore::create(project()); }
  {
    sqlite::Database raw(project() / "project.sqlite", sqlite::Database::OpenMode::existing);
    raw.execute("PRAGMA user_version = " + std::to_string(ProjectStore::kSchemaVersion + 1));
  }
  EXPECT_EQ(
      error_of<std::runtime_error>([&] { ProjectStore::open(project()); }),
      (project() / "project.sqlite").string() +
          ": schema version 3 is newer than this LocTex Studio supports (2); open it with a newer LocTex "
          "Studio");
}

// --- Narratives -----------------------------------------------------------

TEST_F(project_store_test, narrative_round_trip_is_exact) {
  auto store = ProjectStore::create(project());
  const Narrative original = quirky_narrative();
  const auto id = store.add_narrative(original);
  const Narrative loaded = store.load_narrative(id);

  EXPECT_EQ(loaded, original);
  ASSERT_EQ(loaded.traces.size(), 4u);
  EXPECT_TRUE(loaded.traces[1].empty());
  EXPECT_TRUE(loaded.traces[3].empty());
  EXPECT_EQ(loaded.timed_caption.at(0).utterance, "In this");
  EXPECT_EQ(loaded.timed_caption.at(1).start_time, loaded.timed_caption.at(1).end_time);
  // Bit for bit, which operator== on doubles cannot see for -0.0.
  EXPECT_EQ(loaded.timed_caption.at(2).start_time, 1e-05);
  EXPECT_EQ(loaded.timed_caption.at(2).end_time, 0.30000000000000004);
  EXPECT_EQ(loaded.traces[0][0].x, -0.05);
  EXPECT_EQ(loaded.traces[0][0].y, 1.07);
  EXPECT_TRUE(std::signbit(loaded.traces[2][0].t));
  // Unknown fields in their original order.
  EXPECT_EQ(loaded.extra.dump(), R"({"zeta":1,"extra_field":{"a":[1,2]},"alpha":0.1})");
  EXPECT_EQ(format_narrative(loaded), format_narrative(original));
}

TEST_F(project_store_test, narrative_without_traces_or_caption_round_trips) {
  auto store = ProjectStore::create(project());
  Narrative n = simple_narrative("5");
  n.timed_caption.clear();
  n.traces.clear();
  n.caption.clear();
  const auto id = store.add_narrative(n);
  EXPECT_EQ(store.load_narrative(id), n);
}

TEST_F(project_store_test, add_narrative_creates_image_and_annotator_rows) {
  auto store = ProjectStore::create(project());
  store.add_narrative(simple_narrative("1", 7));
  store.add_narrative(simple_narrative("1", 8));
  store.add_narrative(simple_narrative("2", 7));
  EXPECT_EQ(count_rows(store, "SELECT count(*) FROM images"), 2);
  EXPECT_EQ(count_rows(store, "SELECT count(*) FROM annotators"), 2);
  const auto image = store.find_image("mscoco_val2017", "1");
  ASSERT_TRUE(image.has_value());
  EXPECT_EQ(image->path, "");
  EXPECT_EQ(image->width, 0);
  EXPECT_EQ(image->content_hash, "");
  EXPECT_EQ(store.image_file("mscoco_val2017", "1"), std::nullopt);
  EXPECT_EQ(store.find_image("mscoco_val2017", "3"), std::nullopt);
}

TEST_F(project_store_test, add_narrative_refuses_what_ln_cannot_hold) {
  auto store = ProjectStore::create(project());
  Narrative backwards = simple_narrative("1");
  backwards.timed_caption.push_back({"late", 2.0, 1.5});
  EXPECT_EQ(error_of<std::invalid_argument>([&] { store.add_narrative(backwards); }),
            "field 'timed_caption[1].end_time': end_time 1.5 is before start_time 2.0");

  Narrative not_finite = simple_narrative("1");
  not_finite.traces[0][1].x = std::nan("");
  EXPECT_EQ(error_of<std::invalid_argument>([&] { store.add_narrative(not_finite); }),
            "field 'traces[0][1].x': non-finite number");

  Narrative bad_extra = simple_narrative("1");
  bad_extra.extra = nlohmann::ordered_json::array();
  EXPECT_EQ(error_of<std::invalid_argument>([&] { store.add_narrative(bad_extra); }),
            "narrative extra fields must be a JSON object");
  EXPECT_EQ(store.narrative_count(), 0u);
}

TEST_F(project_store_test, listing_is_in_insertion_order) {
  auto store = ProjectStore::create(project());
  const auto a = store.add_narrative(simple_narrative("30", 1), NarrativeStatus::draft);
  const auto b = store.add_narrative(simple_narrative("10", 2), NarrativeStatus::done);
  const auto c = store.add_narrative(simple_narrative("20", 3), NarrativeStatus::done);
  const auto entries = store.list_narratives();
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].id, a);
  EXPECT_EQ(entries[1].id, b);
  EXPECT_EQ(entries[2].id, c);
  EXPECT_EQ(entries[0].image_id, "30");
  EXPECT_EQ(entries[1].annotator_id, 2);
  EXPECT_EQ(entries[0].dataset_id, "mscoco_val2017");
  EXPECT_EQ(entries[0].status, NarrativeStatus::draft);
  EXPECT_EQ(entries[1].status, NarrativeStatus::done);
  EXPECT_EQ(entries[0].image_file, std::nullopt);
  // ISO 8601 UTC with milliseconds: 2024-05-01T12:34:56.789Z
  ASSERT_EQ(entries[0].created_at.size(), 24u);
  EXPECT_EQ(entries[0].created_at[10], 'T');
  EXPECT_EQ(entries[0].created_at.back(), 'Z');
  EXPECT_EQ(entries[0].created_at, entries[0].updated_at);
}

TEST_F(project_store_test, update_replaces_content_and_keeps_review_state) {
  auto store = ProjectStore::create(project());
  const auto id = store.add_narrative(simple_narrative("1"));
  store.set_status(id, NarrativeStatus::rejected, "trace drifts");
  const auto before = store.narrative_entry(id);

  Narrative changed = quirky_narrative();
  changed.image_id = "2";
  store.update_narrative(id, changed);
  EXPECT_EQ(store.load_narrative(id), changed);
  const auto after = store.narrative_entry(id);
  EXPECT_EQ(after.image_id, "2");
  EXPECT_EQ(after.status, NarrativeStatus::rejected);
  EXPECT_EQ(after.review_comment, "trace drifts");
  EXPECT_EQ(after.created_at, before.created_at);
  EXPECT_GE(after.updated_at, before.updated_at);
  // The old children are gone, not appended to.
  EXPECT_EQ(count_rows(store, "SELECT count(*) FROM utterances"), 4);
  EXPECT_EQ(count_rows(store, "SELECT count(*) FROM trace_points"), 4);
}

TEST_F(project_store_test, set_status_sets_status_and_comment) {
  auto store = ProjectStore::create(project());
  const auto id = store.add_narrative(simple_narrative("1"));
  EXPECT_EQ(store.narrative_entry(id).status, NarrativeStatus::draft);
  store.set_status(id, NarrativeStatus::rejected, "caption misses the dog");
  EXPECT_EQ(store.narrative_entry(id).status, NarrativeStatus::rejected);
  EXPECT_EQ(store.narrative_entry(id).review_comment, "caption misses the dog");
  store.set_status(id, NarrativeStatus::accepted);
  EXPECT_EQ(store.narrative_entry(id).status, NarrativeStatus::accepted);
  EXPECT_EQ(store.narrative_entry(id).review_comment, "");
}

TEST_F(project_store_test, status_check_constraint_guards_the_column) {
  auto store = ProjectStore::create(project());
  const auto id = store.add_narrative(simple_narrative("1"));
  sqlite::Statement bad(store.database(), "UPDATE narratives SET status = 'maybe' WHERE id = ?1");
  bad.bind_int64(1, id);
  EXPECT_TRUE(contains(error_of<std::runtime_error>([&] { bad.run(); }), "CHECK constraint failed"));
}

TEST_F(project_store_test, remove_cascades_to_utterances_points_and_recordings) {
  auto store = ProjectStore::create(project());
  const auto keep = store.add_narrative(simple_narrative("1"));
  const auto gone = store.add_narrative(quirky_narrative());
  store.add_audio_recording(gone, project() / "audio" / "gone.wav", 16000, 1, 2.5);
  EXPECT_EQ(count_rows(store, "SELECT count(*) FROM utterances"), 5);
  EXPECT_EQ(count_rows(store, "SELECT count(*) FROM trace_points"), 6);

  store.remove_narrative(gone);
  EXPECT_EQ(store.narrative_count(), 1u);
  EXPECT_EQ(count_rows(store, "SELECT count(*) FROM utterances"), 1);
  EXPECT_EQ(count_rows(store, "SELECT count(*) FROM trace_points"), 2);
  EXPECT_EQ(count_rows(store, "SELECT count(*) FROM audio_recordings"), 0);
  EXPECT_EQ(count_rows(store, "SELECT count(*) FROM images"), 2);  // images stay
  EXPECT_EQ(store.load_narrative(keep), simple_narrative("1"));
  EXPECT_THROW(store.load_narrative(gone), std::out_of_range);
}

TEST_F(project_store_test, ids_are_never_reused) {
  auto store = ProjectStore::create(project());
  store.add_narrative(simple_narrative("1"));
  const auto last = store.add_narrative(simple_narrative("2"));
  store.remove_narrative(last);
  EXPECT_GT(store.add_narrative(simple_narrative("3")), last);
}

TEST_F(project_store_test, unknown_id_is_out_of_range) {
  auto store = ProjectStore::create(project());
  const std::string message = "project " + project().string() + " has no narrative with id 42";
  EXPECT_EQ(error_of<std::out_of_range>([&] { store.load_narrative(42); }), message);
  EXPECT_EQ(error_of<std::out_of_range>([&] { store.update_narrative(42, simple_narrative("1")); }), message);
  EXPECT_EQ(error_of<std::out_of_range>([&] { store.set_status(42, NarrativeStatus::done); }), message);
  EXPECT_EQ(error_of<std::out_of_range>([&] { store.remove_narrative(42); }), message);
  EXPECT_EQ(error_of<std::out_of_range>([&] { store.narrative_entry(42); }), message);
  EXPECT_EQ(error_of<std::out_of_range>([&] { store.add_audio_recording(42, "a.wav", 16000, 1, 1.0); }),
            message);
  // update_narrative of a missing id creates no image row on the way.
  EXPECT_EQ(count_rows(store, "SELECT count(*) FROM images"), 0);
}

TEST_F(project_store_test, status_names) {
  EXPECT_EQ(to_string(NarrativeStatus::draft), "draft");
  EXPECT_EQ(to_string(NarrativeStatus::done), "done");
  EXPECT_EQ(to_string(NarrativeStatus::accepted), "accepted");
  EXPECT_EQ(to_string(NarrativeStatus::rejected), "rejected");
  EXPECT_EQ(parse_narrative_status("accepted"), NarrativeStatus::accepted);
  EXPECT_EQ(error_of<std::invalid_argument>([] { parse_narrative_status("Accepted"); }),
            "unknown narrative status 'Accepted' (expected draft, done, accepted or rejected)");
}

// --- Recordings -----------------------------------------------------------

TEST_F(project_store_test, audio_recordings_are_stored_relative_when_inside) {
  auto store = ProjectStore::create(project());
  const auto id = store.add_narrative(simple_narrative("1"));
  const auto inside = store.add_audio_recording(id, project() / "audio" / "take1.wav", 48000, 2, 3.25);
  store.add_audio_recording(id, base() / "elsewhere.wav", 16000, 1, 0.0);
  const auto recordings = store.audio_recordings(id);
  ASSERT_EQ(recordings.size(), 2u);
  EXPECT_EQ(recordings[0].id, inside);
  EXPECT_EQ(recordings[0].narrative_id, id);
  EXPECT_EQ(recordings[0].path, "audio/take1.wav");
  EXPECT_EQ(recordings[0].sample_rate, 48000);
  EXPECT_EQ(recordings[0].channels, 2);
  EXPECT_EQ(recordings[0].duration_s, 3.25);
  EXPECT_EQ(recordings[1].path, (base() / "elsewhere.wav").string());
  EXPECT_EQ(error_of<std::invalid_argument>([&] { store.add_audio_recording(id, "a.wav", 0, 1, 1.0); }),
            "field 'sample_rate': must be positive, got 0");
  EXPECT_EQ(error_of<std::invalid_argument>([&] { store.add_audio_recording(id, "a.wav", 16000, 0, 1.0); }),
            "field 'channels': must be positive, got 0");
  EXPECT_TRUE(contains(
      error_of<std::invalid_argument>([&] { store.add_audio_recording(id, "a.wav", 16000, 1, -1.0); }),
      "field 'duration_s': must be finite and not negative"));
}

// --- Images ---------------------------------------------------------------

TEST_F(project_store_test, add_image_copies_into_images_folder) {
  auto store = ProjectStore::create(project());
  const fs::path source = base() / "coco" / "000000137576.jpg";
  write_jpeg(source, 64, 48);

  const ImageRecord record = store.add_image(source, "mscoco_val2017", "137576");
  EXPECT_EQ(record.dataset_id, "mscoco_val2017");
  EXPECT_EQ(record.image_id, "137576");
  EXPECT_EQ(record.path, "images/000000137576.jpg");
  EXPECT_EQ(record.width, 64);
  EXPECT_EQ(record.height, 48);
  EXPECT_EQ(record.content_hash, sha256_file(source));
  EXPECT_EQ(read_bytes(project() / "images" / "000000137576.jpg"), read_bytes(source));

  const auto found = store.find_image("mscoco_val2017", "137576");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->path, record.path);
  EXPECT_EQ(found->width, 64);
  EXPECT_EQ(found->height, 48);
  EXPECT_EQ(found->content_hash, record.content_hash);
  EXPECT_EQ(store.image_file("mscoco_val2017", "137576"), project() / "images" / "000000137576.jpg");
}

TEST_F(project_store_test, the_narratives_of_one_image_are_listed_oldest_first) {
  auto store = ProjectStore::create(project());
  Narrative a = quirky_narrative();
  a.dataset_id = "set";
  a.image_id = "x";
  Narrative b = a;
  b.image_id = "y";
  const auto first = store.add_narrative(a);
  store.add_narrative(b);
  const auto third = store.add_narrative(a, NarrativeStatus::accepted);
  const auto of_x = store.list_narratives("set", "x");
  ASSERT_EQ(of_x.size(), 2u);
  EXPECT_EQ(of_x[0].id, first);
  EXPECT_EQ(of_x[1].id, third);
  EXPECT_EQ(of_x[1].status, NarrativeStatus::accepted);
  EXPECT_TRUE(store.list_narratives("set", "none").empty());
  EXPECT_TRUE(store.list_narratives("other", "x").empty());
}

TEST_F(project_store_test, list_images_gives_every_row_in_id_order) {
  auto store = ProjectStore::create(project());
  write_jpeg(base() / "b.jpg", 32, 24);
  write_jpeg(base() / "a.jpg", 16, 8);
  store.add_image(base() / "b.jpg", "set", "b");
  store.add_image(base() / "a.jpg", "set", "a");
  Narrative n = quirky_narrative();
  n.dataset_id = "other";
  n.image_id = "no-file";
  store.add_narrative(n);  // an image row without a file
  const auto images = store.list_images();
  ASSERT_EQ(images.size(), 3u);
  EXPECT_EQ(images[0].dataset_id, "other");
  EXPECT_EQ(images[0].path, "");
  EXPECT_EQ(images[0].width, 0);
  EXPECT_EQ(images[1].image_id, "a");
  EXPECT_EQ(images[1].width, 16);
  EXPECT_EQ(images[1].height, 8);
  EXPECT_EQ(images[2].image_id, "b");
  EXPECT_EQ(images[2].content_hash, sha256_file(base() / "b.jpg"));
}

TEST_F(project_store_test, add_image_fills_the_row_add_narrative_created) {
  auto store = ProjectStore::create(project());
  const auto id = store.add_narrative(simple_narrative("137576"));
  write_jpeg(base() / "000000137576.jpg", 32, 16);
  store.add_image(base() / "000000137576.jpg", "mscoco_val2017", "137576");
  EXPECT_EQ(count_rows(store, "SELECT count(*) FROM images"), 1);
  EXPECT_EQ(store.narrative_entry(id).image_file, project() / "images" / "000000137576.jpg");
}

TEST_F(project_store_test, add_image_inside_project_is_referenced_not_copied) {
  auto store = ProjectStore::create(project());
  write_jpeg(project() / "photos" / "dog.jpg", 10, 20);
  const auto record = store.add_image(project() / "photos" / "dog.jpg", "mine", "dog");
  EXPECT_EQ(record.path, "photos/dog.jpg");
  EXPECT_EQ(record.width, 10);
  EXPECT_EQ(record.height, 20);
  EXPECT_FALSE(fs::exists(project() / "images"));
}

TEST_F(project_store_test, add_image_can_reference_an_outside_file_by_absolute_path) {
  auto store = ProjectStore::create(project());
  write_jpeg(base() / "coco" / "1.jpg", 8, 8);
  const auto record =
      store.add_image(base() / "coco" / "1.jpg", "d", "1", ImagePlacement::reference_in_place);
  EXPECT_EQ(record.path, (base() / "coco" / "1.jpg").string());
  EXPECT_EQ(store.image_file("d", "1"), base() / "coco" / "1.jpg");
  EXPECT_FALSE(fs::exists(project() / "images"));
}

TEST_F(project_store_test, add_image_keeps_different_files_with_one_name_apart) {
  auto store = ProjectStore::create(project());
  write_jpeg(base() / "a" / "1.jpg", 8, 8, 10);
  write_jpeg(base() / "b" / "1.jpg", 8, 8, 250);
  write_jpeg(base() / "c" / "1.jpg", 8, 8, 10);  // same bytes as a/1.jpg
  const auto a = store.add_image(base() / "a" / "1.jpg", "a", "1");
  const auto b = store.add_image(base() / "b" / "1.jpg", "b", "1");
  const auto c = store.add_image(base() / "c" / "1.jpg", "c", "1");
  ASSERT_NE(a.content_hash, b.content_hash);
  EXPECT_EQ(a.path, "images/1.jpg");
  EXPECT_EQ(b.path, "images/1-" + b.content_hash.substr(0, 12) + ".jpg");
  EXPECT_EQ(c.path, "images/1.jpg");  // stored once
  EXPECT_EQ(sha256_file(project() / b.path), b.content_hash);
}

TEST_F(project_store_test, add_image_errors_name_the_file) {
  auto store = ProjectStore::create(project());
  EXPECT_EQ(error_of<std::runtime_error>([&] { store.add_image(base() / "missing.jpg", "d", "1"); }),
            "cannot read image " + (base() / "missing.jpg").string() + ": No such file or directory");
  write_bytes(base() / "text.jpg", "not a jpeg");
  EXPECT_EQ(
      error_of<std::runtime_error>([&] { store.add_image(base() / "text.jpg", "d", "1"); }),
      "cannot decode image " + (base() / "text.jpg").string() + ": not an image format OpenCV can read");
  write_bytes(base() / "empty.jpg", "");
  EXPECT_EQ(error_of<std::runtime_error>([&] { store.add_image(base() / "empty.jpg", "d", "1"); }),
            "cannot decode image " + (base() / "empty.jpg").string() + ": the file is empty");
  EXPECT_EQ(store.find_image("d", "1"), std::nullopt);
  EXPECT_FALSE(fs::exists(project() / "images" / "text.jpg"));
}

// --- LN JSONL -------------------------------------------------------------

TEST_F(project_store_test, import_then_export_is_byte_identical) {
  const fs::path in = base() / "in.jsonl";
  std::vector<Narrative> narratives = {quirky_narrative(), simple_narrative("1"), simple_narrative("2", 9)};
  narratives[1].caption = "Unicode \u2603 and \"quotes\" and \\ too";
  write_ln_file(in, narratives);

  auto store = ProjectStore::create(project());
  const ImportReport report = store.import_jsonl(in);
  EXPECT_EQ(report.imported, 3u);
  EXPECT_EQ(report.skipped, 0u);
  EXPECT_TRUE(report.errors.empty());
  for (const auto& entry : store.list_narratives()) EXPECT_EQ(entry.status, NarrativeStatus::done);

  const fs::path out = base() / "out.jsonl";
  EXPECT_EQ(store.export_jsonl(out), 3u);
  EXPECT_EQ(read_bytes(out), read_bytes(in));
  EXPECT_TRUE(contains(read_bytes(out), "\"t\": -0.0"));
}

TEST_F(project_store_test, import_sets_the_chosen_status_and_reports_progress) {
  const fs::path in = base() / "in.jsonl";
  write_ln_file(in, {simple_narrative("1"), simple_narrative("2")});
  auto store = ProjectStore::create(project());
  ImportOptions options;
  options.status = NarrativeStatus::draft;
  std::vector<std::size_t> progress;
  options.progress = [&](std::size_t lines) { progress.push_back(lines); };
  store.import_jsonl(in, options);
  EXPECT_EQ(progress, (std::vector<std::size_t>{1, 2}));
  for (const auto& entry : store.list_narratives()) EXPECT_EQ(entry.status, NarrativeStatus::draft);
}

TEST_F(project_store_test, throwing_progress_callback_cancels_the_import) {
  const fs::path in = base() / "in.jsonl";
  write_ln_file(in, {simple_narrative("1"), simple_narrative("2")});
  auto store = ProjectStore::create(project());
  ImportOptions options;
  options.progress = [](std::size_t lines) {
    if (lines == 2) throw std::runtime_error("cancelled");
  };
  EXPECT_EQ(error_of<std::runtime_error>([&] { store.import_jsonl(in, options); }), "cancelled");
  EXPECT_EQ(store.narrative_count(), 0u);
}

TEST_F(project_store_test, lenient_import_skips_a_bad_line_and_reports_it) {
  const fs::path in = base() / "in.jsonl";
  write_bytes(in, format_narrative(simple_narrative("1")) + "\n{\"image_id\": \"7\",\n" +
                      format_narrative(simple_narrative("2")) + "\n");
  auto store = ProjectStore::create(project());
  ImportOptions options;
  options.mode = ReadMode::lenient;
  const ImportReport report = store.import_jsonl(in, options);
  EXPECT_EQ(report.imported, 2u);
  EXPECT_EQ(report.skipped, 1u);
  ASSERT_EQ(report.errors.size(), 1u);
  EXPECT_EQ(report.errors[0].file(), in.string());
  EXPECT_EQ(report.errors[0].line(), 2u);
  EXPECT_EQ(std::string(report.errors[0].what()).rfind(in.string() + ":2: ", 0), 0u)
      << report.errors[0].what();
  const auto entries = store.list_narratives();
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].image_id, "1");
  EXPECT_EQ(entries[1].image_id, "2");
}

TEST_F(project_store_test, strict_import_of_a_bad_line_imports_nothing) {
  const fs::path in = base() / "in.jsonl";
  write_bytes(in, format_narrative(simple_narrative("1")) + "\n" + format_narrative(simple_narrative("2")) +
                      "\nnot json\n");
  auto store = ProjectStore::create(project());
  const std::string error = error_of<LnError>([&] { store.import_jsonl(in); });
  EXPECT_EQ(error.rfind(in.string() + ":3: ", 0), 0u) << error;
  EXPECT_EQ(store.narrative_count(), 0u);
  EXPECT_EQ(count_rows(store, "SELECT count(*) FROM images"), 0);
  EXPECT_EQ(count_rows(store, "SELECT count(*) FROM annotators"), 0);
}

TEST_F(project_store_test, import_missing_file_names_it) {
  auto store = ProjectStore::create(project());
  EXPECT_EQ(error_of<std::runtime_error>([&] { store.import_jsonl(base() / "nope.jsonl"); }),
            "cannot open " + (base() / "nope.jsonl").string() + ": no such file or not readable");
}

TEST_F(project_store_test, import_finds_images_through_the_pattern) {
  const fs::path coco = base() / "coco" / "val2017";
  write_jpeg(coco / "000000137576.jpg", 64, 48);
  const fs::path in = base() / "in.jsonl";
  write_ln_file(in,
                {simple_narrative("137576", 1), simple_narrative("404", 2), simple_narrative("137576", 3)});

  auto store = ProjectStore::create(project());
  ImportOptions options;
  options.mode = ReadMode::lenient;
  options.image_folder = base() / "coco";
  options.image_pattern = "val2017/{image_id:012}.jpg";
  const ImportReport report = store.import_jsonl(in, options);

  // A missing image is reported; the narrative is still imported.
  EXPECT_EQ(report.imported, 3u);
  EXPECT_EQ(report.skipped, 0u);
  ASSERT_EQ(report.errors.size(), 1u);
  EXPECT_EQ(report.errors[0].line(), 2u);
  EXPECT_EQ(report.errors[0].message(),
            "cannot read image " + (coco / "000000000404.jpg").string() + ": No such file or directory");

  const auto image = store.find_image("mscoco_val2017", "137576");
  ASSERT_TRUE(image.has_value());
  EXPECT_EQ(image->path, "images/000000137576.jpg");
  EXPECT_EQ(image->width, 64);
  EXPECT_EQ(image->height, 48);
  EXPECT_EQ(store.image_file("mscoco_val2017", "404"), std::nullopt);
  const auto entries = store.list_narratives();
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].image_file, project() / "images" / "000000137576.jpg");
  EXPECT_EQ(entries[2].image_file, project() / "images" / "000000137576.jpg");
}

TEST_F(project_store_test, import_pattern_cannot_reach_outside_the_image_folder) {
  write_jpeg(base() / "secret.jpg", 8, 8);
  fs::create_directories(base() / "coco");
  const fs::path in = base() / "in.jsonl";
  write_ln_file(in, {simple_narrative("../secret")});
  auto store = ProjectStore::create(project());
  ImportOptions options;
  options.mode = ReadMode::lenient;
  options.image_folder = base() / "coco";
  options.image_pattern = "{image_id}.jpg";
  const ImportReport report = store.import_jsonl(in, options);
  ASSERT_EQ(report.errors.size(), 1u);
  EXPECT_TRUE(contains(report.errors[0].message(), "path '../secret.jpg' resolves to"))
      << report.errors[0].what();
  EXPECT_EQ(store.image_file("mscoco_val2017", "../secret"), std::nullopt);
}

TEST_F(project_store_test, strict_import_with_a_missing_image_leaves_no_trace) {
  const fs::path coco = base() / "coco";
  write_jpeg(coco / "1.jpg", 8, 8);
  const fs::path in = base() / "in.jsonl";
  write_ln_file(in, {simple_narrative("1"), simple_narrative("2")});
  auto store = ProjectStore::create(project());
  ImportOptions options;
  options.image_folder = coco;
  const std::string error = error_of<LnError>([&] { store.import_jsonl(in, options); });
  EXPECT_EQ(error, in.string() + ":2: cannot read image " + (coco / "2.jpg").string() +
                       ": No such file or directory");
  EXPECT_EQ(store.narrative_count(), 0u);
  EXPECT_EQ(count_rows(store, "SELECT count(*) FROM images"), 0);
  EXPECT_FALSE(fs::exists(project() / "images" / "1.jpg"));  // the copy made for line 1 is gone
}

TEST_F(project_store_test, bad_image_pattern_fails_before_reading) {
  const fs::path in = base() / "in.jsonl";
  write_ln_file(in, {simple_narrative("1")});
  auto store = ProjectStore::create(project());
  ImportOptions options;
  options.image_folder = base();
  options.image_pattern = "{id}.jpg";
  EXPECT_EQ(error_of<std::invalid_argument>([&] { store.import_jsonl(in, options); }),
            "image pattern '{id}.jpg': unknown placeholder '{id}' (known: {image_id}, {dataset_id})");
  EXPECT_EQ(store.narrative_count(), 0u);
}

TEST_F(project_store_test, missing_image_folder_fails_before_reading) {
  const fs::path in = base() / "in.jsonl";
  write_ln_file(in, {simple_narrative("1")});
  auto store = ProjectStore::create(project());
  ImportOptions options;
  options.image_folder = base() / "no_such_folder";
  EXPECT_EQ(error_of<std::invalid_argument>([&] { store.import_jsonl(in, options); }),
            "image folder " + (base() / "no_such_folder").string() + " is not a folder");
}

TEST_F(project_store_test, progress_callback_may_read_the_store) {
  const fs::path in = base() / "in.jsonl";
  write_ln_file(in, {simple_narrative("1"), simple_narrative("2")});
  auto store = ProjectStore::create(project());
  ImportOptions options;
  std::vector<std::size_t> counts;
  std::vector<std::string> image_ids;
  options.progress = [&](std::size_t) {
    counts.push_back(store.narrative_count());
    const auto entries = store.list_narratives();
    image_ids.push_back(store.load_narrative(entries.back().id).image_id);
  };
  store.import_jsonl(in, options);
  EXPECT_EQ(counts, (std::vector<std::size_t>{1, 2}));
  EXPECT_EQ(image_ids, (std::vector<std::string>{"1", "2"}));
}

TEST_F(project_store_test, export_accepted_only) {
  auto store = ProjectStore::create(project());
  const auto a = store.add_narrative(simple_narrative("1"), NarrativeStatus::done);
  const auto b = store.add_narrative(simple_narrative("2"), NarrativeStatus::done);
  const auto c = store.add_narrative(simple_narrative("3"), NarrativeStatus::done);
  store.set_status(c, NarrativeStatus::accepted, "good");
  store.set_status(a, NarrativeStatus::accepted);
  store.set_status(b, NarrativeStatus::rejected, "bad trace");

  const fs::path out = base() / "accepted.jsonl";
  EXPECT_EQ(store.export_jsonl(out, ExportFilter::accepted_only), 2u);
  const LnFile file = read_ln_file(out);
  ASSERT_EQ(file.narratives.size(), 2u);
  EXPECT_EQ(file.narratives[0], simple_narrative("1"));  // insertion order, not acceptance order
  EXPECT_EQ(file.narratives[1], simple_narrative("3"));

  EXPECT_EQ(store.export_jsonl(base() / "all.jsonl", ExportFilter::all), 3u);
  EXPECT_EQ(read_ln_file(base() / "all.jsonl").narratives.size(), 3u);
}

TEST_F(project_store_test, export_reports_progress_and_a_cancel_writes_no_file) {
  auto store = ProjectStore::create(project());
  for (const char* id : {"1", "2", "3"}) store.add_narrative(simple_narrative(id));
  store.set_status(2, NarrativeStatus::accepted);
  std::vector<std::pair<std::size_t, std::size_t>> heard;
  EXPECT_EQ(store.export_jsonl(base() / "all.jsonl", ExportFilter::all,
                               [&](std::size_t done, std::size_t total) { heard.emplace_back(done, total); }),
            3u);
  EXPECT_EQ(heard, (std::vector<std::pair<std::size_t, std::size_t>>{{1, 3}, {2, 3}, {3, 3}}));
  heard.clear();
  store.export_jsonl(base() / "accepted.jsonl", ExportFilter::accepted_only,
                     [&](std::size_t done, std::size_t total) { heard.emplace_back(done, total); });
  EXPECT_EQ(heard, (std::vector<std::pair<std::size_t, std::size_t>>{{1, 1}}));
  const auto cancel = [](std::size_t done, std::size_t) {
    if (done == 2) throw std::runtime_error("cancelled");
  };
  EXPECT_THROW(store.export_jsonl(base() / "cancelled.jsonl", ExportFilter::all, cancel), std::runtime_error);
  EXPECT_FALSE(fs::exists(base() / "cancelled.jsonl"));
  EXPECT_EQ(files_in(base()), (std::vector<std::string>{"accepted.jsonl", "all.jsonl", "project"}));
}

TEST_F(project_store_test, export_of_an_empty_project_writes_an_empty_file) {
  auto store = ProjectStore::create(project());
  EXPECT_EQ(store.export_jsonl(base() / "empty.jsonl"), 0u);
  EXPECT_TRUE(fs::exists(base() / "empty.jsonl"));
  EXPECT_EQ(read_bytes(base() / "empty.jsonl"), "");
}

// --- The SQLite wrappers under the store ----------------------------------

namespace {

class project_store_sqlite_test : public project_store_test {
 protected:
  void SetUp() override {
    project_store_test::SetUp();
    m_db = std::make_unique<sqlite::Database>(base() / "raw.sqlite", sqlite::Database::OpenMode::create);
    m_db->execute("CREATE TABLE t (v ANY)");
  }
  void TearDown() override {
    m_db.reset();
    project_store_test::TearDown();
  }
  sqlite::Database& db() { return *m_db; }
  std::int64_t rows() {
    sqlite::Statement count(db(), "SELECT count(*) FROM t");
    EXPECT_TRUE(count.step());
    return count.column_int64(0);
  }

 private:
  std::unique_ptr<sqlite::Database> m_db;
};

}  // namespace

TEST_F(project_store_sqlite_test, transaction_rolls_back_unless_committed) {
  {
    sqlite::Transaction transaction(db());
    db().execute("INSERT INTO t VALUES (1)");
  }
  EXPECT_EQ(rows(), 0);
  {
    sqlite::Transaction transaction(db());
    db().execute("INSERT INTO t VALUES (1)");
    transaction.commit();
  }
  EXPECT_EQ(rows(), 1);
}

TEST_F(project_store_sqlite_test, a_transaction_inside_another_is_a_savepoint) {
  {
    sqlite::Transaction outer(db());
    db().execute("INSERT INTO t VALUES (1)");
    {
      sqlite::Transaction undone(db());
      db().execute("INSERT INTO t VALUES (2)");
    }  // rolls back its own row only
    {
      sqlite::Transaction kept(db());
      db().execute("INSERT INTO t VALUES (3)");
      kept.commit();
    }
    EXPECT_TRUE(db().in_transaction());  // the outer one is still open
    outer.commit();
  }
  sqlite::Statement values(db(), "SELECT group_concat(v) FROM t");
  ASSERT_TRUE(values.step());
  EXPECT_EQ(values.column_text(0), "1,3");
  {
    sqlite::Transaction outer(db());
    sqlite::Transaction inner(db());
    db().execute("INSERT INTO t VALUES (4)");
    inner.commit();
  }  // the outer one was not committed: the inner one's row goes with it
  EXPECT_EQ(rows(), 2);
}

TEST_F(project_store_sqlite_test, text_keeps_nul_bytes_and_empty_is_not_null) {
  sqlite::Statement insert(db(), "INSERT INTO t VALUES (?1)");
  insert.bind_text(1, std::string_view("a\0b", 3)).run();
  insert.bind_text(1, std::string_view()).run();
  sqlite::Statement select(db(), "SELECT v, v IS NULL FROM t ORDER BY rowid");
  ASSERT_TRUE(select.step());
  EXPECT_EQ(select.column_text(0), std::string("a\0b", 3));
  ASSERT_TRUE(select.step());
  EXPECT_EQ(select.column_text(0), "");
  EXPECT_EQ(select.column_int64(1), 0);
  EXPECT_FALSE(select.step());
}

TEST_F(project_store_sqlite_test, statement_is_reusable_after_reset) {
  sqlite::Statement insert(db(), "INSERT INTO t VALUES (?1)");
  for (int i = 0; i < 3; ++i) insert.bind_int64(1, i).run();
  EXPECT_EQ(rows(), 3);
  sqlite::Statement select(db(), "SELECT v FROM t WHERE v = ?1");
  select.bind_int64(1, 2);
  ASSERT_TRUE(select.step());
  EXPECT_EQ(select.column_int64(0), 2);
  select.reset();
  select.bind_int64(1, 1);
  ASSERT_TRUE(select.step());
  EXPECT_EQ(select.column_int64(0), 1);
}

TEST_F(project_store_sqlite_test, errors_name_the_database_file) {
  EXPECT_EQ(error_of<std::runtime_error>([&] { sqlite::Statement(db(), "SELECT nope FROM t"); }),
            (base() / "raw.sqlite").string() + ": cannot prepare 'SELECT nope FROM t': no such column: nope");
  EXPECT_EQ(error_of<std::invalid_argument>([&] { sqlite::Statement(db(), "SELECT 1; SELECT 2"); }),
            (base() / "raw.sqlite").string() + ": more than one SQL statement in 'SELECT 1; SELECT 2'");
  EXPECT_EQ(error_of<std::runtime_error>(
                [&] { sqlite::Database(base() / "absent.sqlite", sqlite::Database::OpenMode::existing); }),
            (base() / "absent.sqlite").string() + ": cannot open database: unable to open database file");
}
