// The app's window, offscreen: open a project, pick an image, record Type and
// Point with synthetic mouse and key events, save, and find the narrative in
// the project with its words timed by the keystrokes and its trace. Saves a
// screenshot of the window.
#include "ui/main_window.h"

#include <gtest/gtest.h>

#include <QAction>
#include <QApplication>
#include <QAudioDevice>
#include <QComboBox>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMediaDevices>
#include <QMessageBox>
#include <QMouseEvent>
#include <QPalette>
#include <QPlainTextEdit>
#include <QSettings>
#include <QSignalSpy>
#include <QStatusBar>
#include <QTest>
#include <QToolBar>

#include <cmath>
#include <filesystem>
#include <functional>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/audio_file.h"
#include "core/project_store.h"
#include "core/recording_journal.h"
#include "core/synthetic.h"
#include "qt_test_support.h"
#include "speech_support.h"
#include "test_support.h"
#include "ui/audio_playback.h"
#include "ui/caption_typing.h"
#include "ui/karaoke_caption.h"
#include "ui/level_meter.h"
#include "ui/review_panel.h"
#include "ui/speak_and_point_panel.h"
#include "ui/tap_along.h"
#include "ui/trace_canvas.h"
#include "ui/word_timeline.h"

namespace {

using namespace loctex;
using loctex::testing::FakeMicrophone;
using loctex::testing::TempDir;
namespace fs = std::filesystem;
using Step = ui::SpeakAndPointPanel::Step;

// A project at `project` holding one plain image, demo/img (made before a
// child process forks, so it never needs a QApplication for it).
void make_one_image_project(const fs::path& dir, const fs::path& project) {
  auto store = core::ProjectStore::create(project);
  const fs::path file = dir / "img.jpg";
  ASSERT_TRUE(cv::imwrite(file.string(), cv::Mat(120, 160, CV_8UC3, cv::Scalar(90, 160, 40))));
  store.add_image(file, "demo", "img");
}

// The settings of a test live in its own folder.
void use_settings_in(const fs::path& folder) {
  QSettings::setDefaultFormat(QSettings::IniFormat);
  QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, QString::fromStdString(folder.string()));
}

class main_window_test : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { loctex::testing::qt_app(); }
  void SetUp() override {
    use_settings_in(m_dir.path());
    QSettings().clear();
    auto store = core::ProjectStore::create(m_dir / "project");
    for (const char* id : {"circle", "square"}) {
      const fs::path file = m_dir / (std::string(id) + ".jpg");
      cv::Mat image(240, 320, CV_8UC3, cv::Scalar(235, 235, 235));
      if (std::string(id) == "circle")
        cv::circle(image, {160, 120}, 70, cv::Scalar(40, 40, 220), -1);
      else
        cv::rectangle(image, cv::Rect(100, 50, 120, 120), cv::Scalar(200, 90, 30), -1);
      ASSERT_TRUE(cv::imwrite(file.string(), image));
      store.add_image(file, "demo", id);
    }
  }
  QString project() const { return QString::fromStdString((m_dir / "project").string()); }

  // Sizes and shows the window, waits until it is on screen, opens the project.
  void show_with_project(ui::MainWindow& w, QSize size) {
    w.resize(size);
    w.show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(&w));
    ASSERT_TRUE(w.openProject(project()));
  }

  void move_to(ui::MainWindow& w, double x, double y, double t) {
    m_now = t;
    loctex::testing::move_pointer(*w.canvas(), {x, y});
  }
  void type(ui::MainWindow& w, const QString& text, double t0, double step) {
    for (int i = 0; i < text.size(); ++i) {
      m_now = t0 + step * i;
      QTest::keyClick(w.captionInput(), text.at(i).toLatin1());
    }
  }

  // The window's microphone becomes one the test speaks into (m_microphone
  // while it is open), and its playback runs on m_now too.
  void use_fake_microphone(ui::MainWindow& w) {
    w.setMicrophoneFactory([this] {
      auto microphone = std::make_unique<FakeMicrophone>(16000);
      m_microphone = microphone.get();
      return microphone;
    });
    w.speakAndPoint()->playback()->setClock([this] { return m_now; });
    w.review()->voice()->setClock([this] { return m_now; });
  }
  // Shows the window on the project and starts Speak and Point on image `row`.
  void start_speaking(ui::MainWindow& w, int row, QSize size = {900, 600}) {
    ASSERT_NO_FATAL_FAILURE(show_with_project(w, size));
    w.setRecordingClock([this] { return m_now; });
    use_fake_microphone(w);
    w.imageList()->setCurrentRow(row);
    w.action("speak-and-point")->trigger();
    ASSERT_TRUE(w.session()->isRecording());
    ASSERT_NE(m_microphone, nullptr);
  }
  std::vector<fs::path> voices() const {
    std::vector<fs::path> files;
    if (fs::exists(m_dir / "project/audio"))
      for (const auto& entry : fs::directory_iterator(m_dir / "project/audio")) files.push_back(entry.path());
    return files;
  }

  TempDir m_dir;
  double m_now = 0;
  FakeMicrophone* m_microphone = nullptr;
};

TEST_F(main_window_test, type_and_point_records_a_narrative_from_mouse_and_keys) {
  ui::MainWindow w;
  ASSERT_NO_FATAL_FAILURE(show_with_project(w, {900, 600}));
  w.setRecordingClock([this] { return m_now; });
  w.setAnnotatorId(5);
  ASSERT_EQ(w.imageList()->count(), 2);
  EXPECT_EQ(w.progressText(), "0 of 2 done");
  w.imageList()->setCurrentRow(0);  // "circle"
  EXPECT_FALSE(w.canvas()->image().isNull());
  EXPECT_FALSE(w.action("stop-recording")->isEnabled());

  w.action("type-and-point")->trigger();
  ASSERT_TRUE(w.session()->isRecording());
  EXPECT_FALSE(w.imageList()->isEnabled());
  EXPECT_TRUE(w.action("stop-recording")->isEnabled());
  // Point at the circle while typing "a circle".
  move_to(w, 0.4, 0.5, 0.0);
  type(w, "a ", 0.1, 0.1);  // 'a' at 0.1, ' ' at 0.2
  move_to(w, 0.5, 0.5, 0.3);
  type(w, "circle", 0.4, 0.1);  // 0.4 .. 0.9
  move_to(w, 0.55, 0.45, 1.0);
  // A shortcut typed into the caption is the window's, not text.
  QTest::keyClick(w.captionInput(), Qt::Key_Return, Qt::ControlModifier);
  ASSERT_FALSE(w.session()->isRecording());

  auto store = core::ProjectStore::open(project().toStdString());
  const auto entries = store.list_narratives();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].image_id, "circle");
  EXPECT_EQ(entries[0].annotator_id, 5);
  const core::Narrative n = store.load_narrative(entries[0].id);
  EXPECT_EQ(n.caption, "a circle");
  ASSERT_EQ(n.timed_caption.size(), 2u);
  EXPECT_EQ(n.timed_caption[0], (core::TimedUtterance{"a", 0.1, 0.2}));
  EXPECT_EQ(n.timed_caption[1].utterance, "circle");
  EXPECT_DOUBLE_EQ(n.timed_caption[1].start_time, 0.4);
  EXPECT_DOUBLE_EQ(n.timed_caption[1].end_time, 0.9);
  ASSERT_EQ(n.traces.size(), 1u);
  ASSERT_EQ(n.traces[0].size(), 3u);
  EXPECT_NEAR(n.traces[0][1].x, 0.5, 0.01);
  EXPECT_EQ(n.traces[0][2].t, 1.0);
  EXPECT_TRUE(core::unfinished_recordings(store).empty());
  EXPECT_TRUE(w.imageList()->isEnabled());
  EXPECT_TRUE(w.imageList()->item(0)->text().endsWith("draft"));
}

