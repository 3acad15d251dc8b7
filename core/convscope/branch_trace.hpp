// Why the inputs of a failing merge disagree: find the layer where their
// paths part and say, in plain words, what each path does to the size on the
// axis that differs ("enc3 is 25x25; pool3 floors it to 12, up3 doubles it
// to 24: 24 != 25").
#pragma once

#include "convscope/analyze.hpp"

namespace convscope {

// Fills rep.layers[merge].trace when the merge failed on a size two of its
// inputs disagree on.
void trace_branches(const Network& net, Report& rep, size_t merge);

// The path from `from` (a layer or kNetworkInput) to layer `to`, both
// included, following the first input that leads back to `from`; empty when
// `from` is not upstream of `to`.
std::vector<int32_t> path_between(const Network& net, int32_t from, int32_t to);

}  // namespace convscope
