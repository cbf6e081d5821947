// The per-image stage of the dataset builder on 32 photo-like 640×480 JPEGs
// (quality 90, 4:2:0, 60-83 KB) → shorter side 256 (341×256), quality 90:
//   opencv_baseline: cv::imdecode (IMREAD_REDUCED_COLOR_2/4/8 when that still
//     covers the target; for 480 → 256 none does, so a full decode) +
//     cv::resize INTER_AREA + cv::imencode;
//   image_resizer: ImageResizer::process (TurboJPEG decode at 5/8 to Y, Cb
//     and Cr planes of 400×300 and 200×150, luma bilinear to 341×256, chroma
//     bicubic to 171×128, tjCompressFromYUVPlanes).
// Both run with OpenCV's own threading off: the builder's parallelism is one
// resizer per worker. Prints once the mean PSNR of each output against the
// full decode area-resized to the same size; with LOCTEX_PHOTO_SET=DIR (the
// images/ of bench/build_dataset_bench.sh's set, 1500 photos) also the mean
// and least PSNR of image_resizer over DIR/*.jpg. On a 2-core machine:
// baseline about 485 images/s, image_resizer about 980 (2.0×; 780 before
// the planar path), PSNR 38.5 dB for the baseline and 38.9 for
// image_resizer (38.5 before). Figures: docs/benchmarks.md.
#include <benchmark/benchmark.h>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "bench/photo_like.h"
#include "pipeline/image_resize.h"

namespace {

using loctex::pipeline::ImageResizer;
using loctex::pipeline::ResizeOptions;
using loctex::pipeline::Size2;
using loctex::pipeline::target_size;

constexpr int kImages = 32;
constexpr int kShorterSide = 256;
constexpr int kQuality = 90;

const std::vector<std::string>& photos() {
  static const std::vector<std::string> files = [] {
    std::vector<std::string> out;
    std::vector<uchar> buffer;
    for (int seed = 0; seed < kImages; ++seed) {
      cv::imencode(".jpg", loctex::bench::photo_like(640, 480, static_cast<std::uint64_t>(seed)), buffer,
                   {cv::IMWRITE_JPEG_QUALITY, kQuality});
      out.emplace_back(buffer.begin(), buffer.end());
    }
    return out;
  }();
  return files;
}

cv::Mat as_mat(const std::string& bytes) {
  return cv::Mat(1, static_cast<int>(bytes.size()), CV_8UC1,
                 const_cast<void*>(static_cast<const void*>(bytes.data())));
}

// The baseline: OpenCV's largest reduction that still covers the target. It
// is told the source size, which a real baseline would first have to read.
std::vector<uchar> opencv_baseline(const std::string& bytes, int width, int height) {
  const int shorter = std::min(width, height);
  int mode = cv::IMREAD_COLOR;
  if ((shorter + 7) / 8 >= kShorterSide) {
    mode = cv::IMREAD_REDUCED_COLOR_8;
  } else if ((shorter + 3) / 4 >= kShorterSide) {
    mode = cv::IMREAD_REDUCED_COLOR_4;
  } else if ((shorter + 1) / 2 >= kShorterSide) {
    mode = cv::IMREAD_REDUCED_COLOR_2;
  }
  const cv::Mat decoded = cv::imdecode(as_mat(bytes), mode);
  const Size2 target = target_size(width, height, kShorterSide);
  cv::Mat resized;
  cv::resize(decoded, resized, cv::Size(target.width, target.height), 0, 0, cv::INTER_AREA);
  std::vector<uchar> out;
  cv::imencode(".jpg", resized, out, {cv::IMWRITE_JPEG_QUALITY, kQuality});
  return out;
}

// PSNR of a resizer output against the full decode area-resized to the
// output size (no re-encoding).
double psnr_against_full_decode(const std::string& bytes, const std::string& jpeg) {
  const cv::Mat out = cv::imdecode(as_mat(jpeg), cv::IMREAD_COLOR);
  cv::Mat reference;
  cv::resize(cv::imdecode(as_mat(bytes), cv::IMREAD_COLOR), reference, out.size(), 0, 0, cv::INTER_AREA);
  return cv::PSNR(out, reference);
}

// The figure docs/benchmarks.md gives for the builder's set: the mean and
// least PSNR of ImageResizer's outputs over LOCTEX_PHOTO_SET/*.jpg.
void print_set_quality(const std::filesystem::path& folder) {
  ImageResizer resizer({kShorterSide, kQuality});
  double sum = 0, least = 1e9;
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    if (entry.path().extension() != ".jpg") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    const double psnr = psnr_against_full_decode(bytes, resizer.process(bytes).jpeg);
    sum += psnr;
    least = std::min(least, psnr);
    ++count;
  }
  if (count > 0)
    std::fprintf(stderr, "%s: %d photos, image_resizer mean PSNR %.2f dB, least %.2f dB\n", folder.c_str(),
                 count, sum / count, least);
}

// Mean PSNR of baseline and resizer outputs against the full decode
// area-resized to the output size (no re-encoding).
void print_quality_once() {
  static const bool printed = [] {
    ImageResizer resizer({kShorterSide, kQuality});
    double ours = 0, baseline = 0;
    for (const std::string& bytes : photos()) {
      const cv::Mat full = cv::imdecode(as_mat(bytes), cv::IMREAD_COLOR);
      const auto result = resizer.process(bytes);
      cv::Mat reference;
      cv::resize(full, reference, cv::Size(result.width, result.height), 0, 0, cv::INTER_AREA);
      ours += cv::PSNR(cv::imdecode(as_mat(result.jpeg), cv::IMREAD_COLOR), reference);
      baseline +=
          cv::PSNR(cv::imdecode(opencv_baseline(bytes, full.cols, full.rows), cv::IMREAD_COLOR), reference);
    }
    std::fprintf(stderr,
                 "mean PSNR vs full decode + INTER_AREA: image_resizer %.2f dB, opencv_baseline %.2f dB\n",
                 ours / kImages, baseline / kImages);
    if (const char* set = std::getenv("LOCTEX_PHOTO_SET")) print_set_quality(set);
    return true;
  }();
  (void)printed;
}

void BM_opencv_baseline(benchmark::State& state) {
  cv::setNumThreads(1);
  const auto& files = photos();
  std::size_t i = 0;
  for (auto _ : state) {
    auto out = opencv_baseline(files[i++ % files.size()], 640, 480);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());  // images
}
BENCHMARK(BM_opencv_baseline)->Unit(benchmark::kMillisecond);

void BM_image_resizer(benchmark::State& state) {
  cv::setNumThreads(1);
  print_quality_once();
  const auto& files = photos();
  ImageResizer resizer(ResizeOptions{kShorterSide, kQuality});
  std::size_t i = 0;
  for (auto _ : state) {
    auto out = resizer.process(files[i++ % files.size()]);
    benchmark::DoNotOptimize(out.jpeg.data());
  }
  state.SetItemsProcessed(state.iterations());  // images
}
BENCHMARK(BM_image_resizer)->Unit(benchmark::kMillisecond);

}  // namespace
