// Keras model JSON (`model.to_json()`, or `model.get_config()` dumped with
// json.dumps) -> a network of the contract. Sequential models and functional
// models as graphs: every layer reads what its inbound_nodes name, merges
// (Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate) read all
// their inputs, a nested model with one input and one output is read in its
// own scope. Keras 2 and Keras 3 layouts (`class_name` / `config`,
// `batch_input_shape` / `batch_shape`, `inbound_nodes` in either form).
// Errors name the JSON path: `config.layers[3].config.kernel_size`.
#pragma once

#include <string>

#include "convscope/import/import.hpp"
#include "convscope/json.hpp"

namespace convscope::import {

// Whether parsed JSON looks like a Keras model (and not the contract).
bool looks_like_keras_json(const json::Value& root);

bool import_keras_json(const std::string& text, const ImportOptions& options, ImportResult& out, std::string& error);
bool import_keras_value(const json::Value& root, const ImportOptions& options, ImportResult& out, std::string& error);

}  // namespace convscope::import
