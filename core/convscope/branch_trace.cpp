#include "convscope/branch_trace.hpp"

#include <algorithm>

#include "convscope/layer_types.hpp"

namespace convscope {

using std::to_string;

namespace {

// Every layer upstream of `node` (itself included); index n stands for the
// network input.
std::vector<bool> upstream(const Network& net, int32_t node) {
  const size_t n = net.layers.size();
  std::vector<bool> seen(n + 1, false);
  auto slot = [n](int32_t k) { return k == kNetworkInput ? n : static_cast<size_t>(k); };
  std::vector<int32_t> stack{node};
  seen[slot(node)] = true;
  while (!stack.empty()) {
    const int32_t k = stack.back();
    stack.pop_back();
    if (k == kNetworkInput) continue;
    for (int32_t from : inputs_of(net, static_cast<size_t>(k)))
      if (!seen[slot(from)]) {
        seen[slot(from)] = true;
        stack.push_back(from);
      }
  }
  return seen;
}

const Shape* output_of(const Network& net, const Report& rep, int32_t k) {
  if (k == kNetworkInput) return &net.input;
  const auto& out = rep.layers[static_cast<size_t>(k)].output;
  return out ? &*out : nullptr;
}

// How a layer changed the size, in words a person would use.
std::string verb(const Layer& l, int64_t in, int64_t out) {
  const bool strided = std::any_of(l.stride.begin(), l.stride.end(), [](int64_t s) { return s > 1; });
  if (out == in * 2) return "doubles it to";
  if (strided && is_window_type(l.type)) {
    const int64_t s = *std::max_element(l.stride.begin(), l.stride.end());
    if (in % s != 0) return out * s < in ? "floors it to" : "rounds it up to";
    if (out * s == in) return s == 2 ? "halves it to" : "divides it by " + to_string(s) + " to";
  }
  if (out * 2 == in) return "halves it to";
  if (out < in) return "trims it to";
  return "takes it to";
}

std::string spatial_text(const Network& net, const Shape& s) {
  const size_t sr = net.spatial_rank();
  if (s.size() != sr + 2) return "[" + conventions::joined(s, ", ") + "]";
  std::vector<int64_t> sizes;
  for (size_t a = 0; a < sr; ++a) sizes.push_back(s[conventions::spatial_axis(net.framework, a)]);
  return conventions::joined(sizes, "x");
}

// A layer as the trace names it: input_label, with the line of pasted code
// it came from when it has one ("pool3 (line 41)"), so the reader finds it.
std::string traced_name(const Network& net, int32_t k) {
  std::string name = input_label(net, k);
  if (k != kNetworkInput)
    if (const auto& source = net.layers[static_cast<size_t>(k)].source)
      name += " (line " + to_string(source->line) + ")";
  return name;
}

}  // namespace

std::vector<int32_t> path_between(const Network& net, int32_t from, int32_t to) {
  std::vector<int32_t> path{to};
  int32_t at = to;
  while (at != from) {
    if (at == kNetworkInput) return {};
    int32_t next = kNetworkInput - 1;
    for (int32_t k : inputs_of(net, static_cast<size_t>(at)))
      if (k == from || upstream(net, k)[from == kNetworkInput ? net.layers.size() : static_cast<size_t>(from)]) {
        next = k;
        break;
      }
    if (next == kNetworkInput - 1) return {};
    at = next;
    path.push_back(at);
  }
  std::reverse(path.begin(), path.end());
  return path;
}

void trace_branches(const Network& net, Report& rep, size_t merge) {
  LayerReport& m = rep.layers[merge];
  // The reference (input 0) and the first input that disagrees with it.
  const Shape& ref = *m.arriving[0];
  const int64_t rank64 = static_cast<int64_t>(ref.size());
  const int64_t written_axis = net.layers[merge].axis.value_or(net.framework == Framework::tensorflow ? -1 : 1);
  const int64_t concat_axis = m.type == LayerType::concat ? (written_axis + rank64) % std::max<int64_t>(rank64, 1) : -1;
  size_t other = 0, axis = 0;
  for (size_t k = 1; k < m.arriving.size() && !other; ++k) {
    const Shape& s = *m.arriving[k];
    if (s.size() != ref.size()) return;
    // Element-wise: the last axis that differs, as PyTorch reports it (a 1
    // broadcasts there); concat: the first, and a 1 is a difference like any.
    const bool concat = m.type == LayerType::concat;
    for (size_t d = s.size(); d-- > 0;)
      if (s[d] != ref[d] && static_cast<int64_t>(d) != concat_axis && (concat || (s[d] != 1 && ref[d] != 1))) {
        other = k;
        axis = d;
        if (m.type != LayerType::concat) break;
      }
  }
  if (!other) return;
  const int32_t a = m.inputs[0], b = m.inputs[other];
  // The split: the latest layer upstream of both (the input if none).
  const std::vector<bool> up_a = upstream(net, a), up_b = upstream(net, b);
  int32_t split = kNetworkInput;
  for (size_t k = std::min<size_t>(merge, net.layers.size()); k-- > 0;)
    if (up_a[k] && up_b[k]) {
      split = static_cast<int32_t>(k);
      break;
    }
  const Shape* split_shape = output_of(net, rep, split);
  if (!split_shape || split_shape->size() <= axis) return;

  BranchTrace t;
  t.axis = axis;
  const size_t rank = ref.size();
  t.axis_label = axis == 0 ? "N"
                 : axis == conventions::channel_axis(net.framework, rank) ? "C"
                 : rank == net.spatial_rank() + 2
                     ? conventions::spatial_axis_label(net.spatial_rank(), axis - conventions::spatial_axis(net.framework, 0))
                     : "axis " + to_string(axis);
  t.split = split;
  t.split_size = (*split_shape)[axis];
  for (size_t which : {static_cast<size_t>(0), other}) {
    BranchTrace::Branch br;
    br.input = which;
    br.size = (*m.arriving[which])[axis];
    const std::vector<int32_t> path = path_between(net, split, m.inputs[which]);
    int64_t size = t.split_size;
    for (size_t p = 1; p < path.size(); ++p) {
      const Shape* out = output_of(net, rep, path[p]);
      if (!out || out->size() != rank) break;
      const int64_t next = (*out)[axis];
      if (next != size) br.steps.push_back({static_cast<size_t>(path[p]), size, next});
      size = next;
    }
    t.branches.push_back(std::move(br));
  }
  // Plain words: the split, then each path that changes the size.
  const std::string split_name = traced_name(net, split);
  const bool channels = t.axis_label == "C";
  std::string text = split_name + (channels ? " has " + to_string(t.split_size) + " channels"
                                            : " is " + spatial_text(net, *split_shape));
  // The path with steps first: it is the one that changed the size.
  std::vector<const BranchTrace::Branch*> order{&t.branches[0], &t.branches[1]};
  if (order[0]->steps.empty()) std::swap(order[0], order[1]);
  const bool both = !order[0]->steps.empty() && !order[1]->steps.empty();
  for (const BranchTrace::Branch* br : order) {
    if (br->steps.empty()) continue;
    std::string part;
    for (const TraceStep& s : br->steps) {
      const Layer& l = net.layers[s.layer];
      part += (part.empty() ? "" : ", ") + traced_name(net, static_cast<int32_t>(s.layer)) + " " + verb(l, s.in, s.out) +
              " " + to_string(s.out);
    }
    text += "; " + (both ? "on the way to " + traced_name(net, m.inputs[br->input]) + ", " : std::string()) + part;
  }
  text += ": " + to_string(order[0]->size) + " \u2260 " + to_string(order[1]->size);
  if (t.axis_label != "C" && !channels) text += " (" + t.axis_label + ")";
  t.text = std::move(text);
  m.trace = std::move(t);
}

}  // namespace convscope
