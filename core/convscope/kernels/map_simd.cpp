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

namespace {

// On the bits, without a branch (the sign of conv outputs is a coin toss):
// the mask is set for every value with the sign bit set (negatives, -0,
// negative NaNs) and every bit pattern above +Infinity's (positive NaNs),
// and those become +0.
CONVSCOPE_INLINE v128_t relu_bits(v128_t v) {
  const v128_t inf_bits = wasm_i32x4_splat(0x7f800000);
  const v128_t drop = wasm_v128_or(wasm_i32x4_shr(v, 31), wasm_i32x4_shr(wasm_i32x4_sub(inf_bits, v), 31));
  return wasm_v128_andnot(v, drop);
}

// The same test in unsigned arithmetic (wrapping, as i32x4_sub does).
CONVSCOPE_INLINE float relu_bits(float x) {
  uint32_t v;
  std::memcpy(&v, &x, sizeof v);
  const uint32_t r = ((v >> 31) | ((0x7f800000u - v) >> 31)) != 0 ? 0u : v;
  float y;
  std::memcpy(&y, &r, sizeof y);
  return y;
}

}  // namespace

void relu_f32(const float* x, float* y, size_t n) {
  size_t i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(y + i, relu_bits(wasm_v128_load(x + i)));
  for (; i < n; ++i) y[i] = relu_bits(x[i]);
}

