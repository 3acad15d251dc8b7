// PyTorch and ONNX Runtime messages -> one failing layer. Most carry sizes
// but not the layer's settings, so the reconstruction picks the simplest
// settings that give exactly the printed numbers and says so.
#include <cstring>

#include "convscope/import/error_scan.hpp"
#include "convscope/import/text.hpp"

namespace convscope::import::errors {

using json::Value;
using std::to_string;

namespace {

// floor((a) / b) for b > 0, as PyTorch's div_rtn.
int64_t floor_div(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && a < 0) ? q - 1 : q;
}

bool positive(const Dims& v) {
  for (int64_t x : v)
    if (x < 1) return false;
  return true;
}

void torch_input(Draft& d, int64_t channels, const Dims& spatial) {
  d.framework = Framework::pytorch;
  d.input = {1, channels};
  d.input.insert(d.input.end(), spatial.begin(), spatial.end());
}

std::string torch_name(const Scan& s, Draft& d) {
  const TorchCall call = torch_failing_call(s.text);
  if (!call.name.empty())
    d.note("layer name " + text::quoted(call.name) + " taken from the traceback's " +
           (call.name.find('.') == std::string::npos ? "`self." + call.name + "(...)`"
                                                     : std::string("module calls, one forward() into the next")) +
           (call.how.empty() ? "" : ": " + call.how));
  return call.name;
}

}  // namespace

bool torch_conv(Scan& s, size_t at, Draft& d) {
  size_t p = at + std::strlen("Calculated padded input size per channel: ");
  Dims padded, kernel;
  const size_t dims_at = p;
  if (!s.dims(p, padded) || !s.expect(p, ". Kernel size: ") || !s.dims(p, kernel)) return false;
  if (padded.empty() || padded.size() > 3 || kernel.size() != padded.size() || !positive(padded) || !positive(kernel))
    return s.fail(dims_at, "expected 1 to 3 positive sizes for the input and the kernel, got " + dims_text(padded) +
                               " and " + dims_text(kernel));
  OneLayer l;
  l.name = torch_name(s, d);
  l.kernel = kernel;
  torch_input(d, 1, padded);
  d.note("read: padded input " + dims_text(padded) + ", effective kernel " + dims_text(kernel));
  d.note("assumed: padding 0 (the message gives the padded size), dilation 1 (it gives the effective kernel), "
         "stride 1, batch 1, 1 input channel, 1 output channel");
  add_layer(d, l, text::position(s.text, at));
  return true;
}

bool torch_pool(Scan& s, size_t at, Draft& d) {
  size_t p = at + std::strlen("Given input size: ");
  Dims in, out;
  const size_t dims_at = p;
  if (!s.dims(p, in) || !s.expect(p, ". Calculated output size: ") || !s.dims(p, out)) return false;
  if (in.size() < 2 || in.size() > 4 || out.size() != in.size() || !positive(in))
    return s.fail(dims_at, "expected (channels x sizes) for the input and the output, got " + dims_text(in) +
                               " and " + dims_text(out));
  const Dims spatial(in.begin() + 1, in.end()), wanted(out.begin() + 1, out.end());
  OneLayer l;
  l.name = torch_name(s, d);
  l.type = s.text.find("avg_pool") != std::string::npos || l.name.find("avg") != std::string::npos
               ? LayerType::avg_pool : LayerType::max_pool;
  // The usual culprit is a square pool whose stride is its size; try those
  // first, else per axis a stride-1 pool of exactly the right size.
  for (int64_t k = 2; k <= 8 && l.kernel.empty(); ++k) {
    bool all = true;
    for (size_t i = 0; i < spatial.size(); ++i) all = all && floor_div(spatial[i] - k, k) + 1 == wanted[i];
    if (all) l.kernel.assign(spatial.size(), k);
  }
  std::string assumed;
  if (!l.kernel.empty()) {
    assumed = "kernel_size=" + to_string(l.kernel[0]) + " with the default stride (the kernel)";
  } else {
    for (size_t i = 0; i < spatial.size(); ++i) {
      if (wanted[i] > spatial[i])
        return s.fail(dims_at, "the output " + dims_text(out) + " is larger than the input; padding is involved and "
                               "the message does not say how much");
      l.kernel.push_back(spatial[i] - wanted[i] + 1);
    }
    l.stride.assign(spatial.size(), 1);
    assumed = "kernel_size=" + dims_text(l.kernel) + " with stride 1";
  }
  torch_input(d, in[0], spatial);
  d.note("read: input (channels x sizes) " + dims_text(in) + ", output " + dims_text(out));
  d.note("assumed: " + std::string(l.type == LayerType::max_pool ? "MaxPool" : "AvgPool") + to_string(spatial.size()) +
         "d, " + assumed + ", padding 0, ceil_mode=False, batch 1 (the message carries only the sizes)");
  add_layer(d, l, text::position(s.text, at));
  return true;
}

