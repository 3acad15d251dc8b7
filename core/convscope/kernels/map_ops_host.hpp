// map_ops.hpp for hosts that share memory with the core but cannot hand it
// pointers: the preview worker's JavaScript, as ConvOpHost is for
// convolutions. One host holds buffers for one map shape: the host writes a
// map into input() (a view of the module's memory), then runs the ReLU into
// output() and/or a thumbnail of either buffer, and reads the results the
// same way. Nothing here knows about the web; wasm/bindings.cpp only
// declares these functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "convscope/kernels/conv_op_host.hpp"
#include "convscope/kernels/map_ops.hpp"

namespace convscope::kernels {

class MapOpsHost {
 public:
  // An h x w x c map whose first `shown` channels get thumbnails averaged
  // over factor x factor boxes. "" or the error; on error the host is empty.
  std::string prepare(int h, int w, int c, int shown, int factor);

  float* input() { return input_.data(); }
  size_t input_len() const { return input_.size(); }
  const float* output() const { return output_.data(); }
  size_t output_len() const { return output_.size(); }
  // The colour map: 256 RGBA words the host writes once.
  uint32_t* lut() { return lut_; }
  size_t lut_len() const { return 256; }

  // output() = ReLU(input()).
  void relu();
  // The thumbnail of input() (of_output false) or output() (true): then
  // rgba() (shown planes of rows() * cols() words), lo(), hi().
  void thumbnail(bool of_output);
  // The same over a conv op's output, read where it lies (no copy into
  // input()): output() = ReLU(conv's output), or its thumbnail. The conv's
  // output must have input_len() values. "" or the error.
  std::string relu_of(const ConvOpHost& conv);
  std::string thumbnail_of(const ConvOpHost& conv);
  // Both for a conv whose next layer is its ReLU, in one pass over its
  // output (relu_and_cells): rgba(), lo(), hi() = thumbnail_of(conv), and
  // output() = ReLU of it, whose thumbnail's cells are kept, so the next
  // thumbnail(true) only colours them. "" or the error.
  std::string relu_and_thumbnail_of(const ConvOpHost& conv);
  const uint32_t* rgba() const { return rgba_.data(); }
  size_t rgba_len() const { return rgba_.size(); }
  const float* lo() const { return lo_.data(); }
  const float* hi() const { return hi_.data(); }
  size_t range_len() const { return lo_.size(); }
  int rows() const { return thumbnail_rows(desc_); }
  int cols() const { return thumbnail_cols(desc_); }

 private:
  ThumbnailDesc desc_{};
  bool ready_ = false;
  uint32_t lut_[256] = {};
  std::vector<float> input_, output_, cells_, lo_, hi_;
  // The output's thumbnail cells and ranges, when relu_and_thumbnail_of
  // computed them with the output (output_cells_ready_: until the output changes).
  std::vector<float> output_cells_, output_lo_, output_hi_;
  bool output_cells_ready_ = false;
  std::vector<uint32_t> rgba_;
};

}  // namespace convscope::kernels
