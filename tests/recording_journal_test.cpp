// The recording journal: points and caption written as they come, a journal
// turned into a narrative in one transaction, interrupted recordings found
// again after a restart, and a process killed mid-recording losing nothing
// it had flushed.
#include "core/recording_journal.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "core/audio_file.h"
#include "core/project_store.h"
#include "core/sqlite.h"
#include "test_support.h"

namespace {

using namespace loctex::core;
using loctex::testing::error_of;
using loctex::testing::TempDir;
namespace fs = std::filesystem;

class recording_journal_test : public ::testing::Test {
 protected:
  void SetUp() override {
    const fs::path image = m_dir / "photo.jpg";
    ASSERT_TRUE(cv::imwrite(image.string(), cv::Mat(48, 64, CV_8UC3, cv::Scalar(40, 90, 160))));
    auto store = ProjectStore::create(project());
    store.add_image(image, "set", "img1");
  }
  fs::path project() const { return m_dir / "project"; }

  TempDir m_dir;
};

// n points of one segment, t from t0 in steps of 1/60 s.
std::vector<JournalPoint> points(std::int64_t segment, int n, double t0) {
  std::vector<JournalPoint> out;
  for (int i = 0; i < n; ++i) out.push_back({segment, {0.1 + 0.01 * i, 0.5 - 0.005 * i, t0 + i / 60.0}});
  return out;
}

TEST_F(recording_journal_test, what_is_appended_reads_back_as_a_narrative_by_segment) {
  auto store = ProjectStore::open(project());
  auto journal = RecordingJournal::begin(store, "set", "img1", 7, RecordingMode::type_and_point);
  EXPECT_EQ(journal.mode(), RecordingMode::type_and_point);
  const auto first = points(0, 5, 0.0);
  const auto second = points(1, 3, 0.5);
  journal.append(first);
  journal.append(second);
  journal.append({});  // an empty flush changes nothing
  journal.set_caption("a red circle", {{"a", 0.0, 0.2}, {"red", 0.2, 0.5}, {"circle", 0.5, 0.9}});

  const Narrative n = journal.narrative();
  EXPECT_EQ(n.dataset_id, "set");
  EXPECT_EQ(n.image_id, "img1");
  EXPECT_EQ(n.annotator_id, 7);
  EXPECT_EQ(n.caption, "a red circle");
  ASSERT_EQ(n.timed_caption.size(), 3u);
  EXPECT_EQ(n.timed_caption[1], (TimedUtterance{"red", 0.2, 0.5}));
  ASSERT_EQ(n.traces.size(), 2u);
  ASSERT_EQ(n.traces[0].size(), 5u);
  ASSERT_EQ(n.traces[1].size(), 3u);
  for (std::size_t i = 0; i < first.size(); ++i) EXPECT_EQ(n.traces[0][i], first[i].point);  // bit-exact
  for (std::size_t i = 0; i < second.size(); ++i) EXPECT_EQ(n.traces[1][i], second[i].point);

  const auto open = unfinished_recordings(store);
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].id, journal.id());
  EXPECT_EQ(open[0].image_id, "img1");
  EXPECT_EQ(open[0].annotator_id, 7);
  EXPECT_EQ(open[0].mode, RecordingMode::type_and_point);
  EXPECT_EQ(open[0].points, 8);
  EXPECT_DOUBLE_EQ(open[0].last_time, second.back().point.t);
  EXPECT_EQ(open[0].caption, "a red circle");
  EXPECT_LE(open[0].started_at, open[0].updated_at);
}

TEST_F(recording_journal_test, finish_stores_the_narrative_and_removes_the_journal_at_once) {
  auto store = ProjectStore::open(project());
  auto journal = RecordingJournal::begin(store, "set", "img1", 2, RecordingMode::retrace);
  journal.append(points(0, 4, 0.0));
  journal.set_caption("a square", {{"a", 0.0, 0.1}, {"square", 0.1, 0.4}});
  Narrative n = journal.narrative();
  n.caption = "a square";  // what the app would hand over after the last edit
  const std::int64_t id = journal.finish(n, NarrativeStatus::done);
  EXPECT_EQ(store.load_narrative(id), n);
  EXPECT_EQ(store.narrative_entry(id).status, NarrativeStatus::done);
  EXPECT_TRUE(unfinished_recordings(store).empty());
  // The points went with the journal.
  loctex::core::sqlite::Statement left(store.database(), "SELECT count(*) FROM recording_points");
  ASSERT_TRUE(left.step());
  EXPECT_EQ(left.column_int64(0), 0);
  // A closed journal refuses more work.
  EXPECT_NE(error_of<std::logic_error>([&] { journal.append(points(0, 1, 1.0)); }).find("already finished"),
            std::string::npos);
}

