// trainer/resnet and trainer/export: the backbone's parameter and buffer names,
// order and shapes against torchvision's own models (read from Python), its
// feature and output shapes, and an export that torchvision loads with
// strict=True and then computes the same outputs from.
#include "trainer/resnet.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "test_support.h"
#include "tool_run.h"
#include "trainer/export.h"

namespace {

namespace tr = loctex::trainer;
using loctex::testing::error_of;
using loctex::testing::files_in;
using loctex::testing::q;
using loctex::testing::read_text;
using loctex::testing::TempDir;
using loctex::testing::write_text;

// Debian's interpreter, where python3-torch and python3-torchvision live (the
// python3 on PATH may be another one).
constexpr const char* kPython = "/usr/bin/python3";

// Runs `script` (written into `dir`) with `args` (already shell-quoted);
// stdout and stderr together in `out`, so a failure shows the traceback.
loctex::testing::ToolRun run_python(const std::string& script, const std::string& args, const TempDir& dir) {
  const auto file = dir / "script.py";
  write_text(file, script);
  return loctex::testing::run_command(std::string(kPython) + " " + q(file) + " " + args + " 2>&1");
}

// "KEY VALUE" lines of a script's output as a map; other lines are ignored.
std::map<std::string, std::string> key_values(const std::string& text) {
  std::map<std::string, std::string> values;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    const auto space = line.find(' ');
    if (space != std::string::npos) values[line.substr(0, space)] = line.substr(space + 1);
  }
  return values;
}

// The way the Python scripts below print a shape: "[64,3,7,7]", "[]" for a scalar.
std::string shape_string(const torch::Tensor& t) {
  std::string s = "[";
  for (int64_t d = 0; d < t.dim(); ++d) {
    if (d > 0) s.push_back(',');
    s.append(std::to_string(t.size(d)));
  }
  s.push_back(']');
  return s;
}

using NamedShapes = std::vector<std::pair<std::string, std::string>>;  // (key, shape), in order

template <typename Items>
NamedShapes named_shapes(const Items& items) {
  NamedShapes shapes;
  for (const auto& item : items) shapes.emplace_back(item.key(), shape_string(item.value()));
  return shapes;
}

// torchvision's resnet18/34/50: state_dict(), named_parameters() and
// named_buffers() as (key, shape) lists, from one Python run shared by the tests.
struct Reference {
  NamedShapes state, params, buffers;
};

const std::map<int, Reference>& torchvision_reference() {
  static const std::map<int, Reference> reference = [] {
    TempDir dir;
    const auto r = run_python(R"(
import sys, torchvision
with open(sys.argv[1], "w") as out:
    for depth in (18, 34, 50):
        m = getattr(torchvision.models, "resnet%d" % depth)()
        for kind, items in (("state", m.state_dict().items()), ("param", m.named_parameters()),
                            ("buffer", m.named_buffers())):
            for key, value in items:
                out.write("%d %s %s [%s]\n" % (depth, kind, key, ",".join(map(str, value.shape))))
)",
                              q(dir / "reference.txt"), dir);
    EXPECT_EQ(r.exit_code, 0) << r.out;
    std::map<int, Reference> by_depth;
    std::istringstream in(read_text(dir / "reference.txt"));
    int depth;
    std::string kind, key, shape;
    while (in >> depth >> kind >> key >> shape) {
      auto& ref = by_depth[depth];
      (kind == "state" ? ref.state : kind == "param" ? ref.params : ref.buffers).emplace_back(key, shape);
    }
    return by_depth;
  }();
  return reference;
}

// The file export_backbone wrote, read back in C++, as (key, shape) in file order.
NamedShapes exported_shapes(const std::filesystem::path& path) {
  const auto bytes = read_text(path);
  const auto dict = torch::pickle_load(std::vector<char>(bytes.begin(), bytes.end())).toGenericDict();
  NamedShapes shapes;
  for (const auto& entry : dict)
    shapes.emplace_back(entry.key().toStringRef(), shape_string(entry.value().toTensor()));
  return shapes;
}

class resnet_depth_test : public ::testing::TestWithParam<int> {};

