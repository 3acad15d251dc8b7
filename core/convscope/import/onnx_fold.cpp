// Constant folding of the small tensors ONNX graphs compute from shapes:
// Shape -> Gather -> Unsqueeze -> Concat, the Slice / Cast / arithmetic of
// dynamic-axes exports (ShuffleNet's chunk, F.interpolate(size=...)), and
// Constant, ConstantOfShape, Range. Shape reads the data's shape from the
// core's own propagation, so the values follow the input ConvScope analyses
// (an --input override re-runs the export's computation at that size), and
// every integer remembers which data axis it came from: a Resize whose sizes
// are another tensor's spatial size becomes a resize_to that tensor.
// Values that cannot be folded become unknown, with the reason; only a node
// that needs them stops the walk.
#include <algorithm>
#include <cmath>

#include "convscope/import/onnx_walk.hpp"
#include "convscope/import/text.hpp"

namespace convscope::import::onnx {

using std::to_string;

namespace {

constexpr size_t kMaxValues = kMaxInts;  // folded tensors stay as small as the reader's

// Input k as a constant with values, or the node's outputs become unknown.
const Const* need(Walk& w, size_t i, size_t k) {
  const Const* c = w.constant(i, k);
  if (c && c->has_values) return c;
  w.set_unknown(i, w.short_label(i) + " computes it from " +
                       (c ? text::quoted(w.node(i).inputs[k]) + ", whose values are not in the file" : w.not_constant(i, k)));
  return nullptr;
}

Const ints_const(std::vector<int64_t> dims, std::vector<int64_t> values, std::vector<Origin> origins = {}) {
  Const c;
  c.dims = std::move(dims);
  c.has_values = true;
  c.ints = std::move(values);
  c.origins = origins.empty() ? std::vector<Origin>(c.ints.size()) : std::move(origins);
  return c;
}

Const floats_const(std::vector<int64_t> dims, std::vector<double> values) {
  Const c;
  c.dims = std::move(dims);
  c.has_values = true;
  c.is_float = true;
  c.floats = std::move(values);
  return c;
}

std::vector<double> as_floats(const Const& c) {
  if (c.is_float) return c.floats;
  return std::vector<double>(c.ints.begin(), c.ints.end());
}

void folded(Walk& w, size_t i, Const c) {
  ++w.folded;
  const std::string& op = w.node(i).op_type;
  if (std::find(w.folded_ops.begin(), w.folded_ops.end(), op) == w.folded_ops.end()) w.folded_ops.push_back(op);
  w.set_constant(i, 0, std::move(c));
}

bool too_many(Walk& w, size_t i, int64_t n) {
  if (n >= 0 && static_cast<size_t>(n) <= kMaxValues) return false;
  w.set_unknown(i, w.short_label(i) + " computes a tensor of " + to_string(n) + " values (ConvScope folds up to " +
                       to_string(kMaxValues) + ")");
  return true;
}

bool constant_op(Walk& w, size_t i) {
  const Node& n = w.node(i);
  for (const Attribute& a : n.attributes) {
    Const c;
    if (a.name == "value" && a.has_t) {
      c.dims = a.t.dims;
      c.is_float = a.t.is_float();
      c.has_values = a.t.has_values || a.t.has_floats;
      c.ints = a.t.values;
      c.floats = a.t.floats;
      c.origins.assign(c.ints.size(), Origin{});
    } else if (a.name == "value_int" && a.has_i) {
      c = ints_const({}, {a.i});
    } else if (a.name == "value_ints") {
      c = ints_const({static_cast<int64_t>(a.ints.size())}, a.ints);
    } else if (a.name == "value_float" && a.has_f) {
      c = floats_const({}, {a.f});
    } else if (a.name == "value_floats") {
      c = floats_const({static_cast<int64_t>(a.floats.size())}, a.floats);
    } else {
      continue;
    }
    w.set_constant(i, 0, std::move(c));
    return true;
  }
  w.set_unknown(i, w.short_label(i) + " holds a value ConvScope does not read");
  return true;
}

bool identity_op(Walk& w, size_t i) {
  const Const* c = w.constant(i, 0);
  if (!c) {
    w.set_unknown(i, w.short_label(i) + " passes on " + w.not_constant(i, 0));
    return true;
  }
  w.set_constant(i, 0, *c);  // keeps the initializer's name: a weight shared through Identity
  return true;
}

bool cast_op(Walk& w, size_t i) {
  const Const* c = need(w, i, 0);
  if (!c) return true;
  const int64_t to = w.int_attr(i, "to", 1);
  const bool to_float = to == 1 || to == 10 || to == 11 || to == 16;
  Const out = *c;
  out.initializer.clear();
  if (to_float && !c->is_float) {
    out = floats_const(c->dims, as_floats(*c));
  } else if (!to_float && c->is_float) {
    std::vector<int64_t> v;
    for (double f : c->floats) {
      if (!(std::fabs(f) < 9e15)) return w.set_unknown(i, w.short_label(i) + " casts a value beyond 2^53"), true;
      v.push_back(static_cast<int64_t>(f));  // ONNX Cast truncates toward zero
    }
    out = ints_const(c->dims, v);
  }
  folded(w, i, out);
  return true;
}

// Shape / Size of data read from the propagation (or of a constant's dims).
bool shape_op(Walk& w, size_t i) {
  const Node& n = w.node(i);
  std::optional<Shape> s;
  int32_t layer = kNoLayer;
  const Val& v = w.value(n.inputs.empty() ? "" : n.inputs[0]);
  if (v.kind == Val::data) {
    layer = v.layer;
    s = w.shape_of(layer);
    if (!s) {
      w.set_unknown(i, "the shape of " + text::quoted(n.inputs[0]) + " is unknown" +
                           (w.limit_hit ? " (past ConvScope's limit of shape look-ups)" : " (an earlier layer fails)"));
      return true;
    }
  } else if (v.kind == Val::constant) {
    s = v.c.dims;
  } else {
    w.set_unknown(i, w.short_label(i) + " reads " + w.not_constant(i, 0));
    return true;
  }
  const int64_t rank = static_cast<int64_t>(s->size());
  if (n.op_type == "Size") {
    int64_t count = 1;
    for (int64_t d : *s) count = d != 0 && count > (int64_t{1} << 62) / d ? int64_t{1} << 62 : count * d;
    folded(w, i, ints_const({}, {count}));
    return true;
  }
  int64_t start = w.int_attr(i, "start", 0), end = w.int_attr(i, "end", rank);
  start = std::clamp(start < 0 ? start + rank : start, int64_t{0}, rank);
  end = std::clamp(end < 0 ? end + rank : end, int64_t{0}, rank);
  std::vector<int64_t> values;
  std::vector<Origin> origins;
  for (int64_t k = start; k < end; ++k) {
    values.push_back((*s)[static_cast<size_t>(k)]);
    origins.push_back(layer == kNoLayer ? Origin{} : Origin{layer, k});
  }
  folded(w, i, ints_const({static_cast<int64_t>(values.size())}, values, origins));
  return true;
}

// Gather on a 0-D or 1-D tensor along axis 0.
bool gather_op(Walk& w, size_t i) {
  const Const* data = need(w, i, 0);
  const Const* idx = data ? need(w, i, 1) : nullptr;
  if (!idx) return true;
  if (data->is_float || idx->is_float || data->dims.size() != 1 || w.int_attr(i, "axis", 0) != 0 || idx->dims.size() > 1) {
    w.set_unknown(i, w.short_label(i) + " gathers from a tensor that is not a 1-D list of integers");
    return true;
  }
  std::vector<int64_t> values;
  std::vector<Origin> origins;
  const int64_t size = static_cast<int64_t>(data->ints.size());
  for (int64_t k : idx->ints) {
    const int64_t at = k < 0 ? k + size : k;
    if (at < 0 || at >= size) return w.fail(i, "index " + to_string(k) + " is outside the " + to_string(size) + " values gathered from");
    values.push_back(data->ints[static_cast<size_t>(at)]);
    origins.push_back(data->origins[static_cast<size_t>(at)]);
  }
  folded(w, i, ints_const(idx->dims, values, origins));
  return true;
}

// The axes of Unsqueeze / Squeeze: an attribute (opset < 13) or input 1.
bool axes_of(Walk& w, size_t i, std::vector<int64_t>& axes) {
  if (const Attribute* a = w.node(i).attribute("axes")) {
    axes = a->ints;
    return true;
  }
  if (w.node(i).inputs.size() < 2 || w.node(i).inputs[1].empty()) return true;
  const Const* c = need(w, i, 1);
  if (!c) return false;
  axes = c->ints;
  return true;
}

bool unsqueeze_op(Walk& w, size_t i) {
  const Const* c = need(w, i, 0);
  std::vector<int64_t> axes;
  if (!c || !axes_of(w, i, axes)) return true;
  const int64_t rank = static_cast<int64_t>(c->dims.size() + axes.size());
  std::vector<int64_t> dims;
  size_t next = 0;
  for (int64_t k = 0; k < rank; ++k) {
    const bool added = std::any_of(axes.begin(), axes.end(), [&](int64_t a) { return a == k || a + rank == k; });
    if (added) dims.push_back(1);
    else if (next < c->dims.size()) dims.push_back(c->dims[next++]);
  }
  Const out = *c;
  out.dims = dims;
  out.initializer.clear();
  folded(w, i, out);
  return true;
}

bool squeeze_op(Walk& w, size_t i) {
  const Const* c = need(w, i, 0);
  std::vector<int64_t> axes;
  if (!c || !axes_of(w, i, axes)) return true;
  const int64_t rank = static_cast<int64_t>(c->dims.size());
  std::vector<int64_t> dims;
  for (int64_t k = 0; k < rank; ++k) {
    const bool listed = std::any_of(axes.begin(), axes.end(), [&](int64_t a) { return a == k || a + rank == k; });
    if (!(listed || (axes.empty() && c->dims[static_cast<size_t>(k)] == 1))) dims.push_back(c->dims[static_cast<size_t>(k)]);
  }
  Const out = *c;
  out.dims = dims;
  out.initializer.clear();
  folded(w, i, out);
  return true;
}

// Concat of 0-D / 1-D tensors along axis 0.
bool concat_op(Walk& w, size_t i) {
  Const out;
  out.has_values = true;
  for (size_t k = 0; k < w.node(i).inputs.size(); ++k) {
    const Const* c = need(w, i, k);
    if (!c) return true;
    if (c->dims.size() > 1 || (k > 0 && c->is_float != out.is_float)) {
      w.set_unknown(i, w.short_label(i) + " joins tensors that are not 1-D lists of one type");
      return true;
    }
    out.is_float = c->is_float;
    out.ints.insert(out.ints.end(), c->ints.begin(), c->ints.end());
    out.floats.insert(out.floats.end(), c->floats.begin(), c->floats.end());
    out.origins.insert(out.origins.end(), c->origins.begin(), c->origins.end());
  }
  if (too_many(w, i, static_cast<int64_t>(out.ints.size() + out.floats.size()))) return true;
  out.dims = {static_cast<int64_t>(out.ints.size() + out.floats.size())};
  folded(w, i, out);
  return true;
}

// Slice of a 1-D tensor: starts, ends (axes, steps) as inputs (opset >= 10)
// or attributes.
bool slice_op(Walk& w, size_t i) {
  const Node& n = w.node(i);
  const Const* c = need(w, i, 0);
  if (!c) return true;
  int64_t start = 0, end = 0, step = 1;
  auto one = [&](size_t k, const char* attr, int64_t fallback, int64_t& out) {
    if (const Attribute* a = n.attribute(attr)) {
      if (a->ints.size() != 1) return false;
      out = a->ints[0];
      return true;
    }
    if (k >= n.inputs.size() || n.inputs[k].empty()) {
      out = fallback;
      return true;
    }
    const Const* v = need(w, i, k);
    if (!v || v->ints.size() != 1) return false;
    out = v->ints[0];
    return true;
  };
  int64_t axis = 0;
  if (c->dims.size() != 1 || c->is_float || !one(1, "starts", 0, start) || !one(2, "ends", 0, end) ||
      !one(3, "axes", 0, axis) || !one(4, "steps", 1, step) || step == 0 || (axis != 0 && axis != -1)) {
    if (w.value(n.outputs.empty() ? "" : n.outputs[0]).kind != Val::unknown)
      w.set_unknown(i, w.short_label(i) + " slices something other than one 1-D list of integers");
    return true;
  }
  const int64_t size = static_cast<int64_t>(c->ints.size());
  // numpy's clamping: negative indices from the end, then into range.
  auto clamp = [&](int64_t x, int64_t lo, int64_t hi) { return std::clamp(x < 0 ? x + size : x, lo, hi); };
  start = step > 0 ? clamp(start, 0, size) : clamp(start, -1, size - 1);
  end = step > 0 ? clamp(end, 0, size) : clamp(end, -1, size - 1);
  std::vector<int64_t> values;
  std::vector<Origin> origins;
  for (int64_t k = start; step > 0 ? k < end : k > end; k += step) {
    values.push_back(c->ints[static_cast<size_t>(k)]);
    origins.push_back(c->origins[static_cast<size_t>(k)]);
  }
  folded(w, i, ints_const({static_cast<int64_t>(values.size())}, values, origins));
  return true;
}

// Add / Sub / Mul / Div (and Max, Min) on small constants, numpy broadcasting
// of a scalar or equal lengths. Integer division truncates, as ONNX Runtime's.
bool arithmetic_op(Walk& w, size_t i) {
  const Node& n = w.node(i);
  if (n.inputs.size() != 2) {
    w.set_unknown(i, w.short_label(i) + " has " + to_string(n.inputs.size()) + " inputs; ConvScope folds two");
    return true;
  }
  const Const* a = need(w, i, 0);
  const Const* b = a ? need(w, i, 1) : nullptr;
  if (!b) return true;
  const int64_t na = a->count(), nb = b->count();
  if (na != nb && na != 1 && nb != 1) {
    w.set_unknown(i, w.short_label(i) + " combines lists of " + to_string(na) + " and " + to_string(nb) + " values");
    return true;
  }
  const std::vector<int64_t>& dims = na >= nb ? a->dims : b->dims;
  const size_t count = static_cast<size_t>(std::max(na, nb));
  const std::string& op = n.op_type;
  if (!a->is_float && !b->is_float) {
    std::vector<int64_t> out;
    for (size_t k = 0; k < count; ++k) {
      const int64_t x = a->ints[na == 1 ? 0 : k], y = b->ints[nb == 1 ? 0 : k];
      const bool small = std::llabs(x) < (int64_t{1} << 31) && std::llabs(y) < (int64_t{1} << 31);
      if (!small || (op == "Div" && y == 0)) {
        w.set_unknown(i, w.short_label(i) + " computes with " + to_string(x) + " and " + to_string(y));
        return true;
      }
      out.push_back(op == "Add" ? x + y : op == "Sub" ? x - y : op == "Mul" ? x * y : op == "Div" ? x / y
                    : op == "Max" ? std::max(x, y) : std::min(x, y));
    }
    folded(w, i, ints_const(dims, out));
    return true;
  }
  const std::vector<double> fa = as_floats(*a), fb = as_floats(*b);
  std::vector<double> out;
  for (size_t k = 0; k < count; ++k) {
    const double x = fa[na == 1 ? 0 : k], y = fb[nb == 1 ? 0 : k];
    out.push_back(op == "Add" ? x + y : op == "Sub" ? x - y : op == "Mul" ? x * y : op == "Div" ? x / y
                  : op == "Max" ? std::max(x, y) : std::min(x, y));
  }
  folded(w, i, floats_const(dims, out));
  return true;
}

bool rounding_op(Walk& w, size_t i) {
  const Const* c = need(w, i, 0);
  if (!c) return true;
  if (!c->is_float) {
    folded(w, i, *c);
    return true;
  }
  std::vector<double> out;
  for (double f : c->floats) out.push_back(w.node(i).op_type == "Floor" ? std::floor(f) : std::ceil(f));
  folded(w, i, floats_const(c->dims, out));
  return true;
}

bool constant_of_shape_op(Walk& w, size_t i) {
  const Const* shape = need(w, i, 0);
  if (!shape) return true;
  int64_t count = 1;
  for (int64_t d : shape->ints) count = d < 0 || (d != 0 && count > (int64_t{1} << 40) / d) ? -1 : count * d;
  if (too_many(w, i, count)) return true;
  const Attribute* a = w.node(i).attribute("value");
  if (a && a->has_t && a->t.has_values && !a->t.values.empty())
    folded(w, i, ints_const(shape->ints, std::vector<int64_t>(static_cast<size_t>(count), a->t.values[0])));
  else
    folded(w, i, floats_const(shape->ints, std::vector<double>(static_cast<size_t>(count),
                                                              a && a->has_t && !a->t.floats.empty() ? a->t.floats[0] : 0.0)));
  return true;
}

bool range_op(Walk& w, size_t i) {
  const Const* start = need(w, i, 0);
  const Const* limit = start ? need(w, i, 1) : nullptr;
  const Const* delta = limit ? need(w, i, 2) : nullptr;
  if (!delta) return true;
  if (start->is_float || limit->is_float || delta->is_float || start->ints.size() != 1 || limit->ints.size() != 1 ||
      delta->ints.size() != 1 || delta->ints[0] == 0) {
    w.set_unknown(i, w.short_label(i) + " is not an integer range");
    return true;
  }
  std::vector<int64_t> values;
  for (int64_t v = start->ints[0]; delta->ints[0] > 0 ? v < limit->ints[0] : v > limit->ints[0]; v += delta->ints[0]) {
    if (values.size() >= kMaxValues) return too_many(w, i, -1), true;
    values.push_back(v);
  }
  folded(w, i, ints_const({static_cast<int64_t>(values.size())}, values));
  return true;
}

struct Entry {
  const char* op;
  Handler handler;
};

const Entry kFolds[] = {
    {"Constant", constant_op}, {"Identity", identity_op}, {"Cast", cast_op},   {"Shape", shape_op},
    {"Size", shape_op},        {"Gather", gather_op},     {"Unsqueeze", unsqueeze_op},
    {"Squeeze", squeeze_op},   {"Concat", concat_op},     {"Slice", slice_op}, {"Add", arithmetic_op},
    {"Sub", arithmetic_op},    {"Mul", arithmetic_op},    {"Div", arithmetic_op}, {"Max", arithmetic_op},
    {"Min", arithmetic_op},    {"Floor", rounding_op},    {"Ceil", rounding_op},
    {"ConstantOfShape", constant_of_shape_op},            {"Range", range_op},
};

}  // namespace

Handler fold_handler(const std::string& op) {
  for (const Entry& e : kFolds)
    if (op == e.op) return e.handler;
  return nullptr;
}

}  // namespace convscope::import::onnx
