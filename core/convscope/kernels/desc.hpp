// What a kernel computes: the shapes and parameters of one f32 NHWC op, their
// validation (an error string, never an exception: the WASM build has none)
// and the output shape. Output sizes come from convscope/shape.hpp, the one
// place the window formulas live, so a kernel and the shape report agree.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace convscope::kernels {

// An NHWC tensor shape.
struct Shape4 {
  int n = 1, h = 1, w = 1, c = 1;
  size_t elements() const { return size_t(n) * size_t(h) * size_t(w) * size_t(c); }
  bool operator==(const Shape4& o) const { return n == o.n && h == o.h && w == o.w && c == o.c; }
};

// Largest input, output or weight tensor an op accepts, in floats (64 MiB).
// The WASM module's memory is capped at 512 MiB and a failed allocation
// aborts it, so oversized requests are refused up front with a message; an
// op holds at most about six such buffers (input, output, weights given,
// packed and staged), which stays under the cap.
constexpr int64_t max_tensor_floats = int64_t(1) << 24;
// Largest kernel size, stride, dilation or padding an op accepts. The
// kernels index with int and size_t (32-bit in WASM); with these and the
// tensor cap every index a validated op computes stays below 2^26.
constexpr int max_window_param = 1 << 16;

enum class ConvKind {
  conv,        // weights HWIO [kh, kw, C / groups, filters] (TensorFlow's layout)
  depthwise,   // weights [kh, kw, C, multiplier]; output channel c * multiplier + m
  transposed,  // weights [kh, kw, C / groups, filters]: HWIO of the op's own input,
               // so TF conv2d_transpose's [kh, kw, filters, C] must be transposed first
};

// Field names in error messages are the JS API's (createConvOp options), so
// a message points at what the caller wrote.
struct ConvDesc {
  ConvKind kind = ConvKind::conv;
  Shape4 input;                  // inputShape [N, H, W, C]
  int filters = 0;               // output channels; depthwise: 0 or C * multiplier
  int kernel_h = 1, kernel_w = 1;
  int stride_h = 1, stride_w = 1;
  int dilation_h = 1, dilation_w = 1;
  int pad_top = 0, pad_bottom = 0, pad_left = 0, pad_right = 0;
  int groups = 1;                // conv and transposed
  int depth_multiplier = 1;      // depthwise
  int output_pad_h = 0, output_pad_w = 0;  // transposed: extra cells at the end
  bool relu = false;             // fused after the bias
  // 3x3 stride-1 convs may run as Winograd F(2x2, 3x3) (simd.hpp); false
  // keeps the direct kernel (tests, benchmarks comparing the two).
  bool allow_winograd = true;
  // The most cores ConvOp::run may split the conv across (bands of rows,
  // row_bands.hpp): 0 one per core (threads.hpp), 1 runs it whole (tests
  // and benchmarks comparing the two).
  int threads = 0;
};

// "" when `d` can run, else one line naming the field and the values.
std::string validate(const ConvDesc& d);

// The following assume validate(d) == "".
int out_channels(const ConvDesc& d);
Shape4 output_shape(const ConvDesc& d);
size_t weights_len(const ConvDesc& d);
// Channels of one group on the input side (depthwise: 1).
int group_in_channels(const ConvDesc& d);
// Filters of one group (depthwise: the multiplier).
int group_out_channels(const ConvDesc& d);
int group_count(const ConvDesc& d);

enum class PoolKind { max, average };

struct PoolDesc {
  PoolKind kind = PoolKind::max;
  Shape4 input;
  int kernel_h = 1, kernel_w = 1;
  int stride_h = 1, stride_w = 1;
  int dilation_h = 1, dilation_w = 1;   // max pooling only (PyTorch MaxPool2d)
  int pad_top = 0, pad_bottom = 0, pad_left = 0, pad_right = 0;
  // PyTorch/ONNX ceil_mode: the extra window at the end, dropped when it would
  // start beyond input + left padding (the rule lives in shape::window_size).
  bool ceil_mode = false;
  // Average pooling: divide by the window clipped to the padded input (true,
  // PyTorch's default) or to the input alone (false, TensorFlow's SAME).
  bool count_include_pad = true;
};

std::string validate(const PoolDesc& d);
Shape4 output_shape(const PoolDesc& d);

}  // namespace convscope::kernels
