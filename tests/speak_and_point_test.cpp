// Speak and Point's parts, offscreen: the microphone's samples as mono
// 16-bit, the voice written on the recording's clock, playback positions,
// the level meter, tap-along driven by Space, and the panel's three steps.
#include <gtest/gtest.h>

#include <QAudioDevice>
#include <QAudioFormat>
#include <QMediaDevices>
#include <QPlainTextEdit>
#include <QSignalSpy>
#include <QTest>

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <future>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "align/alignment_record.h"
#include "core/audio_file.h"
#include "qt_test_support.h"
#include "speech_support.h"
#include "test_support.h"
#include "ui/audio_playback.h"
#include "ui/background_aligner.h"
#include "ui/karaoke_caption.h"
#include "ui/level_meter.h"
#include "ui/microphone.h"
#include "ui/speak_and_point_panel.h"
#include "ui/tap_along.h"
#include "ui/voice_recorder.h"
#include "ui/word_timeline.h"

namespace {

using namespace loctex;
using loctex::testing::FakeMicrophone;
using loctex::testing::TempDir;
namespace fs = std::filesystem;

class speak_and_point_test : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { loctex::testing::qt_app(); }
  // A WAV of `seconds` at 16 kHz whose sample i is i % 1000.
  fs::path make_voice(double seconds) {
    const fs::path path = m_dir / "voice.wav";
    core::WavWriter writer(path, 16000);
    std::vector<std::int16_t> samples(static_cast<std::size_t>(seconds * 16000));
    for (std::size_t i = 0; i < samples.size(); ++i) samples[i] = static_cast<std::int16_t>(i % 1000);
    writer.write(samples);
    return path;
  }
  // A panel on screen whose playback runs on m_now.
  void show_on_test_clock(ui::SpeakAndPointPanel& panel) {
    panel.playback()->setClock([this] { return m_now; });
    panel.resize(720, 200);
    panel.show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(&panel));
  }
  TempDir m_dir;
  double m_now = 0;
};

template <typename T>
QByteArray bytes_of(const std::vector<T>& values) {
  return QByteArray(reinterpret_cast<const char*>(values.data()),
                    static_cast<qsizetype>(values.size() * sizeof(T)));
}

QAudioFormat format(QAudioFormat::SampleFormat sample, int channels) {
  QAudioFormat f;
  f.setSampleRate(48000);
  f.setChannelCount(channels);
  f.setSampleFormat(sample);
  return f;
}

TEST(microphone_test, every_sample_format_becomes_mono_16_bit) {
  const auto stereo16 = bytes_of(std::vector<std::int16_t>{1000, 3000, -32768, -32768, 32767, -32767});
  EXPECT_EQ(ui::to_mono_int16(stereo16.constData(), stereo16.size(), format(QAudioFormat::Int16, 2)),
            (std::vector<std::int16_t>{2000, -32768, 0}));
  const auto floats = bytes_of(std::vector<float>{0.5f, -0.25f, 1.5f, -2.0f});
  EXPECT_EQ(ui::to_mono_int16(floats.constData(), floats.size(), format(QAudioFormat::Float, 1)),
            (std::vector<std::int16_t>{16384, -8192, 32767, -32768}));  // clipped at full scale
  const auto int32 = bytes_of(std::vector<std::int32_t>{1 << 30, -(1 << 30)});
  EXPECT_EQ(ui::to_mono_int16(int32.constData(), int32.size(), format(QAudioFormat::Int32, 1)),
            (std::vector<std::int16_t>{16384, -16384}));
  const QByteArray uint8("\x80\xc0\x00", 3);
  EXPECT_EQ(ui::to_mono_int16(uint8.constData(), uint8.size(), format(QAudioFormat::UInt8, 1)),
            (std::vector<std::int16_t>{0, 16384, -32768}));
  // A trailing part of a frame is not a sample.
  EXPECT_EQ(ui::to_mono_int16(stereo16.constData(), 6, format(QAudioFormat::Int16, 2)).size(), 1u);
}

TEST_F(speak_and_point_test, without_a_microphone_the_system_input_says_so) {
  if (!QMediaDevices::audioInputs().isEmpty()) GTEST_SKIP() << "this machine has a microphone";
  ui::SystemMicrophone microphone;
  bool delivered = false;
  const QString why = microphone.start([&](std::span<const std::int16_t>) { delivered = true; });
  EXPECT_TRUE(why.startsWith("no microphone was found")) << why.toStdString();
  EXPECT_FALSE(delivered);
}

