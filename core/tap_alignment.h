#pragma once
// Speak and point's word times, by tap-along: while the recording plays
// back, the annotator presses a key as each word of the transcript is heard.
// A tap marks the start of a word. Until tapped, words share the time
// between their neighbours' taps (or the recording's start and end) in
// proportion to their length in code points, as Localized Narratives shares
// an utterance's span among its words. Any word can be tapped again; the
// latest tap wins, and taps of other words that it puts out of order are
// dropped, so times always run forward through the words.
//
// Forced alignment (align/) places words the same way, with their ends too,
// so tap-along corrects what it found.

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "core/narrative.h"

namespace loctex::core {

class TapAlignment {
 public:
  // The transcript's words over a recording `duration` seconds long. Throws
  // std::invalid_argument for a negative or non-finite duration.
  TapAlignment(std::vector<std::string> words, double duration);

  // Taps word `index` at `t` (clamped to the recording). Throws
  // std::out_of_range for an index past the last word.
  void tap(std::size_t index, double t);
  // Taps the word after the last one tapped (the first word if none): the
  // key pressed at each word as it is heard. False when every word is tapped.
  bool tap_next(double t);
  // Places word `index` by forced alignment: it starts at `start`, as a tap
  // would, and ends at `end` rather than where the next word starts (the
  // pause after it stays out of it). A later tap or untap of the word
  // forgets the end.
  void place(std::size_t index, double start, double end);
  void untap(std::size_t index);

  std::size_t size() const { return m_words.size(); }
  double duration() const { return m_duration; }
  std::optional<double> tapped(std::size_t index) const { return m_taps.at(index); }
  // The word after the last tapped one; size() when the last word is tapped.
  std::size_t next() const;

  // Every word with its span: tapped starts kept, the rest shared.
  std::vector<TimedUtterance> timed_words() const;

 private:
  std::vector<std::string> m_words;
  std::vector<std::optional<double>> m_taps;
  std::vector<std::optional<double>> m_ends;  // of placed words
  double m_duration;
};

}  // namespace loctex::core
