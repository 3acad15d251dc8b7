// TensorFlow, Keras and TensorFlow.js messages -> one failing layer.
#include <algorithm>
#include <cstddef>
#include <cstring>

#include "convscope/import/error_scan.hpp"
#include "convscope/import/text.hpp"

namespace convscope::import::errors {

using json::Value;
using std::to_string;

namespace {

// ---- TF graph mode: node attributes -------------------------------------------------

struct Attr {
  std::string key;
  size_t begin = 0, end = 0;  // the value's text
};

constexpr size_t kMaxAttrs = 32;
constexpr int kMaxNesting = 8;

// `[T=DT_FLOAT, data_format="NHWC", strides=[1, 1, 1, 1], ...]` at `p`.
bool read_attrs(Scan& s, size_t& p, std::vector<Attr>& out) {
  const std::string& t = s.text;
  const size_t open = p++;
  while (p < t.size() && t[p] != ']') {
    while (p < t.size() && (t[p] == ',' || t[p] == ' ')) ++p;
    Attr a;
    if (!s.word(p, a.key) || !s.expect(p, "=")) return false;
    a.begin = p;
    int depth = 0;
    bool quoted = false;
    while (p < t.size() && t[p] != '\n') {
      const char c = t[p];
      if (c == '"') quoted = !quoted;
      else if (!quoted && c == '[' && ++depth > kMaxNesting) return s.fail(p, "attribute nested too deeply");
      else if (!quoted && c == ']' && depth-- == 0) break;
      else if (!quoted && c == ',' && depth == 0) break;
      ++p;
    }
    a.end = p;
    if (out.size() >= kMaxAttrs) return s.fail(a.begin, "more than " + to_string(kMaxAttrs) + " node attributes");
    out.push_back(a);
    if (p < t.size() && t[p] == '\n') break;
  }
  if (p >= t.size() || t[p] != ']') return s.fail(open, "missing ']' to close the node's attributes");
  ++p;
  return true;
}

// The node's inputs `(conv2d_2/BiasAdd, conv2d_3/Conv2D/ReadVariableOp)`.
bool skip_inputs(Scan& s, size_t& p) {
  const size_t open = p;
  const size_t close = s.text.find(')', p);
  const size_t newline = s.text.find('\n', p);
  if (close == std::string::npos || (newline != std::string::npos && newline < close))
    return s.fail(open, "missing ')' to close the node's inputs");
  p = close + 1;
  return true;
}

const Attr* attr(const std::vector<Attr>& attrs, const char* key) {
  for (const Attr& a : attrs)
    if (a.key == key) return &a;
  return nullptr;
}

std::string attr_string(const Scan& s, const Attr* a) {
  if (!a) return "";
  std::string v = s.text.substr(a->begin, a->end - a->begin);
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  return v;
}

// A list attribute with `n` entries (or empty when absent); fails otherwise.
bool attr_list(Scan& s, const Attr* a, size_t n, Dims& out) {
  out.clear();
  if (!a) return true;
  size_t p = a->begin;
  if (!s.dims(p, out)) return false;
  if (out.empty()) return true;  // explicit_paddings=[]
  if (out.size() != n)
    return s.fail(a->begin, a->key + ": expected " + to_string(n) + " values, got " + to_string(out.size()));
  for (int64_t v : out)
    if (v < 0) return s.fail(a->begin, a->key + ": expected non-negative values");
  return true;
}

// "sequential/conv2d_3/Conv2D" -> "conv2d_3": Keras names the node after the
// layer and ends it with the op.
std::string layer_of_node(const std::string& node) {
  const size_t last = node.rfind('/');
  if (last == std::string::npos) return node;
  const std::string head = node.substr(0, last);
  const size_t prev = head.rfind('/');
  return prev == std::string::npos ? head : head.substr(prev + 1);
}

LayerType op_type(const std::string& op, const std::string& node, bool& known) {
  known = true;
  if (op == "Conv2D" || op == "Conv3D") return LayerType::conv;
  if (op == "DepthwiseConv2dNative") return LayerType::depthwise_conv;
  if (op == "MaxPool" || op == "MaxPoolV2" || op == "MaxPool3D") return LayerType::max_pool;
  if (op == "AvgPool" || op == "AvgPool3D") return LayerType::avg_pool;
  if (!op.empty()) {
    known = false;
    return LayerType::relu;
  }
  // TF 1 without "(op: ...)": the node name tells ("conv2d_1/convolution").
  const LayerType t = keras_type(node, LayerType::relu);
  known = t != LayerType::relu && t != LayerType::conv_transpose;
  return t;
}

// Keras runs Conv1D and the 1-D poolings as 2-D ops on an added axis of size
// 1 (H for convolutions, W for poolings); drop it again.
bool collapse_1d(OneLayer& l, Dims& spatial, std::vector<std::pair<int64_t, int64_t>>& pads) {
  if (spatial.size() != 2 || l.name.find("1d") == std::string::npos) return false;
  for (size_t j = 0; j < 2; ++j) {
    if (spatial[j] != 1 || l.kernel[j] != 1 || l.stride[j] != 1) continue;
    const auto drop = [j](auto& v) { if (v.size() == 2) v.erase(v.begin() + static_cast<std::ptrdiff_t>(j)); };
    drop(spatial);
    drop(l.kernel);
    drop(l.stride);
    drop(l.dilation);
    drop(pads);
    return true;
  }
  return false;
}

}  // namespace

bool tf_graph(Scan& s, size_t at, Draft& d) {
  size_t p = at + std::strlen("Negative dimension size caused by subtracting ");
  int64_t k_eff = 0, in = 0;
  if (!s.integer(p, k_eff) || !s.expect(p, " from ") || !s.integer(p, in) || !s.expect(p, " for '")) return false;
  std::string node, op;
  std::vector<Attr> attrs;
  const size_t node_at = p;
  if (s.starts(p, "{{node ")) {  // TF 2: the node summary with its attributes
    p += 7;
    if (!s.until(p, "}}", 500, node)) return false;
    p += 2;
    if (!s.expect(p, " = ") || !s.word(p, op)) return false;
    if (s.starts(p, "[") && !read_attrs(s, p, attrs)) return false;
    if (s.starts(p, "(") && !skip_inputs(s, p)) return false;
    if (!s.expect(p, "'")) return false;
  } else {  // TF 1: 'conv2d_1/convolution' (op: 'Conv2D')
    if (!s.until(p, "'", 500, node)) return false;
    ++p;
    if (s.starts(p, " (op: '")) {
      p += 7;
      if (!s.until(p, "'", 100, op) || !s.expect(p, "')")) return false;
    }
  }
  if (!s.expect(p, " with input shapes: ")) return false;
  std::vector<Dims> shapes;
  std::vector<size_t> shape_at;
  for (;;) {
    Dims shape;
    shape_at.push_back(p);
    if (!s.dims(p, shape)) return false;
    shapes.push_back(shape);
    if (shapes.size() >= 4 || !s.starts(p, ", [")) break;
    p += 2;
  }

  bool known = false;
  OneLayer l;
  l.type = op_type(op, node, known);
  if (!known)
    return s.fail(node_at, "node " + text::quoted(node) + (op.empty() ? "" : " (" + op + ")") +
                               " is not a convolution or pooling; ConvScope reconstructs Conv2D, Conv3D, "
                               "DepthwiseConv2dNative, MaxPool and AvgPool nodes");
  const bool conv_like = l.type == LayerType::conv || l.type == LayerType::depthwise_conv;
  const Dims& input = shapes[0];
  const size_t rank = input.size();
  if (rank != 4 && rank != 5)
    return s.fail(shape_at[0], "expected a 4-D or 5-D input shape, got " + dims_text(input));
  if (conv_like && (shapes.size() < 2 || shapes[1].size() != rank))
    return s.fail(shape_at[0], "expected the filter's shape after the input's");
  const size_t sr = rank - 2;
  const std::string data_format = attr_string(s, attr(attrs, "data_format"));
  const bool channels_first = data_format.size() > 1 && data_format[1] == 'C';
  const auto spatial_index = [&](size_t i) { return channels_first ? 2 + i : 1 + i; };

  Dims strides, dilations, ksize, explicit_pads;
  if (!attr_list(s, attr(attrs, "strides"), rank, strides) || !attr_list(s, attr(attrs, "dilations"), rank, dilations) ||
      !attr_list(s, attr(attrs, "ksize"), rank, ksize) ||
      !attr_list(s, attr(attrs, "explicit_paddings"), 2 * rank, explicit_pads))
    return false;
  std::string padding = attr_string(s, attr(attrs, "padding"));

  Dims spatial;
  std::vector<std::pair<int64_t, int64_t>> pads;
  for (size_t i = 0; i < sr; ++i) {
    const size_t j = spatial_index(i);
    if (input[j] < 1) return s.fail(shape_at[0], "the input's spatial sizes must be known, got " + dims_text(input));
    spatial.push_back(input[j]);
    if (conv_like) {
      if (shapes[1][i] < 1) return s.fail(shape_at[1], "the filter's sizes must be known, got " + dims_text(shapes[1]));
      l.kernel.push_back(shapes[1][i]);
    } else {
      l.kernel.push_back(ksize.empty() ? k_eff : ksize[j]);
    }
    l.stride.push_back(strides.empty() ? (conv_like ? 1 : l.kernel[i]) : strides[j]);
    l.dilation.push_back(dilations.empty() ? 1 : dilations[j]);
    if (!explicit_pads.empty()) pads.push_back({explicit_pads[2 * j], explicit_pads[2 * j + 1]});
  }
  for (int64_t v : l.kernel)
    if (v < 1) return s.fail(shape_at[0], "the kernel sizes must be positive");

  d.note("node " + text::quoted(node) + (op.empty() ? "" : " (op " + op + ")") + "; input shape " + dims_text(input) +
         (conv_like ? ", filter " + dims_text(shapes[1]) : "") + "; " + to_string(k_eff) + " subtracted from " +
         to_string(in));
  if (attrs.empty()) {
    // TF 1 prints no attributes: assume what makes the numbers work.
    padding = "VALID";
    std::string assumed = "the message has no attributes; assumed padding VALID (SAME never fails this way)";
    if (conv_like) {
      assumed += ", strides 1";
      for (size_t i = 0; i < sr; ++i) {
        const int64_t k = l.kernel[i];
        if (spatial[i] == in && k != k_eff && k > 1 && (k_eff - 1) % (k - 1) == 0) {
          l.dilation[i] = (k_eff - 1) / (k - 1);
          assumed += ", dilation " + to_string(l.dilation[i]) + " along axis " + to_string(i + 1) +
                     " (the filter is " + to_string(k) + " but " + to_string(k_eff) + " was subtracted)";
          break;
        }
      }
    } else {
      assumed += ", a square pool of " + to_string(k_eff) + " with strides equal to it (Keras' default)";
    }
    d.note(assumed);
  } else {
    d.note("read from the attributes: data_format " + (data_format.empty() ? std::string("NHWC (default)") : data_format) +
           ", strides " + dims_text(l.stride) + ", dilations " + dims_text(l.dilation) + ", padding " + padding +
           (pads.empty() ? "" : " " + dims_text(explicit_pads)));
  }
  if (channels_first)
    d.note("data_format " + data_format + " was converted to ConvScope's TensorFlow layout (channels last)");

  l.name = layer_of_node(node);
  const KerasContext ctx = keras_context(s.text);
  if (!ctx.name.empty() && ctx.name != l.name) l.name = ctx.name;
  const bool one_d = collapse_1d(l, spatial, pads);
  if (one_d) d.note("Keras runs " + l.name + " as a 2-D op on an added axis of size 1; reconstructed as 1-D");

  int64_t channels = input[channels_first ? 1 : rank - 1];
  if (conv_like) {
    const int64_t filter_in = shapes[1][sr];
    const int64_t filter_out = shapes[1][sr + 1];
    if (filter_in < 1 || filter_out < 1) return s.fail(shape_at[1], "the filter's sizes must be known");
    if (channels < 1) {
      channels = filter_in;
      d.note("assumed " + to_string(channels) + " input channels (the message has '?')");
    }
    if (l.type == LayerType::conv) {
      l.filters = filter_out;
      if (channels % filter_in == 0 && channels / filter_in > 1) l.groups = channels / filter_in;
    } else {
      l.depth_multiplier = filter_out;
    }
  } else if (channels < 1) {
    channels = 1;
    d.note("assumed 1 input channel (the message has '?')");
  }
  if (input[0] < 1) d.note("assumed batch 1 (the message has '?')");
  if (padding == "SAME") l.padding = Value("same");
  else if (padding == "EXPLICIT" && !pads.empty()) l.padding = pairs_json(pads);
  else l.padding = Value("valid");

  d.framework = Framework::tensorflow;
  d.input = {input[0] < 1 ? 1 : input[0]};
  d.input.insert(d.input.end(), spatial.begin(), spatial.end());
  d.input.push_back(channels);
  add_layer(d, l, text::position(s.text, node_at));
  return true;
}

bool tf_eager(Scan& s, size_t at, Draft& d) {
  size_t p = at + std::strlen("Computed output size would be negative: ");
  int64_t out = 0, in = 0, k = 0, stride = 0;
  if (!s.integer(p, out) || !s.expect(p, " [input_size: ") || !s.integer(p, in) ||
      !s.expect(p, ", effective_filter_size: ") || !s.integer(p, k) || !s.expect(p, ", stride: ") ||
      !s.integer(p, stride))
    return false;
  const KerasContext ctx = keras_context(s.text);
  OneLayer l;
  l.type = keras_type(ctx.cls.empty() ? ctx.name : ctx.cls, LayerType::conv);
  if (l.type == LayerType::conv_transpose) l.type = LayerType::conv;
  l.name = ctx.name;
  l.kernel = {k, k};
  l.stride = {stride, stride};
  l.padding = Value("valid");
  d.framework = Framework::tensorflow;
  d.input = {1, in, in, 1};
  d.note("read: input size " + to_string(in) + ", effective kernel " + to_string(k) + ", stride " +
         to_string(stride) + " along one axis, output " + to_string(out));
  d.note("assumed: a 2-D " + std::string(convscope::to_string(l.type)) +
         " with a square input and kernel, padding VALID, dilation 1, batch 1, 1 channel" +
         (l.type == LayerType::conv ? ", 1 filter" : "") + " (the message carries none of these)");
  if (stride > 0 && (in - k + stride) / stride != out)
    d.note("the numbers do not follow VALID padding ((" + to_string(in) + " - " + to_string(k) + " + " +
           to_string(stride) + ") / " + to_string(stride) + " is not " + to_string(out) +
           "); explicit padding may have been involved");
  add_layer(d, l, text::position(s.text, at));
  return true;
}

namespace {

// Input from a Keras shape with an unknown batch; spatial sizes must be known.
bool keras_input(Scan& s, size_t at, const Dims& shape, Draft& d) {
  if (shape.size() < 3 || shape.size() > 5)
    return s.fail(at, "expected a 3-D to 5-D input shape, got " + dims_text(shape));
  for (size_t i = 1; i < shape.size(); ++i)
    if (shape[i] < 1) return s.fail(at, "the input's sizes must be known, got " + dims_text(shape));
  d.framework = Framework::tensorflow;
  d.input = shape;
  if (d.input[0] < 1) {
    d.input[0] = 1;
    d.note("assumed batch 1 (the message has None)");
  }
  return true;
}

// The smallest kernel for which tf.keras 2 and tfjs-layers raise their
// message: they compute ((in - k + 1) + s - 1) // s and reject values below 0,
// so with stride 1 the kernel must be at least in + 2.
void kernel_past_input(const Dims& input, OneLayer& l, Draft& d, const char* who) {
  l.kernel.clear();
  for (size_t i = 1; i + 1 < input.size(); ++i) l.kernel.push_back(input[i] + 2);
  l.stride.assign(l.kernel.size(), 1);
  l.padding = Value("valid");
  d.note(std::string("assumed: kernel ") + dims_text(l.kernel) + " (the input + 2, the smallest for which " + who +
         " raises this message), strides 1, padding valid" + (l.type == LayerType::conv ? ", 1 filter" : "") +
         " — the message carries only the input shape and the layer name");
}

}  // namespace

bool keras2_downsampling(Scan& s, size_t at, Draft& d) {
  size_t p = at + std::strlen("One of the dimensions in the output is <= 0 due to downsampling in ");
  OneLayer l;
  if (!s.until(p, ". Consider", 200, l.name)) return false;
  const size_t shape_at = s.find("Received input shape ", p);
  if (shape_at == std::string::npos) return s.fail(p, "expected \"Received input shape\" after the layer name");
  p = shape_at + std::strlen("Received input shape ");
  Dims shape;
  if (!s.dims(p, shape) || !keras_input(s, shape_at, shape, d)) return false;
  const KerasContext ctx = keras_context(s.text);
  l.type = keras_type(ctx.cls.empty() ? l.name : ctx.cls, LayerType::conv);
  if (l.type != LayerType::depthwise_conv) l.type = LayerType::conv;  // raised by base_conv.py only
  d.note("read: layer " + text::quoted(l.name) + ", input shape " + dims_text(shape));
  kernel_past_input(d.input, l, d, "tf.keras 2");
  add_layer(d, l, text::position(s.text, at));
  return true;
}

bool tfjs_layers(Scan& s, size_t at, Draft& d) {
  size_t p = at + std::strlen("Negative dimension size caused by adding layer ");
  OneLayer l;
  if (!s.until(p, " with input shape ", 200, l.name)) return false;
  p += std::strlen(" with input shape ");
  Dims shape;
  const size_t shape_at = p;
  if (!s.dims(p, shape) || !keras_input(s, shape_at, shape, d)) return false;
  l.type = keras_type(l.name, LayerType::conv);
  if (l.type == LayerType::conv_transpose) l.type = LayerType::conv;
  d.note("read: layer " + text::quoted(l.name) + ", input shape " + dims_text(shape) + " (tfjs prints the batch as nothing)");
  kernel_past_input(d.input, l, d, "tfjs-layers");
  add_layer(d, l, text::position(s.text, at));
  return true;
}

namespace {

// Keras 3 texts: `name=value` between backticks.
bool backtick_value(Scan& s, size_t from, const char* key, size_t& p) {
  const std::string needle = std::string("`") + key + "=";
  p = s.find(needle, from);
  if (p == std::string::npos || p - from > 400) return s.fail(from, "expected " + text::quoted(needle + "...`") + " in the message");
  p += needle.size();
  return true;
}

// Keras 3 has data_format channels_last by default; channels_first shows as
// the filter's input channels sitting next to the batch.
bool channels_first_shape(const Dims& input, int64_t in_channels) {
  return input.size() >= 3 && input.back() != in_channels && input[1] == in_channels;
}

Dims to_channels_last(const Dims& input) {
  Dims out = {input[0]};
  out.insert(out.end(), input.begin() + 2, input.end());
  out.push_back(input[1]);
  return out;
}

bool keras_padding(Scan& s, size_t p, const OneLayer& l, Value& out) {
  std::string word;
  if (!s.word(p, word)) return false;
  if (word == "valid" || word == "same") {
    out = Value(word);
    return true;
  }
  if (word == "causal" && l.kernel.size() == 1) {  // left padding of k_eff - 1, as Keras does
    const int64_t d = l.dilation.empty() ? 1 : l.dilation[0];
    out = pairs_json({{d * (l.kernel[0] - 1), 0}});
    return true;
  }
  return s.fail(p, "unknown padding " + text::quoted(word));
}

bool axes_of(Scan& s, size_t p, size_t n, Dims& out) {
  if (!s.int_or_dims(p, out)) return false;
  if (out.size() == 1) out.assign(n, out[0]);
  if (out.size() != n) return s.fail(p, "expected " + to_string(n) + " values, got " + dims_text(out));
  for (int64_t v : out)
    if (v < 1) return s.fail(p, "expected positive values, got " + dims_text(out));
  return true;
}

}  // namespace

bool keras3_conv(Scan& s, size_t at, Draft& d) {
  size_t p = at + std::strlen("Computed output size would be zero or negative. Received `inputs shape=");
  Dims input, kernel;
  const size_t input_at = p;
  if (!s.dims(p, input)) return false;
  size_t q = 0;
  if (!backtick_value(s, p, "kernel shape", q) || !s.dims(q, kernel)) return false;
  if (input.size() < 3 || input.size() > 5 || kernel.size() != input.size())
    return s.fail(input_at, "expected an input and a kernel shape of the same rank (3-D to 5-D), got " +
                                dims_text(input) + " and " + dims_text(kernel));
  const size_t sr = input.size() - 2;
  OneLayer l;
  l.kernel.assign(kernel.begin(), kernel.begin() + static_cast<std::ptrdiff_t>(sr));
  const int64_t kernel_in = kernel[sr], kernel_out = kernel[sr + 1];
  if (std::any_of(kernel.begin(), kernel.end(), [](int64_t v) { return v < 1; }))
    return s.fail(input_at, "the kernel's sizes must be known, got " + dims_text(kernel));
  if (!backtick_value(s, p, "dilation_rate", q) || !axes_of(s, q, sr, l.dilation)) return false;
  if (!backtick_value(s, p, "strides", q) || !axes_of(s, q, sr, l.stride)) return false;
  if (!backtick_value(s, p, "padding", q) || !keras_padding(s, q, l, l.padding)) return false;
  const bool channels_first = channels_first_shape(input, kernel_in);
  if (!keras_input(s, input_at, channels_first ? to_channels_last(input) : input, d)) return false;
  d.note("read: input shape " + dims_text(input) + ", kernel shape " + dims_text(kernel) + ", dilation_rate " +
         dims_text(l.dilation) + ", strides " + dims_text(l.stride));
  if (channels_first) d.note("the channels sit next to the batch (data_format channels_first); converted to channels last");
  const KerasContext ctx = keras_context(s.text);
  l.name = ctx.name;
  l.type = keras_type(ctx.cls, LayerType::conv);
  const int64_t channels = d.input.back();
  if (l.type == LayerType::depthwise_conv && kernel_out % channels == 0) {
    l.depth_multiplier = kernel_out / channels;  // Keras 3 prints (k..., C, C * depth_multiplier)
  } else {
    l.type = LayerType::conv;
    l.filters = kernel_out;
    if (channels % kernel_in == 0 && channels / kernel_in > 1) l.groups = channels / kernel_in;
  }
  if (ctx.cls.empty()) d.note("assumed a Conv" + to_string(sr) + "D (the message does not name the layer class)");
  add_layer(d, l, text::position(s.text, at));
  return true;
}

bool keras3_pool(Scan& s, size_t at, Draft& d) {
  size_t p = at + std::strlen("Computed output size would be zero or negative. Received: `inputs.shape=");
  Dims input;
  const size_t input_at = p;
  if (!s.dims(p, input)) return false;
  if (input.size() < 3 || input.size() > 5) return s.fail(input_at, "expected a 3-D to 5-D input shape, got " + dims_text(input));
  const size_t sr = input.size() - 2;
  OneLayer l;
  size_t q = 0;
  if (!backtick_value(s, p, "pool_size", q) || !axes_of(s, q, sr, l.kernel)) return false;
  if (!backtick_value(s, p, "strides", q) || !axes_of(s, q, sr, l.stride)) return false;
  if (!backtick_value(s, p, "padding", q) || !keras_padding(s, q, l, l.padding)) return false;
  if (!keras_input(s, input_at, input, d)) return false;
  const KerasContext ctx = keras_context(s.text);
  l.name = ctx.name;
  l.type = keras_type(ctx.cls, LayerType::max_pool);
  if (l.type != LayerType::avg_pool) l.type = LayerType::max_pool;
  d.note("read: input shape " + dims_text(input) + ", pool_size " + dims_text(l.kernel) + ", strides " +
         dims_text(l.stride));
  if (ctx.cls.empty()) d.note("assumed MaxPooling" + to_string(sr) + "D (the message does not say max or average)");
  d.note("assumed data_format channels_last (Keras' default)");
  add_layer(d, l, text::position(s.text, at));
  return true;
}

bool keras_dense(Scan& s, size_t at, Draft& d) {
  // Input 0 of layer "dense" is incompatible with the layer: expected axis -1
  // of input shape to have value 256, but received input with shape (None, 400)
  std::string name;
  const size_t layer_at = s.text.rfind("of layer ", at);
  if (layer_at != std::string::npos && at - layer_at < 220) {
    size_t p = layer_at + 9;
    if (p < s.text.size() && (s.text[p] == '"' || s.text[p] == '\'')) {
      const std::string q(1, s.text[p]);
      ++p;
      if (!s.until(p, q, 200, name)) return false;
    }
  }
  size_t p = at + std::strlen("is incompatible with the layer: expected axis -1 of input shape to have value ");
  int64_t declared = 0;
  Dims shape;
  if (!s.integer(p, declared) || !s.expect(p, ", but received input with shape ") || !s.dims(p, shape)) return false;
  if (shape.size() < 2 || shape.back() < 1) return s.fail(p, "expected the received shape, got " + dims_text(shape));
  d.framework = Framework::tensorflow;
  d.input = {1, 1, shape.back()};
  d.note("read: layer " + text::quoted(name) + " expects " + to_string(declared) + " features, receives " +
         dims_text(shape));
  d.note("assumed: input 1x1x" + to_string(shape.back()) +
         " (ConvScope needs a spatial axis; only the last one matters to a Dense layer) and 1 unit");
  json::Object o = layer_object("dense", name);
  o.push_back({"units", Value(1)});
  o.push_back({"in_features", Value(declared)});
  d.add(std::move(o), text::position(s.text, at));
  return true;
}

}  // namespace convscope::import::errors