TEST_P(resnet_depth_test, names_order_and_shapes_equal_torchvision) {
  const int depth = GetParam();
  const auto found = torchvision_reference().find(depth);
  ASSERT_NE(found, torchvision_reference().end()) << "no reference for resnet" << depth;
  const auto& ref = found->second;
  ASSERT_FALSE(ref.state.empty());

  tr::ResNet net(tr::ResNetOptions{depth, 1.0, 1000});
  EXPECT_EQ(named_shapes(net->named_parameters()), ref.params);
  EXPECT_EQ(named_shapes(net->named_buffers()), ref.buffers);

  TempDir dir;
  tr::export_backbone(net, dir / "backbone.pt");
  EXPECT_EQ(exported_shapes(dir / "backbone.pt"), ref.state);
}

INSTANTIATE_TEST_SUITE_P(resnet_test, resnet_depth_test, ::testing::Values(18, 34, 50),
                         [](const auto& test) { return "resnet" + std::to_string(test.param); });

TEST(resnet_test, feature_and_output_shapes_at_quarter_width) {
  torch::NoGradGuard no_grad;
  const auto images = torch::randn({2, 3, 128, 128});
  // 128 / 32 = 4 cells a side; the last stage is 512 × 0.25 = 128 wide, ×4 in a bottleneck.
  for (const auto& [depth, channels] : {std::pair{18, 128}, std::pair{34, 128}, std::pair{50, 512}}) {
    SCOPED_TRACE("resnet" + std::to_string(depth));
    tr::ResNet net(tr::ResNetOptions{depth, 0.25, 1000});
    EXPECT_EQ(net->feature_channels(), channels);
    EXPECT_EQ(net->features(images).sizes(), (std::vector<int64_t>{2, channels, 4, 4}));
    EXPECT_EQ(net->forward(images).sizes(), (std::vector<int64_t>{2, 1000}));
  }
}

TEST(resnet_test, widths_round_to_nearest_and_stay_at_least_one) {
  // 64, 128, 256, 512 × 0.01 = 0.64, 1.28, 2.56, 5.12 → 1, 1, 3, 5.
  tr::ResNet net(tr::ResNetOptions{18, 0.01, 10});
  auto params = net->named_parameters();
  EXPECT_EQ(shape_string(params["conv1.weight"]), "[1,3,7,7]");
  EXPECT_EQ(shape_string(params["layer1.1.conv2.weight"]), "[1,1,3,3]");
  EXPECT_EQ(shape_string(params["layer2.0.conv1.weight"]), "[1,1,3,3]");
  EXPECT_EQ(shape_string(params["layer3.0.downsample.0.weight"]), "[3,1,1,1]");
  EXPECT_EQ(shape_string(params["layer4.1.bn2.weight"]), "[5]");
  EXPECT_EQ(shape_string(params["fc.weight"]), "[10,5]");
  EXPECT_EQ(net->feature_channels(), 5);
  // Stage 2's first block keeps 1 channel but halves the resolution, so it still has a downsample.
  EXPECT_TRUE(params.contains("layer2.0.downsample.0.weight"));
  EXPECT_FALSE(params.contains("layer1.0.downsample.0.weight"));
}

TEST(resnet_test, initialisation_is_torchvisions) {
  tr::ResNet net(tr::ResNetOptions{50, 1.0, 1000});
  auto params = net->named_parameters();
  // kaiming_normal_(mode="fan_out", nonlinearity="relu"): std = sqrt(2 / (out × k × k)).
  const auto conv = params["layer4.0.conv2.weight"];  // [512, 512, 3, 3]
  EXPECT_NEAR(conv.std().item<double>(), std::sqrt(2.0 / (512 * 9)), 0.02 * std::sqrt(2.0 / (512 * 9)));
  EXPECT_NEAR(conv.mean().item<double>(), 0.0, 1e-4);
  const auto stem = params["conv1.weight"];  // [64, 3, 7, 7]
  EXPECT_NEAR(stem.std().item<double>(), std::sqrt(2.0 / (64 * 49)), 0.05 * std::sqrt(2.0 / (64 * 49)));
  // BatchNorm weight 1, bias 0 (zero_init_residual=False, so bn3 too).
  EXPECT_TRUE(params["layer3.2.bn3.weight"].eq(1).all().item<bool>());
  EXPECT_TRUE(params["layer3.2.bn3.bias"].eq(0).all().item<bool>());
  // fc: nn.Linear's default, uniform within 1 / sqrt(fan_in).
  EXPECT_LE(params["fc.bias"].abs().max().item<double>(), 1.0 / std::sqrt(2048.0));
  EXPECT_GT(params["fc.bias"].abs().max().item<double>(), 0.9 / std::sqrt(2048.0));
}

