// reshape: x.view(x.size(0), ...) / x.view(-1, ...), Keras' Reshape and ONNX's
// Reshape, one rule in layer_rules.cpp's reshape_op. The framework texts were
// re-run where the framework runs here: PyTorch 1.13 (/usr/bin/python3,
// x.view on zeros of the input's shape) and ONNX Runtime 1.31.1 (a Reshape
// node built with onnx 1.12, run in onnxruntime-node, with dynamic and fixed
// input sizes). Keras' texts are from its source (see conventions.cpp).
#include <doctest/doctest.h>

#include <algorithm>

#include "convscope/import/export.hpp"
#include "import_support.hpp"
#include "convscope/network_json.hpp"
#include "convscope/share_link.hpp"
#include "convscope/translate.hpp"
#include "test_support.hpp"

using convscope::conventions::Failure;
using convscope::Shape;
using convscope::Status;
using test_support::analyse;
using test_support::contains;
using test_support::parse_error;

namespace {
std::string net(const std::string& framework, const std::string& input, const std::string& layers) {
  return test_support::network_text(framework, input, layers);
}
const convscope::LayerReport& only(const test_support::Analysed& a) { return a.report.layers[0]; }
}  // namespace

TEST_CASE("reshape gives [batch, *shape] with one -1 inferred, no weights and no multiply-adds") {
  SUBCASE("LeNet's x.view(-1, 16 * 5 * 5): [1, 16, 5, 5] -> [1, 400] (RUN: torch 1.13)") {
    const auto a = analyse(net("pytorch", "[1, 16, 5, 5]", R"({"type": "reshape", "shape": [400], "batch": "infer"})"));
    CHECK(only(a).status == Status::ok);
    CHECK(only(a).output == Shape{1, 400});
    CHECK(only(a).params == 0);
    CHECK(only(a).macs == 0);
    CHECK(only(a).formula_other == "1 * 16 * 5 * 5 = 400; batch 400 / 400 = 1");
  }
  SUBCASE("x.view(x.size(0), -1, 7, 7) of [1, 64, 7, 7]: the -1 is 64 (RUN: torch 1.13)") {
    const auto a = analyse(net("pytorch", "[1, 64, 7, 7]", R"({"type": "reshape", "shape": [-1, 7, 7]})"));
    CHECK(only(a).output == Shape{1, 64, 7, 7});
    CHECK(only(a).formula_other == "64 * 7 * 7 = 3136; -1 = 3136 / 49 = 64");
  }
  SUBCASE("a reshape that keeps the shape keeps the receptive field; a rank change ends it") {
    const auto same = analyse(net("pytorch", "[1, 8, 6, 6]",
                                  R"({"type": "conv", "filters": 8, "kernel": 3}, {"type": "reshape", "shape": [8, 4, 4]})"));
    REQUIRE(same.report.layers[1].receptive_field);
    CHECK(same.report.layers[1].receptive_field->size[0] == 3);
    const auto flat = analyse(net("pytorch", "[1, 8, 6, 6]",
                                  R"({"type": "conv", "filters": 8, "kernel": 3}, {"type": "reshape", "shape": [128]})"));
    CHECK_FALSE(flat.report.layers[1].receptive_field);
    CHECK(flat.report.layers[1].warnings.empty());
  }
  SUBCASE("spatial axes kept but values moved: the receptive field stops, with a warning saying so") {
    const auto a = analyse(net("pytorch", "[1, 8, 6, 6]",
                               R"({"type": "conv", "filters": 8, "kernel": 3}, {"type": "reshape", "shape": [2, 8, 8]})"));
    const auto& r = a.report.layers[1];
    CHECK(r.output == Shape{1, 2, 8, 8});
    CHECK(r.status == Status::warning);
    CHECK_FALSE(r.receptive_field);
    REQUIRE(r.warnings.size() == 1);
    CHECK(r.warnings[0] ==
          "this reshape keeps 2 spatial axes but moves values between axes, so an output cell is no longer a place "
          "in the input: the receptive field is reported up to the layer before it");
  }
  SUBCASE("Keras' Reshape((7, 7, 64)) after a Dense: channels last, and a conv can follow") {
    const auto a = analyse(net("tensorflow", "[1, 1, 1, 8]",
                               R"({"type": "flatten"}, {"type": "dense", "units": 3136},
                                  {"type": "reshape", "shape": [7, 7, 64]},
                                  {"type": "conv", "filters": 32, "kernel": 3, "padding": "same"})"));
    CHECK(a.report.ok);
    CHECK(a.report.layers[2].output == Shape{1, 7, 7, 64});
    CHECK(a.report.layers[3].output == Shape{1, 7, 7, 32});
    CHECK(a.report.layers[3].params == 3 * 3 * 64 * 32 + 32);
  }
  SUBCASE("x.view(-1, 400) of 800 values per sample: the batch becomes 2, with a warning (RUN: torch 1.13, "
          "[1, 16, 5, 10] -> (2, 400))") {
    const auto a = analyse(net("pytorch", "[1, 16, 5, 10]", R"({"type": "reshape", "shape": [400], "batch": "infer"})"));
    CHECK(only(a).output == Shape{2, 400});
    CHECK(only(a).status == Status::warning);
    REQUIRE(only(a).warnings.size() == 1);
    CHECK(contains(only(a).warnings[0], "the batch becomes 2 (the input's is 1)"));
  }
}

TEST_CASE("a squeeze-excitation gate with Linear layers and view: [1, 64, 1, 1] -> [1, 64] -> ... -> [1, 64, 1, 1] "
          "broadcast over [1, 64, 32, 32] (RUN: torch 1.13)") {
  const auto a = analyse(R"({"framework": "pytorch", "input": [1, 64, 32, 32], "layers": [
    {"type": "conv", "name": "conv", "filters": 64, "kernel": 3, "padding": 1},
    {"type": "global_avg_pool", "name": "squeeze"},
    {"type": "reshape", "name": "flat", "shape": [64]},
    {"type": "dense", "name": "fc1", "units": 16, "in_features": 64},
    {"type": "relu", "name": "relu"},
    {"type": "dense", "name": "fc2", "units": 64},
    {"type": "activation", "name": "gate", "function": "sigmoid"},
    {"type": "reshape", "name": "unflat", "shape": [64, 1, 1]},
    {"type": "multiply", "name": "scale", "inputs": ["conv", "unflat"]},
    {"type": "conv", "name": "after", "filters": 8, "kernel": 3}]})");
  CHECK(a.report.ok);
  CHECK(a.report.layers[2].output == Shape{1, 64});
  CHECK(a.report.layers[7].output == Shape{1, 64, 1, 1});
  CHECK(a.report.layers[8].output == Shape{1, 64, 32, 32});
  CHECK(a.report.layers[9].output == Shape{1, 8, 30, 30});
  CHECK(*a.report.total_params == (64 * 9 * 64 + 64) + (64 * 16 + 16) + (16 * 64 + 64) + (64 * 9 * 8 + 8));
  // The gate's 1x1 is broadcast back up: no "shrinks to 1" warning on the squeeze.
  for (const auto& r : a.report.layers) CHECK(r.warnings.empty());
}