TEST_F(speak_and_point_test, the_voice_is_written_on_the_recordings_clock_with_its_level) {
  FakeMicrophone microphone(16000);
  ui::VoiceRecorder recorder;
  QSignalSpy levels(&recorder, &ui::VoiceRecorder::level);
  const fs::path file = m_dir / "audio/take.wav";
  // The recording had run 0.25 s when the microphone opened.
  ASSERT_EQ(recorder.start(microphone, file, 0.25), QString());
  ASSERT_TRUE(microphone.open());
  std::vector<std::int16_t> speech(1600, 0);
  speech[100] = -16384;  // the loudest sample: half of full scale
  speech[200] = 8000;
  microphone.say(speech);
  ASSERT_EQ(levels.count(), 1);
  EXPECT_DOUBLE_EQ(levels.at(0).at(0).toDouble(), 0.5);
  EXPECT_DOUBLE_EQ(recorder.duration(), 0.35);
  recorder.stop();
  EXPECT_FALSE(microphone.open());
  const auto clip = core::read_audio(file);
  ASSERT_EQ(clip.samples.size(), 4000u + 1600u);
  // Time t of the file is time t of the recording: the voice starts at 0.25 s.
  EXPECT_EQ(clip.samples[4000 + 100], -16384);
  EXPECT_EQ(clip.samples[4000 + 200], 8000);
  EXPECT_EQ(std::count(clip.samples.begin(), clip.samples.begin() + 4000, 0), 4000);
}

// A microphone that, as real ones do, delivers what it still held as it
// stops.
class HoldingMicrophone : public FakeMicrophone {
 public:
  void stop() override {
    say(std::vector<std::int16_t>(1600, 300));
    FakeMicrophone::stop();
  }
};

// A write that fails (the file may grow no more, as on a full disk) stops the
// recording and is reported once, though the microphone delivers more as it
// stops; what was written stays readable.
TEST_F(speak_and_point_test, a_failed_write_stops_the_recording_and_is_reported_once) {
  HoldingMicrophone microphone;
  ui::VoiceRecorder recorder;
  QSignalSpy failed(&recorder, &ui::VoiceRecorder::failed);
  const fs::path file = m_dir / "take.wav";
  ASSERT_EQ(recorder.start(microphone, file, 0), QString());
  microphone.say(std::vector<std::int16_t>(1600, 100));
  // The file may grow 2 KB more: the next 0.1 s (3.2 KB) cannot be written.
  const auto size = static_cast<rlim_t>(fs::file_size(file));
  rlimit before{};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &before), 0);
  const auto old_handler = ::signal(SIGXFSZ, SIG_IGN);  // EFBIG instead of a signal
  rlimit limit = before;
  limit.rlim_cur = size + 2048;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &limit), 0);
  microphone.say(std::vector<std::int16_t>(1600, 200));
  ::setrlimit(RLIMIT_FSIZE, &before);
  ::signal(SIGXFSZ, old_handler);
  ASSERT_EQ(failed.count(), 1);
  EXPECT_TRUE(failed.at(0).at(0).toString().contains(QString::fromStdString(file.string())))
      << failed.at(0).at(0).toString().toStdString();
  EXPECT_FALSE(recorder.isRecording());
  EXPECT_FALSE(microphone.open());
  const auto clip = core::read_audio(file);
  ASSERT_GE(clip.samples.size(), 1600u);
  EXPECT_EQ(clip.samples[0], 100);
}

TEST_F(speak_and_point_test, a_missing_microphone_or_an_existing_file_stops_the_start_and_writes_nothing) {
  FakeMicrophone missing(16000, "no microphone was found");
  ui::VoiceRecorder recorder;
  EXPECT_EQ(recorder.start(missing, m_dir / "a.wav", 0), "no microphone was found");
  EXPECT_FALSE(fs::exists(m_dir / "a.wav"));
  EXPECT_FALSE(recorder.isRecording());
  loctex::testing::write_text(m_dir / "b.wav", "taken");
  FakeMicrophone microphone;
  EXPECT_TRUE(recorder.start(microphone, m_dir / "b.wav", 0).contains("already exists"));
  EXPECT_FALSE(microphone.open());  // closed again
  EXPECT_EQ(loctex::testing::read_text(m_dir / "b.wav"), "taken");
}