TEST_F(main_window_test, a_recording_left_open_is_in_the_journal_and_reported_on_open) {
  {
    ui::MainWindow w;
    w.show();
    ASSERT_TRUE(w.openProject(project()));
    w.setRecordingClock([this] { return m_now; });
    w.imageList()->setCurrentRow(1);
    w.action("type-and-point")->trigger();
    move_to(w, 0.5, 0.5, 0.1);
    type(w, "blue", 0.2, 0.1);
    w.close();  // flushes: the journal keeps it
  }
  auto store = core::ProjectStore::open(project().toStdString());
  const auto open = core::unfinished_recordings(store);
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].image_id, "square");
  EXPECT_EQ(open[0].points, 1);
  EXPECT_EQ(open[0].caption, "blue");

  ui::MainWindow again;
  ASSERT_TRUE(again.openProject(project()));
  EXPECT_TRUE(again.statusBar()->currentMessage().contains("1 interrupted recording"));
  // The offer is a box that does not block the window.
  const auto boxes = again.findChildren<QMessageBox*>("recovery");
  ASSERT_EQ(boxes.size(), 1);
  EXPECT_FALSE(boxes[0]->isModal());
}

// Leaves an interrupted Type and Point recording of "square": "blue" typed
// at 0.2-0.5 s, one point at 0.1 s.
void leave_a_recording(const QString& project, double& now) {
  ui::MainWindow w;
  ASSERT_TRUE(w.openProject(project));
  w.setRecordingClock([&now] { return now; });
  w.imageList()->setCurrentRow(1);
  w.action("type-and-point")->trigger();
  now = 0.1;
  loctex::testing::move_pointer(*w.canvas(), {0.5, 0.5});
  for (int i = 0; i < 4; ++i) {
    now = 0.2 + 0.1 * i;
    QTest::keyClick(w.captionInput(), "blue"[i]);
  }
  w.close();
}

TEST_F(main_window_test, an_interrupted_recording_kept_as_a_draft_becomes_a_narrative) {
  leave_a_recording(project(), m_now);
  ui::MainWindow w;
  ASSERT_TRUE(w.openProject(project()));
  auto store = core::ProjectStore::open(project().toStdString());
  const auto open = core::unfinished_recordings(store);
  ASSERT_EQ(open.size(), 1u);
  ASSERT_TRUE(w.recoverRecording(open[0].id, ui::MainWindow::Recovery::save_as_draft));
  EXPECT_TRUE(core::unfinished_recordings(store).empty());
  const auto entries = store.list_narratives();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].status, core::NarrativeStatus::draft);
  const auto n = store.load_narrative(entries[0].id);
  EXPECT_EQ(n.caption, "blue");
  EXPECT_EQ(n.timed_caption, (std::vector<core::TimedUtterance>{{"blue", 0.2, 0.5}}));
  EXPECT_EQ(n.traces.size(), 1u);
  EXPECT_FALSE(w.recoverRecording(open[0].id, ui::MainWindow::Recovery::discard));  // gone already
}

TEST_F(main_window_test, an_interrupted_recording_continues_where_it_stopped) {
  leave_a_recording(project(), m_now);
  ui::MainWindow w;
  w.show();
  ASSERT_TRUE(w.openProject(project()));
  w.setRecordingClock([this] { return m_now; });
  auto store = core::ProjectStore::open(project().toStdString());
  const auto id = core::unfinished_recordings(store).at(0).id;
  ASSERT_TRUE(w.recoverRecording(id, ui::MainWindow::Recovery::resume));
  ASSERT_TRUE(w.session()->isRecording());
  EXPECT_EQ(w.imageList()->currentItem()->data(Qt::UserRole + 1).toString(), "square");
  EXPECT_EQ(w.captionInput()->caption().caption(), "blue");
  // Pointing and typing go on: a new segment, a new word.
  move_to(w, 0.6, 0.4, 2.0);
  type(w, " cube", 2.1, 0.1);  // ' ' at 2.1 ends "blue"; "cube" 2.2 .. 2.5
  w.action("stop-recording")->trigger();
  ASSERT_FALSE(w.session()->isRecording());
  const auto entries = store.list_narratives();
  ASSERT_EQ(entries.size(), 1u);
  const auto n = store.load_narrative(entries[0].id);
  EXPECT_EQ(n.caption, "blue cube");
  EXPECT_EQ(n.timed_caption, (std::vector<core::TimedUtterance>{{"blue", 0.2, 2.1}, {"cube", 2.2, 2.5}}));
  ASSERT_EQ(n.traces.size(), 2u);
  EXPECT_EQ(n.traces[0].front().t, 0.1);
  EXPECT_EQ(n.traces[1].front().t, 2.0);
  EXPECT_TRUE(core::unfinished_recordings(store).empty());
}

TEST_F(main_window_test, speak_and_point_records_voice_and_trace_then_transcript_and_tapped_word_times) {
  ui::MainWindow w;
  ASSERT_NO_FATAL_FAILURE(start_speaking(w, 0));
  EXPECT_EQ(w.speakAndPoint()->step(), Step::speaking);
  EXPECT_EQ(w.action("stop-recording")->text(), "&Stop Speaking");
  // One second of voice with a click at 0.5 s, while pointing.
  std::vector<std::int16_t> voice(16000, 0);
  voice[8000] = 20000;
  m_microphone->say(voice);
  EXPECT_GT(w.speakAndPoint()->levelMeter()->fill(), 0.9);
  for (int i = 0; i < 5; ++i) move_to(w, 0.2 + 0.1 * i, 0.5, 0.1 * (i + 1));
  m_now = 1.0;
  w.action("stop-recording")->trigger();  // speaking ends: type what was said
  EXPECT_EQ(w.speakAndPoint()->step(), Step::transcribing);
  EXPECT_EQ(w.action("stop-recording")->text(), "&Done Typing");
  EXPECT_TRUE(w.action("play-recording")->isEnabled());
  EXPECT_TRUE(w.speakAndPoint()->playback()->isPlaying());
  // The trace replays with the voice: 0.3 s into it, the pointer is where it was at 0.3 s.
  m_now = 1.3;
  EXPECT_TRUE(QTest::qWaitFor(
      [&] { return w.canvas()->pointer() && std::abs(w.canvas()->pointer()->x() - 0.4) < 1e-9; }, 2000));
  move_to(w, 0.9, 0.9, 1.2);  // no longer captured
  EXPECT_EQ(w.session()->capture().points(), 5);
  w.action("play-recording")->trigger();  // F9 pauses
  EXPECT_FALSE(w.speakAndPoint()->playback()->isPlaying());
  QTest::keyClicks(w.speakAndPoint()->transcriptEdit(), "a red circle");
  w.session()->flush();
  {
    auto store = core::ProjectStore::open(project().toStdString());
    EXPECT_EQ(core::unfinished_recordings(store).at(0).caption, "a red circle");  // saved as typed
  }
  m_now = 2.0;
  w.action("stop-recording")->trigger();  // typing ends: tap along from the start
  ASSERT_EQ(w.speakAndPoint()->step(), Step::tapping);
  EXPECT_EQ(w.action("stop-recording")->text(), "&Stop and Save");
  for (const double t : {0.125, 0.375, 0.625}) {  // binary fractions: 2.0 + t - 2.0 is exact
    m_now = 2.0 + t;
    QTest::keyClick(w.speakAndPoint()->tapAlong(), Qt::Key_Space);
  }
  w.action("stop-recording")->trigger();
  ASSERT_FALSE(w.session()->isRecording());

  auto store = core::ProjectStore::open(project().toStdString());
  EXPECT_TRUE(core::unfinished_recordings(store).empty());
  const auto entries = store.list_narratives();
  ASSERT_EQ(entries.size(), 1u);
  const auto n = store.load_narrative(entries[0].id);
  EXPECT_EQ(n.caption, "a red circle");
  EXPECT_EQ(n.timed_caption, (std::vector<core::TimedUtterance>{
                                 {"a", 0.125, 0.375}, {"red", 0.375, 0.625}, {"circle", 0.625, 1.0}}));
  ASSERT_EQ(n.traces.size(), 1u);
  EXPECT_EQ(n.traces[0].size(), 5u);
  EXPECT_EQ(n.traces[0].back().t, 0.5);
  // The voice is in the project, referenced as LN references voices.
  EXPECT_TRUE(n.voice_recording.starts_with("audio/recording-")) << n.voice_recording;
  const auto audio = store.audio_recordings(entries[0].id);
  ASSERT_EQ(audio.size(), 1u);
  EXPECT_EQ(audio[0].path, n.voice_recording);
  EXPECT_EQ(audio[0].sample_rate, 16000);
  EXPECT_DOUBLE_EQ(audio[0].duration_s, 1.0);
  const auto clip = core::read_audio(m_dir / "project" / n.voice_recording);
  EXPECT_EQ(clip.samples, voice);

  // Review plays the voice with the replay, on one clock.
  ASSERT_EQ(w.review()->narrativeId(), entries[0].id);
  ASSERT_TRUE(w.review()->voice()->loaded());
  m_now = 10;
  w.review()->seek(0.2);
  w.action("play")->trigger();
  EXPECT_TRUE(w.review()->voice()->isPlaying());
  EXPECT_DOUBLE_EQ(w.review()->voice()->position(), 0.2);
  m_now = 10.5;
  w.review()->seek(0.4);  // scrubbing while playing moves the voice too
  EXPECT_DOUBLE_EQ(w.review()->voice()->position(), 0.4);
  m_now = 10.8;
  EXPECT_TRUE(QTest::qWaitFor([&] { return std::abs(w.review()->position() - 0.7) < 1e-9; }, 2000))
      << w.review()->position();
  EXPECT_EQ(w.review()->words()->current(), 2);  // "circle", from 0.625 s
  w.action("play")->trigger();
  EXPECT_FALSE(w.review()->voice()->isPlaying());
}