TEST_CASE("reshape fails when the values do not fill the shape, with each framework's text") {
  SUBCASE("PyTorch x.view(x.size(0), 400) of [1, 16, 4, 4] (RUN: torch 1.13)") {
    const auto a = analyse(net("pytorch", "[1, 16, 4, 4]", R"({"type": "reshape", "shape": [400]})"));
    const auto& r = only(a);
    CHECK(r.status == Status::error);
    CHECK(r.failure == Failure::reshape_size);
    CHECK(r.message == "the input holds 256 values per sample (16 * 4 * 4) but [400] holds 400; a reshape keeps every value");
    CHECK(r.formula_other == "16 * 4 * 4 = 256 values, not 400");
    REQUIRE(r.framework_errors.size() == 1);
    CHECK(r.framework_errors[0].source == "PyTorch");
    CHECK(r.framework_errors[0].text == "shape '[1, 400]' is invalid for input of size 256");
    REQUIRE_FALSE(r.fixes.empty());
    CHECK(r.fixes[0].summary == "shape=[-1] with the batch kept (x.view(x.size(0), -1); was [400]) on \"0\"");
    CHECK(r.fixes[0].output == Shape{1, 256});
  }
  SUBCASE("PyTorch x.view(-1, 400) of [1, 16, 4, 4] and of batch 2 (RUN: torch 1.13)") {
    const auto a = analyse(net("pytorch", "[1, 16, 4, 4]", R"({"type": "reshape", "shape": [400], "batch": "infer"})"));
    CHECK(only(a).message ==
          "the input holds 256 values (1 * 16 * 4 * 4), not a multiple of the 400 per sample that [400] asks for, so no "
          "batch size fits");
    CHECK(only(a).framework_errors[0].text == "shape '[-1, 400]' is invalid for input of size 256");
    const auto b = analyse(net("pytorch", "[2, 16, 4, 4]", R"({"type": "reshape", "shape": [400]})"));
    CHECK(only(b).framework_errors[0].text == "shape '[2, 400]' is invalid for input of size 512");
  }
  SUBCASE("PyTorch x.view(x.size(0), -1, 4) of [1, 10, 3, 3]: the -1 stays in the text (RUN: torch 1.13)") {
    const auto a = analyse(net("pytorch", "[1, 10, 3, 3]", R"({"type": "reshape", "shape": [-1, 4, 1]})"));
    CHECK(only(a).framework_errors[0].text == "shape '[1, -1, 4, 1]' is invalid for input of size 90");
    CHECK(contains(only(a).message, "which the other sizes of [-1, 4, 1] (4) do not divide"));
  }
  SUBCASE("PyTorch x.view(x.size(0), 64, 7, 7) of [1, 64, 8, 8]; the fix resizes the channel axis first (RUN: torch 1.13)") {
    const auto a = analyse(net("pytorch", "[1, 64, 8, 8]", R"({"type": "reshape", "shape": [64, 7, 7]})"));
    CHECK(only(a).framework_errors[0].text == "shape '[1, 64, 7, 7]' is invalid for input of size 4096");
    // 4096 / 49 is no whole number of channels; H takes 4096 / (64 * 7) neither; W neither: no shape fix.
    for (const auto& f : only(a).fixes) CHECK_FALSE(contains(f.summary, "shape="));
    const auto b = analyse(net("pytorch", "[1, 32, 7, 7]", R"({"type": "reshape", "shape": [64, 7, 7]})"));
    CHECK(only(b).framework_errors[0].text == "shape '[1, 64, 7, 7]' is invalid for input of size 1568");
    REQUIRE_FALSE(only(b).fixes.empty());
    CHECK(only(b).fixes[0].summary == "shape=[32, 7, 7] (the 1568 values per sample that arrive; was [64, 7, 7]) on \"0\"");
    CHECK(only(b).fixes[0].output == Shape{1, 32, 7, 7});
  }
  SUBCASE("Keras: Keras 3 first (the current Keras), then tf.keras 2 and tfjs-layers, from their source") {
    const auto a = analyse(net("tensorflow", "[1, 4, 4, 16]", R"({"type": "reshape", "shape": [400]})"));
    const auto& t = only(a).framework_errors;
    REQUIRE(t.size() == 3);
    CHECK(t[0].source == "Keras 3");
    CHECK(t[0].text == "The total size of the tensor must be unchanged. Received: input_shape=(4, 4, 16), target_shape=(400,)");
    CHECK(t[1].source == "tf.keras 2");
    CHECK(t[1].text == "total size of new array must be unchanged, input_shape = [4, 4, 16], output_shape = [400]");
    CHECK(t[2].source == "TensorFlow.js layers");
    CHECK(t[2].text == "Total size of new array must be unchanged.");
    const auto b = analyse(net("tensorflow", "[1, 3000, 1]", R"({"type": "reshape", "shape": [-1, 7]})"));
    CHECK(only(b).framework_errors[0].text ==
          "The total size of the tensor must be unchanged, however, the input size cannot by divided by the specified "
          "dimensions in target_shape. Received: input_shape=(3000, 1), target_shape=(-1, 7)");
    CHECK(only(b).framework_errors[1].text ==
          "total size of new array must be unchanged, input_shape = [3000, 1], output_shape = [-1, 7]");
  }
  SUBCASE("ONNX Runtime: at run time; with fixed input sizes a -1 that cannot be inferred fails at load (RUN: "
          "onnxruntime-node 1.31.1)") {
    const auto keep = analyse(net("onnx", "[1, 16, 4, 4]", R"({"type": "reshape", "name": "view", "shape": [400]})"));
    REQUIRE(only(keep).framework_errors.size() == 1);  // a shape without -1 loads, and fails at run time
    CHECK(only(keep).framework_errors[0].source == "ONNX Runtime");
    CHECK(only(keep).framework_errors[0].text ==
          "The input tensor cannot be reshaped to the requested shape. Input shape:{1,16,4,4}, requested shape:{1,400}");
    const auto infer = analyse(net("onnx", "[1, 16, 4, 4]", R"({"type": "reshape", "name": "view", "shape": [400], "batch": "infer"})"));
    REQUIRE(only(infer).framework_errors.size() == 2);
    CHECK(only(infer).framework_errors[0].text ==
          "The input tensor cannot be reshaped to the requested shape. Input shape:{1,16,4,4}, requested shape:{-1,400}");
    CHECK(only(infer).framework_errors[1].source == "ONNX Runtime (loading a model with fixed input shapes)");
    CHECK(only(infer).framework_errors[1].text ==
          "Node (view) Op (Reshape) [ShapeInferenceError] Dimension could not be inferred: incompatible shapes");
  }
  SUBCASE("the input size that fits is found and offered") {
    const auto a = analyse(net("pytorch", "[1, 16, 4, 4]", R"({"type": "reshape", "shape": [400], "batch": "infer"})"));
    bool input_fix = false;
    for (const auto& f : only(a).fixes) input_fix = input_fix || f.summary == "input 1x16x5x5 (was 1x16x4x4)";
    CHECK(input_fix);
  }
}

