// Forward conv with groups 1 as a direct convolution along output rows: the
// first layer (1-3 input channels), 1x1 convs (a GEMM) and the rest.
// conv_simd.cpp's indirect GEMM keeps grouped and transposed convs.
//
// Why not the indirect GEMM: it builds a pointer table per tile of 4 pixels
// and calls a microkernel per tile and block. With C <= 3 a tap is only C
// multiply-adds deep, so that setup took as long as the arithmetic (the
// first layer ran at a third of the SIMD128 peak); a 1x1 conv pays it for a
// single 32-step run. Here one call runs a whole output row, and a tile's
// setup is one pointer per kernel row.
//
// Why rows: in NHWC a kernel row's taps (kx, then c) are kernel_w * C
// consecutive floats of one input row (with dilation_w > 1, kernel_w runs of
// C), in the order pack_conv stores the weights, so a tile walks input and
// weights with one pointer each, and the MR pixels of a tile read at fixed
// distances (stride_w * C floats) from it.
//
// Padding: tiles whose windows lie inside the input read the input rows in
// place. Border tiles read zero-padded copies of the rows (left padding as
// zeros, then the row, then zeros up to the last tile's reach), and rows of
// padding read one zero row, so every pixel runs the same loop and the last
// tile of a row can always compute MR pixels (the extra ones read zeros and
// are not stored). Only the columns border tiles read are copied, into a
// ring of row slots keyed by input row, so an input row is copied once per
// image however many output rows read it. (A 1x1 conv without padding, the
// GEMM case, copies nothing.)
#include <algorithm>
#include <cstdint>
#include <cstring>

#include "convscope/kernels/pack.hpp"
#include "convscope/kernels/simd.hpp"
#include "convscope/kernels/simd128.hpp"

