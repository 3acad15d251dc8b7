// Depthwise conv, vectorised over channels (NHWC keeps a pixel's channels
// contiguous, so one v128 load fetches 4 channels of one input column).
//
// Two paths:
// - Unrolled tiles for the common kernels (3x3, 5x5, 7x7; stride 1 or 2;
//   dilation 1; multiplier 1): MR output pixels along a row, taps unrolled at
//   compile time. Every input column of the tile's window is loaded once per
//   kernel row and reused by every pixel whose window covers it (3x3 stride
//   1, 4 pixels: 6 column loads per row instead of 12), and each weight
//   vector is loaded once for all MR pixels. Rows above or below the input
//   point at a row of zeros, so top and bottom output rows run this path too.
// - A generic tile for everything else (any kernel, stride, dilation,
//   multiplier) and for the left/right border pixels, with runtime tap
//   loops clipped to the input: padding contributes nothing, so clipped taps
//   are skipped; no im2col, no padded copy.
#include <algorithm>

#include "convscope/kernels/pack.hpp"
#include "convscope/kernels/simd.hpp"
#include "convscope/kernels/simd128.hpp"

namespace convscope::kernels {

namespace {

using simd::F32x1;
using simd::F32x4;

// Output pixels per tile: 4 accumulators + the loaded columns and weights
// stay within the 16 xmm registers V8 allocates on x86.
constexpr int kMR = 4;

// One output row of one image, with the kernel rows that stay inside the input.
struct Row {
  const ConvDesc& d;
  const float* img;  // input image n
  float* out;        // output row (oy) of image n
  size_t c_all, out_c, mult, block_len;
  int y0;            // oy * stride - pad_top
  int ky0, ky1;      // kernel rows inside the input
};

// Generic: MR pixels from output column ox0, taps kx0..kx1 of each kernel
// row, one vector of L lanes from input channel c with multiplier index m;
// `w` is the packed block offset to channel c's lane.
template <class L, int MR>
void dw_tile(const Row& r, int ox0, int kx0, int kx1, size_t c, size_t m, const float* w) {
  using T = typename L::T;
  const ConvDesc& d = r.d;
  T acc[MR];
  const T b = L::load(w);
  for (int p = 0; p < MR; ++p) acc[p] = b;
  const size_t pixel_step = size_t(d.stride_w) * r.c_all;
  const int x0 = ox0 * d.stride_w - d.pad_left;
  for (int ky = r.ky0; ky < r.ky1; ++ky) {
    const float* row = r.img + size_t(r.y0 + ky * d.dilation_h) * size_t(d.input.w) * r.c_all + c;
    const float* wk = w + dw_block_channels + size_t(ky) * size_t(d.kernel_w) * dw_block_channels;
    for (int kx = kx0; kx < kx1; ++kx) {
      const float* col = row + size_t(x0 + kx * d.dilation_w) * r.c_all;
      const T wv = L::load(wk + size_t(kx) * dw_block_channels);
      for (int p = 0; p < MR; ++p) acc[p] = L::madd(L::load(col + size_t(p) * pixel_step), wv, acc[p]);
    }
  }
  // TF's output channel of (input channel c, multiplier index m) is c * M + m.
  float* out = r.out + size_t(ox0) * r.out_c + c * r.mult + m;
  for (int p = 0; p < MR; ++p, out += r.out_c) {
    const T res = d.relu ? L::relu(acc[p]) : acc[p];
    if (r.mult == 1) {
      L::store(out, res);
    } else {
      L::store_strided(out, r.mult, res);
    }
  }
}

// Channels [c_begin, c_all) of MR pixels through the generic tile: whole
// blocks of 4 as vectors, the remainder one channel at a time.
template <int MR>
void dw_generic(const Row& r, const float* packed, int ox0, int kx0, int kx1, size_t c_begin) {
  const size_t blocks = (r.c_all + dw_block_channels - 1) / dw_block_channels;
  for (size_t m = 0; m < r.mult; ++m)
    for (size_t c = c_begin; c < r.c_all;) {
      const size_t b = c / dw_block_channels, lane = c % dw_block_channels;
      const float* w = packed + (m * blocks + b) * r.block_len + lane;
      if (lane == 0 && c + dw_block_channels <= r.c_all) {
        dw_tile<F32x4, MR>(r, ox0, kx0, kx1, c, m, w);
        c += dw_block_channels;
      } else {
        dw_tile<F32x1, MR>(r, ox0, kx0, kx1, c, m, w);
        ++c;
      }
    }
}

// Unrolled: MR pixels, every whole block of 4 channels. rows[ky] points at
// the tile's first input column in kernel row ky (or at zeros).
template <int KH, int KW, int S>
void dw_tile_fixed(const float* const* rows, size_t c_all, size_t c_end, const float* packed, size_t block_len,
                   float* out, size_t out_c, bool relu) {
  constexpr int kCols = (kMR - 1) * S + KW;  // input columns the tile's windows cover
  for (size_t c = 0; c < c_end; c += dw_block_channels, packed += block_len) {
    v128_t acc[kMR];
    const v128_t bias = wasm_v128_load(packed);
    CONVSCOPE_UNROLL
    for (int p = 0; p < kMR; ++p) acc[p] = bias;
    const float* w = packed + dw_block_channels;
    CONVSCOPE_UNROLL
    for (int ky = 0; ky < KH; ++ky) {
      const float* row = rows[ky] + c;
      CONVSCOPE_UNROLL
      for (int j = 0; j < kCols; ++j) {
        const v128_t v = wasm_v128_load(row + size_t(j) * c_all);
        CONVSCOPE_UNROLL
        for (int p = 0; p < kMR; ++p) {
          const int kx = j - p * S;
          if (kx < 0 || kx >= KW) continue;
          const v128_t wv = wasm_v128_load(w + (ky * KW + kx) * dw_block_channels);
          // Kernels 7 wide keep the mul + add in the FMA build too: fused,
          // the 7x7 depthwise layer of bench/kernels ran at 0.87-0.92x of
          // the SIMD128 build in every run (session 4's figures).
          acc[p] = KW >= 7 ? wasm_f32x4_add(wasm_f32x4_mul(v, wv), acc[p]) : simd::madd(v, wv, acc[p]);
        }
      }
    }
    CONVSCOPE_UNROLL
    for (int p = 0; p < kMR; ++p) wasm_v128_store(out + size_t(p) * out_c + c, relu ? simd::relu(acc[p]) : acc[p]);
  }
}

using FixedTile = void (*)(const float* const*, size_t, size_t, const float*, size_t, float*, size_t, bool);

// The unrolled tile for this op, or nullptr.
FixedTile fixed_tile(const ConvDesc& d) {
  if (d.depth_multiplier != 1 || d.dilation_h != 1 || d.dilation_w != 1 || d.stride_h != d.stride_w) return nullptr;
  if (d.kernel_h != d.kernel_w) return nullptr;
  const int k = d.kernel_h, s = d.stride_w;
  if (k == 3 && s == 1) return dw_tile_fixed<3, 3, 1>;
  if (k == 3 && s == 2) return dw_tile_fixed<3, 3, 2>;
  if (k == 5 && s == 1) return dw_tile_fixed<5, 5, 1>;
  if (k == 5 && s == 2) return dw_tile_fixed<5, 5, 2>;
  if (k == 7 && s == 1) return dw_tile_fixed<7, 7, 1>;
  return nullptr;
}

// First k in [0, k_count) with start + k * dilation >= 0, and one past the
// last with start + k * dilation < size.
void clip(int start, int dilation, int k_count, int size, int& k0, int& k1) {
  k0 = start >= 0 ? 0 : (-start + dilation - 1) / dilation;
  k1 = start > size - 1 ? 0 : std::min(k_count, (size - 1 - start) / dilation + 1);
  k0 = std::min(k0, k1);
}

}  // namespace

size_t dwconv_zero_len(const ConvDesc& d) {
  // The widest unrolled tile reads (kMR - 1) * 2 + 7 columns.
  return size_t((kMR - 1) * 2 + 7) * size_t(d.input.c);
}

void dwconv_f32_simd(const ConvDesc& d, const float* packed, const float* zero, const float* input, float* output) {
  const Shape4 os = output_shape(d);
  const size_t c_all = size_t(d.input.c), in_image = size_t(d.input.h) * size_t(d.input.w) * c_all;
  const size_t out_row = size_t(os.w) * size_t(os.c), block_len = dwconv_block_len(d);
  // Interior output columns [x_lo, x_hi): every tap of the row inside the input.
  const int x_lo = std::min(os.w, (d.pad_left + d.stride_w - 1) / d.stride_w);
  const int last_start = d.input.w - 1 - (d.kernel_w - 1) * d.dilation_w + d.pad_left;
  const int x_hi = last_start < 0 ? x_lo : std::max(x_lo, std::min(os.w, last_start / d.stride_w + 1));
  const FixedTile fixed = fixed_tile(d);
  const size_t c_vec = fixed ? c_all / dw_block_channels * dw_block_channels : 0;
  const float* rows[7];
  for (int n = 0; n < d.input.n; ++n)
    for (int oy = 0; oy < os.h; ++oy) {
      const float* img = input + size_t(n) * in_image;
      Row r{d, img, output + (size_t(n) * size_t(os.h) + size_t(oy)) * out_row, c_all, size_t(os.c),
            size_t(d.depth_multiplier), block_len, oy * d.stride_h - d.pad_top, 0, 0};
      clip(r.y0, d.dilation_h, d.kernel_h, d.input.h, r.ky0, r.ky1);
      for (int ox = 0; ox < os.w;) {
        if (ox >= x_lo && ox + kMR <= x_hi) {
          if (fixed) {
            const size_t x0 = size_t(ox * d.stride_w - d.pad_left);
            for (int ky = 0; ky < d.kernel_h; ++ky) {
              const int iy = r.y0 + ky;
              rows[ky] = iy >= 0 && iy < d.input.h ? img + (size_t(iy) * size_t(d.input.w) + x0) * c_all : zero;
            }
            fixed(rows, c_all, c_vec, packed, block_len, r.out + size_t(ox) * r.out_c, r.out_c, d.relu);
          }
          if (c_vec < c_all) dw_generic<kMR>(r, packed, ox, 0, d.kernel_w, c_vec);
          ox += kMR;
          continue;
        }
        int kx0, kx1;
        clip(ox * d.stride_w - d.pad_left, d.dilation_w, d.kernel_w, d.input.w, kx0, kx1);
        dw_generic<1>(r, packed, ox, kx0, kx1, 0);
        ++ox;
      }
    }
}

}  // namespace convscope::kernels
