// Export: PyTorch and Keras code that Python parses, that ConvScope's own
// importers read back to the same network (round trips), and that keeps the
// sizes when it crosses frameworks; the JSON and link exports; the CLI.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include "convscope/analyze.hpp"
#include "convscope/api.hpp"
#include "convscope/conventions.hpp"
#include "convscope/network_json.hpp"
#include "convscope/import/export.hpp"
#include "convscope/import/keras_json.hpp"
#include "import_support.hpp"

using namespace import_support;
using test_support::contains;

namespace {

// Every example preset plus every model fixture, as networks.
std::vector<std::pair<std::string, cs::Network>> all_networks() {
  std::vector<std::pair<std::string, cs::Network>> out;
  for (const char* dir : {"examples", "tests/fixtures/networks"}) {
    for (const auto& entry : std::filesystem::directory_iterator(test_support::source_dir() / dir)) {
      if (entry.path().filename() == "index.json") continue;
      cs::Network net;
      std::string error;
      REQUIRE(cs::network_json::parse(test_support::read_text(entry.path()), net, error));
      out.push_back({entry.path().filename().string(), net});
    }
  }
  for (const char* f : {"pytorch_alexnet.txt", "pytorch_vgg11.txt", "pytorch_resnet18.txt", "pytorch_audio_1d.txt",
                        "keras2_sequential_conv2d_3.json", "keras3_sequential.json", "keras2_functional.json",
                        "keras3_functional_conv1d.json"})
    out.push_back({f, import_ok(fixture(f)).network});
  return out;
}

// The layers' JSON without names (the exporters make names identifiers).
std::string unnamed(const cs::Network& net) {
  cs::json::Value v = cs::network_json::to_json(net);
  cs::json::Array layers;
  for (const auto& l : v.find("layers")->as_array()) {
    cs::json::Object o;
    for (const auto& kv : l.as_object())
      if (kv.first != "name") o.push_back(kv);
    layers.push_back(cs::json::Value(std::move(o)));
  }
  return cs::json::write(cs::json::Value(std::move(layers)), -1) + " " + cs::json::write(*v.find("input"), -1);
}

cs::Network from_pytorch_code(const std::string& code) {
  return import_ok(repr_from_pytorch_code(code), with_input(torch_input(code))).network;
}

cs::Network from_keras_code(const std::string& code) {
  imp::ImportResult r;
  std::string error;
  const bool ok = imp::import_keras_value(keras_json_from_code(code), {}, r, error);
  INFO(error);
  REQUIRE(ok);
  return r.network;
}

// Output shape in the other layout (NCHW <-> NHWC) for comparing frameworks.
cs::Shape spatial_and_channels(cs::Framework fw, const cs::Shape& s) {
  if (s.size() < 3) return s;
  cs::Shape out = {s[0], s[cs::conventions::channel_axis(fw, s.size())]};
  for (size_t i = 0; i + 2 < s.size(); ++i) out.push_back(s[cs::conventions::spatial_axis(fw, i)]);
  return out;
}

}  // namespace

TEST_CASE("exported PyTorch and Keras code is valid Python for every example and fixture") {
  const std::string probe = python_syntax_error("x = 1\n");
  if (probe == "(no python3)") {
    MESSAGE("python3 not found: syntax checks skipped (the round trips below still parse the code)");
    return;
  }
  CHECK(python_syntax_error("def (:\n") != "");  // the check is not vacuous
  for (const auto& entry : all_networks()) {
    // Named copies, not a structured binding: clang 14 cannot capture those (CAPTURE is a lambda).
    const std::string& name = entry.first;
    const cs::Network& net = entry.second;
    CAPTURE(name);
    const std::string torch_code = imp::pytorch_code(net), keras_code = imp::keras_code(net);
    CAPTURE(torch_code);
    CHECK(python_syntax_error(torch_code) == "");
    CAPTURE(keras_code);
    CHECK(python_syntax_error(keras_code) == "");
  }
}

namespace {

// Per layer: output shape and status, to compare networks that spell a layer
// differently (a depthwise convolution is a grouped Conv in PyTorch).
std::string shapes_of(const cs::Network& net) {
  std::string s;
  for (const auto& l : cs::analyze(net, {false, false, 0}).layers)
    s += std::string(cs::to_string(l.status)) + " " + (l.output ? cs::conventions::tf_shape(*l.output, false) : "-") + "; ";
  return s;
}

}  // namespace

