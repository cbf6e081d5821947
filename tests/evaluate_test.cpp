// evaluate(): the metrics on hand-made tensors (retrieval ranks, the top-50%
// mass set, pointing, KL, boxes through a crop, the linear probe), then a
// whole evaluation of a briefly trained model and of a random one on shards
// the builder makes from a small synthetic set.
#include "trainer/evaluate.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <fstream>
#include <iostream>

#include "core/synthetic.h"
#include "core/vocabulary.h"
#include "pipeline/builder.h"
#include "test_support.h"
#include "trainer/train.h"
#include "trainer_support.h"

namespace {

namespace fs = std::filesystem;
namespace tr = loctex::trainer;
using Json = nlohmann::ordered_json;
using loctex::testing::error_of;
using loctex::testing::TempDir;

std::vector<std::int64_t> to_vector(const torch::Tensor& t) {
  const auto c = t.to(torch::kLong).contiguous();
  return {c.data_ptr<std::int64_t>(), c.data_ptr<std::int64_t>() + c.numel()};
}

std::vector<bool> to_bools(const torch::Tensor& t) {
  std::vector<bool> out;
  for (const auto v : to_vector(t)) out.push_back(v != 0);
  return out;
}

// ---- retrieval ------------------------------------------------------------

TEST(evaluate_test, identical_embeddings_rank_every_match_first) {
  const auto e = torch::eye(12);
  const auto m = tr::retrieval_metrics(e, e);
  EXPECT_EQ(m.pairs, 12);
  EXPECT_DOUBLE_EQ(m.chance_r1, 1.0 / 12);
  EXPECT_DOUBLE_EQ(m.image_to_text.r1, 1.0);
  EXPECT_DOUBLE_EQ(m.text_to_image.r1, 1.0);
  EXPECT_DOUBLE_EQ(m.text_to_image.r10, 1.0);
}

TEST(evaluate_test, candidates_in_a_fixed_order_give_rank_i_to_query_i) {
  // Every query scores candidate j as -j, so query i finds its match i at rank i.
  const auto queries = torch::ones({20, 1});
  const auto candidates = -torch::arange(20, torch::kFloat).unsqueeze(1);
  const auto ranks = tr::retrieval_ranks(queries, candidates);
  EXPECT_EQ(to_vector(ranks), to_vector(torch::arange(20)));
  const auto r = tr::recall_of(ranks);
  EXPECT_DOUBLE_EQ(r.r1, 1.0 / 20);
  EXPECT_DOUBLE_EQ(r.r5, 5.0 / 20);
  EXPECT_DOUBLE_EQ(r.r10, 10.0 / 20);
}

TEST(evaluate_test, swapped_pairs_rank_last_because_ties_count_against_the_model) {
  // Captions 0 and 1 swapped: image 0's caption scores 0, as do 8 other
  // wrong captions, and caption 1 scores 1: rank 9.
  const auto images = torch::eye(10);
  auto captions = torch::eye(10);
  captions.index_put_({0}, images[1]);
  captions.index_put_({1}, images[0]);
  const auto ranks = tr::retrieval_ranks(images, captions);
  EXPECT_EQ(to_vector(ranks), (std::vector<std::int64_t>{9, 9, 0, 0, 0, 0, 0, 0, 0, 0}));
  const auto m = tr::retrieval_metrics(images, captions);
  EXPECT_DOUBLE_EQ(m.image_to_text.r1, 0.8);
  EXPECT_DOUBLE_EQ(m.image_to_text.r5, 0.8);
  EXPECT_DOUBLE_EQ(m.image_to_text.r10, 1.0);
  EXPECT_DOUBLE_EQ(m.text_to_image.r1, 0.8);
  // A constant model ranks every match last, not first.
  const auto constant = torch::ones({10, 4});
  EXPECT_DOUBLE_EQ(tr::retrieval_metrics(constant, constant).image_to_text.r5, 0.0);
}

TEST(evaluate_test, narratives_of_one_image_all_count_as_its_match) {
  // Pairs 0 and 1 are two narratives of one image, alike: identical rows.
  auto e = torch::eye(4);
  e.index_put_({1}, e[0]);
  // Without groups, pair 0's image ties with pair 1's caption, which counts against it.
  const auto plain = tr::retrieval_metrics(e, e);
  EXPECT_DOUBLE_EQ(plain.image_to_text.r1, 0.5);
  EXPECT_DOUBLE_EQ(plain.text_to_image.r1, 0.5);
  const auto grouped = tr::retrieval_metrics(e, e, torch::tensor({7, 7, 8, 9}));
  EXPECT_DOUBLE_EQ(grouped.image_to_text.r1, 1.0);
  EXPECT_DOUBLE_EQ(grouped.text_to_image.r1, 1.0);
}

TEST(evaluate_test, ranks_cross_block_boundaries) {
  const auto e = torch::eye(1500);  // more rows than one block of similarities
  auto shifted = e.roll(1, 0);  // caption i = e_{i-1}: every match ties with 1498 zeros and loses to one 1
  EXPECT_EQ(tr::retrieval_ranks(e, e).sum().item<std::int64_t>(), 0);
  const auto ranks = tr::retrieval_ranks(e, shifted);
  EXPECT_EQ(ranks.min().item<std::int64_t>(), 1499);
  EXPECT_EQ(ranks.max().item<std::int64_t>(), 1499);
}

// ---- attention against traces --------------------------------------------

TEST(evaluate_test, top_mass_set_is_the_smallest_set_reaching_half_the_mass) {
  const auto heat = torch::tensor({0.1f, 0.4f, 0.2f, 0.3f, 0.0f}).unsqueeze(0);
  EXPECT_EQ(to_bools(tr::top_mass_cells(heat)[0]), (std::vector<bool>{false, true, false, true, false}));
  // Reached exactly by the first cell.
  EXPECT_EQ(to_bools(tr::top_mass_cells(torch::tensor({{0.5, 0.3, 0.2}}))[0]),
            (std::vector<bool>{true, false, false}));
  // Ties with the last cell taken are in: not the order of equal cells.
  EXPECT_EQ(to_bools(tr::top_mass_cells(torch::tensor({{0.1, 0.3, 0.3, 0.3}}))[0]),
            (std::vector<bool>{false, true, true, true}));
  // Unnormalised mass; an empty map selects nothing.
  EXPECT_EQ(to_bools(tr::top_mass_cells(torch::tensor({{4.0, 3.0, 2.0, 1.0}}))[0]),
            (std::vector<bool>{true, true, false, false}));
  EXPECT_EQ(to_bools(tr::top_mass_cells(torch::zeros({1, 3}))[0]), (std::vector<bool>{false, false, false}));
  // A larger fraction takes more cells.
  EXPECT_EQ(to_bools(tr::top_mass_cells(torch::tensor({{4.0, 3.0, 2.0, 1.0}}), 0.9)[0]),
            (std::vector<bool>{true, true, true, false}));
}

TEST(evaluate_test, pointing_hits_when_the_attention_peak_is_in_the_top_cells) {
  const auto heat = torch::tensor({{0.1, 0.4, 0.2, 0.3}, {0.1, 0.4, 0.2, 0.3}, {0.7, 0.1, 0.1, 0.1}});
  const auto attention = torch::tensor({{0.0, 0.0, 0.0, 5.0}, {0.0, 0.0, 5.0, 0.0}, {1.0, 0.0, 0.0, 0.0}});
  EXPECT_EQ(to_bools(tr::pointing_hits(attention, heat)), (std::vector<bool>{true, false, true}));
}

TEST(evaluate_test, kl_is_zero_for_equal_maps_and_log2_for_half_the_support) {
  const auto f64 = torch::kDouble;
  const auto h = torch::tensor({{0.25, 0.75}}, f64);
  EXPECT_NEAR(tr::heatmap_kl(h, h.log())[0].item<double>(), 0.0, 1e-12);
  EXPECT_NEAR(tr::heatmap_kl(torch::tensor({{1.0, 0.0}}, f64), torch::zeros({1, 2}, f64))[0].item<double>(),
              std::log(2.0), 1e-12);
  const double expected = 0.5 * std::log(0.5 / 0.25) + 0.5 * std::log(0.5 / 0.75);
  EXPECT_NEAR(tr::heatmap_kl(torch::tensor({{0.5, 0.5}}, f64), torch::tensor({{0.25, 0.75}}, f64).log())[0]
                  .item<double>(),
              expected, 1e-12);
}

TEST(evaluate_test, a_box_maps_through_the_centre_crop_onto_grid_cells) {
  // 128×96: the centre crop is the middle 96×96, x from 16 px.
  const auto crop = tr::centre_crop(128, 96);
  EXPECT_EQ(crop, (tr::CropBox{0.125, 0.0, 0.75, 1.0}));
  const auto box = tr::box_in_crop({0.125, 0.0, 0.5, 0.5}, crop);
  EXPECT_NEAR(box.x0, 0.0, 1e-12);
  EXPECT_NEAR(box.x1, 0.5, 1e-12);
  EXPECT_NEAR(box.y1, 0.5, 1e-12);
  // 2×2 grid: only cell 0's centre (0.25, 0.25) lies inside.
  EXPECT_TRUE(tr::cell_centre_in_box(0, 2, box));
  EXPECT_FALSE(tr::cell_centre_in_box(1, 2, box));
  EXPECT_FALSE(tr::cell_centre_in_box(2, 2, box));
  EXPECT_FALSE(tr::cell_centre_in_box(3, 2, box));
  // 4×4: cells (row 1, col 1) in, (row 2, col 1) out.
  EXPECT_TRUE(tr::cell_centre_in_box(5, 4, box));
  EXPECT_FALSE(tr::cell_centre_in_box(9, 4, box));
  // A box in the strip the crop cuts off is not visible.
  const auto cut = tr::box_in_crop({0.0, 0.2, 0.1, 0.4}, crop);
  EXPECT_LT(cut.x1, 0.0);
  EXPECT_FALSE(tr::box_visible(cut));
  EXPECT_TRUE(tr::box_visible(box));
}

// ---- linear probe ---------------------------------------------------------

TEST(evaluate_test, the_probe_separates_separable_classes) {
  torch::manual_seed(1);
  const auto make = [](std::int64_t n) {
    const auto y = torch::randint(0, 3, {n}, torch::kLong);
    // Class c lifts feature c by 8 above unit noise, in 16 features.
    auto x = torch::randn({n, 16});
    x.slice(1, 0, 3) += 8.0 * torch::one_hot(y, 3).to(torch::kFloat);
    return std::pair{x * 10 + 5, y};  // scale and offset: standardisation undoes them
  };
  const auto [train_x, train_y] = make(300);
  const auto [val_x, val_y] = make(150);
  const auto r = tr::linear_probe(train_x, train_y, val_x, val_y, 3);
  EXPECT_EQ(r.classes, 3);
  EXPECT_EQ(r.train_samples, 300);
  EXPECT_EQ(r.val_samples, 150);
  EXPECT_GE(r.train_accuracy, 0.97);
  EXPECT_GE(r.accuracy, 0.95);
  EXPECT_LT(r.majority_baseline, 0.45);
  // Deterministic.
  EXPECT_EQ(tr::linear_probe(train_x, train_y, val_x, val_y, 3).accuracy, r.accuracy);
}

TEST(evaluate_test, the_probe_on_random_labels_is_near_chance) {
  torch::manual_seed(2);
  const auto train_x = torch::randn({400, 32});
  const auto val_x = torch::randn({400, 32});
  const auto train_y = torch::randint(0, 4, {400}, torch::kLong);
  const auto val_y = torch::randint(0, 4, {400}, torch::kLong);
  const auto r = tr::linear_probe(train_x, train_y, val_x, val_y, 4);
  EXPECT_NEAR(r.accuracy, 0.25, 0.08);
  EXPECT_NEAR(r.majority_baseline, 0.25, 0.08);
  EXPECT_NE(error_of([&] { tr::linear_probe(train_x, train_y + 1, val_x, val_y, 4); }).find("outside [0, 4)"),
            std::string::npos);
}

// ---- the whole evaluation -------------------------------------------------

// 150 synthetic images (128×96) built into shards, 30% of them for
// validation, and the config of a tiny model to train on them.
class evaluate_run_test : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    s_dir = new TempDir;
    loctex::testing::ShardSetOptions set;
    set.count = 150;
    set.seed = 11;
    set.val_fraction = 0.3;
    set.shorter_side = 96;
    set.shard_samples = 64;
    set.threads = 1;
    const auto built = loctex::testing::build_synthetic_shards(s_dir->path(), set);
    s_synth = built.synth;
    s_build = built.build;

