// One conv layer ready to run: validated once, weights packed once, then
// run any number of times on NHWC inputs. Errors come back as strings (the
// core is exception-free: the WASM build has no exceptions).
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "convscope/kernels/desc.hpp"

namespace convscope::kernels {

// "" when a valid `desc` gets weights_len(desc) weights and, if it has a
// bias, out_channels(desc) biases; else a message with the expected counts.
std::string check_lengths(const ConvDesc& desc, size_t weights_count, bool has_bias, size_t bias_count);

class ConvOp {
 public:
  // Validates `desc` and the lengths (weights_len(desc) weights; bias null
  // with bias_count 0, or out_channels(desc) values), then packs. Returns ""
  // or a one-line error; on error the op is left empty.
  std::string create(const ConvDesc& desc, const float* weights, size_t weights_count, const float* bias,
                     size_t bias_count);

  // New weights (and bias) for a ready op, of the lengths create() checks:
  // packed once for all its bands, the scratch kept (a new seed in the
  // previews changes every layer's weights and no shape). "" or a one-line
  // error; on error the op keeps its old weights.
  std::string set_weights(const float* weights, size_t weights_count, const float* bias, size_t bias_count);

  bool ready() const { return ready_; }
  const ConvDesc& desc() const { return desc_; }
  // Which kernel run() uses: "winograd", "direct", "indirect" or "depthwise".
  const char* kernel_name() const;
  const Shape4& output_shape() const { return out_; }

  // How many bands of output rows run() splits the conv into, one per core
  // (threads.hpp; row_bands.hpp says why the result is the same bit for bit):
  // 1 in a build without threads, for a small conv, a batch or a transposed conv.
  int bands() const { return band_ops_.empty() ? 1 : int(band_ops_.size()); }

  // input: desc().input.elements() floats, output: output_shape().elements().
  // Uses scratch held by the op: one run at a time per op.
  void run(const float* input, float* output);
  // The scalar reference on the same weights (tests and the benchmark).
  void run_reference(const float* input, float* output) const;

 private:
  // Validates `desc` and picks the kernel; packs nothing (create() and the
  // bands it splits into share one packing, done after).
  std::string prepare(const ConvDesc& desc);
  // One band of output rows per core, each prepared on its own desc, when
  // the conv is big enough to pay for the split; else none (runs whole).
  void split_into_bands();
  // Packs once and hands the packing to every band: the packed weights
  // depend on the kernel's taps and channels, never on the rows.
  void pack_weights(const float* weights, size_t weights_count, const float* bias, size_t bias_count);

  ConvDesc desc_{};
  Shape4 out_{};
  bool ready_ = false;
  std::vector<float> weights_, bias_;  // as given, for run_reference (the whole op's only)
  std::shared_ptr<const std::vector<float>> packed_;
  std::vector<float> zero_;            // padded taps of the conv kernel read this
  std::vector<const float*> indirection_;
  std::vector<float> scratch_;         // conv_direct_f32_simd's padded rows, conv_winograd_f32_simd's tiles
  bool winograd_ = false;              // conv_winograd_f32_simd
  bool direct_ = false;                // conv_direct_f32_simd, else conv_f32_simd
  // When split: one op per band (each unsplit, with its own scratch, sharing
  // the whole op's packed weights) and where its input and output start in
  // the whole op's.
  std::vector<ConvOp> band_ops_;
  std::vector<std::pair<size_t, size_t>> band_offsets_;
};

}  // namespace convscope::kernels
