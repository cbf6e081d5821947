#include "pipeline/sample_encoder.h"

#include <nlohmann/json.hpp>

#include "core/words.h"
#include "pipeline/npy.h"
#include "pipeline/tar_writer.h"

namespace loctex::pipeline {

using Json = nlohmann::ordered_json;

std::string SampleFiles::member_name(std::size_t i) const {
  std::string name = key;
  name.push_back('.');
  name.append(kExtensions[i]);
  return name;
}

std::uint64_t SampleFiles::tar_bytes() const {
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < std::size(kExtensions); ++i)
    total += tar_member_size(member_name(i), file(i).size());
  return total;
}

void check_narrative(const core::Narrative& narrative) {
  if (core::split_words(narrative.timed_caption).empty())
    throw SampleError("words", "timed_caption has no words");
  for (const auto& segment : narrative.traces)
    if (!segment.empty()) return;
  throw SampleError("trace", "traces hold no point");
}

SampleFiles encode_sample(const core::Narrative& narrative, std::string key, std::string_view image_bytes,
                          const SampleSource& source, ImageResizer& resizer,
                          const core::HeatmapParams& heatmap) {
  check_narrative(narrative);

  ResizedImage image;
  try {
    image = resizer.process(image_bytes);
  } catch (const ImageError& e) {
    throw SampleError("image", e.what());
  }

  core::WordHeatmaps maps;
  try {
    maps = core::render_word_heatmaps(narrative, heatmap);
  } catch (const std::exception& e) {
    throw SampleError("heatmap", e.what());
  }

  SampleFiles files;
  files.key = std::move(key);
  files.jpg = std::move(image.jpeg);

  Json words = Json::array();
  files.words.reserve(maps.words.size());
  for (std::size_t i = 0; i < maps.words.size(); ++i) {
    const auto& word = maps.words[i];
    words.push_back(
        {{"text", word.text}, {"start", word.start}, {"end", word.end}, {"has_trace", maps.has_trace[i]}});
    files.words.push_back(word.text);
    files.words_with_trace += maps.has_trace[i] ? 1 : 0;
  }
  const Json json = {
      {"key", files.key},
      {"dataset_id", narrative.dataset_id},
      {"image_id", narrative.image_id},
      {"annotator_id", narrative.annotator_id},
      {"caption", narrative.caption},
      {"words", std::move(words)},
      {"image",
       {{"original_width", image.original_width},
        {"original_height", image.original_height},
        {"width", image.width},
        {"height", image.height}}},
      {"source", {{"file", source.file}, {"line", source.line}}},
      {"heatmap",
       {{"size", heatmap.grid},
        {"sigma", heatmap.sigma},
        {"time_margin", heatmap.time_margin},
        {"dtype", "float16"}}},
  };
  // ensure_ascii-free UTF-8, as the caption was written; replace, not throw,
  // on invalid UTF-8 so that one odd byte cannot stop a build.
  files.json = json.dump(-1, ' ', false, Json::error_handler_t::replace);

  const std::size_t shape[] = {maps.words.size(), static_cast<std::size_t>(maps.grid),
                               static_cast<std::size_t>(maps.grid)};
  files.npy = encode_npy_f16(maps.maps, shape);
  return files;
}

}  // namespace loctex::pipeline
