// One LocTex training step (contrastive + trace attention, AdamW, gradient
// clipping) on a fixed synthetic batch, timed in C++ through the trainer's
// own step code; bench/train_step_python.py times the same model and batch
// written in Python PyTorch, and bench/train_step_bench.sh runs both.
//   train_step_bench [--steps N] [--batch B] [--threads T] [--image-size S] [--width W]
// Prints one JSON line: parameters, samples/s, ms per step, peak RSS.
#include <sys/resource.h>
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "trainer/batch_loader.h"
#include "trainer/config.h"
#include "trainer/model.h"
#include "trainer/step_losses.h"

namespace tr = loctex::trainer;

int main(int argc, char** argv) {
  std::int64_t steps = 30, batch = 32;
  int threads = 2;
  tr::TrainConfig config;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const char* value = argv[i + 1];
    if (flag == "--steps")
      steps = std::atoll(value);
    else if (flag == "--batch")
      batch = std::atoll(value);
    else if (flag == "--threads")
      threads = std::atoi(value);
    else if (flag == "--image-size")
      config.model.image_size = std::atoi(value);
    else if (flag == "--width")
      config.model.width = std::atof(value);
    else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  torch::set_num_threads(threads);
  torch::manual_seed(0);
  constexpr int64_t kVocabulary = 1000;
  const int64_t size = config.model.image_size, grid = size / 32, length = config.model.max_words + 1;
  tr::LocTexModel model(config.model, config.objectives, kVocabulary);
  model->train();
  torch::optim::AdamW optimizer(model->parameters(), torch::optim::AdamWOptions(1e-3).weight_decay(0.01));

  // The same batch as the Python script draws: shapes, not values, set the cost.
  tr::Batch b;
  b.images = torch::randn({batch, 3, size, size});
  b.tokens = torch::randint(4, kVocabulary, {batch, length}, torch::kLong);
  b.tokens.select(1, 0).fill_(static_cast<int64_t>(loctex::core::Vocabulary::kClsId));
  b.heatmaps =
      torch::softmax(torch::randn({batch, length, grid * grid}), -1).view({batch, length, grid, grid});
  b.has_trace = torch::ones({batch, length}, torch::kBool);
  b.has_trace.select(1, 0).fill_(false);

  const torch::Device cpu(torch::kCPU);
  const auto step = [&](std::int64_t i) {
    const auto losses = tr::compute_step_losses(model, b, config.objectives, {}, 0, i, cpu);
    optimizer.zero_grad();
    losses.total.backward();
    torch::nn::utils::clip_grad_norm_(model->parameters(), 1.0);
    optimizer.step();
  };
  for (std::int64_t i = 0; i < 3; ++i) step(i);  // warm-up: allocator, first-touch
  const auto start = std::chrono::steady_clock::now();
  for (std::int64_t i = 0; i < steps; ++i) step(i);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::int64_t parameters = 0;
  for (const auto& p : model->parameters()) parameters += p.numel();
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  std::cout << nlohmann::ordered_json{{"implementation", "C++ (loctex_trainer)"},
                                      {"parameters", parameters},
                                      {"threads", threads},
                                      {"batch", batch},
                                      {"steps", steps},
                                      {"samples_per_s", static_cast<double>(steps * batch) / seconds},
                                      {"ms_per_step", 1000 * seconds / static_cast<double>(steps)},
                                      {"peak_rss_mb", static_cast<double>(usage.ru_maxrss) / 1024}}
                   .dump()
            << "\n";
}
