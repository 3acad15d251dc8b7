// ONNX Runtime's messages of merges: Concat at run time and at load time
// (ONNX shape inference), and element-wise broadcasting, each rebuilt as the
// failing merge (error_branch.cpp).
#include <algorithm>
#include <cstring>

#include "convscope/import/error_branch.hpp"
#include "convscope/import/text.hpp"

namespace convscope::import::errors {

using json::Value;
using std::to_string;

// ---- ONNX Runtime -----------------------------------------------------------

namespace {

// The node name and op ONNX Runtime's log line gives before `at`: "while
// running Concat node. Name:'concat'" or "Node (concat) Op (Concat)".
void ort_node(const Scan& s, size_t at, std::string& op, std::string& name) {
  const size_t running = s.text.rfind("while running ", at);
  if (running != std::string::npos && at - running < 400) {
    const size_t end = s.text.find(" node.", running);
    if (end != std::string::npos && end < at) op = s.text.substr(running + 14, end - running - 14);
    const size_t n = s.text.find("Name:'", running);
    const size_t close = n == std::string::npos ? n : s.text.find('\'', n + 6);
    if (close != std::string::npos && close < at) name = s.text.substr(n + 6, close - n - 6);
    return;
  }
  const size_t node = s.text.rfind("Node (", at);
  if (node != std::string::npos && at - node < 400) {
    const size_t close = s.text.find(") Op (", node);
    if (close != std::string::npos && close < at) {
      name = s.text.substr(node + 6, close - node - 6);
      const size_t op_end = s.text.find(')', close + 6);
      if (op_end != std::string::npos && op_end < at) op = s.text.substr(close + 6, op_end - close - 6);
    }
  }
}

// Concat at `axis` of two 4-D NCHW tensors differing at `dim`: the input 0
// size `ref` and the other `other` (square maps when a spatial axis differs).
bool ort_concat_graph(Scan& s, size_t at, Draft& d, int64_t dim, int64_t other, int64_t ref, const std::string& name) {
  if (dim < 0 || dim > 4 || other < 1 || ref < 1) return s.fail(at, "expected an axis 0 to 4 and positive sizes");
  const size_t rank = std::max<size_t>(4, static_cast<size_t>(dim) + 1), at_dim = static_cast<size_t>(dim);
  if (at_dim == 0) return s.fail(at, "the batch sizes differ; ConvScope's stand-in branches keep the batch");
  Dims first = tensor4(Framework::onnx, rank, at_dim == 1 ? ref : kAssumedChannels, at_dim == 1 ? kAssumedSize : ref);
  Dims second = first;
  second[at_dim] = other;
  if (at_dim >= 2)
    for (size_t k = at_dim + 1; k < rank; ++k) second[k] = other;
  const int64_t axis = at_dim == 1 ? 2 : 1;
  Merge m;
  m.fw = Framework::onnx;
  m.shapes = {first, second};
  m.names = {"input_0", "input_1"};
  m.layer = merge_layer("concat", name.empty() ? "Concat" : name);
  m.layer.push_back({"axis", Value(axis)});
  d.note("read: input 0 has " + to_string(ref) + " and another input " + to_string(other) + " at axis " + to_string(dim) +
         (name.empty() ? "" : ", node " + text::quoted(name)));
  d.note("assumed: 4-D NCHW tensors, batch 1, concat axis " + to_string(axis) + ", " +
         (at_dim == 1 ? "spatial size " + to_string(kAssumedSize) : to_string(kAssumedChannels) + " channels, square maps") +
         ", the differing input second (the message does not say which)");
  return build(s, at, d, m);
}

}  // namespace

// Run time: "Non concat axis dimensions must match: Axis 2 has mismatched
// dimensions of 25 and 24" (the offending input's size, then input 0's).
bool ort_concat_run(Scan& s, size_t at, Draft& d) {
  size_t p = at + std::strlen("Non concat axis dimensions must match: Axis ");
  int64_t dim = 0, other = 0, ref = 0;
  if (!s.integer(p, dim) || !s.expect(p, " has mismatched dimensions of ") || !s.integer(p, other) ||
      !s.expect(p, " and ") || !s.integer(p, ref))
    return false;
  std::string op, name;
  ort_node(s, at, op, name);
  return ort_concat_graph(s, at, d, dim, other, ref, name);
}

// Load time: "Node (concat) Op (Concat) [ShapeInferenceError] Can't merge shape
// info. Both inferred and declared dimension have values but they differ.
// Inferred=25 Declared=24 Dimension=2" (onnx < 1.15: "Source=25 Target=24").
bool ort_concat_load(Scan& s, size_t at, Draft& d) {
  std::string op, name;
  ort_node(s, at, op, name);
  if (op != "Concat") return s.fail(at, "ONNX shape inference could not merge shapes in a " + (op.empty() ? std::string("node") : op) +
                                            " node; ConvScope reconstructs this message for Concat nodes");
  const bool old = s.find("Source=", at) != std::string::npos && s.find("Source=", at) - at < 200;
  size_t p = s.find(old ? "Source=" : "Inferred=", at);
  if (p == std::string::npos || p - at > 200) return s.fail(at, "expected Inferred= (or Source=) after the message");
  p += old ? 7 : 9;
  int64_t other = 0, ref = 0, dim = 0;
  if (!s.integer(p, other) || !s.expect(p, old ? " Target=" : " Declared=") || !s.integer(p, ref) ||
      !s.expect(p, " Dimension=") || !s.integer(p, dim))
    return false;
  return ort_concat_graph(s, at, d, dim, other, ref, name);
}

// Run time, element-wise: "Attempting to broadcast an axis by a dimension other
// than 1. 256 by 512" (the smaller size first, whatever the order).
bool ort_broadcast_run(Scan& s, size_t at, Draft& d) {
  size_t p = at + std::strlen("Attempting to broadcast an axis by a dimension other than 1. ");
  int64_t smaller = 0, larger = 0;
  if (!s.integer(p, smaller) || !s.expect(p, " by ") || !s.integer(p, larger)) return false;
  if (smaller < 2 || larger < 2) return s.fail(at, "expected sizes above 1");
  std::string op, name;
  ort_node(s, at, op, name);
  static const std::pair<const char*, const char*> kOps[] = {{"Add", "add"}, {"Sum", "add"}, {"Sub", "subtract"},
                                                             {"Mul", "multiply"}, {"Max", "maximum"}, {"Min", "minimum"},
                                                             {"Mean", "average"}};
  const char* type = nullptr;
  for (const auto& o : kOps)
    if (op == o.first) type = o.second;
  if (!type) d.note("the node's op " + (op.empty() ? std::string("is not in the message") : "is " + op) +
                    "; assumed an Add (ONNX Runtime words this the same for every element-wise op)");
  Merge m;
  m.fw = Framework::onnx;
  m.shapes = {tensor4(Framework::onnx, 4, larger, kAssumedSize), tensor4(Framework::onnx, 4, smaller, kAssumedSize)};
  m.names = {"input_0", "input_1"};
  m.layer = merge_layer(type ? type : "add", name.empty() ? std::string(op.empty() ? "Add" : op) : name);
  d.note("read: sizes " + to_string(smaller) + " and " + to_string(larger) + (name.empty() ? "" : ", node " + text::quoted(name)));
  d.note("assumed: 4-D NCHW tensors differing in channels (the message names no axis), spatial size " +
         to_string(kAssumedSize) + ", batch 1, the larger first");
  return build(s, at, d, m);
}

}  // namespace convscope::import::errors
