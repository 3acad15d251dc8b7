// An ONNX model file -> a network of the contract, read along the graph's
// main path (the longest chain of data dependencies from the input to the
// output), with nodes off that path (residual branches, shape computations)
// listed in the notes. Errors name the node: `node 3 ("/features/Conv_1",
// Conv): ...`. The file is read by a small bounds-checked protobuf reader
// (protobuf.hpp says why) and capped at 64 MiB and 100 000 nodes.
#pragma once

#include <string>

#include "convscope/import/import.hpp"

namespace convscope::import {

// A protobuf ModelProto: the first byte is a ModelProto field key (0x08 for
// ir_version, written first) and binary bytes follow.
bool looks_like_onnx(const std::string& bytes);

bool import_onnx(const std::string& bytes, const ImportOptions& options, ImportResult& out, std::string& error);

}  // namespace convscope::import
