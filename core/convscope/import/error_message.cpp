#include "convscope/import/error_message.hpp"

#include "convscope/import/draft.hpp"
#include "convscope/import/error_scan.hpp"

namespace convscope::import {

const char* const kWholeModelHint =
    "this is the failing layer rebuilt from the message: paste print(model) with the input shape (the traceback may come "
    "with it) for the whole network and its real fix";

namespace {

using Reader = bool (*)(errors::Scan&, size_t, Draft&);

struct Anchor {
  const char* text;  // where the message starts
  const char* what;  // for the notes
  Reader read;
};

// Most specific first: the first anchor found in the text wins, so a
// traceback that quotes several messages is read by its most telling one.
const Anchor kAnchors[] = {
    {"Negative dimension size caused by subtracting ", "TensorFlow graph mode", errors::tf_graph},
    {"Negative dimension size caused by adding layer ", "TensorFlow.js layers", errors::tfjs_layers},
    {"Computed output size would be negative: ", "TensorFlow eager mode", errors::tf_eager},
    {"One of the dimensions in the output is <= 0 due to downsampling in ", "tf.keras 2",
     errors::keras2_downsampling},
    {"Computed output size would be zero or negative. Received `inputs shape=", "Keras 3 (convolution)",
     errors::keras3_conv},
    {"Computed output size would be zero or negative. Received: `inputs.shape=", "Keras 3 (pooling)",
     errors::keras3_pool},
    {"is incompatible with the layer: expected axis -1 of input shape to have value ", "Keras (Dense)",
     errors::keras_dense},
    {"Calculated padded input size per channel: ", "PyTorch (convolution)", errors::torch_conv},
    {"Given input size per channel: ", "PyTorch (transposed convolution)", errors::torch_transposed},
    {"Given input size: ", "PyTorch (pooling)", errors::torch_pool},
    {"max_pool1d() Invalid computed output size: ", "PyTorch (max_pool1d)", errors::torch_max_pool1d},
    {"mat1 and mat2 shapes cannot be multiplied ", "PyTorch (Linear)", errors::torch_linear},
    {"pad should be at most half of effective kernel size", "PyTorch (pooling padding)",
     errors::torch_pool_padding},
    {"padding should be at most half of kernel size, but got padding=", "PyTorch (max_pool1d padding)",
     errors::torch_pool_padding},
    {"pad should be smaller than or equal to half of kernel size, but got ", "PyTorch (pooling padding)",
     errors::torch_pool_padding_raw},
    {"output padding must be smaller than either stride or dilation, but got ",
     "PyTorch (transposed output padding)", errors::torch_output_padding},
    {"padding='same' is not supported for strided convolutions", "PyTorch (padding='same')",
     errors::torch_same_strided},
    {"Invalid input shape: ", "ONNX Runtime", errors::ort_invalid_input},
    {"Computed output dimension is <= 0 for dim ", "ONNX Runtime (ConvTranspose)", errors::ort_transposed_too_small},
    {"Dilation not supported for AutoPadType::SAME_UPPER or AutoPadType::SAME_LOWER", "ONNX Runtime",
     errors::ort_same_dilation},
    {"Calculated output dimension is negative", "ONNX Runtime (pooling)", errors::ort_pool_negative},
    // Branches: declared channels and merges (error_branch.cpp).
    {"Given groups=", "PyTorch (declared input channels)", errors::torch_channels},
    {"Given transposed=1, weight of size ", "PyTorch (transposed, declared input channels)", errors::torch_channels},
    {"Sizes of tensors must match except in dimension ", "PyTorch (torch.cat)", errors::torch_cat},
    {"The size of tensor a (", "PyTorch (element-wise)", errors::torch_broadcast},
    {"ConcatOp : Dimension ", "TensorFlow eager mode (tf.concat)", errors::tf_concat_eager},
    {"Incompatible shapes: ", "TensorFlow eager mode (element-wise)", errors::tf_eager_binary},
    {"Dimensions must be equal, but are ", "TensorFlow graph mode (element-wise)", errors::tf_graph_binary},
    {" in both shapes must be equal, but are ", "TensorFlow graph mode (ConcatV2)", errors::tf_graph_concat},
    {"A `Concatenate` layer requires inputs with matching shapes except for the concatenation axis",
     "Keras (Concatenate)", errors::keras_concat},
    {"`Concatenate` layer requires inputs with matching shapes except for the concat axis",
     "Keras 2.7 and earlier (Concatenate)", errors::keras_concat},
    {"Inputs have incompatible shapes. Received shapes ", "Keras (merge layer)", errors::keras_merge},
    {"Operands could not be broadcast together with shapes ", "Keras 2.7 and earlier (merge layer)", errors::keras_merge},
    {"Non concat axis dimensions must match: Axis ", "ONNX Runtime (Concat)", errors::ort_concat_run},
    {"[ShapeInferenceError] Can't merge shape info.", "ONNX Runtime (loading a Concat)", errors::ort_concat_load},
    {"Attempting to broadcast an axis by a dimension other than 1. ", "ONNX Runtime (element-wise)",
     errors::ort_broadcast_run},
};

}  // namespace

bool looks_like_error_message(const std::string& text) {
  for (const Anchor& a : kAnchors)
    if (text.find(a.text) != std::string::npos) return true;
  return false;
}

bool import_error_message(const std::string& text, const ImportOptions& options, ImportResult& out,
                          std::string& error) {
  for (const Anchor& a : kAnchors) {
    const size_t at = text.find(a.text);
    if (at == std::string::npos) continue;
    errors::Scan scan{text, ""};
    Draft d;
    d.note(std::string("recognised the ") + a.what + " error message");
    if (!a.read(scan, at, d)) {
      error = scan.error.empty() ? "the " + std::string(a.what) + " message could not be read" : scan.error;
      return false;
    }
    if (options.input)
      d.note("the input shape " + shape_text(*options.input) +
             " was not used: the message's own sizes are what reproduces the failure");
    // One layer is all a message carries: its verdict and fixes are about
    // that layer as rebuilt, and the way on is the model itself.
    d.note(kWholeModelHint);
    d.guessed = std::string("rebuilt from the ") + a.what +
                " message alone: the failing layer's values come from it, every other layer and value is assumed";
    if (d.description.empty())
      d.description = std::string("Reconstructed from a ") + a.what + " error message.";
    return finish(d, Format::error_message, out, error);
  }
  error = "no error message ConvScope knows was found in the text";
  return false;
}

}  // namespace convscope::import
