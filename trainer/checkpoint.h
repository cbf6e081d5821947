#pragma once
// Checkpoints for exact resume: model parameters and buffers, AdamW's state,
// the step, torch's CPU generator state and the run's config. A checkpoint
// is written under a temporary name and renamed, so a killed run never leaves
// a half-written one under its final name.

#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace loctex::trainer {

// OUTPUT/checkpoints/step-000200.pt
std::filesystem::path checkpoint_path(const std::filesystem::path& output, std::int64_t step);

// The checkpoint with the highest step under OUTPUT/checkpoints, if any.
std::optional<std::filesystem::path> latest_checkpoint(const std::filesystem::path& output);

struct CheckpointInfo {
  std::int64_t step = 0;
  // The run's config as JSON (without the keys that may change on resume):
  // enough, with the vocabulary size, to rebuild the model from the file alone.
  std::string config;
  std::int64_t vocabulary_size = 0;
};

void save_checkpoint(const std::filesystem::path& path, torch::nn::Module& model,
                     torch::optim::Optimizer& optimizer, const CheckpointInfo& info);

// The step, config and vocabulary size alone. Throws std::runtime_error
// naming the file if it cannot be read.
CheckpointInfo read_checkpoint_info(const std::filesystem::path& path);

// Restores the model's parameters and buffers alone (evaluation, export).
// Throws std::runtime_error naming the file if it cannot be read.
CheckpointInfo load_model_weights(const std::filesystem::path& path, torch::nn::Module& model);

// Restores model, optimiser and torch's CPU generator. Throws
// std::runtime_error naming the file if it cannot be read.
CheckpointInfo load_checkpoint(const std::filesystem::path& path, torch::nn::Module& model,
                               torch::optim::Optimizer& optimizer);

}  // namespace loctex::trainer
