#include "convscope/import/python_eval.hpp"

#include <algorithm>
#include <cmath>

#include "convscope/analyze.hpp"
#include "convscope/import/python_parse.hpp"
#include "convscope/import/text.hpp"

namespace convscope::import::py {

// ---------------------------------------------------------------- values

const Ref* Args::keyword(const std::string& name) const {
  for (const auto& kv : keywords)
    if (kv.first == name) return &kv.second;
  return nullptr;
}

const Ref* Args::get(size_t i, const std::string& name) const {
  if (i < positional.size()) return &positional[i];
  return keyword(name);
}

Ref Value::attr(const std::string& name) const {
  for (const auto& kv : attrs)
    if (kv.first == name) return kv.second;
  return nullptr;
}

void Value::set_attr(const std::string& name, Ref v) {
  for (auto& kv : attrs)
    if (kv.first == name) {
      kv.second = std::move(v);
      return;
    }
  attrs.push_back({name, std::move(v)});
}

Ref make_value(Value::Kind kind) {
  auto v = std::make_shared<Value>();
  v->kind = kind;
  return v;
}

Ref tensor_value(int32_t node, size_t rank) {
  Ref t = make_value(Value::Kind::tensor);
  t->tensor = {node, rank};
  return t;
}

Ref none() { return make_value(Value::Kind::none); }
Ref boolean(bool b) {
  Ref v = make_value(Value::Kind::boolean);
  v->b = b;
  return v;
}
Ref integer(int64_t i, SymRef sym) {
  Ref v = make_value(Value::Kind::integer);
  v->i = i;
  v->sym = std::move(sym);
  return v;
}
Ref number(double d) {
  Ref v = make_value(Value::Kind::number);
  v->d = d;
  return v;
}
Ref string(std::string s) {
  Ref v = make_value(Value::Kind::string);
  v->s = std::move(s);
  return v;
}
Ref sequence(Value::Kind kind, std::vector<Ref> items) {
  Ref v = make_value(kind);
  v->items = std::move(items);
  return v;
}
Ref native(std::string name, NativeFn fn, Ref self) {
  Ref v = make_value(Value::Kind::native);
  v->s = std::move(name);
  v->call = std::move(fn);
  v->self = std::move(self);
  return v;
}
Ref unknown(std::string why) {
  Ref v = make_value(Value::Kind::unknown);
  v->why = std::move(why);
  return v;
}

std::optional<int64_t> as_int(const Ref& v) {
  if (!v) return std::nullopt;
  if (v->kind == Value::Kind::integer) return v->i;
  if (v->kind == Value::Kind::boolean) return v->b ? 1 : 0;
  return std::nullopt;
}

std::string describe(const Ref& v) {
  if (!v) return "nothing";
  switch (v->kind) {
    case Value::Kind::none: return "None";
    case Value::Kind::boolean: return v->b ? "True" : "False";
    case Value::Kind::integer: return std::to_string(v->i);
    case Value::Kind::number: {
      std::string s = std::to_string(v->d);
      while (s.size() > 1 && s.back() == '0' && s[s.size() - 2] != '.') s.pop_back();
      return s;
    }
    case Value::Kind::string: return "'" + v->s + "'";
    case Value::Kind::tuple:
    case Value::Kind::list: {
      std::string s = v->kind == Value::Kind::tuple ? "(" : "[";
      for (size_t k = 0; k < v->items.size() && k < 8; ++k) s += (k ? ", " : "") + describe(v->items[k]);
      if (v->items.size() > 8) s += ", ...";
      if (v->kind == Value::Kind::tuple && v->items.size() == 1) s += ",";
      return s + (v->kind == Value::Kind::tuple ? ")" : "]");
    }
    case Value::Kind::dict: return "a dict";
    case Value::Kind::function: return "function " + (v->fn ? v->fn->name : std::string());
    case Value::Kind::native: return v->s;
    case Value::Kind::class_: return "class " + (v->cls ? v->cls->name : std::string());
    case Value::Kind::instance: return "a " + (v->cls ? v->cls->name : std::string()) + " object";
    case Value::Kind::module: return "a " + v->s + " module";
    case Value::Kind::namespace_: return "module " + v->s;
    case Value::Kind::tensor: return "a tensor";
    case Value::Kind::unknown: return "a value ConvScope does not compute";
  }
  return "a value";
}

bool Class::derives_from(const std::string& native_base) const {
  for (const Ref& b : bases) {
    if (!b) continue;
    if (b->kind == Value::Kind::native && b->s == native_base) return true;
    if (b->kind == Value::Kind::class_ && b->cls && b->cls->derives_from(native_base)) return true;
  }
  return false;
}

Ref Class::lookup(const std::string& key) const {
  for (const auto& kv : attrs)
    if (kv.first == key) return kv.second;
  for (const Ref& b : bases)
    if (b && b->kind == Value::Kind::class_ && b->cls)
      if (Ref r = b->cls->lookup(key)) return r;
  return nullptr;
}

// ---------------------------------------------------------------- messages

Ref Interp::fail(Pos pos, std::string message) {
  if (!failed()) failure = {Failure::Kind::error, pos, std::move(message)};
  return nullptr;
}

Ref Interp::stop(Pos pos, std::string message) {
  if (!failed()) failure = {Failure::Kind::stop, pos, std::move(message)};
  return nullptr;
}

std::string Interp::line_text(int line) const {
  if (line < 1 || static_cast<size_t>(line) > module.lines.size()) return "line " + std::to_string(line);
  std::string code = module.lines[static_cast<size_t>(line) - 1];
  size_t b = 0;
  while (b < code.size() && (code[b] == ' ' || code[b] == '\t')) ++b;
  code = code.substr(b);
  while (!code.empty() && (code.back() == ' ' || code.back() == '\t' || code.back() == '\r')) code.pop_back();
  if (code.size() > 120) {
    size_t cut = 117;
    while (cut > 0 && (static_cast<unsigned char>(code[cut]) & 0xC0) == 0x80) --cut;
    code = code.substr(0, cut) + "...";
  }
  return "line " + std::to_string(line) + ": " + code;
}

std::string Interp::at(Pos pos) const {
  return "line " + std::to_string(pos.line) + ", column " + std::to_string(pos.column);
}

std::string Interp::code_of(const Expr& e) const {
  // The expression's first line from its column on, up to a balanced end.
  if (e.pos.line < 1 || static_cast<size_t>(e.pos.line) > module.lines.size()) return "?";
  const std::string& line = module.lines[static_cast<size_t>(e.pos.line) - 1];
  size_t b = 0;
  for (int col = 1; b < line.size() && col < e.pos.column; ++b)
    if ((static_cast<unsigned char>(line[b]) & 0xC0) != 0x80) ++col;
  // Skip to the next code point start.
  while (b < line.size() && (static_cast<unsigned char>(line[b]) & 0xC0) == 0x80) ++b;
  int nest = 0;
  size_t end = b;
  char quote = 0;
  for (; end < line.size(); ++end) {
    const char c = line[end];
    if (quote) {
      if (c == quote) quote = 0;
      continue;
    }
    if (c == '\'' || c == '"') quote = c;
    else if (c == '(' || c == '[' || c == '{') ++nest;
    else if (c == ')' || c == ']' || c == '}') {
      if (nest == 0) break;
      --nest;
      if (nest == 0 && e.kind == Expr::Kind::call) {
        ++end;
        break;
      }
    } else if (nest == 0 && (c == ',' || c == '#' || c == '=' || c == ':') && e.kind != Expr::Kind::call) break;
  }
  std::string s = line.substr(b, end - b);
  while (!s.empty() && s.back() == ' ') s.pop_back();
  if (s.size() > 80) s = s.substr(0, 77) + "...";
  return s.empty() ? "?" : s;
}

bool Interp::count_step(Pos pos) {
  if (++steps <= max_steps) return true;
  fail(pos, "the code runs more than " + std::to_string(max_steps) +
                " steps before the network is built (a loop that long is not model-building code); the reading stops");
  return false;
}

// ---------------------------------------------------------------- scopes

Ref Interp::lookup(const std::string& name, const std::shared_ptr<Scope>& scope, Pos pos) {
  for (const Scope* s = scope.get(); s; s = s->parent.get()) {
    if (s->is_class_body && s != scope.get()) continue;  // a method does not see its class body's names
    const auto it = s->vars.find(name);
    if (it != s->vars.end()) return it->second;
  }
  if (Ref b = builtin(name)) return b;
  return fail(pos, "name '" + name + "' is not defined");
}

bool Interp::truthy(const Ref& v, Pos pos, bool& out) {
  switch (v->kind) {
    case Value::Kind::none: out = false; return true;
    case Value::Kind::boolean: out = v->b; return true;
    case Value::Kind::integer: out = v->i != 0; return true;
    case Value::Kind::number: out = v->d != 0; return true;
    case Value::Kind::string: out = !v->s.empty(); return true;
    case Value::Kind::tuple:
    case Value::Kind::list:
    case Value::Kind::dict: out = !v->items.empty(); return true;
    case Value::Kind::tensor:
      fail(pos, "a condition on a tensor's values: ConvScope reads shapes, not values");
      return false;
    case Value::Kind::unknown:
      fail(pos, "the condition depends on " + v->why);
      return false;
    default: out = true; return true;
  }
}


// ---------------------------------------------------------------- arithmetic

namespace {

SymRef sym_of(const Ref& v) {
  if (v->sym) return v->sym;
  auto c = std::make_shared<Sym>();
  c->kind = Sym::Kind::constant;
  c->c = v->kind == Value::Kind::boolean ? (v->b ? 1 : 0) : v->i;
  return c;
}

SymRef sym_op(Sym::Kind k, SymRef a, SymRef b) {
  auto s = std::make_shared<Sym>();
  s->kind = k;
  s->a = std::move(a);
  s->b = std::move(b);
  return s;
}

int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

int64_t floor_mod(int64_t a, int64_t b) {
  int64_t r = a % b;
  if (r != 0 && ((r < 0) != (b < 0))) r += b;
  return r;
}

bool is_number(const Ref& v) {
  return v->kind == Value::Kind::integer || v->kind == Value::Kind::number || v->kind == Value::Kind::boolean;
}

double as_double(const Ref& v) {
  if (v->kind == Value::Kind::number) return v->d;
  return static_cast<double>(*as_int(v));
}

bool values_equal(const Ref& a, const Ref& b) {
  if (is_number(a) && is_number(b)) return as_double(a) == as_double(b);
  if (a->kind != b->kind) return false;
  switch (a->kind) {
    case Value::Kind::none: return true;
    case Value::Kind::string: return a->s == b->s;
    case Value::Kind::tuple:
    case Value::Kind::list:
      if (a->items.size() != b->items.size()) return false;
      for (size_t k = 0; k < a->items.size(); ++k)
        if (!values_equal(a->items[k], b->items[k])) return false;
      return true;
    default: return a.get() == b.get();
  }
}

}  // namespace

Ref Interp::binary(Op op, const Ref& a, const Ref& b, Pos pos) {
  using K = Value::Kind;
  if (a->kind == K::unknown) return a;
  if (b->kind == K::unknown) return b;
  if (a->kind == K::tensor || b->kind == K::tensor) return framework->tensor_binary(*this, op, a, b, pos);
  const bool ints = (a->kind == K::integer || a->kind == K::boolean) && (b->kind == K::integer || b->kind == K::boolean);
  if (ints) {
    const int64_t x = *as_int(a), y = *as_int(b);
    const bool symbolic = a->sym || b->sym;
    int64_t r = 0;
    auto overflow = [&]() { return fail(pos, "integer arithmetic overflows 64 bits"); };
    switch (op) {
      case Op::add:
        if (__builtin_add_overflow(x, y, &r)) return overflow();
        return integer(r, symbolic ? sym_op(Sym::Kind::add, sym_of(a), sym_of(b)) : nullptr);
      case Op::sub:
        if (__builtin_sub_overflow(x, y, &r)) return overflow();
        return integer(r, symbolic ? sym_op(Sym::Kind::sub, sym_of(a), sym_of(b)) : nullptr);
      case Op::mul:
        if (__builtin_mul_overflow(x, y, &r)) return overflow();
        return integer(r, symbolic ? sym_op(Sym::Kind::mul, sym_of(a), sym_of(b)) : nullptr);
      case Op::floordiv:
      case Op::mod:
        if (y == 0) return fail(pos, "integer division or modulo by zero");
        if (x == INT64_MIN && y == -1) return overflow();
        if (op == Op::mod) return integer(floor_mod(x, y));
        return integer(floor_div(x, y), symbolic ? sym_op(Sym::Kind::floordiv, sym_of(a), sym_of(b)) : nullptr);
      case Op::div:
        if (y == 0) return fail(pos, "division by zero");
        return number(static_cast<double>(x) / static_cast<double>(y));
      case Op::pow: {
        if (y < 0) return number(std::pow(static_cast<double>(x), static_cast<double>(y)));
        int64_t p = 1;
        for (int64_t k = 0; k < y; ++k)
          if (__builtin_mul_overflow(p, x, &p) || k > 64) return overflow();
        return integer(p);
      }
      case Op::lshift:
        if (y < 0 || y > 62) return fail(pos, "shift count out of range");
        return integer(x << y);
      case Op::rshift:
        if (y < 0) return fail(pos, "negative shift count");
        return integer(y > 63 ? (x < 0 ? -1 : 0) : x >> y);
      case Op::bit_or: return integer(x | y);
      case Op::bit_and: return integer(x & y);
      case Op::bit_xor: return integer(x ^ y);
      default: break;
    }
  }
  if (is_number(a) && is_number(b)) {
    const double x = as_double(a), y = as_double(b);
    switch (op) {
      case Op::add: return number(x + y);
      case Op::sub: return number(x - y);
      case Op::mul: return number(x * y);
      case Op::div:
        if (y == 0) return fail(pos, "division by zero");
        return number(x / y);
      case Op::floordiv:
        if (y == 0) return fail(pos, "division by zero");
        return number(std::floor(x / y));
      case Op::pow: return number(std::pow(x, y));
      default: break;
    }
  }
  if (op == Op::add && a->kind == b->kind &&
      (a->kind == K::list || a->kind == K::tuple || a->kind == K::string)) {
    if (a->kind == K::string) {
      if (a->s.size() + b->s.size() > 1'000'000) return fail(pos, "a string longer than 1,000,000 bytes");
      return string(a->s + b->s);
    }
    if (a->items.size() + b->items.size() > static_cast<size_t>(max_sequence))
      return fail(pos, "a list longer than " + std::to_string(max_sequence) + " items");
    std::vector<Ref> items = a->items;
    items.insert(items.end(), b->items.begin(), b->items.end());
    return sequence(a->kind, std::move(items));
  }
  if (op == Op::mul && ((a->kind == K::list || a->kind == K::tuple || a->kind == K::string) && as_int(b))) {
    const int64_t n = std::max<int64_t>(0, *as_int(b));
    const size_t len = a->kind == K::string ? a->s.size() : a->items.size();
    if (len != 0 && n > max_sequence / static_cast<int64_t>(len))
      return fail(pos, "a list longer than " + std::to_string(max_sequence) + " items");
    if (a->kind == K::string) {
      std::string s;
      for (int64_t k = 0; k < n; ++k) s += a->s;
      return string(s);
    }
    std::vector<Ref> items;
    for (int64_t k = 0; k < n; ++k) items.insert(items.end(), a->items.begin(), a->items.end());
    return sequence(a->kind, std::move(items));
  }
  if (op == Op::mul && as_int(a) && (b->kind == K::list || b->kind == K::tuple || b->kind == K::string))
    return binary(op, b, a, pos);
  return fail(pos, std::string("unsupported operand types for ") + to_string(op) + ": " + describe(a) + " and " +
                       describe(b));
}

Ref Interp::compare(Op op, const Ref& a, const Ref& b, Pos pos) {
  using K = Value::Kind;
  if (a->kind == K::unknown) return a;
  if (b->kind == K::unknown) return b;
  switch (op) {
    case Op::is: return boolean(a.get() == b.get() || (a->kind == K::none && b->kind == K::none) ||
                                (a->kind == K::boolean && b->kind == K::boolean && a->b == b->b));
    case Op::is_not: {
      Ref r = compare(Op::is, a, b, pos);
      return r ? boolean(!r->b) : nullptr;
    }
    case Op::eq: return boolean(values_equal(a, b));
    case Op::ne: return boolean(!values_equal(a, b));
    case Op::in:
    case Op::not_in: {
      bool found = false;
      if (b->kind == K::string && a->kind == K::string) found = b->s.find(a->s) != std::string::npos;
      else if (b->kind == K::list || b->kind == K::tuple) {
        for (const Ref& x : b->items) found = found || values_equal(a, x);
      } else if (b->kind == K::dict) {
        for (const Ref& x : b->keys) found = found || values_equal(a, x);
      } else {
        return fail(pos, "'in' on " + describe(b));
      }
      return boolean(op == Op::in ? found : !found);
    }
    default: break;
  }
  if (is_number(a) && is_number(b)) {
    const double x = as_double(a), y = as_double(b);
    switch (op) {
      case Op::lt: return boolean(x < y);
      case Op::le: return boolean(x <= y);
      case Op::gt: return boolean(x > y);
      case Op::ge: return boolean(x >= y);
      default: break;
    }
  }
  if (a->kind == K::string && b->kind == K::string) {
    switch (op) {
      case Op::lt: return boolean(a->s < b->s);
      case Op::le: return boolean(a->s <= b->s);
      case Op::gt: return boolean(a->s > b->s);
      case Op::ge: return boolean(a->s >= b->s);
      default: break;
    }
  }
  if (a->kind == K::tensor || b->kind == K::tensor)
    return fail(pos, "a comparison of tensors: ConvScope reads shapes, not values");
  return fail(pos, std::string("'") + to_string(op) + "' between " + describe(a) + " and " + describe(b));
}

// ---------------------------------------------------------------- iteration

bool Interp::iterate(const Ref& v, Pos pos, std::vector<Ref>& out) {
  using K = Value::Kind;
  switch (v->kind) {
    case K::tuple:
    case K::list: out = v->items; return true;
    case K::dict: out = v->keys; return true;
    case K::string:
      out.clear();
      for (char c : v->s) out.push_back(string(std::string(1, c)));
      return true;
    case K::module:
      if (!v->items.empty() || v->s == "Sequential" || v->s == "ModuleList" || v->s == "ModuleDict") {
        out = v->s == "ModuleDict" ? v->keys : v->items;
        return true;
      }
      break;
    case K::unknown: fail(pos, "the loop goes over " + v->why); return false;
    case K::tensor: fail(pos, "a loop over a tensor's values: ConvScope reads shapes, not values"); return false;
    default: break;
  }
  fail(pos, "cannot loop over " + describe(v));
  return false;
}

// ---------------------------------------------------------------- expressions

namespace {

// Python's index rules: negative from the end; out of range is an error.
bool index_of(int64_t i, size_t size, size_t& out) {
  const int64_t n = static_cast<int64_t>(size);
  if (i < 0) i += n;
  if (i < 0 || i >= n) return false;
  out = static_cast<size_t>(i);
  return true;
}

// start/stop/step of a slice over `size` items, Python's clamping.
void slice_range(std::optional<int64_t> lo, std::optional<int64_t> hi, int64_t step, size_t size,
                 std::vector<size_t>& out) {
  const int64_t n = static_cast<int64_t>(size);
  auto clamp = [&](std::optional<int64_t> v, int64_t dflt) {
    if (!v) return dflt;
    int64_t x = *v < 0 ? *v + n : *v;
    if (step > 0) return std::clamp<int64_t>(x, 0, n);
    return std::clamp<int64_t>(x, -1, n - 1);
  };
  const int64_t b = clamp(lo, step > 0 ? 0 : n - 1), e = clamp(hi, step > 0 ? n : -1);
  for (int64_t k = b; step > 0 ? k < e : k > e; k += step) out.push_back(static_cast<size_t>(k));
}

}  // namespace

Ref Interp::subscript(const Ref& obj, const Expr& index, const std::shared_ptr<Scope>& scope, Pos pos) {
  using K = Value::Kind;
  if (obj->kind == K::unknown) return obj;
  if (obj->kind == K::tensor) return stop(pos, "`" + code_of(index) + "` indexes a tensor's values; ConvScope reads "
                                               "whole tensors (torch.chunk / split are read where written as such)");
  if (index.kind == Expr::Kind::slice) {
    std::optional<int64_t> bound[3];
    for (int k = 0; k < 3; ++k) {
      if (index.kids[k].kind == Expr::Kind::absent) continue;
      Ref b = eval(index.kids[k], scope);
      if (!b) return nullptr;
      if (b->kind == K::none) continue;
      if (!as_int(b)) return fail(index.kids[k].pos, "slice indices must be integers, not " + describe(b));
      bound[k] = *as_int(b);
    }
    const int64_t step = bound[2].value_or(1);
    if (step == 0) return fail(index.pos, "slice step cannot be zero");
    const bool seq = obj->kind == K::list || obj->kind == K::tuple || (obj->kind == K::module && obj->s != "ModuleDict");
    if (obj->kind == K::string) {
      std::vector<size_t> at;
      slice_range(bound[0], bound[1], step, obj->s.size(), at);
      std::string s;
      for (size_t k : at) s += obj->s[k];
      return string(s);
    }
    if (!seq) return fail(pos, "cannot slice " + describe(obj));
    std::vector<size_t> at;
    slice_range(bound[0], bound[1], step, obj->items.size(), at);
    std::vector<Ref> items;
    for (size_t k : at) items.push_back(obj->items[k]);
    if (obj->kind == K::module) {  // a Sequential's slice is a Sequential of the same modules
      Ref m = std::make_shared<Value>(*obj);
      m->items = std::move(items);
      m->path_set = false;
      return m;
    }
    return sequence(obj->kind, std::move(items));
  }
  Ref key = eval(index, scope);
  if (!key) return nullptr;
  if (obj->kind == K::dict || (obj->kind == K::module && obj->s == "ModuleDict")) {
    for (size_t k = 0; k < obj->keys.size(); ++k)
      if (values_equal(obj->keys[k], key)) return obj->items[k];
    return fail(pos, "KeyError: " + describe(key));
  }
  if (obj->kind == K::list || obj->kind == K::tuple || obj->kind == K::module || obj->kind == K::string) {
    const auto i = as_int(key);
    if (!i) return fail(index.pos, "indices must be integers, not " + describe(key));
    const size_t size = obj->kind == K::string ? obj->s.size() : obj->items.size();
    size_t at = 0;
    if (!index_of(*i, size, at)) return fail(pos, "IndexError: index " + std::to_string(*i) + " is out of range");
    if (obj->kind == K::string) return string(std::string(1, obj->s[at]));
    return obj->items[at];
  }
  return fail(pos, describe(obj) + " is not subscriptable");
}

bool Interp::call_args(const Expr& call, const std::shared_ptr<Scope>& scope, Args& args) {
  args.pos = call.pos;
  args.call = &call;
  for (size_t k = 1; k < call.kids.size(); ++k) {
    const Expr& a = call.kids[k];
    if (a.kind == Expr::Kind::starred) {
      Ref v = eval(a.kids[0], scope);
      if (!v) return false;
      std::vector<Ref> items;
      if (!iterate(v, a.pos, items)) return false;
      args.positional.insert(args.positional.end(), items.begin(), items.end());
    } else if (a.kind == Expr::Kind::keyword) {
      Ref v = eval(a.kids[0], scope);
      if (!v) return false;
      if (!a.text.empty()) {
        args.keywords.push_back({a.text, v});
      } else if (v->kind == Value::Kind::dict) {
        for (size_t j = 0; j < v->keys.size(); ++j) {
          if (v->keys[j]->kind != Value::Kind::string) {
            fail(a.pos, "keywords must be strings");
            return false;
          }
          args.keywords.push_back({v->keys[j]->s, v->items[j]});
        }
      } else {
        fail(a.pos, "argument after ** must be a mapping, not " + describe(v));
        return false;
      }
    } else {
      Ref v = eval(a, scope);
      if (!v) return false;
      args.positional.push_back(v);
    }
  }
  return true;
}

Ref Interp::eval(const Expr& e, const std::shared_ptr<Scope>& scope) {
  using EK = Expr::Kind;
  using K = Value::Kind;
  if (failed() || !count_step(e.pos)) return nullptr;
  struct Depth {
    int& d;
    explicit Depth(int& x) : d(x) { ++d; }
    ~Depth() { --d; }
  } depth_guard(expr_depth);
  if (expr_depth > 200) return fail(e.pos, "expressions nested deeper than 200 levels");
  switch (e.kind) {
    case EK::absent: return none();
    case EK::name: return lookup(e.text, scope, e.pos);
    case EK::integer: return integer(e.integer);
    case EK::number: return number(e.number);
    case EK::string:
      if (e.fstring) return format_fstring(e, scope);
      return string(e.text);
    case EK::constant:
      if (e.text == "True") return boolean(true);
      if (e.text == "False") return boolean(false);
      if (e.text == "None") return none();
      return unknown("`...` (Ellipsis) at " + at(e.pos));
    case EK::attribute: {
      Ref obj = eval(e.kids[0], scope);
      if (!obj) return nullptr;
      return get_attr(obj, e.text, e.pos);
    }
    case EK::call: {
      if (e.kids[0].kind == EK::name && e.kids[0].text == "super" && !scope->vars.count("super")) return super_of(e, scope);
      Ref callee = eval(e.kids[0], scope);
      if (!callee) return nullptr;
      Args args;
      if (!call_args(e, scope, args)) return nullptr;
      call_sites.push_back(e.pos);
      Ref r = call(callee, args);
      call_sites.pop_back();
      return r;
    }
    case EK::subscript: {
      Ref obj = eval(e.kids[0], scope);
      if (!obj) return nullptr;
      return subscript(obj, e.kids[1], scope, e.pos);
    }
    case EK::binary: {
      Ref a = eval(e.kids[0], scope);
      if (!a) return nullptr;
      Ref b = eval(e.kids[1], scope);
      if (!b) return nullptr;
      if (e.ops[0] == Op::mod && a->kind == K::string) return percent_format(a, b, e.pos);
      call_sites.push_back(e.pos);  // a layer an operator makes points at the operator's line
      Ref r = binary(e.ops[0], a, b, e.pos);
      call_sites.pop_back();
      return r;
    }
    case EK::unary: {
      Ref a = eval(e.kids[0], scope);
      if (!a) return nullptr;
      if (a->kind == K::unknown) return a;
      switch (e.ops[0]) {
        case Op::not_: {
          bool t = false;
          if (!truthy(a, e.pos, t)) return nullptr;
          return boolean(!t);
        }
        case Op::neg:
          if (a->kind == K::number) return number(-a->d);
          if (as_int(a)) {
            if (*as_int(a) == INT64_MIN) return fail(e.pos, "integer arithmetic overflows 64 bits");
            return integer(-*as_int(a), a->sym ? sym_op(Sym::Kind::neg, a->sym, nullptr) : nullptr);
          }
          break;
        case Op::pos:
          if (is_number(a)) return a;
          break;
        case Op::invert:
          if (as_int(a)) return integer(~*as_int(a));
          break;
        default: break;
      }
      if (a->kind == K::tensor) return framework->tensor_binary(*this, e.ops[0], a, nullptr, e.pos);
      return fail(e.pos, std::string("bad operand type for unary ") + to_string(e.ops[0]) + ": " + describe(a));
    }
    case EK::boolean: {
      Ref v;
      for (const Expr& k : e.kids) {
        v = eval(k, scope);
        if (!v) return nullptr;
        if (v->kind == K::unknown) return v;
        bool t = false;
        if (!truthy(v, k.pos, t)) return nullptr;
        if (e.ops[0] == Op::and_ ? !t : t) return v;
      }
      return v;
    }
    case EK::compare: {
      Ref left = eval(e.kids[0], scope);
      if (!left) return nullptr;
      for (size_t k = 0; k < e.ops.size(); ++k) {
        Ref right = eval(e.kids[k + 1], scope);
        if (!right) return nullptr;
        Ref r = compare(e.ops[k], left, right, e.pos);
        if (!r || r->kind == K::unknown) return r;
        if (!r->b) return r;
        left = right;
      }
      return boolean(true);
    }
    case EK::conditional: {
      Ref test = eval(e.kids[1], scope);
      if (!test) return nullptr;
      bool t = false;
      if (!truthy(test, e.kids[1].pos, t)) return nullptr;
      return eval(e.kids[t ? 0 : 2], scope);
    }
    case EK::tuple:
    case EK::list:
    case EK::set: {
      std::vector<Ref> items;
      for (const Expr& k : e.kids) {
        if (k.kind == EK::starred) {
          Ref v = eval(k.kids[0], scope);
          if (!v) return nullptr;
          std::vector<Ref> more;
          if (!iterate(v, k.pos, more)) return nullptr;
          items.insert(items.end(), more.begin(), more.end());
          continue;
        }
        Ref v = eval(k, scope);
        if (!v) return nullptr;
        items.push_back(v);
      }
      return sequence(e.kind == EK::tuple ? K::tuple : K::list, std::move(items));
    }
    case EK::dict: {
      Ref d = sequence(K::dict, {});
      for (size_t k = 0; k + 1 < e.kids.size(); k += 2) {
        Ref v = eval(e.kids[k + 1], scope);
        if (!v) return nullptr;
        if (e.kids[k].kind == EK::absent) {
          if (v->kind != K::dict) return fail(e.kids[k + 1].pos, "'**' needs a dict, not " + describe(v));
          for (size_t j = 0; j < v->keys.size(); ++j) dict_set(d, v->keys[j], v->items[j]);
          continue;
        }
        Ref key = eval(e.kids[k], scope);
        if (!key) return nullptr;
        dict_set(d, key, v);
      }
      return d;
    }
    case EK::comprehension: return comprehension(e, scope);
    case EK::lambda: {
      auto fn = std::make_shared<Function>();
      fn->name = "<lambda>";
      fn->lambda_body = &e.kids[0];
      fn->closure = scope;
      fn->pos = e.pos;
      for (size_t k = 1; k < e.kids.size(); ++k) {
        const Expr& p = e.kids[k];
        Param param;
        param.pos = p.pos;
        if (p.kind == EK::name) param.name = p.text;
        else if (p.kind == EK::keyword) {
          param.name = p.text;
          param.default_value = p.kids[0];
        } else if (p.kind == EK::starred && !p.kids.empty()) {
          param.name = p.kids[0].text;
          param.kind = p.text == "**" ? Param::Kind::var_keyword : Param::Kind::var_positional;
        }
        fn->params.push_back(std::move(param));
      }
      Ref v = make_value(K::function);
      v->fn = fn;
      return v;
    }
    case EK::walrus: {
      Ref v = eval(e.kids[1], scope);
      if (!v || !assign(e.kids[0], v, scope)) return nullptr;
      return v;
    }
    case EK::keyword:
    case EK::starred:
    case EK::slice:
    case EK::comp_for: return fail(e.pos, "unexpected `" + code_of(e) + "` here");
    case EK::await_:
    case EK::yield: return fail(e.pos, "`" + code_of(e) + "`: await and yield are outside what ConvScope reads");
  }
  return fail(e.pos, "unexpected expression");
}

void Interp::dict_set(const Ref& d, const Ref& key, const Ref& value) {
  for (size_t k = 0; k < d->keys.size(); ++k)
    if (values_equal(d->keys[k], key)) {
      d->items[k] = value;
      return;
    }
  d->keys.push_back(key);
  d->items.push_back(value);
}

Ref Interp::comprehension(const Expr& e, const std::shared_ptr<Scope>& scope) {
  const bool is_dict = e.text == "dict";
  const size_t first_clause = is_dict ? 2 : 1;
  auto inner = new_scope();
  inner->parent = scope;
  Ref out = sequence(is_dict ? Value::Kind::dict : Value::Kind::list, {});
  // Clauses nest left to right: a recursive walk over them.
  std::function<bool(size_t)> run = [&](size_t clause) -> bool {
    if (clause == e.kids.size()) {
      if (is_dict) {
        Ref k = eval(e.kids[0], inner);
        Ref v = k ? eval(e.kids[1], inner) : nullptr;
        if (!v) return false;
        dict_set(out, k, v);
        return true;
      }
      Ref v = eval(e.kids[0], inner);
      if (!v) return false;
      if (out->items.size() >= static_cast<size_t>(max_sequence)) {
        fail(e.pos, "a list longer than " + std::to_string(max_sequence) + " items");
        return false;
      }
      out->items.push_back(v);
      return true;
    }
    const Expr& c = e.kids[clause];
    Ref iterable = eval(c.kids[1], clause == first_clause ? scope : inner);
    if (!iterable) return false;
    std::vector<Ref> items;
    if (!iterate(iterable, c.kids[1].pos, items)) return false;
    for (const Ref& item : items) {
      if (!assign(c.kids[0], item, inner)) return false;
      bool keep = true;
      for (size_t k = 2; k < c.kids.size() && keep; ++k) {
        Ref t = eval(c.kids[k], inner);
        if (!t || !truthy(t, c.kids[k].pos, keep)) return false;
      }
      if (keep && !run(clause + 1)) return false;
    }
    return true;
  };
  if (!run(first_clause)) return nullptr;
  if (e.text == "set" || e.text == "generator") out->kind = Value::Kind::list;
  return out;
}

// ---------------------------------------------------------------- calls

Ref Interp::call(const Ref& callee, Args& args) {
  using K = Value::Kind;
  const Pos pos = args.pos;
  if (depth >= max_call_depth)
    return fail(pos, "calls nested deeper than " + std::to_string(max_call_depth) + " (recursion is not read)");
  struct Depth {
    int& d;
    explicit Depth(int& x) : d(x) { ++d; }
    ~Depth() { --d; }
  } guard(depth);
  switch (callee->kind) {
    case K::native:
      // super() and framework bases (nn.Module) are natives without a body.
      if (!callee->call) return fail(pos, "`" + callee->s + "` is not callable here");
      return callee->call(*this, callee->self, args);
    case K::function: return call_function(callee, args);
    case K::class_: return instantiate(callee, args);
    case K::instance: {
      // At the top level a model is built, not run (`out = net(x)` on data);
      // a layer called on a symbolic tensor there is Keras's functional API.
      const bool on_tensor = std::any_of(args.positional.begin(), args.positional.end(), [](const Ref& a) {
        return a->kind == K::tensor ||
               ((a->kind == K::list || a->kind == K::tuple) && !a->items.empty() && a->items[0]->kind == K::tensor);
      });
      if (reading_top_level && !on_tensor) return unknown("the output of running the model (" + at(pos) + ")");
      // A user's module called: its forward() (nn.Module.__call__), __call__,
      // or call() (a Keras Layer's or Model's).
      Ref fn = callee->cls ? callee->cls->lookup("forward") : nullptr;
      if (!fn) fn = callee->cls ? callee->cls->lookup("__call__") : nullptr;
      if (!fn) fn = callee->cls ? callee->cls->lookup("call") : nullptr;
      if (!fn || fn->kind != K::function)
        return fail(pos, describe(callee) + " is called but its class defines no forward()");
      Ref bound = std::make_shared<Value>(*fn);
      bound->self = callee;
      return call_function(bound, args);
    }
    case K::module: return framework->call_module(*this, callee, args);
    case K::unknown: {
      for (const Ref& a : args.positional)
        if (a->kind == K::tensor)
          return stop(pos, "`" + (args.call ? code_of(*args.call) : std::string("?")) + "` is not a call ConvScope reads (" +
                               callee->why + ")");
      return callee;
    }
    default: break;
  }
  return fail(pos, describe(callee) + " is not callable");
}

Ref Interp::call_function(const Ref& callee, Args& args) {
  const Function& fn = *callee->fn;
  // Python's name for messages: `DoubleConv.__init__`, `conv3x3`.
  const std::string name = fn.owner ? fn.owner->name + "." + fn.name : fn.name;
  auto scope = new_scope();
  scope->parent = fn.closure;
  std::vector<Ref> positional = args.positional;
  if (callee->self) positional.insert(positional.begin(), callee->self);
  std::vector<bool> used(args.keywords.size(), false);
  size_t next = 0;
  Ref var_kw;
  for (const Param& p : fn.params) {
    switch (p.kind) {
      case Param::Kind::positional_only_marker: continue;
      case Param::Kind::var_positional: {
        std::vector<Ref> rest(positional.begin() + static_cast<std::ptrdiff_t>(std::min(next, positional.size())),
                              positional.end());
        next = positional.size();
        scope->vars[p.name] = sequence(Value::Kind::tuple, std::move(rest));
        continue;
      }
      case Param::Kind::var_keyword:
        var_kw = sequence(Value::Kind::dict, {});
        scope->vars[p.name] = var_kw;
        continue;
      default: break;
    }
    Ref v;
    if (p.kind == Param::Kind::normal && next < positional.size()) v = positional[next++];
    for (size_t k = 0; k < args.keywords.size(); ++k)
      if (args.keywords[k].first == p.name) {
        if (v) return fail(args.pos, name + "() got multiple values for argument '" + p.name + "'");
        v = args.keywords[k].second;
        used[k] = true;
      }
    if (!v && p.default_value.kind != Expr::Kind::absent) {
      v = eval(p.default_value, fn.closure);  // defaults: evaluated where the def is (close enough: no mutation)
      if (!v) return nullptr;
    }
    if (!v) return fail(args.pos, name + "() missing required argument '" + p.name + "'");
    scope->vars[p.name] = v;
  }
  if (next < positional.size())
    return fail(args.pos, name + "() takes " + std::to_string(next) + " positional arguments but " +
                              std::to_string(positional.size()) + " were given");
  for (size_t k = 0; k < args.keywords.size(); ++k) {
    if (used[k]) continue;
    if (!var_kw) return fail(args.pos, name + "() got an unexpected keyword argument '" + args.keywords[k].first + "'");
    dict_set(var_kw, string(args.keywords[k].first), args.keywords[k].second);
  }
  if (fn.owner && callee->self) {  // for super() inside a method
    Ref owner = make_value(Value::Kind::class_);
    owner->cls = fn.owner;
    scope->vars["__class__"] = owner;
    scope->vars["__self__"] = callee->self;
  }
  if (fn.lambda_body) return eval(*fn.lambda_body, scope);
  Ref result;
  const Flow flow = exec(*fn.body, scope, result);
  if (flow == Flow::failed) return nullptr;
  return flow == Flow::return_ && result ? result : none();
}

Ref Interp::instantiate(const Ref& cls, Args& args) {
  Ref obj = make_value(Value::Kind::instance);
  obj->cls = cls->cls;
  obj->made_at = args.pos;
  Ref init = cls->cls->lookup("__init__");
  if (init && init->kind == Value::Kind::function) {
    Ref bound = std::make_shared<Value>(*init);
    bound->self = obj;
    if (!call_function(bound, args)) return nullptr;
  } else if (!args.positional.empty() || !args.keywords.empty()) {
    // A framework base's __init__ (nn.Module takes none).
    if (!cls->cls->derives_from("keras.Model") && !cls->cls->derives_from("keras.layers.Layer"))
      return fail(args.pos, cls->cls->name + "() takes no arguments");
  }
  return obj;
}

Ref Interp::super_of(const Expr& call, const std::shared_ptr<Scope>& scope) {
  // super() / super(Cls, self): the class after the method's class, bound to self.
  Ref owner, self;
  if (call.kids.size() >= 3) {
    owner = eval(call.kids[1], scope);
    self = owner ? eval(call.kids[2], scope) : nullptr;
    if (!self) return nullptr;
  } else {
    for (const Scope* s = scope.get(); s && !owner; s = s->parent.get()) {
      auto it = s->vars.find("__class__");
      if (it != s->vars.end()) {
        owner = it->second;
        self = s->vars.at("__self__");
      }
    }
  }
  if (!owner || owner->kind != Value::Kind::class_ || !self)
    return fail(call.pos, "super() outside a method ConvScope can place");
  Ref proxy = native("super", nullptr, self);
  proxy->cls = owner->cls;
  proxy->s = "super";
  return proxy;
}

// ---------------------------------------------------------------- attributes

Ref Interp::get_attr(const Ref& obj, const std::string& name, Pos pos) {
  using K = Value::Kind;
  switch (obj->kind) {
    case K::unknown: return obj;
    case K::instance: {
      if (Ref v = obj->attr(name)) return v;
      if (Ref v = obj->cls ? obj->cls->lookup(name) : nullptr) {
        if (v->kind == K::function && v->s == "property") {
          Ref bound = std::make_shared<Value>(*v);
          bound->self = obj;
          Args none_args;
          none_args.pos = pos;
          return call_function(bound, none_args);
        }
        if (v->kind == K::function && v->s != "staticmethod") {
          Ref bound = std::make_shared<Value>(*v);
          bound->self = obj;
          return bound;
        }
        return v;
      }
      if (Ref v = framework->module_attr(*this, obj, name, pos)) return v;
      if (failed()) return nullptr;
      return fail(pos, "'" + (obj->cls ? obj->cls->name : std::string("object")) + "' object has no attribute '" + name + "'");
    }
    case K::class_: {
      if (Ref v = obj->cls->lookup(name)) return v;
      return fail(pos, "type object '" + obj->cls->name + "' has no attribute '" + name + "'");
    }
    case K::native:
      if (obj->s == "super") {
        // Look the name up in the bases of the method's class.
        for (const Ref& b : obj->cls->bases) {
          if (b->kind == K::class_) {
            if (Ref v = b->cls->lookup(name)) {
              if (v->kind != K::function) return v;
              Ref bound = std::make_shared<Value>(*v);
              bound->self = obj->self;
              return bound;
            }
          }
        }
        if (name == "__init__")  // a framework base's constructor: nothing a shape depends on
          return native("__init__", [](Interp&, const Ref&, Args&) { return none(); });
        if (Ref v = framework->module_attr(*this, obj->self, name, pos)) return v;
        return fail(pos, "super() has no attribute '" + name + "'");
      }
      if (Ref v = obj->attr(name)) return v;
      return fail(pos, "'" + obj->s + "' has no attribute '" + name + "'");
    case K::namespace_:
      if (Ref v = obj->attr(name)) return v;
      if (Ref v = framework->namespace_attr(*this, obj, name, pos)) return v;
      if (failed()) return nullptr;
      return unknown("`" + obj->s + "." + name + "` (" + at(pos) + "), which ConvScope does not know");
    case K::module:
      if (Ref v = obj->attr(name)) return v;
      if (Ref v = framework->module_attr(*this, obj, name, pos)) return v;
      if (failed()) return nullptr;
      return fail(pos, "'" + obj->s + "' object has no attribute '" + name + "'");
    case K::tensor: return framework->tensor_attr(*this, obj, name, pos);
    default: return method_of(obj, name, pos);
  }
}

// ---------------------------------------------------------------- statements

bool Interp::assign(const Expr& target, const Ref& value, const std::shared_ptr<Scope>& scope) {
  using EK = Expr::Kind;
  switch (target.kind) {
    case EK::name: scope->vars[target.text] = value; return true;
    case EK::attribute: {
      Ref obj = eval(target.kids[0], scope);
      if (!obj) return false;
      if (obj->kind == Value::Kind::instance || obj->kind == Value::Kind::module || obj->kind == Value::Kind::class_) {
        if (obj->kind == Value::Kind::class_) obj->cls->attrs.push_back({target.text, value});
        else obj->set_attr(target.text, value);
        return true;
      }
      if (obj->kind == Value::Kind::unknown) return true;
      fail(target.pos, "cannot set attribute '" + target.text + "' on " + describe(obj));
      return false;
    }
    case EK::subscript: {
      Ref obj = eval(target.kids[0], scope);
      if (!obj) return false;
      Ref key = eval(target.kids[1], scope);
      if (!key) return false;
      if (obj->kind == Value::Kind::dict) {
        dict_set(obj, key, value);
        return true;
      }
      if (obj->kind == Value::Kind::list || (obj->kind == Value::Kind::module && obj->s != "ModuleDict")) {
        size_t at = 0;
        if (!as_int(key) || !index_of(*as_int(key), obj->items.size(), at)) {
          fail(target.pos, "IndexError: assignment index out of range");
          return false;
        }
        obj->items[at] = value;
        return true;
      }
      if (obj->kind == Value::Kind::module && obj->s == "ModuleDict") {
        dict_set(obj, key, value);
        return true;
      }
      fail(target.pos, describe(obj) + " does not support item assignment");
      return false;
    }
    case EK::tuple:
    case EK::list: {
      std::vector<Ref> items;
      if (value->kind == Value::Kind::unknown) {
        for (const Expr& t : target.kids)
          if (!assign(t.kind == EK::starred ? t.kids[0] : t, value, scope)) return false;
        return true;
      }
      if (!iterate(value, target.pos, items)) return false;
      size_t star = target.kids.size();
      for (size_t k = 0; k < target.kids.size(); ++k)
        if (target.kids[k].kind == EK::starred) star = k;
      if (star == target.kids.size()) {
        if (items.size() != target.kids.size()) {
          fail(target.pos, items.size() < target.kids.size()
                               ? "not enough values to unpack (expected " + std::to_string(target.kids.size()) + ", got " +
                                     std::to_string(items.size()) + ")"
                               : "too many values to unpack (expected " + std::to_string(target.kids.size()) + ")");
          return false;
        }
        for (size_t k = 0; k < items.size(); ++k)
          if (!assign(target.kids[k], items[k], scope)) return false;
        return true;
      }
      const size_t after = target.kids.size() - star - 1;
      if (items.size() < star + after) {
        fail(target.pos, "not enough values to unpack");
        return false;
      }
      for (size_t k = 0; k < star; ++k)
        if (!assign(target.kids[k], items[k], scope)) return false;
      std::vector<Ref> middle(items.begin() + static_cast<std::ptrdiff_t>(star),
                              items.end() - static_cast<std::ptrdiff_t>(after));
      if (!assign(target.kids[star].kids[0], sequence(Value::Kind::list, std::move(middle)), scope)) return false;
      for (size_t k = 0; k < after; ++k)
        if (!assign(target.kids[star + 1 + k], items[items.size() - after + k], scope)) return false;
      return true;
    }
    case EK::starred: fail(target.pos, "starred assignment target must be in a list or tuple"); return false;
    default: fail(target.pos, "cannot assign to `" + code_of(target) + "`"); return false;
  }
}

Interp::Flow Interp::exec(const std::vector<Stmt>& body, const std::shared_ptr<Scope>& scope, Ref& result) {
  for (const Stmt& st : body) {
    const Flow f = exec_one(st, scope, result);
    if (f != Flow::normal) return f;
  }
  return Flow::normal;
}

Interp::Flow Interp::exec_one(const Stmt& st, const std::shared_ptr<Scope>& scope, Ref& result) {
  using SK = Stmt::Kind;
  {
    if (failed() || !count_step(st.pos)) return Flow::failed;
    switch (st.kind) {
      case SK::expr:
        if (!eval(st.value, scope)) return Flow::failed;
        break;
      case SK::assign: {
        Ref v = eval(st.value, scope);
        if (!v) return Flow::failed;
        for (const Expr& t : st.targets)
          if (!assign(t, v, scope)) return Flow::failed;
        break;
      }
      case SK::aug_assign: {
        const Expr& t = st.targets[0];
        Ref old = eval(t, scope);
        if (!old) return Flow::failed;
        Ref rhs = eval(st.value, scope);
        if (!rhs) return Flow::failed;
        Ref v;
        if (st.op == Op::add && old->kind == Value::Kind::list) {  // list += iterable extends in place
          std::vector<Ref> more;
          if (!iterate(rhs, st.value.pos, more)) return Flow::failed;
          old->items.insert(old->items.end(), more.begin(), more.end());
          v = old;
        } else {
          call_sites.push_back(st.pos);
          v = binary(st.op, old, rhs, st.pos);
          call_sites.pop_back();
        }
        if (!v || !assign(t, v, scope)) return Flow::failed;
        break;
      }
      case SK::ann_assign:
        if (st.value.kind != Expr::Kind::absent) {
          Ref v = eval(st.value, scope);
          if (!v || !assign(st.targets[0], v, scope)) return Flow::failed;
        }
        break;
      case SK::return_:
        result = eval(st.value, scope);
        if (!result) return Flow::failed;
        return Flow::return_;
      case SK::pass: break;
      case SK::break_: return Flow::break_;
      case SK::continue_: return Flow::continue_;
      case SK::if_: {
        Ref test = eval(st.value, scope);
        if (!test) return Flow::failed;
        bool t = false;
        if (!truthy(test, st.value.pos, t)) return Flow::failed;
        const Flow f = exec(t ? st.body : st.orelse, scope, result);
        if (f != Flow::normal) return f;
        break;
      }
      case SK::for_: {
        Ref iterable = eval(st.value, scope);
        if (!iterable) return Flow::failed;
        std::vector<Ref> items;
        if (!iterate(iterable, st.value.pos, items)) return Flow::failed;
        bool broke = false;
        for (const Ref& item : items) {
          if (!assign(st.targets[0], item, scope)) return Flow::failed;
          const Flow f = exec(st.body, scope, result);
          if (f == Flow::break_) {
            broke = true;
            break;
          }
          if (f == Flow::return_ || f == Flow::failed) return f;
        }
        if (!broke) {
          const Flow f = exec(st.orelse, scope, result);
          if (f != Flow::normal) return f;
        }
        break;
      }
      case SK::while_: {
        for (;;) {
          Ref test = eval(st.value, scope);
          if (!test) return Flow::failed;
          bool t = false;
          if (!truthy(test, st.value.pos, t)) return Flow::failed;
          if (!t) {
            const Flow f = exec(st.orelse, scope, result);
            if (f != Flow::normal) return f;
            break;
          }
          const Flow f = exec(st.body, scope, result);
          if (f == Flow::break_) break;
          if (f == Flow::return_ || f == Flow::failed) return f;
        }
        break;
      }
      case SK::def: {
        auto fn = std::make_shared<Function>();
        fn->name = st.name;
        fn->params = st.params;
        fn->body = &st.body;
        fn->closure = scope->is_class_body ? scope->parent : scope;
        fn->pos = st.pos;
        fn->owner = current_class;
        Ref v = make_value(Value::Kind::function);
        v->fn = fn;
        // Decorators are read by name: @property and @staticmethod change how
        // the function is reached; others (@torch.no_grad(), ...) leave it as is.
        const std::string first = st.decorators.empty() ? std::string() : code_of(st.decorators.front());
        if (first == "property") v->s = "property";
        if (first == "staticmethod") fn->owner = nullptr, v->s = "staticmethod";
        scope->vars[st.name] = v;
        break;
      }
      case SK::class_: {
        auto cls = std::make_shared<Class>();
        cls->name = st.name;
        cls->pos = st.pos;
        for (const Expr& b : st.bases) {
          if (b.kind == Expr::Kind::keyword) continue;  // metaclass=...
          Ref base = eval(b, scope);
          if (!base) return Flow::failed;
          cls->bases.push_back(base);
        }
        auto body_scope = new_scope();
        body_scope->parent = scope;
        body_scope->is_class_body = true;
        auto saved = current_class;
        current_class = cls;
        Ref ignored;
        const Flow f = exec(st.body, body_scope, ignored);
        current_class = saved;
        if (f == Flow::failed) return f;
        // Class attributes in definition order (the map is sorted; the order
        // only matters for messages).
        for (const auto& kv : body_scope->vars) cls->attrs.push_back(kv);
        Ref v = make_value(Value::Kind::class_);
        v->cls = cls;
        scope->vars[st.name] = v;
        classes.push_back(v);
        break;
      }
      case SK::import:
        for (const auto& [dotted, alias] : st.names) {
          if (!alias.empty()) {
            scope->vars[alias] = import_module(dotted, st.pos);
          } else {
            const std::string top = dotted.substr(0, dotted.find('.'));
            scope->vars[top] = import_module(top, st.pos);
          }
        }
        break;
      case SK::from_import: {
        if (!st.names.empty() && st.names[0].first == "*") {
          Ref m = import_module(st.module, st.pos);
          if (m->kind == Value::Kind::namespace_)
            for (const auto& kv : m->attrs) scope->vars[kv.first] = kv.second;
          break;
        }
        for (const auto& [name, alias] : st.names) {
          Ref sub = import_module(st.module + "." + name, st.pos);
          if (sub->kind == Value::Kind::unknown) {  // a name in a module: `from torch.nn import Conv2d`
            Ref m = import_module(st.module, st.pos);
            if (m->kind == Value::Kind::namespace_) {
              Ref v = get_attr(m, name, st.pos);
              if (!v) return Flow::failed;
              sub = v;
            }
          }
          scope->vars[alias.empty() ? name : alias] = sub;
        }
        break;
      }
      case SK::global:
      case SK::nonlocal: return fail(st.pos, "global and nonlocal are outside what ConvScope reads"), Flow::failed;
      case SK::del:
        for (const Expr& t : st.targets)
          if (t.kind == Expr::Kind::name) scope->vars.erase(t.text);
        break;
      case SK::assert_: {
        Ref test = eval(st.value, scope);
        if (!test) return Flow::failed;
        if (test->kind == Value::Kind::unknown) break;
        bool t = false;
        if (!truthy(test, st.value.pos, t)) return Flow::failed;
        if (!t) {
          std::string message = "AssertionError";
          if (st.annotation.kind != Expr::Kind::absent)
            if (Ref m = eval(st.annotation, scope); m && m->kind == Value::Kind::string) message += ": " + m->s;
          fail(st.pos, "the code's own assert fails: " + message);
          return Flow::failed;
        }
        break;
      }
      case SK::raise: {
        std::string what = st.value.kind == Expr::Kind::absent ? "raise" : code_of(st.value);
        fail(st.pos, "the code raises `" + what + "` here");
        return Flow::failed;
      }
      case SK::try_: {
        // The body is read; handlers are not (an exception is not something
        // the reading can see), which the notes say.
        skipped.push_back(line_text(st.pos.line) + " — the try body is read, its except handlers are not");
        const Flow f = exec(st.body, scope, result);
        if (f != Flow::normal) return f;
        const Flow g = exec(st.orelse, scope, result);
        if (g != Flow::normal) return g;
        const Flow h = exec(st.finally_body, scope, result);
        if (h != Flow::normal) return h;
        break;
      }
      case SK::with: {
        for (size_t k = 0; k < st.targets.size(); ++k) {
          Ref ctx = eval(st.targets[k], scope);
          if (!ctx) return Flow::failed;
          if (k < st.with_names.size() && st.with_names[k].kind != Expr::Kind::absent)
            if (!assign(st.with_names[k], ctx, scope)) return Flow::failed;
        }
        const Flow f = exec(st.body, scope, result);
        if (f != Flow::normal) return f;
        break;
      }
      case SK::except:
      case SK::async_marker: break;
    }
  }
  return Flow::normal;
}

Ref Interp::import_module(const std::string& dotted, Pos pos) {
  if (Ref m = framework->import_module(*this, dotted)) return m;
  if (Ref m = standard_module(dotted)) return m;
  return unknown("module `" + dotted + "` (imported at " + at(pos) + "), which ConvScope does not read");
}

// ---------------------------------------------------------------- top level

namespace {

bool is_main_guard(const Stmt& st) {
  // if __name__ == "__main__":
  if (st.kind != Stmt::Kind::if_ || st.value.kind != Expr::Kind::compare || st.value.kids.size() != 2) return false;
  const Expr& l = st.value.kids[0];
  const Expr& r = st.value.kids[1];
  return l.kind == Expr::Kind::name && l.text == "__name__" && r.kind == Expr::Kind::string && r.text == "__main__";
}

}  // namespace

bool Interp::run_top_level() {
  reading_top_level = true;
  std::function<bool(const std::vector<Stmt>&)> run = [&](const std::vector<Stmt>& body) -> bool {
    for (const Stmt& st : body) {
      if (is_main_guard(st) || (st.kind == Stmt::Kind::with)) {
        if (!run(st.body)) return false;
        continue;
      }
      const bool definition = st.kind == Stmt::Kind::def || st.kind == Stmt::Kind::class_ ||
                              st.kind == Stmt::Kind::import || st.kind == Stmt::Kind::from_import;
      Ref ignored;
      const size_t layers_before = draft.layers.size();
      const Flow f = exec_one(st, globals, ignored);
      if (f != Flow::failed) {
        // `net = Net()`, `model = resnet18(num_classes=10)`: a model the code
        // makes, a candidate for the one to read.
        if (st.kind == Stmt::Kind::assign || st.kind == Stmt::Kind::ann_assign)
          for (const Expr& t : st.targets)
            if (t.kind == Expr::Kind::name) {
              const Ref& v = globals->vars[t.text];
              if (v && v->kind == Value::Kind::instance && framework->is_module(v))
                top_level_instances.push_back({v, st.pos});
            }
        continue;
      }
      if (definition || steps > max_steps) return false;  // a definition that cannot be read is an error
      if (framework->top_level_failure_ends(*this, st, layers_before)) return false;
      // Anything else at the top level (training loops, data loading,
      // printing) does not build the model: skipped, and said.
      failure = Failure{};
      skipped_lines.push_back(st.pos.line);
      for (const Expr& t : st.targets)
        if (t.kind == Expr::Kind::name) globals->vars[t.text] = unknown("`" + t.text + "`, set at " + line_text(st.pos.line) + " (not read)");
    }
    return true;
  };
  const bool ok = run(module.body);
  reading_top_level = false;
  return ok;
}

// ---------------------------------------------------------------- lifetime

std::shared_ptr<Scope> Interp::new_scope() {
  auto s = std::make_shared<Scope>();
  scopes.push_back(s);
  return s;
}

Interp::~Interp() {
  // Scopes hold functions whose closures hold the scopes, instances hold
  // their bound methods' classes, a list can hold itself: shared_ptr cycles
  // the evaluation makes. Every value is reachable from some scope, so
  // emptying what is reachable from them frees it all.
  std::vector<Ref> todo;
  auto drain_scope = [&todo](const std::shared_ptr<Scope>& scope) {
    if (!scope) return;
    for (auto& kv : scope->vars) todo.push_back(std::move(kv.second));
    scope->vars.clear();
    scope->parent.reset();
  };
  drain_scope(globals);
  for (const auto& weak : scopes) drain_scope(weak.lock());
  for (Made& m : top_level_instances) todo.push_back(std::move(m.instance));
  for (Ref& c : classes) todo.push_back(std::move(c));
  while (!todo.empty()) {
    Ref v = std::move(todo.back());
    todo.pop_back();
    if (!v) continue;
    for (Ref& x : v->items) todo.push_back(std::move(x));
    for (Ref& x : v->keys) todo.push_back(std::move(x));
    for (auto& kv : v->attrs) todo.push_back(std::move(kv.second));
    for (Ref& x : v->ctor.positional) todo.push_back(std::move(x));
    for (auto& kv : v->ctor.keywords) todo.push_back(std::move(kv.second));
    todo.push_back(std::move(v->self));
    v->items.clear();
    v->keys.clear();
    v->attrs.clear();
    v->ctor = Args{};
    v->call = nullptr;
    if (v->fn) {
      drain_scope(v->fn->closure);
      v->fn->closure.reset();
      v->fn->owner.reset();
      v->fn.reset();
    }
    if (v->cls) {
      for (auto& kv : v->cls->attrs) todo.push_back(std::move(kv.second));
      for (Ref& b : v->cls->bases) todo.push_back(std::move(b));
      v->cls->attrs.clear();
      v->cls->bases.clear();
      v->cls.reset();
    }
  }
}

}  // namespace convscope::import::py