TEST_F(recording_journal_test, a_finish_that_fails_keeps_the_journal_and_adds_nothing) {
  auto store = ProjectStore::open(project());
  auto journal = RecordingJournal::begin(store, "set", "img1", 2, RecordingMode::type_and_point);
  journal.append(points(0, 4, 0.0));
  Narrative bad = journal.narrative();
  bad.timed_caption = {{"word", 0.0, std::numeric_limits<double>::quiet_NaN()}};
  EXPECT_THROW(journal.finish(bad), std::invalid_argument);
  EXPECT_EQ(store.narrative_count(), 0u);
  ASSERT_EQ(unfinished_recordings(store).size(), 1u);
  // Still open: it can be finished properly.
  const auto id = journal.finish(journal.narrative());
  EXPECT_EQ(store.load_narrative(id).traces.size(), 1u);
}

TEST_F(recording_journal_test, discard_removes_the_journal_and_its_points) {
  auto store = ProjectStore::open(project());
  auto keep = RecordingJournal::begin(store, "set", "img1", 1, RecordingMode::speak_and_point);
  auto drop = RecordingJournal::begin(store, "set", "img1", 2, RecordingMode::speak_and_point);
  keep.append(points(0, 2, 0.0));
  drop.append(points(0, 3, 0.0));
  drop.discard();
  const auto open = unfinished_recordings(store);
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].id, keep.id());
  EXPECT_EQ(open[0].points, 2);
}

TEST_F(recording_journal_test, a_recording_resumed_after_a_restart_goes_on_where_it_stopped) {
  std::int64_t id = 0;
  fs::path voice;
  {
    auto store = ProjectStore::open(project());
    auto journal = RecordingJournal::begin(store, "set", "img1", 3, RecordingMode::speak_and_point);
    journal.append(points(0, 3, 0.0));
    journal.append(points(1, 2, 0.4));
    journal.set_caption("a", {{"a", 0.0, 0.4}});
    id = journal.id();
    voice = journal.voice_file().value();
  }  // the app went away without finishing
  auto store = ProjectStore::open(project());
  const auto open = unfinished_recordings(store);
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].mode, RecordingMode::speak_and_point);
  auto journal = RecordingJournal::resume(store, id);
  EXPECT_EQ(journal.mode(), RecordingMode::speak_and_point);
  // Segment 0 is behind the journal's last point: refused, nothing written.
  EXPECT_NE(
      error_of<std::invalid_argument>([&] { journal.append(points(0, 1, 1.0)); }).find("after segment 1"),
      std::string::npos);
  journal.append(points(1, 2, 0.8));
  journal.append(points(2, 1, 1.2));
  const Narrative n = journal.narrative();
  // Its voice recording keeps the name the journal gave it at the start.
  EXPECT_EQ(project() / n.voice_recording, voice);
  EXPECT_EQ(n.caption, "a");
  ASSERT_EQ(n.traces.size(), 3u);
  EXPECT_EQ(n.traces[1].size(), 4u);
  EXPECT_EQ(n.traces[2].size(), 1u);
  EXPECT_EQ(unfinished_recordings(store)[0].points, 8);
}

TEST_F(recording_journal_test, speak_and_point_names_a_voice_file_that_finish_registers_and_discard_removes) {
  auto store = ProjectStore::open(project());
  auto typed = RecordingJournal::begin(store, "set", "img1", 3, RecordingMode::type_and_point);
  EXPECT_EQ(typed.voice_file(), std::nullopt);
  typed.discard();

  auto spoken = RecordingJournal::begin(store, "set", "img1", 3, RecordingMode::speak_and_point);
  auto again = RecordingJournal::begin(store, "set", "img1", 4, RecordingMode::speak_and_point);
  const fs::path voice = spoken.voice_file().value();
  EXPECT_EQ(voice.parent_path(), project() / "audio");
  EXPECT_EQ(voice.extension(), ".wav");
  EXPECT_NE(voice, again.voice_file().value());  // every recording its own file
  {
    WavWriter writer(voice, 16000);
    writer.write_silence(24000);
  }
  spoken.append(points(0, 3, 0.0));
  spoken.set_caption("a dog", {{"a", 0.0, 0.5}, {"dog", 0.5, 1.5}});
  const std::int64_t id = spoken.finish(spoken.narrative());
  const Narrative stored = store.load_narrative(id);
  EXPECT_EQ(project() / stored.voice_recording, voice);  // relative to the project, as LN names voices
  const auto audio = store.audio_recordings(id);
  ASSERT_EQ(audio.size(), 1u);
  EXPECT_EQ(audio[0].path, stored.voice_recording);
  EXPECT_EQ(audio[0].sample_rate, 16000);
  EXPECT_EQ(audio[0].channels, 1);
  EXPECT_DOUBLE_EQ(audio[0].duration_s, 1.5);

  const fs::path dropped = again.voice_file().value();
  { WavWriter(dropped, 16000).write_silence(100); }
  ASSERT_TRUE(fs::exists(dropped));
  again.discard();
  EXPECT_FALSE(fs::exists(dropped));
  EXPECT_TRUE(fs::exists(voice));
}

