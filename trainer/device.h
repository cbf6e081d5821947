#pragma once
// The torch device a run, an evaluation or an overlay asks for by name.

#include <torch/torch.h>

#include <optional>
#include <stdexcept>
#include <string>

namespace loctex::trainer {

// "cpu", "cuda" or "cuda:N". Throws std::invalid_argument naming the device if
// the name is not one, or if it is CUDA and this libtorch build sees none.
inline torch::Device pick_device(const std::string& name) {
  std::optional<torch::Device> device;
  try {
    device.emplace(name);
  } catch (const c10::Error&) {
    throw std::invalid_argument("device: " + name + " is not a device (cpu, cuda, cuda:N)");
  }
  if (device->is_cuda() && !torch::cuda::is_available())
    throw std::invalid_argument("device: " + name +
                                " asked for, but this libtorch build sees no CUDA device");
  return *device;
}

}  // namespace loctex::trainer
