#include "convscope/layer_rules.hpp"

#include <algorithm>
#include <numeric>

#include "convscope/checked.hpp"
#include "convscope/limits.hpp"
#include "convscope/receptive_field.hpp"
#include "convscope/tf_text.hpp"

namespace convscope {

using conventions::Failure;
using conventions::Vars;
using std::to_string;

namespace {

bool is_pool(LayerType t) { return t == LayerType::max_pool || t == LayerType::avg_pool; }
bool is_spatial(LayerType t) {
  return t != LayerType::flatten && t != LayerType::dense && t != LayerType::relu &&
         t != LayerType::activation && t != LayerType::dropout && t != LayerType::batch_norm &&
         t != LayerType::reshape;
}

// Everything a rule needs about the layer and its input, computed once.
struct Ctx {
  const LayerInput& in;
  const Layer& layer;
  Framework fw;
  size_t rank;          // full input rank
  size_t sr;            // spatial rank of the network
  int64_t channels = 0;
  int64_t batch = 0;

  int64_t spatial(size_t i) const { return in.shape[conventions::spatial_axis(fw, i)]; }
  std::string axis(size_t i) const { return conventions::spatial_axis_label(sr, i); }
};

std::string tuple(const std::vector<int64_t>& v) {
  std::string s = "(";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + to_string(v[i]);
  return s + (v.size() == 1 ? ",)" : ")");
}

// numpy's array print: "[None 1 1 64]", "[2 2]" (Keras 3 passes arrays).
std::string numpy_array(const std::vector<int64_t>& v, bool none_batch) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? " " : "") + (i == 0 && none_batch ? std::string("None") : to_string(v[i]));
  return s + "]";
}

// Python's list print with an unknown batch: "[None, 1, 1, 32]".
std::string python_list(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + (i == 0 ? std::string("None") : to_string(v[i]));
  return s + "]";
}

std::string padding_word(PadMode m) {
  switch (m) {
    case PadMode::valid: return "valid";
    case PadMode::same: return "same";
    case PadMode::same_lower: return "same_lower";
    case PadMode::explicit_pads: return "explicit";
  }
  return "explicit";
}

void fail(LayerReport& r, Failure f, std::string message, std::vector<conventions::Text> texts) {
  r.status = Status::error;
  r.failure = f;
  r.message = std::move(message);
  r.framework_errors = std::move(texts);
  r.output.reset();
}

void fail_framework(const Ctx& c, LayerReport& r, Failure f, std::string message, const Vars& vars) {
  fail(r, f, std::move(message), conventions::error_texts(c.fw, f, vars));
}

// Joins per-axis statements, merging axes that read alike:
// "H and W: the kernel 5 is larger than the padded input 4".
std::string by_axes(const Ctx& c, const std::vector<std::pair<size_t, std::string>>& items) {
  std::vector<std::pair<std::string, std::vector<size_t>>> groups;
  for (const auto& item : items) {
    auto it = std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == item.second; });
    if (it == groups.end()) groups.push_back({item.second, {item.first}});
    else it->second.push_back(item.first);
  }
  std::string out;
  for (const auto& [text, axes] : groups) {
    std::string names;
    for (size_t i = 0; i < axes.size(); ++i)
      names += (i == 0 ? "" : i + 1 == axes.size() ? " and " : ", ") + c.axis(axes[i]);
    out += (out.empty() ? "" : "; ") + names + ": " + text;
  }
  return out;
}

using AxisSizes = SmallVec<int64_t, 3>;

template <class Sizes>
Shape with_spatial(const Ctx& c, const Sizes& sizes, int64_t channels) {
  Shape out = c.in.shape;
  for (size_t i = 0; i < c.sr; ++i) out[conventions::spatial_axis(c.fw, i)] = sizes[i];
  out[conventions::channel_axis(c.fw, c.rank)] = channels;
  return out;
}

template <class Sizes>
int64_t product(const Sizes& v, size_t from = 0) {
  int64_t p = 1;
  for (size_t i = from; i < v.size(); ++i) p = checked::mul(p, v[i]);
  return p;
}

std::vector<int64_t> to_vector(const AxisSizes& v) { return {v.begin(), v.end()}; }

// ---- Window ops: conv, depthwise conv, pooling ------------------------------

void add_window_warnings(const Ctx& c, LayerReport& r) {
  const Layer& l = c.layer;
  std::vector<std::pair<size_t, std::string>> dropped, asymmetric, unpaired;
  for (size_t i = 0; i < r.axes.size(); ++i) {
    const shape::WindowSize& w = r.axes[i];
    // Cells no window reaches; only real input cells matter, dropped end
    // padding (as in ResNet's stem) loses nothing.
    const int64_t real = w.leftover - w.pads.end;
    if (real > 0 && w.rule != shape::Rule::same)
      dropped.push_back({i, "the last " + to_string(real) + " input " + (real == 1 ? "cell is" : "cells are") +
                                " never covered by a window and silently dropped ((" + to_string(w.padded) +
                                " - " + to_string(w.k_eff) + ") % " + to_string(w.stride) + " = " +
                                to_string(w.leftover) + ")"});
    const bool same_mode = l.padding.mode == PadMode::same || l.padding.mode == PadMode::same_lower;
    if (same_mode && w.pads.begin != w.pads.end)
      asymmetric.push_back({i, "'" + padding_word(l.padding.mode) + "' pads asymmetrically here (" +
                                   to_string(w.pads.begin) + " before, " + to_string(w.pads.end) +
                                   " after); a framework that pads both sides equally will not reproduce it"});
    if (l.padding.mode == PadMode::explicit_pads && c.fw == Framework::pytorch && w.pads.begin != w.pads.end)
      unpaired.push_back({i, "PyTorch layers pad both sides equally; padding " + to_string(w.pads.begin) + "/" +
                                 to_string(w.pads.end) + " needs an nn.ZeroPad" + to_string(c.sr) +
                                 "d (or F.pad) before this layer"});
  }
  for (const auto* group : {&dropped, &asymmetric, &unpaired})
    if (!group->empty()) r.warnings.push_back(by_axes(c, *group));
  if (c.fw == Framework::onnx && (l.padding.mode == PadMode::same || l.padding.mode == PadMode::same_lower)) {
    const bool dilated = std::any_of(l.dilation.begin(), l.dilation.end(), [](int64_t d) { return d > 1; });
    if (dilated && !is_pool(l.type)) {
      r.runtime_refuses = true;
      r.warnings.push_back("ONNX Runtime departs from the ONNX spec here: it rejects dilation with "
                           "SAME auto_pad (\"Dilation not supported for AutoPadType::SAME_UPPER or "
                           "AutoPadType::SAME_LOWER.\"); write explicit pads instead");
    }
  }
}

// Values every failure text may quote; built only when a layer fails.
Vars base_vars(const Ctx& c) {
  const Layer& l = c.layer;
  return {{"name", l.name}, {"keras_shape", conventions::keras_shape(c.in.shape)},
          {"groups", to_string(l.groups)}, {"channels", to_string(c.channels)},
          {"filters", to_string(l.filters)}};
}

int64_t weight_channels(const Ctx& c);
std::string torch_list(const std::vector<int64_t>& v);

// An ONNX Conv weight holds in_channels / group channels per group (its dim 1;
// a ConvTranspose weight's dim 0 is in_channels itself): no ONNX model
// declares an in_channels that is not a multiple of the group, so ONNX
// Runtime has nothing to say about it. False after failing the layer.
bool onnx_declared_channels_representable(const Ctx& c, LayerReport& r) {
  const Layer& l = c.layer;
  if (c.fw != Framework::onnx || l.type != LayerType::conv || !l.in_channels || *l.in_channels % l.groups == 0)
    return true;
  fail(r, Failure::groups_in_channels,
       "in_channels = " + to_string(*l.in_channels) + " is not a multiple of group = " + to_string(l.groups) +
           ", so no ONNX weight declares it (a Conv weight holds in_channels / group channels per group)",
       {});
  return false;
}

