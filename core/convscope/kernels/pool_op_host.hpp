// Pooling, global pooling and nearest upsampling for hosts that share memory
// with the core but cannot hand it pointers: the WASM module's JavaScript
// (web/kernels.js's createPoolOp), as ConvOpHost is for convolutions. The
// host describes the op as JSON, writes the input into a buffer the op owns
// (a view of the module's memory) and reads the output the same way. Nothing
// here knows about the web; wasm/bindings.cpp only declares these functions.
#pragma once

#include <string>
#include <vector>

#include "convscope/kernels/pool_options.hpp"

namespace convscope::kernels {

class PoolOpHost {
 public:
  // Parses and validates the options (see pool_options.hpp), then allocates
  // the input and output buffers (each at most max_tensor_floats). "" or the
  // error; on error the op is left empty (output_dim 0, no buffers).
  std::string prepare(const std::string& options_json);

  bool ready() const { return ready_; }
  const PoolOpDesc& desc() const { return desc_; }
  float* input() { return input_.data(); }
  size_t input_len() const { return input_.size(); }
  const float* output() const { return output_.data(); }
  size_t output_len() const { return output_.size(); }
  // Dimension i (0..3: N, H, W, C) of the output; 0 before prepare().
  int output_dim(int i) const;
  // input() -> output(): the SIMD kernels, or the scalar reference.
  void run();
  void run_reference();

 private:
  PoolOpDesc desc_{};
  Shape4 out_{};
  bool ready_ = false;
  std::vector<float> input_, output_;
};

}  // namespace convscope::kernels
