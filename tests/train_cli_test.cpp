// loctex-train as a user runs it: --help, --print-config, exit codes, a
// short run, --resume, and export read back by Python's torch.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_support.h"
#include "tool_run.h"

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;
using loctex::testing::q;
using loctex::testing::run;
using loctex::testing::TempDir;

// A tiny model over shards built from 24 synthetic narratives.
struct Set {
  TempDir dir;
  fs::path shards = dir / "shards";
  fs::path config = dir / "tiny.json";
  Set() {
    const auto synth =
        run("loctex-synth", "--out " + q(dir / "synth") + " --count 24 --width 96 --height 72", dir);
    EXPECT_EQ(synth.exit_code, 0) << synth.err;
    const auto build =
        run("loctex-build-dataset",
            q(dir / "synth" / "narratives.jsonl") + " --images " + q(dir / "synth" / "images") + " --out " +
                q(shards) + " --image-size 64 --heatmap-size 8 --val-fraction 0.3 -q",
            dir);
    EXPECT_EQ(build.exit_code, 0) << build.err;
    loctex::testing::write_text(
        config, R"({"model": {"image_size": 64, "width": 0.125, "embed_dim": 32, "text_width": 32,
                   "text_heads": 2, "text_layers": 1, "max_words": 24},
                   "optim": {"batch_size": 4, "steps": 4, "warmup_steps": 1},
                   "data": {"workers": 1}, "threads": 1, "checkpoint_every": 2, "log_every": 1})");
  }
  std::string train(const fs::path& out, const std::string& more = {}) const {
    return "-c " + q(config) + " --shards " + q(shards) + " --out " + q(out) + " " + more;
  }
};

TEST(train_cli_test, help_shows_examples_and_exit_codes) {
  TempDir dir;
  const auto r = run("loctex-train", "--help", dir);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("Examples:"), std::string::npos);
  EXPECT_NE(r.out.find("4  stopped"), std::string::npos);
  EXPECT_NE(r.out.find("--resume"), std::string::npos);
}

TEST(train_cli_test, print_config_applies_flags_over_the_file) {
  Set set;
  const auto r = run("loctex-train", "-c " + q(set.config) + " --lr 0.02 --print-config", set.dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto json = Json::parse(r.out);
  EXPECT_EQ(json["optim"]["lr"], 0.02);
  EXPECT_EQ(json["optim"]["batch_size"], 4);       // from the file
  EXPECT_EQ(json["optim"]["weight_decay"], 0.01);  // default
}

TEST(train_cli_test, bad_configs_exit_2_naming_the_key) {
  Set set;
  loctex::testing::write_text(set.dir / "typo.json", R"({"optim": {"learning_rate": 1}})");
  auto r = run("loctex-train", "-c " + q(set.dir / "typo.json") + " --shards x --out y", set.dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("optim.learning_rate: unknown key"), std::string::npos) << r.err;
  r = run("loctex-train", set.train(set.dir / "run", "--trace-loss cosine"), set.dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("objectives.trace_loss"), std::string::npos) << r.err;
  fs::create_directories(set.dir / "empty-run");
  r = run("loctex-train", "export " + q(set.dir / "empty-run") + " --out " + q(set.dir / "b.pt"), set.dir);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no checkpoint in " + (set.dir / "empty-run" / "checkpoints").string()),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(fs::exists(set.dir / "b.pt"));
  r = run("loctex-train", "--shards " + q(set.shards), set.dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("output: is required"), std::string::npos) << r.err;
}

TEST(train_cli_test, trains_resumes_and_exports_for_python) {
  Set set;
  const auto out = set.dir / "run";
  auto r = run("loctex-train", set.train(out, "--json -q"), set.dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto summary = Json::parse(r.out);
  EXPECT_EQ(summary["steps"], 4);
  EXPECT_EQ(summary["finished"], true);
  EXPECT_TRUE(fs::exists(out / "checkpoints" / "step-000004.pt"));

  r = run("loctex-train", set.train(out, "-q"), set.dir);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("--resume"), std::string::npos) << r.err;
  r = run("loctex-train", set.train(out, "--resume --steps 6 -q"), set.dir);
  EXPECT_EQ(r.exit_code, 2);  // a longer schedule is another run
  EXPECT_NE(r.err.find("config differs"), std::string::npos) << r.err;

  r = run("loctex-train", "export " + q(out) + " --out " + q(set.dir / "backbone.pt"), set.dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("step-000004.pt"), std::string::npos) << r.err;
  // The names are torchvision's resnet18's (the shapes are those of width 0.125).
  const std::string script =
      "import sys, torch, torchvision\n"
      "sd = torch.load(sys.argv[1])\n"
      "ref = torchvision.models.resnet18().state_dict()\n"
      "assert list(sd.keys()) == list(ref.keys()), 'keys differ'\n"
      "assert tuple(sd['conv1.weight'].shape) == (8, 3, 7, 7), sd['conv1.weight'].shape\n"
      "print('ok')\n";
  loctex::testing::write_text(set.dir / "check.py", script);
  const auto python = loctex::testing::run_command("/usr/bin/python3 " + q(set.dir / "check.py") + " " +
                                                   q(set.dir / "backbone.pt") + " 2>&1");
  EXPECT_EQ(python.exit_code, 0) << python.out;
  EXPECT_EQ(python.out, "ok\n");

  // eval: the run, a random model and a baseline, in a table and a JSON file.
  r = run("loctex-train",
          "eval " + q(out) + " --objects " + q(set.dir / "synth" / "objects.jsonl") + " --baseline " +
              q(out) + " --out " + q(set.dir / "report.json") + " -j 1 --json",
          set.dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* row : {"R@1 image->text", "pointing (trace top 50%)", "box pointing", "probe: shape"})
    EXPECT_NE(r.err.find(row), std::string::npos) << row;
  const auto report = Json::parse(r.out);
  EXPECT_EQ(report, Json::parse(loctex::testing::read_text(set.dir / "report.json")));
  EXPECT_EQ(report["step"], 4);
  for (const char* which : {"trained", "random"}) {
    const auto& retrieval = report[which]["retrieval"];
    EXPECT_GT(retrieval["pairs"].get<int>(), 0) << which;
    EXPECT_DOUBLE_EQ(retrieval["chance_r1"].get<double>(), 1.0 / retrieval["pairs"].get<double>());
    EXPECT_TRUE(report[which]["attention"].contains("box_pointing_accuracy")) << which;
  }
  // The baseline is the same run here, so its report equals the trained one
  // (but for the time taken).
  auto trained = report["trained"];
  auto baseline = report["baseline"]["report"];
  trained.erase("seconds");
  baseline.erase("seconds");
  EXPECT_EQ(trained, baseline);

  // overlays: one sheet per validation sample asked for.
  r = run("loctex-train", "overlays " + q(out) + " --out " + q(set.dir / "overlays") + " --samples 2 -j 1",
          set.dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::size_t sheets = 0;
  for (const auto& entry : fs::directory_iterator(set.dir / "overlays"))
    sheets += fs::exists(entry.path() / "sheet.png") ? 1 : 0;
  EXPECT_EQ(sheets, 2u);
  EXPECT_NE(r.err.find("for 2 samples"), std::string::npos) << r.err;
}

}  // namespace
