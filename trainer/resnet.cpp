#include "trainer/resnet.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

// A transcription of torchvision 0.14's torchvision/models/resnet.py (ResNet
// v1.5: a bottleneck's stride sits on its 3×3 conv), with groups 1, base
// width 64, no dilation and zero_init_residual=False. What must match is the
// names and the registration order of everything with state; modules without
// state (relu, maxpool, avgpool) are applied as functions instead.

namespace loctex::trainer {
namespace {

namespace nn = torch::nn;
namespace F = torch::nn::functional;

// Bias-free convolution with torchvision's "same" padding (conv1x1, conv3x3,
// and the 7×7 stem).
nn::Conv2d conv(int64_t in, int64_t out, int64_t kernel, int64_t stride) {
  return nn::Conv2d(nn::Conv2dOptions(in, out, kernel).stride(stride).padding(kernel / 2).bias(false));
}

// torchvision's BasicBlock (3×3, 3×3; expansion 1) or, with `bottleneck`, its
// Bottleneck (1×1, 3×3 with the stride, 1×1 to 4× `width`). Both register
// conv1, bn1, conv2, bn2[, conv3, bn3][, downsample] in this order, as
// torchvision does.
class BlockImpl : public nn::Module {
 public:
  static constexpr int64_t kBottleneckExpansion = 4;

  BlockImpl(int64_t in, int64_t width, int64_t stride, bool bottleneck) {
    const int64_t out = bottleneck ? width * kBottleneckExpansion : width;
    if (bottleneck) {
      m_conv1 = register_module("conv1", conv(in, width, 1, 1));
      m_bn1 = register_module("bn1", nn::BatchNorm2d(width));
      m_conv2 = register_module("conv2", conv(width, width, 3, stride));
      m_bn2 = register_module("bn2", nn::BatchNorm2d(width));
      m_conv3 = register_module("conv3", conv(width, out, 1, 1));
      m_bn3 = register_module("bn3", nn::BatchNorm2d(out));
    } else {
      m_conv1 = register_module("conv1", conv(in, width, 3, stride));
      m_bn1 = register_module("bn1", nn::BatchNorm2d(width));
      m_conv2 = register_module("conv2", conv(width, width, 3, 1));
      m_bn2 = register_module("bn2", nn::BatchNorm2d(width));
    }
    if (stride != 1 || in != out) {
      // Children "0" and "1", as torchvision's nn.Sequential(conv1x1, norm).
      m_downsample =
          register_module("downsample", nn::Sequential(conv(in, out, 1, stride), nn::BatchNorm2d(out)));
    }
  }

  // x: [N, in, H, W] → [N, out, H/stride, W/stride]
  torch::Tensor forward(const torch::Tensor& x) {
    auto y = torch::relu(m_bn1(m_conv1(x)));
    y = m_bn2(m_conv2(y));
    if (m_conv3) y = m_bn3(m_conv3(torch::relu(y)));
    const auto identity = m_downsample ? m_downsample->forward(x) : x;
    return torch::relu(y + identity);
  }

