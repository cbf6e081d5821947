#include "trainer/icmlm.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "trainer/augment.h"

namespace loctex::trainer {

namespace {

constexpr auto kMaskId = static_cast<int64_t>(core::Vocabulary::kMaskId);

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

MaskedTokens mask_content_words(const torch::Tensor& tokens, const std::vector<int64_t>& candidate_ids,
                                std::mt19937_64& rng) {
  TORCH_CHECK(tokens.dim() == 2, "tokens must be [B, L], got ", tokens.sizes());
  // A lookup table over ids: is_candidate[id] != 0.
  int64_t max_id = -1;
  for (const int64_t id : candidate_ids) {
    if (id < 0 || core::Vocabulary::is_special(static_cast<std::size_t>(id)))
      throw std::invalid_argument("mask_content_words: candidate " + std::to_string(id) +
                                  " is a special token or negative");
    max_id = std::max(max_id, id);
  }
  std::vector<char> is_candidate(static_cast<std::size_t>(max_id + 1), 0);
  for (const int64_t id : candidate_ids) is_candidate[static_cast<std::size_t>(id)] = 1;

  auto masked = tokens.to(torch::kCPU, torch::kLong).contiguous().clone();
  const int64_t batch = masked.size(0);
  const int64_t length = masked.size(1);
  auto positions = torch::full({batch}, -1, torch::kLong);
  auto targets = torch::full({batch}, -1, torch::kLong);
  auto* t = masked.data_ptr<int64_t>();
  auto* p = positions.data_ptr<int64_t>();
  auto* y = targets.data_ptr<int64_t>();
  std::vector<int64_t> found;
  found.reserve(static_cast<std::size_t>(length));
  for (int64_t b = 0; b < batch; ++b) {
    int64_t* row = t + b * length;
    found.clear();
    for (int64_t i = 0; i < length; ++i)
      if (row[i] >= 0 && row[i] <= max_id && is_candidate[static_cast<std::size_t>(row[i])])
        found.push_back(i);
    if (found.empty()) continue;  // no draw: a caption without candidates leaves the stream alone
    const int64_t i = found[uniform_index(rng, found.size())];
    p[b] = i;
    y[b] = row[i];
    row[i] = kMaskId;
  }
  const auto device = tokens.device();
  return {masked.to(device), positions.to(device), targets.to(device)};
}

std::vector<int64_t> icmlm_candidates(const core::Vocabulary& vocabulary, std::size_t k) {
  const auto ids = vocabulary.most_frequent_content_ids(k);
  return {ids.begin(), ids.end()};
}

std::uint64_t icmlm_step_seed(std::uint64_t seed, std::int64_t step) {
  // A stream constant of its own, so that these seeds differ from the batch
  // loader's (which mixes the same seed with streams 1 and 2).
  constexpr std::uint64_t kIcmlmStream = 0x49434d4c4dULL;  // "ICMLM"
  return splitmix64(splitmix64(splitmix64(seed) ^ kIcmlmStream) ^ static_cast<std::uint64_t>(step));
}

IcmlmVariant parse_icmlm_variant(const std::string& name) {
  if (name == "tfm") return IcmlmVariant::tfm;
  if (name == "att-fc") return IcmlmVariant::att_fc;
  throw std::invalid_argument("unknown ICMLM head '" + name + "' (expected tfm or att-fc)");
}

IcmlmHeadImpl::IcmlmHeadImpl(IcmlmHeadOptions options) : m_options(options) {
  namespace nn = torch::nn;
  const int64_t width = options.text_width;
  TORCH_CHECK(options.visual_channels > 0 && width > 0 && options.vocabulary_size > 0,
              "IcmlmHead: visual_channels, text_width and vocabulary_size must be positive");
  m_visual = register_module("visual", nn::Conv2d(nn::Conv2dOptions(options.visual_channels, width, 1)));
  if (options.variant == IcmlmVariant::tfm) {
    TORCH_CHECK(options.grid > 0 && options.layers > 0, "IcmlmHead: grid and layers must be positive");
    TORCH_CHECK(options.heads > 0 && width % options.heads == 0, "IcmlmHead: heads (", options.heads,
                ") must divide text_width (", width, ")");
    m_visual_positions =
        register_parameter("visual_positions", torch::empty({options.grid * options.grid, width}));
    nn::init::normal_(m_visual_positions, 0.0, 0.02);
    const auto layer = nn::TransformerEncoderLayerOptions(width, options.heads)
                           .dim_feedforward(4 * width)
                           .dropout(options.dropout)
                           .activation(torch::kGELU);
    m_encoder = register_module("encoder",
                                nn::TransformerEncoder(nn::TransformerEncoderOptions(layer, options.layers)));
    m_norm = register_module("norm", nn::LayerNorm(nn::LayerNormOptions({width})));
    m_classifier = register_module("classifier", nn::Linear(width, options.vocabulary_size));
  } else {
    TORCH_CHECK(options.hidden > 0, "IcmlmHead: hidden must be positive");
    m_fc1 = register_module("fc1", nn::Linear(2 * width, options.hidden));
    m_fc2 = register_module("fc2", nn::Linear(options.hidden, options.vocabulary_size));
  }
}

torch::Tensor IcmlmHeadImpl::forward(const torch::Tensor& visual, const torch::Tensor& text,
                                     const torch::Tensor& positions, const torch::Tensor& text_padding) {
  TORCH_CHECK(visual.dim() == 4 && visual.size(1) == m_options.visual_channels, "visual must be [B, ",
              m_options.visual_channels, ", g, g], got ", visual.sizes());
  TORCH_CHECK(text.dim() == 3 && text.size(0) == visual.size(0) && text.size(2) == m_options.text_width,
              "text must be [", visual.size(0), ", L, ", m_options.text_width, "], got ", text.sizes());
  TORCH_CHECK(positions.dim() == 1 && positions.size(0) == visual.size(0), "positions must be [",
              visual.size(0), "], got ", positions.sizes());
  if (positions.device().is_cpu())  // a check on the GPU would cost a synchronisation
    TORCH_CHECK(positions.numel() == 0 || positions.max().item<int64_t>() < text.size(1),
                "a position is past the caption's ", text.size(1), " tokens");
  // Rows without a masked word read position 0 (<cls>); their targets are -1.
  const auto index = positions.to(text.device(), torch::kLong).clamp_min(0);
  // shape: (batch, g*g, width)
  const auto cells = m_visual(visual).flatten(2).transpose(1, 2);
  return m_options.variant == IcmlmVariant::tfm ? forward_tfm(cells, text, index, text_padding)
                                                : forward_att_fc(cells, text, index);
}

torch::Tensor IcmlmHeadImpl::forward_tfm(const torch::Tensor& cells, const torch::Tensor& text,
                                         const torch::Tensor& index, const torch::Tensor& text_padding) {
  const int64_t batch = text.size(0);
  const int64_t num_cells = cells.size(1);
  TORCH_CHECK(num_cells == m_visual_positions.size(0), "IcmlmHead (tfm) was built for a ", m_options.grid,
              "x", m_options.grid, " grid, got ", num_cells, " cells");
  // shape: (batch, g*g + L, width)
  const auto tokens = torch::cat({cells + m_visual_positions.unsqueeze(0), text}, 1);
  torch::Tensor padding;
  if (text_padding.defined()) {
    TORCH_CHECK(text_padding.sizes() == text.sizes().slice(0, 2), "text_padding must be [B, L], got ",
                text_padding.sizes());
    const auto visible = torch::zeros({batch, num_cells}, text_padding.options().dtype(torch::kBool));
    padding = torch::cat({visible, text_padding.to(torch::kBool)}, 1);
  }
  // libtorch 1.13's encoder takes [S, B, W].
  const auto out = m_encoder->forward(tokens.transpose(0, 1), torch::Tensor(), padding).transpose(0, 1);
  // shape: (batch, width), the output at each caption's masked word
  const auto at = (index + num_cells).view({batch, 1, 1}).expand({batch, 1, out.size(2)});
  const auto word = out.gather(1, at).squeeze(1);
  return m_classifier(m_norm(word));
}

torch::Tensor IcmlmHeadImpl::forward_att_fc(const torch::Tensor& cells, const torch::Tensor& text,
                                            const torch::Tensor& index) {
  const int64_t batch = text.size(0);
  const int64_t width = text.size(2);
  // shape: (batch, width), the masked word's feature
  const auto query = text.gather(1, index.view({batch, 1, 1}).expand({batch, 1, width})).squeeze(1);
  // shape: (batch, g*g), softmax over the cells
  const auto attention = torch::softmax(
      torch::bmm(cells, query.unsqueeze(2)).squeeze(2) / std::sqrt(static_cast<double>(width)), 1);
  // shape: (batch, width)
  const auto attended = torch::bmm(attention.unsqueeze(1), cells).squeeze(1);
  return m_fc2(torch::relu(m_fc1(torch::cat({attended, query}, 1))));
}

torch::Tensor icmlm_loss(const torch::Tensor& logits, const torch::Tensor& targets) {
  namespace F = torch::nn::functional;
  TORCH_CHECK(logits.dim() == 2 && targets.dim() == 1 && targets.size(0) == logits.size(0),
              "logits must be [B, V] and targets [B], got ", logits.sizes(), " and ", targets.sizes());
  const auto y = targets.to(logits.device(), torch::kLong);
  // Summed, then divided by the count: a mean that is 0 (not NaN) with no target.
  const auto sum =
      F::cross_entropy(logits, y, F::CrossEntropyFuncOptions().ignore_index(-1).reduction(torch::kSum));
  return sum / y.ge(0).sum().clamp_min(1).to(sum.scalar_type());
}

double icmlm_accuracy(const torch::Tensor& logits, const torch::Tensor& targets) {
  torch::NoGradGuard no_grad;
  const auto y = targets.to(logits.device(), torch::kLong);
  const auto valid = y.ge(0);
  const auto count = valid.sum().item<int64_t>();
  if (count == 0) return 0.0;
  const auto correct = (logits.argmax(1).eq(y) & valid).sum().item<int64_t>();
  return static_cast<double>(correct) / static_cast<double>(count);
}

}  // namespace loctex::trainer
