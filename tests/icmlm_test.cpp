// ICMLM: the masking against its contract (candidates only, one per caption,
// seeded), both heads' shapes and image conditioning, and the loss against a
// hand computation.
#include "trainer/icmlm.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <stdexcept>
#include <string>

namespace {

namespace tr = loctex::trainer;
using loctex::core::Vocabulary;

// int, like the other literals of the torch::tensor({...}) lists below.
constexpr int kPad = Vocabulary::kPadId;
constexpr int kCls = Vocabulary::kClsId;
constexpr int kMask = Vocabulary::kMaskId;

// Three captions: two candidates (5, 7) among other words, one candidate (8)
// twice over, and none.
torch::Tensor three_captions() {
  return torch::tensor({{kCls, 5, 6, 7, kPad, kPad},  //
                        {kCls, 9, 8, 6, 8, kPad},
                        {kCls, 6, 9, 10, kPad, kPad}},
                       torch::kLong);
}
const std::vector<int64_t> kCandidates = {5, 7, 8, 11};

TEST(icmlm_test, masking_replaces_exactly_one_candidate_per_caption_that_has_one) {
  const auto tokens = three_captions();
  std::set<int64_t> seen[2];
  for (std::uint64_t seed = 0; seed < 64; ++seed) {
    std::mt19937_64 rng(seed);
    const auto m = tr::mask_content_words(tokens, kCandidates, rng);
    ASSERT_EQ(m.tokens.sizes(), tokens.sizes());
    for (int64_t b = 0; b < 2; ++b) {
      const int64_t p = m.positions[b].item<int64_t>();
      ASSERT_GE(p, 1);
      EXPECT_EQ(m.targets[b].item<int64_t>(), tokens[b][p].item<int64_t>());
      EXPECT_TRUE(std::count(kCandidates.begin(), kCandidates.end(), m.targets[b].item<int64_t>()));
      EXPECT_EQ(m.tokens[b][p].item<int64_t>(), kMask);
      // Every other token is untouched.
      EXPECT_EQ(m.tokens[b].ne(tokens[b]).sum().item<int64_t>(), 1);
      seen[b].insert(p);
    }
    EXPECT_EQ(m.positions[2].item<int64_t>(), -1);
    EXPECT_EQ(m.targets[2].item<int64_t>(), -1);
    EXPECT_TRUE(m.tokens[2].equal(tokens[2]));
  }
  // Over 64 seeds every candidate position has been chosen, and no other.
  EXPECT_EQ(seen[0], (std::set<int64_t>{1, 3}));
  EXPECT_EQ(seen[1], (std::set<int64_t>{2, 4}));
}

TEST(icmlm_test, masking_is_deterministic_under_a_seed_and_varies_across_seeds) {
  const auto tokens = torch::randint(4, 12, {16, 10}, torch::kLong);
  std::mt19937_64 a(42), b(42), c(43);
  const auto ma = tr::mask_content_words(tokens, kCandidates, a);
  const auto mb = tr::mask_content_words(tokens, kCandidates, b);
  const auto mc = tr::mask_content_words(tokens, kCandidates, c);
  EXPECT_TRUE(ma.tokens.equal(mb.tokens));
  EXPECT_TRUE(ma.positions.equal(mb.positions));
  EXPECT_TRUE(ma.targets.equal(mb.targets));
  EXPECT_FALSE(ma.positions.equal(mc.positions));
}

TEST(icmlm_test, masking_draws_once_per_caption_with_a_candidate) {
  std::mt19937_64 used(7), expected(7);
  tr::mask_content_words(three_captions(), kCandidates, used);
  expected.discard(2);  // two captions have a candidate
  EXPECT_EQ(used, expected);
}

TEST(icmlm_test, masking_never_touches_cls_or_pad) {
  const auto tokens = torch::tensor({{kCls, kPad, kPad}, {kCls, 5, kPad}}, torch::kLong);
  std::mt19937_64 rng(0);
  const auto m = tr::mask_content_words(tokens, {5}, rng);
  EXPECT_TRUE(m.positions.equal(torch::tensor({-1, 1}, torch::kLong)));
  EXPECT_TRUE(m.tokens.equal(torch::tensor({{kCls, kPad, kPad}, {kCls, kMask, kPad}}, torch::kLong)));
}

TEST(icmlm_test, masking_refuses_a_special_token_as_a_candidate) {
  std::mt19937_64 rng(0);
  for (const int special : {kPad, kCls, kMask}) {
    try {
      tr::mask_content_words(three_captions(), {5, special}, rng);
      ADD_FAILURE() << "accepted candidate " << special;
    } catch (const std::invalid_argument& e) {
      EXPECT_EQ(std::string(e.what()), "mask_content_words: candidate " + std::to_string(special) +
                                           " is a special token or negative");
    }
  }
}

TEST(icmlm_test, candidates_are_the_vocabularys_most_frequent_content_words) {
  loctex::core::VocabularyBuilder builder;
  for (const char* w : {"the", "the", "the", "dog", "dog", "red", "on"}) builder.add(w);
  const auto vocabulary = builder.build(1);
  const auto ids = tr::icmlm_candidates(vocabulary, 5);
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_EQ(vocabulary.token(static_cast<std::size_t>(ids[0])), "dog");
  EXPECT_EQ(vocabulary.token(static_cast<std::size_t>(ids[1])), "red");
}

TEST(icmlm_test, step_seeds_differ_by_step_and_by_run_seed) {
  EXPECT_EQ(tr::icmlm_step_seed(1, 5), tr::icmlm_step_seed(1, 5));
  EXPECT_NE(tr::icmlm_step_seed(1, 5), tr::icmlm_step_seed(1, 6));
  EXPECT_NE(tr::icmlm_step_seed(1, 5), tr::icmlm_step_seed(2, 5));
}

TEST(icmlm_test, variant_names_parse_and_a_wrong_one_is_named) {
  EXPECT_EQ(tr::parse_icmlm_variant("tfm"), tr::IcmlmVariant::tfm);
  EXPECT_EQ(tr::parse_icmlm_variant("att-fc"), tr::IcmlmVariant::att_fc);
  try {
    tr::parse_icmlm_variant("att_fc");
    ADD_FAILURE() << "accepted att_fc";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "unknown ICMLM head 'att_fc' (expected tfm or att-fc)");
  }
}

