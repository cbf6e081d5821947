#pragma once
// The builder's parallel stage for one narrative: its image resized and
// re-encoded, its per-word heatmaps, and the three files of its WebDataset
// sample (KEY.jpg, KEY.json, KEY.heatmaps.npy), ready to be appended to a tar.

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/heatmap.h"
#include "core/narrative.h"
#include "pipeline/image_resize.h"

namespace loctex::pipeline {

struct SampleFiles {
  std::string key;
  std::string jpg;
  std::string json;
  std::string npy;
  std::vector<std::string> words;  // word texts, for the vocabulary
  std::size_t words_with_trace = 0;

  // Member names in tar order: KEY.jpg, KEY.json, KEY.heatmaps.npy.
  static constexpr std::string_view kExtensions[] = {"jpg", "json", "heatmaps.npy"};
  std::string_view file(std::size_t i) const { return i == 0 ? jpg : i == 1 ? json : npy; }
  std::string member_name(std::size_t i) const;  // "KEY.jpg", ...
  // The bytes the three members add to a tar.
  std::uint64_t tar_bytes() const;
};

// Why a narrative was skipped: stage is "words", "trace", "image" or
// "heatmap"; what() is the reason.
class SampleError : public std::runtime_error {
 public:
  SampleError(std::string stage, const std::string& reason)
      : std::runtime_error(reason), m_stage(std::move(stage)) {}
  const std::string& stage() const { return m_stage; }

 private:
  std::string m_stage;
};

// What KEY.json records about where the sample came from.
struct SampleSource {
  std::string file;
  std::size_t line = 0;
};

// Checks the narrative (it has words and a trace point) before touching the
// image, so a bad record costs no decode. Throws SampleError.
void check_narrative(const core::Narrative& narrative);

// Throws SampleError for an image that cannot be decoded or heatmaps that
// cannot be rendered.
SampleFiles encode_sample(const core::Narrative& narrative, std::string key, std::string_view image_bytes,
                          const SampleSource& source, ImageResizer& resizer,
                          const core::HeatmapParams& heatmap);

}  // namespace loctex::pipeline
