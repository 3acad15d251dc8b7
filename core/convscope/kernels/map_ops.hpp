// The previews' work on a computed feature map besides the layers' own
// kernels: the ReLU layer, and the thumbnail a card draws per channel. The
// preview worker ran both in plain JS, about a third of a refresh of the
// default preset (5 x 256x256 maps of 8-32 channels); here they are one
// pass each over the map. web/preview-worker.js reaches them through
// MapOpsHost (map_ops_host.hpp).
#pragma once

#include <cstddef>
#include <cstdint>

namespace convscope::kernels {

// y = x > 0 ? x : 0, with NaN and -0 giving +0 (the previews' JS ReLU).
// x and y may be the same buffer.
void relu_f32(const float* x, float* y, size_t n);

// A thumbnail of channels [0, shown) of an h x w x c map (NHWC, one image):
// its cells are the factor x factor box averages of the map (partial boxes
// at the right and bottom edges averaged over the cells they have; factor 1:
// the map's own values), th = ceil(h / factor) rows of tw = ceil(w / factor).
struct ThumbnailDesc {
  int h = 0, w = 0, c = 0, shown = 0, factor = 1;
};
int thumbnail_rows(const ThumbnailDesc& d);
int thumbnail_cols(const ThumbnailDesc& d);
// "" or what is wrong with d (sizes >= 1, shown <= c, the floats within max_tensor_floats).
const char* thumbnail_check(const ThumbnailDesc& d);

// The thumbnail's cells into `cells` (th * tw * shown floats, channel
// fastest), each channel's min and max over them into lo and hi (NaN cells
// skipped; a map of one cell takes the range across its channels, so the
// colours still compare something), and each cell as lut[index] into
// `rgba`, one plane of th * tw words per channel: index = (v - lo) * 255 /
// (hi - lo) in double precision, clamped to 0..255 and truncated, 0 for NaN
// and for a channel whose range is empty or not finite.
void thumbnail_rgba(const ThumbnailDesc& d, const float* map, const uint32_t lut[256], float* cells, float* lo,
                    float* hi, uint32_t* rgba);

// thumbnail_rgba in its two halves: the cells and ranges, then the colours
// (which apply the one-cell rule to lo and hi first).
void thumbnail_cells(const ThumbnailDesc& d, const float* map, float* cells, float* lo, float* hi);
void thumbnail_colours(const ThumbnailDesc& d, const float* cells, float* lo, float* hi, const uint32_t lut[256],
                       uint32_t* rgba);

// A conv followed by its ReLU, in one pass over the conv's output x: y =
// relu_f32(x) over every channel, and thumbnail_cells of x and of y (the
// same floats as the three passes). Reads x once where the passes read it
// twice and y once more.
void relu_and_cells(const ThumbnailDesc& d, const float* x, float* y, float* x_cells, float* x_lo, float* x_hi,
                    float* y_cells, float* y_lo, float* y_hi);

// thumbnail_cells and relu_and_cells split a big map by bands of thumbnail
// rows across the cores (threads.hpp) and merge the bands' ranges in row
// order, which keeps the floats (and the sign of a zero range end) of one
// pass; these are that one pass, on the calling thread (map_simd.cpp).
void thumbnail_cells_one_pass(const ThumbnailDesc& d, const float* map, float* cells, float* lo, float* hi);
void relu_and_cells_one_pass(const ThumbnailDesc& d, const float* x, float* y, float* x_cells, float* x_lo,
                             float* x_hi, float* y_cells, float* y_lo, float* y_hi);

}  // namespace convscope::kernels
