// train(): metrics.jsonl, checkpoints, exact resume, refusals, and that the
// loss falls, on shards the builder makes from a small synthetic set.
#include "trainer/train.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <fstream>

#include "core/vocabulary.h"
#include "test_support.h"
#include "trainer/checkpoint.h"
#include "trainer/evaluate.h"
#include "trainer/model.h"
#include "trainer/schedule.h"
#include "trainer_support.h"

namespace {

namespace fs = std::filesystem;
namespace tr = loctex::trainer;
using Json = nlohmann::ordered_json;
using loctex::testing::error_of;
using loctex::testing::TempDir;

// 40 synthetic narratives built into shards once for all tests.
class train_test : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    s_dir = new TempDir;
    loctex::testing::build_synthetic_shards(s_dir->path());
  }
  static void TearDownTestSuite() {
    delete s_dir;
    s_dir = nullptr;
  }

  static tr::TrainConfig tiny(const std::string& run) {
    return loctex::testing::tiny_config(*s_dir / "shards", *s_dir / run);
  }

  static inline TempDir* s_dir = nullptr;
};

std::vector<Json> metrics_of(const fs::path& run) {
  std::vector<Json> lines;
  std::ifstream in(run / "metrics.jsonl");
  for (std::string line; std::getline(in, line);) lines.push_back(Json::parse(line));
  return lines;
}

// Every parameter and buffer of the checkpoint's model, by name.
std::map<std::string, torch::Tensor> weights_of(const fs::path& checkpoint, const tr::TrainConfig& c) {
  const auto vocabulary = loctex::core::Vocabulary::load(c.data.shards / "vocab.txt");
  tr::LocTexModel model(c.model, c.objectives, static_cast<int64_t>(vocabulary.size()));
  torch::serialize::InputArchive archive;
  archive.load_from(checkpoint.string());
  torch::serialize::InputArchive model_archive;
  archive.read("model", model_archive);
  model->load(model_archive);
  std::map<std::string, torch::Tensor> out;
  for (const auto& item : model->named_parameters()) out[item.key()] = item.value().detach().clone();
  for (const auto& item : model->named_buffers()) out[item.key()] = item.value().clone();
  return out;
}

TEST_F(train_test, writes_metrics_config_and_checkpoints) {
  const auto c = tiny("plain");
  const auto summary = tr::train(c);
  EXPECT_TRUE(summary.finished);
  EXPECT_EQ(summary.steps, 6);
  EXPECT_EQ(summary.checkpoint, tr::checkpoint_path(c.output, 6));
  EXPECT_TRUE(fs::exists(tr::checkpoint_path(c.output, 3)));
  EXPECT_EQ(tr::latest_checkpoint(c.output), tr::checkpoint_path(c.output, 6));

  const auto lines = metrics_of(c.output);
  ASSERT_EQ(lines.size(), 6u);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const auto& line = lines[i];
    EXPECT_EQ(line["step"], static_cast<int64_t>(i + 1));
    EXPECT_DOUBLE_EQ(line["lr"].get<double>(), tr::learning_rate(c.optim, static_cast<int64_t>(i)));
    const double sum = c.objectives.contrastive * line["contrastive"].get<double>() +
                       c.objectives.trace_attention * line["trace_attention"].get<double>();
    EXPECT_NEAR(line["loss"].get<double>(), sum, 1e-4 * std::abs(sum));
    EXPECT_GT(line["samples_per_s"].get<double>(), 0.0);
    EXPECT_GE(line["data_wait"].get<double>(), 0.0);
    EXPECT_GT(line["temperature"].get<double>(), 0.0);
  }
  EXPECT_EQ(tr::load_config(c.output / "config.json").optim.steps, 6);
}

