#pragma once
// Voice recordings on disk, through libsndfile: the app writes 16-bit PCM
// WAV as the microphone delivers it, and reads any format libsndfile does
// (WAV, FLAC, OGG/Vorbis as Google publishes Localized Narratives' voices)
// for playback and alignment.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <vector>

namespace loctex::core {

// A recording mixed down to one channel.
struct AudioClip {
  int sample_rate = 0;
  int channels = 0;  // in the file, before mixing down
  std::vector<std::int16_t> samples;
  double duration() const {
    return sample_rate > 0 ? static_cast<double>(samples.size()) / sample_rate : 0.0;
  }
};

// What a recording's header says; for a WAV written by WavWriter, also
// after a kill. Throws std::runtime_error naming the file, as read_audio.
struct AudioInfo {
  int sample_rate = 0;
  int channels = 0;
  std::int64_t frames = 0;
  double duration() const { return sample_rate > 0 ? static_cast<double>(frames) / sample_rate : 0.0; }
};
AudioInfo probe_audio(const std::filesystem::path& path);

// Reads `path` whole, mixing its channels to one. Throws std::runtime_error
// naming the file and libsndfile's reason for a missing, unreadable or
// malformed file. A WAV whose header was not updated after its last write (a
// killed recorder) reads up to the end of its data.
AudioClip read_audio(const std::filesystem::path& path);

// The clip's loudness in `buckets` equal slices: the largest magnitude in
// each, 0 to 1, for drawing the waveform. Empty for an empty clip.
std::vector<float> peak_envelope(const AudioClip& clip, std::size_t buckets);

// A mono 16-bit PCM WAV written as the samples come. Every write updates the
// header and goes straight to the operating system (libsndfile does not
// buffer), so a crash or a kill of the app leaves a playable file holding
// every sample written.
class WavWriter {
 public:
  // Creates `path` (and its folder); throws std::runtime_error naming it if it already
  // exists or cannot be created, std::invalid_argument for a non-positive
  // sample rate.
  WavWriter(const std::filesystem::path& path, int sample_rate);
  ~WavWriter();
  WavWriter(WavWriter&&) noexcept;
  WavWriter& operator=(WavWriter&&) noexcept;

  // Throws std::runtime_error naming the file if the write fails (a full
  // disk); what was written before stays playable.
  void write(std::span<const std::int16_t> samples);
  // Silence: `count` zero samples.
  void write_silence(std::int64_t count);
  std::int64_t frames() const { return m_frames; }
  int sample_rate() const { return m_sample_rate; }
  double duration() const { return static_cast<double>(m_frames) / m_sample_rate; }
  // Closes the file; later writes throw std::logic_error.
  void close();

 private:
  struct File;
  std::unique_ptr<File> m_file;
  std::filesystem::path m_path;
  int m_sample_rate = 0;
  std::int64_t m_frames = 0;
};

}  // namespace loctex::core
