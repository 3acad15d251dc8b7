// The part of an ONNX ModelProto ConvScope reads (onnx/onnx.proto3): the
// graph's inputs and outputs with their shapes, its nodes with attributes,
// and the initializers' shapes (plus the values of small int64 tensors, for
// Reshape and Pad). Weights' bytes are never copied.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "convscope/import/import.hpp"
#include "convscope/import/protobuf.hpp"

namespace convscope::import::onnx {

// Caps on hostile files, each with a clear message.
constexpr size_t kMaxFileBytes = max_onnx_bytes;
constexpr size_t kMaxNodes = 100000;
constexpr size_t kMaxTensors = 100000;  // initializers
constexpr size_t kMaxValueInfos = 10000;
constexpr size_t kMaxAttributes = 64;   // per node
constexpr size_t kMaxInts = 64;         // per attribute / tensor dims / small tensor values
constexpr size_t kMaxName = 4096;       // bytes of a name
constexpr int64_t kMaxDimension = 2147483647;  // tensor dims and attribute values: 2^31 - 1

struct Tensor {
  std::vector<int64_t> dims;
  int32_t data_type = 0;
  std::string name;  // initializers only
  std::vector<int64_t> values;  // int64 contents when small (Reshape's shape, Pad's pads)
  bool has_values = false;
  std::vector<double> floats;   // float contents when small (Resize's scales)
  bool has_floats = false;

  // The number of values the dims hold (1 for a scalar), capped at 2^62.
  int64_t count() const;
  bool is_float() const;  // FLOAT, DOUBLE, FLOAT16, BFLOAT16
};

struct Attribute {
  std::string name;
  bool has_i = false, has_f = false, has_s = false, has_t = false;
  int64_t i = 0;
  float f = 0;
  std::string s;
  std::vector<int64_t> ints;
  std::vector<double> floats;
  Tensor t;
};

struct Node {
  std::string name, op_type, domain;
  std::vector<std::string> inputs, outputs;
  std::vector<Attribute> attributes;
  size_t offset = 0;

  const Attribute* attribute(const char* key) const;
};

struct ValueInfo {
  std::string name;
  bool has_shape = false;
  std::vector<int64_t> dims;             // -1 where unknown
  std::vector<std::string> dim_params;  // symbolic names ("batch_size"), "" where numeric
};

struct Model {
  int64_t ir_version = 0;
  int64_t opset = 0;  // of the default domain
  std::string producer;
  std::vector<Node> nodes;
  std::map<std::string, Tensor> initializers;
  std::vector<ValueInfo> inputs, outputs;
  std::vector<ValueInfo> value_infos;  // shapes of intermediate values, when the exporter wrote them
};

// Parses `bytes`; false with `error` naming the message and byte offset.
bool parse_model(const std::string& bytes, Model& out, std::string& error);

}  // namespace convscope::import::onnx