// Groups must divide both channel counts (conv and transposed conv); false
// after failing the layer.
bool groups_divide(const Ctx& c, LayerReport& r) {
  const Layer& l = c.layer;
  const int64_t in_channels = weight_channels(c);
  if (in_channels % l.groups != 0) {
    Vars base = base_vars(c);
    // ONNX Runtime words it differently for ConvTranspose (conv_transpose_attributes.h).
    if (l.type == LayerType::conv_transpose) base.push_back({"transposed_groups", to_string(l.groups)});
    else base.push_back({"kernel_channels", to_string(in_channels / l.groups)});
    fail_framework(c, r, Failure::groups_in_channels,
                   "groups = " + to_string(l.groups) + " does not divide the " + to_string(in_channels) +
                       (l.in_channels && in_channels != c.channels ? " declared" : "") + " input channels", base);
    return false;
  }
  if (l.filters % l.groups != 0) {
    fail_framework(c, r, Failure::groups_out_channels,
                   "groups = " + to_string(l.groups) + " does not divide the " + to_string(l.filters) +
                       " output channels (filters)", base_vars(c));
    return false;
  }
  return true;
}

// PyTorch's IntArrayRef print: "[1, 16, 32, 32]".
std::string torch_list(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + to_string(v[i]);
  return s + "]";
}

// The input channels the layer's weights were built for: declared, or (Keras,
// or nothing declared) whatever arrives.
int64_t weight_channels(const Ctx& c) {
  return c.layer.in_channels && c.fw != Framework::tensorflow ? *c.layer.in_channels : c.channels;
}

// A declared in_channels must match what arrives (PyTorch's
// check_shape_forward and batch_norm, ONNX Runtime's Conv, ConvTranspose and
// BatchNormalization kernels); Keras has no such argument and builds the
// kernel from the input, so a declaration there is only noted. False after
// failing the layer.
bool channels_match(const Ctx& c, LayerReport& r) {
  const Layer& l = c.layer;
  if (!l.in_channels || *l.in_channels == c.channels) return true;
  const int64_t declared = *l.in_channels;
  if (c.fw == Framework::tensorflow) {
    r.warnings.push_back("in_channels " + to_string(declared) + " is declared but " + to_string(c.channels) +
                         " channels arrive; Keras has no in_channels and builds the layer from what arrives, "
                         "so the declaration changes nothing here (PyTorch would refuse it)");
    return true;
  }
  std::vector<int64_t> weight;
  Vars v = base_vars(c);
  v.push_back({"declared", to_string(declared)});
  v.push_back({"torch_input", torch_list(c.in.shape)});
  const int64_t kernel_volume = product(l.kernel);
  switch (l.type) {
    case LayerType::conv:
      weight = {l.filters, declared / l.groups};
      weight.insert(weight.end(), l.kernel.begin(), l.kernel.end());
      v.push_back({"conv_weight", torch_list(weight)});
      v.push_back({"kernel_channels", to_string(declared / l.groups)});
      r.params = checked::add(checked::mul(checked::mul(kernel_volume, declared / l.groups), l.filters),
                              l.bias ? l.filters : 0);
      break;
    case LayerType::depthwise_conv: {
      // nn.Conv2d(C, C * m, k, groups=C) / ONNX Conv with group = C.
      const int64_t out = checked::mul(declared, l.depth_multiplier);
      weight = {out, 1};
      weight.insert(weight.end(), l.kernel.begin(), l.kernel.end());
      for (auto& kv : v)
        if (kv.first == "groups") kv.second = to_string(declared);
      v.push_back({"conv_weight", torch_list(weight)});
      v.push_back({"kernel_channels", "1"});
      r.params = checked::add(checked::mul(kernel_volume, out), l.bias ? out : 0);
      break;
    }
    case LayerType::conv_transpose:
      weight = {declared, l.filters / l.groups};
      weight.insert(weight.end(), l.kernel.begin(), l.kernel.end());
      v.push_back({"transposed_weight", torch_list(weight)});
      v.push_back({"ort_filter_number", to_string(declared)});
      r.params = checked::add(checked::mul(checked::mul(kernel_volume, declared), l.filters / l.groups),
                              l.bias ? l.filters : 0);
      break;
    default:  // batch_norm
      v.push_back({"bn_declared", to_string(declared)});
      v.push_back({"bn_channels", to_string(c.channels)});
      r.params = checked::mul(c.fw == Framework::pytorch ? 2 : 4, declared);
      break;
  }
  const auto params = r.params;
  fail_framework(c, r, Failure::channels_mismatch,
                 "declares in_channels = " + to_string(declared) + " but receives " + to_string(c.channels) +
                     " channels (input " + conventions::tf_shape(c.in.shape, false) + "); set in_channels to " +
                     to_string(c.channels) + " or change the layer before it",
                 v);
  r.params = params;
  r.formula_other = "in_channels " + to_string(declared) + " != " + to_string(c.channels) + " arriving";
  return false;
}

// ---- ONNX Runtime's pooling, where it departs from the ONNX spec -------------
// ConvScope follows the spec; this is what ONNX Runtime 1.31 does instead
// (pool_attributes.h PoolAttributes, ComputeSizePadDilations,
// ComputeOutputSize; the MLAS pooling kernel), found by the conformance suite
// and recorded in tests/conformance/versions.json.
struct OrtPool {
  // Creating the session: every pad must be smaller than the kernel.
  std::vector<std::pair<size_t, std::string>> pad_refused;
  // Running: the first axis whose size is negative (refused), else the output.
  std::optional<size_t> negative_axis;
  // Then the MLAS kernel refuses negative (SAME) padding.
  std::vector<std::pair<size_t, std::string>> negative_pads;
  SmallVec<shape::OrtPoolAxis, 3> axes;
  Shape output;
};

OrtPool onnxruntime_pool(const Ctx& c) {
  const Layer& l = c.layer;
  OrtPool o;
  const shape::OrtAutoPad mode = l.padding.mode == PadMode::same         ? shape::OrtAutoPad::same_upper
                                 : l.padding.mode == PadMode::same_lower ? shape::OrtAutoPad::same_lower
                                 : l.padding.mode == PadMode::valid      ? shape::OrtAutoPad::valid
                                                                         : shape::OrtAutoPad::notset;
  for (size_t i = 0; i < c.sr; ++i) {
    const shape::Pads pads = mode == shape::OrtAutoPad::notset
                                 ? shape::Pads{l.padding.pairs[i].first, l.padding.pairs[i].second}
                                 : shape::Pads{};
    if (pads.begin >= l.kernel[i] || pads.end >= l.kernel[i])
      o.pad_refused.push_back({i, "padding " + to_string(pads.begin) + " + " + to_string(pads.end) +
                                      " with a kernel of " + to_string(l.kernel[i])});
    o.axes.push_back(shape::onnxruntime_pool_size(c.spatial(i), l.kernel[i], l.dilation[i], l.stride[i], mode, pads,
                                                  l.ceil_mode));
    if (!o.negative_axis && o.axes.back().out < 0) o.negative_axis = i;
  }
  const bool dilated = std::any_of(l.dilation.begin(), l.dilation.end(), [](int64_t d) { return d > 1; });
  const bool mlas = l.type == LayerType::avg_pool ? !(l.ceil_mode && l.count_include_pad) : !dilated;
  for (size_t i = 0; i < c.sr && mlas; ++i)
    if (o.axes[i].pads.begin < 0 || o.axes[i].pads.end < 0)
      o.negative_pads.push_back({i, "padding " + to_string(o.axes[i].pads.begin) + " before and " +
                                        to_string(o.axes[i].pads.end) + " after"});
  o.output = c.in.shape;
  for (size_t i = 0; i < c.sr; ++i) o.output[conventions::spatial_axis(c.fw, i)] = o.axes[i].out;
  return o;
}