    s_config = loctex::testing::tiny_config(built.shards, *s_dir / "run");
    s_config.data.workers = 2;
    s_config.model.image_size = 96;  // a 3×3 grid
    s_config.model.max_words = 32;
    s_config.optim.batch_size = 16;
    s_config.optim.steps = 150;
    s_config.optim.warmup_steps = 10;
    s_config.optim.lr = 3e-3;
    s_config.checkpoint_every = 1000;  // one thread (tiny_config): ctest runs tests side by side
    s_config.log_every = 50;
    s_config.seed = 4;
    s_vocabulary_size =
        static_cast<std::int64_t>(loctex::core::Vocabulary::load(built.shards / "vocab.txt").size());
  }
  static void TearDownTestSuite() {
    delete s_dir;
    s_dir = nullptr;
  }

  static tr::EvalOptions options() {
    tr::EvalOptions o;
    o.objects = s_synth.objects_file;
    o.batch_size = 32;
    o.threads = 1;
    o.probe.iterations = 50;
    return o;
  }

  // The run folder of a model trained 150 steps, trained on first use (ctest
  // runs each test in its own process; only one test needs it).
  static const fs::path& trained_run() {
    static const fs::path run = [] {
      tr::train(s_config);
      return s_config.output;
    }();
    return run;
  }

  static inline TempDir* s_dir = nullptr;
  static inline loctex::core::SynthReport s_synth;
  static inline loctex::pipeline::BuildSummary s_build;
  static inline tr::TrainConfig s_config;
  static inline std::int64_t s_vocabulary_size = 0;
};

