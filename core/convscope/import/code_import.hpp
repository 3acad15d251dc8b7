// Pasted model code (a PyTorch nn.Module, Keras Sequential or functional
// code) -> a network of the contract, read statically by python_eval.hpp:
// the model chosen (the one the code instantiates last, or ImportOptions::
// model), the input shape (ImportOptions::input, a `# input: 1x3x32x32`
// comment, or the example tensor the code makes), and every layer with the
// line it came from.
#pragma once

#include <string>

#include "convscope/import/import.hpp"

namespace convscope::import {

// Whether the text reads like Python source that defines a model.
bool looks_like_python_code(const std::string& text);

bool import_python_code(const std::string& text, const ImportOptions& options, ImportResult& out, std::string& error);

}  // namespace convscope::import