std::string quoted(const std::string& text) { return "\"" + text + "\""; }

// Where the spec gives an output, what ONNX Runtime does instead, as a warning.
void add_onnxruntime_pool_warnings(const Ctx& c, LayerReport& r, const OrtPool& o) {
  const std::string departs = "ONNX Runtime departs from the ONNX spec here: ";
  if (!o.pad_refused.empty()) {
    r.warnings.push_back(departs + "it refuses a pooling node whose pads are not smaller than its kernel (" +
                         by_axes(c, o.pad_refused) + ") when the session is created: " +
                         quoted(conventions::onnxruntime_text::pool_pad_refused) +
                         " (the spec allows any padding); use pads smaller than the kernel");
    return;
  }
  if (o.negative_axis) {
    const size_t a = *o.negative_axis;
    r.warnings.push_back(departs + "its pooling computes SAME padding from the undilated kernel, which leaves " +
                         c.axis(a) + " a negative size (" + to_string(o.axes[a].out) + ", padding " +
                         to_string(o.axes[a].pads.begin) + " + " + to_string(o.axes[a].pads.end) +
                         "), so it fails at run time: " + quoted(conventions::onnxruntime_text::pool_negative_output) +
                         "; write explicit pads instead");
    return;
  }
  if (!o.negative_pads.empty()) {
    r.warnings.push_back(departs + "its SAME padding comes out negative where the spec's is 0 (" +
                         by_axes(c, o.negative_pads) + "), and its pooling kernel refuses that at run time: " +
                         quoted(conventions::onnxruntime_text::pool_negative_padding) +
                         "; explicit pads of 0 give the spec's output");
    return;
  }
  if (r.output && o.output != *r.output) {
    r.warnings.push_back(departs + "its pooling computes SAME padding from the undilated kernel and outputs " +
                         torch_list(o.output) + " instead of " + torch_list(*r.output) +
                         "; write explicit pads to get the same result everywhere");
    return;
  }
  const bool same_mode = c.layer.padding.mode == PadMode::same || c.layer.padding.mode == PadMode::same_lower;
  const bool dilated = std::any_of(c.layer.dilation.begin(), c.layer.dilation.end(), [](int64_t d) { return d > 1; });
  if (same_mode && dilated)
    r.warnings.push_back(departs + "its pooling computes SAME padding from the undilated kernel, so its padding "
                         "(and values) differ; write explicit pads to get the same result everywhere");
}

