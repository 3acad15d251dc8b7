// Depthwise conv, vectorised over channels (NHWC keeps a pixel's channels
// contiguous, so one v128 load fetches 4 channels of one input column).
// A register tile is MR output pixels along a row x 8 channels: each weight
// vector loaded for a tap serves all MR pixels, and for stride 1 the MR
// pixels' windows overlap, so the same input columns are re-read from L1
// by neighbouring pixels of the tile instead of being re-fetched per output.
// Interior pixels run the tile with no bounds checks; border pixels run one
// at a time with the kernel's taps clipped to the input (padding contributes
// nothing, so clipped taps are simply skipped: no zero buffer, no copy).
#include <algorithm>

#include "convscope/kernels/pack.hpp"
#include "convscope/kernels/simd.hpp"
#include "convscope/kernels/simd128.hpp"

namespace convscope::kernels {

namespace {

using simd::F32x1;
using simd::F32x4;

// Output pixels per tile. 4 pixels x 2 vectors = 8 accumulators + 2 weight
// vectors + 1 input: 11 of the 16 xmm registers V8 allocates on x86.
constexpr int kMR = 4;

// One output row of one image, with the taps that stay inside the input.
struct Row {
  const ConvDesc& d;
  const float* img;  // input image n
  float* out;        // output row (oy) of image n
  size_t c_all, out_c, mult;
  int y0;            // oy * stride - pad_top
  int ky0, ky1;      // kernel rows inside the input
};

// MR pixels starting at output column ox0, taps kx0..kx1 of each kernel row,
// NV vectors of L lanes from input channel c (virtual channel c of multiplier
// index `m`); `w` is the packed block already offset to channel c's lane.
template <class L, int NV, int MR>
void dw_tile(const Row& r, int ox0, int kx0, int kx1, size_t c, size_t m, const float* w) {
  using T = typename L::T;
  const ConvDesc& d = r.d;
  T acc[MR][NV];
  for (int v = 0; v < NV; ++v) {
    const T b = L::load(w + size_t(v) * L::width);
    for (int p = 0; p < MR; ++p) acc[p][v] = b;
  }
  const size_t pixel_step = size_t(d.stride_w) * r.c_all;
  const int x0 = ox0 * d.stride_w - d.pad_left;
  for (int ky = r.ky0; ky < r.ky1; ++ky) {
    const float* row = r.img + size_t(r.y0 + ky * d.dilation_h) * size_t(d.input.w) * r.c_all + c;
    const float* wk = w + block_channels + size_t(ky) * size_t(d.kernel_w) * block_channels;
    for (int kx = kx0; kx < kx1; ++kx) {
      const float* col = row + size_t(x0 + kx * d.dilation_w) * r.c_all;
      T wv[NV];
      for (int v = 0; v < NV; ++v) wv[v] = L::load(wk + size_t(kx) * block_channels + size_t(v) * L::width);
      for (int p = 0; p < MR; ++p)
        for (int v = 0; v < NV; ++v)
          acc[p][v] = L::add(acc[p][v], L::mul(L::load(col + size_t(p) * pixel_step + size_t(v) * L::width), wv[v]));
    }
  }
  // TF's output channel of (input channel c, multiplier index m) is c * M + m.
  float* out = r.out + size_t(ox0) * r.out_c + c * r.mult + m;
  for (int p = 0; p < MR; ++p, out += r.out_c)
    for (int v = 0; v < NV; ++v) {
      const T res = d.relu ? L::relu(acc[p][v]) : acc[p][v];
      if (r.mult == 1) {
        L::store(out + size_t(v) * L::width, res);
      } else {
        L::store_strided(out + size_t(v) * L::width * r.mult, r.mult, res);
      }
    }
}

// Every channel of MR pixels: blocks of 8, then 4, then single channels.
template <int MR>
void dw_pixels(const Row& r, const float* packed, int ox0, int kx0, int kx1) {
  const size_t blocks = (r.c_all + block_channels - 1) / block_channels, block_len = dwconv_block_len(r.d);
  for (size_t m = 0; m < r.mult; ++m)
    for (size_t b = 0; b < blocks; ++b) {
      const float* w = packed + (m * blocks + b) * block_len;
      size_t c = b * block_channels;
      const size_t end = std::min(c + block_channels, r.c_all);
      if (end - c == block_channels) {
        dw_tile<F32x4, 2, MR>(r, ox0, kx0, kx1, c, m, w);
        continue;
      }
      if (end - c >= 4) {
        dw_tile<F32x4, 1, MR>(r, ox0, kx0, kx1, c, m, w);
        c += 4;
      }
      for (; c < end; ++c) dw_tile<F32x1, 1, MR>(r, ox0, kx0, kx1, c, m, w + (c - b * block_channels));
    }
}

// First k in [0, k_count) with start + k * dilation >= 0, and one past the
// last with start + k * dilation < size.
void clip(int start, int dilation, int k_count, int size, int& k0, int& k1) {
  k0 = start >= 0 ? 0 : (-start + dilation - 1) / dilation;
  k1 = start > size - 1 ? 0 : std::min(k_count, (size - 1 - start) / dilation + 1);
  k0 = std::min(k0, k1);
}

}  // namespace

void dwconv_f32_simd(const ConvDesc& d, const float* packed, const float* input, float* output) {
  const Shape4 os = output_shape(d);
  const size_t in_image = size_t(d.input.h) * size_t(d.input.w) * size_t(d.input.c);
  const size_t out_row = size_t(os.w) * size_t(os.c);
  // Interior output columns [x_lo, x_hi): every tap of the row inside the input.
  const int x_lo = std::min(os.w, (d.pad_left + d.stride_w - 1) / d.stride_w);
  const int last_start = d.input.w - 1 - (d.kernel_w - 1) * d.dilation_w + d.pad_left;
  const int x_hi = last_start < 0 ? x_lo : std::max(x_lo, std::min(os.w, last_start / d.stride_w + 1));
  for (int n = 0; n < d.input.n; ++n)
    for (int oy = 0; oy < os.h; ++oy) {
      Row r{d, input + size_t(n) * in_image, output + (size_t(n) * size_t(os.h) + size_t(oy)) * out_row,
            size_t(d.input.c), size_t(os.c), size_t(d.depth_multiplier), oy * d.stride_h - d.pad_top, 0, 0};
      clip(r.y0, d.dilation_h, d.kernel_h, d.input.h, r.ky0, r.ky1);
      for (int ox = 0; ox < os.w;) {
        if (ox >= x_lo && ox + kMR <= x_hi) {
          dw_pixels<kMR>(r, packed, ox, 0, d.kernel_w);
          ox += kMR;
          continue;
        }
        int kx0, kx1;
        clip(ox * d.stride_w - d.pad_left, d.dilation_w, d.kernel_w, d.input.w, kx0, kx1);
        dw_pixels<1>(r, packed, ox, kx0, kx1);
        ++ox;
      }
    }
}

}  // namespace convscope::kernels
