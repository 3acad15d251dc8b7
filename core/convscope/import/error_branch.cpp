// Messages of networks that branch: a declared channel count that differs
// from what arrives (PyTorch's "Given groups=1, weight of size ..."), and
// merges whose inputs disagree: concatenation (PyTorch's "Sizes of tensors
// must match ...", TensorFlow's ConcatOp, Keras' Concatenate, ONNX Runtime's
// Concat) and element-wise broadcasting (PyTorch's "The size of tensor a
// ...", TensorFlow's "Incompatible shapes" and "Dimensions must be equal",
// Keras' "Inputs have incompatible shapes", ONNX Runtime's broadcast).
//
// A merge becomes a small graph: the network input is the first tensor the
// message names, every other tensor is made from it by stand-in layers (a 1x1
// convolution for the channels, zero padding or cropping for the size, a
// flatten and a dense layer for 2-D tensors), and the merge reads them in the
// message's order, so analysing the network prints the message's own numbers.
// The notes say which sizes the message carried and which were assumed.
#include <algorithm>
#include <cstring>

#include "convscope/import/error_scan.hpp"
#include "convscope/import/text.hpp"

namespace convscope::import::errors {

using json::Value;
using std::to_string;

namespace {

constexpr int64_t kAssumedChannels = 16;
constexpr int64_t kAssumedSize = 8;

size_t channel_axis(Framework fw, size_t rank) { return fw == Framework::tensorflow ? rank - 1 : 1; }

// The tensors a merge reads, as full shapes in the framework's layout, and
// what to call the stand-in layer that makes each.
struct Merge {
  Framework fw = Framework::pytorch;
  std::vector<Dims> shapes;
  std::vector<std::string> names;
  json::Object layer;  // the merge itself (type, name, axis)
};

// Layers that make `shape` from the network input `in`; returns the name the
// merge reads ("input" when the shape is the input's).
bool make_tensor(Scan& s, size_t at, Draft& d, const Merge& m, const Dims& in, const Dims& shape, const std::string& name,
                 std::string& out) {
  const std::string origin = text::position(s.text, at);
  if (shape == in) {
    out = "input";
    return true;
  }
  if (shape[0] != in[0])
    return s.fail(at, "the tensors' batch sizes differ (" + to_string(in[0]) + " and " + to_string(shape[0]) +
                          "); ConvScope's stand-in branches keep the batch");
  std::string from = "input";
  auto add = [&](json::Object o, const std::string& layer_name) {
    o.insert(o.begin() + 1, {"name", Value(layer_name)});
    o.insert(o.begin() + 2, {"inputs", Value(json::Array{Value(from)})});
    d.add(std::move(o), origin);
    from = layer_name;
  };
  if (shape.size() == 2) {
    // [N, F] from the 4-D input [N, F0, 1, 1] (or [N, 1, 1, F0]): flatten, then dense.
    const int64_t f0 = in[channel_axis(m.fw, in.size())];
    add(layer_object("flatten", ""), shape[1] == f0 ? name : name + "_flatten");
    if (shape[1] != f0) {
      json::Object o = layer_object("dense", "");
      o.push_back({"units", Value(shape[1])});
      add(std::move(o), name);
    }
    out = from;
    return true;
  }
  const size_t rank = shape.size(), c = channel_axis(m.fw, rank);
  const size_t first = m.fw == Framework::tensorflow ? 1 : 2;
  std::vector<std::pair<int64_t, int64_t>> grow, shrink;
  bool grows = false, shrinks = false;
  for (size_t a = first; a < first + rank - 2; ++a) {
    const int64_t diff = shape[a] - in[a];
    grow.push_back({0, diff > 0 ? diff : 0});
    shrink.push_back({0, diff < 0 ? -diff : 0});
    grows = grows || diff > 0;
    shrinks = shrinks || diff < 0;
  }
  const int steps = (shape[c] != in[c]) + grows + shrinks;
  int step = 0;
  auto next_name = [&](const char* suffix) { return ++step == steps ? name : name + suffix; };
  if (shape[c] != in[c]) {
    json::Object o = layer_object("conv", "");
    o.push_back({"filters", Value(shape[c])});
    o.push_back({"kernel", Value(1)});
    add(std::move(o), next_name("_channels"));
  }
  if (grows) {
    json::Object o = layer_object("zero_pad", "");
    o.push_back({"padding", pairs_json(grow)});
    add(std::move(o), next_name("_pad"));
  }
  if (shrinks) {
    json::Object o = layer_object("crop", "");
    o.push_back({"cropping", pairs_json(shrink)});
    add(std::move(o), next_name("_crop"));
  }
  out = from;
  return true;
}

// The network: the input is the first tensor (made 4-D when it is [N, F]),
// the others are made from it, and the merge reads them all.
bool build(Scan& s, size_t at, Draft& d, Merge m) {
  const size_t rank = m.shapes[0].size();
  for (const Dims& shape : m.shapes) {
    if (shape.size() != rank)
      return s.fail(at, "the tensors have different ranks (" + dims_text(m.shapes[0]) + " and " + dims_text(shape) +
                            "); ConvScope reproduces merges of tensors of one rank");
    if (rank < 2 || rank > 5) return s.fail(at, "expected 2-D to 5-D tensors, got " + dims_text(shape));
    for (int64_t v : shape)
      if (v < 1) return s.fail(at, "expected known positive sizes, got " + dims_text(shape));
  }
  d.framework = m.fw;
  d.input = m.shapes[0];
  if (rank == 2)
    d.input = m.fw == Framework::tensorflow ? Dims{m.shapes[0][0], 1, 1, m.shapes[0][1]} : Dims{m.shapes[0][0], m.shapes[0][1], 1, 1};
  json::Array inputs;
  bool stand_ins = false;
  for (size_t k = 0; k < m.shapes.size(); ++k) {
    std::string ref;
    if (!make_tensor(s, at, d, m, d.input, m.shapes[k], m.names[k], ref)) return false;
    stand_ins = stand_ins || ref != "input";
    inputs.push_back(Value(ref));
  }
  m.layer.insert(m.layer.begin() + 2, {"inputs", Value(std::move(inputs))});
  d.add(std::move(m.layer), text::position(s.text, at));
  if (stand_ins)
    d.note("the branches are stand-ins (a 1x1 convolution for the channels, zero padding or cropping for the size" +
           std::string(rank == 2 ? ", a flatten and a dense layer for 2-D tensors" : "") +
           "): only the shapes arriving at the merge come from the message");
  return true;
}

std::string shapes_text(const std::vector<Dims>& shapes) {
  std::string s;
  for (size_t k = 0; k < shapes.size(); ++k) s += (k ? ", " : "") + dims_text(shapes[k]);
  return s;
}

// Batch None (or ?) read as 1.
void batch_one(std::vector<Dims>& shapes, Draft& d) {
  bool assumed = false;
  for (Dims& shape : shapes)
    if (!shape.empty() && shape[0] < 0) {
      shape[0] = 1;
      assumed = true;
    }
  if (assumed) d.note("assumed batch 1 (the message prints None)");
}

// A merge layer of `type`, named.
json::Object merge_layer(const char* type, const std::string& name) {
  json::Object o{{"type", Value(type)}};
  o.push_back({"name", Value(clean_name(name))});
  return o;
}

// The element-wise op a PyTorch traceback's failing line writes; add when it
// does not say (the message is the same for each).
const char* torch_op(const std::string& text, size_t at, std::string& seen) {
  const size_t line_end = text.rfind('\n', at);
  if (line_end == std::string::npos || line_end == 0) return "add";
  const size_t line_start = text.rfind('\n', line_end - 1);
  const size_t from = line_start == std::string::npos ? 0 : line_start + 1;
  const std::string line = text.substr(from, std::min<size_t>(line_end - from, 400));
  static const std::pair<const char*, const char*> kOps[] = {
      {"*", "multiply"}, {"torch.mul(", "multiply"}, {" - ", "subtract"}, {"torch.sub(", "subtract"},
      {"torch.maximum(", "maximum"}, {"torch.max(", "maximum"}, {"torch.minimum(", "minimum"}, {"torch.min(", "minimum"},
      {"+", "add"}, {"torch.add(", "add"}};
  for (const auto& op : kOps)
    if (line.find(op.first) != std::string::npos) {
      seen = op.first;
      return op.second;
    }
  return "add";
}

// Which concat axis reproduces a mismatch reported at `dim`: every other
// axis before it must agree (frameworks report the first difference).
int64_t concat_axis_for(const Dims& a, const Dims& b, size_t dim, size_t preferred) {
  auto fits = [&](size_t axis) {
    if (axis == dim) return false;
    for (size_t d = 0; d < dim; ++d)
      if (d != axis && a[d] != b[d]) return false;
    return true;
  };
  if (fits(preferred)) return static_cast<int64_t>(preferred);
  for (size_t axis = 1; axis < a.size(); ++axis)
    if (fits(axis)) return static_cast<int64_t>(axis);
  return static_cast<int64_t>(preferred);
}

// The first axis where two shapes differ, or the rank.
size_t first_difference(const Dims& a, const Dims& b) {
  for (size_t d = 0; d < a.size() && d < b.size(); ++d)
    if (a[d] != b[d]) return d;
  return a.size();
}

// A "[(None, 24, 24, 64), (None, 25, 25, 64)]" list of Keras shapes.
bool shape_list(Scan& s, size_t& p, std::vector<Dims>& out) {
  if (!s.expect(p, "[")) return false;
  while (true) {
    Dims shape;
    if (!s.dims(p, shape)) return false;
    out.push_back(shape);
    if (out.size() > 64) return s.fail(p, "more than 64 shapes");
    if (s.starts(p, "]")) return ++p, true;
    if (!s.expect(p, ", ")) return false;
  }
}

// Square sizes for a reconstructed tensor: `size` on every spatial axis.
Dims tensor4(Framework fw, size_t rank, int64_t channels, int64_t size) {
  Dims shape(rank, size);
  shape[0] = 1;
  shape[channel_axis(fw, rank)] = channels;
  return shape;
}

}  // namespace

// ---- PyTorch ----------------------------------------------------------------

// "Given groups=1, weight of size [64, 32, 3, 3], expected input[1, 16, 32, 32]
// to have 32 channels, but got 16 channels instead" (and the transposed form).
bool torch_channels(Scan& s, size_t at, Draft& d) {
  const bool transposed = s.starts(at, "Given transposed=1");
  size_t p = at + std::strlen(transposed ? "Given transposed=" : "Given groups=");
  int64_t groups = 1, declared = 0, got = 0;
  Dims weight, input;
  if (!s.integer(p, groups) || !s.expect(p, ", weight of size ") || !s.dims(p, weight) ||
      !s.expect(p, ", expected input") || !s.dims(p, input) || !s.expect(p, " to have ") || !s.integer(p, declared) ||
      !s.expect(p, " channels, but got ") || !s.integer(p, got) || !s.expect(p, " channels instead"))
    return false;
  if (transposed) groups = 1;
  if (weight.size() < 3 || weight.size() > 5 || input.size() != weight.size() || groups < 1)
    return s.fail(at, "expected a 3-D to 5-D weight and input of one rank, got " + dims_text(weight) + " and " + dims_text(input));
  for (int64_t v : weight)
    if (v < 1) return s.fail(at, "expected positive weight sizes, got " + dims_text(weight));
  for (int64_t v : input)
    if (v < 1) return s.fail(at, "expected positive input sizes, got " + dims_text(input));
  OneLayer l;
  l.type = transposed ? LayerType::conv_transpose : LayerType::conv;
  l.name = torch_layer_name(s.text);
  l.filters = transposed ? weight[1] : weight[0];
  l.groups = groups;
  l.kernel.assign(weight.begin() + 2, weight.end());
  d.framework = Framework::pytorch;
  d.input = input;
  d.note("read: weight " + dims_text(weight) + ", input " + dims_text(input) + ", declared " + to_string(declared) +
         " input channels, " + to_string(got) + " arriving" + (groups != 1 ? ", groups=" + to_string(groups) : ""));
  d.note("assumed: stride 1, padding 0, dilation 1 (PyTorch checks the channels before the sizes, and the message "
         "carries neither)");
  if (!l.name.empty()) d.note("layer name " + text::quoted(l.name) + " taken from the traceback's `self." + l.name + "(...)`");
  add_layer(d, l, text::position(s.text, at));
  json::Object& o = d.layers.back().as_object();
  o.push_back({"in_channels", Value(declared)});
  return true;
}

// "Sizes of tensors must match except in dimension 1. Expected size 25 but got
// size 24 for tensor number 1 in the list." (1.8 and later); "... Got 25 and
// 24 in dimension 2 (The offending index is 1)" (1.5 - 1.7); the TH text
// without the index (1.4 and earlier).
bool torch_cat(Scan& s, size_t at, Draft& d) {
  size_t p = at + std::strlen("Sizes of tensors must match except in dimension ");
  int64_t dim = 0, ref = 0, other = 0, index = 1, mismatch = -1;
  if (!s.integer(p, dim)) return false;
  if (s.starts(p, ". Expected size ")) {
    p += std::strlen(". Expected size ");
    if (!s.integer(p, ref) || !s.expect(p, " but got size ") || !s.integer(p, other) ||
        !s.expect(p, " for tensor number ") || !s.integer(p, index))
      return false;
  } else {
    if (!s.expect(p, ". Got ") || !s.integer(p, ref) || !s.expect(p, " and ") || !s.integer(p, other) ||
        !s.expect(p, " in dimension ") || !s.integer(p, mismatch))
      return false;
    if (s.starts(p, " (The offending index is ")) {
      p += std::strlen(" (The offending index is ");
      if (!s.integer(p, index)) return false;
    }
  }
  if (dim < 0 || dim > 4 || index < 1 || index > 63 || ref < 1 || other < 1 || mismatch > 4 || mismatch == dim)
    return s.fail(at, "expected a concat dimension 0 to 4, a tensor number 1 to 63 and positive sizes");
  const size_t rank = std::max<size_t>(4, static_cast<size_t>(std::max(dim, mismatch)) + 1);
  // The first axis that differs is not printed (1.8+): the first one that is
  // neither the batch nor the concat dimension.
  const bool assumed_axis = mismatch < 0;
  if (assumed_axis) mismatch = dim == 1 ? 2 : 1;
  Dims base = tensor4(Framework::pytorch, rank, kAssumedChannels, ref);
  base[static_cast<size_t>(mismatch)] = ref;
  Dims odd = base;
  odd[static_cast<size_t>(mismatch)] = other;
  // PyTorch reports the first axis that differs: later spatial axes may
  // differ too (a U-Net's square maps), earlier ones may not.
  if (mismatch >= 2)
    for (size_t a = static_cast<size_t>(mismatch) + 1; a < rank; ++a)
      if (static_cast<int64_t>(a) != dim) odd[a] = other;
  Merge m;
  m.fw = Framework::pytorch;
  for (int64_t k = 0; k <= index; ++k) {
    m.shapes.push_back(k == index ? odd : base);
    m.names.push_back("tensor_" + to_string(k));
  }
  m.layer = merge_layer("concat", "torch.cat");
  m.layer.push_back({"axis", Value(dim)});
  d.note("read: concatenation along dimension " + to_string(dim) + "; tensor " + to_string(index) + " has size " +
         to_string(other) + " where tensor 0 has " + to_string(ref));
  d.note("assumed: " + to_string(rank) + "-D tensors (NCHW), batch 1, " +
         (mismatch == 1 ? std::string("the channels differing") : to_string(kAssumedChannels) + " channels") +
         (assumed_axis ? ", the sizes differing on dimension " + to_string(mismatch) + " (the message prints only the "
                                                                                        "concat dimension)"
                       : "") +
         (mismatch >= 2 ? ", square maps" : ""));
  return build(s, at, d, m);
}

// "The size of tensor a (512) must match the size of tensor b (256) at
// non-singleton dimension 1" (every element-wise op and operator).
bool torch_broadcast(Scan& s, size_t at, Draft& d) {
  size_t p = at + std::strlen("The size of tensor a (");
  int64_t a = 0, b = 0, dim = 0;
  if (!s.integer(p, a) || !s.expect(p, ") must match the size of tensor b (") || !s.integer(p, b) ||
      !s.expect(p, ") at non-singleton dimension ") || !s.integer(p, dim))
    return false;
  if (dim < 1 || dim > 4 || a < 2 || b < 2)
    return s.fail(at, "expected a dimension 1 to 4 and sizes above 1 (the batch and singleton sizes broadcast)");
  const size_t rank = std::max<size_t>(4, static_cast<size_t>(dim) + 1), at_dim = static_cast<size_t>(dim);
  Dims left = tensor4(Framework::pytorch, rank, at_dim == 1 ? a : kAssumedChannels, at_dim == 1 ? kAssumedSize : a);
  Dims right = left;
  right[at_dim] = b;
  // PyTorch reports the LAST axis that differs: earlier spatial axes may differ
  // too (square maps), later ones may not.
  for (size_t k = 2; k < at_dim; ++k) right[k] = b;
  if (at_dim >= 2)
    for (size_t k = at_dim + 1; k < rank; ++k) left[k] = right[k] = a;
  std::string seen;
  const char* op = torch_op(s.text, at, seen);
  Merge m;
  m.fw = Framework::pytorch;
  m.shapes = {left, right};
  m.names = {"tensor_a", "tensor_b"};
  m.layer = merge_layer(op, op);
  d.note("read: tensor a has " + to_string(a) + " and tensor b " + to_string(b) + " at dimension " + to_string(dim));
  d.note("assumed: " + to_string(rank) + "-D tensors (NCHW), batch 1, " +
         (at_dim == 1 ? "spatial size " + to_string(kAssumedSize) : to_string(kAssumedChannels) + " channels, square maps") +
         "; " + (seen.empty() ? "an add (the message is the same for -, *, torch.maximum ...)"
                              : std::string("the traceback's line uses ") + text::quoted(seen)));
  return build(s, at, d, m);
}

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

// ---- ONNX Runtime -----------------------------------------------------------

namespace {

// The node name and op ONNX Runtime's log line gives before `at`: "while
// running Concat node. Name:'concat'" or "Node (concat) Op (Concat)".
void ort_node(const Scan& s, size_t at, std::string& op, std::string& name) {
  const size_t running = s.text.rfind("while running ", at);
  if (running != std::string::npos && at - running < 400) {
    const size_t end = s.text.find(" node.", running);
    if (end != std::string::npos && end < at) op = s.text.substr(running + 14, end - running - 14);
    const size_t n = s.text.find("Name:'", running);
    const size_t close = n == std::string::npos ? n : s.text.find('\'', n + 6);
    if (close != std::string::npos && close < at) name = s.text.substr(n + 6, close - n - 6);
    return;
  }
  const size_t node = s.text.rfind("Node (", at);
  if (node != std::string::npos && at - node < 400) {
    const size_t close = s.text.find(") Op (", node);
    if (close != std::string::npos && close < at) {
      name = s.text.substr(node + 6, close - node - 6);
      const size_t op_end = s.text.find(')', close + 6);
      if (op_end != std::string::npos && op_end < at) op = s.text.substr(close + 6, op_end - close - 6);
    }
  }
}

// Concat at `axis` of two 4-D NCHW tensors differing at `dim`: the input 0
// size `ref` and the other `other` (square maps when a spatial axis differs).
bool ort_concat_graph(Scan& s, size_t at, Draft& d, int64_t dim, int64_t other, int64_t ref, const std::string& name) {
  if (dim < 0 || dim > 4 || other < 1 || ref < 1) return s.fail(at, "expected an axis 0 to 4 and positive sizes");
  const size_t rank = std::max<size_t>(4, static_cast<size_t>(dim) + 1), at_dim = static_cast<size_t>(dim);
  if (at_dim == 0) return s.fail(at, "the batch sizes differ; ConvScope's stand-in branches keep the batch");
  Dims first = tensor4(Framework::onnx, rank, at_dim == 1 ? ref : kAssumedChannels, at_dim == 1 ? kAssumedSize : ref);
  Dims second = first;
  second[at_dim] = other;
  if (at_dim >= 2)
    for (size_t k = at_dim + 1; k < rank; ++k) second[k] = other;
  const int64_t axis = at_dim == 1 ? 2 : 1;
  Merge m;
  m.fw = Framework::onnx;
  m.shapes = {first, second};
  m.names = {"input_0", "input_1"};
  m.layer = merge_layer("concat", name.empty() ? "Concat" : name);
  m.layer.push_back({"axis", Value(axis)});
  d.note("read: input 0 has " + to_string(ref) + " and another input " + to_string(other) + " at axis " + to_string(dim) +
         (name.empty() ? "" : ", node " + text::quoted(name)));
  d.note("assumed: 4-D NCHW tensors, batch 1, concat axis " + to_string(axis) + ", " +
         (at_dim == 1 ? "spatial size " + to_string(kAssumedSize) : to_string(kAssumedChannels) + " channels, square maps") +
         ", the differing input second (the message does not say which)");
  return build(s, at, d, m);
}

}  // namespace

// Run time: "Non concat axis dimensions must match: Axis 2 has mismatched
// dimensions of 25 and 24" (the offending input's size, then input 0's).
bool ort_concat_run(Scan& s, size_t at, Draft& d) {
  size_t p = at + std::strlen("Non concat axis dimensions must match: Axis ");
  int64_t dim = 0, other = 0, ref = 0;
  if (!s.integer(p, dim) || !s.expect(p, " has mismatched dimensions of ") || !s.integer(p, other) ||
      !s.expect(p, " and ") || !s.integer(p, ref))
    return false;
  std::string op, name;
  ort_node(s, at, op, name);
  return ort_concat_graph(s, at, d, dim, other, ref, name);
}

// Load time: "Node (concat) Op (Concat) [ShapeInferenceError] Can't merge shape
// info. Both inferred and declared dimension have values but they differ.
// Inferred=25 Declared=24 Dimension=2" (onnx < 1.15: "Source=25 Target=24").
bool ort_concat_load(Scan& s, size_t at, Draft& d) {
  std::string op, name;
  ort_node(s, at, op, name);
  if (op != "Concat") return s.fail(at, "ONNX shape inference could not merge shapes in a " + (op.empty() ? std::string("node") : op) +
                                            " node; ConvScope reconstructs this message for Concat nodes");
  const bool old = s.find("Source=", at) != std::string::npos && s.find("Source=", at) - at < 200;
  size_t p = s.find(old ? "Source=" : "Inferred=", at);
  if (p == std::string::npos || p - at > 200) return s.fail(at, "expected Inferred= (or Source=) after the message");
  p += old ? 7 : 9;
  int64_t other = 0, ref = 0, dim = 0;
  if (!s.integer(p, other) || !s.expect(p, old ? " Target=" : " Declared=") || !s.integer(p, ref) ||
      !s.expect(p, " Dimension=") || !s.integer(p, dim))
    return false;
  return ort_concat_graph(s, at, d, dim, other, ref, name);
}

// Run time, element-wise: "Attempting to broadcast an axis by a dimension other
// than 1. 256 by 512" (the smaller size first, whatever the order).
bool ort_broadcast_run(Scan& s, size_t at, Draft& d) {
  size_t p = at + std::strlen("Attempting to broadcast an axis by a dimension other than 1. ");
  int64_t smaller = 0, larger = 0;
  if (!s.integer(p, smaller) || !s.expect(p, " by ") || !s.integer(p, larger)) return false;
  if (smaller < 2 || larger < 2) return s.fail(at, "expected sizes above 1");
  std::string op, name;
  ort_node(s, at, op, name);
  static const std::pair<const char*, const char*> kOps[] = {{"Add", "add"}, {"Sum", "add"}, {"Sub", "subtract"},
                                                             {"Mul", "multiply"}, {"Max", "maximum"}, {"Min", "minimum"},
                                                             {"Mean", "average"}};
  const char* type = nullptr;
  for (const auto& o : kOps)
    if (op == o.first) type = o.second;
  if (!type) d.note("the node's op " + (op.empty() ? std::string("is not in the message") : "is " + op) +
                    "; assumed an Add (ONNX Runtime words this the same for every element-wise op)");
  Merge m;
  m.fw = Framework::onnx;
  m.shapes = {tensor4(Framework::onnx, 4, larger, kAssumedSize), tensor4(Framework::onnx, 4, smaller, kAssumedSize)};
  m.names = {"input_0", "input_1"};
  m.layer = merge_layer(type ? type : "add", name.empty() ? std::string(op.empty() ? "Add" : op) : name);
  d.note("read: sizes " + to_string(smaller) + " and " + to_string(larger) + (name.empty() ? "" : ", node " + text::quoted(name)));
  d.note("assumed: 4-D NCHW tensors differing in channels (the message names no axis), spatial size " +
         to_string(kAssumedSize) + ", batch 1, the larger first");
  return build(s, at, d, m);
}

}  // namespace convscope::import::errors
