// A pasted error message (a whole traceback is fine) -> the smallest network
// that fails the same way, with notes saying which values the message carried
// and which were assumed. Covers the texts ConvScope itself prints
// (conventions.cpp) and those listed in FRAMEWORK-NOTES.md: TensorFlow graph
// mode (TF2 `{{node ...}}` and TF1 `(op: ...)`), TF eager, tf.keras 2,
// Keras 3 conv and pool, tfjs-layers, PyTorch conv / pool / transposed /
// linear / pooling padding / output padding, ONNX Runtime; and the errors of
// branches (declared channels, concatenation, broadcasting in every
// framework), rebuilt as the failing merge with stand-in branches
// (error_branch.hpp).
#pragma once

#include <string>

#include "convscope/import/import.hpp"

namespace convscope::import {

// The note every message import ends with: one layer is a dead end, the
// model is the way on.
extern const char* const kWholeModelHint;

// Whether the text holds a message this importer recognises.
bool looks_like_error_message(const std::string& text);

bool import_error_message(const std::string& text, const ImportOptions& options, ImportResult& out,
                          std::string& error);

}  // namespace convscope::import
