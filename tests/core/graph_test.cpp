// Graphs (issue 10): the merge rules and each framework's verbatim text,
// the `inputs` contract, analysis over branches (errors skip only what
// depends on them), the branch trace, merge fixes, valid input sizes, and
// params / receptive fields across branches.
//
// Where the texts come from (/work/notes/merge-texts.md): PyTorch texts were
// produced by running PyTorch 1.13; ONNX Runtime texts by running
// onnxruntime-node 1.31.1 on models built with onnx 1.12 (fixed input shapes
// fail at load, symbolic ones at run); Keras and TensorFlow eager texts are
// from their sources (no TensorFlow on the build machine).
#include <doctest/doctest.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "convscope/json.hpp"
#include "convscope/layer_types.hpp"
#include "convscope/merge_rules.hpp"
#include "convscope/report_json.hpp"
#include "convscope/valid_input.hpp"
#include "test_support.hpp"

using convscope::Framework;
using convscope::LayerReport;
using convscope::LayerType;
using convscope::Network;
using convscope::Shape;
using convscope::Status;
using convscope::conventions::Failure;
using test_support::analyse;
using test_support::contains;
using test_support::parse_error;
namespace json = convscope::json;

namespace {

const convscope::AnalyzeOptions kQuick{false, false, 0, false};

// A merge layer of `type` named `name` run on hand-made arriving shapes, as
// the analysis runs it once every input is known. The inputs are layers
// "a", "b", "c", ... so messages can name them.
LayerReport merge(Framework fw, LayerType type, const std::vector<Shape>& shapes,
                  std::optional<int64_t> axis = std::nullopt, const std::string& name = "merge") {
  Network net;
  net.framework = fw;
  net.input = Shape(4, 1);
  for (size_t k = 0; k < shapes.size(); ++k) {
    convscope::Layer l;
    l.type = LayerType::relu;
    l.name = std::string(1, static_cast<char>('a' + k));
    net.layers.push_back(l);
  }
  convscope::Layer m;
  m.type = type;
  m.name = name;
  m.axis = axis;
  LayerReport r;
  for (size_t k = 0; k < shapes.size(); ++k) {
    m.inputs.push_back(static_cast<int32_t>(k));
    r.inputs.push_back(static_cast<int32_t>(k));
    r.arriving.push_back(shapes[k]);
  }
  net.layers.push_back(m);
  static const std::optional<convscope::ReceptiveField> unknown;
  const std::vector<const std::optional<convscope::ReceptiveField>*> rfs(shapes.size(), &unknown);
  convscope::apply_merge({net, shapes.size(), rfs}, r);
  return r;
}

// The text of the first framework source starting with `source`; "" if none.
std::string text_from(const LayerReport& r, const std::string& source) {
  for (const auto& t : r.framework_errors)
    if (t.source.rfind(source, 0) == 0) return t.text;
  return "";
}

std::string all_texts(const LayerReport& r) {
  std::string s;
  for (const auto& t : r.framework_errors) s += t.source + ": " + t.text + "\n";
  return s;
}

// Source prefixes, as the engine labels them.
const char* const kPyTorch = "PyTorch";
const char* const kKeras = "Keras (tf.keras 2.9+ and Keras 3)";
const char* const kTfEager = "TensorFlow eager";
const char* const kOrtLoad = "ONNX Runtime (loading";
const char* const kOrtRun = "ONNX Runtime 1.31 (running";

struct Expect {
  const char* source;
  std::string text;
};

struct MergeCase {
  const char* what;
  LayerType type;
  std::vector<Shape> shapes;
  std::optional<int64_t> axis;
  std::optional<Shape> output;  // valid: the merged shape
  std::optional<Failure> failure;
  std::vector<Expect> texts;    // invalid: texts that must be there, byte for byte
};

void check_case(Framework fw, const MergeCase& c, const std::string& name) {
  CAPTURE(c.what);
  const LayerReport r = merge(fw, c.type, c.shapes, c.axis, name);
  CAPTURE(r.message);
  CAPTURE(all_texts(r));
  if (c.output) {
    CHECK(r.status != Status::error);
    CHECK(r.output == c.output);
    CHECK(r.framework_errors.empty());
    return;
  }
  CHECK(r.status == Status::error);
  CHECK_FALSE(r.output.has_value());
  CHECK_FALSE(r.message.empty());
  if (c.failure) CHECK(r.failure == c.failure);
  for (const Expect& e : c.texts) {
    CAPTURE(e.source);
    CHECK(text_from(r, e.source) == e.text);
  }
}

// PyTorch's and ONNX Runtime's element-wise ops, in the contract's order.
struct ElementwiseOp {
  LayerType type;
  const char* tf_op;    // the TF kernel an eager Keras merge runs
  const char* onnx_op;  // the ONNX node type
  const char* node;     // a node / layer name
};
const ElementwiseOp kElementwise[] = {
    {LayerType::add, "AddV2", "Add", "add"},          {LayerType::subtract, "Sub", "Sub", "sub"},
    {LayerType::multiply, "Mul", "Mul", "mul"},       {LayerType::average, "AddV2", "Mean", "mean"},
    {LayerType::maximum, "Maximum", "Max", "max"},    {LayerType::minimum, "Minimum", "Min", "min"},
};

std::string cat_pt(int64_t dim, int64_t expected, int64_t got, int64_t tensor) {
  return "Sizes of tensors must match except in dimension " + std::to_string(dim) + ". Expected size " +
         std::to_string(expected) + " but got size " + std::to_string(got) + " for tensor number " +
         std::to_string(tensor) + " in the list.";
}
std::string bcast_pt(int64_t a, int64_t b, int64_t dim) {
  return "The size of tensor a (" + std::to_string(a) + ") must match the size of tensor b (" + std::to_string(b) +
         ") at non-singleton dimension " + std::to_string(dim);
}
std::string cat_ort_load(const std::string& node, int64_t inferred, int64_t declared, int64_t dim) {
  return "Node (" + node + ") Op (Concat) [ShapeInferenceError] Can't merge shape info. Both inferred and declared "
         "dimension have values but they differ. Inferred=" + std::to_string(inferred) + " Declared=" +
         std::to_string(declared) + " Dimension=" + std::to_string(dim);
}
std::string cat_ort_run(const std::string& node, int64_t axis, int64_t other, int64_t ref) {
  return "Non-zero status code returned while running Concat node. Name:'" + node +
         "' Status Message: concatbase.h:133 PrepareForComputeImpl Non concat axis dimensions must match: Axis " +
         std::to_string(axis) + " has mismatched dimensions of " + std::to_string(other) + " and " + std::to_string(ref);
}
// ONNX Runtime's broadcaster walks the axes from the last: the first axis
// where either size exceeds 1 is set up by BroadcastIterator::Init (line
// 563), every later one by Append (line 583); each enforces the same rule.
std::string bcast_ort_run(const std::string& op, const std::string& node, bool init, int64_t smaller, int64_t larger) {
  return "Non-zero status code returned while running " + op + " node. Name:'" + node +
         "' Status Message: /onnxruntime_src/onnxruntime/core/providers/cpu/math/element_wise_ops.h:" +
         (init ? "563 void onnxruntime::BroadcastIterator::Init" : "583 void onnxruntime::BroadcastIterator::Append") +
         "(ptrdiff_t, ptrdiff_t) axis == 1 || axis == largest was false. Attempting to broadcast an axis by a "
         "dimension other than 1. " + std::to_string(smaller) + " by " + std::to_string(larger);
}
std::string bcast_ort_load(const std::string& op, const std::string& node) {
  return "Node (" + node + ") Op (" + op + ") [ShapeInferenceError] Incompatible dimensions";
}
const std::string kKerasCat =
    "A `Concatenate` layer requires inputs with matching shapes except for the concatenation axis. Received: input_shape=";
std::string tf_eager_cat(int count, int64_t dim, const std::string& s0, int64_t tensor, const std::string& si) {
  return "{{function_node __wrapped__ConcatV2_N_" + std::to_string(count) +
         "_device_/job:localhost/replica:0/task:0/device:CPU:0}} ConcatOp : Dimension " + std::to_string(dim) +
         " in both shapes must be equal: shape[0] = " + s0 + " vs. shape[" + std::to_string(tensor) + "] = " + si +
         " [Op:ConcatV2] name: concat";
}
std::string tf_eager_bcast(const std::string& op, const std::string& a, const std::string& b) {
  return "{{function_node __wrapped__" + op + "_device_/job:localhost/replica:0/task:0/device:CPU:0}} Incompatible shapes: " +
         a + " vs. " + b + " [Op:" + op + "] name: ";
}

}  // namespace

// ---- concat ---------------------------------------------------------------------

