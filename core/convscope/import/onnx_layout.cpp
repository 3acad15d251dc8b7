// ONNX ops on data that move or resize it: Flatten, Reshape (a flatten to
// [N, -1], or one that keeps the shape), Squeeze of [N, C, 1, 1], Pad on the
// spatial axes, Resize / Upsample (whole-number scales, or another tensor's
// size), an identity Transpose, ShuffleNet's channel shuffle
// (Reshape-Transpose-Reshape) and channel split (Split or Slice of the
// channels as torch.chunk makes them); and the ops ConvScope knows it cannot
// model (Gather, Unsqueeze, Expand, Tile, other transposes and slices), which
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

// The shape a Reshape of `s` to `target` asks for, 0 and -1 resolved as
// ONNX does; nullopt (the walk stopped or failed) when it does not fit. With
// `misfit`, a target the values do not fill sets it instead of stopping (the
// contract's reshape then shows ONNX Runtime's failure).
std::optional<Shape> reshape_target(Walk& w, size_t i, const Shape& s, const std::vector<int64_t>& target,
                                    bool* misfit = nullptr) {
  const bool allow_zero = w.int_attr(i, "allowzero", 0) != 0;
  std::vector<int64_t> out = target;
  int64_t known = 1, total = 1, infer = -1;
  for (int64_t d : s) total = d != 0 && total > (int64_t{1} << 62) / d ? int64_t{1} << 62 : total * d;
  for (size_t k = 0; k < out.size(); ++k) {
    if (out[k] == 0 && !allow_zero) {
      if (k >= s.size()) {
        w.fail(i, "target shape " + shape_str(target) + ": 0 copies an axis the input lacks");
        return std::nullopt;
      }
      out[k] = s[k];
    }
    if (out[k] == -1) {
      if (infer >= 0) {
        w.fail(i, "target shape " + shape_str(target) + " has more than one -1");
        return std::nullopt;
      }
      infer = static_cast<int64_t>(k);
    } else if (out[k] < 0) {
      w.fail(i, "target shape " + shape_str(target) + " has a negative size");
      return std::nullopt;
    } else {
      known = out[k] != 0 && known > (int64_t{1} << 62) / out[k] ? int64_t{1} << 62 : known * out[k];
    }
  }
  if (infer >= 0 && known > 0 && total % known == 0) out[static_cast<size_t>(infer)] = total / known;
  int64_t product = 1;
  for (int64_t d : out) product = d != 0 && product > (int64_t{1} << 62) / d ? int64_t{1} << 62 : product * d;
  if ((infer >= 0 && (known == 0 || total % known != 0)) || product != total) {
    if (misfit) {
      *misfit = true;
      return std::nullopt;
    }
    w.stop(i, "its target " + shape_str(target) + " does not fit the input " + shape_str(s) + " (" + to_string(total) +
                  " values): ONNX Runtime fails here, and ConvScope has no reshape layer to show it");
    return std::nullopt;
  }
  return out;
}

// [N, C, ...] viewed as [N, g, C/g, ...]: the first step of a channel shuffle.
std::optional<int64_t> shuffle_groups(const Shape& s, const Shape& out) {
  if (s.size() < 3 || out.size() != s.size() + 1 || out[0] != s[0] || out[1] < 1 || out[1] * out[2] != s[1])
    return std::nullopt;
  for (size_t k = 2; k < s.size(); ++k)
    if (out[k + 1] != s[k]) return std::nullopt;
  return out[1];
}

