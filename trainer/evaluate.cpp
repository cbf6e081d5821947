#include "trainer/evaluate.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "core/line_error.h"
#include "core/synthetic.h"
#include "core/vocabulary.h"
#include "pipeline/manifest.h"
#include "pipeline/shard_reader.h"
#include "trainer/batch_loader.h"
#include "trainer/device.h"
#include "trainer/train.h"

namespace loctex::trainer {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;

// Query rows per block of similarities in retrieval_ranks: 1024 × N floats.
constexpr std::int64_t kRankBlock = 1024;

// What a sample's KEY.json says, as far as evaluation needs it.
struct SampleMeta {
  std::string image;  // dataset_id + '/' + image_id: the image, for groups and objects.jsonl
  std::string caption;
  std::vector<std::string> words;  // the builder's words (timed_caption split on whitespace)
  int width = 0;                   // of the stored image, which the loader centre-crops
  int height = 0;
};

std::string image_name(const std::string& dataset_id, const std::string& image_id) {
  return dataset_id + "/" + image_id;
}

// Every sample of one split, by key, read from KEY.json of each shard.
std::map<std::string, SampleMeta> read_sample_meta(const fs::path& shards, pipeline::Split split) {
  std::map<std::string, SampleMeta> out;
  for (const auto& shard : pipeline::read_manifest(shards / pipeline::kManifestName).shards) {
    if (shard.split != split) continue;
    const fs::path path = shards / shard.name;
    pipeline::ShardReader reader(path);
    while (auto sample = reader.next()) {
      const auto it = sample->files.find("json");
      if (it == sample->files.end()) continue;  // the loader skips and counts it
      try {
        const Json json = Json::parse(it->second);
        SampleMeta meta;
        meta.image =
            image_name(json.at("dataset_id").get<std::string>(), json.at("image_id").get<std::string>());
        meta.caption = json.at("caption").get<std::string>();
        for (const auto& word : json.at("words")) meta.words.push_back(word.at("text").get<std::string>());
        meta.width = json.at("image").at("width").get<int>();
        meta.height = json.at("image").at("height").get<int>();
        out.emplace(sample->key, std::move(meta));
      } catch (const std::exception& e) {
        throw std::runtime_error(path.string() + ": " + sample->key + ".json: " + e.what());
      }
    }
  }
  return out;
}

// The caption split on single spaces, as objects.jsonl counts words.
std::vector<std::string> split_on_spaces(const std::string& caption) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    const auto end = caption.find(' ', start);
    out.push_back(caption.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) return out;
    start = end + 1;
  }
}

struct SynthObjectEntry {
  std::string shape;
  std::string colour;
  NormBox box;
  std::size_t first_word = 0;
  std::size_t last_word = 0;
};

// objects.jsonl by image (dataset_id/image_id).
std::map<std::string, std::vector<SynthObjectEntry>> read_objects(const fs::path& path,
                                                                  std::int64_t& entries) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::map<std::string, std::vector<SynthObjectEntry>> out;
  std::size_t line_number = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    try {
      const Json json = Json::parse(line);
      std::vector<SynthObjectEntry> objects;
      for (const auto& object : json.at("objects")) {
        SynthObjectEntry entry;
        entry.shape = object.at("shape").get<std::string>();
        entry.colour = object.at("colour").get<std::string>();
        const auto& box = object.at("box");
        if (box.size() != 4) throw std::runtime_error("box must hold 4 numbers");
        entry.box = {box.at(0).get<double>(), box.at(1).get<double>(), box.at(2).get<double>(),
                     box.at(3).get<double>()};
        const auto& words = object.at("words");
        if (words.size() != 2) throw std::runtime_error("words must hold [first, last)");
        entry.first_word = words.at(0).get<std::size_t>();
        entry.last_word = words.at(1).get<std::size_t>();
        objects.push_back(std::move(entry));
      }
      out[image_name(json.at("dataset_id").get<std::string>(), json.at("image_id").get<std::string>())] =
          std::move(objects);
      ++entries;
    } catch (const std::exception& e) {
      throw core::LineError(path.string(), line_number, e.what());
    }
  }
  return out;
}

template <typename Range>
std::int64_t index_of(const Range& names, std::string_view name) {
  std::int64_t i = 0;
  for (const auto& candidate : names) {
    if (candidate == name) return i;
    ++i;
  }
  return -1;
}

