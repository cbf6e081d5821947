#include "trainer/objectives.h"

#include <stdexcept>

namespace loctex::trainer {

torch::Tensor contrastive_loss(const torch::Tensor& image_embedding, const torch::Tensor& caption_embedding,
                               const torch::Tensor& logit_scale) {
  const auto logits = logit_scale * torch::matmul(image_embedding, caption_embedding.t());
  const auto targets = torch::arange(logits.size(0), logits.options().dtype(torch::kLong));
  namespace F = torch::nn::functional;
  return (F::cross_entropy(logits, targets) + F::cross_entropy(logits.t(), targets)) / 2;
}

TraceLoss parse_trace_loss(const std::string& name) {
  if (name == "kl") return TraceLoss::kl;
  if (name == "l2") return TraceLoss::l2;
  if (name == "bce") return TraceLoss::bce;
  throw std::invalid_argument("trace loss must be kl, l2 or bce, got '" + name + "'");
}

torch::Tensor trace_attention_loss(const torch::Tensor& attention_logits, const torch::Tensor& heatmaps,
                                   const torch::Tensor& has_trace, TraceLoss kind) {
  const auto cells = attention_logits.size(2);
  // Only traced words: [N, G].
  const auto mask = has_trace.to(torch::kBool);
  const auto logits = attention_logits.index({mask});
  const auto target = heatmaps.reshape({heatmaps.size(0), heatmaps.size(1), cells}).index({mask});
  if (logits.size(0) == 0) return attention_logits.sum() * 0;
  torch::Tensor per_word;
  switch (kind) {
    case TraceLoss::kl: {
      const auto log_attention = torch::log_softmax(logits, 1);
      per_word = (torch::xlogy(target, target) - target * log_attention).sum(1);
      break;
    }
    case TraceLoss::l2:
      per_word = (torch::softmax(logits, 1) - target).pow(2).sum(1);
      break;
    case TraceLoss::bce: {
      const auto peak = std::get<0>(target.max(1, true)).clamp_min(1e-12);
      per_word = torch::nn::functional::binary_cross_entropy_with_logits(
                     logits, target / peak,
                     torch::nn::functional::BinaryCrossEntropyWithLogitsFuncOptions().reduction(torch::kNone))
                     .mean(1);
      break;
    }
  }
  return per_word.mean();
}

}  // namespace loctex::trainer