void window_op(const Ctx& c, LayerReport& r) {
  const Layer& l = c.layer;
  const bool conv_like = !is_pool(l.type);

  // Input-independent checks first: no input size can fix these. ONNX
  // Runtime (conv_attributes.h, ValidateInputShape) compares the channels with
  // the weight's before it checks that the group divides the filters.
  if (l.type == LayerType::conv && c.fw == Framework::onnx &&
      !(onnx_declared_channels_representable(c, r) && channels_match(c, r)))
    return;
  if (l.type == LayerType::conv && !groups_divide(c, r)) return;
  const bool strided = std::any_of(l.stride.begin(), l.stride.end(), [](int64_t s) { return s > 1; });
  const bool dilated = std::any_of(l.dilation.begin(), l.dilation.end(), [](int64_t d) { return d > 1; });
  if (c.fw == Framework::pytorch && conv_like && l.padding.mode == PadMode::same && strided)
    return fail_framework(c, r, Failure::same_strided,
                          "PyTorch refuses padding='same' when a stride is larger than 1 "
                          "(stride " + tuple(l.stride) + "); give the padding as numbers", base_vars(c));
  if (c.fw == Framework::tensorflow && conv_like && strided && dilated) {
    Vars base = base_vars(c);
    base.push_back({"keras_strides", tuple(l.stride)});
    base.push_back({"keras_dilation", tuple(l.dilation)});
    return fail_framework(c, r, Failure::same_dilated_strided,
                          "Keras does not allow strides > 1 together with dilation_rate > 1 "
                          "(strides " + tuple(l.stride) + ", dilation_rate " + tuple(l.dilation) + ")",
                          base);
  }
  // check_shape_forward (Convolution.cpp) compares channels before any size.
  if (conv_like && !channels_match(c, r)) return;
  if (c.fw == Framework::pytorch && is_pool(l.type)) {
    for (size_t i = 0; i < c.sr; ++i) {
      const int64_t pad = std::max(l.padding.pairs[i].first, l.padding.pairs[i].second);
      // max_pool1d checks against the raw kernel before dispatch; the 2-D/3-D
      // path against the effective one (Pool.h pooling_output_shape).
      const bool pool1d = c.sr == 1 && l.type == LayerType::max_pool;
      const int64_t k = l.type == LayerType::max_pool && !pool1d
                            ? shape::effective_kernel(l.kernel[i], l.dilation[i])
                            : l.kernel[i];
      if (pad > k / 2) {
        Vars base = base_vars(c);
        base.push_back({pool1d ? "pad1d" : "pad", to_string(pad)});
        base.push_back({"kernel", to_string(l.kernel[i])});
        base.push_back({"dilation", to_string(l.dilation[i])});
        return fail_framework(c, r, Failure::pool_padding_too_large,
                              c.axis(i) + ": padding " + to_string(pad) +
                                  " is more than half the " +
                                  (k != l.kernel[i] ? "effective " : "") + "kernel " +
                                  to_string(k) + " (at most " + to_string(k / 2) + ")",
                              base);
      }
    }
    // Then pool2d_shape_check / pool3d_shape_check (Pool.h) compare the pad
    // with the raw kernel, which binds for a dilated max pool:
    // MaxPool2d(3, dilation=2, padding=2) passes the check above (2 <= 5 / 2)
    // and fails this one (3 / 2 < 2).
    if (c.sr >= 2) {
      bool too_large = false;
      for (size_t i = 0; i < c.sr; ++i)
        too_large = too_large || std::max(l.padding.pairs[i].first, l.padding.pairs[i].second) > l.kernel[i] / 2;
      if (too_large) {
        auto pad_of = [&](size_t i) { return to_string(std::max(l.padding.pairs[i].first, l.padding.pairs[i].second)); };
        const size_t h = c.sr - 2, w = c.sr - 1;
        const std::string details =
            c.sr == 2 ? "padW = " + pad_of(w) + ", padH = " + pad_of(h) + ", kW = " + to_string(l.kernel[w]) +
                            ", kH = " + to_string(l.kernel[h])
                      : "kT: " + to_string(l.kernel[0]) + " kW: " + to_string(l.kernel[w]) + " kH: " +
                            to_string(l.kernel[h]) + " padT: " + pad_of(0) + " padW: " + pad_of(w) +
                            " padH: " + pad_of(h);
        std::vector<std::pair<size_t, std::string>> items;
        for (size_t i = 0; i < c.sr; ++i)
          if (std::max(l.padding.pairs[i].first, l.padding.pairs[i].second) > l.kernel[i] / 2)
            items.push_back({i, "padding " + pad_of(i) + " is more than half the kernel " + to_string(l.kernel[i]) +
                                    " (at most " + to_string(l.kernel[i] / 2) + ", whatever the dilation)"});
        Vars base = base_vars(c);
        base.push_back({"pad_shape_check", details});
        return fail_framework(c, r, Failure::pool_padding_too_large, by_axes(c, items), base);
      }
    }
    // avg_pool3d alone calls pool3d_shape_check with check_input_size=true
    // (AveragePool3d.cpp): the unpadded input must hold the kernel on every
    // axis, whatever the padding, before the output size is looked at.
    if (c.sr == 3 && l.type == LayerType::avg_pool) {
      std::vector<std::pair<size_t, std::string>> items;
      for (size_t i = 0; i < c.sr; ++i)
        if (c.spatial(i) < l.kernel[i])
          items.push_back({i, "the input " + to_string(c.spatial(i)) + " is smaller than the kernel " +
                                  to_string(l.kernel[i])});
      if (!items.empty()) {
        Vars v = base_vars(c);
        const char* in_keys[] = {"in_t", "in_h", "in_w"};
        const char* k_keys[] = {"k_t", "k_h", "k_w"};
        for (size_t i = 0; i < 3; ++i) {
          v.push_back({in_keys[i], to_string(c.spatial(i))});
          v.push_back({k_keys[i], to_string(l.kernel[i])});
        }
        return fail_framework(c, r, Failure::pool_input_smaller_than_kernel,
                              by_axes(c, items) + "; PyTorch's 3-D average pooling checks the unpadded "
                                                  "input against the kernel, whatever the padding",
                              v);
      }
    }
  }

  const int64_t out_channels = l.type == LayerType::conv             ? l.filters
                               : l.type == LayerType::depthwise_conv ? checked::mul(c.channels, l.depth_multiplier)
                                                                     : c.channels;
  // Params do not depend on the spatial size: known even when the size fails.
  const int64_t kernel_volume = product(l.kernel);
  const int64_t in_per_group = l.type == LayerType::conv ? c.channels / l.groups : 1;
  r.params = conv_like ? checked::add(checked::mul(checked::mul(kernel_volume, in_per_group), out_channels),
                                      l.bias ? out_channels : 0)
                       : 0;

  AxisSizes out(c.sr, 0), k_eff(c.sr, 0);
  SmallVec<size_t, 3> failed;
  r.axes.resize(c.sr);
  for (size_t i = 0; i < c.sr; ++i) {
    k_eff[i] = shape::effective_kernel(l.kernel[i], l.dilation[i]);
    r.axes[i] = axis_size(c.fw, l, i, c.spatial(i));
    out[i] = r.axes[i].out;
    if (out[i] < 1) failed.push_back(i);
  }
  if (checked::overflowed()) return;  // reported by apply_layer
  if (!failed.empty()) {
    const size_t a = failed[0];
    const shape::WindowSize& w = r.axes[a];
    std::vector<std::pair<size_t, std::string>> items;
    for (size_t i : failed) {
      const shape::WindowSize& f = r.axes[i];
      const std::string dil = l.dilation[i] > 1 ? " (" + to_string(l.dilation[i]) + " * (" +
                                                      to_string(l.kernel[i]) + " - 1) + 1)" : "";
      std::string padded = to_string(f.padded);
      if (f.pads.begin || f.pads.end)
        padded += " (" + to_string(f.in) + " + " + to_string(f.pads.begin) + " + " +
                  to_string(f.pads.end) + ")";
      if (f.padded < f.k_eff)
        items.push_back({i, std::string("the ") + (l.dilation[i] > 1 ? "effective " : "") + "kernel " +
                                to_string(f.k_eff) + dil + " is larger than the padded input " + padded});
      else
        items.push_back({i, "the output size is " + to_string(f.out) + " < 1"});
    }
    std::string message = by_axes(c, items);
    message += ", so no window fits and there is no output";
    std::vector<int64_t> padded_sizes, pytorch_out;
    for (const auto& f : r.axes) {
      padded_sizes.push_back(f.padded);
      pytorch_out.push_back(f.out);
    }
    std::vector<int64_t> flat;
    for (const auto& f : r.axes) {
      flat.push_back(f.pads.begin);
      flat.push_back(f.pads.end);
    }
    Vars v = base_vars(c);
    v.push_back({"padded", conventions::joined(padded_sizes, " x ")});
    v.push_back({"kernel", conventions::joined(to_vector(k_eff), " x ")});
    v.push_back({"k_eff", to_string(w.k_eff)});
    v.push_back({"in", to_string(w.padded)});
    v.push_back({"stride", to_string(w.stride)});
    if (c.fw == Framework::tensorflow) {
      v.push_back({"node", tf_text::node_summary(c.in.net, l, c.in.previous, l.padding.mode == PadMode::explicit_pads ? flat : std::vector<int64_t>{})});
      v.push_back({"shapes", tf_text::input_shapes(l, c.in.shape, c.channels, c.sr)});
      std::vector<int64_t> kernel_shape = l.kernel;
      kernel_shape.push_back(l.type == LayerType::depthwise_conv ? c.channels : c.channels / l.groups);
      kernel_shape.push_back(l.type == LayerType::depthwise_conv ? l.depth_multiplier : l.filters);
      v.push_back({"keras_kernel", tuple(kernel_shape)});
      v.push_back({"numpy_kernel", numpy_array(l.kernel, false)});
      v.push_back({"numpy_shape", numpy_array(c.in.shape, true)});
      v.push_back({"keras_strides", tuple(l.stride)});
      v.push_back({"keras_dilation", numpy_array(l.dilation, false)});
      v.push_back({"keras_padding", padding_word(l.padding.mode)});
      // TF eager rejects only negative sizes, computed with truncation.
      // Its message quotes the unpadded input_size (kernel_shape_util.cc), where
      // graph mode subtracts from the padded one.
      // It checks the axes in order, so it names the first negative one.
      for (const shape::WindowSize& e : r.axes) {
        if (e.out_truncated >= 0) continue;
        v.push_back({"eager_out", to_string(e.out_truncated)});
        v.push_back({"eager_in", to_string(e.in)});
        v.push_back({"eager_k", to_string(e.k_eff)});
        v.push_back({"eager_stride", to_string(e.stride)});
        break;
      }
      // tf.keras 2 (a TensorShape refuses a negative size) and tfjs-layers
      // (Sequential.checkShape): ((in - k_eff + 1) + stride - 1) // stride on
      // every axis, the layer refused when any is < 0 (the conformance suite
      // found an axis of 0 before a negative one).
      const bool keras2_negative = std::any_of(r.axes.begin(), r.axes.end(), [](const shape::WindowSize& e) {
        return checked::floor_div(e.padded - e.k_eff + e.stride, e.stride) < 0;
      });
      if (keras2_negative) {
        v.push_back({"keras2_shape", python_list(c.in.shape)});
        std::string tfjs = "";
        for (size_t i = 1; i < c.in.shape.size(); ++i) tfjs += "," + to_string(c.in.shape[i]);
        v.push_back({"tfjs_shape", tfjs});
      }
    }
    const bool max_pool1d = c.fw == Framework::pytorch && c.sr == 1 && l.type == LayerType::max_pool;
    if (max_pool1d) {
      v.push_back({"pool1d_out", to_string(pytorch_out[0])});
    } else {
      // avg_pool1d runs as avg_pool2d on an unsqueezed (C x 1 x L) input.
      Shape pool_in = {c.channels}, pool_out = {out_channels};
      if (c.sr == 1) {
        pool_in.push_back(1);
        pool_out.push_back(1);
      }
      for (size_t i = 0; i < c.sr; ++i) {
        pool_in.push_back(c.spatial(i));
        pool_out.push_back(pytorch_out[i]);
      }
      v.push_back({"pool_in", conventions::joined(pool_in, "x")});
      v.push_back({"pool_out", conventions::joined(pool_out, "x")});
    }
    std::vector<int64_t> spatial_in;
    for (size_t i = 0; i < c.sr; ++i) spatial_in.push_back(c.spatial(i));
    v.push_back({"ort_spatial", conventions::ort_shape(spatial_in)});
    const Failure failure = conv_like ? Failure::window_too_small : Failure::pool_too_small;
    if (c.fw == Framework::onnx && failure == Failure::pool_too_small) {
      const OrtPool o = onnxruntime_pool(c);
      if (!o.pad_refused.empty()) {
        // Refused before any size is looked at, when the session is created.
        fail(r, failure, std::move(message),
             {{"ONNX Runtime (creating the session)", conventions::onnxruntime_text::pool_pad_refused}});
        return;
      }
      if (!o.negative_axis) {
        // ONNX Runtime refuses only negative sizes (and floor mode divides
        // with truncation toward zero): it runs where the spec has no output.
        const shape::OrtPoolAxis& ort = o.axes[a];
        const bool truncated = !l.ceil_mode && ort.out != w.out;
        fail(r, failure, std::move(message),
             {{conventions::onnxruntime_text::runs_anyway_source,
               "no error: ONNX Runtime runs this node and outputs " + torch_list(o.output) + " (along " +
                   c.axis(a) +
                   (truncated ? " it divides with truncation toward zero: " + to_string(ort.out) +
                                    " where the ONNX spec's floor gives " + to_string(w.out)
                              : " it computes " + to_string(ort.out) +
                                    " as the ONNX spec does, and accepts a size of 0: it refuses only negative sizes") +
                   ")"}});
        return;
      }
    }
    fail_framework(c, r, failure, std::move(message), v);
    return;
  }

  r.output = with_spatial(c, out, out_channels);
  if (c.in.explain) add_window_warnings(c, r);
  if (c.in.explain && c.fw == Framework::onnx && is_pool(l.type)) add_onnxruntime_pool_warnings(c, r, onnxruntime_pool(c));
  r.macs = conv_like ? checked::mul(checked::mul(checked::mul(c.batch, product(out)), out_channels),
                                   checked::mul(kernel_volume, in_per_group))
                     : 0;
}

