// Grouped and transposed conv as an indirect GEMM (XNNPACK's igemm idea);
// every other conv takes the direct kernel of conv_direct_simd.cpp. For a
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

// Where a tile's MR pixels read their input: for kernel step k, pixel m
// reads from a[k * MR + m] + a_offset (the group's first channel), or from
// `zero` for a padded tap (never offset).
struct TileInput {
  const float* const* a = nullptr;
  size_t a_offset = 0;
  const float* zero = nullptr;
};

// Multiplies MR pixels' input runs by one packed block: `ks` steps of `kc`
// floats. Stores `mr` pixels of `nc` channels, pixel m at out + m *
// out_stride.
template <int MR>
void conv_ukernel_mrx8(size_t ks, size_t kc, const TileInput& in, const float* w, float* out, size_t out_stride,
                       size_t mr, size_t nc, bool relu) {
  v128_t acc0[MR], acc1[MR];
  const v128_t bias0 = wasm_v128_load(w), bias1 = wasm_v128_load(w + 4);
  CONVSCOPE_UNROLL
  for (int m = 0; m < MR; ++m) {
    acc0[m] = bias0;
    acc1[m] = bias1;
  }
  w += block_channels;
  const float* const* a = in.a;
  for (size_t k = 0; k < ks; ++k, a += MR) {
    const float* p[MR];
    CONVSCOPE_UNROLL
    for (int m = 0; m < MR; ++m) p[m] = a[m] == in.zero ? in.zero : a[m] + in.a_offset;
    // One step per iteration (CONVSCOPE_NO_UNROLL says why).
    CONVSCOPE_NO_UNROLL
    for (size_t i = 0; i < kc; ++i, w += block_channels) {
      const v128_t w0 = wasm_v128_load(w), w1 = wasm_v128_load(w + 4);
      CONVSCOPE_UNROLL
      for (int m = 0; m < MR; ++m) {
        // One input value times 8 filters: load32_splat is a single
        // broadcast load (vbroadcastss) on x86.
        const v128_t x = wasm_v128_load32_splat(p[m] + i);
        acc0[m] = simd::madd(x, w0, acc0[m]);
        acc1[m] = simd::madd(x, w1, acc1[m]);
      }
    }
  }
  // Results go through a second array that only the stores index at run
  // time: were acc0/acc1 themselves indexed by the runtime `mr`, clang would
  // keep them in memory and store every accumulator on every step.
  v128_t res[MR][2];
  CONVSCOPE_UNROLL
  for (int m = 0; m < MR; ++m) {
    res[m][0] = relu ? simd::relu(acc0[m]) : acc0[m];
    res[m][1] = relu ? simd::relu(acc1[m]) : acc1[m];
  }
  for (size_t m = 0; m < mr; ++m, out += out_stride) {
    if (nc == 8) {
      wasm_v128_store(out, res[m][0]);
      wasm_v128_store(out + 4, res[m][1]);
    } else if (nc > 4) {
      wasm_v128_store(out, res[m][0]);
      simd::store_partial(out + 4, res[m][1], nc - 4);
    } else if (nc == 4) {
      wasm_v128_store(out, res[m][0]);
    } else {
      simd::store_partial(out, res[m][0], nc);
    }
  }
}

// Input cell of tap (ky, kx) for output pixel (oy, ox), or nullptr for a
// padded tap (forward conv) or one between input cells (transposed: the
// gather form of oy = iy * stride - pad + ky * dilation).
const float* tap(const ConvDesc& d, const float* img, int oy, int ox, int ky, int kx) {
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
  const Shape4 os = output_shape(d);
  const size_t groups = size_t(group_count(d)), cg = size_t(group_in_channels(d));
  const size_t fg = size_t(group_out_channels(d)), f_all = size_t(os.c);
  const size_t blocks = (fg + block_channels - 1) / block_channels, block_len = conv_block_len(d);
  const size_t kh = size_t(d.kernel_h), kw = size_t(d.kernel_w), c_all = size_t(d.input.c);
  const bool forward = d.kind == ConvKind::conv;
  const size_t steps = kh * kw;
  // Offsets of each kernel step from the window's top-left input cell: an
  // interior tile's table is its pixels' window corners plus these, with no
  // division or bounds check per tap.
  std::vector<size_t> step_offset(steps);
  for (size_t k = 0; k < steps; ++k) {
    const size_t ky = k / kw, kx = k % kw;
    step_offset[k] = (ky * size_t(d.dilation_h) * size_t(d.input.w) + kx * size_t(d.dilation_w)) * c_all;
  }
  const size_t pixels = size_t(os.h) * size_t(os.w);
  ind.resize(kh * kw * kMR);
  TileInput tile;
  tile.zero = zero;
  tile.a = ind.data();
  for (int n = 0; n < d.input.n; ++n) {
    const float* img = input + size_t(n) * size_t(d.input.h) * size_t(d.input.w) * c_all;
    float* out_img = output + size_t(n) * pixels * f_all;
    int oy0 = 0, ox0 = 0;  // the tile's first pixel, kept without dividing
    for (size_t p0 = 0; p0 < pixels; p0 += kMR) {
      // Tiles run across output rows (pixels in raster order), so narrow
      // outputs do not waste a partial tile per row. (Measured in V8: also
      // some 20% faster than row-by-row tiling on the benchmark's layers.)
      const size_t mr = std::min<size_t>(kMR, pixels - p0);
      int oy[kMR], ox[kMR];
      const float* base[kMR];
      bool interior = forward;
      for (size_t m = 0; m < kMR; ++m) {
        oy[m] = oy0;
        ox[m] = ox0 + int(std::min(m, mr - 1));
        while (ox[m] >= os.w) {
          ox[m] -= os.w;
          ++oy[m];
        }
        const int y0 = oy[m] * d.stride_h - d.pad_top, x0 = ox[m] * d.stride_w - d.pad_left;
        const bool inside = y0 >= 0 && y0 + (d.kernel_h - 1) * d.dilation_h < d.input.h && x0 >= 0 &&
                            x0 + (d.kernel_w - 1) * d.dilation_w < d.input.w;
        interior = interior && inside;
        base[m] = inside ? img + (size_t(y0) * size_t(d.input.w) + size_t(x0)) * c_all : nullptr;
      }
      ox0 += kMR;
      while (ox0 >= os.w && oy0 < os.h) {
        ox0 -= os.w;
        ++oy0;
      }
      if (interior) {
        for (size_t k = 0; k < steps; ++k)
          for (size_t m = 0; m < kMR; ++m) ind[k * kMR + m] = base[m] + step_offset[k];
      } else {
        for (size_t k = 0; k < steps; ++k)
          for (size_t m = 0; m < kMR; ++m) {
            const float* t = tap(d, img, oy[m], ox[m], int(k / kw), int(k % kw));
            ind[k * kMR + m] = t ? t : zero;
          }
      }
      for (size_t g = 0; g < groups; ++g)
        for (size_t b = 0; b < blocks; ++b) {
          tile.a_offset = g * cg;
          conv_ukernel_mrx8<kMR>(steps, cg, tile, packed + (g * blocks + b) * block_len,
                                 out_img + p0 * f_all + g * fg + b * block_channels, f_all, mr,
                                 std::min<size_t>(block_channels, fg - b * block_channels), d.relu);
        }
    }
  }
}

}  // namespace convscope::kernels
