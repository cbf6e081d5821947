#include "ui/audio_playback.h"

#include <QAudioDevice>
#include <QAudioFormat>
#include <QAudioSink>
#include <QElapsedTimer>
#include <QMediaDevices>

#include <algorithm>
#include <cmath>
#include <exception>

namespace loctex::ui {

AudioPlayback::AudioPlayback(QObject* parent) : QObject(parent) {
  m_clock = [timer = std::make_shared<QElapsedTimer>()] {
    if (!timer->isValid()) timer->start();
    return static_cast<double>(timer->nsecsElapsed()) * 1e-9;
  };
}

AudioPlayback::~AudioPlayback() { pause(); }

void AudioPlayback::setClock(Clock clock) { m_clock = std::move(clock); }

double AudioPlayback::now() const { return m_clock(); }

QString AudioPlayback::load(const std::filesystem::path& file) {
  unload();
  try {
    m_clip = core::read_audio(file);
  } catch (const std::exception& e) {
    m_clip = {};
    return QString::fromStdString(e.what());
  }
  return {};
}

void AudioPlayback::unload() {
  pause();
  m_clip = {};
  m_from = 0;
}

void AudioPlayback::play(double from) {
  if (!loaded()) return;
  pause();
  m_from = std::clamp(from, 0.0, duration());
  m_started_at = now();
  m_playing = true;
  startSink(m_from);
}

void AudioPlayback::startSink(double from) {
  const QAudioDevice device = QMediaDevices::defaultAudioOutput();
  if (device.isNull()) return;  // silent: the clock alone moves the position
  QAudioFormat format;
  format.setSampleRate(m_clip.sample_rate);
  format.setChannelCount(1);
  format.setSampleFormat(QAudioFormat::Int16);
  if (!device.isFormatSupported(format)) return;
  const auto first = static_cast<std::size_t>(std::llround(from * m_clip.sample_rate));
  const std::size_t count = m_clip.samples.size() - std::min(first, m_clip.samples.size());
  m_bytes = QByteArray::fromRawData(reinterpret_cast<const char*>(m_clip.samples.data() + first),
                                    static_cast<qsizetype>(count * sizeof(std::int16_t)));
  m_buffer.setBuffer(&m_bytes);
  m_buffer.open(QIODevice::ReadOnly);
  m_sink = std::make_unique<QAudioSink>(device, format);
  m_sink->start(&m_buffer);
  if (m_sink->error() != QAudio::NoError) {
    m_sink.reset();
    m_buffer.close();
  }
}

void AudioPlayback::pause() {
  if (m_playing) m_from = position();
  m_playing = false;
  if (m_sink) {
    m_sink->stop();
    m_sink.reset();
  }
  if (m_buffer.isOpen()) m_buffer.close();
}

bool AudioPlayback::isPlaying() const { return m_playing && position() < duration(); }

double AudioPlayback::position() const {
  if (!m_playing) return m_from;
  return std::min(duration(), m_from + std::max(0.0, now() - m_started_at));
}

}  // namespace loctex::ui