TEST_CASE("concat: each framework's text, reference tensor and numbering") {
  SUBCASE("PyTorch (torch.cat, NCHW, dim 1 by default)") {
    const std::vector<MergeCase> cases = {
        {"H differs", LayerType::concat, {{1, 64, 24, 24}, {1, 64, 25, 25}}, {}, {}, Failure::concat_mismatch,
         {{kPyTorch, cat_pt(1, 24, 25, 1)}}},
        {"the second is the reference's mirror", LayerType::concat, {{1, 64, 25, 25}, {1, 64, 24, 24}}, {}, {},
         Failure::concat_mismatch, {{kPyTorch, cat_pt(1, 25, 24, 1)}}},
        {"W differs", LayerType::concat, {{1, 64, 24, 24}, {1, 64, 24, 25}}, {}, {}, Failure::concat_mismatch,
         {{kPyTorch, cat_pt(1, 24, 25, 1)}}},
        {"the batch differs", LayerType::concat, {{1, 64, 24, 24}, {2, 64, 24, 24}}, {}, {}, Failure::concat_mismatch,
         {{kPyTorch, cat_pt(1, 1, 2, 1)}}},
        {"the third of three differs: tensor number 2", LayerType::concat,
         {{1, 64, 24, 24}, {1, 32, 24, 24}, {1, 64, 25, 25}}, {}, {}, Failure::concat_mismatch,
         {{kPyTorch, cat_pt(1, 24, 25, 2)}}},
        {"H reported before W", LayerType::concat, {{1, 64, 24, 30}, {1, 32, 25, 31}}, {}, {},
         Failure::concat_mismatch, {{kPyTorch, cat_pt(1, 24, 25, 1)}}},
        {"ranks differ", LayerType::concat, {{1, 64, 24, 24}, {1, 64, 24}}, {}, {}, Failure::concat_rank,
         {{kPyTorch, "Tensors must have same number of dimensions: got 4 and 3"}}},
        {"ranks differ, the other way", LayerType::concat, {{1, 64, 24}, {1, 64, 24, 24}}, {}, {}, Failure::concat_rank,
         {{kPyTorch, "Tensors must have same number of dimensions: got 3 and 4"}}},
        {"axis 4 on 4-D inputs", LayerType::concat, {{1, 64, 24, 24}, {1, 64, 24, 24}}, 4, {}, Failure::concat_axis,
         {{kPyTorch, "Dimension out of range (expected to be in range of [-4, 3], but got 4)"}}},
        {"axis -5 on 4-D inputs", LayerType::concat, {{1, 64, 24, 24}, {1, 64, 24, 24}}, -5, {}, Failure::concat_axis,
         {{kPyTorch, "Dimension out of range (expected to be in range of [-4, 3], but got -5)"}}},
        {"dim -1 prints the wrapped dimension 3", LayerType::concat, {{1, 64, 24, 24}, {1, 64, 23, 10}}, -1, {},
         Failure::concat_mismatch, {{kPyTorch, cat_pt(3, 24, 23, 1)}}},
        {"channels add up", LayerType::concat, {{1, 64, 24, 24}, {1, 32, 24, 24}, {1, 16, 24, 24}}, {},
         Shape{1, 112, 24, 24}, {}, {}},
        {"concat on W adds the widths", LayerType::concat, {{1, 64, 24, 24}, {1, 64, 24, 10}}, 3, Shape{1, 64, 24, 34},
         {}, {}},
        {"concat on dim -1 is W", LayerType::concat, {{1, 64, 24, 24}, {1, 64, 24, 10}}, -1, Shape{1, 64, 24, 34}, {},
         {}},
        {"concat on H adds the heights", LayerType::concat, {{1, 64, 24, 24}, {1, 64, 8, 24}}, 2, Shape{1, 64, 32, 24},
         {}, {}},
    };
    for (const auto& c : cases) check_case(Framework::pytorch, c, "cat");
  }
  SUBCASE("Keras (Concatenate, NHWC, axis -1 by default) and TensorFlow eager (tf.concat)") {
    const std::vector<MergeCase> cases = {
        {"H differs", LayerType::concat, {{1, 24, 24, 64}, {1, 25, 25, 64}}, {}, {}, Failure::concat_mismatch,
         {{kKeras, kKerasCat + "[(None, 24, 24, 64), (None, 25, 25, 64)]"},
          {kTfEager, tf_eager_cat(2, 1, "[1,24,24,64]", 1, "[1,25,25,64]")}}},
        {"W differs", LayerType::concat, {{1, 24, 24, 64}, {1, 24, 25, 64}}, {}, {}, Failure::concat_mismatch,
         {{kKeras, kKerasCat + "[(None, 24, 24, 64), (None, 24, 25, 64)]"},
          {kTfEager, tf_eager_cat(2, 2, "[1,24,24,64]", 1, "[1,24,25,64]")}}},
        {"the batch differs: the kernel sees it (Keras prints None for the batch)", LayerType::concat,
         {{1, 24, 24, 64}, {2, 24, 24, 64}}, {}, {}, Failure::concat_mismatch,
         {{kTfEager, tf_eager_cat(2, 0, "[1,24,24,64]", 1, "[2,24,24,64]")}}},
        {"the third of three differs", LayerType::concat, {{1, 24, 24, 64}, {1, 24, 24, 32}, {1, 25, 25, 64}}, {}, {},
         Failure::concat_mismatch,
         {{kKeras, kKerasCat + "[(None, 24, 24, 64), (None, 24, 24, 32), (None, 25, 25, 64)]"},
          {kTfEager, tf_eager_cat(3, 1, "[1,24,24,64]", 2, "[1,25,25,64]")}}},
        {"ranks differ: the same Keras text", LayerType::concat, {{1, 24, 24, 64}, {1, 24, 64}}, {}, {},
         Failure::concat_rank, {{kKeras, kKerasCat + "[(None, 24, 24, 64), (None, 24, 64)]"}}},
        {"axis -1 (the default) adds the channels", LayerType::concat, {{1, 24, 24, 64}, {1, 24, 24, 32}}, {},
         Shape{1, 24, 24, 96}, {}, {}},
        {"axis -1 written out", LayerType::concat, {{1, 24, 24, 64}, {1, 24, 24, 32}}, -1, Shape{1, 24, 24, 96}, {}, {}},
        {"axis 3 is the same axis", LayerType::concat, {{1, 24, 24, 64}, {1, 24, 24, 32}}, 3, Shape{1, 24, 24, 96}, {},
         {}},
        {"axis 1 concatenates along H", LayerType::concat, {{1, 24, 24, 64}, {1, 8, 24, 64}}, 1, Shape{1, 32, 24, 64}, {},
         {}},
        {"axis 1 with the channels differing", LayerType::concat, {{1, 24, 24, 64}, {1, 8, 24, 32}}, 1, {},
         Failure::concat_mismatch,
         {{kKeras, kKerasCat + "[(None, 24, 24, 64), (None, 8, 24, 32)]"},
          {kTfEager, tf_eager_cat(2, 3, "[1,24,24,64]", 1, "[1,8,24,32]")}}},
        {"axis 4 is outside 4-D inputs", LayerType::concat, {{1, 24, 24, 64}, {1, 24, 24, 64}}, 4, {},
         Failure::concat_axis, {}},
    };
    for (const auto& c : cases) check_case(Framework::tensorflow, c, "concatenate");
  }
  SUBCASE("ONNX Runtime (Concat, axis 1 by default): at load with fixed shapes, at run with symbolic ones") {
    const std::vector<MergeCase> cases = {
        {"H differs", LayerType::concat, {{1, 64, 24, 24}, {1, 64, 25, 25}}, {}, {}, Failure::concat_mismatch,
         {{kOrtLoad, cat_ort_load("concat", 25, 24, 2)}, {kOrtRun, cat_ort_run("concat", 2, 25, 24)}}},
        {"W differs", LayerType::concat, {{1, 64, 24, 24}, {1, 64, 24, 25}}, {}, {}, Failure::concat_mismatch,
         {{kOrtLoad, cat_ort_load("concat", 25, 24, 3)}, {kOrtRun, cat_ort_run("concat", 3, 25, 24)}}},
        {"the batch differs", LayerType::concat, {{1, 64, 24, 24}, {2, 64, 24, 24}}, {}, {}, Failure::concat_mismatch,
         {{kOrtLoad, cat_ort_load("concat", 2, 1, 0)}, {kOrtRun, cat_ort_run("concat", 0, 2, 1)}}},
        {"the third of three differs (no index printed)", LayerType::concat,
         {{1, 64, 24, 24}, {1, 32, 24, 24}, {1, 64, 25, 25}}, {}, {}, Failure::concat_mismatch,
         {{kOrtLoad, cat_ort_load("concat", 25, 24, 2)}, {kOrtRun, cat_ort_run("concat", 2, 25, 24)}}},
        {"ranks differ", LayerType::concat, {{1, 64, 24, 24}, {1, 64, 24}}, {}, {}, Failure::concat_rank,
         {{kOrtLoad,
           "Node (concat) Op (Concat) [ShapeInferenceError] All inputs to Concat must have same rank. Input 1 has rank 3 != 4"}}},
        {"axis 3 adds the widths", LayerType::concat, {{1, 64, 24, 24}, {1, 64, 24, 10}}, 3, Shape{1, 64, 24, 34}, {}, {}},
        {"axis 4 on 4-D inputs (RUN: no numbers in the text)", LayerType::concat, {{1, 64, 24, 24}, {1, 64, 24, 24}}, 4,
         {}, Failure::concat_axis,
         {{kOrtLoad, "Node (concat) Op (Concat) [ShapeInferenceError] axis must be in [-rank, rank-1]."}}},
        {"axis -5 on 4-D inputs", LayerType::concat, {{1, 64, 24, 24}, {1, 64, 24, 24}}, -5, {}, Failure::concat_axis,
         {{kOrtLoad, "Node (concat) Op (Concat) [ShapeInferenceError] axis must be in [-rank, rank-1]."}}},
    };
    for (const auto& c : cases) check_case(Framework::onnx, c, "concat");
  }
}

TEST_CASE("concat checks each tensor in turn: a size mismatch in tensor 1 comes before a rank mismatch in tensor 2") {
  // RUN: torch.cat([(1,64,24,24), (1,64,25,24), (1,64,24)], 1) and the same
  // ONNX Concat with fixed shapes: both compare tensor 1 in full first.
  const std::vector<Shape> shapes = {{1, 64, 24, 24}, {1, 64, 25, 24}, {1, 64, 24}};
  SUBCASE("PyTorch") {
    const LayerReport r = merge(Framework::pytorch, LayerType::concat, shapes, {}, "cat");
    CHECK(r.failure == Failure::concat_mismatch);
    CHECK(text_from(r, kPyTorch) == cat_pt(1, 24, 25, 1));
  }
  SUBCASE("ONNX Runtime, fixed shapes") {
    const LayerReport r = merge(Framework::onnx, LayerType::concat, shapes, {}, "concat");
    CHECK(r.failure == Failure::concat_mismatch);
    CHECK(text_from(r, kOrtLoad) == cat_ort_load("concat", 25, 24, 2));
  }
  SUBCASE("the axis is checked against the first tensor before anything else") {
    // RUN: torch.cat([(1,64,24,24), (1,64,24)], 4) -> IndexError: Dimension out of range ...
    const LayerReport r = merge(Framework::pytorch, LayerType::concat, {{1, 64, 24, 24}, {1, 64, 24}}, 4, "cat");
    CHECK(r.failure == Failure::concat_axis);
    CHECK(text_from(r, kPyTorch) == "Dimension out of range (expected to be in range of [-4, 3], but got 4)");
  }
}

