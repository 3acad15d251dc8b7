#include "convscope/kernels/map_ops_host.hpp"

namespace convscope::kernels {

std::string MapOpsHost::prepare(int h, int w, int c, int shown, int factor) {
  ready_ = false;
  output_cells_ready_ = false;
  output_cells_.clear();
  output_lo_.clear();
  output_hi_.clear();
  input_.clear();
  output_.clear();
  cells_.clear();
  rgba_.clear();
  lo_.clear();
  hi_.clear();
  const ThumbnailDesc d{h, w, c, shown, factor};
  if (const std::string why = thumbnail_check(d); !why.empty()) return "MapOpsHost: " + why;
  desc_ = d;
  const size_t floats = size_t(h) * size_t(w) * size_t(c);
  const size_t cells = size_t(thumbnail_rows(d)) * size_t(thumbnail_cols(d));
  input_.assign(floats, 0.0f);
  output_.assign(floats, 0.0f);
  cells_.assign(cells * size_t(shown), 0.0f);
  rgba_.assign(cells * size_t(shown), 0u);
  lo_.assign(size_t(shown), 0.0f);
  hi_.assign(size_t(shown), 0.0f);
  output_cells_.assign(cells_.size(), 0.0f);
  output_lo_.assign(lo_.size(), 0.0f);
  output_hi_.assign(hi_.size(), 0.0f);
  ready_ = true;
  return "";
}

void MapOpsHost::relu() {
  if (!ready_) return;
  relu_f32(input_.data(), output_.data(), input_.size());
  output_cells_ready_ = false;
}

void MapOpsHost::thumbnail(bool of_output) {
  if (!ready_) return;
  if (of_output && output_cells_ready_) {
    // Computed with the output (relu_and_thumbnail_of): only the colours.
    lo_ = output_lo_;
    hi_ = output_hi_;
    thumbnail_colours(desc_, output_cells_.data(), lo_.data(), hi_.data(), lut_, rgba_.data());
    return;
  }
  thumbnail_rgba(desc_, of_output ? output_.data() : input_.data(), lut_, cells_.data(), lo_.data(), hi_.data(),
                 rgba_.data());
}

namespace {

std::string check_source(bool ready, const ConvOpHost& conv, size_t floats) {
  if (!ready) return "MapOpsHost: prepare() first";
  if (conv.output_len() != floats) {
    return "MapOpsHost: the conv's output has " + std::to_string(conv.output_len()) + " values, these maps " +
           std::to_string(floats);
  }
  return "";
}

}  // namespace

std::string MapOpsHost::relu_of(const ConvOpHost& conv) {
  if (std::string e = check_source(ready_, conv, input_.size()); !e.empty()) return e;
  relu_f32(conv.output(), output_.data(), output_.size());
  output_cells_ready_ = false;
  return "";
}

std::string MapOpsHost::relu_and_thumbnail_of(const ConvOpHost& conv) {
  if (std::string e = check_source(ready_, conv, input_.size()); !e.empty()) return e;
  relu_and_cells(desc_, conv.output(), output_.data(), cells_.data(), lo_.data(), hi_.data(), output_cells_.data(),
                 output_lo_.data(), output_hi_.data());
  thumbnail_colours(desc_, cells_.data(), lo_.data(), hi_.data(), lut_, rgba_.data());
  output_cells_ready_ = true;
  return "";
}

std::string MapOpsHost::thumbnail_of(const ConvOpHost& conv) {
  if (std::string e = check_source(ready_, conv, input_.size()); !e.empty()) return e;
  thumbnail_rgba(desc_, conv.output(), lut_, cells_.data(), lo_.data(), hi_.data(), rgba_.data());
  return "";
}

}  // namespace convscope::kernels
