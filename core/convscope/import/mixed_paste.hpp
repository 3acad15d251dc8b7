// A traceback pasted together with the model's print(model): the model is
// the network (its readings included), and the traceback says which layer
// raised, checked against the reading. Without this the model part would be
// dropped without a word, since a message is detected first.
#pragma once

#include <cstddef>
#include <string>

#include "convscope/import/import.hpp"

namespace convscope::import {

// The print(model) block inside a longer text: a line `Name(` followed by
// `(child): Module(...)` lines, up to the `)` at its own indentation.
// False when there is none.
bool find_pytorch_repr_block(const std::string& text, size_t& begin, size_t& end);

// `text` holds an error message and a print(model) block at [begin, end).
bool import_traceback_with_model(const std::string& text, size_t begin, size_t end, const ImportOptions& options,
                                 ImportResult& out, std::string& error);

}  // namespace convscope::import
