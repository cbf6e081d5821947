#pragma once
// Learning rate by step: linear warm-up from 0 to the peak over
// `warmup_steps`, then a half cosine from the peak down to
// peak · min_lr_ratio at `steps` (and held there past it).

#include <cstdint>

#include "trainer/config.h"

namespace loctex::trainer {

// The rate for optimiser step `step` (0-based).
double learning_rate(const OptimConfig& optim, std::int64_t step);

}  // namespace loctex::trainer
