// opencv_baseline: the codec-only baseline of bench/build_dataset_bench.sh.
// For every *.jpg / *.jpeg in a folder: read the bytes, cv::imdecode with the
// largest IMREAD_REDUCED_COLOR_{2,4,8} whose result still has a shorter side
// of at least --size (the source size comes from the JPEG's SOF header; a full
// decode when no reduction fits, as for 640×480 → 256), cv::resize INTER_AREA
// to a shorter side of --size (longer side rounded to nearest, as the
// builder does), cv::imencode JPEG at --quality. No heatmaps, no JSON, no tar,
// nothing written: what img2dataset-style tools do per image.
//
//   opencv_baseline DIR [--threads N] [--size 256] [--quality 90] [--passes 1]
//
// N workers in a tbb::task_arena (parallel_for, one image per task), with
// OpenCV's own threading off, like the builder. Prints one JSON line:
// images, seconds (the processing loop, file reads included; not the
// directory listing), images_per_s, output bytes.
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <optional>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

struct Options {
  fs::path folder;
  int threads = 1;
  int size = 256;
  int quality = 90;
  int passes = 1;
};

[[noreturn]] void usage(const std::string& message) {
  std::cerr << "opencv_baseline: " << message
            << "\nusage: opencv_baseline DIR [--threads N] [--size 256] [--quality 90] [--passes 1]\n";
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto value = [&]() -> int {
      if (i + 1 >= argc) usage(arg + " needs a value");
      return std::atoi(argv[++i]);
    };
    if (arg == "--threads") {
      o.threads = value();
    } else if (arg == "--size") {
      o.size = value();
    } else if (arg == "--quality") {
      o.quality = value();
    } else if (arg == "--passes") {
      o.passes = value();
    } else if (arg == "-h" || arg == "--help") {
      usage("codec-only baseline: reduced decode + INTER_AREA resize + JPEG encode of every JPEG in DIR");
    } else if (o.folder.empty()) {
      o.folder = arg;
    } else {
      usage("unexpected argument " + arg);
    }
  }
  if (o.folder.empty()) usage("no folder");
  if (o.threads < 1 || o.size < 1 || o.quality < 1 || o.quality > 100 || o.passes < 1) usage("bad value");
  return o;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// (width, height) from the first SOF marker.
std::optional<std::pair<int, int>> jpeg_size(const std::string& d) {
  const auto at = [&](std::size_t i) { return static_cast<unsigned char>(d[i]); };
  std::size_t pos = 2;
  while (pos + 9 < d.size()) {
    if (at(pos) != 0xFF) return std::nullopt;
    const unsigned marker = at(pos + 1);
    if (marker == 0xFF) {
      ++pos;
      continue;
    }
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8)) {
      pos += 2;
      continue;
    }
    const std::size_t length = (std::size_t{at(pos + 2)} << 8) | at(pos + 3);
    const bool sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    if (sof) return std::pair{(at(pos + 7) << 8) | at(pos + 8), (at(pos + 5) << 8) | at(pos + 6)};
    pos += 2 + length;
  }
  return std::nullopt;
}

// The builder's target: shorter side `size`, longer side rounded (halves up).
cv::Size target_size(int width, int height, int size) {
  const bool landscape = width >= height;
  const long shorter = landscape ? height : width;
  const long longer = landscape ? width : height;
  const int scaled = static_cast<int>(std::max<long>(1, (2 * longer * size + shorter) / (2 * shorter)));
  return landscape ? cv::Size(scaled, size) : cv::Size(size, scaled);
}

std::size_t process(const fs::path& path, const Options& o) {
  const std::string bytes = read_file(path);
  int mode = cv::IMREAD_COLOR;
  const auto size = jpeg_size(bytes);
  if (size) {
    const int shorter = std::min(size->first, size->second);
    if ((shorter + 7) / 8 >= o.size) {
      mode = cv::IMREAD_REDUCED_COLOR_8;
    } else if ((shorter + 3) / 4 >= o.size) {
      mode = cv::IMREAD_REDUCED_COLOR_4;
    } else if ((shorter + 1) / 2 >= o.size) {
      mode = cv::IMREAD_REDUCED_COLOR_2;
    }
  }
  const cv::Mat raw(1, static_cast<int>(bytes.size()), CV_8UC1, const_cast<char*>(bytes.data()));
  const cv::Mat decoded = cv::imdecode(raw, mode);
  if (decoded.empty()) {
    std::cerr << "cannot decode " << path << "\n";
    return 0;
  }
  // The target follows from the full-size shape: the header's (the reduced
  // decode rounds it), turned as imdecode turned the picture (EXIF).
  int width = decoded.cols, height = decoded.rows;
  if (size && mode != cv::IMREAD_COLOR) {
    const bool turned = (size->first >= size->second) != (decoded.cols >= decoded.rows);
    width = turned ? size->second : size->first;
    height = turned ? size->first : size->second;
  }
  const cv::Size target = target_size(width, height, o.size);
  cv::Mat resized;
  cv::resize(decoded, resized, target, 0, 0, target.width <= decoded.cols ? cv::INTER_AREA : cv::INTER_CUBIC);
  std::vector<uchar> out;
  cv::imencode(".jpg", resized, out, {cv::IMWRITE_JPEG_QUALITY, o.quality});
  return out.size();
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  cv::setNumThreads(0);  // the workers are the parallelism

  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(o.folder)) {
    std::string ext = entry.path().extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
    if (entry.is_regular_file() && (ext == ".jpg" || ext == ".jpeg")) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) usage("no JPEG in " + o.folder.string());

  std::atomic<std::size_t> bytes{0};
  tbb::task_arena arena(o.threads);
  const auto start = std::chrono::steady_clock::now();
  for (int pass = 0; pass < o.passes; ++pass) {
    arena.execute([&] {
      tbb::parallel_for(tbb::blocked_range<std::size_t>(0, files.size(), 1),
                        [&](const tbb::blocked_range<std::size_t>& range) {
                          std::size_t local = 0;
                          for (std::size_t i = range.begin(); i != range.end(); ++i)
                            local += process(files[i], o);
                          bytes += local;
                        });
    });
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const std::size_t images = files.size() * static_cast<std::size_t>(o.passes);
  std::printf(
      "{\"images\": %zu, \"threads\": %d, \"seconds\": %.4f, \"images_per_s\": %.1f, \"output_bytes\": "
      "%zu}\n",
      images, o.threads, seconds, static_cast<double>(images) / seconds, bytes.load());
  return 0;
}
