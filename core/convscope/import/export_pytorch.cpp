// The network as PyTorch code: modules written the way print(model) shows
// them, so the code reads like what users already know (and ConvScope's own
// print(model) importer reads a chain's nn.Sequential back); a graph's
// modules are attributes of an nn.Module whose forward() wires them.
#include <algorithm>

#include "convscope/conventions.hpp"
#include "convscope/import/export.hpp"
#include "convscope/import/export_plan.hpp"
#include "convscope/import/names.hpp"
#include "convscope/json.hpp"
#include "convscope/shape.hpp"

namespace convscope::import {

using plan::Plan;
using plan::Step;
using plan::tuple;
using std::to_string;

namespace {

struct Module {
  std::string name;     // as the layer is named (empty: the writer picks)
  std::string code;     // "nn.Conv2d(3, 64, kernel_size=(3, 3), stride=(1, 1))"
  std::string comment;  // written on the line before, when not empty
};

std::string d_of(size_t sr) { return to_string(sr) + "d"; }

bool all_equal(const std::vector<int64_t>& v, int64_t x) {
  return std::all_of(v.begin(), v.end(), [x](int64_t y) { return y == x; });
}

// nn.ZeroPad2d takes (left, right, top, bottom): the last axis first.
std::string pad_module(const std::vector<std::pair<int64_t, int64_t>>& pairs) {
  std::vector<int64_t> flat;
  for (size_t a = pairs.size(); a-- > 0;) {
    flat.push_back(pairs[a].first);
    flat.push_back(pairs[a].second);
  }
  if (pairs.size() == 2) return "nn.ZeroPad2d(" + tuple(flat) + ")";
  return "nn.ConstantPad" + d_of(pairs.size()) + "(" + tuple(flat) + ", 0.0)";
}

// The padding PyTorch should get: '' (none), "'same'", "(p, q)", or an
// explicit pad module before the layer when the two sides differ.
struct Padding {
  std::string argument;  // ", padding=..." or ""
  std::string before;    // a ZeroPad module, or ""
  std::string comment;
};

Padding padding_for(const Plan& p, const Step& s, bool conv) {
  const Layer& l = *s.layer;
  const size_t sr = p.spatial_rank;
  Padding out;
  std::vector<std::pair<int64_t, int64_t>> pairs;
  if (l.padding.mode == PadMode::valid) return out;
  if (l.padding.mode == PadMode::same && conv && (p.framework == Framework::pytorch || all_equal(l.stride, 1))) {
    // PyTorch's 'same' puts the odd cell at the end, as TensorFlow and ONNX SAME_UPPER do.
    out.argument = ", padding='same'";
    return out;
  }
  if (l.padding.mode == PadMode::explicit_pads) pairs = l.padding.pairs;
  else pairs = s.pads;
  if (pairs.size() != sr) {
    out.comment = "the padding of this layer depends on an input size ConvScope could not compute (after the "
                  "first error); none is written";
    return out;
  }
  const bool symmetric = std::all_of(pairs.begin(), pairs.end(), [](const auto& q) { return q.first == q.second; });
  std::vector<int64_t> begins;
  for (const auto& q : pairs) begins.push_back(q.first);
  bool fits = symmetric;
  // PyTorch pools refuse padding above half the kernel: from another
  // framework pad first; from PyTorch keep it, so the code fails as the source does.
  if (!conv && p.framework != Framework::pytorch)
    for (size_t a = 0; a < sr && fits; ++a) fits = begins[a] <= l.kernel[a] / 2;
  if (fits) {
    if (!all_equal(begins, 0)) out.argument = ", padding=" + tuple(begins);
    return out;
  }
  out.before = pad_module(pairs);
  out.comment = std::string(symmetric ? "PyTorch pools pad at most half the kernel" : "PyTorch pads both sides equally") +
                ": the padding " + plan::pairs(pairs) + " comes first as its own module" +
                (conv ? "" : " (zeros, where a max pool would ignore padded cells; the sizes are the same)");
  return out;
}

std::string keyword_axes(const char* key, const std::vector<int64_t>& v, int64_t default_value) {
  if (v.empty() || all_equal(v, default_value)) return "";
  return std::string(", ") + key + "=" + tuple(v);
}

void conv(const Plan& p, const Step& s, std::vector<Module>& out) {
  const Layer& l = *s.layer;
  const std::string d = d_of(p.spatial_rank);
  const Padding pad = padding_for(p, s, true);
  if (!pad.before.empty()) out.push_back({l.name + "_pad", pad.before, pad.comment});
  const bool depthwise = l.type == LayerType::depthwise_conv;
  // The declared in_channels, as the user wrote it: running the code then
  // raises PyTorch's own channel error where ConvScope reports one.
  const int64_t channels = l.in_channels ? *l.in_channels : s.channels;
  const int64_t filters = depthwise ? (channels > 0 ? channels * l.depth_multiplier : -1) : l.filters;
  const int64_t groups = depthwise ? channels : l.groups;
  std::string code = channels > 0 ? "nn.Conv" + d + "(" + to_string(channels) + ", " + to_string(filters)
                                    : "nn.LazyConv" + d + "(" + to_string(l.filters);
  code += ", kernel_size=" + tuple(l.kernel) + ", stride=" + tuple(l.stride) + pad.argument +
          keyword_axes("dilation", l.dilation, 1);
  if (groups > 1) code += ", groups=" + to_string(groups);
  if (!l.bias) code += ", bias=False";
  std::string comment = pad.before.empty() ? pad.comment : "";
  if (channels <= 0) comment = "the input channels are unknown here (after the first error): a lazy module infers them";
  out.push_back({l.name, code + ")", comment});
}

void transposed(const Plan& p, const Step& s, std::vector<Module>& out) {
  const Layer& l = *s.layer;
  const size_t sr = p.spatial_rank;
  std::vector<int64_t> padding(sr, 0), output_padding = l.output_padding;
  if (output_padding.empty()) output_padding.assign(sr, 0);
  std::string comment;
  if (p.framework == Framework::pytorch) {
    for (size_t a = 0; a < sr && l.padding.pairs.size() == sr; ++a) padding[a] = l.padding.pairs[a].first;
  } else if (s.out_spatial.size() == sr && s.spatial.size() == sr) {
    // PyTorch: out = (in - 1) * s - 2p + k_eff + output_padding; pick p and
    // output_padding that give the size the source framework computes.
    for (size_t a = 0; a < sr; ++a) {
      const int64_t k_eff = shape::effective_kernel(l.kernel[a], l.dilation[a]);
      const int64_t t = (s.spatial[a] - 1) * l.stride[a] + k_eff - s.out_spatial[a];
      padding[a] = t > 0 ? (t + 1) / 2 : 0;
      output_padding[a] = 2 * padding[a] - t;
      if (output_padding[a] >= std::max(l.stride[a], l.dilation[a]))
        comment = "no PyTorch padding reproduces this layer's size exactly";
    }
  } else {
    comment = "the padding of this layer depends on sizes ConvScope could not compute (after the first error)";
  }
  const int64_t channels = l.in_channels ? *l.in_channels : s.channels;
  std::string code = "nn.ConvTranspose" + d_of(sr) + "(" + to_string(std::max<int64_t>(channels, 1)) + ", " +
                     to_string(l.filters) + ", kernel_size=" + tuple(l.kernel) + ", stride=" + tuple(l.stride) +
                     keyword_axes("padding", padding, 0) + keyword_axes("output_padding", output_padding, 0);
  if (l.groups > 1) code += ", groups=" + to_string(l.groups);
  if (!l.bias) code += ", bias=False";
  code += keyword_axes("dilation", l.dilation, 1);
  out.push_back({l.name, code + ")", comment});
}

void pool(const Plan& p, const Step& s, std::vector<Module>& out) {
  const Layer& l = *s.layer;
  const bool max = l.type == LayerType::max_pool;
  const Padding pad = padding_for(p, s, false);
  if (!pad.before.empty()) out.push_back({l.name + "_pad", pad.before, pad.comment});
  std::string code = std::string(max ? "nn.MaxPool" : "nn.AvgPool") + d_of(p.spatial_rank) +
                     "(kernel_size=" + tuple(l.kernel) + ", stride=" + tuple(l.stride) +
                     (pad.argument.empty() ? ", padding=0" : pad.argument);
  if (max) code += ", dilation=" + tuple(l.dilation);
  code += std::string(", ceil_mode=") + (l.ceil_mode ? "True" : "False");
  if (!max && !l.count_include_pad) code += ", count_include_pad=False";
  out.push_back({l.name, code + ")", pad.before.empty() ? pad.comment : ""});
}

std::string activation(const Layer& l, std::string& comment) {
  const names::Activation* a = names::activation_by_function(l.function);
  if (!a) {
    comment = "activation " + l.function + " has no PyTorch module in ConvScope's table: Identity keeps the shape";
    return "nn.Identity()";
  }
  const std::string cls = a->pytorch;
  if (cls == "Softmax" || cls == "LogSoftmax") return "nn." + cls + "(dim=1)";
  return "nn." + cls + "()";
}

const char* const kCropClass =
    "class Crop(nn.Module):\n"
    "    \"\"\"Removes (begin, end) cells per spatial axis, like Keras' Cropping layers.\"\"\"\n"
    "\n"
    "    def __init__(self, cropping):\n"
    "        super().__init__()\n"
    "        self.cropping = cropping\n"
    "\n"
    "    def forward(self, x):\n"
    "        index = [slice(None), slice(None)]\n"
    "        for axis, (begin, end) in enumerate(self.cropping):\n"
    "            index.append(slice(begin, x.shape[2 + axis] - end))\n"
    "        return x[tuple(index)]\n"
    "\n"
    "    def extra_repr(self):\n"
    "        return f\"cropping={self.cropping}\"\n";

// torchvision 0.14's shufflenetv2.channel_shuffle, for any spatial rank: the
// same views, so a channel count groups does not divide raises the same error.
const char* const kChannelShuffle =
    "def channel_shuffle(x, groups):\n"
    "    \"\"\"ShuffleNet V2's channel shuffle (torchvision): (N, C, ...) viewed as (N, groups, C // groups, ...),\n"
    "    the two channel axes swapped, viewed back.\"\"\"\n"
    "    n, c = x.shape[:2]\n"
    "    x = x.view(n, groups, c // groups, *x.shape[2:])\n"
    "    return torch.transpose(x, 1, 2).contiguous().view(n, c, *x.shape[3:])\n";

// The modules that compute one layer: usually one, named after the layer,
// with an explicit padding module before it where PyTorch cannot pad as the
// source does; none for what forward() writes as an expression.
void layer_modules(const Plan& p, const Step& s, std::vector<Module>& out, bool& crop_class) {
  const size_t sr = p.spatial_rank;
  const std::string d = d_of(sr);
  const Layer& l = *s.layer;
  switch (l.type) {
    case LayerType::conv:
    case LayerType::depthwise_conv: conv(p, s, out); break;
    case LayerType::conv_transpose: transposed(p, s, out); break;
    case LayerType::max_pool:
    case LayerType::avg_pool: pool(p, s, out); break;
    case LayerType::global_avg_pool:
    case LayerType::global_max_pool:
      out.push_back({l.name, std::string(l.type == LayerType::global_avg_pool ? "nn.AdaptiveAvgPool" : "nn.AdaptiveMaxPool") +
                                     d + "(output_size=1)", ""});
      // A graph's forward() flattens with torch.flatten instead (graph_forward).
      if (!l.keepdims && !p.graph) out.push_back({l.name + "_flatten", "nn.Flatten()", "Keras' global pooling drops the spatial axes"});
      break;
    case LayerType::adaptive_avg_pool:
      out.push_back({l.name, "nn.AdaptiveAvgPool" + d + "(output_size=" + tuple(l.output_size) + ")", ""});
      break;
    case LayerType::zero_pad: out.push_back({l.name, pad_module(l.padding.pairs), ""}); break;
    case LayerType::crop:
      crop_class = true;
      out.push_back({l.name, "Crop(cropping=" + plan::pairs(l.cropping.pairs) + ")", "PyTorch has no cropping module; Crop is defined above"});
      break;
    case LayerType::upsample: {
      std::string scale = "(";
      for (size_t a = 0; a < l.scale.size(); ++a) scale += (a ? ", " : "") + to_string(l.scale[a]) + ".0";
      scale += l.scale.size() == 1 ? ",)" : ")";
      out.push_back({l.name, "nn.Upsample(scale_factor=" + scale + ", mode='nearest')", ""});
      break;
    }
    case LayerType::flatten:
      if (!p.graph) out.push_back({l.name, "nn.Flatten()", ""});  // a graph's forward() calls torch.flatten
      break;
    case LayerType::dense: {
      const int64_t in = l.in_features ? *l.in_features : s.last_axis;
      std::string comment;
      if (s.rank > 2 && p.framework == Framework::tensorflow)
        comment = "this Linear mixes the last axis, which is W in PyTorch's layout but C in TensorFlow's";
      const std::string bias = l.bias ? "" : ", bias=False";
      out.push_back({l.name, in > 0 ? "nn.Linear(in_features=" + to_string(in) + ", out_features=" + to_string(l.units) + bias + ")"
                                        : "nn.LazyLinear(out_features=" + to_string(l.units) + bias + ")",
                         comment});
      break;
    }
    case LayerType::relu: out.push_back({l.name, "nn.ReLU()", ""}); break;
    case LayerType::activation: {
      std::string comment;
      const std::string code = activation(l, comment);
      out.push_back({l.name, code, comment});
      break;
    }
    case LayerType::batch_norm: {
      const std::string bd = s.rank <= 3 ? "1d" : d_of(s.rank - 2);
      const int64_t features = l.in_channels ? *l.in_channels : s.channels;
      out.push_back({l.name, features > 0 ? "nn.BatchNorm" + bd + "(" + to_string(features) + ")"
                                                : "nn.LazyBatchNorm" + bd + "()", ""});
      break;
    }
    case LayerType::add:
    case LayerType::subtract:
    case LayerType::multiply:
    case LayerType::average:
    case LayerType::maximum:
    case LayerType::minimum:
    case LayerType::concat:
    case LayerType::crop_to:
    case LayerType::pad_to:
    case LayerType::resize_to:
    case LayerType::channel_shuffle:
    case LayerType::channel_split:
    case LayerType::reshape: break;  // no module: forward() writes them (graph_forward)
    case LayerType::dropout: {
      out.push_back({l.name, "nn.Dropout(p=" + json::write(json::Value(l.rate), -1) + ")", ""});
      break;
    }
  }
}

// What a graph's forward() writes for a layer that is an expression rather
// than a module: merges the way people write them by hand, and the
// make-them-fit layers computing their amounts from the tensors' sizes at run
// time, by the rules of merge_rules.cpp (pad_to: diff // 2 at the start, the
// rest at the end; crop_to: (in - ref) // 2 off the start).
struct Forward {
  const Plan& p;
  const std::vector<std::string>& vars;  // each layer's variable

