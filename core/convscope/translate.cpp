#include "convscope/translate.hpp"

#include <algorithm>
#include <set>

#include "convscope/analyze.hpp"
#include "convscope/conventions.hpp"
#include "convscope/geometry.hpp"
#include "convscope/layer_types.hpp"
#include "convscope/shape.hpp"

namespace convscope {

namespace {

using PadPairs = std::vector<std::pair<int64_t, int64_t>>;

// Keras is what a TensorFlow port writes (its layers have the fields).
std::string fw_name(Framework f) {
  return f == Framework::tensorflow ? "Keras" : conventions::display_name(f);
}

std::string num(int64_t v) { return std::to_string(v); }

std::string pairs_text(const PadPairs& p) {
  std::string s;
  for (size_t i = 0; i < p.size(); ++i) {
    s += (i ? ", " : "") + std::string("(") + num(p[i].first) + ", " + num(p[i].second) + ")";
  }
  return p.size() == 1 ? s : "(" + s + ")";
}

bool all_zero(const PadPairs& p) {
  return std::all_of(p.begin(), p.end(), [](const auto& x) { return x.first == 0 && x.second == 0; });
}
bool symmetric(const PadPairs& p) {
  return std::all_of(p.begin(), p.end(), [](const auto& x) { return x.first == x.second; });
}

bool is_pool(LayerType t) { return t == LayerType::max_pool || t == LayerType::avg_pool; }

// A full shape's axis in another framework's layout.
size_t port_axis(Framework from, Framework to, size_t rank, size_t a) {
  if (rank < 3 || a == 0 || conventions::channels_last(from) == conventions::channels_last(to)) return a;
  if (a == conventions::channel_axis(from, rank)) return conventions::channel_axis(to, rank);
  return conventions::spatial_axis(to, a - conventions::spatial_axis(from, 0));
}

class Porter {
 public:
  Porter(const Network& src, Framework to, Translation& t)
      : src_(src), to_(to), t_(t), report_(propagate(src, false)), sr_(src.spatial_rank()) {
    for (const Layer& l : src.layers) names_.insert(l.name);
  }

  void run() {
    Network& out = t_.network;
    out.framework = to_;
    out.mode = to_ == Framework::pytorch ? Mode::eval : default_mode(to_);
    out.description = src_.description;
    out.input = in_layout(src_.input, src_.framework, to_);
    t_.target_of.assign(src_.layers.size(), 0);
    for (size_t i = 0; i < src_.layers.size(); ++i) port(i);
    compact_inputs(out);
  }

 private:
  // The source's resolved numbers for layer i, when it resolved them.
  std::optional<geometry::Geometry> resolved(size_t i) const {
    const LayerReport& r = report_.layers[i];
    if (r.status == Status::error || r.status == Status::skipped) return std::nullopt;
    return geometry::resolve(src_.layers[i], r);
  }

  void note(size_t i, std::string text) { t_.notes.push_back({i, std::move(text)}); }

  std::string unique(const std::string& base) {
    std::string name = base;
    for (int k = 2; names_.count(name); ++k) name = base + "_" + num(k);
    names_.insert(name);
    return name;
  }

  // Appends a target layer for source layer i; returns its index.
  int32_t emit(Layer l, size_t i, InputList inputs) {
    l.inputs = std::move(inputs);
    t_.network.layers.push_back(std::move(l));
    t_.source_of.push_back(i);
    return static_cast<int32_t>(t_.network.layers.size() - 1);
  }

  Layer helper(LayerType type, const std::string& name) const {
    Layer l;
    l.type = type;
    l.name = name;
    return l;
  }

  int32_t pad_before(size_t i, const PadPairs& pads, const InputList& in) {
    Layer z = helper(LayerType::zero_pad, unique(src_.layers[i].name + "_pad"));
    z.padding.pairs = pads;
    z.padding.written_as = 2;
    return emit(std::move(z), i, in);
  }

