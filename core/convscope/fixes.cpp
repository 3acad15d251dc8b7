#include "convscope/fixes.hpp"

#include <algorithm>
#include <numeric>

#include "convscope/checked.hpp"
#include "convscope/layer_rules.hpp"
#include "convscope/layer_types.hpp"
#include "convscope/limits.hpp"

namespace convscope {

using conventions::Failure;
using std::to_string;

namespace {

struct Candidate {
  std::string summary;
  Network net;
  // Index of the originally failing layer in the changed network; nullopt
  // when the change removed it.
  std::optional<size_t> fixed_index;
};

bool is_window(LayerType t) {
  return t == LayerType::conv || t == LayerType::depthwise_conv || t == LayerType::max_pool ||
         t == LayerType::avg_pool;
}
bool is_pool(LayerType t) { return t == LayerType::max_pool || t == LayerType::avg_pool; }

// "5" when every axis agrees, "(5, 3)" otherwise: how the user would type it.
std::string axes_value(const std::vector<int64_t>& v) {
  if (std::all_of(v.begin(), v.end(), [&](int64_t x) { return x == v[0]; })) return to_string(v[0]);
  std::string s = "(";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + to_string(v[i]);
  return s + ")";
}

std::string pads_value(const Padding& p) {
  std::vector<int64_t> begins;
  bool symmetric = true;
  for (const auto& pr : p.pairs) {
    begins.push_back(pr.first);
    symmetric = symmetric && pr.first == pr.second;
  }
  if (symmetric) return axes_value(begins);
  std::string s = "(";
  for (size_t i = 0; i < p.pairs.size(); ++i)
    s += (i ? ", " : "") + std::string("(") + to_string(p.pairs[i].first) + ", " + to_string(p.pairs[i].second) + ")";
  return s + ")";
}

std::string padding_value(const Padding& p) {
  switch (p.mode) {
    case PadMode::valid: return "'valid'";
    case PadMode::same: return "'same'";
    case PadMode::same_lower: return "'same_lower'";
    case PadMode::explicit_pads: return pads_value(p);
  }
  return "";
}

std::string field(const Network& net, const char* name) {
  return conventions::field_name(net.framework, name);
}

// Keras calls a pooling window pool_size, not kernel_size.
std::string kernel_field(const Network& net, LayerType t) {
  if (net.framework == Framework::tensorflow && is_pool(t)) return "pool_size";
  return field(net, "kernel");
}

Padding symmetric_padding(const std::vector<int64_t>& per_axis) {
  Padding p;
  p.mode = PadMode::explicit_pads;
  for (int64_t v : per_axis) p.pairs.push_back({v, v});
  const bool alike = std::all_of(per_axis.begin(), per_axis.end(), [&](int64_t x) { return x == per_axis[0]; });
  p.written_as = alike ? 0 : 1;
  return p;
}

class Generator {
 public:
  Generator(const Network& net, const Report& rep)
      : net_(net), rep_(rep), index_(*rep.first_error), layer_(net.layers[index_]),
        failing_(rep.layers[index_]) {}

