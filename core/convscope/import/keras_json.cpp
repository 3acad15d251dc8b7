#include "convscope/import/keras_json.hpp"

#include <map>

#include "convscope/import/draft.hpp"
#include "convscope/import/keras_walk.hpp"
#include "convscope/import/text.hpp"
#include "convscope/limits.hpp"

namespace convscope::import {

using json::Value;
using keras::shown;
using keras::string_at;
using keras::unwrap;
using keras::Walk;
using std::to_string;

namespace {

constexpr size_t kMaxModelNesting = 4;  // models inside models
constexpr size_t kMaxListed = 20;
constexpr size_t kMaxInbound = 64;      // inputs of one layer (the contract's merges take up to 64)
constexpr size_t kMaxKerasJsonBytes = max_keras_json_bytes;

bool shape_value(Walk& w, const Value& raw, const std::string& path) {
  const Value& v = unwrap(raw);
  if (!v.is_array()) return w.rd.fail(path, "expected a shape list, got " + shown(raw));
  std::vector<int64_t> shape;
  for (size_t i = 0; i < v.as_array().size(); ++i) {
    const Value& x = v.as_array()[i];
    if (x.is_null()) shape.push_back(-1);
    else if (x.is_integer() && x.as_int() > 0) shape.push_back(x.as_int());
    else return w.rd.fail(path + "[" + to_string(i) + "]", "expected a positive size or null, got " + shown(x));
  }
  w.input = shape;
  w.input_path = path;
  return true;
}

// Where a Keras model keeps its input shape, first found wins.
bool find_input(Walk& w, const Value& layer, const std::string& path) {
  if (!w.input.empty()) return true;
  const Value* cfg = layer.find("config");
  for (const char* key : {"batch_shape", "batch_input_shape"})
    if (cfg && cfg->find(key) && !cfg->find(key)->is_null())
      return shape_value(w, *cfg->find(key), path + ".config." + key);
  if (const Value* build = layer.find("build_config"))
    if (const Value* shape = build->find("input_shape"))
      if (!shape->is_null()) return shape_value(w, *shape, path + ".build_config.input_shape");
  return true;
}

// Names of the layers feeding a functional layer, in order: Keras 2 lists
// [name, node_index, tensor_index, kwargs], Keras 3 {"args": [...]} with
// __keras_tensor__ objects carrying keras_history. Depth-limited; false when
// there are more than kMaxInbound.
bool inbound_names(const Value& v, std::vector<std::string>& out, int depth) {
  if (depth > 8) return true;
  if (out.size() > kMaxInbound) return false;
  if (v.is_object()) {
    if (const Value* h = v.find("keras_history")) {
      if (h->is_array() && !h->as_array().empty() && h->as_array()[0].is_string())
        out.push_back(h->as_array()[0].as_string());
      return out.size() <= kMaxInbound;
    }
    // Keras 3 call records: the tensors are the args; kwargs hold options.
    if (const Value* args = v.find("args")) return inbound_names(*args, out, depth + 1);
    for (const auto& kv : v.as_object())
      if (!inbound_names(kv.second, out, depth + 1)) return false;
    return true;
  }
  if (!v.is_array()) return true;
  const auto& a = v.as_array();
  if (a.size() >= 3 && a[0].is_string() && a[1].is_integer()) {
    out.push_back(a[0].as_string());
    return out.size() <= kMaxInbound;
  }
  for (const Value& e : a)
    if (!inbound_names(e, out, depth + 1)) return false;
  return true;
}

// Keras merge layer class -> the contract's merge.
const char* merge_type(const std::string& cls) {
  static const std::pair<const char*, const char*> kMerges[] = {
      {"Add", "add"},         {"Subtract", "subtract"}, {"Multiply", "multiply"}, {"Average", "average"},
      {"Maximum", "maximum"}, {"Minimum", "minimum"},   {"Concatenate", "concat"}};
  for (const auto& m : kMerges)
    if (cls == m.first) return m.second;
  return nullptr;
}

// Keras names -> the contract names that hold their outputs, per model
// (a nested model has its own, its InputLayer bound to what the call reads).
struct Scope {
  std::map<std::string, std::string> refs;
  std::string input_ref = "input";  // what the model's InputLayer stands for
  std::string current = "input";    // the layer a Sequential's next layer reads
  size_t input_layers = 0;
  bool nested = false;
};

bool read_layers(Walk& w, const Value& layers, const std::string& path, size_t nesting, Scope& scope);

// The contract names a layer reads: its inbound_nodes (functional), or the
// layer before it (Sequential).
bool inputs_of(Walk& w, const Value& layer, const std::string& path, const std::string& name, const Scope& scope,
               std::vector<std::string>& out) {
  const Value* nodes = layer.find("inbound_nodes");
  if (!nodes || !nodes->is_array() || nodes->as_array().empty()) {
    out = {scope.current};
    return true;
  }
  if (nodes->as_array().size() > 1)
    return w.rd.fail(path + ".inbound_nodes", "layer " + text::quoted(name) + " is called " +
                                                  to_string(nodes->as_array().size()) +
                                                  " times; ConvScope reads each layer once (shared layers are not modelled)");
  std::vector<std::string> names;
  if (!inbound_names(*nodes, names, 0))
    return w.rd.fail(path + ".inbound_nodes", "layer " + text::quoted(name) + " reads more than " +
                                                  to_string(kMaxInbound) + " tensors");
  if (names.empty()) return w.rd.fail(path + ".inbound_nodes", "layer " + text::quoted(name) + " names no input");
  out.clear();
  for (const std::string& n : names) {
    const auto it = scope.refs.find(n);
    if (it == scope.refs.end())
      return w.rd.fail(path + ".inbound_nodes", "layer " + text::quoted(name) + " reads " + text::quoted(n) +
                                                    ", which is not an earlier layer of the model");
    out.push_back(it->second);
  }
  return true;
}

// A model inside the model: read in its own scope, its input bound to what
// the call reads, its output the one layer it names (or its last).
bool nested_model(Walk& w, const Value& cfg, const std::string& path, const std::string& name, size_t nesting,
                  const std::vector<std::string>& in, std::string& out) {
  const std::string cpath = path + ".config";
  if (nesting >= kMaxModelNesting) return w.rd.fail(path, "models nested more than " + to_string(kMaxModelNesting) + " deep");
  if (in.size() != 1)
    return w.rd.fail(path, "nested model " + text::quoted(name) + " takes " + to_string(in.size()) +
                               " inputs; ConvScope reads nested models with one input and one output");
  const Value* inner = cfg.find("layers");
  if (!inner) return w.rd.fail(cpath + ".layers", "missing");
  Scope scope;
  scope.input_ref = scope.current = in[0];
  scope.nested = true;
  if (!read_layers(w, *inner, cpath + ".layers", nesting + 1, scope)) return false;
  out = scope.current;
  if (const Value* outputs = cfg.find("output_layers")) {
    std::vector<std::string> names;
    inbound_names(*outputs, names, 0);
    if (names.size() != 1)
      return w.rd.fail(cpath + ".output_layers", "nested model " + text::quoted(name) + " has " +
                                                     to_string(names.size()) +
                                                     " outputs; ConvScope reads nested models with one input and one output");
    const auto it = scope.refs.find(names[0]);
    if (it == scope.refs.end())
      return w.rd.fail(cpath + ".output_layers", "names " + text::quoted(names[0]) + ", which is no layer of the model");
    out = it->second;
  }
  w.d.note("nested model " + text::quoted(name) + " read layer by layer");
  return true;
}

bool read_layer(Walk& w, const Value& layer, const std::string& path, size_t nesting, Scope& scope) {
  if (!layer.is_object()) return w.rd.fail(path, "expected a layer object, got " + shown(layer));
  const std::string* cls_p = string_at(layer, "class_name");
  if (!cls_p) return w.rd.fail(path + ".class_name", "missing");
  const std::string cls = *cls_p;
  const Value* cfg_p = layer.find("config");
  if (!cfg_p || !cfg_p->is_object()) return w.rd.fail(path + ".config", "expected the layer's config object");
  const Value& cfg = *cfg_p;
  const std::string name = string_at(cfg, "name") ? *string_at(cfg, "name") : string_at(layer, "name") ? *string_at(layer, "name") : "";
  if (!find_input(w, layer, path)) return false;
  if (cls == "InputLayer") {
    if (++scope.input_layers > 1)
      return w.rd.fail(path, "a second input, " + text::quoted(name) + "; ConvScope's network has one input" +
                                 (scope.nested ? " (and a nested model one)" : ""));
    scope.refs[name] = scope.input_ref;
    scope.current = scope.input_ref;
    return true;
  }
  std::vector<std::string> in;
  if (!inputs_of(w, layer, path, name, scope, in)) return false;
  std::string out;
  if (cls == "Sequential" || cls == "Functional" || cls == "Model") {
    if (!nested_model(w, cfg, path, name, nesting, in, out)) return false;
  } else if (const char* merge = merge_type(cls)) {
    if (in.size() == 1) {
      out = in[0];  // Keras merges accept one input and return it
    } else {
      json::Object o = layer_object(merge, name);
      if (cls == "Concatenate") {
        int64_t axis = -1;
        if (const Value* a = cfg.find("axis"))
          if (!w.rd.integer(*a, path + ".config.axis", axis)) return false;
        o.push_back({"axis", Value(axis)});
        w.concat_axes.push_back({w.d.layers.size(), axis});
      }
      out = w.emit(std::move(o), path + " (" + text::quoted(name) + ")", in);
    }
  } else {
    if (in.size() != 1)
      return w.rd.fail(path + ".inbound_nodes", "layer " + text::quoted(name) + " (" + cls + ") takes " +
                                                    to_string(in.size()) + " inputs; ConvScope reads it with one");
    if (!keras::convert_layer(w, cls, cfg, path, name, in[0], out)) return false;
  }
  scope.refs[name] = out;
  scope.current = out;
  return true;
}

bool read_layers(Walk& w, const Value& layers, const std::string& path, size_t nesting, Scope& scope) {
  if (!layers.is_array()) return w.rd.fail(path, "expected a list of layers, got " + shown(layers));
  if (layers.as_array().size() > limits::max_layers)
    return w.rd.fail(path, "more than " + to_string(limits::max_layers) + " layers");
  for (size_t i = 0; i < layers.as_array().size(); ++i) {
    // Nested models multiply; stop as soon as the network is too long.
    if (w.d.layers.size() > limits::max_layers)
      return w.rd.fail(path + "[" + to_string(i) + "]", "more than " + to_string(limits::max_layers) + " layers");
    if (!read_layer(w, layers.as_array()[i], path + "[" + to_string(i) + "]", nesting, scope)) return false;
  }
  return true;
}

// channels_first: ConvScope's TensorFlow layout is channels last, so a
// Concatenate's axis moves with the channels (1 -> last, k -> k - 1).
void convert_concat_axes(Walk& w) {
  const int64_t rank = static_cast<int64_t>(w.input.size());
  for (const auto& [index, written] : w.concat_axes) {
    const int64_t a = written < 0 ? written + rank : written;
    const int64_t moved = a == 1 ? rank - 1 : a >= 2 ? a - 1 : a;
    for (auto& kv : w.d.layers[index].as_object())
      if (kv.first == "axis") kv.second = Value(moved);
  }
}

// The model object and the path to its layer list: to_json()'s
// {"class_name", "config": {"layers"}}, get_config()'s {"layers"}, or
// Keras 2.0's {"config": [layers]}.
bool locate_layers(const Value& root, const Value*& model_config, const Value*& layers, std::string& path) {
  const Value* cfg = root.find("config");
  if (cfg && cfg->is_object() && cfg->find("layers")) {
    model_config = cfg;
    layers = cfg->find("layers");
    path = "config.layers";
    return true;
  }
  if (cfg && cfg->is_array()) {
    model_config = &root;
    layers = cfg;
    path = "config";
    return true;
  }
  if (root.find("layers")) {
    model_config = &root;
    layers = root.find("layers");
    path = "layers";
    return true;
  }
  return false;
}

std::string listing(const std::vector<std::string>& items) {
  std::string s;
  for (size_t i = 0; i < items.size() && i < kMaxListed; ++i) s += (i ? ", " : "") + items[i];
  if (items.size() > kMaxListed) s += " and " + to_string(items.size() - kMaxListed) + " more";
  return s;
}

}  // namespace

bool looks_like_keras_json(const Value& root) {
  if (!root.is_object()) return false;
  if (const std::string* cls = string_at(root, "class_name"))
    return *cls == "Sequential" || *cls == "Functional" || *cls == "Model";
  const Value* layers = root.find("layers");
  if (!layers || !layers->is_array() || layers->as_array().empty()) return false;
  return layers->as_array()[0].find("class_name") != nullptr;
}

bool import_keras_value(const Value& root, const ImportOptions& options, ImportResult& out, std::string& error) {
  Draft d;
  d.framework = Framework::tensorflow;
  const Value* model_config = nullptr;
  const Value* layers = nullptr;
  std::string path;
  if (!root.is_object() || !locate_layers(root, model_config, layers, path)) {
    error = "(root): expected a Keras model: {\"class_name\": \"Sequential\", \"config\": {\"layers\": [...]}}";
    return false;
  }
  Walk w(d);
  Scope scope;
  if (!read_layers(w, *layers, path, 0, scope)) {
    error = w.rd.error;
    return false;
  }
  if (w.input.empty())
    if (const Value* b = model_config->find("build_input_shape"))
      if (!b->is_null() && !shape_value(w, *b, (path == "layers" ? "" : "config.") + std::string("build_input_shape"))) {
        error = w.rd.error;
        return false;
      }
  if (options.input) {
    d.input = *options.input;
    if (!w.input.empty()) d.note("the input shape " + shape_text(d.input) + " replaces the model's input shape");
  } else {
    if (w.input.empty()) {
      error = path + ": the model stores no input shape (no InputLayer, batch_input_shape or build_input_shape); "
                     "give one with --input";
      return false;
    }
    d.input = w.input;
    if (d.input[0] < 0) {
      d.input[0] = 1;
      d.note("assumed batch 1 (the model's input has None)");
    }
    for (size_t i = 1; i < d.input.size(); ++i)
      if (d.input[i] < 0) {
        error = w.input_path + "[" + to_string(i) + "]: the model's input size is None (any size); give one with --input";
        return false;
      }
    if (w.channels_first && d.input.size() >= 3) {
      std::vector<int64_t> last = {d.input[0]};
      last.insert(last.end(), d.input.begin() + 2, d.input.end());
      last.push_back(d.input[1]);
      d.input = last;
      d.note("data_format channels_first: the input was converted to ConvScope's TensorFlow layout (channels last); "
             "every shape is reported channels last");
    }
  }
  if (w.channels_first && !w.concat_axes.empty()) {
    convert_concat_axes(w);
    d.note("Concatenate axes converted to the channels-last layout");
  }
  if (!w.unknown.empty()) d.note("not modelled, skipped as if they kept the shape: " + listing(w.unknown));
  const std::string* cls = string_at(root, "class_name");
  d.description = "Imported from a Keras " + (cls ? *cls : std::string("model")) + " config" +
                  (string_at(root, "keras_version") ? " (Keras " + *string_at(root, "keras_version") + ")" : "") + ".";
  return finish(d, Format::keras_json, out, error);
}

bool import_keras_json(const std::string& text, const ImportOptions& options, ImportResult& out, std::string& error) {
  if (text.size() > kMaxKerasJsonBytes) {
    error = "(input): larger than " + to_string(kMaxKerasJsonBytes) + " bytes";
    return false;
  }
  json::ParseLimits lim;
  lim.max_bytes = kMaxKerasJsonBytes;
  lim.max_depth = 64;
  Value root;
  json::ParseError perr;
  if (!json::parse(text, root, perr, lim)) {
    error = perr.message;
    return false;
  }
  return import_keras_value(root, options, out, error);
}

}  // namespace convscope::import