// Lines of an objects.jsonl that list exactly one object.
std::int64_t single_object_images(const fs::path& objects_file) {
  std::ifstream in(objects_file);
  std::int64_t n = 0;
  for (std::string line; std::getline(in, line);) n += Json::parse(line)["objects"].size() == 1 ? 1 : 0;
  return n;
}

void expect_shares_in_range(const Json& json, const std::string& path = "") {
  for (const auto& [key, value] : json.items()) {
    if (value.is_object()) {
      expect_shares_in_range(value, path + "/" + key);
    } else if (key.starts_with("r") || key.find("accuracy") != std::string::npos ||
               key.find("chance") != std::string::npos || key.find("baseline") != std::string::npos) {
      ASSERT_TRUE(value.is_number()) << path << "/" << key;
      EXPECT_GE(value.get<double>(), 0.0) << path << "/" << key;
      EXPECT_LE(value.get<double>(), 1.0) << path << "/" << key;
    }
  }
}

void print_figures(const char* name, const tr::EvalReport& r) {
  std::cout << name << ": R@1 i2t " << r.retrieval.image_to_text.r1 << " t2i " << r.retrieval.text_to_image.r1
            << ", R@5 i2t " << r.retrieval.image_to_text.r5 << " t2i " << r.retrieval.text_to_image.r5
            << ", pointing " << r.alignment.pointing_accuracy << " (chance " << r.alignment.chance_pointing
            << "), KL " << r.alignment.kl << ", box " << r.alignment.box_pointing_accuracy << " (chance "
            << r.alignment.chance_box_pointing << "), probe shape " << r.probe->shape->accuracy
            << " (majority " << r.probe->shape->majority_baseline << ", train "
            << r.probe->shape->train_accuracy << "), colour " << r.probe->colour->accuracy << " (majority "
            << r.probe->colour->majority_baseline << ", train " << r.probe->colour->train_accuracy << "), "
            << r.seconds << " s\n";
}