// ---- element-wise ---------------------------------------------------------------

TEST_CASE("element-wise merges: each framework's text for every op") {
  for (const ElementwiseOp& op : kElementwise) {
    CAPTURE(convscope::to_string(op.type));
    SUBCASE("PyTorch: the LAST differing dimension, counted in the broadcast result") {
      const std::vector<MergeCase> cases = {
          {"channels 512 vs 256", op.type, {{1, 512, 24, 24}, {1, 256, 24, 24}}, {}, {}, Failure::broadcast_mismatch,
           {{kPyTorch, bcast_pt(512, 256, 1)}}},
          {"operands swapped", op.type, {{1, 256, 24, 24}, {1, 512, 24, 24}}, {}, {}, Failure::broadcast_mismatch,
           {{kPyTorch, bcast_pt(256, 512, 1)}}},
          {"24x24 vs 25x25: dimension 3, not 2", op.type, {{1, 64, 24, 24}, {1, 64, 25, 25}}, {}, {},
           Failure::broadcast_mismatch, {{kPyTorch, bcast_pt(24, 25, 3)}}},
          {"C and W differ: W reported", op.type, {{1, 64, 24, 30}, {1, 32, 25, 31}}, {}, {},
           Failure::broadcast_mismatch, {{kPyTorch, bcast_pt(30, 31, 3)}}},
          {"an SE gate broadcasts its 1x1", op.type, {{1, 64, 1, 1}, {1, 64, 56, 56}}, {}, Shape{1, 64, 56, 56}, {}, {}},
          {"the 1x1 on the right broadcasts too", op.type, {{1, 64, 56, 56}, {1, 64, 1, 1}}, {}, Shape{1, 64, 56, 56},
           {}, {}},
          {"[1, 64] against [1, 64, 7, 7] aligns 64 with W", op.type, {{1, 64}, {1, 64, 7, 7}}, {}, {},
           Failure::broadcast_mismatch, {{kPyTorch, bcast_pt(64, 7, 3)}}},
          {"[1, 64, 7, 7] against [1, 64]", op.type, {{1, 64, 7, 7}, {1, 64}}, {}, {}, Failure::broadcast_mismatch,
           {{kPyTorch, bcast_pt(7, 64, 3)}}},
          {"equal shapes", op.type, {{1, 64, 7, 7}, {1, 64, 7, 7}}, {}, Shape{1, 64, 7, 7}, {}, {}},
      };
      for (const auto& c : cases) check_case(Framework::pytorch, c, op.node);
    }
    SUBCASE("Keras (batch left out, the longer shape first) and TensorFlow eager") {
      const std::vector<MergeCase> cases = {
          {"channels 512 vs 256", op.type, {{1, 24, 24, 512}, {1, 24, 24, 256}}, {}, {}, Failure::broadcast_mismatch,
           {{kKeras, "Inputs have incompatible shapes. Received shapes (24, 24, 512) and (24, 24, 256)"},
            {kTfEager, tf_eager_bcast(op.tf_op, "[1,24,24,512]", "[1,24,24,256]")}}},
          {"24x24 vs 25x25", op.type, {{1, 24, 24, 64}, {1, 25, 25, 64}}, {}, {}, Failure::broadcast_mismatch,
           {{kKeras, "Inputs have incompatible shapes. Received shapes (24, 24, 64) and (25, 25, 64)"},
            {kTfEager, tf_eager_bcast(op.tf_op, "[1,24,24,64]", "[1,25,25,64]")}}},
          {"an SE gate broadcasts its 1x1", op.type, {{1, 1, 1, 64}, {1, 56, 56, 64}}, {}, Shape{1, 56, 56, 64}, {}, {}},
          {"[1, 64] against [1, 7, 7, 64] broadcasts", op.type, {{1, 64}, {1, 7, 7, 64}}, {}, Shape{1, 7, 7, 64}, {}, {}},
          {"[1, 64] against [1, 7, 7, 32]: the longer shape is printed first", op.type, {{1, 64}, {1, 7, 7, 32}}, {}, {},
           Failure::broadcast_mismatch,
           {{kKeras, "Inputs have incompatible shapes. Received shapes (7, 7, 32) and (64,)"},
            {kTfEager, tf_eager_bcast(op.tf_op, "[1,64]", "[1,7,7,32]")}}},
      };
      for (const auto& c : cases) check_case(Framework::tensorflow, c, op.node);
    }
    SUBCASE("ONNX Runtime: no numbers at load; smaller by larger at run, Init or Append by position") {
      const std::vector<MergeCase> cases = {
          {"channels 512 vs 256", op.type, {{1, 512, 24, 24}, {1, 256, 24, 24}}, {}, {}, Failure::broadcast_mismatch,
           {{kOrtLoad, bcast_ort_load(op.onnx_op, op.node)},
            {kOrtRun, bcast_ort_run(op.onnx_op, op.node, false, 256, 512)}}},
          {"operands swapped: still smaller by larger", op.type, {{1, 256, 24, 24}, {1, 512, 24, 24}}, {}, {},
           Failure::broadcast_mismatch, {{kOrtRun, bcast_ort_run(op.onnx_op, op.node, false, 256, 512)}}},
          {"24x24 vs 25x25: the last axis, set up by Init", op.type, {{1, 64, 24, 24}, {1, 64, 25, 25}}, {}, {},
           Failure::broadcast_mismatch,
           {{kOrtLoad, bcast_ort_load(op.onnx_op, op.node)}, {kOrtRun, bcast_ort_run(op.onnx_op, op.node, true, 24, 25)}}},
          {"H differs, W agrees: Append", op.type, {{1, 64, 24, 5}, {1, 64, 25, 5}}, {}, {}, Failure::broadcast_mismatch,
           {{kOrtRun, bcast_ort_run(op.onnx_op, op.node, false, 24, 25)}}},
          {"W is 1 on both sides: H is the first axis set up", op.type, {{1, 64, 24, 1}, {1, 64, 25, 1}}, {}, {},
           Failure::broadcast_mismatch, {{kOrtRun, bcast_ort_run(op.onnx_op, op.node, true, 24, 25)}}},
          {"channels differ after 1x1 maps: Init", op.type, {{1, 64, 1, 1}, {1, 32, 1, 1}}, {}, {},
           Failure::broadcast_mismatch, {{kOrtRun, bcast_ort_run(op.onnx_op, op.node, true, 32, 64)}}},
          {"W broadcasts, H differs: Append", op.type, {{1, 64, 24, 1}, {1, 64, 25, 7}}, {}, {},
           Failure::broadcast_mismatch, {{kOrtRun, bcast_ort_run(op.onnx_op, op.node, false, 24, 25)}}},
          {"[1, 64] against [1, 64, 7, 7]", op.type, {{1, 64}, {1, 64, 7, 7}}, {}, {}, Failure::broadcast_mismatch,
           {{kOrtLoad, bcast_ort_load(op.onnx_op, op.node)}, {kOrtRun, bcast_ort_run(op.onnx_op, op.node, true, 7, 64)}}},
          {"an SE gate broadcasts", op.type, {{1, 64, 1, 1}, {1, 64, 56, 56}}, {}, Shape{1, 64, 56, 56}, {}, {}},
      };
      for (const auto& c : cases) check_case(Framework::onnx, c, op.node);
    }
  }
}

TEST_CASE("element-wise merges of three inputs fold from the left") {
  SUBCASE("PyTorch: the running result is tensor a") {
    // RUN: a + b + c with (1,64,7,7), (1,64,7,7), (1,32,7,7); and (1,64,1,7) + (1,64,7,1) + (1,64,7,8).
    const LayerReport r = merge(Framework::pytorch, LayerType::add, {{1, 64, 7, 7}, {1, 64, 7, 7}, {1, 32, 7, 7}}, {}, "add");
    CHECK(text_from(r, kPyTorch) == bcast_pt(64, 32, 1));
    const LayerReport r2 = merge(Framework::pytorch, LayerType::add, {{1, 64, 1, 7}, {1, 64, 7, 1}, {1, 64, 7, 8}}, {}, "add");
    CHECK(text_from(r2, kPyTorch) == bcast_pt(7, 8, 3));
    const LayerReport ok = merge(Framework::pytorch, LayerType::maximum, {{1, 64, 1, 7}, {1, 64, 7, 1}, {1, 1, 7, 7}});
    CHECK(ok.output == Shape{1, 64, 7, 7});
  }
  SUBCASE("Keras: the running output shape against the next input") {
    const LayerReport r = merge(Framework::tensorflow, LayerType::average, {{1, 7, 7, 64}, {1, 7, 7, 64}, {1, 7, 7, 32}}, {}, "average");
    CHECK(text_from(r, kKeras) == "Inputs have incompatible shapes. Received shapes (7, 7, 64) and (7, 7, 32)");
    CHECK(text_from(r, kTfEager) == tf_eager_bcast("AddV2", "[1,7,7,64]", "[1,7,7,32]"));
  }
  SUBCASE("ONNX Runtime: variadic Mean folds pairwise") {
    // RUN: Mean over (1,64,24,24), (1,64,25,24), (1,64,24,24) -> Append, 24 by 25.
    const LayerReport r = merge(Framework::onnx, LayerType::average, {{1, 64, 24, 24}, {1, 64, 25, 24}, {1, 64, 24, 24}}, {}, "mean");
    CHECK(text_from(r, kOrtRun) == bcast_ort_run("Mean", "mean", false, 24, 25));
    const LayerReport r2 = merge(Framework::onnx, LayerType::average, {{1, 64, 24, 24}, {1, 64, 24, 24}, {1, 64, 24, 25}}, {}, "mean");
    CHECK(text_from(r2, kOrtRun) == bcast_ort_run("Mean", "mean", true, 24, 25));
  }
}

