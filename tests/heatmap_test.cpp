#include "core/heatmap.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "core/ln_jsonl.h"
#include "core/synthetic.h"
#include "test_support.h"

namespace {

using loctex::core::GridPoint;
using loctex::core::HeatmapParams;
using loctex::core::Narrative;
using loctex::core::render_word_heatmaps;
using loctex::core::TraceSegment;

// The specification, literally: no separable Gaussian, no shortcuts.
std::vector<double> reference_map(const std::vector<GridPoint>& samples, int g, double sigma) {
  std::vector<double> heat(static_cast<std::size_t>(g * g), 0.0);
  for (int j = 0; j < g; ++j)
    for (int i = 0; i < g; ++i)
      for (const auto& s : samples) {
        const double dx = i + 0.5 - s.gx, dy = j + 0.5 - s.gy;
        heat[static_cast<std::size_t>(j * g + i)] += std::exp(-(dx * dx + dy * dy) / (2 * sigma * sigma));
      }
  const double sum = std::accumulate(heat.begin(), heat.end(), 0.0);
  for (double& v : heat) v /= sum;
  return heat;
}

Narrative narrative(std::vector<loctex::core::TimedUtterance> caption, std::vector<TraceSegment> traces) {
  Narrative n;
  n.timed_caption = std::move(caption);
  n.traces = std::move(traces);
  return n;
}

TEST(heatmap_test, one_point_gives_a_normalised_gaussian) {
  // G = 4, point at the grid centre: cell centres lie 0.5 and 1.5 cells away.
  const auto maps = render_word_heatmaps(narrative({{"cow", 0.0, 1.0}}, {{{0.5, 0.5, 0.5}}}), {4, 1.0, 0.0});
  ASSERT_EQ(maps.words.size(), 1u);
  ASSERT_TRUE(maps.has_trace[0]);
  const double near = std::exp(-0.125), far = std::exp(-1.125), total = 2 * (near + far);
  const auto map = maps.map(0);
  EXPECT_NEAR(map[1 * 4 + 1], near * near / (total * total), 1e-15);
  EXPECT_NEAR(map[0 * 4 + 3], far * far / (total * total), 1e-15);
  EXPECT_NEAR(map[0 * 4 + 1], far * near / (total * total), 1e-15);
  EXPECT_NEAR(std::accumulate(map.begin(), map.end(), 0.0), 1.0, 1e-15);
}

TEST(heatmap_test, rows_follow_y_and_columns_follow_x) {
  // A point in the top-right corner cell of a 8x8 grid.
  const auto maps =
      render_word_heatmaps(narrative({{"sky", 0.0, 1.0}}, {{{15.5 / 16, 0.5 / 16, 0.5}}}), {8, 0.5, 0.0});
  const auto map = maps.map(0);
  const auto peak = std::max_element(map.begin(), map.end()) - map.begin();
  EXPECT_EQ(peak, 0 * 8 + 7);
}

TEST(heatmap_test, edges_add_evenly_spaced_interior_samples) {
  HeatmapParams p{16, 1.0, 0.0};
  // 1.0 cell apart: n = ceil(1.0 / 0.25) = 4, so 3 interior samples.
  const TraceSegment seg{{1.0 / 16, 2.0 / 16, 0.1}, {2.0 / 16, 2.0 / 16, 0.2}};
  const auto samples = loctex::core::word_samples({seg}, 0.0, 1.0, p);
  ASSERT_EQ(samples.size(), 5u);
  const double expected_x[] = {1.0, 1.25, 1.5, 1.75, 2.0};
  for (std::size_t k = 0; k < 5; ++k) {
    EXPECT_DOUBLE_EQ(samples[k].gx, expected_x[k]);
    EXPECT_DOUBLE_EQ(samples[k].gy, 2.0);
  }
  // 0.3 cells apart: n = ceil(1.2) = 2, one interior sample at the middle.
  const TraceSegment short_edge{{0.0, 0.0, 0.1}, {0.3 / 16, 0.0, 0.2}};
  const auto few = loctex::core::word_samples({short_edge}, 0.0, 1.0, p);
  ASSERT_EQ(few.size(), 3u);
  EXPECT_DOUBLE_EQ(few[1].gx, 0.15);
}

TEST(heatmap_test, repeated_points_each_count_and_add_no_interior_samples) {
  const TraceSegment seg{{0.5, 0.5, 0.1}, {0.5, 0.5, 0.2}, {0.5, 0.5, 0.3}};
  EXPECT_EQ(loctex::core::word_samples({seg}, 0.0, 1.0, {}).size(), 3u);
}

TEST(heatmap_test, a_gap_in_selection_or_a_new_segment_breaks_the_polyline) {
  HeatmapParams p{16, 1.0, 0.0};
  // The middle point is outside the word's time, so the outer two are not joined.
  const TraceSegment gap{{0.0, 0.0, 0.1}, {0.5, 0.5, 5.0}, {1.0, 0.0, 0.2}};
  EXPECT_EQ(loctex::core::word_samples({gap}, 0.0, 1.0, p).size(), 2u);
  const TraceSegment a{{0.0, 0.0, 0.1}}, b{{1.0, 0.0, 0.2}};
  EXPECT_EQ(loctex::core::word_samples({a, b}, 0.0, 1.0, p).size(), 2u);
}

TEST(heatmap_test, selection_is_a_closed_interval_widened_by_the_margin) {
  const TraceSegment seg{{0.1, 0.1, 0.9}, {0.1, 0.1, 1.0}, {0.1, 0.1, 2.0}, {0.1, 0.1, 2.25}};
  EXPECT_EQ(loctex::core::word_samples({seg}, 1.0, 2.0, {16, 1.0, 0.0}).size(), 2u);
  EXPECT_EQ(loctex::core::word_samples({seg}, 1.0, 2.0, {16, 1.0, 0.25}).size(), 4u);
}

TEST(heatmap_test, matches_the_literal_specification_on_a_real_looking_trace) {
  Narrative n = narrative({{"In this", 0.0, 0.8}, {"picture", 0.8, 1.5}, {"two cows", 1.5, 2.9}}, {{}, {}});
  for (int k = 0; k < 180; ++k) {
    const double t = k / 60.0;
    n.traces[k < 90 ? 0 : 1].push_back({0.5 + 0.45 * std::cos(t * 3.1), 0.4 + 0.55 * std::sin(t * 2.3), t});
  }
  for (const HeatmapParams& p :
       {HeatmapParams{16, 1.0, 0.0}, HeatmapParams{64, 2.5, 0.1}, HeatmapParams{7, 0.6, 0.0}}) {
    const auto maps = render_word_heatmaps(n, p);
    ASSERT_EQ(maps.words.size(), 5u);
    for (std::size_t w = 0; w < maps.words.size(); ++w) {
      const auto& word = maps.words[w];
      ASSERT_TRUE(maps.has_trace[w]) << word.text;
      const auto expected =
          reference_map(loctex::core::word_samples(n.traces, word.start, word.end, p), p.grid, p.sigma);
      const auto got = maps.map(w);
      for (std::size_t c = 0; c < expected.size(); ++c)
        ASSERT_NEAR(got[c], expected[c], 1e-15 + 1e-12 * expected[c]);
    }
  }
}

// The rule implemented a second time, independently, in Python and numpy
// (tests/reference_heatmaps.py), on synthetic narratives and edge cases.
TEST(heatmap_test, agrees_with_an_independent_python_implementation) {
  loctex::testing::TempDir dir;
  std::vector<Narrative> narratives;
  loctex::core::SynthOptions synth;
  synth.seed = 11;
  for (std::size_t i = 0; i < 4; ++i)
    narratives.push_back(loctex::core::synthesize_sample(synth, i).narrative);
  Narrative edge = narratives[0];
  edge.timed_caption = {{"caf\xC3\xA9 \xC2\xA0x  \ty", 0.0, 1.3}, {"zero length", 1.5, 1.5}, {" ", 1.6, 1.7}};
  edge.traces = {
      {{-0.05, 0.5, 0.1}, {1.07, 0.5, 0.2}, {0.5, 0.5, 9.0}, {0.2, 0.2, 0.3}}, {}, {{0.5, 0.5, 1.5}}};
  narratives.push_back(edge);
  loctex::core::write_ln_file(dir / "n.jsonl", narratives);

  for (const HeatmapParams& p : {HeatmapParams{16, 1.0, 0.0}, HeatmapParams{48, 2.0, 0.1}}) {
    nlohmann::json ours = {{"grid", p.grid}, {"sigma", p.sigma}, {"margin", p.time_margin}};
    for (const Narrative& n : narratives) {
      const auto maps = render_word_heatmaps(n, p);
      nlohmann::json words = nlohmann::json::array();
      for (std::size_t w = 0; w < maps.words.size(); ++w)
        words.push_back({maps.words[w].text, maps.words[w].start, maps.words[w].end,
                         static_cast<bool>(maps.has_trace[w])});
      ours["narratives"].push_back({{"words", words}, {"maps", maps.maps}});
    }
    loctex::testing::write_text(dir / "ours.json", ours.dump());
    const std::string command = "/usr/bin/python3 " + std::string(LOCTEX_SOURCE_DIR) +
                                "/tests/reference_heatmaps.py " + (dir / "n.jsonl").string() + " " +
                                (dir / "ours.json").string();
    EXPECT_EQ(std::system(command.c_str()), 0) << "grid " << p.grid;
  }
}

TEST(heatmap_test, points_outside_the_image_still_contribute_their_tails) {
  const auto maps =
      render_word_heatmaps(narrative({{"edge", 0.0, 1.0}}, {{{-0.05, 0.5, 0.5}}}), {16, 1.0, 0.0});
  ASSERT_TRUE(maps.has_trace[0]);
  const auto map = maps.map(0);
  EXPECT_NEAR(std::accumulate(map.begin(), map.end(), 0.0), 1.0, 1e-12);
  EXPECT_GT(map[8 * 16 + 0], map[8 * 16 + 1]);  // heaviest in the column nearest the point
}

TEST(heatmap_test, a_word_without_trace_points_gets_zeros_and_no_trace) {
  const auto maps =
      render_word_heatmaps(narrative({{"early", 0.0, 1.0}, {"late", 5.0, 6.0}}, {{{0.5, 0.5, 0.5}}, {}}), {});
  ASSERT_EQ(maps.words.size(), 2u);
  EXPECT_TRUE(maps.has_trace[0]);
  EXPECT_FALSE(maps.has_trace[1]);
  const auto map = maps.map(1);
  EXPECT_TRUE(std::all_of(map.begin(), map.end(), [](double v) { return v == 0.0; }));
  EXPECT_EQ(maps.maps.size(), 2u * 16 * 16);
}

TEST(heatmap_test, a_trace_too_far_away_to_register_counts_as_no_trace) {
  // 1600 cells off the grid: every Gaussian weight underflows to zero.
  const auto maps = render_word_heatmaps(narrative({{"far", 0.0, 1.0}}, {{{100.0, 0.5, 0.5}}}), {});
  EXPECT_FALSE(maps.has_trace[0]);
  const auto map = maps.map(0);
  EXPECT_TRUE(std::all_of(map.begin(), map.end(), [](double v) { return v == 0.0; }));
}

TEST(heatmap_test, rejects_bad_parameters_by_name) {
  using loctex::testing::error_of;
  const Narrative n = narrative({{"a", 0.0, 1.0}}, {});
  EXPECT_EQ(error_of<std::invalid_argument>([&] {
              render_word_heatmaps(n, {0, 1.0, 0.0});
            }),
            "heatmap grid must be in [1, 1024], got 0");
  EXPECT_EQ(error_of<std::invalid_argument>([&] {
              render_word_heatmaps(n, {1025, 1.0, 0.0});
            }),
            "heatmap grid must be in [1, 1024], got 1025");
  EXPECT_EQ(error_of<std::invalid_argument>([&] {
              render_word_heatmaps(n, {16, 0.0, 0.0});
            }),
            "heatmap sigma must be positive and finite, got 0.000000");
  EXPECT_EQ(error_of<std::invalid_argument>([&] {
              render_word_heatmaps(n, {16, 1.0, -0.5});
            }),
            "heatmap time margin must be non-negative and finite, got -0.500000");
  EXPECT_EQ(error_of<std::invalid_argument>([&] {
              loctex::core::validate({16, std::nan(""), 0.0});
            }),
            "heatmap sigma must be positive and finite, got nan");
}

TEST(heatmap_test, render_heatmap_checks_the_size_of_its_output) {
  std::vector<double> out(15);
  const std::vector<GridPoint> samples{{1.0, 1.0}};
  EXPECT_EQ(loctex::testing::error_of<std::invalid_argument>([&] {
              loctex::core::render_heatmap(samples, {4, 1.0, 0.0}, out);
            }),
            "heatmap output holds 15 cells, expected 16");
}

TEST(heatmap_test, map_of_a_word_past_the_end_is_an_error) {
  const auto maps = render_word_heatmaps(narrative({{"one", 0.0, 1.0}}, {}), {});
  EXPECT_THROW(maps.map(1), std::out_of_range);
}

TEST(heatmap_test, an_absurdly_distant_point_is_an_error_not_a_hang) {
  const Narrative n = narrative({{"far", 0.0, 1.0}}, {{{0.5, 0.5, 0.1}, {1e9, 0.5, 0.2}}});
  EXPECT_THROW(render_word_heatmaps(n, {}), std::invalid_argument);
}

}  // namespace
