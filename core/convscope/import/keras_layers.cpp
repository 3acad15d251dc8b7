// One Keras layer of a single-input class -> the contract's layers:
// convolutions (separable ones as Keras computes them, depthwise then 1x1),
// pooling, padding and cropping, upsampling, flatten, dense, normalisation,
// activations and dropout. Unknown classes are skipped and listed.
#include <cstring>

#include "convscope/import/keras_walk.hpp"
#include "convscope/import/names.hpp"
#include "convscope/import/text.hpp"
#include "convscope/limits.hpp"

namespace convscope::import::keras {

using json::Value;
using std::to_string;

std::string shown(const Value& v) {
  std::string s = json::write(v, -1);
  return s.size() > 40 ? s.substr(0, 37) + "..." : s;
}

const Value& unwrap(const Value& v) {
  if (const Value* items = v.find("items"))
    if (items->is_array()) return *items;
  return v;
}

const std::string* string_at(const Value& obj, const char* key) {
  const Value* v = obj.find(key);
  return v && v->is_string() ? &v->as_string() : nullptr;
}

bool Reader::fail(const std::string& path, const std::string& problem) {
  if (error.empty()) error = path + ": " + problem;
  return false;
}

bool Reader::integer(const Value& v, const std::string& path, int64_t& out) {
  if (!v.is_integer()) return fail(path, "expected an integer, got " + shown(v));
  out = v.as_int();
  // Bounded here so that padding arithmetic (causal: d * (k - 1)) cannot overflow.
  if (out > limits::max_dimension || out < -limits::max_dimension)
    return fail(path, "got " + shown(v) + ", beyond the limit " + to_string(limits::max_dimension) + " (2^31 - 1)");
  return true;
}
bool Reader::axes(const Value& raw, const std::string& path, size_t n, std::vector<int64_t>& out) {
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
bool Reader::pairs(const Value& raw, const std::string& path, size_t n, std::vector<std::pair<int64_t, int64_t>>& out) {
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

std::string Walk::emit(json::Object layer, const std::string& origin, const std::vector<std::string>& inputs) {
  std::string name;
  for (const auto& kv : layer)
    if (kv.first == "name" && kv.second.is_string()) name = kv.second.as_string();
  // Nested models may reuse a name; the contract wants them unique.
  std::string unique = name;
  for (int k = 2; !unique.empty() && (used_names.count(unique) || unique == "input"); ++k)
    unique = clean_name(name + "_" + to_string(k));
  if (unique != name)
    for (auto& kv : layer)
      if (kv.first == "name") kv.second = Value(unique);
  if (!unique.empty()) used_names.insert(unique);
  const std::string previous = d.layers.empty() ? "input" : last_name;
  if (!(inputs.size() == 1 && inputs[0] == previous)) {
    json::Array a;
    for (const std::string& in : inputs) a.push_back(Value(in));
    layer.insert(layer.begin() + 1, {"inputs", Value(std::move(a))});
  }
  d.add(std::move(layer), origin);
  last_name = unique;
  return unique;
}

namespace {

// "Conv2DTranspose" -> 2; 0 when the class names no rank.
size_t keras_rank(const std::string& cls) {
  for (size_t i = 0; i + 1 < cls.size(); ++i)
    if (cls[i] >= '1' && cls[i] <= '3' && cls[i + 1] == 'D') return static_cast<size_t>(cls[i] - '0');
  return 0;
}

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

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

}  // namespace

bool convert_layer(Walk& w, const std::string& cls, const Value& cfg, const std::string& path, const std::string& name,
                   const std::string& in, std::string& out) {
  const std::string cpath = path + ".config";
  if (const std::string* df = string_at(cfg, "data_format")) {
    if (*df == "channels_first") w.channels_first = true;
    if (*df == "channels_last") w.channels_last = true;
    if (w.channels_first && w.channels_last)
      return w.rd.fail(cpath + ".data_format", "layers mix channels_first and channels_last");
  }
  const size_t sr = keras_rank(cls);
  std::vector<int64_t> kernel, stride, dilation;
  auto read_axes = [&](const char* key, std::vector<int64_t>& values, bool required) {
    const Value* v = cfg.find(key);
    if (!v || v->is_null()) return !required || w.rd.fail(cpath + "." + key, "missing");
    return w.rd.axes(*v, cpath + "." + key, sr, values);
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
    const std::string first = w.emit(std::move(o), at, {in});
    out = first;
    if (separable) {
      if (!cfg.find("filters")) return w.rd.fail(cpath + ".filters", "missing");
      if (!w.rd.integer(*cfg.find("filters"), cpath + ".filters", filters)) return false;
      json::Object p = layer_object("conv", name + "_pointwise");
      p.push_back({"filters", Value(filters)});
      p.push_back({"kernel", Value(1)});
      if (!use_bias) p.push_back({"bias", Value(false)});
      out = w.emit(std::move(p), at, {first});
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
    out = w.emit(std::move(o), at, {in});
    return true;
  }
  if (starts_with(cls, "GlobalAveragePooling") || starts_with(cls, "GlobalAvgPool") ||
      starts_with(cls, "GlobalMaxPool")) {
    json::Object o = layer_object(starts_with(cls, "GlobalMax") ? "global_max_pool" : "global_avg_pool", name);
    if (const Value* k = cfg.find("keepdims"))
      if (k->is_bool() && k->as_bool()) o.push_back({"keepdims", Value(true)});
    out = w.emit(std::move(o), at, {in});
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
    out = w.emit(std::move(o), at, {in});
    return true;
  }
  if (starts_with(cls, "UpSampling") && sr > 0) {
    std::vector<int64_t> size;
    if (!read_axes("size", size, true)) return false;
    json::Object o = layer_object("upsample", name);
    o.push_back({"scale", axes_json(size)});
    out = w.emit(std::move(o), at, {in});
    const std::string* mode = string_at(cfg, "interpolation");
    if (mode && *mode != "nearest" && !w.upsample_note) {
      w.upsample_note = true;
      w.d.note(text::quoted(name) + " upsamples with " + *mode + " interpolation: the same sizes as nearest");
    }
    return true;
  }
  if (cls == "Flatten") {
    out = w.emit(layer_object("flatten", name), at, {in});
    return true;
  }
  if (cls == "Reshape") {  // target_shape: the sizes after the batch, as the contract's shape (checked there)
    const Value* t = cfg.find("target_shape");
    if (!t || !t->is_array()) return w.rd.fail(cpath + ".target_shape", "expected a list of sizes");
    json::Object o = layer_object("reshape", name);
    o.push_back({"shape", *t});
    out = w.emit(std::move(o), at, {in});
    return true;
  }
  if (cls == "Dense") {
    int64_t units = 0;
    if (!cfg.find("units")) return w.rd.fail(cpath + ".units", "missing");
    if (!w.rd.integer(*cfg.find("units"), cpath + ".units", units)) return false;
    json::Object o = layer_object("dense", name);
    o.push_back({"units", Value(units)});
    if (!use_bias) o.push_back({"bias", Value(false)});
    out = w.emit(std::move(o), at, {in});
    return true;
  }
  if (cls == "BatchNormalization" || cls == "SyncBatchNormalization") {
    out = w.emit(layer_object("batch_norm", name), at, {in});
    return true;
  }
  if (cls == "ReLU") {
    out = w.emit(layer_object("relu", name), at, {in});
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
    out = w.emit(std::move(o), at, {in});
    return true;
  }
  if (cls == "Dropout" || starts_with(cls, "SpatialDropout") || cls == "AlphaDropout" || cls == "GaussianDropout") {
    json::Object o = layer_object("dropout", name);
    if (const Value* r = cfg.find("rate"))
      if (r->is_number() && r->as_double() != 0.5) o.push_back({"rate", Value(r->as_double())});
    out = w.emit(std::move(o), at, {in});
    return true;
  }
  w.unknown.push_back(text::quoted(name) + " (" + cls + ")");
  out = in;
  return true;
}

}  // namespace convscope::import::keras
