// Whole-program tests: the command-line tools as a user runs them.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include <cstdio>
#include <string>

#include "core/ln_jsonl.h"
#include "core/vocabulary.h"
#include "core/words.h"
#include "test_support.h"
#include "tool_run.h"

namespace {

using loctex::testing::q;
using loctex::testing::read_text;
using loctex::testing::run;
using loctex::testing::TempDir;
using loctex::testing::ToolRun;

// A synthesised set of three narratives with images, and an empty project.
struct Fixture {
  TempDir dir;
  std::filesystem::path synth = dir / "synth";
  std::filesystem::path project = dir / "project";
  Fixture() {
    const ToolRun s = run("loctex-synth", "--out " + q(synth) + " --count 3 --seed 5 --quiet", dir);
    EXPECT_EQ(s.exit_code, 0) << s.err;
    const ToolRun i = run("loctex-project", "init " + q(project), dir);
    EXPECT_EQ(i.exit_code, 0) << i.err;
  }
  // `loctex-project import` of the synthesised narratives, with `options` after.
  ToolRun import_synth(const std::string& options = "") const {
    return run("loctex-project", "import " + q(project) + " " + q(synth / "narratives.jsonl") + " " + options,
               dir);
  }
  std::string with_images() const { return "--images " + q(synth / "images"); }
};

TEST(cli_test, help_shows_examples_and_exit_codes) {
  TempDir dir;
  const ToolRun r = run("loctex-project", "--help", dir);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("loctex-project import my-project narratives.jsonl"), std::string::npos);
  EXPECT_NE(r.out.find("3  done, but some inputs were skipped"), std::string::npos);
}

TEST(cli_test, bad_command_line_exits_2_naming_the_option) {
  TempDir dir;
  const ToolRun r = run("loctex-project", "render " + q(dir.path()) + " --out x --grid 0", dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--grid"), std::string::npos) << r.err;
}

TEST(cli_test, init_refuses_an_existing_project) {
  Fixture f;
  const ToolRun r = run("loctex-project", "init " + q(f.project), f.dir);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(f.project.filename().string()), std::string::npos) << r.err;
}

TEST(cli_test, synth_import_render_export_round_trip) {
  Fixture f;
  const ToolRun imp = f.import_synth(f.with_images() + " --json");
  ASSERT_EQ(imp.exit_code, 0) << imp.err;
  const auto summary = nlohmann::json::parse(imp.out);
  EXPECT_EQ(summary["imported"], 3);
  EXPECT_EQ(summary["skipped"], 0);

  const auto rows =
      nlohmann::json::parse(run("loctex-project", "list " + q(f.project) + " --json", f.dir).out);
  ASSERT_EQ(rows.size(), 3u);
  for (const auto& row : rows) {
    EXPECT_EQ(row["status"], "done");
    // Images were copied into the project.
    EXPECT_NE(row["image_file"].get<std::string>().find((f.project / "images").string()), std::string::npos);
  }

  const ToolRun ren =
      run("loctex-project", "render " + q(f.project) + " --out " + q(f.dir / "overlays") + " --words --json",
          f.dir);
  ASSERT_EQ(ren.exit_code, 0) << ren.err;
  const auto rendered = nlohmann::json::parse(ren.out);
  EXPECT_EQ(rendered["narratives"], 3);
  std::size_t sheets = 0, pngs = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(f.dir / "overlays")) {
    if (entry.path().extension() != ".png") continue;
    ++pngs;
    EXPECT_FALSE(cv::imread(entry.path().string()).empty()) << entry.path();
    if (entry.path().filename() == "sheet.png") ++sheets;
  }
  EXPECT_EQ(sheets, 3u);
  EXPECT_EQ(pngs, rendered["files"].get<std::size_t>());
  EXPECT_GT(pngs, 3u);

  const ToolRun exp = run("loctex-project", "export " + q(f.project) + " " + q(f.dir / "back.jsonl"), f.dir);
  ASSERT_EQ(exp.exit_code, 0) << exp.err;
  EXPECT_EQ(read_text(f.dir / "back.jsonl"), read_text(f.synth / "narratives.jsonl"));
}

TEST(cli_test, vocab_counts_the_project_words) {
  Fixture f;
  ASSERT_EQ(f.import_synth().exit_code, 0);
  const ToolRun r =
      run("loctex-project", "vocab " + q(f.project) + " " + q(f.dir / "vocab.txt") + " --json", f.dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Every word of every caption, normalised, counted once per occurrence.
  const auto file = loctex::core::read_ln_file(f.synth / "narratives.jsonl");
  loctex::core::VocabularyBuilder expected;
  for (const auto& n : file.narratives)
    for (const auto& w : loctex::core::split_words(n.timed_caption)) expected.add(w.text);
  const auto written = loctex::core::Vocabulary::load(f.dir / "vocab.txt");
  EXPECT_EQ(written, expected.build(1));
  EXPECT_EQ(nlohmann::json::parse(r.out)["tokens"], written.size());
  EXPECT_GT(written.count(written.id("a")), 3u);  // every synthetic object is "a SIZE COLOUR SHAPE"
}

TEST(cli_test, strict_import_of_a_bad_file_imports_nothing) {
  Fixture f;
  const std::string good = read_text(f.synth / "narratives.jsonl");
  loctex::testing::write_text(f.dir / "bad.jsonl",
                              good.substr(0, good.find('\n') + 1) + "{\"dataset_id\": 3}\n");
  const ToolRun r = run("loctex-project", "import " + q(f.project) + " " + q(f.dir / "bad.jsonl"), f.dir);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("bad.jsonl:2: field 'dataset_id': expected a string, got number"), std::string::npos)
      << r.err;
  EXPECT_EQ(
      nlohmann::json::parse(run("loctex-project", "list " + q(f.project) + " --json", f.dir).out).size(), 0u);
}

