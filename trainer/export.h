#pragma once
// Export of the pretrained backbone for the PyTorch ecosystem: a file that
// Python's torch.load reads as a dict of tensors, named and shaped so that
// torchvision.models.resnetNN().load_state_dict(torch.load(f), strict=True)
// accepts it (at width 1; other widths need a model of the same widths).

#include <filesystem>

#include "trainer/resnet.h"

namespace loctex::trainer {

// Every parameter and buffer of `backbone` (num_batches_tracked included),
// moved to the CPU, written with torch::pickle_save, atomically. Throws
// std::runtime_error naming the path if it cannot be written.
void export_backbone(ResNet& backbone, const std::filesystem::path& path);

}  // namespace loctex::trainer
