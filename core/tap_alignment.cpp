#include "core/tap_alignment.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "core/words.h"

namespace loctex::core {

TapAlignment::TapAlignment(std::vector<std::string> words, double duration)
    : m_words(std::move(words)), m_taps(m_words.size()), m_ends(m_words.size()), m_duration(duration) {
  if (!std::isfinite(duration) || duration < 0)
    throw std::invalid_argument("the recording's duration must be finite and not negative, got " +
                                std::to_string(duration));
}

void TapAlignment::tap(std::size_t index, double t) {
  if (index >= m_words.size())
    throw std::out_of_range("no word " + std::to_string(index) + " in a transcript of " +
                            std::to_string(m_words.size()) + " words");
  t = std::clamp(std::isfinite(t) ? t : 0.0, 0.0, m_duration);
  // The latest tap wins: taps it puts out of order go.
  for (std::size_t i = 0; i < index; ++i)
    if (m_taps[i] && *m_taps[i] > t) m_taps[i].reset();
  for (std::size_t i = index + 1; i < m_taps.size(); ++i)
    if (m_taps[i] && *m_taps[i] < t) m_taps[i].reset();
  m_taps[index] = t;
  m_ends[index].reset();
}

void TapAlignment::place(std::size_t index, double start, double end) {
  tap(index, start);
  m_ends[index] = std::clamp(std::isfinite(end) ? end : 0.0, *m_taps[index], m_duration);
}

std::size_t TapAlignment::next() const {
  for (std::size_t i = m_taps.size(); i > 0; --i)
    if (m_taps[i - 1]) return i;
  return 0;
}

bool TapAlignment::tap_next(double t) {
  const std::size_t i = next();
  if (i >= m_words.size()) return false;
  tap(i, t);
  return true;
}

void TapAlignment::untap(std::size_t index) {
  m_taps.at(index).reset();
  m_ends[index].reset();
}

std::vector<TimedUtterance> TapAlignment::timed_words() const {
  std::vector<TimedUtterance> out(m_words.size());
  for (std::size_t i = 0; i < m_words.size(); ++i) out[i].utterance = m_words[i];
  // Runs of untapped words between anchors: [from, to) starts at `begin`
  // (the tap of word `from`, or the start) and ends at `end` (the tap of
  // word `to`, or the recording's end).
  std::size_t from = 0;
  while (from < m_words.size()) {
    std::size_t to = from + 1;
    while (to < m_words.size() && !m_taps[to]) ++to;
    double begin = m_taps[from] ? *m_taps[from] : 0.0;
    const double end = to < m_words.size() ? *m_taps[to] : m_duration;
    std::size_t first = from;
    // A placed word ends where it was found (if before the next word's
    // start); the words after it share the time from there.
    if (m_ends[from]) {
      out[from].start_time = begin;
      out[from].end_time = std::min(*m_ends[from], end);
      begin = out[from].end_time;
      first = from + 1;
    }
    double total = 0;
    for (std::size_t i = first; i < to; ++i)
      total += static_cast<double>(std::max<std::size_t>(1, code_point_count(m_words[i])));
    double done = 0;
    for (std::size_t i = first; i < to; ++i) {
      out[i].start_time = begin + (end - begin) * done / total;
      done += static_cast<double>(std::max<std::size_t>(1, code_point_count(m_words[i])));
      out[i].end_time = i + 1 == to ? end : begin + (end - begin) * done / total;
    }
    from = to;
  }
  return out;
}

}  // namespace loctex::core
