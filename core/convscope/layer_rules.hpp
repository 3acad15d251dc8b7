// What one layer does to a shape under its framework's rules: output shape,
// diagnosis with the framework's own error text, warnings, params, MACs and
// receptive field. Whole-network concerns (propagation, fixes, minimum
// input) live in analyze.cpp; the formulas themselves in shape.cpp.
#pragma once

#include <optional>
#include <string>

#include "convscope/analyze.hpp"

namespace convscope {

struct LayerInput {
  const Network& net;
  size_t index;
  const Shape& shape;
  const std::optional<ReceptiveField>& receptive_field;
  // The layer feeding this one, if any (its TensorFlow graph node is quoted by
  // TF's "Negative dimension size" text).
  std::optional<size_t> previous;
};

// Fills r.output, status, message, axes, framework_errors, warnings, failure,
// params, macs and receptive_field. Never throws.
void apply_layer(const LayerInput& in, LayerReport& r);

// Size of spatial axis i after a layer with spatial semantics (window ops,
// transposed conv, zero_pad, crop, upsample) for input size `in`: the one
// place padding modes are resolved per framework. Overflow saturates and
// raises checked::overflowed().
shape::WindowSize axis_size(Framework fw, const Layer& layer, size_t i, int64_t in);

}  // namespace convscope
