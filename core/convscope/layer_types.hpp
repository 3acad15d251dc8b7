// One entry per layer type: its contract name, label, the names each
// framework gives it, how many inputs it takes, its fields and what kind of
// rule computes its size. Everything that lists layer types (the JSON
// contract, the layer schema, display names, automatic names, the analysis'
// dispatch) reads this table, so a new type starts as one entry here plus its
// rule.
#pragma once

#include <cstddef>
#include <vector>

#include "convscope/network.hpp"

namespace convscope {

// What computes a type's output: the analysis dispatches on this.
enum class RuleKind {
  window,        // conv, depthwise conv, pooling: the forward window rule per axis
  transposed,    // conv_transpose
  resize_axes,   // zero_pad, crop, upsample: one axis rule, channels kept
  global_pool,   // global pooling
  adaptive_pool,
  flatten,
  dense,
  pointwise,     // relu, activation, batch_norm, dropout: shape kept
  channels,      // channel_shuffle, channel_split: spatial axes kept, channels regrouped or sliced
  reshape,       // reshape: the same values under another shape (rank 2 or the network's rank)
  elementwise,   // add, subtract, multiply, average, maximum, minimum: broadcast
  concat,
  match,         // crop_to, pad_to, resize_to: [tensor, reference]
};

struct LayerTypeInfo {
  LayerType type;
  const char* id;          // the contract's "type": "conv"
  const char* label;       // "Convolution"
  const char* pytorch;     // nn.Module class or function, {d} = spatial rank
  const char* keras;       // Keras layer class
  const char* keras_auto;  // Keras automatic name stem ({d} kept only for spatial layers)
  const char* onnx;        // ONNX op type
  RuleKind rule;
  size_t min_inputs, max_inputs;
  std::vector<const char*> required, optional;
};

const std::vector<LayerTypeInfo>& layer_types();
const LayerTypeInfo& type_info(LayerType t);

inline bool is_merge(LayerType t) {
  const RuleKind k = type_info(t).rule;
  return k == RuleKind::elementwise || k == RuleKind::concat;
}
inline bool is_multi_input(LayerType t) { return type_info(t).max_inputs > 1; }
inline bool is_window_type(LayerType t) { return type_info(t).rule == RuleKind::window; }
inline bool is_pool_type(LayerType t) { return t == LayerType::max_pool || t == LayerType::avg_pool; }

}  // namespace convscope
