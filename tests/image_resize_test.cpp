#include "pipeline/image_resize.h"

#include <gtest/gtest.h>
#include <turbojpeg.h>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <ostream>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "tests/test_support.h"

namespace {

using loctex::pipeline::ImageError;
using loctex::pipeline::ImageResizer;
using loctex::pipeline::ResizeOptions;
using loctex::pipeline::Size2;
using loctex::pipeline::target_size;
using loctex::pipeline::validate;
using loctex::testing::error_of;

// Photo-like content: smooth gradients, a few hard-edged shapes and sensor
// noise, so that JPEG and resampling errors look as they do on photos. Not
// symmetric, so a wrong rotation or flip shows.
cv::Mat test_photo(int width, int height, int seed) {
  cv::Mat image(height, width, CV_8UC3);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x)
      image.at<cv::Vec3b>(y, x) = {static_cast<uchar>(40 + 150 * x / width),
                                   static_cast<uchar>(200 - 120 * y / height),
                                   static_cast<uchar>(90 + 60 * (x + y) / (width + height))};
  cv::RNG rng(static_cast<std::uint64_t>(seed) + 1);
  for (int i = 0; i < 6; ++i) {
    const cv::Point centre(rng.uniform(0, width), rng.uniform(0, height));
    const cv::Scalar colour(rng.uniform(0, 256), rng.uniform(0, 256), rng.uniform(0, 256));
    const int r = std::max(2, std::min(width, height) / rng.uniform(4, 12));
    if (i % 2 == 0) {
      cv::circle(image, centre, r, colour, cv::FILLED, cv::LINE_AA);
    } else {
      cv::rectangle(image, centre, centre + cv::Point(2 * r, r), colour, cv::FILLED);
    }
  }
  cv::Mat noise(image.size(), CV_8UC3);
  rng.fill(noise, cv::RNG::NORMAL, 0, 6);
  cv::Mat noisy;
  cv::add(image, noise, noisy, cv::noArray(), CV_8UC3);  // saturating
  cv::GaussianBlur(noisy, noisy, cv::Size(0, 0), 0.6);
  return noisy;
}

// Least PSNR of an output against the source decoded in full and resized
// straight to the output size (INTER_AREA; INTER_CUBIC when enlarging). The
// output is a q90 re-encode, which alone costs most of the difference.
// Measured with libjpeg-turbo 2.1.5 and OpenCV 4.6: 640×480 → 341×256
// 41.3 dB, portrait 41.8, square 40.7, 2000×1500 (decoded at 2/8) 36.8,
// enlarged 45.8, PNG 39.8, grey 47.7, EXIF-turned 41.7, 320×240 → 160×120
// 38.3 (all orientations).
constexpr double kMinPsnr = 35.0;

std::string encode(const cv::Mat& image, const std::string& ext = ".jpg", int quality = 90) {
  std::vector<uchar> bytes;
  cv::imencode(ext, image, bytes, {cv::IMWRITE_JPEG_QUALITY, quality});
  return {bytes.begin(), bytes.end()};
}

cv::Mat decode(const std::string& bytes, int flags = cv::IMREAD_COLOR) {
  return cv::imdecode(std::vector<uchar>(bytes.begin(), bytes.end()), flags);
}

cv::Mat resized(const cv::Mat& image, int width, int height, int interpolation = cv::INTER_AREA) {
  cv::Mat out;
  cv::resize(image, out, cv::Size(width, height), 0, 0, interpolation);
  return out;
}

// `jpeg` with an APP1 segment holding `payload` inserted after SOI.
std::string with_app1(const std::string& jpeg, const std::string& payload) {
  const auto length = static_cast<int>(payload.size() + 2);
  const std::string header{'\xff', '\xe1', static_cast<char>(length >> 8), static_cast<char>(length & 0xff)};
  return jpeg.substr(0, 2) + header + payload + jpeg.substr(2);
}

// An Exif payload whose TIFF structure holds only IFD0's Orientation tag.
// In the JPEG from with_app1 the TIFF header starts at byte kTiff.
constexpr std::size_t kTiff = 2 + 4 + 6;
std::string exif_orientation(int orientation, bool big_endian) {
  std::string tiff = big_endian ? std::string("MM\0\x2a\0\0\0\x08", 8) : std::string("II\x2a\0\x08\0\0\0", 8);
  const auto u16 = [&](int v) {
    const char hi = static_cast<char>(v >> 8), lo = static_cast<char>(v & 0xff);
    tiff += big_endian ? std::string{hi, lo} : std::string{lo, hi};
  };
  u16(1);       // entries
  u16(0x0112);  // tag: Orientation
  u16(3);       // type: SHORT
  // count: 1
  tiff += big_endian ? std::string("\0\0\0\x01", 4) : std::string("\x01\0\0\0", 4);
  u16(orientation);
  tiff += std::string(2, '\0');  // the rest of the value field
  tiff += std::string(4, '\0');  // no next IFD
  return std::string("Exif\0\0", 6) + tiff;
}

std::string with_orientation(const std::string& jpeg, int orientation, bool big_endian) {
  return with_app1(jpeg, exif_orientation(orientation, big_endian));
}

