// Concrete single changes that repair the first failing layer, each verified
// by analysing the changed network.
#pragma once

#include "convscope/analyze.hpp"

namespace convscope {

// Appends verified fixes to rep.layers[*rep.first_error].fixes, best first:
// fixes after which the whole network is valid, then those that at least move
// the first error past the failing layer. Needs rep.min_input filled (or not)
// by find_min_input for the "larger input" fix.
void propose_fixes(const Network& net, Report& rep, size_t max_fixes);

}  // namespace convscope
