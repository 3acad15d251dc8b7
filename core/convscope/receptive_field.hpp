// Receptive field of one output unit in input pixels, per spatial axis
// (Araujo, Norris & Sim, "Computing Receptive Fields of CNNs", Distill 2019):
// how a layer grows, strides or shifts the field it receives.
#pragma once

#include <optional>

#include "convscope/analyze.hpp"

namespace convscope {

// The field after layer `l`, whose sizes the analysis put in r.axes, given
// the field of the input it reads; nullopt where the layer has no spatial
// correspondence ConvScope follows (transposed convs, upsampling, resizing,
// global and adaptive pools, flatten, dense). Merges choose among their
// inputs' fields themselves (merge_rules.cpp).
std::optional<ReceptiveField> receptive_field_after(const Layer& l, const std::optional<ReceptiveField>& in,
                                                    const LayerReport& r, size_t spatial_rank);

}  // namespace convscope
