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
#include "convscope/import/error_branch.hpp"

#include <algorithm>

#include "convscope/import/text.hpp"

namespace convscope::import::errors {

using json::Value;
using std::to_string;

namespace {

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

}  // namespace

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

}  // namespace convscope::import::errors
