#pragma once
// The model's word-to-region attention on a fixed set of validation samples,
// as plain values (AttentionSample, trainer/attention_overlay.h): what
// `loctex-train overlays` draws and what the app's training preview shows
// every N steps. The samples (the first of the val split, centre-cropped, no
// augmentation) and their words (KEY.json) are read once; attend() runs the
// model on them as it is at that moment.

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/vocabulary.h"
#include "trainer/attention_overlay.h"
#include "trainer/batch_loader.h"
#include "trainer/config.h"
#include "trainer/model.h"

namespace loctex::trainer {

class AttentionProbe {
 public:
  // Reads the first `count` samples of `split` ("val" or "train") of
  // `data.shards` at the model's image size. Throws what BatchLoader throws,
  // and std::runtime_error naming the shards if a sample's KEY.json is
  // missing.
  AttentionProbe(const DataConfig& data, const core::Vocabulary& vocabulary, const ModelConfig& model,
                 std::int64_t count, const std::string& split = "val");

  // The samples with each traced word's attention (softmax over the grid
  // cells, eval mode, no gradients) beside its trace heatmap, and its KL and
  // pointing hit (trainer/evaluate.h's heatmap_kl and pointing_hits). The
  // model's training mode is restored afterwards.
  std::vector<AttentionSample> attend(LocTexModel& model, const torch::Device& device) const;

  // Samples the loader could not decode (skipped).
  std::int64_t skipped() const { return m_skipped; }

 private:
  struct Text {
    std::string caption;
    std::vector<std::string> words;
  };
  std::vector<Batch> m_batches;
  std::vector<std::string> m_keys;
  std::vector<Text> m_texts;  // by sample, as m_keys
  int m_image_size = 0;
  std::int64_t m_skipped = 0;
};

}  // namespace loctex::trainer