TEST_CASE("a layer after a reshape sees its rank") {
  SUBCASE("a conv after a reshape to [N, features] is refused by rank, naming the reshape as a cause") {
    const auto a = analyse(net("pytorch", "[1, 4, 4, 4]", R"({"type": "reshape", "shape": [64]}, {"type": "conv", "filters": 2, "kernel": 1})"));
    CHECK(a.report.layers[1].failure == Failure::rank_mismatch);
    CHECK(contains(a.report.layers[1].message, "reshape"));
  }
}

TEST_CASE("reshape's fields are checked when the network is read") {
  CHECK(parse_error(net("pytorch", "[1, 16, 4, 4]", R"({"type": "reshape"})")) ==
        "layers[0].shape: missing (reshape needs shape)");
  CHECK(parse_error(net("pytorch", "[1, 16, 4, 4]", R"({"type": "reshape", "shape": 400})")) ==
        "layers[0].shape: expected the sizes after the batch axis as a list (e.g. [400] or [64, 7, 7]), got 400");
  CHECK(parse_error(net("pytorch", "[1, 16, 4, 4]", R"({"type": "reshape", "shape": [4, 8]})")) ==
        "layers[0].shape: expected 1 size (an [N, features] output) or 3 (C, H, W, the input's rank), got 2; "
        "ConvScope analyses one spatial rank per network");
  CHECK(parse_error(net("pytorch", "[1, 16, 4, 4]", R"({"type": "reshape", "shape": [-1, -1, 8]})")) ==
        "layers[0].shape[1]: a second -1 (only one size can be inferred; the first is layers[0].shape[0])");
  CHECK(parse_error(net("pytorch", "[1, 16, 4, 4]", R"({"type": "reshape", "shape": [0]})")) ==
        "layers[0].shape[0]: expected a positive integer or -1 (inferred), got 0");
  CHECK(parse_error(net("pytorch", "[1, 16, 4, 4]", R"({"type": "reshape", "shape": [-1, 8, 8], "batch": "infer"})")) ==
        "layers[0].shape[0]: -1 with batch \"infer\": the batch is the size inferred (x.view(-1, ...)), and only one size "
        "can be");
  CHECK(parse_error(net("pytorch", "[1, 16, 4, 4]", R"({"type": "reshape", "shape": [400], "batch": "yes"})")) ==
        "layers[0].batch: expected \"keep\" (the batch axis stays: x.view(x.size(0), ...)) or \"infer\" (the batch is "
        "what the values leave: x.view(-1, ...)), got \"yes\"");
  CHECK(parse_error(net("tensorflow", "[1, 4, 4, 16]", R"({"type": "reshape", "shape": [256], "batch": "infer"})")) ==
        "layers[0].batch: Keras' Reshape always keeps the batch axis (its target_shape leaves it out); omit batch");
  CHECK(parse_error(net("tensorflow", "[1, 4, 4, 16]", R"({"type": "reshape", "shape": [4, 64]})")) ==
        "layers[0].shape: expected 1 size (an [N, features] output) or 3 (H, W, C, the input's rank), got 2; "
        "ConvScope analyses one spatial rank per network");
}

