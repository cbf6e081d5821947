#include "trainer/attention_probe.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "pipeline/manifest.h"
#include "pipeline/shard_reader.h"
#include "trainer/augment.h"
#include "trainer/evaluate.h"

namespace loctex::trainer {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

// Samples per forward pass: enough for the usual handful in one batch.
constexpr std::int64_t kBatchSize = 16;

// One batch image [3, S, S] (normalised RGB planes) back to 8-bit BGR pixels.
std::vector<std::uint8_t> to_bgr(const torch::Tensor& image) {
  const auto size = image.size(1);
  const auto rgb = image.contiguous();
  const auto* data = rgb.data_ptr<float>();
  const auto plane = static_cast<std::size_t>(size * size);
  std::vector<std::uint8_t> bgr(3 * plane);
  for (std::size_t i = 0; i < plane; ++i)
    for (int c = 0; c < 3; ++c) {
      const double v = (data[static_cast<std::size_t>(c) * plane + i] * kImageStd[c] + kImageMean[c]) * 255.0;
      bgr[3 * i + static_cast<std::size_t>(2 - c)] =
          static_cast<std::uint8_t>(std::clamp(std::lround(v), 0L, 255L));
    }
  return bgr;
}

}  // namespace

AttentionProbe::AttentionProbe(const DataConfig& data, const core::Vocabulary& vocabulary,
                               const ModelConfig& model, std::int64_t count, const std::string& split)
    : m_image_size(model.image_size) {
  DataConfig one_worker = data;
  one_worker.workers = 1;
  one_worker.prefetch = 2;
  LoaderOptions loading;
  loading.split = split;
  loading.batch_size = std::min(count, kBatchSize);
  loading.image_size = model.image_size;
  loading.max_words = model.max_words;
  loading.augment = false;
  loading.shuffle = false;
  loading.repeat = false;
  {
    BatchLoader loader(one_worker, vocabulary, loading);
    while (static_cast<std::int64_t>(m_keys.size()) < count) {
      auto batch = loader.next();
      if (!batch) break;
      const auto take = std::min<std::int64_t>(count - static_cast<std::int64_t>(m_keys.size()),
                                               static_cast<std::int64_t>(batch->keys.size()));
      batch->images = batch->images.slice(0, 0, take);
      batch->tokens = batch->tokens.slice(0, 0, take);
      batch->heatmaps = batch->heatmaps.slice(0, 0, take);
      batch->has_trace = batch->has_trace.slice(0, 0, take);
      batch->keys.resize(static_cast<std::size_t>(take));
      m_keys.insert(m_keys.end(), batch->keys.begin(), batch->keys.end());
      m_batches.push_back(std::move(*batch));
    }
    m_skipped = loader.stats().skipped_samples;
  }

  // The words of each sample, from KEY.json in the val shards; reading stops
  // once every key is found.
  std::set<std::string> wanted(m_keys.begin(), m_keys.end());
  std::map<std::string, Text> found;
  for (const auto& shard : pipeline::read_manifest(data.shards / pipeline::kManifestName).shards) {
    const auto wanted_split = split == "train" ? pipeline::Split::train : pipeline::Split::val;
    if (shard.split != wanted_split || found.size() == wanted.size()) continue;
    const fs::path path = data.shards / shard.name;
    pipeline::ShardReader reader(path);
    while (auto sample = reader.next()) {
      if (!wanted.contains(sample->key)) continue;
      const auto it = sample->files.find("json");
      if (it == sample->files.end()) continue;  // the loader could not have decoded it either
      try {
        const Json json = Json::parse(it->second);
        Text text;
        text.caption = json.at("caption").get<std::string>();
        for (const auto& word : json.at("words")) text.words.push_back(word.at("text").get<std::string>());
        found.emplace(sample->key, std::move(text));
      } catch (const std::exception& e) {
        throw std::runtime_error(path.string() + ": " + sample->key + ".json: " + e.what());
      }
      if (found.size() == wanted.size()) break;
    }
  }
  for (const auto& key : m_keys) {
    const auto text = found.find(key);
    if (text == found.end())  // the loader read it from these shards a moment ago
      throw std::runtime_error("sample " + key + ": no KEY.json in the " + split + " shards of " +
                               data.shards.string());
    m_texts.push_back(text->second);
  }
}

std::vector<AttentionSample> AttentionProbe::attend(LocTexModel& model, const torch::Device& device) const {
  const bool training = model->is_training();
  model->eval();
  torch::NoGradGuard no_grad;
  const int grid = m_image_size / 32;
  const auto cells = static_cast<std::size_t>(grid) * static_cast<std::size_t>(grid);
  std::vector<AttentionSample> samples;
  for (const Batch& batch : m_batches) {
    const auto out = model->forward(batch.images.to(device), batch.tokens.to(device));
    // shape: (B, L, g*g), each row summing to 1
    const auto attention =
        torch::softmax(out.attention_logits, 2).to(torch::kCPU, torch::kFloat).contiguous();
    const auto heatmaps = batch.heatmaps.reshape({batch.heatmaps.size(0), batch.heatmaps.size(1), -1})
                              .to(torch::kFloat)
                              .contiguous();
    // Every position's KL and hit at once, as the evaluation scores them.
    const auto flat_logits =
        out.attention_logits.to(torch::kCPU, torch::kFloat).reshape({-1, heatmaps.size(2)});
    const auto flat_heat = heatmaps.reshape({-1, heatmaps.size(2)});
    const auto kl = heatmap_kl(flat_heat, flat_logits).contiguous();
    const auto hits = pointing_hits(flat_logits, flat_heat).to(torch::kBool).contiguous();
    const double* kl_data = kl.data_ptr<double>();
    const bool* hit_data = hits.data_ptr<bool>();
    const auto has_trace = batch.has_trace.to(torch::kBool).contiguous();
    const auto traced = has_trace.accessor<bool, 2>();
    const auto length = has_trace.size(1);
    const float* attention_data = attention.data_ptr<float>();
    const float* heatmap_data = heatmaps.data_ptr<float>();
    for (std::size_t b = 0; b < batch.keys.size(); ++b) {
      const auto i = static_cast<std::int64_t>(b);
      const Text& text = m_texts[samples.size()];
      AttentionSample sample;
      sample.key = batch.keys[b];
      sample.caption = text.caption;
      sample.image_size = m_image_size;
      sample.bgr = to_bgr(batch.images[i]);
      sample.grid = grid;
      for (std::int64_t position = 1; position < length; ++position) {
        if (!traced[i][position]) continue;
        WordAttention w;
        w.index = static_cast<std::size_t>(position - 1);
        w.text = w.index < text.words.size() ? text.words[w.index] : "?";
        const auto offset = static_cast<std::size_t>(i * length + position) * cells;
        w.attention.assign(attention_data + offset, attention_data + offset + cells);
        w.trace.assign(heatmap_data + offset, heatmap_data + offset + cells);
        w.kl = kl_data[i * length + position];
        w.hit = hit_data[i * length + position];
        sample.words.push_back(std::move(w));
      }
      samples.push_back(std::move(sample));
    }
  }
  if (training) model->train();
  return samples;
}

}  // namespace loctex::trainer
