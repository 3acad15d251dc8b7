// Python's builtins and the methods of its containers, as far as model code
// uses them to build layers: range, len, enumerate, zip, isinstance, int, ...;
// list.append, dict.items, str.format; math and collections.OrderedDict.
#include <algorithm>
#include <cmath>

#include "convscope/analyze.hpp"
#include "convscope/import/python_eval.hpp"
#include "convscope/import/python_parse.hpp"

namespace convscope::import::py {

namespace {

bool want_int(Interp& in, const Ref& v, Pos pos, const char* what, int64_t& out) {
  if (const auto i = as_int(v)) {
    out = *i;
    return true;
  }
  if (v->kind == Value::Kind::unknown) in.fail(pos, std::string(what) + " depends on " + v->why);
  else in.fail(pos, std::string(what) + ": expected an integer, got " + describe(v));
  return false;
}

Ref range_of(Interp& in, const Ref&, Args& a) {
  int64_t v[3] = {0, 0, 1};
  const size_t n = a.positional.size();
  if (n < 1 || n > 3 || !a.keywords.empty()) return in.fail(a.pos, "range() takes 1 to 3 integer arguments");
  for (size_t k = 0; k < n; ++k)
    if (!want_int(in, a.positional[k], a.pos, "range()", v[n == 1 ? 1 : k])) return nullptr;
  if (v[2] == 0) return in.fail(a.pos, "range() arg 3 must not be zero");
  std::vector<Ref> items;
  for (int64_t x = v[0]; v[2] > 0 ? x < v[1] : x > v[1]; x += v[2]) {
    if (static_cast<int64_t>(items.size()) >= max_sequence)
      return in.fail(a.pos, "range() of more than " + std::to_string(max_sequence) + " items");
    items.push_back(integer(x));
  }
  return sequence(Value::Kind::list, std::move(items));
}

Ref items_of(Interp& in, const Ref& v, Pos pos) {
  std::vector<Ref> items;
  if (!in.iterate(v, pos, items)) return nullptr;
  return sequence(Value::Kind::list, std::move(items));
}

// min/max over numbers (ints keep their symbolic form only when they are the result).
Ref extreme(Interp& in, Args& a, bool want_max) {
  std::vector<Ref> items = a.positional;
  if (items.size() == 1) {
    if (!in.iterate(items[0], a.pos, items)) return nullptr;
  }
  if (items.empty()) return in.fail(a.pos, std::string(want_max ? "max" : "min") + "() of an empty sequence");
  Ref best = items[0];
  for (const Ref& x : items) {
    Ref gt = in.compare(want_max ? Op::gt : Op::lt, x, best, a.pos);
    if (!gt) return nullptr;
    if (gt->kind == Value::Kind::unknown) return gt;
    if (gt->b) best = x;
  }
  return best;
}

bool is_instance(const Ref& obj, const Ref& cls) {
  using K = Value::Kind;
  if (cls->kind == K::tuple) {
    for (const Ref& c : cls->items)
      if (is_instance(obj, c)) return true;
    return false;
  }
  if (cls->kind == K::class_) {
    if (obj->kind != K::instance || !obj->cls) return false;
    std::vector<const Class*> todo{obj->cls.get()};
    while (!todo.empty()) {
      const Class* c = todo.back();
      todo.pop_back();
      if (c == cls->cls.get()) return true;
      for (const Ref& b : c->bases)
        if (b->kind == K::class_) todo.push_back(b->cls.get());
    }
    return false;
  }
  if (cls->kind == K::native) {
    // Framework classes: a module object of that class, or a user's module
    // deriving from it; Python's int/float/str/list/tuple/dict.
    const std::string& n = cls->s;
    if (obj->kind == K::module) return obj->s == n || n == "torch.nn.Module" || n == "Module";
    if (obj->kind == K::instance) return obj->cls && (obj->cls->derives_from(n));
    if (n == "int") return obj->kind == K::integer || obj->kind == K::boolean;
    if (n == "float") return obj->kind == K::number;
    if (n == "str") return obj->kind == K::string;
    if (n == "list") return obj->kind == K::list;
    if (n == "tuple") return obj->kind == K::tuple;
    if (n == "dict") return obj->kind == K::dict;
    if (n == "bool") return obj->kind == K::boolean;
  }
  return false;
}

std::string str_of(const Ref& v) {
  if (v->kind == Value::Kind::string) return v->s;
  return describe(v);
}

}  // namespace

Ref Interp::builtin(const std::string& name) {
  using K = Value::Kind;
  auto fn = [&](NativeFn f) { return native(name, std::move(f)); };
  if (name == "range") return fn(range_of);
  if (name == "len")
    return fn([](Interp& in, const Ref&, Args& a) -> Ref {
      if (a.positional.size() != 1) return in.fail(a.pos, "len() takes exactly one argument");
      const Ref& v = a.positional[0];
      if (v->kind == K::string) return integer(static_cast<int64_t>(v->s.size()));
      if (v->kind == K::list || v->kind == K::tuple || v->kind == K::dict || v->kind == K::module)
        return integer(static_cast<int64_t>(v->items.size()));
      if (v->kind == K::unknown) return v;
      if (v->kind == K::tensor) return in.framework->tensor_attr(in, v, "__len__", a.pos);
      return in.fail(a.pos, "object of type " + describe(v) + " has no len()");
    });
  if (name == "enumerate")
    return fn([](Interp& in, const Ref&, Args& a) -> Ref {
      if (a.positional.empty()) return in.fail(a.pos, "enumerate() needs an iterable");
      int64_t start = 0;
      if (const Ref* s = a.get(1, "start"))
        if (!want_int(in, *s, a.pos, "enumerate() start", start)) return nullptr;
      std::vector<Ref> items;
      if (!in.iterate(a.positional[0], a.pos, items)) return nullptr;
      std::vector<Ref> out;
      for (size_t k = 0; k < items.size(); ++k)
        out.push_back(sequence(K::tuple, {integer(start + static_cast<int64_t>(k)), items[k]}));
      return sequence(K::list, std::move(out));
    });
  if (name == "zip")
    return fn([](Interp& in, const Ref&, Args& a) -> Ref {
      std::vector<std::vector<Ref>> lists(a.positional.size());
      size_t n = SIZE_MAX;
      for (size_t k = 0; k < lists.size(); ++k) {
        if (!in.iterate(a.positional[k], a.pos, lists[k])) return nullptr;
        n = std::min(n, lists[k].size());
      }
      if (lists.empty()) n = 0;
      std::vector<Ref> out;
      for (size_t i = 0; i < n; ++i) {
        std::vector<Ref> t;
        for (auto& l : lists) t.push_back(l[i]);
        out.push_back(sequence(K::tuple, std::move(t)));
      }
      return sequence(K::list, std::move(out));
    });
  if (name == "reversed" || name == "sorted" || name == "list" || name == "tuple" || name == "set" ||
      name == "iter")
    return fn([name](Interp& in, const Ref&, Args& a) -> Ref {
      if (a.positional.empty()) return sequence(name == "tuple" ? K::tuple : K::list, {});
      Ref l = items_of(in, a.positional[0], a.pos);
      if (!l) return nullptr;
      if (name == "reversed") std::reverse(l->items.begin(), l->items.end());
      if (name == "sorted") {
        bool ok = true;
        std::stable_sort(l->items.begin(), l->items.end(), [&](const Ref& x, const Ref& y) {
          Ref r = ok ? in.compare(Op::lt, x, y, a.pos) : nullptr;
          ok = r && r->kind == K::boolean;
          return ok && r->b;
        });
        if (!ok) return in.failed() ? nullptr : in.fail(a.pos, "sorted() of values that do not compare");
      }
      if (name == "tuple") l->kind = K::tuple;
      return l;
    });
  if (name == "dict")
    return fn([](Interp& in, const Ref&, Args& a) -> Ref {
      Ref d = sequence(K::dict, {});
      if (!a.positional.empty()) {
        std::vector<Ref> pairs;
        const Ref& src = a.positional[0];
        if (src->kind == K::dict) {
          d->keys = src->keys;
          d->items = src->items;
        } else {
          if (!in.iterate(src, a.pos, pairs)) return nullptr;
          for (const Ref& p : pairs) {
            if ((p->kind != K::tuple && p->kind != K::list) || p->items.size() != 2)
              return in.fail(a.pos, "dict() needs (key, value) pairs");
            in.dict_set(d, p->items[0], p->items[1]);
          }
        }
      }
      for (const auto& kv : a.keywords) in.dict_set(d, string(kv.first), kv.second);
      return d;
    });
  if (name == "int" || name == "float" || name == "round" || name == "abs" || name == "bool" || name == "str")
    return fn([name](Interp& in, const Ref&, Args& a) -> Ref {
      if (a.positional.empty()) return name == "str" ? string("") : name == "float" ? number(0) : integer(0);
      const Ref& v = a.positional[0];
      if (v->kind == K::unknown) return v;
      if (name == "str") return string(str_of(v));
      if (name == "bool") {
        bool t = false;
        if (!in.truthy(v, a.pos, t)) return nullptr;
        return boolean(t);
      }
      if (v->kind == K::string && name == "int") {
        char* end = nullptr;
        const long long x = std::strtoll(v->s.c_str(), &end, 10);
        if (v->s.empty() || *end) return in.fail(a.pos, "invalid literal for int(): '" + v->s + "'");
        return integer(x);
      }
      if (as_int(v)) {
        const int64_t i = *as_int(v);
        if (name == "float") return number(static_cast<double>(i));
        if (name == "abs") return integer(i < 0 ? -i : i);
        return integer(i, v->sym);
      }
      if (v->kind == K::number) {
        const double d = v->d;
        if (name == "float") return v;
        if (name == "abs") return number(std::fabs(d));
        const double r = name == "round" ? std::nearbyint(d) : std::trunc(d);
        if (!(std::fabs(r) < 9e18)) return in.fail(a.pos, name + "() of " + describe(v) + " does not fit an integer");
        if (name == "round" && a.positional.size() > 1) return number(d);
        return integer(static_cast<int64_t>(r));
      }
      return in.fail(a.pos, name + "() of " + describe(v));
    });
  if (name == "min" || name == "max")
    return fn([name](Interp& in, const Ref&, Args& a) { return extreme(in, a, name == "max"); });
  if (name == "sum")
    return fn([](Interp& in, const Ref&, Args& a) -> Ref {
      if (a.positional.empty()) return in.fail(a.pos, "sum() needs an iterable");
      std::vector<Ref> items;
      if (!in.iterate(a.positional[0], a.pos, items)) return nullptr;
      Ref total = a.positional.size() > 1 ? a.positional[1] : integer(0);
      for (const Ref& x : items) {
        total = in.binary(Op::add, total, x, a.pos);
        if (!total) return nullptr;
      }
      return total;
    });
  if (name == "isinstance")
    return fn([](Interp& in, const Ref&, Args& a) -> Ref {
      if (a.positional.size() != 2) return in.fail(a.pos, "isinstance() takes 2 arguments");
      return boolean(is_instance(a.positional[0], a.positional[1]));
    });
  if (name == "hasattr" || name == "getattr" || name == "setattr")
    return fn([name](Interp& in, const Ref&, Args& a) -> Ref {
      if (a.positional.size() < 2 || a.positional[1]->kind != K::string)
        return in.fail(a.pos, name + "() needs an object and an attribute name");
      const Ref& obj = a.positional[0];
      const std::string& attr = a.positional[1]->s;
      if (name == "setattr") {
        if (a.positional.size() != 3) return in.fail(a.pos, "setattr() takes 3 arguments");
        if (obj->kind != K::instance && obj->kind != K::module) return in.fail(a.pos, "setattr() on " + describe(obj));
        obj->set_attr(attr, a.positional[2]);
        return none();
      }
      const bool has = obj->attr(attr) || (obj->kind == K::instance && obj->cls && obj->cls->lookup(attr)) ||
                       (obj->kind == K::class_ && obj->cls->lookup(attr));
      if (name == "hasattr") return boolean(has);
      if (!has && a.positional.size() > 2) return a.positional[2];
      return in.get_attr(obj, attr, a.pos);
    });
  if (name == "print" || name == "repr" || name == "id" || name == "callable" || name == "type" || name == "vars" ||
      name == "open" || name == "input")
    return fn([name](Interp& in, const Ref&, Args& a) -> Ref {
      if (name == "print") return none();
      if (name == "callable" && !a.positional.empty()) {
        const auto k = a.positional[0]->kind;
        return boolean(k == K::function || k == K::native || k == K::class_ || k == K::module || k == K::instance);
      }
      return unknown("`" + name + "()` (" + in.at(a.pos) + ")");
    });
  if (name == "object") return native("object", nullptr);
  if (name == "Exception" || name == "ValueError" || name == "RuntimeError" || name == "NotImplementedError" ||
      name == "TypeError" || name == "AssertionError" || name == "KeyError")
    return fn([name](Interp&, const Ref&, Args&) { return string(name); });
  if (name == "__name__") return string("__convscope__");  // `if __name__ == "__main__":` runs as a script's would not
  return nullptr;
}

Ref Interp::method_of(const Ref& obj, const std::string& name, Pos pos) {
  using K = Value::Kind;
  auto m = [&](NativeFn f) { return native(name, std::move(f), obj); };
  if (obj->kind == K::list) {
    if (name == "append")
      return m([](Interp& in, const Ref& self, Args& a) -> Ref {
        if (a.positional.size() != 1) return in.fail(a.pos, "append() takes exactly one argument");
        if (self->items.size() >= static_cast<size_t>(max_sequence)) return in.fail(a.pos, "a list too long");
        self->items.push_back(a.positional[0]);
        return none();
      });
    if (name == "extend" || name == "insert" || name == "pop" || name == "index" || name == "reverse" ||
        name == "copy" || name == "count" || name == "clear")
      return m([name](Interp& in, const Ref& self, Args& a) -> Ref {
        if (name == "extend") {
          if (a.positional.size() != 1) return in.fail(a.pos, "extend() takes exactly one argument");
          std::vector<Ref> more;
          if (!in.iterate(a.positional[0], a.pos, more)) return nullptr;
          self->items.insert(self->items.end(), more.begin(), more.end());
          return none();
        }
        if (name == "insert") {
          int64_t i = 0;
          if (a.positional.size() != 2 || !want_int(in, a.positional[0], a.pos, "insert()", i)) return nullptr;
          const int64_t n = static_cast<int64_t>(self->items.size());
          i = std::clamp<int64_t>(i < 0 ? i + n : i, 0, n);
          self->items.insert(self->items.begin() + static_cast<std::ptrdiff_t>(i), a.positional[1]);
          return none();
        }
        if (name == "pop") {
          if (self->items.empty()) return in.fail(a.pos, "pop from empty list");
          int64_t i = -1;
          if (!a.positional.empty() && !want_int(in, a.positional[0], a.pos, "pop()", i)) return nullptr;
          const int64_t n = static_cast<int64_t>(self->items.size());
          if (i < 0) i += n;
          if (i < 0 || i >= n) return in.fail(a.pos, "pop index out of range");
          Ref v = self->items[static_cast<size_t>(i)];
          self->items.erase(self->items.begin() + static_cast<std::ptrdiff_t>(i));
          return v;
        }
        if (name == "reverse") {
          std::reverse(self->items.begin(), self->items.end());
          return none();
        }
        if (name == "clear") {
          self->items.clear();
          return none();
        }
        if (name == "copy") return sequence(K::list, self->items);
        if (a.positional.size() != 1) return in.fail(a.pos, name + "() takes exactly one argument");
        int64_t count = 0;
        for (size_t k = 0; k < self->items.size(); ++k) {
          Ref eq = in.compare(Op::eq, self->items[k], a.positional[0], a.pos);
          if (!eq) return nullptr;
          if (eq->kind == K::boolean && eq->b) {
            if (name == "index") return integer(static_cast<int64_t>(k));
            ++count;
          }
        }
        if (name == "index") return in.fail(a.pos, describe(a.positional[0]) + " is not in list");
        return integer(count);
      });
  }
  if (obj->kind == K::dict) {
    if (name == "items" || name == "keys" || name == "values")
      return m([name](Interp&, const Ref& self, Args&) -> Ref {
        std::vector<Ref> out;
        for (size_t k = 0; k < self->keys.size(); ++k)
          out.push_back(name == "keys" ? self->keys[k] : name == "values" ? self->items[k]
                                                                           : sequence(K::tuple, {self->keys[k], self->items[k]}));
        return sequence(K::list, std::move(out));
      });
    if (name == "get" || name == "pop" || name == "setdefault")
      return m([name](Interp& in, const Ref& self, Args& a) -> Ref {
        if (a.positional.empty()) return in.fail(a.pos, name + "() needs a key");
        for (size_t k = 0; k < self->keys.size(); ++k) {
          Ref eq = in.compare(Op::eq, self->keys[k], a.positional[0], a.pos);
          if (eq && eq->kind == K::boolean && eq->b) {
            Ref v = self->items[k];
            if (name == "pop") {
              self->keys.erase(self->keys.begin() + static_cast<std::ptrdiff_t>(k));
              self->items.erase(self->items.begin() + static_cast<std::ptrdiff_t>(k));
            }
            return v;
          }
        }
        Ref fallback = a.positional.size() > 1 ? a.positional[1] : none();
        if (name == "setdefault") in.dict_set(self, a.positional[0], fallback);
        if (name == "pop" && a.positional.size() < 2) return in.fail(a.pos, "KeyError: " + describe(a.positional[0]));
        return fallback;
      });
    if (name == "update")
      return m([](Interp& in, const Ref& self, Args& a) -> Ref {
        if (!a.positional.empty() && a.positional[0]->kind == K::dict)
          for (size_t k = 0; k < a.positional[0]->keys.size(); ++k)
            in.dict_set(self, a.positional[0]->keys[k], a.positional[0]->items[k]);
        for (const auto& kv : a.keywords) in.dict_set(self, string(kv.first), kv.second);
        return none();
      });
  }
  if (obj->kind == K::string) {
    if (name == "format")
      return m([](Interp& in, const Ref& self, Args& a) -> Ref {
        // "{}", "{0}", "{name}" fields; format specs after ':' are ignored
        // except that the value is still the value (names only need text).
        std::string out;
        size_t auto_index = 0;
        const std::string& f = self->s;
        for (size_t k = 0; k < f.size(); ++k) {
          if (f[k] == '{' && k + 1 < f.size() && f[k + 1] == '{') { out += '{'; ++k; continue; }
          if (f[k] == '}' && k + 1 < f.size() && f[k + 1] == '}') { out += '}'; ++k; continue; }
          if (f[k] != '{') { out += f[k]; continue; }
          const size_t close = f.find('}', k);
          if (close == std::string::npos) return in.fail(a.pos, "Single '{' encountered in format string");
          std::string field = f.substr(k + 1, close - k - 1);
          field = field.substr(0, field.find(':'));
          Ref v;
          if (field.empty()) {
            if (auto_index >= a.positional.size()) return in.fail(a.pos, "format(): not enough arguments");
            v = a.positional[auto_index++];
          } else if (std::isdigit(static_cast<unsigned char>(field[0]))) {
            const size_t i = static_cast<size_t>(std::strtoul(field.c_str(), nullptr, 10));
            if (i >= a.positional.size()) return in.fail(a.pos, "format(): index out of range");
            v = a.positional[i];
          } else if (const Ref* kw = a.keyword(field)) {
            v = *kw;
          } else {
            return in.fail(a.pos, "format(): no argument '" + field + "'");
          }
          out += str_of(v);
          k = close;
        }
        return string(out);
      });
    if (name == "join")
      return m([](Interp& in, const Ref& self, Args& a) -> Ref {
        std::vector<Ref> items;
        if (a.positional.size() != 1 || !in.iterate(a.positional[0], a.pos, items)) return nullptr;
        std::string out;
        for (size_t k = 0; k < items.size(); ++k) out += (k ? self->s : "") + str_of(items[k]);
        return string(out);
      });
    if (name == "lower" || name == "upper" || name == "strip")
      return m([name](Interp&, const Ref& self, Args&) -> Ref {
        std::string s = self->s;
        if (name == "lower") for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (name == "upper") for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        if (name == "strip") {
          while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
          size_t b = 0;
          while (b < s.size() && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
          s = s.substr(b);
        }
        return string(s);
      });
    if (name == "startswith" || name == "endswith")
      return m([name](Interp& in, const Ref& self, Args& a) -> Ref {
        if (a.positional.size() != 1 || a.positional[0]->kind != K::string)
          return in.fail(a.pos, name + "() needs a string");
        const std::string& x = a.positional[0]->s;
        const std::string& s = self->s;
        if (name == "startswith") return boolean(s.rfind(x, 0) == 0);
        return boolean(s.size() >= x.size() && s.compare(s.size() - x.size(), x.size(), x) == 0);
      });
  }
  return fail(pos, describe(obj) + " has no attribute '" + name + "' that ConvScope reads");
}

Ref Interp::standard_module(const std::string& dotted) {
  Ref ns = make_value(Value::Kind::namespace_);
  ns->s = dotted;
  if (dotted == "math") {
    for (const char* f : {"sqrt", "floor", "ceil", "log2", "log", "exp"}) {
      const std::string name = f;
      ns->set_attr(name, native("math." + name, [name](Interp& in, const Ref&, Args& a) -> Ref {
        if (a.positional.size() != 1 || !(a.positional[0]->kind == Value::Kind::integer ||
                                            a.positional[0]->kind == Value::Kind::number))
          return in.fail(a.pos, "math." + name + "() needs a number");
        const double x = a.positional[0]->kind == Value::Kind::integer ? static_cast<double>(a.positional[0]->i)
                                                                       : a.positional[0]->d;
        if (name == "floor" || name == "ceil") {
          const double r = name == "floor" ? std::floor(x) : std::ceil(x);
          if (!(std::fabs(r) < 9e18)) return in.fail(a.pos, "math." + name + "() out of range");
          return integer(static_cast<int64_t>(r));
        }
        if (name == "sqrt") return number(std::sqrt(x));
        if (name == "log2") return number(std::log2(x));
        if (name == "log") return number(std::log(x));
        return number(std::exp(x));
      }));
    }
    ns->set_attr("pi", number(3.141592653589793));
    return ns;
  }
  if (dotted == "collections") {
    ns->set_attr("OrderedDict", builtin("dict"));
    return ns;
  }
  if (dotted == "typing" || dotted == "__future__" || dotted == "os" || dotted == "sys" || dotted == "numpy" ||
      dotted == "functools" || dotted == "copy") {
    // Imported for annotations or utilities: names from them are unknown
    // values, which matter only where a shape depends on them.
    return ns;
  }
  return nullptr;
}

Ref Interp::format_fstring(const Expr& e, const std::shared_ptr<Scope>& scope) {
  // f"layer{i}", f"{name}_{k + 1}": each field parsed as an expression and
  // evaluated; format specs (":02d") and conversions ("!r") are ignored.
  std::string out;
  const std::string& t = e.text;
  for (size_t k = 0; k < t.size(); ++k) {
    if (t[k] == '{' && k + 1 < t.size() && t[k + 1] == '{') { out += '{'; ++k; continue; }
    if (t[k] == '}' && k + 1 < t.size() && t[k + 1] == '}') { out += '}'; ++k; continue; }
    if (t[k] != '{') { out += t[k]; continue; }
    int nest = 0;
    size_t close = k + 1;
    for (; close < t.size(); ++close) {
      if (t[close] == '{' || t[close] == '[' || t[close] == '(') ++nest;
      else if ((t[close] == '}' || t[close] == ']' || t[close] == ')') && nest > 0) --nest;
      else if (t[close] == '}') break;
    }
    if (close >= t.size()) return fail(e.pos, "f-string: expecting '}'");
    std::string field = t.substr(k + 1, close - k - 1);
    int bracket = 0;
    for (size_t j = 0; j < field.size(); ++j) {  // cut a top-level ':spec' or '!conv'
      const char c = field[j];
      if (c == '[' || c == '(') ++bracket;
      if (c == ']' || c == ')') --bracket;
      if (bracket == 0 && (c == ':' || (c == '!' && j + 1 < field.size() && field[j + 1] != '='))) {
        field = field.substr(0, j);
        break;
      }
    }
    auto m = std::make_unique<Module>();
    ParseError perr;
    if (!parse("(" + field + ")\n", *m, perr) || m->body.size() != 1 || m->body[0].kind != Stmt::Kind::expr)
      return fail(e.pos, "f-string field {" + field + "} is not an expression ConvScope reads");
    fragments.push_back(std::move(m));
    Expr& inner = fragments.back()->body[0].value;
    // Point the field's positions at the f-string for messages.
    std::function<void(Expr&)> place = [&](Expr& x) {
      x.pos = e.pos;
      for (Expr& kid : x.kids) place(kid);
    };
    place(inner);
    Ref v = eval(inner, scope);
    if (!v) return nullptr;
    if (v->kind == Value::Kind::unknown) return v;
    out += str_of(v);
    k = close;
  }
  return string(out);
}

Ref Interp::percent_format(const Ref& fmt, const Ref& args, Pos pos) {
  std::vector<Ref> values = args->kind == Value::Kind::tuple ? args->items : std::vector<Ref>{args};
  std::string out;
  size_t next = 0;
  const std::string& f = fmt->s;
  for (size_t k = 0; k < f.size(); ++k) {
    if (f[k] != '%') { out += f[k]; continue; }
    if (k + 1 < f.size() && f[k + 1] == '%') { out += '%'; ++k; continue; }
    size_t j = k + 1;
    while (j < f.size() && !std::isalpha(static_cast<unsigned char>(f[j]))) ++j;
    if (j >= f.size() || next >= values.size()) return fail(pos, "not enough arguments for format string");
    out += str_of(values[next++]);
    k = j;
  }
  return string(out);
}

// ---------------------------------------------------------------- shapes

std::optional<std::vector<int64_t>> shape_of(Interp& in, int32_t node) {
  if (node == kNetworkInput) return in.draft.input;
  Network net;
  std::string error;
  Draft prefix = in.draft;
  prefix.layers.resize(static_cast<size_t>(node) + 1);
  prefix.origins.resize(static_cast<size_t>(node) + 1);
  if (!prefix.network(net, error)) return std::nullopt;
  const Report r = propagate(net, false);
  const auto& out = r.layers[static_cast<size_t>(node)].output;
  if (!out) return std::nullopt;
  return std::vector<int64_t>(out->begin(), out->end());
}

}  // namespace convscope::import::py
