// The capture rule: the band around the image, segments that end when the
// pointer leaves it, one forward clock, and the pending points a flush takes.
#include "core/trace_capture.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

#include "test_support.h"

namespace {

using loctex::core::JournalPoint;
using loctex::core::TraceCapture;
using loctex::core::TracePoint;
using loctex::testing::error_of;

TEST(trace_capture_test, points_in_the_band_are_kept_as_given_and_outside_it_end_the_segment) {
  TraceCapture capture;  // the 10% band of Localized Narratives
  EXPECT_TRUE(capture.add(0.5, 0.5, 0.0));
  EXPECT_TRUE(capture.add(-0.1, 1.1, 0.1));  // the band's corner is inside
  EXPECT_TRUE(capture.add(1.05, 0.2, 0.2));
  EXPECT_FALSE(capture.add(1.11, 0.2, 0.3));  // out: the segment ends
  EXPECT_FALSE(capture.add(0.5, -0.2, 0.4));
  EXPECT_TRUE(capture.add(0.9, 0.9, 0.5));  // back in: a new segment
  ASSERT_EQ(capture.segments().size(), 2u);
  EXPECT_EQ(capture.segments()[0],
            (std::vector<TracePoint>{{0.5, 0.5, 0.0}, {-0.1, 1.1, 0.1}, {1.05, 0.2, 0.2}}));
  EXPECT_EQ(capture.segments()[1], (std::vector<TracePoint>{{0.9, 0.9, 0.5}}));
  EXPECT_EQ(capture.points(), 4);
}

TEST(trace_capture_test, leaving_the_widget_ends_the_segment_too) {
  TraceCapture capture;
  capture.add(0.2, 0.2, 0.0);
  capture.end_segment();
  capture.end_segment();  // twice is once
  capture.add(0.3, 0.3, 1.0);
  capture.add(0.4, 0.3, 1.1);
  ASSERT_EQ(capture.segments().size(), 2u);
  EXPECT_EQ(capture.segments()[1].size(), 2u);
}

TEST(trace_capture_test, a_flush_takes_what_came_since_the_last_one_with_segment_numbers) {
  TraceCapture capture(0.0);  // no band: the image only
  capture.add(0.1, 0.1, 0.0);
  capture.add(0.2, 0.1, 0.1);
  EXPECT_EQ(capture.take_pending(), (std::vector<JournalPoint>{{0, {0.1, 0.1, 0.0}}, {0, {0.2, 0.1, 0.1}}}));
  EXPECT_TRUE(capture.take_pending().empty());
  capture.add(-0.01, 0.5, 0.2);  // outside when there is no band
  capture.add(0.3, 0.3, 0.3);
  EXPECT_EQ(capture.take_pending(), (std::vector<JournalPoint>{{1, {0.3, 0.3, 0.3}}}));
  EXPECT_EQ(capture.points(), 3);
}

TEST(trace_capture_test, the_clock_runs_forward_and_values_are_finite) {
  TraceCapture capture;
  capture.add(0.5, 0.5, 2.0);
  capture.add(0.6, 0.5, 2.0);  // the same time twice is fine: events can share a timestamp
  EXPECT_NE(error_of<std::invalid_argument>([&] { capture.add(0.5, 0.5, 1.5); }).find("comes before"),
            std::string::npos);
  // An outside sample still moves the clock.
  capture.add(5.0, 5.0, 3.0);
  EXPECT_THROW(capture.add(0.5, 0.5, 2.5), std::invalid_argument);
  EXPECT_THROW(capture.add(std::numeric_limits<double>::quiet_NaN(), 0.5, 4.0), std::invalid_argument);
  EXPECT_EQ(capture.points(), 2);
  EXPECT_THROW(TraceCapture(-0.1), std::invalid_argument);
}

TEST(trace_capture_test, a_recovered_trace_goes_on_in_a_new_segment) {
  TraceCapture capture({{{0.1, 0.1, 0.0}, {0.2, 0.1, 0.5}}, {}, {{0.3, 0.3, 1.0}}});
  EXPECT_EQ(capture.points(), 3);
  ASSERT_EQ(capture.segments().size(), 2u);                         // the empty one is dropped
  EXPECT_THROW(capture.add(0.5, 0.5, 0.9), std::invalid_argument);  // before the last point
  EXPECT_TRUE(capture.add(0.5, 0.5, 2.0));
  EXPECT_EQ(capture.take_pending(), (std::vector<JournalPoint>{{2, {0.5, 0.5, 2.0}}}));
  EXPECT_EQ(capture.segments().size(), 3u);
}

}  // namespace