// SOF0 (baseline) of a JPEG: the component count and each component's
// sampling factors, e.g. "3 22 11 11"; "" if there is no SOF0.
std::string baseline_frame(const std::string& jpeg) {
  for (std::size_t i = 2; i + 4 <= jpeg.size();) {
    const auto marker = static_cast<std::uint8_t>(jpeg[i + 1]);
    const std::size_t length =
        static_cast<std::uint8_t>(jpeg[i + 2]) * 256u + static_cast<std::uint8_t>(jpeg[i + 3]);
    if (marker == 0xc0) {
      if (i + 10 > jpeg.size()) return "";
      const int components = static_cast<std::uint8_t>(jpeg[i + 9]);
      if (i + 10 + 3 * std::size_t(components) > jpeg.size()) return "";
      std::string out = std::to_string(components);
      for (int c = 0; c < components; ++c) {
        char hex[4];
        std::snprintf(hex, sizeof hex, " %02x", static_cast<std::uint8_t>(jpeg[i + 11 + 3 * c]));
        out += hex;
      }
      return out;
    }
    if (marker == 0xda) return "";
    i += 2 + length;
  }
  return "";
}

// Test files that OpenCV cannot write, made with libjpeg-turbo's libjpeg API
// (quality 95, optimised Huffman tables), 16×16 in four flat quadrants.
// A CMYK photo as Photoshop saves it: YCCK with an Adobe marker, from
// (C,M,Y,K) = (255,255,255,255), (40,200,230,255), (230,60,255,200),
// (255,255,90,130) top left, top right, bottom left, bottom right.
const unsigned char kCmykJpeg[] = {
    0xff, 0xd8, 0xff, 0xee, 0x00, 0x0e, 0x41, 0x64, 0x6f, 0x62, 0x65, 0x00, 0x64, 0x00, 0x00, 0x00, 0x00,
    0x02, 0xff, 0xdb, 0x00, 0x43, 0x00, 0x02, 0x01, 0x01, 0x01, 0x01, 0x01, 0x02, 0x01, 0x01, 0x01, 0x02,
    0x02, 0x02, 0x02, 0x02, 0x04, 0x03, 0x02, 0x02, 0x02, 0x02, 0x05, 0x04, 0x04, 0x03, 0x04, 0x06, 0x05,
    0x06, 0x06, 0x06, 0x05, 0x06, 0x06, 0x06, 0x07, 0x09, 0x08, 0x06, 0x07, 0x09, 0x07, 0x06, 0x06, 0x08,
    0x0b, 0x08, 0x09, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x06, 0x08, 0x0b, 0x0c, 0x0b, 0x0a, 0x0c, 0x09, 0x0a,
    0x0a, 0x0a, 0xff, 0xdb, 0x00, 0x43, 0x01, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x05, 0x03, 0x03, 0x05,
    0x0a, 0x07, 0x06, 0x07, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a,
    0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a,
    0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a,
    0x0a, 0x0a, 0x0a, 0xff, 0xc0, 0x00, 0x14, 0x08, 0x00, 0x10, 0x00, 0x10, 0x04, 0x01, 0x22, 0x00, 0x02,
    0x11, 0x01, 0x03, 0x11, 0x01, 0x04, 0x22, 0x00, 0xff, 0xc4, 0x00, 0x18, 0x00, 0x01, 0x00, 0x03, 0x01,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x09, 0x00, 0x07, 0x08, 0x0a,
    0xff, 0xc4, 0x00, 0x14, 0x10, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xc4, 0x00, 0x15, 0x01, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0xff, 0xc4, 0x00, 0x28, 0x11, 0x00,
    0x01, 0x02, 0x02, 0x07, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x13, 0x11,
    0x12, 0x07, 0x15, 0x00, 0x01, 0x03, 0x06, 0x08, 0x14, 0x62, 0x18, 0x21, 0x23, 0x25, 0x41, 0x42, 0x43,
    0x51, 0x63, 0xff, 0xda, 0x00, 0x0e, 0x04, 0x01, 0x00, 0x02, 0x11, 0x03, 0x11, 0x04, 0x00, 0x00, 0x3f,
    0x00, 0xe7, 0xfc, 0xc6, 0x2d, 0xc0, 0xc6, 0x85, 0x07, 0x2e, 0x6e, 0xd3, 0xd9, 0xee, 0x3c, 0xbe, 0x5e,
    0x2e, 0xd3, 0x90, 0xe4, 0xd5, 0x62, 0xc6, 0x07, 0x53, 0x9d, 0xd1, 0x37, 0xa0, 0x16, 0x25, 0x65, 0x53,
    0x2e, 0x54, 0xe7, 0x07, 0xce, 0x88, 0x85, 0xf8, 0xd7, 0xee, 0x8f, 0xe2, 0x31, 0x18, 0xe7, 0x7f, 0xff,
    0xd9};