TEST_CASE("Keras merges expand a lower-rank input after the batch axis, so the batch never meets a spatial axis") {
  // tf.keras merge.py / Keras 3 base_merge.py: build() compares the shapes
  // without the batch, right-aligned; call() expand_dims(x, axis=1) until the
  // ranks agree. A squeeze-excitation gate from GlobalAveragePooling2D (no
  // keepdims) and Dense layers is (N, C): Multiply takes it at any batch size.
  SUBCASE("batch 2: valid, the gate broadcast over H and W") {
    const LayerReport r = merge(Framework::tensorflow, LayerType::multiply, {{2, 14, 14, 64}, {2, 64}}, {}, "excite");
    CHECK(r.status == Status::ok);
    CHECK(r.output == Shape{2, 14, 14, 64});
    const LayerReport swapped = merge(Framework::tensorflow, LayerType::multiply, {{2, 64}, {2, 14, 14, 64}}, {}, "excite");
    CHECK(swapped.output == Shape{2, 14, 14, 64});
  }
  SUBCASE("a real mismatch still fails with Keras' text on the shapes without the batch") {
    const LayerReport r = merge(Framework::tensorflow, LayerType::multiply, {{2, 14, 14, 64}, {2, 32}}, {}, "excite");
    CHECK(r.status == Status::error);
    CHECK(text_from(r, kKeras) == "Inputs have incompatible shapes. Received shapes (14, 14, 64) and (32,)");
  }
  SUBCASE("end to end, from the JSON contract") {
    const auto a = analyse(R"({"framework": "tensorflow", "input": [2, 14, 14, 64], "layers": [
        {"type": "conv", "name": "c", "filters": 64, "kernel": 3, "padding": "same"},
        {"type": "global_avg_pool", "name": "squeeze"},
        {"type": "dense", "name": "fc1", "units": 16},
        {"type": "relu", "name": "r"},
        {"type": "dense", "name": "fc2", "units": 64},
        {"type": "activation", "name": "gate", "function": "sigmoid"},
        {"type": "multiply", "name": "excite", "inputs": ["c", "gate"]}]})");
    CHECK(a.report.ok);
    CHECK(a.report.output == Shape{2, 14, 14, 64});
  }
  SUBCASE("PyTorch and ONNX broadcast numpy-style: (N, C) meets W") {
    const LayerReport r = merge(Framework::pytorch, LayerType::multiply, {{2, 64, 14, 14}, {2, 64}}, {}, "mul");
    CHECK(text_from(r, kPyTorch) == bcast_pt(14, 64, 3));
  }
}

TEST_CASE("the engine's broadcast agrees with numpy's rule on small shapes") {
  // Independent oracle: right-aligned, equal or 1; PyTorch reports the last bad axis.
  const std::vector<std::pair<Shape, Shape>> pairs = {
      {{1, 64, 1, 1}, {1, 64, 56, 56}}, {{64, 1, 1}, {1, 64, 7, 7}}, {{1, 64}, {1, 64, 7, 7}}, {{7}, {1, 3, 7, 7}},
      {{2, 1, 3}, {1, 4, 3}},           {{1, 5, 1}, {4, 1, 6}},      {{3, 4}, {4, 3}},           {{1}, {9, 9}},
  };
  for (const auto& [a, b] : pairs) {
    const convscope::Broadcast got = convscope::broadcast(a, b);
    const size_t rank = std::max(a.size(), b.size());
    Shape out(rank);
    std::optional<size_t> bad;
    for (size_t i = 0; i < rank; ++i) {
      const size_t from_end = rank - 1 - i;
      const int64_t x = from_end < a.size() ? a[a.size() - 1 - from_end] : 1;
      const int64_t y = from_end < b.size() ? b[b.size() - 1 - from_end] : 1;
      if (x != y && x != 1 && y != 1) bad = i;  // the last one wins
      out[i] = std::max(x, y);
    }
    if (bad) {
      CHECK_FALSE(got.shape.has_value());
      CHECK(got.bad_dim == *bad);
    } else {
      CHECK(got.shape == out);
    }
  }
}

// ---- crop_to / pad_to / resize_to -------------------------------------------------

TEST_CASE("crop_to centre-crops to the reference's spatial size and refuses a larger reference") {
  SUBCASE("PyTorch layout: batch and channels from the tensor, H and W from the reference") {
    const LayerReport r = merge(Framework::pytorch, LayerType::crop_to, {{1, 512, 64, 64}, {1, 512, 56, 56}});
    CHECK(r.status == Status::ok);
    CHECK(r.output == Shape{1, 512, 56, 56});
    REQUIRE(r.axes.size() == 2);
    CHECK(r.axes[0].pads == convscope::shape::Pads{4, 4});
  }
  SUBCASE("an odd difference: begin = (in - ref) // 2, the rest at the end") {
    const LayerReport r = merge(Framework::pytorch, LayerType::crop_to, {{1, 8, 25, 27}, {1, 16, 24, 24}});
    CHECK(r.output == Shape{1, 8, 24, 24});
    REQUIRE(r.axes.size() == 2);
    CHECK(r.axes[0].pads == convscope::shape::Pads{0, 1});
    CHECK(r.axes[1].pads == convscope::shape::Pads{1, 2});
    CHECK(r.axes[0].out == 24);
    CHECK(r.axes[1].out == 24);
  }
  SUBCASE("TensorFlow layout") {
    const LayerReport r = merge(Framework::tensorflow, LayerType::crop_to, {{1, 64, 64, 512}, {1, 56, 56, 64}});
    CHECK(r.output == Shape{1, 56, 56, 512});
  }
  SUBCASE("the reference larger on W is an error naming the axis") {
    const LayerReport r = merge(Framework::pytorch, LayerType::crop_to, {{1, 8, 30, 20}, {1, 8, 24, 24}});
    CHECK(r.status == Status::error);
    CHECK(r.failure == Failure::match_too_small);
    CHECK(contains(r.message, "W: cannot crop 20 to 24"));
  }
}

TEST_CASE("pad_to pads as F.pad(x, [diff // 2, diff - diff // 2]); a negative difference crops") {
  SUBCASE("larger reference: padded, the odd cell at the end") {
    const LayerReport r = merge(Framework::pytorch, LayerType::pad_to, {{1, 8, 24, 21}, {1, 4, 25, 25}});
    CHECK(r.output == Shape{1, 8, 25, 25});
    REQUIRE(r.axes.size() == 2);
    CHECK(r.axes[0].pads == convscope::shape::Pads{0, 1});
    CHECK(r.axes[1].pads == convscope::shape::Pads{2, 2});
  }
  SUBCASE("smaller reference: -1 // 2 = -1 crops the first row (RUN: F.pad with [-1, 0] takes 25 to 24)") {
    const LayerReport r = merge(Framework::pytorch, LayerType::pad_to, {{1, 8, 25, 28}, {1, 4, 24, 24}});
    CHECK(r.status == Status::ok);
    CHECK(r.output == Shape{1, 8, 24, 24});
    REQUIRE(r.axes.size() == 2);
    CHECK(r.axes[0].rule == convscope::shape::Rule::crop);
    CHECK(r.axes[0].pads == convscope::shape::Pads{1, 0});
    CHECK(r.axes[1].pads == convscope::shape::Pads{2, 2});
  }
  SUBCASE("always valid, whatever the sizes") {
    for (int64_t in : {1, 7, 24, 100})
      for (int64_t ref : {1, 8, 25, 99}) {
        const LayerReport r = merge(Framework::onnx, LayerType::pad_to, {{1, 3, in, in}, {1, 5, ref, ref}});
        CHECK(r.output == Shape{1, 3, ref, ref});
      }
  }
}

TEST_CASE("resize_to takes the reference's spatial sizes and keeps the tensor's channels") {
  CHECK(merge(Framework::pytorch, LayerType::resize_to, {{1, 8, 12, 13}, {1, 4, 25, 25}}).output == Shape{1, 8, 25, 25});
  CHECK(merge(Framework::pytorch, LayerType::resize_to, {{1, 8, 50, 50}, {1, 4, 25, 7}}).output == Shape{1, 8, 25, 7});
  CHECK(merge(Framework::tensorflow, LayerType::resize_to, {{1, 12, 13, 8}, {1, 25, 25, 4}}).output == Shape{1, 25, 25, 8});
}

// ---- the `inputs` contract ------------------------------------------------------

namespace {
std::string graph(const std::string& layers, const std::string& framework = "pytorch",
                  const std::string& input = "[1, 3, 8, 8]") {
  return test_support::network_text(framework, input, layers);
}
}  // namespace