// What alignment found is stored with the narrative ("loctex_alignment"),
// the words the annotator tapped marked corrected; review shows the voice's
// waveform under the words and the doubts still open, amber, until a
// re-time settles them.
TEST_F(main_window_test, speak_and_point_stores_the_alignment_and_review_shows_its_doubts_over_the_waveform) {
  ui::MainWindow w;
  ASSERT_NO_FATAL_FAILURE(start_speaking(w, 0, {1000, 650}));
  const auto speech = loctex::testing::speak(
      m_dir, {"a", "red", "circle", "sits", "in", "the", "middle", "of", "a", "grey", "picture"},
      {0.4, 0.15, 0.1, 0.3, 0.12, 0.1, 0.2, 0.1, 0.15, 0.1, 0.25});
  m_microphone->say(speech.clip.samples);
  for (int i = 0; i < 5; ++i) move_to(w, 0.3 + 0.1 * i, 0.5, 0.5 * (i + 1));
  m_now = speech.clip.duration();
  w.action("stop-recording")->trigger();  // speaking ends
  // "middle" said but not typed: "the" and "of" beside it are in doubt.
  QTest::keyClicks(w.speakAndPoint()->transcriptEdit(), "A red circle sits in the of a grey picture.");
  QSignalSpy aligned(w.speakAndPoint(), &ui::SpeakAndPointPanel::aligned);
  w.action("stop-recording")->trigger();  // typing ends: alignment runs
  ASSERT_TRUE(aligned.wait(60000));
  ASSERT_EQ(aligned.at(0).at(0).toString(), QString());
  auto* tap = w.speakAndPoint()->tapAlong();
  ASSERT_EQ(tap->cursor(), 5);  // "the", flagged
  w.speakAndPoint()->playback()->play(speech.truth[5].start);
  QTest::keyClick(tap, Qt::Key_Space);  // "the", by hand, where it is heard
  w.action("stop-recording")->trigger();
  ASSERT_FALSE(w.session()->isRecording());

  auto store = core::ProjectStore::open(project().toStdString());
  const auto id = store.list_narratives().at(0).id;
  const auto n = store.load_narrative(id);
  ASSERT_TRUE(n.extra.contains("loctex_alignment"));
  const auto& record = n.extra["loctex_alignment"];
  ASSERT_EQ(record["words"].size(), 10u);
  EXPECT_EQ(record["words"][5].value("corrected", false), true);  // "the", tapped
  EXPECT_FALSE(record["words"][6].contains("corrected"));
  EXPECT_LT(record["words"][6]["confidence"].get<double>(), 0.5);  // "of", still in doubt
  EXPECT_EQ(record["words"][0]["confidence"].get<double>(), 1.0);
  ASSERT_EQ(record["untyped_speech"].size(), 1u);  // where "middle" was said
  EXPECT_NEAR(record["untyped_speech"][0][0].get<double>(), speech.truth[6].start, 0.05);
  EXPECT_NEAR(n.timed_caption[1].start_time, speech.truth[1].start, 0.05);  // "red", as found

  // Review: the waveform of the voice under the words, "of" amber.
  ASSERT_EQ(w.review()->narrativeId(), id);
  auto* timeline = w.review()->timeline();
  EXPECT_EQ(timeline->waveform().size(), ui::WordTimeline::kWaveformSlices);
  EXPECT_GT(*std::max_element(timeline->waveform().begin(), timeline->waveform().end()), 0.3f);
  std::vector<bool> expected(10, false);
  expected[6] = true;
  EXPECT_EQ(timeline->flagged(), expected);
  EXPECT_TRUE(w.review()->words()->flagged(6));
  EXPECT_FALSE(w.review()->words()->flagged(5));
  EXPECT_TRUE(loctex::testing::save_screenshot(w, "main_window_review_alignment_doubts"));
  // Re-timing "of" settles it: stored as corrected, no longer amber.
  w.review()->setWordSpan(6, speech.truth[7].start, speech.truth[7].end);
  EXPECT_EQ(store.load_narrative(id).extra["loctex_alignment"]["words"][6].value("corrected", false), true);
  EXPECT_EQ(w.review()->timeline()->flagged(), std::vector<bool>(10, false));
  EXPECT_FALSE(w.review()->words()->flagged(6));
}

TEST_F(main_window_test, without_a_microphone_speak_and_point_says_so_and_keeps_nothing) {
  ui::MainWindow w;
  ASSERT_NO_FATAL_FAILURE(show_with_project(w, {900, 600}));
  if (QMediaDevices::audioInputs().isEmpty()) {
    // The system's own input, as the app uses it: none on this machine.
    w.imageList()->setCurrentRow(0);
    w.action("speak-and-point")->trigger();
    EXPECT_TRUE(
        w.statusBar()->currentMessage().startsWith("Cannot record your voice: no microphone was found"))
        << w.statusBar()->currentMessage().toStdString();
    EXPECT_FALSE(w.session()->isRecording());
  }
  w.setMicrophoneFactory(
      [] { return std::make_unique<FakeMicrophone>(16000, "the microphone \"USB\" could not be opened"); });
  w.imageList()->setCurrentRow(1);
  w.action("speak-and-point")->trigger();
  const QString message = w.statusBar()->currentMessage();
  EXPECT_TRUE(message.contains("could not be opened")) << message.toStdString();
  EXPECT_TRUE(message.contains("Type and Point (Ctrl+T) records without a microphone"))
      << message.toStdString();
  EXPECT_FALSE(w.session()->isRecording());
  EXPECT_TRUE(w.action("speak-and-point")->isEnabled());
  auto store = core::ProjectStore::open(project().toStdString());
  EXPECT_TRUE(core::unfinished_recordings(store).empty());
  EXPECT_TRUE(voices().empty());
}