std::int64_t colour_index(std::string_view name) {
  std::int64_t i = 0;
  for (const auto& colour : core::kSynthColours) {
    if (colour.name == name) return i;
    ++i;
  }
  return -1;
}

// The probe's labels of one image: the shape and colour of its only object;
// nullopt when it has none, several (which one would a pooled feature name?)
// or labels that are not loctex-synth's.
std::optional<std::pair<std::int64_t, std::int64_t>> single_object_labels(
    const std::vector<SynthObjectEntry>& objects) {
  if (objects.size() != 1) return std::nullopt;
  const auto shape = index_of(core::kSynthShapes, objects.front().shape);
  const auto colour = colour_index(objects.front().colour);
  if (shape < 0 || colour < 0) return std::nullopt;
  return std::pair{shape, colour};
}

// The vocabulary size the model's word embedding was built for.
std::int64_t model_vocabulary_size(LocTexModel& model) {
  for (const auto& item : model->named_parameters())
    if (item.key() == "text.words.weight") return item.value().size(0);
  throw std::invalid_argument("the model has no text.words.weight");
}

Json recall_json(const Recall& r) { return {{"r1", r.r1}, {"r5", r.r5}, {"r10", r.r10}}; }

Json probe_json(const ProbeResult& p) {
  return {{"classes", p.classes},         {"train_samples", p.train_samples},
          {"val_samples", p.val_samples}, {"train_accuracy", p.train_accuracy},
          {"accuracy", p.accuracy},       {"majority_baseline", p.majority_baseline}};
}

}  // namespace

// ---- retrieval ------------------------------------------------------------

torch::Tensor retrieval_ranks(const torch::Tensor& queries, const torch::Tensor& candidates,
                              const torch::Tensor& groups) {
  if (queries.dim() != 2 || candidates.dim() != 2 || queries.size(0) != candidates.size(0) ||
      queries.size(1) != candidates.size(1))
    throw std::invalid_argument("retrieval_ranks: queries and candidates must both be [N, D]");
  const auto n = queries.size(0);
  const auto device = queries.device();
  torch::Tensor group = groups.defined()
                            ? groups.to(device, torch::kLong)
                            : torch::arange(n, torch::TensorOptions().dtype(torch::kLong).device(device));
  if (group.dim() != 1 || group.size(0) != n)
    throw std::invalid_argument("retrieval_ranks: groups must be [N]");
  const auto keys = candidates.to(queries.dtype()).t();
  std::vector<torch::Tensor> ranks;
  for (std::int64_t start = 0; start < n; start += kRankBlock) {
    const auto end = std::min(n, start + kRankBlock);
    // shape: (block, N)
    const auto similarity = torch::matmul(queries.slice(0, start, end), keys);
    const auto match = group.slice(0, start, end).unsqueeze(1) == group.unsqueeze(0);
    const auto best = std::get<0>(
        similarity.masked_fill(match.logical_not(), -std::numeric_limits<double>::infinity()).max(1));
    ranks.push_back(((similarity >= best.unsqueeze(1)) & match.logical_not()).sum(1));
  }
  if (ranks.empty()) return torch::zeros({0}, torch::kLong);
  return torch::cat(ranks).to(torch::kCPU, torch::kLong);
}

double recall_at(const torch::Tensor& ranks, std::int64_t k) {
  if (ranks.numel() == 0) return 0;
  return (ranks < k).to(torch::kDouble).mean().item<double>();
}

Recall recall_of(const torch::Tensor& ranks) {
  return {recall_at(ranks, 1), recall_at(ranks, 5), recall_at(ranks, 10)};
}

RetrievalMetrics retrieval_metrics(const torch::Tensor& image_embeddings,
                                   const torch::Tensor& caption_embeddings, const torch::Tensor& groups) {
  RetrievalMetrics out;
  out.pairs = image_embeddings.size(0);
  out.chance_r1 = out.pairs > 0 ? 1.0 / static_cast<double>(out.pairs) : 0.0;
  out.image_to_text = recall_of(retrieval_ranks(image_embeddings, caption_embeddings, groups));
  out.text_to_image = recall_of(retrieval_ranks(caption_embeddings, image_embeddings, groups));
  return out;
}

// ---- attention against traces --------------------------------------------

