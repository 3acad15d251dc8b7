// A small evaluator for model code: runs the subset of Python that builds a
// network (classes, functions, loops over ranges and lists, integer
// arithmetic, lists/tuples/dicts, `if` on constructor flags) over values
// that stand for what the framework would make: layer objects and tensors
// that are nodes of the network being built (a Draft). No Python runtime.
//
// The framework's own names (torch, nn, F, keras.layers, ...) come from a
// `Framework` table (code_pytorch.cpp, code_keras.cpp). Everything outside
// the subset is named by line and column with what was done instead: a
// statement with no bearing on shapes is skipped with a note, a value
// ConvScope cannot compute becomes `unknown` (carrying where it came from)
// and stops the reading only where a shape depends on it.
//
// Untrusted code: the evaluation is capped in steps, call depth, and the
// sizes of lists and ranges, so a loop that never ends ends in a message.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "convscope/import/draft.hpp"
#include "convscope/import/python_ast.hpp"
#include "convscope/network.hpp"

namespace convscope::import::py {

constexpr int64_t max_steps = 2'000'000;  // expressions + statements evaluated
constexpr int max_call_depth = 48;
constexpr int64_t max_sequence = 100'000;  // items in a list, tuple, range iterated

struct Value;
using Ref = std::shared_ptr<Value>;
struct Interp;
struct Function;
struct Class;

// A symbolic integer: an input-dependent size (`x.size(2)`) and arithmetic on
// it, kept beside its value at the current input so that code like U-Net's
// `diffY = x2.size()[2] - x1.size()[2]` can be read as "pad x1 to x2's size"
// instead of numbers true only at this input size.
struct Sym {
  enum class Kind { dim, constant, add, sub, mul, floordiv, neg };
  Kind kind = Kind::constant;
  int32_t node = kNetworkInput;  // dim: the tensor's layer
  int64_t axis = 0;              // dim: the axis
  int64_t c = 0;                 // constant
  std::shared_ptr<const Sym> a, b;
};
using SymRef = std::shared_ptr<const Sym>;

// A tensor: the output of a layer of the draft, or the network input.
struct Tensor {
  int32_t node = kNetworkInput;
  size_t rank = 0;  // known from the layers so far (flatten -> 2, ...)
};

// A call's arguments, evaluated.
struct Args {
  std::vector<Ref> positional;
  std::vector<std::pair<std::string, Ref>> keywords;
  Pos pos;          // the call
  const Expr* call = nullptr;  // its syntax (for messages)

  const Ref* keyword(const std::string& name) const;
  // positional[i], else the keyword, else nullptr
  const Ref* get(size_t i, const std::string& name) const;
};

using NativeFn = std::function<Ref(Interp&, const Ref& self, Args& args)>;

struct Value {
  enum class Kind {
    none, boolean, integer, number, string,
    tuple, list, dict,
    function,  // a def or lambda (fn)
    native,    // a framework or builtin callable (name, call, self for bound ones)
    class_,    // a class defined in the code (cls)
    instance,  // an instance of cls: a user's module
    module,    // a framework module object: nn.Conv2d(...), nn.Sequential(...), a Keras layer
    namespace_,  // torch, torch.nn, keras.layers, ...: attributes only
    tensor,
    unknown,   // something not computed: `why` says what and where
  };
  Kind kind = Kind::none;
  bool b = false;
  int64_t i = 0;
  double d = 0;
  std::string s;            // string; native/module/namespace: the name ("Conv2d", "torch.nn")
  SymRef sym;               // integer: its symbolic form, when input-dependent
  std::vector<Ref> items;   // tuple, list, dict values; module: children (Sequential, ModuleList, ModuleDict)
  std::vector<Ref> keys;    // dict keys; module: ModuleDict / OrderedDict keys (strings)
  std::shared_ptr<Function> fn;
  std::shared_ptr<Class> cls;
  NativeFn call;            // native
  Ref self;                 // native: the bound receiver; function: a bound method's self
  // instance, module, namespace: attributes in the order they were set
  std::vector<std::pair<std::string, Ref>> attrs;
  Args ctor;                // module: its constructor arguments
  Pos made_at;              // module/instance/unknown: where it was made
  std::string path;         // module/instance: the name registration gave it ("layer1.0.conv1")
  bool path_set = false;
  Tensor tensor;
  std::string why;          // unknown: "line 4, column 9: `foo(x)` is not read"

