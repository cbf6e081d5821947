#include "trainer/export.h"

#include <string>
#include <string_view>

#include "core/atomic_file.h"

namespace loctex::trainer {
namespace {

// Module by module, each module's parameters then its buffers: the order of
// Python's state_dict(), so the keys of the file and torchvision's model
// list the same names in the same order.
c10::Dict<std::string, at::Tensor> state_dict(const torch::nn::Module& module) {
  c10::Dict<std::string, at::Tensor> dict;
  for (const auto& item : module.named_modules()) {
    const std::string prefix = item.key().empty() ? "" : item.key() + ".";
    for (const auto& p : item.value()->named_parameters(/*recurse=*/false))
      dict.insert(prefix + p.key(), p.value().detach().to(torch::kCPU));
    for (const auto& b : item.value()->named_buffers(/*recurse=*/false))
      dict.insert(prefix + b.key(), b.value().detach().to(torch::kCPU));
  }
  return dict;
}

}  // namespace

void export_backbone(ResNet& backbone, const std::filesystem::path& path) {
  // torch::pickle_save writes what Python's torch.load reads back as a dict of tensors.
  const auto bytes = torch::pickle_save(state_dict(*backbone));
  core::write_file_atomically(path, std::string_view(bytes.data(), bytes.size()));
}

}  // namespace loctex::trainer
