// PyTorch's functional calls, Tensor methods and operators for the code
// reader: each becomes the layer of the contract that computes the same
// shape (F.max_pool2d -> max_pool, torch.cat -> concat, x + y -> add,
// x.view(x.size(0), -1) -> flatten, U-Net's F.pad to the skip's size ->
// pad_to), or stops the reading with what it is and where.
#include <algorithm>

#include "convscope/import/code_pytorch.hpp"
#include "convscope/import/names.hpp"

namespace convscope::import::py {

namespace {

using K = Value::Kind;

bool is_tensor(const Ref* v) { return v && (*v)->kind == K::tensor; }

// "max_pool2d" -> 2 (the digit before the final 'd'); 0 if none.
size_t rank_digit(const std::string& name, const std::string& base) {
  if (name.size() != base.size() + 2 || name.compare(0, base.size(), base) != 0 || name.back() != 'd') return 0;
  const char d = name[base.size()];
  return d >= '1' && d <= '3' ? static_cast<size_t>(d - '0') : 0;
}

bool same_sym(const SymRef& a, const SymRef& b) {
  if (!a || !b) return !a && !b;
  if (a->kind != b->kind) return false;
  switch (a->kind) {
    case Sym::Kind::dim: return a->node == b->node && a->axis == b->axis;
    case Sym::Kind::constant: return a->c == b->c;
    default: return same_sym(a->a, b->a) && same_sym(a->b, b->b);
  }
}

bool is_const(const SymRef& s, int64_t c) { return s && s->kind == Sym::Kind::constant && s->c == c; }

// D = size(R, axis) - size(x, axis): R's node, or nullopt.
std::optional<int32_t> size_difference(const SymRef& d, int32_t x, int64_t axis) {
  if (!d || d->kind != Sym::Kind::sub || !d->a || !d->b) return std::nullopt;
  if (d->a->kind != Sym::Kind::dim || d->b->kind != Sym::Kind::dim) return std::nullopt;
  if (d->b->node != x || d->a->axis != axis || d->b->axis != axis) return std::nullopt;
  return d->a->node;
}

// The pair (D // 2, D - D // 2) with D = size(R, axis) - size(x, axis): R.
std::optional<int32_t> pad_to_pair(const Ref& begin, const Ref& end, int32_t x, int64_t axis) {
  const SymRef& b = begin->sym;
  const SymRef& e = end->sym;
  if (!b || !e || b->kind != Sym::Kind::floordiv || !is_const(b->b, 2)) return std::nullopt;
  if (e->kind != Sym::Kind::sub || !same_sym(e->a, b->a) || !same_sym(e->b, b)) return std::nullopt;
  return size_difference(b->a, x, axis);
}

}  // namespace

void TorchFramework::note_once(const std::string& text) {
  if (std::find(notes.begin(), notes.end(), text) == notes.end()) notes.push_back(text);
}

// ---------------------------------------------------------------- torch / F

Ref TorchFramework::function(const std::string& name, bool in_torch, Pos pos) {
  const std::string prefix = in_torch ? "torch." : "F.";
  auto fn = [&](NativeFn f) { return native(prefix + name, std::move(f)); };
  std::string base = name;
  if (!base.empty() && base.back() == '_' && base != "_") base.pop_back();  // relu_ (in place): same shape
  if (base == "relu") return fn([this](Interp&, const Ref&, Args& a) { return activation("", a, "relu"); });
  if (const names::Activation* act = names::activation_by_function(base == "logsigmoid" ? "log_sigmoid" : base))
    if (std::string(act->function) != "linear")
      return fn([this, act, base](Interp&, const Ref&, Args& a) { return activation(act->function, a, base); });
  if (size_t r = rank_digit(name, "max_pool"))
    return fn([this, r, name](Interp&, const Ref&, Args& a) { return pool(true, r, a, name); });
  if (size_t r = rank_digit(name, "avg_pool"))
    return fn([this, r, name](Interp&, const Ref&, Args& a) { return pool(false, r, a, name); });
  if (size_t r = rank_digit(name, "adaptive_avg_pool"))
    return fn([this, r, name](Interp&, const Ref&, Args& a) { return adaptive_pool(false, r, a, name); });
  if (size_t r = rank_digit(name, "adaptive_max_pool"))
    return fn([this, r, name](Interp&, const Ref&, Args& a) { return adaptive_pool(true, r, a, name); });
  if (name == "cat" || name == "concat" || name == "concatenate")
    return fn([this](Interp&, const Ref&, Args& a) { return cat(a, "cat"); });
  if (name == "flatten")
    return fn([this](Interp& in, const Ref&, Args& a) -> Ref {
      if (!is_tensor(a.get(0, "input"))) return in.fail(a.pos, "torch.flatten needs a tensor");
      return flatten(*a.get(0, "input"), a, 1, "flatten");
    });
  if (name == "add" || name == "mul" || name == "multiply" || name == "sub" || name == "subtract")
    return fn([name](Interp& in, const Ref&, Args& a) -> Ref {
      if (a.positional.size() != 2) return in.fail(a.pos, "torch." + name + " takes two inputs");
      const Op op = name == "add" ? Op::add : name[0] == 's' ? Op::sub : Op::mul;
      return in.framework->tensor_binary(in, op, a.positional[0], a.positional[1], a.pos);
    });
  if (name == "maximum" || name == "minimum")
    return fn([this, name](Interp& in, const Ref&, Args& a) -> Ref {
      if (a.positional.size() != 2 || !is_tensor(&a.positional[0]) || !is_tensor(&a.positional[1]))
        return in.fail(a.pos, "torch." + name + " takes two tensors");
      return merge(name.c_str(), {a.positional[0], a.positional[1]}, a.pos, name);
    });
  if (name == "dropout" || name == "dropout2d" || name == "dropout1d" || name == "dropout3d" ||
      name == "alpha_dropout" || name == "feature_alpha_dropout")
    return fn([this](Interp& in, const Ref&, Args& a) -> Ref {
      const Ref* x = a.get(0, "input");
      if (!is_tensor(x)) return in.fail(a.pos, "dropout needs a tensor");
      json::Object o = layer_object("dropout", layer_name("dropout"));
      if (const Ref* p = a.get(1, "p"))
        if ((*p)->kind == K::number && (*p)->d != 0.5) o.push_back({"rate", json::Value((*p)->d)});
      const int32_t k = add_layer(std::move(o), {(*x)->tensor.node});
      return tensor_value(k, (*x)->tensor.rank);
    });
  if (name == "pad") return fn([this](Interp&, const Ref&, Args& a) { return pad(a); });
  if (name == "interpolate" || name == "upsample")
    return fn([this](Interp&, const Ref&, Args& a) { return interpolate(a); });
  if (name == "chunk")
    return fn([this](Interp& in, const Ref&, Args& a) -> Ref {
      if (!is_tensor(a.get(0, "input"))) return in.fail(a.pos, "torch.chunk needs a tensor");
      return chunk(*a.get(0, "input"), a, 1);
    });
  if (in_torch && (name == "zeros" || name == "ones" || name == "randn" || name == "rand" || name == "empty"))
    return fn([this, name](Interp& in, const Ref&, Args& a) -> Ref {
      // An example input (`x = torch.randn(1, 3, 32, 32)`): its shape is the
      // input shape the code itself uses.
      std::vector<Ref> dims = a.positional;
      if (dims.size() == 1 && (dims[0]->kind == K::tuple || dims[0]->kind == K::list)) dims = dims[0]->items;
      std::vector<int64_t> shape;
      for (const Ref& d : dims)
        if (const auto i = as_int(d)) shape.push_back(*i);
      if (shape.size() == dims.size() && shape.size() >= 3 && shape.size() <= 5 &&
          std::all_of(shape.begin(), shape.end(), [](int64_t v) { return v > 0 && v < (1 << 20); }))
        examples.push_back({shape, a.pos});
      return unknown("`torch." + name + "(...)` (" + in.at(a.pos) + "), an example tensor");
    });
  if (in_torch && (name == "no_grad" || name == "inference_mode" || name == "manual_seed" || name == "set_grad_enabled"))
    return fn([](Interp&, const Ref&, Args&) { return none(); });
  if (in_torch && (name == "Tensor" || name == "Size" || name == "device" || name == "float32" || name == "jit"))
    return unknown("`torch." + name + "`");
  (void)pos;
  return nullptr;
}

Ref TorchFramework::activation(const std::string& function, Args& a, const std::string& op) {
  const Ref* x = a.get(0, "input");
  if (!x || (*x)->kind == K::unknown) return x ? *x : in_.fail(a.pos, op + " needs a tensor");
  if (!is_tensor(x)) return in_.fail(a.pos, op + " of " + describe(*x) + ": expected a tensor");
  json::Object o = layer_object(function.empty() ? "relu" : "activation", layer_name(op));
  if (!function.empty()) o.push_back({"function", json::Value(function)});
  const int32_t k = add_layer(std::move(o), {(*x)->tensor.node});
  return tensor_value(k, (*x)->tensor.rank);
}

Ref TorchFramework::pool(bool max, size_t rank, Args& a, const std::string& op) {
  // F.max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1,
  // ceil_mode=False): the module's arguments after the input, so the
  // module reader models both spellings alike.
  const Ref* x = a.get(0, "input");
  if (!is_tensor(x)) return in_.fail(a.pos, op + " needs a tensor as its first argument");
  Args ctor;
  ctor.pos = a.pos;
  ctor.positional.assign(a.positional.begin() + 1, a.positional.end());
  for (const auto& kv : a.keywords)
    if (kv.first != "input" && !(kv.first == "stride" && kv.second->kind == K::none)) ctor.keywords.push_back(kv);
  if (ctor.positional.size() > 1 && ctor.positional[1]->kind == K::none) {  // stride=None: the kernel
    ctor.positional.erase(ctor.positional.begin() + 1);
    if (ctor.positional.size() > 1) return in_.fail(a.pos, op + ": write the arguments after stride=None by name");
  }
  auto m = std::make_shared<Value>();
  m->kind = K::module;
  m->s = std::string(max ? "MaxPool" : "AvgPool") + std::to_string(rank) + "d";
  m->ctor = ctor;
  m->made_at = a.pos;
  m->path = layer_name(op);
  Args call;
  call.pos = a.pos;
  call.call = a.call;
  call.positional = {*x};
  return call_module(in_, m, call);
}

Ref TorchFramework::adaptive_pool(bool max, size_t rank, Args& a, const std::string& op) {
  const Ref* x = a.get(0, "input");
  if (!is_tensor(x)) return in_.fail(a.pos, op + " needs a tensor as its first argument");
  auto m = std::make_shared<Value>();
  m->kind = K::module;
  m->s = std::string(max ? "AdaptiveMaxPool" : "AdaptiveAvgPool") + std::to_string(rank) + "d";
  m->ctor.pos = a.pos;
  if (const Ref* size = a.get(1, "output_size")) m->ctor.positional = {*size};
  m->made_at = a.pos;
  m->path = layer_name(op);
  Args call;
  call.pos = a.pos;
  call.positional = {*x};
  return call_module(in_, m, call);
}

Ref TorchFramework::cat(Args& a, const std::string& op) {
  const Ref* list = a.get(0, "tensors");
  if (!list) return in_.fail(a.pos, "torch.cat needs a list of tensors");
  std::vector<Ref> items;
  if (!in_.iterate(*list, a.pos, items)) return nullptr;
  int64_t dim = 0;  // torch.cat's default
  if (const Ref* d = a.get(1, "dim")) {
    if (!as_int(*d)) return in_.fail(a.pos, "torch.cat: dim must be an integer, got " + describe(*d));
    dim = *as_int(*d);
  }
  std::vector<int32_t> nodes;
  size_t rank = 0;
  for (const Ref& t : items) {
    if (t->kind == K::unknown) return in_.stop(a.pos, "torch.cat of " + t->why);
    if (t->kind != K::tensor) return in_.fail(a.pos, "torch.cat of " + describe(t) + ": expected tensors");
    nodes.push_back(t->tensor.node);
    rank = t->tensor.rank;
  }
  if (nodes.empty()) return in_.fail(a.pos, "torch.cat(): expected a non-empty list of Tensors");
  if (nodes.size() == 1) return items[0];
  json::Object o = layer_object("concat", layer_name(op));
  o.push_back({"axis", json::Value(dim)});
  return tensor_value(add_layer(std::move(o), nodes), rank);
}

Ref TorchFramework::flatten(const Ref& x, Args& a, size_t first_arg, const std::string& op) {
  int64_t start = 0, end = -1;
  if (const Ref* s = a.get(first_arg, "start_dim")) start = as_int(*s).value_or(-99);
  else if (op == "flatten" && first_arg == 1) start = 0;  // torch.flatten(x): start_dim=0
  if (const Ref* e = a.get(first_arg + 1, "end_dim")) end = as_int(*e).value_or(-99);
  if (start != 1 || (end != -1 && end != static_cast<int64_t>(x->tensor.rank) - 1))
    return in_.stop(a.pos, "flatten from axis " + std::to_string(start) + " to " + std::to_string(end) +
                               ": ConvScope reads torch.flatten(x, 1) (every axis after the batch)");
  const int32_t k = add_layer(layer_object("flatten", layer_name(op)), {x->tensor.node});
  return tensor_value(k, 2);
}

Ref TorchFramework::view(const Ref& x, Args& a, const std::string& op) {
  std::vector<Ref> dims = a.positional;
  if (dims.size() == 1 && (dims[0]->kind == K::tuple || dims[0]->kind == K::list)) dims = dims[0]->items;
  if (dims.empty()) return in_.fail(a.pos, "x." + op + "() needs the new shape");
  for (const Ref& d : dims) {
    if (d->kind == K::unknown) return in_.stop(a.pos, "x." + op + "(...) depends on " + d->why);
    if (!as_int(d)) return in_.fail(a.pos, "x." + op + "(): sizes must be integers, got " + describe(d));
  }
  // The batch: x.size(0) (kept) or -1 (whatever is left, PyTorch's view(-1, 400)).
  const SymRef& b = dims[0]->sym;
  const bool keeps_batch = b && b->kind == Sym::Kind::dim && b->axis == 0;
  const bool infers_batch = !b && *as_int(dims[0]) == -1;
  if (!keeps_batch && !infers_batch)
    return in_.stop(a.pos, "x." + op + "(" + describe(dims[0]) + ", ...): ConvScope reads a batch written as "
                               "x.size(0) (or a name unpacked from x.size()) or -1");
  std::vector<int64_t> rest;
  for (size_t k = 1; k < dims.size(); ++k) rest.push_back(*as_int(dims[k]));
  if (keeps_batch && rest.size() == 1 && rest[0] == -1) {  // x.view(x.size(0), -1)
    const int32_t k = add_layer(layer_object("flatten", layer_name(op)), {x->tensor.node});
    return tensor_value(k, 2);
  }
  if (!layer_type_from_string("reshape"))
    return in_.stop(a.pos, "x." + op + " to another shape than (batch, -1) is not read yet");
  json::Object o = layer_object("reshape", layer_name(op));
  json::Array shape;
  for (int64_t v : rest) shape.push_back(json::Value(v));
  o.push_back({"shape", json::Value(std::move(shape))});
  if (infers_batch) o.push_back({"batch", json::Value("infer")});
  const int32_t k = add_layer(std::move(o), {x->tensor.node});
  return tensor_value(k, rest.size() + 1);
}

Ref TorchFramework::pad(Args& a) {
  const Ref* x = a.get(0, "input");
  const Ref* pads = a.get(1, "pad");
  if (!is_tensor(x) || !pads) return in_.fail(a.pos, "F.pad(input, pad) needs a tensor and the pads");
  if (const Ref* mode = a.get(2, "mode"))
    if ((*mode)->kind == K::string && (*mode)->s != "constant")
      note_once("F.pad with mode='" + (*mode)->s + "' (" + in_.at(a.pos) + ") is read as zero padding: the same sizes");
  std::vector<Ref> p;
  if (!in_.iterate(*pads, a.pos, p)) return nullptr;
  const Tensor t = (*x)->tensor;
  const size_t sr = t.rank > 2 ? t.rank - 2 : 0;
  if (p.size() % 2 != 0 || p.size() / 2 > sr)
    return in_.stop(a.pos, "F.pad with " + std::to_string(p.size()) + " values on a " + std::to_string(t.rank) +
                               "-D tensor: ConvScope reads pads of the spatial axes (2 per axis, last axis first)");
  for (const Ref& v : p) {
    if (v->kind == K::unknown) return in_.stop(a.pos, "F.pad's amounts depend on " + v->why);
    if (!as_int(v)) return in_.fail(a.pos, "F.pad: pads must be integers, got " + describe(v));
  }
  // U-Net's F.pad(x1, [diffX // 2, diffX - diffX // 2, diffY // 2, diffY - diffY // 2])
  // with diffY = x2.size()[2] - x1.size()[2]: pad x1 to x2's size, at any input size.
  std::optional<int32_t> ref;
  bool to_ref = p.size() / 2 == sr;
  for (size_t k = 0; to_ref && k < sr; ++k) {
    const int64_t axis = static_cast<int64_t>(t.rank) - 1 - static_cast<int64_t>(k);
    const auto r = pad_to_pair(p[2 * k], p[2 * k + 1], t.node, axis);
    to_ref = r && (!ref || *ref == *r);
    ref = r;
  }
  if (to_ref && ref) {
    json::Object o = layer_object("pad_to", layer_name("pad"));
    return tensor_value(add_layer(std::move(o), {t.node, *ref}), t.rank);
  }
  const bool computed = std::any_of(p.begin(), p.end(), [](const Ref& v) { return v->sym != nullptr; });
  if (computed)
    note_once("F.pad at " + in_.at(a.pos) + " computes its amounts from tensor sizes in a way other than "
              "(d // 2, d - d // 2) toward another tensor's size: read with the amounts at this input size, "
              "true at this input size only");
  std::vector<std::pair<int64_t, int64_t>> pairs(sr, {0, 0});
  for (size_t k = 0; k < p.size() / 2; ++k) pairs[sr - 1 - k] = {*as_int(p[2 * k]), *as_int(p[2 * k + 1])};
  json::Object o = layer_object("zero_pad", layer_name("pad"));
  o.push_back({"padding", pairs_json(pairs)});
  return tensor_value(add_layer(std::move(o), {t.node}), t.rank);
}

Ref TorchFramework::interpolate(Args& a) {
  const Ref* x = a.get(0, "input");
  if (!is_tensor(x)) return in_.fail(a.pos, "F.interpolate needs a tensor");
  const Tensor t = (*x)->tensor;
  const size_t sr = t.rank > 2 ? t.rank - 2 : 0;
  const Ref* size = a.get(1, "size");
  const Ref* scale = a.get(2, "scale_factor");
  if (size && (*size)->kind != K::none) {
    std::vector<Ref> dims;
    if ((*size)->kind == K::tuple || (*size)->kind == K::list) dims = (*size)->items;
    else dims.assign(sr, *size);
    // size=skip.shape[2:]: resize to that tensor's size.
    std::optional<int32_t> ref;
    bool to_ref = dims.size() == sr;
    for (size_t k = 0; to_ref && k < sr; ++k) {
      const SymRef& s = dims[k]->sym;
      to_ref = s && s->kind == Sym::Kind::dim && s->axis == static_cast<int64_t>(k + 2) && (!ref || *ref == s->node);
      if (to_ref) ref = s->node;
    }
    if (to_ref && ref)
      return tensor_value(add_layer(layer_object("resize_to", layer_name("interpolate")), {t.node, *ref}), t.rank);
    return in_.stop(a.pos, "F.interpolate to a fixed size: ConvScope reads size=<tensor>.shape[2:] or a whole scale_factor");
  }
  if (!scale || (*scale)->kind == K::none) return in_.fail(a.pos, "F.interpolate needs size or scale_factor");
  std::vector<Ref> factors = ((*scale)->kind == K::tuple || (*scale)->kind == K::list) ? (*scale)->items
                                                                                        : std::vector<Ref>(sr, *scale);
  std::vector<int64_t> whole;
  for (const Ref& f : factors) {
    double v = f->kind == K::number ? f->d : as_int(f) ? static_cast<double>(*as_int(f)) : -1;
    if (!(v >= 1 && v < 1e6) || v != static_cast<double>(static_cast<int64_t>(v)))
      return in_.stop(a.pos, "F.interpolate with scale_factor " + describe(f) + ": only whole factors are modelled");
    whole.push_back(static_cast<int64_t>(v));
  }
  json::Object o = layer_object("upsample", layer_name("interpolate"));
  o.push_back({"scale", axes_json(whole)});
  return tensor_value(add_layer(std::move(o), {t.node}), t.rank);
}

Ref TorchFramework::merge(const char* type, const std::vector<Ref>& operands, Pos pos, const std::string& op) {
  std::vector<int32_t> nodes;
  size_t rank = 0;
  for (const Ref& o : operands) {
    nodes.push_back(o->tensor.node);
    rank = std::max(rank, o->tensor.rank);
  }
  (void)pos;
  return tensor_value(add_layer(layer_object(type, layer_name(op)), nodes), rank);
}

Ref TorchFramework::chunk(const Ref& x, Args& a, size_t first_arg) {
  const Ref* n = a.get(first_arg, "chunks");
  int64_t dim = 0;
  if (const Ref* d = a.get(first_arg + 1, "dim")) dim = as_int(*d).value_or(-99);
  if (!n || !as_int(*n) || *as_int(*n) < 1) return in_.fail(a.pos, "chunk() needs a positive number of chunks");
  if (dim != 1) return in_.stop(a.pos, "chunk along dim " + std::to_string(dim) + ": ConvScope reads channel chunks (dim=1)");
  std::vector<Ref> parts;
  for (int64_t k = 0; k < *as_int(*n); ++k) {
    json::Object o = layer_object("channel_split", layer_name("chunk"));
    o.push_back({"chunks", json::Value(*as_int(*n))});
    o.push_back({"index", json::Value(k)});
    parts.push_back(tensor_value(add_layer(std::move(o), {x->tensor.node}), x->tensor.rank));
  }
  return sequence(K::tuple, std::move(parts));
}

// ---------------------------------------------------------------- sizes

Ref TorchFramework::size_of(const Ref& x, std::optional<int64_t> axis, Pos pos) {
  const auto shape = shape_of(in_, x->tensor.node);
  if (!shape) {
    const json::Value* n = in_.draft.layers[static_cast<size_t>(x->tensor.node)].find("name");
    return in_.stop(pos, "the code reads the size of `" + (n ? n->as_string() : std::string("?")) +
                             "`, which has none: a layer before it fails");
  }
  auto dim = [&](size_t k) {
    auto s = std::make_shared<Sym>();
    s->kind = Sym::Kind::dim;
    s->node = x->tensor.node;
    s->axis = static_cast<int64_t>(k);
    return integer((*shape)[k], s);
  };
  if (axis) {
    int64_t k = *axis < 0 ? *axis + static_cast<int64_t>(shape->size()) : *axis;
    if (k < 0 || k >= static_cast<int64_t>(shape->size()))
      return in_.fail(pos, "Dimension out of range (expected to be in range of [-" + std::to_string(shape->size()) +
                               ", " + std::to_string(shape->size() - 1) + "], but got " + std::to_string(*axis) + ")");
    return dim(static_cast<size_t>(k));
  }
  std::vector<Ref> dims;
  for (size_t k = 0; k < shape->size(); ++k) dims.push_back(dim(k));
  return sequence(K::tuple, std::move(dims));
}

// ---------------------------------------------------------------- Tensor

Ref TorchFramework::tensor_attr(Interp& in, const Ref& x, const std::string& name, Pos pos) {
  auto method = [&](NativeFn f) { return native("Tensor." + name, std::move(f), x); };
  if (name == "shape") return size_of(x, std::nullopt, pos);
  if (name == "ndim") return integer(static_cast<int64_t>(x->tensor.rank));
  if (name == "__len__") return size_of(x, 0, pos);
  if (name == "size")
    return method([this](Interp& i, const Ref& self, Args& a) -> Ref {
      if (const Ref* d = a.get(0, "dim")) {
        if (!as_int(*d)) return i.fail(a.pos, "size(dim): dim must be an integer");
        return size_of(self, *as_int(*d), a.pos);
      }
      return size_of(self, std::nullopt, a.pos);
    });
  if (name == "dim")
    return method([](Interp&, const Ref& self, Args&) { return integer(static_cast<int64_t>(self->tensor.rank)); });
  if (name == "view" || name == "reshape")
    return method([this, name](Interp&, const Ref& self, Args& a) { return view(self, a, name); });
  if (name == "flatten")
    return method([this](Interp&, const Ref& self, Args& a) {
      Args b = a;
      if (b.positional.empty() && !b.keyword("start_dim")) b.positional.push_back(integer(0));
      return flatten(self, b, 0, "flatten_");
    });
  if (name == "chunk") return method([this](Interp&, const Ref& self, Args& a) { return chunk(self, a, 0); });
  if (name == "expand_as")
    return method([this](Interp& i, const Ref& self, Args& a) -> Ref {
      note_once("y.expand_as(x) (" + i.at(a.pos) + ") is read as broadcasting in the operation that uses it: "
                "the same shapes; where the sizes cannot broadcast PyTorch raises at expand_as with its own text");
      return self;
    });
  if (name == "contiguous" || name == "clone" || name == "detach" || name == "float" || name == "double" ||
      name == "half" || name == "to" || name == "cpu" || name == "cuda" || name == "type_as" || name == "requires_grad_")
    return method([](Interp&, const Ref& self, Args&) { return self; });
  std::string base = name;
  if (!base.empty() && base.back() == '_') base.pop_back();
  if (base == "relu" || names::activation_by_function(base))
    return method([this, base](Interp&, const Ref& self, Args& a) {
      Args b = a;
      b.positional.insert(b.positional.begin(), self);
      const names::Activation* act = names::activation_by_function(base);
      return activation(base == "relu" ? "" : act->function, b, base);
    });
  if (name == "add" || name == "mul" || name == "sub" || name == "add_" || name == "mul_")
    return method([base](Interp& i, const Ref& self, Args& a) -> Ref {
      if (a.positional.size() != 1) return i.fail(a.pos, "Tensor." + base + " takes one operand");
      return i.framework->tensor_binary(i, base == "add" ? Op::add : base == "sub" ? Op::sub : Op::mul, self,
                                        a.positional[0], a.pos);
    });
  return in.stop(pos, "`Tensor." + name + "` is not an operation ConvScope reads (it reads shapes through layers, "
                      "torch.cat, flatten/view, F.pad, F.interpolate and arithmetic between tensors)");
}

Ref TorchFramework::tensor_binary(Interp& in, Op op, const Ref& a, const Ref& b, Pos pos) {
  if (!b) return a;  // -x, +x, ~x: the same shape
  if (a->kind == K::unknown || b->kind == K::unknown)
    return in.stop(pos, "an operation between a tensor and " + (a->kind == K::unknown ? a->why : b->why));
  const bool ta = a->kind == K::tensor, tb = b->kind == K::tensor;
  if (ta && tb) {
    switch (op) {
      case Op::add: return merge("add", {a, b}, pos, "add");
      case Op::sub: return merge("subtract", {a, b}, pos, "sub");
      case Op::mul: return merge("multiply", {a, b}, pos, "mul");
      default:
        return in.stop(pos, std::string("`") + to_string(op) + "` between two tensors is not an operation ConvScope reads");
    }
  }
  const Ref& scalar = ta ? b : a;
  if (scalar->kind == K::integer || scalar->kind == K::number || scalar->kind == K::boolean)
    return ta ? a : b;  // a tensor and a number: the tensor's shape
  return in.fail(pos, std::string("`") + to_string(op) + "` between a tensor and " + describe(scalar));
}

}  // namespace convscope::import::py