torch::Tensor top_mass_cells(const torch::Tensor& heatmaps, double fraction) {
  if (heatmaps.dim() != 2) throw std::invalid_argument("top_mass_cells: heatmaps must be [N, K]");
  if (!(fraction > 0 && fraction <= 1))
    throw std::invalid_argument("top_mass_cells: fraction must be in (0, 1]");
  if (heatmaps.size(0) == 0 || heatmaps.size(1) == 0)
    return torch::zeros(heatmaps.sizes(), heatmaps.options().dtype(torch::kBool));
  const auto heat = heatmaps.to(torch::kDouble);
  const auto sorted = std::get<0>(heat.sort(1, /*descending=*/true));
  const auto mass = sorted.cumsum(1);
  const auto total = mass.select(1, mass.size(1) - 1).unsqueeze(1);
  // The first position where the running mass reaches the fraction (up to
  // float rounding: 0.5f + 0.3f + 0.2f sums to a hair above 1); the last cell
  // taken sets the threshold, and every cell as hot is in.
  const auto reached = (mass >= fraction * total * (1 - 1e-6)).to(torch::kInt);
  const auto last = reached.argmax(1, /*keepdim=*/true);
  const auto threshold = sorted.gather(1, last);
  return (heat >= threshold) & (heat > 0) & (total > 0);
}

torch::Tensor pointing_hits(const torch::Tensor& attention, const torch::Tensor& heatmaps, double fraction) {
  if (attention.dim() != 2 || attention.sizes() != heatmaps.sizes())
    throw std::invalid_argument("pointing_hits: attention and heatmaps must both be [N, K]");
  if (attention.size(0) == 0) return torch::zeros({0}, attention.options().dtype(torch::kBool));
  const auto cell = attention.argmax(1, /*keepdim=*/true);
  return top_mass_cells(heatmaps, fraction).gather(1, cell.to(heatmaps.device())).squeeze(1);
}

torch::Tensor heatmap_kl(const torch::Tensor& heatmaps, const torch::Tensor& attention_logits) {
  if (heatmaps.dim() != 2 || heatmaps.sizes() != attention_logits.sizes())
    throw std::invalid_argument("heatmap_kl: heatmaps and attention_logits must both be [N, K]");
  const auto h = heatmaps.to(torch::kDouble);
  const auto log_attention = torch::log_softmax(attention_logits.to(torch::kDouble), 1);
  const auto terms = torch::where(h > 0, h * (h.log() - log_attention), torch::zeros_like(h));
  return terms.sum(1);
}

NormBox box_in_crop(const NormBox& box, const CropBox& crop) {
  return {(box.x0 - crop.x) / crop.width, (box.y0 - crop.y) / crop.height, (box.x1 - crop.x) / crop.width,
          (box.y1 - crop.y) / crop.height};
}

bool cell_centre_in_box(std::int64_t cell, std::int64_t grid, const NormBox& box) {
  const double x = (static_cast<double>(cell % grid) + 0.5) / static_cast<double>(grid);
  const double y = (static_cast<double>(cell / grid) + 0.5) / static_cast<double>(grid);
  return x >= box.x0 && x <= box.x1 && y >= box.y0 && y <= box.y1;
}

bool box_visible(const NormBox& box) { return box.x1 > 0 && box.x0 < 1 && box.y1 > 0 && box.y0 < 1; }

// ---- linear probe ---------------------------------------------------------