// ---- Transposed convolution -------------------------------------------------

void transposed_op(const Ctx& c, LayerReport& r) {
  const Layer& l = c.layer;
  // ONNX Runtime (conv_transpose_attributes.h, PrepareForCompute) compares the
  // weight's filter number with the channels before the group divides them.
  if (c.fw == Framework::onnx && !channels_match(c, r)) return;
  if (!groups_divide(c, r)) return;
  if (!channels_match(c, r)) return;
  const bool op_given = !l.output_padding.empty();
  for (size_t i = 0; i < c.sr && op_given; ++i) {
    const int64_t op = l.output_padding[i];
    // PyTorch and ONNX Runtime (conv_transpose_attributes.h): smaller than
    // either stride or dilation; Keras: smaller than the stride.
    const int64_t bound = c.fw != Framework::tensorflow ? std::max(l.stride[i], l.dilation[i]) : l.stride[i];
    if (op >= bound) {
      Vars v = base_vars(c);
      // PyTorch prints every axis: "output_padding_height: 2 output_padding_width: 0
      // stride_height: 2 ..."; 1-D runs as 2-D with a unit height.
      const std::vector<std::string> names = c.sr == 3 ? std::vector<std::string>{"depth", "height", "width"}
                                                       : std::vector<std::string>{"height", "width"};
      std::vector<int64_t> ops = l.output_padding, ss = l.stride, ds = l.dilation;
      if (c.sr == 1) {
        ops.insert(ops.begin(), 0);
        ss.insert(ss.begin(), 1);
        ds.insert(ds.begin(), 1);
      }
      std::string details;
      const std::pair<const char*, const std::vector<int64_t>*> groups[] = {
          {"output_padding_", &ops}, {"stride_", &ss}, {"dilation_", &ds}};
      for (const auto& g : groups)
        for (size_t j = 0; j < names.size(); ++j)
          details += (details.empty() ? "" : " ") + std::string(g.first) + names[j] + ": " + to_string((*g.second)[j]);
      v.push_back({"op_details", details});
      v.push_back({"keras_strides", tuple(l.stride)});
      v.push_back({"keras_output_padding", tuple(l.output_padding)});
      v.push_back({"ort_axis", to_string(i)});
      v.push_back({"ort_op", to_string(op)});
      v.push_back({"ort_bound", to_string(bound)});
      return fail_framework(c, r, Failure::output_padding_too_large,
                            c.axis(i) + ": output_padding " + to_string(op) + " must be smaller than " +
                                (c.fw != Framework::tensorflow ? "max(stride, dilation) = " : "the stride ") +
                                to_string(bound),
                            v);
    }
  }

  const int64_t kernel_volume = product(l.kernel);
  const int64_t out_per_group = l.filters / l.groups;
  r.params = checked::add(checked::mul(checked::mul(kernel_volume, c.channels), out_per_group),
                          l.bias ? l.filters : 0);

  AxisSizes out(c.sr, 0);
  SmallVec<size_t, 3> failed;
  r.axes.resize(c.sr);
  // ONNX Runtime (conv_transpose_attributes.h) clamps a negative SAME padding
  // at 0, and checks per axis, before the size, that the output maps back to
  // the input, which refuses an output_padding of at least the stride.
  AxisSizes ort_out(c.sr, 0);
  std::vector<std::pair<size_t, std::string>> clamped;
  std::optional<size_t> ort_inconsistent;  // the first axis ONNX Runtime refuses so
  int64_t ort_expected = 0;
  for (size_t i = 0; i < c.sr; ++i) {
    r.axes[i] = axis_size(c.fw, l, i, c.spatial(i));
    out[i] = ort_out[i] = r.axes[i].out;
    if (out[i] < 1) failed.push_back(i);
    if (c.fw != Framework::onnx) continue;
    shape::WindowSize ort = r.axes[i];
    if (ort.pads.begin + ort.pads.end < 0) {
      ort = shape::transposed_size({ort.in, ort.k_eff, ort.stride, {0, 0}, ort.output_padding});
      ort_out[i] = ort.out;
      clamped.push_back({i, "padding " + to_string(r.axes[i].pads.begin + r.axes[i].pads.end) + " clamped at 0"});
    }
    const int64_t expected = shape::onnxruntime_transposed_input(ort);
    if (!ort_inconsistent && expected != ort.in) {
      // Refused only if no earlier axis' size already was.
      bool earlier_too_small = false;
      for (size_t j = 0; j < i; ++j) earlier_too_small = earlier_too_small || ort_out[j] < 1;
      if (!earlier_too_small) {
        ort_inconsistent = i;
        ort_expected = expected;
      }
    }
  }
  if (checked::overflowed()) return;  // reported by apply_layer
  auto inconsistent_vars = [&](Vars& v) {
    const size_t i = *ort_inconsistent;
    v.push_back({"ort_inc_op", to_string(r.axes[i].output_padding)});
    v.push_back({"ort_inc_stride", to_string(l.stride[i])});
    v.push_back({"ort_inc_expected", to_string(ort_expected)});
    v.push_back({"ort_inc_in", to_string(c.spatial(i))});
  };
  if (!failed.empty()) {
    std::vector<int64_t> in_sizes;
    for (size_t i = 0; i < c.sr; ++i) in_sizes.push_back(c.spatial(i));
    Vars v = base_vars(c);
    // PyTorch runs a 1-D transposed conv as 2-D on a unit height, and says so: "(1 x 12)".
    const std::string unit_height = c.sr == 1 ? "1 x " : "";
    v.push_back({"per_channel_in", unit_height + conventions::joined(in_sizes, " x ")});
    v.push_back({"per_channel_out", unit_height + conventions::joined(to_vector(out), " x ")});
    v.push_back({"ort_spatial", conventions::ort_shape(in_sizes)});
    if (ort_inconsistent && *ort_inconsistent <= failed[0]) inconsistent_vars(v);
    else v.push_back({"ort_dim", to_string(failed[0])});
    std::string message;
    for (size_t i : failed)
      message += (message.empty() ? "" : "; ") + c.axis(i) + ": output size " + to_string(out[i]) + " < 1";
    return fail_framework(c, r, Failure::transposed_too_small,
                          message + " (the padding removes more than the transposed conv adds)", v);
  }
  // TensorFlow's conv2d_transpose checks that the forward conv of the output,
  // with the same kernel, strides and padding, gives back the input.
  if (c.fw == Framework::tensorflow) {
    for (size_t i = 0; i < c.sr; ++i) {
      const int64_t k_eff = shape::effective_kernel(l.kernel[i], l.dilation[i]);
      const bool same = l.padding.mode == PadMode::same;
      const int64_t forward = same ? shape::same_output(out[i], l.stride[i])
                                   : shape::tensorflow_window_size({out[i], k_eff, l.stride[i], {}, false}).out_truncated;
      if (forward != c.spatial(i)) {
        Vars v = base_vars(c);
        v.push_back({"in", to_string(c.spatial(i))});
        v.push_back({"forward", to_string(forward)});
        v.push_back({"spatial_dim", to_string(i + 1)});
        v.push_back({"out", to_string(out[i])});
        v.push_back({"kernel", to_string(l.kernel[i])});
        v.push_back({"stride", to_string(l.stride[i])});
        v.push_back({"dilation", to_string(l.dilation[i])});
        return fail_framework(c, r, Failure::transposed_inconsistent,
                              c.axis(i) + ": the output size " + to_string(out[i]) +
                                  " does not map back to the input " + to_string(c.spatial(i)) +
                                  " under the forward convolution (it gives " + to_string(forward) +
                                  "); TensorFlow's gradient op rejects this output_padding",
                              v);
      }
    }
  }
  r.output = with_spatial(c, out, l.filters);
  if (ort_inconsistent) {
    const size_t i = *ort_inconsistent;
    r.runtime_refuses = true;
    r.warnings.push_back(
        "ONNX Runtime departs from the ONNX spec here: it refuses an output_padding of at least the stride (" +
        c.axis(i) + ": output_padding " + to_string(r.axes[i].output_padding) + ", stride " + to_string(l.stride[i]) +
        "), checking that the output maps back to the input: " +
        quoted(conventions::onnxruntime_transposed_inconsistent(r.axes[i].output_padding, l.stride[i], ort_expected,
                                                                c.spatial(i))) +
        " (the spec bounds output_padding by the stride or dilation, read as max(stride, dilation) as PyTorch "
        "does); use an output_padding smaller than the stride");
  } else if (!clamped.empty()) {
    r.warnings.push_back("ONNX Runtime departs from the ONNX spec here: the spec's SAME padding is negative (" +
                         by_axes(c, clamped) + "); ONNX Runtime clamps it at 0 and outputs " +
                         torch_list(with_spatial(c, ort_out, l.filters)) + " instead of " + torch_list(*r.output));
  }
  std::vector<int64_t> in_sizes;
  for (size_t i = 0; i < c.sr; ++i) in_sizes.push_back(c.spatial(i));
  r.macs = checked::mul(checked::mul(checked::mul(c.batch, product(in_sizes)), c.channels),
                        checked::mul(kernel_volume, out_per_group));
}

