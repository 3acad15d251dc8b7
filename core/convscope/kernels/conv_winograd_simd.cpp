// 3x3 stride-1 convs with groups 1 as Winograd's minimal filtering
// F(2x2, 3x3) (Lavin & Gray, "Fast Algorithms for Convolutional Neural
// Networks", 2016): each 2x2 block of outputs ("tile") is computed from the
// 4x4 input patch under it as Y = A^T [(G g G^T) . (B^T d B)] A, 16
// elementwise products per input and output channel pair instead of the
// direct convolution's 36: a GEMM of C x F per point of the 4x4 transform
// domain, plus transforms that only add and subtract.
//
// Why here: 3x3 stride-1 convs are most of a typical network's
// multiply-adds (the previews' default network: all but its first layer),
// and with C and F >= 8 the transforms cost a few percent of the GEMMs.
// F(2x2) and not F(4x4): its transforms have coefficients 0, +-1 and 1/2
// only, so its results stay within a few float32 roundings of the direct
// sum (F(4x4)'s coefficients up to 5 and 8 lose about two more digits).
//
// A tile row's tiles go in chunks of up to kTiles: the chunk's input
// transform V = B^T d B ([16 points][tiles][C]), then per point a GEMM
// M = V U ([16][tiles][F], U packed by pack_winograd), then the output
// transform Y = A^T M A plus bias (and ReLU) into the output. A tile's
// result depends only on the tile's own 4x4 patch and its position in the
// output (tiles start at even rows and columns), so a band of output rows
// that starts at an even row computes exactly the whole conv's values.
#include <algorithm>
#include <cstring>

#include "convscope/kernels/pack.hpp"
#include "convscope/kernels/simd.hpp"
#include "convscope/kernels/simd128.hpp"

