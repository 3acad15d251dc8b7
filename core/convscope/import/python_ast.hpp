// The syntax tree of pasted Python code (a model's source: nn.Module
// classes, Keras Sequential/functional code). The parser (python_parse.hpp)
// reads all of Python 3's statement and expression syntax that model code
// uses, so that code outside what ConvScope can *evaluate* is still parsed
// and then named by line and column by the reader (python_eval.hpp), rather
// than failing as a syntax error.
//
// One node type per family (Expr, Stmt) with children in vectors: small,
// value-semantic, and easy to walk; what each kind keeps where is listed at
// the kind.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace convscope::import::py {

// 1-based; the column counts code points, as an editor shows it.
struct Pos {
  int line = 0;
  int column = 0;
};

enum class Op {
  // binary (and augmented assignment: `x += y` has op add)
  add, sub, mul, matmul, div, floordiv, mod, pow, lshift, rshift, bit_or, bit_xor, bit_and,
  // unary
  neg, pos, invert, not_,
  // boolean
  and_, or_,
  // comparison
  eq, ne, lt, le, gt, ge, is, is_not, in, not_in,
};
const char* to_string(Op op);  // "+", "//", "not in", ...

struct Expr {
  enum class Kind {
    absent,       // no expression (a slice's missing bound, `return` alone)
    name,         // text = identifier
    integer,      // integer = value (a literal above int64 is a parse error)
    number,       // number = value (float literal; `1e-5`, `.5`)
    string,       // text = value after escapes (adjacent literals joined; bytes as bytes);
                  // fstring = true for f-strings: text = the template, its literal
                  // parts decoded but `{{`/`}}` kept doubled, each field `{x!r:>{w}}`
                  // as written (a plain literal joined to one gets its braces doubled)
    constant,     // text = "True", "False", "None" or "..."
    attribute,    // kids[0] = object, text = attribute name
    call,         // kids[0] = callee, kids[1..] = arguments in order: plain
                  // expressions, `starred` (*a) and `keyword` (k=v, **kw)
    keyword,      // text = name ("" for **kids[0]), kids[0] = value
    starred,      // kids[0] = value (`*args`, or a starred target)
    subscript,    // kids[0] = object, kids[1] = index (a tuple for a[1, 2])
    slice,        // kids[0..2] = lower, upper, step (each maybe absent)
    binary,       // kids[0] op kids[1], op in ops[0]
    unary,        // op ops[0] applied to kids[0]
    boolean,      // kids[0] and/or kids[1] and/or ..., op in ops[0]
    compare,      // kids[0] ops[0] kids[1] ops[1] kids[2] ...
    conditional,  // kids[0] if kids[1] else kids[2]
    tuple,        // kids = elements
    list,         // kids = elements
    set,          // kids = elements
    dict,         // kids = key, value, key, value, ... (a `**d` entry: key absent)
    comprehension,  // text = "list", "set", "dict" or "generator"; kids[0] = element
                    // (dict: kids[0] = key, kids[1] = value), then one `comp_for` per clause
    comp_for,     // kids[0] = target, kids[1] = iterable, kids[2..] = `if` conditions;
                  // text = "async" for `async for`
    lambda,       // kids[0] = body, kids[1..] = parameters: `name` (x),
                  // `keyword` (x=default), `starred` (*args; text "**" for **kw;
                  // kids[0] absent for a bare `*`), `name` "/" for the positional-only marker
    walrus,       // kids[0] = target name, kids[1] = value
    await_,       // kids[0]
    yield,        // kids[0] (maybe absent); text = "from" for `yield from`
  };
  Kind kind = Kind::absent;
  Pos pos;
  std::string text;
  int64_t integer = 0;
  double number = 0;
  bool fstring = false;
  std::vector<Op> ops;
  std::vector<Expr> kids;

  bool is(Kind k) const { return kind == k; }
};

struct Param {
  // A bare `*` is var_positional with an empty name; the `/` marker is named "/".
  enum class Kind { normal, var_positional /* *args */, keyword_only, var_keyword /* **kw */, positional_only_marker };
  Kind kind = Kind::normal;
  std::string name;
  Pos pos;  // the name's (CPython's arg node), the `*` or `/` for the markers
  Expr default_value;  // Kind::absent when none
  Expr annotation;     // Kind::absent when none
};

struct Stmt {
  enum class Kind {
    expr,        // value
    assign,      // targets = every target of `a = b = value`, value
    aug_assign,  // targets[0] op= value, op
    ann_assign,  // targets[0]: annotation = value (value maybe absent)
    return_,     // value (maybe absent)
    pass, break_, continue_,
    if_,         // value = test, body, orelse (an `elif` is an if_ alone in orelse)
    for_,        // targets[0] = target, value = iterable, body, orelse
    while_,      // value = test, body, orelse
    def,         // name, params, body, decorators, annotation = return annotation
    class_,      // name, bases (keywords as Expr::keyword), body, decorators
    import,      // names = (dotted module, alias or "")
    from_import, // module (with leading dots for relative), names = (name, alias or ""); ("*", "") for *
    global, nonlocal,  // names = (name, "")
    del,         // targets
    assert_,     // value = test, annotation = message (maybe absent)
    raise,       // value (maybe absent), annotation = `from` cause (maybe absent)
    try_,        // body, handlers, orelse, finally_body
    except,      // (a handler) value = type (maybe absent), name = `as` name, body
    with,        // targets = context expressions, with_names[i] = `as` target (absent if none), body
    async_marker,  // never produced alone: `async def/for/with` set is_async on the statement
  };
  Kind kind = Kind::pass;
  Pos pos;
  int end_line = 0;  // last line of the statement (its header's for compound ones)
  std::vector<Expr> targets;
  Expr value;
  Expr annotation;
  Op op = Op::add;
  std::string name;
  std::string module;
  std::vector<std::pair<std::string, std::string>> names;
  std::vector<Param> params;
  std::vector<Expr> decorators, bases, with_names;
  std::vector<Stmt> body, orelse, handlers, finally_body;
  bool is_async = false;
};

struct Module {
  std::vector<Stmt> body;
  // The source split into lines (without their line breaks), so a message
  // can quote `line 42: x = torch.cat([x2, x1], dim=1)`.
  std::vector<std::string> lines;
};

}  // namespace convscope::import::py