// Chroma sampling with no TurboJPEG name: Y 2×2, Cb 1×1, Cr 2×1; from RGB
// (230,40,40), (40,200,60), (50,70,220), (240,220,60).
const unsigned char kUnnamedSubsamplingJpeg[] = {
    0xff, 0xd8, 0xff, 0xdb, 0x00, 0x43, 0x00, 0x02, 0x01, 0x01, 0x01, 0x01, 0x01, 0x02, 0x01, 0x01, 0x01,
    0x02, 0x02, 0x02, 0x02, 0x02, 0x04, 0x03, 0x02, 0x02, 0x02, 0x02, 0x05, 0x04, 0x04, 0x03, 0x04, 0x06,
    0x05, 0x06, 0x06, 0x06, 0x05, 0x06, 0x06, 0x06, 0x07, 0x09, 0x08, 0x06, 0x07, 0x09, 0x07, 0x06, 0x06,
    0x08, 0x0b, 0x08, 0x09, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x06, 0x08, 0x0b, 0x0c, 0x0b, 0x0a, 0x0c, 0x09,
    0x0a, 0x0a, 0x0a, 0xff, 0xdb, 0x00, 0x43, 0x01, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x05, 0x03, 0x03,
    0x05, 0x0a, 0x07, 0x06, 0x07, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a,
    0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a,
    0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a,
    0x0a, 0x0a, 0x0a, 0x0a, 0xff, 0xc0, 0x00, 0x11, 0x08, 0x00, 0x10, 0x00, 0x10, 0x03, 0x01, 0x22, 0x00,
    0x02, 0x11, 0x01, 0x03, 0x21, 0x01, 0xff, 0xc4, 0x00, 0x16, 0x00, 0x01, 0x01, 0x01, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x07, 0x09, 0xff, 0xc4, 0x00, 0x14,
    0x10, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0xff, 0xc4, 0x00, 0x15, 0x01, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x07, 0xff, 0xc4, 0x00, 0x27, 0x11, 0x00, 0x00, 0x02, 0x07, 0x08,
    0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x12, 0x13, 0x00, 0x11, 0x14, 0x18,
    0x62, 0x65, 0xa4, 0x03, 0x06, 0x08, 0x15, 0x17, 0x21, 0x24, 0x41, 0x42, 0xe3, 0xe4, 0xff, 0xda, 0x00,
    0x0c, 0x03, 0x01, 0x00, 0x02, 0x11, 0x03, 0x11, 0x00, 0x3f, 0x00, 0x81, 0x93, 0x81, 0x1b, 0x7f, 0x12,
    0xfc, 0x4e, 0x5c, 0x0d, 0x04, 0xca, 0x79, 0x2d, 0x8d, 0x87, 0xf8, 0x12, 0x02, 0x49, 0x8e, 0xd4, 0x42,
    0x36, 0x15, 0x07, 0xb5, 0xec, 0x92, 0x7d, 0x49, 0x0d, 0x57, 0xce, 0x81, 0x17, 0x58, 0x9b, 0xd3, 0xfb,
    0xd3, 0xff, 0xd9};