// ---- Other spatial layers ----------------------------------------------------

void global_pool(const Ctx& c, LayerReport& r) {
  const Layer& l = c.layer;
  if (l.keepdims) {
    r.output = with_spatial(c, AxisSizes(c.sr, 1), c.channels);
  } else {
    r.output = Shape{c.batch, c.channels};
  }
  r.params = 0;
  r.macs = 0;
}

void adaptive_pool(const Ctx& c, LayerReport& r) {
  r.output = with_spatial(c, c.layer.output_size, c.channels);
  for (size_t i = 0; i < c.sr; ++i)
    if (c.spatial(i) < c.layer.output_size[i])
      r.warnings.push_back(c.axis(i) + ": output_size " + to_string(c.layer.output_size[i]) +
                           " is larger than the input " + to_string(c.spatial(i)) +
                           "; adaptive pooling repeats input cells to fill it");
  r.params = 0;
  r.macs = 0;
}

void pad_crop_upsample(const Ctx& c, LayerReport& r) {
  const Layer& l = c.layer;
  AxisSizes out(c.sr, 0);
  SmallVec<size_t, 3> failed;
  r.axes.resize(c.sr);
  for (size_t i = 0; i < c.sr; ++i) {
    r.axes[i] = axis_size(c.fw, l, i, c.spatial(i));
    out[i] = r.axes[i].out;
    if (out[i] < 1) failed.push_back(i);
  }
  if (checked::overflowed()) return;  // reported by apply_layer
  if (!failed.empty()) {
    std::vector<int64_t> crops;
    for (const auto& p : l.cropping.pairs) {
      crops.push_back(p.first);
      crops.push_back(p.second);
    }
    Vars v = {{"name", l.name}, {"keras_shape", conventions::keras_shape(c.in.shape)},
              {"keras_cropping", tuple(crops)}};
    if (c.fw == Framework::tensorflow && l.type == LayerType::crop) {
      // Keras 3 prints Cropping1D's (begin, end), Cropping2D/3D's pairs.
      if (c.sr == 1) {
        v.push_back({"keras_cropping1d", tuple(crops)});
      } else {
        std::string pairs_text = "(";
        for (size_t i = 0; i < l.cropping.pairs.size(); ++i)
          pairs_text += (i ? ", " : "") + tuple({l.cropping.pairs[i].first, l.cropping.pairs[i].second});
        v.push_back({"keras_cropping_pairs", pairs_text + ")"});
      }
      const bool negative = std::any_of(failed.begin(), failed.end(), [&](size_t i) { return out[i] < 0; });
      if (c.sr == 2 && negative) {  // tfjs-layers has only Cropping2D
        std::string tfjs;
        for (size_t i = 1; i < c.in.shape.size(); ++i) tfjs += "," + to_string(c.in.shape[i]);
        v.push_back({"tfjs_shape", tfjs});
      }
    }
    const size_t a = failed[0];
    return fail_framework(c, r, Failure::crop_too_large,
                          c.axis(a) + ": cropping " + to_string(r.axes[a].pads.begin) + " + " +
                              to_string(r.axes[a].pads.end) + " leaves " + to_string(out[a]) +
                              " of " + to_string(r.axes[a].in) + " cells",
                          v);
  }
  r.output = with_spatial(c, out, c.channels);
  r.params = 0;
  r.macs = 0;
}

// ---- Shape-free layers --------------------------------------------------------

void flatten_op(const Ctx& c, LayerReport& r) {
  const int64_t features = product(c.in.shape, 1);
  r.output = Shape{c.batch, features};
  std::string terms;
  for (size_t i = 1; i < c.in.shape.size(); ++i) terms += (i > 1 ? " * " : "") + to_string(c.in.shape[i]);
  r.formula_other = terms + " = " + to_string(features);
  r.params = 0;
  r.macs = 0;
}

void dense_op(const Ctx& c, LayerReport& r) {
  const Layer& l = c.layer;
  const int64_t arriving = c.in.shape.back();
  if (l.in_features && *l.in_features != arriving) {
    r.params = checked::add(checked::mul(*l.in_features, l.units), l.bias ? l.units : 0);
    const int64_t rows = product(c.in.shape) / std::max<int64_t>(arriving, 1);
    Vars v = {{"name", l.name},
              {"keras_shape", conventions::keras_shape(c.in.shape)},
              {"rows", to_string(rows)},
              {"arriving", to_string(arriving)},
              {"declared", to_string(*l.in_features)},
              {"units", to_string(l.units)}};
    fail_framework(c, r, Failure::dense_mismatch,
                   "declares " + to_string(*l.in_features) + " input features but receives " +
                       to_string(arriving) + " (input " + conventions::tf_shape(c.in.shape, false) +
                       "); set in_features to " + to_string(arriving),
                   v);
    r.formula_other = "in_features " + to_string(*l.in_features) + " != " + to_string(arriving) +
                      " arriving";
    return;
  }
  Shape out = c.in.shape;
  out.back() = l.units;
  r.output = out;
  if (c.in.shape.size() > 2)
    r.warnings.push_back("the input is " + to_string(c.in.shape.size()) +
                         "-D, so this layer mixes only the last axis (" + to_string(arriving) +
                         " values) and keeps the others; add a flatten before it if you meant "
                         "to connect every feature");
  r.params = checked::add(checked::mul(arriving, l.units), l.bias ? l.units : 0);
  r.macs = checked::mul(checked::mul(product(c.in.shape) / std::max<int64_t>(arriving, 1), arriving), l.units);
}