namespace convscope::kernels {

namespace {

constexpr int kPoints = 16;  // the 4x4 transform domain
constexpr int kMR = 4;       // tiles per GEMM register tile (x 8 channels: 8 v128 accumulators)
constexpr int kTiles = 32;   // tiles per chunk: V and M of a chunk stay in L2 (C, F <= 64: 128 KB each)
constexpr size_t kSkew = 16;

size_t round_up(size_t n, size_t to) { return (n + to - 1) / to * to; }

// Input channels in V, padded to whole vectors (the padding lanes stay 0).
size_t v_channels(const ConvDesc& d) { return round_up(size_t(d.input.c), 4); }
// Output channels in U and M: whole blocks of 8.
size_t m_channels(const ConvDesc& d) { return round_up(size_t(d.filters), block_channels); }

// B^T x over four values (rows, then columns of the patch).
CONVSCOPE_INLINE void input_1d(v128_t& a, v128_t& b, v128_t& c, v128_t& e) {
  const v128_t t0 = wasm_f32x4_sub(a, c), t1 = wasm_f32x4_add(b, c), t2 = wasm_f32x4_sub(c, b),
               t3 = wasm_f32x4_sub(b, e);
  a = t0;
  b = t1;
  c = t2;
  e = t3;
}

// V of one tile: d[r][s] is the input pixel src[r * 4 + s] (a zero pixel
// outside the input), all CV channels, 4 at a time (the last vector partial
// when C is not a multiple of 4: zeros above C).
CONVSCOPE_INLINE void input_transform(const float* const (&src)[16], size_t C, float* v, size_t point_stride) {
  for (size_t c = 0; c < C; c += 4) {
    const size_t nc = C - c < 4 ? C - c : 4;
    v128_t x[4][4];
    CONVSCOPE_UNROLL
    for (int r = 0; r < 4; ++r)
      CONVSCOPE_UNROLL
      for (int s = 0; s < 4; ++s) x[r][s] = nc == 4 ? wasm_v128_load(src[r * 4 + s] + c) : simd::load_partial(src[r * 4 + s] + c, nc);
    CONVSCOPE_UNROLL
    for (int s = 0; s < 4; ++s) input_1d(x[0][s], x[1][s], x[2][s], x[3][s]);
    CONVSCOPE_UNROLL
    for (int r = 0; r < 4; ++r) input_1d(x[r][0], x[r][1], x[r][2], x[r][3]);
    CONVSCOPE_UNROLL
    for (int r = 0; r < 4; ++r)
      CONVSCOPE_UNROLL
      for (int s = 0; s < 4; ++s) wasm_v128_store(v + size_t(r * 4 + s) * point_stride + c, x[r][s]);
  }
}

// M[t .. t + kMR)[8 channels] = V[t .. t + kMR)[0 .. C) . U[0 .. C)[8] for one
// point: the direct kernel's register tile (one step per iteration, see
// CONVSCOPE_NO_UNROLL), 8 accumulators, 2 weight vectors, 1 broadcast.
// S > 0: v_stride known at compile time, so the kMR broadcasts are constant
// offsets from one pointer (see conv_direct_simd.cpp's run_steps).
template <int S>
CONVSCOPE_INLINE void gemm_tile(const float* v, size_t v_stride, const float* u, size_t c_count, float* m,
                                size_t m_stride) {
  v128_t acc0[kMR], acc1[kMR];
  CONVSCOPE_UNROLL
  for (int t = 0; t < kMR; ++t) acc0[t] = acc1[t] = wasm_f32x4_splat(0.0f);
  const float* const end = v + c_count;
  CONVSCOPE_NO_UNROLL
  for (; v != end; ++v, u += block_channels) {
    const float* const q = simd::opaque(v);
    const v128_t w0 = wasm_v128_load(u), w1 = wasm_v128_load(u + 4);
    CONVSCOPE_UNROLL
    for (int t = 0; t < kMR; ++t) {
      const v128_t x = wasm_v128_load32_splat(S > 0 ? q + t * S : q + size_t(t) * v_stride);
      acc0[t] = simd::madd(x, w0, acc0[t]);
      acc1[t] = simd::madd(x, w1, acc1[t]);
    }
  }
  CONVSCOPE_UNROLL
  for (int t = 0; t < kMR; ++t) {
    wasm_v128_store(m + size_t(t) * m_stride, acc0[t]);
    wasm_v128_store(m + size_t(t) * m_stride + 4, acc1[t]);
  }
}

// The chunk's 16 GEMMs: every point, block of 8 filters and group of kMR tiles.
template <int S>
void gemm_chunk(const float* V, size_t v_point, const float* U, size_t C, size_t CV, float* M, size_t m_point,
                size_t F8, size_t blocks, int tiles) {
  for (int p = 0; p < kPoints; ++p)
    for (size_t b = 0; b < blocks; ++b) {
      const float* u = U + (size_t(p) * blocks + b) * C * block_channels;
      for (int t = 0; t < tiles; t += kMR) {
        gemm_tile<S>(V + size_t(p) * v_point + size_t(t) * CV, CV, u, C,
                     M + size_t(p) * m_point + size_t(t) * F8 + b * block_channels, F8);
      }
    }
}

// A^T x over four values: the two outputs.
CONVSCOPE_INLINE void output_1d(v128_t a, v128_t b, v128_t c, v128_t e, v128_t& y0, v128_t& y1) {
  y0 = wasm_f32x4_add(wasm_f32x4_add(a, b), c);
  y1 = wasm_f32x4_sub(wasm_f32x4_sub(b, c), e);
}

// Y of one tile for 4 channels from M, plus bias (and ReLU), stored where
// the output has the cells (a tile at the bottom or right edge may have 1).
CONVSCOPE_INLINE void output_transform(const float* m, size_t point_stride, v128_t bias, bool relu, float* out,
                                       size_t row_floats, size_t pixel_floats, int rows, int cols, size_t nc) {
  v128_t s[2][4];
  CONVSCOPE_UNROLL
  for (int j = 0; j < 4; ++j) {
    output_1d(wasm_v128_load(m + size_t(0 * 4 + j) * point_stride), wasm_v128_load(m + size_t(1 * 4 + j) * point_stride),
              wasm_v128_load(m + size_t(2 * 4 + j) * point_stride), wasm_v128_load(m + size_t(3 * 4 + j) * point_stride),
              s[0][j], s[1][j]);
  }
  const v128_t zero = wasm_f32x4_splat(0.0f);
  for (int i = 0; i < rows; ++i) {
    v128_t y[2];
    output_1d(s[i][0], s[i][1], s[i][2], s[i][3], y[0], y[1]);
    for (int j = 0; j < cols; ++j) {
      v128_t r = wasm_f32x4_add(y[j], bias);
      if (relu) r = wasm_f32x4_max(r, zero);
      float* p = out + size_t(i) * row_floats + size_t(j) * pixel_floats;
      if (nc == 4) wasm_v128_store(p, r); else simd::store_partial(p, r, nc);
    }
  }
}

}  // namespace

bool conv_winograd_applies(const ConvDesc& d) {
  // The transforms cost per input channel (input) and per filter (output),
  // the GEMMs per pair: it pays once C * F / (C + F) >= 8. Measured in
  // Chromium's V8 and Node 20 at 256x256 (2026-12-05, FMA build): C=F=16
  // 1.18x the direct kernel, 16 -> 32 1.38x, 32 -> 32 1.59x, 64 -> 64
  // 1.85x; 8 -> 16 0.89x and 8 -> 8 0.79x (not taken).
  const long c = d.input.c, f = d.filters;
  return d.kind == ConvKind::conv && d.groups == 1 && d.kernel_h == 3 && d.kernel_w == 3 && d.stride_h == 1 &&
         d.stride_w == 1 && d.dilation_h == 1 && d.dilation_w == 1 && c * f >= 8 * (c + f);
}

size_t winograd_packed_len(const ConvDesc& d) {
  return m_channels(d) + size_t(kPoints) * size_t(d.input.c) * m_channels(d);
}

std::vector<float> pack_winograd(const ConvDesc& d, const float* weights, const float* bias) {
  // [bias F8][point 16][block F8 / 8][c][8], U = G g G^T in double, rounded once.
  const size_t C = size_t(d.input.c), F = size_t(d.filters), F8 = m_channels(d);
  std::vector<float> packed(winograd_packed_len(d), 0.0f);
  for (size_t f = 0; f < F; ++f) packed[f] = bias ? bias[f] : 0.0f;
  static const double G[4][3] = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};
  for (size_t c = 0; c < C; ++c)
    for (size_t f = 0; f < F; ++f) {
      double g[3][3], gg[4][3];
      for (int r = 0; r < 3; ++r)
        for (int s = 0; s < 3; ++s) g[r][s] = weights[((size_t(r) * 3 + size_t(s)) * C + c) * F + f];
      for (int i = 0; i < 4; ++i)
        for (int s = 0; s < 3; ++s) gg[i][s] = G[i][0] * g[0][s] + G[i][1] * g[1][s] + G[i][2] * g[2][s];
      for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 4; ++j) {
          const double u = gg[i][0] * G[j][0] + gg[i][1] * G[j][1] + gg[i][2] * G[j][2];
          const size_t point = size_t(i * 4 + j), block = f / block_channels;
          packed[F8 + ((point * (F8 / block_channels) + block) * C + c) * block_channels + f % block_channels] = float(u);
        }
    }
  return packed;
}

