#pragma once
// Where Speak and Point's voice comes from: the computer's default audio
// input through Qt Multimedia, or anything else that delivers samples (the
// tests' own source). Samples arrive on the GUI thread as mono 16-bit PCM.

#include <QAudioFormat>
#include <QByteArray>
#include <QObject>
#include <QString>

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

class QAudioSource;
class QIODevice;

namespace loctex::ui {

class Microphone {
 public:
  using Sink = std::function<void(std::span<const std::int16_t> mono)>;
  virtual ~Microphone() = default;
  // Starts delivering samples to `sink`. On failure returns why, in words
  // for the annotator (no microphone, the device refused); empty on success.
  virtual QString start(Sink sink) = 0;
  virtual void stop() = 0;
  // Samples a second; meaningful after a successful start().
  virtual int sampleRate() const = 0;
};

// Interleaved samples of any of Qt's sample formats as mono 16-bit PCM: the
// mean of the channels, floats clipped to full scale.
std::vector<std::int16_t> to_mono_int16(const char* data, qsizetype bytes, const QAudioFormat& format);

// The system's default audio input. Mono 16-bit at the device's own rate
// where the device offers it; otherwise its preferred format, converted.
class SystemMicrophone : public QObject, public Microphone {
  Q_OBJECT

 public:
  explicit SystemMicrophone(QObject* parent = nullptr);
  ~SystemMicrophone() override;

  QString start(Sink sink) override;
  void stop() override;
  int sampleRate() const override { return m_format.sampleRate(); }

 private:
  void readAvailable();

  std::unique_ptr<QAudioSource> m_source;
  QIODevice* m_device = nullptr;
  QAudioFormat m_format;
  QByteArray m_partial;  // a frame split between two reads
  Sink m_sink;
};

}  // namespace loctex::ui