  void port(size_t i) {
    const Layer& s = src_.layers[i];
    InputList in;
    for (int32_t k : inputs_of(src_, i))
      in.push_back(k == kNetworkInput ? kNetworkInput : static_cast<int32_t>(t_.target_of[static_cast<size_t>(k)]));
    Layer l = s;
    int32_t last = -1;
    // By rule kind: a new layer type ports by what its rule does to a shape.
    switch (type_info(s.type).rule) {
      case RuleKind::window: last = port_window(i, l, in); break;
      case RuleKind::transposed: last = port_transposed(i, l, in); break;
      case RuleKind::adaptive_pool: last = port_adaptive(i, l, in); break;
      case RuleKind::global_pool: last = port_global(i, l, in); break;
      case RuleKind::concat: port_concat(i, l); last = emit(std::move(l), i, in); break;
      // Shapes that read alike in every layout (per-axis pairs and factors,
      // vectors, whole tensors, a [tensor, reference] match).
      case RuleKind::resize_axes:
      case RuleKind::flatten:
      case RuleKind::dense:
      case RuleKind::pointwise:
      case RuleKind::elementwise:
      case RuleKind::match: last = emit(std::move(l), i, in); break;
      // Channels regrouped or sliced: the channel axis in either layout.
      case RuleKind::channels:
        if (to_ == Framework::tensorflow)
          note(i, std::string("Keras has no ") + (s.type == LayerType::channel_shuffle ? "channel shuffle" : "channel split") +
                      " layer: kept as a channel step on the last axis (the Keras export writes it as a Lambda)");
        last = emit(std::move(l), i, in);
        break;
      case RuleKind::reshape: last = port_reshape(i, l, in); break;
    }
    t_.target_of[i] = static_cast<size_t>(last);
  }

  // ---- reshape -----------------------------------------------------------------

  // The sizes after the batch in the target's layout: a view to [64, 7, 7]
  // (C, H, W) is Keras' Reshape((7, 7, 64)), as a port is written by hand.
  int32_t port_reshape(size_t i, Layer& l, InputList in) {
    std::vector<int64_t> full = l.target_shape;
    full.insert(full.begin(), 1);
    full = in_layout(full, src_.framework, to_);
    const std::vector<int64_t> moved(full.begin() + 1, full.end());
    // Sizes of 1 on every spatial axis ([N, C, 1, 1]) hold the values in the same order in both layouts.
    const bool same_order = std::count(moved.begin(), moved.end(), 1) + 1 >= static_cast<std::ptrdiff_t>(moved.size());
    if (moved != l.target_shape)
      note(i, "the sizes after the batch follow " + fw_name(to_) + "'s layout (" +
                  conventions::layout_string(to_, full.size()) + "): " + shape_text(moved) +
                  (same_order ? "" : " (the values land in another order, as in any port between layouts)"));
    l.target_shape = moved;
    if (l.infer_batch && to_ == Framework::tensorflow) {
      l.infer_batch = false;
      note(i, "Keras' Reshape keeps the batch axis (x.view(-1, ...) infers it): ported as Reshape(" +
                  shape_text(l.target_shape) + "), the same while the batch comes out unchanged");
    }
    return emit(std::move(l), i, in);
  }

  static std::string shape_text(const std::vector<int64_t>& v) {
    std::string s = "(";
    for (size_t k = 0; k < v.size(); ++k) s += (k ? ", " : "") + num(v[k]);
    return s + (v.size() == 1 ? ",)" : ")");
  }

  // ---- conv, depthwise conv, pooling -------------------------------------------

