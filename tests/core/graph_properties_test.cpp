// Property tests over seeded random graphs (std::mt19937, fixed seeds, so
// every run sees the same graphs): residual blocks with and without a
// projection shortcut, concat skips, U-Net-like down and up paths (plain
// concat, or pad_to / crop_to / resize_to first), squeeze-excitation gates and
// branches straight from the input, across the three frameworks, at random
// sizes that often break a merge. Checked on each:
//   - every layer against an independent shape evaluator written here
//     (statuses and shapes; a layer fed by a failing one is skipped);
//   - errors skip only descendants: each skipped layer names a failing
//     ancestor, every analysed layer has all its inputs;
//   - every fix of the first error, re-analysed, repairs that layer;
//   - the sizes stated valid in report.valid_input are valid, and sampled
//     sizes it leaves out in between are not;
//   - the report JSON says what the report says; the network JSON round-trips.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "convscope/json.hpp"
#include "convscope/layer_types.hpp"
#include "convscope/report_json.hpp"
#include "test_support.hpp"

using convscope::Framework;
using convscope::Shape;
using convscope::Status;
namespace json = convscope::json;

namespace {

const convscope::AnalyzeOptions kQuick{false, false, 0, false};

// ---- What the generator means by each layer (the oracle's input) -----------------

enum class Kind { conv, pool, conv_transpose, upsample, pointwise, global_pool, concat, elementwise, crop_to, pad_to, resize_to };

struct Node {
  Kind kind = Kind::pointwise;
  std::vector<int> in;  // indices of earlier nodes; -1 = the network input
  int64_t kernel = 1, stride = 1, pad = 0;
  bool same = false;    // TensorFlow padding='same'
  int64_t filters = 0;
  bool h_only = false;  // pool / up on H only (W: kernel, stride, scale 1)
};

class GraphGenerator {
 public:
  explicit GraphGenerator(uint32_t seed) : rng_(seed) {}

  json::Value network() {
    const int64_t fw = pick(0, 2);
    fw_ = fw == 0 ? Framework::pytorch : fw == 1 ? Framework::tensorflow : Framework::onnx;
    framework_ = convscope::to_string(fw_);
    const int64_t batch = pick(1, 2), channels = pick(1, 4);
    const int64_t h = chance(15) ? pick(1, 12) : pick(8, 80);
    const int64_t w = chance(60) ? h : pick(8, 80);
    json::Array input{json::Value(batch)};
    if (fw_ != Framework::tensorflow) input.push_back(json::Value(channels));
    input.push_back(json::Value(h));
    input.push_back(json::Value(w));
    if (fw_ == Framework::tensorflow) input.push_back(json::Value(channels));
    input_channels_ = channels;

    cur_ = -1;
    const int blocks = static_cast<int>(pick(1, 5));
    if (chance(70)) conv(cur_, pick(4, 16), 3, 1, 1);  // a stem
    for (int b = 0; b < blocks; ++b) {
      const int64_t kind = pick(0, 99);
      if (kind < 25) residual();
      else if (kind < 37) concat_skip();
      else if (kind < 60) unet();
      else if (kind < 70) se_gate();
      else if (kind < 80) input_branch();
      else if (kind < 95) side_head();
      else big_kernel();
    }
    // In eval mode: PyTorch's training-mode BatchNorm rule (one value per
    // channel fails) is the conformance suite's to check, not this oracle's.
    return json::Value(json::Object{{"framework", json::Value(framework_)},
                                    {"mode", json::Value("eval")},
                                    {"input", json::Value(std::move(input))},
                                    {"layers", json::Value(std::move(layers_))}});
  }

  const std::vector<Node>& nodes() const { return nodes_; }

 private:
  int64_t pick(int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng_); }
  bool chance(int percent) { return pick(0, 99) < percent; }

  std::string name_of(int k) const { return k < 0 ? std::string("input") : names_[static_cast<size_t>(k)]; }
  int64_t channels_of(int k) const { return k < 0 ? input_channels_ : channels_[static_cast<size_t>(k)]; }