bool torch_max_pool1d(Scan& s, size_t at, Draft& d) {
  size_t p = at + std::strlen("max_pool1d() Invalid computed output size: ");
  int64_t out = 0;
  if (!s.integer(p, out)) return false;
  if (out > 0) return s.fail(at, "the output size " + to_string(out) + " is valid; nothing to reproduce");
  OneLayer l;
  l.type = LayerType::max_pool;
  l.name = torch_name(s, d);
  l.kernel = {2 - out};
  l.stride = {1};
  torch_input(d, 1, {1});
  d.note("read: output size " + to_string(out));
  d.note("assumed: input length 1, kernel_size=" + to_string(2 - out) + ", stride 1, 1 channel, batch 1");
  add_layer(d, l, text::position(s.text, at));
  return true;
}

bool torch_transposed(Scan& s, size_t at, Draft& d) {
  size_t p = at + std::strlen("Given input size per channel: ");
  Dims in, out;
  const size_t dims_at = p;
  if (!s.dims(p, in) || !s.expect(p, ". Calculated output size per channel: ") || !s.dims(p, out)) return false;
  if (in.empty() || in.size() > 3 || out.size() != in.size() || !positive(in))
    return s.fail(dims_at, "expected 1 to 3 sizes for the input and the output, got " + dims_text(in) + " and " +
                               dims_text(out));
  OneLayer l;
  l.type = LayerType::conv_transpose;
  l.name = torch_name(s, d);
  // out = (in - 1) - 2 * pad + kernel with stride 1: a kernel of 3 (or 2,
  // for parity) and the padding that gives the printed size.
  std::vector<std::pair<int64_t, int64_t>> pads;
  for (size_t i = 0; i < in.size(); ++i) {
    const int64_t k = (in[i] + 2 - out[i]) % 2 == 0 ? 3 : 2;
    const int64_t twice = in[i] - 1 + k - out[i];
    if (twice < 0) return s.fail(dims_at, "the output is larger than a stride-1 transposed convolution gives; "
                                          "the message does not carry the stride");
    l.kernel.push_back(k);
    pads.push_back({twice / 2, twice / 2});
  }
  l.padding = pairs_json(pads);
  torch_input(d, 1, in);
  d.note("read: input " + dims_text(in) + ", output " + dims_text(out) + " per channel");
  d.note("assumed: ConvTranspose" + to_string(in.size()) + "d with kernel_size=" + dims_text(l.kernel) +
         ", stride 1 and the padding that gives this output, 1 channel in and out, batch 1");
  add_layer(d, l, text::position(s.text, at));
  return true;
}

