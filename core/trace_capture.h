#pragma once
// The Localized Narratives capture rule, independent of any UI: pointer
// samples over the image and a band around it are recorded, normalised to
// the image (origin top-left, 1.0 = full width or height, so band points lie
// in [-band, 1 + band]); a sample outside the band ends the current segment,
// and the next one inside starts a new segment. The recording's clock gives
// each sample its time in seconds. Localized Narratives records a band 10%
// of the image wide on each side.

#include <cstdint>
#include <vector>

#include "core/narrative.h"
#include "core/recording_journal.h"

namespace loctex::core {

inline constexpr double kTraceBand = 0.1;

class TraceCapture {
 public:
  // Throws std::invalid_argument for a band that is negative or not finite.
  explicit TraceCapture(double band = kTraceBand);
  // Continues a recording whose trace so far is `earlier` (a recovered
  // journal's): the next sample inside the band starts a new segment, and
  // the clock may not go back before its last point.
  explicit TraceCapture(std::vector<TraceSegment> earlier, double band = kTraceBand);

  // A pointer sample at (x, y), normalised to the image, at time t seconds.
  // Returns whether it was recorded (inside the band). Throws
  // std::invalid_argument for a non-finite value or a time before the last
  // sample's: one clock runs forward.
  bool add(double x, double y, double t);
  // The pointer left the area that reports samples (the widget, the
  // window): the current segment ends; the next sample inside starts a new one.
  void end_segment();

  // The points recorded since the last call, with their segment numbers
  // (from 0), for RecordingJournal::append.
  std::vector<JournalPoint> take_pending();
  // Everything recorded, by segment.
  const std::vector<TraceSegment>& segments() const { return m_segments; }
  std::int64_t points() const { return m_points; }
  double band() const { return m_band; }

 private:
  double m_band;
  bool m_in_segment = false;
  bool m_any_sample = false;
  double m_last_t = 0;
  std::int64_t m_points = 0;
  std::vector<TraceSegment> m_segments;
  std::vector<JournalPoint> m_pending;
};

}  // namespace loctex::core