TEST_F(speak_and_point_test, playback_moves_on_its_clock_from_where_it_was_asked_and_stops_at_the_end) {
  ui::AudioPlayback playback;
  playback.setClock([this] { return m_now; });
  ASSERT_EQ(playback.load(make_voice(2.0)), QString());
  EXPECT_DOUBLE_EQ(playback.duration(), 2.0);
  m_now = 10;
  playback.play(0.5);
  EXPECT_TRUE(playback.isPlaying());
  m_now = 10.7;
  EXPECT_DOUBLE_EQ(playback.position(), 1.2);
  playback.pause();
  m_now = 20;
  EXPECT_DOUBLE_EQ(playback.position(), 1.2);  // paused where it was
  playback.play(playback.position());
  m_now = 25;
  EXPECT_DOUBLE_EQ(playback.position(), 2.0);  // not past the end
  EXPECT_FALSE(playback.isPlaying());
  playback.play(-3);
  EXPECT_DOUBLE_EQ(playback.position(), 0.0);
  if (QMediaDevices::audioOutputs().isEmpty()) {
    EXPECT_FALSE(playback.audible());
  }
  const QString why = playback.load(m_dir / "none.wav");
  EXPECT_TRUE(why.contains("none.wav")) << why.toStdString();
  EXPECT_FALSE(playback.loaded());
}

TEST_F(speak_and_point_test, the_level_meter_rises_at_once_on_a_decibel_scale_and_does_not_jump_down) {
  ui::LevelMeter meter;
  EXPECT_DOUBLE_EQ(meter.fill(), 0.0);
  meter.setPeak(0.1);  // -20 dBFS: two thirds of the way from -60 to 0
  EXPECT_NEAR(meter.fill(), 2.0 / 3.0, 0.02);
  meter.setPeak(0.001);  // -60 dBFS right after: the bar falls gradually, not at once
  EXPECT_GT(meter.fill(), 0.6);
  meter.setPeak(1.0);
  EXPECT_NEAR(meter.fill(), 1.0, 0.02);
}

TEST_F(speak_and_point_test, space_taps_the_words_as_they_are_heard_and_a_clicked_word_is_tapped_again) {
  ui::AudioPlayback playback;
  playback.setClock([this] { return m_now; });
  ASSERT_EQ(playback.load(make_voice(4.0)), QString());
  ui::TapAlong tap;
  tap.resize(480, 100);
  tap.show();
  ASSERT_TRUE(QTest::qWaitForWindowExposed(&tap));
  tap.begin({"a", "red", "circle"}, 4.0, &playback);
  // Untapped, the words share the recording by length: 1 + 3 + 6 code points.
  auto words = tap.timedWords();
  EXPECT_DOUBLE_EQ(words[1].start_time, 4.0 * 1 / 10);
  playback.play(0);
  m_now = 0.6;
  QTest::keyClick(&tap, Qt::Key_Space);
  m_now = 1.5;
  QTest::keyClick(&tap, Qt::Key_Space);
  EXPECT_EQ(tap.cursor(), 2);
  words = tap.timedWords();
  EXPECT_DOUBLE_EQ(words[0].start_time, 0.6);
  EXPECT_DOUBLE_EQ(words[0].end_time, 1.5);
  EXPECT_DOUBLE_EQ(words[1].start_time, 1.5);
  EXPECT_DOUBLE_EQ(words[2].end_time, 4.0);
  EXPECT_EQ(tap.words()->current(), 1);  // "red" is being heard at 1.5 s
  // Click "red": it is next to tap, heard again from a second before it.
  const QRect red = tap.words()->wordRect(1);
  ASSERT_FALSE(red.isEmpty());
  QTest::mouseClick(tap.words(), Qt::LeftButton, Qt::NoModifier, red.center());
  EXPECT_EQ(tap.cursor(), 1);
  EXPECT_DOUBLE_EQ(playback.position(), 0.5);
  m_now = 2.3;  // 0.8 s later: 1.3 s into the recording
  QTest::keyClick(&tap, Qt::Key_Space);
  EXPECT_DOUBLE_EQ(tap.timedWords()[1].start_time, 1.3);
  m_now = 3.0;
  QTest::keyClick(&tap, Qt::Key_Space);
  EXPECT_DOUBLE_EQ(tap.timedWords()[2].start_time, 2.0);
  QTest::keyClick(&tap, Qt::Key_Space);  // every word tapped: nothing more
  EXPECT_EQ(tap.cursor(), 3);
  QTest::keyClick(&tap, Qt::Key_Backspace);  // "circle" untapped: shares again
  EXPECT_EQ(tap.cursor(), 2);
  EXPECT_NEAR(tap.timedWords()[2].start_time, 1.3 + (4.0 - 1.3) * 3 / 9, 1e-12);
}