namespace {

// A cell's G sums of 4 channels: scaled by `inv`, stored once, and folded
// into the channels' ranges (pmin/pmax: a NaN cell leaves the range as it
// is, like `if (v < lo) lo = v`).
template <int G>
CONVSCOPE_INLINE void store_cell(const v128_t* acc, float inv, float* __restrict cell, float* __restrict lo,
                                 float* __restrict hi) {
  const v128_t scale = wasm_f32x4_splat(inv);
  for (int g = 0; g < G; ++g) {
    const v128_t v = wasm_f32x4_mul(acc[g], scale);
    wasm_v128_store(cell + 4 * g, v);
    wasm_v128_store(lo + 4 * g, wasm_f32x4_pmin(wasm_v128_load(lo + 4 * g), v));
    wasm_v128_store(hi + 4 * g, wasm_f32x4_pmax(wasm_v128_load(hi + 4 * g), v));
  }
}

CONVSCOPE_INLINE void store_cell_tail(const float* acc, float inv, float* cell, float* lo, float* hi, int n) {
  for (int c = 0; c < n; ++c) {
    const float v = acc[c] * inv;
    cell[c] = v;
    if (v < lo[c]) lo[c] = v;  // NaN compares false: skipped
    if (v > hi[c]) hi[c] = v;
  }
}

// Where a cell's pixels lie: `rows` rows of `count` pixels from `offset`
// (in floats), C floats apart in a row, `row_stride` between rows.
struct CellSpan {
  size_t offset, row_stride, C;
  int rows, count;
  float inv;  // 1 / (rows * count)
};

// One cell over channels [0, 4G) of map + c: summed in G registers in the
// order the pixels lie (as a running sum over the map adds them).
template <int G>
CONVSCOPE_INLINE void average_cell(const CellSpan& s, const float* __restrict map, float* __restrict cell,
                                   float* __restrict lo, float* __restrict hi) {
  v128_t acc[G];
  for (int g = 0; g < G; ++g) acc[g] = wasm_f32x4_splat(0.0f);
  for (int dy = 0; dy < s.rows; ++dy) {
    const float* p = map + s.offset + size_t(dy) * s.row_stride;
    for (int dx = 0; dx < s.count; ++dx, p += s.C)
      for (int g = 0; g < G; ++g) acc[g] = wasm_f32x4_add(acc[g], wasm_v128_load(p + 4 * g));
  }
  store_cell<G>(acc, s.inv, cell, lo, hi);
}

// The same, and y = ReLU(x) on those channels, with the cell of y too.
template <int G>
CONVSCOPE_INLINE void relu_average_cell(const CellSpan& s, const float* __restrict x, float* __restrict y,
                                        float* __restrict x_cell, float* __restrict x_lo, float* __restrict x_hi,
                                        float* __restrict y_cell, float* __restrict y_lo, float* __restrict y_hi) {
  v128_t ax[G], ay[G];
  for (int g = 0; g < G; ++g) ax[g] = ay[g] = wasm_f32x4_splat(0.0f);
  for (int dy = 0; dy < s.rows; ++dy) {
    const size_t row = s.offset + size_t(dy) * s.row_stride;
    const float* p = x + row;
    float* q = y + row;
    for (int dx = 0; dx < s.count; ++dx, p += s.C, q += s.C) {
      for (int g = 0; g < G; ++g) {
        const v128_t v = wasm_v128_load(p + 4 * g);
        const v128_t r = relu_bits(v);
        wasm_v128_store(q + 4 * g, r);
        ax[g] = wasm_f32x4_add(ax[g], v);
        ay[g] = wasm_f32x4_add(ay[g], r);
      }
    }
  }
  store_cell<G>(ax, s.inv, x_cell, x_lo, x_hi);
  store_cell<G>(ay, s.inv, y_cell, y_lo, y_hi);
}

// Channels [0, n), n < 4, one at a time; y null: no ReLU.
void average_cell_tail(const CellSpan& s, const float* x, float* y, float* x_cell, float* x_lo, float* x_hi,
                       float* y_cell, float* y_lo, float* y_hi, int n) {
  float ax[4] = {}, ay[4] = {};
  for (int dy = 0; dy < s.rows; ++dy) {
    for (int dx = 0; dx < s.count; ++dx) {
      const size_t at = s.offset + size_t(dy) * s.row_stride + size_t(dx) * s.C;
      for (int c = 0; c < n; ++c) {
        ax[c] += x[at + size_t(c)];
        if (y) ay[c] += y[at + size_t(c)] = relu_bits(x[at + size_t(c)]);
      }
    }
  }
  store_cell_tail(ax, s.inv, x_cell, x_lo, x_hi, n);
  if (y) store_cell_tail(ay, s.inv, y_cell, y_lo, y_hi, n);
}

// y = ReLU(x) on channels [c0, C) of the cell's pixels (not in the thumbnail).
void relu_cell_rest(const CellSpan& s, const float* x, float* y, size_t c0) {
  for (int dy = 0; dy < s.rows; ++dy) {
    for (int dx = 0; dx < s.count; ++dx) {
      const size_t at = s.offset + size_t(dy) * s.row_stride + size_t(dx) * s.C;
      size_t c = c0;
      for (; c + 4 <= s.C; c += 4) wasm_v128_store(y + at + c, relu_bits(wasm_v128_load(x + at + c)));
      for (; c < s.C; ++c) y[at + c] = relu_bits(x[at + c]);
    }
  }
}

// A cell of `shown` channels folded into the ranges.
void store_cell_tail_range(const float* cell, float* lo, float* hi, int shown) {
  for (int c = 0; c < shown; ++c) {
    const float v = cell[c];
    if (v < lo[c]) lo[c] = v;  // NaN compares false: skipped
    if (v > hi[c]) hi[c] = v;
  }
}

void reset_ranges(float* lo, float* hi, int shown) {
  std::fill(lo, lo + shown, std::numeric_limits<float>::infinity());
  std::fill(hi, hi + shown, -std::numeric_limits<float>::infinity());
}

// Every cell of a factor > 1 thumbnail, 16 channels at a time, then 12, 8
// or 4, then one at a time: `visit(span, c, G)` with G = 0 for the last
// n = shown - c < 4 channels.
template <class Visit>
void for_each_cell(const ThumbnailDesc& d, Visit visit) {
  const int th = thumbnail_rows(d), tw = thumbnail_cols(d), f = d.factor, shown = d.shown;
  const size_t C = size_t(d.c), row_stride = size_t(d.w) * C;
  for (int ty = 0; ty < th; ++ty) {
    const int y0 = ty * f, rows = std::min(d.h, y0 + f) - y0;
    for (int tx = 0; tx < tw; ++tx) {
      const int x0 = tx * f, count = std::min(d.w, x0 + f) - x0;
      const CellSpan span{size_t(y0) * row_stride + size_t(x0) * C, row_stride, C, rows, count,
                          1.0f / float(rows * count)};
      const size_t cell = (size_t(ty) * size_t(tw) + size_t(tx)) * size_t(shown);
      int c = 0;
      for (; c + 16 <= shown; c += 16) visit(span, cell, c, 4);
      const int groups = (shown - c) / 4;
      if (groups) visit(span, cell, c, groups);
      c += 4 * groups;
      if (c < shown) visit(span, cell, c, 0);
    }
  }
}

}  // namespace

