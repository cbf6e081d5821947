#pragma once
// Plays a voice recording from any point, for typing its transcript, for
// tap-along and for review. The position follows a monotonic clock from the
// moment play() was asked for, so the replayed trace and the highlighted
// word move with the sound; without an audio output (a machine with no sound
// card) it plays silently on the same clock, and audible() says so.

#include <QBuffer>
#include <QByteArray>
#include <QObject>
#include <QString>

#include <filesystem>
#include <functional>
#include <memory>

#include "core/audio_file.h"

class QAudioSink;

namespace loctex::ui {

class AudioPlayback : public QObject {
  Q_OBJECT

 public:
  // Seconds on a monotonic clock; tests drive their own.
  using Clock = std::function<double()>;

  explicit AudioPlayback(QObject* parent = nullptr);
  ~AudioPlayback() override;
  void setClock(Clock clock);

  // Reads the recording whole; returns why it cannot (named file and
  // reason), empty on success. Stops what was playing.
  QString load(const std::filesystem::path& file);
  void unload();
  bool loaded() const { return m_clip.sample_rate > 0; }
  double duration() const { return m_clip.duration(); }
  const core::AudioClip& clip() const { return m_clip; }

  // Plays from `from` seconds (clamped to the recording) to the end.
  void play(double from);
  void pause();
  bool isPlaying() const;
  // Where playback is (or was paused), in seconds of the recording.
  double position() const;
  // False while playing silently: no audio output was found.
  bool audible() const { return m_sink != nullptr; }

 private:
  double now() const;
  void startSink(double from);

  Clock m_clock;
  core::AudioClip m_clip;
  std::unique_ptr<QAudioSink> m_sink;
  QByteArray m_bytes;  // the PCM from the play position on, borrowed from m_clip
  QBuffer m_buffer;
  bool m_playing = false;
  double m_from = 0;        // position when play() was asked
  double m_started_at = 0;  // the clock then
};

}  // namespace loctex::ui