TEST_CASE("PyTorch code round-trips through ConvScope's print(model) reader") {
  for (const auto& entry : all_networks()) {
    // Named copies, not a structured binding: clang 14 cannot capture those (CAPTURE is a lambda).
    const std::string& name = entry.first;
    const cs::Network& net = entry.second;
    // print(model) shows a Sequential; a graph's forward() is not in it (graphs: import_export_graph_test.cpp).
    if (net.framework != cs::Framework::pytorch || !cs::is_chain(net)) continue;
    CAPTURE(name);
    const std::string code = imp::pytorch_code(net);
    CAPTURE(code);
    const cs::Network back = from_pytorch_code(code);
    const bool depthwise = std::any_of(net.layers.begin(), net.layers.end(),
                                       [](const cs::Layer& l) { return l.type == cs::LayerType::depthwise_conv; });
    if (depthwise) {
      CHECK(shapes_of(back) == shapes_of(net));  // written as Conv(groups=C)
      continue;
    }
    // print(model) declares every conv's and BatchNorm's channels; where the
    // network declared none, what is read back must be what arrives there.
    cs::Network declared_as_read = back;
    const cs::Report report = cs::analyze(net, {false, false, 0});
    for (size_t i = 0; i < declared_as_read.layers.size() && i < net.layers.size(); ++i) {
      cs::Layer& l = declared_as_read.layers[i];
      if (!l.in_channels || net.layers[i].in_channels) continue;
      const auto& input = report.layers[i].input;
      if (report.layers[i].status != cs::Status::skipped && input) CHECK(*l.in_channels == (*input)[1]);
      l.in_channels.reset();
    }
    CHECK(unnamed(declared_as_read) == unnamed(net));
  }
}

TEST_CASE("Keras code round-trips through ConvScope's Keras JSON reader") {
  for (const auto& entry : all_networks()) {
    // Named copies, not a structured binding: clang 14 cannot capture those (CAPTURE is a lambda).
    const std::string& name = entry.first;
    const cs::Network& net = entry.second;
    // The reader takes the Sequential lines; functional code: import_export_graph_test.cpp.
    if (net.framework != cs::Framework::tensorflow || !cs::is_chain(net)) continue;
    CAPTURE(name);
    const std::string code = imp::keras_code(net);
    CAPTURE(code);
    const cs::Network back = from_keras_code(code);
    if (name == "keras3_functional_conv1d.json") {
      // causal padding comes back as an explicit ZeroPadding1D layer
      CHECK(back.layers.size() == net.layers.size() + 1);
      CHECK(cs::analyze(back, {false, false, 0}).output == cs::analyze(net, {false, false, 0}).output);
    } else {
      CHECK(layers_json(back) == layers_json(net));
    }
  }
}

namespace {

// What Keras cannot say: ceil_mode, and strides > 1 with dilation > 1 (even
// on different axes); the exported code carries a comment instead.
bool keras_can_say(const cs::Network& net) {
  return std::none_of(net.layers.begin(), net.layers.end(), [](const cs::Layer& l) {
    const auto above_1 = [](const std::vector<int64_t>& v) {
      return std::any_of(v.begin(), v.end(), [](int64_t x) { return x > 1; });
    };
    return l.ceil_mode || (above_1(l.stride) && above_1(l.dilation));
  });
}

}  // namespace

TEST_CASE("a graph exports as an nn.Module and as Keras' functional API; as JSON it round-trips") {
  for (const auto& entry : all_networks()) {
    const std::string& name = entry.first;
    const cs::Network& net = entry.second;
    if (cs::is_chain(net)) continue;
    CAPTURE(name);
    const std::string text = cs::json::write(cs::network_json::to_json(net), -1);
    const convscope::api::Result torch = convscope::api::export_code(text, "pytorch");
    CHECK(torch.exit_code == 0);
    CHECK(contains(torch.output, "class Model(nn.Module):\n    def __init__(self):\n        super().__init__()\n"));
    CHECK(contains(torch.output, "\n    def forward(self, x):\n"));
    CHECK_FALSE(contains(torch.output, "nn.Sequential"));
    const convscope::api::Result keras = convscope::api::export_code(text, "keras");
    CHECK(keras.exit_code == 0);
    CHECK(contains(keras.output, "\ninputs = keras.Input(shape="));
    CHECK(contains(keras.output, "\nmodel = keras.Model(inputs=inputs, outputs="));
    CHECK_FALSE(contains(keras.output, "keras.Sequential"));
    const convscope::api::Result json = convscope::api::export_code(text, "json");
    CHECK(json.exit_code == 0);
    cs::Network back;
    std::string error;
    REQUIRE(cs::network_json::parse(json.output, back, error));
    CHECK(cs::json::write(cs::network_json::to_json(back), -1) == text);
  }
}

