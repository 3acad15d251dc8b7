#include "convscope/import/onnx.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "convscope/import/draft.hpp"
#include "convscope/import/onnx_model.hpp"
#include "convscope/import/onnx_walk.hpp"
#include "convscope/import/text.hpp"
#include "convscope/limits.hpp"

namespace convscope::import {

using json::Value;
using onnx::Model;
using onnx::Node;
using std::to_string;

namespace {

constexpr size_t kMaxListed = 20;

std::string listing(const std::vector<std::string>& items) {
  std::string s;
  for (size_t i = 0; i < items.size() && i < kMaxListed; ++i) s += (i ? ", " : "") + items[i];
  if (items.size() > kMaxListed) s += " and " + to_string(items.size() - kMaxListed) + " more";
  return s;
}

// 11689512 -> "11,689,512".
std::string grouped(int64_t v) {
  std::string digits = to_string(v < 0 ? -v : v), out;
  for (size_t k = 0; k < digits.size(); ++k) {
    if (k && (digits.size() - k) % 3 == 0) out += ',';
    out += digits[k];
  }
  return (v < 0 ? "-" : "") + out;
}

// The input shape: --input, else the file's (a symbolic batch read as 1).
bool input_shape(const onnx::ValueInfo& input, const std::string& path, const ImportOptions& options, Draft& d,
                 std::string& error) {
  const bool fixed = input.has_shape && std::all_of(input.dims.begin(), input.dims.end(), [](int64_t v) { return v >= 1; });
  if (options.input) {
    d.input = *options.input;
    if (input.has_shape && input.dims.size() != d.input.size()) {
      error = "--input has " + to_string(d.input.size()) + " dimensions but " + path + " has " + to_string(input.dims.size());
      return false;
    }
    if (fixed && input.dims != d.input)
      d.note("the input shape " + shape_text(d.input) + " replaces the file's fixed input " + shape_text(input.dims) +
             ": ONNX Runtime would refuse it, and sizes the exporter folded into constants stay those of the export");
    else if (input.has_shape && !fixed)
      d.note("the input shape " + shape_text(d.input) + " fills the file's dynamic axes; its shape computations are re-run at that size");
    return true;
  }
  if (!input.has_shape || input.dims.size() < 3 || input.dims.size() > 5) {
    error = path + ": expected a 3-D to 5-D input shape" +
            (input.has_shape ? ", got " + to_string(input.dims.size()) + " dimensions" : ", the file has none") +
            "; give one with --input";
    return false;
  }
  for (size_t k = 0; k < input.dims.size(); ++k) {
    int64_t v = input.dims[k];
    if (v < 1 && k == 0) {
      v = 1;
      d.note("assumed batch 1 (the input's axis 0 is " +
             (input.dim_params[0].empty() ? std::string("unknown") : text::quoted(input.dim_params[0])) + ")");
    } else if (v < 1) {
      error = path + ": axis " + to_string(k) + " is " +
              (input.dim_params[k].empty() ? std::string("unknown") : "symbolic (" + text::quoted(input.dim_params[k]) + ")") +
              "; give the input shape with --input";
      return false;
    }
    d.input.push_back(v);
  }
  return true;
}

// The graph's initializers against what ConvScope counts for the layers.
InitializerCount count_initializers(const Model& m, const onnx::Walk& w) {
  InitializerCount c;
  for (const auto& kv : m.initializers) {
    const int64_t n = kv.second.count();
    c.file += n;
    const auto uses = w.param_uses.find(kv.first);
    if (uses == w.param_uses.end()) c.not_params += n;
    else c.shared += (uses->second - 1) * n;
  }
  c.shared += w.repeated + w.in_constants;
  return c;
}

void notes(const Model& m, const onnx::Walk& w, const InitializerCount& c, Draft& d) {
  const size_t read = w.stopped_at ? *w.stopped_at : m.nodes.size();
  d.note("read " + to_string(read) + " of " + to_string(m.nodes.size()) + " nodes from " + text::quoted(w.input) +
         (m.opset ? " (opset " + to_string(m.opset) + ")" : "") + ": " + to_string(d.layers.size()) + " layers" +
         (w.folded ? ", " + to_string(w.folded) + " shape computations folded (" + listing(w.folded_ops) + ")" : ""));
  if (w.stopped_at)
    d.note("stopped at " + w.label(*w.stopped_at) + ": " + w.stop_reason + "; the " +
           to_string(m.nodes.size() - *w.stopped_at) +
           " nodes from there on are not imported, so the analysis covers only the part before it");
  if (!w.aliases.empty()) d.note("nodes that keep their input's shape, left out: " + listing(w.aliases));
  if (!w.constant_operands.empty())
    d.note("element-wise ops with a constant that keeps the shape, read as activation layers: " + listing(w.constant_operands));
  if (!w.resize_modes.empty()) {
    std::vector<std::string> modes(w.resize_modes.begin(), w.resize_modes.end());
    d.note("Resize interpolates with " + listing(modes) + ": the same sizes as nearest");
  }
  std::string params = "parameters: the graph's initializers hold " + grouped(c.file) + " values; ConvScope counts " +
                       grouped(c.file + c.shared - c.not_params) + " for the layers";
  std::vector<std::string> why;
  if (c.shared) why.push_back(grouped(c.shared) + " more for initializers that several nodes share (each use counted)");
  if (c.not_params)
    why.push_back(grouped(c.not_params) + " fewer in initializers no layer counts (shape values, constant operands" +
                  std::string(w.stopped_at ? ", nodes after the stop" : "") + ")");
  d.note(params + (why.empty() ? " (the same)" : ": " + listing(why)));
}

}  // namespace

bool looks_like_onnx(const std::string& bytes) {
  // The serializer writes fields in number order, so a ModelProto starts
  // with the key of ir_version (0x08), or of a later field when that is
  // absent; a text file has no control bytes among its first 64.
  static const unsigned char kFirstKeys[] = {0x08, 0x12, 0x1a, 0x22, 0x28, 0x32, 0x3a, 0x42};
  if (bytes.size() < 4 ||
      std::none_of(std::begin(kFirstKeys), std::end(kFirstKeys),
                   [&](unsigned char k) { return static_cast<unsigned char>(bytes[0]) == k; }))
    return false;
  return std::any_of(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(std::min<size_t>(bytes.size(), 64)),
                     [](char c) { return static_cast<unsigned char>(c) < 0x09 || static_cast<unsigned char>(c) > 0x7e; });
}

bool import_onnx(const std::string& bytes, const ImportOptions& options, ImportResult& out, std::string& error) {
  Model m;
  if (!onnx::parse_model(bytes, m, error)) return false;
  const onnx::ValueInfo* input = nullptr;
  size_t input_index = 0;
  for (size_t i = 0; i < m.inputs.size() && !input; ++i)
    if (!m.initializers.count(m.inputs[i].name)) {
      input = &m.inputs[i];
      input_index = i;
    }
  if (!input) {
    error = "graph: no input that is not an initializer";
    return false;
  }
  Draft d;
  d.framework = Framework::onnx;
  const std::string path = "graph.input[" + to_string(input_index) + "] (" + text::quoted(input->name) + ")";
  if (!input_shape(*input, path, options, d, error)) return false;

  onnx::Walk w(m, d, input->name);
  if (!w.run()) {
    error = w.error;
    return false;
  }
  if (d.layers.empty()) {
    error = w.stopped_at ? w.label(*w.stopped_at) + ": " + w.stop_reason + " (the first node on the data, so nothing was imported)"
                         : "graph: no node reads the input " + text::quoted(input->name);
    return false;
  }
  const InitializerCount counted = count_initializers(m, w);
  notes(m, w, counted, d);
  d.description = "Imported from an ONNX model" + (m.producer.empty() ? std::string() : " (" + clean_name(m.producer) + ")") + ".";
  if (!finish(d, Format::onnx, out, error)) return false;
  out.initializers = counted;
  if (w.stopped_at) out.stopped_at = w.label(*w.stopped_at) + ": " + w.stop_reason;
  return true;
}

}  // namespace convscope::import
