#pragma once
// One sample's augmentation, torch-free (OpenCV and core only) so that it is
// testable without LibTorch: a crop (random resized for training, the largest
// centred square for evaluation), an optional horizontal flip and colour
// jitter for the image, and the SAME crop and flip for every word's trace
// heatmap, pooled by exact area averaging from the builder's G×G grid over
// the whole image to the backbone's g×g grid over the crop.
//
// Every random draw comes from the generator passed in, through the helpers
// below (not std::uniform_*_distribution, whose output differs between
// standard libraries), so a seed gives the same augmentation everywhere.

#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "core/vocabulary.h"
#include "trainer/config.h"

// Declared, not included: batch_loader.h includes this header for kImageMean,
// and users of loctex_trainer do not get OpenCV's include path.
namespace cv {
class Mat;
}

namespace loctex::trainer {

// ImageNet's per-channel mean and std (RGB), as torchvision normalises.
inline constexpr float kImageMean[3] = {0.485f, 0.456f, 0.406f};
inline constexpr float kImageStd[3] = {0.229f, 0.224f, 0.225f};

// [0, 1) with 53 random bits.
double uniform01(std::mt19937_64& rng);
// [0, n), n >= 1 (a 64-bit draw reduced modulo n: the bias is below n / 2^64).
std::uint64_t uniform_index(std::mt19937_64& rng, std::uint64_t n);

// A rectangle in normalised image coordinates: x and width as fractions of
// the image's width, y and height of its height; origin top-left, like the
// heatmap grid and trace points.
struct CropBox {
  double x = 0.0;
  double y = 0.0;
  double width = 1.0;
  double height = 1.0;
  friend bool operator==(const CropBox&, const CropBox&) = default;
};

// torchvision's RandomResizedCrop.get_params on a width×height image, in
// whole pixels: up to 10 tries of an area fraction uniform in
// [crop_min_scale, 1] and an aspect ratio (width / height) log-uniform in
// [crop_min_ratio, crop_max_ratio], both sides rounded to pixels; the first
// that fits is placed uniformly. If none fits, the whole image clamped to the
// ratio range, centred. The box is returned normalised (its corners are whole
// pixels of this image). Throws std::invalid_argument unless both sides are
// positive.
CropBox random_resized_crop(int width, int height, const AugmentConfig& config, std::mt19937_64& rng);

// The largest centred square, in whole pixels (torchvision's Resize(S) then
// CenterCrop(S), up to resampling): for evaluation.
CropBox centre_crop(int width, int height);

// The pixel rectangle of a normalised box on a width×height image, rounded to
// the nearest pixel, at least 1×1 and inside the image.
struct PixelRect {
  int x = 0;
  int y = 0;
  int width = 0;
  int height = 0;
  friend bool operator==(const PixelRect&, const PixelRect&) = default;
};
PixelRect crop_pixels(const CropBox& crop, int width, int height);

// What one sample's augmentation drew.
struct AugmentParams {
  CropBox crop;
  bool flip = false;
  // Colour jitter factors (1: unchanged), applied in this fixed order
  // (torchvision's ColorJitter picks a random order; a fixed one is simpler
  // and, at factors near 1, hardly differs).
  double brightness = 1.0;
  double contrast = 1.0;
  double saturation = 1.0;
};

// Training: draws, always in this order and whatever the probabilities, the
// crop, then one number for the flip (flipped if below config.flip), then
// brightness, contrast and saturation, each uniform in [1 - jitter, 1 + jitter].
AugmentParams draw_augment(int width, int height, const AugmentConfig& config, std::mt19937_64& rng);
// Evaluation: the centre crop, no flip, no jitter.
AugmentParams evaluation_params(int width, int height);

// Crops `bgr` (8-bit, 3 channels, as cv::imdecode gives), resizes the crop to
// size×size (cv::INTER_AREA when neither side is enlarged, INTER_LINEAR
// otherwise), flips, applies the jitter as torchvision does on [0, 1] values
// (brightness: v·b; contrast: blend with the mean of the image's grey levels;
// saturation: blend with each pixel's grey level; grey = 0.299 R + 0.587 G +
// 0.114 B; clamped to [0, 1] after each), then normalises with kImageMean
// and kImageStd. Writes RGB planes, channel-major: out[c·size² + y·size + x],
// 3·size² floats. Throws std::invalid_argument for a wrong image type or
// output size.
void augment_image(const cv::Mat& bgr, const AugmentParams& params, int size, std::span<float> out);

// Below this fraction of its mass inside the crop, a word's trace counts as
// outside it (has_trace false): renormalising the tail of a Gaussian that
// lies beyond the crop's edge would teach the model to look at that edge.
// With the builder's sigma of one cell, that is a trace about 2.3 cells or
// more outside the crop.
inline constexpr double kMinCropMass = 0.01;

// Pools the part of a grid×grid heatmap over the whole image that a crop
// covers into out_grid×out_grid cells over the crop: each output cell gets
// the mass of the input cells it overlaps, weighted by the overlap's area
// (a cell's mass is taken as spread evenly over it), which is exact area
// averaging up to one factor. Separable: pooled = Py·H·Pxᵀ with overlap
// matrices Py, Px (out_grid × grid); a flip reverses Px's rows. Built once
// per sample, used for each word.
class HeatmapPooling {
 public:
  // Throws std::invalid_argument for a grid or out_grid below 1 or a crop
  // with no area.
  HeatmapPooling(int grid, const CropBox& crop, int out_grid, bool flip);

  int grid() const { return m_grid; }
  int out_grid() const { return m_out_grid; }

  // out_grid² cells of mass (no renormalisation): their sum is the map's
  // mass inside the crop. Throws std::invalid_argument for spans of the
  // wrong size.
  void pool_mass(std::span<const float> map, std::span<float> out) const;

  // pool_mass, renormalised to sum 1. Returns false, leaving zeros, when less
  // than min_fraction of the map's mass lies inside the crop (or the map has
  // none).
  bool pool(std::span<const float> map, std::span<float> out, double min_fraction = kMinCropMass) const;

 private:
  int m_grid;
  int m_out_grid;
  std::vector<double> m_py;  // [out_grid][grid]: overlap of output row r with input row j
  std::vector<double> m_px;  // [out_grid][grid]: likewise for columns, reversed if flipped
};

// A caption's token ids: <cls>, then vocabulary.id(word) for the first
// max_words words, then <pad> to max_words + 1 in all. A flipped sample
// swaps the ids of "left" and "right" (either one unknown to the vocabulary
// maps to <unk>).
std::vector<std::int64_t> caption_tokens(std::span<const std::string> words,
                                         const core::Vocabulary& vocabulary, int max_words, bool flip);

}  // namespace loctex::trainer
