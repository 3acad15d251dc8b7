#include "convscope/network_json.hpp"

#include <algorithm>
#include <array>
#include <optional>
#include <string_view>

#include "convscope/conventions.hpp"
#include "convscope/layer_types.hpp"
#include "convscope/limits.hpp"

namespace convscope::network_json {

using json::Value;
using std::to_string;

namespace {

// ---- Which fields each layer type takes --------------------------------------

enum class FieldKind { count, axes, axes_or_zero, padding, boolean, rate, text, axis_index, position, sizes, batch };

struct FieldSpec {
  const char* name;
  FieldKind kind;
};

constexpr FieldSpec kFields[] = {
    {"filters", FieldKind::count},        {"units", FieldKind::count},
    {"kernel", FieldKind::axes},          {"stride", FieldKind::axes},
    {"dilation", FieldKind::axes},        {"padding", FieldKind::padding},
    {"output_padding", FieldKind::axes_or_zero},
    {"groups", FieldKind::count},         {"depth_multiplier", FieldKind::count},
    {"ceil_mode", FieldKind::boolean},    {"count_include_pad", FieldKind::boolean},
    {"output_size", FieldKind::axes},     {"scale", FieldKind::axes},
    {"cropping", FieldKind::padding},     {"in_features", FieldKind::count},
    {"in_channels", FieldKind::count},
    {"keepdims", FieldKind::boolean},     {"bias", FieldKind::boolean},
    {"rate", FieldKind::rate},            {"function", FieldKind::text},
    {"axis", FieldKind::axis_index},
    {"chunks", FieldKind::count},         {"index", FieldKind::position},
    {"shape", FieldKind::sizes},          {"batch", FieldKind::batch},
};

const FieldSpec* field_spec(const std::string& name) {
  for (const FieldSpec& f : kFields)
    if (name == f.name) return &f;
  return nullptr;
}

bool is_pool(LayerType t) { return t == LayerType::max_pool || t == LayerType::avg_pool; }

// Why a field the type has does not exist in a framework; empty if it does.
std::string unavailable(Framework fw, LayerType t, const std::string& field) {
  if (field == "ceil_mode" && fw == Framework::tensorflow)
    return "TensorFlow/Keras pooling has no ceil_mode";
  if (field == "count_include_pad" && fw == Framework::tensorflow)
    return "TensorFlow/Keras pooling has no count_include_pad (SAME average pooling excludes padding)";
  if (field == "dilation" && is_pool(t) && fw == Framework::tensorflow)
    return "Keras pooling layers have no dilation";
  if (field == "dilation" && t == LayerType::avg_pool && fw == Framework::pytorch)
    return "PyTorch's AvgPool has no dilation";
  if (t == LayerType::adaptive_avg_pool && fw != Framework::pytorch)
    return "adaptive pooling is a PyTorch layer";
  if (field == "output_size" && fw != Framework::pytorch) return "adaptive pooling is a PyTorch layer";
  if ((t == LayerType::channel_shuffle || t == LayerType::channel_split) && fw == Framework::tensorflow)
    return std::string("Keras has no ") + (t == LayerType::channel_shuffle ? "channel shuffle" : "channel split") +
           " layer (write it in a Lambda or a custom layer; ConvScope's Keras export does)";
  if (field == "batch" && t == LayerType::reshape && fw == Framework::tensorflow)
    return "Keras' Reshape always keeps the batch axis (its target_shape leaves it out); omit batch";
  if (field == "keepdims" && fw == Framework::pytorch)
    return "PyTorch's adaptive pooling always keeps the spatial axes (use flatten after it)";
  return "";
}

// Padding strings each framework accepts for a layer type.
std::vector<std::string> padding_strings(Framework fw, LayerType t) {
  switch (fw) {
    case Framework::pytorch:
      if (t == LayerType::conv || t == LayerType::depthwise_conv) return {"valid", "same"};
      return {};
    case Framework::tensorflow:
      if (t == LayerType::zero_pad) return {};
      return {"valid", "same"};
    case Framework::onnx:
      if (t == LayerType::zero_pad) return {};
      return {"valid", "same", "same_lower"};
  }
  return {};
}

// Whether numeric padding is accepted (Keras layers take only strings;
// tf.nn.conv2d also takes explicit pairs, so conv allows them; ZeroPadding
// and Cropping take numbers only).
bool numeric_padding(Framework fw, LayerType t) {
  if (fw != Framework::tensorflow) return true;
  return t == LayerType::conv || t == LayerType::depthwise_conv || t == LayerType::zero_pad ||
         t == LayerType::crop;
}

// ---- Value checks ---------------------------------------------------------------

std::string shown(const Value& v) {
  if (v.is_number() && !v.number_text().empty()) return v.number_text();
  std::string s = json::write(v, -1);
  if (s.size() > 40) s = s.substr(0, 37) + "...";
  return s;
}

// The first problem found, "<path>: <problem>". Errors are returned, not
// thrown: the WASM build has no exceptions.
struct Reader {
  std::string error;
  template <class T = bool>
  std::optional<T> fail(const std::string& path, const std::string& problem) {
    if (error.empty()) error = path + ": " + problem;
    return std::nullopt;
  }
};

std::optional<int64_t> integer_at(Reader& rd, const Value& v, const std::string& path, int64_t min,
                                  const char* expected) {
  if (!v.is_integer()) return rd.fail<int64_t>(path, std::string("expected ") + expected + ", got " + shown(v));
  const int64_t x = v.as_int();
  if (x < min) return rd.fail<int64_t>(path, std::string("expected ") + expected + ", got " + to_string(x));
  if (x > limits::max_dimension)
    return rd.fail<int64_t>(path, "got " + to_string(x) + ", beyond the limit " +
                                      to_string(limits::max_dimension) + " (2^31 - 1)");
  return x;
}

std::optional<std::vector<int64_t>> axes_at(Reader& rd, const Value& v, const std::string& path, size_t sr,
                                            int64_t min) {
  using Axes = std::vector<int64_t>;
  const char* expected = min > 0 ? "a positive integer" : "a non-negative integer";
  if (v.is_array()) {
    const auto& a = v.as_array();
    if (a.size() != sr)
      return rd.fail<Axes>(path, "expected one value per spatial axis (" + to_string(sr) + " for a " +
                                     to_string(sr) + "-D input), got " + to_string(a.size()));
    Axes out;
    for (size_t i = 0; i < a.size(); ++i) {
      const auto x = integer_at(rd, a[i], path + "[" + to_string(i) + "]", min, expected);
      if (!x) return std::nullopt;
      out.push_back(*x);
    }
    return out;
  }
  if (!v.is_integer())
    return rd.fail<Axes>(path, std::string("expected ") + expected + " or a list of " + to_string(sr) +
                                   ", got " + shown(v));
  const auto x = integer_at(rd, v, path, min, expected);
  if (!x) return std::nullopt;
  return Axes(sr, *x);
}

std::optional<Padding> padding_at(Reader& rd, const Value& v, const std::string& path, size_t sr,
                                  Framework fw, LayerType t, bool allow_strings) {
  Padding p;
  if (v.is_string()) {
    const auto allowed = allow_strings ? padding_strings(fw, t) : std::vector<std::string>{};
    const std::string& s = v.as_string();
    if (std::find(allowed.begin(), allowed.end(), s) == allowed.end()) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + ("\"" + a + "\"");
      return rd.fail<Padding>(path, shown(v) + " is not a padding " + to_string(fw) + " accepts for " +
                                        to_string(t) +
                                        (list.empty() ? std::string(" (it takes numbers only)")
                                                      : " (expected " + list + " or numbers)"));
    }
    p.mode = s == "valid" ? PadMode::valid : s == "same" ? PadMode::same : PadMode::same_lower;
    return p;
  }
  if (!numeric_padding(fw, t))
    return rd.fail<Padding>(path, "Keras " + conventions::framework_layer_name(fw, t, sr) +
                                      " takes padding \"valid\" or \"same\" only, got " + shown(v));
  p.mode = PadMode::explicit_pads;
  const char* expected = "a non-negative integer";
  if (v.is_integer()) {
    const auto x = integer_at(rd, v, path, 0, expected);
    if (!x) return std::nullopt;
    p.pairs.assign(sr, {*x, *x});
    p.written_as = 0;
    return p;
  }
  if (!v.is_array())
    return rd.fail<Padding>(path, "expected \"valid\", \"same\", an integer, one per axis or [begin, end] "
                                  "pairs, got " + shown(v));
  const auto& a = v.as_array();
  if (a.size() != sr)
    return rd.fail<Padding>(path, "expected one entry per spatial axis (" + to_string(sr) + "), got " +
                                      to_string(a.size()));
  const bool pairs = !a.empty() && a[0].is_array();
  p.written_as = pairs ? 2 : 1;
  for (size_t i = 0; i < a.size(); ++i) {
    const std::string at = path + "[" + to_string(i) + "]";
    if (pairs) {
      if (!a[i].is_array() || a[i].as_array().size() != 2)
        return rd.fail<Padding>(at, "expected a [begin, end] pair like the first entry, got " + shown(a[i]));
      const auto b = integer_at(rd, a[i].as_array()[0], at + "[0]", 0, expected);
      const auto e = integer_at(rd, a[i].as_array()[1], at + "[1]", 0, expected);
      if (!b || !e) return std::nullopt;
      p.pairs.push_back({*b, *e});
    } else {
      const auto x = integer_at(rd, a[i], at, 0, expected);
      if (!x) return std::nullopt;
      p.pairs.push_back({*x, *x});
    }
  }
  return p;
}

std::optional<std::string> string_at(Reader& rd, const Value& v, const std::string& path, size_t max_chars) {
  if (!v.is_string()) return rd.fail<std::string>(path, "expected a string, got " + shown(v));
  const std::string& s = v.as_string();
  if (s.size() > max_chars) return rd.fail<std::string>(path, "longer than " + to_string(max_chars) + " bytes");
  for (unsigned char ch : s)
    if (ch < 0x20) return rd.fail<std::string>(path, "control characters are not allowed");
  return s;
}

// A reshape's sizes after the batch axis: positive, or -1 (inferred) once.
// ConvScope analyses every layer in the network's one spatial rank, so the
// output is [N, features] (one size) or as many axes as the input.
std::optional<std::vector<int64_t>> target_shape_at(Reader& rd, const Value& v, const std::string& path,
                                                    Framework fw, size_t sr) {
  using Sizes = std::vector<int64_t>;
  if (!v.is_array())
    return rd.fail<Sizes>(path, "expected the sizes after the batch axis as a list (e.g. [400] or [64, 7, 7]), got " +
                                    shown(v));
  const auto& a = v.as_array();
  if (a.size() != 1 && a.size() != sr + 1)
    return rd.fail<Sizes>(path, "expected 1 size (an [N, features] output) or " + to_string(sr + 1) + " (" +
                                    conventions::layout_string(fw, sr + 2).substr(3) + ", the input's rank), got " +
                                    to_string(a.size()) + "; ConvScope analyses one spatial rank per network");
  Sizes out;
  std::optional<size_t> inferred;
  for (size_t i = 0; i < a.size(); ++i) {
    const std::string at = path + "[" + to_string(i) + "]";
    if (a[i].is_integer() && a[i].as_int() == -1) {
      if (inferred)
        return rd.fail<Sizes>(at, "a second -1 (only one size can be inferred; the first is " + path + "[" +
                                      to_string(*inferred) + "])");
      inferred = i;
      out.push_back(-1);
      continue;
    }
    const auto x = integer_at(rd, a[i], at, 1, "a positive integer or -1 (inferred)");
    if (!x) return std::nullopt;
    out.push_back(*x);
  }
  return out;
}

// ---- Defaults -----------------------------------------------------------------------

void apply_defaults(Framework fw, size_t sr, Layer& l) {
  const bool has_kernel = !l.kernel.empty();
  if (has_kernel) {
    if (l.stride.empty())
      l.stride = is_pool(l.type) && fw != Framework::onnx ? l.kernel : std::vector<int64_t>(sr, 1);
    if (l.dilation.empty()) l.dilation.assign(sr, 1);
  }
  if (l.padding.pairs.empty() && l.padding.mode == PadMode::explicit_pads) {
    if (fw == Framework::tensorflow && l.type != LayerType::zero_pad) l.padding.mode = PadMode::valid;
    else l.padding.pairs.assign(sr, {0, 0});
  }
  if (l.cropping.pairs.empty()) l.cropping.pairs.assign(sr, {0, 0});
}

Layer default_layer(Framework fw, LayerType t) {
  Layer l;
  l.type = t;
  l.count_include_pad = fw == Framework::pytorch;  // ONNX: 0; TF SAME average excludes padding
  l.keepdims = fw != Framework::tensorflow;        // Keras Global*Pooling: keepdims=False
  if (t == LayerType::activation) l.function = "relu";
  return l;
}

}  // namespace

