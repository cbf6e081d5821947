#include "core/words.h"

#include <gtest/gtest.h>

namespace {

using loctex::core::split_words;
using loctex::core::TimedUtterance;
using loctex::core::Word;

TEST(words_test, splits_on_ascii_whitespace_only) {
  const auto pieces = loctex::core::split_ascii_whitespace(" a\tb\n\nc\v\fd\re  f\xC2\xA0g ");
  EXPECT_EQ(pieces, (std::vector<std::string_view>{"a", "b", "c", "d", "e", "f\xC2\xA0g"}));
  EXPECT_TRUE(loctex::core::split_ascii_whitespace(" \t ").empty());
}

TEST(words_test, counts_code_points_not_bytes) {
  EXPECT_EQ(loctex::core::code_point_count("caf\xC3\xA9"), 4u);
  EXPECT_EQ(loctex::core::code_point_count("\xF0\x9F\x98\x80!"), 2u);
  EXPECT_EQ(loctex::core::code_point_count(""), 0u);
}

TEST(words_test, shares_an_utterance_span_by_code_points) {
  const auto words = split_words({{"ab cdef", 1.0, 2.5}});
  ASSERT_EQ(words.size(), 2u);
  EXPECT_EQ(words[0], (Word{"ab", 1.0, 1.5, 0}));  // 2 of 6 code points
  EXPECT_EQ(words[1], (Word{"cdef", 1.5, 2.5, 0}));
}

TEST(words_test, multibyte_words_count_as_their_code_points) {
  // "é" is two bytes but one code point: "né" and "ab" get equal halves.
  const auto words = split_words({{"n\xC3\xA9 ab", 0.0, 1.0}});
  ASSERT_EQ(words.size(), 2u);
  EXPECT_EQ(words[0].end, 0.5);
  EXPECT_EQ(words[1].start, 0.5);
}

TEST(words_test, first_word_starts_and_last_word_ends_exactly_on_the_utterance) {
  const TimedUtterance u{"a bb ccc dddd", 0.1, 0.7};
  const auto words = split_words({u});
  ASSERT_EQ(words.size(), 4u);
  EXPECT_EQ(words.front().start, 0.1);
  EXPECT_EQ(words.back().end, 0.7);
  for (std::size_t k = 1; k < words.size(); ++k) EXPECT_EQ(words[k].start, words[k - 1].end);
  EXPECT_DOUBLE_EQ(words[1].start, 0.1 + 0.6 * 1.0 / 10.0);
  EXPECT_DOUBLE_EQ(words[2].end, 0.1 + 0.6 * 6.0 / 10.0);
}

TEST(words_test, zero_length_utterance_gives_zero_length_words) {
  const auto words = split_words({{"In this", 2.0, 2.0}});
  ASSERT_EQ(words.size(), 2u);
  EXPECT_EQ(words[0], (Word{"In", 2.0, 2.0, 0}));
  EXPECT_EQ(words[1], (Word{"this", 2.0, 2.0, 0}));
}

TEST(words_test, empty_utterances_give_no_words_and_keep_utterance_indices) {
  const auto words = split_words({{"", 0.0, 1.0}, {"  ", 1.0, 2.0}, {"cow.", 2.0, 3.0}});
  ASSERT_EQ(words.size(), 1u);
  EXPECT_EQ(words[0], (Word{"cow.", 2.0, 3.0, 2}));
}

}  // namespace