bool torch_linear(Scan& s, size_t at, Draft& d) {
  size_t p = at + std::strlen("mat1 and mat2 shapes cannot be multiplied ");
  int64_t rows = 0, arriving = 0, declared = 0, units = 0;
  if (!s.expect(p, "(") || !s.integer(p, rows) || !s.expect(p, "x") || !s.integer(p, arriving) ||
      !s.expect(p, " and ") || !s.integer(p, declared) || !s.expect(p, "x") || !s.integer(p, units) ||
      !s.expect(p, ")"))
    return false;
  if (rows < 1 || arriving < 1) return s.fail(at, "expected positive sizes for mat1");
  const std::string name = torch_name(s, d);
  torch_input(d, 1, {arriving});
  d.input[0] = rows;
  d.note("read: mat1 " + to_string(rows) + "x" + to_string(arriving) + " (rows x features arriving), mat2 " +
         to_string(declared) + "x" + to_string(units) + " (in_features x out_features)");
  d.note("reconstructed as a Linear on input " + to_string(rows) + "x1x" + to_string(arriving) +
         " with no flatten: the message gives the rows (the batch, times any leading axes), not the shape "
         "before flattening");
  json::Object o = layer_object("dense", name);
  o.push_back({"units", Value(units)});
  o.push_back({"in_features", Value(declared)});
  d.add(std::move(o), text::position(s.text, at));
  return true;
}

bool torch_pool_padding(Scan& s, size_t at, Draft& d) {
  OneLayer l;
  l.type = LayerType::max_pool;
  l.name = torch_name(s, d);
  int64_t pad = 0, k = 0, dilation = 1;
  size_t p = at;
  const bool pool1d = s.starts(at, "padding should");
  if (pool1d) {  // max_pool1d() padding should be at most half of kernel size, but got padding=P and kernel_size=K
    p += std::strlen("padding should be at most half of kernel size, but got padding=");
    if (!s.integer(p, pad) || !s.expect(p, " and kernel_size=") || !s.integer(p, k)) return false;
  } else {
    const size_t got = s.find("but got pad=", at);
    if (got == std::string::npos || got - at > 80) return s.fail(at, "expected \"but got pad=\"");
    p = got + std::strlen("but got pad=");
    if (!s.integer(p, pad) || !s.expect(p, ", kernel_size=") || !s.integer(p, k) || !s.expect(p, " and dilation=") ||
        !s.integer(p, dilation))
      return false;
  }
  if (k < 1 || pad < 0 || dilation < 1) return s.fail(at, "expected a positive kernel and dilation");
  const size_t sr = pool1d ? 1 : 2;
  l.kernel.assign(sr, k);
  l.dilation.assign(sr, dilation);
  l.padding = Value(pad);
  torch_input(d, 1, Dims(sr, 32));
  d.note("read: padding " + to_string(pad) + ", kernel_size " + to_string(k) +
         (pool1d ? "" : ", dilation " + to_string(dilation)));
  d.note("assumed: MaxPool" + to_string(sr) + "d with the default stride, input " + shape_text(d.input) +
         " (the check fails before the input size matters)");
  add_layer(d, l, text::position(s.text, at));
  return true;
}

bool torch_pool_padding_raw(Scan& s, size_t at, Draft& d) {
  // pool2d_shape_check: "padW = 2, padH = 2, kW = 3, kH = 3";
  // pool3d_shape_check: "kT: 3 kW: 3 kH: 3 padT: 2 padW: 2 padH: 2".
  size_t p = at + std::strlen("pad should be smaller than or equal to half of kernel size, but got ");
  Dims kernel, pads;
  int64_t a = 0, b = 0, c = 0, e = 0, f = 0, g = 0;
  if (s.starts(p, "padW")) {
    if (!s.expect(p, "padW = ") || !s.integer(p, a) || !s.expect(p, ", padH = ") || !s.integer(p, b) ||
        !s.expect(p, ", kW = ") || !s.integer(p, c) || !s.expect(p, ", kH = ") || !s.integer(p, e))
      return false;
    kernel = {e, c};
    pads = {b, a};
  } else {
    if (!s.expect(p, "kT: ") || !s.integer(p, a) || !s.expect(p, " kW: ") || !s.integer(p, b) || !s.expect(p, " kH: ") ||
        !s.integer(p, c) || !s.expect(p, " padT: ") || !s.integer(p, e) || !s.expect(p, " padW: ") ||
        !s.integer(p, f) || !s.expect(p, " padH: ") || !s.integer(p, g))
      return false;
    kernel = {a, c, b};
    pads = {e, g, f};
  }
  if (!positive(kernel)) return s.fail(at, "expected positive kernel sizes");
  // This check runs after the one against the effective kernel, so the pool
  // was dilated: take the smallest dilation that passes the first check.
  int64_t dilation = 1;
  for (; dilation <= 64; ++dilation) {
    bool passes = true;
    for (size_t i = 0; i < kernel.size(); ++i) passes = passes && pads[i] <= (dilation * (kernel[i] - 1) + 1) / 2;
    if (passes) break;
  }
  if (dilation > 64) return s.fail(at, "no dilation makes these numbers pass PyTorch's first padding check");
  OneLayer l;
  l.type = LayerType::max_pool;
  l.name = torch_name(s, d);
  l.kernel = kernel;
  l.dilation.assign(kernel.size(), dilation);
  std::vector<std::pair<int64_t, int64_t>> pairs;
  for (int64_t x : pads) pairs.push_back({x, x});
  l.padding = pairs_json(pairs);
  torch_input(d, 1, Dims(kernel.size(), 32));
  d.note("read: kernel " + dims_text(kernel) + ", padding " + dims_text(pads));
  d.note("assumed: dilation " + to_string(dilation) + " (PyTorch checks the effective kernel first, so the pool was "
         "dilated), the default stride, input " + shape_text(d.input));
  add_layer(d, l, text::position(s.text, at));
  return true;
}