  int32_t port_window(size_t i, Layer& l, InputList in) {
    const std::string cls = conventions::framework_layer_name(to_, l.type, sr_);
    // Pooling dilation: Keras has none, PyTorch's AvgPool neither.
    const bool dilated = std::any_of(l.dilation.begin(), l.dilation.end(), [](int64_t d) { return d > 1; });
    if (is_pool(l.type) && dilated &&
        (to_ == Framework::tensorflow || (to_ == Framework::pytorch && l.type == LayerType::avg_pool))) {
      for (size_t a = 0; a < l.kernel.size(); ++a) l.kernel[a] = l.dilation[a] * (l.kernel[a] - 1) + 1;
      l.dilation.assign(sr_, 1);
      note(i, fw_name(to_) + "'s " + cls + " has no dilation: a window of " + num(l.kernel[0]) +
                  " spans the same cells (same size; it pools every cell of the span instead of one in every " +
                  num(src_.layers[i].dilation[0]) + ")");
    }
    if (l.type == LayerType::avg_pool) l.count_include_pad = to_ == Framework::pytorch ? true : false;
    const std::optional<geometry::Geometry> g = resolved(i);
    PadPairs pads;
    if (g) {
      for (const geometry::Axis& a : *g) pads.push_back({a.pad_begin, a.pad_end});
    } else {
      return port_window_as_written(i, l, in);
    }
    // Where the source wrote 'same' (SAME_UPPER), the target's 'same' is the
    // same rule; anything else is spelled from the resolved pads.
    bool same = l.padding.mode == PadMode::same;
    bool extended = false;
    if (l.ceil_mode && to_ == Framework::tensorflow) {
      // Keras has no ceil_mode: end padding that lets the floor reach the same output.
      for (size_t a = 0; a < g->size(); ++a) {
        const geometry::Axis& ax = (*g)[a];
        const int64_t needed = (ax.out - 1) * ax.stride + ax.k_eff;
        const int64_t have = ax.in + ax.pad_begin + ax.pad_end;
        if (needed > have) {
          pads[a].second += needed - have;
          extended = true;
        }
      }
      l.ceil_mode = false;
      same = same && !extended;
      if (extended)
        note(i, "Keras has no ceil_mode: padding at the end instead, " + pairs_text(pads) +
                    ", gives the same size at this input (other input sizes may need other padding)");
    }
    if (l.padding.mode == PadMode::same_lower && to_ != Framework::onnx)
      note(i, fw_name(to_) + " has no SAME_LOWER: its pads at this input, " + pairs_text(pads) +
                  ", are written out (other input sizes need other pads)");
    l.padding = Padding{};
    return spell_pads(i, l, pads, *g, same, extended, std::move(in));
  }

  // The resolved pads in the target's spelling.
  // `extended`: the pads include end padding standing in for ceil mode, which
  // stays an explicit layer (it is no padding of the source's).
  int32_t spell_pads(size_t i, Layer& l, const PadPairs& pads, const geometry::Geometry& g, bool source_same,
                     bool extended, InputList in) {
    const bool pool = is_pool(l.type);
    const bool strided = std::any_of(l.stride.begin(), l.stride.end(), [](int64_t s) { return s > 1; });
    switch (to_) {
      case Framework::onnx:
        if (source_same) {
          l.padding.mode = PadMode::same;  // auto_pad SAME_UPPER
          return emit(std::move(l), i, in);
        }
        l.padding.mode = PadMode::explicit_pads;
        l.padding.pairs = pads;
        l.padding.written_as = symmetric(pads) ? 1 : 2;
        return emit(std::move(l), i, in);
      case Framework::tensorflow: {
        if (all_zero(pads)) {
          l.padding.mode = PadMode::valid;
          return emit(std::move(l), i, in);
        }
        bool same = !extended;
        for (size_t a = 0; same && a < g.size(); ++a)
          same = shape::same_pads_upper(g[a].in, g[a].k_eff, g[a].stride) == shape::Pads{pads[a].first, pads[a].second};
        if (same) {
          l.padding.mode = PadMode::same;
          return emit(std::move(l), i, in);
        }
        if (!pool && !extended) {
          // tf.nn.conv2d takes explicit pads (Keras's Conv2D would need a ZeroPadding2D before it).
          l.padding.mode = PadMode::explicit_pads;
          l.padding.pairs = pads;
          l.padding.written_as = 2;
          return emit(std::move(l), i, in);
        }
        l.padding.mode = PadMode::valid;
        pool_padding_note(i, l);
        return emit(std::move(l), i, {pad_before(i, pads, in)});
      }
      case Framework::pytorch: {
        if (source_same && !pool && !strided) {
          l.padding.mode = PadMode::same;  // stride 1: PyTorch's 'same' pads as TensorFlow's
          return emit(std::move(l), i, in);
        }
        if (source_same)
          note(i, std::string("PyTorch has no 'same' ") + (pool ? "for pooling" : "with a stride above 1") +
                      ": the pads " + fw_name(src_.framework) + " resolves at this input, " + pairs_text(pads) +
                      ", are written out (other input sizes need other pads)");
        // One padding per axis: the part both sides share, the rest in a ZeroPad
        // before (pooling: all of it, as zeros are no max-pool padding either way).
        PadPairs inner(pads.size(), {0, 0}), outer = pads;
        if (symmetric(pads)) {
          inner = pads;
          outer.assign(pads.size(), {0, 0});
          // PyTorch refuses pool padding beyond half the window: written as
          // the source has it, so the table shows the refusal; the note says how to port it.
          for (size_t a = 0; pool && a < pads.size(); ++a)
            if (pads[a].first * 2 > l.kernel[a]) {
              note(i, "PyTorch's " + conventions::framework_layer_name(to_, l.type, sr_) +
                          " refuses padding above half the window: a ZeroPad" + std::to_string(sr_) +
                          "d before it and padding 0 give " + fw_name(src_.framework) + "'s size");
              break;
            }
        } else if (!pool) {
          for (size_t a = 0; a < pads.size(); ++a) {
            const int64_t m = std::min(pads[a].first, pads[a].second);
            inner[a] = {m, m};
            outer[a] = {pads[a].first - m, pads[a].second - m};
          }
        }
        l.padding.mode = PadMode::explicit_pads;
        l.padding.pairs = inner;
        l.padding.written_as = 1;
        if (all_zero(outer)) return emit(std::move(l), i, in);
        if (pool) pool_padding_note(i, l);
        return emit(std::move(l), i, {pad_before(i, outer, in)});
      }
    }
    return emit(std::move(l), i, in);
  }

