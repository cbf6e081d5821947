#pragma once
// Re-trace: an existing caption is shown word by word at a pace the
// annotator sets, and the annotator points along; the display schedule is
// the words' times. A word is shown for a time in proportion to its length
// plus one (a short word still takes a beat), scaled so that the caption
// as a whole runs at the pace in words per minute. The pace may change
// while it runs: words not yet begun follow the new pace.

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "core/narrative.h"

namespace loctex::core {

class RetraceSchedule {
 public:
  // Throws std::invalid_argument for no words or a pace outside
  // [kMinWordsPerMinute, kMaxWordsPerMinute].
  RetraceSchedule(std::vector<std::string> words, double words_per_minute);

  static constexpr double kMinWordsPerMinute = 20;
  static constexpr double kMaxWordsPerMinute = 400;

  // The word shown at `t` seconds after the start; nullopt after the last.
  std::optional<std::size_t> word_at(double t) const;
  // The pace from `t` on: the word shown at `t` keeps its start and takes
  // its new length from there; later words follow. Throws like the
  // constructor for a bad pace.
  void set_pace(double words_per_minute, double t);
  double pace() const { return m_pace; }

  const std::vector<TimedUtterance>& timed_words() const { return m_timed; }
  double end_time() const { return m_timed.back().end_time; }

 private:
  double duration(std::size_t word, double words_per_minute) const;
  void retime_from(std::size_t first, double start);

  std::vector<TimedUtterance> m_timed;
  double m_mean_length = 1;
  double m_pace;
};

}  // namespace loctex::core
