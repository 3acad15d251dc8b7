// conv and transposed conv as an indirect GEMM (XNNPACK's igemm idea): for a
// tile of MR output pixels, a small table of input pointers, one per pixel
// and kernel step, is built on the fly; the microkernel multiplies the rows
// they point at by the packed weights. No im2col copy is made: interior
// pointers address the input directly, padded taps (and, for a transposed
// conv, taps that fall between input cells) point at a buffer of zeros.
#include <algorithm>

#include "convscope/kernels/pack.hpp"
#include "convscope/kernels/simd.hpp"
#include "convscope/kernels/simd128.hpp"

namespace convscope::kernels {

namespace {

// Output pixels per register tile. 4 pixels x 8 channels = 8 v128
// accumulators + 2 weight vectors + 1 broadcast input = 11 registers: V8
// maps wasm SIMD values onto x86's 16 xmm registers, so this leaves room
// and never spills (XNNPACK's wasmsimd igemm uses the same 4x8 shape).
constexpr int kMR = 4;

// Multiplies MR pixels' input runs by one packed block: `ks` steps of `kc`
// floats; step k of pixel m starts at a[k * MR + m] (+ a_offset, the group's
// first channel, unless it is the zero buffer). Stores `mr` pixels of `nc`
// channels, pixel m at out + m * out_stride.
template <int MR>
void conv_ukernel_mrx8(size_t ks, size_t kc, const float* const* a, size_t a_offset, const float* zero,
                       const float* w, float* out, size_t out_stride, size_t mr, size_t nc, bool relu) {
  v128_t acc0[MR], acc1[MR];
  const v128_t bias0 = wasm_v128_load(w), bias1 = wasm_v128_load(w + 4);
  for (int m = 0; m < MR; ++m) {
    acc0[m] = bias0;
    acc1[m] = bias1;
  }
  w += block_channels;
  for (size_t k = 0; k < ks; ++k, a += MR) {
    const float* p[MR];
    for (int m = 0; m < MR; ++m) p[m] = a[m] == zero ? zero : a[m] + a_offset;
    for (size_t i = 0; i < kc; ++i, w += block_channels) {
      const v128_t w0 = wasm_v128_load(w), w1 = wasm_v128_load(w + 4);
      for (int m = 0; m < MR; ++m) {
        // One input value times 8 filters: load32_splat is a single
        // broadcast load (vbroadcastss) on x86.
        const v128_t x = wasm_v128_load32_splat(p[m] + i);
        acc0[m] = wasm_f32x4_add(acc0[m], wasm_f32x4_mul(x, w0));
        acc1[m] = wasm_f32x4_add(acc1[m], wasm_f32x4_mul(x, w1));
      }
    }
  }
  for (size_t m = 0; m < mr; ++m, out += out_stride) {
    const v128_t r0 = relu ? simd::relu(acc0[m]) : acc0[m];
    const v128_t r1 = relu ? simd::relu(acc1[m]) : acc1[m];
    if (nc == 8) {
      wasm_v128_store(out, r0);
      wasm_v128_store(out + 4, r1);
    } else if (nc > 4) {
      wasm_v128_store(out, r0);
      simd::store_partial(out + 4, r1, nc - 4);
    } else if (nc == 4) {
      wasm_v128_store(out, r0);
    } else {
      simd::store_partial(out, r0, nc);
    }
  }
}

struct Geometry {
  const ConvDesc& d;
  Shape4 out;
  size_t cg;  // input channels per group
};

// The whole kernel window of output pixel p lies inside the input.
bool interior(const Geometry& g, size_t p) {
  const int oy = int(p / size_t(g.out.w)), ox = int(p % size_t(g.out.w));
  const int y0 = oy * g.d.stride_h - g.d.pad_top, x0 = ox * g.d.stride_w - g.d.pad_left;
  return y0 >= 0 && y0 + (g.d.kernel_h - 1) * g.d.dilation_h < g.d.input.h && x0 >= 0 &&
         x0 + (g.d.kernel_w - 1) * g.d.dilation_w < g.d.input.w;
}

// Input cell of tap (ky, kx) for output pixel p, or nullptr for a padded tap
// (forward conv) or one between input cells (transposed: the gather form of
// oy = iy * stride - pad + ky * dilation).
const float* tap(const Geometry& g, const float* img, size_t p, int ky, int kx) {
  const ConvDesc& d = g.d;
  const int oy = int(p / size_t(g.out.w)), ox = int(p % size_t(g.out.w));
  int iy, ix;
  if (d.kind == ConvKind::transposed) {
    const int ty = oy + d.pad_top - ky * d.dilation_h, tx = ox + d.pad_left - kx * d.dilation_w;
    if (ty < 0 || tx < 0 || ty % d.stride_h != 0 || tx % d.stride_w != 0) return nullptr;
    iy = ty / d.stride_h;
    ix = tx / d.stride_w;
  } else {
    iy = oy * d.stride_h - d.pad_top + ky * d.dilation_h;
    ix = ox * d.stride_w - d.pad_left + kx * d.dilation_w;
  }
  if (iy < 0 || iy >= d.input.h || ix < 0 || ix >= d.input.w) return nullptr;
  return img + (size_t(iy) * size_t(d.input.w) + size_t(ix)) * size_t(d.input.c);
}

}  // namespace

void conv_f32_simd(const ConvDesc& d, const float* packed, const float* zero, std::vector<const float*>& ind,
                   const float* input, float* output) {
  const Geometry geo{d, output_shape(d), size_t(group_in_channels(d))};
  const size_t groups = size_t(group_count(d)), fg = size_t(group_out_channels(d)), f_all = size_t(geo.out.c);
  const size_t blocks = (fg + block_channels - 1) / block_channels, block_len = conv_block_len(d);
  const size_t kh = size_t(d.kernel_h), kw = size_t(d.kernel_w), c_all = size_t(d.input.c);
  const size_t pixels = size_t(geo.out.h) * size_t(geo.out.w);
  // A kernel row of a groups == 1, dilation-1 conv is kw * C contiguous
  // floats in the input and in the packed weights, so an interior tile runs
  // kh steps of kw * C instead of kh * kw steps of C. This is the first-layer
  // path: with 1-3 input channels a 3x3 kernel's inner loop grows from 3 to
  // 9 iterations, and the per-step overhead stops dominating.
  const bool row_runs = d.kind == ConvKind::conv && groups == 1 && d.dilation_w == 1;
  ind.resize(kh * kw * kMR);
  for (int n = 0; n < d.input.n; ++n) {
    const float* img = input + size_t(n) * size_t(d.input.h) * size_t(d.input.w) * c_all;
    float* out_img = output + size_t(n) * pixels * f_all;
    for (size_t p0 = 0; p0 < pixels; p0 += kMR) {
      // Tiles run across output rows (pixels in raster order), so narrow
      // outputs do not waste a partial tile per row.
      const size_t mr = std::min<size_t>(kMR, pixels - p0);
      bool merged = row_runs;
      for (size_t m = 0; merged && m < mr; ++m) merged = interior(geo, p0 + m);
      size_t ks, kc;
      if (merged) {
        ks = kh;
        kc = kw * c_all;
        for (size_t k = 0; k < ks; ++k)
          for (size_t m = 0; m < kMR; ++m) ind[k * kMR + m] = tap(geo, img, p0 + std::min(m, mr - 1), int(k), 0);
      } else {
        ks = kh * kw;
        kc = geo.cg;
        for (size_t k = 0; k < ks; ++k)
          for (size_t m = 0; m < kMR; ++m) {
            const float* t = tap(geo, img, p0 + std::min(m, mr - 1), int(k / kw), int(k % kw));
            ind[k * kMR + m] = t ? t : zero;
          }
      }
      for (size_t g = 0; g < groups; ++g)
        for (size_t b = 0; b < blocks; ++b) {
          const size_t nc = std::min<size_t>(block_channels, fg - b * block_channels);
          conv_ukernel_mrx8<kMR>(ks, kc, ind.data(), g * geo.cg, zero, packed + (g * blocks + b) * block_len,
                                 out_img + p0 * f_all + g * fg + b * block_channels, f_all, mr, nc, d.relu);
        }
    }
  }
}

}  // namespace convscope::kernels
