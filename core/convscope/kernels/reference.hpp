// Scalar reference kernels: plain loops written to be obviously right, the
// yardstick every SIMD kernel is tested against (XNNPACK keeps a reference
// beside each optimised kernel the same way). Speed is not a goal here.
// All tensors are NHWC f32; every function assumes validate(desc) == "".
#pragma once

#include "convscope/kernels/desc.hpp"

namespace convscope::kernels {

// conv, depthwise and transposed conv. `weights` in the layout of
// ConvKind's comment, `bias` (out_channels floats) may be null; ReLU per
// desc.relu. A depthwise conv is computed as the grouped conv it is (groups
// = C, multiplier filters per group): its [kh, kw, C, M] weights are exactly
// HWIO [kh, kw, 1, C * M].
void conv_reference(const ConvDesc& desc, const float* input, const float* weights,
                    const float* bias, float* output);

// Max or average pooling. A max window with no input cell gives -infinity,
// an average window with a zero divisor gives 0.
void pool_reference(const PoolDesc& desc, const float* input, float* output);

// [N, H, W, C] -> [N, 1, 1, C]: the mean or the max over H and W.
void global_pool_reference(PoolKind kind, const Shape4& input_shape, const float* input, float* output);

// Nearest-neighbour resize to out_h x out_w: source row floor(oy * H / out_h)
// in exact integer arithmetic (PyTorch's "nearest" computes the same in
// float, which can differ by one for ratios that are not integers).
void upsample_nearest_reference(const Shape4& input_shape, int out_h, int out_w, const float* input,
                                float* output);

}  // namespace convscope::kernels
