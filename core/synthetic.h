#pragma once
// A seeded synthetic Localized Narratives set: images of simple shapes, a
// caption that names what is drawn and where, a timed caption at a natural
// speaking rate and a mouse trace that visits each object while its words are
// spoken. It is the bundled demo data and the benchmark on which the trainer
// must show that it learns, so every word of a caption is true of its image.
// docs/synthetic-data.md describes the grammar, the timing and trace models
// and the files.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/narrative.h"

namespace loctex::core {

// Bounds that validate_synth_options() enforces; the CLI checks its flags
// against the same numbers.
inline constexpr int kSynthMinSide = 64;
inline constexpr int kSynthMaxSide = 4096;
inline constexpr int kSynthMaxObjects = 6;

struct SynthOptions {
  std::uint64_t seed = 1;
  std::size_t count = 100;  // images; indices 0 .. count-1
  int width = 320;          // pixels; small enough that a demo set takes seconds
  int height = 240;
  int min_objects = 1;  // per image, drawn uniformly from [min, max]
  int max_objects = 4;
  std::string dataset_id = "loctex_synth";
  int jpeg_quality = 90;  // 1..100, as cv::IMWRITE_JPEG_QUALITY
  int annotators = 5;     // annotator_id is 1..annotators; each has its own pace and hand
  // Width of the recorded band around the image, as a fraction of the image;
  // Localized Narratives records 10%.
  double band = 0.1;
  double sample_rate_hz = 60.0;
  // Per image: chance of one excursion that stays inside the band, and of one
  // that leaves it (which ends the trace segment; a new one starts on re-entry).
  double excursion_probability = 0.3;
  double band_exit_probability = 0.1;
};

// Throws std::invalid_argument naming the first bad field, e.g.
// "count must be at least 1, got 0".
void validate_synth_options(const SynthOptions& options);

// One drawn object and the words that describe it.
struct SynthObject {
  std::string shape;      // one of kSynthShapes
  std::string colour;     // one of kSynthColours' names
  std::string size_word;  // one of kSynthSizes
  // Tight box of the drawn shape, normalised like trace points (origin
  // top-left, 1.0 = full width or height).
  double x0 = 0.0, y0 = 0.0, x1 = 0.0, y1 = 0.0;
  // Words [first_word, last_word) of the caption split on single spaces:
  // "a large red circle at the top left," including the position phrase.
  std::size_t first_word = 0;
  std::size_t last_word = 0;

  std::string label() const { return size_word + " " + colour + " " + shape; }
  friend bool operator==(const SynthObject&, const SynthObject&) = default;
};

struct SynthSample {
  Narrative narrative;
  std::vector<SynthObject> objects;  // in caption order
  std::vector<unsigned char> jpeg;
  int width = 0;
  int height = 0;
};

// The vocabulary the generator draws from. Colours are sRGB.
struct SynthColour {
  std::string_view name;
  unsigned char r, g, b;
};
inline constexpr SynthColour kSynthColours[] = {
    {"red", 215, 38, 38},     {"green", 36, 160, 64},   {"blue", 38, 84, 220},
    {"yellow", 240, 205, 30}, {"purple", 135, 55, 180}, {"orange", 245, 130, 20},
};
inline constexpr std::string_view kSynthShapes[] = {"circle", "square", "triangle", "diamond",
                                                    "star",   "cross",  "ring"};
inline constexpr std::string_view kSynthSizes[] = {"small", "medium", "large"};

// Sample `index` of the set that `options` describes. Deterministic: the same
// options and index give byte-identical output whatever else was generated,
// because each sample draws from its own generator seeded from (seed, index).
// Throws std::invalid_argument for bad options.
SynthSample synthesize_sample(const SynthOptions& options, std::size_t index);

// The image_id of sample `index`: its zero-padded decimal index, "000042".
std::string synth_image_id(std::size_t index);

struct SynthReport {
  std::size_t images = 0;
  std::size_t objects = 0;
  std::size_t words = 0;
  std::size_t utterances = 0;
  std::size_t segments = 0;
  std::size_t points = 0;
  std::filesystem::path narratives_file;  // OUT/narratives.jsonl
  std::filesystem::path objects_file;     // OUT/objects.jsonl
  std::filesystem::path images_dir;       // OUT/images, one {image_id}.jpg per sample
};

// Called after each sample with the number written so far and the total.
using SynthProgress = std::function<void(std::size_t done, std::size_t total)>;

// Writes the whole set under `out_dir` (created if missing). Every file
// appears whole or not at all; the two JSONL files appear only once every
// image is written, objects.jsonl first, so narratives.jsonl marks a finished
// set. Throws std::invalid_argument for bad options and std::runtime_error
// naming the path when a file cannot be written.
SynthReport write_synthetic_set(const SynthOptions& options, const std::filesystem::path& out_dir,
                                const SynthProgress& progress = {});

}  // namespace loctex::core