  // Appends a layer: its JSON (name and inputs added here) and what it means.
  int add(json::Object o, Node n, int64_t channels) {
    const int index = static_cast<int>(nodes_.size());
    const std::string name = "n" + std::to_string(index);
    json::Object full{{"type", o[0].second}, {"name", json::Value(name)}};
    // `inputs` only where it is not the previous layer, sometimes spelled out anyway.
    const bool previous = n.in.size() == 1 && n.in[0] == index - 1;
    if (!previous || chance(20)) {
      json::Array names;
      for (int k : n.in) names.push_back(json::Value(name_of(k)));
      full.push_back({"inputs", json::Value(std::move(names))});
    }
    for (size_t i = 1; i < o.size(); ++i) full.push_back(o[i]);
    layers_.push_back(json::Value(std::move(full)));
    nodes_.push_back(std::move(n));
    names_.push_back(name);
    channels_.push_back(channels);
    cur_ = index;
    return index;
  }

  int conv(int from, int64_t filters, int64_t k, int64_t s, int64_t pad) {
    Node n{Kind::conv, {from}, k, s, pad, false, filters};
    json::Object o{{"type", json::Value("conv")}, {"filters", json::Value(filters)}, {"kernel", json::Value(k)}};
    if (s != 1) o.push_back({"stride", json::Value(s)});
    if (fw_ == Framework::tensorflow) {
      // Keras takes 'same' or 'valid' only: 'same' stands for "keep the size".
      n.same = pad > 0;
      n.pad = 0;
      if (n.same || chance(50)) o.push_back({"padding", json::Value(n.same ? "same" : "valid")});
    } else if (pad > 0 || chance(30)) {
      o.push_back({"padding", json::Value(pad)});
    }
    return add(std::move(o), n, filters);
  }

  int pointwise(int from) {
    const char* types[] = {"relu", "batch_norm", "dropout"};
    return add(json::Object{{"type", json::Value(types[pick(0, 2)])}}, Node{Kind::pointwise, {from}}, channels_of(from));
  }

  // 2 on every axis, or [2, 1] when the block works on H only.
  json::Value two(bool h_only) const {
    return h_only ? json::Value(json::Array{json::Value(int64_t{2}), json::Value(int64_t{1})}) : json::Value(int64_t{2});
  }

  int pool(int from, bool h_only = false) {
    Node n{Kind::pool, {from}, 2, 2, 0};
    n.h_only = h_only;
    json::Object o{{"type", json::Value(chance(70) ? "max_pool" : "avg_pool")}, {"kernel", two(h_only)}};
    // ONNX pools step 1 unless told; PyTorch and Keras step by the kernel.
    if (fw_ == Framework::onnx || chance(40)) o.push_back({"stride", two(h_only)});
    return add(std::move(o), n, channels_of(from));
  }

  int up(int from, int64_t filters, bool h_only = false) {
    if (chance(60)) {
      Node n{Kind::conv_transpose, {from}, 2, 2, 0, false, filters};
      n.h_only = h_only;
      return add(json::Object{{"type", json::Value("conv_transpose")},
                              {"filters", json::Value(filters)},
                              {"kernel", two(h_only)},
                              {"stride", two(h_only)}},
                 n, filters);
    }
    Node n{Kind::upsample, {from}, 1, 2};
    n.h_only = h_only;
    return add(json::Object{{"type", json::Value("upsample")}, {"scale", two(h_only)}}, n, channels_of(from));
  }

  int merge(Kind kind, const char* type, std::vector<int> in, std::optional<int64_t> axis = std::nullopt) {
    json::Object o{{"type", json::Value(type)}};
    if (axis) o.push_back({"axis", json::Value(*axis)});
    int64_t channels = channels_of(in[0]);
    if (kind == Kind::concat) {
      channels = 0;
      for (int k : in) channels += channels_of(k);
    }
    return add(std::move(o), Node{kind, std::move(in)}, channels);
  }