TEST_F(speak_and_point_test, the_panel_goes_from_speaking_to_transcribing_to_tapping) {
  ui::SpeakAndPointPanel panel;
  panel.playback()->setClock([this] { return m_now; });
  panel.resize(600, 120);
  panel.show();
  ASSERT_TRUE(QTest::qWaitForWindowExposed(&panel));
  FakeMicrophone microphone;
  QSignalSpy changed(&panel, &ui::SpeakAndPointPanel::wordsChanged);
  ASSERT_EQ(panel.startSpeaking(microphone, m_dir / "take.wav", 0), QString());
  EXPECT_EQ(panel.step(), ui::SpeakAndPointPanel::Step::speaking);
  microphone.say(std::vector<std::int16_t>(32000, 100));
  EXPECT_DOUBLE_EQ(panel.duration(), 2.0);
  EXPECT_FALSE(panel.startTapping());  // not before transcribing
  panel.stopSpeaking();
  EXPECT_FALSE(microphone.open());
  EXPECT_EQ(panel.step(), ui::SpeakAndPointPanel::Step::transcribing);
  EXPECT_TRUE(panel.playback()->isPlaying());  // plays back for typing
  EXPECT_FALSE(panel.startTapping());          // no words yet
  QTest::keyClicks(panel.transcriptEdit(), "two  words ");
  EXPECT_GT(changed.count(), 0);
  EXPECT_EQ(panel.transcript(), "two words");
  auto words = panel.timedWords();
  ASSERT_EQ(words.size(), 2u);
  EXPECT_DOUBLE_EQ(words[0].end_time, 2.0 * 3 / 8);  // shared by length
  m_now = 0.5;
  panel.skip(ui::SpeakAndPointPanel::kSkipSeconds);  // F8
  EXPECT_DOUBLE_EQ(panel.playback()->position(), 2.0);
  ASSERT_TRUE(panel.startTapping());
  EXPECT_EQ(panel.step(), ui::SpeakAndPointPanel::Step::tapping);
  EXPECT_DOUBLE_EQ(panel.playback()->position(), 0.0);  // from the start again
  m_now = 0.8;
  QTest::keyClick(panel.tapAlong(), Qt::Key_Space);
  EXPECT_DOUBLE_EQ(panel.timedWords()[0].start_time, 0.3);
  panel.end();
  EXPECT_EQ(panel.step(), ui::SpeakAndPointPanel::Step::idle);
  EXPECT_TRUE(panel.transcript().isEmpty());
}

// Words spoken by espeak-ng with known times (tests/speech_support.h),
// saved as the take's voice.
struct SpokenTake {
  loctex::testing::Speech speech;
  fs::path voice;
};
SpokenTake spoken_take(const TempDir& dir) {
  SpokenTake take;
  take.speech = loctex::testing::speak(
      dir, {"a", "red", "circle", "sits", "in", "the", "middle", "of", "a", "grey", "picture"},
      {0.4, 0.15, 0.1, 0.3, 0.12, 0.1, 0.2, 0.1, 0.15, 0.1, 0.25});
  take.voice = dir / "take.wav";
  core::WavWriter wav(take.voice, take.speech.clip.sample_rate);
  wav.write(take.speech.clip.samples);
  return take;
}

// Tapping starts at once; the alignment lands a moment later.
void transcribe_and_wait_for_alignment(ui::SpeakAndPointPanel& panel, const fs::path& voice,
                                       const QString& text) {
  ASSERT_EQ(panel.startTranscribing(voice, text), QString());
  QSignalSpy aligned(&panel, &ui::SpeakAndPointPanel::aligned);
  ASSERT_TRUE(panel.startTapping());
  ASSERT_TRUE(aligned.wait(60000));
  EXPECT_EQ(aligned.at(0).at(0).toString(), QString());
}

