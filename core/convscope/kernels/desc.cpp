#include "convscope/kernels/desc.hpp"

#include <algorithm>

#include "convscope/checked.hpp"
#include "convscope/shape.hpp"

namespace convscope::kernels {

using std::to_string;

namespace {

std::string at_least(const char* field, int64_t min, int64_t got) {
  return std::string(field) + " must be >= " + to_string(min) + ", got " + to_string(got);
}

std::string at_most(const std::string& field, int got) {
  return field + " must be <= " + to_string(max_window_param) + " (the kernels' limit), got " + to_string(got);
}

// Checks a pair of [h, w] parameters against a minimum and the kernels' limit.
std::string check_pair(const char* name, int h, int w, int min) {
  if (h < min) return at_least((std::string(name) + "[0]").c_str(), min, h);
  if (w < min) return at_least((std::string(name) + "[1]").c_str(), min, w);
  if (h > max_window_param) return at_most(std::string(name) + "[0]", h);
  if (w > max_window_param) return at_most(std::string(name) + "[1]", w);
  return "";
}

std::string check_input(const Shape4& s) {
  const int dims[4] = {s.n, s.h, s.w, s.c};
  for (int i = 0; i < 4; ++i) {
    if (dims[i] < 1) return at_least(("inputShape[" + to_string(i) + "]").c_str(), 1, dims[i]);
  }
  return "";
}

std::string check_pads(int top, int bottom, int left, int right) {
  if (top < 0) return at_least("padding[0][0]", 0, top);
  if (bottom < 0) return at_least("padding[0][1]", 0, bottom);
  if (left < 0) return at_least("padding[1][0]", 0, left);
  if (right < 0) return at_least("padding[1][1]", 0, right);
  if (top > max_window_param) return at_most("padding[0][0]", top);
  if (bottom > max_window_param) return at_most("padding[0][1]", bottom);
  if (left > max_window_param) return at_most("padding[1][0]", left);
  if (right > max_window_param) return at_most("padding[1][1]", right);
  return "";
}

// A tensor of `floats` elements (computed with checked arithmetic) fits.
std::string check_size(const char* what, int64_t floats) {
  if (!checked::overflowed() && floats <= max_tensor_floats) return "";
  return std::string(what) + " would hold more than " + to_string(max_tensor_floats) +
         " floats, the kernels' limit";
}

int64_t product(int64_t a, int64_t b, int64_t c, int64_t d) {
  return checked::mul(checked::mul(a, b), checked::mul(c, d));
}

shape::WindowSize forward_axis(int64_t in, int k, int s, int d, int begin, int end, bool ceil_mode) {
  shape::Window w;
  w.in = in;
  w.k_eff = shape::effective_kernel(k, d);
  w.stride = s;
  w.pads = {begin, end};
  w.ceil_mode = ceil_mode;
  return shape::window_size(w);
}

shape::WindowSize conv_axis(const ConvDesc& d, bool height) {
  const int64_t in = height ? d.input.h : d.input.w;
  const int k = height ? d.kernel_h : d.kernel_w, s = height ? d.stride_h : d.stride_w;
  const int dil = height ? d.dilation_h : d.dilation_w;
  const int begin = height ? d.pad_top : d.pad_left, end = height ? d.pad_bottom : d.pad_right;
  if (d.kind != ConvKind::transposed) return forward_axis(in, k, s, dil, begin, end, false);
  shape::TransposedAxis t;
  t.in = in;
  t.k_eff = shape::effective_kernel(k, dil);
  t.stride = s;
  t.pads = {begin, end};
  t.output_padding = height ? d.output_pad_h : d.output_pad_w;
  return shape::transposed_size(t);
}

shape::WindowSize pool_axis(const PoolDesc& d, bool height) {
  return height ? forward_axis(d.input.h, d.kernel_h, d.stride_h, d.dilation_h, d.pad_top,
                               d.pad_bottom, d.ceil_mode)
                : forward_axis(d.input.w, d.kernel_w, d.stride_w, d.dilation_w, d.pad_left,
                               d.pad_right, d.ceil_mode);
}

// "output height is 0: floor((2 + 0 + 0 - 3) / 1) + 1 = 0"
std::string check_output(const shape::WindowSize& h, const shape::WindowSize& w) {
  if (h.out < 1) return "output height is " + to_string(h.out) + ": " + shape::formula_text(h);
  if (w.out < 1) return "output width is " + to_string(w.out) + ": " + shape::formula_text(w);
  return "";
}

std::string validate_conv(const ConvDesc& d) {
  if (std::string e = check_input(d.input); !e.empty()) return e;
  if (std::string e = check_pair("kernel", d.kernel_h, d.kernel_w, 1); !e.empty()) return e;
  if (std::string e = check_pair("stride", d.stride_h, d.stride_w, 1); !e.empty()) return e;
  if (std::string e = check_pair("dilation", d.dilation_h, d.dilation_w, 1); !e.empty()) return e;
  if (std::string e = check_pads(d.pad_top, d.pad_bottom, d.pad_left, d.pad_right); !e.empty()) return e;
  if (d.kind == ConvKind::depthwise) {
    if (d.depth_multiplier < 1) return at_least("depthMultiplier", 1, d.depth_multiplier);
    const int64_t channels = int64_t(d.input.c) * d.depth_multiplier;
    if (d.filters != 0 && d.filters != channels) {
      return "filters must be C * depthMultiplier = " + to_string(d.input.c) + " * " +
             to_string(d.depth_multiplier) + " = " + to_string(channels) + " for a depthwise conv, got " +
             to_string(d.filters);
    }
    if (channels > max_tensor_floats) return check_size("the output", channels);
  } else {
    if (d.filters < 1) return at_least("filters", 1, d.filters);
    if (d.groups < 1) return at_least("groups", 1, d.groups);
    if (d.input.c % d.groups != 0 || d.filters % d.groups != 0) {
      return "groups (" + to_string(d.groups) + ") must divide both the input channels (" +
             to_string(d.input.c) + ") and filters (" + to_string(d.filters) + ")";
    }
  }
  if (d.kind == ConvKind::transposed) {
    // PyTorch's rule (ConvTranspose): output padding below stride or dilation,
    // else the extra cells would be ones no input reaches.
    if (d.output_pad_h < 0 || d.output_pad_w < 0) return "outputPadding must be >= 0";
    if (d.output_pad_h >= std::max(d.stride_h, d.dilation_h) ||
        d.output_pad_w >= std::max(d.stride_w, d.dilation_w)) {
      return "outputPadding must be smaller than stride or dilation, got [" + to_string(d.output_pad_h) +
             ", " + to_string(d.output_pad_w) + "]";
    }
  }
  return "";
}

}  // namespace

std::string validate(const ConvDesc& d) {
  checked::clear_overflow();
  if (std::string e = validate_conv(d); !e.empty()) return e;
  const shape::WindowSize h = conv_axis(d, true), w = conv_axis(d, false);
  if (std::string e = check_output(h, w); !e.empty()) return e;
  const int64_t out_c = d.kind == ConvKind::depthwise ? int64_t(d.input.c) * d.depth_multiplier : d.filters;
  const int64_t in_c = d.kind == ConvKind::depthwise ? 1 : d.input.c / d.groups;
  if (std::string e = check_size("the input", product(d.input.n, d.input.h, d.input.w, d.input.c)); !e.empty()) return e;
  if (std::string e = check_size("the output", product(d.input.n, h.out, w.out, out_c)); !e.empty()) return e;
  return check_size("the weights", product(d.kernel_h, d.kernel_w, in_c, out_c));
}

int out_channels(const ConvDesc& d) {
  return d.kind == ConvKind::depthwise ? d.input.c * d.depth_multiplier : d.filters;
}

int group_count(const ConvDesc& d) { return d.kind == ConvKind::depthwise ? d.input.c : d.groups; }
int group_in_channels(const ConvDesc& d) { return d.input.c / group_count(d); }
int group_out_channels(const ConvDesc& d) { return out_channels(d) / group_count(d); }

Shape4 output_shape(const ConvDesc& d) {
  return {d.input.n, int(conv_axis(d, true).out), int(conv_axis(d, false).out), out_channels(d)};
}

size_t weights_len(const ConvDesc& d) {
  return size_t(d.kernel_h) * size_t(d.kernel_w) * size_t(group_in_channels(d)) * size_t(out_channels(d));
}

std::string validate(const PoolDesc& d) {
  checked::clear_overflow();
  if (std::string e = check_input(d.input); !e.empty()) return e;
  if (std::string e = check_pair("kernel", d.kernel_h, d.kernel_w, 1); !e.empty()) return e;
  if (std::string e = check_pair("stride", d.stride_h, d.stride_w, 1); !e.empty()) return e;
  if (std::string e = check_pair("dilation", d.dilation_h, d.dilation_w, 1); !e.empty()) return e;
  if (std::string e = check_pads(d.pad_top, d.pad_bottom, d.pad_left, d.pad_right); !e.empty()) return e;
  if (d.kind == PoolKind::average && (d.dilation_h != 1 || d.dilation_w != 1)) {
    return "dilation must be [1, 1] for average pooling (PyTorch's AvgPool2d has none)";
  }
  const shape::WindowSize h = pool_axis(d, true), w = pool_axis(d, false);
  if (std::string e = check_output(h, w); !e.empty()) return e;
  if (std::string e = check_size("the input", product(d.input.n, d.input.h, d.input.w, d.input.c)); !e.empty()) return e;
  return check_size("the output", product(d.input.n, h.out, w.out, d.input.c));
}

Shape4 output_shape(const PoolDesc& d) {
  return {d.input.n, int(pool_axis(d, true).out), int(pool_axis(d, false).out), d.input.c};
}

}  // namespace convscope::kernels