// Both block kinds: resnet18's basic blocks, resnet50's bottlenecks (where only
// the outputs tell a stride on the 3×3 conv, v1.5, from one on the first 1×1).
class resnet_export_test : public ::testing::TestWithParam<int> {};

TEST_P(resnet_export_test, loads_into_torchvision_with_strict_and_computes_the_same) {
  TempDir dir;
  const std::string name = "resnet" + std::to_string(GetParam());
  tr::ResNet net(tr::ResNetOptions{GetParam(), 1.0, 1000});
  {
    torch::NoGradGuard no_grad;
    auto params = net->named_parameters();
    auto buffers = net->named_buffers();
    params["fc.bias"].fill_(0.5);
    params["conv1.weight"][0][0][0][0].fill_(0.25);
    buffers["bn1.running_mean"].fill_(0.125);
    buffers["layer2.0.downsample.1.running_var"].fill_(2.0);
    buffers["layer1.0.bn1.num_batches_tracked"].fill_(7);
  }
  net->eval();
  // A fixed input with detail at every scale.
  const auto input = torch::sin(torch::linspace(0, 5000, 2 * 3 * 64 * 64)).reshape({2, 3, 64, 64});
  torch::Tensor output;
  {
    torch::NoGradGuard no_grad;
    output = net->forward(input);
  }
  ASSERT_EQ(output.sizes(), (std::vector<int64_t>{2, 1000}));
  tr::export_backbone(net, dir / "backbone.pt");
  EXPECT_EQ(files_in(dir.path()), std::vector<std::string>{"backbone.pt"});  // no temporary file left

  c10::Dict<std::string, at::Tensor> ours;
  ours.insert("input", input);
  ours.insert("output", output);
  const auto bytes = torch::pickle_save(ours);
  write_text(dir / "ours.pt", std::string(bytes.begin(), bytes.end()));

  const auto r = run_python(R"(
import sys, torch, torchvision
sd = torch.load(sys.argv[1])
ours = torch.load(sys.argv[2])
m = getattr(torchvision.models, sys.argv[3])()
m.load_state_dict(sd, strict=True)
m.eval()
with torch.no_grad():
    y = m(ours["input"])
print("type", type(sd).__name__)
print("fc.bias", m.fc.bias.min().item(), m.fc.bias.max().item())
print("conv1.weight[0,0,0,0]", m.conv1.weight[0, 0, 0, 0].item())
print("bn1.running_mean", m.bn1.running_mean.min().item(), m.bn1.running_mean.max().item())
print("layer2.0.downsample.1.running_var", m.layer2[0].downsample[1].running_var.min().item())
print("layer1.0.bn1.num_batches_tracked", m.layer1[0].bn1.num_batches_tracked.item())
print("shape", list(y.shape))
print("max_abs", y.abs().max().item())
print("max_abs_diff", (y - ours["output"]).abs().max().item())
)",
                            q(dir / "backbone.pt") + " " + q(dir / "ours.pt") + " " + name, dir);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto v = key_values(r.out);
  EXPECT_EQ(v.at("type"), "dict");
  EXPECT_EQ(v.at("fc.bias"), "0.5 0.5");
  EXPECT_EQ(v.at("conv1.weight[0,0,0,0]"), "0.25");
  EXPECT_EQ(v.at("bn1.running_mean"), "0.125 0.125");
  EXPECT_EQ(v.at("layer2.0.downsample.1.running_var"), "2.0");
  EXPECT_EQ(v.at("layer1.0.bn1.num_batches_tracked"), "7");
  EXPECT_EQ(v.at("shape"), "[2, 1000]");
  EXPECT_GT(std::stod(v.at("max_abs")), 0.5);  // the fc bias alone; a dead network would not do
  EXPECT_LT(std::stod(v.at("max_abs_diff")), 1e-4) << r.out;
  RecordProperty("max_abs_diff", v.at("max_abs_diff"));
}

