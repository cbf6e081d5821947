// loctex-build-dataset: narratives and images in, WebDataset shards out
// (per-word trace heatmaps, resized JPEGs, a manifest), in parallel and
// resumable; `merge` joins the parts of a build spread over machines.
#include <CLI/CLI.hpp>

#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/progress.h"
#include "pipeline/builder.h"
#include "pipeline/merge.h"

namespace {

namespace pl = loctex::pipeline;
using Json = nlohmann::ordered_json;

// Documented in --help and README.md.
enum ExitCode : int { kOk = 0, kFailed = 1, kUsage = 2, kPartial = 3 };

constexpr const char* kFooter = R"(Examples:
  loctex-build-dataset narratives.jsonl --images images --out dataset
  loctex-build-dataset coco_val2017_localized_narratives.jsonl --images coco \
      --image-pattern 'mscoco_val2017=val2017/{image_id:012}.jpg' --out coco-ln --threads 8
  loctex-build-dataset my-project --out dataset --heatmap-size 32 --val-fraction 0.1
  loctex-build-dataset narratives.jsonl --images images --out dataset --resume
  loctex-build-dataset narratives.jsonl --images images --out parts/3 --part 3/8
  loctex-build-dataset merge --out dataset parts/0 parts/1 parts/2 parts/3 parts/4 parts/5 parts/6 parts/7

Inputs are LN JSONL files (Google's sharded files too) or LocTex project
folders (their done and accepted narratives). The output folder holds
train-NNNNNN.tar and val-NNNNNN.tar (KEY.jpg, KEY.json, KEY.heatmaps.npy per
sample), manifest.json, vocab.txt and errors.jsonl; docs/dataset-builder.md
describes them.

Exit codes:
  0  done
  1  failed (an unreadable input, a non-empty --out, --strict and a bad input, ...)
  2  bad command line
  3  done, but some inputs were skipped (listed in errors.jsonl)
)";

struct Options {
  pl::BuildOptions build;
  std::vector<std::string> inputs;
  std::vector<std::string> patterns;
  std::string part;
  std::vector<std::string> merge_inputs;
  bool json = false;
  bool quiet = false;
};

void print_json(const Json& j) { std::cout << j.dump(2) << "\n"; }

std::string megabytes(std::uint64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f MB", static_cast<double>(bytes) / 1e6);
  return text;
}

std::string seconds(double s) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f s", s);
  return text;
}

// "PATTERN" sets the default; "DATASET=PATTERN" one dataset's.
void apply_patterns(Options& o) {
  for (const auto& text : o.patterns) {
    const auto eq = text.find('=');
    const auto brace = text.find('{');
    if (eq != std::string::npos && (brace == std::string::npos || eq < brace))
      o.build.dataset_patterns[text.substr(0, eq)] = text.substr(eq + 1);
    else
      o.build.image_pattern = text;
  }
}

int run_build(Options& o) {
  for (const auto& input : o.inputs) o.build.inputs.emplace_back(input);
  apply_patterns(o);
  if (!o.part.empty()) o.build.part = pl::parse_part(o.part);

  std::optional<loctex::core::ProgressLine> progress;
  pl::BuildObserver observer;
  const bool chatty = !o.quiet && !o.json;
  observer.progress = [&](std::uint64_t done, std::uint64_t total) {
    if (!progress) progress.emplace("build: records", total, chatty);
    progress->update(done);
  };
  observer.skipped = [&](const pl::BuildError& e) {
    if (!o.quiet)
      std::cerr << "skipped " << e.source << ":" << e.line << " (" << e.stage << "): " << e.reason << "\n";
  };
  observer.note = [&](const std::string& text) {
    if (!o.quiet) std::cerr << text << "\n";
  };

  const auto summary = pl::build_dataset(o.build, observer);
  if (progress) progress->finish();
  if (o.json) {
    print_json(summary.to_json());
  } else {
    std::cout << "built " << summary.train_samples << " train + " << summary.val_samples << " val samples in "
              << summary.train_shards << " + " << summary.val_shards << " shards ("
              << megabytes(summary.bytes) << ") from " << summary.records << " records in "
              << seconds(summary.seconds) << "\n"
              << "words: " << summary.words << " (" << summary.words_with_trace << " with trace)\n"
              << "skipped: " << summary.skipped;
    for (const auto& [stage, n] : summary.skipped_by_stage) std::cout << ", " << stage << " " << n;
    std::cout << (summary.skipped > 0 ? " (see errors.jsonl)" : "") << "\n";
    if (summary.other_parts > 0) std::cout << "left to other parts: " << summary.other_parts << "\n";
    std::cout << "manifest: " << (o.build.output / "manifest.json").string() << "\n";
  }
  return summary.skipped == 0 ? kOk : kPartial;
}

