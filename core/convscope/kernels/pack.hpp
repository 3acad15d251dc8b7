// Weight packing, done once per op so every run streams weights in exactly
// the order the kernels consume them.
#pragma once

#include <vector>

#include "convscope/kernels/desc.hpp"

namespace convscope::kernels {

// Output channels per packed block: one register tile's width, two v128
// accumulators per output pixel.
constexpr int block_channels = 8;

// conv and transposed conv. For each group, for each block of 8 of the
// group's filters: the 8 biases, then for every tap (ky, kx) and input
// channel ci of the group the 8 weights, i.e. [bias 8][kh][kw][C/groups][8].
// Biases in front: the kernel loads them as its accumulators' start, and the
// [kh][kw][ci] order makes a kernel row of a groups == 1, dilation 1 conv one
// contiguous run (kw * C floats) in both input and weights. Filters past the
// group's last are zero, so a block always computes 8 lanes and only the
// stores are partial.
size_t conv_block_len(const ConvDesc& d);
std::vector<float> pack_conv(const ConvDesc& d, const float* weights, const float* bias);

// depthwise. Blocks of 4 channels (one v128): the depthwise kernels
// vectorise over channels only, so a block is one vector's work, and the
// channel loop of an unrolled tile walks the blocks in order. Virtual channel
// order is m-major (multiplier index, then input channel), so 4 consecutive
// virtual channels read 4 consecutive input channels; for each m and each
// block of 4 input channels: [bias 4][kh][kw][4].
constexpr int dw_block_channels = 4;
size_t dwconv_block_len(const ConvDesc& d);
std::vector<float> pack_dwconv(const ConvDesc& d, const float* weights, const float* bias);

}  // namespace convscope::kernels
