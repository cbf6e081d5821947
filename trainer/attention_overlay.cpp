#include "trainer/attention_overlay.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <utility>

#include <opencv2/core.hpp>

#include "core/atomic_file.h"
#include "core/ln_jsonl.h"
#include "core/vocabulary.h"
#include "pipeline/builder.h"
#include "pipeline/manifest.h"
#include "trainer/attention_probe.h"
#include "trainer/device.h"
#include "trainer/model.h"

namespace loctex::trainer {
namespace {

namespace fs = std::filesystem;

void check_style(const core::OverlayStyle& style) {
  if (style.tile_side < 16 || style.tile_side > 4096)
    throw std::invalid_argument("tile_side must be 16 to 4096 pixels, got " +
                                std::to_string(style.tile_side));
  if (!(style.alpha >= 0.0 && style.alpha <= 1.0))
    throw std::invalid_argument("alpha must be in [0, 1], got " + std::to_string(style.alpha));
}

void validate(const AttentionOverlayOptions& o) {
  if (o.out.empty()) throw std::invalid_argument("out: an output folder is needed");
  if (o.max_samples < 1) throw std::invalid_argument("max_samples must be at least 1");
  if (o.threads < 0) throw std::invalid_argument("threads must be at least 0");
  check_style(o.style);
}

std::string format_peak(double p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", p);
  return buf;
}

void check_sample(const AttentionSample& s) {
  if (s.image_size < 1 || s.bgr.size() != 3 * static_cast<std::size_t>(s.image_size) * s.image_size)
    throw std::invalid_argument("sample " + s.key + ": " + std::to_string(s.bgr.size()) +
                                " bytes of pixels for a side of " + std::to_string(s.image_size));
  const auto cells =
      static_cast<std::size_t>(std::max(s.grid, 0)) * static_cast<std::size_t>(std::max(s.grid, 0));
  for (const auto& w : s.words)
    if (s.grid < 1 || w.attention.size() != cells || w.trace.size() != cells)
      throw std::invalid_argument(
          "sample " + s.key + ", word " + w.text + ": maps of " + std::to_string(w.attention.size()) +
          " and " + std::to_string(w.trace.size()) + " cells for a grid of " + std::to_string(s.grid));
}

// The crop at tile size; const_cast only to wrap the bytes, which are not written.
cv::Mat base_tile(const AttentionSample& s, int side) {
  const cv::Mat crop(s.image_size, s.image_size, CV_8UC3, const_cast<std::uint8_t*>(s.bgr.data()));
  return core::scale_to_side(crop, side);
}

// Row `w`: [model | trace], each with its label band.
cv::Mat row_of(const cv::Mat& base, const AttentionSample& s, const WordAttention& w, double alpha) {
  const auto tile = [&](const std::vector<float>& map, const char* what) {
    const std::vector<double> cells(map.begin(), map.end());
    const double peak = cells.empty() ? 0.0 : *std::max_element(cells.begin(), cells.end());
    return core::label_tile(core::blend_heatmap(base, cells, s.grid, alpha),
                            w.text + ": " + what + " (peak " + format_peak(peak) + ")");
  };
  cv::Mat row;
  cv::hconcat(tile(w.attention, "model"), tile(w.trace, "trace"), row);
  return row;
}

}  // namespace

std::vector<unsigned char> render_attention_sheet(const AttentionSample& sample,
                                                  const core::OverlayStyle& style) {
  check_style(style);
  check_sample(sample);
  const cv::Mat base = base_tile(sample, style.tile_side);
  std::vector<cv::Mat> tiles;
  for (const auto& w : sample.words) tiles.push_back(row_of(base, sample, w, style.alpha));
  return core::encode_png(core::tile_sheet(sample.caption, tiles, 1, 2 * base.cols));
}

std::vector<unsigned char> render_attention_row(const AttentionSample& sample, std::size_t word,
                                                const core::OverlayStyle& style) {
  if (word >= sample.words.size())
    throw std::out_of_range("row " + std::to_string(word) + " of " + std::to_string(sample.words.size()));
  check_style(style);
  check_sample(sample);
  return core::encode_png(
      row_of(base_tile(sample, style.tile_side), sample, sample.words[word], style.alpha));
}

namespace {

// The request checked and its run's model loaded.
LoadedModel load_run(const InspectRequest& request) {
  if (request.split != "val" && request.split != "train")
    throw std::invalid_argument("split must be val or train, got '" + request.split + "'");
  if (request.max_samples < 1) throw std::invalid_argument("max_samples must be at least 1");
  if (request.threads < 0) throw std::invalid_argument("threads must be at least 0");
  // load_model would call a missing folder a checkpoint it cannot read.
  if (!fs::exists(request.run))
    throw std::runtime_error("cannot read run " + request.run.string() + ": no such folder or checkpoint");
  return load_model(request.run);
}

// inspect_run with the model loaded, reading the words with `vocabulary_file`
// (empty: the data set's own).
Inspection inspect_with(const InspectRequest& request, LoadedModel& loaded, const fs::path& vocabulary_file) {
  const auto device = pick_device(request.device);
  Inspection inspection;
  inspection.checkpoint = loaded.checkpoint;
  inspection.step = loaded.step;
  const TrainConfig& config = loaded.config;
  const int threads =
      request.threads > 0 ? request.threads : static_cast<int>(std::thread::hardware_concurrency());
  torch::set_num_threads(std::max(1, threads));

  inspection.shards = request.shards.empty() ? config.data.shards : request.shards;
  if (inspection.shards.empty())
    throw std::invalid_argument("no shards folder: set shards or the run's data.shards");
  const fs::path vocabulary_path =
      vocabulary_file.empty() ? inspection.shards / pipeline::kVocabName : vocabulary_file;
  const auto vocabulary = core::Vocabulary::load(vocabulary_path);
  if (static_cast<std::int64_t>(vocabulary.size()) > loaded.model->text_vocabulary_size())
    throw std::invalid_argument(vocabulary_path.string() + " holds " + std::to_string(vocabulary.size()) +
                                " tokens, the model was built for " +
                                std::to_string(loaded.model->text_vocabulary_size()) +
                                ": shards of another build?");
  DataConfig data = config.data;
  data.shards = inspection.shards;
  const AttentionProbe probe(data, vocabulary, config.model, request.max_samples, request.split);
  inspection.skipped_samples = probe.skipped();
  auto& model = loaded.model;
  model->to(device);
  inspection.samples = probe.attend(model, device);
  return inspection;
}

}  // namespace

Inspection inspect_run(const InspectRequest& request) {
  LoadedModel loaded = load_run(request);
  return inspect_with(request, loaded, {});
}

Inspection inspect_narrative(const InspectRequest& request, const core::Narrative& narrative,
                             const fs::path& image_file, const fs::path& work) {
  LoadedModel loaded = load_run(request);  // its config names the data set it learnt from
  const fs::path trained_on = loaded.config.data.shards;
  fs::remove_all(work);
  fs::create_directories(work / "images");
  // One narrative, one image, named so the builder's pattern finds it.
  core::Narrative one = narrative;
  one.dataset_id = "inspect";
  one.image_id = "image";
  const std::string extension = image_file.extension().string();
  fs::copy_file(image_file, work / "images" / ("image" + extension));
  core::write_ln_file(work / "narrative.jsonl", {one});
  pipeline::BuildOptions build;
  build.inputs = {work / "narrative.jsonl"};
  build.image_root = work / "images";
  build.image_pattern = "{image_id}" + extension;
  build.output = work / "shards";
  build.val_fraction = 1.0;  // the one sample is a validation sample
  build.threads = 1;
  // Images and heatmaps as the run's data set was built, so the sample is
  // what training saw of its own.
  pipeline::apply_sample_parameters(pipeline::read_manifest(trained_on / pipeline::kManifestName).parameters,
                                    build);
  std::string reason;
  pipeline::BuildObserver observer;
  observer.skipped = [&reason](const pipeline::BuildError& e) { reason = e.stage + ": " + e.reason; };
  const auto summary = pipeline::build_dataset(build, observer);
  if (summary.val_samples != 1) throw std::runtime_error("cannot inspect this narrative: " + reason);
  InspectRequest one_sample = request;
  one_sample.shards = build.output;
  one_sample.split = "val";
  one_sample.max_samples = 1;
  Inspection inspection = inspect_with(one_sample, loaded, trained_on / pipeline::kVocabName);
  for (auto& sample : inspection.samples) sample.key = narrative.dataset_id + "/" + narrative.image_id;
  return inspection;
}

AttentionOverlayReport write_attention_overlays(const AttentionOverlayOptions& options) {
  validate(options);
  InspectRequest request;
  request.run = options.run;
  request.shards = options.shards;
  request.max_samples = options.max_samples;
  request.threads = options.threads;
  request.device = options.device;
  Inspection inspection = inspect_run(request);
  AttentionOverlayReport report;
  report.checkpoint = inspection.checkpoint;
  report.step = inspection.step;
  report.skipped_samples = inspection.skipped_samples;
  auto& samples = inspection.samples;

  // ======== RENDERING, FILES ========
  for (AttentionSample& sample : samples) {
    // Every file of the sample rendered before the first is written: a
    // failure to render leaves no half-written folder.
    std::vector<std::pair<std::string, std::vector<unsigned char>>> pngs;
    pngs.emplace_back("sheet.png", render_attention_sheet(sample, options.style));
    for (std::size_t r = 0; options.per_word && r < sample.words.size(); ++r)
      pngs.emplace_back(core::word_overlay_file_name(sample.words[r].index, sample.words[r].text),
                        render_attention_row(sample, r, options.style));
    const fs::path folder = options.out / core::safe_file_name(sample.key);
    for (const auto& [name, png] : pngs)
      core::write_file_atomically(folder / name,
                                  std::string_view(reinterpret_cast<const char*>(png.data()), png.size()));
    report.files += pngs.size();
    report.words += sample.words.size();
    ++report.samples;
  }
  return report;
}

}  // namespace loctex::trainer
