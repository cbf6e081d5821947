#pragma once
// Park & Han, "Multi-Modal Representation Learning with Text-Driven Soft
// Masks" (CVPR 2023): image-text matching (ITM) on a fusion encoder, hard
// negatives drawn from the contrastive similarities, soft masks from the
// Grad-CAM of the matching score over the cross-attention (or, beyond the
// paper, from the word's trace heatmap), the focal contrastive loss and
// caption masking for multi-modal augmentation. docs/trainer.md has the
// formulas.

#include <torch/torch.h>

#include <cstdint>
#include <random>

namespace loctex::trainer {

struct FusionOptions {
  int64_t width = 128;  // the text encoder's width; visual tokens are projected to it
  int64_t layers = 1;
  int64_t heads = 4;
  double dropout = 0.1;
};

struct FusionOutput {
  torch::Tensor fused;            // [B, L, W]
  torch::Tensor cross_attention;  // the last layer's [B, heads, L, cells], inside the graph
};

// One fusion layer: self-attention over the caption, cross-attention from
// each word to the visual cells, feed-forward; post-norm like the text
// encoder. The cross-attention is written out (not nn::MultiheadAttention)
// so that its map is a tensor of the graph that Grad-CAM can differentiate
// against.
class FusionLayerImpl : public torch::nn::Module {
 public:
  explicit FusionLayerImpl(const FusionOptions& options);
  // text [B, L, W], padding [B, L] bool, visual [B, N, W] → text [B, L, W]; the
  // cross-attention map [B, H, L, N] goes to `attention`.
  torch::Tensor forward(const torch::Tensor& text, const torch::Tensor& padding, const torch::Tensor& visual,
                        torch::Tensor& attention);

 private:
  int64_t m_heads;
  torch::nn::MultiheadAttention m_self{nullptr};
  torch::nn::Linear m_query{nullptr}, m_key{nullptr}, m_value{nullptr}, m_out{nullptr};
  torch::nn::Linear m_ff1{nullptr}, m_ff2{nullptr};
  torch::nn::LayerNorm m_norm1{nullptr}, m_norm2{nullptr}, m_norm3{nullptr};
  torch::nn::Dropout m_dropout{nullptr};
};
TORCH_MODULE(FusionLayer);

// The fusion encoder and the ITM head: logits [B, 2] (index 1: "matches")
// from the fused <cls> position.
class MatchingHeadImpl : public torch::nn::Module {
 public:
  explicit MatchingHeadImpl(const FusionOptions& options);
  FusionOutput fuse(const torch::Tensor& text, const torch::Tensor& padding, const torch::Tensor& visual);
  torch::Tensor classify(const torch::Tensor& fused);  // [B, L, W] → [B, 2]

 private:
  torch::nn::ModuleList m_layers{nullptr};
  torch::nn::Linear m_classifier{nullptr};
};
TORCH_MODULE(MatchingHead);

// For each image a caption, and for each caption an image, of another pair,
// drawn with probability softmax(similarity) over the other pairs (ALBEF's
// hard negatives). similarity [B, B] (row: image, column: caption), B >= 2.
// Draws from `rng`, never torch's generator (exact resume).
struct HardNegatives {
  std::vector<int64_t> caption_for_image;  // [B]
  std::vector<int64_t> image_for_caption;  // [B]
};
HardNegatives draw_hard_negatives(const torch::Tensor& similarity, std::mt19937_64& rng);

// Focal InfoNCE: each direction's cross-entropy term weighted by (1 − p)^γ,
// p the softmax probability of the true pair; γ = 0 is contrastive_loss().
torch::Tensor focal_contrastive_loss(const torch::Tensor& image_embedding,
                                     const torch::Tensor& caption_embedding, const torch::Tensor& logit_scale,
                                     double gamma);

// Grad-CAM over the cross-attention: for word position `words[b]` of each
// pair, relu(A ⊙ ∂score/∂A) averaged over heads, divided by its maximum, so
// in [0, 1] over the N cells: [B, N], detached. `score` [B] must depend on
// `cross_attention` [B, H, L, N].
torch::Tensor gradcam_relevance(const torch::Tensor& score, const torch::Tensor& cross_attention,
                                const std::vector<int64_t>& words);

// The same from the ground truth: the word's heatmap [B, L, g, g] divided by
// its maximum ([B, g*g]); rows of words without heat are 0.
torch::Tensor trace_relevance(const torch::Tensor& heatmaps, const std::vector<int64_t>& words);

// One random word position per caption (not <cls>, not <pad>); with
// `traced`, only among positions where it is true (falling back to any word).
std::vector<int64_t> draw_words(const torch::Tensor& tokens, const torch::Tensor& traced,
                                std::mt19937_64& rng);

// Multi-modal augmentation, image side: each image of a normalised batch
// [B, 3, S, S] turned grey with probability `grey` and blurred (3×3 box) with
// probability `blur`.
torch::Tensor distort_images(const torch::Tensor& images, double grey, double blur, std::mt19937_64& rng);

// Multi-modal augmentation, text side: each word (not <cls>, not <pad>)
// replaced by <mask> with probability `rate`.
torch::Tensor mask_caption_words(const torch::Tensor& tokens, double rate, std::mt19937_64& rng);

}  // namespace loctex::trainer