  void pool_padding_note(size_t i, const Layer& l) {
    const std::string pad = conventions::framework_layer_name(to_, LayerType::zero_pad, sr_);
    if (l.type == LayerType::max_pool)
      note(i, pad + " before the pool gives the same size, but it pads zeros where " + fw_name(src_.framework) +
                  "'s max pooling ignores its padding: a window over negative values and padding can differ");
    else if (!src_.layers[i].count_include_pad)
      note(i, pad + " before the pool gives the same size, but the average then counts the padded zeros (" +
                  fw_name(src_.framework) + " here leaves them out)");
  }

  // A layer the source never resolved (it fails there, or after a failure):
  // its padding as written, so the target's own rule decides.
  int32_t port_window_as_written(size_t i, Layer& l, InputList in) {
    const std::string why = "spelled as written: " + fw_name(src_.framework) +
                            " does not resolve this layer's padding (it fails at or before it)";
    Padding& p = l.padding;
    const bool pool = is_pool(l.type);
    if (l.ceil_mode && to_ == Framework::tensorflow) {
      l.ceil_mode = false;
      note(i, "Keras has no ceil_mode, and without the input size here the end padding that would replace it "
              "is unknown: the pool is written without it (" + why + ")");
    }
    if (p.mode == PadMode::explicit_pads) {
      if (to_ == Framework::onnx) return emit(std::move(l), i, in);
      if (to_ == Framework::pytorch && symmetric(p.pairs)) return emit(std::move(l), i, in);
      const PadPairs pads = p.pairs;
      if (all_zero(pads)) {
        if (to_ == Framework::tensorflow) p.mode = PadMode::valid;
        return emit(std::move(l), i, in);
      }
      p.pairs.assign(sr_, {0, 0});
      if (to_ == Framework::tensorflow) p.mode = PadMode::valid;
      return emit(std::move(l), i, {pad_before(i, pads, in)});
    }
    if (p.mode == PadMode::valid) {
      if (to_ != Framework::tensorflow) {
        p.mode = PadMode::explicit_pads;
        p.pairs.assign(sr_, {0, 0});
        p.written_as = 0;
      }
      return emit(std::move(l), i, in);
    }
    // 'same' / SAME_LOWER.
    if (to_ == Framework::pytorch && pool) {
      p.mode = PadMode::explicit_pads;
      p.pairs.clear();
      for (size_t a = 0; a < sr_; ++a) {
        const int64_t half = (l.dilation[a] * (l.kernel[a] - 1) + 1) / 2;
        p.pairs.push_back({half, half});
      }
      p.written_as = 1;
      note(i, "PyTorch pooling has no 'same': padding " + num(p.pairs[0].first) +
                  " (half the window) is the usual port (" + why + ")");
      return emit(std::move(l), i, in);
    }
    if (p.mode == PadMode::same_lower && to_ != Framework::onnx) {
      p.mode = PadMode::same;
      note(i, fw_name(to_) + " has no SAME_LOWER: 'same' puts the odd padding cell at the end instead (" + why +
                  ")");
    }
    return emit(std::move(l), i, in);
  }

