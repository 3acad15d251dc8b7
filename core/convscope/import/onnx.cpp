#include "convscope/import/onnx.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "convscope/import/draft.hpp"
#include "convscope/import/onnx_model.hpp"
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

std::string label(const Model& m, size_t i) {
  const Node& n = m.nodes[i];
  return "node " + to_string(i) + " (" + text::quoted(n.name) + ", " + n.op_type + ")";
}

std::string short_label(const Node& n) { return text::quoted(n.name) + " (" + n.op_type + ")"; }

// Ops whose only data input is the first; the rest are weights, shapes, pads.
bool first_input_only(const std::string& op) {
  static const char* const kOps[] = {
      "Conv", "ConvTranspose", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "Flatten",
      "Gemm", "Relu", "BatchNormalization", "Pad", "Reshape", "Dropout", "Identity", "Resize", "Upsample",
      "Clip", "Squeeze", "Unsqueeze", "Transpose", "LeakyRelu", "PRelu", "Slice", "Cast", "Shape"};
  return std::any_of(std::begin(kOps), std::end(kOps), [&](const char* o) { return op == o; });
}

// ONNX op -> the contract's activation function.
const char* activation_of(const std::string& op) {
  static const std::pair<const char*, const char*> kOps[] = {
      {"Sigmoid", "sigmoid"},   {"Tanh", "tanh"},        {"LeakyRelu", "leaky_relu"}, {"Elu", "elu"},
      {"Selu", "selu"},         {"Softmax", "softmax"},  {"LogSoftmax", "log_softmax"},
      {"HardSigmoid", "hard_sigmoid"}, {"HardSwish", "hard_swish"}, {"Softplus", "softplus"},
      {"Softsign", "softsign"}, {"Gelu", "gelu"},        {"Mish", "mish"},            {"PRelu", "prelu"},
      {"Clip", "clip"},         {"Celu", "celu"}};
  for (const auto& o : kOps)
    if (op == o.first) return o.second;
  return nullptr;
}

bool elementwise_merge(const std::string& op) {
  return op == "Add" || op == "Sub" || op == "Mul" || op == "Div" || op == "Sum";
}

struct Graph {
  const Model& m;
  std::map<std::string, size_t> producer;  // output name -> node
  std::string input;                        // the graph input followed

  const onnx::Tensor* constant(const std::string& name) const {
    const auto init = m.initializers.find(name);
    if (init != m.initializers.end()) return &init->second;
    const auto p = producer.find(name);
    if (p == producer.end() || m.nodes[p->second].op_type != "Constant") return nullptr;
    const onnx::Attribute* v = m.nodes[p->second].attribute("value");
    return v && v->has_t ? &v->t : nullptr;
  }
  std::vector<std::string> data_inputs(const Node& n) const {
    std::vector<std::string> out;
    if (n.inputs.empty()) return out;
    if (first_input_only(n.op_type)) return {n.inputs[0]};
    for (const std::string& in : n.inputs)
      if (!in.empty() && !constant(in)) out.push_back(in);
    return out;
  }
};

// The main path: the longest chain of data dependencies from the input to
// the node producing the first output (nodes are topologically sorted in a
// valid ONNX graph; that is checked, not assumed).
bool main_path(const Graph& g, std::vector<size_t>& path, std::vector<bool>& reachable, std::string& error) {
  const Model& m = g.m;
  const size_t n = m.nodes.size();
  std::vector<size_t> length(n, 0), best(n, SIZE_MAX);
  reachable.assign(n, false);
  for (size_t i = 0; i < n; ++i) {
    for (const std::string& in : g.data_inputs(m.nodes[i])) {
      if (in == g.input) {
        reachable[i] = true;
        length[i] = std::max<size_t>(length[i], 1);
        continue;
      }
      const auto p = g.producer.find(in);
      if (p == g.producer.end()) continue;
      if (p->second >= i) {
        error = label(m, i) + ": uses the output of node " + to_string(p->second) +
                ", which comes later (the graph is not topologically sorted)";
        return false;
      }
      if (!reachable[p->second]) continue;
      reachable[i] = true;
      if (length[p->second] + 1 > length[i]) {
        length[i] = length[p->second] + 1;
        best[i] = p->second;
      }
    }
  }
  size_t end = SIZE_MAX;
  if (!m.outputs.empty()) {
    const auto p = g.producer.find(m.outputs[0].name);
    if (p != g.producer.end() && reachable[p->second]) end = p->second;
  }
  for (size_t i = 0; i < n && end == SIZE_MAX; ++i)
    if (reachable[i] && (end == SIZE_MAX || length[i] > length[end])) end = i;
  if (end == SIZE_MAX) {
    error = "graph: no node reads the input " + text::quoted(g.input);
    return false;
  }
  for (size_t i = end; i != SIZE_MAX; i = best[i]) path.push_back(i);
  std::reverse(path.begin(), path.end());
  return true;
}