TEST_CASE("reshape round-trips through JSON and share links (v2)") {
  const std::string text = net("pytorch", "[1, 64, 7, 7]",
                               R"({"type": "reshape", "name": "flat", "shape": [-1], "batch": "keep"},
                                  {"type": "reshape", "name": "back", "shape": [64, 7, 7]},
                                  {"type": "reshape", "name": "rows", "shape": [3136], "batch": "infer"})");
  convscope::Network n;
  std::string error;
  REQUIRE(convscope::network_json::parse(text, n, error));
  const convscope::json::Value value = convscope::network_json::to_json(n);
  const std::string json = convscope::json::write(value, -1);
  // "keep" is the default and left out.
  CHECK(contains(json, R"({"type":"reshape","name":"flat","shape":[-1]})"));
  CHECK(contains(json, R"({"type":"reshape","name":"back","shape":[64,7,7]})"));
  CHECK(contains(json, R"({"type":"reshape","name":"rows","shape":[3136],"batch":"infer"})"));
  std::string link;
  convscope::share_link::ShareLinkError link_error;
  REQUIRE(convscope::share_link::encode(value, {}, link, link_error));
  CHECK(contains(link, "v=2"));
  CHECK(contains(link, "reshape:sh-1:n=flat"));
  CHECK(contains(link, "reshape:sh64x7x7:n=back"));
  CHECK(contains(link, "reshape:sh3136:binfer:n=rows"));
  convscope::share_link::Decoded back;
  REQUIRE(convscope::share_link::decode(link, back, link_error));
  convscope::Network m;
  REQUIRE(convscope::network_json::parse(convscope::json::write(back.network, -1), m, error));
  CHECK(m.layers[0].target_shape == std::vector<int64_t>{-1});
  CHECK(m.layers[1].target_shape == std::vector<int64_t>{64, 7, 7});
  CHECK(m.layers[2].infer_batch);
  SUBCASE("a bad link names the part") {
    CHECK_FALSE(convscope::share_link::decode("v=2&fw=torch&in=1x4x4x4&l=reshape:sh4x-2", back, link_error));
    CHECK(link_error.message == "l: layer 0 \"reshape:sh4x-2\": sh: negative values cannot be written in a link");
    CHECK_FALSE(convscope::share_link::decode("v=2&fw=torch&in=1x4x4x4&l=reshape:sh64:bmaybe", back, link_error));
    CHECK(link_error.message == "l: layer 0 \"reshape:sh64:bmaybe\": b: expected bkeep or binfer, got \"bmaybe\"");
  }
}

