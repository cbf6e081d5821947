#pragma once
// The loss terms of one training step: which objectives run, on what inputs,
// in which order. Each term is unweighted; the total is Σ weight · term.

#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "trainer/batch_loader.h"
#include "trainer/config.h"
#include "trainer/model.h"

namespace loctex::trainer {

struct StepLosses {
  std::map<std::string, torch::Tensor> terms;  // by objective name, as in metrics.jsonl
  torch::Tensor total;
  std::map<std::string, double> measures;  // logged beside the terms, e.g. icmlm_accuracy
};

// Draws (hard negatives, masked words, distortions) come from a generator
// seeded with (seed, step), so a resumed run draws what the uninterrupted
// one did.
// `icmlm_candidates`: the token ids ICMLM may mask (icmlm_candidates()).
StepLosses compute_step_losses(LocTexModel& model, const Batch& batch, const ObjectiveConfig& objectives,
                               const std::vector<int64_t>& icmlm_candidates, std::uint64_t seed,
                               std::int64_t step, const torch::Device& device);

}  // namespace loctex::trainer
