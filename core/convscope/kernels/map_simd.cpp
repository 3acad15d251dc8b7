// map_ops.hpp's passes over a whole map, compiled as the kernels are (-O3,
// SIMD128): at the page's -Oz the compiler vectorised neither loop, and the
// thumbnail took longer than the average-pooling kernel plus a JS colour
// pass it replaced.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "convscope/kernels/map_ops.hpp"
#include "convscope/kernels/simd128.hpp"

namespace convscope::kernels {

void relu_f32(const float* x, float* y, size_t n) {
  // On the bits, without a branch (the sign of conv outputs is a coin toss):
  // the mask is set for every value with the sign bit set (negatives, -0,
  // negative NaNs) and every bit pattern above +Infinity's (positive NaNs),
  // and those become +0.
  const v128_t inf_bits = wasm_i32x4_splat(0x7f800000);
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const v128_t v = wasm_v128_load(x + i);
    const v128_t drop = wasm_v128_or(wasm_i32x4_shr(v, 31), wasm_i32x4_shr(wasm_i32x4_sub(inf_bits, v), 31));
    wasm_v128_store(y + i, wasm_v128_andnot(v, drop));
  }
  for (; i < n; ++i) {
    // The same test in unsigned arithmetic (wrapping, as i32x4_sub does).
    uint32_t v;
    std::memcpy(&v, x + i, sizeof v);
    const uint32_t r = ((v >> 31) | ((0x7f800000u - v) >> 31)) != 0 ? 0u : v;
    std::memcpy(y + i, &r, sizeof r);
  }
}

namespace {

// One thumbnail cell over channels [0, 4G) of the pixels at src (rows x
// count pixels, C floats apart in a row, row_stride between rows): the sums
// in G registers (in the order the pixels lie, as a running sum over the
// map would add them), scaled by `inv`, stored once, and folded into the
// channels' ranges (pmin/pmax: a NaN cell leaves the range as it is, like
// `if (v < lo) lo = v`).
template <int G>
CONVSCOPE_INLINE void average_cell(const float* __restrict src, size_t row_stride, int rows, int count, size_t C,
                                   float inv, float* __restrict cell, float* __restrict lo, float* __restrict hi) {
  v128_t acc[G];
  for (int g = 0; g < G; ++g) acc[g] = wasm_f32x4_splat(0.0f);
  for (int dy = 0; dy < rows; ++dy) {
    const float* p = src + size_t(dy) * row_stride;
    for (int dx = 0; dx < count; ++dx, p += C)
      for (int g = 0; g < G; ++g) acc[g] = wasm_f32x4_add(acc[g], wasm_v128_load(p + 4 * g));
  }
  const v128_t scale = wasm_f32x4_splat(inv);
  for (int g = 0; g < G; ++g) {
    const v128_t v = wasm_f32x4_mul(acc[g], scale);
    wasm_v128_store(cell + 4 * g, v);
    wasm_v128_store(lo + 4 * g, wasm_f32x4_pmin(wasm_v128_load(lo + 4 * g), v));
    wasm_v128_store(hi + 4 * g, wasm_f32x4_pmax(wasm_v128_load(hi + 4 * g), v));
  }
}

// The same for channels [0, n), n < 4, one at a time.
CONVSCOPE_INLINE void average_cell_tail(const float* src, size_t row_stride, int rows, int count, size_t C, float inv,
                                        float* cell, float* lo, float* hi, int n) {
  for (int c = 0; c < n; ++c) {
    float acc = 0.0f;
    for (int dy = 0; dy < rows; ++dy)
      for (int dx = 0; dx < count; ++dx) acc += src[size_t(dy) * row_stride + size_t(dx) * C + size_t(c)];
    const float v = acc * inv;
    cell[c] = v;
    if (v < lo[c]) lo[c] = v;  // NaN compares false: skipped
    if (v > hi[c]) hi[c] = v;
  }
}

}  // namespace

void thumbnail_rgba(const ThumbnailDesc& d, const float* map, const uint32_t lut[256], float* cells, float* lo,
                    float* hi, uint32_t* rgba) {
  const int th = thumbnail_rows(d), tw = thumbnail_cols(d), f = d.factor, shown = d.shown;
  const size_t C = size_t(d.c), n = size_t(th) * size_t(tw);
  const float inf = std::numeric_limits<float>::infinity();
  std::fill(lo, lo + shown, inf);
  std::fill(hi, hi + shown, -inf);
  if (f == 1) {
    for (size_t p = 0; p < n; ++p) std::memcpy(cells + p * shown, map + p * C, size_t(shown) * sizeof(float));
    for (size_t p = 0; p < n; ++p) {
      const float* cell = cells + p * size_t(shown);
      for (int c = 0; c < shown; ++c) {
        const float v = cell[c];
        if (v < lo[c]) lo[c] = v;  // NaN compares false: skipped
        if (v > hi[c]) hi[c] = v;
      }
    }
  } else {
    // Cell by cell, its box summed in registers 16 channels at a time (one
    // store per cell, its range folded in on the way): the map is read
    // once, and no running sums go back and forth through memory.
    const size_t row_stride = size_t(d.w) * C;
    for (int ty = 0; ty < th; ++ty) {
      const int y0 = ty * f, rows = std::min(d.h, y0 + f) - y0;
      for (int tx = 0; tx < tw; ++tx) {
        const int x0 = tx * f, count = std::min(d.w, x0 + f) - x0;
        const float inv = 1.0f / float(rows * count);
        const float* src = map + size_t(y0) * row_stride + size_t(x0) * C;
        float* cell = cells + (size_t(ty) * size_t(tw) + size_t(tx)) * size_t(shown);
        int c = 0;
        for (; c + 16 <= shown; c += 16) average_cell<4>(src + c, row_stride, rows, count, C, inv, cell + c, lo + c, hi + c);
        switch ((shown - c) / 4) {
          case 3: average_cell<3>(src + c, row_stride, rows, count, C, inv, cell + c, lo + c, hi + c); c += 12; break;
          case 2: average_cell<2>(src + c, row_stride, rows, count, C, inv, cell + c, lo + c, hi + c); c += 8; break;
          case 1: average_cell<1>(src + c, row_stride, rows, count, C, inv, cell + c, lo + c, hi + c); c += 4; break;
          default: break;
        }
        if (c < shown) average_cell_tail(src + c, row_stride, rows, count, C, inv, cell + c, lo + c, hi + c, shown - c);
      }
    }
  }
  if (d.h * d.w == 1) {
    const float a = *std::min_element(lo, lo + shown), b = *std::max_element(hi, hi + shown);
    std::fill(lo, lo + shown, a);
    std::fill(hi, hi + shown, b);
  }
  for (int c = 0; c < shown; ++c) {
    const double range = double(hi[c]) - double(lo[c]);
    const double scale = range > 0 && std::isfinite(range) ? 255.0 / range : 0.0;
    const double base = lo[c];
    uint32_t* plane = rgba + size_t(c) * n;
    for (size_t p = 0; p < n; ++p) {
      const double t = (double(cells[p * size_t(shown) + size_t(c)]) - base) * scale;
      // NaN fails both tests: index 0.
      plane[p] = lut[t >= 255.0 ? 255 : t > 0.0 ? int(t) : 0];
    }
  }
}

}  // namespace convscope::kernels