TEST_F(main_window_test, discarding_speak_and_point_deletes_its_voice) {
  ui::MainWindow w;
  ASSERT_NO_FATAL_FAILURE(start_speaking(w, 0));
  m_microphone->say(std::vector<std::int16_t>(1600, 7));
  ASSERT_EQ(voices().size(), 1u);
  w.action("discard-recording")->trigger();
  EXPECT_FALSE(w.session()->isRecording());
  EXPECT_EQ(w.speakAndPoint()->step(), Step::idle);
  EXPECT_TRUE(voices().empty());
  auto store = core::ProjectStore::open(project().toStdString());
  EXPECT_TRUE(core::unfinished_recordings(store).empty());
}

TEST_F(main_window_test, an_interrupted_speak_and_point_recording_goes_on_with_its_transcript) {
  {
    ui::MainWindow w;
    ASSERT_NO_FATAL_FAILURE(start_speaking(w, 1));
    m_microphone->say(std::vector<std::int16_t>(32000, 3));
    move_to(w, 0.5, 0.5, 0.4);
    m_now = 2.0;
    w.action("stop-recording")->trigger();
    QTest::keyClicks(w.speakAndPoint()->transcriptEdit(), "a blue");
    w.close();  // as if the app went away: the journal and the voice stay
  }
  ui::MainWindow w;
  ASSERT_NO_FATAL_FAILURE(show_with_project(w, {900, 600}));
  w.setRecordingClock([this] { return m_now; });
  use_fake_microphone(w);
  auto store = core::ProjectStore::open(project().toStdString());
  const auto open = core::unfinished_recordings(store);
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].mode, core::RecordingMode::speak_and_point);
  ASSERT_TRUE(w.recoverRecording(open[0].id, ui::MainWindow::Recovery::resume));
  EXPECT_EQ(w.speakAndPoint()->step(), Step::transcribing);
  EXPECT_EQ(w.speakAndPoint()->transcriptEdit()->toPlainText(), "a blue");
  EXPECT_DOUBLE_EQ(w.speakAndPoint()->duration(), 2.0);
  move_to(w, 0.1, 0.1, 3.0);  // speaking is over: not captured
  QTest::keyClicks(w.speakAndPoint()->transcriptEdit(), " square");
  w.action("stop-recording")->trigger();
  w.action("stop-recording")->trigger();  // saved without tapping: the words share the two seconds
  ASSERT_FALSE(w.session()->isRecording());
  const auto n = store.load_narrative(store.list_narratives().at(0).id);
  EXPECT_EQ(n.caption, "a blue square");
  ASSERT_EQ(n.timed_caption.size(), 3u);
  EXPECT_DOUBLE_EQ(n.timed_caption[1].start_time, 2.0 * 1 / 11);
  EXPECT_DOUBLE_EQ(n.timed_caption[2].end_time, 2.0);
  EXPECT_EQ(n.traces, (std::vector<core::TraceSegment>{{{0.5, 0.5, 0.4}}}));
  EXPECT_EQ(store.audio_recordings(store.list_narratives().at(0).id).size(), 1u);
}

TEST_F(main_window_test, discard_keeps_nothing_and_every_action_has_a_shortcut) {
  ui::MainWindow w;
  w.show();
  ASSERT_TRUE(w.openProject(project()));
  w.imageList()->setCurrentRow(0);
  w.action("type-and-point")->trigger();
  ASSERT_TRUE(w.session()->isRecording());
  w.action("discard-recording")->trigger();
  EXPECT_FALSE(w.session()->isRecording());
  auto store = core::ProjectStore::open(project().toStdString());
  EXPECT_TRUE(core::unfinished_recordings(store).empty());
  EXPECT_EQ(store.narrative_count(), 0u);
  for (const char* name : {"new-project",
                           "open-project",
                           "add-images",
                           "add-image-folder",
                           "import",
                           "export-all",
                           "export-accepted",
                           "speak-and-point",
                           "type-and-point",
                           "retrace",
                           "retrace-faster",
                           "retrace-slower",
                           "annotator",
                           "play",
                           "accept",
                           "reject",
                           "undo",
                           "redo",
                           "zoom-in",
                           "zoom-out",
                           "zoom-fit",
                           "play-recording",
                           "skip-back",
                           "skip-forward",
                           "stop-recording",
                           "discard-recording",
                           "shortcuts",
                           "quit"}) {
    ASSERT_NE(w.action(name), nullptr) << name;
    EXPECT_FALSE(w.action(name)->shortcut().isEmpty()) << name;
  }
  EXPECT_EQ(w.action("shortcuts")->shortcut(), QKeySequence(QKeySequence::HelpContents));
  // The frequent ones are on the toolbar too, their keys in the tooltip.
  auto* tools = w.findChild<QToolBar*>("main-toolbar");
  ASSERT_NE(tools, nullptr);
  for (const char* name : {"speak-and-point", "type-and-point", "retrace", "stop-recording",
                           "discard-recording", "play", "accept", "reject", "undo", "redo"})
    EXPECT_TRUE(tools->actions().contains(w.action(name))) << name;
  EXPECT_EQ(w.action("speak-and-point")->toolTip(), "Speak and Point (Ctrl+R)");
  QSignalSpy opened(&w, &ui::MainWindow::projectOpened);
  EXPECT_FALSE(w.openProject(QString::fromStdString((m_dir / "nowhere").string())));
  EXPECT_TRUE(w.hasProject());  // the open project stays
  EXPECT_EQ(opened.count(), 0);
  // Opening one says so, with its folder (Training follows it).
  make_one_image_project(m_dir.path(), m_dir / "other");
  ASSERT_TRUE(w.openProject(QString::fromStdString((m_dir / "other").string())));
  ASSERT_EQ(opened.count(), 1);
  EXPECT_EQ(opened.at(0).at(0).toString(), w.projectFolder());
  EXPECT_EQ(fs::path(w.projectFolder().toStdString()), m_dir / "other");
}

TEST_F(main_window_test, import_and_export_from_the_file_menu_round_trip) {
  core::SynthOptions synth;
  synth.count = 3;
  synth.width = 96;
  synth.height = 64;
  const auto set = core::write_synthetic_set(synth, m_dir / "synth");
  // A bad line among good ones: skipped and counted (lenient), the rest imported.
  const fs::path input = m_dir / "input.jsonl";
  const std::string good = loctex::testing::read_text(set.narratives_file);
  loctex::testing::write_text(input, good + "{\"dataset_id\": 3}\n");

  ui::MainWindow w;
  ASSERT_TRUE(w.openProject(project()));
  const auto report = w.importNarratives(QString::fromStdString(input.string()),
                                         QString::fromStdString(set.images_dir.string()));
  EXPECT_EQ(report.imported, 3u);
  EXPECT_EQ(report.skipped, 1u);
  EXPECT_EQ(w.imageList()->count(), 5);        // 2 of the project's own + 3 imported
  EXPECT_EQ(w.progressText(), "3 of 5 done");  // LN imports arrive as done
  EXPECT_TRUE(w.statusBar()->currentMessage().contains(QString::fromStdString(input.string()) + ":4:"));

  // Exported, the narratives are the input's bytes again.
  const fs::path all = m_dir / "out" / "all.jsonl";
  EXPECT_EQ(w.exportNarratives(QString::fromStdString(all.string()), false), 3);
  EXPECT_EQ(loctex::testing::read_text(all), good);
  const fs::path accepted = m_dir / "out" / "accepted.jsonl";
  EXPECT_EQ(w.exportNarratives(QString::fromStdString(accepted.string()), true), 0);
  EXPECT_EQ(loctex::testing::read_text(accepted), "");
  // An unwritable target: -1 and the reason in the status bar.
  EXPECT_EQ(w.exportNarratives(QString::fromStdString((m_dir / "input.jsonl" / "x.jsonl").string()), false),
            -1);
  EXPECT_FALSE(w.statusBar()->currentMessage().isEmpty());
}

