#include "ui/microphone.h"

#include <QAudioDevice>
#include <QAudioSource>
#include <QIODevice>
#include <QMediaDevices>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace loctex::ui {
namespace {

// One sample as a fraction of full scale, read without alignment assumptions.
double sample_at(const char* p, QAudioFormat::SampleFormat format) {
  switch (format) {
    case QAudioFormat::UInt8:
      return (static_cast<double>(static_cast<unsigned char>(*p)) - 128.0) / 128.0;
    case QAudioFormat::Int16: {
      std::int16_t v;
      std::memcpy(&v, p, sizeof v);
      return v / 32768.0;
    }
    case QAudioFormat::Int32: {
      std::int32_t v;
      std::memcpy(&v, p, sizeof v);
      return v / 2147483648.0;
    }
    case QAudioFormat::Float: {
      float v;
      std::memcpy(&v, p, sizeof v);
      return static_cast<double>(v);
    }
    default:
      return 0.0;
  }
}

}  // namespace

std::vector<std::int16_t> to_mono_int16(const char* data, qsizetype bytes, const QAudioFormat& format) {
  const int channels = std::max(1, format.channelCount());
  const int sample_bytes = format.bytesPerSample();
  if (sample_bytes <= 0) return {};
  const qsizetype frame_bytes = static_cast<qsizetype>(sample_bytes) * channels;
  std::vector<std::int16_t> out(static_cast<std::size_t>(bytes / frame_bytes));
  for (std::size_t f = 0; f < out.size(); ++f) {
    double sum = 0;
    for (int c = 0; c < channels; ++c)
      sum +=
          sample_at(data + static_cast<qsizetype>(f) * frame_bytes + c * sample_bytes, format.sampleFormat());
    out[f] = static_cast<std::int16_t>(std::clamp(std::lround(sum / channels * 32768.0), -32768L, 32767L));
  }
  return out;
}

SystemMicrophone::SystemMicrophone(QObject* parent) : QObject(parent) {}

SystemMicrophone::~SystemMicrophone() { stop(); }

QString SystemMicrophone::start(Sink sink) {
  stop();
  const QAudioDevice device = QMediaDevices::defaultAudioInput();
  if (device.isNull())
    return tr(
        "no microphone was found. Connect one (or enable it in the system's sound settings) and try "
        "again");
  QAudioFormat wanted = device.preferredFormat();
  wanted.setChannelCount(1);
  wanted.setSampleFormat(QAudioFormat::Int16);
  m_format = device.isFormatSupported(wanted) ? wanted : device.preferredFormat();
  m_source = std::make_unique<QAudioSource>(device, m_format);
  m_sink = std::move(sink);
  m_partial.clear();
  m_device = m_source->start();
  if (!m_device || m_source->error() != QAudio::NoError) {
    const QString name = device.description();
    m_source.reset();
    m_device = nullptr;
    return tr("the microphone \"%1\" could not be opened (it may be in use by another program)").arg(name);
  }
  connect(m_device, &QIODevice::readyRead, this, &SystemMicrophone::readAvailable);
  return {};
}

void SystemMicrophone::readAvailable() {
  if (!m_device) return;
  m_partial += m_device->readAll();
  const qsizetype frame = static_cast<qsizetype>(m_format.bytesPerFrame());
  if (frame <= 0) return;
  const qsizetype whole = m_partial.size() / frame * frame;
  const auto mono = to_mono_int16(m_partial.constData(), whole, m_format);
  m_partial.remove(0, whole);
  if (!mono.empty() && m_sink) m_sink(mono);
}

void SystemMicrophone::stop() {
  if (!m_source) return;
  readAvailable();  // what the device holds still belongs to the recording
  m_source->stop();
  m_source.reset();
  m_device = nullptr;
}

}  // namespace loctex::ui