TEST_F(recording_journal_test, an_unreadable_voice_does_not_stop_finish_and_a_stale_discard_keeps_the_voice) {
  auto store = ProjectStore::open(project());
  auto journal = RecordingJournal::begin(store, "set", "img1", 3, RecordingMode::speak_and_point);
  const fs::path voice = journal.voice_file().value();
  fs::create_directories(voice.parent_path());
  loctex::testing::write_text(voice, "not a WAV: a recorder that broke off");
  journal.append(points(0, 2, 0.0));
  // A second handle on the same journal, as a second window would hold.
  auto stale = RecordingJournal::resume(store, journal.id());
  const std::int64_t id = journal.finish(journal.narrative());
  EXPECT_EQ(project() / store.load_narrative(id).voice_recording, voice);  // still named
  EXPECT_TRUE(store.audio_recordings(id).empty());                         // but not registered
  EXPECT_NE(error_of<std::invalid_argument>([&] { stale.discard(); }).find("no recording"),
            std::string::npos);
  EXPECT_TRUE(fs::exists(voice));  // the narrative's voice stays
}

TEST_F(recording_journal_test, bad_input_is_refused_with_what_is_wrong) {
  auto store = ProjectStore::open(project());
  EXPECT_EQ(error_of<std::invalid_argument>(
                [&] { RecordingJournal::begin(store, "set", "nope", 1, RecordingMode::retrace); }),
            "cannot record image set/nope: the project does not hold it");
  EXPECT_EQ(error_of<std::invalid_argument>([&] { RecordingJournal::resume(store, 99); }),
            "no recording 99 in progress in this project");
  auto journal = RecordingJournal::begin(store, "set", "img1", 1, RecordingMode::retrace);
  auto batch = points(0, 3, 0.0);
  batch[2].point.y = std::numeric_limits<double>::infinity();
  EXPECT_EQ(error_of<std::invalid_argument>([&] { journal.append(batch); }),
            "recording " + std::to_string(journal.id()) + ", point 2: x, y and t must be finite");
  EXPECT_EQ(unfinished_recordings(store)[0].points, 0);  // none of the batch was written
  EXPECT_EQ(parse_recording_mode("type_and_point"), RecordingMode::type_and_point);
  EXPECT_EQ(to_string(RecordingMode::speak_and_point), "speak_and_point");
  EXPECT_NE(error_of<std::invalid_argument>([] { parse_recording_mode("sing"); }).find("'sing'"),
            std::string::npos);
}

// A child process records and reports each flush over a pipe; the parent
// kills it with SIGKILL after the third, then opens the project: every
// flushed point is there, and the recording is offered for recovery.
TEST_F(recording_journal_test, a_process_killed_mid_recording_loses_nothing_it_flushed) {
  int flushed[2], never[2];
  ASSERT_EQ(::pipe(flushed), 0);
  ASSERT_EQ(::pipe(never), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(flushed[0]);
    ::close(never[1]);
    try {
      auto store = ProjectStore::open(project());
      auto journal = RecordingJournal::begin(store, "set", "img1", 9, RecordingMode::type_and_point);
      for (int flush = 0;; ++flush) {
        journal.append(points(flush / 2, 30, flush * 0.5));
        journal.set_caption("word" + std::to_string(flush), {});
        const char byte = 1;
        if (::write(flushed[1], &byte, 1) != 1) ::_exit(2);
        if (flush == 2) {
          char wait;
          if (::read(never[0], &wait, 1) < 0) ::_exit(4);  // blocks: the parent kills this process here
        }
      }
    } catch (...) {
      ::_exit(3);
    }
  }
  ::close(flushed[1]);
  ::close(never[0]);
  for (int i = 0; i < 3; ++i) {
    char byte = 0;
    ASSERT_EQ(::read(flushed[0], &byte, 1), 1) << "the recorder died before flush " << i;
  }
  ASSERT_EQ(::kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  ::close(flushed[0]);
  ::close(never[1]);

  auto store = ProjectStore::open(project());
  const auto open = unfinished_recordings(store);
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].annotator_id, 9);
  EXPECT_EQ(open[0].points, 90);
  EXPECT_EQ(open[0].caption, "word2");
  auto journal = RecordingJournal::resume(store, open[0].id);
  const Narrative n = journal.narrative();
  ASSERT_EQ(n.traces.size(), 2u);  // flushes 0 and 1 in segment 0, flush 2 in segment 1
  EXPECT_EQ(n.traces[0].size(), 60u);
  EXPECT_EQ(n.traces[1], [] {
    TraceSegment s;
    for (const auto& p : points(1, 30, 1.0)) s.push_back(p.point);
    return s;
  }());
}

}  // namespace