  // ---- transposed conv -------------------------------------------------------------

  int32_t port_transposed(size_t i, Layer& l, InputList in) {
    const std::optional<geometry::Geometry> g = resolved(i);
    if (!g) {
      if (l.padding.mode != PadMode::explicit_pads && to_ == Framework::pytorch) {
        l.padding = Padding{};
        l.padding.pairs.assign(sr_, {0, 0});
        note(i, "PyTorch's " + conventions::framework_layer_name(to_, l.type, sr_) +
                    " has no 'same', and without the input size here the padding that would replace it is "
                    "unknown: written without padding");
      } else if (l.padding.mode == PadMode::explicit_pads && to_ == Framework::tensorflow) {
        const PadPairs pads = l.padding.pairs;
        l.padding = Padding{};
        l.padding.mode = PadMode::valid;
        if (!all_zero(pads)) return crop_after(i, std::move(l), pads, std::move(in));
      }
      return emit(std::move(l), i, in);
    }
    PadPairs pads;
    std::vector<int64_t> op;
    for (const geometry::Axis& a : *g) {
      pads.push_back({a.pad_begin, a.pad_end});
      op.push_back(a.output_padding);
    }
    const bool negative = std::any_of(pads.begin(), pads.end(), [](const auto& p) { return p.first < 0 || p.second < 0; });
    if (negative) {
      note(i, "the padding resolves to " + pairs_text(pads) + " (negative: cells added, not cropped), which " +
                  fw_name(to_) + " cannot spell: written as in " + fw_name(src_.framework));
      return emit(std::move(l), i, in);
    }
    l.padding = Padding{};
    l.output_padding = op;
    if (to_ == Framework::onnx) {
      l.padding.pairs = pads;
      l.padding.written_as = symmetric(pads) ? 1 : 2;
      return emit(std::move(l), i, in);
    }
    if (to_ == Framework::tensorflow) {
      // Keras 'same' when it resolves to the same numbers; else 'valid' with
      // output_padding and a Cropping layer for the padding.
      // (Keras 'same': output in * stride, TensorFlow's padding max(0, k_eff - stride)
      // split with the odd cell at the end.)
      bool same = true;
      for (const geometry::Axis& a : *g) {
        const int64_t total = std::max<int64_t>(0, a.k_eff - a.stride);
        same = same && a.pad_begin == total / 2 && a.pad_end == total - total / 2 && a.out == a.in * a.stride;
      }
      if (same) {
        l.padding.mode = PadMode::same;
        l.output_padding.clear();
        return emit(std::move(l), i, in);
      }
      l.padding.mode = PadMode::valid;
      if (all_zero(pads)) return emit(std::move(l), i, in);
      return crop_after(i, std::move(l), pads, std::move(in));
    }
    // PyTorch: one padding per axis; the rest cropped after.
    PadPairs inner, outer;
    for (const auto& p : pads) {
      const int64_t m = std::min(p.first, p.second);
      inner.push_back({m, m});
      outer.push_back({p.first - m, p.second - m});
    }
    l.padding.pairs = inner;
    l.padding.written_as = 1;
    if (all_zero(outer)) return emit(std::move(l), i, in);
    return crop_after(i, std::move(l), outer, std::move(in));
  }

  // The transposed conv without its padding, then a crop of it; the crop
  // computes the source layer's output, so it carries the name.
  int32_t crop_after(size_t i, Layer l, const PadPairs& pads, InputList in) {
    const std::string name = l.name;
    l.name = unique(name + "_full");
    const int32_t conv = emit(std::move(l), i, std::move(in));
    Layer c = helper(LayerType::crop, name);
    c.cropping.pairs = pads;
    c.cropping.written_as = 2;
    note(i, "the padding " + pairs_text(pads) + " of the transposed conv becomes a " +
                conventions::framework_layer_name(to_, LayerType::crop, sr_) + " after it (same size and values)");
    return emit(std::move(c), i, {conv});
  }

  // ---- adaptive and global pooling ---------------------------------------------------