int run_merge(Options& o) {
  std::vector<std::filesystem::path> parts(o.merge_inputs.begin(), o.merge_inputs.end());
  const auto summary = pl::merge_parts(parts, o.build.output);
  if (o.json) {
    print_json(summary.to_json());
  } else {
    std::cout << "merged " << summary.parts << " parts: " << summary.train_samples << " train + "
              << summary.val_samples << " val samples in " << summary.shards << " shards, " << summary.skipped
              << " skipped\nmanifest: " << (o.build.output / "manifest.json").string() << "\n";
  }
  return summary.skipped == 0 ? kOk : kPartial;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{
      "Builds WebDataset shards of images, captions and per-word trace heatmaps from Localized Narratives.",
      "loctex-build-dataset"};
  cli.footer(kFooter);
  cli.get_formatter()->column_width(34);
  Options o;
  auto& b = o.build;

  cli.add_option("inputs", o.inputs, "LN JSONL files or project folders");
  cli.add_option("-o,--out", b.output, "Output folder");
  cli.add_option("--images", b.image_root, "Folder the image paths are relative to (JSONL inputs)");
  cli.add_option(
      "--image-pattern", o.patterns,
      "Image path: PATTERN for all datasets or DATASET=PATTERN for one; {image_id}, {image_id:012}, "
      "{dataset_id} (default {image_id}.jpg; repeatable)");
  cli.add_option("--image-size", b.image.shorter_side,
                 "Shorter side of the stored images, pixels; 0 keeps the size")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cli.add_option("--jpeg-quality", b.image.jpeg_quality, "JPEG quality of the stored images")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
  cli.add_option("--heatmap-size", b.heatmap.grid, "Heatmap cells per side")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  cli.add_option("--sigma", b.heatmap.sigma, "Gaussian standard deviation, in cells")->capture_default_str();
  cli.add_option("--time-margin", b.heatmap.time_margin, "Seconds added on both sides of a word's time span")
      ->capture_default_str();
  cli.add_option("--val-fraction", b.val_fraction, "Share of images in the validation split")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  cli.add_option("--shard-samples", b.shard_samples, "Samples per shard at most")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cli.add_option("--shard-bytes", b.shard_bytes, "Bytes per shard at most (e.g. 500MB, 1GB); 0 for no limit")
      ->capture_default_str()
      ->transform(CLI::AsSizeValue(true));
  cli.add_option("--part", o.part, "Build only part I of N (0 <= I < N), for a build over N machines");
  cli.add_option("--vocab-min-count", b.vocab_min_count, "Words seen fewer times are left out of vocab.txt")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cli.add_option("--vocab-max-size", b.vocab_max_size,
                 "Tokens in vocab.txt at most, specials included; 0: all")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cli.add_option("-j,--threads", b.threads, "Worker threads; 0 uses every core")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cli.add_option("--in-flight", b.max_in_flight, "Samples in the pipeline at once; 0: 4 per thread")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cli.add_flag("--strict", b.strict, "Stop at the first bad input (exit 1) instead of skipping it");
  cli.add_flag("--resume", b.resume, "Go on with an interrupted build in --out, after checking its shards");
  cli.add_flag("--overwrite", b.overwrite, "Replace an earlier build's files in --out");
  cli.add_flag("--json", o.json, "Print a JSON summary on stdout");
  cli.add_flag("-q,--quiet", o.quiet, "No progress, notes or skipped-input lines on stderr");

  auto* merge =
      cli.add_subcommand("merge", "Check the parts of a --part build and write the combined manifest");
  merge->add_option("parts", o.merge_inputs, "Output folders of the parts")->required();
  merge->add_option("-o,--out", b.output, "Folder for the combined manifest.json, vocab.txt and errors.jsonl")
      ->required();
  merge->add_flag("--json", o.json, "Print a JSON summary on stdout");
  merge->footer("Example:\n  loctex-build-dataset merge --out dataset parts/0 parts/1 parts/2 parts/3\n");

  try {
    cli.parse(argc, argv);
    if (!merge->parsed()) {
      if (o.inputs.empty()) throw CLI::RequiredError("inputs");
      if (b.output.empty()) throw CLI::RequiredError("--out");
    }
  } catch (const CLI::ParseError& e) {
    const int code = cli.exit(e);
    return code == 0 ? kOk : kUsage;
  }

  try {
    return merge->parsed() ? run_merge(o) : run_build(o);
  } catch (const std::invalid_argument& e) {
    std::cerr << "loctex-build-dataset: " << e.what() << "\n";
    return kUsage;
  } catch (const std::exception& e) {
    std::cerr << "loctex-build-dataset: " << e.what() << "\n";
    return kFailed;
  }
}
