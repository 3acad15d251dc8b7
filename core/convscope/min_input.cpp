#include "convscope/min_input.hpp"

#include <algorithm>

#include "convscope/checked.hpp"
#include "convscope/layer_rules.hpp"
#include "convscope/limits.hpp"

namespace convscope {

using std::to_string;

namespace {

bool sizes_spatial_axes(LayerType t) {
  switch (t) {
    case LayerType::conv:
    case LayerType::conv_transpose:
    case LayerType::depthwise_conv:
    case LayerType::max_pool:
    case LayerType::avg_pool:
    case LayerType::zero_pad:
    case LayerType::crop:
    case LayerType::upsample: return true;
    default: return false;
  }
}

// After these the spatial size no longer depends on the input's.
bool ends_spatial_chain(LayerType t) {
  return t == LayerType::flatten || t == LayerType::dense || t == LayerType::global_avg_pool ||
         t == LayerType::global_max_pool || t == LayerType::adaptive_avg_pool || t == LayerType::reshape;
}

// Smallest input along axis i for which the layer outputs at least `need`.
// Every rule is non-decreasing in its input, so where no closed form exists a
// doubling search followed by bisection finds it.
std::optional<int64_t> min_layer_input(Framework fw, const Layer& l, size_t i, int64_t need) {
  checked::clear_overflow();
  const auto reaches = [&](int64_t in) { return axis_size(fw, l, i, in).out >= need; };
  const shape::WindowSize probe = axis_size(fw, l, i, need);
  if (auto in = shape::closed_form_min_input(probe, need)) {
    if (!checked::overflowed() && *in <= limits::max_dimension && reaches(*in) && !checked::overflowed())
      return in;
  }
  checked::clear_overflow();
  int64_t hi = 1;
  while (!reaches(hi)) {
    if (hi > limits::max_dimension || checked::overflowed()) return std::nullopt;
    hi *= 2;
  }
  if (hi == 1) return 1;
  int64_t lo = hi / 2 + 1;  // reaches(hi / 2) is false
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo) / 2;
    if (reaches(mid)) hi = mid; else lo = mid + 1;
  }
  if (checked::overflowed()) return std::nullopt;
  return hi;
}

Network with_spatial_input(const Network& net, const Shape& spatial) {
  Network n = net;
  for (size_t a = 0; a < spatial.size(); ++a)
    n.input[conventions::spatial_axis(net.framework, a)] = spatial[a];
  return n;
}

std::string spatial_text(const Shape& s) { return conventions::joined(s, "x"); }

// A dense layer's declared in_features pins the flattened size, which no
// per-axis bound captures: search inputs in order of increasing total size
// (so the first hit is Pareto-minimal: no axis can shrink with the others
// kept; another input with a larger total may also be), within a work budget.
std::optional<Shape> search_for_dense(const Network& net, const Shape& start) {
  const size_t sr = start.size();
  const size_t layers = std::max<size_t>(net.layers.size(), 1);
  size_t evaluations = std::max<size_t>(64, 300000 / layers);
  for (int64_t total = 1; evaluations > 0 && total < 4096; ++total) {
    // Every split of `total` extra cells over the axes.
    std::vector<int64_t> extra(sr, 0);
    extra[0] = total;
    while (true) {
      Shape candidate = start;
      bool in_range = true;
      for (size_t a = 0; a < sr; ++a) {
        candidate[a] += extra[a];
        in_range = in_range && candidate[a] <= limits::max_dimension;
      }
      // Every candidate counts against the budget, in range or not, so the
      // search is bounded even when the start is near the dimension limit.
      if (evaluations-- == 0) return std::nullopt;
      if (in_range && propagate(with_spatial_input(net, candidate), false).ok) return candidate;
      // next composition of `total` into sr parts
      size_t k = sr - 1;
      while (k > 0 && extra[k - 1] == 0) --k;
      if (sr == 1 || k == 0) break;
      const int64_t tail = extra[sr - 1];
      extra[sr - 1] = 0;
      extra[k - 1] -= 1;
      extra[k] = tail + 1;
    }
  }
  return std::nullopt;
}

}  // namespace

