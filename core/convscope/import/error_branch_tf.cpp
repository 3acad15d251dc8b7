// TensorFlow's and Keras' messages of merges: eager ConcatOp and
// "Incompatible shapes", graph-mode "Dimensions must be equal" and ConcatV2,
// Keras' Concatenate and merge layers, each rebuilt as the failing merge
// (error_branch.cpp).
#include <algorithm>
#include <cstring>

#include "convscope/import/error_branch.hpp"
#include "convscope/import/text.hpp"

namespace convscope::import::errors {

using json::Value;
using std::to_string;

// ---- TensorFlow and Keras ---------------------------------------------------

// Eager: "ConcatOp : Dimension 1 in both shapes must be equal: shape[0] =
// [1,24,24,64] vs. shape[1] = [1,25,25,64] [Op:ConcatV2] name: concat".
bool tf_concat_eager(Scan& s, size_t at, Draft& d) {
  size_t p = at + std::strlen("ConcatOp : Dimension ");
  int64_t dim = 0, index = 0;
  Dims first, other;
  if (!s.integer(p, dim) || !s.expect(p, " in both shapes must be equal: shape[0] = ") || !s.dims(p, first) ||
      !s.expect(p, " vs. shape[") || !s.integer(p, index) || !s.expect(p, "] = ") || !s.dims(p, other))
    return false;
  if (index < 1 || index > 63 || dim < 0 || static_cast<size_t>(dim) >= first.size() || first.size() != other.size())
    return s.fail(at, "expected shapes of one rank, a dimension inside them and a tensor number 1 to 63");
  Merge m;
  m.fw = Framework::tensorflow;
  for (int64_t k = 0; k <= index; ++k) {
    m.shapes.push_back(k == index ? other : first);
    m.names.push_back("tensor_" + to_string(k));
  }
  const int64_t axis = concat_axis_for(first, other, static_cast<size_t>(dim), first.size() - 1);
  m.layer = merge_layer("concat", "concat");
  m.layer.push_back({"axis", Value(axis == static_cast<int64_t>(first.size()) - 1 ? -1 : axis)});
  d.note("read: shape[0] = " + dims_text(first) + ", shape[" + to_string(index) + "] = " + dims_text(other) +
         ", differing at dimension " + to_string(dim));
  d.note("assumed: concat axis " + to_string(axis) + " (the message does not print it)");
  return build(s, at, d, m);
}

namespace {

const char* tf_merge_type(const std::string& op) {
  static const std::pair<const char*, const char*> kOps[] = {
      {"AddV2", "add"}, {"Add", "add"}, {"Sub", "subtract"}, {"Mul", "multiply"}, {"Maximum", "maximum"}, {"Minimum", "minimum"}};
  for (const auto& o : kOps)
    if (op == o.first) return o.second;
  return nullptr;
}

// The element-wise op TensorFlow names (`[Op:AddV2]`, `= AddV2[`), or add.
const char* tf_op_or_add(const std::string& op, Draft& d) {
  if (op.empty()) {
    d.note("assumed: an add (the message does not name the op)");
    return "add";
  }
  if (const char* t = tf_merge_type(op)) return t;
  d.note("the op is " + op + ", for which ConvScope has no merge; an add fails with the same shapes, worded with AddV2");
  return "add";
}

}  // namespace

// Eager: "Incompatible shapes: [1,24,24,64] vs. [1,25,25,64] [Op:AddV2] name: ".
bool tf_eager_binary(Scan& s, size_t at, Draft& d) {
  size_t p = at + std::strlen("Incompatible shapes: ");
  Dims a, b;
  if (!s.dims(p, a) || !s.expect(p, " vs. ") || !s.dims(p, b)) return false;
  std::string op;
  if (s.starts(p, " [Op:")) {
    p += 5;
    if (!s.word(p, op)) return false;
  }
  Merge m;
  m.fw = Framework::tensorflow;
  m.shapes = {a, b};
  m.names = {"x", "y"};
  const char* type = tf_op_or_add(op, d);
  m.layer = merge_layer(type, type);
  d.note("read: " + dims_text(a) + " and " + dims_text(b) + (op.empty() ? "" : " (" + op + ")"));
  return build(s, at, d, m);
}

// Graph mode: "Dimensions must be equal, but are 24 and 25 for '{{node add}} =
// AddV2[T=DT_FLOAT](x, y)' with input shapes: [1,24,24,64], [1,25,25,64]."
// (TF1: "for 'add' (op: 'Add') with input shapes: ...").
bool tf_graph_binary(Scan& s, size_t at, Draft& d) {
  const size_t shapes_at = s.find("with input shapes: ", at);
  if (shapes_at == std::string::npos || shapes_at - at > 600) return s.fail(at, "expected 'with input shapes: ' after the node");
  std::string op, name;
  const size_t node = s.find("{{node ", at);
  if (node != std::string::npos && node < shapes_at) {
    size_t q = node + 7;
    if (!s.until(q, "}}", 300, name)) return false;
    const size_t eq = s.find("}} = ", node);
    if (eq != std::string::npos && eq < shapes_at) {
      q = eq + 5;
      if (!s.word(q, op)) return false;
    }
  } else if (const size_t tf1 = s.find("(op: '", at); tf1 != std::string::npos && tf1 < shapes_at) {
    size_t q = tf1 + 6;
    if (!s.until(q, "'", 100, op)) return false;
    const size_t quote = s.find(" for '", at);
    if (quote != std::string::npos && quote < tf1) {
      q = quote + 6;
      if (!s.until(q, "'", 300, name)) return false;
    }
  }
  size_t p = shapes_at + std::strlen("with input shapes: ");
  Dims a, b;
  if (!s.dims(p, a) || !s.expect(p, ", ") || !s.dims(p, b)) return false;
  std::vector<Dims> shapes = {a, b};
  batch_one(shapes, d);
  Merge m;
  m.fw = Framework::tensorflow;
  m.shapes = shapes;
  m.names = {"x", "y"};
  const char* type = tf_op_or_add(op, d);
  m.layer = merge_layer(type, name.empty() ? std::string(type) : name);
  d.note("read: input shapes " + shapes_text(shapes) + (op.empty() ? "" : ", op " + op) +
         (name.empty() ? "" : ", node " + text::quoted(name)));
  d.note("TensorFlow's graph-mode wording is not among ConvScope's texts for this failure; it prints Keras' and "
         "the eager one, with the same shapes");
  return build(s, at, d, m);
}

// Graph mode ConcatV2: "Dimension 1 in both shapes must be equal, but are 24
// and 25. Shapes are [1,24,24] and [1,25,25]. for '{{node concat}} =
// ConcatV2[...](x, y, concat/axis)' with input shapes: [1,24,24,64],
// [1,25,25,64], [] and with computed input tensors: input[2] = <3>."
bool tf_graph_concat(Scan& s, size_t at, Draft& d) {
  const size_t shapes_at = s.find("with input shapes: ", at);
  const size_t concat = s.find("ConcatV2", at);
  if (shapes_at == std::string::npos || shapes_at - at > 800 || concat == std::string::npos || concat > shapes_at)
    return s.fail(at, "expected a ConcatV2 node and 'with input shapes: ' after the message");
  std::string name;
  const size_t node = s.find("{{node ", at);
  if (node != std::string::npos && node < shapes_at) {
    size_t q = node + 7;
    if (!s.until(q, "}}", 300, name)) return false;
  }
  size_t p = shapes_at + std::strlen("with input shapes: ");
  std::vector<Dims> shapes;
  while (true) {
    Dims shape;
    if (!s.dims(p, shape)) return false;
    if (shape.empty()) break;  // the axis input, a scalar: []
    shapes.push_back(shape);
    if (shapes.size() > 64 || !s.expect(p, ", ")) return false;
  }
  if (shapes.size() < 2) return s.fail(shapes_at, "expected two or more input shapes before the axis []");
  batch_one(shapes, d);
  int64_t axis = -1;
  bool axis_read = false;
  const size_t computed = s.find("with computed input tensors: input[", p);
  if (computed != std::string::npos && computed - p < 40) {
    size_t q = s.find("= <", computed);
    if (q != std::string::npos && q - computed < 60) {
      q += 3;
      if (!s.integer(q, axis)) return false;
      axis_read = true;
    }
  }
  if (!axis_read) {
    axis = concat_axis_for(shapes[0], shapes[1], first_difference(shapes[0], shapes[1]), shapes[0].size() - 1);
    d.note("assumed: concat axis " + to_string(axis) + " (the message does not print it)");
  }
  Merge m;
  m.fw = Framework::tensorflow;
  m.shapes = shapes;
  for (size_t k = 0; k < shapes.size(); ++k) m.names.push_back("tensor_" + to_string(k));
  m.layer = merge_layer("concat", name.empty() ? "concat" : name);
  m.layer.push_back({"axis", Value(axis)});
  d.note("read: input shapes " + shapes_text(shapes) + (axis_read ? ", axis " + to_string(axis) : "") +
         (name.empty() ? "" : ", node " + text::quoted(name)));
  return build(s, at, d, m);
}

// Keras: "A `Concatenate` layer requires inputs with matching shapes except
// for the concatenation axis. Received: input_shape=[(None, 24, 24, 64),
// (None, 25, 25, 64)]" (and the older "... Got inputs shapes: [...]").
bool keras_concat(Scan& s, size_t at, Draft& d) {
  const char* markers[] = {"Received: input_shape=", "Got inputs shapes: "};
  size_t p = std::string::npos;
  for (const char* marker : markers) {
    const size_t q = s.find(marker, at);
    if (q != std::string::npos && q - at < 200 && p == std::string::npos) p = q + std::strlen(marker);
  }
  if (p == std::string::npos) return s.fail(at, "expected the input shapes after the message");
  std::vector<Dims> shapes;
  if (!shape_list(s, p, shapes)) return false;
  if (shapes.size() < 2) return s.fail(at, "expected two or more shapes");
  batch_one(shapes, d);
  const KerasContext ctx = keras_context(s.text);
  // Keras compares every shape without the axis; any axis other than the
  // first that differs reproduces it: the last when it can.
  const size_t rank = shapes[0].size();
  size_t differing = rank;
  for (size_t k = 1; k < shapes.size() && differing == rank; ++k) differing = first_difference(shapes[0], shapes[k]);
  const int64_t axis = differing != rank - 1 ? -1 : 1;
  Merge m;
  m.fw = Framework::tensorflow;
  m.shapes = shapes;
  for (size_t k = 0; k < shapes.size(); ++k) m.names.push_back("input_" + to_string(k));
  m.layer = merge_layer("concat", ctx.name.empty() ? "concatenate" : ctx.name);
  m.layer.push_back({"axis", Value(axis)});
  d.note("read: input shapes " + shapes_text(shapes));
  d.note("assumed: axis " + to_string(axis) + " (the message does not print it)");
  return build(s, at, d, m);
}

// Keras merges: "Inputs have incompatible shapes. Received shapes (24, 24, 64)
// and (25, 25, 64)" (batch left out); older "Operands could not be broadcast
// together with shapes (24, 24, 64) (25, 25, 64)".
bool keras_merge(Scan& s, size_t at, Draft& d) {
  const bool old = s.starts(at, "Operands could not be broadcast");
  size_t p = at + std::strlen(old ? "Operands could not be broadcast together with shapes "
                                  : "Inputs have incompatible shapes. Received shapes ");
  Dims a, b;
  if (!s.dims(p, a) || !s.expect(p, old ? " " : " and ") || !s.dims(p, b)) return false;
  a.insert(a.begin(), 1);
  b.insert(b.begin(), 1);
  // The layer class, when the traceback's code line names it.
  static const std::pair<const char*, const char*> kClasses[] = {
      {"Subtract(", "subtract"}, {"Multiply(", "multiply"}, {"Average(", "average"},
      {"Maximum(", "maximum"},   {"Minimum(", "minimum"},   {"Add(", "add"}};
  const char* type = "add";
  std::string cls;
  const KerasContext ctx = keras_context(s.text);
  for (const auto& c : kClasses)
    if ((!ctx.cls.empty() && ctx.cls + "(" == c.first) || s.text.rfind(c.first, at) != std::string::npos) {
      type = c.second;
      cls = std::string(c.first, std::strlen(c.first) - 1);
      break;
    }
  Merge m;
  m.fw = Framework::tensorflow;
  m.shapes = {a, b};
  m.names = {"input_0", "input_1"};
  m.layer = merge_layer(type, ctx.name.empty() ? std::string(type) : ctx.name);
  d.note("read: shapes " + dims_text(a) + " and " + dims_text(b) + " with batch 1 added (Keras leaves it out)");
  d.note(cls.empty() ? "assumed: an Add layer (the message is the same for Subtract, Multiply, Average, Maximum and Minimum)"
                     : "the traceback names the layer class " + cls);
  return build(s, at, d, m);
}

}  // namespace convscope::import::errors
