#pragma once
// The textual encoder: word embeddings plus learned positions, a transformer
// encoder (post-norm, GELU) and a final layer norm. Token 0 of every caption
// is <cls>; <pad> positions are masked out of attention.

#include <torch/torch.h>

namespace loctex::trainer {

struct TextEncoderOptions {
  int64_t vocabulary_size = 0;
  int64_t max_tokens = 41;  // <cls> + words
  int64_t width = 128;
  int64_t layers = 2;
  int64_t heads = 4;
  double dropout = 0.1;
};

class TextEncoderImpl : public torch::nn::Module {
 public:
  explicit TextEncoderImpl(TextEncoderOptions options);

  // tokens [B, L] int64 (L <= max_tokens) → features [B, L, width].
  torch::Tensor forward(const torch::Tensor& tokens);

  const TextEncoderOptions& options() const { return m_options; }

 private:
  TextEncoderOptions m_options;
  torch::nn::Embedding m_words{nullptr};
  torch::nn::Embedding m_positions{nullptr};
  torch::nn::TransformerEncoder m_encoder{nullptr};
  torch::nn::LayerNorm m_norm{nullptr};
};
TORCH_MODULE(TextEncoder);

}  // namespace loctex::trainer
