// Review's word edits: utterances split into words first, a word renamed,
// a span moved but kept between its neighbours, the trace untouched.
#include "core/word_edits.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

#include "test_support.h"

namespace {

using namespace loctex::core;
using loctex::testing::error_of;

Narrative narrative() {
  Narrative n;
  n.caption = "In this image a dog.";
  n.timed_caption = {{"In this", 0.0, 0.6}, {"image", 1.0, 2.0}, {"a dog.", 2.0, 3.0}};
  n.traces = {{{0.1, 0.1, 0.0}, {0.2, 0.2, 2.5}}};
  return n;
}

TEST(word_edits_test, word_level_gives_each_word_its_share_of_its_utterance) {
  const auto words = word_level(narrative().timed_caption);
  ASSERT_EQ(words.size(), 5u);
  EXPECT_EQ(words[0].utterance, "In");
  EXPECT_EQ(words[0].start_time, 0.0);
  EXPECT_DOUBLE_EQ(words[0].end_time, 0.2);  // 2 of the 6 code points of "In this"
  EXPECT_EQ(words[1].utterance, "this");
  EXPECT_DOUBLE_EQ(words[1].start_time, 0.2);
  EXPECT_EQ(words[1].end_time, 0.6);
  EXPECT_EQ(words[4].utterance, "dog.");
}

TEST(word_edits_test, renaming_a_word_rewrites_the_caption_and_keeps_times_and_trace) {
  const Narrative before = narrative();
  const Narrative after = rename_word(before, 4, "cat.");
  EXPECT_EQ(after.caption, "In this image a cat.");
  ASSERT_EQ(after.timed_caption.size(), 5u);
  EXPECT_EQ(after.timed_caption[4].utterance, "cat.");
  EXPECT_EQ(after.timed_caption[4].start_time, word_level(before.timed_caption)[4].start_time);
  EXPECT_EQ(after.traces, before.traces);
  EXPECT_NE(error_of<std::invalid_argument>([&] { rename_word(before, 0, "two words"); }).find("one word"),
            std::string::npos);
  EXPECT_THROW(rename_word(before, 0, ""), std::invalid_argument);
  EXPECT_THROW(rename_word(before, 5, "x"), std::out_of_range);
}

TEST(word_edits_test, a_span_moves_but_stays_between_its_neighbours) {
  const Narrative n = narrative();             // words: In 0-.2, this .2-.6, image 1-2, a 2-2.4, dog. 2.4-3
  auto moved = set_word_span(n, 2, 0.8, 1.9);  // into the pause before it: allowed
  EXPECT_EQ(moved.timed_caption[2], (TimedUtterance{"image", 0.8, 1.9}));
  moved = set_word_span(n, 2, 0.1, 2.5);  // past both neighbours: clamped to them
  EXPECT_DOUBLE_EQ(moved.timed_caption[2].start_time, 0.6);
  EXPECT_DOUBLE_EQ(moved.timed_caption[2].end_time, 2.0);
  moved = set_word_span(n, 0, -1.0, 0.1);  // the first word has no neighbour before it
  EXPECT_EQ(moved.timed_caption[0], (TimedUtterance{"In", -1.0, 0.1}));
  EXPECT_EQ(moved.caption, "In this image a dog.");
  EXPECT_THROW(set_word_span(n, 1, 0.5, 0.4), std::invalid_argument);
  EXPECT_THROW(set_word_span(n, 1, std::numeric_limits<double>::quiet_NaN(), 0.4), std::invalid_argument);
}

}  // namespace
