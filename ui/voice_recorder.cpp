#include "ui/voice_recorder.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <exception>

#include "ui/microphone.h"

namespace loctex::ui {

VoiceRecorder::VoiceRecorder(QObject* parent) : QObject(parent) {}

VoiceRecorder::~VoiceRecorder() { stop(); }

QString VoiceRecorder::start(Microphone& microphone, const std::filesystem::path& file, double now) {
  stop();
  m_duration = 0;
  // The microphone first: its sample rate is the file's.
  if (QString why = microphone.start([this](std::span<const std::int16_t> s) { write(s); }); !why.isEmpty())
    return why;
  try {
    m_writer.emplace(file, microphone.sampleRate());
    m_writer->write_silence(std::llround(std::max(0.0, now) * microphone.sampleRate()));
  } catch (const std::exception& e) {
    microphone.stop();
    m_writer.reset();
    return QString::fromStdString(e.what());
  }
  m_microphone = &microphone;
  return {};
}

void VoiceRecorder::write(std::span<const std::int16_t> samples) {
  if (!m_writer) return;
  try {
    m_writer->write(samples);
  } catch (const std::exception& e) {
    // The writer goes first: what the microphone still delivers as it stops
    // must not be written, fail again and be reported twice.
    m_duration = m_writer->duration();
    m_writer.reset();
    stop();
    Q_EMIT failed(QString::fromStdString(e.what()));
    return;
  }
  int peak = 0;
  for (const std::int16_t s : samples) peak = std::max(peak, std::abs(static_cast<int>(s)));
  Q_EMIT level(peak / 32768.0);
}

void VoiceRecorder::stop() {
  if (m_microphone) {
    Microphone* microphone = m_microphone;
    m_microphone = nullptr;
    microphone->stop();  // may still deliver what it held; write() takes it while the writer is open
  }
  if (m_writer) {
    m_duration = m_writer->duration();
    m_writer.reset();
  }
}

}  // namespace loctex::ui