TEST_CASE("compare ports a reshape's sizes to the other layout and Keras' Reshape keeps the batch") {
  convscope::Network n;
  std::string error;
  REQUIRE(convscope::network_json::parse(
      net("pytorch", "[1, 3, 8, 8]",
          R"({"type": "conv", "filters": 4, "kernel": 1}, {"type": "reshape", "shape": [256], "batch": "infer"},
             {"type": "reshape", "shape": [4, 8, 8]})"),
      n, error));
  const convscope::Translation tf = convscope::translate(n, convscope::Framework::tensorflow);
  REQUIRE(tf.network.layers.size() == 3);
  CHECK_FALSE(tf.network.layers[1].infer_batch);
  CHECK(tf.network.layers[2].target_shape == std::vector<int64_t>{8, 8, 4});
  CHECK(convscope::analyze(tf.network).ok);
  const convscope::Translation onnx = convscope::translate(n, convscope::Framework::onnx);
  CHECK(onnx.network.layers[1].infer_batch);
  CHECK(onnx.network.layers[2].target_shape == std::vector<int64_t>{4, 8, 8});
}

TEST_CASE("exported code writes x.reshape in forward() and Keras' Reshape with the sizes in its layout") {
  convscope::Network n;
  std::string error;
  REQUIRE(convscope::network_json::parse(
      net("pytorch", "[1, 3, 8, 8]",
          R"({"type": "conv", "name": "c", "filters": 4, "kernel": 1}, {"type": "reshape", "name": "flat", "shape": [256], "batch": "infer"},
             {"type": "reshape", "name": "back", "shape": [4, 8, 8]})"),
      n, error));
  const std::string py = convscope::import::pytorch_code(n);
  CHECK(contains(py, "flat = c.reshape(-1, 256)\n"));
  CHECK(contains(py, "back = flat.reshape(flat.size(0), 4, 8, 8)\n"));
  const std::string keras = convscope::import::keras_code(n);
  CHECK(contains(keras, "layers.Reshape(target_shape=(256,), name=\"flat\")"));
  CHECK(contains(keras, "layers.Reshape(target_shape=(8, 8, 4), name=\"back\")"));
  CHECK(contains(keras, "Keras' Reshape keeps it"));
}

