#include "trainer/export.h"

#include <cerrno>
#include <fstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

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

// Writes PATH.partial, fsyncs it, renames it onto PATH and fsyncs the folder;
// on failure PATH is left as it was and PATH.partial is removed.
void write_atomically(const std::filesystem::path& path, const std::vector<char>& bytes) {
  const auto fail = [&](const std::string& reason) {
    throw std::runtime_error("cannot write " + path.string() + ": " + reason);
  };
  const auto folder = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  std::error_code ec;
  std::filesystem::create_directories(folder, ec);
  if (ec) fail("cannot create folder " + folder.string() + ": " + ec.message());

  auto partial = path;
  partial += ".partial";
  try {
    std::ofstream out(partial, std::ios::binary | std::ios::trunc);
    if (!out) fail("cannot create " + partial.string() + ": " + std::generic_category().message(errno));
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.close();
    if (!out) fail("cannot write " + partial.string() + ": " + std::generic_category().message(errno));
    core::sync_path(partial);
    std::filesystem::rename(partial, path, ec);
    if (ec) fail(ec.message());
  } catch (...) {
    std::filesystem::remove(partial, ec);
    throw;
  }
  core::sync_path(folder);
}

}  // namespace

void export_backbone(ResNet& backbone, const std::filesystem::path& path) {
  // torch::pickle_save writes what Python's torch.load reads back as a dict of tensors.
  write_atomically(path, torch::pickle_save(state_dict(*backbone)));
}

}  // namespace loctex::trainer
