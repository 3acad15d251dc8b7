// Writing a Report: the JSON of the contract, and the human table of
// `convscope analyze --text`.
#pragma once

#include <string>

#include "convscope/analyze.hpp"
#include "convscope/json.hpp"

namespace convscope {

json::Value report_to_json(const Report& report, const Network& net);

// The exact bytes the CLI prints (pretty JSON, 2 spaces, trailing newline);
// the WASM module returns the same.
std::string report_text_json(const Report& report, const Network& net);

// A table in the spirit of torchinfo / Keras summary(), with the diagnosis
// and fixes under the failing row.
std::string report_table(const Report& report, const Network& net);

}  // namespace convscope