void conv_winograd_f32_simd(const ConvDesc& d, const float* packed, std::vector<float>& scratch, const float* input,
                            float* output) {
  const Shape4 out = output_shape(d);
  const size_t C = size_t(d.input.c), F = size_t(d.filters), CV = v_channels(d), F8 = m_channels(d);
  const size_t blocks = F8 / block_channels;
  // V: [16][kTiles][CV]; M: [16][kTiles][F8]. Tiles past a chunk's last read
  // V's zeros (kept zero: only the chunk's tiles are written) and are not stored.
  // The points' rows are kSkew floats longer than their data: 16 loads or
  // stores a whole point apart would otherwise all be a multiple of 4 KB
  // apart, and the CPU's store-to-load check (4K aliasing) stalls on them.
  const size_t v_point = size_t(kTiles) * CV + kSkew, m_point = size_t(kTiles) * F8 + kSkew;
  const size_t needed = kPoints * (v_point + m_point) + CV;
  if (scratch.size() != needed) scratch.assign(needed, 0.0f);
  float* const V = scratch.data();
  float* const M = V + kPoints * v_point;
  const float* const zero = M + kPoints * m_point;  // one pixel of zeros: padding
  const float* const U = packed + F8;
  const int tiles_h = (out.h + 1) / 2, tiles_w = (out.w + 1) / 2;
  const size_t row_floats = size_t(out.w) * F;
  for (int n = 0; n < d.input.n; ++n) {
    const float* image = input + size_t(n) * size_t(d.input.h) * size_t(d.input.w) * C;
    float* out_image = output + size_t(n) * size_t(out.h) * row_floats;
    for (int ty = 0; ty < tiles_h; ++ty) {
      for (int tx0 = 0; tx0 < tiles_w; tx0 += kTiles) {
        const int count = std::min(kTiles, tiles_w - tx0);
        const int padded = (count + kMR - 1) / kMR * kMR;
        if (padded != count) {  // the register tile's extra tiles: zeros in, results ignored
          for (int p = 0; p < kPoints; ++p)
            std::fill(V + size_t(p) * v_point + size_t(count) * CV, V + size_t(p) * v_point + size_t(padded) * CV, 0.0f);
        }
        for (int t = 0; t < count; ++t) {
          const int iy0 = 2 * ty - d.pad_top, ix0 = 2 * (tx0 + t) - d.pad_left;
          const float* src[16];
          for (int r = 0; r < 4; ++r)
            for (int s = 0; s < 4; ++s) {
              const int iy = iy0 + r, ix = ix0 + s;
              const bool inside = iy >= 0 && iy < d.input.h && ix >= 0 && ix < d.input.w;
              src[r * 4 + s] = inside ? image + (size_t(iy) * size_t(d.input.w) + size_t(ix)) * C : zero;
            }
          input_transform(src, C, V + size_t(t) * CV, v_point);
        }
        switch (CV) {
          case 8: gemm_chunk<8>(V, v_point, U, C, CV, M, m_point, F8, blocks, padded); break;
          case 16: gemm_chunk<16>(V, v_point, U, C, CV, M, m_point, F8, blocks, padded); break;
          case 32: gemm_chunk<32>(V, v_point, U, C, CV, M, m_point, F8, blocks, padded); break;
          case 64: gemm_chunk<64>(V, v_point, U, C, CV, M, m_point, F8, blocks, padded); break;
          default: gemm_chunk<0>(V, v_point, U, C, CV, M, m_point, F8, blocks, padded); break;
        }
        for (int t = 0; t < count; ++t) {
          const int oy = 2 * ty, ox = 2 * (tx0 + t);
          const int rows = std::min(2, out.h - oy), cols = std::min(2, out.w - ox);
          float* o = out_image + size_t(oy) * row_floats + size_t(ox) * F;
          for (size_t f = 0; f < F; f += 4) {
            const size_t nc = std::min<size_t>(4, F - f);
            output_transform(M + size_t(t) * F8 + f, m_point, wasm_v128_load(packed + f), d.relu, o + f, row_floats, F,
                             rows, cols, nc);
          }
        }
      }
    }
  }
}

}  // namespace convscope::kernels