// Stops `name` after 3 of 6 steps, resumes it with 2 workers, and checks that
// its final weights and metrics equal those of an uninterrupted run.
void expect_exact_resume(tr::TrainConfig straight, tr::TrainConfig broken) {
  tr::train(straight);
  int steps = 0;
  tr::TrainObserver stop_after_three;
  stop_after_three.progress = [&](const tr::StepMetrics&, std::int64_t) { ++steps; };
  stop_after_three.stop_requested = [&](std::int64_t) { return steps == 3; };
  const auto first = tr::train(broken, false, stop_after_three);
  EXPECT_FALSE(first.finished);
  EXPECT_EQ(first.steps, 3);
  // A different worker count may not change the result.
  auto resumed_config = broken;
  resumed_config.data.workers = 2;
  std::vector<std::int64_t> started;  // what a progress display is told before the first step
  tr::TrainObserver watch;
  watch.started = [&](std::int64_t start, std::int64_t total) { started = {start, total}; };
  const auto resumed = tr::train(resumed_config, true, watch);
  EXPECT_EQ(started, (std::vector<std::int64_t>{3, 6}));
  EXPECT_EQ(resumed.start_step, 3);
  EXPECT_TRUE(resumed.finished);

  const auto a = weights_of(tr::checkpoint_path(straight.output, 6), straight);
  const auto b = weights_of(tr::checkpoint_path(broken.output, 6), broken);
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [name, tensor] : a) EXPECT_TRUE(torch::equal(tensor, b.at(name))) << name;
  // metrics.jsonl reads as one run's: steps 1..6 once each, losses equal.
  const auto la = metrics_of(straight.output);
  const auto lb = metrics_of(broken.output);
  ASSERT_EQ(la.size(), lb.size());
  for (std::size_t i = 0; i < la.size(); ++i) {
    EXPECT_EQ(la[i]["step"], lb[i]["step"]);
    EXPECT_EQ(la[i]["loss"], lb[i]["loss"]) << "step " << i + 1;
  }
}

TEST_F(train_test, a_resumed_run_ends_exactly_where_an_uninterrupted_one_does) {
  expect_exact_resume(tiny("straight"), tiny("broken"));
}

TEST_F(train_test, a_resumed_run_with_every_random_objective_ends_exactly_too) {
  // Hard negatives, word draws, caption masks, distortions and ICMLM's masked
  // words all come from per-step generators.
  auto straight = tiny("ph-straight");
  auto broken = tiny("ph-broken");
  for (auto* c : {&straight, &broken}) {
    c->objectives.itm = 1;
    c->objectives.soft_mask = 1;
    c->objectives.mm_augment = true;
    c->objectives.icmlm = 1;
  }
  expect_exact_resume(straight, broken);
}

TEST_F(train_test, previews_of_attention_arrive_every_n_steps_and_change_nothing_of_the_run) {
  const auto plain = tr::train(tiny("unwatched"));
  std::vector<std::int64_t> steps;
  std::vector<tr::AttentionSample> first;
  tr::TrainObserver observer;
  observer.preview_every = 2;
  observer.preview_samples = 3;
  observer.preview = [&](std::int64_t step, std::vector<tr::AttentionSample> samples) {
    steps.push_back(step);
    if (first.empty()) first = std::move(samples);
  };
  const auto watched = tr::train(tiny("watched"), false, observer);
  EXPECT_EQ(steps, (std::vector<std::int64_t>{0, 2, 4, 6}));  // before the first step, then every 2
  ASSERT_EQ(first.size(), 3u);
  for (const auto& sample : first) {
    EXPECT_EQ(sample.image_size, 64);
    EXPECT_EQ(sample.grid, 2);
    EXPECT_EQ(sample.bgr.size(), 64u * 64u * 3u);
    EXPECT_FALSE(sample.caption.empty());
    ASSERT_FALSE(sample.words.empty()) << sample.key;
    for (const auto& w : sample.words) {
      ASSERT_EQ(w.attention.size(), 4u);
      float sum = 0, trace = 0;
      for (float a : w.attention) sum += a;
      for (float h : w.trace) trace += h;
      EXPECT_NEAR(sum, 1.0f, 1e-5f) << w.text;    // a distribution over the cells
      EXPECT_NEAR(trace, 1.0f, 1e-4f) << w.text;  // the word's heatmap, too
      EXPECT_NE(w.text, "?");
    }
  }
  // Eval-mode passes in between leave training exactly as it was.
  EXPECT_EQ(watched.last.loss, plain.last.loss);
  EXPECT_EQ(watched.last.terms, plain.last.terms);
}