TEST_CASE("malformed inputs are refused with the JSON path") {
  const std::string a = R"({"type": "conv", "name": "a", "filters": 4, "kernel": 1})";
  const std::string b = R"({"type": "conv", "name": "b", "filters": 4, "kernel": 1})";
  SUBCASE("an unknown name") {
    const std::string e = parse_error(graph(a + "," + b + R"(, {"type": "add", "name": "s", "inputs": ["a", "enc9"]})"));
    CHECK(e.rfind("layers[2].inputs[1]: ", 0) == 0);
    CHECK(contains(e, "enc9"));
  }
  SUBCASE("a forward reference") {
    const std::string e = parse_error(graph(R"({"type": "relu", "name": "r", "inputs": ["a"]},)" + a));
    CHECK(e.rfind("layers[0].inputs[0]: ", 0) == 0);
    CHECK(contains(e, "comes later"));
  }
  SUBCASE("a layer reading itself") {
    const std::string e = parse_error(graph(a + R"(, {"type": "add", "name": "s", "inputs": ["a", "s"]})"));
    CHECK(e.rfind("layers[1].inputs[1]: ", 0) == 0);
    CHECK(contains(e, "this layer itself"));
  }
  SUBCASE("duplicate names, once inputs refer to names") {
    const std::string dup = R"({"type": "relu", "name": "a"})";
    CHECK(parse_error(graph(a + "," + dup)).empty());  // a chain never needs unique names
    const std::string e = parse_error(graph(a + "," + dup + R"(, {"type": "add", "inputs": ["a", "input"]})"));
    CHECK(e.rfind("layers[1].name: ", 0) == 0);
    CHECK(contains(e, "layers[0]"));
  }
  SUBCASE("a layer named input") {
    const std::string e = parse_error(graph(R"({"type": "relu", "name": "input"})"));
    CHECK(e.rfind("layers[0].name: ", 0) == 0);
  }
  SUBCASE("too few inputs for a merge") {
    CHECK(parse_error(graph(a + R"(, {"type": "concat", "inputs": ["a"]})")).rfind("layers[1].inputs: too few", 0) == 0);
    CHECK(parse_error(graph(a + R"(, {"type": "add"})")).rfind("layers[1].inputs: missing", 0) == 0);
    CHECK(parse_error(graph(a + R"(, {"type": "crop_to", "inputs": ["a"]})")).rfind("layers[1].inputs: too few", 0) == 0);
  }
  SUBCASE("too many inputs") {
    CHECK(parse_error(graph(a + R"(, {"type": "subtract", "inputs": ["a", "input", "a"]})")).rfind("layers[1].inputs: ", 0) == 0);
    CHECK(parse_error(graph(a + R"(, {"type": "relu", "inputs": ["a", "input"]})")).rfind("layers[1].inputs: ", 0) == 0);
    CHECK(parse_error(graph(a + R"(, {"type": "pad_to", "inputs": ["a", "input", "a"]})")).rfind("layers[1].inputs: ", 0) == 0);
  }
  SUBCASE("an empty list, and names that are not strings") {
    CHECK(parse_error(graph(a + R"(, {"type": "relu", "inputs": []})")).rfind("layers[1].inputs: ", 0) == 0);
    CHECK(parse_error(graph(a + R"(, {"type": "add", "inputs": ["a", 0]})")).rfind("layers[1].inputs[1]: ", 0) == 0);
  }
}

TEST_CASE("inputs omitted mean the previous layer, so a v1 network means what it meant") {
  const std::string chain = graph(R"({"type": "conv", "name": "a", "filters": 4, "kernel": 3},
                                     {"type": "relu", "name": "b"},
                                     {"type": "conv", "name": "c", "filters": 2, "kernel": 3})");
  const std::string spelled = graph(R"({"type": "conv", "name": "a", "filters": 4, "kernel": 3, "inputs": ["input"]},
                                       {"type": "relu", "name": "b", "inputs": ["a"]},
                                       {"type": "conv", "name": "c", "filters": 2, "kernel": 3, "inputs": ["b"]})");
  const auto x = analyse(chain), y = analyse(spelled);
  CHECK(convscope::is_chain(x.net));
  CHECK(convscope::is_chain(y.net));
  for (const auto& l : y.net.layers) CHECK(l.inputs.empty());  // "the previous layer" is not kept
  CHECK(x.report.output == Shape{1, 2, 4, 4});
  CHECK(y.report.output == x.report.output);
  CHECK(json::write(convscope::network_json::to_json(y.net), -1) == json::write(convscope::network_json::to_json(x.net), -1));
  for (size_t i = 0; i < 3; ++i) {
    CHECK(x.report.layers[i].inputs == convscope::InputList{static_cast<int32_t>(i) - 1});
    CHECK(x.report.layers[i].arriving.empty());  // one input: it is `input`
    CHECK(x.report.layers[i].input.has_value());
  }
}

