#pragma once
// The trainer's runs as the command line and the app drive them: train (with
// checkpoints, metrics.jsonl and exact resume), export the backbone, and
// evaluate against baselines. Torch-free, so that including it is cheap.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "trainer/attention_overlay.h"
#include "trainer/config.h"

namespace loctex::trainer {

// One metrics.jsonl line, also handed to the observer.
struct StepMetrics {
  std::int64_t step = 0;  // optimiser steps done
  std::int64_t epoch = 0;
  double lr = 0;
  double loss = 0;                         // the weighted sum
  std::map<std::string, double> terms;     // each objective's unweighted loss
  std::map<std::string, double> measures;  // other per-step figures, e.g. icmlm_accuracy
  double temperature = 0;
  double samples_per_second = 0;  // over the steps since the previous line
  double data_wait_fraction = 0;  // share of that time spent waiting for batches
  nlohmann::ordered_json to_json() const;
};

// What an evaluation during training found (trainer/evaluate.h's retrieval
// and attention measures on the validation split), for the app's charts.
struct EvalPoint {
  std::int64_t step = 0;
  std::int64_t pairs = 0;  // validation (image, caption) pairs
  double image_to_text_r1 = 0, image_to_text_r5 = 0, image_to_text_r10 = 0;
  double text_to_image_r1 = 0, text_to_image_r5 = 0, text_to_image_r10 = 0;
  double chance_r1 = 0;
  std::int64_t traced_words = 0;
  double pointing_accuracy = 0;
  double chance_pointing = 0;
  double kl = 0;
  double seconds = 0;  // the evaluation's own time
};

struct TrainObserver {
  // Once, before the first step: the step the run starts from (> 0 when resumed).
  std::function<void(std::int64_t start_step, std::int64_t total_steps)> started;
  std::function<void(const StepMetrics&, std::int64_t total_steps)> progress;
  // Polled between steps with the steps done so far; true stops the run
  // after a checkpoint. Time spent in it (an app holding a paused run) is
  // not counted as training time.
  std::function<bool(std::int64_t steps_done)> stop_requested;
  // The model's attention on the first `preview_samples` validation samples
  // (as `loctex-train overlays` draws them), before the first step and every
  // `preview_every` steps; 0 turns it off, and so does a data set without
  // validation samples. Runs on the training thread,
  // between steps, in eval mode, and changes nothing of the run: the same
  // steps give the same model with or without it.
  std::int64_t preview_every = 0;
  std::int64_t preview_samples = 4;
  std::function<void(std::int64_t step, std::vector<AttentionSample> samples)> preview;
  // An evaluation on the validation split every `eval_every` steps and at the
  // end (0, or a data set without validation samples: none), on the training thread between steps, in eval
  // mode with no gradients; like the preview, it leaves the run as it would have been.
  std::int64_t eval_every = 0;
  std::function<void(const EvalPoint&)> evaluated;
};

struct TrainSummary {
  std::int64_t start_step = 0;  // > 0 when resumed
  std::int64_t steps = 0;       // steps done when the run ended
  bool finished = false;        // false when stopped early
  double seconds = 0;
  double samples_per_second = 0;
  double data_wait_fraction = 0;
  std::int64_t peak_rss_bytes = 0;
  StepMetrics last;
  std::filesystem::path checkpoint;
  nlohmann::ordered_json to_json() const;
};

// Trains as `config` says, writing OUTPUT/config.json, OUTPUT/metrics.jsonl
// and OUTPUT/checkpoints/. With `resume`, continues from the latest
// checkpoint (refusing one whose config differs in anything but device,
// threads, workers, prefetch and logging) so that the result equals an
// uninterrupted run; without it, refuses an OUTPUT that holds checkpoints.
// Throws std::invalid_argument for a bad config (or one that differs from the
// resumed run's) and std::runtime_error naming the file for I/O errors and an
// OUTPUT in use.
TrainSummary train(const TrainConfig& config, bool resume = false, const TrainObserver& observer = {});

// Writes the backbone of a checkpoint with export_backbone() (trainer/export.h):
// `source` is a checkpoint file or a run folder (its latest checkpoint). The
// checkpoint alone suffices: it holds the model config and vocabulary size.
// Returns the checkpoint used. Throws std::runtime_error naming the path.
std::filesystem::path export_run_backbone(const std::filesystem::path& source,
                                          const std::filesystem::path& out);

}  // namespace loctex::trainer

namespace loctex::trainer {

struct EvalRequest {
  std::filesystem::path run;            // a run folder or a checkpoint file
  std::filesystem::path baseline;       // optional: another run (e.g. trained without trace_attention)
  bool random_baseline = true;          // also evaluate the run's architecture freshly initialised
  std::filesystem::path shards;         // empty: the run's data.shards
  std::filesystem::path objects;        // optional: loctex-synth's objects.jsonl (box pointing, probe)
  std::filesystem::path probe_shards;   // optional: the probe's own dataset (default: shards)
  std::filesystem::path probe_objects;  // and its objects.jsonl (default: objects)
  std::int64_t batch_size = 64;
  int threads = 0;  // 0: every core
  std::string device = "cpu";
};

// {"run", "checkpoint", "step", "trained": report, "random": report,
//  "baseline": {"run", "checkpoint", "step", "report"}} with the report of
// trainer/evaluate.h's to_json(). Throws as evaluate() does.
nlohmann::ordered_json evaluate_runs(const EvalRequest& request);

}  // namespace loctex::trainer