  std::vector<Candidate> run() {
    const Failure f = *failing_.failure;
    switch (f) {
      case Failure::window_too_small:
      case Failure::pool_too_small:
        fix_window_size();
        fix_earlier_layers();
        fix_input();
        break;
      case Failure::transposed_too_small:
        set_layer("padding=0", [](Layer& l) { l.padding = symmetric_padding(std::vector<int64_t>(l.kernel.size(), 0)); });
        fix_input();
        break;
      case Failure::crop_too_large:
        set_layer("no cropping", [](Layer& l) { l.cropping = symmetric_padding(std::vector<int64_t>(l.cropping.pairs.size(), 0)); });
        fix_earlier_layers();
        fix_input();
        break;
      case Failure::pool_padding_too_large: fix_pool_padding(); break;
      case Failure::same_strided: fix_same_strided(); break;
      case Failure::same_dilated_strided:
        set_layer(field(net_, "stride") + "=1", [](Layer& l) { std::fill(l.stride.begin(), l.stride.end(), 1); });
        set_layer(field(net_, "dilation") + "=1", [](Layer& l) { std::fill(l.dilation.begin(), l.dilation.end(), 1); });
        break;
      case Failure::groups_in_channels:
      case Failure::groups_out_channels: fix_groups(); break;
      case Failure::output_padding_too_large: fix_output_padding(); break;
      case Failure::transposed_inconsistent:
        set_layer("no output_padding (Keras computes a consistent size)", [](Layer& l) { l.output_padding.clear(); });
        set_layer("output_padding=1", [](Layer& l) { std::fill(l.output_padding.begin(), l.output_padding.end(), 1); });
        break;
      case Failure::dense_mismatch: {
        const int64_t arriving = failing_.input->back();
        set_layer(field(net_, "in_features") + "=" + to_string(arriving) + " (was " +
                      to_string(*layer_.in_features) + ")",
                  [arriving](Layer& l) { l.in_features = arriving; });
        fix_input();
        break;
      }
      case Failure::rank_mismatch:
        remove_layer(index_, "remove " + display_name(layer_.name) + " (it needs spatial axes that an earlier flatten, dense or reshape removed)");
        break;
      case Failure::too_large: break;
      case Failure::concat_mismatch:
      case Failure::broadcast_mismatch: fix_merge(); break;
      case Failure::concat_rank:
      case Failure::concat_axis:
      case Failure::match_too_small:
      case Failure::match_rank: fix_nearest_inputs(); break;
      case Failure::channels_mismatch: {
        const int64_t arriving = (*failing_.input)[conventions::channel_axis(net_.framework, failing_.input->size())];
        set_layer("in_channels=" + to_string(arriving) + " (was " + to_string(*layer_.in_channels) + ")",
                  [arriving](Layer& l) { l.in_channels = arriving; });
        break;
      }
      case Failure::batch_norm_single_value: {
        Candidate eval{"model.eval() (mode 'eval': BatchNorm uses its running statistics)", net_, index_};
        eval.net.mode = Mode::eval;
        out_.push_back(std::move(eval));
        Candidate batch{"batch 2 (was " + to_string(net_.input[0]) + ")", net_, index_};
        batch.net.input[0] = 2;
        out_.push_back(std::move(batch));
        break;
      }
      case Failure::shuffle_groups: {
        // The largest divisor of the channels not above groups (1 always is one).
        const int64_t channels = (*failing_.input)[conventions::channel_axis(net_.framework, failing_.input->size())];
        int64_t g = 1;
        for (int64_t d = 1; d <= layer_.groups; ++d)
          if (channels % d == 0) g = d;
        set_layer(field(net_, "groups") + "=" + to_string(g) + " (was " + to_string(layer_.groups) + ")",
                  [g](Layer& l) { l.groups = g; });
        fix_earlier_layers();
        break;
      }
      case Failure::split_index: {
        const int64_t channels = (*failing_.input)[conventions::channel_axis(net_.framework, failing_.input->size())];
        const int64_t size = (channels + layer_.chunks - 1) / layer_.chunks;
        const int64_t last = size == 0 ? 0 : (channels + size - 1) / size - 1;
        set_layer("index=" + to_string(last) + " (the last chunk; was " + to_string(layer_.index) + ")",
                  [last](Layer& l) { l.index = last; });
        break;
      }
      case Failure::reshape_size:
        fix_reshape();
        fix_input();
        break;
      case Failure::pool_input_smaller_than_kernel: {
        std::vector<int64_t> k = layer_.kernel;
        for (size_t a = 0; a < k.size(); ++a)
          k[a] = std::min(k[a], (*failing_.input)[conventions::spatial_axis(net_.framework, a)]);
        set_layer(kernel_field(net_, layer_.type) + "=" + axes_value(k) + " (was " + axes_value(layer_.kernel) + ")",
                  [k](Layer& l) {
                    l.kernel = k;
                    for (size_t a = 0; a < k.size(); ++a) {  // keep the padding within half the kernel
                      l.padding.pairs[a].first = std::min(l.padding.pairs[a].first, k[a] / 2);
                      l.padding.pairs[a].second = std::min(l.padding.pairs[a].second, k[a] / 2);
                    }
                  });
        fix_input();
        break;
      }
    }
    return std::move(out_);
  }

 private:
  template <class Change>
  void change_layer(size_t i, std::string summary, Change change) {
    Candidate c{std::move(summary), net_, index_};
    change(c.net.layers[i]);
    out_.push_back(std::move(c));
  }

  template <class Change>
  void set_layer(const std::string& what, Change change) {
    change_layer(index_, what + " on " + display_name(layer_.name), change);
  }