  const char* elementwise_type() {
    const char* types[] = {"add", "add", "add", "subtract", "multiply", "average", "maximum", "minimum"};
    return types[pick(0, 7)];
  }

  // Main path: conv (stride s) - norm - relu - conv - norm; shortcut: identity
  // or a 1x1 projection; sometimes the projection is forgotten.
  void residual() {
    const int from = cur_;
    const int64_t c = channels_of(from);
    const int64_t s = chance(40) ? 2 : 1;
    const int64_t f = chance(30) ? c * 2 : c;
    const bool needs_projection = s != 1 || f != c;
    const bool project = needs_projection ? chance(70) : chance(10);
    conv(from, f, 3, s, 1);
    pointwise(cur_);
    pointwise(cur_);
    conv(cur_, f, 3, 1, 1);
    const int main = pointwise(cur_);
    int shortcut = from;
    if (project) {
      conv(from, f, 1, s, 0);
      shortcut = pointwise(cur_);
    }
    const char* type = elementwise_type();
    if (chance(50)) merge(Kind::elementwise, type, {main, shortcut});
    else merge(Kind::elementwise, type, {shortcut, main});
    if (chance(70)) pointwise(cur_);
  }

  // A 1x1 side branch concatenated back; sometimes the branch shrinks (3x3 unpadded).
  void concat_skip() {
    const int from = cur_;
    const bool shrink = chance(25);
    const int side = conv(from, pick(2, 8), shrink ? 3 : 1, 1, 0);
    std::vector<int> in = {from, side};
    if (chance(30)) in.push_back(conv(from, pick(1, 4), 1, 1, 0));
    if (chance(50)) std::swap(in[0], in[1]);
    std::optional<int64_t> axis;
    if (chance(30)) axis = fw_ == Framework::tensorflow ? (chance(50) ? -1 : 3) : (chance(50) ? 1 : -3);
    merge(Kind::concat, "concat", in, axis);
  }

  // Down with 2x2 pools, up with stride-2 transposed convs or 2x upsampling;
  // the skips joined plainly (odd sizes break them) or made to fit first.
  void unet() {
    const int depth = static_cast<int>(pick(1, 3));
    const bool valid_convs = chance(25);  // the original U-Net: unpadded convs, crops
    const bool h_only = chance(15);       // down and up along H only: the axes differ
    std::vector<int> skips;
    int64_t f = pick(2, 8);
    for (int d = 0; d < depth; ++d) {
      conv(cur_, f, 3, 1, valid_convs ? 0 : 1);
      skips.push_back(pointwise(cur_));
      pool(cur_, h_only);
      f *= 2;
    }
    conv(cur_, f, 3, 1, valid_convs ? 0 : 1);
    for (int d = depth; d-- > 0;) {
      f /= 2;
      const int u = up(cur_, f, h_only);
      const int skip = skips[static_cast<size_t>(d)];
      const int64_t how = valid_convs ? 2 : pick(0, 5);
      if (how <= 1) {
        merge(Kind::concat, "concat", {skip, u});
      } else if (how == 2) {
        const int cropped = merge(Kind::crop_to, "crop_to", {skip, u});
        merge(Kind::concat, "concat", {cropped, u});
      } else if (how == 3) {
        const int padded = merge(Kind::pad_to, "pad_to", {u, skip});
        merge(Kind::concat, "concat", {skip, padded});
      } else if (how == 4) {
        const int resized = merge(Kind::resize_to, "resize_to", {u, skip});
        merge(Kind::concat, "concat", {skip, resized});
      } else {
        merge(Kind::elementwise, "add", {skip, u});  // channels may differ too
      }
      conv(cur_, f, 3, 1, valid_convs ? 0 : 1);
    }
  }