TEST_CASE("to_json writes inputs only where they are not the previous layer, and the graph round-trips") {
  const auto a = analyse(graph(R"({"type": "conv", "name": "a", "filters": 4, "kernel": 3, "padding": 1},
                                  {"type": "relu", "name": "b", "inputs": ["a"]},
                                  {"type": "conv", "name": "c", "filters": 4, "kernel": 1, "inputs": ["input"]},
                                  {"type": "add", "name": "d", "inputs": ["b", "c"]},
                                  {"type": "concat", "name": "e", "inputs": ["d", "a", "input"], "axis": 1})"));
  CHECK(a.report.ok);
  CHECK(a.report.output == Shape{1, 11, 8, 8});
  const json::Value written = convscope::network_json::to_json(a.net);
  const auto& layers = written.find("layers")->as_array();
  REQUIRE(layers.size() == 5u);
  CHECK(layers[0].find("inputs") == nullptr);
  CHECK(layers[1].find("inputs") == nullptr);
  REQUIRE(layers[2].find("inputs") != nullptr);
  CHECK(json::write(*layers[2].find("inputs"), -1) == R"(["input"])");
  CHECK(json::write(*layers[3].find("inputs"), -1) == R"(["b","c"])");
  CHECK(json::write(*layers[4].find("inputs"), -1) == R"(["d","a","input"])");
  Network back;
  std::string error;
  REQUIRE(convscope::network_json::from_json(written, back, error));
  CHECK(convscope::network_json::to_json(back) == written);
  for (size_t i = 0; i < back.layers.size(); ++i) CHECK(convscope::inputs_of(back, i) == convscope::inputs_of(a.net, i));
}

TEST_CASE("insert_layer and remove_layer keep who reads whom") {
  auto a = analyse(graph(R"({"type": "conv", "name": "a", "filters": 4, "kernel": 3, "padding": 1},
                            {"type": "relu", "name": "b"},
                            {"type": "add", "name": "c", "inputs": ["b", "a"]},
                            {"type": "relu", "name": "d"})"));
  Network net = a.net;
  convscope::Layer bn;
  bn.type = LayerType::batch_norm;
  bn.name = "bn";
  convscope::insert_layer(net, 1, bn);  // reads a (the layer before it)
  REQUIRE(net.layers.size() == 5u);
  CHECK(convscope::inputs_of(net, 1) == convscope::InputList{0});
  CHECK(convscope::inputs_of(net, 2) == convscope::InputList{0});      // b still reads a
  CHECK(convscope::inputs_of(net, 3) == convscope::InputList{2, 0});   // c still reads b and a
  CHECK(convscope::inputs_of(net, 4) == convscope::InputList{3});
  convscope::remove_layer(net, 0);  // a: its readers read the input instead
  CHECK(convscope::inputs_of(net, 0) == convscope::InputList{convscope::kNetworkInput});
  CHECK(convscope::inputs_of(net, 1) == convscope::InputList{convscope::kNetworkInput});
  CHECK(convscope::inputs_of(net, 2) == convscope::InputList{1, convscope::kNetworkInput});
  CHECK(convscope::inputs_of(net, 3) == convscope::InputList{2});
}

// ---- analysis over branches -------------------------------------------------------

TEST_CASE("an error skips only the layers that depend on it; independent branches report their own errors") {
  const auto a = analyse(graph(R"(
      {"type": "conv", "name": "a1", "filters": 8, "kernel": 3, "padding": 1},
      {"type": "conv", "name": "a2", "filters": 8, "kernel": 3, "padding": 1, "stride": 2},
      {"type": "add", "name": "addA", "inputs": ["a2", "a1"]},
      {"type": "relu", "name": "afterA"},
      {"type": "conv", "name": "b1", "filters": 16, "kernel": 1, "inputs": ["input"]},
      {"type": "add", "name": "addB", "inputs": ["b1", "a1"]},
      {"type": "relu", "name": "c1", "inputs": ["a1"]},
      {"type": "concat", "name": "final", "inputs": ["c1", "afterA"]},
      {"type": "max_pool", "name": "c2", "kernel": 2, "inputs": ["c1"]})",
                               "pytorch", "[1, 3, 16, 16]"));
  const auto& L = a.report.layers;
  CHECK_FALSE(a.report.ok);
  CHECK(a.report.errors == std::vector<size_t>{2, 5});
  CHECK(a.report.first_error == 2u);
  CHECK(L[0].status == Status::ok);
  CHECK(L[1].status == Status::ok);
  CHECK(L[2].status == Status::error);
  CHECK(L[3].status == Status::skipped);
  CHECK(L[3].blocked_by == 2u);
  CHECK(contains(L[3].message, "addA"));
  CHECK(L[4].status == Status::ok);
  CHECK(L[5].status == Status::error);  // analysed although it comes after a failing layer
  CHECK(text_from(L[5], kPyTorch) == bcast_pt(16, 8, 1));
  CHECK(L[6].status == Status::ok);
  CHECK(L[6].output == Shape{1, 8, 16, 16});
  CHECK(L[7].status == Status::skipped);  // one of its inputs comes from addA
  CHECK(L[7].blocked_by == 2u);
  CHECK(contains(L[7].message, "addA"));
  REQUIRE(L[7].arriving.size() == 2u);
  CHECK(L[7].arriving[0] == Shape{1, 8, 16, 16});
  CHECK_FALSE(L[7].arriving[1].has_value());
  CHECK(L[8].status == Status::ok);
  CHECK(L[8].output == Shape{1, 8, 8, 8});
  CHECK_FALSE(a.report.output.has_value());
  // Fixes go to the first error.
  CHECK_FALSE(L[2].fixes.empty());

  json::Value v;
  json::ParseError perr;
  REQUIRE(json::parse(convscope::report_text_json(a.report, a.net), v, perr));
  CHECK(json::write(*v.find("errors"), -1) == "[2,5]");
  CHECK(v.find("first_error")->as_int() == 2);
  const auto& layer7 = v.find("layers")->as_array()[7];
  CHECK(json::write(*layer7.find("inputs"), -1) == R"(["c1","afterA"])");
  CHECK(json::write(*layer7.find("arriving"), -1) == "[[1,8,16,16],null]");
}

TEST_CASE("a skipped layer names the failing ancestor, not the skipped layer between") {
  // Positions in messages count from 1, as the page and the CLI table do (layer_ref).
  const auto a = analyse(graph(R"(
      {"type": "conv", "name": "big", "filters": 4, "kernel": 9},
      {"type": "relu", "name": "r1"},
      {"type": "relu", "name": "r2"},
      {"type": "add", "name": "s", "inputs": ["input", "r2"]})"));
  CHECK(a.report.errors == std::vector<size_t>{0});
  for (size_t i : {1u, 2u, 3u}) {
    CAPTURE(i);
    CHECK(a.report.layers[i].status == Status::skipped);
    CHECK(a.report.layers[i].blocked_by == 0u);
    CHECK(contains(a.report.layers[i].message, "layer 1 (big)"));
  }
}

TEST_CASE("a network with several outputs is analysed whole; the output is the last layer's") {
  const auto a = analyse(graph(R"(
      {"type": "conv", "name": "trunk", "filters": 4, "kernel": 3, "padding": 1},
      {"type": "global_avg_pool", "name": "head1"},
      {"type": "conv", "name": "head2", "filters": 2, "kernel": 1, "inputs": ["trunk"]})"));
  CHECK(a.report.ok);
  CHECK(a.report.layers[1].output == Shape{1, 4, 1, 1});
  CHECK(a.report.output == Shape{1, 2, 8, 8});
}

TEST_CASE("FPN at 200x200: the first top-down add fails, the adds below it are skipped, the lateral paths are analysed") {
  auto a = analyse(test_support::example_text("fpn_topdown.json"));
  CHECK(a.report.ok);
  a.net.input = {1, 3, 200, 200};
  const auto r = convscope::analyze(a.net);
  REQUIRE(r.first_error.has_value());
  const auto& p4 = r.layers[*r.first_error];
  CHECK(p4.name == "p4");
  CHECK(text_from(p4, kPyTorch) == bcast_pt(13, 14, 3));
  for (size_t i = 0; i < r.layers.size(); ++i) {
    const auto& l = r.layers[i];
    CAPTURE(l.name);
    if (l.name.rfind("lateral", 0) == 0) CHECK(l.status == Status::ok);
    if (l.status == Status::skipped) CHECK(l.blocked_by == r.first_error);
  }
}

// ---- branch trace ------------------------------------------------------------------

TEST_CASE("the padded U-Net at 100x100: cat3's inputs part at enc3.relu2, and the trace says how") {
  const auto a = analyse(test_support::example_text("unet_padded.json"));
  REQUIRE(a.report.first_error.has_value());
  const auto& cat3 = a.report.layers[*a.report.first_error];
  CHECK(cat3.name == "cat3");
  CHECK(a.report.errors == std::vector<size_t>{*a.report.first_error});
  CHECK(text_from(cat3, kPyTorch) == cat_pt(1, 25, 24, 1));
  REQUIRE(cat3.trace.has_value());
  const auto& t = *cat3.trace;
  CHECK(t.text == "enc3.relu2 is 25x25; pool3 floors it to 12, up3 doubles it to 24: 24 \u2260 25 (H)");
  CHECK(t.axis_label == "H");
  CHECK(t.axis == 2u);
  CHECK(a.net.layers[static_cast<size_t>(t.split)].name == "enc3.relu2");
  CHECK(t.split_size == 25);
  REQUIRE(t.branches.size() == 2u);
  CHECK(t.branches[0].size == 25);
  CHECK(t.branches[0].steps.empty());
  CHECK(t.branches[1].size == 24);
  REQUIRE(t.branches[1].steps.size() == 2u);
  CHECK(a.net.layers[t.branches[1].steps[0].layer].name == "pool3");
  CHECK(t.branches[1].steps[0].in == 25);
  CHECK(t.branches[1].steps[0].out == 12);
  CHECK(a.net.layers[t.branches[1].steps[1].layer].name == "up3");

  SUBCASE("the same network in TensorFlow and ONNX prints Keras' and ONNX Runtime's texts") {
    Network tf = a.net;
    tf.framework = Framework::tensorflow;
    tf.input = {1, 100, 100, 3};
    for (auto& l : tf.layers)
      if (l.type == LayerType::conv && !l.padding.pairs.empty() && l.padding.pairs[0].first == 1) {
        l.padding = {};
        l.padding.mode = convscope::PadMode::same;
      }
    const auto rt = convscope::analyze(tf);
    REQUIRE(rt.first_error.has_value());
    CHECK(rt.layers[*rt.first_error].name == "cat3");
    CHECK(text_from(rt.layers[*rt.first_error], kKeras) == kKerasCat + "[(None, 25, 25, 256), (None, 24, 24, 256)]");
    Network onnx = a.net;
    onnx.framework = Framework::onnx;
    const auto ro = convscope::analyze(onnx);
    REQUIRE(ro.first_error.has_value());
    CHECK(text_from(ro.layers[*ro.first_error], kOrtLoad) == cat_ort_load("cat3", 24, 25, 2));
    CHECK(text_from(ro.layers[*ro.first_error], kOrtRun) == cat_ort_run("cat3", 2, 24, 25));
  }
}

TEST_CASE("the residual block that forgot its stride: the trace goes back to the input") {
  const auto a = analyse(test_support::example_text("residual_forgot_stride.json"));
  REQUIRE(a.report.first_error == 5u);
  const auto& add = a.report.layers[5];
  CHECK(text_from(add, kPyTorch) == bcast_pt(28, 56, 3));
  REQUIRE(add.trace.has_value());
  CHECK(add.trace->split == convscope::kNetworkInput);
  CHECK(add.trace->axis_label == "W");
  CHECK(add.trace->text == "the input is 56x56; conv1 halves it to 28: 28 \u2260 56 (W)");
  CHECK(a.report.layers[6].status == Status::skipped);
}

TEST_CASE("a channel mismatch is traced in channels") {
  const auto a = analyse(graph(R"(
      {"type": "conv", "name": "stem", "filters": 8, "kernel": 3, "padding": 1},
      {"type": "conv", "name": "wide", "filters": 24, "kernel": 3, "padding": 1},
      {"type": "add", "name": "sum", "inputs": ["wide", "stem"]})"));
  REQUIRE(a.report.first_error == 2u);
  REQUIRE(a.report.layers[2].trace.has_value());
  CHECK(a.report.layers[2].trace->axis_label == "C");
  CHECK(a.report.layers[2].trace->text == "stem has 8 channels; wide takes it to 24: 24 \u2260 8");
}

TEST_CASE("a concat whose input is 1 on a spatial axis is traced too: 1 does not broadcast in a concat") {
  const auto a = analyse(graph(R"(
      {"type": "conv", "name": "c", "filters": 8, "kernel": 3, "padding": 1},
      {"type": "global_avg_pool", "name": "g"},
      {"type": "concat", "name": "cat", "inputs": ["c", "g"]})",
                               "pytorch", "[1, 3, 16, 16]"));
  REQUIRE(a.report.first_error == 2u);
  const auto& cat = a.report.layers[2];
  CHECK(text_from(cat, kPyTorch) == cat_pt(1, 16, 1, 1));
  REQUIRE(cat.trace.has_value());
  CHECK(cat.trace->axis_label == "H");
  CHECK(a.net.layers[static_cast<size_t>(cat.trace->split)].name == "c");
  CHECK(cat.trace->branches[1].size == 1);
  bool resize = false;
  for (const auto& f : cat.fixes) resize = resize || contains(f.summary, "resize g to c's size before cat");
  CHECK(resize);
}

// ---- fixes ---------------------------------------------------------------------------

namespace {
std::optional<size_t> index_of(const Network& net, const std::string& name) {
  for (size_t i = 0; i < net.layers.size(); ++i)
    if (net.layers[i].name == name) return i;
  return std::nullopt;
}

// Each fix, re-analysed: the failing layer (found by name) works in the fix's network.
void check_merge_fixes_verified(const test_support::Analysed& a) {
  REQUIRE(a.report.first_error.has_value());
  const auto& failing = a.report.layers[*a.report.first_error];
  REQUIRE_FALSE(failing.fixes.empty());
  for (const auto& fix : failing.fixes) {
    CAPTURE(fix.summary);
    const auto after = convscope::analyze(fix.network, kQuick);
    CHECK(after.ok == fix.resolves_all);
    const auto at = index_of(fix.network, failing.name);
    REQUIRE(at.has_value());
    CHECK(after.layers[*at].status != Status::error);
    CHECK(after.layers[*at].status != Status::skipped);
    if (fix.output) CHECK(after.layers[*at].output == fix.output);
  }
}

const convscope::Fix* fix_containing(const LayerReport& r, const std::string& needle) {
  for (const auto& f : r.fixes)
    if (contains(f.summary, needle)) return &f;
  return nullptr;
}
}  // namespace

TEST_CASE("every fix of the padded U-Net's failing concat is verified by re-analysis") {
  const auto a = analyse(test_support::example_text("unet_padded.json"));
  check_merge_fixes_verified(a);
  const auto& cat3 = a.report.layers[*a.report.first_error];
  SUBCASE("the nearest valid inputs: 96 below and 112 above") {
    const auto* below = fix_containing(cat3, "nearest valid size below");
    const auto* above = fix_containing(cat3, "nearest valid size above");
    REQUIRE(below);
    REQUIRE(above);
    CHECK(below->network.input == Shape{1, 3, 96, 96});
    CHECK(above->network.input == Shape{1, 3, 112, 112});
    CHECK(below->resolves_all);
    CHECK(above->resolves_all);
  }
  SUBCASE("output_padding=1 on up3") {
    const auto* f = fix_containing(cat3, "output_padding=1 on up3");
    REQUIRE(f);
    CHECK(f->resolves_all);
    CHECK(f->output == Shape{1, 512, 25, 25});
  }
  SUBCASE("pad, crop or resize to match, inserted before cat3") {
    const auto* pad = fix_containing(cat3, "pad up3 to enc3.relu2's size before cat3");
    const auto* crop = fix_containing(cat3, "centre-crop enc3.relu2 to up3's size before cat3");
    const auto* resize = fix_containing(cat3, "resize up3 to enc3.relu2's size before cat3");
    REQUIRE(pad);
    REQUIRE(crop);
    REQUIRE(resize);
    CHECK(pad->resolves_all);
    CHECK(resize->resolves_all);
    // Cropping the skip to 24 makes up2 48 against enc2's 50: cat2 fails next.
    CHECK_FALSE(crop->resolves_all);
    CHECK(contains(crop->summary, "then cat2 fails"));
    const auto at = index_of(pad->network, "up3_padded");
    REQUIRE(at.has_value());
    CHECK(pad->network.layers[*at].type == LayerType::pad_to);
    CHECK(convscope::inputs_of(pad->network, *at) ==
          convscope::InputList{static_cast<int32_t>(*index_of(pad->network, "up3")),
                               static_cast<int32_t>(*index_of(pad->network, "enc3.relu2"))});
    const auto cat = index_of(pad->network, "cat3");
    CHECK(convscope::inputs_of(pad->network, *cat) ==
          convscope::InputList{static_cast<int32_t>(*index_of(pad->network, "enc3.relu2")), static_cast<int32_t>(*at)});
  }
}

TEST_CASE("the projection shortcut fix makes the residual block that forgot its stride valid") {
  const auto a = analyse(test_support::example_text("residual_forgot_stride.json"));
  check_merge_fixes_verified(a);
  const auto* f = fix_containing(a.report.layers[5], "projection shortcut on the input");
  REQUIRE(f);
  CHECK(f->resolves_all);
  const auto after = convscope::analyze(f->network);
  CHECK(after.ok);
  CHECK(after.output == Shape{1, 64, 28, 28});
  const auto ds = index_of(f->network, "add_downsample");
  REQUIRE(ds.has_value());
  const auto& conv = f->network.layers[*ds];
  CHECK(conv.type == LayerType::conv);
  CHECK(conv.kernel == std::vector<int64_t>{1, 1});
  CHECK(conv.stride == std::vector<int64_t>{2, 2});
  CHECK(conv.filters == 64);
  CHECK_FALSE(conv.bias);
  CHECK(convscope::inputs_of(f->network, *ds) == convscope::InputList{convscope::kNetworkInput});
  CHECK(f->network.layers[*ds + 1].type == LayerType::batch_norm);
  // The block's two 3x3 convs and batch norms, then 64 * 64 weights and 2 * 64 batch-norm parameters.
  CHECK(after.total_params == 2 * (64 * 64 * 9 + 128) + 64 * 64 + 128);
}

TEST_CASE("a projection shortcut also fixes a channel mismatch, with the main path's channels") {
  const auto a = analyse(graph(R"(
      {"type": "conv", "name": "c1", "filters": 16, "kernel": 3, "padding": 1, "stride": 2},
      {"type": "relu", "name": "r"},
      {"type": "conv", "name": "c2", "filters": 16, "kernel": 3, "padding": 1},
      {"type": "add", "name": "res", "inputs": ["c2", "input"]})",
                               "pytorch", "[1, 8, 32, 32]"));
  REQUIRE(a.report.first_error == 3u);
  check_merge_fixes_verified(a);
  const auto* f = fix_containing(a.report.layers[3], "projection shortcut");
  REQUIRE(f);
  CHECK(f->resolves_all);
  CHECK(contains(f->summary, "16 filters"));
}

TEST_CASE("merge fixes in TensorFlow and ONNX are verified too") {
  for (const char* fw : {"tensorflow", "onnx"}) {
    CAPTURE(fw);
    const bool tf = std::string(fw) == "tensorflow";
    const std::string pad = tf ? R"("padding": "same")" : R"("padding": 1)";
    const auto a = analyse(graph(R"({"type": "conv", "name": "e1", "filters": 8, "kernel": 3, )" + pad + R"(},
        {"type": "max_pool", "name": "p1", "kernel": 2, "stride": 2},
        {"type": "conv", "name": "m", "filters": 8, "kernel": 3, )" + pad + R"(},
        {"type": "conv_transpose", "name": "up", "filters": 8, "kernel": 2, "stride": 2},
        {"type": "concat", "name": "cat", "inputs": ["e1", "up"]})",
                                 fw, tf ? "[1, 25, 25, 3]" : "[1, 3, 25, 25]"));
    REQUIRE(a.report.first_error == 4u);
    check_merge_fixes_verified(a);
    const auto& cat = a.report.layers[4];
    CHECK(fix_containing(cat, "pad up to e1's size before cat"));
    CHECK(fix_containing(cat, "resize up to e1's size before cat"));
    CHECK(fix_containing(cat, "output_padding"));
  }
}

// ---- valid input sizes --------------------------------------------------------------

TEST_CASE("the padded U-Net is valid at multiples of 16") {
  const auto a = analyse(test_support::example_text("unet_padded.json"));
  const auto& v = a.report.valid_input;
  REQUIRE(v.axes.size() == 2u);
  for (const auto& ax : v.axes) {
    CAPTURE(ax.label);
    CHECK(ax.smallest == 16);
    CHECK(ax.period == 16);
    CHECK(ax.residues == std::vector<int64_t>{0});
    CHECK(ax.text == "16, 32, 48, \u2026 (multiples of 16)");
  }
  CHECK(contains(v.text, "valid H and W: 16, 32, 48, \u2026 (multiples of 16)"));
  CHECK(v.nearest_below == std::vector<int64_t>{96, 96});
  CHECK(v.nearest_above == std::vector<int64_t>{112, 112});
  auto at = [&](int64_t n) {
    Network net = a.net;
    net.input = {1, 3, n, n};
    return convscope::analyze(net, kQuick).ok;
  };
  CHECK(at(96));
  CHECK_FALSE(at(100));
  CHECK(at(1024));
  CHECK_FALSE(at(1000));
}

TEST_CASE("the original U-Net (valid convolutions, centre crops) takes every size from 188 and gives 388 at 572") {
  const auto a = analyse(test_support::example_text("unet_original.json"));
  CHECK(a.report.ok);
  CHECK(test_support::spatial_of(Framework::pytorch, *a.report.output) == std::vector<int64_t>{388, 388});
  const auto& v = a.report.valid_input;
  REQUIRE(v.axes.size() == 2u);
  CHECK(v.axes[0].smallest == 188);
  CHECK(v.axes[0].period == 1);
  CHECK(v.axes[0].text == "every size from 188");
  CHECK(a.report.min_input == Shape{188, 188});
  Network net = a.net;
  net.input = {1, 1, 187, 187};
  CHECK_FALSE(convscope::analyze(net, kQuick).ok);
}

TEST_CASE("the statement does not depend on the input being analysed: the original U-Net at 100x100") {
  // 100x100 fails; the scan must still reach far enough past 188 to see the pattern.
  auto a = analyse(test_support::example_text("unet_original.json"));
  a.net.input = {1, 1, 100, 100};
  const auto r = convscope::analyze(a.net);
  CHECK_FALSE(r.ok);
  REQUIRE(r.valid_input.axes.size() == 2u);
  CHECK(r.valid_input.axes[0].text == "every size from 188");
  CHECK(r.valid_input.axes[0].period == 1);
  CHECK(r.valid_input.nearest_above == std::vector<int64_t>{188, 188});
  CHECK(r.valid_input.nearest_below == std::vector<int64_t>{0, 0});
}

TEST_CASE("an asymmetric network states each axis on its own") {
  // H pooled twice (multiples of 4), W not at all.
  const auto a = analyse(graph(R"(
      {"type": "conv", "name": "e", "filters": 4, "kernel": [3, 1], "padding": [1, 0]},
      {"type": "max_pool", "name": "p1", "kernel": [2, 1]},
      {"type": "max_pool", "name": "p2", "kernel": [2, 1]},
      {"type": "upsample", "name": "u", "scale": [4, 1]},
      {"type": "add", "name": "s", "inputs": ["e", "u"]})",
                               "pytorch", "[1, 3, 16, 10]"));
  CHECK(a.report.ok);
  const auto& v = a.report.valid_input;
  REQUIRE(v.axes.size() == 2u);
  CHECK(v.axes[0].text == "4, 8, 12, \u2026 (multiples of 4)");
  CHECK(v.axes[1].text == "every size");
  CHECK(contains(v.text, "H: 4, 8, 12"));
  CHECK(contains(v.text, "W: every size"));
}