  void remove_layer(size_t i, std::string summary) {
    Candidate c{std::move(summary), net_, std::nullopt};
    convscope::remove_layer(c.net, i);
    if (i < index_) c.fixed_index = index_ - 1;
    out_.push_back(std::move(c));
  }

  // Inserts `chain` (each reading the one before; the first reads
  // `first_inputs`) just before the failing layer, whose input `k` then
  // reads the chain's last layer.
  void insert_before(std::string summary, std::vector<Layer> chain, InputList first_inputs, size_t k) {
    Candidate c{std::move(summary), net_, index_ + chain.size()};
    for (size_t j = 0; j < chain.size(); ++j) {
      Layer l = std::move(chain[j]);
      l.inputs = j == 0 ? first_inputs : InputList{static_cast<int32_t>(index_ + j - 1)};
      insert_layer(c.net, index_ + j, std::move(l));
    }
    const size_t merge = index_ + chain.size();
    InputList in = inputs_of(c.net, merge);
    in[k] = static_cast<int32_t>(merge - 1);
    c.net.layers[merge].inputs = in;
    compact_inputs(c.net);
    out_.push_back(std::move(c));
  }

  std::string source_name(int32_t k) const { return input_label(net_, k); }
  // The bare name new layers are named after ("input" for the network input).
  std::string base_name(int32_t k) const { return k == kNetworkInput ? std::string("input") : net_.layers[static_cast<size_t>(k)].name; }

  // A layer name no other layer has: base, base_2, ...
  std::string fresh_name(const std::string& base) const {
    auto taken = [&](const std::string& n) {
      return n == "input" || std::any_of(net_.layers.begin(), net_.layers.end(), [&](const Layer& l) { return l.name == n; });
    };
    if (!taken(base)) return base;
    for (int i = 2;; ++i)
      if (!taken(base + "_" + to_string(i))) return base + "_" + to_string(i);
  }

  // The nearest valid input sizes below and above the current one.
  void fix_nearest_inputs() {
    const ValidInput& v = rep_.valid_input;
    const size_t sr = net_.spatial_rank();
    for (const auto* sizes : {&v.nearest_below, &v.nearest_above}) {
      if (sizes->size() != sr) continue;
      Network n = net_;
      bool usable = true;
      for (size_t a = 0; a < sr; ++a) {
        usable = usable && (*sizes)[a] > 0;
        n.input[conventions::spatial_axis(net_.framework, a)] = (*sizes)[a];
      }
      if (!usable || n.input == net_.input) continue;
      out_.push_back({"input " + conventions::joined(n.input, "x") + " (was " + conventions::joined(net_.input, "x") +
                          "): the nearest valid size " + (sizes == &v.nearest_below ? "below" : "above"),
                      std::move(n), index_});
    }
  }

