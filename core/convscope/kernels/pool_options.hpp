// createPoolOp's options as JSON text -> PoolOpDesc: pooling, global pooling
// and nearest upsampling on one f32 NHWC tensor. As in conv_options.hpp,
// every check of what the caller wrote happens here, with messages naming
// the option as the caller spelled it.
#pragma once

#include <string>

#include "convscope/kernels/desc.hpp"

namespace convscope::kernels {

enum class PoolOpKind { max_pool, avg_pool, global_max_pool, global_avg_pool, upsample_nearest };

struct PoolOpDesc {
  PoolOpKind kind = PoolOpKind::max_pool;
  // max_pool / avg_pool: the whole window description; the other kinds use
  // only its input shape.
  PoolDesc window;
  int out_h = 0, out_w = 0;  // upsample_nearest: outputSize
};

// "" when `d` can run, else one line naming the option (sizes capped at
// max_tensor_floats like the conv ops).
std::string validate(const PoolOpDesc& d);
// Assumes validate(d) == "": max/avg pooling as output_shape(PoolDesc) (the
// ceil_mode rule of shape::window_size), global pooling [N, 1, 1, C],
// upsampling [N, outputSize, C].
Shape4 output_shape(const PoolOpDesc& d);

// Keys: kind ("max_pool" | "avg_pool" | "global_max_pool" | "global_avg_pool"
// | "upsample_nearest"), inputShape [N, H, W, C]; max_pool and avg_pool:
// kernel [kh, kw], stride [sh, sw] (default: the kernel, as in PyTorch and
// Keras), padding [[top, bottom], [left, right]] or "valid" (default) or
// "same" (TensorFlow's split), ceilMode (default false), and dilation [dh, dw]
// (default [1, 1]; max_pool only: avg_pool accepts only [1, 1]);
// avg_pool: countIncludePad (default true, PyTorch's; TensorFlow's SAME is
// false); upsample_nearest: outputSize [oh, ow] (any size: source cell
// floor(o * in / out)). null counts as absent; an unknown key, or one that
// does not apply to the kind, is an error. Returns "" and fills `out`, or the
// error (after validate()).
std::string pool_desc_from_json(const std::string& options_json, PoolOpDesc& out);

}  // namespace convscope::kernels
