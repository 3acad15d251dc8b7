#include "convscope/layer_types.hpp"

namespace convscope {

namespace {
constexpr size_t kMany = 64;  // merges take any number of inputs up to this
}

const std::vector<LayerTypeInfo>& layer_types() {
  // Order = the LayerType enum's order.
  static const std::vector<LayerTypeInfo> kTypes = {
      {LayerType::conv, "conv", "Convolution", "Conv{d}d", "Conv{d}D", "conv{d}d", "Conv",
       RuleKind::window, 1, 1, {"filters", "kernel"}, {"stride", "dilation", "padding", "groups", "bias", "in_channels"}},
      {LayerType::conv_transpose, "conv_transpose", "Transposed convolution", "ConvTranspose{d}d",
       "Conv{d}DTranspose", "conv{d}d_transpose", "ConvTranspose", RuleKind::transposed, 1, 1,
       {"filters", "kernel"}, {"stride", "dilation", "padding", "output_padding", "groups", "bias", "in_channels"}},
      {LayerType::depthwise_conv, "depthwise_conv", "Depthwise convolution", "Conv{d}d",
       "DepthwiseConv{d}D", "depthwise_conv{d}d", "Conv", RuleKind::window, 1, 1, {"kernel"},
       {"depth_multiplier", "stride", "dilation", "padding", "bias", "in_channels"}},
      {LayerType::max_pool, "max_pool", "Max pooling", "MaxPool{d}d", "MaxPooling{d}D", "max_pooling{d}d",
       "MaxPool", RuleKind::window, 1, 1, {"kernel"}, {"stride", "dilation", "padding", "ceil_mode"}},
      {LayerType::avg_pool, "avg_pool", "Average pooling", "AvgPool{d}d", "AveragePooling{d}D",
       "average_pooling{d}d", "AveragePool", RuleKind::window, 1, 1, {"kernel"},
       {"stride", "dilation", "padding", "ceil_mode", "count_include_pad"}},
      {LayerType::global_avg_pool, "global_avg_pool", "Global average pooling", "AdaptiveAvgPool{d}d",
       "GlobalAveragePooling{d}D", "global_average_pooling{d}d", "GlobalAveragePool",
       RuleKind::global_pool, 1, 1, {}, {"keepdims"}},
      {LayerType::global_max_pool, "global_max_pool", "Global max pooling", "AdaptiveMaxPool{d}d",
       "GlobalMaxPooling{d}D", "global_max_pooling{d}d", "GlobalMaxPool", RuleKind::global_pool, 1, 1,
       {}, {"keepdims"}},
      {LayerType::adaptive_avg_pool, "adaptive_avg_pool", "Adaptive average pooling", "AdaptiveAvgPool{d}d",
       "AdaptiveAveragePooling{d}D", "adaptive_average_pooling{d}d", "AdaptiveAvgPool",
       RuleKind::adaptive_pool, 1, 1, {"output_size"}, {}},
      {LayerType::zero_pad, "zero_pad", "Zero padding", "ZeroPad{d}d", "ZeroPadding{d}D", "zero_padding{d}d",
       "Pad", RuleKind::resize_axes, 1, 1, {"padding"}, {}},
      {LayerType::crop, "crop", "Cropping", "Crop{d}d", "Cropping{d}D", "cropping{d}d", "Slice",
       RuleKind::resize_axes, 1, 1, {"cropping"}, {}},
      {LayerType::upsample, "upsample", "Upsampling (nearest)", "Upsample", "UpSampling{d}D",
       "up_sampling{d}d", "Resize", RuleKind::resize_axes, 1, 1, {"scale"}, {}},
      {LayerType::flatten, "flatten", "Flatten", "Flatten", "Flatten", "flatten", "Flatten",
       RuleKind::flatten, 1, 1, {}, {}},
      {LayerType::dense, "dense", "Dense / Linear", "Linear", "Dense", "dense", "Gemm", RuleKind::dense, 1, 1,
       {"units"}, {"in_features", "bias"}},
      {LayerType::relu, "relu", "ReLU", "ReLU", "ReLU", "re_lu", "Relu", RuleKind::pointwise, 1, 1, {}, {}},
      {LayerType::activation, "activation", "Activation", "Activation", "Activation", "activation",
       "Activation", RuleKind::pointwise, 1, 1, {}, {"function"}},
      {LayerType::batch_norm, "batch_norm", "Batch normalisation", "BatchNorm{d}d", "BatchNormalization",
       "batch_normalization", "BatchNormalization", RuleKind::pointwise, 1, 1, {}, {"in_channels"}},
      {LayerType::dropout, "dropout", "Dropout", "Dropout", "Dropout", "dropout", "Dropout",
       RuleKind::pointwise, 1, 1, {}, {"rate"}},
      // ShuffleNet's two channel steps, written in forward() (torchvision 0.14
      // shufflenetv2.py). Keras has neither as a layer (see network_json's
      // unavailable()); ONNX exports them as Reshape-Transpose-Reshape and as
      // Slice (torch's chunk) or Split.
      {LayerType::channel_shuffle, "channel_shuffle", "Channel shuffle", "channel_shuffle", "Lambda",
       "channel_shuffle", "Reshape", RuleKind::channels, 1, 1, {"groups"}, {}},
      {LayerType::channel_split, "channel_split", "Channel split (one chunk)", "torch.chunk", "Lambda",
       "channel_split", "Slice", RuleKind::channels, 1, 1, {"chunks", "index"}, {}},
      // x.view / x.reshape in forward() (no module), Keras Reshape, ONNX Reshape.
      {LayerType::reshape, "reshape", "Reshape (view)", "view", "Reshape", "reshape", "Reshape",
       RuleKind::reshape, 1, 1, {"shape"}, {"batch"}},
      // Merges: PyTorch writes them in forward() as operators and functions.
      {LayerType::add, "add", "Add (residual)", "torch.add", "Add", "add", "Add", RuleKind::elementwise, 2,
       kMany, {}, {}},
      {LayerType::subtract, "subtract", "Subtract", "torch.sub", "Subtract", "subtract", "Sub",
       RuleKind::elementwise, 2, 2, {}, {}},
      {LayerType::multiply, "multiply", "Multiply (gate)", "torch.mul", "Multiply", "multiply", "Mul",
       RuleKind::elementwise, 2, kMany, {}, {}},
      // PyTorch: the broadcasting fold (a + b + ...) / n that the rule and its texts
      // follow; torch.stack(...).mean(0) would need equal sizes and word it otherwise.
      {LayerType::average, "average", "Average", "sum(xs) / len(xs)", "Average", "average", "Mean",
       RuleKind::elementwise, 2, kMany, {}, {}},
      {LayerType::maximum, "maximum", "Maximum", "torch.maximum", "Maximum", "maximum", "Max",
       RuleKind::elementwise, 2, kMany, {}, {}},
      {LayerType::minimum, "minimum", "Minimum", "torch.minimum", "Minimum", "minimum", "Min",
       RuleKind::elementwise, 2, kMany, {}, {}},
      {LayerType::concat, "concat", "Concatenate (skip)", "torch.cat", "Concatenate", "concatenate",
       "Concat", RuleKind::concat, 2, kMany, {}, {"axis"}},
      // "Make them fit": [tensor, reference] -> tensor at the reference's spatial size.
      {LayerType::crop_to, "crop_to", "Centre crop to another layer's size", "center_crop",
       "Cropping{d}D", "cropping{d}d", "Slice", RuleKind::match, 2, 2, {}, {}},
      {LayerType::pad_to, "pad_to", "Pad to another layer's size", "F.pad", "ZeroPadding{d}D",
       "zero_padding{d}d", "Pad", RuleKind::match, 2, 2, {}, {}},
      {LayerType::resize_to, "resize_to", "Resize to another layer's size", "F.interpolate", "Resizing",
       "resizing", "Resize", RuleKind::match, 2, 2, {}, {}},
  };
  return kTypes;
}

const LayerTypeInfo& type_info(LayerType t) { return layer_types()[static_cast<size_t>(t)]; }

}  // namespace convscope
