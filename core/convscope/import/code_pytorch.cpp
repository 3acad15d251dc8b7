// PyTorch's names for the code reader: torch, torch.nn, torch.nn.functional
// and Tensor methods, each turned into layers of the network being built.
// nn modules are read by the print(model) importer's leaf reader
// (pytorch_modules.hpp) from their constructor arguments, so a module class
// is modelled in one place whichever way the user pastes it.
#include "convscope/import/code_pytorch.hpp"

#include <algorithm>

#include "convscope/import/names.hpp"
#include "convscope/import/pytorch_modules.hpp"
#include "convscope/import/text.hpp"

namespace convscope::import::py {

namespace {

using K = Value::Kind;

// The argument values of a call as the literals a print(model) repr holds.
bool to_py(Interp& in, const Ref& v, Pos pos, const std::string& what, text::PyValue& out) {
  using PK = text::PyValue::Kind;
  switch (v->kind) {
    case K::none: out.kind = PK::none; return true;
    case K::boolean: out.kind = PK::boolean; out.b = v->b; return true;
    case K::integer: out.kind = PK::integer; out.i = v->i; return true;
    case K::number: out.kind = PK::number; out.d = v->d; return true;
    case K::string: out.kind = PK::string; out.s = v->s; return true;
    case K::tuple:
    case K::list:
      out.kind = v->kind == K::tuple ? PK::tuple : PK::list;
      for (const Ref& x : v->items) {
        out.items.emplace_back();
        if (!to_py(in, x, pos, what, out.items.back())) return false;
      }
      return true;
    case K::unknown: in.fail(pos, what + " depends on " + v->why); return false;
    default: in.fail(pos, what + ": " + describe(v) + " is not a value ConvScope reads here"); return false;
  }
}

bool to_call(Interp& in, const std::string& cls, const Args& a, text::PyCall& out) {
  out.callee = cls;
  for (size_t k = 0; k < a.positional.size(); ++k) {
    out.args.emplace_back();
    if (!to_py(in, a.positional[k], a.pos, cls + " argument " + std::to_string(k + 1), out.args.back())) return false;
  }
  for (const auto& kv : a.keywords) {
    out.kwargs.push_back({kv.first, {}});
    if (!to_py(in, kv.second, a.pos, cls + " " + kv.first, out.kwargs.back().second)) return false;
  }
  return true;
}

bool is_container(const std::string& cls) { return cls == "Sequential" || cls == "ModuleList" || cls == "ModuleDict"; }

// Positional order of the constructor arguments a forward() may read back
// (`self.conv1.out_channels`).
int ctor_index(const std::string& cls, const std::string& attr) {
  static const char* const conv[] = {"in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation",
                                     "groups", "bias"};
  static const char* const linear[] = {"in_features", "out_features", "bias"};
  static const char* const norm[] = {"num_features", "eps", "momentum"};
  auto find = [&](const char* const* names, size_t n) {
    for (size_t k = 0; k < n; ++k)
      if (attr == names[k]) return static_cast<int>(k);
    return -1;
  };
  if (cls.rfind("Conv", 0) == 0) return find(conv, 8);
  if (cls == "Linear") return find(linear, 3);
  if (cls.find("Norm") != std::string::npos) return find(norm, 3);
  return -1;
}

}  // namespace

TorchFramework::TorchFramework(Interp& in, const std::string& source) : in_(in), st_(in.draft, source) {
  torch_ = make_value(K::namespace_);
  torch_->s = "torch";
  nn_ = make_value(K::namespace_);
  nn_->s = "torch.nn";
  functional_ = make_value(K::namespace_);
  functional_->s = "torch.nn.functional";
  init_ = make_value(K::namespace_);
  init_->s = "torch.nn.init";
  torch_->set_attr("nn", nn_);
  nn_->set_attr("functional", functional_);
  nn_->set_attr("init", init_);
  module_base_ = native("torch.nn.Module", nullptr);
  // The print(model) reader notes that reprs hide AvgPool's ceil_mode; code
  // that leaves them out means PyTorch's defaults, so no note.
  st_.avg_pool_note = true;
  nn_->set_attr("Module", module_base_);
}

Ref TorchFramework::import_module(Interp&, const std::string& dotted) {
  if (dotted == "torch") return torch_;
  if (dotted == "torch.nn") return nn_;
  if (dotted == "torch.nn.functional") return functional_;
  if (dotted == "torch.nn.init") return init_;
  if (dotted == "torch.nn.Module") return module_base_;
  return nullptr;
}

bool TorchFramework::is_module(const Ref& v) const {
  return v && (v->kind == K::module || (v->kind == K::instance && v->cls && v->cls->derives_from("torch.nn.Module")));
}

// ---------------------------------------------------------------- namespaces

Ref TorchFramework::namespace_attr(Interp& in, const Ref& ns, const std::string& name, Pos pos) {
  if (ns.get() == nn_.get()) {
    if (name.empty() || !std::isupper(static_cast<unsigned char>(name[0]))) return nullptr;
    if (name == "Parameter" || name == "ParameterList" || name == "ParameterDict")
      return native("nn." + name, [](Interp& i, const Ref&, Args& a) {
        return unknown("an nn.Parameter (" + i.at(a.pos) + ")");
      });
    // Every other class: a module object; whether ConvScope models it is
    // decided where forward() calls it (a module that is built but never
    // called does not matter).
    return native("nn." + name, [name](Interp&, const Ref&, Args& a) {
      Ref m = make_value(K::module);
      m->s = name;
      m->ctor = a;
      m->made_at = a.pos;
      if (name == "Sequential" || name == "ModuleList") {
        if (name == "Sequential" && a.positional.size() == 1 && a.positional[0]->kind == K::dict) {
          m->keys = a.positional[0]->keys;  // Sequential(OrderedDict([...])): named children
          m->items = a.positional[0]->items;
        } else if (name == "ModuleList") {
          if (!a.positional.empty()) m->items = a.positional[0]->items;
        } else {
          m->items = a.positional;
        }
      }
      if (name == "ModuleDict" && !a.positional.empty()) {
        m->keys = a.positional[0]->keys;
        m->items = a.positional[0]->items;
      }
      return m;
    });
  }
  if (ns.get() == init_.get())  // weight initialisation: nothing a shape depends on
    return native("nn.init." + name, [](Interp&, const Ref&, Args&) { return none(); });
  if (ns.get() == functional_.get() || ns.get() == torch_.get()) return function(name, ns.get() == torch_.get(), pos);
  (void)in;
  return nullptr;
}

// ---------------------------------------------------------------- layers

std::string TorchFramework::source_origin() const { return "line " + std::to_string(in_.call_site().line); }

int32_t TorchFramework::add_layer(json::Object layer, const std::vector<int32_t>& inputs) {
  json::Array names;
  for (int32_t k : inputs) {
    if (k == kNetworkInput) {
      names.push_back(json::Value("input"));
    } else {
      const json::Value* n = in_.draft.layers[static_cast<size_t>(k)].find("name");
      names.push_back(json::Value(n ? n->as_string() : std::string()));
    }
  }
  layer.push_back({"inputs", json::Value(std::move(names))});
  in_.draft.add(std::move(layer), source_origin());
  return static_cast<int32_t>(in_.draft.layers.size()) - 1;
}

std::string TorchFramework::layer_name(const std::string& base) const { return in_.draft.free_name(base); }

Ref TorchFramework::call_module(Interp& in, const Ref& module, Args& args) {
  const std::string& cls = module->s;
  if (cls == "Sequential") {
    if (args.positional.size() != 1 || !args.keywords.empty())
      return in.fail(args.pos, "nn.Sequential is called with one input");
    Ref x = args.positional[0];
    for (const Ref& m : module->items) {
      Args a;
      a.pos = args.pos;
      a.call = args.call;
      a.positional = {x};
      x = in.call(m, a);
      if (!x) return nullptr;
    }
    return x;
  }
  if (cls == "ModuleList" || cls == "ModuleDict")
    return in.fail(args.pos, "nn." + cls + " is not callable: call its modules (for layer in self.layers: x = layer(x))");
  if (args.positional.size() != 1 || args.positional[0]->kind != K::tensor) {
    const std::string what = module->path.empty() ? "nn." + cls : "`" + module->path + "` (nn." + cls + ")";
    if (!args.positional.empty() && args.positional[0]->kind == K::unknown) return args.positional[0];
    return in.fail(args.pos, what + " is called with " +
                                 (args.positional.empty() ? std::string("no input") : describe(args.positional[0])) +
                                 "; ConvScope reads modules called on one tensor");
  }
  const Tensor x = args.positional[0]->tensor;
  const std::string name = module->path.empty() ? cls : module->path;
  if ((cls == "Linear" || cls == "LazyLinear") && x.rank > 2)
    return in.stop(args.pos, "`" + name + "` (nn.Linear) is applied to a " + std::to_string(x.rank) +
                                 "-D tensor: PyTorch multiplies its last axis; ConvScope reads Linear on flattened "
                                 "features (torch.flatten(x, 1) first)");
  text::PyCall call;
  if (!to_call(in, cls, module->ctor, call)) return nullptr;
  const size_t before = in.draft.layers.size();
  const size_t unknown_before = st_.unknown.size(), identities = st_.identities.size() + st_.eval_identities.size();
  st_.spatial = x.rank > 2;
  std::string error;
  const std::string origin = source_origin();
  if (!torch_modules::leaf(st_, call, layer_name(name), origin, error))
    return in.fail(module->made_at, "nn." + cls + ": " + error.substr(error.find(": ") == std::string::npos ? 0 : error.find(": ") + 2));
  if (in.draft.layers.size() == before) {
    if (st_.identities.size() + st_.eval_identities.size() > identities) return args.positional[0];
    if (st_.unknown.size() > unknown_before) {
      st_.unknown.resize(unknown_before);
      return in.stop(args.pos, "`" + name + "` is an nn." + cls + ", which ConvScope does not model");
    }
    return args.positional[0];
  }
  // Wire the new layers: the first reads x, the rest chain.
  int32_t prev = x.node;
  for (size_t k = before; k < in.draft.layers.size(); ++k) {
    json::Object& o = in.draft.layers[k].as_object();
    json::Array names;
    if (prev == kNetworkInput) {
      names.push_back(json::Value("input"));
    } else {
      const json::Value* n = in.draft.layers[static_cast<size_t>(prev)].find("name");
      names.push_back(json::Value(n ? n->as_string() : std::string()));
    }
    o.push_back({"inputs", json::Value(std::move(names))});
    in.draft.origins[k] = origin;
    prev = static_cast<int32_t>(k);
  }
  return tensor_value(prev, rank_after(in, prev, x.rank));
}

size_t TorchFramework::rank_after(Interp& in, int32_t node, size_t rank_in) const {
  const json::Value* type = in.draft.layers[static_cast<size_t>(node)].find("type");
  const std::string t = type ? type->as_string() : "";
  if (t == "flatten" || t == "dense") return 2;
  if (t == "reshape") {
    const json::Value* shape = in.draft.layers[static_cast<size_t>(node)].find("shape");
    return shape && shape->is_array() ? shape->as_array().size() + 1 : rank_in;
  }
  return rank_in;
}

// ---------------------------------------------------------------- module attributes

Ref TorchFramework::module_attr(Interp& in, const Ref& obj, const std::string& name, Pos pos) {
  const bool user = obj->kind == K::instance;
  auto method = [&](NativeFn f) { return native(name, std::move(f), obj); };
  if (name == "training") return boolean(true);
  if (name == "modules" || name == "children" || name == "named_modules" || name == "named_children")
    return method([this, name](Interp&, const Ref& self, Args&) -> Ref {
      std::vector<Ref> out;
      std::vector<std::pair<std::string, Ref>> named;
      collect(self, name == "modules" || name == "named_modules", "", named);
      const bool with_self = name == "modules" || name == "named_modules";
      if (with_self) out.push_back(name == "named_modules" ? sequence(K::tuple, {string(""), self}) : self);
      for (const auto& [path, m] : named)
        out.push_back(name.rfind("named_", 0) == 0 ? sequence(K::tuple, {string(path), m}) : m);
      return sequence(K::list, std::move(out));
    });
  if (name == "add_module" || name == "register_module")
    return method([](Interp& i, const Ref& self, Args& a) -> Ref {
      if (a.positional.size() != 2 || a.positional[0]->kind != K::string)
        return i.fail(a.pos, "add_module(name, module) takes a name and a module");
      if (self->kind == K::module && self->s == "Sequential") {
        self->keys.push_back(a.positional[0]);
        self->items.push_back(a.positional[1]);
      } else {
        self->set_attr(a.positional[0]->s, a.positional[1]);
      }
      return none();
    });
  if (name == "apply" || name == "register_buffer" || name == "register_parameter" || name == "_initialize_weights" ||
      name == "init_weights" || name == "reset_parameters" || name == "zero_grad")
    return method([](Interp&, const Ref&, Args&) { return none(); });
  if (name == "eval" || name == "train")  // model.eval(): the analysis then uses eval mode
    return method([this, name](Interp&, const Ref& self, Args& a) {
      bool training = name == "train";
      if (name == "train" && !a.positional.empty() && a.positional[0]->kind == K::boolean) training = a.positional[0]->b;
      // As nn.Module.train() does: the module and every submodule, so a
      // child's `if self.training:` reads the same flag.
      std::vector<std::pair<std::string, Ref>> all{{"", self}};
      collect(self, true, "", all);
      for (const auto& entry : all)
        if (entry.second->kind == K::instance) entry.second->set_attr("training", boolean(training));
      return self;
    });
  if (name == "to" || name == "cuda" || name == "cpu" || name == "float" ||
      name == "double" || name == "requires_grad_")
    return method([](Interp&, const Ref& self, Args&) { return self; });
  if (name == "parameters" || name == "named_parameters" || name == "state_dict" || name == "weight" || name == "bias")
    return unknown("`" + name + "` (" + in.at(pos) + "): weights are not read");
  if (user) return nullptr;
  // Framework module objects.
  const std::string& cls = obj->s;
  if (is_container(cls)) {
    if (name == "append" || name == "extend" || name == "insert")
      return method([name](Interp& i, const Ref& self, Args& a) -> Ref {
        if (name == "append") {
          if (a.positional.size() != 1) return i.fail(a.pos, "append() takes one module");
          self->items.push_back(a.positional[0]);
          if (self->s == "Sequential") self->keys.clear();
          return self;
        }
        if (name == "extend") {
          std::vector<Ref> more;
          if (a.positional.size() != 1 || !i.iterate(a.positional[0], a.pos, more)) return nullptr;
          self->items.insert(self->items.end(), more.begin(), more.end());
          return self;
        }
        int64_t at = 0;
        if (a.positional.size() != 2 || !as_int(a.positional[0])) return i.fail(a.pos, "insert(index, module)");
        at = std::clamp<int64_t>(*as_int(a.positional[0]), 0, static_cast<int64_t>(self->items.size()));
        self->items.insert(self->items.begin() + static_cast<std::ptrdiff_t>(at), a.positional[1]);
        return none();
      });
    if (cls == "ModuleDict" && (name == "items" || name == "keys" || name == "values")) {
      Ref d = sequence(K::dict, obj->items);
      d->keys = obj->keys;
      return in.method_of(d, name, pos);
    }
    return nullptr;
  }
  const int index = ctor_index(cls, name);
  if (index >= 0) {
    if (const Ref* v = obj->ctor.get(static_cast<size_t>(index), name)) return *v;
    if (name == "stride" || name == "dilation" || name == "groups") return name == "groups" ? integer(1) : sequence(K::tuple, {integer(1), integer(1)});
    if (name == "padding") return sequence(K::tuple, {integer(0), integer(0)});
    if (name == "bias") return boolean(true);
  }
  if (name == "inplace" || name == "p" || name == "scale_factor" || name == "mode" || name == "kernel_size")
    if (const Ref* v = obj->ctor.keyword(name)) return *v;
  return nullptr;
}

void TorchFramework::collect(const Ref& m, bool recurse, const std::string& prefix,
                             std::vector<std::pair<std::string, Ref>>& out) const {
  std::vector<std::pair<std::string, Ref>> children;
  if (m->kind == K::instance) {
    for (const auto& kv : m->attrs)
      if (is_module(kv.second)) children.push_back(kv);
  } else if (m->kind == K::module) {
    for (size_t k = 0; k < m->items.size(); ++k) {
      std::string key = k < m->keys.size() && m->keys[k]->kind == K::string ? m->keys[k]->s : std::to_string(k);
      if (is_module(m->items[k])) children.push_back({key, m->items[k]});
    }
    for (const auto& kv : m->attrs)
      if (is_module(kv.second)) children.push_back(kv);
  }
  for (const auto& [key, module] : children) {
    const Ref child = module;  // a lambda cannot capture a structured binding in C++17
    const std::string path = prefix.empty() ? key : prefix + "." + key;
    if (std::any_of(out.begin(), out.end(), [&](const auto& p) { return p.second.get() == child.get(); })) continue;
    out.push_back({path, child});
    if (recurse) collect(child, true, path, out);
  }
}

void TorchFramework::name_modules(const Ref& root) {
  std::vector<std::pair<std::string, Ref>> all;
  collect(root, true, "", all);
  for (const auto& [path, m] : all)
    if (!m->path_set) {
      m->path = path;
      m->path_set = true;
    }
}

}  // namespace convscope::import::py