TEST_CASE("describe_valid_sizes on hand-made verdicts") {
  auto verdicts = [](int64_t window, auto valid) {
    std::vector<bool> v(static_cast<size_t>(window) + 1, false);
    for (int64_t n = 1; n <= window; ++n) v[static_cast<size_t>(n)] = valid(n);
    return v;
  };
  SUBCASE("a period with sizes before it") {
    const auto ax = convscope::describe_valid_sizes(
        verdicts(64, [](int64_t n) { return n == 5 || n == 7 || (n >= 12 && n % 4 == 0); }), "H");
    CHECK(ax.smallest == 5);
    CHECK(ax.period == 4);
    CHECK(ax.residues == std::vector<int64_t>{0});
    CHECK(ax.text == "5, 7, then 12, 16, 20, \u2026 (multiples of 4 from 12)");
    CHECK(ax.checked_up_to == 64);
  }
  SUBCASE("an offset progression: 16k + 124") {
    const auto ax = convscope::describe_valid_sizes(verdicts(600, [](int64_t n) { return n >= 188 && n % 16 == 12; }), "H");
    CHECK(ax.smallest == 188);
    CHECK(ax.period == 16);
    CHECK(ax.residues == std::vector<int64_t>{12});
    CHECK(ax.text == "188, 204, 220, \u2026 (16k + 12 from 188)");
  }
  SUBCASE("several residues") {
    const auto ax = convscope::describe_valid_sizes(verdicts(256, [](int64_t n) { return n % 32 >= 29 || n % 32 == 0; }), "W");
    CHECK(ax.period == 32);
    CHECK(ax.residues == std::vector<int64_t>{0, 29, 30, 31});
    CHECK(ax.text == "29\u201332, 61\u201364, 93\u201396, \u2026 (repeating every 32)");
  }
  SUBCASE("a finite set") {
    const auto ax = convscope::describe_valid_sizes(verdicts(64, [](int64_t n) { return (n >= 3 && n <= 5) || n == 9; }), "H");
    CHECK(ax.smallest == 3);
    CHECK(ax.period == 0);
    CHECK(ax.listed == std::vector<int64_t>{3, 4, 5, 9});
    CHECK(ax.text == "only 3\u20135, 9 (none larger up to 64)");
  }
  SUBCASE("no pattern") {
    auto prime = [](int64_t n) {
      if (n < 2) return false;
      for (int64_t d = 2; d * d <= n; ++d)
        if (n % d == 0) return false;
      return true;
    };
    const auto ax = convscope::describe_valid_sizes(verdicts(100, prime), "H");
    CHECK(ax.period == 0);
    CHECK(ax.smallest == 2);
    CHECK(ax.listed.front() == 2);
    CHECK(ax.listed.back() == 97);
    // Eight runs ("2, 3" is one), then the ellipsis.
    CHECK(ax.text == "2, 3, 5, 7, 11, 13, 17, 19, 23, \u2026 (no regular pattern up to 100)");
  }
  SUBCASE("every size from a minimum, and none at all") {
    CHECK(convscope::describe_valid_sizes(verdicts(64, [](int64_t n) { return n >= 10; }), "H").text == "every size from 10");
    CHECK(convscope::describe_valid_sizes(verdicts(64, [](int64_t) { return true; }), "H").text == "every size");
    const auto none = convscope::describe_valid_sizes(verdicts(64, [](int64_t) { return false; }), "H");
    CHECK_FALSE(none.smallest.has_value());
    CHECK(none.text == "none up to 64");
  }
}

