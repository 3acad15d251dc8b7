#include "convscope/kernels/conv_options.hpp"

#include <cstdint>
#include <limits>

#include "convscope/json.hpp"
#include "convscope/shape.hpp"

namespace convscope::kernels {

namespace {

using json::Value;

constexpr const char* known_keys[] = {"kind",   "inputShape", "filters",         "kernel",        "stride", "dilation",
                                      "padding", "groups",    "depthMultiplier", "outputPadding", "relu"};

std::string show(const Value& v) { return json::write(v, -1); }

const Value* option(const Value& root, const char* key) {
  const Value* v = root.find(key);
  return v && !v->is_null() ? v : nullptr;
}

// An integer that fits int (the kernels' index type); `name` for messages.
std::string read_int(const Value& v, const std::string& name, int& out) {
  if (!v.is_integer() || v.as_int() < std::numeric_limits<int>::min() || v.as_int() > std::numeric_limits<int>::max()) {
    return name + " must be an integer, got " + show(v);
  }
  out = int(v.as_int());
  return "";
}

// An array of exactly `n` integers.
std::string read_ints(const Value& v, const std::string& name, size_t n, int* out) {
  if (!v.is_array() || v.as_array().size() != n) {
    return name + " must be an array of " + std::to_string(n) + " integers, got " + show(v);
  }
  for (size_t i = 0; i < n; ++i) {
    if (std::string e = read_int(v.as_array()[i], name + "[" + std::to_string(i) + "]", out[i]); !e.empty()) return e;
  }
  return "";
}

std::string read_kind(const Value* v, ConvKind& out) {
  if (!v) return "kind is required: \"conv\", \"depthwise_conv\" or \"conv_transpose\"";
  const std::string k = v->is_string() ? v->as_string() : "";
  if (k == "conv") out = ConvKind::conv;
  else if (k == "depthwise_conv") out = ConvKind::depthwise;
  else if (k == "conv_transpose") out = ConvKind::transposed;
  else return "kind must be \"conv\", \"depthwise_conv\" or \"conv_transpose\", got " + show(*v);
  return "";
}

// TensorFlow SAME for one axis, from the formula's one home (shape.hpp).
void same_pads(int in, int kernel, int stride, int dilation, int& begin, int& end) {
  const shape::Pads p = shape::same_pads_upper(in, shape::effective_kernel(kernel, dilation), stride);
  begin = int(p.begin);
  end = int(p.end);
}

std::string read_padding(const Value* v, ConvDesc& d) {
  if (!v) return "";
  if (v->is_string() && v->as_string() == "valid") return "";
  if (v->is_string() && v->as_string() == "same") {
    if (d.kind == ConvKind::transposed) return "padding \"same\" is for forward convs; give [[top, bottom], [left, right]]";
    // Only meaningful once the sizes themselves are; validate() reports those.
    if (d.input.h < 1 || d.input.w < 1 || d.kernel_h < 1 || d.kernel_w < 1 || d.stride_h < 1 || d.stride_w < 1 ||
        d.dilation_h < 1 || d.dilation_w < 1) {
      return "";
    }
    same_pads(d.input.h, d.kernel_h, d.stride_h, d.dilation_h, d.pad_top, d.pad_bottom);
    same_pads(d.input.w, d.kernel_w, d.stride_w, d.dilation_w, d.pad_left, d.pad_right);
    return "";
  }
  const char* shape_text = "padding must be \"valid\", \"same\" or [[top, bottom], [left, right]], got ";
  if (!v->is_array() || v->as_array().size() != 2) return shape_text + show(*v);
  int h[2], w[2];
  if (std::string e = read_ints(v->as_array()[0], "padding[0]", 2, h); !e.empty()) return e;
  if (std::string e = read_ints(v->as_array()[1], "padding[1]", 2, w); !e.empty()) return e;
  d.pad_top = h[0];
  d.pad_bottom = h[1];
  d.pad_left = w[0];
  d.pad_right = w[1];
  return "";
}

std::string read_all(const Value& root, ConvDesc& d) {
  for (const auto& [key, value] : root.as_object()) {
    bool known = false;
    for (const char* k : known_keys) known = known || key == k;
    if (!known) return "unknown option \"" + key + "\"";
  }
  if (std::string e = read_kind(option(root, "kind"), d.kind); !e.empty()) return e;
  const Value* input = option(root, "inputShape");
  if (!input) return "inputShape [N, H, W, C] is required";
  int dims[4];
  if (std::string e = read_ints(*input, "inputShape", 4, dims); !e.empty()) return e;
  d.input = {dims[0], dims[1], dims[2], dims[3]};
  const Value* filters = option(root, "filters");
  if (!filters && d.kind != ConvKind::depthwise) return "filters is required";
  if (filters) {
    if (std::string e = read_int(*filters, "filters", d.filters); !e.empty()) return e;
  }
  const Value* kernel = option(root, "kernel");
  if (!kernel) return "kernel [kh, kw] is required";
  int pair[2];
  if (std::string e = read_ints(*kernel, "kernel", 2, pair); !e.empty()) return e;
  d.kernel_h = pair[0];
  d.kernel_w = pair[1];
  struct Pair { const char* key; int* first; int* second; };
  for (const Pair& p : {Pair{"stride", &d.stride_h, &d.stride_w}, Pair{"dilation", &d.dilation_h, &d.dilation_w},
                        Pair{"outputPadding", &d.output_pad_h, &d.output_pad_w}}) {
    if (const Value* v = option(root, p.key)) {
      if (std::string e = read_ints(*v, p.key, 2, pair); !e.empty()) return e;
      *p.first = pair[0];
      *p.second = pair[1];
    }
  }
  if (const Value* v = option(root, "groups")) {
    if (std::string e = read_int(*v, "groups", d.groups); !e.empty()) return e;
  }
  if (const Value* v = option(root, "depthMultiplier")) {
    if (std::string e = read_int(*v, "depthMultiplier", d.depth_multiplier); !e.empty()) return e;
  }
  if (const Value* v = option(root, "relu")) {
    if (!v->is_bool()) return "relu must be true or false, got " + show(*v);
    d.relu = v->as_bool();
  }
  return read_padding(option(root, "padding"), d);
}

}  // namespace

std::string conv_desc_from_json(const std::string& options_json, ConvDesc& out) {
  Value root;
  json::ParseError parse_error;
  if (!json::parse(options_json, root, parse_error)) return "options are not JSON: " + parse_error.message;
  if (!root.is_object()) return "options must be an object";
  ConvDesc d;
  if (std::string e = read_all(root, d); !e.empty()) return e;
  if (std::string e = validate(d); !e.empty()) return e;
  out = d;
  return "";
}

}  // namespace convscope::kernels