TEST_F(main_window_test, retrace_shows_a_caption_word_by_word_and_keeps_the_schedule_as_word_times) {
  {
    auto store = core::ProjectStore::open(project().toStdString());
    core::Narrative caption_only;  // as imported caption-only data arrives: no times, no trace
    caption_only.dataset_id = "demo";
    caption_only.image_id = "circle";
    caption_only.annotator_id = 1;
    caption_only.caption = "a big red circle";
    store.add_narrative(caption_only, core::NarrativeStatus::done);
  }
  QSettings().setValue("retrace_wpm", 120.0);  // 2 words a second on average
  ui::MainWindow w;
  ASSERT_NO_FATAL_FAILURE(show_with_project(w, {800, 560}));
  w.setRecordingClock([this] { return m_now; });
  w.setAnnotatorId(8);
  w.imageList()->setCurrentRow(0);
  w.action("retrace")->trigger();
  ASSERT_TRUE(w.session()->isRecording());
  ASSERT_NE(w.retraceSchedule(), nullptr);
  EXPECT_EQ(w.karaoke()->words(), QStringList({"a", "big", "red", "circle"}));
  const auto schedule = w.retraceSchedule()->timed_words();
  ASSERT_EQ(schedule.size(), 4u);
  EXPECT_NEAR(schedule.back().end_time, 2.0, 1e-9);

  // The highlight follows the clock; the annotator points along.
  for (std::size_t i = 0; i < schedule.size(); ++i) {
    const double t = (schedule[i].start_time + schedule[i].end_time) / 2;
    move_to(w, 0.3 + 0.1 * static_cast<double>(i), 0.5, t);
    EXPECT_TRUE(QTest::qWaitFor([&] { return w.karaoke()->current() == static_cast<int>(i); }, 5000)) << i;
    if (i == 2) {  // the screenshot docs/recording.md shows: "red" highlighted
      EXPECT_TRUE(loctex::testing::save_screenshot(w, "main_window_retrace"));
    }
  }
  m_now = 2.5;
  EXPECT_TRUE(QTest::qWaitFor([&] { return w.karaoke()->current() == -1; }, 5000));
  w.action("stop-recording")->trigger();
  ASSERT_FALSE(w.session()->isRecording());
  EXPECT_EQ(w.retraceSchedule(), nullptr);

  auto store = core::ProjectStore::open(project().toStdString());
  const auto entries = store.list_narratives();
  ASSERT_EQ(entries.size(), 2u);
  const auto n = store.load_narrative(entries[1].id);
  EXPECT_EQ(n.annotator_id, 8);
  EXPECT_EQ(n.caption, "a big red circle");
  EXPECT_EQ(n.timed_caption, schedule);
  ASSERT_EQ(n.traces.size(), 1u);
  EXPECT_EQ(n.traces[0].size(), 4u);
}

TEST_F(main_window_test, retrace_pace_changes_time_the_rest_and_are_remembered) {
  {
    auto store = core::ProjectStore::open(project().toStdString());
    core::Narrative n;
    n.dataset_id = "demo";
    n.image_id = "square";
    n.caption = "aa bb cc dd";
    store.add_narrative(n);
  }
  QSettings().setValue("retrace_wpm", 60.0);  // equal words: a second each
  ui::MainWindow w;
  ASSERT_TRUE(w.openProject(project()));
  w.setRecordingClock([this] { return m_now; });
  w.imageList()->setCurrentRow(1);
  m_now = 0;
  w.action("retrace")->trigger();
  m_now = 1.5;  // in "bb"
  w.action("retrace-faster")->trigger();
  const auto& words = w.retraceSchedule()->timed_words();
  EXPECT_NEAR(words[1].end_time, 1.0 + 1 / 1.1, 1e-9);
  EXPECT_NEAR(words[3].end_time, 1.0 + 3 / 1.1, 1e-9);
  EXPECT_NEAR(QSettings().value("retrace_wpm").toDouble(), 66.0, 1e-9);
  w.action("discard-recording")->trigger();
  // Without a caption there is nothing to re-trace.
  auto store = core::ProjectStore::open(project().toStdString());
  store.remove_narrative(store.list_narratives().at(0).id);
  ui::MainWindow other;
  ASSERT_TRUE(other.openProject(project()));
  other.imageList()->setCurrentRow(1);
  other.action("retrace")->trigger();
  EXPECT_FALSE(other.session()->isRecording());
  EXPECT_TRUE(other.statusBar()->currentMessage().contains("no caption"));
}

TEST_F(main_window_test, review_replays_a_narrative_and_accepts_it_undoably) {
  std::int64_t id = 0;
  {
    auto store = core::ProjectStore::open(project().toStdString());
    core::Narrative n;
    n.dataset_id = "demo";
    n.image_id = "circle";
    n.annotator_id = 2;
    n.caption = "In this image";
    n.timed_caption = {{"In this", 0.5, 1.0}, {"image", 1.2, 2.0}};
    n.traces = {{{0.2, 0.2, 0.4}, {0.6, 0.4, 0.9}}, {{0.5, 0.5, 1.5}, {0.7, 0.5, 2.5}}};
    id = store.add_narrative(n, core::NarrativeStatus::done);
  }
  ui::MainWindow w;
  EXPECT_FALSE(w.reviewedNarrative().has_value());  // no project
  ASSERT_NO_FATAL_FAILURE(show_with_project(w, {900, 600}));
  w.imageList()->setCurrentRow(0);
  ASSERT_EQ(w.review()->narrativeId(), id);     // the image's narrative is up for review
  const auto reviewed = w.reviewedNarrative();  // what Tools > Inspect Narrative takes
  ASSERT_TRUE(reviewed.has_value());
  EXPECT_EQ(reviewed->first.caption, "In this image");
  EXPECT_EQ(reviewed->second.filename(), "circle.jpg");
  EXPECT_TRUE(w.action("accept")->isEnabled());
  EXPECT_EQ(w.review()->words()->words(), QStringList({"In", "this", "image"}));
  EXPECT_DOUBLE_EQ(w.review()->position(), 0.4);

  // Scrubbing: the pointer halfway along the first stroke, the second word said.
  w.review()->seek(0.65);
  ASSERT_TRUE(w.canvas()->pointer().has_value());
  EXPECT_NEAR(w.canvas()->pointer()->x(), 0.4, 1e-12);
  EXPECT_NEAR(w.canvas()->pointer()->y(), 0.3, 1e-12);
  EXPECT_EQ(w.review()->words()->current(), 0);
  w.review()->seek(0.8);
  EXPECT_EQ(w.review()->words()->current(), 1);
  w.review()->seek(1.1);  // between segments and between utterances
  EXPECT_FALSE(w.canvas()->pointer().has_value());
  EXPECT_EQ(w.review()->words()->current(), -1);
  // Clicking a word jumps to it and lays its trace heatmap over the image:
  // "image" was said while the pointer was at (0.5, 0.5).
  const QRect word = w.review()->words()->wordRect(2);
  ASSERT_FALSE(word.isEmpty());
  QTest::mouseClick(w.review()->words(), Qt::LeftButton, Qt::NoModifier, word.center());
  EXPECT_DOUBLE_EQ(w.review()->position(), 1.2);
  const auto& heat = w.canvas()->heatmap();
  ASSERT_EQ(heat.size(), 16u * 16u);  // core/heatmap.h's default grid
  double sum = 0, cx = 0, cy = 0;
  for (int j = 0; j < 16; ++j)
    for (int i = 0; i < 16; ++i) {
      const double v = heat[static_cast<std::size_t>(j * 16 + i)];
      sum += v;
      cx += v * (i + 0.5);
      cy += v * (j + 0.5);
    }
  EXPECT_NEAR(sum, 1.0, 1e-9);
  EXPECT_NEAR(cx / sum / 16, 0.5, 0.02);
  EXPECT_NEAR(cy / sum / 16, 0.5, 0.02);
  w.review()->seek(2.0);
  EXPECT_TRUE(loctex::testing::save_screenshot(w, "main_window_review"));
  // Playing runs on its own from where it is, to the end.
  w.action("play")->trigger();
  EXPECT_TRUE(w.review()->playing());
  EXPECT_TRUE(QTest::qWaitFor([&] { return !w.review()->playing(); }, 5000));
  EXPECT_DOUBLE_EQ(w.review()->position(), 2.5);

  // Accept with a comment; undo and redo.
  w.review()->findChild<QLineEdit*>("review-comment")->setText("clear and well pointed");
  w.action("accept")->trigger();
  auto store = core::ProjectStore::open(project().toStdString());
  EXPECT_EQ(store.narrative_entry(id).status, core::NarrativeStatus::accepted);
  EXPECT_EQ(store.narrative_entry(id).review_comment, "clear and well pointed");
  EXPECT_EQ(w.progressText(), "1 of 2 done");
  w.action("undo")->trigger();
  EXPECT_EQ(store.narrative_entry(id).status, core::NarrativeStatus::done);
  EXPECT_EQ(store.narrative_entry(id).review_comment, "");
  w.action("redo")->trigger();
  EXPECT_EQ(store.narrative_entry(id).status, core::NarrativeStatus::accepted);
  w.action("reject")->trigger();
  EXPECT_EQ(store.narrative_entry(id).status, core::NarrativeStatus::rejected);
  EXPECT_TRUE(w.imageList()->item(0)->text().endsWith("rejected"));
  EXPECT_EQ(w.progressText(), "0 of 2 done");
}

