// Replay: the pointer between samples, nowhere between segments, and the
// word being said, on the narrative's clock.
#include "core/replay.h"

#include <gtest/gtest.h>

namespace {

using loctex::core::Narrative;
using loctex::core::Replay;
using loctex::core::TracePoint;

Narrative narrative() {
  Narrative n;
  n.caption = "In this image";
  n.timed_caption = {{"In this", 0.5, 1.0}, {"image", 1.2, 2.0}};
  n.traces = {{{0.0, 0.0, 0.4}, {1.0, 0.5, 0.9}}, {{0.2, 0.2, 1.5}, {0.4, 0.2, 2.5}}};
  return n;
}

TEST(replay_test, the_pointer_moves_in_a_straight_line_between_samples_and_is_gone_between_segments) {
  const Narrative n = narrative();
  const Replay replay(n);
  EXPECT_DOUBLE_EQ(replay.start(), 0.4);
  EXPECT_DOUBLE_EQ(replay.end(), 2.5);
  const auto mid = replay.pointer_at(0.65);  // halfway from (0, 0) to (1, 0.5)
  ASSERT_TRUE(mid);
  EXPECT_DOUBLE_EQ(mid->x, 0.5);
  EXPECT_DOUBLE_EQ(mid->y, 0.25);
  EXPECT_EQ(replay.pointer_at(0.9), (TracePoint{1.0, 0.5, 0.9}));
  EXPECT_FALSE(replay.pointer_at(1.2));  // between segments
  EXPECT_FALSE(replay.pointer_at(0.1));  // before
  EXPECT_FALSE(replay.pointer_at(3.0));  // after
  EXPECT_NEAR(replay.pointer_at(2.0)->x, 0.3, 1e-12);
}

TEST(replay_test, the_word_being_said_splits_utterances_by_length) {
  const Narrative n = narrative();
  const Replay replay(n);
  ASSERT_EQ(replay.words().size(), 3u);  // "In", "this", "image"
  EXPECT_EQ(replay.word_at(0.5), 0u);
  EXPECT_EQ(replay.word_at(0.7), 1u);  // "In" has 2 of the 6 code points: [0.5, 0.6667)
  EXPECT_FALSE(replay.word_at(1.1));   // a pause between utterances
  EXPECT_EQ(replay.word_at(2.0), 2u);  // the last word holds its end
  EXPECT_FALSE(replay.word_at(2.01));
}

TEST(replay_test, an_empty_narrative_replays_nothing) {
  const Narrative n;
  const Replay replay(n);
  EXPECT_EQ(replay.start(), 0.0);
  EXPECT_EQ(replay.end(), 0.0);
  EXPECT_FALSE(replay.pointer_at(0.0));
  EXPECT_FALSE(replay.word_at(0.0));
}

}  // namespace
