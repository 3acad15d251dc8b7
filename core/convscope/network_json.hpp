// The JSON contract for networks (README, "JSON contract"): parsing with
// errors that name the JSON path, and canonical serialisation.
#pragma once

#include <string>

#include "convscope/json.hpp"
#include "convscope/network.hpp"

namespace convscope::network_json {

// Both return false on malformed input, with `error` set to "<path>:
// <problem>", e.g. "layers[3].kernel: expected a positive integer, got -2",
// or for text that is not JSON "line 3, column 14: expected ',' or '}' after
// object member". Errors are returned, not thrown (the WASM build has no
// exceptions).
bool parse(const std::string& text, Network& out, std::string& error);
bool from_json(const json::Value& value, Network& out, std::string& error);

// Canonical JSON: framework, input, then per layer its type, name and every
// field whose value differs from the framework's default (so fixes and share
// links stay short); per-axis values print as one integer when all agree.
json::Value to_json(const Network& net);
// A layer's source as the contract and the report write it: {"line", "code"}.
json::Value source_json(const SourceLine& source);

// Describes frameworks, layer types, their fields, per-framework names,
// defaults and allowed padding strings, for the page's editor (README,
// "Layer schema").
std::string layer_schema_json();

}  // namespace convscope::network_json
