// The network as Keras code: keras.Sequential (a chain) or the functional
// API (a graph), with keyword arguments named as in each layer's
// get_config(), so the code maps one to one onto the JSON `model.to_json()`
// writes (and ConvScope's Keras importer reads).
#include <algorithm>

#include "convscope/import/export.hpp"
#include "convscope/import/export_plan.hpp"
#include "convscope/import/names.hpp"
#include "convscope/json.hpp"
#include "convscope/layer_types.hpp"

namespace convscope::import {

using plan::Plan;
using plan::Step;
using plan::tuple;
using std::to_string;

namespace {

struct Line {
  std::string name;     // the layer's name ("" for an added layer named after it)
  std::string cls;      // "Conv2D"
  std::string args;     // "filters=32, kernel_size=(3, 3)"
  std::string comment;
};

std::string d_of(size_t sr) { return to_string(sr) + "D"; }

bool all_zero(const std::vector<std::pair<int64_t, int64_t>>& v) {
  return std::all_of(v.begin(), v.end(), [](const auto& p) { return p.first == 0 && p.second == 0; });
}

// Keras' amounts: ZeroPadding1D and Cropping1D take one (begin, end) pair,
// the 2-D and 3-D layers one pair per axis.
std::string amounts(const std::vector<std::pair<int64_t, int64_t>>& v) {
  return v.size() == 1 ? tuple({v[0].first, v[0].second}) : plan::pairs(v);
}

// Keras takes "valid" or "same" only: other padding becomes a ZeroPadding
// layer before a "valid" one.
std::string padding_for(const Plan& p, const Step& s, std::vector<Line>& out, bool pool) {
  const Layer& l = *s.layer;
  const size_t sr = p.spatial_rank;
  if (l.padding.mode == PadMode::valid) return "\"valid\"";
  if (l.padding.mode == PadMode::same) return "\"same\"";  // TF, PyTorch (stride 1) and ONNX SAME_UPPER agree
  const auto& pairs = l.padding.mode == PadMode::explicit_pads ? l.padding.pairs : s.pads;
  if (pairs.size() != sr) {
    out.push_back({"", "", "", "the padding of " + l.name + " depends on sizes ConvScope could not compute; none is written"});
    return "\"valid\"";
  }
  if (all_zero(pairs)) return "\"valid\"";
  out.push_back({l.name + "_pad", "ZeroPadding" + d_of(sr), "padding=" + amounts(pairs),
                 "Keras pads only as \"valid\" or \"same\": the padding comes first as its own layer" +
                     std::string(pool ? " (zeros, where the source ignores padded cells; the sizes are the same)" : "")});
  return "\"valid\"";
}

void conv(const Plan& p, const Step& s, std::vector<Line>& out) {
  const Layer& l = *s.layer;
  const size_t sr = p.spatial_rank;
  const std::string padding = padding_for(p, s, out, false);
  std::string args;
  std::string cls;
  if (l.type == LayerType::depthwise_conv && sr < 3) {
    cls = "DepthwiseConv" + d_of(sr);
    args = "kernel_size=" + tuple(l.kernel) + ", strides=" + tuple(l.stride) + ", padding=" + padding +
           ", depth_multiplier=" + to_string(l.depth_multiplier) + ", dilation_rate=" + tuple(l.dilation);
  } else {
    const bool depthwise = l.type == LayerType::depthwise_conv;  // 3-D: Keras has no DepthwiseConv3D
    const int64_t filters = depthwise ? std::max<int64_t>(s.channels, 1) * l.depth_multiplier : l.filters;
    const int64_t groups = depthwise ? std::max<int64_t>(s.channels, 1) : l.groups;
    cls = "Conv" + d_of(sr);
    args = "filters=" + to_string(filters) + ", kernel_size=" + tuple(l.kernel) + ", strides=" + tuple(l.stride) +
           ", padding=" + padding + ", dilation_rate=" + tuple(l.dilation);
    if (groups > 1) args += ", groups=" + to_string(groups);
  }
  if (!l.bias) args += ", use_bias=False";
  out.push_back({l.name, cls, args, ""});
}

void transposed(const Plan& p, const Step& s, std::vector<Line>& out) {
  const Layer& l = *s.layer;
  const size_t sr = p.spatial_rank;
  std::string args = "filters=" + to_string(l.filters) + ", kernel_size=" + tuple(l.kernel) + ", strides=" +
                     tuple(l.stride);
  std::string comment;
  std::vector<std::pair<int64_t, int64_t>> crop;
  if (p.framework == Framework::tensorflow || l.padding.mode == PadMode::same) {
    args += std::string(", padding=\"") + (l.padding.mode == PadMode::same ? "same" : "valid") + "\"";
    if (!l.output_padding.empty()) args += ", output_padding=" + tuple(l.output_padding);
  } else {
    // PyTorch / ONNX pads: Keras "valid" with the output_padding, then crop.
    args += ", padding=\"valid\", output_padding=" +
            tuple(l.output_padding.empty() ? std::vector<int64_t>(sr, 0) : l.output_padding);
    if (l.padding.mode == PadMode::explicit_pads && !all_zero(l.padding.pairs)) crop = l.padding.pairs;
  }
  args += ", dilation_rate=" + tuple(l.dilation);
  if (l.groups > 1) comment = "Keras' transposed convolutions have no groups; groups=" + to_string(l.groups) + " is dropped";
  if (!l.bias) args += ", use_bias=False";
  out.push_back({l.name, "Conv" + d_of(sr) + "Transpose", args, comment});
  if (!crop.empty())
    out.push_back({l.name + "_crop", "Cropping" + d_of(sr), "cropping=" + amounts(crop),
                   "the source's padding removes cells from the output: Keras crops them"});
}

void pool(const Plan& p, const Step& s, std::vector<Line>& out) {
  const Layer& l = *s.layer;
  const bool max = l.type == LayerType::max_pool;
  const std::string padding = padding_for(p, s, out, true);
  std::string comment;
  if (l.ceil_mode) comment = "Keras has no ceil_mode: this pool drops the last partial window, the source keeps it";
  if (std::any_of(l.dilation.begin(), l.dilation.end(), [](int64_t d) { return d > 1; }))
    comment = "Keras pooling has no dilation: dilation " + tuple(l.dilation) + " is dropped";
  out.push_back({l.name, std::string(max ? "MaxPooling" : "AveragePooling") + d_of(p.spatial_rank),
                 "pool_size=" + tuple(l.kernel) + ", strides=" + tuple(l.stride) + ", padding=" + padding, comment});
}

void adaptive(const Plan& p, const Step& s, std::vector<Line>& out) {
  const Layer& l = *s.layer;
  const size_t sr = p.spatial_rank;
  if (std::all_of(l.output_size.begin(), l.output_size.end(), [](int64_t o) { return o == 1; })) {
    out.push_back({l.name, "GlobalAveragePooling" + d_of(sr), "keepdims=True", "adaptive pooling to 1"});
    return;
  }
  std::vector<int64_t> pool;
  for (size_t a = 0; a < sr && s.spatial.size() == sr; ++a)
    if (s.spatial[a] % l.output_size[a] == 0) pool.push_back(s.spatial[a] / l.output_size[a]);
  if (pool.size() != sr) {
    out.push_back({"", "", "", "Keras has no adaptive pooling, and the input of " + l.name +
                                   " does not divide into its output_size: left out"});
    return;
  }
  out.push_back({l.name, "AveragePooling" + d_of(sr), "pool_size=" + tuple(pool) + ", strides=" + tuple(pool),
                 "adaptive pooling to " + tuple(l.output_size) + " on this input is a plain average pooling"});
}

// The layers that compute one layer: usually one, named after it, with an
// explicit padding or cropping layer beside it where Keras cannot pad as the
// source does, or only a comment where Keras has no equivalent; none for the
// merges (graph_code writes them).
void layer_lines(const Plan& p, const Step& s, std::vector<Line>& out) {
  const size_t sr = p.spatial_rank;
  const Layer& l = *s.layer;
  switch (l.type) {
    case LayerType::conv:
    case LayerType::depthwise_conv: conv(p, s, out); break;
    case LayerType::conv_transpose: transposed(p, s, out); break;
    case LayerType::max_pool:
    case LayerType::avg_pool: pool(p, s, out); break;
    case LayerType::global_avg_pool:
    case LayerType::global_max_pool:
      out.push_back({l.name, std::string(l.type == LayerType::global_avg_pool ? "GlobalAveragePooling" : "GlobalMaxPooling") + d_of(sr),
                       std::string("keepdims=") + (l.keepdims ? "True" : "False"), ""});
      break;
    case LayerType::adaptive_avg_pool: adaptive(p, s, out); break;
    case LayerType::zero_pad: out.push_back({l.name, "ZeroPadding" + d_of(sr), "padding=" + amounts(l.padding.pairs), ""}); break;
    case LayerType::crop: out.push_back({l.name, "Cropping" + d_of(sr), "cropping=" + amounts(l.cropping.pairs), ""}); break;
    case LayerType::upsample: out.push_back({l.name, "UpSampling" + d_of(sr), "size=" + tuple(l.scale), ""}); break;
    case LayerType::flatten: out.push_back({l.name, "Flatten", "", ""}); break;
    case LayerType::dense:
      out.push_back({l.name, "Dense", "units=" + to_string(l.units) + (l.bias ? "" : ", use_bias=False"),
                       l.in_features ? "in_features=" + to_string(*l.in_features) + " is declared in the source; Keras infers it from the input" : ""});
      break;
    case LayerType::relu: out.push_back({l.name, "ReLU", "", ""}); break;
    case LayerType::activation: {
      const names::Activation* a = names::activation_by_function(l.function);
      if (a && a->keras) out.push_back({l.name, "Activation", "activation=" + plan::string(a->keras), ""});
      else out.push_back({l.name, "Activation", "activation=\"linear\"", "Keras has no activation " + l.function + "; linear keeps the shape"});
      break;
    }
    case LayerType::batch_norm: out.push_back({l.name, "BatchNormalization", "", ""}); break;
    case LayerType::add:
    case LayerType::subtract:
    case LayerType::multiply:
    case LayerType::average:
    case LayerType::maximum:
    case LayerType::minimum:
    case LayerType::concat:
    case LayerType::crop_to:
    case LayerType::pad_to:
    case LayerType::resize_to: break;  // the functional API's calls (graph_code)
    case LayerType::dropout: out.push_back({l.name, "Dropout", "rate=" + json::write(json::Value(l.rate), -1), ""}); break;
    case LayerType::channel_shuffle: {
      // PyTorch's (N, g, C/g, ...) view over channels-last: split the last
      // axis into (g, C/g), swap the two, merge them back.
      const std::string g = to_string(l.groups);
      out.push_back({l.name, "Lambda",
                     "lambda t: keras.ops.reshape(keras.ops.swapaxes(keras.ops.reshape(t, (-1, *t.shape[1:-1], " + g +
                         ", t.shape[-1] // " + g + ")), -1, -2), (-1, *t.shape[1:]))",
                     "Keras has no channel shuffle layer: ShuffleNet's shuffle of " + g + " groups on the last axis"});
      break;
    }
    case LayerType::reshape: {
      const std::vector<int64_t> shape = plan::target_shape(p, l, true);
      std::string comment;
      if (p.framework != Framework::tensorflow && shape != l.target_shape)
        comment = "the sizes after the batch in Keras' layout (channels last)";
      if (l.infer_batch)
        comment += std::string(comment.empty() ? "" : "; ") +
                   "the source infers the batch (x.view(-1, ...)); Keras' Reshape keeps it";
      out.push_back({l.name, "Reshape", "target_shape=" + tuple(shape), comment});
      break;
    }
    case LayerType::channel_split: {
      if (s.channels <= 0) {
        out.push_back({"", "", "", l.name + ": the channels arriving are unknown here (after the first error); the tensor passes unchanged"});
        break;
      }
      // torch.chunk's pieces: ceil(C / chunks) channels each, the last smaller.
      const int64_t size = (s.channels + l.chunks - 1) / l.chunks;
      const int64_t begin = l.index * size, end = std::min(begin + size, s.channels);
      out.push_back({l.name, "Lambda", "lambda t: t[..., " + to_string(begin) + ":" + to_string(end) + "]",
                     "Keras has no channel split layer: chunk " + to_string(l.index) + " of " + to_string(l.chunks) +
                         " (x.chunk(" + to_string(l.chunks) + ", dim=1)[" + to_string(l.index) + "]) of the " +
                         to_string(s.channels) + " channels arriving here"});
      break;
    }
  }
}

const char* merge_class(LayerType t) {
  switch (t) {
    case LayerType::add: return "Add";
    case LayerType::subtract: return "Subtract";
    case LayerType::multiply: return "Multiply";
    case LayerType::average: return "Average";
    case LayerType::maximum: return "Maximum";
    case LayerType::minimum: return "Minimum";
    default: return "Concatenate";
  }
}

// crop_to and pad_to: Keras layers take fixed amounts, so the code carries
// the ones the analysis computed for this input (positive: ZeroPadding,
// negative: Cropping, both where the axes differ).
void fit_lines(const Plan& p, const Step& s, std::vector<Line>& out) {
  const Layer& l = *s.layer;
  const size_t sr = p.spatial_rank;
  if (s.pads.size() != sr) {
    out.push_back({"", "", "", l.name + ": the amounts depend on sizes ConvScope could not compute (after the first error); "
                                        "the tensor passes unchanged"});
    return;
  }
  std::vector<std::pair<int64_t, int64_t>> pad, crop;
  for (const auto& q : s.pads) {
    pad.push_back({std::max<int64_t>(q.first, 0), std::max<int64_t>(q.second, 0)});
    crop.push_back({std::max<int64_t>(-q.first, 0), std::max<int64_t>(-q.second, 0)});
  }
  const bool pads = !all_zero(pad), crops = !all_zero(crop);
  const std::string reference = s.inputs[1] == kNetworkInput ? "the input" : p.steps[static_cast<size_t>(s.inputs[1])].layer->name;
  const std::string comment = l.name + ": " + (l.type == LayerType::crop_to ? "centre crop" : "padding") + " to " +
                              reference + "'s size by the amounts ConvScope computed for this input (Keras layers "
                              "take fixed amounts: another input size needs others)";
  if (pads || !crops) out.push_back({crops ? l.name + "_pad" : l.name, "ZeroPadding" + d_of(sr), "padding=" + amounts(pad), comment});
  if (crops) out.push_back({l.name, "Cropping" + d_of(sr), "cropping=" + amounts(crop), pads ? "" : comment});
}

// resize_to: Resizing to the size the analysis computed (2-D), or UpSampling
// by the whole factor that gives it (Keras has no 1-D or 3-D resizing).
void resize_lines(const Plan& p, const Step& s, std::vector<Line>& out) {
  const Layer& l = *s.layer;
  const size_t sr = p.spatial_rank;
  if (s.out_spatial.size() != sr || s.spatial.size() != sr) {
    out.push_back({"", "", "", l.name + ": the size depends on sizes ConvScope could not compute (after the first error); "
                                        "the tensor passes unchanged"});
    return;
  }
  if (sr == 2) {
    out.push_back({l.name, "Resizing", "height=" + to_string(s.out_spatial[0]) + ", width=" + to_string(s.out_spatial[1]) +
                                           ", interpolation=\"nearest\"",
                   "the size ConvScope computed for this input: Resizing takes a fixed size"});
    return;
  }
  std::vector<int64_t> factor;
  for (size_t a = 0; a < sr; ++a)
    if (s.out_spatial[a] % s.spatial[a] == 0) factor.push_back(s.out_spatial[a] / s.spatial[a]);
  if (factor.size() != sr) {
    out.push_back({"", "", "", l.name + ": Keras has no " + to_string(sr) + "-D resizing layer, and " + tuple(s.spatial) +
                                   " to " + tuple(s.out_spatial) + " is no whole upsampling factor: the tensor passes unchanged"});
    return;
  }
  out.push_back({l.name, "UpSampling" + d_of(sr), "size=" + tuple(factor),
                 "Keras has no " + to_string(sr) + "-D resizing layer: UpSampling by " + tuple(factor) +
                     " gives the reference's size on this input"});
}

// A graph in Keras' functional API: one variable per layer, named after it,
// each layer called on its inputs, and a Model of the input and every output.
std::string graph_code(const Plan& p) {
  const std::vector<std::string> reserved = {"inputs", "keras", "layers", "model"};
  std::vector<std::string> used, vars, names;
  for (const Step& s : p.steps) vars.push_back(plan::identifier(s.layer->name, to_string(s.layer->type), reserved, used));
  const auto var = [&](int32_t k) { return k == kNetworkInput ? std::string("inputs") : vars[static_cast<size_t>(k)]; };
  const bool named = !p.auto_names || p.framework != Framework::tensorflow;
  const auto call = [&](const Line& line, const std::string& variable, const std::string& argument) {
    std::string args = line.args;
    if (named) args += std::string(args.empty() ? "" : ", ") + "name=" + plan::string(plan::module_name(line.name, names));
    return variable + " = layers." + line.cls + "(" + args + ")(" + argument + ")\n";
  };
  std::vector<int64_t> shape = p.spatial;
  shape.push_back(p.channels);
  std::string code = "inputs = keras.Input(shape=" + tuple(shape) + ", batch_size=" + to_string(p.batch) + ")\n";
  for (size_t i = 0; i < p.steps.size(); ++i) {
    const Step& s = p.steps[i];
    const Layer& l = *s.layer;
    if (is_merge(l.type)) {
      std::string list, args;
      for (size_t k = 0; k < s.inputs.size(); ++k) list += (k ? ", " : "") + var(s.inputs[k]);
      if (p.framework != Framework::tensorflow &&
          std::any_of(s.in_ranks.begin(), s.in_ranks.end(), [&](size_t r) { return r != s.in_ranks[0]; }))
        code += "# Keras expands a lower-rank input after the batch axis, where the source aligns it from the right\n";
      if (l.type == LayerType::concat) {
        const int64_t axis = plan::concat_axis(p, s, true);
        args = "axis=" + to_string(s.rank == p.spatial_rank + 2 && axis == static_cast<int64_t>(s.rank) - 1 ? -1 : axis);
      }
      code += call({l.name, merge_class(l.type), args, ""}, vars[i], "[" + list + "]");
      continue;
    }
    std::vector<Line> lines;
    if (l.type == LayerType::crop_to || l.type == LayerType::pad_to) fit_lines(p, s, lines);
    else if (l.type == LayerType::resize_to) resize_lines(p, s, lines);
    else layer_lines(p, s, lines);
    std::string current = var(s.inputs[0]);
    bool assigned = false;
    for (const Line& line : lines) {
      if (!line.comment.empty()) code += "# " + line.comment + "\n";
      if (line.cls.empty()) continue;
      // The layer's own call takes its variable; an added one (a padding before it) its own.
      const std::string v = line.name == l.name ? vars[i] : plan::identifier(line.name, "layer", reserved, used);
      code += call(line, v, current);
      current = v;
      assigned = v == vars[i];
    }
    if (!assigned) code += vars[i] + " = " + current + "\n";
  }
  std::string outputs;
  for (size_t k = 0; k < p.outputs.size(); ++k) outputs += (k ? ", " : "") + vars[p.outputs[k]];
  if (p.outputs.size() > 1) outputs = "[" + outputs + "]";
  return code + "\nmodel = keras.Model(inputs=inputs, outputs=" + outputs + ")\n";
}

}  // namespace

std::string keras_code(const Network& net) {
  const Plan p = plan::make(net);
  std::string code = "# Keras code exported by ConvScope";
  code += p.framework == Framework::tensorflow ? ".\n" : std::string(" from a ") + to_string(p.framework) + " network.\n";
  if (!p.failure.empty())
    code += "# ConvScope: this network fails at " + p.failure + "\n# Building it raises Keras' own error for that layer.\n";
  if (p.framework != Framework::tensorflow)
    code += "# Shapes are in Keras' layout (N, ..., C), the input's channels moved to the last axis.\n";
  code += "import keras\nfrom keras import layers\n\n";
  if (p.graph) return code + graph_code(p) + "model.summary()\n";
  std::vector<Line> lines;
  for (const Step& s : p.steps) layer_lines(p, s, lines);
  code += "model = keras.Sequential([\n";
  std::vector<int64_t> shape = p.spatial;
  shape.push_back(p.channels);
  code += "    keras.Input(shape=" + tuple(shape) + ", batch_size=" + to_string(p.batch) + "),\n";
  std::vector<std::string> used;
  for (const Line& line : lines) {
    if (!line.comment.empty()) code += "    # " + line.comment + "\n";
    if (line.cls.empty()) continue;
    std::string args = line.args;
    if (!p.auto_names || p.framework != Framework::tensorflow)
      args += std::string(args.empty() ? "" : ", ") + "name=" + plan::string(plan::module_name(line.name, used));
    code += "    layers." + line.cls + "(" + args + "),\n";
  }
  code += "])\nmodel.summary()\n";
  return code;
}

}  // namespace convscope::import
