// Re-trace's display schedule: words back to back, lengths in proportion,
// the whole at the pace asked for, and a pace changed mid-way.
#include "core/retrace_schedule.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "test_support.h"

namespace {

using loctex::core::RetraceSchedule;
using loctex::testing::error_of;

TEST(retrace_schedule_test, words_follow_each_other_at_the_pace_asked_for) {
  const RetraceSchedule s({"a", "red", "circle", "there"}, 120);  // 2 words a second on average
  const auto& w = s.timed_words();
  ASSERT_EQ(w.size(), 4u);
  EXPECT_EQ(w[0].utterance, "a");
  EXPECT_DOUBLE_EQ(w[0].start_time, 0.0);
  for (std::size_t i = 1; i < w.size(); ++i) EXPECT_DOUBLE_EQ(w[i].start_time, w[i - 1].end_time);
  // 4 words at 120 per minute: 2 s in all; "circle" (6 letters) is 7/2 as long as "a".
  EXPECT_NEAR(s.end_time(), 2.0, 1e-12);
  EXPECT_NEAR((w[2].end_time - w[2].start_time) / (w[0].end_time - w[0].start_time), 3.5, 1e-12);
}

TEST(retrace_schedule_test, the_word_shown_is_the_one_whose_span_holds_the_time) {
  const RetraceSchedule s({"one", "two", "three"}, 60);
  const auto& w = s.timed_words();
  EXPECT_EQ(s.word_at(-1.0), 0u);
  EXPECT_EQ(s.word_at(0.0), 0u);
  EXPECT_EQ(s.word_at(w[0].end_time), 1u);  // a span holds its start, not its end
  EXPECT_EQ(s.word_at(w[2].start_time + 0.01), 2u);
  EXPECT_FALSE(s.word_at(s.end_time()).has_value());
}

TEST(retrace_schedule_test, a_new_pace_times_the_rest_from_the_word_on_screen) {
  RetraceSchedule s({"aa", "bb", "cc", "dd"}, 60);  // equal lengths: 1 s each
  s.set_pace(120, 1.25);  // during "bb": it keeps its start, and takes 0.5 s from there
  const auto& w = s.timed_words();
  EXPECT_DOUBLE_EQ(w[0].end_time, 1.0);
  EXPECT_DOUBLE_EQ(w[1].start_time, 1.0);
  EXPECT_DOUBLE_EQ(w[1].end_time, 1.5);
  EXPECT_DOUBLE_EQ(w[3].end_time, 2.5);
  // Slower again late in a word that should already have ended at the new
  // pace: it ends now, not in the past.
  s.set_pace(120, 1.25);
  s.set_pace(400, 1.4);  // "bb" at 400 wpm would have ended at 1.15
  EXPECT_DOUBLE_EQ(w[1].end_time, 1.4);
  EXPECT_DOUBLE_EQ(w[2].start_time, 1.4);
  EXPECT_DOUBLE_EQ(s.pace(), 400);
}

TEST(retrace_schedule_test, bad_input_is_refused) {
  EXPECT_EQ(error_of<std::invalid_argument>([] { RetraceSchedule({}, 100); }),
            "re-trace needs a caption with at least one word");
  EXPECT_NE(error_of<std::invalid_argument>([] { RetraceSchedule({"a"}, 10); }).find("between 20 and 400"),
            std::string::npos);
  RetraceSchedule s({"a"}, 100);
  EXPECT_THROW(s.set_pace(1000, 0), std::invalid_argument);
}

}  // namespace
