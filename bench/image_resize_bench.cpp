// The per-image stage of the dataset builder on 32 photo-like 640×480 JPEGs
// (quality 90, 60-83 KB) → shorter side 256 (341×256), JPEG quality 90:
//   opencv_baseline: cv::imdecode (IMREAD_REDUCED_COLOR_2/4/8 when that still
//     covers the target; for 480 → 256 none does, so a full decode) +
//     cv::resize INTER_AREA + cv::imencode;
//   image_resizer: ImageResizer::process (TurboJPEG decode at 5/8 to
//     400×300, bilinear to 341×256, tjCompress2).
// Both run with OpenCV's own threading off: the builder's parallelism is one
// resizer per worker. Prints once the mean PSNR of each output against the
// full decode area-resized to the same size. On a 2-core machine: baseline
// about 485 images/s, image_resizer about 790 (1.6×), PSNR 38.5 dB for both.
// Figures: docs/benchmarks.md.
#include <benchmark/benchmark.h>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
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
