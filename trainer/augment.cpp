#include "trainer/augment.h"

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string_view>

namespace loctex::trainer {
namespace {

// Python's round(): to the nearest integer, halves to even (the default
// floating-point rounding mode), as torchvision rounds crop sides.
int round_half_even(double v) { return static_cast<int>(std::nearbyint(v)); }

float clamp01(float v) { return std::clamp(v, 0.0f, 1.0f); }

CropBox normalised(int left, int top, int crop_width, int crop_height, int width, int height) {
  return {static_cast<double>(left) / width, static_cast<double>(top) / height,
          static_cast<double>(crop_width) / width, static_cast<double>(crop_height) / height};
}

void check_image_size(int width, int height) {
  if (width < 1 || height < 1)
    throw std::invalid_argument("image size must be positive, got " + std::to_string(width) + "x" +
                                std::to_string(height));
}

// [out_grid][grid]: the length of the overlap of output cell r, which spans
// [start, start + extent] of the image (normalised) split in out_grid equal
// parts, with input cell j = [j, j + 1] in grid units.
std::vector<double> overlap_matrix(int grid, int out_grid, double start, double extent) {
  std::vector<double> m(static_cast<std::size_t>(out_grid) * static_cast<std::size_t>(grid), 0.0);
  for (int r = 0; r < out_grid; ++r) {
    const double a = grid * (start + extent * r / out_grid);
    const double b = grid * (start + extent * (r + 1) / out_grid);
    const int first = std::max(0, static_cast<int>(std::floor(a)));
    const int last = std::min(grid - 1, static_cast<int>(std::ceil(b)) - 1);
    for (int j = first; j <= last; ++j)
      m[static_cast<std::size_t>(r) * grid + j] =
          std::max(0.0, std::min(b, j + 1.0) - std::max(a, double(j)));
  }
  return m;
}

}  // namespace

double uniform01(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

std::uint64_t uniform_index(std::mt19937_64& rng, std::uint64_t n) {
  if (n == 0) throw std::invalid_argument("uniform_index: n must be at least 1");
  return rng() % n;
}

CropBox random_resized_crop(int width, int height, const AugmentConfig& config, std::mt19937_64& rng) {
  check_image_size(width, height);
  const double area = static_cast<double>(width) * height;
  const double log_min = std::log(config.crop_min_ratio);
  const double log_max = std::log(config.crop_max_ratio);
  for (int attempt = 0; attempt < 10; ++attempt) {
    const double target_area =
        area * (config.crop_min_scale + (1.0 - config.crop_min_scale) * uniform01(rng));
    const double ratio = std::exp(log_min + (log_max - log_min) * uniform01(rng));
    const int w = round_half_even(std::sqrt(target_area * ratio));
    const int h = round_half_even(std::sqrt(target_area / ratio));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      const auto top = static_cast<int>(uniform_index(rng, static_cast<std::uint64_t>(height - h + 1)));
      const auto left = static_cast<int>(uniform_index(rng, static_cast<std::uint64_t>(width - w + 1)));
      return normalised(left, top, w, h, width, height);
    }
  }
  // No try fitted: the whole image, clamped to the ratio range, centred.
  const double in_ratio = static_cast<double>(width) / height;
  int w = width;
  int h = height;
  if (in_ratio < config.crop_min_ratio)
    h = std::clamp(round_half_even(w / config.crop_min_ratio), 1, height);
  else if (in_ratio > config.crop_max_ratio)
    w = std::clamp(round_half_even(h * config.crop_max_ratio), 1, width);
  return normalised((width - w) / 2, (height - h) / 2, w, h, width, height);
}

CropBox centre_crop(int width, int height) {
  check_image_size(width, height);
  const int side = std::min(width, height);
  return normalised(round_half_even((width - side) / 2.0), round_half_even((height - side) / 2.0), side, side,
                    width, height);
}

PixelRect crop_pixels(const CropBox& crop, int width, int height) {
  check_image_size(width, height);
  const int x0 = std::clamp(round_half_even(crop.x * width), 0, width - 1);
  const int y0 = std::clamp(round_half_even(crop.y * height), 0, height - 1);
  const int x1 = std::clamp(round_half_even((crop.x + crop.width) * width), x0 + 1, width);
  const int y1 = std::clamp(round_half_even((crop.y + crop.height) * height), y0 + 1, height);
  return {x0, y0, x1 - x0, y1 - y0};
}

AugmentParams draw_augment(int width, int height, const AugmentConfig& config, std::mt19937_64& rng) {
  AugmentParams p;
  p.crop = random_resized_crop(width, height, config, rng);
  p.flip = uniform01(rng) < config.flip;
  const auto factor = [&] { return 1.0 - config.jitter + 2.0 * config.jitter * uniform01(rng); };
  p.brightness = factor();
  p.contrast = factor();
  p.saturation = factor();
  return p;
}

AugmentParams evaluation_params(int width, int height) {
  AugmentParams p;
  p.crop = centre_crop(width, height);
  return p;
}

void augment_image(const cv::Mat& bgr, const AugmentParams& params, int size, std::span<float> out) {
  if (bgr.empty() || bgr.type() != CV_8UC3)
    throw std::invalid_argument("augment_image: expected a non-empty 8-bit 3-channel image");
  if (size < 1 || out.size() != 3 * static_cast<std::size_t>(size) * static_cast<std::size_t>(size))
    throw std::invalid_argument("augment_image: the output must hold 3 x size x size floats");

  const PixelRect box = crop_pixels(params.crop, bgr.cols, bgr.rows);
  const cv::Rect rect(box.x, box.y, box.width, box.height);
  const bool enlarges = rect.width < size || rect.height < size;
  cv::Mat resized;
  cv::resize(bgr(rect), resized, cv::Size(size, size), 0, 0, enlarges ? cv::INTER_LINEAR : cv::INTER_AREA);
  if (params.flip) cv::flip(resized, resized, 1);

  // shape: (3, size, size), RGB in [0, 1]
  const std::size_t plane = static_cast<std::size_t>(size) * static_cast<std::size_t>(size);
  float* const red = out.data();
  float* const green = red + plane;
  float* const blue = green + plane;
  const auto brightness = static_cast<float>(params.brightness);
  double grey_sum = 0.0;
  for (int y = 0; y < size; ++y) {
    const auto* row = resized.ptr<cv::Vec3b>(y);
    for (int x = 0; x < size; ++x) {
      const std::size_t i = static_cast<std::size_t>(y) * size + x;
      red[i] = clamp01(row[x][2] / 255.0f * brightness);
      green[i] = clamp01(row[x][1] / 255.0f * brightness);
      blue[i] = clamp01(row[x][0] / 255.0f * brightness);
      grey_sum += 0.299f * red[i] + 0.587f * green[i] + 0.114f * blue[i];
    }
  }

  const auto contrast = static_cast<float>(params.contrast);
  const auto saturation = static_cast<float>(params.saturation);
  const float grey_offset = (1.0f - contrast) * static_cast<float>(grey_sum / static_cast<double>(plane));
  float* const channels[3] = {red, green, blue};
  for (std::size_t i = 0; i < plane; ++i) {
    float v[3];
    for (int c = 0; c < 3; ++c) v[c] = clamp01(contrast * channels[c][i] + grey_offset);
    const float grey = 0.299f * v[0] + 0.587f * v[1] + 0.114f * v[2];
    for (int c = 0; c < 3; ++c) {
      const float s = clamp01(saturation * v[c] + (1.0f - saturation) * grey);
      channels[c][i] = (s - kImageMean[c]) / kImageStd[c];
    }
  }
}

HeatmapPooling::HeatmapPooling(int grid, const CropBox& crop, int out_grid, bool flip)
    : m_grid(grid), m_out_grid(out_grid) {
  if (grid < 1 || out_grid < 1)
    throw std::invalid_argument("HeatmapPooling: grid sizes must be at least 1, got " + std::to_string(grid) +
                                " and " + std::to_string(out_grid));
  if (!(crop.width > 0) || !(crop.height > 0))
    throw std::invalid_argument("HeatmapPooling: the crop has no area");
  m_py = overlap_matrix(grid, out_grid, crop.y, crop.height);
  m_px = overlap_matrix(grid, out_grid, crop.x, crop.width);
  if (flip)  // output column c takes what column out_grid - 1 - c would have had
    for (int c = 0; c < out_grid / 2; ++c)
      std::swap_ranges(m_px.begin() + c * grid, m_px.begin() + (c + 1) * grid,
                       m_px.begin() + (out_grid - 1 - c) * grid);
}

void HeatmapPooling::pool_mass(std::span<const float> map, std::span<float> out) const {
  const auto g = static_cast<std::size_t>(m_grid);
  const auto o = static_cast<std::size_t>(m_out_grid);
  if (map.size() != g * g || out.size() != o * o)
    throw std::invalid_argument("HeatmapPooling: expected a " + std::to_string(g) + "x" + std::to_string(g) +
                                " map and " + std::to_string(o) + "x" + std::to_string(o) + " output cells");
  // shape: (grid, out_grid) = H · Pxᵀ
  std::vector<double> columns(g * o, 0.0);
  for (std::size_t j = 0; j < g; ++j)
    for (std::size_t c = 0; c < o; ++c) {
      double sum = 0.0;
      for (std::size_t k = 0; k < g; ++k) sum += map[j * g + k] * m_px[c * g + k];
      columns[j * o + c] = sum;
    }
  // shape: (out_grid, out_grid) = Py · (H · Pxᵀ)
  for (std::size_t r = 0; r < o; ++r)
    for (std::size_t c = 0; c < o; ++c) {
      double sum = 0.0;
      for (std::size_t j = 0; j < g; ++j) sum += m_py[r * g + j] * columns[j * o + c];
      out[r * o + c] = static_cast<float>(sum);
    }
}

bool HeatmapPooling::pool(std::span<const float> map, std::span<float> out, double min_fraction) const {
  pool_mass(map, out);
  double total = 0.0;
  for (const float v : map) total += v;
  double inside = 0.0;
  for (const float v : out) inside += v;
  if (!(total > 0.0) || !(inside >= min_fraction * total) || !(inside > 0.0)) {
    std::fill(out.begin(), out.end(), 0.0f);
    return false;
  }
  for (float& v : out) v = static_cast<float>(v / inside);
  return true;
}

std::vector<std::int64_t> caption_tokens(std::span<const std::string> words,
                                         const core::Vocabulary& vocabulary, int max_words, bool flip) {
  if (max_words < 0) throw std::invalid_argument("caption_tokens: max_words must be >= 0");
  std::vector<std::int64_t> ids(static_cast<std::size_t>(max_words) + 1,
                                static_cast<std::int64_t>(core::Vocabulary::kPadId));
  ids[0] = static_cast<std::int64_t>(core::Vocabulary::kClsId);
  const std::size_t count = std::min(words.size(), static_cast<std::size_t>(max_words));
  for (std::size_t i = 0; i < count; ++i) {
    std::string_view word = words[i];
    std::string normal;
    if (flip) {  // a mirrored image: what was on the left is now on the right
      normal = core::normalize_word(word);
      if (normal == "left")
        word = "right";
      else if (normal == "right")
        word = "left";
    }
    ids[i + 1] = static_cast<std::int64_t>(vocabulary.id(word));
  }
  return ids;
}

}  // namespace loctex::trainer
