// loctex-train: LocTex pretraining of a visual backbone on the shards of
// loctex-build-dataset, with checkpoints, exact resume and metrics.jsonl;
// `export` writes the backbone for torchvision.
#include <CLI/CLI.hpp>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/atomic_file.h"
#include "core/progress.h"
#include "trainer/attention_overlay.h"
#include "trainer/config.h"
#include "trainer/train.h"

namespace {

namespace tr = loctex::trainer;
using Json = nlohmann::ordered_json;

// Documented in --help and README.md.
enum ExitCode : int { kOk = 0, kFailed = 1, kUsage = 2, kStopped = 4 };

constexpr const char* kFooter = R"(Examples:
  loctex-train --shards dataset --out runs/first
  loctex-train --config configs/small.json --shards dataset --out runs/small --steps 2000
  loctex-train --shards dataset --out runs/no-trace --trace-attention-weight 0
  loctex-train --shards dataset --out runs/first --resume
  loctex-train --config run.json --print-config
  loctex-train export runs/first --out resnet18.pt
  loctex-train eval runs/first --objects synth/objects.jsonl --baseline runs/no-trace --out report.json
  loctex-train overlays runs/first --out overlays --samples 4

Keys of --config are those --print-config prints (docs/trainer.md lists them);
flags override the file. The run folder holds config.json, metrics.jsonl (one
JSON line per --log-every steps: each loss term, lr, temperature, samples/s,
share of time waiting for data) and checkpoints/step-NNNNNN.pt. Ctrl-C stops
after the current step and writes a checkpoint; --resume continues exactly.

Exit codes:
  0  done
  1  failed (unreadable shards, a run folder in use, an I/O error, ...)
  2  bad command line or config
  4  stopped by Ctrl-C or SIGTERM; a checkpoint was written, --resume continues
)";

std::atomic<bool> g_stop{false};
extern "C" void request_stop(int) { g_stop.store(true); }

struct Flags {
  tr::AttentionOverlayOptions overlays;
  tr::EvalRequest eval;
  std::string eval_out;
  std::string config_file;
  bool resume = false;
  bool json = false;
  bool quiet = false;
  bool print_config = false;
  std::string export_source;
  std::string export_out;
};

void print_summary(const tr::TrainSummary& s) {
  std::fprintf(stderr, "%s at step %lld in %.1f s: %.1f samples/s, %.1f%% of the time waiting for data\n",
               s.finished ? "finished" : "stopped", static_cast<long long>(s.steps), s.seconds,
               s.samples_per_second, 100 * s.data_wait_fraction);
  std::fprintf(stderr, "loss %.4f", s.last.loss);
  for (const auto& [name, value] : s.last.terms) std::fprintf(stderr, "  %s %.4f", name.c_str(), value);
  std::fprintf(stderr, "  temperature %.4f\ncheckpoint %s\n", s.last.temperature, s.checkpoint.c_str());
}

// One line of the comparison table: `path` into each report, "-" when absent.
void print_row(const char* label, const std::vector<std::string>& path,
               const std::vector<const Json*>& reports) {
  std::fprintf(stderr, "  %-26s", label);
  for (const Json* report : reports) {
    const Json* value = report;
    for (const auto& key : path)
      value = value && value->is_object() && value->contains(key) ? &(*value)[key] : nullptr;
    if (value && value->is_number())
      std::fprintf(stderr, " %10.3f", value->get<double>());
    else
      std::fprintf(stderr, " %10s", "-");
  }
  std::fprintf(stderr, "\n");
}