TEST_F(train_test, evaluations_during_training_arrive_every_n_steps_and_at_the_end_and_change_nothing) {
  const auto plain = tr::train(tiny("unevaluated"));
  std::vector<tr::EvalPoint> points;
  tr::TrainObserver observer;
  observer.eval_every = 4;
  observer.evaluated = [&](const tr::EvalPoint& p) { points.push_back(p); };
  const auto watched = tr::train(tiny("evaluated"), false, observer);
  ASSERT_EQ(points.size(), 2u);  // step 4, then the end (6)
  EXPECT_EQ(points[0].step, 4);
  EXPECT_EQ(points[1].step, 6);
  for (const auto& p : points) {
    EXPECT_GT(p.pairs, 0);
    EXPECT_DOUBLE_EQ(p.chance_r1, 1.0 / static_cast<double>(p.pairs));
    EXPECT_GE(p.image_to_text_r1, 0.0);
    EXPECT_LE(p.image_to_text_r1, p.image_to_text_r5);
    EXPECT_LE(p.image_to_text_r5, p.image_to_text_r10);
    EXPECT_LE(p.text_to_image_r10, 1.0);
    EXPECT_GT(p.traced_words, 0);
    EXPECT_GE(p.pointing_accuracy, 0.0);
    EXPECT_LE(p.pointing_accuracy, 1.0);
    EXPECT_GT(p.chance_pointing, 0.0);
    EXPECT_GT(p.kl, 0.0);
  }
  // The same evaluation as loctex-train eval gives for the finished run.
  auto final_model = tr::load_model(tiny("evaluated").output);
  tr::EvalOptions options;
  options.threads = 1;
  const auto report = tr::evaluate(final_model.model, final_model.config, options);
  EXPECT_DOUBLE_EQ(points[1].pointing_accuracy, report.alignment.pointing_accuracy);
  EXPECT_DOUBLE_EQ(points[1].image_to_text_r1, report.retrieval.image_to_text.r1);
  EXPECT_EQ(watched.last.loss, plain.last.loss);
  EXPECT_EQ(watched.last.terms, plain.last.terms);
}

TEST_F(train_test, a_data_set_without_validation_samples_trains_without_evaluating_or_previewing) {
  TempDir dir;
  loctex::testing::ShardSetOptions set;
  set.count = 16;
  set.val_fraction = 0;
  const auto shards = loctex::testing::build_synthetic_shards(dir.path(), set).shards;
  int evaluations = 0, previews = 0;
  tr::TrainObserver observer;
  observer.eval_every = 2;
  observer.evaluated = [&](const tr::EvalPoint&) { ++evaluations; };
  observer.preview_every = 2;
  observer.preview = [&](std::int64_t, std::vector<tr::AttentionSample>) { ++previews; };
  const auto summary = tr::train(loctex::testing::tiny_config(shards, dir / "run"), false, observer);
  EXPECT_TRUE(summary.finished);
  EXPECT_EQ(evaluations, 0);
  EXPECT_EQ(previews, 0);
}

TEST_F(train_test, refuses_to_overwrite_or_to_resume_a_changed_run) {
  const auto c = tiny("guarded");
  tr::train(c);
  EXPECT_NE(error_of([&] { tr::train(c); }).find("--resume"), std::string::npos);
  auto changed = c;
  changed.optim.lr = 0.5;
  EXPECT_NE(error_of([&] { tr::train(changed, true); }).find("config differs"), std::string::npos);
  // Resuming a finished run does nothing more.
  const auto again = tr::train(c, true);
  EXPECT_EQ(again.start_step, 6);
  EXPECT_EQ(again.steps, 6);
  EXPECT_EQ(metrics_of(c.output).size(), 6u);
}

