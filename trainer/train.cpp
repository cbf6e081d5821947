#include "trainer/train.h"

#include <sys/resource.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <thread>

#include "core/atomic_file.h"
#include "core/vocabulary.h"
#include "pipeline/manifest.h"
#include "trainer/attention_probe.h"
#include "trainer/batch_loader.h"
#include "trainer/checkpoint.h"
#include "trainer/device.h"
#include "trainer/evaluate.h"
#include "trainer/export.h"
#include "trainer/icmlm.h"
#include "trainer/model.h"
#include "trainer/schedule.h"
#include "trainer/step_losses.h"

namespace loctex::trainer {
namespace {

// The model on the validation split as it is now; back in training mode after.
EvalPoint evaluate_during_training(LocTexModel& model, const TrainConfig& config, std::int64_t step) {
  EvalOptions options;
  options.shards = config.data.shards;
  options.workers = 1;
  options.threads = config.threads;
  options.device = config.device;
  const EvalReport report = evaluate(model, config, options);
  model->train();
  EvalPoint point;
  point.step = step;
  point.pairs = report.retrieval.pairs;
  point.image_to_text_r1 = report.retrieval.image_to_text.r1;
  point.image_to_text_r5 = report.retrieval.image_to_text.r5;
  point.image_to_text_r10 = report.retrieval.image_to_text.r10;
  point.text_to_image_r1 = report.retrieval.text_to_image.r1;
  point.text_to_image_r5 = report.retrieval.text_to_image.r5;
  point.text_to_image_r10 = report.retrieval.text_to_image.r10;
  point.chance_r1 = report.retrieval.chance_r1;
  point.traced_words = report.alignment.traced_words;
  point.pointing_accuracy = report.alignment.pointing_accuracy;
  point.chance_pointing = report.alignment.chance_pointing;
  point.kl = report.alignment.kl;
  point.seconds = report.seconds;
  return point;
}

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::int64_t peak_rss_bytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return std::int64_t{usage.ru_maxrss} * 1024;
}

// The config minus what may change between a run and its resumption without
// changing the result.
std::string resumable_config(const TrainConfig& config) {
  Json json = to_json(config);
  for (const char* key : {"device", "threads", "checkpoint_every", "log_every", "output"}) json.erase(key);
  json["data"].erase("workers");
  json["data"].erase("prefetch");
  return json.dump();
}

// AdamW with weight decay on weight matrices and kernels only: biases, norms
// and the temperature are not pulled towards 0.
torch::optim::AdamW make_optimizer(torch::nn::Module& model, const OptimConfig& optim) {
  std::vector<torch::Tensor> decay;
  std::vector<torch::Tensor> no_decay;
  for (auto& parameter : model.parameters()) (parameter.dim() >= 2 ? decay : no_decay).push_back(parameter);
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(decay, std::make_unique<torch::optim::AdamWOptions>(
                                 torch::optim::AdamWOptions(optim.lr).weight_decay(optim.weight_decay)));
  groups.emplace_back(no_decay, std::make_unique<torch::optim::AdamWOptions>(
                                    torch::optim::AdamWOptions(optim.lr).weight_decay(0)));
  return torch::optim::AdamW(std::move(groups), torch::optim::AdamWOptions(optim.lr));
}

void set_learning_rate(torch::optim::AdamW& optimizer, double lr) {
  for (auto& group : optimizer.param_groups())
    static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
}

// metrics.jsonl as an uninterrupted run up to `step` would have left it.
void truncate_metrics(const fs::path& path, std::int64_t step) {
  std::ifstream in(path);
  if (!in) return;
  core::AtomicFile out(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const auto json = Json::parse(line, nullptr, false);
    if (json.is_discarded() || json.value("step", std::int64_t{0}) > step) break;
    out.stream() << line << '\n';
  }
  out.commit();
}

void write_config(const TrainConfig& config) {
  core::AtomicFile file(config.output / "config.json");
  file.stream() << to_json(config).dump(2) << '\n';
  file.commit();
}

}  // namespace