INSTANTIATE_TEST_SUITE_P(resnet_test, resnet_export_test, ::testing::Values(18, 50),
                         [](const auto& test) { return "resnet" + std::to_string(test.param); });

TEST(resnet_test, half_width_export_has_torchvision_resnet18_keys_with_scaled_shapes) {
  TempDir dir;
  tr::ResNet net(tr::ResNetOptions{18, 0.5, 1000});
  tr::export_backbone(net, dir / "half.pt");
  const auto r = run_python(R"(
import sys, torch, torchvision
sd = torch.load(sys.argv[1])
ref = torchvision.models.resnet18().state_dict()
print("same_keys", list(sd.keys()) == list(ref.keys()))
for key, value in sd.items():
    print(key, "[%s]" % ",".join(map(str, value.shape)))
)",
                            q(dir / "half.pt"), dir);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto v = key_values(r.out);
  EXPECT_EQ(v.at("same_keys"), "True");
  EXPECT_EQ(v.at("conv1.weight"), "[32,3,7,7]");
  EXPECT_EQ(v.at("layer1.0.conv1.weight"), "[32,32,3,3]");
  EXPECT_EQ(v.at("layer3.0.downsample.0.weight"), "[128,64,1,1]");
  EXPECT_EQ(v.at("layer4.1.bn2.running_mean"), "[256]");
  EXPECT_EQ(v.at("layer4.1.bn2.num_batches_tracked"), "[]");
  EXPECT_EQ(v.at("fc.weight"), "[1000,256]");
  // Python reads every tensor with the shape it has here.
  for (const auto& [key, shape] : exported_shapes(dir / "half.pt")) {
    ASSERT_TRUE(v.contains(key)) << key;
    EXPECT_EQ(v.at(key), shape) << key;
  }
}

TEST(resnet_test, export_error_names_the_path_and_leaves_no_partial_file) {
  TempDir dir;
  write_text(dir / "file", "not a folder");
  tr::ResNet net(tr::ResNetOptions{18, 0.05, 10});
  const auto target = dir / "file" / "backbone.pt";
  EXPECT_EQ(error_of<std::runtime_error>([&] {
              tr::export_backbone(net, target);
            }).rfind("cannot create folder " + (dir / "file").string() + ": ", 0),
            0u);

  // An existing file is replaced whole.
  write_text(dir / "old.pt", "old");
  tr::export_backbone(net, dir / "old.pt");
  EXPECT_NE(read_text(dir / "old.pt"), "old");
  EXPECT_EQ(exported_shapes(dir / "old.pt").front(),
            (std::pair<std::string, std::string>{"conv1.weight", "[3,3,7,7]"}));
  EXPECT_EQ(files_in(dir.path()), (std::vector<std::string>{"file", "old.pt"}));
}

TEST(resnet_test, resnet_depth_maps_backbone_names) {
  EXPECT_EQ(tr::resnet_depth("resnet18"), 18);
  EXPECT_EQ(tr::resnet_depth("resnet34"), 34);
  EXPECT_EQ(tr::resnet_depth("resnet50"), 50);
}

TEST(resnet_test, resnet_depth_rejects_an_unknown_name_by_name) {
  EXPECT_EQ(error_of<std::invalid_argument>([] { tr::resnet_depth("resnet101"); }),
            "unknown backbone 'resnet101': expected resnet18, resnet34 or resnet50");
  EXPECT_EQ(error_of<std::invalid_argument>([] { tr::resnet_depth("ResNet18"); }),
            "unknown backbone 'ResNet18': expected resnet18, resnet34 or resnet50");
}

TEST(resnet_test, invalid_options_throw) {
  EXPECT_EQ(error_of<std::invalid_argument>([] {
              tr::ResNet(tr::ResNetOptions{101, 1.0, 1000});
            }),
            "ResNet depth must be 18, 34 or 50, got 101");
  EXPECT_EQ(error_of<std::invalid_argument>([] {
              tr::ResNet(tr::ResNetOptions{18, 0.0, 1000});
            }),
            "ResNet width must be in (0, 64], got 0");
  EXPECT_EQ(error_of<std::invalid_argument>([] {
              tr::ResNet(tr::ResNetOptions{18, 1.0, 0});
            }),
            "ResNet num_classes must be at least 1, got 0");
}

}  // namespace
