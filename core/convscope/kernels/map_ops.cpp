#include "convscope/kernels/map_ops.hpp"

#include <algorithm>
#include <cstdint>
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
// the map is small or there is one core. Not row_bands (row_bands.hpp): a
// band here is whole thumbnail rows (`factor` map rows each, the last one
// possibly short), and no kernel asks for an even start, so the rows split
// as evenly as they go.
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

// Each band's channel ranges (`arrays` arrays of `shown` floats: lo, hi,
// ...) on cache lines of its own: the kernels update them at every cell, and
// two threads writing one line would pass it back and forth between cores
// (measured natively at 256x256x32: the split pass took 0.95 ms with the
// bands' ranges side by side, 0.56 ms apart; one pass 0.88 ms).
class BandRanges {
 public:
  BandRanges(size_t bands, int shown, int arrays)
      : shown_(size_t(shown)), stride_((size_t(arrays) * shown_ + line - 1) / line * line), data_(bands * stride_ + line) {}
  float* at(size_t band, int array) {
    const auto address = reinterpret_cast<uintptr_t>(data_.data());
    float* base = data_.data() + (line - address / sizeof(float) % line) % line;
    return base + band * stride_ + size_t(array) * shown_;
  }

 private:
  static constexpr size_t line = 64 / sizeof(float);  // floats per cache line
  size_t shown_, stride_;
  std::vector<float> data_;
};

// The bands' ranges (array lo_array and lo_array + 1 of each band) into lo
// and hi, in row order: a later band's end replaces the earlier only when
// strictly beyond it, as one pass's `if (v < lo) lo = v` does (NaN never
// replaces, and of +0 and -0 the first seen stays).
void merge_ranges(BandRanges& ranges, size_t bands, int lo_array, int shown, float* lo, float* hi) {
  std::copy(ranges.at(0, lo_array), ranges.at(0, lo_array) + shown, lo);
  std::copy(ranges.at(0, lo_array + 1), ranges.at(0, lo_array + 1) + shown, hi);
  for (size_t b = 1; b < bands; ++b) {
    const float* los = ranges.at(b, lo_array);
    const float* his = ranges.at(b, lo_array + 1);
    for (int c = 0; c < shown; ++c) {
      if (los[c] < lo[c]) lo[c] = los[c];
      if (his[c] > hi[c]) hi[c] = his[c];
    }
  }
}

}  // namespace

void thumbnail_cells(const ThumbnailDesc& d, const float* map, float* cells, float* lo, float* hi) {
  const std::vector<CellBand> bands = cell_bands(d);
  if (bands.size() == 1) return thumbnail_cells_one_pass(d, map, cells, lo, hi);
  BandRanges ranges(bands.size(), d.shown, 2);
  run_parts(int(bands.size()), [&](int i) {
    const CellBand& b = bands[size_t(i)];
    thumbnail_cells_one_pass(b.desc, map + b.map_offset, cells + b.cell_offset, ranges.at(size_t(i), 0),
                             ranges.at(size_t(i), 1));
  });
  merge_ranges(ranges, bands.size(), 0, d.shown, lo, hi);
}

void relu_and_cells(const ThumbnailDesc& d, const float* x, float* y, float* x_cells, float* x_lo, float* x_hi,
                    float* y_cells, float* y_lo, float* y_hi) {
  const std::vector<CellBand> bands = cell_bands(d);
  if (bands.size() == 1) return relu_and_cells_one_pass(d, x, y, x_cells, x_lo, x_hi, y_cells, y_lo, y_hi);
  BandRanges ranges(bands.size(), d.shown, 4);  // x lo, x hi, y lo, y hi
  run_parts(int(bands.size()), [&](int i) {
    const CellBand& b = bands[size_t(i)];
    const size_t r = size_t(i);
    relu_and_cells_one_pass(b.desc, x + b.map_offset, y + b.map_offset, x_cells + b.cell_offset, ranges.at(r, 0),
                            ranges.at(r, 1), y_cells + b.cell_offset, ranges.at(r, 2), ranges.at(r, 3));
  });
  merge_ranges(ranges, bands.size(), 0, d.shown, x_lo, x_hi);
  merge_ranges(ranges, bands.size(), 2, d.shown, y_lo, y_hi);
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
