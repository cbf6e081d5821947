#include "core/word_edits.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "core/words.h"

namespace loctex::core {
namespace {

void check_index(const std::vector<TimedUtterance>& words, std::size_t index) {
  if (index >= words.size())
    throw std::out_of_range("no word " + std::to_string(index) + " in a caption of " +
                            std::to_string(words.size()) + " words");
}

}  // namespace

std::vector<TimedUtterance> word_level(const std::vector<TimedUtterance>& timed_caption) {
  std::vector<TimedUtterance> out;
  for (const auto& w : split_words(timed_caption)) out.push_back({w.text, w.start, w.end});
  return out;
}

Narrative rename_word(Narrative narrative, std::size_t index, const std::string& text) {
  auto words = word_level(narrative.timed_caption);
  check_index(words, index);
  if (text.empty() || split_ascii_whitespace(text).size() != 1 ||
      split_ascii_whitespace(text)[0].size() != text.size())
    throw std::invalid_argument("a word's text must be one word without spaces, got '" + text + "'");
  words[index].utterance = text;
  narrative.caption = join_utterances(words);
  narrative.timed_caption = std::move(words);
  return narrative;
}

Narrative set_word_span(Narrative narrative, std::size_t index, double start, double end) {
  auto words = word_level(narrative.timed_caption);
  check_index(words, index);
  if (!std::isfinite(start) || !std::isfinite(end) || end < start)
    throw std::invalid_argument("a word's span must be finite with end >= start");
  const double lo = index > 0 ? words[index - 1].end_time : -std::numeric_limits<double>::infinity();
  const double hi =
      index + 1 < words.size() ? words[index + 1].start_time : std::numeric_limits<double>::infinity();
  start = std::clamp(start, std::min(lo, end), end);
  end = std::clamp(end, start, std::max(hi, start));
  words[index].start_time = start;
  words[index].end_time = end;
  narrative.caption = join_utterances(words);
  narrative.timed_caption = std::move(words);
  return narrative;
}

}  // namespace loctex::core