// PyTorch's BatchNorm in training mode needs more than one value per channel
// to estimate a variance (functional.py, _verify_batch_size: batch times the
// spatial sizes); it checks this before the running statistics' size.
void batch_norm_op(const Ctx& c, LayerReport& r) {
  if (c.fw == Framework::pytorch && c.in.net.mode == Mode::train) {
    int64_t values = c.batch;
    for (size_t i = 2; i < c.in.shape.size(); ++i) values = checked::mul(values, c.in.shape[i]);
    if (values == 1) {
      Vars v = base_vars(c);
      v.push_back({"torch_input", torch_list(c.in.shape)});
      fail_framework(c, r, Failure::batch_norm_single_value,
                     "in training mode BatchNorm needs more than 1 value per channel to compute a variance, "
                     "and gets 1 (batch " + to_string(c.batch) + ", input " +
                         conventions::tf_shape(c.in.shape, false) +
                         "); call model.eval() for inference, or use a batch of 2 or more",
                     v);
      r.params = checked::mul(2, c.channels);
      return;
    }
  }
  if (!channels_match(c, r)) return;
}

void elementwise_op(const Ctx& c, LayerReport& r) {
  if (c.layer.type == LayerType::batch_norm) {
    batch_norm_op(c, r);
    if (r.status == Status::error) return;
  }
  r.output = c.in.shape;
  r.macs = 0;
  if (c.layer.type == LayerType::batch_norm) {
    // PyTorch counts weight and bias; Keras and ONNX also the running mean
    // and variance (Keras lists them as non-trainable).
    const int64_t per_channel = c.fw == Framework::pytorch ? 2 : 4;
    r.params = checked::mul(per_channel, c.channels);
  } else {
    r.params = 0;
  }
}

// channel_shuffle (torchvision's channel_shuffle: view to N, g, C // g, *spatial,
// swap axes 1 and 2, view back) and channel_split (x.chunk(chunks, dim=1)[index]):
// spatial axes kept, no weights, no multiply-adds.
void channel_op(const Ctx& c, LayerReport& r) {
  const Layer& l = c.layer;
  const size_t ch = conventions::channel_axis(c.fw, c.rank);
  r.params = 0;
  r.macs = 0;
  if (l.type == LayerType::channel_shuffle) {
    if (c.channels % l.groups != 0) {
      std::vector<int64_t> view{c.batch, l.groups, c.channels / l.groups};
      for (size_t i = 0; i < c.sr; ++i) view.push_back(c.spatial(i));
      int64_t numel = 1;
      for (int64_t d : c.in.shape) numel = checked::mul(numel, d);
      // ONNX Reshape (allowzero 0, as torch.onnx exports it): a 0 copies the
      // input's size on that axis, so C // g = 0 shows as the first spatial size.
      std::vector<int64_t> onnx_view = view;
      if (onnx_view[2] == 0) onnx_view[2] = c.in.shape[2];
      fail_framework(c, r, Failure::shuffle_groups,
                     "channel shuffle needs the channels (" + to_string(c.channels) + ") divisible by groups (" +
                         to_string(l.groups) + ")",
                     {{"view_shape", "[" + conventions::joined(view, ", ") + "]"},
                      {"numel", to_string(numel)},
                      {"ort_input", conventions::ort_shape(c.in.shape)},
                      {"ort_requested", conventions::ort_shape(onnx_view)}});
      return;
    }
    r.output = c.in.shape;
    return;
  }
  // torch.chunk: pieces of ceil(C / chunks) channels, the last one smaller;
  // fewer pieces than asked when C is small (3 channels in 4 chunks: 3 pieces).
  const int64_t size = (c.channels + l.chunks - 1) / l.chunks;
  const int64_t pieces = size == 0 ? 0 : (c.channels + size - 1) / size;
  if (l.index >= pieces) {
    fail_framework(c, r, Failure::split_index,
                   to_string(c.channels) + " channels in " + to_string(l.chunks) + " chunks make " +
                       to_string(pieces) + " piece" + (pieces == 1 ? "" : "s") + " of " + to_string(size) +
                       ", so there is no chunk " + to_string(l.index) +
                       (c.fw == Framework::onnx ? " (ONNX Runtime's Slice returns an empty tensor here; the next layer fails)" : ""),
                   {{"index", to_string(l.index)}});
    return;
  }
  std::vector<int64_t> out = c.in.shape;
  out[ch] = std::min(size, c.channels - l.index * size);
  r.output = out;
}

// reshape: x.view(x.size(0), *shape) (batch kept, Keras' Reshape) or
// x.view(-1, *shape) (batch inferred). Every value stays; no weights, no
// multiply-adds. The sizes keep the framework's layout as written: a reshape
// of NHWC data to [7, 7, 64] is H, W, C.
void reshape_op(const Ctx& c, LayerReport& r) {
  const Layer& l = c.layer;
  r.params = 0;
  r.macs = 0;
  const int64_t numel = product(c.in.shape);
  const int64_t per_sample = numel / std::max<int64_t>(c.batch, 1);
  int64_t known = 1;  // the sizes given, without the -1
  std::optional<size_t> minus;
  for (size_t i = 0; i < l.target_shape.size(); ++i) {
    if (l.target_shape[i] == -1) minus = i;
    else known = checked::mul(known, l.target_shape[i]);
  }
  std::string terms;  // "16 * 4 * 4", the sizes the values come from
  for (size_t i = l.infer_batch ? 0 : 1; i < c.in.shape.size(); ++i) terms += (terms.empty() ? "" : " * ") + to_string(c.in.shape[i]);
  const std::string wanted = torch_list(l.target_shape);
  const int64_t values = l.infer_batch ? numel : per_sample;
  const bool fits = minus || l.infer_batch ? values % known == 0 : values == known;
  if (!fits) {
    std::vector<int64_t> view = l.target_shape;  // as passed to x.view
    view.insert(view.begin(), l.infer_batch ? -1 : c.batch);
    const std::vector<int64_t> after_batch(c.in.shape.begin() + 1, c.in.shape.end());
    Vars v = {{"name", l.name}, {"view_shape", torch_list(view)}, {"numel", to_string(numel)},
              {"keras3_input", conventions::python_tuple(c.in.shape, 1)},
              {minus ? "keras3_inferred_target" : "keras3_fixed_target", conventions::python_tuple(view, 1)},
              {"keras2_input", torch_list(after_batch)}, {"keras2_target", wanted},
              {"ort_input", conventions::ort_shape(c.in.shape)}, {"ort_requested", conventions::ort_shape(view)}};
    // ONNX shape inference refuses only a -1 it cannot infer while loading;
    // the (empty) variable selects that text.
    if (minus || l.infer_batch) v.push_back({"ort_inferred", ""});
    const std::string message =
        l.infer_batch
            ? "the input holds " + to_string(numel) + " values (" + terms + "), not a multiple of the " +
                  to_string(known) + " per sample that " + wanted + " asks for, so no batch size fits"
        : minus ? "the input holds " + to_string(per_sample) + " values per sample (" + terms + "), which the other sizes of " +
                      wanted + " (" + to_string(known) + ") do not divide, so no size fits the -1"
                : "the input holds " + to_string(per_sample) + " values per sample (" + terms + ") but " + wanted +
                      " holds " + to_string(known) + "; a reshape keeps every value";
    fail_framework(c, r, Failure::reshape_size, message, v);
    r.formula_other = terms + " = " + to_string(values) + (l.infer_batch || minus ? " values, not a multiple of " : " values, not ") +
                      to_string(known);
    return;
  }
  Shape out = l.target_shape;
  if (minus) out[*minus] = values / known;
  const int64_t batch = l.infer_batch ? numel / known : c.batch;
  out.insert(out.begin(), batch);
  r.output = out;
  r.formula_other = terms + " = " + to_string(values) +
                    (l.infer_batch ? "; batch " + to_string(values) + " / " + to_string(known) + " = " + to_string(batch)
                     : minus       ? "; -1 = " + to_string(values) + " / " + to_string(known) + " = " + to_string(out[*minus + 1])
                                   : "");
  if (c.in.shape.size() == c.sr + 2 && out.size() == c.sr + 2 && out != c.in.shape && c.in.receptive_field)
    r.warnings.push_back("this reshape keeps " + to_string(c.sr) + " spatial axes but moves values between axes, so "
                         "an output cell is no longer a place in the input: the receptive field is reported up to "
                         "the layer before it");
  if (l.infer_batch && batch != c.batch)
    r.warnings.push_back("the batch becomes " + to_string(batch) + " (the input's is " + to_string(c.batch) +
                         "): x.view(-1, ...) infers it from the values, so its rows no longer match the input's "
                         "samples; x.view(x.size(0), -1) keeps the batch and shows the size that arrives");
}

