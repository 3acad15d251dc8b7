#include "convscope/import/onnx_walk.hpp"

#include <algorithm>

#include "convscope/import/text.hpp"
#include "convscope/limits.hpp"

namespace convscope::import::onnx {

using std::to_string;

int64_t Const::count() const {
  int64_t n = 1;
  for (int64_t d : dims) n = d == 0 ? 0 : (n > (int64_t{1} << 62) / d ? int64_t{1} << 62 : n * d);
  return n;
}

std::string Walk::label(size_t i) const {
  return "node " + to_string(i) + " (" + text::quoted(m.nodes[i].name) + ", " + m.nodes[i].op_type + ")";
}

std::string Walk::short_label(size_t i) const {
  return text::quoted(m.nodes[i].name) + " (" + m.nodes[i].op_type + ")";
}

const Val& Walk::value(const std::string& name) const {
  static const Val kMissing;
  const auto it = values.find(name);
  return it == values.end() ? kMissing : it->second;
}

std::vector<int32_t> Walk::data_layers(size_t i) const {
  std::vector<int32_t> out;
  for (const std::string& in : m.nodes[i].inputs)
    if (!in.empty() && value(in).kind == Val::data) out.push_back(value(in).layer);
  return out;
}

bool Walk::any_data_input(size_t i) const {
  return std::any_of(m.nodes[i].inputs.begin(), m.nodes[i].inputs.end(),
                     [&](const std::string& in) { return !in.empty() && value(in).kind == Val::data; });
}

const Const* Walk::constant(size_t i, size_t k) const {
  const Node& n = m.nodes[i];
  if (k >= n.inputs.size() || n.inputs[k].empty()) return nullptr;
  const Val& v = value(n.inputs[k]);
  return v.kind == Val::constant ? &v.c : nullptr;
}

std::string Walk::not_constant(size_t i, size_t k) const {
  const Node& n = m.nodes[i];
  if (k >= n.inputs.size() || n.inputs[k].empty()) return "it is absent";
  const Val& v = value(n.inputs[k]);
  switch (v.kind) {
    case Val::constant: return "";
    case Val::data: return text::quoted(n.inputs[k]) + " is computed from the input data";
    case Val::unknown: return text::quoted(n.inputs[k]) + " is not known: " + v.why;
    case Val::view: return text::quoted(n.inputs[k]) + " is the middle of a channel shuffle (a view of the data)";
    default: return text::quoted(n.inputs[k]) + " is neither an initializer nor the output of an earlier node";
  }
}

std::optional<Shape> Walk::shape_of(int32_t layer) {
  if (layer == kNetworkInput) return d.input;
  if (layer < 0) return std::nullopt;
  const size_t index = static_cast<size_t>(layer);
  if (!cache_ || index >= cached_layers_) {
    if (propagations_ >= kMaxPropagations) {
      limit_hit = true;
      return std::nullopt;
    }
    ++propagations_;
    Network net;
    std::string why;
    if (!d.network(net, why)) return std::nullopt;  // finish() names the layer the contract refuses
    cache_ = propagate(net, false);
    cached_layers_ = d.layers.size();
  }
  if (index >= cache_->layers.size()) return std::nullopt;
  return cache_->layers[index].output;
}

std::string Walk::unique_name(size_t i) {
  const Node& n = m.nodes[i];
  std::string name = clean_name(n.name.empty() ? n.op_type + "_" + to_string(i) : n.name);
  // The contract reserves "input" and wants names unique once layers name their inputs.
  if (name == "input" || used_names.count(name)) {
    // A Split makes one layer per output: "#<node>", then "#<node>_2", ...
    const std::string base = name + "#" + to_string(i);
    name = clean_name(base);
    for (size_t k = 2; used_names.count(name); ++k) name = clean_name(base + "_" + to_string(k));
  }
  used_names.insert(name);
  return name;
}

void Walk::add_layer(size_t i, json::Object layer, const std::vector<int32_t>& inputs) {
  const std::string name = unique_name(i);
  json::Object o;
  o.push_back(layer.front());  // type first, as the contract writes it
  o.push_back({"name", json::Value(name)});
  const int32_t previous = static_cast<int32_t>(d.layers.size()) - 1;
  const bool chain = inputs.size() == 1 && inputs[0] == (previous < 0 ? kNetworkInput : previous);
  if (!chain) {
    json::Array a;
    for (int32_t in : inputs)
      a.push_back(json::Value(in == kNetworkInput ? std::string("input") : layer_names[static_cast<size_t>(in)]));
    o.push_back({"inputs", json::Value(std::move(a))});
  }
  for (size_t k = 1; k < layer.size(); ++k)
    if (layer[k].first != "name") o.push_back(std::move(layer[k]));
  const int32_t index = static_cast<int32_t>(d.layers.size());
  d.add(std::move(o), label(i));
  layer_names.push_back(name);
  const Node& n = m.nodes[i];
  if (!n.outputs.empty() && !n.outputs[0].empty()) {
    Val v;
    v.kind = Val::data;
    v.layer = index;
    values[n.outputs[0]] = v;
  }
  for (size_t k = 1; k < n.outputs.size(); ++k)
    if (!n.outputs[k].empty()) values[n.outputs[k]] = Val{Val::unknown, kNoLayer, {}, "output " + to_string(k) + " of " + short_label(i) + " is not modelled", {}};
}

void Walk::alias(size_t i, int32_t layer, const std::string& why) {
  const Node& n = m.nodes[i];
  if (!n.outputs.empty() && !n.outputs[0].empty()) {
    Val v;
    v.kind = Val::data;
    v.layer = layer;
    values[n.outputs[0]] = v;
  }
  for (size_t k = 1; k < n.outputs.size(); ++k)
    if (!n.outputs[k].empty()) values[n.outputs[k]] = Val{Val::unknown, kNoLayer, {}, "output " + to_string(k) + " of " + short_label(i) + " is not modelled", {}};
  aliases.push_back(short_label(i) + (why.empty() ? "" : " (" + why + ")"));
}

void Walk::set_constant(size_t i, size_t output, Const c) {
  const Node& n = m.nodes[i];
  if (output >= n.outputs.size() || n.outputs[output].empty()) return;
  Val v;
  v.kind = Val::constant;
  v.c = std::move(c);
  values[n.outputs[output]] = std::move(v);
}

void Walk::set_unknown(size_t i, const std::string& why) {
  for (const std::string& out : m.nodes[i].outputs)
    if (!out.empty()) values[out] = Val{Val::unknown, kNoLayer, {}, why, {}};
}

void Walk::count_param(size_t i, size_t k) {
  const Const* c = constant(i, k);
  if (!c) return;
  if (!c->initializer.empty()) ++param_uses[c->initializer];
  else in_constants += c->count();
}

bool Walk::stop(size_t i, const std::string& why) {
  if (!stopped_at) {
    stopped_at = i;
    stop_reason = limit_hit ? "it needs a shape, and the graph asks for shapes between new layers more than " +
                                  to_string(kMaxPropagations) + " times (ConvScope's limit for one import)"
                            : why;
  }
  return true;
}

bool Walk::fail(size_t i, const std::string& problem) {
  if (error.empty()) error = label(i) + ": " + problem;
  return false;
}

int64_t Walk::int_attr(size_t i, const char* key, int64_t fallback) const {
  const Attribute* a = m.nodes[i].attribute(key);
  return a && a->has_i ? a->i : fallback;
}

bool Walk::ints_attr(size_t i, const char* key, size_t n, int64_t min, std::vector<int64_t>& out) {
  out.clear();
  const Attribute* a = m.nodes[i].attribute(key);
  if (!a) return true;
  if (n != 0 && a->ints.size() != n)
    return fail(i, std::string("attribute ") + key + ": expected " + to_string(n) + " values, got " + to_string(a->ints.size()));
  for (int64_t v : a->ints) {
    if (v < min) return fail(i, std::string("attribute ") + key + ": expected values >= " + to_string(min) + ", got " + to_string(v));
    if (v > kMaxDimension || v < -kMaxDimension)
      return fail(i, std::string("attribute ") + key + ": " + to_string(v) + " is beyond 2^31 - 1");
  }
  out = a->ints;
  return true;
}

std::string Walk::string_attr(size_t i, const char* key, const std::string& fallback) const {
  const Attribute* a = m.nodes[i].attribute(key);
  return a && a->has_s ? a->s : fallback;
}

json::Object typed(const char* type) { return json::Object{{"type", json::Value(type)}}; }

std::string shape_str(const std::vector<int64_t>& s) {
  std::string out = "[";
  for (size_t k = 0; k < s.size(); ++k) out += (k ? ", " : "") + to_string(s[k]);
  return out + "]";
}

bool data_input(Walk& w, size_t i, int32_t& layer) {
  const Node& n = w.node(i);
  if (!n.inputs.empty() && w.value(n.inputs[0]).kind == Val::data) {
    layer = w.value(n.inputs[0]).layer;
    return true;
  }
  w.stop(i, "its data arrives at input " + to_string(1) + " or later; ConvScope models it at input 0 only");
  return false;
}

std::optional<Shape> known_shape(Walk& w, size_t i, int32_t layer, const char* why) {
  std::optional<Shape> s = w.shape_of(layer);
  if (!s) w.stop(i, std::string("its input's shape is unknown (an earlier layer fails), and ") + why);
  return s;
}

const Const* values_of(Walk& w, size_t i, size_t k, const char* what) {
  const Const* c = w.constant(i, k);
  if (c && c->has_values) return c;
  const std::string why = c ? "its values are not in the file" : w.not_constant(i, k);
  w.stop(i, std::string(what) + " must be known, and " + why);
  return nullptr;
}


namespace {

// Ops that only pass their data input on, shape and all.
bool passes_through(const std::string& op) { return op == "Identity" || op == "Cast" || op == "CastLike"; }

// What an initializer is to the walk: its dims, and its values when small.
Const const_of(const Tensor& t) {
  Const c;
  c.dims = t.dims;
  c.is_float = t.is_float();
  if (t.has_values) {
    c.has_values = true;
    c.ints = t.values;
    c.origins.assign(t.values.size(), Origin{});
  } else if (t.has_floats) {
    c.has_values = true;
    c.floats = t.floats;
  }
  c.initializer = t.name;
  return c;
}

}  // namespace

bool Walk::run() {
  // Graph inputs other than the one followed, and initializers.
  for (const auto& kv : m.initializers) {
    Val v;
    v.kind = Val::constant;
    v.c = const_of(kv.second);
    values[kv.first] = std::move(v);
  }
  for (const ValueInfo& in : m.inputs)
    if (!m.initializers.count(in.name) && in.name != input)
      values[in.name] = Val{Val::unknown, kNoLayer, {}, "it is another graph input (" + text::quoted(in.name) +
                                                            "); ConvScope's network has one input", {}};
  values[input] = Val{Val::data, kNetworkInput, {}, "", {}};

  std::map<std::string, size_t> producer;
  for (size_t i = 0; i < m.nodes.size(); ++i)
    for (const std::string& o : m.nodes[i].outputs)
      if (!o.empty()) producer.emplace(o, i);

  for (size_t i = 0; i < m.nodes.size() && !stopped_at; ++i) {
    // Past the contract's limit, finish() names the node.
    if (d.layers.size() > limits::max_layers) break;
    const Node& n = m.nodes[i];
    for (const std::string& in : n.inputs) {
      if (in.empty() || values.count(in)) continue;
      const auto p = producer.find(in);
      if (p != producer.end() && p->second >= i)
        return fail(i, "uses the output of node " + to_string(p->second) +
                           ", which comes later (the graph is not topologically sorted)");
    }
    if (std::any_of(n.inputs.begin(), n.inputs.end(), [&](const std::string& in) { return value(in).kind == Val::view; })) {
      if (!view_step(*this, i)) return false;
      continue;
    }
    const bool data = any_data_input(i);
    if (!n.domain.empty() && n.domain != "ai.onnx") {
      if (data) stop(i, "its domain " + text::quoted(n.domain) + " is not the standard ONNX one");
      else set_unknown(i, short_label(i) + " is in domain " + text::quoted(n.domain));
      continue;
    }
    if (data && passes_through(n.op_type)) {
      alias(i, data_layers(i)[0], "");
      continue;
    }
    Handler h = nullptr;
    if (!data || n.op_type == "Shape" || n.op_type == "Size") {
      h = fold_handler(n.op_type);
      if (!h) {
        set_unknown(i, short_label(i) + " computes it, and ConvScope does not fold " + n.op_type);
        continue;
      }
    } else {
      h = merge_handler(n.op_type);
      if (!h) h = layer_handler(n.op_type);
      if (!h) h = layout_handler(n.op_type);
      if (!h) {
        stop(i, "ConvScope has no layer for " + n.op_type);
        continue;
      }
    }
    if (!h(*this, i)) return false;
  }
  return true;
}

}  // namespace convscope::import::onnx