ProbeResult linear_probe(const torch::Tensor& train_x, const torch::Tensor& train_y,
                         const torch::Tensor& val_x, const torch::Tensor& val_y, std::int64_t classes,
                         const ProbeOptions& options) {
  if (train_x.dim() != 2 || train_y.dim() != 1 || train_x.size(0) != train_y.size(0))
    throw std::invalid_argument("linear_probe: train_x must be [N, C] and train_y [N]");
  if (val_x.dim() != 2 || val_y.dim() != 1 || val_x.size(0) != val_y.size(0) ||
      val_x.size(1) != train_x.size(1))
    throw std::invalid_argument("linear_probe: val_x must be [M, C] and val_y [M]");
  if (train_x.size(0) == 0) throw std::invalid_argument("linear_probe: no training sample");
  if (classes < 2) throw std::invalid_argument("linear_probe: classes must be at least 2");
  if (options.iterations < 1) throw std::invalid_argument("linear_probe: iterations must be at least 1");
  const auto out_of_range = [&](const torch::Tensor& y) {
    return y.numel() > 0 && (y.min().item<std::int64_t>() < 0 || y.max().item<std::int64_t>() >= classes);
  };
  if (out_of_range(train_y) || out_of_range(val_y))
    throw std::invalid_argument("linear_probe: a label is outside [0, " + std::to_string(classes) + ")");

  torch::AutoGradMode grad(true);  // evaluate() runs under NoGradGuard; the fit needs gradients
  const auto device = train_x.device();
  const auto x = train_x.to(torch::kDouble);
  const auto mean = x.mean(0);
  auto std = x.std(0, /*unbiased=*/false);
  std = torch::where(std > 1e-12, std, torch::ones_like(std));  // a constant feature standardises to 0
  const auto train = (x - mean) / std;
  const auto val = (val_x.to(device, torch::kDouble) - mean) / std;
  const auto y = train_y.to(device, torch::kLong);
  const auto vy = val_y.to(device, torch::kLong);

  const auto options_of = torch::TensorOptions().dtype(torch::kDouble).device(device);
  auto weight = torch::zeros({train.size(1), classes}, options_of).requires_grad_(true);
  auto bias = torch::zeros({classes}, options_of).requires_grad_(true);
  torch::optim::LBFGS optimizer(std::vector<torch::Tensor>{weight, bias},
                                torch::optim::LBFGSOptions(1.0)
                                    .max_iter(options.iterations)
                                    .history_size(20)
                                    .line_search_fn("strong_wolfe"));
  const auto closure = [&] {
    optimizer.zero_grad();
    auto loss = torch::nn::functional::cross_entropy(torch::addmm(bias, train, weight), y) +
                options.l2 * weight.pow(2).sum();
    loss.backward();
    return loss;
  };
  optimizer.step(closure);

  torch::NoGradGuard no_grad;
  const auto accuracy = [&](const torch::Tensor& features, const torch::Tensor& labels) {
    if (labels.numel() == 0) return 0.0;
    const auto predicted = torch::addmm(bias, features, weight).argmax(1);
    return (predicted == labels).to(torch::kDouble).mean().item<double>();
  };
  ProbeResult out;
  out.classes = classes;
  out.train_samples = train.size(0);
  out.val_samples = val.size(0);
  out.train_accuracy = accuracy(train, y);
  out.accuracy = accuracy(val, vy);
  const auto majority = torch::bincount(y, {}, classes).argmax().item<std::int64_t>();
  out.majority_baseline = vy.numel() > 0 ? (vy == majority).to(torch::kDouble).mean().item<double>() : 0.0;
  return out;
}

namespace {

// The probe's samples of one split of `data`: the frozen backbone's pooled
// features (centre crop, as the loader's evaluation mode gives) of the images
// that `objects` lists with exactly one object, and that object's labels.
struct ProbeSplit {
  torch::Tensor features;  // [N, C] double, on the CPU
  std::vector<std::int64_t> shape, colour;
  std::int64_t missing = 0;       // no entry in objects.jsonl
  std::int64_t multi_object = 0;  // an entry without exactly one loctex-synth object
  std::int64_t skipped = 0;       // samples the loader could not decode
};

ProbeSplit probe_split(LocTexModel& model, const DataConfig& data, const core::Vocabulary& vocabulary,
                       LoaderOptions loading, pipeline::Split split, const char* split_name,
                       const std::map<std::string, std::vector<SynthObjectEntry>>& objects,
                       const torch::Device& device) {
  const auto meta = read_sample_meta(data.shards, split);
  loading.split = split_name;
  BatchLoader loader(data, vocabulary, loading);
  ProbeSplit out;
  std::vector<torch::Tensor> features;
  std::vector<std::int64_t> rows;
  std::int64_t row = 0;
  while (auto batch = loader.next()) {
    features.push_back(model->visual_features(batch->images.to(device)).mean({2, 3}).to(torch::kCPU));
    for (const auto& key : batch->keys) {
      const auto meta_it = meta.find(key);
      const auto entry = meta_it == meta.end() ? objects.end() : objects.find(meta_it->second.image);
      if (entry == objects.end()) {
        ++out.missing;
      } else if (const auto labels = single_object_labels(entry->second)) {
        rows.push_back(row);
        out.shape.push_back(labels->first);
        out.colour.push_back(labels->second);
      } else {
        ++out.multi_object;
      }
      ++row;
    }
  }
  out.skipped = loader.stats().skipped_samples;
  out.features =
      features.empty()
          ? torch::zeros({0, 0}, torch::kDouble)
          : torch::cat(features).index_select(0, torch::tensor(rows, torch::kLong)).to(torch::kDouble);
  return out;
}

}  // namespace

