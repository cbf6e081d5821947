#include "trainer/itm.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "core/vocabulary.h"
#include "trainer/augment.h"

namespace loctex::trainer {
namespace {

namespace nn = torch::nn;
using core::Vocabulary;

// An index drawn with probability weights[i] / Σ weights.
int64_t draw(const std::vector<double>& weights, std::mt19937_64& rng) {
  double total = 0;
  for (const double w : weights) total += w;
  double u = uniform01(rng) * total;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    if (weights[i] <= 0) continue;
    if (u < weights[i]) return static_cast<int64_t>(i);
    u -= weights[i];
  }
  // Rounding left u just past the end: the last index with weight.
  for (std::size_t i = weights.size(); i-- > 0;)
    if (weights[i] > 0) return static_cast<int64_t>(i);
  throw std::logic_error("draw: no positive weight");
}

bool is_word(int64_t token) {
  return token != static_cast<int64_t>(Vocabulary::kPadId) &&
         token != static_cast<int64_t>(Vocabulary::kClsId);
}

// rows[b] = matrix[b, index[b]] for a [B, L, N] tensor: [B, N].
torch::Tensor pick_rows(const torch::Tensor& matrix, const std::vector<int64_t>& index) {
  const auto batch = torch::arange(matrix.size(0), torch::kLong).to(matrix.device());
  const auto positions = torch::tensor(index, torch::kLong).to(matrix.device());
  return matrix.index({batch, positions});
}

torch::Tensor divide_by_row_max(const torch::Tensor& rows) {
  return rows / std::get<0>(rows.max(1, true)).clamp_min(1e-12);
}

}  // namespace

FusionLayerImpl::FusionLayerImpl(const FusionOptions& o) : m_heads(o.heads) {
  m_self = register_module(
      "self_attention",
      nn::MultiheadAttention(nn::MultiheadAttentionOptions(o.width, o.heads).dropout(o.dropout)));
  m_query = register_module("query", nn::Linear(o.width, o.width));
  m_key = register_module("key", nn::Linear(o.width, o.width));
  m_value = register_module("value", nn::Linear(o.width, o.width));
  m_out = register_module("out", nn::Linear(o.width, o.width));
  m_ff1 = register_module("ff1", nn::Linear(o.width, 4 * o.width));
  m_ff2 = register_module("ff2", nn::Linear(4 * o.width, o.width));
  m_norm1 = register_module("norm1", nn::LayerNorm(nn::LayerNormOptions({o.width})));
  m_norm2 = register_module("norm2", nn::LayerNorm(nn::LayerNormOptions({o.width})));
  m_norm3 = register_module("norm3", nn::LayerNorm(nn::LayerNormOptions({o.width})));
  m_dropout = register_module("dropout", nn::Dropout(o.dropout));
}

torch::Tensor FusionLayerImpl::forward(const torch::Tensor& text, const torch::Tensor& padding,
                                       const torch::Tensor& visual, torch::Tensor& attention) {
  // libtorch 1.13's attention takes [L, B, W].
  auto x = text.transpose(0, 1);
  const auto self = std::get<0>(m_self(x, x, x, padding, /*need_weights=*/false));
  x = m_norm1(x + m_dropout(self)).transpose(0, 1);

  const auto b = x.size(0), l = x.size(1), w = x.size(2), n = visual.size(1);
  const auto d = w / m_heads;
  const auto q = m_query(x).view({b, l, m_heads, d}).transpose(1, 2);       // [B, H, L, d]
  const auto k = m_key(visual).view({b, n, m_heads, d}).transpose(1, 2);    // [B, H, N, d]
  const auto v = m_value(visual).view({b, n, m_heads, d}).transpose(1, 2);  // [B, H, N, d]
  attention = torch::softmax(torch::matmul(q, k.transpose(2, 3)) / std::sqrt(static_cast<double>(d)), -1);
  const auto context = torch::matmul(attention, v).transpose(1, 2).reshape({b, l, w});
  x = m_norm2(x + m_dropout(m_out(context)));
  return m_norm3(x + m_dropout(m_ff2(m_dropout(torch::gelu(m_ff1(x))))));
}

MatchingHeadImpl::MatchingHeadImpl(const FusionOptions& options) {
  m_layers = register_module("layers", nn::ModuleList());
  for (int64_t i = 0; i < options.layers; ++i) m_layers->push_back(FusionLayer(options));
  m_classifier = register_module("classifier", nn::Linear(options.width, 2));
}

FusionOutput MatchingHeadImpl::fuse(const torch::Tensor& text, const torch::Tensor& padding,
                                    const torch::Tensor& visual) {
  FusionOutput out;
  out.fused = text;
  for (const auto& layer : *m_layers)
    out.fused = layer->as<FusionLayer>()->forward(out.fused, padding, visual, out.cross_attention);
  return out;
}

torch::Tensor MatchingHeadImpl::classify(const torch::Tensor& fused) {
  return m_classifier(fused.select(1, 0));
}