namespace convscope::kernels {

namespace {

// Output pixels per tile, along the row. 4 pixels x 8 channels = 8 v128
// accumulators, plus 2 weight vectors, 1 broadcast input and 1 product: 12
// of the 15 xmm registers V8 allocates on x64, so nothing spills. (5 pixels
// measured no faster; 6 would need 16 registers.)
constexpr int kMR = 4;

struct RowArgs {
  const float* const* padded;  // kernel row ky: padded copy (or zero row), padded coordinates
  const float* const* direct;  // kernel row ky: the input row itself (or zero row)
  int kernel_h;
  size_t runs, run, run_gap;   // a kernel row: `runs` runs of `run` floats, `run_gap` apart
  size_t pixel_step;           // stride_w * C: floats between neighbouring pixels' windows
  size_t tile_lo, tile_hi;     // tiles [tile_lo, tile_hi) read `direct`
  size_t pad_floats;           // pad_left * C: padded minus direct coordinates
  const float* packed;         // pack_conv's blocks: [bias 8][kh][kw][C][8]
  size_t blocks, block_len;
  float* out;                  // the output row's first pixel
  size_t f_all;                // output channels (the pixel stride of `out`)
  size_t width;                // output pixels in the row
  bool relu;
};

// Stores nc (1..8) channels of one pixel.
CONVSCOPE_INLINE void store_pixel(float* out, v128_t lo, v128_t hi, size_t nc) {
  if (nc == 8) {
    wasm_v128_store(out, lo);
    wasm_v128_store(out + 4, hi);
  } else if (nc > 4) {
    wasm_v128_store(out, lo);
    simd::store_partial(out + 4, hi, nc - 4);
  } else if (nc == 4) {
    wasm_v128_store(out, lo);
  } else {
    simd::store_partial(out, lo, nc);
  }
}

// The steps of one run of n floats from r (the tile's first pixel; pixel m
// reads `step` floats further per m), weights from w: returns w past them.
// One step per iteration, 2 weight vectors for MR broadcast inputs: the peak
// loop's 6 loads : 16 mul/add (CONVSCOPE_NO_UNROLL says why rolled). P > 0
// is `step` known at compile time: the MR inputs of a step are then constant
// offsets from one pointer (wasm load offsets, which V8 folds into the x64
// address); P == 0 walks MR pointers.
template <int P>
CONVSCOPE_INLINE const float* run_steps(const float* r, size_t step, size_t n, const float* w, v128_t (&acc0)[kMR],
                                         v128_t (&acc1)[kMR]) {
  const float* p[kMR];
  CONVSCOPE_UNROLL
  for (int m = 0; m < kMR; ++m) p[m] = r + size_t(m) * step;
  const float* const end = r + n;
  CONVSCOPE_NO_UNROLL
  for (; p[0] != end; w += block_channels) {
    const float* const q = simd::opaque(p[0]);  // constant offsets from q (see opaque)
    const v128_t w0 = wasm_v128_load(w), w1 = wasm_v128_load(w + 4);
    CONVSCOPE_UNROLL
    for (int m = 0; m < kMR; ++m) {
      const v128_t x = wasm_v128_load32_splat(P > 0 ? q + m * P : p[m]);
      acc0[m] = simd::madd(x, w0, acc0[m]);
      acc1[m] = simd::madd(x, w1, acc1[m]);
    }
    ++p[0];
    if (P == 0) {
      CONVSCOPE_UNROLL
      for (int m = 1; m < kMR; ++m) ++p[m];
    }
  }
  return w;
}

// One tile: MR pixels whose windows start at float col0 of rows[ky], times
// one block of 8 filters. Always inlined into the row loop with the
// accumulators local to it: out of line with arrays by reference, clang
// kept them in memory (a load and a store per multiply-add).
template <int P>
CONVSCOPE_INLINE void tile(const RowArgs& a, const float* const* rows, size_t col0, const float* w,
                           v128_t (&out0)[kMR], v128_t (&out1)[kMR]) {
  v128_t acc0[kMR], acc1[kMR];
  const v128_t b0 = wasm_v128_load(w), b1 = wasm_v128_load(w + 4);
  CONVSCOPE_UNROLL
  for (int m = 0; m < kMR; ++m) {
    acc0[m] = b0;
    acc1[m] = b1;
  }
  w += block_channels;
  const size_t step = P > 0 ? size_t(P) : a.pixel_step;
  for (int ky = 0; ky < a.kernel_h; ++ky) {
    const float* r = rows[ky] + col0;
    for (size_t j = 0; j < a.runs; ++j, r += a.run_gap) w = run_steps<P>(r, step, a.run, w, acc0, acc1);
  }
  CONVSCOPE_UNROLL
  for (int m = 0; m < kMR; ++m) {
    out0[m] = a.relu ? simd::relu(acc0[m]) : acc0[m];
    out1[m] = a.relu ? simd::relu(acc1[m]) : acc1[m];
  }
}

// Tile t of the row: in place when its windows are inside the input.
template <int P>
CONVSCOPE_INLINE void row_tile(const RowArgs& a, size_t t, const float* w, v128_t (&out0)[kMR], v128_t (&out1)[kMR]) {
  const size_t col0 = t * kMR * a.pixel_step;
  // Two inlined tile bodies: one with the rows chosen by a select measured
  // 7% slower in V8.
  if (t >= a.tile_lo && t < a.tile_hi) {
    tile<P>(a, a.direct, col0 - a.pad_floats, w, out0, out1);
  } else {
    tile<P>(a, a.padded, col0, w, out0, out1);
  }
}

// Every pixel of one output row, block by block (a block's weights stay in
// L1 across the row).
template <int P>
void conv_row(const RowArgs& a) {
  const size_t full = a.width / kMR, rest = a.width % kMR;
  for (size_t b = 0; b < a.blocks; ++b) {
    const float* w = a.packed + b * a.block_len;
    const size_t c0 = b * block_channels, nc = std::min<size_t>(block_channels, a.f_all - c0);
    float* out = a.out + c0;
    v128_t acc0[kMR], acc1[kMR];
    for (size_t t = 0; t < full; ++t, out += kMR * a.f_all) {
      row_tile<P>(a, t, w, acc0, acc1);
      CONVSCOPE_UNROLL
      for (int m = 0; m < kMR; ++m) store_pixel(out + size_t(m) * a.f_all, acc0[m], acc1[m], nc);
    }
    if (rest > 0) {
      // The padded rows reach a whole last tile; only `rest` pixels are kept.
      row_tile<P>(a, full, w, acc0, acc1);
      float tmp[kMR * block_channels];
      CONVSCOPE_UNROLL
      for (int m = 0; m < kMR; ++m) {
        wasm_v128_store(tmp + m * block_channels, acc0[m]);
        wasm_v128_store(tmp + m * block_channels + 4, acc1[m]);
      }
      for (size_t m = 0; m < rest; ++m) std::memcpy(out + m * a.f_all, tmp + m * block_channels, nc * sizeof(float));
    }
  }
}

using RowKernel = void (*)(const RowArgs&);

// Compiled pixel steps: C = 1..3 at strides 1..4 (first layers), and the
// usual channel counts at stride 1 (a 1x1 conv's GEMM among them); any other
// walks MR pointers (3 more adds per step).
RowKernel row_kernel(size_t pixel_step) {
  switch (pixel_step) {
    case 1: return conv_row<1>;
    case 2: return conv_row<2>;
    case 3: return conv_row<3>;
    case 4: return conv_row<4>;
    case 6: return conv_row<6>;
    case 8: return conv_row<8>;
    case 9: return conv_row<9>;
    case 12: return conv_row<12>;
    case 16: return conv_row<16>;
    case 32: return conv_row<32>;
    case 64: return conv_row<64>;
    default: return conv_row<0>;
  }
}

// n floats from src to dst, a v128 at a time: Emscripten's memcpy without
// bulk memory moves 4 bytes at a time, and copying rows that way took 7% of
// the first benchmark layer's time.
void copy_floats(float* dst, const float* src, size_t n) {
  size_t i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(dst + i, wasm_v128_load(src + i));
  for (; i < n; ++i) dst[i] = src[i];
}

}  // namespace

namespace {

// Columns of a padded row: the last tile's reach, extra pixels included
// (`(kMR - 1) * stride_w` columns past the last output), in 64 bits.
int64_t padded_cols(const ConvDesc& d) {
  const int64_t tiles = (int64_t(output_shape(d).w) + kMR - 1) / kMR;
  const int64_t kw_eff = int64_t(d.kernel_w - 1) * d.dilation_w + 1;
  return (tiles * kMR - 1) * d.stride_w + kw_eff;
}

// Input rows one window spans.
int64_t window_rows(const ConvDesc& d) { return int64_t(d.kernel_h - 1) * d.dilation_h + 1; }

// Floats of the row copies conv_direct_f32_simd keeps at most (the ring of
// padded rows and the zero row): a stride far larger than the input makes
// the padded rows, and so this, huge.
int64_t direct_scratch_floats(const ConvDesc& d) {
  return (std::min<int64_t>(window_rows(d), d.input.h) + 1) * padded_cols(d) * d.input.c;
}

}  // namespace

// Groups 1 only; and not when its row copies would outgrow the tensor cap
// (absurd strides): the indirect GEMM needs no copies and takes those.
bool conv_direct_applies(const ConvDesc& d) {
  return d.kind == ConvKind::conv && d.groups == 1 && direct_scratch_floats(d) <= max_tensor_floats;
}

void conv_direct_f32_simd(const ConvDesc& d, const float* packed, std::vector<float>& scratch,
                          std::vector<const float*>& row_ptrs, const float* input, float* output) {
  const Shape4 os = output_shape(d);
  const size_t c = size_t(d.input.c), in_w = size_t(d.input.w), sw = size_t(d.stride_w);
  const size_t kw = size_t(d.kernel_w), pl = size_t(d.pad_left), dw = size_t(d.dilation_w);
  const size_t kw_eff = (kw - 1) * dw + 1;  // columns one window spans
  const size_t tiles = (size_t(os.w) + kMR - 1) / kMR;
  // Fits: conv_direct_applies() bounded the copies by the tensor cap.
  const size_t cols = size_t(padded_cols(d)), row_len = cols * c;
  // Tiles inside the input: first column >= pad_left, last < pad_left + W.
  const size_t tile_span = (kMR - 1) * sw + kw_eff;  // columns one tile reads
  size_t tile_lo = (pl + kMR * sw - 1) / (kMR * sw), tile_hi = 0;
  // (A last tile with pixels past the row's end counts too when its reads
  // stay inside the input row: the extra pixels are computed, not stored.)
  if (pl + in_w >= tile_span) tile_hi = std::min(tiles, (pl + in_w - tile_span) / (kMR * sw) + 1);
  if (tile_hi < tile_lo) tile_hi = tile_lo;
  // Padded columns border tiles read: [0, left_end) and [right_begin, cols).
  const size_t left_end = tile_lo > 0 ? std::min(cols, (tile_lo - 1) * kMR * sw + tile_span) : 0;
  const size_t right_begin = tile_hi < tiles ? tile_hi * kMR * sw : cols;
  const bool any_border = left_end > 0 || right_begin < cols;

  // A window's rows are `span` consecutive input rows at most, so a ring of
  // min(span, H) slots keyed by iy % slots never sends two of them to one
  // slot (with H slots each row has its own).
  // int is enough here and for iy below: validate() keeps kernel, stride,
  // dilation and padding <= max_window_param and requires an output, so a
  // window spans at most the padded input (< 2^25 rows).
  const int span = int(window_rows(d));
  const int slots = any_border ? std::min(span, d.input.h) : 0;
  // The slots, then a zero row (read in place of rows of padding by either
  // kind of tile: direct indices stay below cols too).
  scratch.assign((size_t(slots) + 1) * row_len, 0.0f);
  const float* zero_row = scratch.data() + size_t(slots) * row_len;
  std::vector<int> held(size_t(slots), -1);  // the input row each slot holds
  row_ptrs.resize(2 * size_t(d.kernel_h));
  const float** padded_rows = row_ptrs.data();
  const float** direct_rows = row_ptrs.data() + d.kernel_h;
  // Input columns a slot receives: those inside [0, left_end) or [right_begin, cols).
  const auto copy_range = [&](float* slot, const float* src, size_t begin, size_t end) {
    const size_t lo = std::max(begin, pl), hi = std::min(end, pl + in_w);
    if (lo < hi) copy_floats(slot + lo * c, src + (lo - pl) * c, (hi - lo) * c);
  };

  RowArgs a;
  a.padded = padded_rows;
  a.direct = direct_rows;
  a.kernel_h = d.kernel_h;
  // Without dilation a kernel row is one run of kernel_w * C floats.
  a.runs = dw == 1 ? 1 : kw;
  a.run = dw == 1 ? kw * c : c;
  a.run_gap = dw * c;
  a.pixel_step = sw * c;
  a.tile_lo = tile_lo;
  a.tile_hi = tile_hi;
  a.pad_floats = pl * c;
  a.packed = packed;
  a.blocks = (size_t(os.c) + block_channels - 1) / block_channels;
  a.block_len = conv_block_len(d);
  a.f_all = size_t(os.c);
  a.width = size_t(os.w);
  a.relu = d.relu;
  const RowKernel kernel = row_kernel(sw * c);
  for (int n = 0; n < d.input.n; ++n) {
    const float* img = input + size_t(n) * size_t(d.input.h) * in_w * c;
    std::fill(held.begin(), held.end(), -1);
    for (int oy = 0; oy < os.h; ++oy) {
      for (int ky = 0; ky < d.kernel_h; ++ky) {
        const int iy = oy * d.stride_h - d.pad_top + ky * d.dilation_h;
        if (iy < 0 || iy >= d.input.h) {
          padded_rows[ky] = direct_rows[ky] = zero_row;
          continue;
        }
        const float* src = img + size_t(iy) * in_w * c;
        direct_rows[ky] = src;
        if (!any_border) continue;
        const size_t s = size_t(iy % slots);
        float* slot = scratch.data() + s * row_len;
        if (held[s] != iy) {
          // The zeros around the copied columns never change.
          copy_range(slot, src, 0, left_end);
          copy_range(slot, src, std::max(left_end, right_begin), cols);
          held[s] = iy;
        }
        padded_rows[ky] = slot;
      }
      a.out = output + (size_t(n) * size_t(os.h) + size_t(oy)) * size_t(os.w) * size_t(os.c);
      kernel(a);
    }
  }
}

}  // namespace convscope::kernels