// ---- Parsing ----------------------------------------------------------------------------

namespace {

// A layer's `source`: {"line": positive integer, "code": the line's text}
// (SourceLine in network.hpp). The importer cuts long lines with
// make_source_line; a longer code was not written by it, so it is refused.
// Kept small: the first-view module parses it too.
bool read_source(Reader& rd, const Value& v, const std::string& path, Layer& l) {
  const Value* line = v.is_object() ? v.find("line") : nullptr;
  const Value* code = v.is_object() ? v.find("code") : nullptr;
  if (!line || !code || v.as_object().size() != 2)
    return rd.fail(path, "expected {\"line\": its number, \"code\": its text}, got " + shown(v)).has_value();
  const auto number = integer_at(rd, *line, path + ".line", 1, "a positive integer");
  const auto text = number ? string_at(rd, *code, path + ".code", limits::max_json_bytes) : std::nullopt;
  if (!text) return false;
  size_t points = 0;
  for (unsigned char c : *text) points += (c & 0xC0) != 0x80;
  static_assert(max_source_code_chars == 200, "the message below says 200");
  if (points > max_source_code_chars) return rd.fail(path + ".code", "longer than 200 characters").has_value();
  l.source = SourceLine{*number, *text};
  return true;
}

// Reads one layer object into `l`; false (with rd.error set) when malformed.
bool read_layer(Reader& rd, const Value& lv, const std::string& at, Framework fw, size_t sr, Layer& l,
                std::vector<std::string>& input_names) {
  if (!lv.is_object()) return rd.fail(at, "expected a layer object, got " + shown(lv)).has_value();
  const Value* tv = lv.find("type");
  if (!tv) return rd.fail(at + ".type", "missing").has_value();
  if (!tv->is_string() || !layer_type_from_string(tv->as_string())) {
    std::string list;
    for (const auto& spec : layer_types()) list += (list.empty() ? "" : ", ") + std::string(to_string(spec.type));
    return rd.fail(at + ".type", "unknown layer type " + shown(*tv) + " (expected one of " + list + ")").has_value();
  }
  const LayerType type = *layer_type_from_string(tv->as_string());
  const LayerTypeInfo& spec = type_info(type);
  if (const std::string why = unavailable(fw, type, ""); !why.empty()) return rd.fail(at + ".type", why).has_value();
  l = default_layer(fw, type);

  for (const auto& kv : lv.as_object()) {
    const std::string& key = kv.first;
    const std::string path = at + "." + key;
    const Value& v = kv.second;
    if (key == "type") continue;
    if (key == "name") {
      const auto name = string_at(rd, v, path, limits::max_name_chars);
      if (!name) return false;
      if (*name == "input")
        return rd.fail(path, "\"input\" names the network input in `inputs`; give the layer another name").has_value();
      l.name = *name;
      continue;
    }
    if (key == "source") {
      if (!read_source(rd, v, path, l)) return false;
      continue;
    }
    if (key == "inputs") {
      if (!v.is_array() || v.as_array().empty())
        return rd.fail(path, "expected a list of names of earlier layers (or \"input\"), got " + shown(v)).has_value();
      if (v.as_array().size() > spec.max_inputs)
        return rd.fail(path, std::string(to_string(type)) + " takes " +
                                 (spec.max_inputs == 1 ? std::string("one input") : "at most " + to_string(spec.max_inputs) + " inputs") +
                                 ", got " + to_string(v.as_array().size())).has_value();
      for (size_t k = 0; k < v.as_array().size(); ++k) {
        const auto name = string_at(rd, v.as_array()[k], path + "[" + to_string(k) + "]", limits::max_name_chars);
        if (!name) return false;
        input_names.push_back(*name);
      }
      continue;
    }
    const auto listed = [&](const std::vector<const char*>& fields) {
      return std::any_of(fields.begin(), fields.end(), [&](const char* f) { return key == f; });
    };
    if (!listed(spec.required) && !listed(spec.optional)) {
      std::string list = "name";
      for (const char* f : spec.required) list += std::string(", ") + f;
      for (const char* f : spec.optional) list += std::string(", ") + f;
      list += ", inputs, source";
      return rd.fail(path, "unknown field for " + std::string(to_string(type)) + " (expected " + list + ")").has_value();
    }
    if (const std::string why = unavailable(fw, type, key); !why.empty()) return rd.fail(path, why).has_value();
    switch (field_spec(key)->kind) {
      case FieldKind::count: {
        const auto x = integer_at(rd, v, path, 1, "a positive integer");
        if (!x) return false;
        if (key == "filters") l.filters = *x;
        else if (key == "units") l.units = *x;
        else if (key == "groups") l.groups = *x;
        else if (key == "depth_multiplier") l.depth_multiplier = *x;
        else if (key == "in_features") l.in_features = *x;
        else if (key == "in_channels") l.in_channels = *x;
        else if (key == "chunks") l.chunks = *x;
        break;
      }
      case FieldKind::axes:
      case FieldKind::axes_or_zero: {
        const auto x = axes_at(rd, v, path, sr, field_spec(key)->kind == FieldKind::axes ? 1 : 0);
        if (!x) return false;
        if (key == "kernel") l.kernel = *x;
        else if (key == "stride") l.stride = *x;
        else if (key == "dilation") l.dilation = *x;
        else if (key == "output_padding") l.output_padding = *x;
        else if (key == "output_size") l.output_size = *x;
        else if (key == "scale") l.scale = *x;
        break;
      }
      case FieldKind::padding: {
        const bool is_padding = key == "padding";
        if (is_padding && type == LayerType::conv_transpose && fw == Framework::pytorch && v.is_string())
          return rd.fail(path, "PyTorch's ConvTranspose takes integer padding only, got " + shown(v)).has_value();
        const auto p = padding_at(rd, v, path, sr, fw, type, is_padding && type != LayerType::zero_pad);
        if (!p) return false;
        (is_padding ? l.padding : l.cropping) = *p;
        break;
      }
      case FieldKind::boolean: {
        if (!v.is_bool()) return rd.fail(path, "expected true or false, got " + shown(v)).has_value();
        const bool b = v.as_bool();
        if (key == "ceil_mode") l.ceil_mode = b;
        else if (key == "count_include_pad") l.count_include_pad = b;
        else if (key == "keepdims") l.keepdims = b;
        else if (key == "bias") l.bias = b;
        break;
      }
      case FieldKind::rate:
        if (!v.is_number() || v.as_double() < 0 || v.as_double() >= 1)
          return rd.fail(path, "expected a number in [0, 1), got " + shown(v)).has_value();
        l.rate = v.as_double();
        break;
      case FieldKind::text: {
        const auto f = string_at(rd, v, path, 64);
        if (!f) return false;
        l.function = *f;
        break;
      }
      case FieldKind::axis_index: {
        if (!v.is_integer() || v.as_int() < -6 || v.as_int() > 5)
          return rd.fail(path, "expected an axis index in the framework's layout (e.g. 1, or -1 for the last), got " +
                                   shown(v)).has_value();
        l.axis = v.as_int();
        break;
      }
      case FieldKind::position: {  // channel_split's index: which chunk, from 0
        const auto x = integer_at(rd, v, path, 0, "a non-negative integer (0 = the first chunk)");
        if (!x) return false;
        l.index = *x;
        break;
      }
      case FieldKind::sizes: {
        const auto x = target_shape_at(rd, v, path, fw, sr);
        if (!x) return false;
        l.target_shape = *x;
        break;
      }
      case FieldKind::batch: {
        if (!v.is_string() || (v.as_string() != "keep" && v.as_string() != "infer"))
          return rd.fail(path, "expected \"keep\" (the batch axis stays: x.view(x.size(0), ...)) or \"infer\" "
                               "(the batch is what the values leave: x.view(-1, ...)), got " + shown(v)).has_value();
        l.infer_batch = v.as_string() == "infer";
        break;
      }
    }
  }
  if (type == LayerType::reshape && l.infer_batch) {
    const auto& t = l.target_shape;
    const auto minus = std::find(t.begin(), t.end(), -1);
    if (minus != t.end())
      return rd.fail(at + ".shape[" + to_string(minus - t.begin()) + "]",
                     "-1 with batch \"infer\": the batch is the size inferred (x.view(-1, ...)), and only one "
                     "size can be").has_value();
  }
  if (type == LayerType::channel_split && l.index >= l.chunks && lv.find("chunks") && lv.find("index"))
    return rd.fail(at + ".index", "chunk " + to_string(l.index) + " of " + to_string(l.chunks) +
                                      " does not exist (index counts from 0, so it must be below chunks)").has_value();
  if (spec.min_inputs > 1 && input_names.size() < spec.min_inputs)
    return rd.fail(at + ".inputs", std::string(input_names.empty() ? "missing (" : "too few (") + to_string(type) +
                                       (spec.max_inputs == 2 && spec.min_inputs == 2
                                            ? " takes two inputs: " + std::string(spec.rule == RuleKind::match ? "the tensor and the layer whose size it takes" : "the left and right operands")
                                            : " takes two or more inputs") +
                                       ", named in order)").has_value();
  for (const char* f : spec.required)
    if (!lv.find(f)) return rd.fail(at + "." + f, std::string("missing (") + to_string(type) + " needs " + f + ")").has_value();
  apply_defaults(fw, sr, l);
  return true;
}

// Turns `inputs` names into positions. Names are references once a network
// uses `inputs`, so they must be unique then; a chain never needs them to be.
bool resolve_inputs(Reader& rd, Network& net, const std::vector<std::vector<std::string>>& input_names) {
  // Names sorted, for look-ups by binary search (a sorted vector, not a hash
  // map: the first-view WASM module is smaller without one).
  std::vector<std::pair<std::string_view, size_t>> sorted;
  for (size_t i = 0; i < net.layers.size(); ++i) sorted.push_back({net.layers[i].name, i});
  std::sort(sorted.begin(), sorted.end());
  // The first repeated name in layer order.
  std::optional<std::pair<size_t, size_t>> repeat;  // (later, earlier)
  for (size_t j = 1; j < sorted.size(); ++j)
    if (sorted[j].first == sorted[j - 1].first && (j < 2 || sorted[j - 2].first != sorted[j].first) &&
        (!repeat || sorted[j].second < repeat->first))
      repeat = std::make_pair(sorted[j].second, sorted[j - 1].second);
  if (repeat)
    return rd.fail("layers[" + to_string(repeat->first) + "].name",
                   "\"" + net.layers[repeat->first].name + "\" is also the name of layers[" + to_string(repeat->second) +
                       "]; layer names must be unique when `inputs` refer to them").has_value();
  auto position_of = [&](const std::string& name) -> std::optional<size_t> {
    const auto it = std::lower_bound(sorted.begin(), sorted.end(), std::make_pair(std::string_view(name), size_t{0}));
    if (it == sorted.end() || it->first != name) return std::nullopt;
    return it->second;
  };
  for (size_t i = 0; i < net.layers.size(); ++i) {
    for (size_t k = 0; k < input_names[i].size(); ++k) {
      const std::string& name = input_names[i][k];
      const std::string path = "layers[" + to_string(i) + "].inputs[" + to_string(k) + "]";
      if (name == "input") {
        net.layers[i].inputs.push_back(kNetworkInput);
        continue;
      }
      const std::optional<size_t> at = position_of(name);
      if (!at)
        return rd.fail(path, "no layer is named \"" + name + "\" (inputs name earlier layers or \"input\")").has_value();
      if (*at >= i)
        return rd.fail(path, "\"" + name + "\" is " + (*at == i ? std::string("this layer itself") : "layers[" + to_string(*at) + "], which comes later") +
                                 "; a layer can only read earlier layers (list layers in the order they run)").has_value();
      net.layers[i].inputs.push_back(static_cast<int32_t>(*at));
    }
  }
  compact_inputs(net);
  return true;
}

bool read_network(Reader& rd, const Value& root, Network& net) {
  if (!root.is_object())
    return rd.fail("(root)", "expected an object with \"framework\", \"input\" and \"layers\", got " + shown(root)).has_value();
  for (const auto& kv : root.as_object())
    if (kv.first != "framework" && kv.first != "input" && kv.first != "layers" && kv.first != "description" &&
        kv.first != "mode" && kv.first != "guessed")
      return rd.fail(kv.first, "unknown field (expected framework, input, layers, mode, description, guessed)").has_value();
  const Value* fw = root.find("framework");
  if (!fw) return rd.fail("framework", "missing (expected \"pytorch\", \"tensorflow\" or \"onnx\")").has_value();
  if (!fw->is_string() || !framework_from_string(fw->as_string()))
    return rd.fail("framework", "expected \"pytorch\", \"tensorflow\" or \"onnx\", got " + shown(*fw)).has_value();
  net.framework = *framework_from_string(fw->as_string());
  net.mode = default_mode(net.framework);
  if (const Value* m = root.find("mode")) {
    if (!m->is_string() || !mode_from_string(m->as_string()))
      return rd.fail("mode", "expected \"train\" or \"eval\", got " + shown(*m)).has_value();
    net.mode = *mode_from_string(m->as_string());
  }
  if (const Value* d = root.find("description")) {
    const auto text = string_at(rd, *d, "description", 2000);
    if (!text) return false;
    net.description = *text;
  }
  if (const Value* g = root.find("guessed")) {
    const auto text = string_at(rd, *g, "guessed", 2000);
    if (!text) return false;
    net.guessed = *text;
  }

  const Value* input = root.find("input");
  if (!input) return rd.fail("input", "missing (the full input shape, e.g. [1, 3, 224, 224])").has_value();
  if (!input->is_array())
    return rd.fail("input", "expected the full input shape as a list of integers, got " + shown(*input)).has_value();
  const auto& dims = input->as_array();
  if (dims.size() < 3 || dims.size() > 5)
    return rd.fail("input", "expected 3, 4 or 5 dimensions (" + conventions::layout_string(net.framework, 3) +
                                " ... " + conventions::layout_string(net.framework, 5) + "), got " +
                                to_string(dims.size())).has_value();
  for (size_t i = 0; i < dims.size(); ++i) {
    const auto d = integer_at(rd, dims[i], "input[" + to_string(i) + "]", 1, "a positive integer");
    if (!d) return false;
    net.input.push_back(*d);
  }
  const size_t sr = net.spatial_rank();

  const Value* layers = root.find("layers");
  if (!layers) return rd.fail("layers", "missing (a list of layer objects)").has_value();
  if (!layers->is_array()) return rd.fail("layers", "expected a list of layer objects, got " + shown(*layers)).has_value();
  if (layers->as_array().size() > limits::max_layers)
    return rd.fail("layers", "more than " + to_string(limits::max_layers) + " layers").has_value();

  std::vector<size_t> ordinals(layer_types().size(), 0);
  const size_t count = layers->as_array().size();
  std::vector<std::vector<std::string>> input_names(count);
  bool graph = false;
  for (size_t i = 0; i < count; ++i) {
    Layer l;
    if (!read_layer(rd, layers->as_array()[i], "layers[" + to_string(i) + "]", net.framework, sr, l, input_names[i]))
      return false;
    if (l.name.empty())
      l.name = conventions::auto_layer_name(net.framework, l.type, sr, i, ordinals[static_cast<size_t>(l.type)]);
    ++ordinals[static_cast<size_t>(l.type)];
    graph = graph || !input_names[i].empty();
    net.layers.push_back(std::move(l));
  }
  return !graph || resolve_inputs(rd, net, input_names);
}

}  // namespace

