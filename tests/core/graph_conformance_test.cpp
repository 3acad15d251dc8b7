// The merge rules the graph cases of the conformance suite (tests/conformance,
// generate_graphs.mjs) found wrong, checked layer by layer. Every expected
// text here was printed by real PyTorch 1.13 (Debian's python3-torch) or
// onnxruntime-node 1.31 for the same network (ONNX models with symbolic input
// sizes, as the suite builds them); the suite re-checks them on every run.
#include <doctest/doctest.h>

#include <string>

#include "test_support.hpp"

using test_support::analyse;

namespace {

const convscope::LayerReport& failing(const test_support::Analysed& a) {
  REQUIRE(a.report.first_error.has_value());
  return a.report.layers[*a.report.first_error];
}

// The text ConvScope lists for a situation: the first whose source names it.
std::string text_for(const convscope::LayerReport& r, const std::string& situation) {
  for (const auto& t : r.framework_errors)
    if (t.source.find(situation) != std::string::npos) return t.text;
  FAIL("no text for " << situation);
  return "";
}

std::string first_text(const convscope::LayerReport& r) {
  REQUIRE(!r.framework_errors.empty());
  return r.framework_errors[0].text;
}

const std::string kOrtBroadcast =
    "/onnxruntime_src/onnxruntime/core/providers/cpu/math/element_wise_ops.h:";

}  // namespace

TEST_CASE("concat checks the axis first, then each tensor's rank and sizes in turn (PyTorch's and ONNX's order)") {
  SUBCASE("an axis out of range is named before an input of another rank") {
    const std::string net = R"({"framework": "FW", "input": [1, 3, 8, 8], "layers": [
      {"type": "conv", "name": "a", "filters": 4, "kernel": 1, "inputs": ["input"]},
      {"type": "global_avg_pool", "name": "g", "inputs": ["input"]}, {"type": "flatten", "name": "f"},
      {"type": "concat", "name": "cat", "axis": 4, "inputs": ["a", "f"]}]})";
    auto in = [&](const std::string& fw) { return std::string(net).replace(net.find("FW"), 2, fw); };
    const auto torch = analyse(in("pytorch"));
    CHECK(failing(torch).index == 3);
    CHECK(first_text(failing(torch)) == "Dimension out of range (expected to be in range of [-4, 3], but got 4)");
    const auto onnx = analyse(in("onnx"));
    CHECK(text_for(failing(onnx), "ONNX Runtime (loading)") ==
          "Node (cat) Op (Concat) [ShapeInferenceError] axis must be in [-rank, rank-1].");
  }
  SUBCASE("tensor 1's sizes are checked before tensor 2's rank") {
    const auto a = analyse(R"({"framework": "pytorch", "input": [1, 3, 8, 8], "layers": [
      {"type": "conv", "name": "a", "filters": 4, "kernel": 1, "inputs": ["input"]},
      {"type": "conv", "name": "b", "filters": 4, "kernel": 3, "inputs": ["input"]},
      {"type": "global_avg_pool", "name": "g", "inputs": ["input"]}, {"type": "flatten", "name": "f"},
      {"type": "concat", "name": "cat", "inputs": ["a", "b", "f"]}]})");
    CHECK(first_text(failing(a)) ==
          "Sizes of tensors must match except in dimension 1. Expected size 8 but got size 6 for tensor number 1 in the "
          "list.");
  }
  SUBCASE("a negative axis out of range") {
    const auto a = analyse(R"({"framework": "onnx", "input": [1, 3, 8, 8], "layers": [
      {"type": "conv", "name": "a", "filters": 4, "kernel": 1, "inputs": ["input"]},
      {"type": "conv", "name": "b", "filters": 4, "kernel": 1, "inputs": ["input"]},
      {"type": "concat", "name": "cat", "axis": -5, "inputs": ["a", "b"]}]})");
    const auto& r = failing(a);
    CHECK(first_text(r) == "Node (cat) Op (Concat) [ShapeInferenceError] axis must be in [-rank, rank-1].");
  }
}

TEST_CASE("ONNX with dynamic sizes: a later input of another rank is refused at load before a size mismatch") {
  // Shape inference knows the ranks while loading, not the spatial sizes:
  // ONNX Runtime names input 2's rank; with fixed sizes it names input 1's D.
  const auto a = analyse(R"({"framework": "onnx", "input": [1, 3, 7, 4, 6], "layers": [
    {"type": "conv", "name": "branch0", "filters": 5, "kernel": 1, "inputs": ["input"]},
    {"type": "conv", "name": "branch1", "filters": 5, "kernel": [2, 1, 1], "inputs": ["input"]},
    {"type": "global_avg_pool", "name": "flat", "keepdims": false, "inputs": ["branch0"]},
    {"type": "concat", "name": "cat4", "axis": -1, "inputs": ["branch0", "branch1", "flat"]}]})");
  const auto& r = failing(a);
  CHECK(text_for(r, "fixed input shapes") ==
        "Node (cat4) Op (Concat) [ShapeInferenceError] Can't merge shape info. Both inferred and declared dimension "
        "have values but they differ. Inferred=6 Declared=7 Dimension=2");
  CHECK(text_for(r, "dynamic input shapes") ==
        "Node (cat4) Op (Concat) [ShapeInferenceError] All inputs to Concat must have same rank. Input 2 has rank 2 != 5");
}