TEST_CASE("code for the other framework keeps every size (valid networks)") {
  for (const auto& entry : all_networks()) {
    // Named copies, not a structured binding: clang 14 cannot capture those (CAPTURE is a lambda).
    const std::string& name = entry.first;
    const cs::Network& net = entry.second;
    const cs::Report source = cs::analyze(net, {false, false, 0});
    if (!source.ok || !cs::is_chain(net) || (net.framework != cs::Framework::tensorflow && !keras_can_say(net))) continue;
    CAPTURE(name);
    const bool from_torch = net.framework != cs::Framework::tensorflow;
    const std::string code = from_torch ? imp::keras_code(net) : imp::pytorch_code(net);
    CAPTURE(code);
    const cs::Network other = from_torch ? from_keras_code(code) : from_pytorch_code(code);
    const cs::Report target = cs::analyze(other, {false, false, 0});
    CHECK(target.ok);
    REQUIRE(source.output);
    REQUIRE(target.output);
    CHECK(spatial_and_channels(other.framework, *target.output) == spatial_and_channels(net.framework, *source.output));
  }
}

TEST_CASE("the conv2d_3 story exported to PyTorch fails the same way, with PyTorch's text") {
  const cs::Network net = import_ok(test_support::example_text("conv2d_3.json")).network;
  const std::string code = imp::pytorch_code(net);
  CHECK(contains(code, "# ConvScope: this network fails at layer 6 of 8 (conv2d_3)"));
  CHECK(contains(code, "(\"conv2d_3\", nn.Conv2d(64, 16, kernel_size=(5, 5), stride=(1, 1))),"));
  CHECK(contains(code, "x = torch.zeros(1, 3, 32, 32)"));
  const cs::Report back = cs::analyze(from_pytorch_code(code));
  REQUIRE(back.first_error);
  CHECK(back.layers[*back.first_error].framework_errors[0].text ==
        "Calculated padded input size per channel: (4 x 4). Kernel size: (5 x 5). Kernel size can't be greater than "
        "actual input size");
}

TEST_CASE("asymmetric TensorFlow 'same' padding becomes an explicit ZeroPad2d in PyTorch") {
  cs::Network net;
  std::string error;
  REQUIRE(cs::network_json::parse(R"({"framework": "tensorflow", "input": [1, 8, 8, 3], "layers": [
      {"type": "conv", "filters": 4, "kernel": 3, "stride": 2, "padding": "same"}]})", net, error));
  const std::string code = imp::pytorch_code(net);
  CHECK(contains(code, "nn.ZeroPad2d((0, 1, 0, 1))"));
  CHECK(cs::analyze(from_pytorch_code(code)).output == cs::Shape{1, 4, 4, 4});
}

TEST_CASE("the JSON and link exports are the canonical network and its hash") {
  const std::string text = test_support::example_text("lenet5.json");
  const auto json = cs::api::export_code(text, "json");
  CHECK(json.exit_code == 0);
  CHECK(json.output == cs::api::normalize(text).output);
  const auto link = cs::api::export_code(text, "link");
  CHECK(link.exit_code == 0);
  cs::json::Value decoded, exported;
  cs::json::ParseError perr;
  REQUIRE(cs::json::parse(cs::api::decode_link(link.output).output, decoded, perr));
  REQUIRE(cs::json::parse(json.output, exported, perr));
  CHECK(*decoded.find("layers") == *exported.find("layers"));  // links carry no description
  CHECK(cs::api::export_code(text, "caffe").exit_code == 2);
  // any importable input exports: a pasted message to PyTorch code
  const auto from_message = cs::api::export_code(fixture("error_pytorch_conv.txt"), "pytorch");
  CHECK(from_message.exit_code == 0);
  CHECK(contains(from_message.output, "(\"conv3\", nn.Conv2d(1, 1, kernel_size=(5, 5), stride=(1, 1))),"));
}

TEST_CASE("api::import_text returns the network JSON and the notes as a JSON list") {
  const auto r = cs::api::import_text(fixture("pytorch_cifar_net.txt"), "1x3x32x32", "pytorch");
  CHECK(r.exit_code == 0);
  CHECK(contains(r.output, "\"input\": [1, 3, 32, 32]"));
  cs::json::Value notes;
  cs::json::ParseError error;
  REQUIRE(cs::json::parse(r.extras, notes, error));
  CHECK(notes.is_array());
  CHECK(notes.as_array().size() >= 2);
  CHECK(cs::api::import_text("nonsense", "", "").exit_code == 2);
  CHECK(contains(cs::api::import_text(fixture("pytorch_cifar_net.txt"), "", "caffe").error, "--framework"));
}

TEST_CASE("convscope export prints code that runs as printed") {
  const std::string path = test_support::shell_quote(test_support::example_path("vgg_block.json").string());
  const auto torch = test_support::run_cli("export --pytorch " + path);
  CHECK(torch.exit_code == 0);
  CHECK(contains(torch.out, "model = nn.Sequential("));
  const auto keras = test_support::run_cli("export --keras " + path);
  CHECK(keras.exit_code == 0);
  CHECK(contains(keras.out, "model = keras.Sequential(["));
  const auto link = test_support::run_cli("export --link " + path);
  CHECK(link.exit_code == 0);
  CHECK(contains(link.out, "v=1&fw=pytorch"));
  CHECK(test_support::run_cli("export " + path).exit_code == 2);  // no target
}