bool from_json(const Value& root, Network& out, std::string& error) {
  Reader rd;
  Network net;
  if (!read_network(rd, root, net)) {
    error = rd.error;
    return false;
  }
  out = std::move(net);
  return true;
}

bool parse(const std::string& text, Network& out, std::string& error) {
  if (text.size() > limits::max_json_bytes) {
    error = "(input): larger than " + to_string(limits::max_json_bytes) + " bytes";
    return false;
  }
  json::ParseLimits lim;
  lim.max_depth = limits::max_json_depth;
  lim.max_bytes = limits::max_json_bytes;
  Value root;
  json::ParseError parse_error;
  if (!json::parse(text, root, parse_error, lim)) {
    error = parse_error.message;
    return false;
  }
  return from_json(root, out, error);
}

// ---- Serialisation ----------------------------------------------------------------------------

namespace {

Value axes_value(const std::vector<int64_t>& v) {
  if (std::all_of(v.begin(), v.end(), [&](int64_t x) { return x == v[0]; })) return Value(v[0]);
  json::Array a;
  for (int64_t x : v) a.push_back(Value(x));
  return Value(std::move(a));
}

Value padding_value(const Padding& p) {
  switch (p.mode) {
    case PadMode::valid: return Value("valid");
    case PadMode::same: return Value("same");
    case PadMode::same_lower: return Value("same_lower");
    case PadMode::explicit_pads: break;
  }
  const bool symmetric = std::all_of(p.pairs.begin(), p.pairs.end(), [](const auto& pr) { return pr.first == pr.second; });
  if (!symmetric || p.written_as == 2) {
    json::Array a;
    for (const auto& pr : p.pairs) a.push_back(Value(json::Array{Value(pr.first), Value(pr.second)}));
    return Value(std::move(a));
  }
  std::vector<int64_t> begins;
  for (const auto& pr : p.pairs) begins.push_back(pr.first);
  if (p.written_as == 1) {
    json::Array a;
    for (int64_t x : begins) a.push_back(Value(x));
    return Value(std::move(a));
  }
  return axes_value(begins);
}

}  // namespace

