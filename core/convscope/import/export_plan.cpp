#include "convscope/import/export_plan.hpp"

#include <algorithm>

#include "convscope/conventions.hpp"
#include "convscope/layer_types.hpp"
#include "convscope/translate.hpp"

namespace convscope::import::plan {

namespace {

// A concat's axis as written, or the framework's default, the channels (merge_rules.cpp's concat_rule).
int64_t written_axis(Framework f, const Layer& l) { return l.axis.value_or(f == Framework::tensorflow ? -1 : 1); }

// What leaves a layer (or the network input), as far as it is known.
struct Flow {
  int64_t channels = -1, last_axis = -1;
  size_t rank = 0;
};

// Follows the sizes where the analysis stopped (after the first error), so
// the code still gets channels right for the layers after it. `in` holds what
// each input brings, in order.
Flow advance(const Network& net, const Layer& l, const std::vector<Flow>& in) {
  Flow f = in[0];
  int64_t& channels = f.channels;
  int64_t& last_axis = f.last_axis;
  size_t& rank = f.rank;
  switch (l.type) {
    case LayerType::conv:
    case LayerType::conv_transpose: channels = l.filters; break;
    case LayerType::depthwise_conv: channels = channels < 0 ? -1 : channels * l.depth_multiplier; break;
    case LayerType::flatten: rank = 2; channels = last_axis = -1; break;
    case LayerType::channel_split:
      if (channels > 0) {  // torch.chunk's piece, as layer_rules.cpp's channel_op
        const int64_t size = (channels + l.chunks - 1) / l.chunks;
        channels = std::max<int64_t>(std::min(size, channels - l.index * size), -1);
      }
      break;
    case LayerType::dense: last_axis = l.units; if (rank == 2) channels = l.units; break;
    case LayerType::reshape: {  // the sizes as written; a -1 leaves the size unknown here
      rank = l.target_shape.size() + 1;
      const auto size = [&](size_t a) { return std::max<int64_t>(l.target_shape[a - 1], -1); };
      last_axis = size(rank - 1);
      channels = rank == 2 ? last_axis : size(conventions::channel_axis(net.framework, rank));
      break;
    }
    case LayerType::global_avg_pool:
    case LayerType::global_max_pool:
      if (!l.keepdims) { rank = 2; last_axis = channels; }
      break;
    case LayerType::concat: {
      // Along the channels the channels add up; along another axis they stay.
      const int64_t r = static_cast<int64_t>(rank);
      const int64_t written = written_axis(net.framework, l);
      const int64_t axis = written < 0 ? written + r : written;
      if (rank > 2 && axis != static_cast<int64_t>(conventions::channel_axis(net.framework, rank))) break;
      for (size_t k = 1; k < in.size(); ++k)
        channels = channels < 0 || in[k].channels < 0 ? -1 : channels + in[k].channels;
      break;
    }
    default: break;
  }
  if (rank > 2 && l.type != LayerType::flatten && l.type != LayerType::dense && l.type != LayerType::reshape) last_axis = -1;
  return f;
}

}  // namespace

Plan make(const Network& net) {
  Plan p;
  p.framework = net.framework;
  p.spatial_rank = net.spatial_rank();
  const size_t sr = p.spatial_rank;
  p.batch = net.input[0];
  p.channels = net.input[conventions::channel_axis(net.framework, net.input.size())];
  for (size_t i = 0; i < sr; ++i) p.spatial.push_back(net.input[conventions::spatial_axis(net.framework, i)]);
  const Report report = analyze(net, {false, false, 0});
  // The channel steps and reshape are expressions in forward() (x.chunk,
  // channel_shuffle, x.reshape), so a chain holding one is written as an
  // nn.Module too.
  p.graph = !is_chain(net) || std::any_of(net.layers.begin(), net.layers.end(), [](const Layer& l) {
              return type_info(l.type).rule == RuleKind::channels || l.type == LayerType::reshape;
            });
  p.outputs = report.outputs;
  const Flow input{p.channels, net.input.back(), net.input.size()};
  std::vector<Flow> flows;  // what leaves each layer
  const auto flow_of = [&](int32_t k) { return k == kNetworkInput ? input : flows[static_cast<size_t>(k)]; };
  const auto from_shape = [&](const Shape& shape) {
    const size_t rank = shape.size();
    return Flow{rank == sr + 2 ? shape[conventions::channel_axis(net.framework, rank)] : shape.back(), shape.back(), rank};
  };
  std::vector<size_t> ordinals(32, 0);
  for (size_t i = 0; i < net.layers.size(); ++i) {
    const Layer& l = net.layers[i];
    const LayerReport& r = report.layers[i];
    Step s;
    s.layer = &l;
    s.inputs = inputs_of(net, i);
    std::vector<Flow> in;
    for (int32_t k : s.inputs) in.push_back(flow_of(k));
    for (size_t k = 0; k < r.arriving.size() && k < in.size(); ++k)
      if (r.arriving[k]) in[k] = from_shape(*r.arriving[k]);
    Flow arriving = in[0];
    if (r.input) {
      arriving = from_shape(*r.input);
      in[0] = arriving;
      if (arriving.rank == sr + 2)
        for (size_t a = 0; a < sr; ++a) s.spatial.push_back((*r.input)[conventions::spatial_axis(net.framework, a)]);
    }
    s.channels = arriving.channels;
    s.last_axis = arriving.last_axis;
    s.rank = arriving.rank;
    for (const Flow& f : in) s.in_ranks.push_back(f.rank);
    if (r.axes.size() == sr)
      for (const auto& w : r.axes) {
        // Cropped cells count as negative padding, as F.pad spells cropping.
        const int64_t sign = w.rule == shape::Rule::crop ? -1 : 1;
        s.pads.push_back({sign * w.pads.begin, sign * w.pads.end});
      }
    if (r.output && r.output->size() == sr + 2)
      for (size_t a = 0; a < sr; ++a) s.out_spatial.push_back((*r.output)[conventions::spatial_axis(net.framework, a)]);
    flows.push_back(r.output ? from_shape(*r.output) : advance(net, l, in));
    const size_t t = static_cast<size_t>(l.type);
    if (l.name != conventions::auto_layer_name(net.framework, l.type, sr, i, ordinals[t]++)) p.auto_names = false;
    p.steps.push_back(s);
  }
  if (report.first_error) {
    const LayerReport& r = report.layers[*report.first_error];
    // Counted from 1, as the page's verdict says it ("layer 6 of 8").
    p.failure = "layer " + std::to_string(*report.first_error + 1) + " of " + std::to_string(report.layers.size()) +
                " (" + r.name + "): " + r.message;
  }
  return p;
}

std::vector<int64_t> target_shape(const Plan& p, const Layer& l, bool channels_last) {
  const Framework to = channels_last ? Framework::tensorflow : Framework::pytorch;
  std::vector<int64_t> full = l.target_shape;
  full.insert(full.begin(), 1);
  full = in_layout(full, p.framework, to);
  return {full.begin() + 1, full.end()};
}

int64_t concat_axis(const Plan& p, const Step& s, bool channels_last) {
  const Layer& l = *s.layer;
  const int64_t written = written_axis(p.framework, l);
  const int64_t rank = static_cast<int64_t>(s.rank);
  if (rank == 0 || written < -rank || written >= rank) return written;
  const int64_t axis = written < 0 ? written + rank : written;
  const bool source_last = p.framework == Framework::tensorflow;
  if (s.rank != p.spatial_rank + 2 || axis == 0 || source_last == channels_last) return axis;
  // Moving the channels: the source's channel axis becomes the target's, the
  // spatial axes keep their order.
  if (source_last) return axis == rank - 1 ? 1 : axis + 1;
  return axis == 1 ? rank - 1 : axis - 1;
}

std::string tuple(const std::vector<int64_t>& v) {
  std::string s = "(";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + (v.size() == 1 ? ",)" : ")");
}

std::string pairs(const std::vector<std::pair<int64_t, int64_t>>& v) {
  std::string s = "(";
  for (size_t i = 0; i < v.size(); ++i)
    s += (i ? ", " : "") + tuple({v[i].first, v[i].second});
  return s + (v.size() == 1 ? ",)" : ")");
}

std::string string(const std::string& s) {
  static const char* const kHex = "0123456789abcdef";
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') out += std::string("\\") + static_cast<char>(c);
    else if (c < 0x20 || c == 0x7f) out += std::string("\\x") + kHex[c >> 4] + kHex[c & 15];
    else out += static_cast<char>(c);
  }
  return out + "\"";
}