// The contract's reshape for an ONNX target shape, as written: the batch entry
// the input's batch (or 0, a copy of it: kept) or -1 (inferred), 0 elsewhere
// copying the input's size, -1 left to the analysis; an output of rank 2 or
// the network's rank. nullopt when the contract cannot say it.
std::optional<json::Object> contract_reshape(Walk& w, size_t i, const Shape& s, const std::vector<int64_t>& target) {
  const bool allow_zero = w.int_attr(i, "allowzero", 0) != 0;
  if (s.empty() || (target.size() != 2 && target.size() != w.d.input.size())) return std::nullopt;
  const int64_t batch = target[0] == 0 && !allow_zero ? s[0] : target[0];
  if (batch != s[0] && batch != -1) return std::nullopt;
  json::Array sizes;
  for (size_t k = 1; k < target.size(); ++k) {
    int64_t d = target[k];
    if (d == 0 && !allow_zero && k < s.size()) d = s[k];
    if (d < 1 && d != -1) return std::nullopt;
    if (d == -1 && batch == -1) return std::nullopt;  // two sizes to infer: ONNX refuses it too
    sizes.push_back(Value(d));
  }
  json::Object o = typed("reshape");
  o.push_back({"shape", Value(std::move(sizes))});
  if (batch == -1) o.push_back({"batch", Value("infer")});
  return o;
}

// Reshape: a flatten to [N, -1], a reshape that keeps the shape, the first
// step of a channel shuffle (view_step follows it), or the contract's reshape.
bool reshape_op(Walk& w, size_t i) {
  int32_t in = 0;
  if (!data_input(w, i, in)) return true;
  const Const* target = values_of(w, i, 1, "its target shape");
  if (!target) return true;
  const std::optional<Shape> s = known_shape(w, i, in, "the target is read against it");
  if (!s) return true;
  bool misfit = false;
  const std::optional<Shape> out = reshape_target(w, i, *s, target->ints, &misfit);
  if (misfit) {
    // The values do not fill the target: the contract's reshape fails there with ONNX Runtime's text.
    if (std::optional<json::Object> o = contract_reshape(w, i, *s, target->ints)) {
      w.add_layer(i, std::move(*o), {in});
      return true;
    }
    return w.stop(i, "its target " + shape_str(target->ints) + " does not fit the input " + shape_str(*s) +
                         ": ONNX Runtime fails here, and ConvScope's reshape covers only targets of rank 2 or the "
                         "network's rank with the batch kept or -1");
  }
  if (!out) return !w.stopped_at ? w.error.empty() : true;
  if (*out == *s) {
    w.alias(i, in, "keeps the shape " + shape_str(*s));
    return true;
  }
  if (s->size() >= 2 && out->size() == 2 && (*out)[0] == (*s)[0]) {
    w.add_layer(i, typed("flatten"), {in});
    return true;
  }
  if (const std::optional<int64_t> g = shuffle_groups(*s, *out)) {
    Val v;
    v.kind = Val::view;
    v.layer = in;
    v.v = ShuffleView{*g, false, *s, *out, i};
    w.values[w.node(i).outputs[0]] = std::move(v);
    return true;
  }
  if (std::optional<json::Object> o = contract_reshape(w, i, *s, target->ints)) {
    w.add_layer(i, std::move(*o), {in});
    return true;
  }
  return w.stop(i, "it reshapes " + shape_str(*s) + " to " + shape_str(*out) +
                       "; ConvScope models a flatten to [N, -1], reshapes to [N, F] or the network's rank with the "
                       "batch kept or inferred, and the Reshape-Transpose-Reshape of a channel shuffle");
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
  return w.stop(i, "it transposes axes (perm " + shape_str(perm) + "); the contract has no transpose layer (a "
                   "channel shuffle's Reshape-Transpose-Reshape is read as channel_shuffle)");
}

// Channels [begin, end) of `channels` as torch.chunk's piece: the fewest
// chunks whose piece `index` is exactly that range (what torch exports
// x.chunk(n, dim=1)[k] as: Slice from k * ceil(C / n) to (k + 1) * ceil(C / n)).
std::optional<std::pair<int64_t, int64_t>> chunk_of(int64_t channels, int64_t begin, int64_t end) {
  if (begin < 0 || begin >= end || end > channels) return std::nullopt;
  for (int64_t n = 1; n <= channels && n <= 4096; ++n) {
    const int64_t size = (channels + n - 1) / n;
    if (begin % size == 0 && std::min(begin + size, channels) == end) return std::make_pair(n, begin / size);
  }
  return std::nullopt;
}

