// loctex-synth: writes the seeded synthetic Localized Narratives set that
// serves as demo data and training benchmark (see docs/synthetic-data.md).

#include <algorithm>
#include <exception>
#include <filesystem>
#include <iostream>
#include <stdexcept>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "core/progress.h"
#include "core/synthetic.h"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitRuntimeError = 1;
constexpr int kExitBadUsage = 2;

struct Command {
  loctex::core::SynthOptions synth;
  std::filesystem::path out;
  bool json = false;
  bool quiet = false;
};

// Option errors from the library name a SynthOptions field ("max_objects");
// each flag is that field's name with dashes, so say it as the user typed it.
std::string as_flag(const std::string& message) {
  const auto end = message.find(' ');
  std::string field = message.substr(0, end);
  std::replace(field.begin(), field.end(), '_', '-');
  return "--" + field + message.substr(end);
}

// CLI11 2.1 parses "-3" into an unsigned option as 2^64 - 3; refuse it first.
const CLI::Validator kNotNegative(
    [](std::string& value) {
      return value.starts_with('-') ? std::string("must not be negative") : std::string();
    },
    "");

}  // namespace

int main(int argc, char** argv) {
  using loctex::core::kSynthMaxObjects;
  using loctex::core::kSynthMaxSide;
  using loctex::core::kSynthMinSide;

  CLI::App cli{
      "Generate a seeded synthetic Localized Narratives set: JPEG images of simple shapes, captions that "
      "describe them, timed captions and mouse traces that visit each object while it is named."};
  cli.footer(
      "Writes DIR/images/{image_id}.jpg, DIR/narratives.jsonl (Localized Narratives JSONL) and\n"
      "DIR/objects.jsonl (each object's label, box and caption words). The same options give\n"
      "byte-identical files. See docs/synthetic-data.md.\n"
      "\n"
      "Example:\n"
      "  loctex-synth --out demo --count 200 --seed 7\n"
      "\n"
      "Exit codes: 0 success, 1 runtime error (e.g. a file cannot be written), 2 bad usage.");

  Command cmd;
  auto& o = cmd.synth;
  cli.add_option("--out", cmd.out, "Output folder, created if missing")->required();
  cli.add_option("--count", o.count, "Number of images, at least 1")
      ->capture_default_str()
      ->check(kNotNegative);
  cli.add_option("--seed", o.seed, "Seed; sample i depends only on the seed and i")
      ->capture_default_str()
      ->check(kNotNegative);
  cli.add_option("--width", o.width, "Image width in pixels")
      ->capture_default_str()
      ->check(CLI::Range(kSynthMinSide, kSynthMaxSide));
  cli.add_option("--height", o.height, "Image height in pixels")
      ->capture_default_str()
      ->check(CLI::Range(kSynthMinSide, kSynthMaxSide));
  cli.add_option("--min-objects", o.min_objects, "Fewest objects per image")
      ->capture_default_str()
      ->check(CLI::Range(1, kSynthMaxObjects));
  cli.add_option("--max-objects", o.max_objects, "Most objects per image")
      ->capture_default_str()
      ->check(CLI::Range(1, kSynthMaxObjects));
  cli.add_option("--dataset-id", o.dataset_id, "dataset_id of every narrative")->capture_default_str();
  cli.add_option("--jpeg-quality", o.jpeg_quality, "JPEG quality")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
  cli.add_option("--annotators", o.annotators, "Number of synthetic annotators, at least 1")
      ->capture_default_str();
  cli.add_flag("--json", cmd.json, "Print a JSON summary on stdout instead of a sentence");
  cli.add_flag("-q,--quiet", cmd.quiet, "No progress on stderr");

  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return cli.exit(e) == 0 ? kExitOk : kExitBadUsage;  // --help exits 0
  }
  try {
    loctex::core::validate_synth_options(cmd.synth);
  } catch (const std::invalid_argument& e) {
    std::cerr << "loctex-synth: " << as_flag(e.what()) << "\nRun with --help for more information.\n";
    return kExitBadUsage;
  }

  try {
    loctex::core::ProgressLine progress("loctex-synth: images", o.count, !cmd.quiet && !cmd.json);
    const auto report = loctex::core::write_synthetic_set(
        cmd.synth, cmd.out, [&](std::size_t done, std::size_t) { progress.update(done); });
    progress.finish();
    if (cmd.json) {
      const nlohmann::ordered_json summary = {
          {"count", report.images},
          {"seed", o.seed},
          {"narratives", report.narratives_file.string()},
          {"objects_file", report.objects_file.string()},
          {"images", report.images_dir.string()},
          {"objects", report.objects},
          {"words", report.words},
          {"utterances", report.utterances},
          {"segments", report.segments},
          {"points", report.points},
      };
      std::cout << summary.dump() << '\n';
    } else {
      std::cout << "wrote " << report.images << " images, " << report.words << " words and " << report.points
                << " trace points to " << cmd.out.string() << '\n';
    }
  } catch (const std::exception& e) {
    std::cerr << "loctex-synth: " << e.what() << '\n';
    return kExitRuntimeError;
  }
  return kExitOk;
}
