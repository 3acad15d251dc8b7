// ONNX ops that combine tensors: element-wise Add / Sub / Mul / Div / Max /
// Min / Mean / Sum and Concat. Between data they are the contract's merges
// (with numpy broadcasting: squeeze-excitation's [N, C, 1, 1] x [N, C, H, W]);
// with a constant operand that keeps the data's shape they are a pointwise
// step; a MatMul's bias Add becomes the dense layer's bias.
#include <algorithm>

#include "convscope/import/onnx_walk.hpp"
#include "convscope/import/text.hpp"
#include "convscope/merge_rules.hpp"

namespace convscope::import::onnx {

using json::Value;
using std::to_string;

namespace {

struct Op {
  const char* onnx;
  const char* merge;     // the contract's merge between data; nullptr: none
  const char* constant;  // the activation function for a constant operand
  bool variadic;
};

const Op kOps[] = {
    {"Add", "add", "add_constant", false},      {"Sum", "add", "add_constant", true},
    {"Sub", "subtract", "sub_constant", false}, {"Mul", "multiply", "mul_constant", false},
    {"Div", nullptr, "div_constant", false},    {"Pow", nullptr, "pow_constant", false},
    {"Max", "maximum", "max_constant", true},   {"Min", "minimum", "min_constant", true},
    {"Mean", "average", "mean_constant", true},
};

const Op* op_of(const std::string& op) {
  for (const Op& o : kOps)
    if (op == o.onnx) return &o;
  return nullptr;
}

// Removes the "bias": false a MatMul's dense layer was given.
void give_bias(json::Value& layer) {
  json::Object& o = layer.as_object();
  o.erase(std::remove_if(o.begin(), o.end(), [](const auto& kv) { return kv.first == "bias"; }), o.end());
}

bool elementwise_op(Walk& w, size_t i) {
  const Node& n = w.node(i);
  const Op& op = *op_of(n.op_type);
  std::vector<int32_t> data;
  std::vector<size_t> constants;
  for (size_t k = 0; k < n.inputs.size(); ++k) {
    const Val& v = w.value(n.inputs[k]);
    if (v.kind == Val::data) data.push_back(v.layer);
    else if (v.kind == Val::constant) constants.push_back(k);
    else if (v.kind == Val::unknown) return w.stop(i, "its input " + w.not_constant(i, k));
    else return w.fail(i, "its input " + text::quoted(n.inputs[k]) +
                              " is neither an initializer, a graph input nor the output of an earlier node");
  }
  if (constants.empty()) {
    if (data.size() == 1) {
      w.alias(i, data[0], "one input");
      return true;
    }
    if (!op.merge)
      return w.stop(i, std::string(n.op_type == "Div" ? "it divides" : "it raises") +
                           " one computed tensor by another; the contract's merges are add, subtract, multiply, "
                           "average, maximum, minimum and concat (no " + (n.op_type == "Div" ? "divide" : "power") + ")");
    w.add_layer(i, json::Object{{"type", Value(op.merge)}}, data);
    return true;
  }
  if (data.size() != 1 || constants.size() != 1)
    return w.stop(i, "it combines " + to_string(data.size()) + " computed tensors with " + to_string(constants.size()) +
                         " constants; ConvScope models one tensor with one constant, or tensors alone");
  const Const& c = *w.constant(i, constants[0]);
  const std::optional<Shape> s = w.shape_of(data[0]);
  if (!s) return w.stop(i, "its input's shape is unknown (an earlier layer fails), and the constant's broadcast is read against it");
  const Broadcast b = broadcast(*s, c.dims);
  if (!b.shape || *b.shape != *s)
    return w.stop(i, "its constant " + shape_str(c.dims) + " broadcasts the input " + shape_str(*s) + " to " +
                         (b.shape ? shape_str(*b.shape) : std::string("nothing (the sizes disagree)")) +
                         "; ConvScope models a constant operand that keeps the shape");
  // MatMul + Add of a [units] constant: the dense layer's bias (nn.Linear on 3-D input).
  if (n.op_type == "Add" && w.biasless_dense.count(data[0]) && s->size() >= 1 && c.count() == s->back()) {
    w.biasless_dense.erase(data[0]);
    give_bias(w.d.layers[static_cast<size_t>(data[0])]);
    w.count_param(i, constants[0]);
    w.alias(i, data[0], "the bias of " + text::quoted(w.layer_names[static_cast<size_t>(data[0])]));
    return true;
  }
  w.constant_operands.push_back(w.short_label(i));
  json::Object o{{"type", Value("activation")}, {"function", Value(op.constant)}};
  w.add_layer(i, std::move(o), {data[0]});
  return true;
}

bool concat_op(Walk& w, size_t i) {
  const Node& n = w.node(i);
  std::vector<int32_t> data;
  for (size_t k = 0; k < n.inputs.size(); ++k) {
    const Val& v = w.value(n.inputs[k]);
    if (v.kind != Val::data)
      return w.stop(i, "it concatenates computed tensors with " +
                           (v.kind == Val::constant ? std::string("a constant (") + text::quoted(n.inputs[k]) + ")"
                                                    : "an input that " + w.not_constant(i, k)));
    data.push_back(v.layer);
  }
  const Attribute* axis = n.attribute("axis");
  if (!axis || !axis->has_i) return w.fail(i, "attribute axis: missing (Concat requires it)");
  if (data.size() == 1) {
    w.alias(i, data[0], "one input");
    return true;
  }
  json::Object o{{"type", Value("concat")}, {"axis", Value(axis->i)}};
  w.add_layer(i, std::move(o), data);
  return true;
}

}  // namespace

Handler merge_handler(const std::string& op) {
  if (op == "Concat") return concat_op;
  return op_of(op) ? elementwise_op : nullptr;
}

}  // namespace convscope::import::onnx
