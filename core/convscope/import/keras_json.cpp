#include "convscope/import/keras_json.hpp"

#include <cstring>

#include "convscope/import/draft.hpp"
#include "convscope/import/names.hpp"
#include "convscope/import/text.hpp"
#include "convscope/limits.hpp"

namespace convscope::import {

using json::Value;
using std::to_string;

namespace {

constexpr size_t kMaxModelNesting = 4;  // models inside models
constexpr size_t kMaxListed = 20;
constexpr size_t kMaxKerasJsonBytes = max_keras_json_bytes;

std::string shown(const Value& v) {
  std::string s = json::write(v, -1);
  return s.size() > 40 ? s.substr(0, 37) + "..." : s;
}

// Keras' SavedModel metadata wraps tuples: {"class_name": "__tuple__", "items": [...]}.
const Value& unwrap(const Value& v) {
  if (const Value* items = v.find("items"))
    if (items->is_array()) return *items;
  return v;
}

struct Reader {
  std::string error;
  bool fail(const std::string& path, const std::string& problem) {
    if (error.empty()) error = path + ": " + problem;
    return false;
  }

  bool integer(const Value& v, const std::string& path, int64_t& out) {
    if (!v.is_integer()) return fail(path, "expected an integer, got " + shown(v));
    out = v.as_int();
    // Bounded here so that padding arithmetic (causal: d * (k - 1)) cannot overflow.
    if (out > limits::max_dimension || out < -limits::max_dimension)
      return fail(path, "got " + shown(v) + ", beyond the limit " + to_string(limits::max_dimension) + " (2^31 - 1)");
    return true;
  }
  // An integer (every axis) or a list of `n` integers.
  bool axes(const Value& raw, const std::string& path, size_t n, std::vector<int64_t>& out) {
    const Value& v = unwrap(raw);
    out.clear();
    if (v.is_integer()) {
      int64_t x = 0;
      if (!integer(v, path, x)) return false;
      out.assign(n, x);
      return true;
    }
    if (!v.is_array() || v.as_array().size() != n)
      return fail(path, "expected an integer or a list of " + to_string(n) + ", got " + shown(raw));
    for (size_t i = 0; i < n; ++i) {
      int64_t x = 0;
      if (!integer(v.as_array()[i], path + "[" + to_string(i) + "]", x)) return false;
      out.push_back(x);
    }
    return true;
  }
  // ZeroPadding / Cropping: an integer, one per axis (symmetric), or pairs;
  // the 1-D layers take one (left, right) pair.
  bool pairs(const Value& raw, const std::string& path, size_t n, std::vector<std::pair<int64_t, int64_t>>& out) {
    const Value& v = unwrap(raw);
    out.clear();
    if (v.is_integer()) {
      int64_t x = 0;
      if (!integer(v, path, x)) return false;
      out.assign(n, {x, x});
      return true;
    }
    if (!v.is_array()) return fail(path, "expected an integer or a list, got " + shown(raw));
    const auto& a = v.as_array();
    if (n == 1 && a.size() == 2 && a[0].is_integer() && a[1].is_integer()) {
      int64_t b = 0, e = 0;
      if (!integer(a[0], path + "[0]", b) || !integer(a[1], path + "[1]", e)) return false;
      out.push_back({b, e});
      return true;
    }
    if (a.size() != n) return fail(path, "expected one entry per spatial axis (" + to_string(n) + "), got " + shown(raw));
    for (size_t i = 0; i < n; ++i) {
      const std::string at = path + "[" + to_string(i) + "]";
      const Value& e = unwrap(a[i]);
      if (e.is_integer()) {
        int64_t x = 0;
        if (!integer(e, at, x)) return false;
        out.push_back({x, x});
        continue;
      }
      if (!e.is_array() || e.as_array().size() != 2) return fail(at, "expected a (begin, end) pair, got " + shown(a[i]));
      int64_t b = 0, f = 0;
      if (!integer(e.as_array()[0], at + "[0]", b) || !integer(e.as_array()[1], at + "[1]", f)) return false;
      out.push_back({b, f});
    }
    return true;
  }
};

const std::string* string_at(const Value& obj, const char* key) {
  const Value* v = obj.find(key);
  return v && v->is_string() ? &v->as_string() : nullptr;
}

// "Conv2DTranspose" -> 2; 0 when the class names no rank.
size_t keras_rank(const std::string& cls) {
  for (size_t i = 0; i + 1 < cls.size(); ++i)
    if (cls[i] >= '1' && cls[i] <= '3' && cls[i + 1] == 'D') return static_cast<size_t>(cls[i] - '0');
  return 0;
}

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

// The walk over the layer list, across nested models.
struct Walk {
  Reader rd;
  Draft& d;
  std::vector<int64_t> input;      // full shape as written (may hold -1 for null)
  std::string input_path;
  bool channels_first = false, channels_last = false;
  std::string previous;            // name of the last layer in the chain
  std::vector<std::string> unknown;
  bool upsample_note = false;
};

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

// Names of the layers feeding a functional layer (Keras 2 lists, Keras 3
// __keras_tensor__ objects with keras_history), depth-limited.
void inbound_names(const Value& v, std::vector<std::string>& out, int depth) {
  if (depth > 8 || out.size() > 16) return;
  if (v.is_object()) {
    if (const Value* h = v.find("keras_history"))
      if (h->is_array() && !h->as_array().empty() && h->as_array()[0].is_string()) {
        out.push_back(h->as_array()[0].as_string());
        return;
      }
    for (const auto& kv : v.as_object()) inbound_names(kv.second, out, depth + 1);
    return;
  }
  if (!v.is_array()) return;
  const auto& a = v.as_array();
  // Keras 2: [name, node_index, tensor_index, kwargs]
  if (a.size() >= 3 && a[0].is_string() && a[1].is_integer()) {
    out.push_back(a[0].as_string());
    return;
  }
  for (const Value& e : a) inbound_names(e, out, depth + 1);
}

bool check_chain(Walk& w, const Value& layer, const std::string& path, const std::string& name) {
  const Value* nodes = layer.find("inbound_nodes");
  if (!nodes || !nodes->is_array() || nodes->as_array().empty()) return true;  // Sequential
  if (nodes->as_array().size() > 1)
    return w.rd.fail(path + ".inbound_nodes", "layer " + text::quoted(name) +
                                                  " is called more than once; ConvScope imports linear chains only");
  std::vector<std::string> from;
  inbound_names(*nodes, from, 0);
  if (from.size() != 1) {
    std::string list;
    for (const auto& f : from) list += (list.empty() ? "" : ", ") + text::quoted(f);
    return w.rd.fail(path + ".inbound_nodes", "layer " + text::quoted(name) + " takes " + to_string(from.size()) +
                                                  " inputs (" + list + "); ConvScope imports linear chains only");
  }
  if (!w.previous.empty() && from[0] != w.previous)
    return w.rd.fail(path + ".inbound_nodes", "layer " + text::quoted(name) + " takes its input from " +
                                                  text::quoted(from[0]) + ", not from the layer before it (" +
                                                  text::quoted(w.previous) + "); ConvScope imports linear chains only");
  return true;
}

bool padding_of(Walk& w, const Value& cfg, const std::string& path, const std::vector<int64_t>& kernel,
                const std::vector<int64_t>& dilation, json::Object& o) {
  const std::string* p = string_at(cfg, "padding");
  if (!p) return true;
  if (*p == "valid" || *p == "same") {
    o.push_back({"padding", Value(*p)});
    return true;
  }
  if (*p == "causal" && kernel.size() == 1) {  // Conv1D: k_eff - 1 zeros on the left
    const int64_t d = dilation.empty() ? 1 : dilation[0];
    o.push_back({"padding", pairs_json({{d * (kernel[0] - 1), 0}})});
    w.d.note("causal padding read as " + to_string(d * (kernel[0] - 1)) + " zeros on the left");
    return true;
  }
  return w.rd.fail(path + ".config.padding", "unknown padding " + text::quoted(*p));
}

bool read_layers(Walk& w, const Value& layers, const std::string& path, size_t nesting);

// One layer; unknown classes are listed, not silently dropped.
bool read_layer(Walk& w, const Value& layer, const std::string& path, size_t nesting) {
  if (!layer.is_object()) return w.rd.fail(path, "expected a layer object, got " + shown(layer));
  const std::string* cls_p = string_at(layer, "class_name");
  if (!cls_p) return w.rd.fail(path + ".class_name", "missing");
  const std::string cls = *cls_p;
  const Value* cfg_p = layer.find("config");
  if (!cfg_p || !cfg_p->is_object()) return w.rd.fail(path + ".config", "expected the layer's config object");
  const Value& cfg = *cfg_p;
  const std::string cpath = path + ".config";
  std::string name = string_at(cfg, "name") ? *string_at(cfg, "name") : string_at(layer, "name") ? *string_at(layer, "name") : "";
  if (!find_input(w, layer, path)) return false;
  if (cls == "InputLayer") {
    w.previous = name;
    return true;
  }
  if (!check_chain(w, layer, path, name)) return false;
  w.previous = name;
  if (cls == "Sequential" || cls == "Functional" || cls == "Model") {
    if (nesting >= kMaxModelNesting) return w.rd.fail(path, "models nested more than " + to_string(kMaxModelNesting) + " deep");
    const Value* inner = cfg.find("layers");
    if (!inner) return w.rd.fail(cpath + ".layers", "missing");
    const std::string outer_previous = w.previous;
    w.previous.clear();
    if (!read_layers(w, *inner, cpath + ".layers", nesting + 1)) return false;
    w.previous = outer_previous;
    w.d.note("nested model " + text::quoted(name) + " read layer by layer");
    return true;
  }
  if (const std::string* df = string_at(cfg, "data_format")) {
    if (*df == "channels_first") w.channels_first = true;
    if (*df == "channels_last") w.channels_last = true;
    if (w.channels_first && w.channels_last)
      return w.rd.fail(cpath + ".data_format", "layers mix channels_first and channels_last");
  }
  const size_t sr = keras_rank(cls);
  std::vector<int64_t> kernel, stride, dilation;
  auto read_axes = [&](const char* key, std::vector<int64_t>& out, bool required) {
    const Value* v = cfg.find(key);
    if (!v || v->is_null()) return !required || w.rd.fail(cpath + "." + key, "missing");
    return w.rd.axes(*v, cpath + "." + key, sr, out);
  };
  const bool use_bias = !(cfg.find("use_bias") && cfg.find("use_bias")->is_bool() && !cfg.find("use_bias")->as_bool());
  const std::string at = path + " (" + text::quoted(name) + ")";

  const bool transposed = cls.find("Transpose") != std::string::npos;
  const bool depthwise = starts_with(cls, "DepthwiseConv");
  const bool separable = starts_with(cls, "SeparableConv") || starts_with(cls, "SeparableConvolution");
  if ((starts_with(cls, "Conv") || depthwise || separable) && sr > 0) {
    if (!read_axes("kernel_size", kernel, true) || !read_axes("strides", stride, false) ||
        !read_axes("dilation_rate", dilation, false))
      return false;
    json::Object o = layer_object(depthwise || separable ? "depthwise_conv" : transposed ? "conv_transpose" : "conv",
                                  separable ? name + "_depthwise" : name);
    int64_t filters = 0;
    if (!depthwise && !separable) {
      if (!cfg.find("filters")) return w.rd.fail(cpath + ".filters", "missing");
      if (!w.rd.integer(*cfg.find("filters"), cpath + ".filters", filters)) return false;
      o.push_back({"filters", Value(filters)});
    }
    o.push_back({"kernel", axes_json(kernel)});
    if (depthwise || separable) {
      int64_t m = 1;
      if (const Value* v = cfg.find("depth_multiplier"))
        if (!w.rd.integer(*v, cpath + ".depth_multiplier", m)) return false;
      if (m != 1) o.push_back({"depth_multiplier", Value(m)});
    }
    if (!stride.empty()) o.push_back({"stride", axes_json(stride)});
    if (!dilation.empty()) o.push_back({"dilation", axes_json(dilation)});
    if (!padding_of(w, cfg, path, kernel, dilation, o)) return false;
    if (transposed) {
      std::vector<int64_t> op;
      if (!read_axes("output_padding", op, false)) return false;
      if (!op.empty()) o.push_back({"output_padding", axes_json(op)});
    }
    if (!transposed && !depthwise && !separable)
      if (const Value* g = cfg.find("groups"))
        if (g->is_integer() && g->as_int() != 1) o.push_back({"groups", Value(g->as_int())});
    if (!use_bias || separable) o.push_back({"bias", Value(false)});
    w.d.add(std::move(o), at);
    if (separable) {
      if (!cfg.find("filters")) return w.rd.fail(cpath + ".filters", "missing");
      if (!w.rd.integer(*cfg.find("filters"), cpath + ".filters", filters)) return false;
      json::Object p = layer_object("conv", name + "_pointwise");
      p.push_back({"filters", Value(filters)});
      p.push_back({"kernel", Value(1)});
      if (!use_bias) p.push_back({"bias", Value(false)});
      w.d.add(std::move(p), at);
      w.d.note(text::quoted(name) + " (" + cls + ") read as a depthwise and a 1x1 convolution, as Keras computes it");
    }
    return true;
  }
  const bool max = starts_with(cls, "MaxPool"), avg = starts_with(cls, "AveragePooling") || starts_with(cls, "AvgPool");
  if ((max || avg) && sr > 0) {
    if (!read_axes("pool_size", kernel, true) || !read_axes("strides", stride, false)) return false;
    json::Object o = layer_object(max ? "max_pool" : "avg_pool", name);
    o.push_back({"kernel", axes_json(kernel)});
    if (!stride.empty()) o.push_back({"stride", axes_json(stride)});
    if (!padding_of(w, cfg, path, kernel, dilation, o)) return false;
    w.d.add(std::move(o), at);
    return true;
  }
  if (starts_with(cls, "GlobalAveragePooling") || starts_with(cls, "GlobalAvgPool") ||
      starts_with(cls, "GlobalMaxPool")) {
    json::Object o = layer_object(starts_with(cls, "GlobalMax") ? "global_max_pool" : "global_avg_pool", name);
    if (const Value* k = cfg.find("keepdims"))
      if (k->is_bool() && k->as_bool()) o.push_back({"keepdims", Value(true)});
    w.d.add(std::move(o), at);
    return true;
  }
  if ((starts_with(cls, "ZeroPadding") || starts_with(cls, "Cropping")) && sr > 0) {
    const bool pad = starts_with(cls, "ZeroPadding");
    const char* key = pad ? "padding" : "cropping";
    std::vector<std::pair<int64_t, int64_t>> pairs;
    if (!cfg.find(key)) return w.rd.fail(cpath + "." + key, "missing");
    if (!w.rd.pairs(*cfg.find(key), cpath + "." + key, sr, pairs)) return false;
    json::Object o = layer_object(pad ? "zero_pad" : "crop", name);
    o.push_back({key, pairs_json(pairs)});
    w.d.add(std::move(o), at);
    return true;
  }
  if (starts_with(cls, "UpSampling") && sr > 0) {
    std::vector<int64_t> size;
    if (!read_axes("size", size, true)) return false;
    json::Object o = layer_object("upsample", name);
    o.push_back({"scale", axes_json(size)});
    w.d.add(std::move(o), at);
    const std::string* mode = string_at(cfg, "interpolation");
    if (mode && *mode != "nearest" && !w.upsample_note) {
      w.upsample_note = true;
      w.d.note(text::quoted(name) + " upsamples with " + *mode + " interpolation: the same sizes as nearest");
    }
    return true;
  }
  if (cls == "Flatten") {
    w.d.add(layer_object("flatten", name), at);
    return true;
  }
  if (cls == "Dense") {
    int64_t units = 0;
    if (!cfg.find("units")) return w.rd.fail(cpath + ".units", "missing");
    if (!w.rd.integer(*cfg.find("units"), cpath + ".units", units)) return false;
    json::Object o = layer_object("dense", name);
    o.push_back({"units", Value(units)});
    if (!use_bias) o.push_back({"bias", Value(false)});
    w.d.add(std::move(o), at);
    return true;
  }
  if (cls == "BatchNormalization" || cls == "SyncBatchNormalization") {
    w.d.add(layer_object("batch_norm", name), at);
    return true;
  }
  if (cls == "ReLU") {
    w.d.add(layer_object("relu", name), at);
    return true;
  }
  if (cls == "Activation" || cls == "LeakyReLU" || cls == "ELU" || cls == "PReLU" || cls == "Softmax") {
    std::string fn = cls == "Activation" ? (string_at(cfg, "activation") ? *string_at(cfg, "activation") : "linear")
                     : cls == "LeakyReLU"  ? "leaky_relu"
                     : cls == "ELU"        ? "elu"
                     : cls == "PReLU"      ? "prelu"
                                           : "softmax";
    if (const names::Activation* a = names::activation_by_function(fn)) fn = a->function;
    json::Object o = layer_object("activation", name);
    o.push_back({"function", Value(fn.substr(0, 64))});
    w.d.add(std::move(o), at);
    return true;
  }
  if (cls == "Dropout" || starts_with(cls, "SpatialDropout") || cls == "AlphaDropout" || cls == "GaussianDropout") {
    json::Object o = layer_object("dropout", name);
    if (const Value* r = cfg.find("rate"))
      if (r->is_number() && r->as_double() != 0.5) o.push_back({"rate", Value(r->as_double())});
    w.d.add(std::move(o), at);
    return true;
  }
  w.unknown.push_back(text::quoted(name) + " (" + cls + ")");
  return true;
}

bool read_layers(Walk& w, const Value& layers, const std::string& path, size_t nesting) {
  if (!layers.is_array()) return w.rd.fail(path, "expected a list of layers, got " + shown(layers));
  if (layers.as_array().size() > limits::max_layers)
    return w.rd.fail(path, "more than " + to_string(limits::max_layers) + " layers");
  for (size_t i = 0; i < layers.as_array().size(); ++i) {
    // Nested models multiply; stop as soon as the network is too long.
    if (w.d.layers.size() > limits::max_layers)
      return w.rd.fail(path + "[" + to_string(i) + "]", "more than " + to_string(limits::max_layers) + " layers");
    if (!read_layer(w, layers.as_array()[i], path + "[" + to_string(i) + "]", nesting)) return false;
  }
  return true;
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
  Walk w{Reader{}, d, {}, "", false, false, "", {}, false};
  if (!read_layers(w, *layers, path, 0)) {
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
    if (!w.input.empty()) d.note("--input " + shape_text(d.input) + " replaces the model's input shape");
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
