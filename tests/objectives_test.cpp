// LocTex objectives and model: losses against hand computations, gradients
// where they should flow, and the model's output shapes.
#include "trainer/objectives.h"

#include <gtest/gtest.h>

#include <cmath>

#include "trainer/model.h"

namespace {

namespace tr = loctex::trainer;

TEST(objectives_test, contrastive_loss_equals_the_symmetric_cross_entropy_by_hand) {
  const auto images = torch::tensor({{1.0, 0.0}, {0.0, 1.0}, {0.6, 0.8}});
  const auto captions = torch::tensor({{0.8, 0.6}, {0.0, 1.0}, {1.0, 0.0}});
  const double scale = 5.0;
  const auto loss = tr::contrastive_loss(images, captions, torch::tensor(scale)).item<double>();
  const auto similarity = images.matmul(captions.t()) * scale;
  const auto s = similarity.accessor<float, 2>();
  double rows = 0, cols = 0;
  for (int i = 0; i < 3; ++i) {
    double row_sum = 0, col_sum = 0;
    for (int j = 0; j < 3; ++j) {
      row_sum += std::exp(s[i][j]);
      col_sum += std::exp(s[j][i]);
    }
    rows += std::log(row_sum) - s[i][i];
    cols += std::log(col_sum) - s[i][i];
  }
  EXPECT_NEAR(loss, (rows / 3 + cols / 3) / 2, 1e-5);
}

TEST(objectives_test, contrastive_loss_falls_as_pairs_align) {
  const auto a = torch::nn::functional::normalize(torch::randn({8, 16}),
                                                  torch::nn::functional::NormalizeFuncOptions().dim(1));
  const auto noise = torch::nn::functional::normalize(torch::randn({8, 16}),
                                                      torch::nn::functional::NormalizeFuncOptions().dim(1));
  const auto scale = torch::tensor(10.0);
  EXPECT_LT(tr::contrastive_loss(a, a, scale).item<double>(),
            tr::contrastive_loss(a, noise, scale).item<double>());
}

// One word, four cells.
struct OneWord {
  torch::Tensor logits = torch::tensor({{{1.0, 2.0, 0.0, -1.0}}});
  torch::Tensor heatmap = torch::tensor({{{0.5, 0.5, 0.0, 0.0}}});
  torch::Tensor traced = torch::tensor({{true}});
};

TEST(objectives_test, trace_kl_l2_and_bce_match_their_formulas) {
  OneWord w;
  const auto a = torch::softmax(w.logits[0][0], 0);
  const auto kl = tr::trace_attention_loss(w.logits, w.heatmap, w.traced, tr::TraceLoss::kl).item<double>();
  const double kl_by_hand = 0.5 * (std::log(0.5) - std::log(a[0].item<double>())) +
                            0.5 * (std::log(0.5) - std::log(a[1].item<double>()));
  EXPECT_NEAR(kl, kl_by_hand, 1e-6);

  const auto l2 = tr::trace_attention_loss(w.logits, w.heatmap, w.traced, tr::TraceLoss::l2).item<double>();
  EXPECT_NEAR(l2, (a - w.heatmap[0][0]).pow(2).sum().item<double>(), 1e-6);

  // BCE against the map scaled to peak 1: targets 1, 1, 0, 0.
  const auto bce = tr::trace_attention_loss(w.logits, w.heatmap, w.traced, tr::TraceLoss::bce).item<double>();
  const double x[4] = {1.0, 2.0, 0.0, -1.0};
  const double y[4] = {1, 1, 0, 0};
  double sum = 0;
  for (int j = 0; j < 4; ++j) {
    const double p = 1 / (1 + std::exp(-x[j]));
    sum += -(y[j] * std::log(p) + (1 - y[j]) * std::log(1 - p));
  }
  EXPECT_NEAR(bce, sum / 4, 1e-6);
}

TEST(objectives_test, trace_kl_is_zero_when_attention_equals_the_heatmap) {
  const auto heatmap = torch::tensor({{{0.1, 0.2, 0.3, 0.4}}});
  const auto loss =
      tr::trace_attention_loss(heatmap.log(), heatmap, torch::tensor({{true}}), tr::TraceLoss::kl);
  EXPECT_NEAR(loss.item<double>(), 0.0, 1e-6);
}

TEST(objectives_test, untraced_words_neither_count_nor_get_gradient) {
  // Word 0 traced, word 1 not: the loss is word 0's alone.
  auto logits = torch::tensor({{{1.0, 2.0, 0.0, -1.0}, {5.0, -5.0, 0.0, 0.0}}}).requires_grad_(true);
  const auto heatmaps = torch::tensor({{{0.5, 0.5, 0.0, 0.0}, {0.0, 0.0, 0.0, 0.0}}});
  const auto traced = torch::tensor({{true, false}});
  const auto loss = tr::trace_attention_loss(logits, heatmaps, traced, tr::TraceLoss::kl);
  OneWord w;
  EXPECT_NEAR(loss.item<double>(),
              tr::trace_attention_loss(w.logits, w.heatmap, w.traced, tr::TraceLoss::kl).item<double>(),
              1e-6);
  loss.backward();
  EXPECT_GT(logits.grad()[0][0].abs().sum().item<double>(), 0.0);
  EXPECT_EQ(logits.grad()[0][1].abs().sum().item<double>(), 0.0);

  auto none = torch::zeros({1, 2, 4}).requires_grad_(true);
  const auto zero =
      tr::trace_attention_loss(none, heatmaps, torch::zeros({1, 2}, torch::kBool), tr::TraceLoss::kl);
  EXPECT_EQ(zero.item<double>(), 0.0);
  zero.backward();  // has a graph, so a batch without traces does not break the step
}

TEST(objectives_test, parse_trace_loss_names_the_bad_value) {
  EXPECT_EQ(tr::parse_trace_loss("l2"), tr::TraceLoss::l2);
  EXPECT_THROW(tr::parse_trace_loss("KL"), std::invalid_argument);
}

TEST(objectives_test, model_outputs_have_the_documented_shapes_and_unit_embeddings) {
  tr::ModelConfig m;
  m.image_size = 64;
  m.width = 0.25;
  m.embed_dim = 32;
  m.text_width = 32;
  m.text_heads = 4;
  m.max_words = 7;
  tr::ObjectiveConfig o;
  torch::manual_seed(0);
  tr::LocTexModel model(m, o, 50);
  const auto images = torch::randn({3, 3, 64, 64});
  const auto tokens = torch::randint(4, 50, {3, 8}, torch::kLong);
  const auto out = model->forward(images, tokens);
  EXPECT_EQ(out.image_embedding.sizes(), (std::vector<int64_t>{3, 32}));
  EXPECT_EQ(out.caption_embedding.sizes(), (std::vector<int64_t>{3, 32}));
  EXPECT_EQ(out.attention_logits.sizes(), (std::vector<int64_t>{3, 8, 4}));  // 64/32 = 2: a 2×2 grid
  EXPECT_TRUE(torch::allclose(out.image_embedding.norm(2, 1), torch::ones({3}), 1e-5, 1e-5));
  EXPECT_NEAR(out.logit_scale.item<double>(), 1 / 0.07, 1e-3);
  EXPECT_NEAR(model->temperature(), 0.07, 1e-6);
  // Padding after the words does not change a caption's embedding.
  auto padded = torch::cat({tokens.slice(1, 0, 5), torch::zeros({3, 3}, torch::kLong)}, 1);
  model->eval();
  const auto short_tokens = tokens.slice(1, 0, 5);
  EXPECT_TRUE(
      torch::allclose(model->embed_captions(padded), model->embed_captions(short_tokens), 1e-5, 1e-5));
}

}  // namespace
