#pragma once
// Speak and Point, the Localized Narratives protocol, in three steps under
// the image: speaking (the voice recorded with a live level meter while the
// trace is captured), transcribing (the annotator types what they said
// while the recording plays back) and tapping (word times by tap-along).
// The window steps through them with Stop (Ctrl+Return) and stores the
// result; this panel holds the voice, the transcript and the word times.
//
// When the transcript is done, forced alignment (align/) runs in the
// background and places the words on the voice; tapping starts at once and
// then corrects just the words alignment flags.

#include <QString>
#include <QTimer>
#include <QWidget>

#include <filesystem>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/narrative.h"

class QLabel;

class QPlainTextEdit;
class QStackedWidget;

namespace loctex::ui {

class AudioPlayback;
class BackgroundAligner;
class LevelMeter;
class Microphone;
class TapAlong;
class VoiceRecorder;

class SpeakAndPointPanel : public QWidget {
  Q_OBJECT

 public:
  enum class Step { idle, speaking, transcribing, tapping };
  // How far F7 and F8 move the playback while transcribing.
  static constexpr double kSkipSeconds = 5;

  explicit SpeakAndPointPanel(QWidget* parent = nullptr);

  // Speaking: `microphone` recorded into `voice` (a new WAV), the recording's
  // clock at `now`. Returns why it cannot start; empty on success.
  QString startSpeaking(Microphone& microphone, const std::filesystem::path& voice, double now);
  // Speaking ends: the microphone closes and the recording plays back from
  // the start for transcribing.
  void stopSpeaking();
  // Transcribing a recording already on disk (an interrupted recording
  // continued), after `so_far`. Returns why it cannot be read; empty on
  // success.
  QString startTranscribing(const std::filesystem::path& voice, const QString& so_far);
  // Transcribing ends and tapping starts, the recording playing from the
  // start, and the words are aligned to the voice in the background. False
  // if the transcript has no words.
  bool startTapping();
  // Back to idle: playback stops, the transcript is cleared.
  void end();

  Step step() const { return m_step; }
  QString transcript() const;
  // The transcript's words with their times: tapped or shared out
  // (core::TapAlignment) over the recording.
  std::vector<core::TimedUtterance> timedWords() const;
  // Seconds of voice recorded (while speaking) or loaded.
  double duration() const;
  // While tapping, once the alignment landed: what it found, words timed
  // by hand since marked (TapAlong::alignmentRecord), to store with the
  // narrative as "loctex_alignment".
  std::optional<nlohmann::ordered_json> alignmentRecord() const;

  void togglePlayback();
  void skip(double seconds);

  AudioPlayback* playback() const { return m_playback; }
  VoiceRecorder* recorder() const { return m_recorder; }
  LevelMeter* levelMeter() const { return m_level; }
  TapAlong* tapAlong() const { return m_tap; }
  QPlainTextEdit* transcriptEdit() const { return m_transcript; }

  QSize sizeHint() const override { return {480, 110}; }

 Q_SIGNALS:
  // The transcript or its word times changed (to save with the journal).
  void wordsChanged();
  // The voice could not be written or read back.
  void failed(QString message);
  // The background alignment ended: the words are placed, or (empty
  // `failure` otherwise) it failed and tapping goes on by hand.
  void aligned(QString failure);

 private:
  void showPosition();

  Step m_step = Step::idle;
  std::filesystem::path m_voice;
  VoiceRecorder* m_recorder;
  AudioPlayback* m_playback;
  QStackedWidget* m_pages;
  QWidget* m_speaking_page;
  LevelMeter* m_level;
  QWidget* m_transcribing_page;
  QPlainTextEdit* m_transcript;
  QLabel* m_position;
  TapAlong* m_tap;
  QTimer m_position_timer;
  BackgroundAligner* m_aligner;
  int m_align_request = 0;  // the tapping's alignment; results for others are dropped
};

}  // namespace loctex::ui