  // Squeeze-excitation: global pool, 1x1 reduce, 1x1 expand, sigmoid, multiply.
  void se_gate() {
    const int from = cur_;
    const int64_t c = channels_of(from);
    json::Object o{{"type", json::Value("global_avg_pool")}};
    if (fw_ == Framework::tensorflow) o.push_back({"keepdims", json::Value(true)});
    add(std::move(o), Node{Kind::global_pool, {from}}, c);
    conv(cur_, std::max<int64_t>(1, c / 4), 1, 1, 0);
    pointwise(cur_);
    conv(cur_, chance(15) ? c + 1 : c, 1, 1, 0);  // sometimes the wrong width
    add(json::Object{{"type", json::Value("activation")}, {"function", json::Value("sigmoid")}},
        Node{Kind::pointwise, {cur_}}, channels_of(cur_));
    const int gate = cur_;
    if (chance(50)) merge(Kind::elementwise, "multiply", {from, gate});
    else merge(Kind::elementwise, "multiply", {gate, from});
  }

  // A branch straight from the input, merged with the trunk (often at the wrong size).
  void input_branch() {
    const int trunk = cur_;
    const int64_t s = pick(1, 2);
    const int branch = conv(-1, channels_of(trunk), chance(50) ? 1 : 3, s, chance(50) ? 1 : 0);
    if (chance(50)) merge(Kind::elementwise, elementwise_type(), {trunk, branch});
    else merge(Kind::concat, "concat", {branch, trunk});
  }

  // An output of its own: a branch off the trunk that merges with it (at the
  // wrong size half the time); the trunk goes on from where it was, so an
  // error here skips nothing after it.
  void side_head() {
    const int trunk = cur_;
    const int branch = conv(trunk, channels_of(trunk), 3, chance(50) ? 2 : 1, chance(50) ? 1 : 0);
    if (chance(50)) merge(Kind::elementwise, elementwise_type(), {trunk, branch});
    else merge(Kind::concat, "concat", {trunk, branch});
    if (chance(50)) conv(cur_, pick(1, 4), 1, 1, 0);
    cur_ = trunk;
  }

  void big_kernel() { conv(cur_, pick(1, 8), pick(5, 40), 1, 0); }

  std::mt19937 rng_;
  Framework fw_ = Framework::pytorch;
  std::string framework_;
  int64_t input_channels_ = 1;
  int cur_ = -1;
  json::Array layers_;
  std::vector<Node> nodes_;
  std::vector<std::string> names_;
  std::vector<int64_t> channels_;
};

// ---- An independent oracle ------------------------------------------------------------
// Shapes from the frameworks' documented rules, written without the engine's code.

struct Verdict {
  Status status = Status::ok;  // ok, error or skipped
  std::optional<Shape> out;
};

int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

