// trainer config: JSON round trip, errors that name the key, validation, and
// the learning-rate schedule.
#include "trainer/config.h"

#include <gtest/gtest.h>

#include <cmath>

#include "test_support.h"
#include "trainer/schedule.h"

namespace {

namespace tr = loctex::trainer;
using Json = nlohmann::ordered_json;
using loctex::testing::error_of;

tr::TrainConfig valid() {
  tr::TrainConfig c;
  c.data.shards = "/data/shards";
  c.output = "/runs/a";
  return c;
}

TEST(trainer_config_test, json_round_trip_keeps_every_value) {
  auto c = valid();
  c.model.backbone = "resnet50";
  c.model.width = 0.5;
  c.objectives.trace_loss = "bce";
  c.optim.lr = 3e-4;
  c.optim.steps = 1234;
  c.data.augment.jitter = 0.1;
  c.seed = 99;
  const auto json = tr::to_json(c);
  const auto back = tr::from_json(json);
  EXPECT_EQ(tr::to_json(back), json);
  EXPECT_EQ(back.model.backbone, "resnet50");
  EXPECT_EQ(back.optim.steps, 1234);
  EXPECT_EQ(back.seed, 99u);
}

TEST(trainer_config_test, keys_present_override_the_base_and_the_rest_is_kept) {
  auto base = valid();
  base.optim.batch_size = 8;
  const auto c = tr::from_json(Json::parse(R"({"optim": {"lr": 0.01}, "model": {"embed_dim": 64}})"), base);
  EXPECT_DOUBLE_EQ(c.optim.lr, 0.01);
  EXPECT_EQ(c.model.embed_dim, 64);
  EXPECT_EQ(c.optim.batch_size, 8);
  EXPECT_EQ(c.data.shards, base.data.shards);
}

TEST(trainer_config_test, errors_name_the_key) {
  EXPECT_EQ(error_of([] { tr::from_json(Json::parse(R"({"optim": {"lr": "fast"}})")); }),
            "optim.lr: expected a number, got string");
  EXPECT_EQ(error_of([] { tr::from_json(Json::parse(R"({"model": {"widht": 1}})")); }),
            "model.widht: unknown key");
  EXPECT_EQ(error_of([] { tr::from_json(Json::parse(R"({"optim": {"steps": 1.5}})")); }),
            "optim.steps: expected an integer, got a fraction");
  EXPECT_EQ(error_of([] { tr::from_json(Json::parse(R"({"seed": -1})")); }), "seed: must not be negative");
  EXPECT_EQ(error_of([] { tr::from_json(Json::parse(R"({"data": {"augment": []}})")); }),
            "data.augment: expected an object, got array");
  EXPECT_EQ(error_of([] { tr::from_json(Json::parse(R"({"model": {"image_size": 99999999999}})")); }),
            "model.image_size: out of range");
}

TEST(trainer_config_test, load_config_names_the_file) {
  loctex::testing::TempDir dir;
  loctex::testing::write_text(dir / "c.json", R"({"optim": {"batch_size": 4}})");
  EXPECT_EQ(tr::load_config(dir / "c.json").optim.batch_size, 4);
  loctex::testing::write_text(dir / "bad.json", R"({"optim": {"batch": 4}})");
  EXPECT_EQ(error_of([&] { tr::load_config(dir / "bad.json"); }),
            (dir / "bad.json").string() + ": optim.batch: unknown key");
  EXPECT_NE(error_of([&] { tr::load_config(dir / "none.json"); }).find("none.json"), std::string::npos);
}

TEST(trainer_config_test, validate_names_the_first_bad_key) {
  EXPECT_EQ(error_of([] { tr::validate(valid()); }), "(no exception)");
  auto c = valid();
  c.model.backbone = "vgg16";
  EXPECT_EQ(error_of([&] { tr::validate(c); }),
            "model.backbone: expected resnet18, resnet34 or resnet50, got 'vgg16'");
  c = valid();
  c.model.image_size = 100;
  EXPECT_EQ(error_of([&] { tr::validate(c); }), "model.image_size: must be a multiple of 32 in [32, 1024]");
  c = valid();
  c.optim.batch_size = 1;
  EXPECT_NE(error_of([&] { tr::validate(c); }).find("optim.batch_size"), std::string::npos);
  c = valid();
  c.objectives.contrastive = 0;
  c.objectives.trace_attention = 0;
  EXPECT_EQ(error_of([&] { tr::validate(c); }), "objectives: every objective is switched off");
  c = valid();
  c.model.text_heads = 3;
  EXPECT_NE(error_of([&] { tr::validate(c); }).find("model.text_width"), std::string::npos);
  c = valid();
  c.output.clear();
  EXPECT_EQ(error_of([&] { tr::validate(c); }), "output: is required");
  c = valid();
  c.device = "tpu";
  EXPECT_EQ(error_of([&] { tr::validate(c); }), "device: expected cpu, cuda or cuda:N, got 'tpu'");
}

TEST(trainer_config_test, schedule_warms_up_linearly_then_follows_a_cosine) {
  tr::OptimConfig o;
  o.lr = 1.0;
  o.warmup_steps = 10;
  o.steps = 110;
  o.min_lr_ratio = 0.1;
  EXPECT_DOUBLE_EQ(tr::learning_rate(o, 0), 0.1);
  EXPECT_DOUBLE_EQ(tr::learning_rate(o, 4), 0.5);
  EXPECT_DOUBLE_EQ(tr::learning_rate(o, 9), 1.0);
  EXPECT_DOUBLE_EQ(tr::learning_rate(o, 10), 1.0);
  // Halfway through the decay: the mean of peak and floor.
  EXPECT_NEAR(tr::learning_rate(o, 60), 0.55, 1e-12);
  EXPECT_NEAR(tr::learning_rate(o, 110), 0.1, 1e-12);
  EXPECT_NEAR(tr::learning_rate(o, 500), 0.1, 1e-12);
  for (std::int64_t s = 10; s < 110; ++s) EXPECT_LE(tr::learning_rate(o, s + 1), tr::learning_rate(o, s));
  o.warmup_steps = 0;
  EXPECT_DOUBLE_EQ(tr::learning_rate(o, 0), 1.0);
}

}  // namespace