TEST_F(main_window_test, a_folder_of_images_is_added_and_unreadable_files_are_named) {
  ui::MainWindow w;
  ASSERT_NO_FATAL_FAILURE(show_with_project(w, {800, 500}));
  const fs::path folder = m_dir / "photos";
  fs::create_directories(folder / "sub");
  ASSERT_TRUE(
      cv::imwrite((folder / "beach.jpg").string(), cv::Mat(40, 60, CV_8UC3, cv::Scalar(200, 180, 20))));
  ASSERT_TRUE(cv::imwrite((folder / "DOG.PNG").string(), cv::Mat(30, 30, CV_8UC3, cv::Scalar(20, 80, 120))));
  ASSERT_TRUE(cv::imwrite((folder / "sub/deep.jpg").string(), cv::Mat(30, 30, CV_8UC3, cv::Scalar(1, 2, 3))));
  loctex::testing::write_text(folder / "broken.jpg", "not a JPEG");
  loctex::testing::write_text(folder / "notes.txt", "not an image");
  EXPECT_EQ(w.addImages({QString::fromStdString(folder.string())}), 2);
  const QString message = w.statusBar()->currentMessage();
  EXPECT_TRUE(message.startsWith("Added 2 images; 1 could not be read, the first: "))
      << message.toStdString();
  EXPECT_TRUE(message.contains("broken.jpg")) << message.toStdString();
  EXPECT_EQ(w.imageList()->count(), 4);  // circle and square, and the two added
  auto store = core::ProjectStore::open(project().toStdString());
  const auto dog = store.find_image("local", "DOG");
  ASSERT_TRUE(dog.has_value());
  EXPECT_EQ(dog->width, 30);
  EXPECT_TRUE(store.find_image("local", "beach").has_value());
  EXPECT_FALSE(store.find_image("local", "deep").has_value());  // subfolders are not searched
}

TEST_F(main_window_test, an_imported_narrative_plays_the_voice_its_voice_recording_names_in_the_project) {
  std::int64_t with_file = 0, without_file = 0;
  {
    auto store = core::ProjectStore::open(project().toStdString());
    core::Narrative n;
    n.dataset_id = "demo";
    n.image_id = "circle";
    n.caption = "a circle";
    n.timed_caption = {{"a circle", 0.5, 1.0}};
    n.traces = {{{0.2, 0.2, 0.4}, {0.6, 0.4, 0.9}}};
    n.voice_recording = "voices/circle.wav";  // as Google's data names its OGG files
    with_file = store.add_narrative(n);
    n.image_id = "square";
    n.voice_recording = "voices/missing.ogg";
    without_file = store.add_narrative(n);
    core::WavWriter(m_dir / "project/voices/circle.wav", 8000).write_silence(12000);
  }
  ui::MainWindow w;
  ASSERT_NO_FATAL_FAILURE(show_with_project(w, {900, 600}));
  w.imageList()->setCurrentRow(0);
  ASSERT_EQ(w.review()->narrativeId(), with_file);
  ASSERT_TRUE(w.review()->voice()->loaded());
  EXPECT_DOUBLE_EQ(w.review()->voice()->duration(), 1.5);
  w.imageList()->setCurrentRow(1);
  ASSERT_EQ(w.review()->narrativeId(), without_file);
  EXPECT_FALSE(w.review()->voice()->loaded());  // replays silently
}

TEST_F(main_window_test, accepting_an_older_narrative_keeps_it_under_review) {
  std::int64_t older = 0, newer = 0;
  {
    auto store = core::ProjectStore::open(project().toStdString());
    core::Narrative n;
    n.dataset_id = "demo";
    n.image_id = "circle";
    n.caption = "first";
    older = store.add_narrative(n, core::NarrativeStatus::done);
    n.caption = "second";
    newer = store.add_narrative(n, core::NarrativeStatus::done);
  }
  ui::MainWindow w;
  ASSERT_NO_FATAL_FAILURE(show_with_project(w, {900, 600}));
  w.imageList()->setCurrentRow(0);
  ASSERT_EQ(w.review()->narrativeId(), newer);  // the newest opens first
  w.reviewNarrative(older);
  w.action("accept")->trigger();
  EXPECT_EQ(w.review()->narrativeId(), older);  // still the one accepted
  w.action("undo")->trigger();
  EXPECT_EQ(w.review()->narrativeId(), older);
  auto store = core::ProjectStore::open(project().toStdString());
  EXPECT_EQ(store.narrative_entry(older).status, core::NarrativeStatus::done);
}

TEST_F(main_window_test, opening_another_project_leaves_nothing_of_the_first_acting_on_it) {
  leave_a_recording(project(), m_now);
  {
    auto store = core::ProjectStore::open(project().toStdString());
    core::Narrative n;
    n.dataset_id = "demo";
    n.image_id = "circle";
    n.caption = "a circle";
    store.add_narrative(n, core::NarrativeStatus::done);
  }
  ui::MainWindow w;
  ASSERT_NO_FATAL_FAILURE(show_with_project(w, {900, 600}));
  ASSERT_EQ(w.findChildren<QMessageBox*>("recovery").size(), 1);
  w.imageList()->setCurrentRow(0);
  w.action("accept")->trigger();
  ASSERT_TRUE(w.action("undo")->isEnabled());
  const fs::path other = m_dir / "other";
  core::ProjectStore::create(other);
  ASSERT_TRUE(w.openProject(QString::fromStdString(other.string())));
  EXPECT_FALSE(w.action("undo")->isEnabled());  // the first project's steps are gone
  EXPECT_TRUE(QTest::qWaitFor([&] {
    for (auto* box : w.findChildren<QMessageBox*>("recovery"))
      if (box->isVisible()) return false;
    return true;
  }));
  EXPECT_EQ(w.review()->narrativeId(), 0);  // nothing of the first under review
  EXPECT_EQ(w.imageList()->count(), 0);
}