void find_min_input(const Network& net, Report& rep) {
  const size_t sr = net.spatial_rank();
  if (sr == 0) {
    rep.min_input_note = "the input has no spatial axes";
    return;
  }
  // A graph's sizes need not grow with the input (two paths must agree), so
  // the backward walk below does not apply: the smallest size of the scan.
  if (!is_chain(net)) {
    const ValidInput& v = rep.valid_input;
    Shape min;
    for (const AxisSizes& ax : v.axes)
      if (ax.smallest) min.push_back(*ax.smallest);
    if (min.size() == sr && !v.axes.empty()) rep.min_input = min;
    else rep.min_input_note = v.note.empty() ? "no input size up to the scanned window makes every layer valid" : v.note;
    return;
  }
  // Failures no input size can fix: say so with the layer's own diagnosis.
  if (rep.first_error) {
    const LayerReport& failing = rep.layers[*rep.first_error];
    using conventions::Failure;
    switch (failing.failure.value_or(Failure::window_too_small)) {
      case Failure::pool_padding_too_large:
      case Failure::same_strided:
      case Failure::same_dilated_strided:
      case Failure::groups_in_channels:
      case Failure::groups_out_channels:
      case Failure::output_padding_too_large:
      case Failure::transposed_inconsistent:
      case Failure::rank_mismatch:
      case Failure::channels_mismatch:
        rep.min_input_note = "no input size makes every layer valid: " + layer_ref(failing.index, failing.name) +
                             " fails for any input: " + failing.message;
        return;
      default:
        break;
    }
  }
  size_t end = net.layers.size();
  for (size_t i = 0; i < net.layers.size(); ++i)
    if (ends_spatial_chain(net.layers[i].type)) {
      end = i;
      break;
    }

  Shape min(sr, 1);
  for (size_t a = 0; a < sr; ++a) {
    int64_t need = 1;
    for (size_t i = end; i-- > 0;) {
      const Layer& l = net.layers[i];
      if (!sizes_spatial_axes(l.type)) continue;
      const auto in = min_layer_input(net.framework, l, a, need);
      if (!in) {
        rep.min_input_note = "no input up to " + to_string(limits::max_dimension) + " along " +
                             conventions::spatial_axis_label(sr, a) + " makes " +
                             layer_ref(i, l.name) + " valid";
        return;
      }
      need = *in;
      // PyTorch's avg_pool3d also needs the unpadded input to hold the kernel.
      if (net.framework == Framework::pytorch && sr == 3 && l.type == LayerType::avg_pool)
        need = std::max(need, l.kernel[a]);
    }
    min[a] = need;
  }

  // The closed forms are exact, so a valid network needs no second look
  // unless a dense layer's declared in_features couples the axes, or a
  // training-mode BatchNorm needs more than one value per channel (N x H x W
  // at that layer > 1), which couples them too.
  // A reshape's shape pins the values per sample the same way.
  const bool pins_features = std::any_of(net.layers.begin(), net.layers.end(), [](const Layer& l) {
    return l.in_features.has_value() || l.type == LayerType::reshape;
  });
  const bool counts_values = net.mode == Mode::train &&
                             std::any_of(net.layers.begin(), net.layers.end(),
                                         [](const Layer& l) { return l.type == LayerType::batch_norm; });
  if (rep.ok && !pins_features && !counts_values) {
    rep.min_input = min;
    return;
  }
  const Report check = propagate(with_spatial_input(net, min), false);
  if (check.ok) {
    rep.min_input = min;
    return;
  }
  const LayerReport& failing = check.layers[*check.first_error];
  const bool reshape = failing.failure == conventions::Failure::reshape_size;
  if (failing.failure == conventions::Failure::dense_mismatch || reshape) {
    const std::string wants = reshape ? "the values its shape holds" : "the in_features it declares";
    const std::string instead = reshape ? "change its shape instead" : "change in_features instead";
    // If a larger input does not change what reaches the layer (a dense or
    // global pool sits between), no input can fix it: skip the search.
    // (Much larger: striding and pooling floor away a few extra cells.)
    Shape larger = min;
    for (int64_t& d : larger) d = std::min<int64_t>(d * 4 + 64, limits::max_dimension);
    const Report bigger = propagate(with_spatial_input(net, larger), false);
    const LayerReport& same_layer = bigger.layers[failing.index];
    if (same_layer.input && failing.input &&
        (reshape ? *same_layer.input == *failing.input : same_layer.input->back() == failing.input->back())) {
      rep.min_input_note = "no input size gives " + display_name(failing.name) + " " + wants + " (what reaches it "
                           "does not depend on the input size); " + instead;
      return;
    }
    if (auto found = search_for_dense(net, min)) {
      rep.min_input = *found;
      rep.min_input_note = "the smallest input valid for every convolution is " + spatial_text(min) +
                           "; " + display_name(failing.name) + (reshape ? "'s shape" : "'s declared in_features") +
                           " needs " + spatial_text(*found);
      return;
    }
    rep.min_input_note = "inputs of " + spatial_text(min) + " and a little larger do not give " +
                         display_name(failing.name) + " " + wants + "; " + instead;
    return;
  }
  if (failing.failure == conventions::Failure::batch_norm_single_value) {
    // More input gives BatchNorm more values unless a global pool or dense
    // layer sits before it; the search stops within its budget either way.
    if (auto found = search_for_dense(net, min)) {
      rep.min_input = *found;
      rep.min_input_note = "the smallest input valid for every convolution is " + spatial_text(min) +
                           "; training-mode BatchNorm " + display_name(failing.name) +
                           " needs more than one value per channel: " + spatial_text(*found);
      return;
    }
    rep.min_input_note = "no input size gives " + display_name(failing.name) +
                         " more than one value per channel (what reaches it does not grow with the input); "
                         "call model.eval() or use a batch of 2 or more";
    return;
  }
  rep.min_input_note = "no input size makes every layer valid: " +
                       layer_ref(failing.index, failing.name) + " fails for any input: " +
                       failing.message;
}

}  // namespace convscope
