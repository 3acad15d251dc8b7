#include "convscope/conventions.hpp"

#include <algorithm>
#include <array>

#include "convscope/layer_types.hpp"

namespace convscope::conventions {

// ---- Layout ---------------------------------------------------------------

bool channels_last(Framework f) { return f == Framework::tensorflow; }

size_t channel_axis(Framework f, size_t rank) { return channels_last(f) ? rank - 1 : 1; }

size_t spatial_axis(Framework f, size_t i) { return channels_last(f) ? 1 + i : 2 + i; }

std::string spatial_axis_label(size_t spatial_rank, size_t i) {
  static const char* const k1[] = {"L"};
  static const char* const k2[] = {"H", "W"};
  static const char* const k3[] = {"D", "H", "W"};
  if (spatial_rank == 1 && i < 1) return k1[i];
  if (spatial_rank == 2 && i < 2) return k2[i];
  if (spatial_rank == 3 && i < 3) return k3[i];
  return "axis " + std::to_string(i);
}

std::string layout_string(Framework f, size_t rank) {
  if (rank < 2) return "N";
  std::string s = channels_last(f) ? "N" : "N, C";
  for (size_t i = 0; i < rank - 2; ++i) s += ", " + spatial_axis_label(rank - 2, i);
  if (channels_last(f)) s += ", C";
  return s;
}

// ---- Names ----------------------------------------------------------------

std::string display_name(Framework f) {
  switch (f) {
    case Framework::pytorch: return "PyTorch";
    case Framework::tensorflow: return "TensorFlow/Keras";
    case Framework::onnx: return "ONNX";
  }
  return "";
}

namespace {

std::string with_rank(const char* pattern, size_t spatial_rank) {
  std::string s = pattern;
  const auto pos = s.find("{d}");
  if (pos != std::string::npos) s.replace(pos, 3, std::to_string(spatial_rank));
  return s;
}

}  // namespace

std::string framework_layer_name(Framework f, LayerType t, size_t spatial_rank) {
  const LayerTypeInfo& n = type_info(t);
  switch (f) {
    case Framework::pytorch: return with_rank(n.pytorch, spatial_rank);
    case Framework::tensorflow: return with_rank(n.keras, spatial_rank);
    case Framework::onnx: return n.onnx;
  }
  return n.onnx;
}

std::string auto_layer_name(Framework f, LayerType t, size_t spatial_rank, size_t index,
                            size_t ordinal) {
  const LayerTypeInfo& n = type_info(t);
  switch (f) {
    case Framework::tensorflow: {
      // Keras: conv2d, conv2d_1, conv2d_2, ... per layer class.
      const std::string base = with_rank(n.keras_auto, spatial_rank);
      return ordinal == 0 ? base : base + "_" + std::to_string(ordinal);
    }
    case Framework::pytorch:
      // nn.Sequential names its children by position.
      return std::to_string(index);
    case Framework::onnx:
      // Exporters name nodes OpType_N (e.g. torch.onnx: /features/Conv_0 style).
      return std::string(n.onnx) + "_" + std::to_string(index);
  }
  return std::to_string(index);
}

std::string field_name(Framework f, const std::string& field) {
  struct Row { const char* field; const char* pytorch; const char* tensorflow; const char* onnx; };
  static const Row kRows[] = {
      {"filters", "out_channels", "filters", "M (weight dim 0)"},
      {"kernel", "kernel_size", "kernel_size", "kernel_shape"},
      {"stride", "stride", "strides", "strides"},
      {"dilation", "dilation", "dilation_rate", "dilations"},
      {"padding", "padding", "padding", "pads"},
      {"groups", "groups", "groups", "group"},
      {"output_padding", "output_padding", "output_padding", "output_padding"},
      {"depth_multiplier", "out_channels / in_channels", "depth_multiplier", "M / C"},
      {"ceil_mode", "ceil_mode", "-", "ceil_mode"},
      {"count_include_pad", "count_include_pad", "-", "count_include_pad"},
      {"units", "out_features", "units", "N (weight dim)"},
      {"in_features", "in_features", "input_dim", "K (weight dim)"},
      {"in_channels", "in_channels", "- (Keras builds from the input)", "C (weight dim 1 * group)"},
      {"output_size", "output_size", "output_size", "-"},
      {"scale", "scale_factor", "size", "scales"},
      {"cropping", "-", "cropping", "starts / ends"},
      {"keepdims", "-", "keepdims", "-"},
      {"bias", "bias", "use_bias", "B"},
      {"axis", "dim", "axis", "axis"},
      {"shape", "view sizes", "target_shape", "shape"},
      {"batch", "batch (x.size(0) or -1)", "-", "shape[0] (N or -1)"},
  };
  for (const Row& r : kRows) {
    if (field != r.field) continue;
    switch (f) {
      case Framework::pytorch: return r.pytorch;
      case Framework::tensorflow: return r.tensorflow;
      case Framework::onnx: return r.onnx;
    }
  }
  return field;
}

// ---- Error texts ----------------------------------------------------------

namespace {

struct Template {
  Framework framework;
  Failure failure;
  const char* source;
  const char* text;
};

// Verbatim templates from each framework's source; {x} are filled by the
// analysis. Order matters: per (framework, failure) the first is the text the
// user most likely sees. Sources:
//  TF graph mode: tensorflow/core/framework/shape_inference.cc (Subtract)
//  TF eager: tensorflow/core/framework/kernel_shape_util.cc
//  tf.keras 2: keras/layers/convolutional/base_conv.py
//  Keras 3: keras/src/ops/operation_utils.py
//  PyTorch: aten/src/ATen/native/Convolution.cpp, Pool.h, ConvUtils.h
//  ONNX Runtime: onnxruntime/core/providers/cpu/nn/conv_attributes.h, pool_attributes.h
const Template kTemplates[] = {
    // -- convolution: kernel larger than the padded input
    {Framework::pytorch, Failure::window_too_small, "PyTorch",
     "Calculated padded input size per channel: ({padded}). Kernel size: ({kernel}). Kernel size "
     "can't be greater than actual input size"},
    {Framework::tensorflow, Failure::window_too_small, "TensorFlow graph mode (tf.keras 2)",
     "Negative dimension size caused by subtracting {k_eff} from {in} for '{node}' with input "
     "shapes: {shapes}."},
    {Framework::tensorflow, Failure::window_too_small, "Keras 3",
     "Computed output size would be zero or negative. Received `inputs shape={keras_shape}`, "
     "`kernel shape={keras_kernel}`, `dilation_rate={keras_dilation}`, `strides={keras_strides}`, "
     "`padding={keras_padding}`."},
    {Framework::tensorflow, Failure::window_too_small, "TensorFlow eager mode",
     "Computed output size would be negative: {eager_out} [input_size: {eager_in}, "
     "effective_filter_size: {eager_k}, stride: {eager_stride}]"},
    {Framework::tensorflow, Failure::window_too_small, "tf.keras 2 (compute_output_shape)",
     "One of the dimensions in the output is <= 0 due to downsampling in {name}. Consider "
     "increasing the input size. Received input shape {keras2_shape} which would produce output "
     "shape with a zero or negative value in a dimension."},
    {Framework::tensorflow, Failure::window_too_small, "TensorFlow.js layers",
     "Negative dimension size caused by adding layer {name} with input shape [{tfjs_shape}]"},
    {Framework::onnx, Failure::window_too_small, "ONNX Runtime",
     "Invalid input shape: {ort_spatial}"},
    // -- pooling: output smaller than 1
    {Framework::pytorch, Failure::pool_too_small, "PyTorch",
     "Given input size: ({pool_in}). Calculated output size: ({pool_out}). Output size is too "
     "small"},
    {Framework::pytorch, Failure::pool_too_small, "PyTorch (max_pool1d)",
     "max_pool1d() Invalid computed output size: {pool1d_out}"},
    {Framework::tensorflow, Failure::pool_too_small, "TensorFlow graph mode (tf.keras 2)",
     "Negative dimension size caused by subtracting {k_eff} from {in} for '{node}' with input "
     "shapes: {shapes}."},
    {Framework::tensorflow, Failure::pool_too_small, "Keras 3",
     "Computed output size would be zero or negative. Received: `inputs.shape={numpy_shape}`, "
     "`pool_size={numpy_kernel}`, `strides={keras_strides}`, `padding={keras_padding}`."},
    {Framework::tensorflow, Failure::pool_too_small, "TensorFlow eager mode",
     "Computed output size would be negative: {eager_out} [input_size: {eager_in}, "
     "effective_filter_size: {eager_k}, stride: {eager_stride}]"},
    {Framework::tensorflow, Failure::pool_too_small, "TensorFlow.js layers",
     "Negative dimension size caused by adding layer {name} with input shape [{tfjs_shape}]"},
    {Framework::onnx, Failure::pool_too_small, "ONNX Runtime",
     "Calculated output dimension is negative. Check kernel_shape, pads, strides and dilations."},
    // -- transposed convolution
    {Framework::pytorch, Failure::transposed_too_small, "PyTorch",
     "Given input size per channel: ({per_channel_in}). Calculated output size per channel: "
     "({per_channel_out}). Output size is too small"},
    // conv_transpose_attributes.h: the first spatial axis (0-based) whose output is not positive.
    // Per axis, its check that the output maps back to the input comes first
    // (only one of these two is given its variables).
    {Framework::onnx, Failure::transposed_too_small, "ONNX Runtime",
     "Computed output shape is inconsistent with input spatial dimensions. output_padding ({ort_inc_op}) may be "
     "too large for stride ({ort_inc_stride}). Expected input size {ort_inc_expected} but got {ort_inc_in}."},
    {Framework::onnx, Failure::transposed_too_small, "ONNX Runtime",
     "Computed output dimension is <= 0 for dim {ort_dim}. Input shape: {ort_spatial}"},
    // -- PyTorch pooling padding
    {Framework::pytorch, Failure::pool_padding_too_large, "PyTorch",
     "pad should be at most half of effective kernel size, but got pad={pad}, kernel_size={kernel} "
     "and dilation={dilation}"},
    {Framework::pytorch, Failure::pool_padding_too_large, "PyTorch (max_pool1d)",
     "max_pool1d() padding should be at most half of kernel size, but got padding={pad1d} and "
     "kernel_size={kernel}"},
    // Pool.h pool2d_shape_check / pool3d_shape_check: the raw kernel, after the check above.
    {Framework::pytorch, Failure::pool_padding_too_large, "PyTorch",
     "pad should be smaller than or equal to half of kernel size, but got {pad_shape_check}"},
    // -- padding='same' with stride
    {Framework::pytorch, Failure::same_strided, "PyTorch",
     "padding='same' is not supported for strided convolutions"},
    {Framework::tensorflow, Failure::same_dilated_strided, "Keras",
     "`strides > 1` not supported in conjunction with `dilation_rate > 1`. Received: "
     "strides={keras_strides} and dilation_rate={keras_dilation}"},
    // -- groups
    {Framework::pytorch, Failure::groups_in_channels, "PyTorch", "in_channels must be divisible by groups"},
    {Framework::pytorch, Failure::groups_out_channels, "PyTorch", "out_channels must be divisible by groups"},
    {Framework::tensorflow, Failure::groups_in_channels, "Keras 3",
     "The number of input channels must be evenly divisible by the number of groups. Received "
     "groups={groups}, but the input has {channels} channels (full input shape is {keras_shape})."},
    {Framework::tensorflow, Failure::groups_out_channels, "Keras 3",
     "The number of filters must be evenly divisible by the number of groups. Received: "
     "groups={groups}, filters={filters}."},
    {Framework::onnx, Failure::groups_in_channels, "ONNX Runtime",
     "Input channels C is not equal to kernel channels * group. C: {channels} kernel channels: "
     "{kernel_channels} group: {groups}"},
    {Framework::onnx, Failure::groups_in_channels, "ONNX Runtime",
     "Input channels is not divisible by group. num_input_channels: {channels} group: {transposed_groups}"},
    {Framework::onnx, Failure::groups_out_channels, "ONNX Runtime",
     "Output channels M is not divisible by group. M: {filters} group: {groups}"},
    // -- transposed output padding
    {Framework::pytorch, Failure::output_padding_too_large, "PyTorch",
     "output padding must be smaller than either stride or dilation, but got {op_details}"},
    {Framework::onnx, Failure::output_padding_too_large, "ONNX Runtime",
     "output_padding[{ort_axis}] ({ort_op}) must be less than max(stride, dilation) ({ort_bound}) for "
     "spatial dimension {ort_axis}."},
    {Framework::tensorflow, Failure::output_padding_too_large, "Keras 3",
     "`output_padding` must be < `strides`. output_padding={keras_output_padding}, "
     "strides={keras_strides}"},
    {Framework::tensorflow, Failure::output_padding_too_large, "tf.keras 2",
     "Strides must be greater than output padding. Received strides={keras_strides}, "
     "output_padding={keras_output_padding}."},
    {Framework::tensorflow, Failure::transposed_inconsistent, "TensorFlow",
     "Conv2DCustomBackpropInput: Size of out_backprop doesn't match computed: actual = {in}, "
     "computed = {forward} spatial_dim: {spatial_dim} input: {out} filter: {kernel} output: {in} "
     "stride: {stride} dilation: {dilation}"},
    // -- cropping more than the input (Keras 3 keras/src/layers/reshaping/
    //    cropping1d.py, cropping2d.py, cropping3d.py compute_output_shape;
    //    tfjs-layers has only Cropping2D, refused by Sequential.checkShape
    //    (models.ts) where a size is negative)
    {Framework::tensorflow, Failure::crop_too_large, "Keras 3",
     "`cropping` parameter of `Cropping1D` layer must be smaller than the input length. Received: "
     "input_shape={keras_shape}, cropping={keras_cropping1d}"},
    {Framework::tensorflow, Failure::crop_too_large, "Keras 3",
     "Values in `cropping` argument should be smaller than the corresponding spatial dimension of the "
     "input. Received: input_shape={keras_shape}, cropping={keras_cropping_pairs}"},
    {Framework::tensorflow, Failure::crop_too_large, "TensorFlow.js layers",
     "Negative dimension size caused by adding layer {name} with input shape [{tfjs_shape}]"},
    // -- dense / linear
    {Framework::pytorch, Failure::dense_mismatch, "PyTorch",
     "mat1 and mat2 shapes cannot be multiplied ({rows}x{arriving} and {declared}x{units})"},
    {Framework::tensorflow, Failure::dense_mismatch, "Keras",
     "Input 0 of layer \"{name}\" is incompatible with the layer: expected axis -1 of input shape "
     "to have value {declared}, but received input with shape {keras_shape}"},
    {Framework::onnx, Failure::dense_mismatch, "ONNX Runtime (Gemm, transB=1 as exported by PyTorch)",
     "GEMM: Dimension mismatch, W: {{units},{declared}} K: {arriving} N:{units}"},
    // -- concat. Each framework's own reference and numbering (verified by
    //    running PyTorch 1.13 and ONNX Runtime 1.31; Keras and TF from source):
    //    PyTorch aten/src/ATen/native/TensorShape.h check_cat_shape_except_dim:
    //      the first tensor is the reference, dims left to right, the CONCAT dim printed;
    //    Keras keras/src/layers/merging/concatenate.py build(): raises before any TF op;
    //    TF eager tensorflow/core/kernels/concat_op.cc: input 0 the reference, full dim index;
    //    ONNX Runtime: with fixed input shapes ONNX shape inference fails at load
    //      ("Inferred" = the later input, "Declared" = input 0); with dynamic shapes
    //      the kernel (concatbase.h PrepareForComputeImpl) fails at run.
    {Framework::pytorch, Failure::concat_mismatch, "PyTorch",
     "Sizes of tensors must match except in dimension {dim}. Expected size {ref_size} but got size "
     "{other_size} for tensor number {tensor} in the list."},
    {Framework::tensorflow, Failure::concat_mismatch, "Keras (tf.keras 2.9+ and Keras 3)",
     "A `Concatenate` layer requires inputs with matching shapes except for the concatenation "
     "axis. Received: input_shape={keras_shapes}"},
    {Framework::tensorflow, Failure::concat_mismatch, "TensorFlow eager mode (tf.concat)",
     "{{function_node __wrapped__ConcatV2_N_{count}_device_/job:localhost/replica:0/task:0/device:CPU:0}} "
     "ConcatOp : Dimension {axis_index} in both shapes must be equal: shape[0] = {tf_shape0} vs. "
     "shape[{tensor}] = {tf_shape_other} [Op:ConcatV2] name: concat"},
    {Framework::onnx, Failure::concat_mismatch, "ONNX Runtime (loading a model with fixed input shapes)",
     "Node ({name}) Op (Concat) [ShapeInferenceError] Can't merge shape info. Both inferred and "
     "declared dimension have values but they differ. Inferred={other_size} Declared={ref_size} "
     "Dimension={axis_index}"},
    {Framework::onnx, Failure::concat_mismatch, "ONNX Runtime 1.31 (running, dynamic input shapes)",
     "Non-zero status code returned while running Concat node. Name:'{name}' Status Message: "
     "concatbase.h:133 PrepareForComputeImpl Non concat axis dimensions must match: Axis "
     "{axis_index} has mismatched dimensions of {other_size} and {ref_size}"},
    {Framework::pytorch, Failure::concat_rank, "PyTorch",
     "Tensors must have same number of dimensions: got {ref_rank} and {other_rank}"},
    {Framework::tensorflow, Failure::concat_rank, "Keras (tf.keras 2.9+ and Keras 3)",
     "A `Concatenate` layer requires inputs with matching shapes except for the concatenation "
     "axis. Received: input_shape={keras_shapes}"},
    {Framework::onnx, Failure::concat_rank, "ONNX Runtime (loading)",
     "Node ({name}) Op (Concat) [ShapeInferenceError] All inputs to Concat must have same rank. "
     "Input {tensor} has rank {other_rank} != {ref_rank}"},
    {Framework::pytorch, Failure::concat_axis, "PyTorch",
     "Dimension out of range (expected to be in range of [-{rank}, {rank_max}], but got {axis})"},
    // onnx/defs/tensor/defs.cc Concat's shape inference (ranks are known at load, even with dynamic sizes).
    {Framework::onnx, Failure::concat_axis, "ONNX Runtime (loading)",
     "Node ({name}) Op (Concat) [ShapeInferenceError] axis must be in [-rank, rank-1]."},
    // -- element-wise: PyTorch aten/src/ATen/ExpandUtils.cpp infer_size_impl (the
    //    LAST mismatching dim, counted in the broadcast result; a = the left operand);
    //    Keras base_merge.py _compute_elemwise_op_output_shape (batch removed, the
    //    longer shape first); TF eager cwise_ops_common.cc BinaryOpState; ONNX
    //    Runtime: ONNX inference at load with fixed shapes (no numbers), or
    //    element_wise_ops.h at run (smaller by larger): the broadcaster walks the
    //    axes from the last, sets up the first one where a size exceeds 1 with
    //    BroadcastIterator::Init (line 563 in 1.31.1) and every later one with
    //    Append (line 583), each enforcing the same rule (RUN, onnxruntime-node 1.31.1).
    {Framework::pytorch, Failure::broadcast_mismatch, "PyTorch",
     "The size of tensor a ({size_a}) must match the size of tensor b ({size_b}) at non-singleton "
     "dimension {dim}"},
    {Framework::tensorflow, Failure::broadcast_mismatch, "Keras (tf.keras 2.9+ and Keras 3)",
     "Inputs have incompatible shapes. Received shapes {keras_a} and {keras_b}"},
    {Framework::tensorflow, Failure::broadcast_mismatch, "TensorFlow eager mode (tf.math ops)",
     "{{function_node __wrapped__{tf_op}_device_/job:localhost/replica:0/task:0/device:CPU:0}} "
     "Incompatible shapes: {tf_a} vs. {tf_b} [Op:{tf_op}] name: "},
    {Framework::onnx, Failure::broadcast_mismatch, "ONNX Runtime (loading a model with fixed input shapes)",
     "Node ({name}) Op ({onnx_op}) [ShapeInferenceError] Incompatible dimensions"},
    {Framework::onnx, Failure::broadcast_mismatch, "ONNX Runtime 1.31 (running, dynamic input shapes)",
     "Non-zero status code returned while running {onnx_op} node. Name:'{name}' Status Message: "
     "/onnxruntime_src/onnxruntime/core/providers/cpu/math/element_wise_ops.h:{ort_where}(ptrdiff_t, "
     "ptrdiff_t) axis == 1 || axis == largest was "
     "false. Attempting to broadcast an axis by a dimension other than 1. {smaller} by {larger}"},
    // -- declared in_channels (Convolution.cpp check_shape_forward; Normalization.cpp)
    // -- channel_shuffle: torchvision 0.14's view(N, g, C // g, H, W) (PyTorch
    // 1.13 re-run) and the exported Reshape (ONNX Runtime 1.31.1 re-run)
    {Framework::pytorch, Failure::shuffle_groups, "PyTorch",
     "shape '{view_shape}' is invalid for input of size {numel}"},
    {Framework::onnx, Failure::shuffle_groups, "ONNX Runtime",
     "The input tensor cannot be reshaped to the requested shape. Input shape:{ort_input}, requested "
     "shape:{ort_requested}"},
    // -- channel_split: x.chunk(n, dim=1)[i] when chunking makes fewer than i + 1
    // pieces (PyTorch 1.13 re-run). ONNX's Slice returns an empty tensor: no text.
    {Framework::pytorch, Failure::split_index, "PyTorch", "tuple index out of range"},  // an IndexError
    // -- reshape. PyTorch 1.13 re-run: x.view(x.size(0), 400) and x.view(-1, 400)
    //    of a [1, 16, 4, 4] tensor print the shape as passed (-1 kept), the batch
    //    as the number x.size(0) gave. Keras from source: Keras 3
    //    keras/src/ops/operation_utils.py compute_reshape_output_shape (tuples
    //    after the batch; another sentence when target_shape holds a -1), first
    //    as the current Keras (TF 2.16+); tf.keras 2 keras/layers/reshaping/
    //    reshape.py _fix_unknown_dimension (lists); tfjs-layers
    //    src/layers/core.ts Reshape.fixUnknownDimension (one fixed sentence; not
    //    installed here: the conformance runner runs tfjs-core's tf.reshape and
    //    words the failure by that rule). ONNX Runtime 1.31.1 re-run
    //    (reshape_helper.h, ORT_ENFORCE prefix dropped) at run time with
    //    dynamic input sizes; with fixed sizes ONNX shape inference already
    //    refuses a -1 that cannot be inferred while the model loads (a shape
    //    without -1 loads and fails at run).
    {Framework::pytorch, Failure::reshape_size, "PyTorch",
     "shape '{view_shape}' is invalid for input of size {numel}"},
    {Framework::tensorflow, Failure::reshape_size, "Keras 3",
     "The total size of the tensor must be unchanged. Received: input_shape={keras3_input}, "
     "target_shape={keras3_fixed_target}"},
    {Framework::tensorflow, Failure::reshape_size, "Keras 3",
     "The total size of the tensor must be unchanged, however, the input size cannot by divided by the specified "
     "dimensions in target_shape. Received: input_shape={keras3_input}, target_shape={keras3_inferred_target}"},
    {Framework::tensorflow, Failure::reshape_size, "tf.keras 2",
     "total size of new array must be unchanged, input_shape = {keras2_input}, output_shape = {keras2_target}"},
    {Framework::tensorflow, Failure::reshape_size, "TensorFlow.js layers", "Total size of new array must be unchanged."},
    {Framework::onnx, Failure::reshape_size, "ONNX Runtime",
     "The input tensor cannot be reshaped to the requested shape. Input shape:{ort_input}, requested "
     "shape:{ort_requested}"},
    {Framework::onnx, Failure::reshape_size, "ONNX Runtime (loading a model with fixed input shapes)",
     "Node ({name}) Op (Reshape) [ShapeInferenceError] Dimension could not be inferred: incompatible shapes{ort_inferred}"},
    {Framework::pytorch, Failure::channels_mismatch, "PyTorch",
     "Given groups={groups}, weight of size {conv_weight}, expected input{torch_input} to have {declared} "
     "channels, but got {channels} channels instead"},
    {Framework::pytorch, Failure::channels_mismatch, "PyTorch",
     "Given transposed=1, weight of size {transposed_weight}, expected input{torch_input} to have "
     "{declared} channels, but got {channels} channels instead"},
    {Framework::pytorch, Failure::channels_mismatch, "PyTorch",
     "running_mean should contain {bn_channels} elements not {bn_declared}"},
    {Framework::onnx, Failure::channels_mismatch, "ONNX Runtime",
     "Input channels C is not equal to kernel channels * group. C: {channels} kernel channels: "
     "{kernel_channels} group: {groups}"},
    {Framework::onnx, Failure::channels_mismatch, "ONNX Runtime",
     "filter number not equal to input channel number. filter_number: {ort_filter_number} "
     "num_input_channels: {channels}"},
    // batch_norm_helper.h at run time; a model with static channels fails at load in shape inference.
    {Framework::onnx, Failure::channels_mismatch, "ONNX Runtime",
     "Invalid input scale: 0th dimension != {bn_channels}"},
    {Framework::onnx, Failure::channels_mismatch, "ONNX Runtime (at load, static channels)",
     "Node ({name}) Op (BatchNormalization) [ShapeInferenceError] Dimension mismatch in unification "
     "between {bn_declared} and {channels}"},
    // -- BatchNorm in training mode (torch/nn/functional.py, _verify_batch_size)
    {Framework::pytorch, Failure::batch_norm_single_value, "PyTorch",
     "Expected more than 1 value per channel when training, got input size torch.Size({torch_input})"},
    // -- avg_pool3d (aten/src/ATen/native/Pool.h pool3d_shape_check, check_input_size=true)
    {Framework::pytorch, Failure::pool_input_smaller_than_kernel, "PyTorch",
     "input image (T: {in_t} H: {in_h} W: {in_w}) smaller than kernel size (kT: {k_t} kH: {k_h} kW: {k_w})"},
};

bool has_all_vars(const std::string& tmpl, const Vars& vars) {
  for (size_t i = tmpl.find('{'); i != std::string::npos; i = tmpl.find('{', i + 1)) {
    const size_t close = tmpl.find('}', i);
    if (close == std::string::npos) break;
    const std::string key = tmpl.substr(i + 1, close - i - 1);
    if (key.find_first_of("{ ,") != std::string::npos) continue;  // a literal brace
    const bool found = std::any_of(vars.begin(), vars.end(),
                                   [&](const auto& kv) { return kv.first == key; });
    if (!found) return false;
  }
  return true;
}

}  // namespace

std::string fill(const std::string& tmpl, const Vars& vars) {
  std::string out;
  out.reserve(tmpl.size() + 64);
  for (size_t i = 0; i < tmpl.size(); ++i) {
    if (tmpl[i] == '{') {
      const size_t close = tmpl.find('}', i);
      if (close != std::string::npos) {
        const std::string key = tmpl.substr(i + 1, close - i - 1);
        const auto it = std::find_if(vars.begin(), vars.end(),
                                     [&](const auto& kv) { return kv.first == key; });
        if (it != vars.end()) {
          out += it->second;
          i = close;
          continue;
        }
      }
    }
    out += tmpl[i];
  }
  return out;
}

std::vector<Text> error_texts(Framework f, Failure failure, const Vars& vars) {
  std::vector<Text> texts;
  for (const Template& t : kTemplates) {
    if (t.framework != f || t.failure != failure) continue;
    if (!has_all_vars(t.text, vars)) continue;
    texts.push_back({t.source, fill(t.text, vars)});
  }
  return texts;
}

std::string onnxruntime_transposed_inconsistent(int64_t output_padding, int64_t stride, int64_t expected,
                                                int64_t in) {
  return fill("Computed output shape is inconsistent with input spatial dimensions. output_padding ({op}) may be "
              "too large for stride ({stride}). Expected input size {expected} but got {in}.",
              {{"op", std::to_string(output_padding)}, {"stride", std::to_string(stride)},
               {"expected", std::to_string(expected)}, {"in", std::to_string(in)}});
}

// ---- Formatting helpers ----------------------------------------------------

std::string joined(const std::vector<int64_t>& v, const std::string& sep) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) s += sep;
    s += std::to_string(v[i]);
  }
  return s;
}

std::string tf_shape(const std::vector<int64_t>& shape, bool unknown_batch) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ",";
    s += (i == 0 && unknown_batch) ? "?" : std::to_string(shape[i]);
  }
  return s + "]";
}

std::string keras_shape(const std::vector<int64_t>& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += i == 0 ? "None" : std::to_string(shape[i]);
  }
  if (shape.size() == 1) s += ",";
  return s + ")";
}

std::string ort_shape(const std::vector<int64_t>& shape) { return "{" + joined(shape, ",") + "}"; }

std::string python_tuple(const std::vector<int64_t>& shape, size_t from) {
  std::string s = "(";
  for (size_t i = from; i < shape.size(); ++i) s += (i > from ? ", " : "") + std::to_string(shape[i]);
  if (shape.size() == from + 1) s += ",";
  return s + ")";
}

}  // namespace convscope::conventions