TEST_F(speak_and_point_test, when_the_transcript_is_done_the_words_are_aligned_to_the_voice) {
  const SpokenTake take = spoken_take(m_dir);
  ui::SpeakAndPointPanel panel;
  show_on_test_clock(panel);
  transcribe_and_wait_for_alignment(panel, take.voice, "A red circle sits in the middle of a grey picture.");
  const auto words = panel.timedWords();
  ASSERT_EQ(words.size(), take.speech.truth.size());
  double total = 0;
  for (std::size_t i = 0; i < words.size(); ++i) {
    EXPECT_LT(std::abs(words[i].start_time - take.speech.truth[i].start), 0.25) << words[i].utterance;
    EXPECT_LT(std::abs(words[i].end_time - take.speech.truth[i].end), 0.25) << words[i].utterance;
    total += std::abs(words[i].start_time - take.speech.truth[i].start) +
             std::abs(words[i].end_time - take.speech.truth[i].end);
  }
  EXPECT_LT(total / (2.0 * static_cast<double>(words.size())), 0.05);
  // Nothing to check: no word flagged, the cursor past the last word.
  const auto& flagged = panel.tapAlong()->flagged();
  EXPECT_EQ(std::count(flagged.begin(), flagged.end(), true), 0);
  EXPECT_EQ(panel.tapAlong()->cursor(), static_cast<int>(words.size()));
  EXPECT_TRUE(panel.tapAlong()->findChild<QLabel*>()->text().startsWith(
      "Aligned to your voice \u00b7 Every word is placed"))
      << panel.tapAlong()->findChild<QLabel*>()->text().toStdString();
}

TEST_F(speak_and_point_test, words_alignment_doubts_are_flagged_and_space_corrects_just_those) {
  const SpokenTake take = spoken_take(m_dir);
  ui::SpeakAndPointPanel panel;
  show_on_test_clock(panel);
  QSignalSpy changed(&panel, &ui::SpeakAndPointPanel::wordsChanged);
  // "middle" was said but not typed: the words either side are flagged.
  transcribe_and_wait_for_alignment(panel, take.voice, "A red circle sits in the of a grey picture.");
  EXPECT_GT(changed.count(), 0);  // the placed words are saved with the journal
  auto* tap = panel.tapAlong();
  const QList<bool> expected = {false, false, false, false, false, true, true, false, false, false};
  EXPECT_EQ(tap->flagged(), expected);
  EXPECT_TRUE(tap->words()->flagged(5));
  EXPECT_EQ(tap->cursor(), 5);  // "the"
  EXPECT_TRUE(loctex::testing::save_screenshot(panel, "speak_and_point_aligned"));
  // Space taps "the" where it is heard, and the cursor goes to "of", the
  // next flagged word, past the words alignment is sure of.
  const double found = panel.timedWords()[5].start_time;
  panel.playback()->play(0);
  m_now = 2.8;
  QTest::keyClick(tap, Qt::Key_Space);
  EXPECT_DOUBLE_EQ(panel.timedWords()[5].start_time, 2.8);
  EXPECT_FALSE(tap->flagged()[5]);
  EXPECT_EQ(tap->cursor(), 6);
  // The record to store says so: "the" corrected by hand, "of" in doubt.
  auto record = panel.alignmentRecord();
  ASSERT_TRUE(record.has_value());
  ASSERT_EQ((*record)["words"].size(), 10u);
  EXPECT_EQ((*record)["words"][5].value("corrected", false), true);
  EXPECT_FALSE((*record)["words"][6].contains("corrected"));
  EXPECT_EQ((*record)["words"][6]["doubts"], nlohmann::ordered_json::array({align::kDoubtBesideUntyped}));
  // Backspace puts "the" back where alignment found it, flagged again.
  QTest::keyClick(tap, Qt::Key_Backspace);
  EXPECT_EQ(tap->cursor(), 5);
  EXPECT_TRUE(tap->flagged()[5]);
  EXPECT_DOUBLE_EQ(panel.timedWords()[5].start_time, found);
  EXPECT_NEAR(found, take.speech.truth[5].start, 0.15);
  EXPECT_FALSE((*panel.alignmentRecord())["words"][5].contains("corrected"));
}

