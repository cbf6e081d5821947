// Whole-program tests of loctex-build-dataset, and the proof that the shards
// are WebDataset: Python's tarfile and numpy read them (check_webdataset.py).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <string>

#include "test_support.h"
#include "tool_run.h"

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;
using loctex::testing::q;
using loctex::testing::read_text;
using loctex::testing::run;
using loctex::testing::TempDir;
using loctex::testing::ToolRun;
using loctex::testing::write_text;

struct Fixture {
  TempDir dir;
  fs::path synth = dir / "synth";
  fs::path out = dir / "out";
  Fixture() {
    const ToolRun s = run("loctex-synth", "--out " + q(synth) + " --count 10 --seed 3 --quiet", dir);
    EXPECT_EQ(s.exit_code, 0) << s.err;
  }
  std::string inputs() const { return q(synth / "narratives.jsonl") + " --images " + q(synth / "images"); }
};

TEST(build_dataset_cli_test, help_shows_examples_and_exit_codes) {
  TempDir dir;
  const ToolRun r = run("loctex-build-dataset", "--help", dir);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("loctex-build-dataset narratives.jsonl --images images --out dataset"),
            std::string::npos);
  EXPECT_NE(r.out.find("3  done, but some inputs were skipped"), std::string::npos);
  EXPECT_NE(r.out.find("--image-pattern"), std::string::npos);
}

TEST(build_dataset_cli_test, shards_read_back_with_python_tarfile_and_numpy) {
  Fixture f;
  const ToolRun r =
      run("loctex-build-dataset", f.inputs() + " --out " + q(f.out) + " --shard-samples 3 --json", f.dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto summary = Json::parse(r.out);
  EXPECT_EQ(summary.at("records"), 10);
  EXPECT_EQ(summary.at("samples").at("train").get<int>() + summary.at("samples").at("val").get<int>(), 10);

  const std::string command = "/usr/bin/python3 " + std::string(LOCTEX_SOURCE_DIR) +
                              "/tests/check_webdataset.py " + q(f.out) + " " +
                              q(f.synth / "narratives.jsonl") + " > " + q(f.dir / "py.txt") + " 2>&1";
  EXPECT_EQ(std::system(command.c_str()), 0) << read_text(f.dir / "py.txt");
  EXPECT_NE(read_text(f.dir / "py.txt").find("10 samples in"), std::string::npos)
      << read_text(f.dir / "py.txt");
}

TEST(build_dataset_cli_test, skipped_inputs_exit_3_and_strict_exits_1) {
  Fixture f;
  fs::remove(f.synth / "images" / "000003.jpg");
  const ToolRun r = run("loctex-build-dataset", f.inputs() + " --out " + q(f.out), f.dir);
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("skipped " + (f.synth / "narratives.jsonl").string() + ":4 (image): cannot read"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.out.find("skipped: 1, image 1 (see errors.jsonl)"), std::string::npos) << r.out;

  const ToolRun strict =
      run("loctex-build-dataset", f.inputs() + " --out " + q(f.dir / "strict") + " --strict", f.dir);
  EXPECT_EQ(strict.exit_code, 1);
  EXPECT_NE(strict.err.find("--strict: "), std::string::npos) << strict.err;
}

TEST(build_dataset_cli_test, refuses_a_non_empty_output_and_resumes_a_finished_one) {
  Fixture f;
  ASSERT_EQ(run("loctex-build-dataset", f.inputs() + " --out " + q(f.out) + " -q", f.dir).exit_code, 0);
  const ToolRun again = run("loctex-build-dataset", f.inputs() + " --out " + q(f.out), f.dir);
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("is not empty"), std::string::npos) << again.err;
  const ToolRun resumed =
      run("loctex-build-dataset", f.inputs() + " --out " + q(f.out) + " --resume --json", f.dir);
  EXPECT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_EQ(Json::parse(resumed.out).at("already_complete"), true);
}

TEST(build_dataset_cli_test, bad_command_lines_exit_2_naming_the_option) {
  Fixture f;
  EXPECT_EQ(run("loctex-build-dataset", f.inputs(), f.dir).exit_code, 2);  // no --out
  const ToolRun part = run("loctex-build-dataset", f.inputs() + " --out " + q(f.out) + " --part 3/3", f.dir);
  EXPECT_EQ(part.exit_code, 2);
  EXPECT_NE(part.err.find("--part '3/3': INDEX must be less than COUNT"), std::string::npos) << part.err;
  const ToolRun quality =
      run("loctex-build-dataset", f.inputs() + " --out " + q(f.out) + " --jpeg-quality 0", f.dir);
  EXPECT_EQ(quality.exit_code, 2);
  EXPECT_NE(quality.err.find("--jpeg-quality"), std::string::npos) << quality.err;
}

TEST(build_dataset_cli_test, parts_built_apart_merge_into_one_manifest) {
  Fixture f;
  std::string folders;
  for (int i = 0; i < 2; ++i) {
    const fs::path part = f.dir / std::string("part").append(std::to_string(i));
    const ToolRun r = run("loctex-build-dataset",
                          f.inputs() + " --out " + q(part) + " --part " + std::to_string(i) + "/2 -q", f.dir);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    folders.append(" ").append(q(part));
  }
  const ToolRun merged = run("loctex-build-dataset", "merge --out " + q(f.out) + folders + " --json", f.dir);
  ASSERT_EQ(merged.exit_code, 0) << merged.err;
  const auto summary = Json::parse(merged.out);
  EXPECT_EQ(summary.at("parts"), 2);
  EXPECT_EQ(summary.at("samples").at("train").get<int>() + summary.at("samples").at("val").get<int>(), 10);
  // The merged manifest points at the parts' shards; Python reads them all.
  const std::string command = "/usr/bin/python3 " + std::string(LOCTEX_SOURCE_DIR) +
                              "/tests/check_webdataset.py " + q(f.out) + " > " + q(f.dir / "py.txt") +
                              " 2>&1";
  EXPECT_EQ(std::system(command.c_str()), 0) << read_text(f.dir / "py.txt");
}

}  // namespace