std::vector<Verdict> oracle(Framework fw, const Shape& input, const std::vector<Node>& nodes) {
  const bool last = fw == Framework::tensorflow;
  const size_t rank = input.size();
  const size_t c_axis = last ? rank - 1 : 1;
  auto spatial = [&](size_t a) { return last ? 1 + a : 2 + a; };
  std::vector<Verdict> v(nodes.size());
  for (size_t i = 0; i < nodes.size(); ++i) {
    const Node& n = nodes[i];
    std::vector<Shape> in;
    bool blocked = false;
    for (int k : n.in) {
      if (k < 0) {
        in.push_back(input);
      } else if (v[static_cast<size_t>(k)].out) {
        in.push_back(*v[static_cast<size_t>(k)].out);
      } else {
        blocked = true;
      }
    }
    if (blocked) {
      v[i].status = Status::skipped;
      continue;
    }
    auto fail = [&] { v[i].status = Status::error; };
    Shape out = in[0];
    switch (n.kind) {
      case Kind::conv:
      case Kind::pool:
        for (size_t a = 0; a + 2 < rank; ++a) {
          const int64_t x = in[0][spatial(a)];
          const bool one = n.h_only && a > 0;
          const int64_t kernel = one ? 1 : n.kernel, stride = one ? 1 : n.stride;
          if (n.same) {
            out[spatial(a)] = (x + stride - 1) / stride;
            continue;
          }
          const int64_t padded = x + 2 * n.pad;
          if (padded < kernel) {
            fail();
            break;
          }
          out[spatial(a)] = floor_div(padded - kernel, stride) + 1;
        }
        if (n.kind == Kind::conv) out[c_axis] = n.filters;
        break;
      case Kind::conv_transpose:
      case Kind::upsample:
        for (size_t a = 0; a + 2 < rank; ++a) out[spatial(a)] = in[0][spatial(a)] * (n.h_only && a > 0 ? 1 : 2);
        if (n.kind == Kind::conv_transpose) out[c_axis] = n.filters;
        break;
      case Kind::pointwise: break;
      case Kind::global_pool:
        for (size_t a = 0; a + 2 < rank; ++a) out[spatial(a)] = 1;
        break;
      case Kind::concat:
        for (size_t k = 1; k < in.size() && v[i].status != Status::error; ++k) {
          if (in[k].size() != rank) {
            fail();
            break;
          }
          for (size_t d = 0; d < rank; ++d) {
            if (d == c_axis) continue;
            if (in[k][d] != in[0][d]) {
              fail();
              break;
            }
          }
          out[c_axis] += in[k][c_axis];
        }
        break;
      case Kind::elementwise:
        for (size_t k = 1; k < in.size(); ++k) {
          const size_t r = std::max(out.size(), in[k].size());
          Shape b(r);
          for (size_t d = 0; d < r; ++d) {
            const size_t from_end = r - 1 - d;
            const int64_t x = from_end < out.size() ? out[out.size() - 1 - from_end] : 1;
            const int64_t y = from_end < in[k].size() ? in[k][in[k].size() - 1 - from_end] : 1;
            if (x != y && x != 1 && y != 1) fail();
            b[d] = std::max(x, y);
          }
          out = b;
        }
        break;
      case Kind::crop_to:
      case Kind::pad_to:
      case Kind::resize_to:
        for (size_t a = 0; a + 2 < rank; ++a) {
          if (n.kind == Kind::crop_to && in[1][spatial(a)] > in[0][spatial(a)]) fail();
          out[spatial(a)] = in[1][spatial(a)];
        }
        break;
    }
    if (v[i].status == Status::error) continue;
    v[i].out = out;
  }
  return v;
}

// ---- Checks ------------------------------------------------------------------------------

convscope::Network with_spatial(convscope::Network net, int64_t n) {
  for (size_t a = 0; a < net.spatial_rank(); ++a) net.input[convscope::conventions::spatial_axis(net.framework, a)] = n;
  return net;
}

std::vector<bool> ancestors(const convscope::Network& net, size_t i) {
  std::vector<bool> up(net.layers.size(), false);
  std::vector<size_t> stack{i};
  while (!stack.empty()) {
    const size_t k = stack.back();
    stack.pop_back();
    for (int32_t from : convscope::inputs_of(net, k))
      if (from != convscope::kNetworkInput && !up[static_cast<size_t>(from)]) {
        up[static_cast<size_t>(from)] = true;
        stack.push_back(static_cast<size_t>(from));
      }
  }
  return up;
}

void check_against_oracle(const convscope::Network& net, const convscope::Report& rep, const std::vector<Node>& nodes) {
  const std::vector<Verdict> expected = oracle(net.framework, net.input, nodes);
  for (size_t i = 0; i < rep.layers.size(); ++i) {
    CAPTURE(i);
    CAPTURE(rep.layers[i].message);
    const Status got = rep.layers[i].status == Status::warning ? Status::ok : rep.layers[i].status;
    CHECK(convscope::to_string(got) == std::string(convscope::to_string(expected[i].status)));
    CHECK(rep.layers[i].output == expected[i].out);
  }
}

