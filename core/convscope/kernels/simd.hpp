// The SIMD128 kernels (native builds run them through SIMDe). Each assumes
// validate(desc) == "" and weights packed by pack.hpp for the same desc.
#pragma once

#include <vector>

#include "convscope/kernels/desc.hpp"

namespace convscope::kernels {

// conv and transposed conv as an indirect GEMM: ConvOp runs grouped and
// transposed convs here, groups 1 on conv_direct_f32_simd. `zero` holds at
// least C / groups zeros (the stand-in for padded taps); `indirection` is
// scratch the call resizes.
void conv_f32_simd(const ConvDesc& desc, const float* packed, const float* zero,
                   std::vector<const float*>& indirection, const float* input, float* output);

// conv with groups 1 (any kernel, stride, dilation and padding) as a direct
// convolution along output rows (conv_direct_simd.cpp). Weights packed by
// pack_conv. `scratch` and `row_ptrs` are scratch the call resizes.
bool conv_direct_applies(const ConvDesc& desc);
void conv_direct_f32_simd(const ConvDesc& desc, const float* packed, std::vector<float>& scratch,
                          std::vector<const float*>& row_ptrs, const float* input, float* output);

// 3x3 stride-1 conv with groups 1 and at least 8 input and output channels
// as Winograd's F(2x2, 3x3) (conv_winograd_simd.cpp), on weights packed by
// pack_winograd. `scratch` is scratch the call resizes. Within a few float32
// roundings of the direct sum, not bit for bit the direct kernel's.
bool conv_winograd_applies(const ConvDesc& desc);
size_t winograd_packed_len(const ConvDesc& desc);
std::vector<float> pack_winograd(const ConvDesc& desc, const float* weights, const float* bias);
void conv_winograd_f32_simd(const ConvDesc& desc, const float* packed, std::vector<float>& scratch,
                            const float* input, float* output);

// depthwise conv, any kernel, stride, dilation and multiplier. `zero` holds
// dwconv_zero_len(desc) zeros (the rows above and below the input).
size_t dwconv_zero_len(const ConvDesc& desc);
void dwconv_f32_simd(const ConvDesc& desc, const float* packed, const float* zero, const float* input,
                     float* output);

void pool_f32_simd(const PoolDesc& desc, const float* input, float* output);
void global_pool_f32_simd(PoolKind kind, const Shape4& input_shape, const float* input, float* output);
void upsample_nearest_f32(const Shape4& input_shape, int out_h, int out_w, const float* input, float* output);

}  // namespace convscope::kernels