struct Converter {
  const Graph& g;
  Draft& d;
  std::string error;
  std::vector<std::string> unknown, merges, identities;

  bool fail(size_t i, const std::string& problem) {
    if (error.empty()) error = label(g.m, i) + ": " + problem;
    return false;
  }

  // An ints attribute with `n` positive (or non-negative) values; empty when absent.
  bool ints(size_t i, const char* key, size_t n, int64_t min, std::vector<int64_t>& out) {
    out.clear();
    const onnx::Attribute* a = g.m.nodes[i].attribute(key);
    if (!a) return true;
    if (a->ints.size() != n)
      return fail(i, std::string("attribute ") + key + ": expected " + to_string(n) + " values, got " +
                         to_string(a->ints.size()));
    for (int64_t v : a->ints) {
      if (v < min) return fail(i, std::string("attribute ") + key + ": expected values >= " + to_string(min) + ", got " + to_string(v));
      if (v > onnx::kMaxDimension) return fail(i, std::string("attribute ") + key + ": " + to_string(v) + " is beyond 2^31 - 1");
    }
    out = a->ints;
    return true;
  }

  int64_t int_attr(size_t i, const char* key, int64_t fallback) {
    const onnx::Attribute* a = g.m.nodes[i].attribute(key);
    return a && a->has_i ? a->i : fallback;
  }

  std::string name_of(size_t i) {
    const Node& n = g.m.nodes[i];
    return n.name.empty() ? n.op_type + "_" + to_string(i) : n.name;
  }

  // auto_pad, else pads [b1, b2, ..., e1, e2, ...].
  bool padding(size_t i, size_t sr, json::Object& o) {
    const onnx::Attribute* a = g.m.nodes[i].attribute("auto_pad");
    const std::string mode = a && a->has_s ? a->s : "NOTSET";
    if (mode == "SAME_UPPER" || mode == "SAME_LOWER" || mode == "VALID") {
      o.push_back({"padding", Value(mode == "SAME_UPPER" ? "same" : mode == "SAME_LOWER" ? "same_lower" : "valid")});
      return true;
    }
    if (mode != "NOTSET") return fail(i, "attribute auto_pad: unknown value " + text::quoted(mode));
    std::vector<int64_t> pads;
    if (!ints(i, "pads", 2 * sr, 0, pads)) return false;
    if (pads.empty() || std::all_of(pads.begin(), pads.end(), [](int64_t p) { return p == 0; })) return true;
    std::vector<std::pair<int64_t, int64_t>> pairs;
    for (size_t k = 0; k < sr; ++k) pairs.push_back({pads[k], pads[sr + k]});
    const bool symmetric = std::all_of(pairs.begin(), pairs.end(), [](const auto& p) { return p.first == p.second; });
    if (symmetric) {
      std::vector<int64_t> begins;
      for (const auto& p : pairs) begins.push_back(p.first);
      o.push_back({"padding", axes_json(begins)});
    } else {
      o.push_back({"padding", pairs_json(pairs)});
    }
    return true;
  }

  bool conv(size_t i, bool transposed) {
    const Node& n = g.m.nodes[i];
    const onnx::Tensor* w = n.inputs.size() >= 2 ? g.constant(n.inputs[1]) : nullptr;
    if (!w || w->dims.size() < 3 || w->dims.size() > 5)
      return fail(i, "its weight " + text::quoted(n.inputs.size() >= 2 ? n.inputs[1] : "") +
                         " is not an initializer or Constant of rank 3 to 5, so the filters are unknown");
    const size_t sr = w->dims.size() - 2;
    std::vector<int64_t> kernel, strides, dilations, output_padding;
    if (!ints(i, "kernel_shape", sr, 1, kernel) || !ints(i, "strides", sr, 1, strides) ||
        !ints(i, "dilations", sr, 1, dilations) || !ints(i, "output_padding", sr, 0, output_padding))
      return false;
    if (kernel.empty()) kernel.assign(w->dims.begin() + 2, w->dims.end());
    const int64_t group = int_attr(i, "group", 1);
    if (group < 1 || group > onnx::kMaxDimension)
      return fail(i, "attribute group: expected a positive value up to 2^31 - 1, got " + to_string(group));
    json::Object o = layer_object(transposed ? "conv_transpose" : "conv", name_of(i));
    o.push_back({"filters", Value(transposed ? w->dims[1] * group : w->dims[0])});
    // The weight's input channels, checked against what arrives (ONNX Runtime's
    // "Input channels C is not equal to kernel channels * group"): a channel
    // count that differs is the mark of a branch the main path left out.
    const int64_t in_channels = transposed ? w->dims[0] : w->dims[1] * group;
    if (in_channels >= 1 && in_channels <= onnx::kMaxDimension) o.push_back({"in_channels", Value(in_channels)});
    o.push_back({"kernel", axes_json(kernel)});
    if (!strides.empty()) o.push_back({"stride", axes_json(strides)});
    if (!dilations.empty()) o.push_back({"dilation", axes_json(dilations)});
    if (!padding(i, sr, o)) return false;
    if (transposed && !output_padding.empty()) o.push_back({"output_padding", axes_json(output_padding)});
    if (group != 1) o.push_back({"groups", Value(group)});
    if (n.inputs.size() < 3 || n.inputs[2].empty()) o.push_back({"bias", Value(false)});
    if (transposed && n.attribute("output_shape"))
      d.note(label(g.m, i) + " sets output_shape; ConvScope uses the pads and output_padding instead");
    d.add(std::move(o), label(g.m, i));
    return true;
  }

