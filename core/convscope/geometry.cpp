#include "convscope/geometry.hpp"

#include <algorithm>

#include "convscope/checked.hpp"
#include "convscope/conventions.hpp"

namespace convscope::geometry {

using json::Value;
using shape::Rule;

const char* rule_name(Rule rule) {
  switch (rule) {
    case Rule::window: return "window";
    case Rule::tensorflow_window: return "tensorflow_window";
    case Rule::same: return "same";
    case Rule::transposed: return "transposed";
    case Rule::keras_transposed: return "keras_transposed";
    case Rule::zero_pad: return "zero_pad";
    case Rule::crop: return "crop";
    case Rule::upsample: return "upsample";
  }
  return "window";
}

namespace {

// Forward windows (conv, depthwise, pooling) under every padding mode: the
// pads are already resolved in `w`; what is left is where the windows end.
void forward(const shape::WindowSize& w, Axis& a) {
  // TensorFlow's sizes are its truncating division (they differ from the
  // floor only where there is no output: (4 - 7 + 2) / 2 = 0, not -1).
  a.out = w.rule == Rule::tensorflow_window ? w.out_truncated : w.out;
  a.pad_begin = w.pads.begin;
  a.pad_end = w.pads.end;
  a.ceil_mode = w.ceil_mode;
  a.last_window_dropped = w.last_window_dropped;
  // End of the last window in padded coordinates (the input's first cell at pad_begin).
  const int64_t last = std::max<int64_t>(a.out, 1) - 1;
  const int64_t end = checked::add(checked::mul(last, w.stride), w.k_eff);
  a.overhang = std::max<int64_t>(0, checked::sub(end, w.padded));
  if (a.out >= 1) a.dropped = std::max<int64_t>(0, checked::sub(checked::sub(w.padded, w.pads.end), end));
}

void stretch(Axis& a) {
  const int64_t reach = a.k_eff - 1;
  a.stretched = Stretched{checked::add(checked::mul(a.in - 1, a.stride), 1),
                          checked::sub(reach, a.pad_begin),
                          checked::add(checked::sub(reach, a.pad_end), a.output_padding)};
}

// Keras gives only the output length (deconv_output_length); TensorFlow's
// conv2d_transpose then pads like the forward conv that maps the output back
// to the input: VALID none, SAME max(0, full - out) split with the odd cell
// at the end (tensorflow/core/framework/kernel_shape_util.cc). Output cells
// beyond the full scatter are output padding.
void keras_transposed(const shape::WindowSize& w, Axis& a) {
  const int64_t full = checked::add(checked::mul(a.in - 1, a.stride), a.k_eff);
  const int64_t total = w.same ? std::max<int64_t>(0, checked::sub(full, a.out)) : 0;
  a.pad_begin = total / 2;
  a.pad_end = total - total / 2;
  a.output_padding = checked::sub(a.out, checked::sub(full, total));
}

}  // namespace

Axis resolve_axis(const shape::WindowSize& w, int64_t kernel, int64_t dilation) {
  Axis a;
  a.rule = w.rule;
  a.in = w.in;
  a.out = w.out;
  switch (w.rule) {
    case Rule::window:
    case Rule::tensorflow_window:
    case Rule::same:
      a.kernel = kernel;
      a.dilation = dilation;
      a.k_eff = w.k_eff;
      a.stride = w.stride;
      forward(w, a);
      break;
    case Rule::transposed:
    case Rule::keras_transposed:
      a.kernel = kernel;
      a.dilation = dilation;
      a.k_eff = w.k_eff;
      a.stride = w.stride;
      if (w.rule == Rule::transposed) {
        // PyTorch / ONNX: the pads as resolved (ONNX SAME's may be negative per the spec).
        a.pad_begin = w.pads.begin;
        a.pad_end = w.pads.end;
        a.output_padding = w.output_padding;
      } else {
        keras_transposed(w, a);
      }
      stretch(a);
      break;
    case Rule::zero_pad:
      a.pad_begin = w.pads.begin;
      a.pad_end = w.pads.end;
      break;
    case Rule::crop:
      a.pad_begin = -w.pads.begin;
      a.pad_end = -w.pads.end;
      a.dropped = std::min(w.in, checked::add(w.pads.begin, w.pads.end));
      break;
    case Rule::upsample:
      a.scale = w.stride;  // upsample_size() keeps the factor as its stride
      break;
  }
  return a;
}

std::optional<Geometry> resolve(const Layer& layer, const LayerReport& report) {
  if (report.axes.empty()) return std::nullopt;
  if (report.failure == conventions::Failure::too_large) return std::nullopt;  // saturated numbers
  // The analysis is over; keep its overflow record as it was.
  const checked::OverflowState saved = checked::overflow_state;
  checked::clear_overflow();
  Geometry g;
  for (size_t i = 0; i < report.axes.size(); ++i) {
    const shape::WindowSize& w = report.axes[i];
    const int64_t kernel = i < layer.kernel.size() ? layer.kernel[i] : w.k_eff;
    const int64_t dilation = i < layer.dilation.size() ? layer.dilation[i] : 1;
    g.push_back(resolve_axis(w, kernel, dilation));
  }
  const bool overflowed = checked::overflowed();
  checked::overflow_state = saved;
  if (overflowed) return std::nullopt;
  return g;
}

json::Value to_json(const std::optional<Geometry>& geometry) {
  if (!geometry) return Value();
  // The members in the order they are written (a table keeps the module small).
  struct Number { const char* key; int64_t Axis::*member; };
  static const Number head[] = {{"in", &Axis::in},         {"out", &Axis::out},
                                {"kernel", &Axis::kernel}, {"k_eff", &Axis::k_eff},
                                {"stride", &Axis::stride}, {"dilation", &Axis::dilation},
                                {"pad_begin", &Axis::pad_begin}, {"pad_end", &Axis::pad_end}};
  static const Number tail[] = {{"overhang", &Axis::overhang}, {"dropped", &Axis::dropped},
                                {"output_padding", &Axis::output_padding}, {"scale", &Axis::scale}};
  json::Array axes;
  for (size_t i = 0; i < geometry->size(); ++i) {
    const Axis& a = (*geometry)[i];
    json::Object o;
    o.push_back({"axis", Value(conventions::spatial_axis_label(geometry->size(), i))});
    o.push_back({"rule", Value(rule_name(a.rule))});
    for (const Number& n : head) o.push_back({n.key, Value(a.*n.member)});
    o.push_back({"ceil_mode", Value(a.ceil_mode)});
    o.push_back({"last_window_dropped", Value(a.last_window_dropped)});
    for (const Number& n : tail) o.push_back({n.key, Value(a.*n.member)});
    Value stretched;
    if (a.stretched)
      stretched = Value(json::Object{{"in", Value(a.stretched->in)},
                                     {"pad_begin", Value(a.stretched->pad_begin)},
                                     {"pad_end", Value(a.stretched->pad_end)}});
    o.push_back({"stretched", std::move(stretched)});
    axes.push_back(Value(std::move(o)));
  }
  return Value(json::Object{{"axes", Value(std::move(axes))}});
}

}  // namespace convscope::geometry