  Ref attr(const std::string& name) const;
  void set_attr(const std::string& name, Ref v);
};

Ref make_value(Value::Kind kind);
// A tensor that is the output of layer `node` (or the network input).
Ref tensor_value(int32_t node, size_t rank);
Ref none();
Ref boolean(bool b);
Ref integer(int64_t i, SymRef sym = nullptr);
Ref number(double d);
Ref string(std::string s);
Ref sequence(Value::Kind kind, std::vector<Ref> items);
Ref native(std::string name, NativeFn fn, Ref self = nullptr);
Ref unknown(std::string why);

struct Function {
  std::string name;
  std::vector<Param> params;   // a def's parameters (a lambda's are converted)
  const std::vector<Stmt>* body = nullptr;  // a def
  const Expr* lambda_body = nullptr;        // a lambda
  std::shared_ptr<struct Scope> closure;
  std::shared_ptr<Class> owner;  // the class whose body defined it (for super())
  Pos pos;
};

struct Class {
  std::string name;
  std::vector<Ref> bases;  // class_ values, or natives standing for framework bases (nn.Module)
  std::vector<std::pair<std::string, Ref>> attrs;  // methods and class attributes
  Pos pos;
  // Whether it derives (directly or through the code's own classes) from a
  // framework base with this name ("torch.nn.Module", "keras.Model").
  bool derives_from(const std::string& native_base) const;
  Ref lookup(const std::string& name) const;  // own attrs, then bases (depth first, left to right)
};

struct Scope {
  std::map<std::string, Ref> vars;
  std::shared_ptr<Scope> parent;  // enclosing function's, then the module's
  bool is_class_body = false;
};

// What the code's framework adds: the names importable, how its objects
// behave. One per framework (code_pytorch.cpp, code_keras.cpp).
struct Framework {
  virtual ~Framework() = default;
  // `import torch.nn as nn` / `from torch import nn`: the value, or nullptr
  // when the module is not one ConvScope knows (then imports of it are
  // unknown values and using them stops the reading).
  virtual Ref import_module(Interp& in, const std::string& dotted) = 0;
  // An attribute of one of its namespaces that is not set on it (`nn.Conv2d`,
  // `F.relu`), or nullptr.
  virtual Ref namespace_attr(Interp& in, const Ref& ns, const std::string& name, Pos pos) = 0;
  // Calling a framework module object (a layer) with tensors.
  virtual Ref call_module(Interp& in, const Ref& module, Args& args) = 0;
  // Attribute of a tensor (`x.shape`, `x.view`, `x.size`) or a module.
  virtual Ref tensor_attr(Interp& in, const Ref& tensor, const std::string& name, Pos pos) = 0;
  virtual Ref module_attr(Interp& in, const Ref& module, const std::string& name, Pos pos) = 0;
  // Binary operators with a tensor operand (x + y, x * y, x += y).
  virtual Ref tensor_binary(Interp& in, Op op, const Ref& a, const Ref& b, Pos pos) = 0;
  // The modules a user's instance holds, for `for m in self.modules()` and
  // for naming (`self.conv1 = ...` names it "conv1").
  virtual bool is_module(const Ref& v) const = 0;
  // A top-level statement failed (run_top_level): true ends the reading with
  // that failure, false skips the statement as code that does not build the
  // model (training, data loading). PyTorch builds the network in forward(),
  // after the top level; Keras code builds it at the top level.
  virtual bool top_level_failure_ends(Interp&, const Stmt&, size_t /*layers_before*/) { return false; }
};

// Why the evaluation ended early.
struct Failure {
  enum class Kind { none, error, stop };
  Kind kind = Kind::none;  // error: the code is wrong or unreadable; stop: the network is the part before
  Pos pos;
  std::string message;
};

struct Interp {
  Interp(const Module& m, Draft& d) : module(m), draft(d) {}
  ~Interp();
  Interp(const Interp&) = delete;
  Interp& operator=(const Interp&) = delete;
  // Every scope made, so the destructor can break the evaluation's cycles.
  std::shared_ptr<Scope> new_scope();
  std::vector<std::weak_ptr<Scope>> scopes;
  const Module& module;
  Draft& draft;
  Framework* framework = nullptr;
  std::shared_ptr<Scope> globals = std::make_shared<Scope>();
  Failure failure;
  int64_t steps = 0;
  int depth = 0;
  std::vector<std::string> skipped;  // notes: "line 5: `...` skipped (...)"

