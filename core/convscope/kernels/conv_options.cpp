#include "convscope/kernels/conv_options.hpp"

#include <iterator>

#include "convscope/json.hpp"
#include "convscope/kernels/options_json.hpp"
#include "convscope/shape.hpp"

namespace convscope::kernels {

namespace {

using json::Value;

constexpr const char* known_keys[] = {"kind",   "inputShape", "filters",         "kernel",        "stride", "dilation",
                                      "padding", "groups",    "depthMultiplier", "outputPadding", "relu",   "winograd",
                                      "threads"};

using options::option;
using options::read_int;
using options::read_ints;
using options::show;

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
  return options::read_pads(*v, d.pad_top, d.pad_bottom, d.pad_left, d.pad_right, shape_text);
}

std::string read_all(const Value& root, ConvDesc& d) {
  if (std::string e = options::check_keys(root, known_keys, std::size(known_keys)); !e.empty()) return e;
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
    if (std::string e = options::read_bool(*v, "relu", d.relu); !e.empty()) return e;
  }
  if (const Value* v = option(root, "winograd")) {
    if (std::string e = options::read_bool(*v, "winograd", d.allow_winograd); !e.empty()) return e;
  }
  if (const Value* v = option(root, "threads")) {
    if (std::string e = read_int(*v, "threads", d.threads); !e.empty()) return e;
    if (d.threads < 1) return "threads must be 1 or more (the most cores the conv may use), got " + show(*v);
  }
  return read_padding(option(root, "padding"), d);
}

}  // namespace

std::string conv_desc_from_json(const std::string& options_json, ConvDesc& out) {
  Value root;
  if (std::string e = options::parse_object(options_json, root); !e.empty()) return e;
  ConvDesc d;
  if (std::string e = read_all(root, d); !e.empty()) return e;
  if (std::string e = validate(d); !e.empty()) return e;
  out = d;
  return "";
}

}  // namespace convscope::kernels
