// Whole-network analysis: statuses, propagation past an error, warnings,
// params / MACs / receptive fields, the report JSON of the contract, and
// sizes that overflow 64 bits or exceed 2^31 - 1.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "convscope/json.hpp"
#include "convscope/report_json.hpp"
#include "test_support.hpp"

using convscope::Shape;
using convscope::Status;
using test_support::analyse;
using test_support::contains;
namespace json = convscope::json;

namespace {

bool any_warning(const convscope::LayerReport& r, const std::string& needle) {
  return std::any_of(r.warnings.begin(), r.warnings.end(), [&](const std::string& w) { return contains(w, needle); });
}

json::Value report_json(const test_support::Analysed& a) {
  json::Value v;
  json::ParseError error;
  const bool parsed = json::parse(convscope::report_text_json(a.report, a.net), v, error);
  INFO(error.message);
  REQUIRE(parsed);
  return v;
}

}  // namespace

TEST_CASE("layers after the first error are skipped and say which layer broke") {
  const auto a = analyse(R"({"framework": "pytorch", "input": [1, 3, 6, 6], "layers": [
      {"type": "conv", "name": "a", "filters": 4, "kernel": 3},
      {"type": "conv", "name": "b", "filters": 4, "kernel": 5},
      {"type": "relu", "name": "c"},
      {"type": "conv", "name": "d", "filters": 4, "kernel": 1}]})");
  // 6 -> 4 -> (4 - 5) / 1 + 1 = 0
  CHECK_FALSE(a.report.ok);
  CHECK(a.report.first_error == 1u);
  CHECK(a.report.layers[0].status == Status::ok);
  CHECK(a.report.layers[1].status == Status::error);
  for (size_t i : {2u, 3u}) {
    CAPTURE(i);
    CHECK(a.report.layers[i].status == Status::skipped);
    CHECK_FALSE(a.report.layers[i].output.has_value());
    CHECK(contains(a.report.layers[i].message, "b"));
  }
  CHECK_FALSE(a.report.output.has_value());
}

TEST_CASE("a valid network reports its output and totals") {
  const auto a = analyse(R"({"framework": "pytorch", "input": [2, 3, 8, 8], "layers": [
      {"type": "conv", "filters": 4, "kernel": 3, "padding": 1},
      {"type": "batch_norm"},
      {"type": "max_pool", "kernel": 2}]})");
  CHECK(a.report.ok);
  CHECK_FALSE(a.report.first_error.has_value());
  CHECK(a.report.output == Shape{2, 4, 4, 4});
  // conv 3*4*9 + 4 = 112; PyTorch BatchNorm2d weight + bias = 2 * 4 = 8.
  CHECK(a.report.total_params == 120);
  // conv MACs: batch 2 * 8*8 outputs * 4 filters * 9 * 3 = 13,824.
  CHECK(a.report.layers[0].macs == 2 * 64 * 4 * 27);
}

TEST_CASE("batch norm counts 2 parameters per channel in PyTorch and 4 in Keras and ONNX") {
  // torchinfo counts weight and bias; Keras summary() adds moving mean and variance.
  CHECK(analyse(R"({"framework": "pytorch", "input": [1, 16, 4, 4], "layers": [{"type": "batch_norm"}]})").report.total_params == 32);
  CHECK(analyse(R"({"framework": "tensorflow", "input": [1, 4, 4, 16], "layers": [{"type": "batch_norm"}]})").report.total_params == 64);
  CHECK(analyse(R"({"framework": "onnx", "input": [1, 16, 4, 4], "layers": [{"type": "batch_norm"}]})").report.total_params == 64);
}

TEST_CASE("depthwise convolution multiplies channels and counts k*k*C*multiplier + bias") {
  // Keras DepthwiseConv2D(3, depth_multiplier=2) on 3 channels: kernel (3, 3, 3, 2) = 54, bias 6.
  const auto a = analyse(R"({"framework": "tensorflow", "input": [1, 8, 8, 3], "layers": [
      {"type": "depthwise_conv", "kernel": 3, "depth_multiplier": 2}]})");
  CHECK(a.report.output == Shape{1, 6, 6, 6});
  CHECK(a.report.total_params == 60);
}