void check_dimension_limit(const Ctx& c, LayerReport& r) {
  if (!r.output) return;
  for (int64_t d : *r.output) {
    if (d > limits::max_dimension) {
      fail(r, Failure::too_large,
           "a dimension of the output would be " + to_string(d) + ", beyond the limit " +
               to_string(limits::max_dimension) + " (2^31 - 1) that frameworks index with 32 bits",
           {});
      (void)c;
      return;
    }
  }
}

}  // namespace

shape::WindowSize axis_size(Framework fw, const Layer& l, size_t i, int64_t in) {
  switch (l.type) {
    case LayerType::zero_pad:
      return shape::zero_pad_size(in, {l.padding.pairs[i].first, l.padding.pairs[i].second});
    case LayerType::crop:
      return shape::crop_size(in, {l.cropping.pairs[i].first, l.cropping.pairs[i].second});
    case LayerType::upsample:
      return shape::upsample_size(in, l.scale[i]);
    case LayerType::conv_transpose: {
      const int64_t k_eff = shape::effective_kernel(l.kernel[i], l.dilation[i]);
      const int64_t s = l.stride[i];
      const bool op_given = !l.output_padding.empty();
      const int64_t op = op_given ? l.output_padding[i] : 0;
      const bool same = l.padding.mode == PadMode::same || l.padding.mode == PadMode::same_lower;
      if (fw == Framework::tensorflow)
        return shape::keras_transposed_size(in, k_eff, s, same, op_given ? &op : nullptr);
      shape::Pads pads;
      if (same) {
        // ONNX: output in * stride; the padding follows from it and may be
        // negative per the spec. SAME_UPPER puts the smaller half first.
        const int64_t total = shape::onnx_transposed_same_total_pad(in, k_eff, s, op);
        const int64_t half = checked::floor_div(total, 2);
        pads = l.padding.mode == PadMode::same ? shape::Pads{half, total - half}
                                               : shape::Pads{total - half, half};
      } else if (l.padding.mode == PadMode::explicit_pads) {
        pads = {l.padding.pairs[i].first, l.padding.pairs[i].second};
      }
      return shape::transposed_size({in, k_eff, s, pads, op});
    }
    default:
      break;
  }
  // conv, depthwise conv, pooling
  const int64_t k_eff = shape::effective_kernel(l.kernel[i], l.dilation[i]);
  const int64_t s = l.stride[i];
  switch (l.padding.mode) {
    case PadMode::same:
      if (fw == Framework::pytorch)  // stride 1 only (checked by apply_layer)
        return shape::window_size({in, k_eff, s, shape::same_pads_pytorch(k_eff), false});
      return shape::same_size(in, k_eff, s, shape::same_pads_upper(in, k_eff, s));
    case PadMode::same_lower:
      return shape::same_size(in, k_eff, s, shape::same_pads_lower(in, k_eff, s));
    case PadMode::valid:
    case PadMode::explicit_pads:
      break;
  }
  shape::Pads pads;
  if (l.padding.mode == PadMode::explicit_pads) pads = {l.padding.pairs[i].first, l.padding.pairs[i].second};
  const shape::Window w{in, k_eff, s, pads, l.ceil_mode};
  return fw == Framework::tensorflow ? shape::tensorflow_window_size(w) : shape::window_size(w);
}

void apply_layer(const LayerInput& in, LayerReport& r) {
  const Layer& l = in.net.layers[in.index];
  Ctx c{in, l, in.net.framework, in.shape.size(), in.net.spatial_rank(), 0, 0};
  r.index = in.index;
  r.name = l.name;
  r.type = l.type;
  r.input = in.shape;
  r.status = Status::ok;
  checked::clear_overflow();
  {
    if (is_spatial(l.type) && c.rank != c.sr + 2) {
      fail(r, Failure::rank_mismatch,
           std::string(to_string(l.type)) + " needs a " + to_string(c.sr + 2) + "-D input (" +
               conventions::layout_string(c.fw, c.sr + 2) + ") but receives " +
               conventions::tf_shape(in.shape, false) +
               "; a flatten, dense or reshape layer earlier removed the spatial axes",
           {});
      return;
    }
    c.batch = in.shape[0];
    c.channels = in.shape.size() >= 2 ? in.shape[conventions::channel_axis(c.fw, c.rank)] : 1;
    switch (l.type) {
      case LayerType::conv:
      case LayerType::depthwise_conv:
      case LayerType::max_pool:
      case LayerType::avg_pool: window_op(c, r); break;
      case LayerType::conv_transpose: transposed_op(c, r); break;
      case LayerType::global_avg_pool:
      case LayerType::global_max_pool: global_pool(c, r); break;
      case LayerType::adaptive_avg_pool: adaptive_pool(c, r); break;
      case LayerType::zero_pad:
      case LayerType::crop:
      case LayerType::upsample: pad_crop_upsample(c, r); break;
      case LayerType::flatten: flatten_op(c, r); break;
      case LayerType::dense: dense_op(c, r); break;
      case LayerType::relu:
      case LayerType::activation:
      case LayerType::batch_norm:
      case LayerType::dropout: elementwise_op(c, r); break;
      case LayerType::channel_shuffle:
      case LayerType::channel_split: channel_op(c, r); break;
      case LayerType::reshape: reshape_op(c, r); break;
      case LayerType::add:
      case LayerType::subtract:
      case LayerType::multiply:
      case LayerType::average:
      case LayerType::maximum:
      case LayerType::minimum:
      case LayerType::concat:
      case LayerType::crop_to:
      case LayerType::pad_to:
      case LayerType::resize_to: break;  // several inputs: merge_rules.cpp
    }
    if (checked::overflowed()) {
      fail(r, Failure::too_large,
           "the sizes of this layer overflow 64-bit integers (" + checked::overflow_what() + ")", {});
      r.warnings.clear();
    }
    check_dimension_limit(c, r);
    if (r.status != Status::error) {
      r.receptive_field = receptive_field_after(l, c.in.receptive_field, r, c.sr);
      if (checked::overflowed()) r.receptive_field.reset();  // too large to be meaningful
      if (!r.warnings.empty()) r.status = Status::warning;
    }
  }
  checked::clear_overflow();
  if (r.status == Status::error) {
    if (r.failure == Failure::too_large) r.params.reset();
    r.macs.reset();
    r.receptive_field.reset();
  }
}

}  // namespace convscope