Value source_json(const SourceLine& source) {
  json::Object o;
  o.push_back({"line", Value(source.line)});
  o.push_back({"code", Value(source.code)});
  return Value(std::move(o));
}

Value to_json(const Network& net) {
  json::Object root;
  root.push_back({"framework", Value(to_string(net.framework))});
  if (!net.description.empty()) root.push_back({"description", Value(net.description)});
  if (!net.guessed.empty()) root.push_back({"guessed", Value(net.guessed)});
  if (net.mode != default_mode(net.framework)) root.push_back({"mode", Value(to_string(net.mode))});
  json::Array input;
  for (int64_t d : net.input) input.push_back(Value(d));
  root.push_back({"input", Value(std::move(input))});
  json::Array layers;
  const size_t sr = net.spatial_rank();
  std::vector<size_t> ordinals(layer_types().size(), 0);
  for (size_t i = 0; i < net.layers.size(); ++i) {
    const Layer& l = net.layers[i];
    Layer d = default_layer(net.framework, l.type);
    d.kernel = l.kernel;
    apply_defaults(net.framework, sr, d);
    json::Object o;
    o.push_back({"type", Value(to_string(l.type))});
    const std::string auto_name = conventions::auto_layer_name(net.framework, l.type, sr, i, ordinals[static_cast<size_t>(l.type)]++);
    if (l.name != auto_name) o.push_back({"name", Value(l.name)});
    if (!has_default_inputs(net, i)) {
      json::Array in;
      for (int32_t k : inputs_of(net, i)) in.push_back(Value(k == kNetworkInput ? std::string("input") : net.layers[static_cast<size_t>(k)].name));
      o.push_back({"inputs", Value(std::move(in))});
    }
    const LayerTypeInfo& spec = type_info(l.type);
    auto emit = [&](const char* f, bool required) {
      const std::string key = f;
      Value v;
      bool differs = required;
      if (key == "filters") v = Value(l.filters);
      else if (key == "units") v = Value(l.units);
      else if (key == "groups") { v = Value(l.groups); differs = differs || l.groups != 1; }
      else if (key == "chunks") v = Value(l.chunks);
      else if (key == "index") v = Value(l.index);
      else if (key == "depth_multiplier") { v = Value(l.depth_multiplier); differs = differs || l.depth_multiplier != 1; }
      else if (key == "in_features") { if (!l.in_features) return; v = Value(*l.in_features); differs = true; }
      else if (key == "in_channels") { if (!l.in_channels) return; v = Value(*l.in_channels); differs = true; }
      else if (key == "kernel") v = axes_value(l.kernel);
      else if (key == "stride") { v = axes_value(l.stride); differs = differs || l.stride != d.stride; }
      else if (key == "dilation") { v = axes_value(l.dilation); differs = differs || l.dilation != d.dilation; }
      else if (key == "output_padding") { if (l.output_padding.empty()) return; v = axes_value(l.output_padding); differs = true; }
      else if (key == "output_size") v = axes_value(l.output_size);
      else if (key == "scale") v = axes_value(l.scale);
      else if (key == "padding") {
        v = padding_value(l.padding);
        differs = differs || l.padding.mode != d.padding.mode ||
                  (l.padding.mode == PadMode::explicit_pads && l.padding.pairs != d.padding.pairs);
      } else if (key == "cropping") v = padding_value(l.cropping);
      else if (key == "ceil_mode") { v = Value(l.ceil_mode); differs = l.ceil_mode != d.ceil_mode; }
      else if (key == "count_include_pad") { v = Value(l.count_include_pad); differs = l.count_include_pad != d.count_include_pad; }
      else if (key == "keepdims") { v = Value(l.keepdims); differs = l.keepdims != d.keepdims; }
      else if (key == "bias") { v = Value(l.bias); differs = l.bias != d.bias; }
      else if (key == "rate") { v = Value(l.rate); differs = l.rate != d.rate; }
      else if (key == "function") { v = Value(l.function); differs = l.function != d.function; }
      else if (key == "axis") { if (!l.axis) return; v = Value(*l.axis); differs = true; }
      else if (key == "shape") {
        json::Array a;
        for (int64_t x : l.target_shape) a.push_back(Value(x));
        v = Value(std::move(a));
      } else if (key == "batch") { v = Value(l.infer_batch ? "infer" : "keep"); differs = l.infer_batch; }
      if (differs) o.push_back({key, std::move(v)});
    };
    for (const char* f : spec.required) emit(f, true);
    for (const char* f : spec.optional) emit(f, false);
    if (l.source) o.push_back({"source", source_json(*l.source)});
    layers.push_back(Value(std::move(o)));
  }
  root.push_back({"layers", Value(std::move(layers))});
  return Value(std::move(root));
}