  std::string var(int32_t k) const { return k == kNetworkInput ? "x" : vars[static_cast<size_t>(k)]; }

  // Input k of step s as an operand; TensorFlow's element-wise merges expand
  // a lower-rank input after the batch axis ((N, C) -> (N, 1, 1, C)), which
  // in PyTorch's layout is (N, C, 1, 1), where PyTorch would align it from the right.
  std::string operand(const Step& s, size_t k, bool elementwise) const {
    const std::string v = var(s.inputs[k]);
    const size_t top = *std::max_element(s.in_ranks.begin(), s.in_ranks.end());
    if (!elementwise || p.framework != Framework::tensorflow || s.in_ranks[k] != 2 || top != p.spatial_rank + 2) return v;
    std::string index = v + "[:, :";
    for (size_t a = 0; a < p.spatial_rank; ++a) index += ", None";
    return index + "]";
  }

  std::string joined(const Step& s, const char* op, bool elementwise) const {
    std::string out;
    for (size_t k = 0; k < s.inputs.size(); ++k) out += (k ? op : "") + operand(s, k, elementwise);
    return out;
  }

  std::string nested(const Step& s, const std::string& fn) const {
    std::string out = operand(s, 0, true);
    for (size_t k = 1; k < s.inputs.size(); ++k) out = fn + "(" + out + ", " + operand(s, k, true) + ")";
    return out;
  }