// Errors skip only what depends on them.
void check_skips(const convscope::Network& net, const convscope::Report& rep) {
  std::vector<size_t> errors;
  for (size_t i = 0; i < rep.layers.size(); ++i) {
    const auto& r = rep.layers[i];
    CAPTURE(i);
    if (r.status == Status::error) errors.push_back(i);
    const size_t inputs = convscope::inputs_of(net, i).size();
    // Several inputs: one `arriving` entry each; one input: it is `input`.
    REQUIRE(r.arriving.size() == (inputs > 1 ? inputs : 0u));
    CHECK(r.inputs == convscope::inputs_of(net, i));
    const bool all_arrive = inputs > 1 ? std::all_of(r.arriving.begin(), r.arriving.end(), [](const auto& s) { return s.has_value(); })
                                       : r.input.has_value();
    if (r.status == Status::skipped) {
      CHECK_FALSE(all_arrive);
      CHECK_FALSE(r.output.has_value());
      REQUIRE(r.blocked_by.has_value());
      CHECK(rep.layers[*r.blocked_by].status == Status::error);
      CHECK(ancestors(net, i)[*r.blocked_by]);
      CHECK(test_support::contains(r.message, "(" + net.layers[*r.blocked_by].name + ")"));
    } else {
      CHECK(all_arrive);
      CHECK_FALSE(r.blocked_by.has_value());
      CHECK(r.output.has_value() == (r.status != Status::error));
    }
  }
  CHECK(rep.errors == errors);
  CHECK(rep.first_error == (errors.empty() ? std::nullopt : std::optional<size_t>(errors[0])));
  CHECK(rep.ok == errors.empty());
}

std::optional<size_t> index_of(const convscope::Network& net, const std::string& name) {
  for (size_t i = 0; i < net.layers.size(); ++i)
    if (net.layers[i].name == name) return i;
  return std::nullopt;
}

struct Tally {
  int graphs = 0, invalid = 0, merge_errors = 0, several_errors = 0, fixes = 0, resolving = 0, periodic = 0;
  int sizes_checked = 0, unstated = 0, anchored = 0;
};

void check_fixes(const convscope::Network& net, const convscope::Report& rep, Tally& tally) {
  if (!rep.first_error) return;
  const auto& failing = rep.layers[*rep.first_error];
  for (const convscope::Fix& fix : failing.fixes) {
    CAPTURE(fix.summary);
    ++tally.fixes;
    const convscope::Report after = convscope::analyze(fix.network, kQuick);
    CHECK(after.ok == fix.resolves_all);
    if (fix.resolves_all) ++tally.resolving;
    // The failing layer (by name; fixes insert and remove layers) works now.
    const auto at = index_of(fix.network, failing.name);
    if (at) {
      CHECK(after.layers[*at].status != Status::error);
      CHECK(after.layers[*at].status != Status::skipped);
      if (fix.output) CHECK(after.layers[*at].output == fix.output);
    } else {
      CHECK(test_support::contains(fix.summary, "remove " + failing.name));
    }
    const json::Value written = convscope::network_json::to_json(fix.network);
    convscope::Network back;
    std::string error;
    CHECK(convscope::network_json::from_json(written, back, error));
    CHECK(convscope::network_json::to_json(back) == written);
  }
  (void)net;
}

// What the statement says about size n: the listed sizes, then the period;
// nothing past a cut-off list without a period.
constexpr size_t kListedMax = 40;
std::optional<bool> stated_valid(const convscope::AxisSizes& ax, int64_t n) {
  if (std::find(ax.listed.begin(), ax.listed.end(), n) != ax.listed.end()) return true;
  const bool past_list = !ax.listed.empty() && n > ax.listed.back();
  if (!past_list) return false;
  if (ax.period == 0) return ax.listed.size() < kListedMax ? std::optional<bool>(false) : std::nullopt;
  return std::find(ax.residues.begin(), ax.residues.end(), n % ax.period) != ax.residues.end();
}

// The sizes along one axis the statement is about: every axis at n when the
// network reads alike on every axis (one scan along the diagonal), else this
// axis at n and the others at the anchor the note names.
Shape probe_sizes(const convscope::ValidInput& v, size_t axes, size_t a, int64_t n) {
  const std::string lead = "each axis scanned with the others at ";
  const size_t at = v.note.find(lead);
  if (at == std::string::npos) return Shape(axes, n);
  Shape s(axes, std::stoll(v.note.substr(at + lead.size())));
  s[a] = n;
  return s;
}