  bool pool(size_t i, bool max) {
    const onnx::Attribute* k = g.m.nodes[i].attribute("kernel_shape");
    if (!k || k->ints.empty() || k->ints.size() > 3) return fail(i, "attribute kernel_shape: expected 1 to 3 values");
    const size_t sr = k->ints.size();
    std::vector<int64_t> kernel, strides, dilations;
    if (!ints(i, "kernel_shape", sr, 1, kernel) || !ints(i, "strides", sr, 1, strides) ||
        !ints(i, "dilations", sr, 1, dilations))
      return false;
    json::Object o = layer_object(max ? "max_pool" : "avg_pool", name_of(i));
    o.push_back({"kernel", axes_json(kernel)});
    if (!strides.empty()) o.push_back({"stride", axes_json(strides)});
    if (!dilations.empty()) o.push_back({"dilation", axes_json(dilations)});
    if (!padding(i, sr, o)) return false;
    if (int_attr(i, "ceil_mode", 0)) o.push_back({"ceil_mode", Value(true)});
    if (!max && int_attr(i, "count_include_pad", 0)) o.push_back({"count_include_pad", Value(true)});
    d.add(std::move(o), label(g.m, i));
    return true;
  }

  bool dense(size_t i, bool gemm) {
    const Node& n = g.m.nodes[i];
    const onnx::Tensor* b = n.inputs.size() >= 2 ? g.constant(n.inputs[1]) : nullptr;
    if (!b || b->dims.size() != 2) {
      unknown.push_back(short_label(n) + " (its weight is not a 2-D constant)");
      return true;
    }
    const bool trans_b = gemm && int_attr(i, "transB", 0) != 0;
    if (gemm && int_attr(i, "transA", 0) != 0) d.note(label(g.m, i) + " sets transA=1; read as a plain dense layer");
    json::Object o = layer_object("dense", name_of(i));
    o.push_back({"units", Value(trans_b ? b->dims[0] : b->dims[1])});
    o.push_back({"in_features", Value(trans_b ? b->dims[1] : b->dims[0])});
    if (!gemm || n.inputs.size() < 3 || n.inputs[2].empty()) o.push_back({"bias", Value(false)});
    d.add(std::move(o), label(g.m, i));
    return true;
  }

  // Pad: pads as an attribute (opset < 11) or a constant input.
  bool pad(size_t i) {
    const Node& n = g.m.nodes[i];
    std::vector<int64_t> pads;
    if (const onnx::Attribute* a = n.attribute("pads")) pads = a->ints;
    else if (const onnx::Tensor* t = n.inputs.size() >= 2 ? g.constant(n.inputs[1]) : nullptr; t && t->has_values)
      pads = t->values;
    const size_t rank = pads.size() / 2;
    const bool bounded = std::all_of(pads.begin(), pads.end(), [](int64_t p) {
      return p >= -onnx::kMaxDimension && p <= onnx::kMaxDimension;
    });
    if (!bounded || pads.size() % 2 != 0 || rank < 3 || rank > 5 || (n.inputs.size() >= 4 && !n.inputs[3].empty()) ||
        pads[0] != 0 || pads[1] != 0 || pads[rank] != 0 || pads[rank + 1] != 0) {
      unknown.push_back(short_label(n) + " (pads not constant, or on the batch or channel axis)");
      return true;
    }
    std::vector<std::pair<int64_t, int64_t>> pairs;
    bool grow = true, shrink = true;
    for (size_t k = 2; k < rank; ++k) {
      pairs.push_back({pads[k], pads[rank + k]});
      grow = grow && pads[k] >= 0 && pads[rank + k] >= 0;
      shrink = shrink && pads[k] <= 0 && pads[rank + k] <= 0;
    }
    if (!grow && !shrink) {
      unknown.push_back(short_label(n) + " (pads both grow and shrink)");
      return true;
    }
    if (!grow)
      for (auto& p : pairs) p = {-p.first, -p.second};
    json::Object o = layer_object(grow ? "zero_pad" : "crop", name_of(i));
    o.push_back({grow ? "padding" : "cropping", pairs_json(pairs)});
    d.add(std::move(o), label(g.m, i));
    return true;
  }