TEST_F(speak_and_point_test, a_word_tapped_before_the_alignment_lands_keeps_its_tap) {
  const SpokenTake take = spoken_take(m_dir);
  ui::SpeakAndPointPanel panel;
  show_on_test_clock(panel);
  ASSERT_EQ(panel.startTranscribing(take.voice, "A red circle sits in the middle of a grey picture."),
            QString());
  QSignalSpy aligned(&panel, &ui::SpeakAndPointPanel::aligned);
  m_now = 0;
  ASSERT_TRUE(panel.startTapping());
  m_now = 0.45;
  QTest::keyClick(panel.tapAlong(), Qt::Key_Space);  // "A", by hand, before the result is in
  ASSERT_TRUE(aligned.wait(60000));
  const auto words = panel.timedWords();
  EXPECT_DOUBLE_EQ(words[0].start_time, 0.45);
  EXPECT_FALSE(panel.tapAlong()->flagged()[0]);
  EXPECT_EQ((*panel.alignmentRecord())["words"][0].value("corrected", false), true);
  EXPECT_NEAR(words[1].start_time, take.speech.truth[1].start, 0.15);  // "red", placed
}

TEST_F(speak_and_point_test, a_word_s_edge_dragged_on_the_timeline_stays_while_the_voice_plays) {
  const SpokenTake take = spoken_take(m_dir);
  ui::SpeakAndPointPanel panel;
  show_on_test_clock(panel);
  transcribe_and_wait_for_alignment(panel, take.voice, "A red circle sits in the middle of a grey picture.");
  auto* timeline = panel.tapAlong()->timeline();
  const double end = panel.timedWords()[1].end_time;  // "red"
  const QPoint from(static_cast<int>(std::lround(timeline->xAt(end))), timeline->height() / 2);
  const QPoint to(from.x() + 6, from.y());
  QTest::mousePress(timeline, Qt::LeftButton, Qt::NoModifier, from);
  QTest::qWait(100);  // tap-along's timer runs meanwhile, as it does under a hand
  QTest::mouseMove(timeline, to);
  QTest::mouseRelease(timeline, Qt::LeftButton, Qt::NoModifier, to);
  EXPECT_NEAR(panel.timedWords()[1].end_time, timeline->timeAt(to.x()), 0.01);
  EXPECT_EQ((*panel.alignmentRecord())["words"][1].value("corrected", false), true);
  // Backspace takes the drag back: "red" returns to where alignment put it,
  // and is the aligner's again in the record.
  QTest::keyClick(panel.tapAlong(), Qt::Key_Backspace);
  EXPECT_DOUBLE_EQ(panel.timedWords()[1].end_time, end);
  EXPECT_FALSE((*panel.alignmentRecord())["words"][1].contains("corrected"));

  // Tapped twice, the last tap taken back: back where alignment put it, the
  // aligner's again and, as it was sure of it, not flagged.
  auto* tap = panel.tapAlong();
  for (const double t : {0.70, 0.72}) {
    tap->chooseWord(1);
    panel.playback()->play(t);
    QTest::keyClick(tap, Qt::Key_Space);
    EXPECT_EQ((*panel.alignmentRecord())["words"][1].value("corrected", false), true);
  }
  QTest::keyClick(tap, Qt::Key_Backspace);
  EXPECT_FALSE((*panel.alignmentRecord())["words"][1].contains("corrected"));
  EXPECT_DOUBLE_EQ(panel.timedWords()[1].end_time, end);
  EXPECT_FALSE(tap->flagged()[1]);

  // "circle" tapped after where "sits" was found: "sits" loses its found
  // time (times run forward) and is displaced, flagged in the panel and in
  // the record alike.
  tap->chooseWord(2);
  panel.playback()->play(panel.timedWords()[3].start_time + 0.05);
  QTest::keyClick(tap, Qt::Key_Space);
  EXPECT_TRUE(tap->flagged()[3]);
  core::Narrative stored;
  stored.timed_caption = panel.timedWords();
  stored.extra[align::kAlignmentField] = *panel.alignmentRecord();
  const auto to_check = align::words_to_check(stored);
  ASSERT_EQ(to_check.size(), 11u);
  EXPECT_TRUE(to_check[3]);
  EXPECT_FALSE(to_check[2]);  // "circle": corrected
  EXPECT_EQ(stored.extra[align::kAlignmentField]["words"][3]["doubts"],
            nlohmann::ordered_json::array({align::kDoubtDisplaced}));
  EXPECT_EQ(std::vector<bool>(tap->flagged().begin(), tap->flagged().end()), to_check);
}

