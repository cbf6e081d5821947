#pragma once
// Speech with known word times, made at test time: each word spoken
// separately by espeak-ng, its silence trimmed, the pieces joined with known
// silences, so every word's true start and end are known to the sample.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "align/resample.h"
#include "core/audio_file.h"
#include "test_support.h"

namespace loctex::testing {

namespace fs = std::filesystem;

inline constexpr int kRate = 16000;

struct Truth {
  std::string word;
  double start = 0;
  double end = 0;
};

struct Speech {
  loctex::core::AudioClip clip;
  std::vector<Truth> truth;
};

// Trims a word's silence: samples under 2% of full scale at either end.
inline std::vector<std::int16_t> trimmed(const std::vector<std::int16_t>& samples) {
  const auto loud = [](std::int16_t s) { return std::abs(static_cast<int>(s)) > 655; };
  const auto first = std::find_if(samples.begin(), samples.end(), loud);
  const auto last = std::find_if(samples.rbegin(), samples.rend(), loud).base();
  return first < last ? std::vector<std::int16_t>(first, last) : std::vector<std::int16_t>{};
}

// One word as espeak-ng says it, at 16 kHz, its silence trimmed.
inline std::vector<std::int16_t> say(const TempDir& dir, const std::string& word) {
  const fs::path wav = dir / ("word-" + std::to_string(std::hash<std::string>{}(word)) + ".wav");
  const std::string command = "espeak-ng -w '" + wav.string() + "' '" + word + "'";
  if (std::system(command.c_str()) != 0) throw std::runtime_error("espeak-ng failed: " + command);
  const auto clip = loctex::core::read_audio(wav);
  return trimmed(loctex::align::resample(clip.samples, clip.sample_rate, kRate));
}

// `speech` over a room's noise floor: white noise `dbfs` below full scale
// (RMS), drawn from a fixed seed so every run hears the same room. Real
// recordings never hold digital silence, and the aligner's silence model
// behaves differently over it.
inline Speech over_noise(Speech speech, double dbfs) {
  // Box-Muller on mt19937_64's raw output, which the standard fixes bit for
  // bit (std::normal_distribution differs between standard libraries).
  std::mt19937_64 random(7);
  const auto uniform = [&] { return static_cast<double>(random() >> 11) * 0x1.0p-53; };
  const double scale = 32768.0 * std::pow(10.0, dbfs / 20);
  for (auto& s : speech.clip.samples) {
    const double noise = std::sqrt(-2.0 * std::log(1.0 - uniform())) * std::cos(2.0 * M_PI * uniform());
    s = static_cast<std::int16_t>(std::clamp(std::round(s + scale * noise), -32768.0, 32767.0));
  }
  return speech;
}

// A speaker: one word in, its 16 kHz samples out, silence trimmed.
using Sayer = std::function<std::vector<std::int16_t>(const TempDir&, const std::string&)>;

// The words spoken one after another with `gaps[i]` seconds of silence
// before word i (the first gap leads in) and 0.5 s after the last.
inline Speech speak(const TempDir& dir, const std::vector<std::string>& words,
                    const std::vector<double>& gaps, const Sayer& sayer = say) {
  Speech speech;
  speech.clip.sample_rate = kRate;
  speech.clip.channels = 1;
  auto& out = speech.clip.samples;
  for (std::size_t i = 0; i < words.size(); ++i) {
    out.insert(out.end(), static_cast<std::size_t>(gaps[i] * kRate), 0);
    const auto piece = sayer(dir, words[i]);
    const double start = static_cast<double>(out.size()) / kRate;
    out.insert(out.end(), piece.begin(), piece.end());
    speech.truth.push_back({words[i], start, static_cast<double>(out.size()) / kRate});
  }
  out.insert(out.end(), kRate / 2, 0);
  return speech;
}

}  // namespace loctex::testing