void print_comparison(const Json& result) {
  std::vector<const Json*> reports = {&result["trained"]};
  std::string header = "  " + std::string(26, ' ') + "    trained";
  if (result.contains("random")) {
    reports.push_back(&result["random"]);
    header += "     random";
  }
  if (result.contains("baseline")) {
    reports.push_back(&result["baseline"]["report"]);
    header += "   baseline";
  }
  std::fprintf(stderr, "%s\n", header.c_str());
  print_row("val pairs", {"retrieval", "pairs"}, reports);
  print_row("R@1 image->text", {"retrieval", "image_to_text", "r1"}, reports);
  print_row("R@5 image->text", {"retrieval", "image_to_text", "r5"}, reports);
  print_row("R@1 text->image", {"retrieval", "text_to_image", "r1"}, reports);
  print_row("R@1 chance", {"retrieval", "chance_r1"}, reports);
  print_row("pointing (trace top 50%)", {"attention", "pointing_accuracy"}, reports);
  print_row("pointing chance", {"attention", "chance_pointing"}, reports);
  print_row("KL(trace || attention)", {"attention", "kl"}, reports);
  print_row("box pointing", {"attention", "box_pointing_accuracy"}, reports);
  print_row("box pointing chance", {"attention", "chance_box_pointing"}, reports);
  print_row("box pointing ceiling", {"attention", "box_pointing_ceiling"}, reports);
  print_row("probe: shape", {"probe", "shape", "accuracy"}, reports);
  print_row("probe: colour", {"probe", "colour", "accuracy"}, reports);
}

int run_eval(const Flags& flags) {
  const auto result = tr::evaluate_runs(flags.eval);
  if (!flags.eval_out.empty()) {
    loctex::core::AtomicFile file(flags.eval_out);
    file.stream() << result.dump(2) << "\n";
    file.commit();
  }
  if (!flags.quiet) print_comparison(result);
  if (flags.json) std::cout << result.dump(2) << "\n";
  return kOk;
}

int run_overlays(const Flags& flags) {
  const auto report = tr::write_attention_overlays(flags.overlays);
  if (!flags.quiet)
    std::fprintf(stderr, "wrote %zu files for %zu samples (%zu words) from %s (step %lld) into %s\n",
                 report.files, report.samples, report.words, report.checkpoint.c_str(),
                 static_cast<long long>(report.step), flags.overlays.out.c_str());
  return kOk;
}