TEST_F(evaluate_run_test, reports_a_trained_and_a_random_model_over_every_val_pair) {
  auto loaded = tr::load_model(trained_run());
  const auto trained = tr::evaluate(loaded.model, loaded.config, options());
  auto random = tr::random_model(loaded.config, s_vocabulary_size, 99);
  const auto baseline = tr::evaluate(random, loaded.config, options());
  print_figures("trained", trained);
  print_figures("random", baseline);

  for (const auto* report : {&trained, &baseline}) {
    const Json json = tr::to_json(*report);
    expect_shares_in_range(json);
    EXPECT_EQ(json["retrieval"]["pairs"].get<std::uint64_t>(), s_build.val_samples);
    EXPECT_DOUBLE_EQ(json["retrieval"]["chance_r1"].get<double>(),
                     1.0 / static_cast<double>(s_build.val_samples));
    EXPECT_EQ(json["objects"]["entries"], 150);
    EXPECT_EQ(json["objects"]["matched_samples"].get<std::uint64_t>(), s_build.val_samples);
    EXPECT_EQ(json["objects"]["missing_samples"], 0);
    // The builder's words are the caption split on single spaces.
    EXPECT_EQ(json["objects"]["word_mismatches"], 0);
    // The probe takes the single-object images of both splits and counts the rest.
    const auto& probe = json["probe"];
    EXPECT_EQ(probe["shards"], s_config.data.shards.string());
    EXPECT_EQ(probe["train_samples"].get<std::int64_t>() + probe["val_samples"].get<std::int64_t>(),
              single_object_images(s_synth.objects_file));
    EXPECT_EQ(probe["train_samples"].get<std::uint64_t>() + probe["val_samples"].get<std::uint64_t>() +
                  probe["multi_object_samples"].get<std::uint64_t>(),
              s_build.train_samples + s_build.val_samples);
    EXPECT_EQ(probe["missing_samples"], 0);
    EXPECT_EQ(json["probe"]["shape"]["classes"], 7);
    EXPECT_EQ(json["probe"]["colour"]["classes"], 6);
    EXPECT_EQ(json["skipped_samples"], 0);
    EXPECT_GT(report->alignment.traced_words, 10 * report->retrieval.pairs);
    // Every object's shape word is found; only boxes the crop cuts off are skipped.
    EXPECT_GT(report->alignment.object_nouns, report->retrieval.pairs);
    EXPECT_LT(report->alignment.skipped_nouns, report->alignment.object_nouns / 5);
    EXPECT_GT(report->alignment.kl, 0.0);
    // No model hits a box that holds no cell centre.
    EXPECT_LE(report->alignment.box_pointing_accuracy, report->alignment.box_pointing_ceiling);
    EXPECT_GT(report->alignment.box_pointing_ceiling, report->alignment.chance_box_pointing);
  }
  // The ceiling depends on the data and the grid only.
  EXPECT_DOUBLE_EQ(trained.alignment.box_pointing_ceiling, baseline.alignment.box_pointing_ceiling);
  // The random baseline is the same whatever ran before it, and leaves
  // torch's generator as it found it.
  torch::manual_seed(3);
  auto again = tr::random_model(loaded.config, s_vocabulary_size, 99);
  const auto drawn = torch::rand({4});
  torch::manual_seed(3);
  EXPECT_TRUE(torch::equal(drawn, torch::rand({4})));
  auto repeated = tr::to_json(tr::evaluate(again, loaded.config, options()));
  auto first = tr::to_json(baseline);
  repeated.erase("seconds");
  first.erase("seconds");
  EXPECT_EQ(repeated, first);

  // What 150 steps taught, with margins measured over training seeds 4 to 9
  // on one thread (trained vs random: R@5 0.31-0.57 vs 0.12, pointing
  // 0.41-0.46 vs 0.15, KL 0.84-0.91 vs 1.17, box pointing 0.21-0.30 vs 0.04).
  // The probe is left out: the 150 images hold about 30 of one object, too
  // few for it to beat chance either way.
  EXPECT_GT(trained.retrieval.image_to_text.r5, baseline.retrieval.image_to_text.r5 + 0.1);
  EXPECT_GT(trained.retrieval.text_to_image.r5, baseline.retrieval.text_to_image.r5 + 0.1);
  EXPECT_GT(trained.alignment.pointing_accuracy, baseline.alignment.pointing_accuracy + 0.2);
  EXPECT_LT(trained.alignment.kl, baseline.alignment.kl - 0.2);
  EXPECT_GT(trained.alignment.box_pointing_accuracy, baseline.alignment.box_pointing_accuracy + 0.1);
  // A random model's near-constant embeddings rank candidates in one order
  // for every query: R@k is k/N, chance.
  EXPECT_NEAR(baseline.retrieval.image_to_text.r5, 5 * baseline.retrieval.chance_r1, 0.05);
}

