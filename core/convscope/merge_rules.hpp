// What a layer with several inputs does: merges (element-wise with each
// framework's broadcasting, concat) and the "make them fit" layers
// (crop_to, pad_to, resize_to), with each framework's own error text. The
// single-input rules live in layer_rules.cpp; the analysis walks the graph.
#pragma once

#include <optional>
#include <vector>

#include "convscope/analyze.hpp"

namespace convscope {

struct MergeInput {
  const Network& net;
  size_t index;
  // One per input, in order (the shapes are in the report's `arriving`).
  std::vector<const std::optional<ReceptiveField>*> receptive_fields;
};

// Fills r.output, status, message, framework_errors, failure, warnings,
// params, macs, axes and receptive_field from r.arriving (all known).
void apply_merge(const MergeInput& in, LayerReport& r);

// The result of broadcasting two shapes numpy-style (aligned at the last
// axis; equal sizes or one of them 1), or the first axis from the END (as
// PyTorch's infer_size reports it) where they disagree.
struct Broadcast {
  std::optional<Shape> shape;
  size_t bad_dim = 0;  // in the result's rank, when shape is empty
  int64_t size_a = 0, size_b = 0;
};
Broadcast broadcast(const Shape& a, const Shape& b);

}  // namespace convscope
