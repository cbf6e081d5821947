#pragma once
// The LocTex model (Liu et al., ICCV 2021): a ResNet backbone, a transformer
// text encoder, projection heads into a joint space for the contrastive
// objective, and word-to-region attention for the trace objective. The
// attention of word i over the g×g cells of the visual feature grid is
// softmax_j(q_i · k_j / sqrt(D)), q_i a projection of the word's feature and
// k_j the 1×1-convolved visual feature of cell j; docs/trainer.md has the
// formulas.

#include <torch/torch.h>

#include <cstdint>
#include <filesystem>

#include "trainer/config.h"
#include "trainer/icmlm.h"
#include "trainer/itm.h"
#include "trainer/resnet.h"
#include "trainer/text_encoder.h"

namespace loctex::trainer {

struct ModelOutput {
  torch::Tensor image_embedding;    // [B, D], unit length
  torch::Tensor caption_embedding;  // [B, D], unit length
  torch::Tensor attention_logits;   // [B, L, g*g]; softmax over the last axis is the attention
  torch::Tensor logit_scale;        // scalar, 1 / temperature, clamped
  torch::Tensor visual_features;    // [B, C, g, g], the backbone's last stage
  torch::Tensor text_features;      // [B, L, W], the text encoder's output
};

class LocTexModelImpl : public torch::nn::Module {
 public:
  LocTexModelImpl(const ModelConfig& model, const ObjectiveConfig& objectives, int64_t vocabulary_size);

  // images [B, 3, S, S], tokens [B, L].
  ModelOutput forward(const torch::Tensor& images, const torch::Tensor& tokens);

  // Features of the last backbone stage, [B, C, g, g].
  torch::Tensor visual_features(const torch::Tensor& images);
  // Pooled, projected, unit-length image embeddings [B, D].
  torch::Tensor embed_images(const torch::Tensor& images);
  // Unit-length caption embeddings (the <cls> position) [B, D].
  torch::Tensor embed_captions(const torch::Tensor& tokens);

  ResNet& backbone() { return m_backbone; }
  int64_t text_vocabulary_size() const { return m_text->options().vocabulary_size; }
  // The matching head (objectives itm and soft_mask); null when both are off.
  MatchingHead& matching() { return m_matching; }
  // ICMLM: vocabulary logits [B, V] for the masked position of each caption
  // (row of a caption without one: ignored by icmlm_loss). Encodes the
  // masked captions with the shared text encoder.
  torch::Tensor icmlm_logits(const torch::Tensor& visual_features, const torch::Tensor& masked_tokens,
                             const torch::Tensor& positions);
  // Visual cells projected to the text width for the fusion encoder: [B, g*g, W].
  torch::Tensor visual_tokens(const torch::Tensor& visual_features);
  double temperature() const;

 private:
  ResNet m_backbone{nullptr};
  TextEncoder m_text{nullptr};
  torch::nn::Conv2d m_visual_keys{nullptr};    // C → D per cell
  torch::nn::Linear m_image_head{nullptr};     // pooled C → D
  torch::nn::Linear m_caption_head{nullptr};   // <cls> W → D
  torch::nn::Linear m_word_queries{nullptr};   // W → D per word
  torch::nn::Conv2d m_visual_tokens{nullptr};  // C → W per cell, for the fusion encoder
  MatchingHead m_matching{nullptr};
  IcmlmHead m_icmlm{nullptr};
  torch::Tensor m_log_scale;  // log(1 / temperature), learned
  double m_max_log_scale = 0;
};
TORCH_MODULE(LocTexModel);

// A trained model as its checkpoint describes it.
struct LoadedModel {
  LocTexModel model{nullptr};
  TrainConfig config;  // as trained (output, device and threads at their defaults)
  std::filesystem::path checkpoint;
  std::int64_t step = 0;
};

// `source` is a checkpoint file or a run folder (its latest checkpoint).
// Throws std::runtime_error naming the path if there is none or it cannot be
// read.
LoadedModel load_model(const std::filesystem::path& source);

}  // namespace loctex::trainer
