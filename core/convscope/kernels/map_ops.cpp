#include "convscope/kernels/map_ops.hpp"

#include <algorithm>
#include <vector>

#include "convscope/kernels/desc.hpp"
#include "convscope/kernels/threads.hpp"

namespace convscope::kernels {

namespace {

// A map below this many floats is one pass: waking the helpers (~10-50 us)
// would cost more than the split saves.
constexpr size_t split_min_floats = size_t(1) << 17;

// One band of thumbnail rows [t0, t1) as a map of its own: its desc (the
// last band keeps the map's partial bottom row of cells) and where its
// values and cells start.
struct CellBand {
  ThumbnailDesc desc;
  size_t map_offset = 0, cell_offset = 0;
};

// The bands thumbnail_cells and relu_and_cells run at once; one band when
// the map is small or there is one core.
std::vector<CellBand> cell_bands(const ThumbnailDesc& d) {
  const int rows = thumbnail_rows(d);
  const int parts = size_t(d.h) * size_t(d.w) * size_t(d.c) < split_min_floats ? 1 : std::min(parallel_parts(), rows);
  std::vector<CellBand> bands;
  const size_t map_row = size_t(d.w) * size_t(d.c), cell_row = size_t(thumbnail_cols(d)) * size_t(d.shown);
  for (int i = 0, t0 = 0; i < parts; ++i) {
    const int t1 = t0 + rows / parts + (i < rows % parts ? 1 : 0);
    ThumbnailDesc band = d;
    band.h = std::min(d.h, t1 * d.factor) - t0 * d.factor;
    bands.push_back({band, size_t(t0) * size_t(d.factor) * map_row, size_t(t0) * cell_row});
    t0 = t1;
  }
  return bands;
}

// The bands' ranges (parts x shown floats each) into lo and hi, in row
// order: a later band's end replaces the earlier only when strictly beyond
// it, as one pass's `if (v < lo) lo = v` does (NaN never replaces, and of
// +0 and -0 the first seen stays).
void merge_ranges(const float* los, const float* his, size_t parts, int shown, float* lo, float* hi) {
  std::copy(los, los + shown, lo);
  std::copy(his, his + shown, hi);
  for (size_t at = size_t(shown); at < parts * size_t(shown); at += size_t(shown)) {
    for (int c = 0; c < shown; ++c) {
      if (los[at + size_t(c)] < lo[c]) lo[c] = los[at + size_t(c)];
      if (his[at + size_t(c)] > hi[c]) hi[c] = his[at + size_t(c)];
    }
  }
}

}  // namespace

void thumbnail_cells(const ThumbnailDesc& d, const float* map, float* cells, float* lo, float* hi) {
  const std::vector<CellBand> bands = cell_bands(d);
  if (bands.size() == 1) return thumbnail_cells_one_pass(d, map, cells, lo, hi);
  const size_t shown = size_t(d.shown);
  std::vector<float> los(bands.size() * shown), his(bands.size() * shown);
  run_parts(int(bands.size()), [&](int i) {
    const CellBand& b = bands[size_t(i)];
    thumbnail_cells_one_pass(b.desc, map + b.map_offset, cells + b.cell_offset, &los[size_t(i) * shown],
                             &his[size_t(i) * shown]);
  });
  merge_ranges(los.data(), his.data(), bands.size(), d.shown, lo, hi);
}

void relu_and_cells(const ThumbnailDesc& d, const float* x, float* y, float* x_cells, float* x_lo, float* x_hi,
                    float* y_cells, float* y_lo, float* y_hi) {
  const std::vector<CellBand> bands = cell_bands(d);
  if (bands.size() == 1) return relu_and_cells_one_pass(d, x, y, x_cells, x_lo, x_hi, y_cells, y_lo, y_hi);
  const size_t shown = size_t(d.shown);
  std::vector<float> ranges(4 * bands.size() * shown);
  float* xl = ranges.data();
  float* xh = xl + bands.size() * shown;
  float* yl = xh + bands.size() * shown;
  float* yh = yl + bands.size() * shown;
  run_parts(int(bands.size()), [&](int i) {
    const CellBand& b = bands[size_t(i)];
    const size_t r = size_t(i) * shown;
    relu_and_cells_one_pass(b.desc, x + b.map_offset, y + b.map_offset, x_cells + b.cell_offset, xl + r, xh + r,
                            y_cells + b.cell_offset, yl + r, yh + r);
  });
  merge_ranges(xl, xh, bands.size(), d.shown, x_lo, x_hi);
  merge_ranges(yl, yh, bands.size(), d.shown, y_lo, y_hi);
}

int thumbnail_rows(const ThumbnailDesc& d) { return d.factor >= 1 ? (d.h + d.factor - 1) / d.factor : 0; }
int thumbnail_cols(const ThumbnailDesc& d) { return d.factor >= 1 ? (d.w + d.factor - 1) / d.factor : 0; }

const char* thumbnail_check(const ThumbnailDesc& d) {
  if (d.h < 1 || d.w < 1 || d.c < 1) return "the map needs at least one row, column and channel";
  if (d.shown < 1 || d.shown > d.c) return "shown must be 1 .. the map's channels";
  if (d.factor < 1) return "factor must be >= 1";
  const int64_t floats = int64_t(d.h) * d.w * d.c;
  if (floats > max_tensor_floats) return "the map is over the kernels' tensor cap";
  return "";
}

}  // namespace convscope::kernels
