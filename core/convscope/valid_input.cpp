#include "convscope/valid_input.hpp"

#include <algorithm>

#include "convscope/limits.hpp"

namespace convscope {

using std::to_string;

namespace {

// Analyses this many layer evaluations at most per statement (a few tens of
// milliseconds natively), so a 2000-layer graph scans a shorter window.
constexpr int64_t kWorkBudget = 3'000'000;
constexpr int64_t kMinWindow = 256, kMaxWindow = 4096;

// `probe` is a copy of the network whose input the scan rewrites in place.
bool valid_at(Network& probe, const std::vector<int64_t>& spatial) {
  for (size_t a = 0; a < spatial.size(); ++a) probe.input[conventions::spatial_axis(probe.framework, a)] = spatial[a];
  return propagate(probe, false, true).ok;
}

// Every per-axis field reads alike on every axis, so each axis has the same
// valid sizes and one scan along the diagonal serves all.
bool symmetric(const Network& net) {
  auto alike = [](const std::vector<int64_t>& v) {
    return std::all_of(v.begin(), v.end(), [&](int64_t x) { return x == v[0]; });
  };
  for (const Layer& l : net.layers) {
    if (!alike(l.kernel) || !alike(l.stride) || !alike(l.dilation) || !alike(l.output_padding) ||
        !alike(l.output_size) || !alike(l.scale))
      return false;
    for (const Padding* p : {&l.padding, &l.cropping})
      for (const auto& pr : p->pairs)
        if (pr != p->pairs[0]) return false;
  }
  return true;
}

// One line for people: "H and W: multiples of 16" (axes that read alike
// are named together).
std::string axes_text(const std::vector<AxisSizes>& axes) {
  std::string text;
  for (size_t a = 0; a < axes.size();) {
    size_t b = a + 1;
    while (b < axes.size() && axes[b].text == axes[a].text) ++b;
    std::string names;
    for (size_t i = a; i < b; ++i) names += (i == a ? "" : i + 1 == b ? " and " : ", ") + axes[i].label;
    text += (text.empty() ? "" : "; ") + names + ": " + axes[a].text;
    a = b;
  }
  return text;
}

// Per-axis statements cannot say what couples the axes; say so.
void add_coupling_notes(const Network& net, ValidInput& out) {
  auto note = [&](const std::string& text) { out.note += (out.note.empty() ? "" : "; ") + text; };
  if (std::any_of(net.layers.begin(), net.layers.end(), [](const Layer& l) { return l.in_features.has_value(); }))
    note("a dense layer's declared in_features couples the axes: other shapes with the same flattened size may work too");
  if (net.mode == Mode::train &&
      std::any_of(net.layers.begin(), net.layers.end(), [](const Layer& l) { return l.type == LayerType::batch_norm; }))
    note("training-mode BatchNorm needs N x H x W > 1 where it runs, which couples the axes: a size below the "
         "smallest can work when another axis is larger");
}

// The valid size nearest n from below or above, within the scanned window.
std::optional<int64_t> nearest(const std::vector<bool>& valid, int64_t n, bool above) {
  const int64_t window = static_cast<int64_t>(valid.size()) - 1;
  for (int64_t c = std::clamp<int64_t>(n, 1, window); c >= 1 && c <= window; c += above ? 1 : -1)
    if (valid[static_cast<size_t>(c)]) return c;
  return std::nullopt;
}

}  // namespace

// "29–32, 61–64": runs of consecutive sizes.
std::string ranges_text(const std::vector<int64_t>& v, size_t max_runs) {
  std::string s;
  size_t runs = 0;
  for (size_t i = 0; i < v.size() && runs < max_runs; ++runs) {
    size_t j = i;
    while (j + 1 < v.size() && v[j + 1] == v[j] + 1) ++j;
    s += (s.empty() ? "" : ", ") + to_string(v[i]);
    if (j == i + 1) s += ", " + to_string(v[j]);
    else if (j > i) s += "\u2013" + to_string(v[j]);
    i = j + 1;
  }
  return s;
}

AxisSizes describe_valid_sizes(const std::vector<bool>& valid, const std::string& label) {
  AxisSizes ax;
  ax.label = label;
  const int64_t window = static_cast<int64_t>(valid.size()) - 1;
  ax.checked_up_to = window;
  auto ok = [&](int64_t n) { return valid[static_cast<size_t>(n)]; };
  std::vector<int64_t> all;
  for (int64_t n = 1; n <= window; ++n)
    if (ok(n)) all.push_back(n);
  if (all.empty()) {
    ax.text = "none up to " + to_string(window);
    return ax;
  }
  ax.smallest = all[0];
  // A finite set: nothing valid in the last half of the window.
  if (all.back() <= window / 2) {
    ax.listed = all;
    ax.text = "only " + ranges_text(all, 12) + " (none larger up to " + to_string(window) + ")";
    return ax;
  }
  // The smallest period p that holds from some start n0 to the end of the
  // window and is seen at least three times; sizes below n0 are listed.
  int64_t n0 = 1;
  for (int64_t p = 1; 3 * p <= window; ++p) {
    int64_t last_bad = 0;
    for (int64_t n = window - p; n >= 1; --n)
      if (ok(n) != ok(n + p)) {
        last_bad = n;
        break;
      }
    // The pattern must hold over most of the window, three periods at least.
    if (window - last_bad < 3 * p || last_bad > window / 2) continue;
    ax.period = p;
    n0 = last_bad + 1;
    break;
  }
  const int64_t p = ax.period;
  std::vector<int64_t> before, periodic;
  for (int64_t n : all) (p && n < n0 ? before : periodic).push_back(n);
  ax.listed = all;
  if (ax.listed.size() > 40) ax.listed.resize(40);
  if (!p) {
    ax.text = ranges_text(all, 8) + ", \u2026 (no regular pattern up to " + to_string(window) + ")";
    return ax;
  }
  for (int64_t n = n0; n < n0 + p; ++n)
    if (ok(n)) ax.residues.push_back(n % p);
  std::sort(ax.residues.begin(), ax.residues.end());
  const int64_t first = periodic[0];
  std::string text;
  if (p == 1) {
    text = first == 1 ? "every size" : "every size from " + to_string(first);
  } else if (ax.residues.size() == 1) {
    const int64_t r = ax.residues[0];
    text = to_string(first) + ", " + to_string(first + p) + ", " + to_string(first + 2 * p) + ", \u2026";
    if (r == 0 && first == p) text += " (multiples of " + to_string(p) + ")";
    else if (r == 0) text += " (multiples of " + to_string(p) + " from " + to_string(first) + ")";
    else text += " (" + to_string(p) + "k + " + to_string(r) + " from " + to_string(first) + ")";
  } else {
    std::vector<int64_t> shown;
    for (int64_t n : periodic)
      if (n < first + 3 * p) shown.push_back(n);
    text = ranges_text(shown, 6) + ", \u2026 (repeating every " + to_string(p) + ")";
  }
  if (!before.empty()) text = ranges_text(before, 4) + ", then " + text;
  ax.text = text;
  return ax;
}

void find_valid_input(const Network& net, Report& rep) {
  ValidInput& out = rep.valid_input;
  const size_t sr = net.spatial_rank();
  if (sr == 0 || net.layers.empty()) return;
  std::vector<int64_t> current(sr);
  int64_t largest = 1;
  for (size_t a = 0; a < sr; ++a) {
    current[a] = net.input[conventions::spatial_axis(net.framework, a)];
    largest = std::max(largest, current[a]);
  }
  const int64_t per_scan = std::max<int64_t>(1, static_cast<int64_t>(net.layers.size()));
  const bool diagonal_only = symmetric(net);
  const int64_t scans = diagonal_only ? 1 : static_cast<int64_t>(sr) + 1;
  const int64_t affordable = kWorkBudget / (per_scan * scans);
  int64_t window = std::min<int64_t>(std::clamp<int64_t>(2 * largest, kMinWindow, kMaxWindow), affordable);
  if (window < 8) {
    out.note = "the network is too large to scan input sizes";
    return;
  }
  Network probe = net;
  // The diagonal: every spatial axis at n.
  std::vector<bool> diagonal(1, false);
  auto scan_diagonal_to = [&](int64_t end) {
    for (int64_t n = static_cast<int64_t>(diagonal.size()); n <= end; ++n)
      diagonal.push_back(valid_at(probe, std::vector<int64_t>(sr, n)));
  };
  scan_diagonal_to(window);
  // A pattern is read off the window's second half, so the window reaches
  // twice the smallest valid size whatever input is being analysed (the
  // original U-Net at 100x100 first works at 188).
  const auto first_valid = std::find(diagonal.begin() + 1, diagonal.end(), true);
  if (first_valid != diagonal.end()) {
    const int64_t smallest = first_valid - diagonal.begin();
    window = std::max(window, std::min({2 * smallest + kMinWindow / 2, kMaxWindow, affordable}));
    scan_diagonal_to(window);
  }
  std::vector<std::vector<bool>> per_axis;
  if (diagonal_only) {
    per_axis.assign(sr, diagonal);
  } else {
    // Each axis with the others at the valid diagonal size nearest the input.
    auto anchor = nearest(diagonal, largest, true);
    if (!anchor) anchor = nearest(diagonal, largest, false);
    if (!anchor) {
      out.note = "no input up to " + to_string(window) + " on every axis makes every layer valid";
      return;
    }
    for (size_t a = 0; a < sr; ++a) {
      std::vector<bool> valid(static_cast<size_t>(window) + 1, false);
      std::vector<int64_t> at(sr, *anchor);
      for (int64_t n = 1; n <= window; ++n) {
        at[a] = n;
        valid[static_cast<size_t>(n)] = valid_at(probe, at);
      }
      per_axis.push_back(std::move(valid));
    }
    if (sr > 1) out.note = "each axis scanned with the others at " + to_string(*anchor);
  }
  for (size_t a = 0; a < sr; ++a)
    out.axes.push_back(describe_valid_sizes(per_axis[a], conventions::spatial_axis_label(sr, a)));
  if (std::none_of(out.axes.begin(), out.axes.end(), [](const AxisSizes& ax) { return ax.smallest.has_value(); })) {
    out.note = "no input size up to " + to_string(window) + " makes every layer valid";
    if (rep.first_error)
      out.note += ": " + layer_ref(*rep.first_error, rep.layers[*rep.first_error].name) + " fails whatever the size";
    out.axes.clear();
    return;
  }
  out.text = "valid " + axes_text(out.axes) + " (checked up to " + to_string(window) + ")";
  add_coupling_notes(net, out);
  if (!rep.ok) {
    for (size_t a = 0; a < sr; ++a) {
      out.nearest_below.push_back(nearest(per_axis[a], current[a], false).value_or(0));
      out.nearest_above.push_back(nearest(per_axis[a], current[a], true).value_or(0));
    }
  }
}

bool grows_with_input(const Network& net) {
  if (!is_chain(net)) return false;
  for (const Layer& l : net.layers) {
    if (l.in_features) return false;
    if (l.type == LayerType::conv_transpose && net.framework == Framework::tensorflow) return false;
  }
  return true;
}

void valid_input_from_min(const Network& net, Report& rep) {
  ValidInput& out = rep.valid_input;
  const size_t sr = net.spatial_rank();
  if (!rep.min_input || rep.min_input->size() != sr) {
    out.note = rep.min_input_note;
    return;
  }
  // The closed forms hold for every size; the statement stops where the
  // scan would, since far larger inputs meet the 2^31 - 1 size limit.
  int64_t largest = 1;
  for (size_t a = 0; a < sr; ++a) largest = std::max(largest, net.input[conventions::spatial_axis(net.framework, a)]);
  const int64_t window = std::clamp<int64_t>(2 * largest, kMinWindow, kMaxWindow);
  for (size_t a = 0; a < sr; ++a) {
    AxisSizes ax;
    ax.label = conventions::spatial_axis_label(sr, a);
    const int64_t smallest = (*rep.min_input)[a];
    ax.smallest = smallest;
    ax.period = 1;
    ax.residues = {0};
    ax.checked_up_to = std::max(window, smallest);
    for (int64_t n = smallest; n < smallest + 40 && n <= ax.checked_up_to; ++n) ax.listed.push_back(n);
    ax.text = smallest == 1 ? "every size" : "every size from " + to_string(smallest);
    out.axes.push_back(std::move(ax));
  }
  if (!rep.ok) {
    for (size_t a = 0; a < sr; ++a) {
      const int64_t current = net.input[conventions::spatial_axis(net.framework, a)];
      const int64_t smallest = *out.axes[a].smallest;
      // Below the smallest only larger sizes work; at or above it the
      // failure does not depend on the size and no size helps.
      out.nearest_below.push_back(0);
      out.nearest_above.push_back(current < smallest ? smallest : 0);
    }
  }
  out.text = "valid " + axes_text(out.axes) + " (a chain whose sizes only grow with its input)";
  add_coupling_notes(net, out);
}

}  // namespace convscope
