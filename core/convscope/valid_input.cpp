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

Network with_spatial(const Network& net, const std::vector<int64_t>& spatial) {
  Network n = net;
  for (size_t a = 0; a < spatial.size(); ++a) n.input[conventions::spatial_axis(net.framework, a)] = spatial[a];
  return n;
}

bool valid_at(const Network& net, const std::vector<int64_t>& spatial) {
  static const AnalyzeOptions quick{false, false, 0};
  return analyze(with_spatial(net, spatial), quick).ok;
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

std::string list_text(const std::vector<int64_t>& v, size_t count) {
  std::string s;
  for (size_t i = 0; i < v.size() && i < count; ++i) s += (i ? ", " : "") + to_string(v[i]);
  return s;
}

// The first valid size >= n (or <= n) under the axis' statement; nullopt if none.
std::optional<int64_t> nearest(const AxisSizes& ax, int64_t n, bool above) {
  if (!ax.smallest) return std::nullopt;
  if (ax.period > 0) {
    if (n <= *ax.smallest) return above ? ax.smallest : (n == *ax.smallest ? ax.smallest : std::nullopt);
    for (int64_t d = 0; d < ax.period; ++d) {
      const int64_t c = above ? n + d : n - d;
      if (c < *ax.smallest) break;
      if (std::find(ax.residues.begin(), ax.residues.end(), c % ax.period) != ax.residues.end()) return c;
    }
    return std::nullopt;
  }
  std::optional<int64_t> best;
  for (int64_t c : ax.listed)
    if (above ? c >= n && (!best || c < *best) : c <= n && (!best || c > *best)) best = c;
  return best;
}

}  // namespace

AxisSizes describe_valid_sizes(const std::vector<bool>& valid, const std::string& label) {
  AxisSizes ax;
  ax.label = label;
  const int64_t window = static_cast<int64_t>(valid.size()) - 1;
  ax.checked_up_to = window;
  for (int64_t n = 1; n <= window; ++n)
    if (valid[static_cast<size_t>(n)]) ax.listed.push_back(n);
  if (ax.listed.empty()) {
    ax.text = "no size up to " + to_string(window);
    return ax;
  }
  const int64_t first = ax.listed[0];
  ax.smallest = first;
  // The smallest period that holds from the first valid size to the end of
  // the window, seen at least three times over.
  for (int64_t p = 1; first + 3 * p <= window; ++p) {
    bool holds = true;
    for (int64_t n = first; n + p <= window && holds; ++n)
      holds = valid[static_cast<size_t>(n)] == valid[static_cast<size_t>(n + p)];
    if (!holds) continue;
    ax.period = p;
    for (int64_t n = first; n < first + p; ++n)
      if (valid[static_cast<size_t>(n)]) ax.residues.push_back(n % p);
    break;
  }
  if (ax.listed.size() > 40) ax.listed.resize(40);
  const int64_t p = ax.period;
  if (p == 1) {
    ax.text = first == 1 ? "every size" : "every size from " + to_string(first);
  } else if (p > 1 && ax.residues.size() == 1) {
    const int64_t r = ax.residues[0];
    const std::string start = list_text({first, first + p, first + 2 * p}, 3) + ", \u2026";
    if (r == 0 && first == p) ax.text = start + " (multiples of " + to_string(p) + ")";
    else if (r == 0) ax.text = start + " (multiples of " + to_string(p) + " from " + to_string(first) + ")";
    else ax.text = start + " (" + to_string(p) + "k + " + to_string(r) + ", from " + to_string(first) + ")";
  } else if (p > 1) {
    std::vector<int64_t> r = ax.residues;
    ax.text = list_text(ax.listed, 6) + ", \u2026 (sizes n \u2265 " + to_string(first) + " with n mod " +
              to_string(p) + " in {" + list_text(r, r.size()) + "})";
  } else {
    ax.text = list_text(ax.listed, 12) + (ax.listed.size() > 12 ? ", \u2026" : "") +
              " (no regular pattern up to " + to_string(window) + ")";
  }
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
  int64_t window = std::clamp<int64_t>(2 * largest, kMinWindow, kMaxWindow);
  window = std::min<int64_t>(window, kWorkBudget / (per_scan * scans));
  if (window < 8) {
    out.note = "the network is too large to scan input sizes";
    return;
  }
  // The diagonal: every spatial axis at n.
  std::vector<bool> diagonal(static_cast<size_t>(window) + 1, false);
  for (int64_t n = 1; n <= window; ++n) diagonal[static_cast<size_t>(n)] = valid_at(net, std::vector<int64_t>(sr, n));
  if (diagonal_only) {
    AxisSizes ax = describe_valid_sizes(diagonal, "");
    for (size_t a = 0; a < sr; ++a) {
      out.axes.push_back(ax);
      out.axes.back().label = conventions::spatial_axis_label(sr, a);
    }
  } else {
    // Each axis with the others at the valid diagonal size nearest the input.
    const AxisSizes diag = describe_valid_sizes(diagonal, "");
    const auto anchor = nearest(diag, largest, true) ? nearest(diag, largest, true) : nearest(diag, largest, false);
    if (!anchor) {
      out.note = "no input up to " + to_string(window) + " on every axis makes every layer valid";
      return;
    }
    for (size_t a = 0; a < sr; ++a) {
      std::vector<bool> valid(static_cast<size_t>(window) + 1, false);
      std::vector<int64_t> at(sr, *anchor);
      for (int64_t n = 1; n <= window; ++n) {
        at[a] = n;
        valid[static_cast<size_t>(n)] = valid_at(net, at);
      }
      out.axes.push_back(describe_valid_sizes(valid, conventions::spatial_axis_label(sr, a)));
      if (sr > 1) out.note = "each axis with the others at " + to_string(*anchor);
    }
  }
  // One line for people: axes that read alike are named together.
  std::string text;
  for (size_t a = 0; a < out.axes.size();) {
    size_t b = a + 1;
    while (b < out.axes.size() && out.axes[b].text == out.axes[a].text) ++b;
    std::string names;
    for (size_t i = a; i < b; ++i) names += (i == a ? "" : i + 1 == b ? " and " : ", ") + out.axes[i].label;
    text += (text.empty() ? "" : "; ") + names + ": " + out.axes[a].text;
    a = b;
  }
  out.text = "valid " + text + " (checked up to " + to_string(window) + ")";
  if (std::any_of(net.layers.begin(), net.layers.end(), [](const Layer& l) { return l.in_features.has_value(); }))
    out.note += std::string(out.note.empty() ? "" : "; ") +
                "a dense layer's declared in_features couples the axes: other shapes with the same flattened size may work too";
  if (!rep.ok) {
    for (size_t a = 0; a < out.axes.size(); ++a) {
      out.nearest_below.push_back(nearest(out.axes[a], current[a], false).value_or(0));
      out.nearest_above.push_back(nearest(out.axes[a], current[a], true).value_or(0));
    }
  }
}

}  // namespace convscope