std::string chunk_stop(int64_t channels, int64_t begin, int64_t end) {
  return "it takes channels [" + to_string(begin) + ", " + to_string(end) + ") of " + to_string(channels) +
         ", which is no piece of torch.chunk; ConvScope's channel_split takes one of n equal chunks (the last smaller)";
}

json::Object split_layer(int64_t chunks, int64_t index) {
  json::Object o = typed("channel_split");
  o.push_back({"chunks", Value(chunks)});
  o.push_back({"index", Value(index)});
  return o;
}

// The channel axis of a [N, C, ...] tensor as an ONNX axis (negative from the end).
bool is_channel_axis(int64_t axis, size_t rank) {
  return axis == 1 || axis + static_cast<int64_t>(rank) == 1;
}

// Split on the channel axis: one channel_split per output.
bool split_op(Walk& w, size_t i) {
  const Node& n = w.node(i);
  int32_t in = 0;
  if (!data_input(w, i, in)) return true;
  const std::optional<Shape> s = known_shape(w, i, in, "its parts are read against it");
  if (!s) return true;
  const int64_t axis = w.int_attr(i, "axis", 0);
  if (s->size() < 3 || !is_channel_axis(axis, s->size()))
    return w.stop(i, "it splits axis " + to_string(axis) + " of " + shape_str(*s) + "; ConvScope splits the channels (axis 1) only");
  const int64_t channels = (*s)[1];
  std::vector<int64_t> sizes;
  if (const Attribute* a = n.attribute("split")) {
    sizes = a->ints;
  } else if (n.inputs.size() >= 2 && !n.inputs[1].empty()) {
    const Const* c = values_of(w, i, 1, "its split sizes");
    if (!c) return true;
    sizes = c->ints;
  } else {  // equal parts (opset 18's num_outputs: ceil-sized, the last smaller)
    const int64_t parts = static_cast<int64_t>(n.outputs.size());
    const int64_t size = (channels + parts - 1) / parts;
    for (int64_t k = 0; k < parts; ++k) sizes.push_back(std::max<int64_t>(0, std::min(size, channels - k * size)));
  }
  if (sizes.size() != n.outputs.size())
    return w.fail(i, "split: " + to_string(sizes.size()) + " sizes for " + to_string(n.outputs.size()) + " outputs");
  std::vector<std::pair<int64_t, int64_t>> pieces;
  int64_t begin = 0;
  for (int64_t size : sizes) {
    const auto piece = chunk_of(channels, begin, begin + size);
    if (!piece) return w.stop(i, chunk_stop(channels, begin, begin + size));
    pieces.push_back(*piece);
    begin += size;
  }
  std::vector<Val> outs;
  for (const auto& piece : pieces) {
    w.add_layer(i, split_layer(piece.first, piece.second), {in});
    outs.push_back(w.values[n.outputs[0]]);
  }
  for (size_t k = 0; k < outs.size(); ++k)
    if (!n.outputs[k].empty()) w.values[n.outputs[k]] = outs[k];
  return true;
}