Json StepMetrics::to_json() const {
  Json json = {{"step", step}, {"epoch", epoch}, {"lr", lr}, {"loss", loss}};
  for (const auto& [name, value] : terms) json[name] = value;
  for (const auto& [name, value] : measures) json[name] = value;
  json["temperature"] = temperature;
  json["samples_per_s"] = samples_per_second;
  json["data_wait"] = data_wait_fraction;
  return json;
}

Json TrainSummary::to_json() const {
  return {{"start_step", start_step},
          {"steps", steps},
          {"finished", finished},
          {"seconds", seconds},
          {"samples_per_s", samples_per_second},
          {"data_wait", data_wait_fraction},
          {"peak_rss_bytes", peak_rss_bytes},
          {"last", last.to_json()},
          {"checkpoint", checkpoint.string()}};
}

TrainSummary train(const TrainConfig& config, bool resume, const TrainObserver& observer) {
  validate(config);
  const auto device = pick_device(config.device);
  const int threads =
      config.threads > 0 ? config.threads : static_cast<int>(std::thread::hardware_concurrency());
  torch::set_num_threads(std::max(1, threads));
  torch::manual_seed(config.seed);

  const auto vocabulary = core::Vocabulary::load(config.data.shards / "vocab.txt");
  LocTexModel model(config.model, config.objectives, static_cast<int64_t>(vocabulary.size()));
  model->to(device);
  auto optimizer = make_optimizer(*model, config.optim);

  TrainSummary summary;
  const auto existing = latest_checkpoint(config.output);
  if (existing && !resume)
    throw std::runtime_error("output " + config.output.string() +
                             " holds checkpoints of an earlier run; pass --resume to continue it, or "
                             "choose another folder");
  const fs::path metrics_path = config.output / "metrics.jsonl";
  if (resume && existing) {
    const auto info = load_checkpoint(*existing, *model, optimizer);
    if (info.config != resumable_config(config))
      throw std::invalid_argument("cannot resume from " + existing->string() +
                                  ": the config differs from the run that wrote it (only device, threads, "
                                  "workers, prefetch and logging may change)");
    summary.start_step = info.step;
    truncate_metrics(metrics_path, info.step);
  } else {
    fs::create_directories(config.output);
    std::ofstream(metrics_path, std::ios::trunc);
  }
  write_config(config);
  std::ofstream metrics(metrics_path, std::ios::app);
  if (!metrics) throw std::runtime_error("cannot write " + metrics_path.string());

  LoaderOptions loading;
  loading.batch_size = config.optim.batch_size;
  loading.image_size = config.model.image_size;
  loading.max_words = config.model.max_words;
  loading.seed = config.seed;
  loading.skip_batches = summary.start_step;
  BatchLoader loader(config.data, vocabulary, loading);

  const auto masking_candidates =
      icmlm_candidates(vocabulary, static_cast<std::size_t>(config.objectives.icmlm_candidates));
  model->train();
  if (observer.started) observer.started(summary.start_step, config.optim.steps);
  // Previews and evaluations look at validation samples: none without them.
  const auto manifest = pipeline::read_manifest(config.data.shards / pipeline::kManifestName);
  const bool has_val = std::any_of(manifest.shards.begin(), manifest.shards.end(),
                                   [](const auto& shard) { return shard.split == pipeline::Split::val; });
  std::optional<AttentionProbe> probe;
  if (has_val && observer.preview && observer.preview_every > 0 && observer.preview_samples > 0) {
    probe.emplace(config.data, vocabulary, config.model, observer.preview_samples);
    observer.preview(summary.start_step, probe->attend(model, device));
  }
  const bool evaluating = has_val && observer.evaluated && observer.eval_every > 0;
  auto run_start = Clock::now();
  auto window_start = run_start;
  // Time the observer takes (a pause, a preview, an evaluation) is not
  // training time: the rates and the run's seconds leave it out.
  const auto outside_training = [&](auto&& call) {
    const auto begin = Clock::now();
    call();
    const auto spent = Clock::now() - begin;
    run_start += spent;
    window_start += spent;
  };
  double window_wait = loader.stats().wait_seconds;
  std::int64_t window_samples = 0;
  std::int64_t run_samples = 0;
  std::int64_t step = summary.start_step;
  StepMetrics metrics_line;

  const auto checkpoint = [&] {
    summary.checkpoint = checkpoint_path(config.output, step);
    save_checkpoint(summary.checkpoint, *model, optimizer,
                    {step, resumable_config(config), static_cast<std::int64_t>(vocabulary.size())});
  };

  while (step < config.optim.steps) {
    bool stop = false;
    if (observer.stop_requested) outside_training([&] { stop = observer.stop_requested(step); });
    if (stop) break;
    auto batch = loader.next();
    if (!batch) throw std::runtime_error("no training batches in " + config.data.shards.string());
    const double lr = learning_rate(config.optim, step);
    set_learning_rate(optimizer, lr);

    const auto losses =
        compute_step_losses(model, *batch, config.objectives, masking_candidates, config.seed, step, device);
    const auto& loss = losses.total;
    const auto& terms = losses.terms;

    optimizer.zero_grad();
    loss.backward();
    if (config.optim.clip_norm > 0)
      torch::nn::utils::clip_grad_norm_(model->parameters(), config.optim.clip_norm);
    optimizer.step();
    ++step;
    const auto samples = batch->images.size(0);
    window_samples += samples;
    run_samples += samples;

    if (step % config.log_every == 0 || step == config.optim.steps) {
      const double elapsed = seconds_since(window_start);
      const double wait = loader.stats().wait_seconds;
      metrics_line = {};
      metrics_line.step = step;
      metrics_line.epoch = batch->epoch;
      metrics_line.lr = lr;
      metrics_line.loss = loss.item<double>();
      for (const auto& [name, value] : terms) metrics_line.terms[name] = value.item<double>();
      metrics_line.measures = losses.measures;
      metrics_line.temperature = model->temperature();
      metrics_line.samples_per_second = elapsed > 0 ? static_cast<double>(window_samples) / elapsed : 0;
      metrics_line.data_wait_fraction = elapsed > 0 ? (wait - window_wait) / elapsed : 0;
      metrics << metrics_line.to_json().dump() << '\n' << std::flush;
      if (!metrics) throw std::runtime_error("cannot write " + metrics_path.string());
      if (observer.progress) observer.progress(metrics_line, config.optim.steps);
      window_start = Clock::now();
      window_wait = wait;
      window_samples = 0;
    }
    if (probe && step % observer.preview_every == 0)
      outside_training([&] { observer.preview(step, probe->attend(model, device)); });
    if (evaluating && (step % observer.eval_every == 0 || step == config.optim.steps))
      outside_training([&] { observer.evaluated(evaluate_during_training(model, config, step)); });
    if (step % config.checkpoint_every == 0 && step < config.optim.steps) checkpoint();
  }
  if (step > summary.start_step || !existing) checkpoint();

  summary.steps = step;
  summary.finished = step == config.optim.steps;
  summary.seconds = seconds_since(run_start);
  summary.samples_per_second = summary.seconds > 0 ? static_cast<double>(run_samples) / summary.seconds : 0;
  summary.data_wait_fraction = summary.seconds > 0 ? loader.stats().wait_seconds / summary.seconds : 0;
  summary.peak_rss_bytes = peak_rss_bytes();
  summary.last = metrics_line;
  return summary;
}

}  // namespace loctex::trainer

namespace loctex::trainer {

fs::path export_run_backbone(const fs::path& source, const fs::path& out) {
  auto loaded = load_model(source);
  export_backbone(loaded.model->backbone(), out);
  return loaded.checkpoint;
}

}  // namespace loctex::trainer
