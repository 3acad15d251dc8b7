#include "convscope/kernels/pool_options.hpp"

#include <cstdint>
#include <iterator>

#include "convscope/checked.hpp"
#include "convscope/json.hpp"
#include "convscope/kernels/options_json.hpp"
#include "convscope/shape.hpp"

namespace convscope::kernels {

namespace {

using json::Value;
using options::option;
using options::read_ints;
using options::show;

constexpr const char* known_keys[] = {"kind",    "inputShape", "kernel",          "stride",    "dilation",
                                      "padding", "ceilMode",   "countIncludePad", "outputSize"};

const char* kind_name(PoolOpKind k) {
  switch (k) {
    case PoolOpKind::max_pool: return "max_pool";
    case PoolOpKind::avg_pool: return "avg_pool";
    case PoolOpKind::global_max_pool: return "global_max_pool";
    case PoolOpKind::global_avg_pool: return "global_avg_pool";
    case PoolOpKind::upsample_nearest: return "upsample_nearest";
  }
  return "";
}

bool windowed(PoolOpKind k) { return k == PoolOpKind::max_pool || k == PoolOpKind::avg_pool; }

// Whether option `key` means something for `kind` (kind and inputShape: always).
bool applies(const std::string& key, PoolOpKind kind) {
  if (key == "kind" || key == "inputShape") return true;
  if (key == "outputSize") return kind == PoolOpKind::upsample_nearest;
  if (key == "countIncludePad") return kind == PoolOpKind::avg_pool;
  return windowed(kind);  // kernel, stride, dilation, padding, ceilMode
}

std::string read_kind(const Value* v, PoolOpKind& out) {
  const char* expected = "\"max_pool\", \"avg_pool\", \"global_max_pool\", \"global_avg_pool\" or \"upsample_nearest\"";
  if (!v) return std::string("kind is required: ") + expected;
  const std::string k = v->is_string() ? v->as_string() : "";
  for (PoolOpKind c : {PoolOpKind::max_pool, PoolOpKind::avg_pool, PoolOpKind::global_max_pool,
                       PoolOpKind::global_avg_pool, PoolOpKind::upsample_nearest}) {
    if (k == kind_name(c)) {
      out = c;
      return "";
    }
  }
  return std::string("kind must be ") + expected + ", got " + show(*v);
}

// TensorFlow SAME for one axis, from the formula's one home (shape.hpp).
void same_pads(int in, int kernel, int stride, int dilation, int& begin, int& end) {
  const shape::Pads p = shape::same_pads_upper(in, shape::effective_kernel(kernel, dilation), stride);
  begin = int(p.begin);
  end = int(p.end);
}

std::string read_padding(const Value* v, PoolDesc& d) {
  if (!v) return "";
  if (v->is_string() && v->as_string() == "valid") return "";
  if (v->is_string() && v->as_string() == "same") {
    // Only meaningful once the sizes themselves are; validate() reports those.
    if (d.input.h < 1 || d.input.w < 1 || d.kernel_h < 1 || d.kernel_w < 1 || d.stride_h < 1 || d.stride_w < 1 ||
        d.dilation_h < 1 || d.dilation_w < 1) {
      return "";
    }
    same_pads(d.input.h, d.kernel_h, d.stride_h, d.dilation_h, d.pad_top, d.pad_bottom);
    same_pads(d.input.w, d.kernel_w, d.stride_w, d.dilation_w, d.pad_left, d.pad_right);
    return "";
  }
  return options::read_pads(*v, d.pad_top, d.pad_bottom, d.pad_left, d.pad_right,
                            "padding must be \"valid\", \"same\" or [[top, bottom], [left, right]], got ");
}

std::string read_window(const Value& root, PoolDesc& d) {
  const Value* kernel = option(root, "kernel");
  if (!kernel) return "kernel [kh, kw] is required";
  int pair[2];
  if (std::string e = read_ints(*kernel, "kernel", 2, pair); !e.empty()) return e;
  d.kernel_h = d.stride_h = pair[0];
  d.kernel_w = d.stride_w = pair[1];
  struct Pair { const char* key; int* first; int* second; };
  for (const Pair& p : {Pair{"stride", &d.stride_h, &d.stride_w}, Pair{"dilation", &d.dilation_h, &d.dilation_w}}) {
    if (const Value* v = option(root, p.key)) {
      if (std::string e = read_ints(*v, p.key, 2, pair); !e.empty()) return e;
      *p.first = pair[0];
      *p.second = pair[1];
    }
  }
  if (const Value* v = option(root, "ceilMode")) {
    if (std::string e = options::read_bool(*v, "ceilMode", d.ceil_mode); !e.empty()) return e;
  }
  if (const Value* v = option(root, "countIncludePad")) {
    if (std::string e = options::read_bool(*v, "countIncludePad", d.count_include_pad); !e.empty()) return e;
  }
  return read_padding(option(root, "padding"), d);
}

std::string read_all(const Value& root, PoolOpDesc& d) {
  if (std::string e = options::check_keys(root, known_keys, std::size(known_keys)); !e.empty()) return e;
  if (std::string e = read_kind(option(root, "kind"), d.kind); !e.empty()) return e;
  for (const auto& [key, value] : root.as_object()) {
    if (!value.is_null() && !applies(key, d.kind)) {
      return "option \"" + key + "\" does not apply to " + kind_name(d.kind);
    }
  }
  const Value* input = option(root, "inputShape");
  if (!input) return "inputShape [N, H, W, C] is required";
  int dims[4];
  if (std::string e = read_ints(*input, "inputShape", 4, dims); !e.empty()) return e;
  d.window.input = {dims[0], dims[1], dims[2], dims[3]};
  if (windowed(d.kind)) {
    d.window.kind = d.kind == PoolOpKind::max_pool ? PoolKind::max : PoolKind::average;
    return read_window(root, d.window);
  }
  d.window.kind = d.kind == PoolOpKind::global_avg_pool ? PoolKind::average : PoolKind::max;
  if (d.kind == PoolOpKind::upsample_nearest) {
    const Value* size = option(root, "outputSize");
    if (!size) return "outputSize [oh, ow] is required";
    int pair[2];
    if (std::string e = read_ints(*size, "outputSize", 2, pair); !e.empty()) return e;
    d.out_h = pair[0];
    d.out_w = pair[1];
  }
  return "";
}

}  // namespace

std::string validate(const PoolOpDesc& d) {
  if (windowed(d.kind)) return validate(d.window);
  // The input alone: a 1x1 window description checks its dimensions and size.
  PoolDesc input_only;
  input_only.input = d.window.input;
  if (std::string e = validate(input_only); !e.empty()) return e;
  if (d.kind != PoolOpKind::upsample_nearest) return "";
  if (d.out_h < 1) return "outputSize[0] must be >= 1, got " + std::to_string(d.out_h);
  if (d.out_w < 1) return "outputSize[1] must be >= 1, got " + std::to_string(d.out_w);
  checked::clear_overflow();
  const Shape4& s = d.window.input;
  const int64_t floats = checked::mul(checked::mul(s.n, d.out_h), checked::mul(d.out_w, s.c));
  if (checked::overflowed() || floats > max_tensor_floats) {
    return "the output would hold more than " + std::to_string(max_tensor_floats) + " floats, the kernels' limit";
  }
  return "";
}

Shape4 output_shape(const PoolOpDesc& d) {
  const Shape4& s = d.window.input;
  switch (d.kind) {
    case PoolOpKind::max_pool:
    case PoolOpKind::avg_pool: return output_shape(d.window);
    case PoolOpKind::global_max_pool:
    case PoolOpKind::global_avg_pool: return {s.n, 1, 1, s.c};
    case PoolOpKind::upsample_nearest: return {s.n, d.out_h, d.out_w, s.c};
  }
  return s;
}

std::string pool_desc_from_json(const std::string& options_json, PoolOpDesc& out) {
  Value root;
  if (std::string e = options::parse_object(options_json, root); !e.empty()) return e;
  PoolOpDesc d;
  if (std::string e = read_all(root, d); !e.empty()) return e;
  if (std::string e = validate(d); !e.empty()) return e;
  out = d;
  return "";
}

}  // namespace convscope::kernels
