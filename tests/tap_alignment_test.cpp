// Tap-along alignment: tapped words start at their taps, the rest share the
// time between by length, re-taps win, and times always run forward.
#include "core/tap_alignment.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "test_support.h"

namespace {

using loctex::core::TapAlignment;
using loctex::core::TimedUtterance;

TEST(tap_alignment_test, before_any_tap_the_words_share_the_recording_by_length) {
  const TapAlignment a({"a", "red", "ball"}, 8.0);  // 1 + 3 + 4 code points
  EXPECT_EQ(a.timed_words(),
            (std::vector<TimedUtterance>{{"a", 0.0, 1.0}, {"red", 1.0, 4.0}, {"ball", 4.0, 8.0}}));
  EXPECT_EQ(a.next(), 0u);
}

TEST(tap_alignment_test, a_tap_anchors_a_word_start_and_the_words_around_it_share_the_rest) {
  TapAlignment a({"in", "this", "image", "a", "dog"}, 10.0);
  EXPECT_TRUE(a.tap_next(1.0));  // "in"
  a.tap(3, 6.0);                 // "a", out of turn
  const auto w = a.timed_words();
  EXPECT_EQ(w[0], (TimedUtterance{"in", 1.0, 1.0 + 5.0 * 2 / 11}));
  EXPECT_DOUBLE_EQ(w[1].start_time, 1.0 + 5.0 * 2 / 11);
  EXPECT_DOUBLE_EQ(w[2].end_time, 6.0);  // "image" ends where "a" was tapped
  EXPECT_EQ(w[3].start_time, 6.0);
  EXPECT_DOUBLE_EQ(w[3].end_time, 6.0 + 4.0 / 4);  // "a" and "dog" share 6..10 as 1:3
  EXPECT_EQ(w[4].end_time, 10.0);
  for (std::size_t i = 1; i < w.size(); ++i) EXPECT_EQ(w[i].start_time, w[i - 1].end_time);
  EXPECT_EQ(a.next(), 4u);
}

TEST(tap_alignment_test, a_re_tap_wins_and_drops_taps_it_puts_out_of_order) {
  TapAlignment a({"one", "two", "three", "four"}, 20.0);
  for (double t : {1.0, 3.0, 5.0, 7.0}) a.tap_next(t);
  EXPECT_FALSE(a.tap_next(9.0));  // every word is tapped
  a.tap(1, 6.0);                  // "two" heard later than first tapped: "three" at 5 goes
  EXPECT_EQ(a.tapped(1), 6.0);
  EXPECT_FALSE(a.tapped(2).has_value());
  EXPECT_EQ(a.tapped(3), 7.0);
  a.tap(3, 2.0);  // "four" at 2: now "two" at 6 is out of order and goes
  EXPECT_FALSE(a.tapped(1).has_value());
  EXPECT_EQ(a.tapped(0), 1.0);
  const auto w = a.timed_words();
  for (std::size_t i = 1; i < w.size(); ++i) EXPECT_LE(w[i - 1].start_time, w[i].start_time);
  a.untap(3);
  EXPECT_EQ(a.next(), 1u);
}

TEST(tap_alignment_test, a_placed_word_keeps_its_end_until_it_is_tapped_again) {
  TapAlignment a({"a", "red", "ball"}, 8.0);
  a.place(0, 0.5, 1.0);
  a.place(2, 5.0, 6.0);
  // "a" ends where it was found; "red", not placed, takes the time from
  // there up to "ball", as loctex-align shares it (align::timed_words).
  auto w = a.timed_words();
  EXPECT_EQ(w[0], (TimedUtterance{"a", 0.5, 1.0}));
  EXPECT_DOUBLE_EQ(w[1].start_time, 1.0);
  EXPECT_DOUBLE_EQ(w[1].end_time, 5.0);
  EXPECT_EQ(w[2], (TimedUtterance{"ball", 5.0, 6.0}));
  a.tap(2, 5.5);  // the annotator corrects it: the end goes with the old start
  EXPECT_EQ(a.timed_words()[2], (TimedUtterance{"ball", 5.5, 8.0}));
  a.place(2, 5.0, 9.0);  // an end past the recording is kept inside it
  EXPECT_EQ(a.timed_words()[2], (TimedUtterance{"ball", 5.0, 8.0}));
  a.untap(0);
  EXPECT_EQ(a.timed_words()[0].start_time, 0.0);
  EXPECT_GT(a.timed_words()[0].end_time, 1.0);  // shared again, its end forgotten
}

TEST(tap_alignment_test, taps_are_kept_inside_the_recording_and_bad_input_is_refused) {
  TapAlignment a({"x", "y"}, 3.0);
  a.tap(0, -1.0);
  a.tap(1, 99.0);
  EXPECT_EQ(a.tapped(0), 0.0);
  EXPECT_EQ(a.tapped(1), 3.0);
  EXPECT_THROW(a.tap(2, 1.0), std::out_of_range);
  EXPECT_THROW(TapAlignment({"x"}, -1.0), std::invalid_argument);
  EXPECT_TRUE(TapAlignment({}, 1.0).timed_words().empty());
}

}  // namespace