convscope::Network with_sizes(convscope::Network net, const Shape& spatial) {
  for (size_t a = 0; a < spatial.size(); ++a) net.input[convscope::conventions::spatial_axis(net.framework, a)] = spatial[a];
  return net;
}

void check_valid_input(const convscope::Network& net, const convscope::Report& rep, std::mt19937& rng, Tally& tally) {
  const auto& v = rep.valid_input;
  if (v.axes.empty()) {
    CHECK_FALSE(v.note.empty());
    CHECK_FALSE(rep.min_input.has_value());
    return;
  }
  const size_t sr = net.spatial_rank();
  REQUIRE(v.axes.size() == sr);
  const bool anchored = test_support::contains(v.note, "each axis scanned with the others at ");
  if (anchored) ++tally.anchored;
  // A graph's minimum input is the smallest size of each axis' statement, and valid.
  if (rep.min_input) {
    for (size_t a = 0; a < sr; ++a) CHECK((*rep.min_input)[a] == v.axes[a].smallest);
    CHECK(convscope::analyze(with_sizes(net, *rep.min_input), kQuick).ok);
  }
  const Shape spatial = test_support::spatial_of(net.framework, net.input);
  for (size_t a = 0; a < sr; ++a) {
    CAPTURE(a);
    const auto& ax = v.axes[a];
    if (!anchored) CHECK(ax.text == v.axes[0].text);
    if (ax.period) ++tally.periodic;
    const int64_t top = ax.checked_up_to;
    REQUIRE(top >= 8);
    if (ax.smallest) CHECK(stated_valid(ax, *ax.smallest) == true);
    // The current input: ok exactly when the statement includes it.
    if (!anchored && spatial[0] == spatial[1] && spatial[0] <= top) {
      const auto says = stated_valid(ax, spatial[0]);
      if (says) CHECK(rep.ok == *says);
    }
    // Stated valid and excluded sizes, between the smallest and the window's end.
    std::vector<int64_t> probes;
    const int64_t lo = ax.smallest.value_or(1);
    for (int t = 0; t < 10; ++t) probes.push_back(std::uniform_int_distribution<int64_t>(lo, top)(rng));
    for (size_t k = 0; k < std::min<size_t>(ax.listed.size(), 3); ++k) probes.push_back(ax.listed[k]);
    probes.push_back(top);
    for (int64_t n : probes) {
      CAPTURE(n);
      const auto says = stated_valid(ax, n);
      if (!says) {
        ++tally.unstated;
        continue;
      }
      ++tally.sizes_checked;
      CHECK(convscope::analyze(with_sizes(net, probe_sizes(v, sr, a, n)), kQuick).ok == *says);
    }
  }
  if (!rep.ok && !anchored && spatial[0] == spatial[1]) {
    REQUIRE(v.nearest_below.size() == 2u);
    for (int64_t n : {v.nearest_below[0], v.nearest_above[0]})
      if (n > 0) CHECK(convscope::analyze(with_spatial(net, n), kQuick).ok);
  }
}

