// loctex-align: gives Localized Narratives word times from the annotators'
// own voices, offline and reproducibly (forced alignment with pocketsphinx).
#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "align/batch_align.h"
#include "core/line_error.h"
#include "core/progress.h"

namespace {

namespace al = loctex::align;

// Documented in --help and docs/alignment.md.
enum ExitCode : int { kOk = 0, kFailed = 1, kUsage = 2, kPartial = 3 };

constexpr const char* kFooter = R"(Examples:
  loctex-align narratives.jsonl --out aligned
  loctex-align coco_val_localized_narratives.jsonl --audio ln-voice --out aligned --threads 8
  loctex-align shard-0000*.jsonl --audio voices --out aligned --json > summary.json

Each record's typed caption is aligned to its voice_recording (WAV, FLAC or
OGG/Vorbis, any sample rate; a relative path is found in --audio, or beside
the input). The output folder gets one LN JSONL per input, same name, each
record with a new timed_caption (one utterance per word) and a
"loctex_alignment" field: per word a confidence from 0 to 1 and the doubts
behind it, and the spans of voice no typed word covers. Records that cannot
be aligned are copied as they were and listed in errors.jsonl with their
file, line and reason. An absolute voice_recording ignores --audio. Each
thread loads its own model (about 54 MB). Run again into the same --out
with --overwrite. docs/alignment.md describes it all.

Exit codes:
  0  every record aligned
  1  failed (an input not found, outputs already in --out, the model missing, ...)
  2  bad command line
  3  done, but some records kept their old times (listed in errors.jsonl)
)";

struct Options {
  al::BatchOptions batch;
  std::vector<std::string> inputs;
  bool json = false;
  bool quiet = false;
};

int run(Options& o) {
  for (const auto& input : o.inputs) o.batch.inputs.emplace_back(input);
  std::optional<loctex::core::ProgressLine> progress;
  al::BatchObserver observer;
  observer.progress = [&](std::uint64_t done, std::uint64_t total) {
    if (!progress) progress.emplace("align: records", total, !o.quiet && !o.json);
    progress->update(done);
  };
  observer.failed = [&](const al::BatchError& e) {
    if (!o.quiet)
      std::cerr << loctex::core::file_line(e.source, e.line) << ": kept its old times (" << e.stage
                << "): " << e.reason << "\n";
  };
  const auto s = al::align_batch(o.batch, observer);
  if (progress) progress->finish();
  if (o.json) {
    std::cout << s.to_json().dump(2) << "\n";
  } else {
    char rate[64];
    std::snprintf(rate, sizeof rate, "%.1f s of voice in %.1f s", s.audio_seconds, s.seconds);
    std::cout << "aligned " << s.aligned << " of " << s.records << " records (" << rate << ")\n"
              << "words: " << s.words << ", " << s.words_aligned << " found in the voice, "
              << s.words_to_check << " to check; " << s.untyped_speech
              << " stretches of voice no typed word covers\n"
              << "kept old times: " << s.failed;
    for (const auto& [stage, n] : s.failed_by_stage) std::cout << ", " << stage << " " << n;
    std::cout << (s.failed > 0 ? " (see errors.jsonl)" : "") << "\n"
              << "output: " << o.batch.output.string() << "\n";
  }
  return s.failed == 0 ? kOk : kPartial;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{
      "Aligns the typed captions of Localized Narratives to the annotators' voices, giving each word its "
      "time.",
      "loctex-align"};
  cli.footer(kFooter);
  cli.get_formatter()->column_width(30);
  Options o;
  auto& b = o.batch;
  cli.add_option("inputs", o.inputs, "LN JSONL files")->required();
  cli.add_option("-o,--out", b.output, "Output folder")->required();
  cli.add_option("--audio", b.audio_root,
                 "Folder the voice_recording paths are relative to (default: the input's)");
  cli.add_option("-j,--threads", b.threads, "Recordings aligned at once; 0 uses every core")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cli.add_option("--model", b.aligner.model, "pocketsphinx acoustic model folder")->capture_default_str();
  cli.add_option("--dictionary", b.aligner.dictionary, "Pronouncing dictionary")->capture_default_str();
  cli.add_flag("--overwrite", b.overwrite, "Replace an earlier run's files in --out");
  cli.add_flag("--json", o.json, "Print a JSON summary on stdout");
  cli.add_flag("-q,--quiet", o.quiet, "No progress or kept-record lines on stderr");
  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = cli.exit(e);
    return code == 0 ? kOk : kUsage;
  }
  try {
    return run(o);
  } catch (const std::exception& e) {
    std::cerr << "loctex-align: " << e.what() << "\n";
    return kFailed;
  }
}
