// What differs between PyTorch, TensorFlow/Keras and ONNX, as data: layout,
// the names a framework gives a layer and its fields, defaults, automatic
// layer names, and the verbatim error texts each one prints.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "convscope/network.hpp"

namespace convscope::conventions {

// ---- Layout ---------------------------------------------------------------
// NCHW-style (pytorch, onnx) or NHWC-style (tensorflow).
bool channels_last(Framework f);
size_t channel_axis(Framework f, size_t rank);
// Index in the full shape of spatial axis i (0-based among spatial axes).
size_t spatial_axis(Framework f, size_t i);
// "H", "W"; "D", "H", "W"; "L" for 1-D.
std::string spatial_axis_label(size_t spatial_rank, size_t i);
// "N, C, H, W" / "N, H, W, C" for a full rank.
std::string layout_string(Framework f, size_t rank);

// ---- Names ----------------------------------------------------------------
// "PyTorch", "TensorFlow/Keras", "ONNX": the framework in a sentence.
std::string display_name(Framework f);
// The class or op the user wrote: "Conv2d", "Conv2D", "Conv".
std::string framework_layer_name(Framework f, LayerType t, size_t spatial_rank);
// Automatic layer name, as the framework would pick it, for layer `index`
// whose type occurred `ordinal` times before (Keras: conv2d, conv2d_1, ...).
std::string auto_layer_name(Framework f, LayerType t, size_t spatial_rank, size_t index,
                            size_t ordinal);
// The name a framework gives a field ("kernel_size", "kernel_shape").
std::string field_name(Framework f, const std::string& field);

// ---- Error texts ----------------------------------------------------------
// Every failure a layer can have. Each has templates per framework, the first
// being the one the user most likely sees.
enum class Failure {
  window_too_small,         // conv / depthwise: effective kernel larger than padded input
  pool_too_small,           // pooling output size < 1
  transposed_too_small,     // transposed conv output size < 1
  pool_padding_too_large,   // PyTorch: padding > half the kernel
  same_strided,             // PyTorch: padding='same' with stride > 1
  same_dilated_strided,     // Keras: strides > 1 with dilation_rate > 1
  groups_in_channels,       // input channels not divisible by groups
  groups_out_channels,      // filters not divisible by groups
  output_padding_too_large, // transposed conv
  transposed_inconsistent,  // TF conv2d_transpose: output does not map back to input
  dense_mismatch,           // declared in_features != arriving size
  crop_too_large,
  rank_mismatch,            // spatial op after flatten/dense, or wrong rank
  too_large,                // a size beyond 2^31 - 1 or 64-bit overflow
  // merges
  concat_mismatch,          // a non-concat axis differs between inputs
  concat_rank,              // inputs of different rank
  concat_axis,              // the axis is outside the inputs' rank
  broadcast_mismatch,       // element-wise inputs that do not broadcast
  match_too_small,          // crop_to: the reference is larger than the tensor
  match_rank,               // crop_to / pad_to / resize_to without spatial axes
  channels_mismatch,        // declared in_channels != arriving channels
  batch_norm_single_value,  // PyTorch BatchNorm in training mode with one value per channel
  pool_input_smaller_than_kernel,  // PyTorch avg_pool3d: unpadded input smaller than the kernel
  shuffle_groups,           // channel_shuffle: channels not divisible by groups
  split_index,              // channel_split: fewer chunks than the index asks for
  reshape_size,             // reshape: the values do not fill the shape asked for
};

struct Text {
  std::string source;  // "TensorFlow (graph mode)", "Keras 3", "PyTorch"
  std::string text;
};

using Vars = std::vector<std::pair<std::string, std::string>>;

// The framework's texts for a failure, filled with `vars` ({name} -> value).
// Templates whose variables are missing from `vars` are left out, so a
// caller can omit, e.g., the TF eager text when TF eager would not fail.
std::vector<Text> error_texts(Framework f, Failure failure, const Vars& vars);

// Replaces every {key} in a template.
std::string fill(const std::string& tmpl, const Vars& vars);

// ---- ONNX Runtime's texts where it departs from the ONNX spec ---------------
// ConvScope follows the spec and quotes these (in a warning where the spec
// gives an output, as the error text where the spec fails too). Printed by
// onnxruntime-node 1.31.1; sources in tests/conformance/versions.json.
namespace onnxruntime_text {
// The source of a text that says ONNX Runtime runs a node the spec rejects
// ("no error: ONNX Runtime runs this node and outputs ...").
inline constexpr const char* runs_anyway_source = "ONNX Runtime (departs from the ONNX spec)";
// pool_attributes.h, PoolAttributes::PoolAttributes (creating the session).
inline constexpr const char* pool_pad_refused = "Pad should be smaller than kernel.";
// pool_attributes.h, PoolAttributes::ComputeOutputSize (running).
inline constexpr const char* pool_negative_output =
    "Calculated output dimension is negative. Check kernel_shape, pads, strides and dilations.";
// The MLAS pooling kernel (MaxPool without dilation, AveragePool unless
// ceil_mode with count_include_pad) on negative SAME padding (running).
inline constexpr const char* pool_negative_padding = "padding values must be non-negative";
}  // namespace onnxruntime_text
// conv_transpose_attributes.h: the output does not map back to the input.
std::string onnxruntime_transposed_inconsistent(int64_t output_padding, int64_t stride, int64_t expected,
                                                int64_t in);

// ---- Formatting helpers for the texts --------------------------------------
// "[?,4,4,3]": TensorFlow graph-mode shape, unknown batch as '?'.
std::string tf_shape(const std::vector<int64_t>& shape, bool unknown_batch);
// "(None, 4, 4, 3)": Keras' Python tuple.
std::string keras_shape(const std::vector<int64_t>& shape);
// "4 x 4": PyTorch's per-channel sizes.
std::string joined(const std::vector<int64_t>& v, const std::string& sep);
// "{1,3,4,4}": ONNX Runtime's TensorShape.
std::string ort_shape(const std::vector<int64_t>& shape);
// "(24, 24, 64)": a Python tuple of the sizes after the batch (Keras merges).
std::string python_tuple(const std::vector<int64_t>& shape, size_t from);

}  // namespace convscope::conventions