  // The differences of the spatial sizes, one variable per axis: diff_h = a.size(2) - b.size(2).
  std::string differences(const std::string& a, const std::string& b, std::vector<std::string>& names) const {
    std::string lines;
    for (size_t ax = 0; ax < p.spatial_rank; ++ax) {
      std::string label = conventions::spatial_axis_label(p.spatial_rank, ax);
      for (char& c : label) c = static_cast<char>(c - 'A' + 'a');
      names.push_back("diff_" + label);
      const std::string dim = to_string(ax + 2);
      lines += "        " + names.back() + " = " + a + ".size(" + dim + ") - " + b + ".size(" + dim + ")\n";
    }
    return lines;
  }

  // Lines that set `out` for a layer with no module.
  std::string expression(const Step& s, const std::string& out, bool& uses_f) const {
    const Layer& l = *s.layer;
    const std::string set = "        " + out + " = ";
    switch (l.type) {
      case LayerType::flatten: return set + "torch.flatten(" + var(s.inputs[0]) + ", 1)\n";
      case LayerType::add: return set + joined(s, " + ", true) + "\n";
      case LayerType::subtract: return set + joined(s, " - ", true) + "\n";
      case LayerType::multiply: return set + joined(s, " * ", true) + "\n";
      // The broadcasting fold of layer_types.cpp: (a + b + ...) / n.
      case LayerType::average: return set + "(" + joined(s, " + ", true) + ") / " + to_string(s.inputs.size()) + "\n";
      case LayerType::maximum: return set + nested(s, "torch.maximum") + "\n";
      case LayerType::minimum: return set + nested(s, "torch.minimum") + "\n";
      case LayerType::concat:
        return set + "torch.cat([" + joined(s, ", ", false) + "], dim=" + to_string(plan::concat_axis(p, s, false)) + ")\n";
      case LayerType::crop_to: {
        const std::string t = var(s.inputs[0]), ref = var(s.inputs[1]);
        std::vector<std::string> diff;
        std::string code = "        # centre crop of " + t + " to " + ref + "'s size: (in - ref) // 2 off the start, the rest off the end\n" +
                           differences(t, ref, diff) + set + t + "[:, :";
        for (size_t ax = 0; ax < diff.size(); ++ax)
          code += ", " + diff[ax] + " // 2:" + diff[ax] + " // 2 + " + ref + ".size(" + to_string(ax + 2) + ")";
        return code + "]\n";
      }
      case LayerType::pad_to: {
        uses_f = true;
        const std::string t = var(s.inputs[0]), ref = var(s.inputs[1]);
        std::vector<std::string> diff;
        std::string code = "        # " + t + " padded to " + ref + "'s size, the odd cell at the end (a negative difference crops)\n" +
                           differences(ref, t, diff) + set + "F.pad(" + t + ", [";
        // F.pad takes the last axis first.
        for (size_t ax = diff.size(); ax-- > 0;)
          code += diff[ax] + " // 2, " + diff[ax] + " - " + diff[ax] + " // 2" + (ax ? ", " : "");
        return code + "])\n";
      }
      case LayerType::channel_shuffle:
        return set + "channel_shuffle(" + var(s.inputs[0]) + ", " + to_string(l.groups) + ")\n";
      case LayerType::reshape: {
        // x.reshape rather than x.view: the same sizes and the same error
        // text (PyTorch 1.13), and it also takes a non-contiguous input (a
        // crop_to's slice), which x.view refuses.
        const std::string in = var(s.inputs[0]);
        std::string sizes;
        for (int64_t d : plan::target_shape(p, l)) sizes += ", " + to_string(d);
        return set + in + ".reshape(" + (l.infer_batch ? std::string("-1") : in + ".size(0)") + sizes + ")\n";
      }
      case LayerType::channel_split:
        return set + var(s.inputs[0]) + ".chunk(" + to_string(l.chunks) + ", dim=1)[" + to_string(l.index) + "]\n";
      case LayerType::resize_to:
        uses_f = true;
        return set + "F.interpolate(" + var(s.inputs[0]) + ", size=" + var(s.inputs[1]) + ".shape[2:], mode='nearest')\n";
      default: return "";
    }
  }
};

// A graph as an nn.Module: one attribute per module layer, named after the
// layer, and a forward() that gives every layer's output a variable named
// after it, in the network's order (so it raises where the analysis fails).
std::string graph_code(const Plan& p, bool& crop_class, bool& uses_f) {
  std::vector<std::string> reserved = plan::module_attributes();
  for (const char* r : {"x", "self", "torch", "nn", "F", "channel_shuffle", "diff_l", "diff_d", "diff_h", "diff_w"}) reserved.push_back(r);
  std::vector<std::string> used, vars;
  for (const Step& s : p.steps) vars.push_back(plan::identifier(s.layer->name, to_string(s.layer->type), reserved, used));
  std::vector<std::vector<Module>> modules(p.steps.size());
  for (size_t i = 0; i < p.steps.size(); ++i) layer_modules(p, p.steps[i], modules[i], crop_class);
  std::string init, forward;
  const Forward f{p, vars};
  for (size_t i = 0; i < p.steps.size(); ++i) {
    const Step& s = p.steps[i];
    const Layer& l = *s.layer;
    if (modules[i].empty()) {
      forward += f.expression(s, vars[i], uses_f);
      continue;
    }
    std::string call = f.var(s.inputs[0]);
    for (const Module& m : modules[i]) {
      // The layer's own module takes its variable's name; an added one (a padding before it) its own.
      const std::string attribute = m.name == l.name ? vars[i] : plan::identifier(m.name, "module", reserved, used);
      if (!m.comment.empty()) init += "        # " + m.comment + "\n";
      init += "        self." + attribute + " = " + m.code + "\n";
      call = "self." + attribute + "(" + call + ")";
    }
    if ((l.type == LayerType::global_avg_pool || l.type == LayerType::global_max_pool) && !l.keepdims) {
      forward += "        # Keras' global pooling drops the spatial axes\n";
      call = "torch.flatten(" + call + ", 1)";
    }
    forward += "        " + vars[i] + " = " + call + "\n";
  }
  std::string returned;
  for (size_t k = 0; k < p.outputs.size(); ++k) returned += (k ? ", " : "") + vars[p.outputs[k]];
  return "class Model(nn.Module):\n    def __init__(self):\n        super().__init__()\n" + init +
         "\n    def forward(self, x):\n" + forward + "        return " + returned + "\n\n\nmodel = Model()\n";
}

}  // namespace

std::string pytorch_code(const Network& net) {
  const Plan p = plan::make(net);
  std::string code = "# PyTorch code exported by ConvScope";
  code += p.framework == Framework::pytorch ? ".\n" : std::string(" from a ") + to_string(p.framework) + " network.\n";
  if (!p.failure.empty())
    code += "# ConvScope: this network fails at " + p.failure + "\n# Running it raises PyTorch's own error for that layer.\n";
  if (p.framework == Framework::tensorflow)
    code += "# Shapes are in PyTorch's layout (N, C, ...), the input's channels moved to axis 1.\n";
  bool crop = false;
  if (p.graph) {
    bool uses_f = false;
    const std::string model = graph_code(p, crop, uses_f);
    code += std::string("import torch\nfrom torch import nn\n") + (uses_f ? "import torch.nn.functional as F\n" : "") + "\n\n";
    if (crop) code += std::string(kCropClass) + "\n\n";
    const bool shuffles = std::any_of(p.steps.begin(), p.steps.end(),
                                      [](const Step& s) { return s.layer->type == LayerType::channel_shuffle; });
    if (shuffles) code += std::string(kChannelShuffle) + "\n\n";
    code += model;
  } else {
    std::vector<Module> modules;
    for (const Step& s : p.steps) layer_modules(p, s, modules, crop);
    const bool named = !p.auto_names || p.framework != Framework::pytorch;
    if (named) code += "from collections import OrderedDict\n\n";
    code += "import torch\nfrom torch import nn\n\n";
    if (crop) code += std::string(kCropClass) + "\n\n";
    code += named ? "model = nn.Sequential(OrderedDict([\n" : "model = nn.Sequential(\n";
    std::vector<std::string> used;
    for (const Module& m : modules) {
      if (!m.comment.empty()) code += "    # " + m.comment + "\n";
      if (named) code += "    (" + plan::string(plan::module_name(m.name, used)) + ", " + m.code + "),\n";
      else code += "    " + m.code + ",\n";
    }
    code += named ? "]))\n\n" : ")\n\n";
  }
  std::vector<int64_t> input = {p.batch, p.channels};
  input.insert(input.end(), p.spatial.begin(), p.spatial.end());
  std::string shape;
  for (size_t i = 0; i < input.size(); ++i) shape += (i ? ", " : "") + to_string(input[i]);
  // A module starts in training mode, which changes BatchNorm's rules: say which one the analysis used.
  code += net.mode == Mode::train ? "model.train()  # as a module starts: BatchNorm uses the batch's statistics\n"
                                  : "model.eval()  # inference: BatchNorm uses its running statistics\n";
  code += "x = torch.zeros(" + shape + ")\n";
  code += p.outputs.size() > 1 ? "for y in model(x):  # the network's outputs, in order\n    print(y.shape)\n"
                               : "print(model(x).shape)\n";
  return code;
}

}  // namespace convscope::import
