#pragma once
// Replaying a narrative: where the pointer was and which word was being said
// at any moment, on the narrative's own clock (the trace's and the words'
// times are on one clock in Localized Narratives).

#include <cstddef>
#include <optional>
#include <vector>

#include "core/narrative.h"
#include "core/words.h"

namespace loctex::core {

class Replay {
 public:
  // Keeps a reference: `narrative` must outlive the Replay.
  explicit Replay(const Narrative& narrative);

  // The first and last time anything happens (trace point or word); 0 and 0
  // for an empty narrative.
  double start() const { return m_start; }
  double end() const { return m_end; }

  // The pointer at `t`: between two samples of a segment, on the straight
  // line between them in proportion to time; at a sample, that sample;
  // between segments, before the first or after the last, nowhere (the hand
  // was off the image). Samples out of time order (a quirk of real data)
  // are taken in their recorded order.
  std::optional<TracePoint> pointer_at(double t) const;
  // The word being said at `t` (its [start, end) holds t; the last word
  // holds its end too), as an index into words(); nullopt between words.
  std::optional<std::size_t> word_at(double t) const;
  const std::vector<Word>& words() const { return m_words; }

 private:
  const Narrative* m_narrative;
  std::vector<Word> m_words;
  double m_start = 0;
  double m_end = 0;
};

}  // namespace loctex::core
