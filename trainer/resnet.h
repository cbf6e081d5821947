#pragma once
// The visual backbone: torchvision's ResNet-18, -34 and -50, parameter and
// buffer names exactly torchvision's (conv1, bn1, layer1.0.conv1, ...,
// layer4.0.downsample.0, fc), so that exported weights load into
// torchvision.models.resnetNN() with strict=True. A width multiplier scales
// every stage's channels (64, 128, 256, 512 times `width`, rounded, at least
// 1); at width 1 the shapes are torchvision's too.

#include <torch/torch.h>

#include <cstdint>
#include <string>

namespace loctex::trainer {

struct ResNetOptions {
  int depth = 18;          // 18, 34 or 50
  double width = 1.0;      // channel multiplier
  int num_classes = 1000;  // the fc head, unused in pretraining but kept for torchvision's layout
};

class ResNetImpl : public torch::nn::Module {
 public:
  explicit ResNetImpl(ResNetOptions options = {});

  // The last stage's feature map, before pooling: [N, feature_channels(), H/32, W/32].
  torch::Tensor features(const torch::Tensor& images);
  // torchvision's forward: features, global average pool, fc.
  torch::Tensor forward(const torch::Tensor& images);

  int64_t feature_channels() const;
  const ResNetOptions& options() const;

 private:
  ResNetOptions m_options;
  // Registered under torchvision's attribute names, in torchvision's order,
  // so that state-dict keys and their order match: conv1, bn1, layer1..4, fc.
  // (relu, maxpool and avgpool hold no state and are applied as functions.)
  torch::nn::Conv2d m_conv1{nullptr};
  torch::nn::BatchNorm2d m_bn1{nullptr};
  // Each a Sequential of blocks named "0", "1", ...; a block's shortcut, where
  // it changes shape, is a Sequential "downsample" of "0" (1×1 conv) and "1" (BN).
  torch::nn::Sequential m_layer1{nullptr}, m_layer2{nullptr}, m_layer3{nullptr}, m_layer4{nullptr};
  torch::nn::Linear m_fc{nullptr};
  int64_t m_feature_channels = 0;
};
TORCH_MODULE(ResNet);

// "resnet18" → 18; throws std::invalid_argument naming the backbone otherwise.
int resnet_depth(const std::string& backbone);

}  // namespace loctex::trainer
