// The same network under PyTorch, TensorFlow/Keras and ONNX, side by side:
// the network is ported to the other two (translate.hpp), all three are
// analysed by their own rules, and the rows where a shape, a verdict or a
// warning differs are listed with the rule that differs and its numbers.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "convscope/analyze.hpp"
#include "convscope/json.hpp"
#include "convscope/translate.hpp"

namespace convscope {

// One source layer as one framework sees it.
struct CompareCell {
  Framework framework = Framework::pytorch;
  Status status = Status::ok;
  std::optional<Shape> output;  // in this framework's layout
  std::string formula;          // the size computation with the numbers
  std::string message;          // why it fails, or its first warning
  std::string error_text;       // the framework's own text where it fails
  // ONNX: the spec rejects the layer but ONNX Runtime runs it (error_text says how).
  bool runtime_runs = false;
  // ONNX: the spec accepts the layer but ONNX Runtime refuses it (message says how).
  bool runtime_refuses = false;
  std::vector<size_t> layers;   // the port's layers for it (more than one where the port added one)
  std::vector<std::string> warnings;
  // The port put a padding layer before it: its input then counts the padding
  // as cells, so its warnings about cells are not compared with the others'.
  bool padded_by_port = false;
};

struct CompareRow {
  size_t layer = 0;  // in the source network
  std::vector<CompareCell> cells;  // PyTorch, TensorFlow/Keras, ONNX
  std::vector<std::string> differs;  // "verdict", "shape", "warning"
  std::string rule;                  // the difference in one sentence, with the numbers
  std::vector<std::string> notes;    // what the ports had to change here
};

struct Comparison {
  Framework source = Framework::pytorch;
  std::vector<Translation> ports;  // PyTorch, TensorFlow/Keras, ONNX (the source's is the network itself)
  std::vector<Report> reports;     // each port's analysis
  std::vector<CompareRow> rows;    // one per source layer
  size_t differing = 0;            // rows with a difference
};

// The order of the columns.
const std::vector<Framework>& compared_frameworks();

Comparison compare(const Network& net);

json::Value comparison_to_json(const Comparison& c, const Network& net);
std::string comparison_table(const Comparison& c, const Network& net);

}  // namespace convscope
