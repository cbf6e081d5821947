#pragma once
// Words are the unit of every later stage (heatmap rows, vocabulary, trainer).
// Localized Narratives times utterances, not words: "In this" is one entry.
// Each utterance is split on ASCII whitespace and its time span shared among
// its words in proportion to their length in Unicode code points.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/narrative.h"

namespace loctex::core {

struct Word {
  std::string text;
  double start = 0.0;  // seconds, same clock as the trace
  double end = 0.0;
  std::size_t utterance = 0;  // index into timed_caption
  friend bool operator==(const Word&, const Word&) = default;
};

// True for the six ASCII whitespace bytes of C's isspace in the "C" locale:
// space, \t, \n, \v, \f, \r. Non-ASCII spaces (U+00A0, ...) are word characters.
constexpr bool is_ascii_whitespace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

// [A-Za-z0-9], whatever the locale (std::isalnum depends on it).
constexpr bool is_ascii_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// Non-empty runs of non-whitespace, in order.
std::vector<std::string_view> split_ascii_whitespace(std::string_view text);
// The same runs, as strings of their own (a transcript's or caption's words).
std::vector<std::string> caption_words(std::string_view text);
// The utterances' texts joined by single spaces: the caption of a narrative
// whose utterances are its words.
std::string join_utterances(const std::vector<TimedUtterance>& utterances);

// Number of Unicode code points: bytes that are not UTF-8 continuation bytes
// (0x80-0xBF), so a stray byte of invalid UTF-8 still counts as one.
std::size_t code_point_count(std::string_view text);

// An utterance [s, e] whose words total C code points: word k, with c code
// points before it, spans [s + (e - s)·c/C, s + (e - s)·(c + len_k)/C]; the
// first word starts at s and the last ends at e exactly. Utterances with no
// word (empty or all whitespace) contribute nothing.
std::vector<Word> split_words(const std::vector<TimedUtterance>& timed_caption);

}  // namespace loctex::core
