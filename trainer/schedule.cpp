#include "trainer/schedule.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace loctex::trainer {

double learning_rate(const OptimConfig& optim, std::int64_t step) {
  // Step s is taken at the end of warm-up step s + 1, so the first step does
  // not run at rate 0.
  if (step < optim.warmup_steps)
    return optim.lr * static_cast<double>(step + 1) / static_cast<double>(optim.warmup_steps);
  const auto decay_steps = std::max<std::int64_t>(1, optim.steps - optim.warmup_steps);
  const double progress =
      std::min(1.0, static_cast<double>(step - optim.warmup_steps) / static_cast<double>(decay_steps));
  const double floor = optim.lr * optim.min_lr_ratio;
  return floor + (optim.lr - floor) * 0.5 * (1.0 + std::cos(std::numbers::pi * progress));
}

}  // namespace loctex::trainer