// ---- Schema ------------------------------------------------------------------------------------

std::string layer_schema_json() {
  const Framework all[] = {Framework::pytorch, Framework::tensorflow, Framework::onnx};
  json::Array frameworks;
  const char* labels[] = {"PyTorch", "TensorFlow / Keras", "ONNX"};
  for (Framework fw : all)
    frameworks.push_back(Value(json::Object{{"id", Value(to_string(fw))},
                                            {"label", Value(labels[static_cast<size_t>(fw)])},
                                            {"layout", Value(conventions::channels_last(fw) ? "NHWC" : "NCHW")}}));
  const char* kind_names[] = {"count", "axes", "axes", "padding", "bool", "number", "string", "integer", "count",
                              "sizes", "string"};
  json::Array types;
  for (const LayerTypeInfo& spec : layer_types()) {
    json::Array fields;
    json::Array fws;
    for (Framework fw : all)
      if (unavailable(fw, spec.type, "").empty()) fws.push_back(Value(to_string(fw)));
    auto add = [&](const char* f, bool required) {
      json::Object names, defaults, choices;
      for (Framework fw : all) {
        if (!unavailable(fw, spec.type, f).empty() || !unavailable(fw, spec.type, "").empty()) continue;
        names.push_back({to_string(fw), Value(conventions::field_name(fw, f))});
        const std::string key = f;
        Layer d = default_layer(fw, spec.type);
        if (key == "stride") defaults.push_back({to_string(fw), is_pool(spec.type) && fw != Framework::onnx ? Value("kernel") : Value(1)});
        else if (key == "dilation" || key == "groups" || key == "depth_multiplier") defaults.push_back({to_string(fw), Value(1)});
        else if (key == "padding" && spec.type != LayerType::zero_pad)
          defaults.push_back({to_string(fw), fw == Framework::tensorflow ? Value("valid") : Value(0)});
        else if (key == "ceil_mode") defaults.push_back({to_string(fw), Value(false)});
        else if (key == "count_include_pad") defaults.push_back({to_string(fw), Value(d.count_include_pad)});
        else if (key == "keepdims") defaults.push_back({to_string(fw), Value(d.keepdims)});
        else if (key == "bias") defaults.push_back({to_string(fw), Value(true)});
        else if (key == "rate") defaults.push_back({to_string(fw), Value(0.5)});
        else if (key == "function") defaults.push_back({to_string(fw), Value("relu")});
        else if (key == "axis") defaults.push_back({to_string(fw), Value(fw == Framework::tensorflow ? -1 : 1)});
        else if (key == "batch") defaults.push_back({to_string(fw), Value("keep")});
        if (key == "batch") choices.push_back({to_string(fw), Value(json::Array{Value("keep"), Value("infer")})});
        if (key == "padding") {
          json::Array c;
          if (spec.type != LayerType::zero_pad)
            for (const auto& s : padding_strings(fw, spec.type)) c.push_back(Value(s));
          choices.push_back({to_string(fw), Value(std::move(c))});
        }
      }
      json::Object field{{"field", Value(f)},
                         {"kind", Value(kind_names[static_cast<size_t>(field_spec(f)->kind)])},
                         {"required", Value(required)},
                         {"names", Value(std::move(names))},
                         {"defaults", Value(std::move(defaults))}};
      if (!choices.empty()) field.push_back({"choices", Value(std::move(choices))});
      fields.push_back(Value(std::move(field)));
    };
    for (const char* f : spec.required) add(f, true);
    for (const char* f : spec.optional) add(f, false);
    json::Object names;
    for (Framework fw : all) names.push_back({to_string(fw), Value(conventions::framework_layer_name(fw, spec.type, 2))});
    types.push_back(Value(json::Object{{"type", Value(to_string(spec.type))},
                                       {"label", Value(spec.label)},
                                       {"inputs", Value(json::Object{{"min", Value(static_cast<int64_t>(spec.min_inputs))},
                                                                     {"max", Value(static_cast<int64_t>(spec.max_inputs))}})},
                                       {"names", Value(std::move(names))},
                                       {"frameworks", Value(std::move(fws))},
                                       {"fields", Value(std::move(fields))}}));
  }
  return json::write(Value(json::Object{{"frameworks", Value(std::move(frameworks))},
                                        {"types", Value(std::move(types))}}),
                     -1);
}

}  // namespace convscope::network_json