TEST_CASE("ONNX Runtime's broadcast text names the Broadcaster step that meets the mismatch") {
  // element_wise_ops.h: from the last axis, the first with a size above 1
  // starts the iterators (Init, line 563), every later one extends them
  // (Append, line 583); the failing check's location is part of the text.
  SUBCASE("a mismatch on the last axis: Init") {
    const auto a = analyse(R"({"framework": "onnx", "input": [1, 4, 8, 8], "layers": [
      {"type": "conv", "name": "a", "filters": 4, "kernel": [1, 3], "inputs": ["input"]},
      {"type": "add", "name": "sum", "inputs": ["input", "a"]}]})");
    const auto& r = failing(a);
    CHECK(text_for(r, "running") ==
          "Non-zero status code returned while running Add node. Name:'sum' Status Message: " + kOrtBroadcast +
              "563 void onnxruntime::BroadcastIterator::Init(ptrdiff_t, ptrdiff_t) axis == 1 || axis == largest was "
              "false. Attempting to broadcast an axis by a dimension other than 1. 6 by 8");
  }
  SUBCASE("a mismatch before an axis above 1: Append") {
    const auto a = analyse(R"({"framework": "onnx", "input": [1, 4, 8, 8], "layers": [
      {"type": "conv", "name": "a", "filters": 4, "kernel": [3, 1], "inputs": ["input"]},
      {"type": "add", "name": "sum", "inputs": ["input", "a"]}]})");
    const auto& r = failing(a);
    CHECK(text_for(r, "running") ==
          "Non-zero status code returned while running Add node. Name:'sum' Status Message: " + kOrtBroadcast +
              "583 void onnxruntime::BroadcastIterator::Append(ptrdiff_t, ptrdiff_t) axis == 1 || axis == largest was "
              "false. Attempting to broadcast an axis by a dimension other than 1. 6 by 8");
  }
  SUBCASE("a [N, C, 1, 1] gate with the wrong channels: the spatial axes come first, so Append") {
    const auto a = analyse(R"({"framework": "onnx", "input": [1, 4, 8, 8], "layers": [
      {"type": "global_avg_pool", "name": "g", "inputs": ["input"]},
      {"type": "conv", "name": "e", "filters": 6, "kernel": 1},
      {"type": "multiply", "name": "scale", "inputs": ["input", "e"]}]})");
    const auto& r = failing(a);
    CHECK(text_for(r, "running") ==
          "Non-zero status code returned while running Mul node. Name:'scale' Status Message: " + kOrtBroadcast +
              "583 void onnxruntime::BroadcastIterator::Append(ptrdiff_t, ptrdiff_t) axis == 1 || axis == largest was "
              "false. Attempting to broadcast an axis by a dimension other than 1. 4 by 6");
  }
}

TEST_CASE("an add of more than two inputs is ONNX's Sum (Add takes two)") {
  SUBCASE("at run time") {
    const auto a = analyse(R"({"framework": "onnx", "input": [1, 4, 8, 8], "layers": [
      {"type": "relu", "name": "r", "inputs": ["input"]},
      {"type": "conv", "name": "b", "filters": 4, "kernel": 3, "padding": 1, "inputs": ["input"]},
      {"type": "conv", "name": "c", "filters": 4, "kernel": 3, "inputs": ["input"]},
      {"type": "add", "name": "total", "inputs": ["r", "b", "c"]}]})");
    const auto& r = failing(a);
    CHECK(text_for(r, "running") ==
          "Non-zero status code returned while running Sum node. Name:'total' Status Message: " + kOrtBroadcast +
              "563 void onnxruntime::BroadcastIterator::Init(ptrdiff_t, ptrdiff_t) axis == 1 || axis == largest was "
              "false. Attempting to broadcast an axis by a dimension other than 1. 6 by 8");
  }
  SUBCASE("at load (the weights fix the channels)") {
    const auto a = analyse(R"({"framework": "onnx", "input": [1, 4, 8, 8], "layers": [
      {"type": "conv", "name": "a", "filters": 4, "kernel": 3, "padding": 1, "inputs": ["input"]},
      {"type": "conv", "name": "b", "filters": 4, "kernel": 3, "padding": 1, "inputs": ["input"]},
      {"type": "conv", "name": "c", "filters": 5, "kernel": 3, "padding": 1, "inputs": ["input"]},
      {"type": "add", "name": "total", "inputs": ["a", "b", "c"]}]})");
    const auto& r = failing(a);
    CHECK(text_for(r, "loading") == "Node (total) Op (Sum) [ShapeInferenceError] Incompatible dimensions");
  }
  SUBCASE("two inputs stay Add") {
    const auto a = analyse(R"({"framework": "onnx", "input": [1, 4, 8, 8], "layers": [
      {"type": "conv", "name": "a", "filters": 5, "kernel": 1, "inputs": ["input"]},
      {"type": "conv", "name": "b", "filters": 4, "kernel": 1, "inputs": ["input"]},
      {"type": "add", "name": "sum", "inputs": ["a", "b"]}]})");
    const auto& r = failing(a);
    CHECK(text_for(r, "loading") == "Node (sum) Op (Add) [ShapeInferenceError] Incompatible dimensions");
  }
}

TEST_CASE("a crop_to refused for a larger reference has no formula (nothing was computed)") {
  const auto a = analyse(R"({"framework": "pytorch", "input": [1, 3, 8, 8], "layers": [
    {"type": "conv", "name": "a", "filters": 4, "kernel": 3},
    {"type": "crop_to", "name": "c", "inputs": ["a", "input"]}]})");
    const auto& r = failing(a);
  CHECK(r.index == 1);
  CHECK(r.axes.empty());
  CHECK(r.framework_errors.empty());  // the contract refuses it; PyTorch itself has no error here
}