void thumbnail_cells_one_pass(const ThumbnailDesc& d, const float* map, float* cells, float* lo, float* hi) {
  const int shown = d.shown;
  const size_t C = size_t(d.c), n = size_t(thumbnail_rows(d)) * size_t(thumbnail_cols(d));
  reset_ranges(lo, hi, shown);
  if (d.factor == 1) {
    for (size_t p = 0; p < n; ++p) std::memcpy(cells + p * shown, map + p * C, size_t(shown) * sizeof(float));
    for (size_t p = 0; p < n; ++p) store_cell_tail_range(cells + p * size_t(shown), lo, hi, shown);
    return;
  }
  // Cell by cell, its box summed in registers (one store per cell, its range
  // folded in on the way): the map is read once, and no running sums go
  // back and forth through memory.
  for_each_cell(d, [&](const CellSpan& s, size_t cell, int c, int groups) {
    float* out = cells + cell + size_t(c);
    switch (groups) {
      case 4: average_cell<4>(s, map + c, out, lo + c, hi + c); break;
      case 3: average_cell<3>(s, map + c, out, lo + c, hi + c); break;
      case 2: average_cell<2>(s, map + c, out, lo + c, hi + c); break;
      case 1: average_cell<1>(s, map + c, out, lo + c, hi + c); break;
      default: average_cell_tail(s, map + c, nullptr, out, lo + c, hi + c, nullptr, nullptr, nullptr, shown - c);
    }
  });
}

void relu_and_cells_one_pass(const ThumbnailDesc& d, const float* x, float* y, float* x_cells, float* x_lo,
                             float* x_hi, float* y_cells, float* y_lo, float* y_hi) {
  const int shown = d.shown;
  if (d.factor == 1) {  // the map is the thumbnail's size: the passes as they are
    relu_f32(x, y, size_t(d.h) * size_t(d.w) * size_t(d.c));
    thumbnail_cells_one_pass(d, x, x_cells, x_lo, x_hi);
    thumbnail_cells_one_pass(d, y, y_cells, y_lo, y_hi);
    return;
  }
  reset_ranges(x_lo, x_hi, shown);
  reset_ranges(y_lo, y_hi, shown);
  for_each_cell(d, [&](const CellSpan& s, size_t cell, int c, int groups) {
    float *xc = x_cells + cell + size_t(c), *yc = y_cells + cell + size_t(c);
    switch (groups) {
      case 4: relu_average_cell<4>(s, x + c, y + c, xc, x_lo + c, x_hi + c, yc, y_lo + c, y_hi + c); break;
      case 3: relu_average_cell<3>(s, x + c, y + c, xc, x_lo + c, x_hi + c, yc, y_lo + c, y_hi + c); break;
      case 2: relu_average_cell<2>(s, x + c, y + c, xc, x_lo + c, x_hi + c, yc, y_lo + c, y_hi + c); break;
      case 1: relu_average_cell<1>(s, x + c, y + c, xc, x_lo + c, x_hi + c, yc, y_lo + c, y_hi + c); break;
      default:
        average_cell_tail(s, x + c, y + c, xc, x_lo + c, x_hi + c, yc, y_lo + c, y_hi + c, shown - c);
    }
    // The channels past the thumbnail's, once per cell (after its last visit).
    if (c + (groups ? 4 * groups : shown - c) == shown) relu_cell_rest(s, x, y, size_t(shown));
  });
}

void thumbnail_colours(const ThumbnailDesc& d, const float* cells, float* lo, float* hi, const uint32_t lut[256],
                       uint32_t* rgba) {
  const int shown = d.shown;
  const size_t n = size_t(thumbnail_rows(d)) * size_t(thumbnail_cols(d));
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

void thumbnail_rgba(const ThumbnailDesc& d, const float* map, const uint32_t lut[256], float* cells, float* lo,
                    float* hi, uint32_t* rgba) {
  thumbnail_cells(d, map, cells, lo, hi);
  thumbnail_colours(d, cells, lo, hi, lut, rgba);
}

}  // namespace convscope::kernels
