#include "core/retrace_schedule.h"

#include <cmath>
#include <stdexcept>
#include <string>

namespace loctex::core {
namespace {

void check_pace(double words_per_minute) {
  if (!(words_per_minute >= RetraceSchedule::kMinWordsPerMinute &&
        words_per_minute <= RetraceSchedule::kMaxWordsPerMinute))
    throw std::invalid_argument("the re-trace pace must be between 20 and 400 words per minute, got " +
                                std::to_string(words_per_minute));
}

}  // namespace

RetraceSchedule::RetraceSchedule(std::vector<std::string> words, double words_per_minute)
    : m_pace(words_per_minute) {
  if (words.empty()) throw std::invalid_argument("re-trace needs a caption with at least one word");
  check_pace(words_per_minute);
  double total = 0;
  for (auto& w : words) {
    total += static_cast<double>(w.size());
    m_timed.push_back({std::move(w), 0, 0});
  }
  m_mean_length = total / static_cast<double>(m_timed.size());
  retime_from(0, 0.0);
}

double RetraceSchedule::duration(std::size_t word, double words_per_minute) const {
  const double length = static_cast<double>(m_timed[word].utterance.size());
  return 60.0 / words_per_minute * (length + 1) / (m_mean_length + 1);
}

void RetraceSchedule::retime_from(std::size_t first, double start) {
  double t = start;
  for (std::size_t i = first; i < m_timed.size(); ++i) {
    m_timed[i].start_time = t;
    t += duration(i, m_pace);
    m_timed[i].end_time = t;
  }
}

std::optional<std::size_t> RetraceSchedule::word_at(double t) const {
  if (t < 0) return 0;  // before the start the first word is up next
  for (std::size_t i = 0; i < m_timed.size(); ++i)
    if (t < m_timed[i].end_time) return i;
  return std::nullopt;
}

void RetraceSchedule::set_pace(double words_per_minute, double t) {
  check_pace(words_per_minute);
  m_pace = words_per_minute;
  const auto current = word_at(t);
  if (!current) return;  // finished: nothing left to re-time
  retime_from(*current, m_timed[*current].start_time);
  // The word on screen may not end before now.
  if (m_timed[*current].end_time < t) {
    const double shift = t - m_timed[*current].end_time;
    m_timed[*current].end_time = t;
    for (std::size_t i = *current + 1; i < m_timed.size(); ++i) {
      m_timed[i].start_time += shift;
      m_timed[i].end_time += shift;
    }
  }
}

}  // namespace loctex::core
