// The smallest spatial input for which every layer is valid.
#pragma once

#include "convscope/analyze.hpp"

namespace convscope {

// Fills rep.min_input (spatial sizes, in the input's axis order) or leaves it
// empty with rep.min_input_note saying why no input works. `rep` must hold
// the analysis of `net`.
void find_min_input(const Network& net, Report& rep);

}  // namespace convscope
