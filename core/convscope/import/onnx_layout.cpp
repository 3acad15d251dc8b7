// ONNX ops on data that move or resize it: Flatten, Reshape (a flatten to
// [N, -1], or one that keeps the shape), Squeeze of [N, C, 1, 1], Pad on the
// spatial axes, Resize / Upsample (whole-number scales, or another tensor's
// size), an identity Transpose; and the ops ConvScope knows it cannot model
// (Split, Slice, Gather, Unsqueeze, Expand, Tile, other transposes), which
// stop the walk with the reason.
#include <algorithm>
#include <cmath>

#include "convscope/import/onnx_walk.hpp"
#include "convscope/import/text.hpp"

namespace convscope::import::onnx {

using json::Value;
using std::to_string;

namespace {

bool flatten_op(Walk& w, size_t i) {
  int32_t in = 0;
  if (!data_input(w, i, in)) return true;
  int64_t axis = w.int_attr(i, "axis", 1);
  if (axis < 0) {
    const std::optional<Shape> s = known_shape(w, i, in, "its negative axis is counted from the end");
    if (!s) return true;
    axis += static_cast<int64_t>(s->size());
  }
  if (axis != 1) return w.stop(i, "it flattens from axis " + to_string(axis) + "; ConvScope's flatten keeps axis 0 (the batch)");
  w.add_layer(i, typed("flatten"), {in});
  return true;
}

// Pad: pads as an attribute (opset < 11) or a constant input, on the spatial
// axes only; negative pads crop. Reflect and edge padding give the same sizes.
bool pad_op(Walk& w, size_t i) {
  const Node& n = w.node(i);
  int32_t in = 0;
  if (!data_input(w, i, in)) return true;
  std::vector<int64_t> pads;
  if (const Attribute* a = n.attribute("pads")) {
    pads = a->ints;
  } else {
    const Const* c = values_of(w, i, 1, "its pads");
    if (!c) return true;
    pads = c->ints;
  }
  if (n.inputs.size() >= 4 && !n.inputs[3].empty()) return w.stop(i, "it pads only some axes (the axes input)");
  const size_t rank = pads.size() / 2;
  const bool bounded = std::all_of(pads.begin(), pads.end(), [](int64_t p) { return p >= -kMaxDimension && p <= kMaxDimension; });
  if (!bounded || pads.size() % 2 != 0 || rank < 3 || rank > 5)
    return w.fail(i, "pads: expected a begin and an end per axis of a 3-D to 5-D tensor, got " + shape_str(pads));
  if (pads[0] != 0 || pads[1] != 0 || pads[rank] != 0 || pads[rank + 1] != 0)
    return w.stop(i, "it pads the batch or channel axis (pads " + shape_str(pads) + ")");
  std::vector<std::pair<int64_t, int64_t>> pairs;
  bool grow = true, shrink = true, zero = true;
  for (size_t k = 2; k < rank; ++k) {
    pairs.push_back({pads[k], pads[rank + k]});
    grow = grow && pads[k] >= 0 && pads[rank + k] >= 0;
    shrink = shrink && pads[k] <= 0 && pads[rank + k] <= 0;
    zero = zero && pads[k] == 0 && pads[rank + k] == 0;
  }
  if (zero) {
    w.alias(i, in, "pads of 0");
    return true;
  }
  if (!grow && !shrink) return w.stop(i, "its pads both grow and crop (" + shape_str(pads) + ")");
  if (!grow)
    for (auto& p : pairs) p = {-p.first, -p.second};
  json::Object o = typed(grow ? "zero_pad" : "crop");
  o.push_back({grow ? "padding" : "cropping", pairs_json(pairs)});
  w.add_layer(i, std::move(o), {in});
  return true;
}

// Resize / Upsample: whole-number scales are an upsample; sizes taken from
// another tensor's shape (F.interpolate(x, size=skip.shape[2:])) are a
// resize_to that tensor; other sizes are not modelled.
bool resize_op(Walk& w, size_t i) {
  const Node& n = w.node(i);
  int32_t in = 0;
  if (!data_input(w, i, in)) return true;
  if (n.attribute("axes")) return w.stop(i, "it resizes only some axes (the axes attribute)");
  std::vector<double> scales;
  const Const* sizes = nullptr;
  if (const Attribute* a = n.attribute("scales")) {
    scales = a->floats;
  } else {
    const size_t scales_at = n.op_type == "Upsample" || n.inputs.size() == 2 ? 1 : 2;
    const Const* s = w.constant(i, scales_at);
    if (s && s->count() > 0) {
      if (!s->has_values || !s->is_float) return w.stop(i, "its scales are not known constants");
      scales = s->floats;
    } else if (n.op_type == "Resize" && n.inputs.size() >= 4 && !n.inputs[3].empty()) {
      sizes = w.constant(i, 3);
      if (!sizes || !sizes->has_values) return w.stop(i, "its sizes are not known: " + w.not_constant(i, 3));
    } else {
      return w.stop(i, "neither its scales nor its sizes are known constants");
    }
  }
  const std::string mode = w.string_attr(i, "mode", "nearest");
  if (!sizes) {
    bool whole = scales.size() >= 3 && scales[0] == 1 && scales[1] == 1;
    std::vector<int64_t> scale;
    for (size_t k = 2; whole && k < scales.size(); ++k) {
      whole = scales[k] >= 1 && scales[k] < 1e6 && std::floor(scales[k]) == scales[k];
      scale.push_back(static_cast<int64_t>(scales[k]));
    }
    if (!whole) {
      std::string list;
      for (double s : scales) list += (list.empty() ? "" : ", ") + json::write(Value(s), -1);
      return w.stop(i, "its scales [" + list + "] are not whole factors of the spatial axes; ConvScope's upsample "
                       "takes whole factors");
    }
    json::Object o = typed("upsample");
    o.push_back({"scale", axes_json(scale)});
    if (mode != "nearest") w.resize_modes.insert(mode);
    w.add_layer(i, std::move(o), {in});
    return true;
  }
  // Sizes: every spatial size from one other tensor's shape, axis for axis.
  const size_t rank = sizes->ints.size();
  int32_t reference = kNoLayer;
  bool from_one = rank >= 3;
  for (size_t k = 2; from_one && k < rank; ++k) {
    const Origin& o = sizes->origins[k];
    from_one = o.layer != kNoLayer && o.axis == static_cast<int64_t>(k) && (k == 2 || o.layer == reference);
    reference = o.layer;
  }
  const std::optional<Shape> s = w.shape_of(in);
  for (size_t k = 0; from_one && k < 2; ++k) {
    const Origin& o = sizes->origins[k];
    from_one = (o.layer == in && o.axis == static_cast<int64_t>(k)) || (s && s->size() == rank && (*s)[k] == sizes->ints[k]);
  }
  if (!from_one)
    return w.stop(i, "its sizes " + shape_str(sizes->ints) + " are not another tensor's spatial size; ConvScope resizes "
                     "to a layer's size (resize_to) or by whole factors (upsample)");
  if (reference == in) {
    w.alias(i, in, "resized to its own size");
    return true;
  }
  if (mode != "nearest") w.resize_modes.insert(mode);
  w.add_layer(i, typed("resize_to"), {in, reference});
  return true;
}

// Reshape: a flatten to [N, -1], or a reshape that keeps the shape.
bool reshape_op(Walk& w, size_t i) {
  int32_t in = 0;
  if (!data_input(w, i, in)) return true;
  const Const* target = values_of(w, i, 1, "its target shape");
  if (!target) return true;
  const std::optional<Shape> s = known_shape(w, i, in, "the target is read against it");
  if (!s) return true;
  const bool allow_zero = w.int_attr(i, "allowzero", 0) != 0;
  std::vector<int64_t> out = target->ints;
  int64_t known = 1, total = 1, infer = -1;
  for (int64_t d : *s) total = d != 0 && total > (int64_t{1} << 62) / d ? int64_t{1} << 62 : total * d;
  for (size_t k = 0; k < out.size(); ++k) {
    if (out[k] == 0 && !allow_zero) {
      if (k >= s->size()) return w.fail(i, "target shape " + shape_str(target->ints) + ": 0 copies an axis the input lacks");
      out[k] = (*s)[k];
    }
    if (out[k] == -1) {
      if (infer >= 0) return w.fail(i, "target shape " + shape_str(target->ints) + " has more than one -1");
      infer = static_cast<int64_t>(k);
    } else if (out[k] < 0) {
      return w.fail(i, "target shape " + shape_str(target->ints) + " has a negative size");
    } else {
      known = out[k] != 0 && known > (int64_t{1} << 62) / out[k] ? int64_t{1} << 62 : known * out[k];
    }
  }
  if (infer >= 0 && known > 0 && total % known == 0) out[static_cast<size_t>(infer)] = total / known;
  int64_t product = 1;
  for (int64_t d : out) product = d != 0 && product > (int64_t{1} << 62) / d ? int64_t{1} << 62 : product * d;
  if ((infer >= 0 && (known == 0 || total % known != 0)) || product != total)
    return w.stop(i, "its target " + shape_str(target->ints) + " does not fit the input " + shape_str(*s) + " (" +
                         to_string(total) + " values): ONNX Runtime fails here, and ConvScope has no reshape layer "
                         "to show it");
  if (out == *s) {
    w.alias(i, in, "keeps the shape " + shape_str(*s));
    return true;
  }
  if (s->size() >= 2 && out.size() == 2 && out[0] == (*s)[0]) {
    w.add_layer(i, typed("flatten"), {in});
    return true;
  }
  return w.stop(i, "it reshapes " + shape_str(*s) + " to " + shape_str(out) +
                       "; ConvScope models a flatten to [N, -1] and reshapes that keep the shape");
}

// Squeeze of [N, C, 1, 1] to [N, C] is a flatten.
bool squeeze_op(Walk& w, size_t i) {
  int32_t in = 0;
  if (!data_input(w, i, in)) return true;
  std::vector<int64_t> axes;
  if (!w.ints_attr(i, "axes", 0, -kMaxDimension, axes)) return false;
  if (!w.node(i).attribute("axes") && w.node(i).inputs.size() >= 2 && !w.node(i).inputs[1].empty()) {
    const Const* c = values_of(w, i, 1, "its axes");
    if (!c) return true;
    axes = c->ints;
  }
  const std::optional<Shape> s = known_shape(w, i, in, "its axes are read against it");
  if (!s) return true;
  Shape out;
  const int64_t rank = static_cast<int64_t>(s->size());
  for (int64_t k = 0; k < rank; ++k) {
    const bool listed = std::any_of(axes.begin(), axes.end(), [&](int64_t a) { return a == k || a + rank == k; });
    if ((axes.empty() && (*s)[static_cast<size_t>(k)] == 1) || listed) {
      if ((*s)[static_cast<size_t>(k)] != 1) return w.stop(i, "it squeezes axis " + to_string(k) + " of " + shape_str(*s) + ", which is not 1");
      continue;
    }
    out.push_back((*s)[static_cast<size_t>(k)]);
  }
  if (out == *s) {
    w.alias(i, in, "nothing to squeeze");
    return true;
  }
  if (s->size() >= 3 && out.size() == 2 && out[0] == (*s)[0]) {
    w.add_layer(i, typed("flatten"), {in});
    return true;
  }
  return w.stop(i, "it squeezes " + shape_str(*s) + " to " + shape_str(out) + "; ConvScope models a squeeze to [N, C] (a flatten)");
}

bool transpose_op(Walk& w, size_t i) {
  int32_t in = 0;
  if (!data_input(w, i, in)) return true;
  std::vector<int64_t> perm;
  if (!w.ints_attr(i, "perm", 0, 0, perm)) return false;
  bool identity = !perm.empty();
  for (size_t k = 0; k < perm.size(); ++k) identity = identity && perm[k] == static_cast<int64_t>(k);
  if (identity) {
    w.alias(i, in, "identity permutation");
    return true;
  }
  return w.stop(i, "it transposes axes (perm " + shape_str(perm) + ", as in ShuffleNet's channel shuffle); the "
                   "contract has no transpose layer");
}

// Ops ConvScope knows it cannot model, with the reason.
bool split_op(Walk& w, size_t i) {
  return w.stop(i, "it splits its input into " + to_string(w.node(i).outputs.size()) +
                       " parts; the contract has no split layer");
}
bool slice_op(Walk& w, size_t i) { return w.stop(i, "it slices its input; the contract has no slice layer"); }
bool gather_op(Walk& w, size_t i) { return w.stop(i, "it gathers from its input; the contract has no gather layer"); }
bool unsqueeze_op(Walk& w, size_t i) { return w.stop(i, "it adds axes to its input; the contract has no such layer"); }
bool expand_op(Walk& w, size_t i) {
  return w.stop(i, "it repeats its input (" + w.node(i).op_type + "); the contract has no such layer");
}

struct Entry {
  const char* op;
  Handler handler;
};

const Entry kLayout[] = {
    {"Flatten", flatten_op},     {"Pad", pad_op},         {"Resize", resize_op},       {"Upsample", resize_op},
    {"Reshape", reshape_op},     {"Squeeze", squeeze_op}, {"Transpose", transpose_op}, {"Split", split_op},
    {"Slice", slice_op},         {"Gather", gather_op},   {"Unsqueeze", unsqueeze_op}, {"Expand", expand_op},
    {"Tile", expand_op},
};

}  // namespace

Handler layout_handler(const std::string& op) {
  for (const Entry& e : kLayout)
    if (op == e.op) return e.handler;
  return nullptr;
}

}  // namespace convscope::import::onnx
