#include "trainer/checkpoint.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cstdio>
#include <system_error>

#include "core/atomic_file.h"

namespace loctex::trainer {
namespace fs = std::filesystem;

fs::path checkpoint_path(const fs::path& output, std::int64_t step) {
  char name[32];
  std::snprintf(name, sizeof name, "step-%06lld.pt", static_cast<long long>(step));
  return output / "checkpoints" / name;
}

std::optional<fs::path> latest_checkpoint(const fs::path& output) {
  std::error_code ec;
  std::optional<fs::path> best;
  long long best_step = -1;
  for (const auto& entry : fs::directory_iterator(output / "checkpoints", ec)) {
    const std::string name = entry.path().filename().string();
    long long step = 0;
    int consumed = 0;
    if (std::sscanf(name.c_str(), "step-%lld.pt%n", &step, &consumed) == 1 &&
        static_cast<std::size_t>(consumed) == name.size() && step > best_step) {
      best_step = step;
      best = entry.path();
    }
  }
  return best;
}

void save_checkpoint(const fs::path& path, torch::nn::Module& model, torch::optim::Optimizer& optimizer,
                     const CheckpointInfo& info) {
  torch::serialize::OutputArchive archive;
  torch::serialize::OutputArchive model_archive;
  model.save(model_archive);
  archive.write("model", model_archive);
  torch::serialize::OutputArchive optimizer_archive;
  optimizer.save(optimizer_archive);
  archive.write("optimizer", optimizer_archive);
  archive.write("step", torch::tensor(info.step));
  archive.write("config", c10::IValue(info.config));
  archive.write("vocabulary_size", torch::tensor(info.vocabulary_size));
  archive.write("rng", at::detail::getDefaultCPUGenerator().get_state());

  fs::create_directories(path.parent_path());
  const fs::path partial = path.string() + ".partial";
  try {
    archive.save_to(partial.string());
  } catch (const c10::Error& e) {
    throw std::runtime_error("cannot write checkpoint " + path.string() + ": " + e.what_without_backtrace());
  }
  core::sync_path(partial);
  fs::rename(partial, path);
}

namespace {

CheckpointInfo read_info(torch::serialize::InputArchive& archive) {
  CheckpointInfo info;
  torch::Tensor number;
  archive.read("step", number);
  info.step = number.item<std::int64_t>();
  archive.read("vocabulary_size", number);
  info.vocabulary_size = number.item<std::int64_t>();
  c10::IValue config;
  archive.read("config", config);
  info.config = config.toStringRef();
  return info;
}

[[noreturn]] void fail_reading(const fs::path& path, const c10::Error& e) {
  throw std::runtime_error("cannot read checkpoint " + path.string() + ": " + e.what_without_backtrace());
}

}  // namespace

CheckpointInfo read_checkpoint_info(const fs::path& path) {
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(path.string());
    return read_info(archive);
  } catch (const c10::Error& e) {
    fail_reading(path, e);
  }
}

CheckpointInfo load_model_weights(const fs::path& path, torch::nn::Module& model) {
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(path.string());
    torch::serialize::InputArchive model_archive;
    archive.read("model", model_archive);
    model.load(model_archive);
    return read_info(archive);
  } catch (const c10::Error& e) {
    fail_reading(path, e);
  }
}

CheckpointInfo load_checkpoint(const fs::path& path, torch::nn::Module& model,
                               torch::optim::Optimizer& optimizer) {
  CheckpointInfo info;
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(path.string());
    info = read_info(archive);
    torch::serialize::InputArchive model_archive;
    archive.read("model", model_archive);
    model.load(model_archive);
    torch::serialize::InputArchive optimizer_archive;
    archive.read("optimizer", optimizer_archive);
    optimizer.load(optimizer_archive);
    torch::Tensor rng;
    archive.read("rng", rng);
    auto generator = at::detail::getDefaultCPUGenerator();
    generator.set_state(rng);
  } catch (const c10::Error& e) {
    fail_reading(path, e);
  }
  return info;
}

}  // namespace loctex::trainer