// The report JSON carries the report; the network JSON round-trips.
void check_json(const convscope::Network& net, const convscope::Report& rep) {
  json::Value v;
  json::ParseError error;
  const std::string text = convscope::report_text_json(rep, net);
  REQUIRE(json::parse(text, v, error));
  json::Array errors;
  for (size_t e : rep.errors) errors.push_back(json::Value(static_cast<int64_t>(e)));
  CHECK(*v.find("errors") == json::Value(errors));
  CHECK(v.find("ok")->as_bool() == rep.ok);
  const auto& layers = v.find("layers")->as_array();
  REQUIRE(layers.size() == rep.layers.size());
  for (size_t i = 0; i < layers.size(); ++i) {
    CAPTURE(i);
    const auto& r = rep.layers[i];
    CHECK(layers[i].find("status")->as_string() == convscope::to_string(r.status));
    const auto& inputs = layers[i].find("inputs")->as_array();
    REQUIRE(inputs.size() == r.inputs.size());
    for (size_t k = 0; k < inputs.size(); ++k) {
      const int32_t from = r.inputs[k];
      CHECK(inputs[k].as_string() == (from < 0 ? std::string("input") : net.layers[static_cast<size_t>(from)].name));
      const json::Value& arriving = layers[i].find("arriving")->as_array()[k];
      const bool known = r.arriving.empty() ? r.input.has_value() : r.arriving[k].has_value();
      CHECK(arriving.is_null() == !known);
    }
    const json::Value* out = layers[i].find("output");
    REQUIRE(out != nullptr);
    CHECK(out->is_null() == !r.output.has_value());
  }
  const json::Value written = convscope::network_json::to_json(net);
  convscope::Network back;
  std::string perr;
  REQUIRE(convscope::network_json::from_json(written, back, perr));
  CHECK(convscope::network_json::to_json(back) == written);
  REQUIRE(back.layers.size() == net.layers.size());
  for (size_t i = 0; i < net.layers.size(); ++i) CHECK(convscope::inputs_of(back, i) == convscope::inputs_of(net, i));
  CHECK(convscope::report_text_json(convscope::analyze(back), back) == text);
}

void check_graphs(uint32_t first_seed, uint32_t last_seed) {
  Tally tally;
  std::mt19937 sampler(first_seed * 7919u);
  for (uint32_t seed = first_seed; seed <= last_seed; ++seed) {
    CAPTURE(seed);
    GraphGenerator gen(seed);
    const json::Value spec = gen.network();
    CAPTURE(json::write(spec, -1));
    convscope::Network net;
    std::string error;
    const bool parsed = convscope::network_json::from_json(spec, net, error);
    CAPTURE(error);
    REQUIRE(parsed);
    REQUIRE(net.layers.size() == gen.nodes().size());
    const convscope::Report rep = convscope::analyze(net);
    ++tally.graphs;
    if (!rep.ok) ++tally.invalid;
    if (rep.errors.size() > 1) ++tally.several_errors;
    if (rep.first_error && convscope::is_multi_input(net.layers[*rep.first_error].type)) ++tally.merge_errors;
    check_against_oracle(net, rep, gen.nodes());
    check_skips(net, rep);
    check_fixes(net, rep, tally);
    check_valid_input(net, rep, sampler, tally);
    check_json(net, rep);
  }
  INFO("seeds " << first_seed << "-" << last_seed << ": graphs " << tally.graphs << ", invalid " << tally.invalid
                << " (first error a merge " << tally.merge_errors << ", several errors " << tally.several_errors
                << "), fixes " << tally.fixes << " (" << tally.resolving << " resolving all), periodic statements "
                << tally.periodic << ", sizes re-analysed " << tally.sizes_checked << " (" << tally.unstated
                << " past a cut-off list), anchored statements " << tally.anchored);
  // The mix is meant to break merges often, not only to produce valid graphs.
  CHECK(tally.invalid >= tally.graphs / 4);
  CHECK(tally.invalid <= tally.graphs * 9 / 10);
  CHECK(tally.merge_errors >= tally.invalid / 3);
  CHECK(tally.several_errors >= tally.graphs / 20);
  CHECK(tally.fixes >= tally.invalid);
  CHECK(tally.periodic >= tally.graphs / 10);
  CHECK(tally.anchored > 0);
}

}  // namespace

TEST_CASE("graph properties hold over seeded random graphs, seeds 1-75") { check_graphs(1, 75); }
TEST_CASE("graph properties hold over seeded random graphs, seeds 76-150") { check_graphs(76, 150); }
TEST_CASE("graph properties hold over seeded random graphs, seeds 151-225") { check_graphs(151, 225); }
TEST_CASE("graph properties hold over seeded random graphs, seeds 226-300") { check_graphs(226, 300); }