bool torch_output_padding(Scan& s, size_t at, Draft& d) {
  size_t p = at + std::strlen("output padding must be smaller than either stride or dilation, but got ");
  Dims op, stride, dilation;
  for (int n = 0; n < 9 && p < s.text.size() && text::is_ident_start(s.text[p]); ++n) {
    std::string key;
    int64_t v = 0;
    if (!s.word(p, key) || !s.expect(p, ": ") || !s.integer(p, v)) return false;
    if (v < 0) return s.fail(p, "expected non-negative values");
    if (key.rfind("output_padding_", 0) == 0) op.push_back(v);
    else if (key.rfind("stride_", 0) == 0) stride.push_back(v);
    else if (key.rfind("dilation_", 0) == 0) dilation.push_back(v);
    else return s.fail(p, "unexpected " + text::quoted(key));
    while (p < s.text.size() && s.text[p] == ' ') ++p;
  }
  if (op.size() < 2 || stride.size() != op.size() || dilation.size() != op.size() || !positive(stride) ||
      !positive(dilation))
    return s.fail(at, "expected output_padding, stride and dilation for every axis");
  OneLayer l;
  l.type = LayerType::conv_transpose;
  l.name = torch_name(s, d);
  l.kernel.assign(op.size(), 3);
  l.stride = stride;
  l.dilation = dilation;
  l.output_padding = op;
  torch_input(d, 1, Dims(op.size(), 8));
  d.note("read: output_padding " + dims_text(op) + ", stride " + dims_text(stride) + ", dilation " + dims_text(dilation));
  d.note("assumed: ConvTranspose" + to_string(op.size()) + "d with kernel_size=3, 1 channel in and out, input " +
         shape_text(d.input));
  add_layer(d, l, text::position(s.text, at));
  return true;
}

bool torch_same_strided(Scan& s, size_t at, Draft& d) {
  OneLayer l;
  l.name = torch_name(s, d);
  l.kernel = {3, 3};
  l.stride = {2, 2};
  l.padding = Value("same");
  torch_input(d, 1, {32, 32});
  d.note("the message carries no values; assumed Conv2d(1, 1, kernel_size=3, stride=2, padding='same') on input " +
         shape_text(d.input));
  add_layer(d, l, text::position(s.text, at));
  return true;
}