std::string bytes_of(const unsigned char* data, std::size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

// Mean colour of the centre of each quadrant of a 16×16 image.
std::vector<cv::Scalar> quadrant_colours(const cv::Mat& image) {
  std::vector<cv::Scalar> out;
  for (const cv::Rect r :
       {cv::Rect(2, 2, 4, 4), cv::Rect(10, 2, 4, 4), cv::Rect(2, 10, 4, 4), cv::Rect(10, 10, 4, 4)})
    out.push_back(cv::mean(image(r)));
  return out;
}

void expect_same_colours(const cv::Mat& ours, const cv::Mat& reference) {
  const auto a = quadrant_colours(ours), b = quadrant_colours(reference);
  for (std::size_t q = 0; q < a.size(); ++q)
    for (int c = 0; c < 3; ++c) EXPECT_NEAR(a[q][c], b[q][c], 6.0) << "quadrant " << q << ", channel " << c;
}

TEST(image_resize_test, target_size_makes_the_shorter_side_the_target) {
  EXPECT_EQ(target_size(640, 480, 256), (Size2{341, 256}));
  EXPECT_EQ(target_size(480, 640, 256), (Size2{256, 341}));
  EXPECT_EQ(target_size(500, 500, 256), (Size2{256, 256}));
  EXPECT_EQ(target_size(100, 50, 256), (Size2{512, 256}));
  EXPECT_EQ(target_size(4000, 3000, 224), (Size2{299, 224}));  // 298.67
  EXPECT_EQ(target_size(3, 2, 1), (Size2{2, 1}));              // 1.5 rounds up
  EXPECT_EQ(target_size(1000, 1, 1), (Size2{1000, 1}));
}

TEST(image_resize_test, target_size_of_zero_keeps_the_size) {
  EXPECT_EQ(target_size(640, 480, 0), (Size2{640, 480}));
}

TEST(image_resize_test, target_size_needs_a_positive_size) {
  EXPECT_EQ(error_of<std::invalid_argument>([] { target_size(0, 10, 256); }),
            "image size must be positive, got 0x10");
}

std::string validation_error(ResizeOptions options) {
  return error_of<std::invalid_argument>([&] { validate(options); });
}

std::string construction_error(ResizeOptions options) {
  return error_of<std::invalid_argument>([&] { ImageResizer resizer(options); });
}

TEST(image_resize_test, validate_names_the_bad_option) {
  EXPECT_EQ(validation_error({256, 0}), "jpeg_quality must be between 1 and 100, got 0");
  EXPECT_EQ(validation_error({256, 101}), "jpeg_quality must be between 1 and 100, got 101");
  EXPECT_EQ(validation_error({-1, 90}), "shorter_side must be between 0 and 65535, got -1");
  EXPECT_EQ(validation_error({0, 1}), "(no exception)");
  EXPECT_EQ(validation_error({256, 100}), "(no exception)");
  EXPECT_EQ(construction_error({-5, 90}), "shorter_side must be between 0 and 65535, got -5");
}

struct SizeCase {
  const char* name;
  int width, height;
  Size2 expected;
};

void PrintTo(const SizeCase& c, std::ostream* os) { *os << c.name; }

class image_resize_size_test : public ::testing::TestWithParam<SizeCase> {};

TEST_P(image_resize_size_test, output_has_the_target_size_and_matches_a_full_decode_area_resize) {
  const SizeCase& c = GetParam();
  const std::string jpeg = encode(test_photo(c.width, c.height, 1));
  ImageResizer resizer;
  const auto result = resizer.process(jpeg);
  EXPECT_EQ(result.original_width, c.width);
  EXPECT_EQ(result.original_height, c.height);
  EXPECT_EQ((Size2{result.width, result.height}), c.expected);
  const cv::Mat out = decode(result.jpeg);
  ASSERT_EQ(out.size(), cv::Size(c.expected.width, c.expected.height));
  const bool enlarge = c.expected.width > c.width;
  const cv::Mat reference =
      resized(decode(jpeg), c.expected.width, c.expected.height, enlarge ? cv::INTER_CUBIC : cv::INTER_AREA);
  EXPECT_GE(cv::PSNR(out, reference), kMinPsnr);
}

INSTANTIATE_TEST_SUITE_P(cases, image_resize_size_test,
                         ::testing::Values(SizeCase{"landscape", 640, 480, {341, 256}},
                                           SizeCase{"portrait", 480, 640, {256, 341}},
                                           SizeCase{"square", 300, 300, {256, 256}},
                                           SizeCase{"large", 2000, 1500, {341, 256}},
                                           SizeCase{"small_enlarged", 160, 120, {341, 256}},
                                           SizeCase{"odd", 333, 257, {332, 256}}));

TEST(image_resize_test, shorter_side_zero_keeps_the_decoded_size) {
  const cv::Mat photo = test_photo(320, 200, 2);
  ImageResizer resizer({0, 90});
  const auto result = resizer.process(encode(photo));
  EXPECT_EQ((Size2{result.width, result.height}), (Size2{320, 200}));
  EXPECT_EQ(decode(result.jpeg).size(), photo.size());
}

TEST(image_resize_test, writes_a_baseline_420_colour_jpeg) {
  ImageResizer resizer;
  const auto result = resizer.process(encode(test_photo(640, 480, 3)));
  EXPECT_EQ(baseline_frame(result.jpeg), "3 22 11 11");
}

TEST(image_resize_test, reports_a_truncated_jpeg_as_corrupt) {
  const std::string jpeg = encode(test_photo(640, 480, 4));
  ImageResizer resizer;
  EXPECT_EQ(error_of<ImageError>([&] { resizer.process(jpeg.substr(0, jpeg.size() / 2)); }),
            "truncated or corrupt JPEG: Premature end of JPEG file");
  EXPECT_EQ(resizer.process(jpeg).width, 341);  // the resizer still works
}

// TurboJPEG 2.1.5 leaves a handle whose tjDecompressHeader3 failed half-way
// through the header, and the next header read on it "succeeded" without
// setting the size; the resizer now replaces the handle after an error.
TEST(image_resize_test, a_jpeg_cut_inside_its_headers_fails_every_time) {
  const std::string jpeg = encode(test_photo(640, 480, 4));
  const std::string cut = jpeg.substr(0, 300);  // inside the Huffman tables
  ImageResizer resizer;
  const std::string first = error_of<ImageError>([&] { resizer.process(cut); });
  EXPECT_TRUE(first.starts_with("truncated or corrupt JPEG: ")) << first;
  EXPECT_EQ(error_of<ImageError>([&] { resizer.process(cut); }), first);
  EXPECT_EQ(resizer.process(jpeg).width, 341);
}

TEST(image_resize_test, reports_random_bytes_as_not_an_image) {
  std::mt19937 rng(7);
  std::string bytes(4096, '\0');
  for (char& c : bytes) c = static_cast<char>(rng() & 0xff);
  bytes[0] = 'x';
  ImageResizer resizer;
  EXPECT_EQ(error_of<ImageError>([&] { resizer.process(bytes); }), "not an image");
  bytes.replace(0, 3, "\xff\xd8\xff");  // a JPEG signature, then noise
  EXPECT_TRUE(
      error_of<ImageError>([&] { resizer.process(bytes); }).starts_with("truncated or corrupt JPEG: "));
}

TEST(image_resize_test, reports_empty_bytes) {
  ImageResizer resizer;
  EXPECT_EQ(error_of<ImageError>([&] { resizer.process(""); }), "empty file");
}

TEST(image_resize_test, reads_png) {
  const cv::Mat photo = test_photo(400, 300, 5);
  ImageResizer resizer;
  const auto result = resizer.process(encode(photo, ".png"));
  EXPECT_EQ((Size2{result.width, result.height}), (Size2{341, 256}));
  EXPECT_EQ(baseline_frame(result.jpeg), "3 22 11 11");
  EXPECT_GE(cv::PSNR(decode(result.jpeg), resized(photo, 341, 256)), kMinPsnr);
}

TEST(image_resize_test, refuses_an_output_longer_than_a_jpeg_can_be) {
  const cv::Mat strip(300, 1, CV_8UC3, cv::Scalar(10, 20, 30));  // 1×300 → 256×76800
  ImageResizer resizer;
  EXPECT_EQ(error_of<ImageError>([&] { resizer.process(encode(strip, ".png")); }),
            "image too large: 1x300 would become 256x76800");
}

TEST(image_resize_test, expands_a_grayscale_jpeg_to_three_channels) {
  cv::Mat grey;
  cv::cvtColor(test_photo(640, 480, 6), grey, cv::COLOR_BGR2GRAY);
  const std::string jpeg = encode(grey);
  ASSERT_EQ(decode(jpeg, cv::IMREAD_UNCHANGED).channels(), 1);
  ImageResizer resizer;
  const auto result = resizer.process(jpeg);
  EXPECT_EQ(baseline_frame(result.jpeg), "3 22 11 11");
  const cv::Mat out = decode(result.jpeg, cv::IMREAD_UNCHANGED);
  EXPECT_EQ(out.channels(), 3);
  const cv::Mat reference = resized(decode(jpeg), 341, 256);
  EXPECT_GE(cv::PSNR(out, reference), kMinPsnr);
}

TEST(image_resize_test, converts_a_cmyk_jpeg_as_opencv_does) {
  const std::string jpeg = bytes_of(kCmykJpeg, sizeof kCmykJpeg);
  const cv::Mat reference = decode(jpeg);
  ASSERT_EQ(reference.size(), cv::Size(16, 16));
  ImageResizer resizer({0, 95});
  const auto result = resizer.process(jpeg);
  EXPECT_EQ(baseline_frame(result.jpeg), "3 22 11 11");
  const cv::Mat out = decode(result.jpeg);
  ASSERT_EQ(out.size(), cv::Size(16, 16));
  expect_same_colours(out, reference);
}

TEST(image_resize_test, decodes_chroma_sampling_that_turbojpeg_cannot_name) {
  const std::string jpeg = bytes_of(kUnnamedSubsamplingJpeg, sizeof kUnnamedSubsamplingJpeg);
  const cv::Mat reference = decode(jpeg);
  ASSERT_EQ(reference.size(), cv::Size(16, 16));
  ImageResizer resizer({0, 95});
  const auto result = resizer.process(jpeg);
  const cv::Mat out = decode(result.jpeg);
  ASSERT_EQ(out.size(), cv::Size(16, 16));
  expect_same_colours(out, reference);
}

TEST(image_resize_test, applies_exif_orientation_6_as_a_quarter_turn_clockwise) {
  const std::string plain = encode(test_photo(640, 480, 8));
  ImageResizer resizer;
  const auto result = resizer.process(with_orientation(plain, 6, false));
  EXPECT_EQ(result.original_width, 480);
  EXPECT_EQ(result.original_height, 640);
  EXPECT_EQ((Size2{result.width, result.height}), (Size2{256, 341}));
  cv::Mat turned;
  cv::rotate(decode(plain), turned, cv::ROTATE_90_CLOCKWISE);
  const cv::Mat out = decode(result.jpeg);
  ASSERT_EQ(out.size(), cv::Size(256, 341));
  EXPECT_GE(cv::PSNR(out, resized(turned, 256, 341)), kMinPsnr);
}

struct OrientationCase {
  int orientation;
  bool big_endian;
};

void PrintTo(const OrientationCase& c, std::ostream* os) {
  *os << c.orientation << (c.big_endian ? " big-endian" : " little-endian");
}

class image_resize_orientation_test : public ::testing::TestWithParam<OrientationCase> {};

TEST_P(image_resize_orientation_test, matches_what_opencv_decodes) {
  const auto [orientation, big_endian] = GetParam();
  const std::string jpeg = with_orientation(encode(test_photo(320, 240, 9)), orientation, big_endian);
  const cv::Mat reference = decode(jpeg);  // cv::imdecode applies the orientation
  ASSERT_EQ(reference.size(), orientation >= 5 ? cv::Size(240, 320) : cv::Size(320, 240));
  ImageResizer resizer({120, 90});
  const auto result = resizer.process(jpeg);
  EXPECT_EQ(result.original_width, reference.cols);
  EXPECT_EQ(result.original_height, reference.rows);
  const cv::Mat out = decode(result.jpeg);
  ASSERT_EQ(out.size(), orientation >= 5 ? cv::Size(120, 160) : cv::Size(160, 120));
  EXPECT_GE(cv::PSNR(out, resized(reference, out.cols, out.rows)), kMinPsnr);
}

std::vector<OrientationCase> every_orientation() {
  std::vector<OrientationCase> cases;
  for (int orientation = 1; orientation <= 8; ++orientation)
    for (bool big_endian : {false, true}) cases.push_back({orientation, big_endian});
  return cases;
}

INSTANTIATE_TEST_SUITE_P(cases, image_resize_orientation_test, ::testing::ValuesIn(every_orientation()));

TEST(image_resize_test, ignores_malformed_exif) {
  const std::string plain = encode(test_photo(320, 240, 10));
  const std::string good = with_orientation(plain, 6, true);
  ImageResizer resizer({120, 90});
  ASSERT_EQ(resizer.process(good).width, 120);  // turned

  std::string far_ifd = good;  // IFD0 offset 0x7f000008, far past the segment
  far_ifd[kTiff + 4] = '\x7f';
  std::string bad_magic = good;
  bad_magic[kTiff + 3] = '\x2b';
  const std::vector<std::string> ignored = {
      far_ifd,
      bad_magic,
      with_orientation(plain, 9, true),
      with_orientation(plain, 0, false),
      with_app1(plain, std::string("Exif\0\0MM\0", 9)),                      // TIFF header cut short
      with_app1(plain, exif_orientation(6, true).substr(0, 6 + 8 + 2 + 4)),  // entry cut short
      with_app1(plain,
                std::string("http://ns.adobe.com/xap/1.0/") + '\0' + "<x:xmpmeta/>"),  // XMP, not Exif
  };
  for (const std::string& jpeg : ignored) {
    const auto result = resizer.process(jpeg);
    EXPECT_EQ((Size2{result.width, result.height}), (Size2{160, 120}));
    EXPECT_EQ(decode(jpeg).size(), cv::Size(320, 240));  // OpenCV ignores it too
  }
  // Like OpenCV, read a SHORT's place whatever type the entry states.
  std::string long_type = good;
  long_type[kTiff + 8 + 2 + 2 + 1] = '\x04';  // LONG
  EXPECT_EQ(resizer.process(long_type).width, 120);
  EXPECT_EQ(decode(long_type).size(), cv::Size(240, 320));

  // A segment length past the end of the file breaks the JPEG itself.
  std::string overlong = good;
  overlong[4] = '\x7f';
  EXPECT_TRUE(
      error_of<ImageError>([&] { resizer.process(overlong); }).starts_with("truncated or corrupt JPEG: "));
}

TEST(image_resize_test, one_resizer_serves_images_of_every_size_in_turn) {
  const std::vector<std::string> jpegs = {encode(test_photo(640, 480, 11)), encode(test_photo(160, 120, 12)),
                                          encode(test_photo(300, 500, 13)), encode(test_photo(640, 480, 11))};
  ImageResizer shared;
  for (const std::string& jpeg : jpegs) {
    ImageResizer fresh;
    EXPECT_EQ(shared.process(jpeg).jpeg, fresh.process(jpeg).jpeg);
  }
}

// ---------------------------------------------------------------------------
// The planar path: YCbCr and grey JPEGs are decoded to planes, resized plane
// by plane and encoded from planes.

// `image` (BGR, or grey for TJSAMP_GRAY) as TurboJPEG writes it with the
// given chroma sampling: OpenCV 4.6 writes only 4:2:0. Empty on failure.
std::string turbojpeg_encode(const cv::Mat& image, int subsampling, int quality = 90) {
  tjhandle handle = tjInitCompress();
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  const int pixel_format = image.channels() == 1 ? TJPF_GRAY : TJPF_BGR;
  const int status = tjCompress2(handle, image.data, image.cols, static_cast<int>(image.step), image.rows,
                                 pixel_format, &buffer, &size, subsampling, quality, 0);
  std::string out = status == 0 ? std::string(reinterpret_cast<const char*>(buffer), size) : "";
  tjFree(buffer);
  tjDestroy(handle);
  return out;
}

// A photo as a JPEG with the given sampling; grey for TJSAMP_GRAY.
std::string sampled_photo(int width, int height, int subsampling, int seed = 20) {
  cv::Mat photo = test_photo(width, height, seed);
  if (subsampling == TJSAMP_GRAY) cv::cvtColor(photo, photo, cv::COLOR_BGR2GRAY);
  return turbojpeg_encode(photo, subsampling);
}

// What ImageResizer did before it had the planar path, and still does for
// CMYK: TurboJPEG decode to BGR at `scale`/8, bilinear to `size`, encode from
// BGR as 4:2:0. For JPEGs whose last step is a small one (no orientation).
std::string bgr_path(const std::string& jpeg, int scale, Size2 size, int quality = 90) {
  tjhandle decompressor = tjInitDecompress();
  int width = 0, height = 0, subsampling = 0, colourspace = 0;
  const auto* data = reinterpret_cast<const unsigned char*>(jpeg.data());
  tjDecompressHeader3(decompressor, data, jpeg.size(), &width, &height, &subsampling, &colourspace);
  const tjscalingfactor factor{scale, 8};
  cv::Mat decoded(TJSCALED(height, factor), TJSCALED(width, factor), CV_8UC3);
  const int decode_status = tjDecompress2(decompressor, data, jpeg.size(), decoded.data, decoded.cols, 0,
                                          decoded.rows, TJPF_BGR, TJFLAG_STOPONWARNING);
  tjDestroy(decompressor);
  if (decode_status != 0) return "";
  return turbojpeg_encode(resized(decoded, size.width, size.height, cv::INTER_LINEAR), TJSAMP_420, quality);
}

struct SamplingCase {
  const char* name;
  int subsampling;
  double min_psnr;  // for image_resize_planar_test
};

// The PSNR floors are about 1 dB under the least measured (libjpeg-turbo
// 2.1.5, OpenCV 4.6) over the 8 orientations, for 640×480, 501×377 and
// 333×257: 4:4:4 38.66, 39.84, 40.30; 4:2:2 39.82, 40.88, 41.66; 4:4:0
// 40.03, 41.09, 42.17; 4:2:0 41.60, 42.08, 43.82; 4:1:1 38.46, 39.19,
// 38.52; grey 48.53, 48.62, 50.06. Chroma resized in the stored orientation
// by the ratio of the plane sizes (a pixel off at one edge or, turned, all
// over) fails 4:2:0 everywhere and most others at one size or another.
const SamplingCase kSamplings[] = {
    {"s444", TJSAMP_444, 37.6}, {"s422", TJSAMP_422, 38.8}, {"s440", TJSAMP_440, 39.0},
    {"s420", TJSAMP_420, 40.6}, {"s411", TJSAMP_411, 37.4}, {"grey", TJSAMP_GRAY, 47.5},
};

using PlanarCase = std::tuple<SamplingCase, Size2, int>;  // sampling, stored size, orientation

std::string planar_case_name(const ::testing::TestParamInfo<PlanarCase>& info) {
  const auto& [sampling, size, orientation] = info.param;
  return std::string(sampling.name) + "_" + std::to_string(size.width) + "x" + std::to_string(size.height) +
         "_o" + std::to_string(orientation);
}

class image_resize_planar_test : public ::testing::TestWithParam<PlanarCase> {};

// 640×480 decodes at 5/8 to 400×300 and becomes 341×256, odd: the last
// output chroma column is half outside the picture. 501×377 decodes at 6/8
// to 376×283, odd: the last source chroma row is half padding, which comes
// first once a turn reverses the rows. 333×257 has both, at 8/8.
TEST_P(image_resize_planar_test, output_has_the_target_size_and_matches_a_full_decode_area_resize) {
  const auto& [sampling, size, orientation] = GetParam();
  const std::string plain = sampled_photo(size.width, size.height, sampling.subsampling);
  ASSERT_FALSE(plain.empty());
  const std::string jpeg = with_orientation(plain, orientation, orientation % 2 == 0);
  const cv::Mat reference = decode(jpeg);  // turned as displayed
  const Size2 expected = target_size(reference.cols, reference.rows, 256);
  ImageResizer resizer;
  const auto result = resizer.process(jpeg);
  EXPECT_EQ((Size2{result.original_width, result.original_height}), (Size2{reference.cols, reference.rows}));
  EXPECT_EQ((Size2{result.width, result.height}), expected);
  EXPECT_EQ(baseline_frame(result.jpeg), "3 22 11 11");
  const cv::Mat out = decode(result.jpeg);
  ASSERT_EQ(out.size(), cv::Size(expected.width, expected.height));
  EXPECT_GE(cv::PSNR(out, resized(reference, out.cols, out.rows)), sampling.min_psnr);
}

INSTANTIATE_TEST_SUITE_P(cases, image_resize_planar_test,
                         ::testing::Combine(::testing::ValuesIn(kSamplings),
                                            ::testing::Values(Size2{640, 480}, Size2{501, 377},
                                                              Size2{333, 257}),
                                            ::testing::Range(1, 9)),
                         planar_case_name);

// The planar path against the BGR one it replaces, on the same photo: not
// worse against the full decode (measured: 4:4:4 39.75 dB against 39.24,
// 4:2:2 40.72 against 39.60, 4:4:0 40.76 against 39.50, 4:2:0 41.72
// against 41.15, 4:1:1 39.51 against 38.73), and close to it (42.6-44.6 dB
// between the two).
TEST(image_resize_test, the_planar_path_is_as_close_to_a_full_decode_as_the_bgr_path) {
  for (const SamplingCase& sampling : kSamplings) {
    if (sampling.subsampling == TJSAMP_GRAY) continue;  // see the next test
    SCOPED_TRACE(sampling.name);
    const std::string jpeg = sampled_photo(640, 480, sampling.subsampling, 1);
    const std::string old = bgr_path(jpeg, 5, {341, 256});
    ASSERT_FALSE(old.empty());
    ImageResizer resizer;
    const cv::Mat planar = decode(resizer.process(jpeg).jpeg);
    const cv::Mat bgr = decode(old);
    const cv::Mat reference = resized(decode(jpeg), 341, 256);
    EXPECT_GE(cv::PSNR(planar, reference), cv::PSNR(bgr, reference));
    EXPECT_GE(cv::PSNR(planar, bgr), 41.5);
  }
}

// Grey takes the planar path with neutral chroma; the BGR path replicated
// the grey into B, G and R, which the encoder turned into the same Y and
// neutral chroma again. Same pixels, same encoder: the same file.
TEST(image_resize_test, a_grey_jpeg_comes_out_as_the_bgr_path_wrote_it) {
  const std::string jpeg = sampled_photo(640, 480, TJSAMP_GRAY);
  ImageResizer resizer;
  const auto result = resizer.process(jpeg);
  EXPECT_EQ(baseline_frame(result.jpeg), "3 22 11 11");
  const std::string old = bgr_path(jpeg, 5, {341, 256});
  ASSERT_FALSE(old.empty());
  EXPECT_TRUE(result.jpeg == old) << "the planar path's file differs from the BGR path's";
  std::vector<cv::Mat> channels;
  cv::split(decode(result.jpeg), channels);
  EXPECT_EQ(cv::norm(channels[0], channels[1], cv::NORM_INF), 0.0);
  EXPECT_EQ(cv::norm(channels[0], channels[2], cv::NORM_INF), 0.0);
}

// A JPEG may hold R, G and B instead of Y, Cb and Cr (an Adobe marker with
// transform 0); its planes are no YCbCr, so it keeps the BGR path. Made with
// libjpeg-turbo's libjpeg API (jpeg_set_colorspace JCS_RGB, quality 95,
// optimised Huffman tables), 16×16 in four flat quadrants, from RGB
// (230,40,40), (40,200,60), (50,70,220), (240,220,60).
const unsigned char kRgbJpeg[] = {
    0xff, 0xd8, 0xff, 0xee, 0x00, 0x0e, 0x41, 0x64, 0x6f, 0x62, 0x65, 0x00, 0x64, 0x00, 0x00, 0x00, 0x00,
    0x00, 0xff, 0xdb, 0x00, 0x43, 0x00, 0x02, 0x01, 0x01, 0x01, 0x01, 0x01, 0x02, 0x01, 0x01, 0x01, 0x02,
    0x02, 0x02, 0x02, 0x02, 0x04, 0x03, 0x02, 0x02, 0x02, 0x02, 0x05, 0x04, 0x04, 0x03, 0x04, 0x06, 0x05,
    0x06, 0x06, 0x06, 0x05, 0x06, 0x06, 0x06, 0x07, 0x09, 0x08, 0x06, 0x07, 0x09, 0x07, 0x06, 0x06, 0x08,
    0x0b, 0x08, 0x09, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x06, 0x08, 0x0b, 0x0c, 0x0b, 0x0a, 0x0c, 0x09, 0x0a,
    0x0a, 0x0a, 0xff, 0xc0, 0x00, 0x11, 0x08, 0x00, 0x10, 0x00, 0x10, 0x03, 0x52, 0x11, 0x00, 0x47, 0x11,
    0x00, 0x42, 0x11, 0x00, 0xff, 0xc4, 0x00, 0x17, 0x00, 0x01, 0x01, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x09, 0x06, 0x07, 0xff, 0xc4, 0x00, 0x14, 0x10,
    0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xff, 0xda, 0x00, 0x0c, 0x03, 0x52, 0x00, 0x47, 0x00, 0x42, 0x00, 0x00, 0x3f, 0x00, 0xb3, 0x09, 0x3e,
    0x93, 0xe2, 0x0e, 0x50, 0x0e, 0xa0, 0xd4, 0x0f, 0xb9, 0x40, 0x17, 0xc1, 0x2c, 0x0b, 0xfb, 0xff, 0xd9};

TEST(image_resize_test, keeps_the_colours_of_an_rgb_coded_jpeg) {
  const std::string jpeg = bytes_of(kRgbJpeg, sizeof kRgbJpeg);
  const cv::Mat reference = decode(jpeg);
  ASSERT_EQ(reference.size(), cv::Size(16, 16));
  ImageResizer resizer({0, 95});
  const cv::Mat out = decode(resizer.process(jpeg).jpeg);
  ASSERT_EQ(out.size(), cv::Size(16, 16));
  expect_same_colours(out, reference);
}

// Sizes where the planes' padding, the partial chroma samples and the
// rounding of the chroma scale matter most, in every sampling and
// orientation, shrunk, kept and enlarged. A few pixels of a busy photo
// keep little of it in 4:2:0: the least PSNR measured is 17.1 dB (a 5×3
// 4:4:0 photo), as with the BGR path. The floor catches garbage, not a
// misplaced sample; the tests above do that.
TEST(image_resize_test, handles_tiny_and_odd_sizes_in_every_sampling_and_orientation) {
  const std::vector<Size2> sizes = {{1, 1}, {1, 9}, {9, 1}, {2, 3}, {5, 3}, {17, 9}, {33, 31}};
  for (const Size2 size : sizes) {
    for (const SamplingCase& sampling : kSamplings) {
      const std::string plain = sampled_photo(size.width, size.height, sampling.subsampling, 3);
      ASSERT_FALSE(plain.empty());
      for (int orientation = 1; orientation <= 8; ++orientation) {
        const std::string jpeg = with_orientation(plain, orientation, false);
        const cv::Mat reference = decode(jpeg);
        for (const int side : {0, 1, 5, 64}) {
          SCOPED_TRACE(std::string(sampling.name) + " " + std::to_string(size.width) + "x" +
                       std::to_string(size.height) + " o" + std::to_string(orientation) + " side " +
                       std::to_string(side));
          ImageResizer resizer({side, 90});
          const auto result = resizer.process(jpeg);
          const Size2 expected = target_size(reference.cols, reference.rows, side);
          ASSERT_EQ((Size2{result.width, result.height}), expected);
          const cv::Mat out = decode(result.jpeg);
          ASSERT_EQ(out.size(), cv::Size(expected.width, expected.height));
          const bool enlarge = expected.width > reference.cols;
          const cv::Mat want =
              resized(reference, expected.width, expected.height, enlarge ? cv::INTER_CUBIC : cv::INTER_AREA);
          EXPECT_GE(cv::PSNR(out, want), 15.0);
        }
      }
    }
  }
}

TEST(image_resize_test, one_resizer_serves_every_sampling_in_turn) {
  std::vector<std::string> jpegs;
  for (const SamplingCase& sampling : kSamplings) {
    jpegs.push_back(sampled_photo(640, 480, sampling.subsampling, 21));
    jpegs.push_back(with_orientation(sampled_photo(501, 377, sampling.subsampling, 22), 3, false));
    jpegs.push_back(with_orientation(sampled_photo(97, 75, sampling.subsampling, 23), 6, true));
  }
  jpegs.push_back(bytes_of(kCmykJpeg, sizeof kCmykJpeg));
  jpegs.push_back(jpegs.front());
  ImageResizer shared;
  for (const std::string& jpeg : jpegs) {
    ImageResizer fresh;
    EXPECT_EQ(shared.process(jpeg).jpeg, fresh.process(jpeg).jpeg);
  }
}

}  // namespace
