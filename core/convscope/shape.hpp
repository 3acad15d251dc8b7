// Output size of one op along one spatial axis. This file and shape.cpp are
// the ONLY place an output-size formula lives; everything else calls these.
//
// One forward rule serves every convolution and pooling of every framework
// (as ONNX's convPoolShapeInference does), parameterised by what differs:
// how padding is resolved, floor vs ceil mode, and how the framework's C++
// divides a negative numerator.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace convscope::shape {

// dilation * (kernel - 1) + 1: the span a dilated kernel covers.
int64_t effective_kernel(int64_t kernel, int64_t dilation);

struct Pads {
  int64_t begin = 0;
  int64_t end = 0;
  bool operator==(const Pads& o) const { return begin == o.begin && end == o.end; }
};

// TensorFlow SAME and ONNX SAME_UPPER (identical): output ceil(in / stride),
// total padding max(0, (out - 1) * stride + k_eff - in), the odd extra cell
// at the END. tensorflow/core/framework/kernel_shape_util.cc; onnx defs.cc.
Pads same_pads_upper(int64_t in, int64_t k_eff, int64_t stride);
// ONNX SAME_LOWER: the same total, the odd extra cell at the BEGINNING.
Pads same_pads_lower(int64_t in, int64_t k_eff, int64_t stride);
// PyTorch padding='same' (stride 1 only): total dilation*(k-1) = k_eff - 1,
// left total/2, the rest on the right (torch/nn/modules/conv.py).
Pads same_pads_pytorch(int64_t k_eff);

// How a framework's shape code divides (matters only for negative numerators).
enum class Division {
  floor,     // PyTorch div_rtn, Keras 3 (Python //), the ONNX spec
  truncate,  // TensorFlow and ONNX Runtime C++ integer division
};

struct Window {
  int64_t in = 0;
  int64_t k_eff = 0;
  int64_t stride = 1;
  Pads pads;
  bool ceil_mode = false;  // PyTorch / ONNX pooling
};

// Which formula produced a size: formula_text() spells each one out.
enum class Rule {
  window,             // floor/ceil forward rule (PyTorch, ONNX, Keras 3)
  tensorflow_window,  // TF VALID/EXPLICIT, truncating
  same,               // ceil(in / stride) with the resolved padding
  transposed,         // PyTorch / ONNX ConvTranspose
  keras_transposed,   // Keras Conv*Transpose
  zero_pad,           // in + begin + end
  crop,               // in - begin - end
  upsample,           // in * scale
};

// The numbers of one axis' computation. Kept as numbers (not text) so the
// analysis stays cheap; formula_text() renders them when a report is written.
struct WindowSize {
  Rule rule = Rule::window;
  int64_t in = 0, k_eff = 0, stride = 1, output_padding = 0;
  Pads pads;
  bool ceil_mode = false;
  bool same = false;                 // keras_transposed: padding='same'
  bool has_output_padding = false;   // keras_transposed: output_padding given
  int64_t out = 0;        // floor (or ceil-mode) rule; <= 0 means no output
  int64_t out_truncated = 0;  // the same expression with truncating division
  int64_t padded = 0;     // in + begin + end
  bool last_window_dropped = false;  // the ceil-mode rule removed one window
  // Cells at the end of the padded input that no window reaches (floor mode,
  // valid outputs): (padded - k_eff) mod stride. TensorFlow and PyTorch drop
  // them silently.
  int64_t leftover = 0;
};

// e.g. "floor((4 - 5) / 1) + 1 = 0", "ceil(5 / 2) = 3 (padding 0 + 1)".
std::string formula_text(const WindowSize& w);

// Same-padded forward op: output ceil(in / stride) with the given padding.
WindowSize same_size(int64_t in, int64_t k_eff, int64_t stride, Pads pads);
// zero_pad, crop, upsample along one axis.
WindowSize zero_pad_size(int64_t in, Pads pads);
WindowSize crop_size(int64_t in, Pads cropping);
WindowSize upsample_size(int64_t in, int64_t scale);

// floor((in + begin + end - k_eff [+ stride - 1 if ceil]) / stride) + 1, then
// with ceil_mode the last window must start inside the input or the left
// padding: if (out - 1) * stride >= in + begin, out -= 1
// (PyTorch aten/src/ATen/native/Pool.h pooling_output_shape; onnx PR 5741).
WindowSize window_size(const Window& w);