TEST_CASE("ONNX import: a Reshape the contract can say becomes a reshape layer, and one whose values do not fit fails "
          "with ONNX Runtime's text") {
  using namespace import_support;
  using namespace import_support::onnx;
  SUBCASE("squeeze-excitation as torch.onnx exports Linear + view: [N, C] is a flatten, [N, C, 1, 1] a reshape") {
    const std::vector<Pb> nodes = {
        node("GlobalAveragePool", {"x"}, {"g"}, "/se/pool"),
        node("Reshape", {"g", "flat"}, {"f"}, "/se/Reshape"),
        node("Gemm", {"f", "w1", "b1"}, {"s1"}, "/se/fc1", {integer("transB", 1)}),
        node("Relu", {"s1"}, {"s2"}, "/se/relu"),
        node("Gemm", {"s2", "w2", "b2"}, {"s3"}, "/se/fc2", {integer("transB", 1)}),
        node("Sigmoid", {"s3"}, {"s4"}, "/se/sigmoid"),
        node("Reshape", {"s4", "back"}, {"gate"}, "/se/Reshape_1"),
        node("Mul", {"x", "gate"}, {"y"}, "/se/Mul"),
    };
    const std::vector<Pb> inits = {int64_tensor("flat", {1, 16}), int64_tensor("back", {1, 16, 1, 1}),
                                   tensor("w1", {4, 16}), tensor("b1", {4}), tensor("w2", {16, 4}), tensor("b2", {16})};
    const auto r = import_support::import_ok(model(nodes, inits, value_info("x", {1, 16, 8, 8}), value_info("y", {1, 16, 8, 8})));
    CHECK(r.stopped_at.empty());
    CHECK(import_support::types_of(r.network) ==
          std::vector<std::string>{"global_avg_pool", "flatten", "dense", "relu", "dense", "activation", "reshape", "multiply"});
    CHECK(r.network.layers[6].target_shape == std::vector<int64_t>{16, 1, 1});
    const convscope::Report report = convscope::analyze(r.network, {false, false, 0});
    CHECK(report.ok);
    CHECK(report.layers[6].output == Shape{1, 16, 1, 1});
    CHECK(report.output == Shape{1, 16, 8, 8});
  }
  SUBCASE("x.view(-1, 400) exported with 256 values per sample: the reshape fails with ONNX Runtime's text (RUN: "
          "onnxruntime-node 1.31.1)") {
    const auto r = import_support::import_ok(
        model({node("Relu", {"x"}, {"a"}, "a"), node("Reshape", {"a", "t"}, {"y"}, "view")}, {int64_tensor("t", {-1, 400})},
              value_info("x", {1, 16, 4, 4}), value_info("y", {})));
    CHECK(r.stopped_at.empty());
    REQUIRE(r.network.layers.size() == 2);
    CHECK(r.network.layers[1].infer_batch);
    const convscope::Report report = convscope::analyze(r.network, {false, false, 0});
    REQUIRE(report.first_error == 1u);
    CHECK(report.layers[1].framework_errors[0].text ==
          "The input tensor cannot be reshaped to the requested shape. Input shape:{1,16,4,4}, requested shape:{-1,400}");
  }
  SUBCASE("a target of another rank stops the import, named") {
    const auto r = import_support::import_ok(
        model({node("Relu", {"x"}, {"a"}, "a"), node("Reshape", {"a", "t"}, {"y"}, "view")}, {int64_tensor("t", {1, 16, 16})},
              value_info("x", {1, 16, 4, 4}), value_info("y", {})));
    CHECK(contains(r.stopped_at, "node 1 (\"view\", Reshape): it reshapes [1, 16, 4, 4] to [1, 16, 16]; ConvScope models"));
  }
}