TEST(icmlm_test, loss_is_the_cross_entropy_by_hand_over_rows_with_a_target) {
  const auto logits = torch::tensor({{1.0, 2.0, 0.5}, {3.0, -1.0, 0.0}, {0.0, 0.0, 4.0}}).requires_grad_();
  const auto targets = torch::tensor({1, -1, 0}, torch::kLong);
  const double row0 = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(0.5)) - 2.0;
  const double row2 = std::log(2.0 + std::exp(4.0)) - 0.0;
  const auto loss = tr::icmlm_loss(logits, targets);
  EXPECT_NEAR(loss.item<double>(), (row0 + row2) / 2, 1e-6);
  loss.backward();
  // The row without a target gets no gradient.
  EXPECT_TRUE(logits.grad()[1].eq(0).all().item<bool>());
  EXPECT_FALSE(logits.grad()[0].eq(0).all().item<bool>());
  // Argmax: row 0 predicts 1 (right), row 2 predicts 2 (wrong), row 1 skipped.
  EXPECT_DOUBLE_EQ(tr::icmlm_accuracy(logits, targets), 0.5);
}

TEST(icmlm_test, loss_is_zero_with_a_graph_when_no_row_has_a_target) {
  const auto logits = torch::randn({2, 5}).requires_grad_();
  const auto targets = torch::tensor({-1, -1}, torch::kLong);
  const auto loss = tr::icmlm_loss(logits, targets);
  EXPECT_EQ(loss.item<double>(), 0.0);
  ASSERT_TRUE(loss.requires_grad());
  loss.backward();
  EXPECT_TRUE(logits.grad().eq(0).all().item<bool>());
  EXPECT_EQ(tr::icmlm_accuracy(logits, targets), 0.0);
}

// ---------------------------------------------------------------- heads

constexpr int64_t kChannels = 8, kGrid = 2, kWidth = 16, kVocabulary = 16, kLength = 5;

tr::IcmlmHeadOptions head_options(const std::string& variant) {
  tr::IcmlmHeadOptions o;
  o.variant = tr::parse_icmlm_variant(variant);
  o.visual_channels = kChannels;
  o.text_width = kWidth;
  o.vocabulary_size = kVocabulary;
  o.grid = kGrid;
  o.layers = 1;
  o.heads = 2;
  o.hidden = 64;
  o.dropout = 0.0;
  return o;
}

class icmlm_head_test : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { torch::manual_seed(0); }
};

TEST_P(icmlm_head_test, gives_one_row_of_vocabulary_logits_per_caption) {
  tr::IcmlmHead head(head_options(GetParam()));
  const auto visual = torch::randn({3, kChannels, kGrid, kGrid});
  const auto text = torch::randn({3, kLength, kWidth});
  const auto positions = torch::tensor({1, -1, 4}, torch::kLong);
  const auto padding = torch::tensor({{false, false, false, true, true},
                                      {false, false, true, true, true},
                                      {false, false, false, false, false}});
  for (const auto& pad : {torch::Tensor(), padding}) {
    const auto logits = head(visual, text, positions, pad);
    EXPECT_EQ(logits.sizes(), (std::vector<int64_t>{3, kVocabulary}));
    EXPECT_TRUE(logits.isfinite().all().item<bool>());
  }
}

