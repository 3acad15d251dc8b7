// A ConvOp for hosts that share memory with the core but cannot hand it
// pointers: the WASM module's JavaScript. The host describes the op as JSON,
// writes weights, bias and inputs into buffers the op owns (as views of the
// module's memory), and reads the output the same way. Nothing here knows
// about the web; wasm/bindings.cpp only declares these functions.
#pragma once

#include <string>
#include <vector>

#include "convscope/kernels/conv_op.hpp"

namespace convscope::kernels {

class MapOpsHost;

class ConvOpHost {
 public:
  // Step 1: parses and validates the options (see conv_options.hpp) and the
  // lengths the host holds (bias_count 0 and has_bias false for no bias),
  // then sizes the staging buffers. "" or the error.
  std::string prepare(const std::string& options_json, size_t weights_count, bool has_bias, size_t bias_count);
  // Step 2: the host fills these (weights_count and bias_count floats).
  float* staged_weights() { return staged_weights_.data(); }
  size_t staged_weights_len() const { return staged_weights_.size(); }
  float* staged_bias() { return staged_bias_.data(); }
  size_t staged_bias_len() const { return staged_bias_.size(); }
  // Step 3: packs the staged weights (freeing the staging) and allocates the
  // input and output buffers. "" or the error.
  std::string pack();
  // Steps 1 and 2 again for a packed op whose options stay (new weights only):
  // stages weights and bias of the lengths prepare() took; pack() then
  // re-packs them and keeps the input and output buffers, so their views and
  // contents stay. "" or the error.
  std::string restage();

  float* input() { return input_.data(); }
  size_t input_len() const { return input_.size(); }
  const float* output() const { return output_.data(); }
  size_t output_len() const { return output_.size(); }
  // ConvOp::kernel_name() once packed ("winograd", "direct", ...), else "".
  std::string kernel_name() const { return op_.ready() ? op_.kernel_name() : ""; }
  // ConvOp::bands(): how many cores run() uses (1 before pack()).
  int bands() const { return op_.ready() ? op_.bands() : 1; }
  // Dimension i (0..3: N, H, W, C) of the output; 0 before pack().
  int output_dim(int i) const;
  // input() -> output(): the SIMD kernels, or the scalar reference.
  void run();
  // The SIMD kernels on a map host's output (its ReLU) where it lies, not on
  // input(): it must have input_len() values. "" or the error.
  std::string run_on(const MapOpsHost& maps);
  void run_reference();

 private:
  ConvDesc desc_{};
  bool prepared_ = false, restaged_ = false, has_bias_ = false;
  size_t weights_count_ = 0, bias_count_ = 0;
  std::vector<float> staged_weights_, staged_bias_;
  ConvOp op_;
  std::vector<float> input_, output_;
};

}  // namespace convscope::kernels
