// analyze(): the whole answer for a network — propagation (analyze.cpp),
// then what the page and the CLI advise: valid and minimum inputs and
// verified fixes. Kept apart from propagation so that the advisers, which
// re-run propagation to verify what they propose, do not call back into
// this file: analyze.cpp <- fixes / min_input / valid_input <- diagnose.cpp.
#include "convscope/analyze.hpp"
#include "convscope/fixes.hpp"
#include "convscope/min_input.hpp"
#include "convscope/valid_input.hpp"

namespace convscope {

Report analyze(const Network& net, const AnalyzeOptions& options) {
  Report rep = propagate(net, options.explain);
  if (options.min_input) {
    find_valid_input(net, rep);
    find_min_input(net, rep);
  }
  if (options.fixes && rep.first_error) propose_fixes(net, rep, options.max_fixes);
  return rep;
}

}  // namespace convscope
