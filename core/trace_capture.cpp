#include "core/trace_capture.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace loctex::core {

TraceCapture::TraceCapture(double band) : m_band(band) {
  if (!std::isfinite(band) || band < 0)
    throw std::invalid_argument("the trace band must be a finite share of the image, at least 0; got " +
                                std::to_string(band));
}

TraceCapture::TraceCapture(std::vector<TraceSegment> earlier, double band) : TraceCapture(band) {
  std::erase_if(earlier, [](const TraceSegment& s) { return s.empty(); });
  m_segments = std::move(earlier);
  for (const auto& segment : m_segments) {
    m_points += static_cast<std::int64_t>(segment.size());
    m_last_t = std::max(m_last_t, segment.back().t);
  }
  m_any_sample = m_points > 0;
}

bool TraceCapture::add(double x, double y, double t) {
  if (!std::isfinite(x) || !std::isfinite(y) || !std::isfinite(t))
    throw std::invalid_argument("a pointer sample must be finite");
  if (m_any_sample && t < m_last_t)
    throw std::invalid_argument("a pointer sample at t = " + std::to_string(t) +
                                " s comes before the last one at t = " + std::to_string(m_last_t) + " s");
  m_any_sample = true;
  m_last_t = t;
  const bool inside = x >= -m_band && x <= 1 + m_band && y >= -m_band && y <= 1 + m_band;
  if (!inside) {
    m_in_segment = false;
    return false;
  }
  if (!m_in_segment) {
    m_segments.emplace_back();
    m_in_segment = true;
  }
  m_segments.back().push_back({x, y, t});
  m_pending.push_back({static_cast<std::int64_t>(m_segments.size()) - 1, {x, y, t}});
  ++m_points;
  return true;
}

void TraceCapture::end_segment() { m_in_segment = false; }

std::vector<JournalPoint> TraceCapture::take_pending() {
  std::vector<JournalPoint> out;
  out.swap(m_pending);
  return out;
}

}  // namespace loctex::core
