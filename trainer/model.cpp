#include "trainer/model.h"

#include <algorithm>
#include <cmath>

#include "core/vocabulary.h"
#include "trainer/checkpoint.h"

namespace loctex::trainer {

LocTexModelImpl::LocTexModelImpl(const ModelConfig& model, const ObjectiveConfig& objectives,
                                 int64_t vocabulary_size) {
  namespace nn = torch::nn;
  m_backbone = register_module("backbone", ResNet(ResNetOptions{resnet_depth(model.backbone), model.width}));
  TextEncoderOptions text;
  text.vocabulary_size = vocabulary_size;
  text.max_tokens = model.max_words + 1;
  text.width = model.text_width;
  text.layers = model.text_layers;
  text.heads = model.text_heads;
  m_text = register_module("text", TextEncoder(text));
  const int64_t channels = m_backbone->feature_channels();
  m_visual_keys = register_module("visual_keys", nn::Conv2d(nn::Conv2dOptions(channels, model.embed_dim, 1)));
  m_image_head = register_module("image_head", nn::Linear(channels, model.embed_dim));
  m_caption_head = register_module("caption_head", nn::Linear(model.text_width, model.embed_dim));
  m_word_queries = register_module("word_queries", nn::Linear(model.text_width, model.embed_dim));
  if (objectives.itm > 0) {
    m_visual_tokens =
        register_module("visual_tokens", nn::Conv2d(nn::Conv2dOptions(channels, model.text_width, 1)));
    FusionOptions fusion;
    fusion.width = model.text_width;
    fusion.layers = model.fusion_layers;
    fusion.heads = model.text_heads;
    m_matching = register_module("matching", MatchingHead(fusion));
  }
  if (objectives.icmlm > 0) {
    IcmlmHeadOptions icmlm;
    icmlm.variant = parse_icmlm_variant(objectives.icmlm_head);
    icmlm.visual_channels = channels;
    icmlm.text_width = model.text_width;
    icmlm.vocabulary_size = vocabulary_size;
    icmlm.grid = model.image_size / 32;
    icmlm.layers = objectives.icmlm_layers;
    icmlm.heads = model.text_heads;
    icmlm.hidden = objectives.icmlm_hidden;
    m_icmlm = register_module("icmlm", IcmlmHead(icmlm));
  }
  m_log_scale = register_parameter("log_scale", torch::full({}, std::log(1.0 / objectives.temperature)));
  m_max_log_scale = std::log(1.0 / objectives.min_temperature);
}

torch::Tensor LocTexModelImpl::visual_features(const torch::Tensor& images) {
  return m_backbone->features(images);
}

torch::Tensor LocTexModelImpl::embed_images(const torch::Tensor& images) {
  return torch::nn::functional::normalize(m_image_head(visual_features(images).mean({2, 3})),
                                          torch::nn::functional::NormalizeFuncOptions().dim(1));
}

torch::Tensor LocTexModelImpl::embed_captions(const torch::Tensor& tokens) {
  const auto text = m_text(tokens);
  return torch::nn::functional::normalize(m_caption_head(text.select(1, 0)),
                                          torch::nn::functional::NormalizeFuncOptions().dim(1));
}

ModelOutput LocTexModelImpl::forward(const torch::Tensor& images, const torch::Tensor& tokens) {
  namespace F = torch::nn::functional;
  const auto features = visual_features(images);  // [B, C, g, g]
  const auto text = m_text(tokens);               // [B, L, W]
  ModelOutput out;
  out.image_embedding = F::normalize(m_image_head(features.mean({2, 3})), F::NormalizeFuncOptions().dim(1));
  out.caption_embedding = F::normalize(m_caption_head(text.select(1, 0)), F::NormalizeFuncOptions().dim(1));
  const auto keys = m_visual_keys(features).flatten(2);  // [B, D, g*g]
  const auto queries = m_word_queries(text);             // [B, L, D]
  out.attention_logits = torch::bmm(queries, keys) / std::sqrt(static_cast<double>(keys.size(1)));
  // A clamped scale has no gradient past the bound, as in CLIP.
  out.logit_scale = m_log_scale.clamp_max(m_max_log_scale).exp();
  out.visual_features = features;
  out.text_features = text;
  return out;
}

torch::Tensor LocTexModelImpl::icmlm_logits(const torch::Tensor& visual_features,
                                            const torch::Tensor& masked_tokens,
                                            const torch::Tensor& positions) {
  TORCH_CHECK(!m_icmlm.is_empty(), "the model has no ICMLM head (objectives.icmlm is 0)");
  const auto padding = masked_tokens.eq(static_cast<int64_t>(core::Vocabulary::kPadId));
  return m_icmlm(visual_features, m_text(masked_tokens), positions, padding);
}

torch::Tensor LocTexModelImpl::visual_tokens(const torch::Tensor& visual_features) {
  TORCH_CHECK(!m_visual_tokens.is_empty(), "the model has no matching head (objectives.itm is 0)");
  return m_visual_tokens(visual_features).flatten(2).transpose(1, 2);
}

LoadedModel load_model(const std::filesystem::path& source) {
  LoadedModel loaded;
  loaded.checkpoint = source;
  if (std::filesystem::is_directory(source)) {
    const auto latest = latest_checkpoint(source);
    if (!latest) throw std::runtime_error("no checkpoint in " + (source / "checkpoints").string());
    loaded.checkpoint = *latest;
  }
  const auto info = read_checkpoint_info(loaded.checkpoint);
  loaded.config = from_json(nlohmann::ordered_json::parse(info.config));
  loaded.step = info.step;
  loaded.model = LocTexModel(loaded.config.model, loaded.config.objectives, info.vocabulary_size);
  load_model_weights(loaded.checkpoint, *loaded.model);
  return loaded;
}

double LocTexModelImpl::temperature() const {
  return 1.0 / std::exp(std::min(m_log_scale.item<double>(), m_max_log_scale));
}

}  // namespace loctex::trainer
