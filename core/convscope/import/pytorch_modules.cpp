// PyTorch modules as print(model) shows them -> layers of the contract, with
// every keyword PyTorch prints (extra_repr of each module class).
#include "convscope/import/pytorch_modules.hpp"

#include <cmath>

#include "convscope/import/names.hpp"
#include "convscope/import/torchvision_blocks.hpp"

namespace convscope::import::torch_modules {

using json::Value;
using std::to_string;
using text::PyCall;
using text::PyValue;

namespace {

// "Conv2d" with base "Conv" -> 2; 0 when `cls` is not base + {1,2,3} + "d".
size_t rank_suffix(const std::string& cls, const char* base) {
  const std::string b = base;
  if (cls.size() != b.size() + 2 || cls.compare(0, b.size(), b) != 0 || cls.back() != 'd') return 0;
  const char digit = cls[b.size()];
  return digit >= '1' && digit <= '3' ? static_cast<size_t>(digit - '0') : 0;
}


const PyValue* arg(const PyCall& c, size_t index, const char* key) {
  if (const PyValue* v = c.kwarg(key)) return v;
  return index < c.args.size() ? &c.args[index] : nullptr;
}

// Reads an integer-per-axis value, failing with the call's position.
bool axes_arg(State& st, const PyCall& c, size_t index, const char* key, size_t n, std::vector<int64_t>& out,
              bool required, std::string& error) {
  const PyValue* v = arg(c, index, key);
  if (!v || v->kind == PyValue::Kind::none) {
    if (!required) return true;
    error = text::position(st.text, c.offset) + ": " + c.callee + " without " + key;
    return false;
  }
  if (!text::int_axes(*v, n, out)) {
    error = text::position(st.text, v->offset) + ": " + key + ": expected an integer or " + to_string(n) +
            " integers";
    return false;
  }
  return true;
}

int64_t int_arg(const PyCall& c, size_t index, const char* key, int64_t fallback) {
  const PyValue* v = arg(c, index, key);
  return v && v->is_int() ? v->i : fallback;
}

bool bool_arg(const PyCall& c, const char* key, bool fallback) {
  const PyValue* v = c.kwarg(key);
  return v && v->kind == PyValue::Kind::boolean ? v->b : fallback;
}

void add(State& st, json::Object o, const std::string& origin) {
  st.d.add(std::move(o), origin);
}

bool conv(State& st, const PyCall& c, size_t sr, bool transposed, const std::string& name, const std::string& at,
          std::string& error) {
  st.see_rank(sr);
  const int64_t in = int_arg(c, 0, "in_channels", 0);
  const int64_t out = int_arg(c, 1, "out_channels", 0);
  if (in < 1 || out < 1) {
    error = at + ": " + c.callee + ": expected in_channels and out_channels";
    return false;
  }
  st.see_channels(in);
  // Positional order differs: Conv(in, out, k, stride, padding, dilation,
  // groups) and ConvTranspose(in, out, k, stride, padding, output_padding,
  // groups, bias, dilation); print(model) writes keywords after `out`.
  std::vector<int64_t> kernel, stride, dilation, output_padding;
  if (!axes_arg(st, c, 2, "kernel_size", sr, kernel, true, error) ||
      !axes_arg(st, c, 3, "stride", sr, stride, false, error) ||
      !axes_arg(st, c, transposed ? 8 : 5, "dilation", sr, dilation, false, error) ||
      (transposed && !axes_arg(st, c, 5, "output_padding", sr, output_padding, false, error)))
    return false;
  json::Object o = layer_object(transposed ? "conv_transpose" : "conv", name);
  o.push_back({"filters", Value(out)});
  o.push_back({"in_channels", Value(in)});  // checked against what arrives, as PyTorch does
  o.push_back({"kernel", axes_json(kernel)});
  if (!stride.empty()) o.push_back({"stride", axes_json(stride)});
  if (!dilation.empty()) o.push_back({"dilation", axes_json(dilation)});
  if (const PyValue* p = arg(c, 4, "padding")) {
    std::vector<int64_t> pads;
    if (p->is_text() && (p->s == "same" || p->s == "valid")) {
      o.push_back({"padding", Value(p->s)});
    } else if (text::int_axes(*p, sr, pads)) {
      o.push_back({"padding", axes_json(pads)});
    } else {
      error = text::position(st.text, p->offset) + ": padding: expected an integer, " + to_string(sr) +
              " integers, same or valid";
      return false;
    }
  }
  if (transposed && !output_padding.empty()) o.push_back({"output_padding", axes_json(output_padding)});
  const int64_t groups = int_arg(c, 6, "groups", 1);
  if (groups != 1) o.push_back({"groups", Value(groups)});
  if (!bool_arg(c, "bias", true)) o.push_back({"bias", Value(false)});
  if (const PyValue* m = c.kwarg("padding_mode"))
    if (m->is_text() && m->s != "zeros" && !st.pad_note) {
      st.pad_note = true;
      st.d.note(name + " pads with padding_mode=" + m->s + ": the same sizes as zeros");
    }
  add(st, std::move(o), at);
  st.spatial = true;
  st.channels = out;
  return true;
}

bool pool(State& st, const PyCall& c, size_t sr, bool max, const std::string& name, const std::string& at,
          std::string& error) {
  st.see_rank(sr);
  std::vector<int64_t> kernel, stride, padding, dilation;
  if (!axes_arg(st, c, 0, "kernel_size", sr, kernel, true, error) ||
      !axes_arg(st, c, 1, "stride", sr, stride, false, error) ||
      !axes_arg(st, c, 2, "padding", sr, padding, false, error) ||
      (max && !axes_arg(st, c, 3, "dilation", sr, dilation, false, error)))
    return false;
  json::Object o = layer_object(max ? "max_pool" : "avg_pool", name);
  o.push_back({"kernel", axes_json(kernel)});
  if (!stride.empty()) o.push_back({"stride", axes_json(stride)});
  if (!padding.empty()) o.push_back({"padding", axes_json(padding)});
  if (max && !dilation.empty()) o.push_back({"dilation", axes_json(dilation)});
  if (bool_arg(c, "ceil_mode", false)) o.push_back({"ceil_mode", Value(true)});
  if (!max) {
    if (const PyValue* v = c.kwarg("count_include_pad"))
      if (v->kind == PyValue::Kind::boolean && !v->b) o.push_back({"count_include_pad", Value(false)});
    if (!c.kwarg("ceil_mode") && !st.avg_pool_note) {
      st.avg_pool_note = true;
      st.d.note("AvgPool prints neither ceil_mode nor count_include_pad; assumed their defaults (False, True)");
    }
  }
  add(st, std::move(o), at);
  return true;
}

// ZeroPad2d((left, right, top, bottom)): the last axis comes first.
bool pad(State& st, const PyCall& c, size_t sr, const std::string& name, const std::string& at, std::string& error) {
  st.see_rank(sr);
  const PyValue* v = arg(c, 0, "padding");
  std::vector<int64_t> flat;
  if (!v || !text::int_axes(*v, v->is_int() ? 2 * sr : v->items.size(), flat) || flat.size() != 2 * sr) {
    error = at + ": " + c.callee + ": expected the padding as an integer or " + to_string(2 * sr) + " integers";
    return false;
  }
  std::vector<std::pair<int64_t, int64_t>> pairs(sr);
  for (size_t j = 0; j < sr; ++j) pairs[sr - 1 - j] = {flat[2 * j], flat[2 * j + 1]};
  json::Object o = layer_object("zero_pad", name);
  o.push_back({"padding", pairs_json(pairs)});
  add(st, std::move(o), at);
  const bool zeros = c.callee.rfind("ZeroPad", 0) == 0 || c.callee.rfind("ConstantPad", 0) == 0;
  if (!zeros && !st.pad_note) {
    st.pad_note = true;
    st.d.note(name + " (" + c.callee + ") pads with other values than zeros: the same sizes as zero padding");
  }
  return true;
}

// A Linear after a spatial output: forward() flattens first (and
// torchvision's MobileNetV2, DenseNet, MNASNet and ShuffleNetV2 pool
// globally first, in forward(), not in a module). The steps go before the
// Dropouts that open a classifier, where forward() does them.
void flatten_before_linear(State& st, const std::string& name, int64_t in_features, const std::string& at) {
  size_t at_index = st.d.layers.size();
  while (at_index > 0) {
    const json::Value& l = st.d.layers[at_index - 1];
    const json::Value* type = l.find("type");
    if (!type || type->as_string() != "dropout" || l.find("inputs")) break;
    --at_index;
  }
  const json::Value* next = at_index < st.d.layers.size() ? st.d.layers[at_index].find("name") : nullptr;
  const std::string before = next ? next->as_string() : name;
  std::vector<json::Object> steps;
  const torchvision::Root* root = st.root;
  if (root && root->pool_before_linear) {
    if (in_features == st.channels) {
      if (root->relu_before_pool) steps.push_back(layer_object("relu", "F.relu"));
      const std::string pool = root->pool_before_linear;
      steps.push_back(layer_object("global_avg_pool", pool.substr(0, pool.find('('))));
      st.d.note(std::string("inserted ") + (root->relu_before_pool ? "F.relu, " : "") + pool +
                " (a global average pool, then torch.flatten(x, 1)) before " + text::quoted(before) + ": " + root->cls +
                ".forward() does them (torchvision 0.14), and " + text::quoted(name) + "'s in_features " +
                to_string(in_features) + " equals the channels there");
    } else {
      st.d.note(std::string("did not insert ") + root->cls + ".forward()'s " + root->pool_before_linear + " before " +
                text::quoted(before) + ": " + text::quoted(name) + "'s in_features " + to_string(in_features) +
                " is not the " + to_string(st.channels) + " channels there; inserted torch.flatten(x, 1) only");
    }
  }
  if (steps.empty())
    st.d.note("inserted torch.flatten(x, 1) before " + text::quoted(before) +
              ": a Linear after a spatial output needs it, and forward() usually does it");
  // Named for what it is ("torch.flatten" read like a module path, not a layer name).
  steps.push_back(layer_object("flatten", st.d.free_name("flatten")));
  for (size_t k = 0; k < steps.size(); ++k) {
    st.d.layers.insert(st.d.layers.begin() + static_cast<std::ptrdiff_t>(at_index + k), json::Value(std::move(steps[k])));
    st.d.origins.insert(st.d.origins.begin() + static_cast<std::ptrdiff_t>(at_index + k), at);
  }
  st.spatial = false;
}

// Reads one leaf module; unknown ones are listed, not silently dropped.
}  // namespace

bool leaf(State& st, const PyCall& c, const std::string& name, const std::string& at, std::string& error) {
  const std::string& cls = c.callee;
  const std::string listed = text::quoted(name) + " (" + cls + ")";
  if (size_t sr = rank_suffix(cls, "Conv")) return conv(st, c, sr, false, name, at, error);
  if (size_t sr = rank_suffix(cls, "ConvTranspose")) return conv(st, c, sr, true, name, at, error);
  if (size_t sr = rank_suffix(cls, "MaxPool")) return pool(st, c, sr, true, name, at, error);
  if (size_t sr = rank_suffix(cls, "AvgPool")) return pool(st, c, sr, false, name, at, error);
  for (const char* base : {"ZeroPad", "ConstantPad", "ReflectionPad", "ReplicationPad", "CircularPad"})
    if (size_t sr = rank_suffix(cls, base)) return pad(st, c, sr, name, at, error);
  if (size_t sr = rank_suffix(cls, "AdaptiveAvgPool") + rank_suffix(cls, "AdaptiveMaxPool")) {
    st.see_rank(sr);
    std::vector<int64_t> size;
    const PyValue* v = arg(c, 0, "output_size");
    if (!v || !text::int_axes(*v, sr, size)) {  // None entries keep an input size: not modelled
      st.unknown.push_back(listed + " with output_size None");
      return true;
    }
    const bool max = cls.rfind("AdaptiveMax", 0) == 0;
    if (max && size != std::vector<int64_t>(sr, 1)) {
      st.unknown.push_back(listed);
      return true;
    }
    json::Object o = layer_object(max ? "global_max_pool" : "adaptive_avg_pool", name);
    if (!max) o.push_back({"output_size", axes_json(size)});
    add(st, std::move(o), at);
    return true;
  }
  if (rank_suffix(cls, "BatchNorm") || cls == "SyncBatchNorm") {
    if (size_t sr = rank_suffix(cls, "BatchNorm"); sr > 1) st.see_rank(sr);
    const int64_t features = int_arg(c, 0, "num_features", 0);
    st.see_channels(features);
    if (features > 0) st.channels = features;
    json::Object o = layer_object("batch_norm", name);
    if (features > 0) o.push_back({"in_channels", Value(features)});
    add(st, std::move(o), at);
    return true;
  }
  if (cls == "Linear" || cls == "LazyLinear") {
    const int64_t in = int_arg(c, 0, "in_features", 0);
    const int64_t units = int_arg(c, 1, "out_features", 0);
    if (units < 1) {
      error = at + ": " + cls + ": expected out_features";
      return false;
    }
    if (st.spatial) flatten_before_linear(st, name, in, at);
    json::Object o = layer_object("dense", name);
    o.push_back({"units", Value(units)});
    if (in > 0) o.push_back({"in_features", Value(in)});
    if (!bool_arg(c, "bias", true)) o.push_back({"bias", Value(false)});
    add(st, std::move(o), at);
    return true;
  }
  if (cls == "Flatten") {
    if (int_arg(c, 0, "start_dim", 1) != 1 || int_arg(c, 1, "end_dim", -1) != -1)
      st.d.note(text::quoted(name) + " flattens other axes than 1..-1; read as a flatten from axis 1");
    add(st, layer_object("flatten", name), at);
    st.spatial = false;
    return true;
  }
  if (cls.rfind("Dropout", 0) == 0 || cls == "AlphaDropout" || cls == "FeatureAlphaDropout") {
    json::Object o = layer_object("dropout", name);
    const PyValue* p = arg(c, 0, "p");
    if (p && p->is_number() && p->number() != 0.5) o.push_back({"rate", Value(p->number())});
    add(st, std::move(o), at);
    return true;
  }
  if (cls == "Upsample" || cls == "UpsamplingNearest2d" || cls == "UpsamplingBilinear2d") {
    const PyValue* v = c.kwarg("scale_factor");
    std::vector<int64_t> scale;
    // Whole factors only, checked before converting (a double beyond int64 is UB to cast).
    const auto whole = [&scale](const PyValue& x) {
      if (!x.is_number() || !(x.number() >= 1 && x.number() < 1e6) || std::floor(x.number()) != x.number()) return false;
      scale.push_back(static_cast<int64_t>(x.number()));
      return true;
    };
    bool integral = v != nullptr && (v->is_sequence() ? !v->items.empty() : whole(*v));
    for (size_t i = 0; v && v->is_sequence() && i < v->items.size(); ++i) integral = integral && whole(v->items[i]);
    if (!integral || scale.empty()) {
      st.unknown.push_back(listed + " (only whole scale_factor values are modelled)");
      return true;
    }
    json::Object o = layer_object("upsample", name);
    o.push_back({"scale", axes_json(scale)});
    add(st, std::move(o), at);
    const PyValue* mode = c.kwarg("mode");
    if (mode && mode->is_text() && mode->s != "nearest" && !st.upsample_note) {
      st.upsample_note = true;
      st.d.note(text::quoted(name) + " upsamples with mode " + mode->s + ": the same sizes as nearest");
    }
    return true;
  }
  if (cls == "Crop" && c.kwarg("cropping")) {  // the helper ConvScope's PyTorch export defines
    const PyValue& v = *c.kwarg("cropping");
    std::vector<std::pair<int64_t, int64_t>> pairs;
    for (size_t i = 0; v.is_sequence() && i < v.items.size(); ++i) {
      std::vector<int64_t> pair;
      if (!text::int_axes(v.items[i], 2, pair) || !v.items[i].is_sequence()) break;
      pairs.push_back({pair[0], pair[1]});
    }
    if (pairs.empty() || pairs.size() != v.items.size()) {
      error = text::position(st.text, v.offset) + ": cropping: expected ((begin, end), ...) per spatial axis";
      return false;
    }
    st.see_rank(pairs.size());
    json::Object o = layer_object("crop", name);
    o.push_back({"cropping", pairs_json(pairs)});
    add(st, std::move(o), at);
    return true;
  }
  if (cls == "StochasticDepth") {  // torchvision.ops: drops whole rows only in training
    st.eval_identities.push_back(text::quoted(name));
    return true;
  }
  if (cls == "Identity") {
    st.identities.push_back(text::quoted(name));
    return true;
  }
  if (cls == "ReLU") {
    add(st, layer_object("relu", name), at);
    return true;
  }
  if (const names::Activation* a = names::activation_by_pytorch(cls)) {
    json::Object o = layer_object("activation", name);
    o.push_back({"function", Value(a->function)});
    add(st, std::move(o), at);
    return true;
  }
  st.unknown.push_back(listed);
  return true;
}

}  // namespace convscope::import::torch_modules
