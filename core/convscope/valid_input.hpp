// Which input sizes make every layer valid, not only the smallest: merges
// make validity periodic (a padded U-Net of depth d needs multiples of 2^d;
// the original valid U-Net of depth 4 takes 16k + 124). Found by analysing
// every size in a window and reading off the period, so the statement is
// exact inside the window by construction.
#pragma once

#include "convscope/analyze.hpp"

namespace convscope {

// Fills rep.valid_input. `rep` holds the analysis of `net`.
void find_valid_input(const Network& net, Report& rep);

// A chain whose every rule only grows with its input: the valid sizes are
// exactly those from rep.min_input on (no scan needed). False where a rule
// is not monotone (a declared in_features, TensorFlow's transposed map-back
// check, training-mode BatchNorm at batch 1 sizes), or not a chain.
bool grows_with_input(const Network& net);
// rep.valid_input from rep.min_input, for a network that grows_with_input().
void valid_input_from_min(const Network& net, Report& rep);

// The statement for one axis from the verdicts valid[n] for n = 0..window
// (valid[0] unused); exposed for tests.
AxisSizes describe_valid_sizes(const std::vector<bool>& valid, const std::string& label);

}  // namespace convscope