  bool resize(size_t i) {
    const Node& n = g.m.nodes[i];
    const size_t scales_at = n.op_type == "Upsample" ? 1 : 2;
    const onnx::Tensor* t = n.inputs.size() > scales_at ? g.constant(n.inputs[scales_at]) : nullptr;
    std::vector<int64_t> scale;
    bool whole = t && t->has_floats && t->floats.size() >= 3 && t->floats[0] == 1 && t->floats[1] == 1;
    for (size_t k = 2; whole && k < t->floats.size(); ++k) {
      const double s = t->floats[k];
      whole = s >= 1 && s < 1e6 && std::floor(s) == s;
      scale.push_back(static_cast<int64_t>(s));
    }
    if (!whole) {
      unknown.push_back(short_label(n) + " (only constant whole-number scales are modelled)");
      return true;
    }
    json::Object o = layer_object("upsample", name_of(i));
    o.push_back({"scale", axes_json(scale)});
    d.add(std::move(o), label(g.m, i));
    return true;
  }

  bool reshape(size_t i, bool next_is_dense) {
    const Node& n = g.m.nodes[i];
    const onnx::Tensor* t = n.inputs.size() >= 2 ? g.constant(n.inputs[1]) : nullptr;
    const bool flat = t && t->has_values && t->values.size() == 2 && t->values[1] == -1;
    if (flat || (!t && next_is_dense)) {
      if (!flat) d.note(label(g.m, i) + ": its shape is computed at run time; read as a flatten because a dense layer follows");
      d.add(layer_object("flatten", name_of(i)), label(g.m, i));
      return true;
    }
    unknown.push_back(short_label(n) + " (only a reshape to [N, -1] is modelled)");
    return true;
  }