// ---- the whole evaluation -------------------------------------------------

EvalReport evaluate(LocTexModel& model, const TrainConfig& config, const EvalOptions& options) {
  const auto start = Clock::now();
  if (options.batch_size < 1) throw std::invalid_argument("batch_size must be at least 1");
  if (options.workers < 1) throw std::invalid_argument("workers must be at least 1");
  if (options.threads < 0) throw std::invalid_argument("threads must be at least 0");
  const auto device = pick_device(options.device);
  const int threads =
      options.threads > 0 ? options.threads : static_cast<int>(std::thread::hardware_concurrency());
  torch::set_num_threads(std::max(1, threads));

  const fs::path shards = options.shards.empty() ? config.data.shards : options.shards;
  if (shards.empty()) throw std::invalid_argument("no shards folder: set the eval shards or data.shards");
  const auto vocabulary = core::Vocabulary::load(shards / pipeline::kVocabName);
  const auto model_words = model_vocabulary_size(model);
  if (static_cast<std::int64_t>(vocabulary.size()) > model_words)
    throw std::invalid_argument((shards / pipeline::kVocabName).string() + " holds " +
                                std::to_string(vocabulary.size()) + " tokens, the model was built for " +
                                std::to_string(model_words) + ": shards of another build?");

  EvalReport report;
  const bool with_objects = !options.objects.empty();
  std::map<std::string, std::vector<SynthObjectEntry>> objects;
  if (with_objects) {
    report.objects.emplace();
    report.objects->file = options.objects;
    objects = read_objects(options.objects, report.objects->entries);
  }
  const auto objects_of = [&](const SampleMeta* meta) -> const std::vector<SynthObjectEntry>* {
    if (!meta) return nullptr;
    const auto it = objects.find(meta->image);
    return it == objects.end() ? nullptr : &it->second;
  };

  DataConfig data = config.data;
  data.shards = shards;
  data.workers = options.workers;
  data.prefetch = std::max(2, data.prefetch);
  LoaderOptions loading;
  loading.batch_size = options.batch_size;
  loading.image_size = config.model.image_size;
  loading.max_words = config.model.max_words;
  loading.augment = false;
  loading.shuffle = false;
  loading.repeat = false;
  const std::int64_t grid = config.model.image_size / 32;

  model->to(device);
  model->eval();
  torch::NoGradGuard no_grad;

  // ======== VALIDATION PASS: embeddings, attention, pooled features ========
  const auto val_meta = read_sample_meta(shards, pipeline::Split::val);
  std::vector<torch::Tensor> image_embeddings, caption_embeddings;
  std::vector<std::int64_t> groups;
  std::map<std::string, std::int64_t> group_ids;
  std::int64_t pointing_hit_count = 0;
  double kl_sum = 0, chance_pointing_sum = 0;
  std::int64_t box_hits = 0;
  double chance_box_sum = 0;
  std::int64_t reachable_boxes = 0;
  {
    loading.split = "val";
    BatchLoader loader(data, vocabulary, loading);
    while (auto batch = loader.next()) {
      const auto images = batch->images.to(device);
      const auto out = model->forward(images, batch->tokens.to(device));
      image_embeddings.push_back(out.image_embedding.to(torch::kCPU));
      caption_embeddings.push_back(out.caption_embedding.to(torch::kCPU));

      // Traced words: shape (words, g*g).
      const auto cells = out.attention_logits.size(2);
      const auto mask = batch->has_trace.to(device, torch::kBool);
      const auto heatmaps = batch->heatmaps.to(device).reshape({mask.size(0), mask.size(1), cells});
      const auto logits = out.attention_logits.index({mask});
      const auto targets = heatmaps.index({mask});
      report.alignment.traced_words += logits.size(0);
      pointing_hit_count += pointing_hits(logits, targets).sum().item<std::int64_t>();
      kl_sum += heatmap_kl(targets, logits).sum().item<double>();
      chance_pointing_sum += top_mass_cells(targets).to(torch::kDouble).mean(1).sum().item<double>();

      // shape: (B, L), the attention's argmax cell per word
      const auto argmax_cpu = out.attention_logits.argmax(2).to(torch::kCPU);
      const auto argmax = argmax_cpu.accessor<std::int64_t, 2>();
      for (std::size_t b = 0; b < batch->keys.size(); ++b) {
        const auto meta_it = val_meta.find(batch->keys[b]);
        const SampleMeta* meta = meta_it == val_meta.end() ? nullptr : &meta_it->second;
        const std::string group_name = meta ? meta->image : "\n" + batch->keys[b];
        groups.push_back(
            group_ids.emplace(group_name, static_cast<std::int64_t>(group_ids.size())).first->second);
        if (!with_objects) continue;
        const auto* entry = objects_of(meta);
        if (!entry) {
          ++report.objects->missing_samples;
          continue;
        }
        ++report.objects->matched_samples;
        if (split_on_spaces(meta->caption) != meta->words) {
          ++report.objects->word_mismatches;
          report.alignment.skipped_nouns += static_cast<std::int64_t>(entry->size());
          continue;
        }
        const auto crop = centre_crop(meta->width, meta->height);
        for (const auto& object : *entry) {
          // The shape word ("circle") of the object's phrase.
          std::optional<std::size_t> noun;
          for (std::size_t w = object.first_word; w < std::min(object.last_word, meta->words.size()); ++w)
            if (core::normalize_word(meta->words[w]) == object.shape) {
              noun = w;
              break;
            }
          const NormBox box = box_in_crop(object.box, crop);
          if (!noun || static_cast<std::int64_t>(*noun) >= config.model.max_words || !box_visible(box)) {
            ++report.alignment.skipped_nouns;
            continue;
          }
          const std::int64_t cell =
              argmax[static_cast<std::int64_t>(b)][static_cast<std::int64_t>(*noun) + 1];
          ++report.alignment.object_nouns;
          box_hits += cell_centre_in_box(cell, grid, box) ? 1 : 0;
          std::int64_t inside = 0;
          for (std::int64_t c = 0; c < grid * grid; ++c) inside += cell_centre_in_box(c, grid, box) ? 1 : 0;
          chance_box_sum += static_cast<double>(inside) / static_cast<double>(grid * grid);
          reachable_boxes += inside > 0 ? 1 : 0;
        }
      }
    }
    report.skipped_samples += loader.stats().skipped_samples;
  }
  if (image_embeddings.empty())
    throw std::runtime_error((shards / pipeline::kManifestName).string() +
                             ": no validation sample could be read");
  report.retrieval = retrieval_metrics(torch::cat(image_embeddings), torch::cat(caption_embeddings),
                                       torch::tensor(groups, torch::kLong));
  auto& alignment = report.alignment;
  if (alignment.traced_words > 0) {
    const auto words = static_cast<double>(alignment.traced_words);
    alignment.pointing_accuracy = static_cast<double>(pointing_hit_count) / words;
    alignment.kl = kl_sum / words;
    alignment.chance_pointing = chance_pointing_sum / words;
  }
  alignment.has_objects = with_objects;
  if (alignment.object_nouns > 0) {
    alignment.box_pointing_accuracy =
        static_cast<double>(box_hits) / static_cast<double>(alignment.object_nouns);
    alignment.chance_box_pointing = chance_box_sum / static_cast<double>(alignment.object_nouns);
    alignment.box_pointing_ceiling =
        static_cast<double>(reachable_boxes) / static_cast<double>(alignment.object_nouns);
  }

  // ======== PROBE: pooled features of single-object images, both splits ========
  const fs::path probe_objects = options.probe_objects.empty() ? options.objects : options.probe_objects;
  if (!probe_objects.empty()) {
    ProbeMetrics probe;
    probe.shards = options.probe_shards.empty() ? shards : options.probe_shards;
    probe.objects = probe_objects;
    std::int64_t probe_entries = 0;
    const auto probe_labels =
        probe_objects == options.objects ? objects : read_objects(probe_objects, probe_entries);
    DataConfig probe_data = data;
    probe_data.shards = probe.shards;
    const auto pass = [&](pipeline::Split split, const char* name) {
      ProbeSplit out = probe_split(model, probe_data, vocabulary, loading, split, name, probe_labels, device);
      probe.missing_samples += out.missing;
      probe.multi_object_samples += out.multi_object;
      report.skipped_samples += out.skipped;
      return out;
    };
    const auto train = pass(pipeline::Split::train, "train");
    const auto val = pass(pipeline::Split::val, "val");
    probe.train_samples = static_cast<std::int64_t>(train.shape.size());
    probe.val_samples = static_cast<std::int64_t>(val.shape.size());
    probe.features = train.features.size(1);
    if (probe.train_samples > 0 && probe.val_samples > 0) {
      const auto labels = [](const std::vector<std::int64_t>& y) { return torch::tensor(y, torch::kLong); };
      const auto train_x = train.features.to(device);
      const auto val_x = val.features.to(device);
      probe.shape = linear_probe(train_x, labels(train.shape), val_x, labels(val.shape),
                                 static_cast<std::int64_t>(std::size(core::kSynthShapes)), options.probe);
      probe.colour = linear_probe(train_x, labels(train.colour), val_x, labels(val.colour),
                                  static_cast<std::int64_t>(std::size(core::kSynthColours)), options.probe);
    }
    report.probe = probe;  // without a fit (null accuracies) when a split has no labelled sample
  }
  report.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return report;
}

