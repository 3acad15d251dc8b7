// Internals of the error-message importer: a cursor over the pasted text that
// reads the values a message carries and reports "line L, column C" when the
// text around an anchor is not the message it looks like, and the context a
// traceback adds (the Keras layer that raised, PyTorch's `self.conv3(x)`).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "convscope/import/draft.hpp"

namespace convscope::import::errors {

// Sizes as printed; -1 stands for an unknown size ('?', None, or empty).
using Dims = std::vector<int64_t>;

struct Scan {
  const std::string& text;
  std::string error;  // "line L, column C: problem"

  bool fail(size_t at, const std::string& problem);
  // Position of `needle` at or after `from`, or npos.
  size_t find(const std::string& needle, size_t from = 0) const;
  bool starts(size_t pos, const std::string& literal) const;
  // Skips `literal` at `pos`, or fails naming what was expected.
  bool expect(size_t& pos, const std::string& literal);
  bool integer(size_t& pos, int64_t& out);
  // "(4 x 4)", "(64x1x1)", "[?,4,4,3]", "(None, 4, 4, 64)", "[None 4 4 64]",
  // "{4,4}", "[,4,4,64]" (tfjs prints null as nothing), "TensorShape([...])".
  bool dims(size_t& pos, Dims& out);
  // An integer or dims: "1", "(1, 1)", "[1 1]".
  bool int_or_dims(size_t& pos, Dims& out);
  // A bare word such as valid, same, NHWC (letters, digits, '_').
  bool word(size_t& pos, std::string& out);
  // Text up to (not including) `stop` on the same line, at most `max` bytes.
  bool until(size_t& pos, const std::string& stop, size_t max, std::string& out);
};

// The layer a traceback says raised: tf.keras 2 `Exception encountered when
// calling layer "conv2d_3" (type Conv2D)`, Keras 3 `... calling Conv2D.call()`.
struct KerasContext {
  std::string name;
  std::string cls;
};
KerasContext keras_context(const std::string& text);

// The module a PyTorch traceback says raised: the `self.NAME(` its last
// user frame calls, read from the frames rather than the line's outermost
// call (`x = self.pool(F.relu(self.conv3(x)))` followed by conv.py frames ->
// "conv3"); `how` says how it was chosen when the line calls several.
struct TorchCall {
  std::string name;  // empty when no frame calls a module
  std::string how;
};
TorchCall torch_failing_call(const std::string& text);
std::string torch_layer_name(const std::string& text);

// Per-message readers, each given the offset of its anchor.
bool tf_graph(Scan& s, size_t at, Draft& d);
bool tf_eager(Scan& s, size_t at, Draft& d);
bool keras2_downsampling(Scan& s, size_t at, Draft& d);
bool keras3_conv(Scan& s, size_t at, Draft& d);
bool keras3_pool(Scan& s, size_t at, Draft& d);
bool keras_dense(Scan& s, size_t at, Draft& d);
bool tfjs_layers(Scan& s, size_t at, Draft& d);
bool torch_conv(Scan& s, size_t at, Draft& d);
bool torch_pool(Scan& s, size_t at, Draft& d);
bool torch_max_pool1d(Scan& s, size_t at, Draft& d);
bool torch_transposed(Scan& s, size_t at, Draft& d);
bool torch_linear(Scan& s, size_t at, Draft& d);
bool torch_pool_padding(Scan& s, size_t at, Draft& d);
bool torch_pool_padding_raw(Scan& s, size_t at, Draft& d);
bool torch_output_padding(Scan& s, size_t at, Draft& d);
bool torch_same_strided(Scan& s, size_t at, Draft& d);
bool ort_invalid_input(Scan& s, size_t at, Draft& d);
bool ort_transposed_too_small(Scan& s, size_t at, Draft& d);
bool ort_same_dilation(Scan& s, size_t at, Draft& d);
bool ort_pool_negative(Scan& s, size_t at, Draft& d);
// Branches and merges (error_branch.cpp).
bool torch_channels(Scan& s, size_t at, Draft& d);
bool torch_cat(Scan& s, size_t at, Draft& d);
bool torch_broadcast(Scan& s, size_t at, Draft& d);
bool tf_concat_eager(Scan& s, size_t at, Draft& d);
bool tf_eager_binary(Scan& s, size_t at, Draft& d);
bool tf_graph_binary(Scan& s, size_t at, Draft& d);
bool tf_graph_concat(Scan& s, size_t at, Draft& d);
bool keras_concat(Scan& s, size_t at, Draft& d);
bool keras_merge(Scan& s, size_t at, Draft& d);
bool ort_concat_run(Scan& s, size_t at, Draft& d);
bool ort_concat_load(Scan& s, size_t at, Draft& d);
bool ort_broadcast_run(Scan& s, size_t at, Draft& d);

// "[1, 4, 4, 3]" for notes.
std::string dims_text(const Dims& v);

// The one layer most messages reconstruct; add_layer writes only the fields
// its type takes (and dilation only when set, since Keras pooling has none).
struct OneLayer {
  LayerType type = LayerType::conv;
  std::string name;
  Dims kernel, stride, dilation, output_padding;
  json::Value padding;  // null: the framework's default
  int64_t filters = 1, groups = 1, depth_multiplier = 1;
};
void add_layer(Draft& d, const OneLayer& l, const std::string& origin);

// Keras class or automatic layer name -> layer type ("conv2d_3" -> conv,
// "MaxPooling2D" -> max_pool); `fallback` when neither says.
LayerType keras_type(const std::string& class_or_name, LayerType fallback);

}  // namespace convscope::import::errors
