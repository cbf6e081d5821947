#include "core/overlay.h"

#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>

#include "test_support.h"

namespace {

using loctex::core::HeatmapParams;
using loctex::core::Narrative;
using loctex::testing::TempDir;

// A grey 200x100 JPEG and a narrative whose one word points at its right half.
struct Scene {
  TempDir dir;
  std::filesystem::path image = dir / "grey.jpg";
  Narrative narrative;
  Scene() {
    cv::imwrite(image.string(), cv::Mat(100, 200, CV_8UC3, cv::Scalar(128, 128, 128)));
    narrative.dataset_id = "demo.set";
    narrative.image_id = "7/a";
    narrative.annotator_id = 3;
    narrative.caption = "right side";
    narrative.timed_caption = {{"right", 0.0, 1.0}, {"nothing", 5.0, 6.0}};
    narrative.traces = {{{0.75, 0.5, 0.2}, {0.76, 0.5, 0.3}}};
  }
};

cv::Mat decode(const std::vector<unsigned char>& png) { return cv::imdecode(png, cv::IMREAD_COLOR); }

TEST(overlay_test, word_overlay_heats_where_the_word_was_pointed_at) {
  Scene s;
  const HeatmapParams params{16, 1.0, 0.0};
  const auto maps = loctex::core::render_word_heatmaps(s.narrative, params);
  const cv::Mat png =
      decode(loctex::core::render_word_overlay(s.image, s.narrative, maps, 0, params, {320, 0.65, 4}));
  ASSERT_FALSE(png.empty());
  EXPECT_EQ(png.cols, 320);
  EXPECT_EQ(png.rows, 160 + 26);                          // image scaled to 320 wide, plus the label band
  const cv::Vec3b far = png.at<cv::Vec3b>(26 + 80, 20);   // left edge, no heat
  const cv::Vec3b hot = png.at<cv::Vec3b>(26 + 70, 240);  // beside the trace, near the peak
  EXPECT_NEAR(far[0], 128, 4);
  EXPECT_NEAR(far[2], 128, 4);
  EXPECT_GT(std::abs(hot[2] - hot[0]), 60);  // colour-mapped: no longer grey
}

TEST(overlay_test, sheet_has_one_tile_per_traced_word) {
  Scene s;
  const auto maps = loctex::core::render_word_heatmaps(s.narrative, {});
  const cv::Mat sheet =
      decode(loctex::core::render_overlay_sheet(s.image, s.narrative, maps, {}, {200, 0.65, 4}));
  // One traced word: caption band, then one 200x100 tile with its label band.
  EXPECT_EQ(sheet.cols, 200);
  EXPECT_EQ(sheet.rows, 26 + 100 + 26);
}

TEST(overlay_test, sheet_wraps_a_long_caption_onto_more_lines) {
  Scene s;
  s.narrative.caption =
      "a long caption that cannot possibly fit on one line of a two hundred pixel wide sheet";
  const auto maps = loctex::core::render_word_heatmaps(s.narrative, {});
  const cv::Mat sheet =
      decode(loctex::core::render_overlay_sheet(s.image, s.narrative, maps, {}, {200, 0.65, 4}));
  EXPECT_EQ(sheet.cols, 200);
  // Each further caption line adds 20 pixels above the tiles.
  EXPECT_GT(sheet.rows, 26 + 100 + 26);
  EXPECT_EQ((sheet.rows - (26 + 100 + 26)) % 20, 0);
}

TEST(overlay_test, unreadable_image_error_names_the_file) {
  Scene s;
  loctex::testing::write_text(s.dir / "broken.jpg", "\xFF\xD8 not really");
  const auto maps = loctex::core::render_word_heatmaps(s.narrative, {});
  try {
    loctex::core::render_overlay_sheet(s.dir / "broken.jpg", s.narrative, maps, {});
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()),
              "cannot read image " + (s.dir / "broken.jpg").string() + ": missing or not a decodable image");
  }
}

TEST(overlay_test, folder_name_keeps_only_safe_characters) {
  Scene s;
  EXPECT_EQ(loctex::core::overlay_folder_name(s.narrative), "demo-set_7-a_3");
}

}  // namespace
