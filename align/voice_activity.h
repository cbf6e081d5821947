#pragma once
// Where a recording holds voice, frame by frame: the alignment's own check on
// itself. A word aligned over silence, or voice that no typed word covers (a
// word said but not typed), shows in the levels whatever the acoustic model
// thought, so the annotator is pointed at the words to check.

#include <cstdint>
#include <vector>

namespace loctex::align {

struct Span {
  double start = 0;  // seconds
  double end = 0;
  friend bool operator==(const Span&, const Span&) = default;
};

class VoiceActivity {
 public:
  static constexpr double kFrameSeconds = 0.01;  // the decoder's frame shift

  // Levels of `samples` (mono, any rate) in 10 ms frames. A frame is voiced
  // when its RMS level is within 35 dB of the recording's loud frames (95th
  // percentile) and at least 15 dB above its quiet ones (10th percentile):
  // relative to the recording, so a quiet microphone or a noisy room is
  // judged on its own scale.
  VoiceActivity(const std::vector<std::int16_t>& samples, int sample_rate);

  // The frame nearest `seconds` (0 for times before the start).
  static std::size_t frame_of(double seconds);

  std::size_t frames() const { return m_voiced.size(); }
  bool voiced(std::size_t frame) const { return m_voiced.at(frame); }
  // Share of the frames in [start, end) that are voiced; 0 for an empty span.
  double voiced_fraction(double start, double end) const;
  // Runs of voice at least `min_seconds` long that none of `covered` (in any
  // order) overlaps; pauses of up to 50 ms inside a run do not end it.
  std::vector<Span> uncovered_voice(const std::vector<Span>& covered, double min_seconds) const;

 private:
  std::vector<bool> m_voiced;
};

}  // namespace loctex::align
