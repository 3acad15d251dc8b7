#include "convscope/shape.hpp"

#include <algorithm>
#include <cmath>

#include "convscope/checked.hpp"

namespace convscope::shape {

using std::to_string;

int64_t effective_kernel(int64_t kernel, int64_t dilation) {
  return checked::add(checked::mul(dilation, checked::sub(kernel, 1)), 1);
}

int64_t same_output(int64_t in, int64_t stride) { return checked::ceil_div(in, stride); }

static int64_t same_total(int64_t in, int64_t k_eff, int64_t stride) {
  const int64_t out = same_output(in, stride);
  return std::max<int64_t>(0, checked::sub(checked::add(checked::mul(out - 1, stride), k_eff), in));
}

Pads same_pads_upper(int64_t in, int64_t k_eff, int64_t stride) {
  const int64_t total = same_total(in, k_eff, stride);
  return {total / 2, total - total / 2};
}

Pads same_pads_lower(int64_t in, int64_t k_eff, int64_t stride) {
  const int64_t total = same_total(in, k_eff, stride);
  return {total - total / 2, total / 2};
}

Pads same_pads_pytorch(int64_t k_eff) {
  const int64_t total = k_eff - 1;
  return {total / 2, total - total / 2};
}

static WindowSize start(Rule rule, int64_t in, Pads pads) {
  WindowSize r;
  r.rule = rule;
  r.in = in;
  r.pads = pads;
  r.padded = checked::add(checked::add(in, pads.begin), pads.end);
  return r;
}

WindowSize window_size(const Window& w) {
  WindowSize r = start(Rule::window, w.in, w.pads);
  r.k_eff = w.k_eff;
  r.stride = w.stride;
  r.ceil_mode = w.ceil_mode;
  const int64_t span = checked::sub(r.padded, w.k_eff);
  const int64_t numerator = w.ceil_mode ? checked::add(span, w.stride - 1) : span;
  r.out = checked::add(checked::floor_div(numerator, w.stride), 1);
  r.out_truncated = checked::add(checked::trunc_div(numerator, w.stride), 1);
  if (w.ceil_mode && r.out > 0) {
    const int64_t last_start = checked::mul(r.out - 1, w.stride);
    if (last_start >= checked::add(w.in, w.pads.begin)) {
      r.last_window_dropped = true;
      r.out -= 1;
      r.out_truncated -= 1;
    }
  }
  if (!w.ceil_mode && span >= 0) r.leftover = span % w.stride;
  return r;
}

WindowSize tensorflow_window_size(const Window& w) {
  WindowSize r = start(Rule::tensorflow_window, w.in, w.pads);
  r.k_eff = w.k_eff;
  r.stride = w.stride;
  const int64_t span = checked::sub(r.padded, w.k_eff);
  r.out_truncated = checked::trunc_div(checked::add(span, w.stride), w.stride);
  r.out = checked::add(checked::floor_div(span, w.stride), 1);
  if (span >= 0) r.leftover = span % w.stride;
  return r;
}

WindowSize same_size(int64_t in, int64_t k_eff, int64_t stride, Pads pads) {
  WindowSize r = start(Rule::same, in, pads);
  r.k_eff = k_eff;
  r.stride = stride;
  r.out = r.out_truncated = same_output(in, stride);
  return r;
}

WindowSize transposed_size(const TransposedAxis& t) {
  WindowSize r = start(Rule::transposed, t.in, t.pads);
  r.k_eff = t.k_eff;
  r.stride = t.stride;
  r.output_padding = t.output_padding;
  const int64_t grown = checked::mul(checked::sub(t.in, 1), t.stride);
  r.out = r.out_truncated = checked::add(
      checked::sub(checked::sub(checked::add(grown, t.k_eff), t.pads.begin), t.pads.end),
      t.output_padding);
  return r;
}

WindowSize keras_transposed_size(int64_t in, int64_t k_eff, int64_t stride, bool same,
                                 const int64_t* output_padding) {
  WindowSize r = start(Rule::keras_transposed, in, {});
  r.k_eff = k_eff;
  r.stride = stride;
  r.same = same;
  r.has_output_padding = output_padding != nullptr;
  if (output_padding == nullptr) {
    r.out = same ? checked::mul(in, stride)
                 : checked::add(checked::mul(in, stride), std::max<int64_t>(k_eff - stride, 0));
  } else {
    r.output_padding = *output_padding;
    const int64_t pad = same ? k_eff / 2 : 0;
    r.out = checked::add(checked::sub(checked::add(checked::mul(in - 1, stride), k_eff), 2 * pad),
                         *output_padding);
  }
  r.out_truncated = r.out;
  return r;
}

int64_t onnx_transposed_same_total_pad(int64_t in, int64_t k_eff, int64_t stride,
                                       int64_t output_padding) {
  const int64_t full = checked::add(
      checked::add(checked::mul(stride, checked::sub(in, 1)), output_padding), k_eff);
  return checked::sub(full, checked::mul(in, stride));
}

OrtPoolAxis onnxruntime_pool_size(int64_t in, int64_t kernel, int64_t dilation, int64_t stride,
                                  OrtAutoPad mode, Pads pads, bool ceil_mode) {
  OrtPoolAxis r;
  r.pads = pads;
  if (mode == OrtAutoPad::valid) {
    r.pads = {0, 0};
  } else if (mode == OrtAutoPad::same_upper || mode == OrtAutoPad::same_lower) {
    const int64_t target = checked::trunc_div(checked::add(in, stride - 1), stride);
    const int64_t needed = checked::sub(checked::add(checked::mul(target - 1, stride), kernel), in);
    const int64_t head = mode == OrtAutoPad::same_upper ? checked::trunc_div(needed, 2)
                                                        : checked::trunc_div(checked::add(needed, 1), 2);
    r.pads = {head, checked::sub(needed, head)};
  }
  const int64_t numerator = checked::sub(
      checked::sub(checked::add(checked::add(in, r.pads.begin), r.pads.end), checked::mul(dilation, kernel - 1)), 1);
  if (!ceil_mode) {
    r.out = checked::add(checked::trunc_div(numerator, stride), 1);
    return r;
  }
  // In float, as ONNX Runtime computes it (exact below 2^24); beyond what an
  // int64 holds (no real size), the exact integer ceiling instead.
  const float quotient = std::ceil(static_cast<float>(numerator) / static_cast<float>(stride));
  const bool representable = quotient > -9.0e18f && quotient < 9.0e18f;
  r.out = checked::add(representable ? static_cast<int64_t>(quotient) : checked::ceil_div(numerator, stride), 1);
  if (checked::mul(r.out - 1, stride) >= checked::add(in, r.pads.begin)) r.out -= 1;
  return r;
}

int64_t onnxruntime_transposed_input(const WindowSize& t) {
  const int64_t span = checked::sub(checked::add(checked::add(t.out, t.pads.begin), t.pads.end), t.k_eff);
  return checked::add(checked::floor_div(span, t.stride), 1);
}

WindowSize zero_pad_size(int64_t in, Pads pads) {
  WindowSize r = start(Rule::zero_pad, in, pads);
  r.out = r.out_truncated = r.padded;
  return r;
}

WindowSize crop_size(int64_t in, Pads cropping) {
  WindowSize r = start(Rule::crop, in, cropping);
  r.out = r.out_truncated = checked::sub(checked::sub(in, cropping.begin), cropping.end);
  return r;
}

WindowSize upsample_size(int64_t in, int64_t scale) {
  WindowSize r = start(Rule::upsample, in, {});
  r.stride = scale;
  r.out = r.out_truncated = checked::mul(in, scale);
  return r;
}

std::optional<int64_t> closed_form_min_input(const WindowSize& p, int64_t need) {
  int64_t in = 0;
  switch (p.rule) {
    case Rule::window:
      if (p.ceil_mode) return std::nullopt;
      [[fallthrough]];
    case Rule::tensorflow_window:
      // floor((in + pads - k_eff) / s) + 1 >= need  <=>  in >= (need - 1) * s + k_eff - pads
      in = checked::sub(checked::add(checked::mul(need - 1, p.stride), p.k_eff),
                        checked::add(p.pads.begin, p.pads.end));
      break;
    case Rule::same:
      in = checked::add(checked::mul(need - 1, p.stride), 1);  // ceil(in / s) >= need
      break;
    case Rule::zero_pad:
      in = checked::sub(need, checked::add(p.pads.begin, p.pads.end));
      break;
    case Rule::crop:
      in = checked::add(need, checked::add(p.pads.begin, p.pads.end));
      break;
    case Rule::upsample:
      in = checked::ceil_div(need, p.stride);
      break;
    case Rule::transposed:
    case Rule::keras_transposed:
      return std::nullopt;
  }
  return std::max<int64_t>(in, 1);
}

// "4", "4 + 1 + 2": the padded input as a sum; zero pads are left out so the
// story's formula reads "4 - 5".
static std::string padded_terms(int64_t in, const Pads& p) {
  std::string s = to_string(in);
  if (p.begin != 0 || p.end != 0) s += " + " + to_string(p.begin) + " + " + to_string(p.end);
  return s;
}

static std::string pads_note(const Pads& p) {
  return " (padding " + to_string(p.begin) + " + " + to_string(p.end) + ")";
}

std::string formula_text(const WindowSize& w) {
  const std::string in = to_string(w.in), k = to_string(w.k_eff), s = to_string(w.stride);
  const std::string out = to_string(w.out);
  switch (w.rule) {
    case Rule::window: {
      std::string text = std::string(w.ceil_mode ? "ceil" : "floor") + "((" +
                         padded_terms(w.in, w.pads) + " - " + k + ") / " + s + ") + 1 = ";
      if (!w.last_window_dropped) return text + out;
      const int64_t before = w.out + 1;
      return text + to_string(before) + "; the last window would start at " +
             to_string((before - 1) * w.stride) + " >= " + in + " + " + to_string(w.pads.begin) +
             " (input + left padding), so it is dropped: " + out;
    }
    case Rule::tensorflow_window:
      return "(" + padded_terms(w.in, w.pads) + " - " + k + " + " + s + ") / " + s + " = " +
             to_string(w.out_truncated);
    case Rule::same:
      return "ceil(" + in + " / " + s + ") = " + out + pads_note(w.pads);
    case Rule::transposed:
      return "(" + in + " - 1) * " + s + " - " + to_string(w.pads.begin) + " - " +
             to_string(w.pads.end) + " + " + k + " + " + to_string(w.output_padding) + " = " + out;
    case Rule::keras_transposed:
      if (!w.has_output_padding) {
        if (w.same) return in + " * " + s + " = " + out;
        return in + " * " + s + " + max(" + k + " - " + s + ", 0) = " + out;
      }
      return "(" + in + " - 1) * " + s + " + " + k + " - 2 * " + to_string(w.same ? w.k_eff / 2 : 0) +
             " + " + to_string(w.output_padding) + " = " + out;
    case Rule::zero_pad:
      return in + " + " + to_string(w.pads.begin) + " + " + to_string(w.pads.end) + " = " + out;
    case Rule::crop:
      return in + " - " + to_string(w.pads.begin) + " - " + to_string(w.pads.end) + " = " + out;
    case Rule::upsample:
      return in + " * " + s + " = " + out;
  }
  return out;
}

}  // namespace convscope::shape