  int32_t port_adaptive(size_t i, Layer& l, InputList in) {
    if (to_ == Framework::pytorch) return emit(std::move(l), i, in);
    const bool to_one = std::all_of(l.output_size.begin(), l.output_size.end(), [](int64_t o) { return o == 1; });
    if (to_one) {
      Layer gp = helper(LayerType::global_avg_pool, l.name);
      gp.keepdims = true;
      gp.count_include_pad = l.count_include_pad;
      return emit(std::move(gp), i, in);
    }
    const std::optional<Shape>& arriving = report_.layers[i].input;
    if (!arriving || arriving->size() != sr_ + 2) {
      note(i, fw_name(to_) + " has no adaptive pooling, and without the input size here no pooling can stand in "
                             "for it: kept as PyTorch's");
      return emit(std::move(l), i, in);
    }
    Layer p = helper(LayerType::avg_pool, l.name);
    p.padding.pairs.assign(sr_, {0, 0});
    p.dilation.assign(sr_, 1);
    p.count_include_pad = false;
    bool exact = true;
    for (size_t a = 0; a < sr_; ++a) {
      const int64_t n = (*arriving)[conventions::spatial_axis(src_.framework, a)];
      const int64_t o = l.output_size[a];
      const int64_t stride = std::max<int64_t>(1, n / o);
      p.stride.push_back(stride);
      p.kernel.push_back(std::max<int64_t>(1, n - (o - 1) * stride));
      exact = exact && n % o == 0;
    }
    if (to_ == Framework::tensorflow) p.padding.mode = PadMode::valid;
    note(i, fw_name(to_) + " has no adaptive pooling: average pooling with window " + num(p.kernel[0]) +
                " and stride " + num(p.stride[0]) +
                (exact ? " is the same at this input size (it divides evenly); other sizes need other numbers"
                       : " gives the same size at this input, but PyTorch's adaptive windows differ (the size does "
                         "not divide evenly)"));
    return emit(std::move(p), i, in);
  }

  int32_t port_global(size_t i, Layer& l, InputList in) {
    if (to_ != Framework::pytorch || l.keepdims) {
      if (to_ == Framework::pytorch) l.keepdims = true;
      return emit(std::move(l), i, in);
    }
    // Keras/ONNX without keepdims: PyTorch's adaptive pooling keeps the axes; flatten after it.
    const std::string name = l.name;
    l.keepdims = true;
    l.name = unique(name + "_pool");
    const int32_t pool = emit(std::move(l), i, std::move(in));
    Layer f = helper(LayerType::flatten, name);
    note(i, "PyTorch's " + conventions::framework_layer_name(to_, LayerType::global_avg_pool, sr_) +
                "(1) keeps the spatial axes: torch.flatten after it gives " + fw_name(src_.framework) +
                "'s shape");
    return emit(std::move(f), i, {pool});
  }

  // ---- concat axis -------------------------------------------------------------------

  void port_concat(size_t i, Layer& l) {
    const std::optional<Shape>& arriving = report_.layers[i].input;
    const size_t rank = arriving ? arriving->size() : src_.input.size();
    const int64_t r = static_cast<int64_t>(rank);
    const int64_t written = l.axis.value_or(src_.framework == Framework::tensorflow ? -1 : 1);
    if (written < -r || written >= r) return;  // out of range: the target's rule says so
    const size_t a = static_cast<size_t>(written < 0 ? written + r : written);
    const size_t ported = port_axis(src_.framework, to_, rank, a);
    const size_t target_default = to_ == Framework::tensorflow ? rank - 1 : 1;
    if (ported == target_default) l.axis.reset();
    else l.axis = static_cast<int64_t>(ported);
    if (!arriving) note(i, "the axis is ported for rank " + num(r) + " (the inputs' rank is unknown here)");
  }

  const Network& src_;
  Framework to_;
  Translation& t_;
  Report report_;
  size_t sr_;
  std::set<std::string> names_;
};

}  // namespace

std::vector<int64_t> in_layout(const std::vector<int64_t>& shape, Framework from, Framework to) {
  std::vector<int64_t> out(shape.size());
  for (size_t a = 0; a < shape.size(); ++a) out[port_axis(from, to, shape.size(), a)] = shape[a];
  return out;
}

Translation translate(const Network& net, Framework to) {
  Translation t;
  t.framework = to;
  if (net.framework == to) {
    t.network = net;
    for (size_t i = 0; i < net.layers.size(); ++i) {
      t.source_of.push_back(i);
      t.target_of.push_back(i);
    }
    return t;
  }
  Porter(net, to, t).run();
  return t;
}

}  // namespace convscope
