// ONNX ops on data that become one layer of the contract: convolutions,
// pooling, reductions over the spatial axes, dense (Gemm, MatMul), batch
// norm, dropout and the activations (every one keeps the shape).
#include <algorithm>

#include "convscope/import/onnx_walk.hpp"
#include "convscope/import/text.hpp"

namespace convscope::import::onnx {

using json::Value;
using std::to_string;

namespace {

bool padding(Walk& w, size_t i, size_t sr, json::Object& o) {
  const std::string mode = w.string_attr(i, "auto_pad", "NOTSET");
  if (mode == "SAME_UPPER" || mode == "SAME_LOWER" || mode == "VALID") {
    o.push_back({"padding", Value(mode == "SAME_UPPER" ? "same" : mode == "SAME_LOWER" ? "same_lower" : "valid")});
    return true;
  }
  if (mode != "NOTSET") return w.fail(i, "attribute auto_pad: unknown value " + text::quoted(mode));
  std::vector<int64_t> pads;
  if (!w.ints_attr(i, "pads", 2 * sr, 0, pads)) return false;
  if (pads.empty() || std::all_of(pads.begin(), pads.end(), [](int64_t p) { return p == 0; })) return true;
  std::vector<std::pair<int64_t, int64_t>> pairs;
  for (size_t k = 0; k < sr; ++k) pairs.push_back({pads[k], pads[sr + k]});
  if (std::all_of(pairs.begin(), pairs.end(), [](const auto& p) { return p.first == p.second; })) {
    std::vector<int64_t> begins;
    for (const auto& p : pairs) begins.push_back(p.first);
    o.push_back({"padding", axes_json(begins)});
  } else {
    o.push_back({"padding", pairs_json(pairs)});
  }
  return true;
}

bool conv(Walk& w, size_t i, bool transposed) {
  const Node& n = w.node(i);
  int32_t in = 0;
  if (!data_input(w, i, in)) return true;
  const std::string weight = n.inputs.size() >= 2 ? n.inputs[1] : "";
  const Const* wt = w.constant(i, 1);
  if (!wt && w.value(weight).kind == Val::data)
    return w.stop(i, "its weight " + text::quoted(weight) + " is computed at run time, so the filters are unknown");
  if (!wt || wt->dims.size() < 3 || wt->dims.size() > 5)
    return w.fail(i, "its weight " + text::quoted(weight) +
                         " is not an initializer or Constant of rank 3 to 5, so the filters are unknown");
  const size_t sr = wt->dims.size() - 2;
  std::vector<int64_t> kernel, strides, dilations, output_padding;
  if (!w.ints_attr(i, "kernel_shape", sr, 1, kernel) || !w.ints_attr(i, "strides", sr, 1, strides) ||
      !w.ints_attr(i, "dilations", sr, 1, dilations) || !w.ints_attr(i, "output_padding", sr, 0, output_padding))
    return false;
  if (kernel.empty()) kernel.assign(wt->dims.begin() + 2, wt->dims.end());
  const int64_t group = w.int_attr(i, "group", 1);
  if (group < 1 || group > kMaxDimension)
    return w.fail(i, "attribute group: expected a positive value up to 2^31 - 1, got " + to_string(group));
  if (transposed && n.attribute("output_shape"))
    return w.stop(i, "it sets output_shape, and ConvScope computes a transposed convolution from its pads and "
                     "output_padding");
  json::Object o = typed(transposed ? "conv_transpose" : "conv");
  o.push_back({"filters", Value(transposed ? wt->dims[1] * group : wt->dims[0])});
  // The weight's input channels, checked against what arrives (ONNX Runtime's
  // "Input channels C is not equal to kernel channels * group").
  const int64_t in_channels = transposed ? wt->dims[0] : wt->dims[1] * group;
  if (in_channels >= 1 && in_channels <= kMaxDimension) o.push_back({"in_channels", Value(in_channels)});
  o.push_back({"kernel", axes_json(kernel)});
  if (!strides.empty()) o.push_back({"stride", axes_json(strides)});
  if (!dilations.empty()) o.push_back({"dilation", axes_json(dilations)});
  if (!padding(w, i, sr, o)) return false;
  if (transposed && !output_padding.empty()) o.push_back({"output_padding", axes_json(output_padding)});
  if (group != 1) o.push_back({"groups", Value(group)});
  const bool bias = n.inputs.size() >= 3 && !n.inputs[2].empty();
  if (!bias) o.push_back({"bias", Value(false)});
  w.count_param(i, 1);
  if (bias) w.count_param(i, 2);
  w.add_layer(i, std::move(o), {in});
  return true;
}

bool pool(Walk& w, size_t i, bool max) {
  int32_t in = 0;
  if (!data_input(w, i, in)) return true;
  const Attribute* k = w.node(i).attribute("kernel_shape");
  if (!k || k->ints.empty() || k->ints.size() > 3) return w.fail(i, "attribute kernel_shape: expected 1 to 3 values");
  const size_t sr = k->ints.size();
  std::vector<int64_t> kernel, strides, dilations;
  if (!w.ints_attr(i, "kernel_shape", sr, 1, kernel) || !w.ints_attr(i, "strides", sr, 1, strides) ||
      !w.ints_attr(i, "dilations", sr, 1, dilations))
    return false;
  json::Object o = typed(max ? "max_pool" : "avg_pool");
  o.push_back({"kernel", axes_json(kernel)});
  if (!strides.empty()) o.push_back({"stride", axes_json(strides)});
  if (!dilations.empty()) o.push_back({"dilation", axes_json(dilations)});
  if (!padding(w, i, sr, o)) return false;
  if (w.int_attr(i, "ceil_mode", 0)) o.push_back({"ceil_mode", Value(true)});
  if (!max && w.int_attr(i, "count_include_pad", 0)) o.push_back({"count_include_pad", Value(true)});
  w.add_layer(i, std::move(o), {in});
  return true;
}

bool conv_op(Walk& w, size_t i) { return conv(w, i, false); }
bool conv_transpose_op(Walk& w, size_t i) { return conv(w, i, true); }
bool max_pool_op(Walk& w, size_t i) { return pool(w, i, true); }
bool avg_pool_op(Walk& w, size_t i) { return pool(w, i, false); }

bool global_pool_op(Walk& w, size_t i) {
  int32_t in = 0;
  if (!data_input(w, i, in)) return true;
  w.add_layer(i, typed(w.node(i).op_type == "GlobalMaxPool" ? "global_max_pool" : "global_avg_pool"), {in});
  return true;
}

// ReduceMean / ReduceMax over exactly the spatial axes: x.mean([2, 3]).
bool reduce_op(Walk& w, size_t i) {
  int32_t in = 0;
  if (!data_input(w, i, in)) return true;
  std::vector<int64_t> axes;
  if (!w.ints_attr(i, "axes", 0, -kMaxDimension, axes)) return false;
  if (!w.node(i).attribute("axes")) {
    if (w.node(i).inputs.size() < 2) return w.stop(i, "it reduces over every axis, not only the spatial ones");
    const Const* c = values_of(w, i, 1, "its axes");
    if (!c) return true;
    axes = c->ints;
  }
  const std::optional<Shape> s = known_shape(w, i, in, "its axes are read against it");
  if (!s) return true;
  const int64_t rank = static_cast<int64_t>(s->size());
  std::vector<int64_t> sorted;
  for (int64_t a : axes) sorted.push_back(a < 0 ? a + rank : a);
  std::sort(sorted.begin(), sorted.end());
  std::vector<int64_t> spatial;
  for (int64_t a = 2; a < rank; ++a) spatial.push_back(a);
  if (rank < 3 || sorted != spatial)
    return w.stop(i, "it reduces over axes " + shape_str(axes) + " of " + shape_str(*s) +
                         "; ConvScope models a reduction over exactly the spatial axes (a global pooling)");
  json::Object o = typed(w.node(i).op_type == "ReduceMax" ? "global_max_pool" : "global_avg_pool");
  if (w.int_attr(i, "keepdims", 1) == 0) o.push_back({"keepdims", Value(false)});
  w.add_layer(i, std::move(o), {in});
  return true;
}

bool dense(Walk& w, size_t i, bool gemm) {
  const Node& n = w.node(i);
  int32_t in = 0;
  if (!data_input(w, i, in)) return true;
  if (gemm && w.int_attr(i, "transA", 0) != 0) return w.stop(i, "it sets transA=1 (the data transposed)");
  const Const* b = w.constant(i, 1);
  if (!b || b->dims.size() != 2)
    return w.stop(i, "its weight " + (b ? std::string("has rank ") + to_string(b->dims.size()) : w.not_constant(i, 1)) +
                         "; ConvScope reads a dense layer from a 2-D constant weight");
  const bool trans_b = gemm && w.int_attr(i, "transB", 0) != 0;
  const int64_t units = trans_b ? b->dims[0] : b->dims[1];
  json::Object o = typed("dense");
  o.push_back({"units", Value(units)});
  o.push_back({"in_features", Value(trans_b ? b->dims[1] : b->dims[0])});
  const bool bias = gemm && n.inputs.size() >= 3 && !n.inputs[2].empty();
  if (!bias) o.push_back({"bias", Value(false)});
  w.count_param(i, 1);
  if (bias) {
    w.count_param(i, 2);
    // ConvScope counts one bias per unit; a broadcast bias holds fewer values.
    if (const Const* c = w.constant(i, 2); c && !c->initializer.empty() && c->count() != units)
      w.repeated += units - c->count();
  }
  w.add_layer(i, std::move(o), {in});
  if (!gemm) w.biasless_dense.insert(static_cast<int32_t>(w.d.layers.size()) - 1);
  return true;
}

bool gemm_op(Walk& w, size_t i) { return dense(w, i, true); }
bool matmul_op(Walk& w, size_t i) { return dense(w, i, false); }

bool relu_op(Walk& w, size_t i) {
  int32_t in = 0;
  if (!data_input(w, i, in)) return true;
  w.add_layer(i, typed("relu"), {in});
  return true;
}

// ONNX op -> the contract's activation function: every one keeps the shape.
const char* activation_of(const std::string& op) {
  static const std::pair<const char*, const char*> kOps[] = {
      {"Sigmoid", "sigmoid"},         {"Tanh", "tanh"},           {"LeakyRelu", "leaky_relu"},
      {"Elu", "elu"},                 {"Selu", "selu"},           {"Celu", "celu"},
      {"Softmax", "softmax"},         {"LogSoftmax", "log_softmax"}, {"Hardmax", "hardmax"},
      {"HardSigmoid", "hard_sigmoid"}, {"HardSwish", "hard_swish"}, {"Softplus", "softplus"},
      {"Softsign", "softsign"},       {"Gelu", "gelu"},           {"Mish", "mish"},
      {"PRelu", "prelu"},             {"ThresholdedRelu", "thresholded_relu"}, {"Erf", "erf"},
      {"Exp", "exp"},                 {"Log", "log"},             {"Sqrt", "sqrt"},
      {"Abs", "abs"},                 {"Neg", "neg"},             {"Reciprocal", "reciprocal"},
      {"Floor", "floor"},             {"Ceil", "ceil"},           {"Round", "round"},
      {"Sign", "sign"},               {"LRN", "local_response_norm"}};
  for (const auto& o : kOps)
    if (op == o.first) return o.second;
  return nullptr;
}

bool activation_op(Walk& w, size_t i) {
  int32_t in = 0;
  if (!data_input(w, i, in)) return true;
  json::Object o = typed("activation");
  o.push_back({"function", Value(activation_of(w.node(i).op_type))});
  w.add_layer(i, std::move(o), {in});
  return true;
}

// Clip(0, 6) is ReLU6 (MobileNet); other bounds keep the shape all the same.
bool clip_op(Walk& w, size_t i) {
  int32_t in = 0;
  if (!data_input(w, i, in)) return true;
  auto bound = [&](size_t k, const char* attr, double& out) {
    if (const Attribute* a = w.node(i).attribute(attr); a && a->has_f) {
      out = a->f;
      return true;
    }
    const Const* c = w.constant(i, k);
    if (!c || !c->has_values || c->count() != 1) return false;
    out = c->is_float ? c->floats[0] : static_cast<double>(c->ints[0]);
    return true;
  };
  double lo = 0, hi = 0;
  const bool relu6 = bound(1, "min", lo) && bound(2, "max", hi) && lo == 0 && hi == 6;
  json::Object o = typed("activation");
  o.push_back({"function", Value(relu6 ? "relu6" : "clip")});
  w.add_layer(i, std::move(o), {in});
  return true;
}

bool batch_norm_op(Walk& w, size_t i) {
  int32_t in = 0;
  if (!data_input(w, i, in)) return true;
  json::Object o = typed("batch_norm");
  const Const* scale = w.constant(i, 1);
  if (scale && scale->dims.size() == 1 && scale->dims[0] >= 1 && scale->dims[0] <= kMaxDimension)
    o.push_back({"in_channels", Value(scale->dims[0])});
  for (size_t k = 1; k <= 4; ++k) w.count_param(i, k);
  w.add_layer(i, std::move(o), {in});
  return true;
}

bool dropout_op(Walk& w, size_t i) {
  int32_t in = 0;
  if (!data_input(w, i, in)) return true;
  json::Object o = typed("dropout");
  if (const Attribute* r = w.node(i).attribute("ratio"))
    if (r->has_f && r->f >= 0 && r->f < 1 && r->f != 0.5f) o.push_back({"rate", Value(static_cast<double>(r->f))});
  w.add_layer(i, std::move(o), {in});
  return true;
}

struct Entry {
  const char* op;
  Handler handler;
};

const Entry kLayers[] = {
    {"Conv", conv_op},
    {"ConvTranspose", conv_transpose_op},
    {"MaxPool", max_pool_op},
    {"AveragePool", avg_pool_op},
    {"GlobalAveragePool", global_pool_op},
    {"GlobalMaxPool", global_pool_op},
    {"ReduceMean", reduce_op},
    {"ReduceMax", reduce_op},
    {"Gemm", gemm_op},
    {"MatMul", matmul_op},
    {"Relu", relu_op},
    {"Clip", clip_op},
    {"BatchNormalization", batch_norm_op},
    {"Dropout", dropout_op},
};

}  // namespace

Handler layer_handler(const std::string& op) {
  for (const Entry& e : kLayers)
    if (op == e.op) return e.handler;
  if (activation_of(op)) return activation_op;
  return nullptr;
}

}  // namespace convscope::import::onnx