// An alignment function for BackgroundAligner: records the words asked
// for, holds the alignment of the word "held" until released, fails on
// "unsayable" (and throws a non-exception on "thrown"), and answers with
// the first word.
class HeldAligner {
 public:
  ui::BackgroundAligner::AlignFunction function() {
    return [this](const core::AudioClip&, const std::vector<std::string>& words) {
      {
        const std::lock_guard lock(m_mutex);
        m_ran.push_back(words.front());
      }
      if (words.front() == "held") {
        m_running.set_value();
        m_released.wait();
      }
      if (words.front() == "unsayable") throw std::invalid_argument("cannot align " + words.front());
      if (words.front() == "thrown") throw 42;  // not a std::exception
      align::Alignment a;
      a.words.resize(words.size());
      a.words[0].text = words.front();
      return a;
    };
  }
  void waitUntilRunning() { m_running.get_future().wait(); }
  void release() { m_release.set_value(); }
  std::vector<std::string> ran() {
    const std::lock_guard lock(m_mutex);
    return m_ran;
  }

 private:
  std::mutex m_mutex;
  std::vector<std::string> m_ran;
  std::promise<void> m_running, m_release;
  std::shared_future<void> m_released = m_release.get_future().share();
};

// The alignment thread: a request made while another runs returns at once
// (were it to wait, this test would hang on the held alignment), replaces
// a request still waiting, and results come back numbered, failures with
// the aligner's message.
TEST_F(speak_and_point_test,
       the_background_aligner_never_keeps_the_caller_waiting_and_runs_the_latest_request) {
  HeldAligner held;
  ui::BackgroundAligner aligner(held.function());
  std::vector<std::pair<int, std::string>> results;
  std::vector<std::pair<int, QString>> failures;
  QObject::connect(&aligner, &ui::BackgroundAligner::aligned,
                   [&](int n, const align::Alignment& a) { results.emplace_back(n, a.words[0].text); });
  QObject::connect(&aligner, &ui::BackgroundAligner::failed,
                   [&](int n, const QString& message) { failures.emplace_back(n, message); });
  const core::AudioClip clip;
  EXPECT_EQ(aligner.request(clip, {"held"}), 1);
  held.waitUntilRunning();
  EXPECT_EQ(aligner.request(clip, {"second"}), 2);     // waits its turn...
  EXPECT_EQ(aligner.request(clip, {"unsayable"}), 3);  // ...and is replaced
  held.release();
  ASSERT_TRUE(QTest::qWaitFor([&] { return results.size() + failures.size() == 2; }, 10000));
  EXPECT_EQ(results, (std::vector<std::pair<int, std::string>>{{1, "held"}}));
  EXPECT_EQ(failures, (std::vector<std::pair<int, QString>>{{3, "cannot align unsayable"}}));
  EXPECT_EQ(held.ran(), (std::vector<std::string>{"held", "unsayable"}));
}

// Whatever the aligner throws comes back as a failure, never ends the app.
TEST_F(speak_and_point_test, anything_the_aligner_throws_comes_back_as_a_failure) {
  HeldAligner held;
  ui::BackgroundAligner aligner(held.function());
  std::vector<std::pair<int, QString>> failures;
  QObject::connect(&aligner, &ui::BackgroundAligner::failed,
                   [&](int n, const QString& message) { failures.emplace_back(n, message); });
  aligner.request(core::AudioClip{}, {"thrown"});
  ASSERT_TRUE(QTest::qWaitFor([&] { return !failures.empty(); }, 10000));
  EXPECT_EQ(failures, (std::vector<std::pair<int, QString>>{{1, "the aligner failed"}}));
}