TEST_F(train_test, the_loss_falls) {
  // Without augmentation, so that 60 steps over 36 samples can fit them:
  // both terms must fall well below where they start (measured: the sum of
  // five losses 15.7 at the start, 8.8 at the end; trace KL 0.85 to 0.31).
  auto c = tiny("learns");
  c.optim.steps = 60;
  c.optim.warmup_steps = 5;
  c.optim.lr = 3e-3;
  c.data.augment.crop_min_scale = 1;
  c.data.augment.crop_min_ratio = c.data.augment.crop_max_ratio = 1;
  c.data.augment.flip = 0;
  c.data.augment.jitter = 0;
  c.checkpoint_every = 1000;
  tr::train(c);
  const auto lines = metrics_of(c.output);
  ASSERT_EQ(lines.size(), 60u);
  const auto sum = [&](const char* key, std::size_t begin) {
    double total = 0;
    for (std::size_t i = begin; i < begin + 5; ++i) total += lines[i][key].get<double>();
    return total;
  };
  EXPECT_LT(sum("loss", 55), 0.75 * sum("loss", 0));
  EXPECT_LT(sum("trace_attention", 55), 0.6 * sum("trace_attention", 0));
  EXPECT_LT(sum("contrastive", 55), 0.9 * sum("contrastive", 0));
}

TEST_F(train_test, park_and_han_objectives_train_and_log_their_terms) {
  for (const char* source : {"gradcam", "trace"}) {
    auto c = tiny(std::string("park-han-") + source);
    c.objectives.itm = 1;
    c.objectives.soft_mask = 0.5;
    c.objectives.soft_mask_source = source;
    c.objectives.focal_itc = 1;
    c.objectives.mm_augment = true;
    c.optim.steps = 3;
    const auto summary = tr::train(c);
    EXPECT_TRUE(summary.finished);
    const auto lines = metrics_of(c.output);
    ASSERT_EQ(lines.size(), 3u);
    double sum = 0;
    for (const char* term : {"contrastive", "focal_itc", "trace_attention", "itm", "soft_mask"}) {
      ASSERT_TRUE(lines[0].contains(term)) << term;
      EXPECT_TRUE(std::isfinite(lines[0][term].get<double>())) << term;
      sum += lines[0][term].get<double>() * (std::string(term) == "soft_mask" ? 0.5 : 1.0);
    }
    EXPECT_NEAR(lines[0]["loss"].get<double>(), sum, 1e-4 * sum);
    // A 2-way classifier starts near chance: log 2.
    EXPECT_NEAR(lines[0]["itm"].get<double>(), std::log(2.0), 0.35);
  }
}

TEST_F(train_test, icmlm_trains_with_either_head_and_logs_its_accuracy) {
  for (const char* head : {"tfm", "att-fc"}) {
    auto c = tiny(std::string("icmlm-") + head);
    c.objectives.icmlm = 1;
    c.objectives.icmlm_head = head;
    c.objectives.icmlm_hidden = 64;
    c.optim.steps = 3;
    tr::train(c);
    const auto lines = metrics_of(c.output);
    ASSERT_EQ(lines.size(), 3u);
    // Untrained, the masked word is one of the vocabulary's ~50 tokens.
    const auto vocabulary = loctex::core::Vocabulary::load(c.data.shards / "vocab.txt");
    EXPECT_NEAR(lines[0]["icmlm"].get<double>(), std::log(static_cast<double>(vocabulary.size())), 1.0)
        << head;
    EXPECT_GE(lines[0]["icmlm_accuracy"].get<double>(), 0.0);
    EXPECT_LE(lines[0]["icmlm_accuracy"].get<double>(), 1.0);
    const double sum = lines[0]["contrastive"].get<double>() + lines[0]["trace_attention"].get<double>() +
                       lines[0]["icmlm"].get<double>();
    EXPECT_NEAR(lines[0]["loss"].get<double>(), sum, 1e-4 * sum);
  }
}

TEST_F(train_test, a_bad_config_is_refused_before_any_work) {
  auto c = tiny("bad");
  c.objectives.trace_loss = "cosine";
  EXPECT_NE(error_of([&] { tr::train(c); }).find("objectives.trace_loss"), std::string::npos);
  EXPECT_FALSE(fs::exists(c.output));
}

}  // namespace
