#include "convscope/merge_rules.hpp"

#include <algorithm>

#include "convscope/checked.hpp"
#include "convscope/conventions.hpp"
#include "convscope/layer_types.hpp"
#include "convscope/receptive_field.hpp"

namespace convscope {

using conventions::Failure;
using conventions::Vars;
using std::to_string;

namespace {

// The framework's name for axis d of a full shape: N, C or a spatial label.
std::string axis_label(Framework fw, size_t rank, size_t d) {
  if (d == 0) return "N";
  if (rank < 3) return "axis " + to_string(d);
  if (d == conventions::channel_axis(fw, rank)) return "C";
  const size_t first_spatial = conventions::spatial_axis(fw, 0);
  return conventions::spatial_axis_label(rank - 2, d - first_spatial);
}

std::string shape_text(const Shape& s) { return "[" + conventions::joined(s, ", ") + "]"; }

std::string input_name(const Network& net, const LayerReport& r, size_t k) { return input_label(net, r.inputs[k]); }

void fail(const Network& net, LayerReport& r, Failure f, std::string message, const Vars& vars) {
  r.status = Status::error;
  r.failure = f;
  r.message = std::move(message);
  r.framework_errors = conventions::error_texts(net.framework, f, vars);
  r.output.reset();
}

std::string keras_shape_list(const LayerReport& r) {
  std::string s = "[";
  for (size_t k = 0; k < r.arriving.size(); ++k) s += (k ? ", " : "") + conventions::keras_shape(*r.arriving[k]);
  return s + "]";
}

// ---- concat ---------------------------------------------------------------------

// ONNX with dynamic input sizes: ONNX shape inference knows every rank while
// the model loads but not the spatial sizes, so a later input of another
// rank is refused at load before ONNX Runtime's kernel could meet the size
// mismatch of input k on spatial axis d: that text replaces the kernel's.
void dynamic_rank_text(const Network& net, LayerReport& r, size_t k, size_t d) {
  const size_t rank = r.arriving[0]->size();
  if (net.framework != Framework::onnx || d == 0 || d == conventions::channel_axis(net.framework, rank)) return;
  for (size_t k2 = k + 1; k2 < r.arriving.size(); ++k2) {
    if (r.arriving[k2]->size() == rank) continue;
    const auto rank_texts = conventions::error_texts(
        net.framework, Failure::concat_rank,
        {{"ref_rank", to_string(rank)}, {"other_rank", to_string(r.arriving[k2]->size())},
         {"keras_shapes", keras_shape_list(r)}, {"name", net.layers[r.index].name}, {"tensor", to_string(k2)}});
    for (auto& t : r.framework_errors)
      if (t.source.find("running") != std::string::npos && !rank_texts.empty())
        t = {"ONNX Runtime (loading a model with dynamic input shapes: the ranks are known, input " + to_string(k2) +
                 "'s differs)",
             rank_texts[0].text};
    return;
  }
}

void concat_rule(const MergeInput& in, LayerReport& r) {
  const Network& net = in.net;
  const Layer& l = net.layers[in.index];
  const Shape& ref = *r.arriving[0];
  const size_t rank = ref.size();
  // The order of the checks is PyTorch's (TensorShape.cpp cat: the axis is
  // wrapped with the first tensor's rank, then each tensor in turn has its
  // rank and then its sizes checked) and ONNX's (Concat's shape inference:
  // the axis against input 0's rank, then per input the rank, then the
  // sizes), so a wrong axis is named before a wrong rank, and a tensor's
  // size mismatch before a later tensor's rank.
  const int64_t written = l.axis.value_or(net.framework == Framework::tensorflow ? -1 : 1);
  const int64_t r64 = static_cast<int64_t>(rank);
  if (written < -r64 || written >= r64)
    return fail(net, r, Failure::concat_axis,
                "axis " + to_string(written) + " is outside the inputs' " + to_string(rank) + " axes (" +
                    conventions::layout_string(net.framework, rank) + ")",
                {{"rank", to_string(r64)}, {"rank_max", to_string(r64 - 1)}, {"axis", to_string(written)},
                 {"name", l.name}});
  const size_t axis = static_cast<size_t>(written < 0 ? written + r64 : written);
  const std::string along = axis_label(net.framework, rank, axis);
  Shape out = ref;
  checked::clear_overflow();
  // PyTorch and ONNX Runtime compare every tensor with the first, axis by
  // axis in order, and report the first difference.
  for (size_t k = 1; k < r.arriving.size(); ++k) {
    const Shape& other = *r.arriving[k];
    if (other.size() != rank)
      return fail(net, r, Failure::concat_rank,
                  "the inputs have different ranks: " + input_name(net, r, 0) + " is " + shape_text(ref) + " (" +
                      to_string(rank) + "-D), " + input_name(net, r, k) + " is " + shape_text(other) + " (" +
                      to_string(other.size()) + "-D)",
                  {{"ref_rank", to_string(rank)}, {"other_rank", to_string(other.size())},
                   {"keras_shapes", keras_shape_list(r)}, {"name", l.name}, {"tensor", to_string(k)}});
    for (size_t d = 0; d < rank; ++d) {
      if (d == axis || other[d] == ref[d]) continue;
      const std::string label = axis_label(net.framework, rank, d);
      Vars v = {{"dim", to_string(axis)},
                {"ref_size", to_string(ref[d])},
                {"other_size", to_string(other[d])},
                {"tensor", to_string(k)},
                {"axis_index", to_string(d)},
                {"name", l.name},
                {"keras_shapes", keras_shape_list(r)},
                {"tf_shape0", conventions::tf_shape(ref, false)},
                {"tf_shape_other", conventions::tf_shape(other, false)},
                {"count", to_string(r.arriving.size())}};
      fail(net, r, Failure::concat_mismatch,
           label + " differs: " + input_name(net, r, k) + " arrives with " + to_string(other[d]) + ", " +
               input_name(net, r, 0) + " with " + to_string(ref[d]) + " (" + shape_text(other) + " vs " +
               shape_text(ref) + "); concatenating along " + along + " needs every other axis to agree",
           v);
      dynamic_rank_text(net, r, k, d);
      return;
    }
    out[axis] = checked::add(out[axis], other[axis]);
  }
  r.output = out;
}

// ---- element-wise -------------------------------------------------------------

const char* tf_op(LayerType t) {
  switch (t) {
    case LayerType::add: return "AddV2";
    case LayerType::subtract: return "Sub";
    case LayerType::multiply: return "Mul";
    case LayerType::maximum: return "Maximum";
    case LayerType::minimum: return "Minimum";
    default: return "AddV2";  // average: Keras adds, then divides
  }
}

// `s` with 1s inserted after the batch axis up to `rank` (Keras' expand_dims(x, axis=1)).
Shape after_batch(const Shape& s, size_t rank) {
  Shape out = s;
  if (out.size() < rank) out.insert(out.begin() + 1, rank - out.size(), 1);
  return out;
}

void elementwise_rule(const MergeInput& in, LayerReport& r) {
  const Network& net = in.net;
  const Layer& l = net.layers[in.index];
  Shape acc = *r.arriving[0];
  // Every framework folds from the left: ((a + b) + c), each step numpy
  // broadcasting; the texts name the running result as the first operand.
  for (size_t k = 1; k < r.arriving.size(); ++k) {
    const Shape& other = *r.arriving[k];
    // Keras merge layers expand a lower-rank input at axis 1 until the ranks
    // agree (tf.keras layers/merge.py, Keras 3 base_merge.py call()): the
    // batch meets the batch, so a (N, C) gate multiplies a (N, H, W, C) map.
    const bool keras_ranks = net.framework == Framework::tensorflow && acc.size() != other.size() &&
                             !acc.empty() && !other.empty();
    const Broadcast b = keras_ranks ? broadcast(after_batch(acc, other.size()), after_batch(other, acc.size()))
                                    : broadcast(acc, other);
    if (b.shape) {
      acc = *b.shape;
      continue;
    }
    const size_t rank = std::max(acc.size(), other.size());
    const std::string label = axis_label(net.framework, rank, b.bad_dim);
    // Keras puts the longer shape first.
    const bool swap = acc.size() < other.size();
    // ONNX Runtime's Broadcaster: the first axis from the end where a size
    // exceeds 1 goes through BroadcastIterator::Init, later ones through Append.
    bool first_set_up = true;
    for (size_t d = b.bad_dim + 1; d < rank; ++d) {
      const size_t from_end = rank - 1 - d;
      const int64_t sa = from_end < acc.size() ? acc[acc.size() - 1 - from_end] : 1;
      const int64_t sb = from_end < other.size() ? other[other.size() - 1 - from_end] : 1;
      if (sa > 1 || sb > 1) first_set_up = false;
    }
    // ONNX's Add takes two inputs: an add of more is the variadic Sum.
    const std::string onnx_op = l.type == LayerType::add && r.arriving.size() > 2 ? "Sum" : type_info(l.type).onnx;
    Vars v = {{"size_a", to_string(b.size_a)},
              {"size_b", to_string(b.size_b)},
              {"smaller", to_string(std::min(b.size_a, b.size_b))},
              {"larger", to_string(std::max(b.size_a, b.size_b))},
              {"dim", to_string(b.bad_dim)},
              {"name", l.name},
              {"keras_a", conventions::python_tuple(swap ? other : acc, 1)},
              {"keras_b", conventions::python_tuple(swap ? acc : other, 1)},
              {"tf_a", conventions::tf_shape(acc, false)},
              {"tf_b", conventions::tf_shape(other, false)},
              {"tf_op", tf_op(l.type)},
              {"onnx_op", onnx_op},
              {"ort_where", first_set_up ? "563 void onnxruntime::BroadcastIterator::Init"
                                         : "583 void onnxruntime::BroadcastIterator::Append"}};
    const std::string left = k == 1 ? input_name(net, r, 0)
                                    : std::string(l.type == LayerType::add || l.type == LayerType::average
                                                      ? "the sum of the inputs before it"
                                                      : "the result of the inputs before it");
    return fail(net, r, Failure::broadcast_mismatch,
                label + " differs: " + left + " has " + to_string(b.size_a) + ", " + input_name(net, r, k) +
                    " has " + to_string(b.size_b) + " (" + shape_text(acc) + " vs " + shape_text(other) +
                    "); element-wise inputs must agree on every axis, or be 1 there to broadcast",
                v);
  }
  r.output = acc;
}

// ---- crop_to / pad_to / resize_to -----------------------------------------------

void match_rule(const MergeInput& in, LayerReport& r) {
  const Network& net = in.net;
  const Layer& l = net.layers[in.index];
  const size_t sr = net.spatial_rank();
  const Shape& tensor = *r.arriving[0];
  const Shape& reference = *r.arriving[1];
  if (tensor.size() != sr + 2 || reference.size() != sr + 2)
    return fail(net, r, Failure::match_rank,
                std::string(to_string(l.type)) + " needs two " + to_string(sr + 2) + "-D inputs (" +
                    conventions::layout_string(net.framework, sr + 2) + ") but receives " + shape_text(tensor) +
                    " and " + shape_text(reference),
                {});
  Shape out = tensor;
  r.axes.resize(l.type == LayerType::resize_to ? 0 : sr);
  for (size_t a = 0; a < sr; ++a) {
    const size_t ax = conventions::spatial_axis(net.framework, a);
    const int64_t from = tensor[ax], to = reference[ax];
    out[ax] = to;
    if (l.type == LayerType::resize_to) continue;
    const int64_t diff = to - from;
    if (l.type == LayerType::crop_to && diff > 0) {
      r.axes.clear();  // no formula: nothing was computed
      return fail(net, r, Failure::match_too_small,
                  conventions::spatial_axis_label(sr, a) + ": cannot crop " + to_string(from) + " to " +
                      to_string(to) + " (" + input_name(net, r, 1) + " is larger than " + input_name(net, r, 0) +
                      "); torchvision's center_crop would pad instead, and slicing would silently give " +
                      to_string(from),
                  {});
    }
    // pad_to: F.pad(x, [diff // 2, diff - diff // 2]); Python floors, so a
    // negative odd difference crops its extra cell at the beginning.
    // crop_to (the contract; the original U-Net's crops): (in - ref) // 2 at
    // the beginning, the rest at the end.
    if (l.type == LayerType::crop_to) {
      const int64_t begin = (from - to) / 2;
      r.axes[a] = shape::crop_size(from, {begin, from - to - begin});
      continue;
    }
    const int64_t half = checked::floor_div(diff, 2);
    r.axes[a] = diff >= 0 ? shape::zero_pad_size(from, {half, diff - half})
                          : shape::crop_size(from, {-half, -(diff - half)});
  }
  if (l.type == LayerType::resize_to)
    r.formula_other = "resized to " + input_name(net, r, 1) + "'s size " +
                      conventions::joined(std::vector<int64_t>(out.begin() + static_cast<std::ptrdiff_t>(conventions::spatial_axis(net.framework, 0)),
                                                               out.begin() + static_cast<std::ptrdiff_t>(conventions::spatial_axis(net.framework, 0) + sr)),
                                          "x");
  r.output = out;
}

// The largest receptive field over the inputs; a warning when the paths'
// windows are not centred alike (the merge then mixes shifted windows).
void merge_receptive_field(const MergeInput& in, LayerReport& r) {
  const size_t sr = in.net.spatial_rank();
  const ReceptiveField* best = nullptr;
  bool all_known = true;
  for (const auto* rf : in.receptive_fields) {
    if (!*rf) {
      all_known = false;
      continue;
    }
    if (!best || (*rf)->size[0] > best->size[0]) best = &**rf;
  }
  const Layer& l = in.net.layers[in.index];
  if (type_info(l.type).rule == RuleKind::match) {
    // The tensor's field, shifted by the crop or pad (none through a resize).
    r.receptive_field = receptive_field_after(l, *in.receptive_fields[0], r, sr);
    return;
  }
  if (!best || !all_known || r.output->size() != sr + 2) return;
  r.receptive_field = *best;
  if (is_merge(in.net.layers[in.index].type)) {
    for (const auto* rf : in.receptive_fields)
      for (size_t a = 0; a < sr; ++a)
        if ((*rf)->start_x2[a] != best->start_x2[a] || (*rf)->jump[a] != best->jump[a]) {
          auto half = [](int64_t x2) { return x2 % 2 == 0 ? to_string(x2 / 2) : to_string(x2 / 2) + ".5"; };
          r.warnings.push_back(conventions::spatial_axis_label(sr, a) +
                               ": the inputs' windows are not aligned (first output centred at input pixel " +
                               half(best->start_x2[a]) + " on one path and " + half((*rf)->start_x2[a]) +
                               " on another, steps " + to_string(best->jump[a]) + " and " +
                               to_string((*rf)->jump[a]) + "): the merge mixes shifted positions");
          return;
        }
  }
}

}  // namespace

Broadcast broadcast(const Shape& a, const Shape& b) {
  const size_t rank = std::max(a.size(), b.size());
  Shape out(rank, 1);
  for (size_t i = rank; i-- > 0;) {
    const size_t offset = rank - 1 - i;
    const int64_t sa = offset < a.size() ? a[a.size() - 1 - offset] : 1;
    const int64_t sb = offset < b.size() ? b[b.size() - 1 - offset] : 1;
    if (sa != sb && sa != 1 && sb != 1) return {std::nullopt, i, sa, sb};
    out[i] = sa == 1 ? sb : sa;
  }
  return {out, 0, 0, 0};
}

void apply_merge(const MergeInput& in, LayerReport& r) {
  const Layer& l = in.net.layers[in.index];
  r.index = in.index;
  r.name = l.name;
  r.type = l.type;
  r.input = r.arriving[0];
  r.status = Status::ok;
  switch (type_info(l.type).rule) {
    case RuleKind::concat: concat_rule(in, r); break;
    case RuleKind::match: match_rule(in, r); break;
    default: elementwise_rule(in, r); break;
  }
  if (r.status == Status::error) return;
  if (checked::overflowed()) {
    checked::clear_overflow();
    r.status = Status::error;
    r.failure = Failure::too_large;
    r.message = "the merged size overflows 64-bit integers";
    r.output.reset();
    return;
  }
  r.params = 0;
  r.macs = 0;
  merge_receptive_field(in, r);
  if (!r.warnings.empty()) r.status = Status::warning;
}

}  // namespace convscope