TEST_F(evaluate_run_test, images_missing_from_objects_jsonl_are_skipped_and_counted) {
  // Keep every other line.
  const fs::path partial = *s_dir / "partial-objects.jsonl";
  {
    std::ifstream in(s_synth.objects_file);
    std::ofstream out(partial);
    std::size_t i = 0;
    for (std::string line; std::getline(in, line); ++i)
      if (i % 2 == 0) out << line << '\n';
  }
  auto model = tr::random_model(s_config, s_vocabulary_size, 1);
  auto o = options();
  o.objects = partial;
  const auto r = tr::evaluate(model, s_config, o);
  ASSERT_TRUE(r.objects && r.probe);
  EXPECT_EQ(r.objects->entries, 75);
  // Box pointing counts val samples, the probe both splits.
  EXPECT_EQ(r.objects->matched_samples + r.objects->missing_samples,
            static_cast<std::int64_t>(s_build.val_samples));
  EXPECT_GT(r.objects->missing_samples, 10);
  EXPECT_GT(r.probe->missing_samples, 50);
  EXPECT_EQ(r.probe->train_samples + r.probe->val_samples + r.probe->multi_object_samples +
                r.probe->missing_samples,
            static_cast<std::int64_t>(s_build.train_samples + s_build.val_samples));
  EXPECT_EQ(r.probe->train_samples + r.probe->val_samples, single_object_images(partial));
}