  bool node(size_t i, bool next_is_dense) {
    const Node& n = g.m.nodes[i];
    const std::string& op = n.op_type;
    if (!n.domain.empty() && n.domain != "ai.onnx") {
      unknown.push_back(short_label(n) + " (domain " + n.domain + ")");
      return true;
    }
    if (op == "Conv" || op == "ConvTranspose") return conv(i, op == "ConvTranspose");
    if (op == "MaxPool" || op == "AveragePool") return pool(i, op == "MaxPool");
    if (op == "GlobalAveragePool" || op == "GlobalMaxPool") {
      d.add(layer_object(op == "GlobalMaxPool" ? "global_max_pool" : "global_avg_pool", name_of(i)), label(g.m, i));
      return true;
    }
    if (op == "Flatten") {
      if (int_attr(i, "axis", 1) != 1) d.note(label(g.m, i) + " flattens from axis " + to_string(int_attr(i, "axis", 1)) + "; read as axis 1");
      d.add(layer_object("flatten", name_of(i)), label(g.m, i));
      return true;
    }
    if (op == "Gemm" || op == "MatMul") return dense(i, op == "Gemm");
    if (op == "Relu") {
      d.add(layer_object("relu", name_of(i)), label(g.m, i));
      return true;
    }
    if (const char* fn = activation_of(op)) {
      json::Object o = layer_object("activation", name_of(i));
      o.push_back({"function", Value(fn)});
      d.add(std::move(o), label(g.m, i));
      return true;
    }
    if (op == "BatchNormalization") {
      json::Object o = layer_object("batch_norm", name_of(i));
      const onnx::Tensor* scale = n.inputs.size() >= 2 ? g.constant(n.inputs[1]) : nullptr;
      if (scale && scale->dims.size() == 1 && scale->dims[0] >= 1 && scale->dims[0] <= onnx::kMaxDimension)
        o.push_back({"in_channels", Value(scale->dims[0])});
      d.add(std::move(o), label(g.m, i));
      return true;
    }
    if (op == "Dropout") {
      json::Object o = layer_object("dropout", name_of(i));
      if (const onnx::Attribute* r = n.attribute("ratio"))
        if (r->has_f && r->f >= 0 && r->f < 1 && r->f != 0.5f) o.push_back({"rate", Value(static_cast<double>(r->f))});
      d.add(std::move(o), label(g.m, i));
      return true;
    }
    if (op == "Pad") return pad(i);
    if (op == "Reshape") return reshape(i, next_is_dense);
    if (op == "Resize" || op == "Upsample") return resize(i);
    if (op == "Identity") {
      identities.push_back(short_label(n));
      return true;
    }
    if (elementwise_merge(op)) {
      merges.push_back(short_label(n));
      return true;
    }
    unknown.push_back(short_label(n));
    return true;
  }
};

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
  Graph g{m, {}, ""};
  for (size_t i = 0; i < m.nodes.size(); ++i)
    for (const std::string& o : m.nodes[i].outputs)
      if (!o.empty()) g.producer.emplace(o, i);
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
  g.input = input->name;
  const std::string input_path = "graph.input[" + to_string(input_index) + "] (" + text::quoted(input->name) + ")";

  Draft d;
  d.framework = Framework::onnx;
  if (options.input) {
    d.input = *options.input;
  } else {
    if (!input->has_shape || input->dims.size() < 3 || input->dims.size() > 5) {
      error = input_path + ": expected a 3-D to 5-D input shape" +
              (input->has_shape ? ", got " + to_string(input->dims.size()) + " dimensions" : ", the file has none") +
              "; give one with --input";
      return false;
    }
    for (size_t k = 0; k < input->dims.size(); ++k) {
      int64_t v = input->dims[k];
      if (v < 1 && k == 0) {
        v = 1;
        d.note("assumed batch 1 (the input's axis 0 is " +
               (input->dim_params[0].empty() ? std::string("unknown") : text::quoted(input->dim_params[0])) + ")");
      } else if (v < 1) {
        error = input_path + ": axis " + to_string(k) + " is " +
                (input->dim_params[k].empty() ? std::string("unknown") : "symbolic (" + text::quoted(input->dim_params[k]) + ")") +
                "; give the input shape with --input";
        return false;
      }
      d.input.push_back(v);
    }
  }

  std::vector<size_t> path;
  std::vector<bool> reachable;
  if (!main_path(g, path, reachable, error)) return false;
  Converter cv{g, d, "", {}, {}, {}};
  // One layer per node at most: past the limit, finish() names the node.
  for (size_t k = 0; k < path.size() && d.layers.size() <= limits::max_layers; ++k) {
    const bool next_is_dense = k + 1 < path.size() &&
                               (m.nodes[path[k + 1]].op_type == "Gemm" || m.nodes[path[k + 1]].op_type == "MatMul");
    if (!cv.node(path[k], next_is_dense)) {
      error = cv.error;
      return false;
    }
  }
  std::vector<bool> on_path(m.nodes.size(), false);
  for (size_t i : path) on_path[i] = true;
  std::vector<std::string> branches;
  size_t other = 0;
  for (size_t i = 0; i < m.nodes.size(); ++i) {
    if (on_path[i] || m.nodes[i].op_type == "Constant") continue;
    const std::string& op = m.nodes[i].op_type;
    if (op == "Conv" || op == "ConvTranspose" || op == "MaxPool" || op == "AveragePool" || op == "Gemm" ||
        op == "MatMul" || op == "BatchNormalization" || op == "Relu" || op == "Pad" || op == "GlobalAveragePool")
      branches.push_back(short_label(m.nodes[i]));
    else
      ++other;
  }
  d.note("read " + to_string(path.size()) + " of " + to_string(m.nodes.size()) + " nodes along the main path from " +
         text::quoted(g.input) + (m.opset ? " (opset " + to_string(m.opset) + ")" : ""));
  if (!branches.empty()) d.note("off the main path (branches, not analysed): " + listing(branches));
  if (other) d.note(to_string(other) + " other nodes off the main path (shape computations and the like)");
  if (!cv.merges.empty())
    d.note("merges with other branches skipped (an elementwise op keeps the shape): " + listing(cv.merges));
  if (!cv.unknown.empty()) d.note("not modelled on the main path, skipped as if they kept the shape: " + listing(cv.unknown));
  if (!cv.identities.empty()) d.note("Identity nodes left out: " + listing(cv.identities));
  d.description = "Imported from an ONNX model" + (m.producer.empty() ? std::string() : " (" + clean_name(m.producer) + ")") + ".";
  return finish(d, Format::onnx, out, error);
}

}  // namespace convscope::import
