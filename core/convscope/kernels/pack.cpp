#include "convscope/kernels/pack.hpp"

namespace convscope::kernels {

namespace {
size_t blocks_of(int channels, size_t per_block) { return (size_t(channels) + per_block - 1) / per_block; }
}  // namespace

size_t conv_block_len(const ConvDesc& d) {
  return block_channels + size_t(d.kernel_h) * size_t(d.kernel_w) * size_t(group_in_channels(d)) * block_channels;
}

std::vector<float> pack_conv(const ConvDesc& d, const float* weights, const float* bias) {
  const size_t groups = size_t(group_count(d)), cg = size_t(group_in_channels(d));
  const size_t fg = size_t(group_out_channels(d)), f_all = size_t(out_channels(d));
  const size_t taps = size_t(d.kernel_h) * size_t(d.kernel_w), blocks = blocks_of(int(fg), block_channels);
  std::vector<float> packed(groups * blocks * conv_block_len(d), 0.0f);
  float* dst = packed.data();
  for (size_t g = 0; g < groups; ++g)
    for (size_t b = 0; b < blocks; ++b, dst += conv_block_len(d)) {
      const size_t f0 = g * fg + b * block_channels;
      const size_t nc = fg - b * block_channels < block_channels ? fg - b * block_channels : block_channels;
      for (size_t j = 0; j < nc; ++j) dst[j] = bias ? bias[f0 + j] : 0.0f;
      for (size_t t = 0; t < taps; ++t)
        for (size_t ci = 0; ci < cg; ++ci)
          for (size_t j = 0; j < nc; ++j)
            dst[block_channels + (t * cg + ci) * block_channels + j] = weights[(t * cg + ci) * f_all + f0 + j];
    }
  return packed;
}

size_t dwconv_block_len(const ConvDesc& d) {
  return dw_block_channels + size_t(d.kernel_h) * size_t(d.kernel_w) * dw_block_channels;
}

std::vector<float> pack_dwconv(const ConvDesc& d, const float* weights, const float* bias) {
  const size_t c_all = size_t(d.input.c), mult = size_t(d.depth_multiplier);
  const size_t taps = size_t(d.kernel_h) * size_t(d.kernel_w), blocks = blocks_of(d.input.c, dw_block_channels);
  std::vector<float> packed(mult * blocks * dwconv_block_len(d), 0.0f);
  float* dst = packed.data();
  for (size_t m = 0; m < mult; ++m)
    for (size_t b = 0; b < blocks; ++b, dst += dwconv_block_len(d)) {
      const size_t c0 = b * dw_block_channels;
      const size_t nc = c_all - c0 < dw_block_channels ? c_all - c0 : dw_block_channels;
      for (size_t j = 0; j < nc; ++j) {
        const size_t out_c = (c0 + j) * mult + m;  // TF's depthwise output order
        dst[j] = bias ? bias[out_c] : 0.0f;
        for (size_t t = 0; t < taps; ++t) dst[dw_block_channels + t * dw_block_channels + j] = weights[t * c_all * mult + out_c];
      }
    }
  return packed;
}

}  // namespace convscope::kernels
