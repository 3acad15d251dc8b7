#include "convscope/tf_text.hpp"

#include <algorithm>

#include "convscope/conventions.hpp"

namespace convscope::tf_text {

using std::to_string;

std::string output_node(const Layer& layer, size_t spatial_rank) {
  const bool d3 = spatial_rank == 3;
  switch (layer.type) {
    case LayerType::conv:
    case LayerType::depthwise_conv:
    case LayerType::conv_transpose:
    case LayerType::dense:
      return layer.name + (layer.bias ? "/BiasAdd" : layer.type == LayerType::dense ? "/MatMul" : "/Conv2D");
    case LayerType::max_pool: return layer.name + (d3 ? "/MaxPool3D" : "/MaxPool");
    case LayerType::avg_pool: return layer.name + (d3 ? "/AvgPool3D" : "/AvgPool");
    case LayerType::relu: return layer.name + "/Relu";
    case LayerType::batch_norm: return layer.name + "/FusedBatchNormV3";
    case LayerType::flatten: return layer.name + "/Reshape";
    default: return layer.name + "/Identity";
  }
}

namespace {

std::string list4(const std::vector<int64_t>& v) {
  std::string s = "[1";
  for (int64_t x : v) s += ", " + to_string(x);
  return s + ", 1]";
}

// "Placeholder" for the model input, else the node the layer feeding it ends in.
std::string input_node(const Network& net, std::optional<size_t> previous) {
  if (!previous) return "Placeholder";
  return output_node(net.layers[*previous], net.spatial_rank());
}

std::string data_format(size_t sr) { return sr == 3 ? "NDHWC" : "NHWC"; }

}  // namespace

// The quoted node of TF's "Negative dimension size ... for '{node}'" text, as
// tf.keras 2 builds it (Conv1D runs as a Conv2D on an expanded axis).
std::string node_summary(const Network& net, const Layer& l, std::optional<size_t> previous,
                         const std::vector<int64_t>& pads_flat) {
  const size_t sr = net.spatial_rank();
  const bool d3 = sr == 3;
  std::vector<int64_t> stride = l.stride, dilation = l.dilation, kernel = l.kernel;
  if (sr == 1) {  // Keras Conv1D / pooling1d expand to 2-D with a leading 1
    stride.insert(stride.begin(), 1);
    dilation.insert(dilation.begin(), 1);
    kernel.insert(kernel.begin(), 1);
  }
  std::string padding = l.padding.mode == PadMode::same ? "SAME"
                        : l.padding.mode == PadMode::explicit_pads && !pads_flat.empty() ? "EXPLICIT"
                                                                                       : "VALID";
  std::string explicit_paddings = "[]";
  if (padding == "EXPLICIT") {
    explicit_paddings = "[0, 0";
    for (int64_t p : pads_flat) explicit_paddings += ", " + to_string(p);
    explicit_paddings += ", 0, 0]";
  }
  const std::string df = "data_format=\"" + data_format(sr) + "\"";
  const std::string strides = "strides=" + list4(stride);
  const std::string pad = "padding=\"" + padding + "\"";
  std::string op, node, inputs;
  if (l.type == LayerType::conv) {
    op = d3 ? "Conv3D" : "Conv2D";
    node = l.name + (sr == 1 ? "/conv1d" : d3 ? "/Conv3D" : "/Conv2D");
    std::string attrs = "T=DT_FLOAT, " + df + ", dilations=" + list4(dilation) +
                        (d3 ? "" : ", explicit_paddings=" + explicit_paddings) + ", " + pad +
                        ", " + strides + (d3 ? "" : ", use_cudnn_on_gpu=true");
    return "{{node " + node + "}} = " + op + "[" + attrs + "](" + input_node(net, previous) + ", " +
           node + "/ReadVariableOp)";
  }
  if (l.type == LayerType::depthwise_conv) {
    node = l.name + "/depthwise";
    std::string attrs = "T=DT_FLOAT, " + df + ", dilations=" + list4(dilation) +
                        ", explicit_paddings=" + explicit_paddings + ", " + pad + ", " + strides;
    return "{{node " + node + "}} = DepthwiseConv2dNative[" + attrs + "](" +
           input_node(net, previous) + ", " + node + "/ReadVariableOp)";
  }
  const bool max = l.type == LayerType::max_pool;
  op = std::string(max ? "MaxPool" : "AvgPool") + (d3 ? "3D" : "");
  node = l.name + "/" + op;
  std::string attrs = "T=DT_FLOAT, " + df + (max && !d3 ? ", explicit_paddings=[]" : "") +
                      ", ksize=" + list4(kernel) + ", " + pad + ", " + strides;
  return "{{node " + node + "}} = " + op + "[" + attrs + "](" + input_node(net, previous) + ")";
}

// The shapes TF lists after the node: input (batch unknown) and filter.
std::string input_shapes(const Layer& l, const std::vector<int64_t>& shape, int64_t channels, size_t sr) {
  std::vector<int64_t> input = shape;
  if (sr == 1) input.insert(input.begin() + 1, 1);
  std::string s = conventions::tf_shape(input, true);
  if (l.type == LayerType::conv || l.type == LayerType::depthwise_conv) {
    std::vector<int64_t> filter = l.kernel;
    if (sr == 1) filter.insert(filter.begin(), 1);
    if (l.type == LayerType::conv) {
      filter.push_back(channels / std::max<int64_t>(l.groups, 1));
      filter.push_back(l.filters);
    } else {
      filter.push_back(channels);
      filter.push_back(l.depth_multiplier);
    }
    s += ", " + conventions::tf_shape(filter, false);
  }
  return s;
}

}  // namespace convscope::tf_text
