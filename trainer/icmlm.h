#pragma once
// ICMLM, image-conditioned masked language modelling (Sariyildiz, Perez and
// Larlus, "Learning Visual Representations with Caption Annotations", ECCV
// 2020): one content word of each caption is replaced by <mask> and predicted
// from the rest of the caption and the image, so that the backbone learns
// what the caption's words look like. Two heads, both from the paper:
//
//   tfm     visual cells projected to the text width plus a learned position
//           per cell, [cells; words] through a small transformer encoder, the
//           masked word's output → LayerNorm → Linear to the vocabulary;
//   att-fc  the masked word's text feature attends over the projected cells
//           (scaled dot product); [attended cell; word] → FC → ReLU → FC.
//
// The masking draws from a caller's std::mt19937_64, never torch's global
// generator, so that a resumed run masks the same words. docs/trainer.md has
// the formulas.

#include <torch/torch.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "core/vocabulary.h"

namespace loctex::trainer {

// ---------------------------------------------------------------- masking

struct MaskedTokens {
  torch::Tensor tokens;     // [B, L] int64: the captions, one candidate word per caption set to <mask>
  torch::Tensor positions;  // [B] int64: the masked position, -1 if the caption has no candidate
  torch::Tensor targets;    // [B] int64: the word that was there, -1 if none
};

// In each caption of `tokens` ([B, L] int64, any device), picks one position
// uniformly among those whose id is in `candidate_ids` and replaces it with
// <mask>; captions with no candidate are left as they are. One draw from
// `rng` per caption that has a candidate, in batch order (the same seed gives
// the same masks with every standard library). The result is on the device of
// `tokens`. Throws std::invalid_argument if a candidate is a special token
// (<pad>, <unk>, <cls>, <mask>) or negative.
MaskedTokens mask_content_words(const torch::Tensor& tokens, const std::vector<int64_t>& candidate_ids,
                                std::mt19937_64& rng);

// The K most frequent content words of the vocabulary, as mask_content_words
// takes them (Vocabulary::most_frequent_content_ids).
std::vector<int64_t> icmlm_candidates(const core::Vocabulary& vocabulary, std::size_t k);

// A seed for the masks of optimiser step `step`, mixed from the run's seed
// (splitmix64), so that a loop can make a fresh generator each step,
// std::mt19937_64 rng(icmlm_step_seed(seed, step)), and resume without
// saving generator state.
std::uint64_t icmlm_step_seed(std::uint64_t seed, std::int64_t step);

// ---------------------------------------------------------------- head

enum class IcmlmVariant { tfm, att_fc };
// "tfm", "att-fc"; throws std::invalid_argument naming the value otherwise.
IcmlmVariant parse_icmlm_variant(const std::string& name);

struct IcmlmHeadOptions {
  IcmlmVariant variant = IcmlmVariant::tfm;
  int64_t visual_channels = 0;  // C of the backbone's last stage
  int64_t text_width = 0;       // W of the text encoder
  int64_t vocabulary_size = 0;  // V, the logits' width
  int64_t grid = 4;             // g, cells a side of the feature grid (image_size / 32); tfm only
  int64_t layers = 1;           // tfm: transformer encoder layers
  int64_t heads = 4;            // tfm: attention heads, dividing text_width
  int64_t hidden = 512;         // att-fc: width of the hidden FC layer
  double dropout = 0.1;         // tfm: transformer dropout
};

class IcmlmHeadImpl : public torch::nn::Module {
 public:
  explicit IcmlmHeadImpl(IcmlmHeadOptions options);

  // visual [B, C, g, g] (the backbone's last stage), text [B, L, W] (the text
  // encoder's features of the MASKED captions), positions [B] int64 (from
  // MaskedTokens; -1 for none), text_padding [B, L] bool, true at <pad>
  // (optional; tfm keeps padding out of attention with it, att-fc ignores it).
  // Returns logits [B, V] for every row; a row whose position is -1 is
  // computed at position 0 (<cls>) and means nothing: icmlm_loss and
  // icmlm_accuracy skip it through its target -1.
  torch::Tensor forward(const torch::Tensor& visual, const torch::Tensor& text,
                        const torch::Tensor& positions, const torch::Tensor& text_padding = {});

  const IcmlmHeadOptions& options() const { return m_options; }

 private:
  torch::Tensor forward_tfm(const torch::Tensor& cells, const torch::Tensor& text, const torch::Tensor& index,
                            const torch::Tensor& text_padding);
  torch::Tensor forward_att_fc(const torch::Tensor& cells, const torch::Tensor& text,
                               const torch::Tensor& index);

  IcmlmHeadOptions m_options;
  torch::nn::Conv2d m_visual{nullptr};  // C → W per cell (both variants)
  // tfm
  torch::Tensor m_visual_positions;  // [g*g, W]
  torch::nn::TransformerEncoder m_encoder{nullptr};
  torch::nn::LayerNorm m_norm{nullptr};
  torch::nn::Linear m_classifier{nullptr};  // W → V
  // att-fc
  torch::nn::Linear m_fc1{nullptr};  // 2W → hidden
  torch::nn::Linear m_fc2{nullptr};  // hidden → V
};
TORCH_MODULE(IcmlmHead);

// ---------------------------------------------------------------- loss

// Mean cross-entropy of logits [B, V] against targets [B] over the rows whose
// target is >= 0; zero, with a graph to the logits, when no row has one. No
// host-device synchronisation.
torch::Tensor icmlm_loss(const torch::Tensor& logits, const torch::Tensor& targets);

// Share of the rows with a target >= 0 whose argmax is the target, for
// logging; 0 when no row has one. Synchronises (.item()).
double icmlm_accuracy(const torch::Tensor& logits, const torch::Tensor& targets);

}  // namespace loctex::trainer