// TensorFlow's own spelling of the same rule (kernel_shape_util.cc):
// VALID/EXPLICIT (in + begin + end - k_eff + stride) / stride, truncating.
// Identical to window_size() whenever the numerator >= -stride.
WindowSize tensorflow_window_size(const Window& w);

// ceil(in / stride): the output of TF SAME, ONNX SAME_* (forward ops).
int64_t same_output(int64_t in, int64_t stride);

struct TransposedAxis {
  int64_t in = 0;
  int64_t k_eff = 0;
  int64_t stride = 1;
  Pads pads;
  int64_t output_padding = 0;
};

// PyTorch / ONNX ConvTranspose:
// (in - 1) * stride - begin - end + k_eff + output_padding.
// (PyTorch writes it as ... + dilation * (k - 1) + output_padding + 1.)
WindowSize transposed_size(const TransposedAxis& t);

// Keras Conv*Transpose output length (keras/src/utils/conv_utils.py
// deconv_output_length): without output_padding, valid: in * stride +
// max(k_eff - stride, 0), same: in * stride; with it, (in - 1) * stride +
// k_eff - 2 * pad + output_padding where pad = k_eff / 2 for same, else 0.
WindowSize keras_transposed_size(int64_t in, int64_t k_eff, int64_t stride, bool same,
                                 const int64_t* output_padding);

// ONNX ConvTranspose with auto_pad SAME_*: output in * stride, total padding
// stride * (in - 1) + output_padding + k_eff - in * stride (may be negative
// per the spec; ONNX Runtime clamps it at 0).
int64_t onnx_transposed_same_total_pad(int64_t in, int64_t k_eff, int64_t stride,
                                       int64_t output_padding);

// ---- ONNX Runtime's own arithmetic (where it departs from the ONNX spec) ----
// The analysis follows the spec (window_size, same_size, transposed_size) and
// uses these only to say what ONNX Runtime does instead.

enum class OrtAutoPad { notset, valid, same_upper, same_lower };

struct OrtPoolAxis {
  Pads pads;         // as ONNX Runtime resolves them; may be negative for SAME
  int64_t out = 0;   // may be 0 (accepted) or negative (refused)
};

// ONNX Runtime's pooling size along one axis
// (onnxruntime/core/providers/cpu/nn/pool_attributes.h,
// PoolAttributes::ComputeSizePadDilations and ComputeOutputSize):
//   SAME_*: target (in + s - 1) / s, pad_needed = (target - 1) * s + kernel - in
//     from the UNDILATED kernel and not clamped at 0; SAME_UPPER head
//     pad_needed / 2, SAME_LOWER head (pad_needed + 1) / 2, both truncating;
//   numerator = in + head + tail - dilation * (kernel - 1) - 1;
//   floor mode: numerator / s + 1 with C++ truncation toward zero;
//   ceil mode: ceil((float)numerator / s) + 1 (float, as ONNX Runtime
//     computes it), then one less when the last window would start at or
//     beyond in + head (onnx PR 5741).
OrtPoolAxis onnxruntime_pool_size(int64_t in, int64_t kernel, int64_t dilation, int64_t stride,
                                  OrtAutoPad mode, Pads pads, bool ceil_mode);

// ONNX Runtime's check that a ConvTranspose output maps back to its input
// (onnxruntime/core/providers/cpu/nn/conv_transpose_attributes.h, checked per
// axis before the output size itself): the input a forward convolution of the
// output gives, floor((out + begin + end - k_eff) / stride) + 1, with ONNX
// Runtime's pads (SAME's clamped at 0). Equal to `in` exactly when
// output_padding < stride.
int64_t onnxruntime_transposed_input(const WindowSize& transposed);

// The smallest input whose output along this axis is >= need, under the same
// rule and parameters as `probe` (the padding of SAME modes depends on the
// input, their output does not). nullopt where the rule has no closed form
// here (ceil mode, transposed): the caller searches instead, since every
// rule is non-decreasing in the input.
std::optional<int64_t> closed_form_min_input(const WindowSize& probe, int64_t need);

}  // namespace convscope::shape
