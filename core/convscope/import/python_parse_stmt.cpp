// Statements: simple ones (assignments, imports, ...) separated by `;` on a
// logical line, compound ones with an indented block or a one-line body;
// and the entry point, parse().
#include "convscope/import/python_parser.hpp"

namespace convscope::import::py {

namespace {

using Kind = Expr::Kind;

bool augmented_op(std::string_view s, Op& op) {
  struct Row {
    const char* spelling;
    Op op;
  };
  static const Row rows[] = {{"+=", Op::add},     {"-=", Op::sub},      {"*=", Op::mul},    {"@=", Op::matmul},
                             {"/=", Op::div},     {"//=", Op::floordiv}, {"%=", Op::mod},   {"**=", Op::pow},
                             {"<<=", Op::lshift}, {">>=", Op::rshift},  {"|=", Op::bit_or}, {"^=", Op::bit_xor},
                             {"&=", Op::bit_and}};
  for (const Row& r : rows)
    if (s == r.spelling) {
      op = r.op;
      return true;
    }
  return false;
}

bool is_target_kind(const Expr& e) { return e.is(Kind::name) || e.is(Kind::attribute) || e.is(Kind::subscript); }

}  // namespace

std::string ParseError::text() const {
  return "line " + std::to_string(pos.line) + ", column " + std::to_string(pos.column) + ": " + message;
}

bool parse(const std::string& source, Module& out, ParseError& error) {
  Lexed lexed;
  tokenize(source, lexed);
  out = Module{};
  Parser parser(lexed);
  if (parser.file(out.body)) {
    out.lines = std::move(lexed.lines);
    return true;
  }
  error = parser.error();
  return false;
}

const ParseError& Parser::error() const {
  if (!lx_.failed) return error_;
  if (error_token_ + 1 >= lx_.tokens.size()) return lx_.error;  // the parser reached the tokenizer's error
  if (error_.message == "unexpected indent" || error_.message == "unexpected unindent") return error_;
  switch (lx_.error_kind) {
    case LexError::replaces: return lx_.error;
    case LexError::unclosed:  // compared with where the parser stopped reading, not where it points
      return lx_.tokens[error_token_].pos.line > lx_.error.pos.line ? lx_.error : error_;
    case LexError::in_place: return error_;
  }
  return error_;
}

bool Parser::file(std::vector<Stmt>& body) {
  while (!at(Tok::end))
    if (!statement(body)) return false;
  return true;
}

bool Parser::statement(std::vector<Stmt>& out) {
  ++statements_;
  if (!within_budget()) return false;
  if (at(Tok::indent)) return fail(tok().pos, "unexpected indent");
  if (at_keyword("match") || at_keyword("async")) return soft_keyword_statement(out);
  const bool async_compound = at_keyword("async") && ahead(1).kind == Tok::name &&
                              (lx_.spelling(ahead(1)) == "def" || lx_.spelling(ahead(1)) == "for" ||
                               lx_.spelling(ahead(1)) == "with");
  if (at_op("@") || at_keyword("if") || at_keyword("while") || at_keyword("for") || at_keyword("try") ||
      at_keyword("with") || at_keyword("def") || at_keyword("class") || async_compound)
    return compound(out);
  return simple_statements(out);
}

// `match` (3.10) is recognised to be refused by name: the statement's line
// ends in `:` and its block starts with `case`. A stray `async` is an error
// at the word after it, as CPython reports.
bool Parser::soft_keyword_statement(std::vector<Stmt>& out) {
  if (at_keyword("async")) {
    const std::string_view next = lx_.spelling(ahead(1));
    if (ahead(1).kind == Tok::name && (next == "def" || next == "for" || next == "with")) return compound(out);
    advance();
    return invalid_syntax();
  }
  size_t i = p_ + 1;
  while (i < lx_.tokens.size() && lx_.tokens[i].kind != Tok::newline && lx_.tokens[i].kind != Tok::end &&
         lx_.tokens[i].kind != Tok::error)
    ++i;
  const bool is_match = i + 2 < lx_.tokens.size() && i > p_ + 1 && lx_.spelling(lx_.tokens[i - 1]) == ":" &&
                        lx_.tokens[i - 1].kind == Tok::op && lx_.tokens[i + 1].kind == Tok::indent &&
                        lx_.tokens[i + 2].kind == Tok::name && lx_.spelling(lx_.tokens[i + 2]) == "case";
  if (is_match) return fail(tok().pos, "the match statement (Python 3.10) is not supported");
  return simple_statements(out);
}

bool Parser::simple_statements(std::vector<Stmt>& out) {
  for (;;) {
    Stmt s;
    ++statements_;
    if (!simple_statement(s)) return false;
    s.end_line = end_of_previous().line;
    out.push_back(std::move(s));
    if (accept_op(";")) {
      if (!at(Tok::newline)) continue;
    } else if (!at(Tok::newline)) {
      const Stmt& last = out.back();
      if (last.kind == Stmt::Kind::expr && last.value.is(Kind::name) &&
          (last.value.text == "print" || last.value.text == "exec") && starts_expression())
        return fail(last.pos, "Missing parentheses in call to '" + last.value.text + "'. Did you mean " +
                                  last.value.text + "(...)?");
      return invalid_syntax();
    }
    advance();
    return true;
  }
}

bool Parser::simple_statement(Stmt& s) {
  s.pos = tok().pos;
  if (accept_keyword("pass")) {
    s.kind = Stmt::Kind::pass;
    return true;
  }
  if (accept_keyword("break")) {
    s.kind = Stmt::Kind::break_;
    return true;
  }
  if (accept_keyword("continue")) {
    s.kind = Stmt::Kind::continue_;
    return true;
  }
  if (accept_keyword("return")) {
    s.kind = Stmt::Kind::return_;
    return !starts_expression() || star_expressions(s.value);
  }
  if (accept_keyword("del")) {
    s.kind = Stmt::Kind::del;
    do {
      if (!s.targets.empty() && !starts_expression()) break;  // a trailing comma
      Expr target;
      if (!star_expression(target) || !check_target(target, TargetUse::del)) return false;
      s.targets.push_back(std::move(target));
    } while (accept_op(","));
    return true;
  }
  if (at_keyword("global") || at_keyword("nonlocal")) {
    s.kind = at_keyword("global") ? Stmt::Kind::global : Stmt::Kind::nonlocal;
    advance();
    do {
      std::string name;
      if (!expect_name(name)) return false;
      s.names.emplace_back(std::move(name), "");
    } while (accept_op(","));
    return true;
  }
  if (accept_keyword("assert")) {
    s.kind = Stmt::Kind::assert_;
    if (!expression(s.value)) return false;
    return !accept_op(",") || expression(s.annotation);
  }
  if (accept_keyword("raise")) {
    s.kind = Stmt::Kind::raise;
    if (!starts_expression()) return true;
    if (!expression(s.value)) return false;
    return !accept_keyword("from") || expression(s.annotation);
  }
  if (at_keyword("import")) return import_statement(s);
  if (at_keyword("from")) return from_import(s);
  return expression_statement(s);
}

bool Parser::expression_statement(Stmt& s) {
  auto rhs = [&](Expr& e) { return at_keyword("yield") ? yield_expression(e) : star_expressions(e); };
  Expr first;
  if (!rhs(first)) return false;
  if (at_op(":") && !first.is(Kind::yield)) {
    if (!starts_expression(p_ + 1)) {  // CPython names the target only before an annotation
      advance();
      return invalid_syntax();
    }
    if (first.is(Kind::tuple) || first.is(Kind::list))
      return fail(first.pos, "only single target (not " + describe(first) + ") can be annotated");
    if (!is_target_kind(first)) return fail(first.pos, "illegal target for annotation");
    advance();
    s.kind = Stmt::Kind::ann_assign;
    if (!expression(s.annotation)) return false;
    s.targets.push_back(std::move(first));
    return !accept_op("=") || rhs(s.value);
  }
  Op op;
  if (at(Tok::op) && augmented_op(spelling(), op)) {
    if (!is_target_kind(first))
      return fail(first.pos, "'" + describe(first) + "' is an illegal expression for augmented assignment");
    advance();
    s.kind = Stmt::Kind::aug_assign;
    s.op = op;
    s.targets.push_back(std::move(first));
    return rhs(s.value);
  }
  if (!at_op("=")) {
    s.kind = Stmt::Kind::expr;
    s.value = std::move(first);
    return true;
  }
  std::vector<Expr> items;
  items.push_back(std::move(first));
  while (accept_op("=")) {
    Expr next;
    if (!rhs(next)) return false;
    items.push_back(std::move(next));
  }
  s.kind = Stmt::Kind::assign;
  s.value = std::move(items.back());
  items.pop_back();
  // CPython's invalid_named_expression: `f() = 1` reads as a mistyped comparison.
  const Expr& only = items.front();
  const bool excluded = only.is(Kind::list) || only.is(Kind::tuple) || only.is(Kind::constant) ||
                        (only.is(Kind::comprehension) && only.text == "generator") || !bitwise_or_level(only);
  if (items.size() == 1 && !excluded && invalid_target(only, TargetUse::assign))
    return fail(only.pos, "cannot assign to " + describe(only) + " here. Maybe you meant '==' instead of '='?");
  for (const Expr& target : items) {
    if (target.is(Kind::yield)) return fail(target.pos, "assignment to yield expression not possible");
    if (!check_target(target, TargetUse::assign)) return false;
  }
  s.targets = std::move(items);
  return true;
}

// CPython 3.11 says "expected ':'" after def, for, try, else and finally
// headers whatever follows (`&&':'` in its grammar), after the others only
// at the end of the line.
bool Parser::colon(bool forced) {
  if (accept_op(":")) return true;
  if (forced || at(Tok::newline)) return fail(tok().pos, "expected ':'");
  return invalid_syntax();
}

// A compound statement's body: an indented block, or simple statements on
// the header's line.
bool Parser::block(std::vector<Stmt>& body, const std::string& after, int header_line) {
  if (!at(Tok::newline)) return simple_statements(body);
  advance();
  if (!at(Tok::indent))
    return fail(tok().pos, "expected an indented block after " + after + " on line " + std::to_string(header_line));
  Guard guard(*this);
  if (!guard.enter(tok().pos)) return false;
  advance();
  while (!at(Tok::dedent) && !at(Tok::end))
    if (!statement(body)) return false;
  advance();
  return true;
}

bool Parser::compound(std::vector<Stmt>& out) {
  Stmt s;
  const Pos pos = tok().pos;
  bool ok = false;
  if (at_op("@")) {
    ok = decorated(s);
  } else if (at_keyword("if")) {
    ok = if_statement(s, "if");
  } else if (at_keyword("while")) {
    ok = while_statement(s);
  } else if (at_keyword("for")) {
    ok = for_statement(s, false, pos);
  } else if (at_keyword("try")) {
    ok = try_statement(s);
  } else if (at_keyword("with")) {
    ok = with_statement(s, false, pos);
  } else if (at_keyword("def")) {
    ok = function_def(s, {}, false, pos);
  } else if (at_keyword("class")) {
    ok = class_def(s, {});
  } else {  // async def / for / with
    advance();
    if (at_keyword("def")) ok = function_def(s, {}, true, pos);
    else if (at_keyword("for")) ok = for_statement(s, true, pos);
    else ok = with_statement(s, true, pos);
  }
  if (!ok) return false;
  out.push_back(std::move(s));
  return true;
}

bool Parser::decorated(Stmt& s) {
  std::vector<Expr> decorators;
  while (accept_op("@")) {
    Expr d;
    if (!named_expression(d)) return false;
    if (!at(Tok::newline)) return invalid_syntax();
    advance();
    decorators.push_back(std::move(d));
  }
  const Pos pos = tok().pos;
  if (at_keyword("def")) return function_def(s, std::move(decorators), false, pos);
  if (at_keyword("class")) return class_def(s, std::move(decorators));
  if (at_keyword("async") && ahead(1).kind == Tok::name && lx_.spelling(ahead(1)) == "def") {
    advance();
    return function_def(s, std::move(decorators), true, pos);
  }
  return invalid_syntax();
}

bool Parser::function_def(Stmt& s, std::vector<Expr> decorators, bool is_async, Pos pos) {
  s.kind = Stmt::Kind::def;
  s.pos = pos;
  s.is_async = is_async;
  s.decorators = std::move(decorators);
  advance();  // def
  if (!expect_name(s.name)) return false;
  if (!at_op("(")) return fail(tok().pos, "expected '('");
  {
    Guard guard(*this);
    if (!guard.enter(tok().pos)) return false;
    advance();
    if (!parameters(s.params, ")", true) || !expect_op(")")) return false;
  }
  if (at_op("->") && !starts_expression(p_ + 1)) return fail(tok().pos, "expected ':'");  // `&&':'` after no annotation
  if (accept_op("->") && !expression(s.annotation)) return false;
  if (!colon(true)) return false;
  s.end_line = end_of_previous().line;
  return block(s.body, "function definition", pos.line);
}

bool Parser::parameters(std::vector<Param>& params, std::string_view close, bool annotations) {
  bool star = false, slash = false, var_keyword = false, defaults = false;
  bool bare_star = false;  // `*` with no keyword-only parameter after it yet
  Pos bare_star_pos;
  auto annotation = [&](Param& p) { return !annotations || !accept_op(":") || expression(p.annotation); };
  while (!at_op(close)) {
    Param p;
    p.pos = tok().pos;
    if (at_op("(")) return fail(p.pos, annotations ? "Function parameters cannot be parenthesized"
                                                   : "Lambda expression parameters cannot be parenthesized");
    if (var_keyword) return fail(p.pos, "arguments cannot follow var-keyword argument");
    if (accept_op("/")) {
      if (star) return fail(p.pos, "/ must be ahead of *");
      if (slash) return fail(p.pos, "/ may appear only once");
      if (params.empty()) return fail(p.pos, "at least one argument must precede /");
      slash = true;
      p.kind = Param::Kind::positional_only_marker;
      p.name = "/";
    } else if (accept_op("*")) {
      if (star) return fail(p.pos, "* argument may appear only once");
      star = true;
      p.kind = Param::Kind::var_positional;
      if (at_op(",") || at_op(close)) {
        bare_star = true;
        bare_star_pos = p.pos;
      } else {
        p.pos = tok().pos;  // a parameter's position is its name's, as in CPython's ast
        if (!expect_name(p.name) || !annotation(p)) return false;
        if (at_op("=")) return fail(tok().pos, "var-positional argument cannot have default value");
      }
    } else if (accept_op("**")) {
      if (bare_star) return fail(bare_star_pos, "named arguments must follow bare *");
      p.kind = Param::Kind::var_keyword;
      var_keyword = true;
      p.pos = tok().pos;
      if (!expect_name(p.name) || !annotation(p)) return false;
      if (at_op("=")) return fail(tok().pos, "var-keyword argument cannot have default value");
    } else {
      p.kind = star ? Param::Kind::keyword_only : Param::Kind::normal;
      if (!expect_name(p.name) || !annotation(p)) return false;
      if (accept_op("=")) {
        if (at_op(",") || at_op(close)) return fail(end_of_previous_start(), "expected default value expression");
        if (!expression(p.default_value)) return false;
        defaults = defaults || !star;
      } else if (defaults && !star) {
        return fail(p.pos, "non-default argument follows default argument");
      }
      bare_star = false;
    }
    params.push_back(std::move(p));
    if (!accept_op(",")) break;
  }
  if (bare_star) return fail(bare_star_pos, "named arguments must follow bare *");
  return true;
}

bool Parser::class_def(Stmt& s, std::vector<Expr> decorators) {
  s.kind = Stmt::Kind::class_;
  s.pos = tok().pos;
  s.decorators = std::move(decorators);
  advance();  // class
  if (!expect_name(s.name)) return false;
  if (at_op("(")) {
    Guard guard(*this);
    if (!guard.enter(tok().pos)) return false;
    advance();
    if (!call_arguments(s.bases, ")")) return false;
  }
  if (!colon()) return false;
  s.end_line = end_of_previous().line;
  return block(s.body, "class definition", s.pos.line);
}

// An `elif` is an if_ alone in orelse: a chain nests, so it counts towards max_depth.
bool Parser::if_statement(Stmt& s, const char* keyword) {
  s.kind = Stmt::Kind::if_;
  s.pos = tok().pos;
  advance();
  if (!named_expression(s.value) || !colon()) return false;
  s.end_line = end_of_previous().line;
  if (!block(s.body, std::string("'") + keyword + "' statement", s.pos.line)) return false;
  if (at_keyword("elif")) {
    Guard guard(*this);
    if (!guard.enter(tok().pos)) return false;
    Stmt next;
    if (!if_statement(next, "elif")) return false;
    s.orelse.push_back(std::move(next));
  } else if (at_keyword("else")) {
    const int line = tok().pos.line;
    advance();
    if (!colon(true) || !block(s.orelse, "'else' statement", line)) return false;
  }
  return true;
}

bool Parser::while_statement(Stmt& s) {
  s.kind = Stmt::Kind::while_;
  s.pos = tok().pos;
  advance();
  if (!named_expression(s.value) || !colon()) return false;
  s.end_line = end_of_previous().line;
  if (!block(s.body, "'while' statement", s.pos.line)) return false;
  if (!at_keyword("else")) return true;
  const int line = tok().pos.line;
  advance();
  return colon(true) && block(s.orelse, "'else' statement", line);
}

bool Parser::for_statement(Stmt& s, bool is_async, Pos pos) {
  s.kind = Stmt::Kind::for_;
  s.pos = pos;
  s.is_async = is_async;
  const int line = tok().pos.line;
  advance();  // for
  Expr target;
  if (!target_list(target, "in")) return false;
  s.targets.push_back(std::move(target));
  if (!accept_keyword("in")) return invalid_syntax();
  if (!star_expressions(s.value) || !colon(true)) return false;
  s.end_line = end_of_previous().line;
  if (!block(s.body, "'for' statement", line)) return false;
  if (!at_keyword("else")) return true;
  const int else_line = tok().pos.line;
  advance();
  return colon(true) && block(s.orelse, "'else' statement", else_line);
}

bool Parser::with_statement(Stmt& s, bool is_async, Pos pos) {
  s.kind = Stmt::Kind::with;
  s.pos = pos;
  s.is_async = is_async;
  const int line = tok().pos.line;
  advance();  // with
  // `with (a as b, c):` (3.9+) is tried first, as CPython's grammar does;
  // when it does not parse, the parenthesis belongs to an expression:
  // `with (a, b) as c:`, `with (yield x):`. One retry per statement.
  bool done = false;
  if (at_op("(")) {
    const size_t mark = p_;
    {
      Guard guard(*this);
      if (!guard.enter(tok().pos)) return false;
      advance();
      done = with_items(s, true) && accept_op(")") && at_op(":");
    }
    if (!done) {
      p_ = mark;
      failed_ = false;
      read_ahead_ = 0;
      s.targets.clear();
      s.with_names.clear();
    }
  }
  if (!done && !with_items(s, false)) return false;
  if (!colon()) return false;
  s.end_line = end_of_previous().line;
  return block(s.body, "'with' statement", line);
}

bool Parser::with_items(Stmt& s, bool parenthesised) {
  do {
    if (parenthesised && at_op(")") && !s.targets.empty()) break;
    Expr context, target;
    if (!expression(context)) return false;
    if (accept_keyword("as")) {
      if (!target_item(target) || !check_target(target, TargetUse::assign)) return false;
    }
    s.targets.push_back(std::move(context));
    s.with_names.push_back(std::move(target));
  } while (accept_op(","));
  return true;
}

bool Parser::try_statement(Stmt& s) {
  s.kind = Stmt::Kind::try_;
  s.pos = tok().pos;
  advance();
  if (!colon(true)) return false;
  s.end_line = end_of_previous().line;
  if (!block(s.body, "'try' statement", s.pos.line)) return false;
  while (at_keyword("except")) {
    Stmt handler;
    handler.kind = Stmt::Kind::except;
    handler.pos = tok().pos;
    advance();
    if (at_op("*")) return fail(tok().pos, "except* (exception groups) is not supported");
    if (!at_op(":")) {
      if (!expression(handler.value)) return false;
      if (at_op(",")) return fail(handler.value.pos, "multiple exception types must be parenthesized");
      if (accept_keyword("as") && !expect_name(handler.name)) return false;
    }
    if (!colon()) return false;
    handler.end_line = end_of_previous().line;
    if (!block(handler.body, "'except' statement", handler.pos.line)) return false;
    s.handlers.push_back(std::move(handler));
  }
  if (!s.handlers.empty() && at_keyword("else")) {
    const int line = tok().pos.line;
    advance();
    if (!colon(true) || !block(s.orelse, "'else' statement", line)) return false;
  }
  if (at_keyword("finally")) {
    const int line = tok().pos.line;
    advance();
    return colon(true) && block(s.finally_body, "'finally' statement", line);
  }
  if (s.handlers.empty()) return fail(tok().pos, "expected 'except' or 'finally' block");
  return true;
}

bool Parser::dotted_name(std::string& out) {
  if (!expect_name(out)) return false;
  while (accept_op(".")) {
    std::string part;
    if (!expect_name(part)) return false;
    out += "." + part;
  }
  return true;
}

bool Parser::import_statement(Stmt& s) {
  s.kind = Stmt::Kind::import;
  advance();
  do {
    std::string module, alias;
    if (!dotted_name(module)) return false;
    if (accept_keyword("as") && !expect_name(alias)) return false;
    s.names.emplace_back(std::move(module), std::move(alias));
  } while (accept_op(","));
  return true;
}

bool Parser::from_import(Stmt& s) {
  s.kind = Stmt::Kind::from_import;
  advance();
  while (at_op(".") || at_op("...")) {
    s.module += spelling();
    advance();
  }
  if (at_name()) {
    std::string name;
    if (!dotted_name(name)) return false;
    s.module += name;
  }
  if (s.module.empty() || !accept_keyword("import")) return invalid_syntax();
  if (accept_op("*")) {
    s.names.emplace_back("*", "");
    return true;
  }
  const bool parenthesised = at_op("(");
  Guard guard(*this);
  if (parenthesised) {
    if (!guard.enter(tok().pos)) return false;
    advance();
  }
  do {
    if (parenthesised && at_op(")") && !s.names.empty()) break;
    if (!parenthesised && !s.names.empty() && (at(Tok::newline) || at_op(";")))
      return fail(tok().pos, "trailing comma not allowed without surrounding parentheses");
    std::string name, alias;
    if (!expect_name(name)) return false;
    if (accept_keyword("as") && !expect_name(alias)) return false;
    s.names.emplace_back(std::move(name), std::move(alias));
  } while (accept_op(","));
  return !parenthesised || expect_op(")");
}

}  // namespace convscope::import::py
