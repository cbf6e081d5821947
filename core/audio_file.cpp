#include "core/audio_file.h"

#include <fcntl.h>
#include <sndfile.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <string>
#include <system_error>

namespace loctex::core {
namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail(const fs::path& path, const std::string& what, const std::string& reason) {
  throw std::runtime_error(path.string() + ": " + what + ": " + reason);
}

// A file libsndfile opened, or the reason it could not.
struct Opened {
  SNDFILE* file = nullptr;
  std::string reason;
};

// libsndfile keeps the reason an open failed in one place for the whole
// process (sf_strerror(nullptr)), which any other open overwrites: opens
// are serialised with the reading of that reason, so threads opening at once
// (loctex-align reads voices in parallel) each get their own.
template <typename Open>
Opened open_serialised(Open open) {
  static std::mutex mutex;
  const std::lock_guard lock(mutex);
  SNDFILE* file = open();
  return {file, file ? std::string() : std::string(sf_strerror(nullptr))};
}

}  // namespace

AudioInfo probe_audio(const fs::path& path) {
  SF_INFO info{};
  const auto [file, reason] = open_serialised([&] { return sf_open(path.c_str(), SFM_READ, &info); });
  if (!file) fail(path, "cannot read audio", reason);
  sf_close(file);
  return {info.samplerate, info.channels, static_cast<std::int64_t>(info.frames)};
}

AudioClip read_audio(const fs::path& path) {
  SF_INFO info{};
  const auto [file, open_failure] = open_serialised([&] { return sf_open(path.c_str(), SFM_READ, &info); });
  if (!file) fail(path, "cannot read audio", open_failure);
  AudioClip clip;
  clip.sample_rate = info.samplerate;
  clip.channels = info.channels;
  if (info.channels <= 0 || info.samplerate <= 0) {
    sf_close(file);
    throw std::runtime_error(path.string() + ": no audio channels or no sample rate");
  }
  // In blocks, not by the header's frame count: a header left behind by a
  // killed writer may claim less (or more) than the file holds.
  const auto channels = static_cast<std::size_t>(info.channels);
  std::vector<std::int16_t> block(4096 * channels);
  for (;;) {
    const sf_count_t got = sf_readf_short(file, block.data(), 4096);
    if (got <= 0) break;
    for (sf_count_t f = 0; f < got; ++f) {
      int sum = 0;
      for (std::size_t c = 0; c < channels; ++c) sum += block[static_cast<std::size_t>(f) * channels + c];
      clip.samples.push_back(static_cast<std::int16_t>(sum / static_cast<int>(channels)));
    }
  }
  const int error = sf_error(file);
  if (error != SF_ERR_NO_ERROR) {
    const std::string reason = sf_error_number(error);
    sf_close(file);
    throw std::runtime_error(path.string() + ": cannot read audio: " + reason);
  }
  sf_close(file);
  return clip;
}

struct WavWriter::File {
  SNDFILE* handle = nullptr;
  ~File() {
    if (handle) sf_close(handle);
  }
};

WavWriter::WavWriter(const fs::path& path, int sample_rate) : m_path(path), m_sample_rate(sample_rate) {
  if (sample_rate <= 0)
    throw std::invalid_argument("WAV sample rate must be positive, got " + std::to_string(sample_rate));
  if (path.has_parent_path()) fs::create_directories(path.parent_path());
  // Created exclusively, then handed to libsndfile (whose own open would
  // truncate): a recording is never written over, even by a second writer.
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    if (errno == EEXIST) throw std::runtime_error(path.string() + ": already exists; not overwriting it");
    throw std::system_error(errno, std::generic_category(), path.string() + ": cannot create the recording");
  }
  SF_INFO info{};
  info.samplerate = sample_rate;
  info.channels = 1;
  info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
  m_file = std::make_unique<File>();
  // libsndfile closes fd with the file, or at once if it fails.
  const auto opened = open_serialised([&] { return sf_open_fd(fd, SFM_WRITE, &info, SF_TRUE); });
  m_file->handle = opened.file;
  if (!m_file->handle) {
    std::error_code ignored;
    fs::remove(path, ignored);
    fail(path, "cannot create the recording", opened.reason);
  }
  // The header's sizes follow every write, so the file is whole at any moment.
  sf_command(m_file->handle, SFC_SET_UPDATE_HEADER_AUTO, nullptr, SF_TRUE);
}

WavWriter::~WavWriter() = default;
WavWriter::WavWriter(WavWriter&&) noexcept = default;
WavWriter& WavWriter::operator=(WavWriter&&) noexcept = default;

void WavWriter::write(std::span<const std::int16_t> samples) {
  if (!m_file) throw std::logic_error(m_path.string() + ": the recording is closed");
  if (samples.empty()) return;
  const auto n = static_cast<sf_count_t>(samples.size());
  if (sf_write_short(m_file->handle, samples.data(), n) != n)
    fail(m_path, "cannot write audio", sf_strerror(m_file->handle));  // this file's own reason
  m_frames += n;
}

void WavWriter::write_silence(std::int64_t count) {
  const std::vector<std::int16_t> zeros(4096, 0);
  while (count > 0) {
    const auto n = std::min<std::int64_t>(count, static_cast<std::int64_t>(zeros.size()));
    write(std::span(zeros).first(static_cast<std::size_t>(n)));
    count -= n;
  }
}

void WavWriter::close() { m_file.reset(); }

std::vector<float> peak_envelope(const AudioClip& clip, std::size_t buckets) {
  std::vector<float> peaks;
  if (clip.samples.empty() || buckets == 0) return peaks;
  peaks.resize(buckets, 0.0f);
  const std::size_t n = clip.samples.size();
  for (std::size_t i = 0; i < n; ++i) {
    float& peak = peaks[i * buckets / n];
    peak = std::max(peak, static_cast<float>(std::abs(static_cast<int>(clip.samples[i]))) / 32768.0f);
  }
  return peaks;
}

}  // namespace loctex::core
