// An ONNX model file -> a network of the contract: the whole graph, every
// node on the data a layer (or an alias of its input) and every merge with
// all its inputs, shape computations folded (onnx_walk.hpp). A node ConvScope
// cannot model stops the import there, named in the notes and in
// ImportResult::stopped_at. Errors name the node: `node 3
// ("/features/Conv_1", Conv): ...`. The file is read by a small
// bounds-checked protobuf reader (protobuf.hpp says why) and capped at
// 64 MiB and 100 000 nodes.
#pragma once

#include <string>

#include "convscope/import/import.hpp"

namespace convscope::import {

// A protobuf ModelProto: the first byte is a ModelProto field key (0x08 for
// ir_version, written first) and binary bytes follow.
bool looks_like_onnx(const std::string& bytes);

bool import_onnx(const std::string& bytes, const ImportOptions& options, ImportResult& out, std::string& error);

}  // namespace convscope::import
