#include "convscope/kernels/map_ops.hpp"

#include "convscope/kernels/desc.hpp"

namespace convscope::kernels {

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
