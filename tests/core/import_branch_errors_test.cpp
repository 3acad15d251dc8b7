// Pasted errors of networks that branch: the declared channels, torch.cat,
// element-wise broadcasting, TensorFlow's ConcatOp / Incompatible shapes /
// Dimensions must be equal, Keras' Concatenate and merge layers, ONNX
// Runtime's Concat and broadcast. Each becomes a small graph (the input and
// stand-in branches reaching the merge) that fails at the merge and, analysed,
// prints the pasted message's own text.
#include <doctest/doctest.h>

#include <string>

#include "convscope/analyze.hpp"
#include "import_support.hpp"

using namespace import_support;
using test_support::contains;

namespace {

struct Case {
  const char* fixture;
  cs::LayerType failing;
  bool same_text;  // one of ConvScope's texts for the failure appears verbatim in the paste
};

const cs::LayerReport& first_failure(const cs::Report& report) {
  REQUIRE(report.first_error);
  return report.layers[*report.first_error];
}

}  // namespace

TEST_CASE("pasted errors of branches become the failing merge, whose analysis prints the pasted text") {
  const Case cases[] = {
      {"error_pytorch_channels.txt", cs::LayerType::conv, true},
      {"error_pytorch_cat.txt", cs::LayerType::concat, true},
      {"error_pytorch_cat_old.txt", cs::LayerType::concat, false},  // PyTorch 1.5 - 1.7 worded it differently
      {"error_pytorch_broadcast.txt", cs::LayerType::add, true},
      {"error_tf_concat_eager.txt", cs::LayerType::concat, true},
      {"error_tf_incompatible.txt", cs::LayerType::add, true},
      {"error_tf_graph_add.txt", cs::LayerType::add, false},  // graph-mode wording: not among ConvScope's texts
      {"error_keras_concat.txt", cs::LayerType::concat, true},
      {"error_keras_merge.txt", cs::LayerType::multiply, true},
      {"error_onnxruntime_concat.txt", cs::LayerType::concat, true},
      {"error_onnxruntime_broadcast.txt", cs::LayerType::add, true},
  };
  for (const Case& c : cases) {
    CAPTURE(c.fixture);
    const std::string text = fixture(c.fixture);
    const auto r = import_ok(text);
    CHECK(r.format == imp::Format::error_message);
    const cs::Report report = cs::analyze(r.network);
    const cs::LayerReport& failing = first_failure(report);
    CHECK(failing.type == c.failing);
    CHECK(*report.first_error == r.network.layers.size() - 1);  // the merge is the last layer
    bool found = false;
    for (const auto& t : failing.framework_errors) found = found || contains(text, t.text);
    CHECK(found == c.same_text);
    CHECK(contains(all_notes(r), "read: "));
  }
}