HardNegatives draw_hard_negatives(const torch::Tensor& similarity, std::mt19937_64& rng) {
  const auto b = similarity.size(0);
  if (b < 2 || similarity.size(1) != b)
    throw std::invalid_argument("hard negatives need a square batch of 2 or more");
  const auto probabilities = similarity.detach().to(torch::kCPU, torch::kDouble);
  const auto rows = torch::softmax(probabilities, 1);
  const auto cols = torch::softmax(probabilities, 0);
  const auto r = rows.accessor<double, 2>();
  const auto c = cols.accessor<double, 2>();
  HardNegatives out;
  std::vector<double> weights(static_cast<std::size_t>(b));
  for (int64_t i = 0; i < b; ++i) {
    // Weights floored just above 0, so that a row whose other pairs all
    // underflow still has a negative to draw.
    for (int64_t j = 0; j < b; ++j)
      weights[static_cast<std::size_t>(j)] = j == i ? 0 : std::max(r[i][j], 1e-300);
    out.caption_for_image.push_back(draw(weights, rng));
  }
  for (int64_t j = 0; j < b; ++j) {
    for (int64_t i = 0; i < b; ++i)
      weights[static_cast<std::size_t>(i)] = i == j ? 0 : std::max(c[i][j], 1e-300);
    out.image_for_caption.push_back(draw(weights, rng));
  }
  return out;
}

torch::Tensor focal_contrastive_loss(const torch::Tensor& image_embedding,
                                     const torch::Tensor& caption_embedding, const torch::Tensor& logit_scale,
                                     double gamma) {
  const auto logits = logit_scale * torch::matmul(image_embedding, caption_embedding.t());
  const auto one_direction = [&](const torch::Tensor& l) {
    const auto log_p = torch::log_softmax(l, 1).diagonal();
    return (-(1 - log_p.exp()).pow(gamma) * log_p).mean();
  };
  return (one_direction(logits) + one_direction(logits.t())) / 2;
}

torch::Tensor gradcam_relevance(const torch::Tensor& score, const torch::Tensor& cross_attention,
                                const std::vector<int64_t>& words) {
  const auto gradient = torch::autograd::grad({score.sum()}, {cross_attention}, {}, /*retain_graph=*/true)[0];
  const auto cam = (cross_attention.detach() * gradient).clamp_min(0).mean(1);  // [B, L, N]
  return divide_by_row_max(pick_rows(cam, words)).detach();
}

torch::Tensor trace_relevance(const torch::Tensor& heatmaps, const std::vector<int64_t>& words) {
  return divide_by_row_max(pick_rows(heatmaps.flatten(2), words));
}

std::vector<int64_t> draw_words(const torch::Tensor& tokens, const torch::Tensor& traced,
                                std::mt19937_64& rng) {
  const auto t = tokens.to(torch::kCPU);
  const auto tok = t.accessor<int64_t, 2>();
  const bool use_traced = traced.defined();
  const auto traced_cpu = use_traced ? traced.to(torch::kCPU, torch::kBool) : torch::Tensor();
  std::vector<int64_t> out;
  for (int64_t b = 0; b < t.size(0); ++b) {
    std::vector<double> any(static_cast<std::size_t>(t.size(1)), 0.0);
    std::vector<double> with_trace = any;
    for (int64_t i = 0; i < t.size(1); ++i) {
      if (!is_word(tok[b][i])) continue;
      any[static_cast<std::size_t>(i)] = 1;
      if (use_traced && traced_cpu[b][i].item<bool>()) with_trace[static_cast<std::size_t>(i)] = 1;
    }
    const bool has_traced = std::find(with_trace.begin(), with_trace.end(), 1.0) != with_trace.end();
    const bool has_word = std::find(any.begin(), any.end(), 1.0) != any.end();
    // A caption with no word at all points at <cls>, which no mask is taken from.
    out.push_back(has_traced ? draw(with_trace, rng) : has_word ? draw(any, rng) : 0);
  }
  return out;
}

torch::Tensor distort_images(const torch::Tensor& images, double grey, double blur, std::mt19937_64& rng) {
  // Grey in pixel space (Rec. 601 luma), then normalised again.
  const auto mean =
      torch::tensor({kImageMean[0], kImageMean[1], kImageMean[2]}).view({1, 3, 1, 1}).to(images.device());
  const auto std =
      torch::tensor({kImageStd[0], kImageStd[1], kImageStd[2]}).view({1, 3, 1, 1}).to(images.device());
  auto out = images.clone();
  for (int64_t b = 0; b < images.size(0); ++b) {
    const bool make_grey = uniform01(rng) < grey;
    const bool make_blur = uniform01(rng) < blur;
    auto image = out.slice(0, b, b + 1);
    if (make_grey) {
      const auto pixels = image * std + mean;
      const auto luma =
          0.299 * pixels.select(1, 0) + 0.587 * pixels.select(1, 1) + 0.114 * pixels.select(1, 2);
      image.copy_((luma.unsqueeze(1).expand_as(pixels) - mean) / std);
    }
    if (make_blur)
      image.copy_(torch::nn::functional::avg_pool2d(
          image,
          torch::nn::functional::AvgPool2dFuncOptions(3).stride(1).padding(1).count_include_pad(false)));
  }
  return out;
}

torch::Tensor mask_caption_words(const torch::Tensor& tokens, double rate, std::mt19937_64& rng) {
  auto masked = tokens.to(torch::kCPU).clone();
  auto tok = masked.accessor<int64_t, 2>();
  for (int64_t b = 0; b < masked.size(0); ++b)
    for (int64_t i = 0; i < masked.size(1); ++i)
      if (is_word(tok[b][i]) && uniform01(rng) < rate) tok[b][i] = static_cast<int64_t>(Vocabulary::kMaskId);
  return masked.to(tokens.device());
}

}  // namespace loctex::trainer