namespace {

// The spatial sizes ONNX Runtime printed at `p` ({3,5}) for a Conv or
// ConvTranspose node; the node's name and type from the log line before `at`.
bool ort_spatial_failure(Scan& s, size_t at, size_t p, bool transposed, Draft& d) {
  Dims spatial;
  if (!s.dims(p, spatial)) return false;
  if (spatial.empty() || spatial.size() > 3) return s.fail(at, "expected 1 to 3 spatial sizes, got " + dims_text(spatial));
  OneLayer l;
  // The log line before says which node: "... while running Conv node. Name:'/conv3/Conv' Status Message: ..."
  const size_t running = s.text.rfind("while running ", at);
  const bool near = running != std::string::npos && at - running < 400;
  if (transposed || (near && s.starts(running + 14, "ConvTranspose "))) l.type = LayerType::conv_transpose;
  const size_t name_at = near ? s.find("Name:'", running) : std::string::npos;
  if (name_at != std::string::npos && name_at < at) {
    size_t q = name_at + 6;
    if (!s.until(q, "'", 300, l.name)) return false;
  }
  const Dims printed = spatial;
  bool zero = false;
  std::vector<std::pair<int64_t, int64_t>> pads;
  for (int64_t& v : spatial) {
    if (v < 0) return s.fail(at, "expected known sizes, got " + dims_text(spatial));
    if (v == 0) {
      v = 1;
      zero = true;
    }
    // Conv: a kernel one larger than the input; ConvTranspose: kernel 1 and
    // pads that remove every cell ((in - 1) + 1 - in = 0).
    l.kernel.push_back(l.type == LayerType::conv ? v + 1 : 1);
    pads.push_back({v, 0});
  }
  if (l.type == LayerType::conv_transpose) l.padding = pairs_json(pads);
  d.framework = Framework::onnx;
  d.input = {1, 1};
  d.input.insert(d.input.end(), spatial.begin(), spatial.end());
  d.note("read: the spatial input sizes " + dims_text(printed) + " of the failing node" +
         (l.name.empty() ? "" : " " + text::quoted(l.name)));
  if (zero)
    d.note("a size of 0 means an earlier node already produced an empty tensor; ConvScope needs positive sizes, "
           "so it was taken as 1 — check the nodes before this one");
  if (l.type == LayerType::conv)
    d.note(std::string("assumed: a Conv") + (near ? "" : " (ONNX Runtime prints this for Conv and ConvTranspose)") +
           " with kernel_shape " + dims_text(l.kernel) +
           " (one more than the input), strides 1, pads 0, 1 channel in and out, batch 1");
  else
    d.note("assumed: kernel_shape 1, strides 1 and begin pads equal to the input, 1 channel in and out, batch 1");
  add_layer(d, l, text::position(s.text, at));
  return true;
}

}  // namespace

bool ort_invalid_input(Scan& s, size_t at, Draft& d) {
  return ort_spatial_failure(s, at, at + std::strlen("Invalid input shape: "), false, d);
}

// ConvTranspose (conv_transpose_attributes.h): "Computed output dimension is
// <= 0 for dim 0. Input shape: {3,5}".
bool ort_transposed_too_small(Scan& s, size_t at, Draft& d) {
  const size_t shape_at = s.text.find("Input shape: ", at);
  if (shape_at == std::string::npos || shape_at - at > 80)
    return s.fail(at, "expected 'Input shape: {...}' after the dimension");
  return ort_spatial_failure(s, at, shape_at + std::strlen("Input shape: "), true, d);
}

bool ort_same_dilation(Scan& s, size_t at, Draft& d) {
  OneLayer l;
  l.kernel = {3, 3};
  l.dilation = {2, 2};
  l.padding = Value(s.text.find("SAME_LOWER", at + 60) != std::string::npos ? "same_lower" : "same");
  d.framework = Framework::onnx;
  d.input = {1, 1, 32, 32};
  d.note("the message carries no values; assumed a Conv with kernel_shape 3, dilations 2 and auto_pad SAME_UPPER "
         "on input 1x1x32x32. ONNX allows this; ONNX Runtime refuses it, so ConvScope reports a warning");
  add_layer(d, l, text::position(s.text, at));
  return true;
}

bool ort_pool_negative(Scan& s, size_t at, Draft& d) {
  OneLayer l;
  l.type = LayerType::max_pool;
  l.kernel = {3, 3};
  d.framework = Framework::onnx;
  d.input = {1, 1, 1, 1};
  d.note("the message carries no values; assumed a MaxPool with kernel_shape 3, strides 1, pads 0 on input 1x1x1x1");
  add_layer(d, l, text::position(s.text, at));
  return true;
}

}  // namespace convscope::import::errors