TEST_F(main_window_test, the_image_list_has_thumbnails_and_filters_by_state) {
  {
    auto store = core::ProjectStore::open(project().toStdString());
    core::Narrative n;
    n.dataset_id = "demo";
    n.image_id = "square";
    n.caption = "a square";
    store.add_narrative(n, core::NarrativeStatus::accepted);
  }
  ui::MainWindow w;
  ASSERT_TRUE(w.openProject(project()));
  ASSERT_EQ(w.imageList()->count(), 2);
  for (int i = 0; i < 2; ++i) {
    const QIcon icon = w.imageList()->item(i)->icon();
    ASSERT_FALSE(icon.isNull());
    // 320×240 fitted into 48×48.
    EXPECT_EQ(icon.availableSizes().value(0), QSize(48, 36));
  }
  auto* filter = w.findChild<QComboBox*>("state-filter");
  ASSERT_NE(filter, nullptr);
  filter->setCurrentIndex(filter->findData(QString("accepted")));
  EXPECT_TRUE(w.imageList()->item(0)->isHidden());  // circle: to do
  EXPECT_FALSE(w.imageList()->item(1)->isHidden());
  filter->setCurrentIndex(filter->findData(QString("to do")));
  EXPECT_FALSE(w.imageList()->item(0)->isHidden());
  EXPECT_TRUE(w.imageList()->item(1)->isHidden());
  filter->setCurrentIndex(0);
  EXPECT_FALSE(w.imageList()->item(1)->isHidden());
  EXPECT_EQ(w.progressText(), "1 of 2 done");  // counted over all images, whatever the filter
}

TEST_F(main_window_test, review_edits_a_word_and_its_span_undoably) {
  std::int64_t id = 0;
  core::Narrative original;
  {
    auto store = core::ProjectStore::open(project().toStdString());
    original.dataset_id = "demo";
    original.image_id = "circle";
    original.caption = "In this image";
    original.timed_caption = {{"In this", 0.0, 1.2}, {"image", 2.0, 3.0}};
    original.traces = {{{0.2, 0.2, 0.0}, {0.6, 0.4, 3.0}}};
    id = store.add_narrative(original, core::NarrativeStatus::done);
  }
  ui::MainWindow w;
  ASSERT_NO_FATAL_FAILURE(show_with_project(w, {900, 600}));
  w.imageList()->setCurrentRow(0);
  ASSERT_EQ(w.review()->narrativeId(), id);
  auto store = core::ProjectStore::open(project().toStdString());

  // Rename: pick "image" on the timeline, type the new word, Enter.
  auto* timeline = w.review()->timeline();
  QTest::mouseClick(timeline, Qt::LeftButton, Qt::NoModifier,
                    QPoint(static_cast<int>(timeline->xAt(2.5)), timeline->height() / 2));
  ASSERT_EQ(w.review()->focusedWord(), 2);
  auto* word_box = w.review()->findChild<QLineEdit*>("word-text");
  ASSERT_NE(word_box, nullptr);
  EXPECT_EQ(word_box->text(), "image");
  word_box->setText("picture");
  QTest::keyClick(word_box, Qt::Key_Return);
  EXPECT_EQ(store.load_narrative(id).caption, "In this picture");
  EXPECT_EQ(store.load_narrative(id).timed_caption.size(), 3u);  // one utterance a word now
  // A word with a space is refused, with the reason in the status bar.
  w.review()->renameWord(0, "two words");
  EXPECT_TRUE(w.statusBar()->currentMessage().contains("one word"));

  // Re-time: drag the right edge of "this" (0.4 .. 1.2) to 1.6 s.
  const int y = timeline->height() / 2;
  QTest::mousePress(timeline, Qt::LeftButton, Qt::NoModifier,
                    QPoint(static_cast<int>(timeline->xAt(1.2)), y));
  QTest::mouseRelease(timeline, Qt::LeftButton, Qt::NoModifier,
                      QPoint(static_cast<int>(timeline->xAt(1.6)), y));
  const auto timed = store.load_narrative(id).timed_caption;
  EXPECT_NEAR(timed[1].end_time, 1.6, 3.0 / timeline->width());  // within a pixel of time
  EXPECT_EQ(timed[2].start_time, 2.0);

  // Undo twice: the stored narrative is the original again; redo renames it.
  w.action("undo")->trigger();
  w.action("undo")->trigger();
  EXPECT_EQ(store.load_narrative(id), original);
  w.action("redo")->trigger();
  EXPECT_EQ(store.load_narrative(id).caption, "In this picture");
  EXPECT_EQ(w.review()->narrative()->caption, "In this picture");  // the panel shows what is stored
}

// The app killed mid-recording: a child process makes its own offscreen
// window on the project, records with `record` (which returns false if it
// could not), reports once the session has flushed, and is killed with
// SIGKILL. The parent (which never made a QApplication, so forking is safe)
// then checks the project.
void kill_while_recording(const fs::path& dir, const fs::path& project,
                          const std::function<bool(ui::MainWindow&, double& now)>& record) {
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(ready[0]);
    loctex::testing::qt_app();
    use_settings_in(dir);
    ui::MainWindow w;
    if (!w.openProject(QString::fromStdString(project.string()))) ::_exit(2);
    double now = 0;
    w.setRecordingClock([&now] { return now; });
    w.imageList()->setCurrentRow(0);
    if (!record(w, now)) ::_exit(3);
    QSignalSpy flushed(w.session(), &ui::RecordingSession::flushed);
    if (!flushed.wait(10000)) ::_exit(4);  // the session's own timer flushes
    const char byte = 1;
    if (::write(ready[1], &byte, 1) != 1) ::_exit(5);
    for (;;) ::pause();  // killed here, mid-recording
  }
  ::close(ready[1]);
  char byte = 0;
  ASSERT_EQ(::read(ready[0], &byte, 1), 1) << "the recording child died before it flushed";
  ::close(ready[0]);
  ASSERT_EQ(::kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status));
}

TEST(main_window_kill_test, a_window_killed_mid_recording_leaves_everything_flushed_for_recovery) {
  TempDir dir;
  const fs::path project = dir / "project";
  ASSERT_NO_FATAL_FAILURE(make_one_image_project(dir.path(), project));
  ASSERT_NO_FATAL_FAILURE(kill_while_recording(dir.path(), project, [](ui::MainWindow& w, double& now) {
    w.action("type-and-point")->trigger();
    for (int i = 0; i < 30; ++i) {
      now = i / 60.0;
      loctex::testing::move_pointer(*w.canvas(), {0.2 + 0.02 * i, 0.5});
    }
    now = 0.6;
    QTest::keyClick(w.captionInput(), 'a');
    QTest::keyClick(w.captionInput(), ' ');
    return true;
  }));
  auto store = core::ProjectStore::open(project);
  const auto open = core::unfinished_recordings(store);
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].image_id, "img");
  EXPECT_EQ(open[0].mode, core::RecordingMode::type_and_point);
  EXPECT_EQ(open[0].points, 30);
  EXPECT_EQ(open[0].caption, "a");
  EXPECT_EQ(store.narrative_count(), 0u);
}

// The same for Speak and Point: the voice said before the kill is in its
// WAV, whole and playable, beside the journal's trace.
TEST(main_window_kill_test, a_window_killed_while_speaking_leaves_its_voice_playable) {
  TempDir dir;
  const fs::path project = dir / "project";
  ASSERT_NO_FATAL_FAILURE(make_one_image_project(dir.path(), project));
  std::vector<std::int16_t> voice(24000);
  for (std::size_t i = 0; i < voice.size(); ++i) voice[i] = static_cast<std::int16_t>((i * 37) % 2000 - 1000);
  ASSERT_NO_FATAL_FAILURE(kill_while_recording(dir.path(), project, [&voice](ui::MainWindow& w, double& now) {
    FakeMicrophone* microphone = nullptr;
    w.setMicrophoneFactory([&microphone] {
      auto made = std::make_unique<FakeMicrophone>(16000);
      microphone = made.get();
      return made;
    });
    w.action("speak-and-point")->trigger();
    if (!microphone) return false;
    for (int i = 0; i < 12; ++i) {
      now = i / 8.0;
      loctex::testing::move_pointer(*w.canvas(), {0.3, 0.2 + 0.05 * i});
      microphone->say(std::span(voice).subspan(static_cast<std::size_t>(i) * 2000, 2000));
    }
    return true;
  }));
  auto store = core::ProjectStore::open(project);
  const auto open = core::unfinished_recordings(store);
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].mode, core::RecordingMode::speak_and_point);
  EXPECT_EQ(open[0].points, 12);
  const auto file = core::RecordingJournal::resume(store, open[0].id).voice_file().value();
  EXPECT_EQ(core::read_audio(file).samples, voice);
}

