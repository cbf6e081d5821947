#include "trainer/text_encoder.h"

#include "core/vocabulary.h"

namespace loctex::trainer {

TextEncoderImpl::TextEncoderImpl(TextEncoderOptions options) : m_options(options) {
  namespace nn = torch::nn;
  m_words =
      register_module("words", nn::Embedding(nn::EmbeddingOptions(options.vocabulary_size, options.width)
                                                 .padding_idx(core::Vocabulary::kPadId)));
  m_positions = register_module("positions", nn::Embedding(options.max_tokens, options.width));
  const auto layer = nn::TransformerEncoderLayerOptions(options.width, options.heads)
                         .dim_feedforward(4 * options.width)
                         .dropout(options.dropout)
                         .activation(torch::kGELU);
  m_encoder = register_module("encoder",
                              nn::TransformerEncoder(nn::TransformerEncoderOptions(layer, options.layers)));
  m_norm = register_module("norm", nn::LayerNorm(nn::LayerNormOptions({options.width})));
  // BERT's initialisation: small normal embeddings keep early logits tame.
  nn::init::normal_(m_words->weight, 0.0, 0.02);
  nn::init::normal_(m_positions->weight, 0.0, 0.02);
  torch::NoGradGuard no_grad;
  m_words->weight[core::Vocabulary::kPadId].zero_();
}

torch::Tensor TextEncoderImpl::forward(const torch::Tensor& tokens) {
  TORCH_CHECK(tokens.dim() == 2 && tokens.size(1) <= m_options.max_tokens,
              "tokens must be [B, L<=", m_options.max_tokens, "], got ", tokens.sizes());
  const auto positions = torch::arange(tokens.size(1), tokens.options().dtype(torch::kLong));
  auto x = m_words(tokens) + m_positions(positions).unsqueeze(0);
  const auto padding = tokens.eq(static_cast<int64_t>(core::Vocabulary::kPadId));
  // libtorch 1.13's encoder takes [L, B, W].
  x = m_encoder->forward(x.transpose(0, 1), torch::Tensor(), padding).transpose(0, 1);
  return m_norm(x);
}

}  // namespace loctex::trainer