  bool failed() const { return failure.kind != Failure::Kind::none; }
  // Records the first failure; returns nullptr for `return fail(...)`.
  Ref fail(Pos pos, std::string message);
  Ref stop(Pos pos, std::string message);
  // "line 42: x = torch.cat([x2, x1], dim=1)" (the code stripped of its indent)
  std::string line_text(int line) const;
  std::string at(Pos pos) const;  // "line 42, column 9"
  // The code of an expression as written (one line at most, shortened).
  std::string code_of(const Expr& e) const;

  // Runs the module's top level: imports, definitions and simple
  // assignments; statements that do something else (training loops, data
  // loading) are skipped with a note. `main_calls` collects the calls of the
  // code's classes made at the top level (`net = Net()`) for choosing the model.
  bool run_top_level();
  Ref eval(const Expr& e, const std::shared_ptr<Scope>& scope);
  Ref call(const Ref& callee, Args& args);
  Ref get_attr(const Ref& obj, const std::string& name, Pos pos);
  bool truthy(const Ref& v, Pos pos, bool& out);
  Ref lookup(const std::string& name, const std::shared_ptr<Scope>& scope, Pos pos);

  // Statements run inside a function or class body.
  enum class Flow { normal, return_, break_, continue_, failed };
  Flow exec(const std::vector<Stmt>& body, const std::shared_ptr<Scope>& scope, Ref& result);
  Flow exec_one(const Stmt& st, const std::shared_ptr<Scope>& scope, Ref& result);
  bool assign(const Expr& target, const Ref& value, const std::shared_ptr<Scope>& scope);
  bool count_step(Pos pos);

  // The positions of the calls being evaluated, innermost last: a layer made
  // by a call gets the line of the innermost call in the user's code.
  std::vector<Pos> call_sites;
  Pos call_site() const { return call_sites.empty() ? Pos{} : call_sites.back(); }

  // Pieces of the evaluation (python_eval.cpp, python_builtins.cpp).
  Ref binary(Op op, const Ref& a, const Ref& b, Pos pos);
  Ref compare(Op op, const Ref& a, const Ref& b, Pos pos);
  bool iterate(const Ref& v, Pos pos, std::vector<Ref>& out);
  Ref subscript(const Ref& obj, const Expr& index, const std::shared_ptr<Scope>& scope, Pos pos);
  bool call_args(const Expr& call, const std::shared_ptr<Scope>& scope, Args& args);
  void dict_set(const Ref& d, const Ref& key, const Ref& value);
  Ref comprehension(const Expr& e, const std::shared_ptr<Scope>& scope);
  Ref super_of(const Expr& call, const std::shared_ptr<Scope>& scope);
  Ref format_fstring(const Expr& e, const std::shared_ptr<Scope>& scope);
  Ref percent_format(const Ref& fmt, const Ref& args, Pos pos);
  Ref builtin(const std::string& name);  // range, len, isinstance, ...
  Ref call_function(const Ref& fn, Args& args);
  Ref instantiate(const Ref& cls, Args& args);
  Ref method_of(const Ref& obj, const std::string& name, Pos pos);  // list.append, dict.items, ...
  Ref import_module(const std::string& dotted, Pos pos);
  Ref standard_module(const std::string& dotted);  // math, collections, typing, functools
  int expr_depth = 0;
  std::shared_ptr<Class> current_class;  // while a class body runs
  std::vector<Ref> classes;              // every class the code defines, in order
  // While the top level runs: models are built but not run, and the
  // instances of the code's classes made there are kept (`net = Net()`).
  bool reading_top_level = false;
  struct Made {
    Ref instance;
    Pos pos;
  };
  std::vector<Made> top_level_instances;
  std::vector<int> skipped_lines;  // top-level statements not read (training loops, data loading)
  // Modules parsed for f-string fields, kept alive for their expressions.
  std::vector<std::unique_ptr<Module>> fragments;
};

// Shapes of the draft's layers so far, from the engine's propagation: the
// output of `node`, or nullopt where it fails or is skipped.
std::optional<std::vector<int64_t>> shape_of(Interp& in, int32_t node);

// The integer value of v (an integer or a bool), or nullopt.
std::optional<int64_t> as_int(const Ref& v);
// Python's repr-ish text of a value for messages ("3", "'same'", "(1, 2)", "a tensor").
std::string describe(const Ref& v);

}  // namespace convscope::import::py
