#include "convscope/import/export_plan.hpp"

#include <algorithm>

#include "convscope/conventions.hpp"

namespace convscope::import::plan {

namespace {

// Follows the sizes where the analysis stopped (after the first error), so
// the code still gets channels right for the layers after it.
void advance(const Layer& l, int64_t& channels, int64_t& last_axis, size_t& rank) {
  switch (l.type) {
    case LayerType::conv:
    case LayerType::conv_transpose: channels = l.filters; break;
    case LayerType::depthwise_conv: channels = channels < 0 ? -1 : channels * l.depth_multiplier; break;
    case LayerType::flatten: rank = 2; channels = last_axis = -1; break;
    case LayerType::dense: last_axis = l.units; if (rank == 2) channels = l.units; break;
    case LayerType::global_avg_pool:
    case LayerType::global_max_pool:
      if (!l.keepdims) { rank = 2; last_axis = channels; }
      break;
    default: break;
  }
  if (rank > 2 && l.type != LayerType::flatten && l.type != LayerType::dense) last_axis = -1;
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
  int64_t channels = p.channels, last_axis = net.input.back();
  size_t rank = net.input.size();
  std::vector<size_t> ordinals(32, 0);
  for (size_t i = 0; i < net.layers.size(); ++i) {
    const Layer& l = net.layers[i];
    const LayerReport& r = report.layers[i];
    Step s;
    s.layer = &l;
    if (r.input) {
      rank = r.input->size();
      last_axis = r.input->back();
      channels = rank == sr + 2 ? (*r.input)[conventions::channel_axis(net.framework, rank)] : r.input->back();
      if (rank == sr + 2)
        for (size_t a = 0; a < sr; ++a) s.spatial.push_back((*r.input)[conventions::spatial_axis(net.framework, a)]);
    }
    s.channels = channels;
    s.last_axis = last_axis;
    s.rank = rank;
    if (r.axes.size() == sr)
      for (const auto& w : r.axes) s.pads.push_back({w.pads.begin, w.pads.end});
    if (r.output && r.output->size() == sr + 2)
      for (size_t a = 0; a < sr; ++a) s.out_spatial.push_back((*r.output)[conventions::spatial_axis(net.framework, a)]);
    if (r.output) {
      rank = r.output->size();
      last_axis = r.output->back();
      channels = rank == sr + 2 ? (*r.output)[conventions::channel_axis(net.framework, rank)] : r.output->back();
    } else {
      advance(l, channels, last_axis, rank);
    }
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

std::string module_name(const std::string& name, std::vector<std::string>& used) {
  // nn.Module attributes a child may not shadow (add_module refuses them).
  static const char* const kReserved[] = {"forward", "train", "eval", "to", "cuda", "cpu", "float", "double",
                                          "half", "type", "apply", "training", "parameters", "modules",
                                          "children", "state_dict", "zero_grad", "add_module", "buffers"};
  std::string s;
  for (char c : name)
    s += ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_') ? c : '_';
  if (s.empty()) s = "layer";
  if (std::any_of(std::begin(kReserved), std::end(kReserved), [&](const char* r) { return s == r; })) s += "_";
  std::string unique = s;
  for (int k = 2; std::find(used.begin(), used.end(), unique) != used.end(); ++k) unique = s + "_" + std::to_string(k);
  used.push_back(unique);
  return unique;
}

}  // namespace convscope::import::plan
