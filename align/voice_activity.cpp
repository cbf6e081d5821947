#include "align/voice_activity.h"

#include <algorithm>
#include <cmath>

namespace loctex::align {
namespace {

constexpr double kSpeechRangeDb = 35;  // voice reaches this far below the loud frames
constexpr double kAboveFloorDb = 15;   // and stands this far above the quiet ones
constexpr std::size_t kBridgeFrames = 5;

double percentile(std::vector<double> values, double p) {
  const auto k = static_cast<std::size_t>(p * static_cast<double>(values.size() - 1));
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(k), values.end());
  return values[k];
}

}  // namespace

std::size_t VoiceActivity::frame_of(double seconds) {
  return seconds <= 0 ? 0 : static_cast<std::size_t>(std::lround(seconds / kFrameSeconds));
}

VoiceActivity::VoiceActivity(const std::vector<std::int16_t>& samples, int sample_rate) {
  const auto frame = static_cast<std::size_t>(std::max(1, static_cast<int>(sample_rate * kFrameSeconds)));
  std::vector<double> levels;
  levels.reserve(samples.size() / frame + 1);
  for (std::size_t i = 0; i < samples.size(); i += frame) {
    const std::size_t n = std::min(frame, samples.size() - i);
    double energy = 0;
    for (std::size_t k = 0; k < n; ++k) energy += static_cast<double>(samples[i + k]) * samples[i + k];
    // dB relative to full scale, with digital silence held at -120 dB.
    levels.push_back(10 * std::log10(energy / static_cast<double>(n) / (32768.0 * 32768.0) + 1e-12));
  }
  if (levels.empty()) return;
  const double threshold =
      std::max(percentile(levels, 0.95) - kSpeechRangeDb, percentile(levels, 0.10) + kAboveFloorDb);
  m_voiced.reserve(levels.size());
  for (const double level : levels) m_voiced.push_back(level >= threshold);
}

double VoiceActivity::voiced_fraction(double start, double end) const {
  const std::size_t first = std::min(frame_of(start), frames());
  const std::size_t last = std::min(frame_of(end), frames());
  if (last <= first) return 0;
  const auto n = std::count(m_voiced.begin() + static_cast<std::ptrdiff_t>(first),
                            m_voiced.begin() + static_cast<std::ptrdiff_t>(last), true);
  return static_cast<double>(n) / static_cast<double>(last - first);
}

std::vector<Span> VoiceActivity::uncovered_voice(const std::vector<Span>& covered, double min_seconds) const {
  std::vector<bool> open = m_voiced;
  for (const auto& span : covered)
    for (std::size_t f = frame_of(span.start); f < std::min(frame_of(span.end), frames()); ++f)
      open[f] = false;
  std::vector<Span> runs;
  const auto min_frames = static_cast<std::size_t>(std::lround(min_seconds / kFrameSeconds));
  std::size_t f = 0;
  while (f < open.size()) {
    if (!open[f]) {
      ++f;
      continue;
    }
    const std::size_t first = f;
    std::size_t last = f;  // one past the run's last voiced frame
    for (std::size_t gap = 0; f < open.size() && gap <= kBridgeFrames; ++f) {
      if (open[f]) {
        last = f + 1;
        gap = 0;
      } else {
        ++gap;
      }
    }
    f = last;
    if (last - first >= min_frames)
      runs.push_back({static_cast<double>(first) * kFrameSeconds, static_cast<double>(last) * kFrameSeconds});
  }
  return runs;
}

}  // namespace loctex::align