 private:
  nn::Conv2d m_conv1{nullptr}, m_conv2{nullptr}, m_conv3{nullptr};
  nn::BatchNorm2d m_bn1{nullptr}, m_bn2{nullptr}, m_bn3{nullptr};
  nn::Sequential m_downsample{nullptr};
};
TORCH_MODULE(Block);

// Blocks per stage, torchvision's `layers` argument.
std::array<int64_t, 4> stage_blocks(int depth) {
  switch (depth) {
    case 18:
      return {2, 2, 2, 2};
    case 34:
    case 50:
      return {3, 4, 6, 3};
    default:
      throw std::invalid_argument("ResNet depth must be 18, 34 or 50, got " + std::to_string(depth));
  }
}

// 64 × 2^stage × width, rounded to nearest, at least 1.
int64_t stage_width(int stage, double width) {
  return std::max<int64_t>(1, std::llround(static_cast<double>(int64_t{64} << stage) * width));
}

}  // namespace

ResNetImpl::ResNetImpl(ResNetOptions options) : m_options(options) {
  const auto blocks = stage_blocks(m_options.depth);
  if (!std::isfinite(m_options.width) || m_options.width <= 0 || m_options.width > 64)
    throw std::invalid_argument("ResNet width must be in (0, 64], got " +
                                (std::ostringstream() << m_options.width).str());
  if (m_options.num_classes < 1)
    throw std::invalid_argument("ResNet num_classes must be at least 1, got " +
                                std::to_string(m_options.num_classes));
  const bool bottleneck = m_options.depth >= 50;
  const int64_t expansion = bottleneck ? BlockImpl::kBottleneckExpansion : 1;

  int64_t in = stage_width(0, m_options.width);
  m_conv1 = register_module("conv1", conv(3, in, 7, 2));
  m_bn1 = register_module("bn1", nn::BatchNorm2d(in));

  // torchvision's _make_layer: the first block of stages 2-4 halves the
  // resolution, and takes the shortcut through `downsample` where the shape changes.
  const auto make_layer = [&](int stage) {
    nn::Sequential layer;
    const int64_t width = stage_width(stage, m_options.width);
    for (int64_t i = 0; i < blocks[static_cast<std::size_t>(stage)]; ++i) {
      const int64_t stride = (i == 0 && stage > 0) ? 2 : 1;
      layer->push_back(Block(in, width, stride, bottleneck));  // named "0", "1", ...
      in = width * expansion;
    }
    return register_module("layer" + std::to_string(stage + 1), layer);
  };
  m_layer1 = make_layer(0);
  m_layer2 = make_layer(1);
  m_layer3 = make_layer(2);
  m_layer4 = make_layer(3);
  m_feature_channels = in;
  m_fc = register_module("fc", nn::Linear(in, m_options.num_classes));  // default init, as torchvision

  // torchvision's initialisation; BatchNorm2d's own (weight 1, bias 0) already matches.
  for (const auto& module : modules(/*include_self=*/false)) {
    if (auto* c = module->as<nn::Conv2d>())
      nn::init::kaiming_normal_(c->weight, /*a=*/0.0, torch::kFanOut, torch::kReLU);
  }
}

torch::Tensor ResNetImpl::features(const torch::Tensor& images) {
  // shape: [N, 3, H, W] → [N, stem, H/2, W/2] → [N, stem, H/4, W/4]
  auto x = torch::relu(m_bn1(m_conv1(images)));
  x = F::max_pool2d(x, F::MaxPool2dFuncOptions(3).stride(2).padding(1));
  x = m_layer1->forward(x);     // [N, C1, H/4, W/4]
  x = m_layer2->forward(x);     // [N, C2, H/8, W/8]
  x = m_layer3->forward(x);     // [N, C3, H/16, W/16]
  return m_layer4->forward(x);  // [N, feature_channels(), H/32, W/32]
}

torch::Tensor ResNetImpl::forward(const torch::Tensor& images) {
  // shape: [N, feature_channels()] after average pooling, then [N, num_classes]
  const auto pooled = F::adaptive_avg_pool2d(features(images), F::AdaptiveAvgPool2dFuncOptions(1)).flatten(1);
  return m_fc(pooled);
}

int64_t ResNetImpl::feature_channels() const { return m_feature_channels; }

const ResNetOptions& ResNetImpl::options() const { return m_options; }

int resnet_depth(const std::string& backbone) {
  static const std::pair<const char*, int> kBackbones[] = {
      {"resnet18", 18}, {"resnet34", 34}, {"resnet50", 50}};
  for (const auto& [name, depth] : kBackbones)
    if (backbone == name) return depth;
  throw std::invalid_argument("unknown backbone '" + backbone + "': expected resnet18, resnet34 or resnet50");
}

}  // namespace loctex::trainer
