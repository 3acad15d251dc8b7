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

// cell[0..n) += the sum of the `count` pixels from v (`stride` floats
// apart) over channels [0, n): four channels at a time, the pixels summed in
// a register before the one store.
CONVSCOPE_INLINE void add_pixels(float* __restrict cell, const float* __restrict v, int count, size_t stride, int n) {
  int c = 0;
  for (; c + 4 <= n; c += 4) {
    v128_t acc = wasm_v128_load(cell + c);
    for (int x = 0; x < count; ++x) acc = wasm_f32x4_add(acc, wasm_v128_load(v + size_t(x) * stride + size_t(c)));
    wasm_v128_store(cell + c, acc);
  }
  for (; c < n; ++c) {
    float acc = cell[c];
    for (int x = 0; x < count; ++x) acc += v[size_t(x) * stride + size_t(c)];
    cell[c] = acc;
  }
}

}  // namespace

void thumbnail_rgba(const ThumbnailDesc& d, const float* map, const uint32_t lut[256], float* cells, float* lo,
                    float* hi, uint32_t* rgba) {
  const int th = thumbnail_rows(d), tw = thumbnail_cols(d), f = d.factor, shown = d.shown;
  const size_t C = size_t(d.c), n = size_t(th) * size_t(tw);
  if (f == 1) {
    for (size_t p = 0; p < n; ++p) std::memcpy(cells + p * shown, map + p * C, size_t(shown) * sizeof(float));
  } else {
    // Row by row of the map, each value added once into its cell (four
    // channels at a time, a cell's pixels of the row summed in registers),
    // then every cell scaled by its own count.
    std::fill(cells, cells + n * size_t(shown), 0.0f);
    for (int y = 0; y < d.h; ++y) {
      float* row = cells + size_t(y / f) * size_t(tw) * size_t(shown);
      const float* src = map + size_t(y) * size_t(d.w) * C;
      for (int tx = 0; tx < tw; ++tx) {
        const int x0 = tx * f, count = std::min(d.w, x0 + f) - x0;
        add_pixels(row + size_t(tx) * size_t(shown), src + size_t(x0) * C, count, C, shown);
      }
    }
    for (int ty = 0; ty < th; ++ty) {
      const int rows = std::min(d.h, (ty + 1) * f) - ty * f;
      for (int tx = 0; tx < tw; ++tx) {
        const float inv = 1.0f / float(rows * (std::min(d.w, (tx + 1) * f) - tx * f));
        float* cell = cells + (size_t(ty) * size_t(tw) + size_t(tx)) * size_t(shown);
        for (int c = 0; c < shown; ++c) cell[c] *= inv;
      }
    }
  }
  const float inf = std::numeric_limits<float>::infinity();
  std::fill(lo, lo + shown, inf);
  std::fill(hi, hi + shown, -inf);
  for (size_t p = 0; p < n; ++p) {
    const float* cell = cells + p * size_t(shown);
    for (int c = 0; c < shown; ++c) {
      const float v = cell[c];
      if (v < lo[c]) lo[c] = v;  // NaN compares false: skipped
      if (v > hi[c]) hi[c] = v;
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