TEST_P(icmlm_head_test, prediction_depends_on_the_visual_features) {
  tr::IcmlmHead head(head_options(GetParam()));
  head->eval();
  const auto visual = torch::randn({2, kChannels, kGrid, kGrid});
  const auto text = torch::randn({2, kLength, kWidth});
  const auto positions = torch::tensor({2, 3}, torch::kLong);
  const auto before = head(visual, text, positions);
  EXPECT_TRUE(head(visual, text, positions).equal(before));  // deterministic in eval
  // Row 1's image changes, row 0's does not.
  auto other = visual.clone();
  other[1] = torch::randn({kChannels, kGrid, kGrid});
  const auto after = head(other, text, positions);
  EXPECT_TRUE(after[0].allclose(before[0]));
  EXPECT_GT((after[1] - before[1]).abs().max().item<double>(), 1e-3);
}

TEST(icmlm_test, att_fc_head_reads_only_the_masked_words_feature) {
  torch::manual_seed(0);
  tr::IcmlmHead head(head_options("att-fc"));
  const auto visual = torch::randn({1, kChannels, kGrid, kGrid});
  const auto text = torch::randn({1, kLength, kWidth});
  const auto positions = torch::tensor({2}, torch::kLong);
  const auto before = head(visual, text, positions);
  auto other = text.clone();
  other[0][1] = torch::randn({kWidth});
  other[0][4] = torch::randn({kWidth});
  EXPECT_TRUE(head(visual, other, positions).equal(before));
  other[0][2] = torch::randn({kWidth});
  EXPECT_FALSE(head(visual, other, positions).allclose(before));
}

TEST(icmlm_test, tfm_head_keeps_padding_out_of_attention) {
  torch::manual_seed(0);
  tr::IcmlmHead head(head_options("tfm"));
  head->eval();
  const auto visual = torch::randn({1, kChannels, kGrid, kGrid});
  const auto text = torch::randn({1, kLength, kWidth});
  const auto positions = torch::tensor({1}, torch::kLong);
  const auto padding = torch::tensor({{false, false, false, true, true}});
  auto other = text.clone();
  other[0][3] = torch::randn({kWidth});  // a <pad> position
  EXPECT_TRUE(head(visual, other, positions, padding).allclose(head(visual, text, positions, padding)));
  EXPECT_FALSE(head(visual, other, positions).allclose(head(visual, text, positions)));
}

// Eight captions with the same text and the same masked position, whose
// masked words differ: only the image tells them apart. Image b holds a
// one-hot pattern on channel b in every cell, and its target is word 4 + b.
TEST_P(icmlm_head_test, overfits_a_batch_whose_answers_only_the_images_hold) {
  tr::IcmlmHead head(head_options(GetParam()));
  constexpr int64_t batch = 8;
  const auto visual =
      torch::eye(batch).view({batch, kChannels, 1, 1}).expand({batch, kChannels, kGrid, kGrid});
  const auto text = torch::randn({1, kLength, kWidth}).expand({batch, kLength, kWidth});
  const auto positions = torch::full({batch}, 2, torch::kLong);
  const auto targets = torch::arange(4, 4 + batch, torch::kLong);

  torch::optim::Adam optimizer(head->parameters(), torch::optim::AdamOptions(3e-3));
  const double first = tr::icmlm_loss(head(visual, text, positions), targets).item<double>();
  for (int step = 0; step < 100; ++step) {
    const auto loss = tr::icmlm_loss(head(visual, text, positions), targets);
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
  }
  head->eval();
  const auto logits = head(visual, text, positions);
  EXPECT_EQ(tr::icmlm_accuracy(logits, targets), 1.0);
  EXPECT_LT(tr::icmlm_loss(logits, targets).item<double>(), 0.1 * first);
}

TEST(icmlm_test, tfm_head_names_the_grid_it_was_built_for) {
  torch::manual_seed(0);
  tr::IcmlmHead head(head_options("tfm"));
  try {
    head(torch::randn({1, kChannels, 3, 3}), torch::randn({1, kLength, kWidth}),
         torch::zeros({1}, torch::kLong));
    ADD_FAILURE() << "accepted a 3x3 grid";
  } catch (const c10::Error& e) {
    EXPECT_NE(std::string(e.what()).find("IcmlmHead (tfm) was built for a 2x2 grid, got 9 cells"),
              std::string::npos)
        << e.what();
  }
}

INSTANTIATE_TEST_SUITE_P(variants, icmlm_head_test, ::testing::Values("tfm", "att-fc"),
                         [](const auto& variant) { return variant.param == "tfm" ? "tfm" : "att_fc"; });

}  // namespace