TEST_CASE("Keras JSON import: Reshape's target_shape is the contract's shape (an SE gate Keras-style)") {
  const auto layer = [](const std::string& cls, const std::string& name, const std::string& config, const std::string& inbound) {
    return R"(, {"class_name": ")" + cls + R"(", "name": ")" + name + R"(", "config": {"name": ")" + name + "\"" +
           (config.empty() ? "" : ", " + config) + R"(}, "inbound_nodes": [[)" + inbound + "]]}";
  };
  const std::string keras =
      R"({"class_name": "Functional", "keras_version": "2.12.0", "config": {"name": "m", "layers": [)"
      R"({"class_name": "InputLayer", "config": {"batch_input_shape": [null, 8, 8, 16], "name": "x"}, "name": "x", "inbound_nodes": []})" +
      layer("GlobalAveragePooling2D", "gap", "", R"(["x", 0, 0, {}])") +
      layer("Dense", "fc", R"("units": 16, "activation": "sigmoid")", R"(["gap", 0, 0, {}])") +
      layer("Reshape", "gate", R"("target_shape": [1, 1, 16])", R"(["fc", 0, 0, {}])") +
      layer("Multiply", "out", "", R"(["x", 0, 0, {}], ["gate", 0, 0, {}])") +
      R"(], "input_layers": [["x", 0, 0]], "output_layers": [["out", 0, 0]]}})";
  const auto r = import_support::import_ok(keras);
  const auto& L = r.network.layers;
  REQUIRE(L.size() >= 4);
  const auto gate = std::find_if(L.begin(), L.end(), [](const convscope::Layer& l) { return l.name == "gate"; });
  REQUIRE(gate != L.end());
  CHECK(gate->type == convscope::LayerType::reshape);
  CHECK(gate->target_shape == std::vector<int64_t>{1, 1, 16});
  const convscope::Report report = convscope::analyze(r.network, {false, false, 0});
  CHECK(report.ok);
  CHECK(report.output == Shape{1, 8, 8, 16});
  SUBCASE("a target_shape that does not fit fails with Keras 3's text") {
    std::string wrong = keras;
    wrong.replace(wrong.find("[1, 1, 16]"), 10, "[1, 1, 15]");
    const auto w = import_support::import_ok(wrong);
    const convscope::Report bad = convscope::analyze(w.network, {false, false, 0});
    REQUIRE(bad.first_error);
    CHECK(bad.layers[*bad.first_error].framework_errors[0].text ==
          "The total size of the tensor must be unchanged. Received: input_shape=(16,), target_shape=(1, 1, 15)");
  }
}