TEST_F(main_window_test, the_annotator_id_is_a_setting_asked_for_in_a_dialog_and_remembered) {
  ui::MainWindow w;
  ASSERT_NO_FATAL_FAILURE(show_with_project(w, {800, 500}));
  EXPECT_EQ(w.annotatorId(), 1);  // the default
  w.action("annotator")->trigger();
  auto* dialog = w.findChild<QInputDialog*>("annotator-dialog");
  ASSERT_NE(dialog, nullptr);
  EXPECT_TRUE(dialog->isVisible());
  dialog->setIntValue(42);
  dialog->accept();
  EXPECT_EQ(w.annotatorId(), 42);
  ui::MainWindow later;  // a new start reads it back
  EXPECT_EQ(later.annotatorId(), 42);
  // Recording uses it.
  w.imageList()->setCurrentRow(0);
  w.action("type-and-point")->trigger();
  EXPECT_FALSE(w.action("annotator")->isEnabled());  // not while recording
  w.action("stop-recording")->trigger();
  auto store = core::ProjectStore::open(project().toStdString());
  EXPECT_EQ(store.list_narratives().at(0).annotator_id, 42);
}

TEST_F(main_window_test, the_window_paints_with_the_palette_it_is_given_dark_or_light) {
  ui::MainWindow w;
  ASSERT_NO_FATAL_FAILURE(show_with_project(w, {800, 500}));
  w.imageList()->setCurrentRow(1);  // no narrative: the caption box shows
  for (const QColor base : {QColor(30, 30, 34), QColor(250, 250, 250)}) {
    QPalette palette = QApplication::palette();
    palette.setColor(QPalette::Base, base);
    palette.setColor(QPalette::Window, base.darker(110));
    palette.setColor(QPalette::Text, base.lightness() < 128 ? Qt::white : Qt::black);
    w.setPalette(palette);  // what a system theme change does to every widget
    const QImage canvas = w.canvas()->grab().toImage();
    // The band round the image and the caption box paint in Base.
    EXPECT_EQ(canvas.pixelColor(w.canvas()->toWidget({-0.05, 0.5}).toPoint()), base);
    const QImage caption = w.captionInput()->grab().toImage();
    EXPECT_EQ(caption.pixelColor(caption.width() / 2, caption.height() - 4), base);
  }
}

// HiDPI: a process whose screens scale by 2 (as QT_SCALE_FACTOR=2 or a
// 2× display gives) draws at twice the pixels while every coordinate the
// app reports stays the same. Run in a child, which makes its own
// QApplication with the scale set before it.
TEST(main_window_hidpi_test, at_twice_the_pixels_the_window_draws_sharp_and_records_the_same_coordinates) {
  TempDir dir;
  const fs::path project = dir / "project";
  ASSERT_NO_FATAL_FAILURE(make_one_image_project(dir.path(), project));
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    qputenv("QT_SCALE_FACTOR", "2");
    loctex::testing::qt_app();
    use_settings_in(dir.path());
    ui::MainWindow w;
    w.resize(640, 400);
    w.show();
    if (!QTest::qWaitForWindowExposed(&w) || !w.openProject(QString::fromStdString(project.string())))
      ::_exit(2);
    const QPixmap shot = w.grab();
    if (shot.devicePixelRatio() != 2.0 || shot.size() != QSize(1280, 800)) ::_exit(3);
    double now = 0;
    w.setRecordingClock([&now] { return now; });
    w.imageList()->setCurrentRow(0);
    w.action("type-and-point")->trigger();
    loctex::testing::move_pointer(*w.canvas(), {0.25, 0.75});
    const auto& points = w.session()->capture().segments();
    if (points.size() != 1 || std::abs(points[0][0].x - 0.25) > 0.01 ||
        std::abs(points[0][0].y - 0.75) > 0.01)
      ::_exit(4);
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status)) << "the child died of a signal";
  EXPECT_EQ(WEXITSTATUS(status), 0) << "2: no window or project, 3: not drawn at 2x, 4: wrong coordinates";
}

TEST_F(main_window_test, screenshot_of_speak_and_point_tapping_words_as_the_voice_plays) {
  ui::MainWindow w;
  ASSERT_NO_FATAL_FAILURE(start_speaking(w, 0, {960, 640}));
  for (int i = 0; i <= 120; ++i) {
    const double a = 6.2831853 * i / 90;
    move_to(w, 0.5 + 0.25 * std::cos(a), 0.5 + 0.33 * std::sin(a), i / 30.0);
  }
  m_microphone->say(std::vector<std::int16_t>(16000 * 4, 0));
  w.action("stop-recording")->trigger();
  QTest::keyClicks(w.speakAndPoint()->transcriptEdit(), "a large red circle in the middle of a grey image");
  m_now = 10;
  w.action("stop-recording")->trigger();
  for (const double t : {0.2, 0.5, 0.9, 1.3, 1.8}) {
    m_now = 10 + t;
    QTest::keyClick(w.speakAndPoint()->tapAlong(), Qt::Key_Space);
  }
  m_now = 11.9;  // 1.9 s into the voice: "in" is heard, the pointer is where it was then (sample 57)
  const double x = 0.5 + 0.25 * std::cos(6.2831853 * 57 / 90);
  EXPECT_TRUE(QTest::qWaitFor(
      [&] { return w.canvas()->pointer() && std::abs(w.canvas()->pointer()->x() - x) < 1e-3; }, 2000));
  EXPECT_TRUE(QTest::qWaitFor([&] { return w.speakAndPoint()->tapAlong()->words()->current() == 4; }, 2000));
  EXPECT_EQ(w.grab().size(), QSize(960, 640));
  EXPECT_TRUE(loctex::testing::save_screenshot(w, "main_window_speak_and_point"));
  w.action("discard-recording")->trigger();
}

TEST_F(main_window_test, screenshot_of_the_window_during_a_recording) {
  ui::MainWindow w;
  ASSERT_NO_FATAL_FAILURE(show_with_project(w, {960, 640}));
  w.setRecordingClock([this] { return m_now; });
  w.imageList()->setCurrentRow(0);
  w.action("type-and-point")->trigger();
  for (int i = 0; i <= 90; ++i) {
    const double a = 6.2831853 * i / 90;
    move_to(w, 0.5 + 0.25 * std::cos(a), 0.5 + 0.33 * std::sin(a), i / 60.0);
  }
  type(w, "a large red circle in the middle", 1.5, 0.02);
  // The status bar shows the recording's state (refreshed five times a second).
  QLabel* state = w.statusBar()->findChild<QLabel*>();
  ASSERT_NE(state, nullptr);
  EXPECT_TRUE(QTest::qWaitFor([&] { return state->text().contains("91 points"); }, 5000))
      << state->text().toStdString();
  EXPECT_TRUE(state->text().startsWith("Recording 2.1 s")) << state->text().toStdString();
  EXPECT_EQ(w.grab().size(), QSize(960, 640));
  EXPECT_TRUE(loctex::testing::save_screenshot(w, "main_window_recording"));
  w.action("discard-recording")->trigger();
}

}  // namespace
