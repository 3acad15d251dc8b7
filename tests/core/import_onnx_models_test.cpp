// Real exports committed as fixtures (tests/fixtures/models, written by
// make_models.py with Debian's torch 1.13; weights stripped, dims kept):
// torchvision's ResNet-18 and a U-Net with and without F.interpolate to the
// skip's size, each with PyTorch's per-module shapes from forward hooks. The
// whole corpus (13 torchvision families) is import_real_models_test.cpp's.
#include <doctest/doctest.h>

#include <map>
#include <string>

#include "convscope/analyze.hpp"
#include "import_support.hpp"

using namespace import_support;
using test_support::contains;
namespace json = convscope::json;

namespace {

std::string model_file(const std::string& name) {
  return test_support::read_text(test_support::source_dir() / "tests" / "fixtures" / "models" / name);
}

json::Value truth_of(const std::string& name) {
  json::Value v;
  json::ParseError error;
  REQUIRE(json::parse(model_file(name + ".json"), v, error));
  return v;
}

cs::Shape shape_of(const json::Value& v) {
  cs::Shape s;
  for (const auto& d : v.as_array()) s.push_back(d.as_int());
  return s;
}

// Every module call with an ONNX node: that layer's shape is PyTorch's.
size_t check_calls(const json::Value& calls, const cs::Network& net, const cs::Report& report) {
  std::map<std::string, size_t> by_name;
  for (size_t k = 0; k < net.layers.size(); ++k) by_name[net.layers[k].name] = k;
  size_t compared = 0;
  for (const auto& call : calls.as_array()) {
    const json::Value* node = call.find("onnx_node");
    if (!node->is_string()) continue;
    CAPTURE(call.find("module")->as_string());
    const auto it = by_name.find(node->as_string());
    REQUIRE(it != by_name.end());
    CHECK(report.layers[it->second].output == shape_of(*call.find("shape")));
    ++compared;
  }
  return compared;
}

cs::Report analysed(const imp::ImportResult& r) { return cs::analyze(r.network, {false, false, 0}); }

}  // namespace

TEST_CASE("torchvision's ResNet-18 as PyTorch exports it: every shortcut and add, each module's shape PyTorch's") {
  const json::Value truth = truth_of("resnet18");
  const auto r = import_ok(model_file("resnet18.onnx"));
  CHECK(r.stopped_at.empty());
  size_t adds = 0, downsamples = 0;
  for (const auto& l : r.network.layers) {
    if (l.type == cs::LayerType::add) {
      ++adds;
      CHECK(l.inputs.size() == 2);
    }
    downsamples += l.name.find("/downsample/") != std::string::npos;
  }
  CHECK(adds == 8);
  CHECK(downsamples == 3);
  const cs::Report report = analysed(r);
  CHECK(report.ok);
  CHECK(report.output == shape_of(*truth.find("output")));
  CHECK(check_calls(*truth.find("calls"), r.network, report) == 56);
  // BatchNorm is folded into the convs by the exporter, and equal zero biases
  // are shared through Identity: ConvScope counts each use.
  REQUIRE(r.initializers);
  CHECK(r.initializers->file == truth.find("onnx_initializer_values")->as_int());
  CHECK(*report.total_params == r.initializers->file + r.initializers->shared);
  CHECK(contains(all_notes(r), "parameters: the graph's initializers hold 11,680,872 values; ConvScope counts "
                               "11,684,712 for the layers: 3,840 more for initializers that several nodes share"));
}

TEST_CASE("a U-Net exported at 256 with dynamic sizes, analysed at 100x100: the first concat fails as in PyTorch") {
  const json::Value truth = truth_of("unet");
  const std::string bytes = model_file("unet.onnx");
  CHECK(contains(import_error(bytes), "axis 2 is symbolic (\"height\"); give the input shape with --input"));
  const auto at256 = import_ok(bytes, with_input({1, 3, 256, 256}));
  const cs::Report ok = analysed(at256);
  CHECK(ok.ok);
  CHECK(check_calls(*truth.find("calls"), at256.network, ok) == 43);

  const auto r = import_ok(bytes, with_input({1, 3, 100, 100}));
  CHECK(contains(all_notes(r), "the input shape 1x3x100x100 fills the file's dynamic axes"));
  const cs::Report report = cs::analyze(r.network);
  REQUIRE(report.first_error);
  const cs::LayerReport& cat = report.layers[*report.first_error];
  CHECK(cat.name == truth.find("other_input")->find("error_node")->as_string());
  CHECK(cat.arriving[0] == cs::Shape{1, 64, 25, 25});
  CHECK(cat.arriving[1] == cs::Shape{1, 64, 24, 24});
  CHECK(cat.framework_errors[1].text ==
        "Non-zero status code returned while running Concat node. Name:'/Concat' Status Message: concatbase.h:133 "
        "PrepareForComputeImpl Non concat axis dimensions must match: Axis 2 has mismatched dimensions of 24 and 25");
  REQUIRE(cat.trace);
  CHECK(cat.trace->text == "/enc3/enc3.4/Relu is 25x25; /pool_2/MaxPool floors it to 12, /up3/ConvTranspose doubles "
                           "it to 24: 24 ≠ 25 (H)");
  CHECK(report.valid_input.nearest_below == std::vector<int64_t>{96, 96});
}

TEST_CASE("a U-Net that resizes each upsampled map to its skip's size (Resize from Shape) is valid at 100x100") {
  const json::Value truth = truth_of("unet_resize");
  const auto r = import_ok(model_file("unet_resize.onnx"), with_input({1, 3, 100, 100}));
  size_t resizes = 0;
  for (const auto& l : r.network.layers) resizes += l.type == cs::LayerType::resize_to;
  CHECK(resizes == 3);
  const cs::Report report = analysed(r);
  CHECK(report.ok);
  const json::Value& other = *truth.find("other_input");
  CHECK(report.output == shape_of(*other.find("output")));
  CHECK(check_calls(*other.find("calls"), r.network, report) == 43);
}
