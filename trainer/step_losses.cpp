#include "trainer/step_losses.h"

#include <random>

#include "core/vocabulary.h"
#include "trainer/icmlm.h"
#include "trainer/itm.h"
#include "trainer/objectives.h"

namespace loctex::trainer {
namespace {

// splitmix64's finaliser: seeds for neighbouring steps that share no state.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

// Image-text matching (Park & Han after ALBEF): each pair is a positive; each
// image with a hard-negative caption, and each caption with a hard-negative
// image, are negatives. With soft_mask, each positive again with the visual
// tokens down-weighted where one of its words is most relevant is a further
// positive.
void add_matching_terms(LocTexModel& model, const ModelOutput& out, const torch::Tensor& tokens,
                        const Batch& batch, const ObjectiveConfig& o, std::mt19937_64& rng,
                        const torch::Device& device, StepLosses& losses) {
  auto& head = model->matching();
  const auto padding = tokens.eq(static_cast<int64_t>(core::Vocabulary::kPadId));
  const auto visual = model->visual_tokens(out.visual_features);
  const auto& text = out.text_features;
  const auto negatives =
      draw_hard_negatives(torch::matmul(out.image_embedding, out.caption_embedding.t()).detach(), rng);
  const auto index = [&](const std::vector<int64_t>& v) { return torch::tensor(v, torch::kLong).to(device); };
  const auto wrong_caption = index(negatives.caption_for_image);
  const auto wrong_image = index(negatives.image_for_caption);

  const auto positive = head->fuse(text, padding, visual);
  const auto positive_logits = head->classify(positive.fused);
  const auto caption_negative = head->classify(
      head->fuse(text.index_select(0, wrong_caption), padding.index_select(0, wrong_caption), visual).fused);
  const auto image_negative =
      head->classify(head->fuse(text, padding, visual.index_select(0, wrong_image)).fused);
  const auto b = tokens.size(0);
  const auto labels =
      torch::cat({torch::ones({b}, torch::kLong), torch::zeros({2 * b}, torch::kLong)}).to(device);
  losses.terms["itm"] = torch::nn::functional::cross_entropy(
      torch::cat({positive_logits, caption_negative, image_negative}), labels);

  if (o.soft_mask <= 0) return;
  const bool from_trace = o.soft_mask_source == "trace";
  const auto words = draw_words(tokens, from_trace ? batch.has_trace : torch::Tensor(), rng);
  const auto relevance =
      from_trace ? trace_relevance(batch.heatmaps.to(device), words)
                 : gradcam_relevance(positive_logits.select(1, 1), positive.cross_attention, words);
  const auto masked_visual = visual * (1 - relevance).unsqueeze(-1);
  const auto masked_logits = head->classify(head->fuse(text, padding, masked_visual).fused);
  losses.terms["soft_mask"] =
      torch::nn::functional::cross_entropy(masked_logits, torch::ones({b}, torch::kLong).to(device));
}

}  // namespace

StepLosses compute_step_losses(LocTexModel& model, const Batch& batch, const ObjectiveConfig& o,
                               const std::vector<int64_t>& icmlm_candidates, std::uint64_t seed,
                               std::int64_t step, const torch::Device& device) {
  std::mt19937_64 rng(mix(seed ^ mix(static_cast<std::uint64_t>(step))));
  auto images = batch.images.to(device);
  auto tokens = batch.tokens.to(device);
  if (o.mm_augment) {
    tokens = mask_caption_words(tokens, o.text_mask_rate, rng);
    images = distort_images(images, o.distort_grey, o.distort_blur, rng);
  }
  const auto out = model->forward(images, tokens);
  StepLosses losses;
  if (o.contrastive > 0)
    losses.terms["contrastive"] =
        contrastive_loss(out.image_embedding, out.caption_embedding, out.logit_scale);
  if (o.focal_itc > 0)
    losses.terms["focal_itc"] =
        focal_contrastive_loss(out.image_embedding, out.caption_embedding, out.logit_scale, o.focal_gamma);
  if (o.trace_attention > 0)
    losses.terms["trace_attention"] =
        trace_attention_loss(out.attention_logits, batch.heatmaps.to(device), batch.has_trace.to(device),
                             parse_trace_loss(o.trace_loss));
  if (o.itm > 0) add_matching_terms(model, out, tokens, batch, o, rng, device, losses);
  if (o.icmlm > 0) {
    const auto masked = mask_content_words(tokens, icmlm_candidates, rng);
    const auto logits = model->icmlm_logits(out.visual_features, masked.tokens, masked.positions.to(device));
    const auto targets = masked.targets.to(device);
    losses.terms["icmlm"] = icmlm_loss(logits, targets);
    losses.measures["icmlm_accuracy"] = icmlm_accuracy(logits, targets);
  }

  const std::map<std::string, double> weights = {{"contrastive", o.contrastive},
                                                 {"focal_itc", o.focal_itc},
                                                 {"trace_attention", o.trace_attention},
                                                 {"itm", o.itm},
                                                 {"icmlm", o.icmlm},
                                                 {"soft_mask", o.soft_mask}};
  losses.total = torch::zeros({}, images.options());
  for (const auto& [name, term] : losses.terms) losses.total = losses.total + weights.at(name) * term;
  return losses;
}

}  // namespace loctex::trainer