  // Two inputs of a merge disagree: change the input size, the layer where
  // the sizes part, or bring one input to the other's size.
  void fix_merge() {
    fix_nearest_inputs();
    if (!failing_.trace) return;
    const BranchTrace& t = *failing_.trace;
    const Framework fw = net_.framework;
    const InputList merge_inputs = inputs_of(net_, index_);
    const bool channels = t.axis_label == "C";
    const BranchTrace::Branch& b0 = t.branches[0];
    const BranchTrace::Branch& b1 = t.branches[1];
    if (!channels) {
      // On the path(s) that changed the size: the steps that lost or gained cells.
      for (const BranchTrace::Branch* br : {&b0, &b1}) {
        const BranchTrace::Branch& other = br == &b0 ? b1 : b0;
        for (const TraceStep& st : br->steps) {
          const Layer& l = net_.layers[st.layer];
          const bool strided = std::any_of(l.stride.begin(), l.stride.end(), [](int64_t x) { return x > 1; });
          if (is_pool(l.type) && strided && fw != Framework::tensorflow && !l.ceil_mode)
            change_layer(st.layer, "ceil_mode=True on " + display_name(l.name) + " (was False): keeps the odd last row",
                         [](Layer& x) { x.ceil_mode = true; });
          if (is_window(l.type) && !strided && l.padding.mode != PadMode::same && st.out < st.in) {
            if (fw == Framework::pytorch && is_pool(l.type)) continue;
            change_layer(st.layer, field(net_, "padding") + "='same' on " + display_name(l.name) + " (was " + padding_value(l.padding) + ")",
                         [](Layer& x) { x.padding = Padding{}; x.padding.mode = PadMode::same; });
          }
          if (l.type == LayerType::conv_transpose && other.size > br->size) {
            const int64_t need = other.size - br->size;
            const size_t sr = net_.spatial_rank();
            std::vector<int64_t> op = l.output_padding.empty() ? std::vector<int64_t>(sr, 0) : l.output_padding;
            for (int64_t& x : op) x += need;
            change_layer(st.layer, field(net_, "output_padding") + "=" + axes_value(op) + " on " + display_name(l.name),
                         [op](Layer& x) { x.output_padding = op; });
          }
        }
      }
      // Bring one input to the other's size just before the merge.
      const bool first_smaller = b0.size < b1.size;
      const size_t small_k = first_smaller ? b0.input : b1.input;
      const size_t large_k = first_smaller ? b1.input : b0.input;
      const int32_t small = merge_inputs[small_k], large = merge_inputs[large_k];
      const std::string how_pad = fw == Framework::pytorch ? " (F.pad(x, [diff // 2, diff - diff // 2]) per axis)" : "";
      const std::string how_resize = fw == Framework::pytorch ? " (F.interpolate(x, size=...))"
                                     : fw == Framework::tensorflow ? " (tf.image.resize)" : " (Resize)";
      {
        Layer l;
        l.type = LayerType::pad_to;
        l.name = fresh_name(base_name(small) + "_padded");
        insert_before("pad " + source_name(small) + " to " + source_name(large) + "'s size before " + display_name(layer_.name) + how_pad,
                      {l}, {small, large}, small_k);
      }
      {
        Layer l;
        l.type = LayerType::crop_to;
        l.name = fresh_name(base_name(large) + "_cropped");
        insert_before("centre-crop " + source_name(large) + " to " + source_name(small) + "'s size before " + display_name(layer_.name) +
                          " (as the original U-Net does)",
                      {l}, {large, small}, large_k);
      }
      {
        Layer l;
        l.type = LayerType::resize_to;
        l.name = fresh_name(base_name(small) + "_resized");
        insert_before("resize " + source_name(small) + " to " + source_name(large) + "'s size before " + display_name(layer_.name) + how_resize,
                      {l}, {small, large}, small_k);
      }
    }
    if (layer_.type != LayerType::concat) fix_projection_shortcut(t);
  }

  // A residual add whose shortcut does not match the main path: a 1x1
  // convolution with the main path's stride and channels, then batch norm
  // (torchvision ResNet's `downsample`).
  void fix_projection_shortcut(const BranchTrace& t) {
    const BranchTrace::Branch& b0 = t.branches[0];
    const BranchTrace::Branch& b1 = t.branches[1];
    const BranchTrace::Branch& shortcut = b0.steps.size() <= b1.steps.size() ? b0 : b1;
    const BranchTrace::Branch& main = &shortcut == &b0 ? b1 : b0;
    const Shape& from = *failing_.arriving[shortcut.input];
    const Shape& to = *failing_.arriving[main.input];
    if (from.size() != to.size() || from.size() != net_.spatial_rank() + 2) return;
    const size_t sr = net_.spatial_rank();
    std::vector<int64_t> stride(sr, 1);
    for (size_t a = 0; a < sr; ++a) {
      const size_t ax = conventions::spatial_axis(net_.framework, a);
      if (to[ax] < 1 || from[ax] < to[ax]) return;
      stride[a] = from[ax] / to[ax];
      // 1x1 windows with this stride must land on the main path's size.
      if ((from[ax] - 1) / stride[a] + 1 != to[ax]) return;
    }
    const int64_t channels = to[conventions::channel_axis(net_.framework, to.size())];
    Layer conv;
    conv.type = LayerType::conv;
    const int32_t src = inputs_of(net_, index_)[shortcut.input];
    conv.name = fresh_name(layer_.name + "_downsample");
    conv.filters = channels;
    conv.kernel.assign(sr, 1);
    conv.stride = stride;
    conv.dilation.assign(sr, 1);
    conv.padding.mode = net_.framework == Framework::tensorflow ? PadMode::valid : PadMode::explicit_pads;
    if (conv.padding.mode == PadMode::explicit_pads) conv.padding.pairs.assign(sr, {0, 0});
    conv.cropping.pairs.assign(sr, {0, 0});
    conv.bias = false;
    Layer bn;
    bn.type = LayerType::batch_norm;
    bn.name = fresh_name(layer_.name + "_downsample_bn");
    bn.cropping.pairs.assign(sr, {0, 0});
    bn.padding.pairs.assign(sr, {0, 0});
    insert_before("projection shortcut on " + source_name(src) + ": 1x1 conv, " + to_string(channels) + " filters, " +
                      field(net_, "stride") + " " + axes_value(stride) + ", no bias, then batch norm (ResNet's downsample)",
                  {conv, bn}, {src}, shortcut.input);
  }