TEST_F(speak_and_point_test, a_request_dropped_before_its_turn_never_runs) {
  HeldAligner held;
  ui::BackgroundAligner aligner(held.function());
  int delivered = 0;
  QObject::connect(&aligner, &ui::BackgroundAligner::aligned,
                   [&](int, const align::Alignment&) { ++delivered; });
  const core::AudioClip clip;
  aligner.request(clip, {"held"});
  held.waitUntilRunning();
  aligner.request(clip, {"dropped"});
  EXPECT_TRUE(aligner.dropWaiting());
  EXPECT_FALSE(aligner.dropWaiting());  // nothing waits now
  held.release();
  ASSERT_TRUE(QTest::qWaitFor([&] { return delivered == 1; }, 10000));
  EXPECT_EQ(held.ran(), std::vector<std::string>{"held"});
}

TEST_F(speak_and_point_test, when_alignment_fails_the_hint_says_why_and_tapping_goes_on_by_hand) {
  ui::SpeakAndPointPanel panel;
  show_on_test_clock(panel);
  ASSERT_EQ(panel.startTranscribing(make_voice(0.2), "far too many words for a fifth of a second"),
            QString());
  QSignalSpy aligned(&panel, &ui::SpeakAndPointPanel::aligned);
  ASSERT_TRUE(panel.startTapping());
  ASSERT_TRUE(aligned.wait(60000));
  const QString failure = aligned.at(0).at(0).toString();
  EXPECT_TRUE(failure.contains("too short for 10 words")) << failure.toStdString();
  const QString hint = panel.tapAlong()->findChild<QLabel*>()->text();
  EXPECT_TRUE(hint.startsWith("Automatic alignment failed (" + failure + "): tap along"))
      << hint.toStdString();
  EXPECT_TRUE(panel.tapAlong()->flagged().isEmpty());
  m_now = 0.05;
  QTest::keyClick(panel.tapAlong(), Qt::Key_Space);
  EXPECT_EQ(panel.tapAlong()->cursor(), 1);  // word by word, as without alignment
}

}  // namespace

namespace {

// The real path, through the system's sound server: a private PulseAudio
// (scripts/sound-server.sh, started by scripts/test.sh) whose microphone
// plays a 440 Hz tone. The default input is recorded to a WAV, which must
// hold that tone, and plays back through the server's speakers. In a child
// process, which connects to that server before Qt first looks for devices.
TEST(system_audio_test, the_default_microphone_records_a_tone_that_plays_back_through_the_speakers) {
  const char* server = std::getenv("LOCTEX_TEST_PULSE_SERVER");
  if (!server) GTEST_SKIP() << "no test sound server: scripts/test.sh starts one (scripts/sound-server.sh)";
  TempDir dir;
  const fs::path file = dir / "voice.wav";
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::setenv("PULSE_SERVER", server, 1);
    loctex::testing::qt_app();
    ui::SystemMicrophone microphone;
    ui::VoiceRecorder recorder;
    if (!recorder.start(microphone, file, 0.0).isEmpty()) ::_exit(2);
    if (!QTest::qWaitFor([&] { return recorder.duration() >= 0.5; }, 10000)) ::_exit(3);
    recorder.stop();
    const auto clip = core::read_audio(file);
    // The tone's pitch, from its rising zero crossings.
    int crossings = 0, peak = 0;
    for (std::size_t i = 1; i < clip.samples.size(); ++i) {
      crossings += clip.samples[i - 1] < 0 && clip.samples[i] >= 0 ? 1 : 0;
      peak = std::max(peak, std::abs(static_cast<int>(clip.samples[i])));
    }
    const double hz = crossings / clip.duration();
    if (std::abs(hz - 440) > 10 || peak < 1000) {
      std::fprintf(stderr, "recorded %.1f Hz, peak %d, %.2f s at %d Hz\n", hz, peak, clip.duration(),
                   clip.sample_rate);
      ::_exit(4);
    }
    ui::AudioPlayback playback;
    if (!playback.load(file).isEmpty()) ::_exit(5);
    playback.play(0.1);
    if (!playback.audible()) ::_exit(6);
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status)) << "the child died of a signal";
  EXPECT_EQ(WEXITSTATUS(status), 0) << "2: the microphone did not open, 3: no samples came, 4: not the "
                                       "server's 440 Hz tone, 5: the WAV did "
                                       "not load, 6: no sound output";
}

}  // namespace