LocTexModel random_model(const TrainConfig& config, std::int64_t vocabulary_size, std::uint64_t seed) {
  auto generator = at::detail::getDefaultCPUGenerator();
  const auto state = generator.get_state();
  torch::manual_seed(seed);
  LocTexModel model(config.model, config.objectives, vocabulary_size);
  generator.set_state(state);
  return model;
}

Json to_json(const EvalReport& report) {
  const auto& r = report.retrieval;
  const auto& a = report.alignment;
  Json alignment = {{"traced_words", a.traced_words},
                    {"pointing_accuracy", a.pointing_accuracy},
                    {"chance_pointing", a.chance_pointing},
                    {"kl", a.kl}};
  if (a.has_objects) {
    alignment["object_nouns"] = a.object_nouns;
    alignment["box_pointing_accuracy"] = a.box_pointing_accuracy;
    alignment["chance_box_pointing"] = a.chance_box_pointing;
    alignment["box_pointing_ceiling"] = a.box_pointing_ceiling;
    alignment["skipped_nouns"] = a.skipped_nouns;
  }
  Json json = {{"retrieval",
                {{"pairs", r.pairs},
                 {"chance_r1", r.chance_r1},
                 {"image_to_text", recall_json(r.image_to_text)},
                 {"text_to_image", recall_json(r.text_to_image)}}},
               {"attention", std::move(alignment)}};
  if (report.objects) {
    const auto& o = *report.objects;
    json["objects"] = {{"file", o.file.string()},
                       {"entries", o.entries},
                       {"matched_samples", o.matched_samples},
                       {"missing_samples", o.missing_samples},
                       {"word_mismatches", o.word_mismatches}};
  }
  if (report.probe) {
    const auto& p = *report.probe;
    const auto result = [](const std::optional<ProbeResult>& fit) {
      return fit ? probe_json(*fit) : Json(nullptr);
    };
    json["probe"] = {{"shards", p.shards.string()},
                     {"objects", p.objects.string()},
                     {"features", p.features},
                     {"train_samples", p.train_samples},
                     {"val_samples", p.val_samples},
                     {"missing_samples", p.missing_samples},
                     {"multi_object_samples", p.multi_object_samples},
                     {"shape", result(p.shape)},
                     {"colour", result(p.colour)}};
  }
  json["skipped_samples"] = report.skipped_samples;
  json["seconds"] = report.seconds;
  return json;
}

Json evaluate_runs(const EvalRequest& request) {
  EvalOptions options;
  options.shards = request.shards;
  options.objects = request.objects;
  options.probe_shards = request.probe_shards;
  options.probe_objects = request.probe_objects;
  options.batch_size = request.batch_size;
  options.threads = request.threads;
  options.device = request.device;
  auto loaded = load_model(request.run);
  Json out = {
      {"run", request.run.string()}, {"checkpoint", loaded.checkpoint.string()}, {"step", loaded.step}};
  out["trained"] = to_json(evaluate(loaded.model, loaded.config, options));
  if (request.random_baseline) {
    const auto vocabulary_size = loaded.model->text_vocabulary_size();
    auto fresh = random_model(loaded.config, vocabulary_size, loaded.config.seed);
    out["random"] = to_json(evaluate(fresh, loaded.config, options));
  }
  if (!request.baseline.empty()) {
    auto baseline = load_model(request.baseline);
    out["baseline"] = {{"run", request.baseline.string()},
                       {"checkpoint", baseline.checkpoint.string()},
                       {"step", baseline.step},
                       {"report", to_json(evaluate(baseline.model, baseline.config, options))}};
  }
  return out;
}

}  // namespace loctex::trainer
