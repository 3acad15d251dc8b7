// Splitting one convolution by bands of output rows, so that the bands can
// run at the same time: ConvOp on the cores of a threaded build, and the
// preview worker across workers (web/conv-split.js asks these functions,
// through the JSON forms at the end, so the rule lives here only).
//
// A band of output rows [a, b) reads input rows [a * sh - top, (b - 1) * sh -
// top + k_eff): the same conv over just those rows, with the rows that fall
// outside the input turned back into padding, gives exactly those output
// rows. Every output pixel then sees the same input values, zero taps and
// weights in the same order as in the whole conv, so the result is identical,
// not merely close: the direct kernels' sums run over the window, never
// across pixels, and the Winograd kernel (conv_winograd_simd.cpp) computes
// 2x2 tiles that start at even rows, so every band starts at an even row too.
// Transposed convs are not split (a band's input rows depend on the stride's
// phase).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "convscope/kernels/desc.hpp"

namespace convscope::kernels {

// `parts` bands of output rows [a, b) covering [0, out_h), each starting at
// an even row and as equal as pairs of rows allow (the first bands a pair
// longer, the last one row shorter when out_h is odd), never empty: fewer
// bands when out_h has fewer than `parts` pairs.
std::vector<std::pair<int, int>> row_bands(int out_h, int parts);

struct ConvBand {
  ConvDesc desc;   // the conv over the band's input rows only
  int in_row = 0;  // its first input row in the whole input
  int out_row = 0; // its first output row in the whole output
};

// Output rows `rows` of the one-image conv or depthwise conv `whole` (valid)
// as a conv of its own; "" or why it cannot be split so (then run it whole).
std::string band_of(const ConvDesc& whole, std::pair<int, int> rows, ConvBand& band);

// The same for hosts holding createConvOp options as JSON (the WASM module's
// rowBands and convBand): row_bands as "[[a,b],...]"; band_of as
// {"inputShape":[1,h,w,c],"padding":[[top,bottom],[left,right]],"inRows":[in0,in1]}
// (the band's options that differ from the whole conv's, and the input rows
// it reads), or {"error":"..."} for options createConvOp refuses or a conv
// band_of does not split.
std::string row_bands_json(int out_h, int parts);
std::string conv_band_json(const std::string& options_json, int first_row, int end_row);

}  // namespace convscope::kernels