TEST_CASE("the receptive field follows Araujo et al. (size, jump, start)") {
  SUBCASE("ResNet stem: conv 7/2 pad 3 then pool 3/2 pad 1 -> size 11, jump 4, start 0") {
    // size 1 + 6*1 = 7, jump 2, start (7 - 1)/2 - 3 = 0; then 7 + 2*2 = 11, jump 4, start 0 + ((3 - 1)/2 - 1)*2 = 0.
    const auto a = analyse(test_support::example_text("resnet_stem.json"));
    const auto& rf = a.report.layers[3].receptive_field;
    REQUIRE(rf.has_value());
    CHECK(rf->size[0] == 11);
    CHECK(rf->jump[0] == 4);
    CHECK(rf->start_x2[0] == 0);
  }
  SUBCASE("an even kernel centres its first window between two pixels: start 0.5") {
    const auto a = analyse(R"({"framework": "pytorch", "input": [1, 1, 8, 8], "layers": [{"type": "conv", "filters": 1, "kernel": 2}]})");
    REQUIRE(a.report.layers[0].receptive_field.has_value());
    CHECK(a.report.layers[0].receptive_field->start_x2[0] == 1);
    const json::Value v = report_json(a);
    const json::Value* start = v.find("layers")->as_array()[0].find("receptive_field")->find("start");
    REQUIRE(start != nullptr);
    CHECK(start->as_array()[0].as_double() == 0.5);
  }
}

TEST_CASE("warnings flag valid but suspicious layers") {
  SUBCASE("the map reaches 1x1 while a 3x3 conv still follows") {
    const auto a = analyse(R"({"framework": "pytorch", "input": [1, 4, 2, 2], "layers": [
        {"type": "max_pool", "name": "pool", "kernel": 2},
        {"type": "conv", "name": "late", "filters": 4, "kernel": 3, "padding": 1}]})");
    CHECK(a.report.ok);
    CHECK(a.report.layers[0].status == Status::warning);
    CHECK(any_warning(a.report.layers[0], "late"));
  }
  SUBCASE("dense on a 4-D input mixes only the last axis") {
    const auto a = analyse(R"({"framework": "tensorflow", "input": [1, 4, 4, 8], "layers": [{"type": "dense", "units": 3}]})");
    CHECK(a.report.ok);
    CHECK(a.report.output == Shape{1, 4, 4, 3});
    CHECK(a.report.layers[0].status == Status::warning);
  }
  SUBCASE("PyTorch with unequal explicit pads needs a separate pad layer") {
    const auto a = analyse(R"({"framework": "pytorch", "input": [1, 1, 8, 8], "layers": [
        {"type": "conv", "filters": 1, "kernel": 3, "padding": [[0, 1], [1, 1]]}]})");
    CHECK(a.report.ok);
    CHECK(any_warning(a.report.layers[0], "ZeroPad2d"));
  }
}

TEST_CASE("a formula that differs per axis is spelled per axis") {
  const auto a = analyse(R"({"framework": "pytorch", "input": [1, 1, 3, 8], "layers": [{"type": "conv", "filters": 1, "kernel": [5, 3]}]})");
  CHECK_FALSE(a.report.ok);
  CHECK(convscope::formula_text(a.report.layers[0], 2) == "H: floor((3 - 5) / 1) + 1 = -1; W: floor((8 - 3) / 1) + 1 = 6");
  CHECK(contains(a.report.layers[0].message, "H: "));
  CHECK_FALSE(contains(a.report.layers[0].message, "W: "));
}

TEST_CASE("the report JSON follows the contract") {
  const auto a = analyse(test_support::example_text("conv2d_3.json"));
  const json::Value v = report_json(a);
  REQUIRE(v.is_object());
  CHECK(v.find("ok")->as_bool() == false);
  CHECK(v.find("first_error")->as_int() == 5);
  REQUIRE(v.find("min_input") != nullptr);
  CHECK(v.find("min_input")->as_array().size() == 2);
  const json::Value* layers = v.find("layers");
  REQUIRE(layers != nullptr);
  REQUIRE(layers->as_array().size() == 8);
  for (const json::Value& l : layers->as_array())
    for (const char* key : {"index", "name", "type", "input", "output", "status", "message", "formula",
                            "framework_error", "fixes", "params", "macs", "receptive_field"}) {
      CAPTURE(key);
      CHECK(l.find(key) != nullptr);
    }
  const json::Value& failing = layers->as_array()[5];
  CHECK(failing.find("name")->as_string() == "conv2d_3");
  CHECK(failing.find("status")->as_string() == "error");
  CHECK(failing.find("output")->is_null());
  CHECK(contains(failing.find("formula")->as_string(), "4 - 5"));
  CHECK(contains(failing.find("framework_error")->as_string(), "Negative dimension size caused by subtracting 5 from 4"));
  CHECK(layers->as_array()[0].find("status")->as_string() == "ok");
  CHECK(layers->as_array()[6].find("status")->as_string() == "skipped");
  REQUIRE(v.find("totals") != nullptr);

  SUBCASE("each fix carries a whole network that parses back and analyses clean") {
    const auto& fixes = failing.find("fixes")->as_array();
    CHECK(fixes.size() >= 3);
    for (const json::Value& fix : fixes) {
      CAPTURE(fix.find("summary")->as_string());
      convscope::Network net;
      std::string error;
      REQUIRE(convscope::network_json::from_json(*fix.find("network"), net, error));
      CHECK(convscope::analyze(net, {false, false, 0}).ok == fix.find("resolves_all")->as_bool());
    }
  }
}