  // The padded size along axis a, and the effective kernel, at the failing layer.
  int64_t padded(size_t a) const { return failing_.axes[a].padded; }
  int64_t input_size(size_t a) const { return failing_.axes[a].in; }

  void fix_window_size() {
    const size_t sr = layer_.kernel.size();
    const Framework fw = net_.framework;
    const bool strided = std::any_of(layer_.stride.begin(), layer_.stride.end(), [](int64_t s) { return s > 1; });
    const bool dilated = std::any_of(layer_.dilation.begin(), layer_.dilation.end(), [](int64_t d) { return d > 1; });
    // 1. 'same' padding, where the framework offers it for this layer.
    const bool same_allowed = fw == Framework::onnx ||
                              (fw == Framework::tensorflow && !(strided && dilated && !is_pool(layer_.type))) ||
                              (fw == Framework::pytorch && !is_pool(layer_.type) && !strided);
    if (same_allowed && layer_.padding.mode != PadMode::same) {
      set_layer(field(net_, "padding") + "='same' (was " + padding_value(layer_.padding) + ")", [](Layer& l) {
        l.padding = Padding{};
        l.padding.mode = PadMode::same;
      });
    }
    // 2. The smallest symmetric explicit padding (Keras layers take no numbers).
    if (fw != Framework::tensorflow) {
      std::vector<int64_t> pads(sr, 0);
      for (size_t a = 0; a < sr; ++a) {
        const int64_t current = layer_.padding.mode == PadMode::explicit_pads
                                    ? std::max(layer_.padding.pairs[a].first, layer_.padding.pairs[a].second)
                                    : 0;
        const int64_t k_eff = failing_.axes[a].k_eff;
        pads[a] = std::max(current, checked::ceil_div(std::max<int64_t>(k_eff - input_size(a), 0), 2));
      }
      Padding p = symmetric_padding(pads);
      set_layer(field(net_, "padding") + "=" + padding_value(p) + " (was " + padding_value(layer_.padding) + ")",
                [p](Layer& l) { l.padding = p; });
    }
    // 3. A smaller kernel: the largest that fits the padded input.
    {
      std::vector<int64_t> k = layer_.kernel;
      bool changed = false;
      for (size_t a = 0; a < sr; ++a) {
        if (failing_.axes[a].out >= 1) continue;
        const int64_t fit = (std::max<int64_t>(padded(a), 1) - 1) / layer_.dilation[a] + 1;
        if (fit < k[a]) {
          k[a] = std::max<int64_t>(fit, 1);
          changed = true;
        }
      }
      if (changed)
        set_layer(kernel_field(net_, layer_.type) + "=" + axes_value(k) + " (was " + axes_value(layer_.kernel) + ")",
                  [k](Layer& l) { l.kernel = k; });
    }
    // 4. A smaller dilation.
    if (dilated) {
      std::vector<int64_t> d = layer_.dilation;
      for (size_t a = 0; a < sr; ++a)
        if (failing_.axes[a].out < 1 && layer_.kernel[a] > 1)
          d[a] = std::max<int64_t>(1, (std::max<int64_t>(padded(a), 1) - 1) / (layer_.kernel[a] - 1));
      if (d != layer_.dilation)
        set_layer(field(net_, "dilation") + "=" + axes_value(d) + " (was " + axes_value(layer_.dilation) + ")",
                  [d](Layer& l) { l.dilation = d; });
    }
    // 5. A smaller stride (matters with ceil mode and strided pools).
    if (strided) {
      set_layer(field(net_, "stride") + "=1 (was " + axes_value(layer_.stride) + ")",
                [](Layer& l) { std::fill(l.stride.begin(), l.stride.end(), 1); });
    }
    // 6. Drop a pooling layer that has nothing left to pool.
    if (is_pool(layer_.type)) remove_layer(index_, "remove " + display_name(layer_.name));
  }