// ---- params and receptive fields across branches ------------------------------------

TEST_CASE("ResNet-18 has torchvision's 11,689,512 parameters") {
  const auto a = analyse(test_support::example_text("resnet18.json"));
  CHECK(a.report.ok);
  CHECK(a.report.total_params == 11689512);
  CHECK(a.report.output == Shape{1, 1000});
  CHECK(a.report.valid_input.axes.size() == 2u);
}

TEST_CASE("the receptive field after a merge is the largest over the paths") {
  const auto a = analyse(graph(R"(
      {"type": "conv", "name": "small", "filters": 4, "kernel": 3, "padding": 1},
      {"type": "conv", "name": "large", "filters": 4, "kernel": 7, "padding": 3, "inputs": ["input"]},
      {"type": "add", "name": "sum", "inputs": ["small", "large"]},
      {"type": "concat", "name": "cat", "inputs": ["small", "large", "input"]})",
                               "pytorch", "[1, 4, 16, 16]"));
  REQUIRE(a.report.ok);
  for (size_t i : {2u, 3u}) {
    CAPTURE(i);
    const auto& rf = a.report.layers[i].receptive_field;
    REQUIRE(rf.has_value());
    CHECK(rf->size[0] == 7);
    CHECK(rf->size[1] == 7);
    CHECK(a.report.layers[i].warnings.empty());
  }
  SUBCASE("paths whose windows are not centred alike are flagged") {
    const auto b = analyse(graph(R"(
        {"type": "zero_pad", "name": "shift", "padding": [[2, 0], [2, 0]]},
        {"type": "conv", "name": "c", "filters": 4, "kernel": 3},
        {"type": "add", "name": "sum", "inputs": ["c", "input"]})",
                                 "pytorch", "[1, 4, 16, 16]"));
    REQUIRE(b.report.ok);
    CHECK(b.report.layers[2].status == Status::warning);
    REQUIRE_FALSE(b.report.layers[2].warnings.empty());
    CHECK(contains(b.report.layers[2].warnings[0], "not aligned"));
    CHECK(b.report.layers[2].receptive_field->size[0] == 3);
  }
}

TEST_CASE("merges have no parameters and the totals add every branch") {
  const auto a = analyse(graph(R"(
      {"type": "conv", "name": "a", "filters": 4, "kernel": 1},
      {"type": "conv", "name": "b", "filters": 4, "kernel": 1, "inputs": ["input"]},
      {"type": "concat", "name": "cat", "inputs": ["a", "b"]})",
                               "pytorch", "[1, 3, 8, 8]"));
  REQUIRE(a.report.ok);
  CHECK(a.report.layers[2].params == 0);
  CHECK(a.report.layers[2].macs == 0);
  CHECK(a.report.total_params == 2 * (3 * 4 + 4));
  CHECK(a.report.output == Shape{1, 8, 8, 8});
}

// ---- quick analyses used by the scans ------------------------------------------------

TEST_CASE("verdict_only stops at the first error and gives the same verdict") {
  const auto a = analyse(test_support::example_text("unet_padded.json"));
  convscope::AnalyzeOptions verdict = kQuick;
  verdict.verdict_only = true;
  for (int64_t n : {96, 100, 104, 112, 120, 128}) {
    CAPTURE(n);
    Network net = a.net;
    net.input = {1, 3, n, n};
    const auto full = convscope::analyze(net, kQuick);
    const auto fast = convscope::analyze(net, verdict);
    CHECK(fast.ok == full.ok);
    CHECK(fast.first_error == full.first_error);
    if (!full.ok) CHECK(fast.errors == std::vector<size_t>{*full.first_error});
  }
}

TEST_CASE("explain off leaves out the window warnings, not the verdict or the shapes") {
  // pool3 drops a row at 100x100 and says so when explaining.
  const auto a = analyse(test_support::example_text("unet_padded.json"));
  const auto quick = convscope::analyze(a.net, kQuick);
  REQUIRE(a.report.layers[14].name == "pool3");
  CHECK_FALSE(a.report.layers[14].warnings.empty());
  CHECK(a.report.layers[14].status == Status::warning);
  CHECK(quick.layers[14].warnings.empty());
  CHECK(quick.layers[14].status == Status::ok);
  CHECK(quick.first_error == a.report.first_error);
  for (size_t i = 0; i < quick.layers.size(); ++i) CHECK(quick.layers[i].output == a.report.layers[i].output);
}

TEST_CASE("a squeeze-excitation pool is not warned about a window after the gate that broadcasts it back up") {
  const auto a = analyse(R"({"framework": "pytorch", "mode": "eval", "input": [1, 16, 32, 32], "layers": [
      {"type": "conv", "name": "c", "filters": 16, "kernel": 3, "padding": 1},
      {"type": "global_avg_pool", "name": "squeeze"},
      {"type": "conv", "name": "excite", "filters": 16, "kernel": 1},
      {"type": "multiply", "name": "gate", "inputs": ["c", "excite"]},
      {"type": "max_pool", "name": "pool", "kernel": 2}]})");
  REQUIRE(a.report.ok);
  CHECK(a.report.layers[1].warnings.empty());
  // A chain that reaches 1 before a window still gets the warning.
  const auto b = analyse(R"({"framework": "pytorch", "mode": "eval", "input": [1, 16, 32, 32], "layers": [
      {"type": "global_avg_pool", "name": "squeeze"}, {"type": "max_pool", "name": "pool", "kernel": 2, "padding": 1}]})");
  REQUIRE(b.report.layers[0].warnings.size() == 2u);
  CHECK(contains(b.report.layers[0].warnings[0], "H shrinks to 1 here, but pool (kernel 2) still follows"));
}

TEST_CASE("a name of digits only (PyTorch Sequential's \"0\", \"1\", ...) is quoted in messages and fixes, never read as a position") {
  using convscope::display_name;
  using convscope::layer_ref;
  CHECK(display_name("4") == "\"4\"");
  CHECK(display_name("conv2d_3") == "conv2d_3");
  CHECK(display_name("features.0") == "features.0");
  CHECK(layer_ref(4, "4") == "layer 5 (\"4\")");
  const auto a = analyse(R"({"framework": "pytorch", "input": [1, 3, 8, 8], "layers": [
      {"type": "conv", "name": "0", "filters": 8, "kernel": 3},
      {"type": "conv", "name": "1", "filters": 8, "kernel": 7},
      {"type": "relu", "name": "2"}]})");
  REQUIRE(a.report.layers[1].status == Status::error);
  CHECK(contains(a.report.layers[2].message, "because layer 2 (\"1\") fails"));
  bool quoted = false;
  for (const auto& f : a.report.layers[1].fixes) {
    CAPTURE(f.summary);
    CHECK(f.summary.find(" on 1") == std::string::npos);
    quoted = quoted || contains(f.summary, " on \"1\"");
  }
  CHECK(quoted);
}
