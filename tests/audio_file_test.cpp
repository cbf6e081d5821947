// Voice recordings on disk: a WAV written as samples come reads back exactly,
// also after the writer was killed without closing it; other formats and
// channel counts read mixed to mono; bad files are named in the error.
#include "core/audio_file.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "test_support.h"

namespace {

using namespace loctex::core;
using loctex::testing::error_of;
using loctex::testing::TempDir;
using loctex::testing::write_text;
namespace fs = std::filesystem;

// A tone with a ramp on it, so every sample differs from its neighbours.
std::vector<std::int16_t> tone(std::size_t n, int rate, double hz = 440) {
  std::vector<std::int16_t> out(n);
  for (std::size_t i = 0; i < n; ++i)
    out[i] = static_cast<std::int16_t>(std::lround(
        12000 * std::sin(2 * M_PI * hz * static_cast<double>(i) / rate) + static_cast<double>(i % 97)));
  return out;
}

// A 16-bit PCM WAV made byte by byte, as another program would write it.
std::string wav_bytes(int rate, int channels, const std::vector<std::int16_t>& interleaved) {
  std::string out;
  const auto u32 = [&](std::uint32_t v) { out.append(reinterpret_cast<const char*>(&v), 4); };
  const auto u16 = [&](std::uint16_t v) { out.append(reinterpret_cast<const char*>(&v), 2); };
  const auto data = static_cast<std::uint32_t>(interleaved.size() * 2);
  out += "RIFF";
  u32(36 + data);
  out += "WAVEfmt ";
  u32(16);
  u16(1);
  u16(static_cast<std::uint16_t>(channels));
  u32(static_cast<std::uint32_t>(rate));
  u32(static_cast<std::uint32_t>(rate * channels * 2));
  u16(static_cast<std::uint16_t>(channels * 2));
  u16(16);
  out += "data";
  u32(data);
  out.append(reinterpret_cast<const char*>(interleaved.data()), data);
  return out;
}

TEST(audio_file_test, what_the_writer_writes_reads_back_sample_for_sample) {
  TempDir dir;
  const fs::path path = dir / "audio/take.wav";  // the folder is made
  const auto samples = tone(16000 + 123, 16000);
  {
    WavWriter writer(path, 16000);
    writer.write_silence(80);
    writer.write(std::span(samples).first(5000));
    writer.write(std::span(samples).subspan(5000));
    EXPECT_EQ(writer.frames(), 80 + 16123);
    EXPECT_DOUBLE_EQ(writer.duration(), (80 + 16123) / 16000.0);
  }
  const AudioInfo info = probe_audio(path);
  EXPECT_EQ(info.sample_rate, 16000);
  EXPECT_EQ(info.channels, 1);
  EXPECT_EQ(info.frames, 80 + 16123);
  const AudioClip clip = read_audio(path);
  EXPECT_EQ(clip.sample_rate, 16000);
  ASSERT_EQ(clip.samples.size(), 80u + samples.size());
  EXPECT_EQ(std::vector<std::int16_t>(clip.samples.begin(), clip.samples.begin() + 80),
            std::vector<std::int16_t>(80, 0));
  EXPECT_EQ(std::vector<std::int16_t>(clip.samples.begin() + 80, clip.samples.end()), samples);
  EXPECT_NEAR(clip.duration(), 16203 / 16000.0, 1e-12);
}

TEST(audio_file_test, a_writer_killed_without_closing_leaves_every_written_sample_playable) {
  TempDir dir;
  const fs::path path = dir / "killed.wav";
  const auto samples = tone(48000, 48000, 300);
  int written[2];
  ASSERT_EQ(::pipe(written), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(written[0]);
    try {
      WavWriter writer(path, 48000);
      for (std::size_t at = 0; at < samples.size(); at += 4800)
        writer.write(std::span(samples).subspan(at, 4800));
      const char byte = 1;
      if (::write(written[1], &byte, 1) != 1) ::_exit(2);
      ::pause();  // the parent kills this process here, the writer still open
    } catch (...) {
      ::_exit(3);
    }
  }
  ::close(written[1]);
  char byte = 0;
  ASSERT_EQ(::read(written[0], &byte, 1), 1) << "the writer died before writing";
  ASSERT_EQ(::kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ::close(written[0]);
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(probe_audio(path).frames, 48000);  // the header was up to date
  EXPECT_EQ(read_audio(path).samples, samples);
}

TEST(audio_file_test, the_peak_envelope_holds_each_slice_s_loudest_sample) {
  AudioClip clip{16000, 1, {0, 100, -16384, 5, 0, 0, 32767, -32768, 1, 2}};
  const auto peaks = peak_envelope(clip, 5);  // two samples a slice
  ASSERT_EQ(peaks.size(), 5u);
  EXPECT_FLOAT_EQ(peaks[0], 100.0f / 32768);
  EXPECT_FLOAT_EQ(peaks[1], 0.5f);
  EXPECT_FLOAT_EQ(peaks[2], 0.0f);
  EXPECT_FLOAT_EQ(peaks[3], 1.0f);
  EXPECT_FLOAT_EQ(peaks[4], 2.0f / 32768);
  EXPECT_EQ(peak_envelope(clip, 20).size(), 20u);  // more slices than samples: some stay 0
  EXPECT_TRUE(peak_envelope(AudioClip{}, 5).empty());
}

TEST(audio_file_test, stereo_reads_as_the_mean_of_its_channels) {
  TempDir dir;
  const std::vector<std::int16_t> interleaved = {100, 300, -200, -400, 32767, 32767, -32768, -32768};
  write_text(dir / "stereo.wav", wav_bytes(48000, 2, interleaved));
  const AudioClip clip = read_audio(dir / "stereo.wav");
  EXPECT_EQ(clip.sample_rate, 48000);
  EXPECT_EQ(clip.channels, 2);
  EXPECT_EQ(clip.samples, (std::vector<std::int16_t>{200, -300, 32767, -32768}));
}

TEST(audio_file_test, a_recording_is_never_written_over) {
  TempDir dir;
  write_text(dir / "take.wav", "precious");
  EXPECT_NE(error_of<std::runtime_error>([&] {
              WavWriter(dir / "take.wav", 16000);
            }).find("take.wav: already exists"),
            std::string::npos);
  EXPECT_EQ(loctex::testing::read_text(dir / "take.wav"), "precious");
  EXPECT_NE(error_of<std::invalid_argument>([&] { WavWriter(dir / "new.wav", 0); }).find("sample rate"),
            std::string::npos);
}

TEST(audio_file_test, missing_and_malformed_files_are_named_with_the_reason) {
  TempDir dir;
  const auto missing = error_of<std::runtime_error>([&] { read_audio(dir / "none.wav"); });
  EXPECT_NE(missing.find("none.wav: cannot read audio"), std::string::npos) << missing;
  write_text(dir / "text.wav", "this is not audio at all, only text in a file named .wav");
  const auto garbage = error_of<std::runtime_error>([&] { probe_audio(dir / "text.wav"); });
  EXPECT_NE(garbage.find("text.wav: cannot read audio: "), std::string::npos) << garbage;
  EXPECT_GT(garbage.size(),
            (dir / "text.wav: cannot read audio: ").string().size());  // libsndfile's reason follows
}

TEST(audio_file_test, a_closed_writer_refuses_more_samples) {
  TempDir dir;
  WavWriter writer(dir / "take.wav", 16000);
  writer.close();
  const std::vector<std::int16_t> more(10, 1);
  EXPECT_NE(error_of<std::logic_error>([&] { writer.write(more); }).find("closed"), std::string::npos);
}

}  // namespace