// Slice of the channel axis, step 1: torch's x.chunk(n, dim=1)[k].
bool slice_op(Walk& w, size_t i) {
  const Node& n = w.node(i);
  int32_t in = 0;
  if (!data_input(w, i, in)) return true;
  if (n.attribute("starts")) return w.stop(i, "it slices with opset 1's attributes; ConvScope reads Slice-10 and later");
  const Const* starts = values_of(w, i, 1, "its starts");
  if (!starts) return true;
  const Const* ends = values_of(w, i, 2, "its ends");
  if (!ends) return true;
  std::vector<int64_t> axes;
  if (n.inputs.size() >= 4 && !n.inputs[3].empty()) {
    const Const* a = values_of(w, i, 3, "its axes");
    if (!a) return true;
    axes = a->ints;
  } else {
    for (size_t k = 0; k < starts->ints.size(); ++k) axes.push_back(static_cast<int64_t>(k));
  }
  if (n.inputs.size() >= 5 && !n.inputs[4].empty()) {
    const Const* st = values_of(w, i, 4, "its steps");
    if (!st) return true;
    if (std::any_of(st->ints.begin(), st->ints.end(), [](int64_t x) { return x != 1; }))
      return w.stop(i, "it slices with steps " + shape_str(st->ints) + "; ConvScope's channel_split takes step 1");
  }
  const std::optional<Shape> s = known_shape(w, i, in, "its starts and ends are read against it");
  if (!s) return true;
  if (starts->ints.size() != 1 || ends->ints.size() != 1 || axes.size() != 1 || s->size() < 3 ||
      !is_channel_axis(axes[0], s->size()))
    return w.stop(i, "it slices axes " + shape_str(axes) + " of " + shape_str(*s) +
                         "; ConvScope models a slice of the channel axis (1) only");
  // ONNX clamps starts and ends to the axis (negative ones count from the end).
  const int64_t channels = (*s)[1];
  const auto clamp = [&](int64_t x) {
    if (x < 0) x += channels;
    return std::max<int64_t>(0, std::min(x, channels));
  };
  const int64_t begin = clamp(starts->ints[0]), end = clamp(ends->ints[0]);
  const auto piece = chunk_of(channels, begin, end);
  if (!piece) return w.stop(i, chunk_stop(channels, begin, end));
  w.add_layer(i, split_layer(piece->first, piece->second), {in});
  return true;
}

// Ops ConvScope knows it cannot model, with the reason.
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

bool view_step(Walk& w, size_t i) {
  const Node& n = w.node(i);
  const Val* v = nullptr;
  for (const std::string& in : n.inputs)
    if (w.value(in).kind == Val::view) v = &w.value(in);
  const ShuffleView view = v->v;
  const int32_t layer = v->layer;
  const std::string what = "it reads the " + std::string(view.transposed ? "transposed " : "") + "view " +
                           shape_str(view.shape) + " that node " + to_string(view.from) + " made of " +
                           shape_str(view.input) + "; ConvScope models such a view only inside a channel shuffle "
                           "(Reshape to [N, g, C/g, ...], Transpose perm [0, 2, 1, ...], Reshape back)";
  const bool first = !n.inputs.empty() && w.value(n.inputs[0]).kind == Val::view;
  if (first && n.op_type == "Transpose" && !view.transposed) {
    std::vector<int64_t> perm;
    if (!w.ints_attr(i, "perm", 0, 0, perm)) return false;
    std::vector<int64_t> swap{0, 2, 1};
    for (size_t k = 3; k < view.shape.size(); ++k) swap.push_back(static_cast<int64_t>(k));
    if (perm != swap) return w.stop(i, what);
    Val t = *v;
    t.v.transposed = true;
    std::swap(t.v.shape[1], t.v.shape[2]);
    w.values[n.outputs[0]] = std::move(t);
    return true;
  }
  if (first && n.op_type == "Reshape" && view.transposed) {
    const Const* target = values_of(w, i, 1, "its target shape");
    if (!target) return true;
    const std::optional<Shape> out = reshape_target(w, i, view.shape, target->ints);
    if (!out) return !w.stopped_at ? w.error.empty() : true;
    if (*out != view.input) return w.stop(i, what);
    json::Object o = typed("channel_shuffle");
    o.push_back({"groups", Value(view.groups)});
    w.add_layer(i, std::move(o), {layer});
    return true;
  }
  return w.stop(i, what);
}

Handler layout_handler(const std::string& op) {
  for (const Entry& e : kLayout)
    if (op == e.op) return e.handler;
  return nullptr;
}

}  // namespace convscope::import::onnx