TEST(cli_test, lenient_import_skips_and_reports_bad_lines) {
  Fixture f;
  const std::string good = read_text(f.synth / "narratives.jsonl");
  loctex::testing::write_text(f.dir / "bad.jsonl", "not json\n" + good);
  const ToolRun r = run("loctex-project",
                        "import " + q(f.project) + " " + q(f.dir / "bad.jsonl") + " --lenient --json", f.dir);
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("bad.jsonl:1: bad JSON"), std::string::npos) << r.err;
  const auto summary = nlohmann::json::parse(r.out);
  EXPECT_EQ(summary["imported"], 3);
  EXPECT_EQ(summary["skipped"], 1);
  EXPECT_EQ(summary["problems"], 1);
  EXPECT_EQ(summary["errors"][0]["line"], 1);
}

TEST(cli_test, strict_import_of_several_files_is_one_change) {
  Fixture f;
  loctex::testing::write_text(f.dir / "bad.jsonl", "{}\n");
  const ToolRun r = run(
      "loctex-project",
      "import " + q(f.project) + " " + q(f.synth / "narratives.jsonl") + " " + q(f.dir / "bad.jsonl"), f.dir);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("bad.jsonl:1: missing field 'dataset_id'"), std::string::npos) << r.err;
  // The good file before the bad one was rolled back too.
  EXPECT_EQ(
      nlohmann::json::parse(run("loctex-project", "list " + q(f.project) + " --json", f.dir).out).size(), 0u);
}

TEST(cli_test, negative_counts_are_bad_usage_not_huge_numbers) {
  Fixture f;
  const ToolRun vocab =
      run("loctex-project", "vocab " + q(f.project) + " " + q(f.dir / "v.txt") + " --min-count -1", f.dir);
  EXPECT_EQ(vocab.exit_code, 2);
  EXPECT_NE(vocab.err.find("--min-count"), std::string::npos) << vocab.err;
  EXPECT_FALSE(std::filesystem::exists(f.dir / "v.txt"));
  const ToolRun synth = run("loctex-synth", "--out " + q(f.dir / "s") + " --count -3", f.dir);
  EXPECT_EQ(synth.exit_code, 2);
  EXPECT_NE(synth.err.find("--count"), std::string::npos) << synth.err;
}

TEST(cli_test, synth_reports_what_it_wrote_as_json) {
  TempDir dir;
  const ToolRun r = run("loctex-synth", "--out " + q(dir / "s") + " --count 2 --seed 9 --json", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto summary = nlohmann::json::parse(r.out);
  const auto file = loctex::core::read_ln_file(dir / "s/narratives.jsonl");
  ASSERT_EQ(file.narratives.size(), 2u);
  std::size_t words = 0;
  for (const auto& n : file.narratives) words += loctex::core::split_words(n.timed_caption).size();
  EXPECT_EQ(summary["words"], words);
}

TEST(cli_test, narratives_with_alike_names_get_their_own_overlay_folders) {
  Fixture f;
  ASSERT_EQ(f.import_synth(f.with_images()).exit_code, 0);
  ASSERT_EQ(f.import_synth(f.with_images()).exit_code, 0);  // the same narratives twice
  ASSERT_EQ(run("loctex-project", "render " + q(f.project) + " --out " + q(f.dir / "o"), f.dir).exit_code, 0);
  std::size_t sheets = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(f.dir / "o"))
    if (entry.path().filename() == "sheet.png") ++sheets;
  EXPECT_EQ(sheets, 6u);
}

TEST(cli_test, render_skips_and_reports_a_narrative_without_image) {
  Fixture f;
  // Imported without --images: the project knows no image file.
  ASSERT_EQ(f.import_synth().exit_code, 0);
  const ToolRun r =
      run("loctex-project", "render " + q(f.project) + " --out " + q(f.dir / "o") + " --json", f.dir);
  EXPECT_EQ(r.exit_code, 3);
  const auto summary = nlohmann::json::parse(r.out);
  EXPECT_EQ(summary["narratives"], 0);
  ASSERT_EQ(summary["skipped"].size(), 3u);
  EXPECT_NE(summary["skipped"][0].get<std::string>().find("no image file"), std::string::npos);
}

}  // namespace