int run_train(tr::TrainConfig config, const Flags& flags) {
  if (flags.print_config) {
    std::cout << tr::to_json(config).dump(2) << "\n";
    return kOk;
  }
  std::signal(SIGINT, request_stop);
  std::signal(SIGTERM, request_stop);
  std::optional<loctex::core::ProgressLine> progress;
  if (!flags.quiet) progress.emplace("train", static_cast<std::size_t>(config.optim.steps));
  tr::TrainObserver observer;
  observer.started = [&](std::int64_t start_step, std::int64_t) {
    if (progress) progress->resume_from(static_cast<std::size_t>(start_step));
  };
  observer.progress = [&](const tr::StepMetrics& m, std::int64_t) {
    if (!progress) return;
    char detail[64];
    std::snprintf(detail, sizeof detail, "loss %.3f, %.0f samples/s", m.loss, m.samples_per_second);
    progress->update(static_cast<std::size_t>(m.step), detail);
  };
  observer.stop_requested = [](std::int64_t) { return g_stop.load(); };
  const auto summary = tr::train(config, flags.resume, observer);
  if (progress) progress->finish();
  if (!flags.quiet) print_summary(summary);
  if (flags.json) std::cout << summary.to_json().dump(2) << "\n";
  return summary.finished ? kOk : kStopped;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"Pretrains a visual backbone with LocTex objectives on loctex-build-dataset shards"};
  cli.footer(kFooter);
  cli.get_formatter()->column_width(34);
  Flags flags;
  tr::TrainConfig defaults;
  // Flags are read into a copy and applied over the config file only when given.
  tr::TrainConfig f = defaults;
  std::string shards, out;

  cli.add_option("-c,--config", flags.config_file, "JSON config file (see --print-config)");
  auto* o_shards = cli.add_option("--shards", shards, "loctex-build-dataset output folder");
  auto* o_out = cli.add_option("-o,--out", out, "Run folder: checkpoints, metrics.jsonl, config.json");
  auto* o_steps = cli.add_option("--steps", f.optim.steps, "Optimiser steps")->check(CLI::PositiveNumber);
  auto* o_batch =
      cli.add_option("--batch-size", f.optim.batch_size, "Samples per step")->check(CLI::Range(2, 1 << 20));
  auto* o_lr = cli.add_option("--lr", f.optim.lr, "Peak learning rate")->check(CLI::PositiveNumber);
  auto* o_backbone = cli.add_option("--backbone", f.model.backbone, "resnet18, resnet34 or resnet50");
  auto* o_width = cli.add_option("--width", f.model.width, "Backbone channel multiplier");
  auto* o_size = cli.add_option("--image-size", f.model.image_size, "Crop side in pixels, a multiple of 32");
  auto* o_trace_loss = cli.add_option("--trace-loss", f.objectives.trace_loss, "kl, l2 or bce");
  auto* o_w_con = cli.add_option("--contrastive-weight", f.objectives.contrastive, "0 switches it off");
  auto* o_w_trace =
      cli.add_option("--trace-attention-weight", f.objectives.trace_attention, "0 switches it off");
  auto* o_device = cli.add_option("--device", f.device, "cpu, cuda or cuda:N");
  auto* o_threads = cli.add_option("-j,--threads", f.threads, "Torch threads; 0 uses every core")
                        ->check(CLI::NonNegativeNumber);
  auto* o_workers =
      cli.add_option("--workers", f.data.workers, "Data-loading threads")->check(CLI::Range(1, 64));
  auto* o_seed = cli.add_option("--seed", f.seed, "Seed of initialisation, order and augmentation");
  auto* o_ckpt = cli.add_option("--checkpoint-every", f.checkpoint_every, "Steps between checkpoints")
                     ->check(CLI::PositiveNumber);
  auto* o_log = cli.add_option("--log-every", f.log_every, "Steps between metrics.jsonl lines")
                    ->check(CLI::PositiveNumber);
  cli.add_flag("--resume", flags.resume, "Continue the run in --out from its latest checkpoint");
  cli.add_flag("--print-config", flags.print_config, "Print the effective config as JSON and exit");
  cli.add_flag("--json", flags.json, "Print a JSON summary on stdout");
  cli.add_flag("-q,--quiet", flags.quiet, "No progress or summary on stderr");

  auto* exporter =
      cli.add_subcommand("export", "Write a run's backbone for torchvision (torch.load + load_state_dict)");
  exporter->add_option("run", flags.export_source, "Run folder (its latest checkpoint) or a checkpoint file")
      ->required();
  exporter->add_option("-o,--out", flags.export_out, "Output file, e.g. resnet18.pt")->required();
  exporter->footer(
      "Example:\n  loctex-train export runs/first --out resnet18.pt\n"
      "  python3 -c \"import torch, torchvision; m = torchvision.models.resnet18(); "
      "m.load_state_dict(torch.load('resnet18.pt'))\"\n");

  auto* evaluator =
      cli.add_subcommand("eval",
                         "Retrieval, attention-trace alignment and a linear probe on the validation shards, "
                         "against a random model and an optional baseline run");
  evaluator->add_option("run", flags.eval.run, "Run folder (its latest checkpoint) or a checkpoint file")
      ->required();
  evaluator->add_option("--baseline", flags.eval.baseline,
                        "Another run to compare with, e.g. one trained with --trace-attention-weight 0");
  evaluator->add_option("--objects", flags.eval.objects,
                        "loctex-synth's objects.jsonl: box pointing and the shape and colour probe");
  evaluator->add_option("--shards", flags.eval.shards, "Shards to evaluate on (default: the run's)");
  evaluator->add_option("--probe-shards", flags.eval.probe_shards,
                        "The probe's own dataset, e.g. built from loctex-synth --max-objects 1 "
                        "(default: --shards)");
  evaluator->add_option("--probe-objects", flags.eval.probe_objects,
                        "The probe dataset's objects.jsonl (default: --objects)");
  evaluator->add_option("--out", flags.eval_out, "Write the JSON report to this file");
  evaluator->add_option("--batch-size", flags.eval.batch_size, "Samples per forward pass")
      ->check(CLI::PositiveNumber);
  evaluator->add_option("-j,--threads", flags.eval.threads, "Torch threads; 0 uses every core")
      ->check(CLI::NonNegativeNumber);
  evaluator->add_option("--device", flags.eval.device, "cpu, cuda or cuda:N");
  evaluator->add_flag("!--no-random", flags.eval.random_baseline, "Skip the randomly initialised baseline");
  evaluator->add_flag("--json", flags.json, "Print the JSON report on stdout");
  evaluator->add_flag("-q,--quiet", flags.quiet, "No table on stderr");
  evaluator->footer(
      "Examples:\n  loctex-train eval runs/first --objects synth/objects.jsonl --baseline runs/no-trace\n"
      "  loctex-train eval runs/first --objects synth/objects.jsonl \\\n"
      "      --probe-shards probe-shards --probe-objects probe/objects.jsonl\n"
      "The probe classifies the shape and the colour of images that hold one object; a set made with\n"
      "loctex-synth --max-objects 1 holds nothing else.\n"
      "The table on stderr compares the run, a random model of the same architecture and the baseline;\n"
      "docs/trainer.md defines each measure.\n");

  // Synthetic narratives trace nearly every word: 20-40 rows a sheet.
  flags.overlays.style.tile_side = 160;
  auto* overlays = cli.add_subcommand(
      "overlays", "Per validation sample, a sheet of each traced word's attention beside its trace heatmap");
  overlays->add_option("run", flags.overlays.run, "Run folder (its latest checkpoint) or a checkpoint file")
      ->required();
  overlays->add_option("-o,--out", flags.overlays.out, "Folder for OUT/<key>/sheet.png")->required();
  overlays->add_option("--samples", flags.overlays.max_samples, "Validation samples, in order")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  overlays->add_option("--shards", flags.overlays.shards, "Shards to draw from (default: the run's)");
  overlays->add_option("--tile", flags.overlays.style.tile_side, "Tile side in pixels")
      ->capture_default_str()
      ->check(CLI::Range(16, 4096));
  overlays->add_flag("--per-word", flags.overlays.per_word, "Also one PNG per word, beside the sheet");
  overlays->add_option("-j,--threads", flags.overlays.threads, "Torch threads; 0 uses every core")
      ->check(CLI::NonNegativeNumber);
  overlays->add_option("--device", flags.overlays.device, "cpu, cuda or cuda:N");
  overlays->add_flag("-q,--quiet", flags.quiet, "No summary on stderr");
  overlays->footer("Example:\n  loctex-train overlays runs/first --out overlays --samples 4 --tile 160\n");

  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = cli.exit(e);
    return code == 0 ? kOk : kUsage;
  }

  try {
    if (evaluator->parsed()) return run_eval(flags);
    if (overlays->parsed()) return run_overlays(flags);
    if (exporter->parsed()) {
      const auto written = tr::export_run_backbone(flags.export_source, flags.export_out);
      if (!flags.quiet) std::fprintf(stderr, "wrote %s from %s\n", flags.export_out.c_str(), written.c_str());
      return kOk;
    }
    tr::TrainConfig config = flags.config_file.empty() ? defaults : tr::load_config(flags.config_file);
    const auto given = [](const CLI::Option* option) { return option->count() > 0; };
    if (given(o_shards)) config.data.shards = shards;
    if (given(o_out)) config.output = out;
    if (given(o_steps)) config.optim.steps = f.optim.steps;
    if (given(o_batch)) config.optim.batch_size = f.optim.batch_size;
    if (given(o_lr)) config.optim.lr = f.optim.lr;
    if (given(o_backbone)) config.model.backbone = f.model.backbone;
    if (given(o_width)) config.model.width = f.model.width;
    if (given(o_size)) config.model.image_size = f.model.image_size;
    if (given(o_trace_loss)) config.objectives.trace_loss = f.objectives.trace_loss;
    if (given(o_w_con)) config.objectives.contrastive = f.objectives.contrastive;
    if (given(o_w_trace)) config.objectives.trace_attention = f.objectives.trace_attention;
    if (given(o_device)) config.device = f.device;
    if (given(o_threads)) config.threads = f.threads;
    if (given(o_workers)) config.data.workers = f.data.workers;
    if (given(o_seed)) config.seed = f.seed;
    if (given(o_ckpt)) config.checkpoint_every = f.checkpoint_every;
    if (given(o_log)) config.log_every = f.log_every;
    if (!flags.print_config) tr::validate(config);
    return run_train(config, flags);
  } catch (const std::invalid_argument& e) {
    std::cerr << "loctex-train: " << e.what() << "\n";
    return kUsage;
  } catch (const std::exception& e) {
    std::cerr << "loctex-train: " << e.what() << "\n";
    return kFailed;
  }
}