  // Changes to the nearest layers upstream (along each layer's first input)
  // that shrink the map.
  void fix_earlier_layers() {
    size_t tried = 0;
    for (int32_t up = inputs_of(net_, index_)[0]; up != kNetworkInput && tried < 4; up = inputs_of(net_, static_cast<size_t>(up))[0]) {
      const size_t j = static_cast<size_t>(up);
      const Layer& l = net_.layers[j];
      if (!is_window(l.type)) continue;
      const bool strided = std::any_of(l.stride.begin(), l.stride.end(), [](int64_t s) { return s > 1; });
      const bool shrinks_by_kernel = std::any_of(l.kernel.begin(), l.kernel.end(), [](int64_t k) { return k > 1; });
      if (is_pool(l.type)) {
        remove_layer(j, "remove " + display_name(l.name) + " (it halves the map before " + display_name(layer_.name) + ")");
        ++tried;
        continue;
      }
      if (strided) {
        change_layer(j, field(net_, "stride") + "=1 on " + display_name(l.name) + " (was " + axes_value(l.stride) + ")",
                     [](Layer& x) { std::fill(x.stride.begin(), x.stride.end(), 1); });
        ++tried;
      }
      if (shrinks_by_kernel && l.padding.mode != PadMode::same &&
          !(net_.framework == Framework::pytorch && strided)) {
        change_layer(j, field(net_, "padding") + "='same' on " + display_name(l.name) + " (was " + padding_value(l.padding) + ")",
                     [](Layer& x) {
                       x.padding = Padding{};
                       x.padding.mode = PadMode::same;
                     });
        ++tried;
      }
    }
  }

  void fix_input() {
    if (!rep_.min_input) return;
    Network n = net_;
    for (size_t a = 0; a < rep_.min_input->size(); ++a)
      n.input[conventions::spatial_axis(net_.framework, a)] =
          std::max(n.input[conventions::spatial_axis(net_.framework, a)], (*rep_.min_input)[a]);
    if (n.input == net_.input) return;
    out_.push_back({"input " + conventions::joined(n.input, "x") + " (was " +
                        conventions::joined(net_.input, "x") + ")",
                    std::move(n), index_});
  }

  // A reshape whose shape does not hold the values that arrive: to [N, -1]
  // (x.view(x.size(0), -1), which fits any input; a later dense layer then
  // says what it expects), or, for a shape with spatial axes and no -1, the
  // first size (the channel axis first) that takes up what the others leave.
  void fix_reshape() {
    const std::vector<int64_t>& in = *failing_.input;
    int64_t per_sample = 1;
    for (size_t a = 1; a < in.size(); ++a) per_sample = checked::mul(per_sample, in[a]);
    const std::string was = shape_value(layer_.target_shape) + (layer_.infer_batch ? ", batch inferred" : "");
    if (layer_.target_shape.size() == 1) {
      const char* spelled = net_.framework == Framework::tensorflow ? "Reshape((-1,))" : "x.view(x.size(0), -1)";
      set_layer("shape=" + shape_value({-1}) + " with the batch kept (" + spelled + "; was " + was + ")",
                [](Layer& l) {
                  l.target_shape = {-1};
                  l.infer_batch = false;
                });
      return;
    }
    if (std::find(layer_.target_shape.begin(), layer_.target_shape.end(), -1) != layer_.target_shape.end()) return;
    const size_t n = layer_.target_shape.size();
    std::vector<size_t> order{conventions::channel_axis(net_.framework, n + 1) - 1};
    for (size_t j = 0; j < n; ++j)
      if (j != order[0]) order.push_back(j);
    for (size_t j : order) {
      int64_t others = 1;
      for (size_t k = 0; k < n; ++k)
        if (k != j) others = checked::mul(others, layer_.target_shape[k]);
      if (per_sample % others != 0 || per_sample / others < 1) continue;
      std::vector<int64_t> shape = layer_.target_shape;
      shape[j] = per_sample / others;
      set_layer("shape=" + shape_value(shape) + " (the " + to_string(per_sample) + " values per sample that arrive; was " +
                    was + ")",
                [shape](Layer& l) {
                  l.target_shape = shape;
                  l.infer_batch = false;
                });
      return;
    }
  }

  // As the contract's `shape` is written: [64, 7, 7].
  static std::string shape_value(const std::vector<int64_t>& v) { return "[" + conventions::joined(v, ", ") + "]"; }