TEST_CASE("the text table names the failing layer and shows the formula") {
  const auto a = analyse(test_support::example_text("conv2d_3.json"));
  const std::string table = convscope::report_table(a.report, a.net);
  CHECK(contains(table, "conv2d_3"));
  CHECK(contains(table, "4 - 5"));
  CHECK(contains(table, "Negative dimension size caused by subtracting 5 from 4"));
  CHECK(contains(table, "First error:  layer 5 (conv2d_3)"));
}

// ---- Overflow and the 2^31 - 1 limit ------------------------------------------

TEST_CASE("an output dimension beyond 2^31 - 1 is a clear error") {
  SUBCASE("upsampling 65536 by 65536 gives 2^32") {
    const auto a = analyse(R"({"framework": "pytorch", "input": [1, 1, 65536, 65536], "layers": [{"type": "upsample", "scale": 65536}]})");
    CHECK_FALSE(a.report.ok);
    CHECK(a.report.layers[0].status == Status::error);
    CHECK(contains(a.report.layers[0].message, "4294967296"));
    CHECK(contains(a.report.layers[0].message, "2^31 - 1"));
  }
  SUBCASE("zero padding a 2^31 - 1 map") {
    const auto a = analyse(R"({"framework": "onnx", "input": [1, 1, 2147483647], "layers": [{"type": "zero_pad", "padding": 1}]})");
    CHECK_FALSE(a.report.ok);
    CHECK(contains(a.report.layers[0].message, "2^31 - 1"));
  }
  SUBCASE("a transposed conv with a huge stride: (2^31 - 2) * (2^31 - 1) + 1") {
    const auto a = analyse(R"({"framework": "pytorch", "input": [1, 1, 2147483647], "layers": [
        {"type": "conv_transpose", "filters": 1, "kernel": 1, "stride": 2147483647}]})");
    CHECK_FALSE(a.report.ok);
    CHECK(contains(a.report.layers[0].message, "2^31 - 1"));
  }
}

TEST_CASE("products that leave int64 are a clear error, not wrapped numbers") {
  SUBCASE("flatten of 2^31-1 cubed") {
    const auto a = analyse(R"({"framework": "pytorch", "input": [1, 2147483647, 2147483647, 2147483647], "layers": [{"type": "flatten"}]})");
    CHECK_FALSE(a.report.ok);
    CHECK(a.report.layers[0].status == Status::error);
    CHECK(contains(a.report.layers[0].message, "64-bit"));
  }
  SUBCASE("a 3-D kernel whose volume overflows") {
    const auto a = analyse(R"({"framework": "pytorch", "input": [1, 1, 2147483647, 2147483647, 2147483647], "layers": [
        {"type": "conv", "filters": 2, "kernel": 2147483647}]})");
    CHECK_FALSE(a.report.ok);
    CHECK(contains(a.report.layers[0].message, "64-bit"));
    CHECK_FALSE(a.report.layers[0].params.has_value());
  }
  SUBCASE("totals beyond int64 are unknown while each layer keeps its own count") {
    // Each dense: (2^31 - 1)^2 + (2^31 - 1) ~ 2^62 parameters; three of them exceed 2^63.
    const auto a = analyse(R"({"framework": "pytorch", "input": [1, 2147483647, 1, 1], "layers": [
        {"type": "flatten"},
        {"type": "dense", "units": 2147483647},
        {"type": "dense", "units": 2147483647},
        {"type": "dense", "units": 2147483647}]})");
    CHECK(a.report.ok);
    const int64_t each = 2147483647LL * 2147483647LL + 2147483647LL;
    CHECK(a.report.layers[1].params == each);
    CHECK(a.report.layers[3].params == each);
    CHECK_FALSE(a.report.total_params.has_value());
    const json::Value v = report_json(a);
    CHECK(v.find("totals")->find("params")->is_null());
  }
}
