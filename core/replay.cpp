#include "core/replay.h"

#include <algorithm>
#include <limits>

namespace loctex::core {

Replay::Replay(const Narrative& narrative)
    : m_narrative(&narrative), m_words(split_words(narrative.timed_caption)) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const auto& segment : narrative.traces)
    for (const auto& p : segment) {
      lo = std::min(lo, p.t);
      hi = std::max(hi, p.t);
    }
  for (const auto& w : m_words) {
    lo = std::min(lo, w.start);
    hi = std::max(hi, w.end);
  }
  if (lo <= hi) {
    m_start = lo;
    m_end = hi;
  }
}

std::optional<TracePoint> Replay::pointer_at(double t) const {
  for (const auto& segment : m_narrative->traces) {
    for (std::size_t i = 0; i < segment.size(); ++i) {
      const TracePoint& p = segment[i];
      if (p.t == t) return p;
      if (i + 1 == segment.size()) break;
      const TracePoint& q = segment[i + 1];
      if (p.t < t && t < q.t) {
        const double f = (t - p.t) / (q.t - p.t);
        return TracePoint{p.x + f * (q.x - p.x), p.y + f * (q.y - p.y), t};
      }
    }
  }
  return std::nullopt;
}

std::optional<std::size_t> Replay::word_at(double t) const {
  for (std::size_t i = 0; i < m_words.size(); ++i) {
    const bool last = i + 1 == m_words.size();
    if (m_words[i].start <= t && (t < m_words[i].end || (last && t == m_words[i].end))) return i;
  }
  return std::nullopt;
}

}  // namespace loctex::core
