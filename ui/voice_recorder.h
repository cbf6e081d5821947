#pragma once
// Speak and Point's voice: samples from a Microphone written to the
// recording's WAV as they arrive (core::WavWriter: a kill leaves a playable
// file), on the recording's clock. The file starts with silence as long as
// the recording had already run when the microphone opened, so time t in the
// WAV is time t of the trace. The peak of each block drives a level meter.

#include <QObject>
#include <QString>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>

#include "core/audio_file.h"

namespace loctex::ui {

class Microphone;

class VoiceRecorder : public QObject {
  Q_OBJECT

 public:
  explicit VoiceRecorder(QObject* parent = nullptr);
  ~VoiceRecorder() override;

  // Opens `microphone` and records into `file`, a new WAV, the recording's
  // clock being at `now` seconds. Returns why it cannot (no microphone, the
  // file cannot be created); empty on success.
  QString start(Microphone& microphone, const std::filesystem::path& file, double now);
  // Closes the microphone and the file.
  void stop();
  bool isRecording() const { return m_microphone != nullptr; }
  double duration() const { return m_writer ? m_writer->duration() : m_duration; }

 Q_SIGNALS:
  // The loudest sample of the latest block, 0 (silence) to 1 (full scale).
  void level(double peak);
  // Writing failed (a full disk): recording stopped; what was written stays.
  void failed(QString message);

 private:
  void write(std::span<const std::int16_t> samples);

  Microphone* m_microphone = nullptr;
  std::optional<core::WavWriter> m_writer;
  double m_duration = 0;
};

}  // namespace loctex::ui