  void fix_pool_padding() {
    std::vector<int64_t> pads;
    // Half the raw kernel: PyTorch's pool2d/pool3d_shape_check bound it so
    // even when dilation widens the effective kernel.
    for (size_t a = 0; a < layer_.kernel.size(); ++a)
      pads.push_back(std::min(std::max(layer_.padding.pairs[a].first, layer_.padding.pairs[a].second), layer_.kernel[a] / 2));
    Padding p = symmetric_padding(pads);
    set_layer(field(net_, "padding") + "=" + padding_value(p) + " (at most half the kernel)",
              [p](Layer& l) { l.padding = p; });
  }

  void fix_same_strided() {
    std::vector<int64_t> pads;
    for (size_t a = 0; a < layer_.kernel.size(); ++a)
      pads.push_back((shape::effective_kernel(layer_.kernel[a], layer_.dilation[a]) - 1) / 2);
    Padding p = symmetric_padding(pads);
    set_layer(field(net_, "padding") + "=" + padding_value(p) +
                  " instead of 'same' (PyTorch pads 'same' only for stride 1)",
              [p](Layer& l) { l.padding = p; });
    set_layer(field(net_, "stride") + "=1 (was " + axes_value(layer_.stride) + ")",
              [](Layer& l) { std::fill(l.stride.begin(), l.stride.end(), 1); });
  }

  void fix_groups() {
    const int64_t channels = (*failing_.input)[conventions::channel_axis(net_.framework, failing_.input->size())];
    // The largest g <= groups dividing both channel counts: a divisor of their gcd.
    const int64_t common = std::gcd(channels, layer_.filters);
    int64_t g = 1;
    for (int64_t d = 1; d * d <= common; ++d) {
      if (common % d != 0) continue;
      if (d <= layer_.groups) g = std::max(g, d);
      if (common / d <= layer_.groups) g = std::max(g, common / d);
    }
    set_layer(field(net_, "groups") + "=" + to_string(g) + " (was " + to_string(layer_.groups) + ")",
              [g](Layer& l) { l.groups = g; });
  }

  void fix_output_padding() {
    std::vector<int64_t> op = layer_.output_padding;
    for (size_t a = 0; a < op.size(); ++a) {
      const int64_t bound = net_.framework != Framework::tensorflow ? std::max(layer_.stride[a], layer_.dilation[a])
                                                                 : layer_.stride[a];
      op[a] = std::min(op[a], bound - 1);
    }
    set_layer(field(net_, "output_padding") + "=" + axes_value(op) + " (was " + axes_value(layer_.output_padding) + ")",
              [op](Layer& l) { l.output_padding = op; });
  }

  const Network& net_;
  const Report& rep_;
  size_t index_;
  const Layer& layer_;
  const LayerReport& failing_;
  std::vector<Candidate> out_;
};

}  // namespace

void propose_fixes(const Network& net, Report& rep, size_t max_fixes) {
  const size_t failing = *rep.first_error;
  if (!rep.layers[failing].failure) return;
  std::vector<Candidate> candidates = Generator(net, rep).run();

  std::vector<Fix> complete, partial;
  for (Candidate& c : candidates) {
    const Report after = propagate(c.net, false);
    Fix fix{c.summary, after.ok, c.net, std::nullopt};
    if (c.fixed_index) fix.output = after.layers[*c.fixed_index].output;
    if (after.ok) {
      complete.push_back(std::move(fix));
      continue;
    }
    // Partial: the failing layer now works, and so does everything before it.
    const size_t moved_to = *after.first_error;
    const size_t original_position = c.fixed_index ? *c.fixed_index : failing;
    const bool past = c.fixed_index ? moved_to > *c.fixed_index : moved_to >= original_position;
    if (!past) continue;
    if (c.fixed_index && after.layers[*c.fixed_index].status == Status::skipped) continue;
    fix.summary += " (then " + display_name(after.layers[moved_to].name) + " fails: " + after.layers[moved_to].message + ")";
    partial.push_back(std::move(fix));
  }
  std::vector<Fix>& fixes = rep.layers[failing].fixes;
  for (auto* group : {&complete, &partial})
    for (Fix& f : *group) {
      if (fixes.size() >= max_fixes) return;
      const bool duplicate = std::any_of(fixes.begin(), fixes.end(), [&](const Fix& g) { return g.summary == f.summary; });
      if (!duplicate) fixes.push_back(std::move(f));
    }
}

}  // namespace convscope