TEST_CASE("the shapes each message carries arrive at the merge") {
  SUBCASE("torch.cat: tensor number 2, the two before it alike") {
    const auto r = import_ok("RuntimeError: Sizes of tensors must match except in dimension 1. Expected size 25 but "
                             "got size 24 for tensor number 2 in the list.");
    const cs::Report report = cs::analyze(r.network);
    const cs::LayerReport& cat = first_failure(report);
    REQUIRE(cat.arriving.size() == 3);
    CHECK(cat.arriving[1] == cat.arriving[0]);
    CHECK(cat.arriving[2] == cs::Shape{1, 16, 24, 24});
    CHECK(cat.framework_errors[0].text ==
          "Sizes of tensors must match except in dimension 1. Expected size 25 but got size 24 for tensor number 2 "
          "in the list.");
  }
  SUBCASE("PyTorch broadcast on channels: a 1x1 convolution stands in for the other branch") {
    const auto r = import_ok("RuntimeError: The size of tensor a (512) must match the size of tensor b (256) at "
                             "non-singleton dimension 1");
    CHECK(types_of(r.network) == std::vector<std::string>{"conv", "add"});
    const cs::Report report = cs::analyze(r.network);
    const cs::LayerReport& add = first_failure(report);
    CHECK(add.arriving[0] == cs::Shape{1, 512, 8, 8});
    CHECK(add.arriving[1] == cs::Shape{1, 256, 8, 8});
  }
  SUBCASE("2-D tensors in TensorFlow: a flatten and a dense layer stand in") {
    const auto r = import_ok("InvalidArgumentError: Incompatible shapes: [32,64] vs. [32,32] [Op:AddV2] name: ");
    CHECK(types_of(r.network) == std::vector<std::string>{"flatten", "flatten", "dense", "add"});
    CHECK(r.network.input == std::vector<int64_t>{32, 1, 1, 64});
    const cs::Report report = cs::analyze(r.network);
    const cs::LayerReport& add = first_failure(report);
    CHECK(contains(add.framework_errors[1].text, "Incompatible shapes: [32,64] vs. [32,32] [Op:AddV2]"));
  }
  SUBCASE("TensorFlow graph mode ConcatV2 carries the axis") {
    const auto r = import_ok(
        "ValueError: Dimension 1 in both shapes must be equal, but are 24 and 25. Shapes are [?,24,24] and [?,25,25]. "
        "for '{{node concatenate/concat}} = ConcatV2[N=2, T=DT_FLOAT, Tidx=DT_INT32](Placeholder, Placeholder_1, "
        "concatenate/concat/axis)' with input shapes: [?,24,24,64], [?,25,25,64], [] and with computed input "
        "tensors: input[2] = <3>.");
    CHECK(r.network.layers.back().axis == 3);
    CHECK(r.network.layers.back().name == "concatenate/concat");
    const cs::Report report = cs::analyze(r.network);
    CHECK(first_failure(report).type == cs::LayerType::concat);
  }
  SUBCASE("ONNX Runtime at load time, and onnx 1.14's older wording") {
    for (const char* text :
         {"Node (cat) Op (Concat) [ShapeInferenceError] Can't merge shape info. Both inferred and declared dimension "
          "have values but they differ. Inferred=25 Declared=24 Dimension=2",
          "Node (cat) Op (Concat) [ShapeInferenceError] Can't merge shape info. Both source and target dimension have "
          "values but they differ. Source=25 Target=24 Dimension=2"}) {
      const cs::Report report = cs::analyze(import_ok(text).network);
      const cs::LayerReport& cat = first_failure(report);
      CHECK(cat.name == "cat");
      CHECK(cat.framework_errors[0].text ==
            "Node (cat) Op (Concat) [ShapeInferenceError] Can't merge shape info. Both inferred and declared "
            "dimension have values but they differ. Inferred=25 Declared=24 Dimension=2");
    }
  }
  SUBCASE("the transposed convolution's channels") {
    const auto r = import_ok("RuntimeError: Given transposed=1, weight of size [32, 64, 2, 2], expected input[1, 16, 8, "
                             "8] to have 32 channels, but got 16 channels instead");
    const cs::Report report = cs::analyze(r.network);
    const cs::LayerReport& up = first_failure(report);
    CHECK(up.type == cs::LayerType::conv_transpose);
    CHECK(up.framework_errors[0].text ==
          "Given transposed=1, weight of size [32, 64, 2, 2], expected input[1, 16, 8, 8] to have 32 channels, but "
          "got 16 channels instead");
  }
}

TEST_CASE("branch messages that are not what they look like are named by line and column") {
  CHECK(import_error("RuntimeError: Sizes of tensors must match except in dimension 1. Expected size x") ==
        "line 1, column 80: expected a number, got \"x\"");
  CHECK(contains(import_error("RuntimeError: Sizes of tensors must match except in dimension 9. Expected size 2 but "
                              "got size 3 for tensor number 1 in the list."),
                 "expected a concat dimension 0 to 4"));
  CHECK(contains(import_error("Incompatible shapes: [1,4,4,3] vs. [1,4,4]"), "different ranks"));
  CHECK(contains(import_error("Incompatible shapes: [1,4,4,3] vs. [2,4,4,3]"), "batch sizes differ"));
  CHECK(contains(import_error("Node (m) Op (MatMul) [ShapeInferenceError] Can't merge shape info. Both inferred and "
                              "declared dimension have values but they differ. Inferred=3 Declared=4 Dimension=1"),
                 "ConvScope reconstructs this message for Concat nodes"));
}
