// createConvOp's options as JSON text -> ConvDesc. The WASM module's JS
// wrapper hands over JSON.stringify(options) without weights and bias, so
// every check of what the caller wrote (types, names, ranges) happens here,
// in one place, with messages naming the option as the caller spelled it.
#pragma once

#include <string>

#include "convscope/kernels/desc.hpp"

namespace convscope::kernels {

// Keys: kind ("conv" | "depthwise_conv" | "conv_transpose"), inputShape
// [N, H, W, C], filters, kernel [kh, kw], stride [sh, sw] (default [1, 1]),
// dilation [dh, dw] (default [1, 1]), padding [[top, bottom], [left, right]]
// or "valid" (default) or "same" (TensorFlow's: ceil(in / stride), the odd
// cell at the end; forward kinds only), groups (default 1), depthMultiplier
// (default 1), outputPadding [h, w] (conv_transpose, default [0, 0]), relu
// (default false), winograd (default true: 3x3 stride-1 convs may run as
// Winograd F(2x2, 3x3); false keeps the direct kernel). null counts as absent; an unknown key is an error, so a
// misspelt option is not silently ignored. Returns "" and fills `out`, or the
// error (the description is then also validated: see validate()).
std::string conv_desc_from_json(const std::string& options_json, ConvDesc& out);

}  // namespace convscope::kernels
