// Park & Han's pieces: hard negatives, focal contrastive loss, Grad-CAM and
// trace relevance, word draws, caption masking, image distortion and the
// matching head, on hand-made tensors.
#include "trainer/itm.h"

#include <gtest/gtest.h>

#include "core/vocabulary.h"
#include "trainer/objectives.h"

namespace {

namespace tr = loctex::trainer;
using loctex::core::Vocabulary;

constexpr int64_t kPad = static_cast<int64_t>(Vocabulary::kPadId);
constexpr int64_t kCls = static_cast<int64_t>(Vocabulary::kClsId);
constexpr int64_t kMask = static_cast<int64_t>(Vocabulary::kMaskId);

// Token rows of equal length as a [rows, L] int64 tensor.
torch::Tensor token_rows(const std::vector<std::vector<int64_t>>& rows) {
  std::vector<torch::Tensor> tensors;
  for (const auto& row : rows) tensors.push_back(torch::tensor(row, torch::kLong));
  return torch::stack(tensors);
}

TEST(itm_test, hard_negatives_are_never_the_pair_itself_and_follow_the_similarity) {
  // Image i is most like caption i+1 (mod 4) by far.
  auto similarity = torch::zeros({4, 4});
  for (int64_t i = 0; i < 4; ++i) similarity[i][(i + 1) % 4] = 50.0;
  std::mt19937_64 rng(1);
  const auto n = tr::draw_hard_negatives(similarity, rng);
  for (int64_t i = 0; i < 4; ++i) {
    EXPECT_EQ(n.caption_for_image[static_cast<std::size_t>(i)], (i + 1) % 4);
    EXPECT_EQ(n.image_for_caption[static_cast<std::size_t>((i + 1) % 4)], i);
  }
  // Uniform similarity: every other pair is drawn, never the pair itself.
  std::vector<int> seen(4, 0);
  for (int k = 0; k < 400; ++k) {
    const auto u = tr::draw_hard_negatives(torch::zeros({4, 4}), rng);
    for (int64_t i = 0; i < 4; ++i) {
      EXPECT_NE(u.caption_for_image[static_cast<std::size_t>(i)], i);
      EXPECT_NE(u.image_for_caption[static_cast<std::size_t>(i)], i);
    }
    ++seen[static_cast<std::size_t>(u.caption_for_image[0])];
  }
  EXPECT_EQ(seen[0], 0);
  for (int j = 1; j < 4; ++j) EXPECT_GT(seen[static_cast<std::size_t>(j)], 80);
  EXPECT_THROW(tr::draw_hard_negatives(torch::zeros({1, 1}), rng), std::invalid_argument);
}

TEST(itm_test, focal_loss_is_the_contrastive_loss_at_gamma_0_and_down_weights_easy_pairs) {
  torch::manual_seed(3);
  const auto images = torch::nn::functional::normalize(torch::randn({5, 8}),
                                                       torch::nn::functional::NormalizeFuncOptions().dim(1));
  const auto captions = torch::nn::functional::normalize(
      images + 0.3 * torch::randn({5, 8}), torch::nn::functional::NormalizeFuncOptions().dim(1));
  const auto scale = torch::tensor(10.0);
  const double plain = tr::contrastive_loss(images, captions, scale).item<double>();
  EXPECT_NEAR(tr::focal_contrastive_loss(images, captions, scale, 0).item<double>(), plain, 1e-6);
  EXPECT_LT(tr::focal_contrastive_loss(images, captions, scale, 2).item<double>(), plain);
  // By hand, one direction of a 2×2 case: logits [[2, 0], [0, 2]].
  const auto e = torch::eye(2);
  const double p = std::exp(2.0) / (std::exp(2.0) + 1);
  EXPECT_NEAR(tr::focal_contrastive_loss(e, e, torch::tensor(2.0), 2).item<double>(),
              -(1 - p) * (1 - p) * std::log(p), 1e-6);
}

TEST(itm_test, gradcam_relevance_is_the_positive_part_of_attention_times_gradient_scaled_to_1) {
  // score_b = Σ_h Σ_n A[b,h,1,n] · w_n, so ∂score/∂A[b,h,1,n] = w_n.
  auto attention = torch::tensor({0.1, 0.2, 0.3, 0.4}).view({1, 1, 1, 4}).repeat({1, 2, 2, 1});
  attention.requires_grad_(true);
  const auto w = torch::tensor({1.0, -1.0, 2.0, 0.5});
  const auto score = (attention.select(2, 1) * w).sum({1, 2});
  const auto relevance = tr::gradcam_relevance(score, attention, {1});
  // relu(A · w) = [0.1, 0, 0.6, 0.2], divided by 0.6.
  const auto expected = torch::tensor({{0.1 / 0.6, 0.0, 1.0, 0.2 / 0.6}});
  EXPECT_TRUE(torch::allclose(relevance, expected.to(torch::kFloat), 1e-5, 1e-6)) << relevance;
  EXPECT_FALSE(relevance.requires_grad());
}

TEST(itm_test, trace_relevance_is_the_word_heatmap_scaled_to_1) {
  auto heatmaps = torch::zeros({2, 3, 2, 2});
  heatmaps[0][2] = torch::tensor({{0.1, 0.4}, {0.2, 0.3}});
  const auto relevance = tr::trace_relevance(heatmaps, {2, 1});
  EXPECT_TRUE(torch::allclose(relevance[0], torch::tensor({0.25, 1.0, 0.5, 0.75}), 1e-6, 1e-6));
  EXPECT_EQ(relevance[1].abs().sum().item<double>(), 0.0);  // no heat: nothing masked
}

TEST(itm_test, word_draws_skip_cls_and_pad_and_prefer_traced_words) {
  const auto tokens =
      token_rows({{kCls, 10, 11, 12, kPad}, {kCls, 20, kPad, kPad, kPad}, {kCls, kPad, kPad, kPad, kPad}});
  const auto traced = torch::tensor({{false, false, true, false, false},
                                     {false, false, false, false, false},
                                     {false, false, false, false, false}});
  std::mt19937_64 rng(4);
  for (int k = 0; k < 50; ++k) {
    const auto any = tr::draw_words(tokens, torch::Tensor(), rng);
    EXPECT_GE(any[0], 1);
    EXPECT_LE(any[0], 3);
    EXPECT_EQ(any[1], 1);
    EXPECT_EQ(any[2], 0);  // no word: <cls>
    const auto with_trace = tr::draw_words(tokens, traced, rng);
    EXPECT_EQ(with_trace[0], 2);
    EXPECT_EQ(with_trace[1], 1);  // no traced word: any word
  }
}

TEST(itm_test, caption_masking_replaces_words_only_and_is_seeded) {
  const auto tokens = token_rows({{kCls, 10, 11, 12, 13, kPad}});
  std::mt19937_64 a(9), b(9);
  EXPECT_TRUE(torch::equal(tr::mask_caption_words(tokens, 0.0, a), tokens));
  const auto all = tr::mask_caption_words(tokens, 0.999999, a);
  EXPECT_TRUE(torch::equal(all, token_rows({{kCls, kMask, kMask, kMask, kMask, kPad}})));
  std::mt19937_64 c(5), d(5);
  EXPECT_TRUE(torch::equal(tr::mask_caption_words(tokens, 0.5, c), tr::mask_caption_words(tokens, 0.5, d)));
}

TEST(itm_test, distortion_greys_and_blurs_as_asked) {
  torch::manual_seed(2);
  const auto images = torch::randn({2, 3, 6, 6});
  std::mt19937_64 rng(1);
  EXPECT_TRUE(torch::equal(tr::distort_images(images, 0, 0, rng), images));
  const auto grey = tr::distort_images(images, 1, 0, rng);
  const auto mean = torch::tensor({0.485, 0.456, 0.406}).view({1, 3, 1, 1});
  const auto std = torch::tensor({0.229, 0.224, 0.225}).view({1, 3, 1, 1});
  const auto pixels = grey * std + mean;
  EXPECT_TRUE(torch::allclose(pixels.select(1, 0), pixels.select(1, 1), 1e-5, 1e-5));
  EXPECT_TRUE(torch::allclose(pixels.select(1, 1), pixels.select(1, 2), 1e-5, 1e-5));
  const auto blurred = tr::distort_images(images, 0, 1, rng);
  const auto expected = torch::nn::functional::avg_pool2d(
      images, torch::nn::functional::AvgPool2dFuncOptions(3).stride(1).padding(1).count_include_pad(false));
  EXPECT_TRUE(torch::allclose(blurred, expected, 1e-6, 1e-6));
}

TEST(itm_test, matching_head_shapes_attention_rows_and_padding) {
  tr::FusionOptions o;
  o.width = 16;
  o.heads = 2;
  o.layers = 2;
  torch::manual_seed(0);
  tr::MatchingHead head(o);
  head->eval();
  const auto text = torch::randn({3, 5, 16});
  const auto visual = torch::randn({3, 4, 16});
  auto padding = torch::zeros({3, 5}, torch::kBool);
  const auto out = head->fuse(text, padding, visual);
  EXPECT_EQ(out.fused.sizes(), (std::vector<int64_t>{3, 5, 16}));
  EXPECT_EQ(out.cross_attention.sizes(), (std::vector<int64_t>{3, 2, 5, 4}));
  EXPECT_TRUE(torch::allclose(out.cross_attention.sum(-1), torch::ones({3, 2, 5}), 1e-5, 1e-5));
  EXPECT_EQ(head->classify(out.fused).sizes(), (std::vector<int64_t>{3, 2}));
  // What stands at padded positions does not reach the <cls> output.
  padding.slice(1, 3, 5).fill_(true);
  auto other = text.clone();
  other.slice(1, 3, 5).normal_();
  const auto a = head->classify(head->fuse(text, padding, visual).fused);
  const auto b = head->classify(head->fuse(other, padding, visual).fused);
  EXPECT_TRUE(torch::allclose(a, b, 1e-5, 1e-5));
  // The visual input does.
  EXPECT_FALSE(torch::allclose(a, head->classify(head->fuse(text, padding, visual * 2).fused), 1e-3, 1e-3));
}

}  // namespace
