// What TensorFlow graph mode prints about a node: the quoted node summary and
// input shapes of "Negative dimension size caused by subtracting 5 from 4 for
// '{{node conv2d_3/Conv2D}} = Conv2D[...](...)' with input shapes: ...", as
// tf.keras 2 builds the graph (tensorflow/core/framework/shape_inference.cc,
// AttachContext; node attributes sorted by name).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "convscope/network.hpp"

namespace convscope::tf_text {

// The node a layer's output comes from ("conv2d/BiasAdd", "max_pooling2d/MaxPool").
std::string output_node(const Layer& layer, size_t spatial_rank);

// "{{node conv2d_3/Conv2D}} = Conv2D[T=DT_FLOAT, ...](conv2d_2/BiasAdd, conv2d_3/Conv2D/ReadVariableOp)"
// for a conv, depthwise conv or pooling layer; `previous` is the layer
// feeding it (none: the model's Placeholder); `pads_flat` the explicit pads.
std::string node_summary(const Network& net, const Layer& layer, std::optional<size_t> previous,
                         const std::vector<int64_t>& pads_flat);

// "[?,4,4,64], [5,5,64,16]": the input (batch unknown) and, for convs, the filter.
std::string input_shapes(const Layer& layer, const std::vector<int64_t>& input, int64_t channels, size_t sr);

}  // namespace convscope::tf_text
