// Bring your own model: turn what the user already has (a pasted error
// message, PyTorch's print(model), Keras JSON, an ONNX file, a share link or
// the JSON contract itself) into a network of the contract, with notes that
// say what was read, what was assumed and what could not be read.
//
// Every importer returns errors as values (the WASM build has no exceptions)
// and names where the input went wrong: line and column for text, the JSON
// path for JSON, the node for ONNX.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "convscope/json.hpp"
#include "convscope/network.hpp"

namespace convscope::import {

// Caps on untrusted input, per format (the contract's own are in limits.hpp).
constexpr size_t max_text_bytes = 4u << 20;         // a pasted message or print(model)
constexpr size_t max_keras_json_bytes = 16u << 20;  // Keras configs carry initializers etc.
constexpr size_t max_onnx_bytes = 64u << 20;        // weights included

enum class Format { contract_json, share_link, error_message, pytorch_repr, keras_json, onnx, python_code };
const char* to_string(Format f);

struct ImportOptions {
  // The full input shape in the source framework's layout (`--input
  // 1x3x224x224`); used where the format carries none, and it overrides the
  // one a format carries.
  std::optional<std::vector<int64_t>> input;
  // Restricts detection to the formats of one framework (`--framework`).
  std::optional<Framework> framework;
  // Pasted model code: the class (PyTorch) or model variable (Keras) to read
  // (`--model UNet`); absent = the one the code instantiates last.
  std::optional<std::string> model;
};

// ONNX: the values the graph's initializers hold, against the parameters
// ConvScope counts for the imported layers: file + shared - not_params.
struct InitializerCount {
  int64_t file = 0;        // every value of every initializer
  int64_t shared = 0;      // counted again for each further layer that uses a shared initializer
  int64_t not_params = 0;  // in initializers no layer counts (shape constants, clip bounds, unreached nodes)
};

struct ImportResult {
  Format format = Format::contract_json;
  Network network;                 // validated exactly like a contract file
  std::vector<std::string> notes;  // what was read, assumed, inserted or skipped
  // Set when the import stopped at something it cannot model ("node 57
  // (...): why"): the network is the part before it, so its verdict is not
  // the whole model's.
  std::string stopped_at;
  std::optional<InitializerCount> initializers;
  // Pasted model code: the models the code defines (PyTorch nn.Module
  // classes, Keras models), so the page can offer the others, and the one read.
  std::vector<std::string> models;
  std::string model;
};

// The network of the contract as JSON (canonical, with the description).
json::Value result_json(const ImportResult& r);

// Detects the format of `text_or_bytes` (ONNX is binary) and imports it.
// False with `error` naming the position when the input is not what it
// claims to be; `out` is then unspecified.
bool import_any(const std::string& text_or_bytes, const ImportOptions& options, ImportResult& out,
                std::string& error);

// "1x3x224x224" -> {1, 3, 224, 224}: 3 to 5 positive sizes.
bool parse_shape(const std::string& text, std::vector<int64_t>& out, std::string& error);

// "pytorch", "torch", "tensorflow", "tf", "keras", "onnx".
std::optional<Framework> framework_alias(const std::string& name);

}  // namespace convscope::import