TEST_F(evaluate_run_test, the_probe_can_use_a_set_of_its_own) {
  loctex::testing::ShardSetOptions set;
  set.count = 40;
  set.seed = 5;
  set.max_objects = 1;
  set.val_fraction = 0.3;
  set.shorter_side = 96;
  set.threads = 1;
  const auto probe_set = loctex::testing::build_synthetic_shards(*s_dir / "probe", set);
  auto model = tr::random_model(s_config, s_vocabulary_size, 1);
  auto o = options();
  o.probe_shards = probe_set.shards;
  o.probe_objects = probe_set.synth.objects_file;
  const auto r = tr::evaluate(model, s_config, o);
  ASSERT_TRUE(r.probe && r.objects);
  EXPECT_EQ(r.probe->shards, probe_set.shards);
  EXPECT_EQ(r.probe->objects, probe_set.synth.objects_file);
  // Every image of a --max-objects 1 set is labelled.
  EXPECT_EQ(r.probe->train_samples, static_cast<std::int64_t>(probe_set.build.train_samples));
  EXPECT_EQ(r.probe->val_samples, static_cast<std::int64_t>(probe_set.build.val_samples));
  EXPECT_EQ(r.probe->multi_object_samples, 0);
  EXPECT_EQ(r.probe->missing_samples, 0);
  ASSERT_TRUE(r.probe->shape && r.probe->colour);
  EXPECT_EQ(r.probe->shape->val_samples, r.probe->val_samples);
  // Box pointing still scores the run's own val split.
  EXPECT_EQ(r.objects->matched_samples, static_cast<std::int64_t>(s_build.val_samples));

  // A probe set alone: a probe and no box pointing.
  o.objects.clear();
  const Json json = tr::to_json(tr::evaluate(model, s_config, o));
  EXPECT_FALSE(json.contains("objects"));
  EXPECT_FALSE(json["attention"].contains("box_pointing_accuracy"));
  EXPECT_EQ(json["probe"]["objects"], probe_set.synth.objects_file.string());
  EXPECT_TRUE(json["probe"]["colour"].is_object());
}

TEST_F(evaluate_run_test, errors_name_the_file) {
  auto model = tr::random_model(s_config, s_vocabulary_size, 1);
  auto o = options();
  o.objects = *s_dir / "nowhere.jsonl";
  EXPECT_EQ(error_of([&] { tr::evaluate(model, s_config, o); }), "cannot read " + o.objects.string());

  o.objects = *s_dir / "bad-objects.jsonl";
  loctex::testing::write_text(o.objects,
                              "{\"dataset_id\": \"loctex_synth\", \"image_id\": \"0\", \"objects\": []}\n"
                              "{\"dataset_id\": \"loctex_synth\"}\n");
  EXPECT_NE(error_of([&] { tr::evaluate(model, s_config, o); }).find(o.objects.string() + ":2: "),
            std::string::npos);

  // A model built for a smaller vocabulary than the shards'.
  auto small = tr::random_model(s_config, 5, 1);
  EXPECT_NE(error_of([&] { tr::evaluate(small, s_config, options()); }).find("vocab.txt holds"),
            std::string::npos);

  o = options();
  o.shards = *s_dir / "no-shards";
  EXPECT_NE(error_of([&] { tr::evaluate(model, s_config, o); }).find((*s_dir / "no-shards").string()),
            std::string::npos);
}

TEST_F(evaluate_run_test, without_objects_jsonl_the_report_has_retrieval_and_pointing_only) {
  auto model = tr::random_model(s_config, s_vocabulary_size, 1);
  auto o = options();
  o.objects.clear();
  const Json json = tr::to_json(tr::evaluate(model, s_config, o));
  EXPECT_FALSE(json.contains("probe"));
  EXPECT_FALSE(json.contains("objects"));
  EXPECT_FALSE(json["attention"].contains("box_pointing_accuracy"));
  EXPECT_TRUE(json["attention"].contains("pointing_accuracy"));
  EXPECT_EQ(json["retrieval"]["pairs"].get<std::uint64_t>(), s_build.val_samples);
}

}  // namespace