const std::vector<std::string>& module_attributes() {
  // nn.Module attributes a child may not shadow (add_module refuses them).
  static const std::vector<std::string> kReserved = {"forward", "train", "eval", "to", "cuda", "cpu", "float", "double",
                                                     "half", "type", "apply", "training", "parameters", "modules",
                                                     "children", "state_dict", "zero_grad", "add_module", "buffers"};
  return kReserved;
}

std::string module_name(const std::string& name, std::vector<std::string>& used) {
  const std::vector<std::string>& kReserved = module_attributes();
  std::string s;
  for (char c : name)
    s += ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_') ? c : '_';
  if (s.empty()) s = "layer";
  if (std::find(kReserved.begin(), kReserved.end(), s) != kReserved.end()) s += "_";
  std::string unique = s;
  for (int k = 2; std::find(used.begin(), used.end(), unique) != used.end(); ++k) unique = s + "_" + std::to_string(k);
  used.push_back(unique);
  return unique;
}

std::string identifier(const std::string& name, const std::string& prefix, const std::vector<std::string>& reserved,
                       std::vector<std::string>& used) {
  static const char* const kKeywords[] = {"False", "None", "True", "and", "as", "assert", "async", "await", "break",
                                          "class", "continue", "def", "del", "elif", "else", "except", "finally",
                                          "for", "from", "global", "if", "import", "in", "is", "lambda", "nonlocal",
                                          "not", "or", "pass", "raise", "return", "try", "while", "with", "yield",
                                          // builtins a reader would not expect to see reassigned
                                          "abs", "all", "any", "bool", "dict", "filter", "float", "id", "int",
                                          "iter", "len", "list", "map", "max", "min", "next", "object", "print",
                                          "range", "round", "set", "slice", "str", "sum", "super", "tuple", "type",
                                          "zip"};
  std::string s;
  for (char c : name)
    s += ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_') ? c : '_';
  if (s.empty()) s = prefix;
  else if (s[0] >= '0' && s[0] <= '9') s = prefix + "_" + s;
  if (std::any_of(std::begin(kKeywords), std::end(kKeywords), [&](const char* k) { return s == k; }) ||
      std::find(reserved.begin(), reserved.end(), s) != reserved.end())
    s += "_";
  std::string unique = s;
  for (int k = 2; std::find(used.begin(), used.end(), unique) != used.end(); ++k) unique = s + "_" + std::to_string(k);
  used.push_back(unique);
  return unique;
}

}  // namespace convscope::import::plan
