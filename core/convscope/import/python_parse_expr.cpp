// Expressions, by Python's precedence (lowest first): lambda, conditional,
// or, and, not, comparisons, | ^ & << >> + - * / // % @ (one precedence-
// climbing function), unary, **, await, primaries (attribute, call,
// subscript), atoms.
#include <cstring>

#include "convscope/import/python_literals.hpp"
#include "convscope/import/python_parser.hpp"

namespace convscope::import::py {

namespace {

using Kind = Expr::Kind;

const char* const kKeywords[] = {"False", "None",   "True",    "and",      "as",     "assert", "async", "await",
                                 "break", "class",  "continue", "def",     "del",    "elif",   "else",  "except",
                                 "finally", "for",  "from",    "global",   "if",     "import", "in",    "is",
                                 "lambda", "nonlocal", "not",  "or",       "pass",   "raise",  "return", "try",
                                 "while", "with",   "yield"};

bool is_keyword(std::string_view word) {
  for (const char* k : kKeywords)
    if (word == k) return true;
  return false;
}

Expr make(Kind kind, Pos pos) {
  Expr e;
  e.kind = kind;
  e.pos = pos;
  return e;
}

Expr make(Kind kind, Pos pos, Expr kid) {
  Expr e = make(kind, pos);
  e.kids.push_back(std::move(kid));
  return e;
}

// Binding power of a binary operator token, 0 when it is not one.
int precedence(std::string_view op, Op& out) {
  if (op.size() == 1) {
    switch (op[0]) {
      case '|': out = Op::bit_or; return 1;
      case '^': out = Op::bit_xor; return 2;
      case '&': out = Op::bit_and; return 3;
      case '+': out = Op::add; return 5;
      case '-': out = Op::sub; return 5;
      case '*': out = Op::mul; return 6;
      case '/': out = Op::div; return 6;
      case '%': out = Op::mod; return 6;
      case '@': out = Op::matmul; return 6;
      default: return 0;
    }
  }
  if (op == "<<") return out = Op::lshift, 4;
  if (op == ">>") return out = Op::rshift, 4;
  if (op == "//") return out = Op::floordiv, 6;
  return 0;
}

}  // namespace

const char* to_string(Op op) {
  switch (op) {
    case Op::add: case Op::pos: return "+";
    case Op::sub: case Op::neg: return "-";
    case Op::mul: return "*";
    case Op::matmul: return "@";
    case Op::div: return "/";
    case Op::floordiv: return "//";
    case Op::mod: return "%";
    case Op::pow: return "**";
    case Op::lshift: return "<<";
    case Op::rshift: return ">>";
    case Op::bit_or: return "|";
    case Op::bit_xor: return "^";
    case Op::bit_and: return "&";
    case Op::invert: return "~";
    case Op::not_: return "not";
    case Op::and_: return "and";
    case Op::or_: return "or";
    case Op::eq: return "==";
    case Op::ne: return "!=";
    case Op::lt: return "<";
    case Op::le: return "<=";
    case Op::gt: return ">";
    case Op::ge: return ">=";
    case Op::is: return "is";
    case Op::is_not: return "is not";
    case Op::in: return "in";
    case Op::not_in: return "not in";
  }
  return "?";
}

bool Parser::Guard::enter(Pos pos) {
  if (parser_.depth_ >= max_depth) return parser_.fail(pos, "nesting deeper than " + std::to_string(max_depth) + " levels");
  ++parser_.depth_;
  entered_ = true;
  return true;
}

bool Parser::Chain::link(Pos pos) {
  if (parser_.depth_ >= max_depth) return parser_.fail(pos, "nesting deeper than " + std::to_string(max_depth) + " levels");
  ++parser_.depth_;
  ++links_;
  return true;
}

bool Parser::within_budget() {
  if (p_ + 9 * statements_ <= max_units) return true;
  return fail(tok().pos, too_large);
}

const Token& Parser::ahead(size_t n) const {
  const size_t i = p_ + n < lx_.tokens.size() ? p_ + n : lx_.tokens.size() - 1;
  return lx_.tokens[i];
}

bool Parser::at_name() const { return tok().kind == Tok::name && !is_keyword(spelling()); }

bool Parser::fail(Pos pos, std::string message) {
  if (!failed_) {
    failed_ = true;
    error_ = {pos, std::move(message)};
    error_token_ = p_ > read_ahead_ ? p_ : read_ahead_;
  }
  return false;
}

// At the token where the parse fails, except that CPython has read one
// further after an operand and `not` (expecting `not in`).
bool Parser::invalid_syntax() {
  if (at_keyword("not") && p_ > 0 && lx_.spelling(ahead(1)) != "in") {
    const Token& before = lx_.tokens[p_ - 1];
    const std::string_view b = lx_.spelling(before);
    const bool operand_end = (before.kind == Tok::name && (!is_keyword(b) || b == "True" || b == "False" || b == "None")) ||
                             before.kind == Tok::number || before.kind == Tok::string ||
                             (before.kind == Tok::op && (b == ")" || b == "]" || b == "}"));
    if (operand_end) return fail(ahead(1).pos, "invalid syntax");
  }
  // CPython's generic error on an INDENT or DEDENT token
  if (at(Tok::indent)) return fail(tok().pos, "unexpected indent");
  if (at(Tok::dedent)) return fail(tok().pos, "unexpected unindent");
  return fail(tok().pos, "invalid syntax");
}

bool Parser::expect_op(std::string_view op) {
  if (accept_op(op)) return true;
  return invalid_syntax();
}

bool Parser::expect_name(std::string& name) {
  if (!at_name()) return invalid_syntax();
  name = std::string(spelling());
  advance();
  return true;
}

bool Parser::starts_expression() const { return starts_expression(p_); }

bool Parser::starts_expression(size_t token) const {
  const Token& t = lx_.tokens[token < lx_.tokens.size() ? token : lx_.tokens.size() - 1];
  switch (t.kind) {
    case Tok::name: {
      const std::string_view w = lx_.spelling(t);
      return !is_keyword(w) || w == "True" || w == "False" || w == "None" || w == "not" || w == "lambda" || w == "await";
    }
    case Tok::number:
    case Tok::string: return true;
    case Tok::op: {
      const std::string_view o = lx_.spelling(t);
      return o == "(" || o == "[" || o == "{" || o == "-" || o == "+" || o == "~" || o == "*" || o == "...";
    }
    default: return false;
  }
}

bool Parser::star_expressions(Expr& out) {
  const Pos start = tok().pos;  // a node starts where its first token does, a parenthesis included
  Expr first;
  if (!star_expression(first)) return false;
  if (!at_op(",")) {
    out = std::move(first);
    return true;
  }
  Expr tuple = make(Kind::tuple, start, std::move(first));
  while (accept_op(",")) {
    if (!starts_expression()) break;
    Expr e;
    if (!star_expression(e)) return false;
    tuple.kids.push_back(std::move(e));
  }
  out = std::move(tuple);
  return true;
}

bool Parser::star_expression(Expr& out) {
  if (!at_op("*")) return expression(out);
  const Pos pos = tok().pos;
  advance();
  Expr value;
  if (!binary(value, 1)) return false;
  out = make(Kind::starred, pos, std::move(value));
  return true;
}

bool Parser::star_named_expression(Expr& out) {
  if (!at_op("*")) return named_expression(out);
  return star_expression(out);
}

bool Parser::named_expression(Expr& out) {
  if (at_name() && ahead(1).kind == Tok::op && lx_.spelling(ahead(1)) == ":=") {
    Expr target = make(Kind::name, tok().pos);
    target.text = std::string(spelling());
    advance();
    advance();
    Guard guard(*this);
    if (!guard.enter(tok().pos)) return false;
    Expr value;
    if (!expression(value)) return false;
    out = make(Kind::walrus, target.pos, std::move(target));
    out.kids.push_back(std::move(value));
    return true;
  }
  const Pos start = tok().pos;
  if (!expression(out)) return false;
  if (at_op(":=")) return fail(start, "cannot use assignment expressions with " + describe(out));
  if (at_op("=") && bitwise_or_level(out)) {  // CPython's invalid_named_expression: `if x = 1:`
    if (out.is(Kind::name)) {
      if (bitwise_or_follows()) return fail(start, "invalid syntax. Maybe you meant '==' or ':=' instead of '='?");
      return true;
    }
    const bool excluded = out.is(Kind::list) || out.is(Kind::tuple) || out.is(Kind::constant) ||
                          (out.is(Kind::comprehension) && out.text == "generator");
    if (!excluded && bitwise_or_follows())  // assignable or not: `[x[0] = 1]` reads as a mistyped `==` too
      return fail(start, "cannot assign to " + describe(out) + " here. Maybe you meant '==' instead of '='?");
  }
  return true;
}

bool Parser::expression(Expr& out) {
  if (at_keyword("lambda")) return lambda(out);
  const Pos start = tok().pos;
  Expr body;
  if (!disjunction(body)) return false;
  if (!at_keyword("if")) {
    out = std::move(body);
    return true;
  }
  advance();
  Expr test;
  if (!disjunction(test)) return false;
  if (!accept_keyword("else")) {
    if (at_op(":")) return invalid_syntax();
    return fail(start, "expected 'else' after 'if' expression");
  }
  Guard guard(*this);
  if (!guard.enter(tok().pos)) return false;
  Expr orelse;
  if (!expression(orelse)) return false;
  out = make(Kind::conditional, start, std::move(body));
  out.kids.push_back(std::move(test));
  out.kids.push_back(std::move(orelse));
  return true;
}

bool Parser::disjunction(Expr& out) {
  const Pos start = tok().pos;
  if (!conjunction(out)) return false;
  if (!at_keyword("or")) return true;
  Expr node = make(Kind::boolean, start, std::move(out));
  node.ops.push_back(Op::or_);
  while (accept_keyword("or")) {
    Expr e;
    if (!conjunction(e)) return false;
    node.kids.push_back(std::move(e));
  }
  out = std::move(node);
  return true;
}

bool Parser::conjunction(Expr& out) {
  const Pos start = tok().pos;
  if (!inversion(out)) return false;
  if (!at_keyword("and")) return true;
  Expr node = make(Kind::boolean, start, std::move(out));
  node.ops.push_back(Op::and_);
  while (accept_keyword("and")) {
    Expr e;
    if (!inversion(e)) return false;
    node.kids.push_back(std::move(e));
  }
  out = std::move(node);
  return true;
}

bool Parser::inversion(Expr& out) {
  if (!at_keyword("not")) return comparison(out);
  const Pos pos = tok().pos;
  advance();
  Guard guard(*this);
  if (!guard.enter(pos)) return false;
  Expr operand;
  if (!inversion(operand)) return false;
  out = make(Kind::unary, pos, std::move(operand));
  out.ops.push_back(Op::not_);
  return true;
}

bool Parser::comparison(Expr& out) {
  const Pos start = tok().pos;
  if (!binary(out, 1)) return false;
  Expr node;
  for (;;) {
    Op op;
    size_t length = 1;
    const std::string_view s = spelling();
    if (at(Tok::op) && s == "==") op = Op::eq;
    else if (at(Tok::op) && s == "!=") op = Op::ne;
    else if (at(Tok::op) && s == "<") op = Op::lt;
    else if (at(Tok::op) && s == "<=") op = Op::le;
    else if (at(Tok::op) && s == ">") op = Op::gt;
    else if (at(Tok::op) && s == ">=") op = Op::ge;
    else if (at_keyword("in")) op = Op::in;
    else if (at_keyword("not") && ahead(1).kind == Tok::name && lx_.spelling(ahead(1)) == "in") op = Op::not_in, length = 2;
    else if (at_keyword("is") && ahead(1).kind == Tok::name && lx_.spelling(ahead(1)) == "not") op = Op::is_not, length = 2;
    else if (at_keyword("is")) op = Op::is;
    else break;
    for (size_t k = 0; k < length; ++k) advance();
    if (node.kids.empty()) node = make(Kind::compare, start, std::move(out));
    node.ops.push_back(op);
    Expr right;
    if (!binary(right, 1)) return false;
    node.kids.push_back(std::move(right));
  }
  if (!node.kids.empty()) out = std::move(node);
  return true;
}

bool Parser::binary(Expr& out, int min_precedence) {
  const Pos start = tok().pos;
  if (!factor(out)) return false;
  Chain chain(*this);
  for (;;) {
    Op op;
    const int prec = at(Tok::op) ? precedence(spelling(), op) : 0;
    if (prec == 0 || prec < min_precedence) return true;
    if (!chain.link(tok().pos)) return false;
    advance();
    Expr right;
    if (!binary(right, prec + 1)) return false;
    Expr node = make(Kind::binary, start, std::move(out));
    node.kids.push_back(std::move(right));
    node.ops.push_back(op);
    out = std::move(node);
  }
}

bool Parser::factor(Expr& out) {
  Op op;
  if (at_op("-")) op = Op::neg;
  else if (at_op("+")) op = Op::pos;
  else if (at_op("~")) op = Op::invert;
  else return power(out);
  const Pos pos = tok().pos;
  advance();
  Guard guard(*this);
  if (!guard.enter(pos)) return false;
  Expr operand;
  if (!factor(operand)) return false;
  out = make(Kind::unary, pos, std::move(operand));
  out.ops.push_back(op);
  return true;
}

bool Parser::power(Expr& out) {
  const Pos start = tok().pos;
  if (!await_primary(out)) return false;
  if (!at_op("**")) return true;
  const Pos pos = tok().pos;
  advance();
  Guard guard(*this);
  if (!guard.enter(pos)) return false;
  Expr exponent;
  if (!factor(exponent)) return false;
  Expr node = make(Kind::binary, start, std::move(out));
  node.kids.push_back(std::move(exponent));
  node.ops.push_back(Op::pow);
  out = std::move(node);
  return true;
}

bool Parser::await_primary(Expr& out) {
  if (!at_keyword("await")) return primary(out);
  const Pos pos = tok().pos;
  advance();
  Guard guard(*this);
  if (!guard.enter(pos)) return false;
  Expr operand;
  if (!primary(operand)) return false;
  out = make(Kind::await_, pos, std::move(operand));
  return true;
}

bool Parser::primary(Expr& out) {
  const Pos start = tok().pos;
  if (!atom(out)) return false;
  Chain chain(*this);
  for (;;) {
    if ((at_op(".") || at_op("(") || at_op("[")) && !chain.link(tok().pos)) return false;
    if (accept_op(".")) {
      if (!at_name()) return invalid_syntax();
      Expr node = make(Kind::attribute, start, std::move(out));
      node.text = std::string(spelling());
      advance();
      out = std::move(node);
    } else if (at_op("(")) {
      Guard guard(*this);
      if (!guard.enter(tok().pos)) return false;
      advance();
      Expr node = make(Kind::call, start, std::move(out));
      if (!call_arguments(node.kids, ")")) return false;
      out = std::move(node);
    } else if (at_op("[")) {
      Guard guard(*this);
      if (!guard.enter(tok().pos)) return false;
      advance();
      Expr index;
      if (!subscript(index) || !expect_op("]")) return false;
      Expr node = make(Kind::subscript, start, std::move(out));
      node.kids.push_back(std::move(index));
      out = std::move(node);
    } else {
      return true;
    }
  }
}

bool Parser::atom(Expr& out) {
  const Pos pos = tok().pos;
  if (!within_budget()) return false;
  switch (tok().kind) {
    case Tok::name: {
      const std::string_view w = spelling();
      if (w == "True" || w == "False" || w == "None") {
        out = make(Kind::constant, pos);
        out.text = std::string(w);
        advance();
        return true;
      }
      if (is_keyword(w)) return invalid_syntax();
      out = make(Kind::name, pos);
      out.text = std::string(w);
      advance();
      return true;
    }
    case Tok::number: return number(out);
    case Tok::string: return strings(out);
    case Tok::op:
      if (at_op("(")) return parenthesised(out);
      if (at_op("[")) return list_display(out);
      if (at_op("{")) return brace_display(out);
      if (at_op("...")) {
        out = make(Kind::constant, pos);
        out.text = "...";
        advance();
        return true;
      }
      return invalid_syntax();
    default: return invalid_syntax();
  }
}

bool Parser::number(Expr& out) {
  std::string message;
  out = make(Kind::integer, tok().pos);
  if (!read_number(spelling(), out, message)) return fail(tok().pos, message);
  advance();
  return true;
}

// Adjacent literals, joined; CPython puts their errors after the literal.
bool Parser::strings(Expr& out) {
  out = make(Kind::string, tok().pos);
  std::vector<StringLiteral> parts;
  bool bytes = false, text = false, fstring = false;
  while (at(Tok::string)) {
    StringLiteral part;
    std::string message;
    if (!read_string(spelling(), part, message)) return fail(tok().end, message);
    (part.bytes ? bytes : text) = true;
    fstring = fstring || part.fstring;
    if (bytes && text) return fail(tok().end, "cannot mix bytes and nonbytes literals");
    parts.push_back(std::move(part));
    advance();
  }
  out.fstring = fstring;
  for (const StringLiteral& part : parts) {
    if (!fstring || part.fstring) {
      out.text += part.value;
      continue;
    }
    for (char c : part.value) {  // a plain part inside an f-string template: braces doubled
      out.text += c;
      if (c == '{' || c == '}') out.text += c;
    }
  }
  return true;
}

bool Parser::comma_or_close(const Expr& item, std::string_view close) {
  if (at_op(",") || at_op(close)) return true;
  // CPython's invalid_expression inside brackets: two expressions in a row.
  const bool simple_item = !item.is(Kind::starred) && !item.is(Kind::lambda) && !item.is(Kind::conditional) &&
                           !item.is(Kind::walrus) && !item.is(Kind::comprehension);
  const bool legacy = item.is(Kind::name) && (item.text == "print" || item.text == "exec");
  const bool name_then_string = item.is(Kind::name) && at(Tok::string);
  const bool next_starts = starts_expression() && !at_op("-") && !at_op("+") && !at_op("*") && !at_op("~") &&
                           !at_op("(") && !at_op("[");
  if (simple_item && !legacy && !name_then_string && next_starts)
    return fail(item.pos, "invalid syntax. Perhaps you forgot a comma?");
  return invalid_syntax();
}

bool Parser::parenthesised(Expr& out) {
  const Pos pos = tok().pos;
  Guard guard(*this);
  if (!guard.enter(pos)) return false;
  advance();
  if (accept_op(")")) {
    out = make(Kind::tuple, pos);
    return true;
  }
  if (at_keyword("yield")) return yield_expression(out) && expect_op(")");
  Expr first;
  if (!star_named_expression(first)) return false;
  if (at_keyword("for") || (at_keyword("async") && lx_.spelling(ahead(1)) == "for")) {
    if (first.is(Kind::starred)) return fail(first.pos, "iterable unpacking cannot be used in comprehension");
    out = make(Kind::comprehension, pos, std::move(first));
    out.text = "generator";
    return comprehension_clauses(out) && expect_op(")");
  }
  if (accept_op(")")) {
    if (first.is(Kind::starred)) return fail(first.pos, "cannot use starred expression here");
    out = std::move(first);
    return true;
  }
  if (!comma_or_close(first, ")")) return false;
  out = make(Kind::tuple, pos, std::move(first));
  while (accept_op(",")) {
    if (at_op(")")) break;
    Expr e;
    if (!star_named_expression(e) || !comma_or_close(e, ")")) return false;
    out.kids.push_back(std::move(e));
  }
  return expect_op(")");
}

bool Parser::list_display(Expr& out) {
  const Pos pos = tok().pos;
  Guard guard(*this);
  if (!guard.enter(pos)) return false;
  advance();
  out = make(Kind::list, pos);
  if (accept_op("]")) return true;
  Expr first;
  if (!star_named_expression(first)) return false;
  if (at_keyword("for") || (at_keyword("async") && lx_.spelling(ahead(1)) == "for")) {
    if (first.is(Kind::starred)) return fail(first.pos, "iterable unpacking cannot be used in comprehension");
    out = make(Kind::comprehension, pos, std::move(first));
    out.text = "list";
    return comprehension_clauses(out) && expect_op("]");
  }
  if (!comma_or_close(first, "]")) return false;
  out.kids.push_back(std::move(first));
  while (accept_op(",")) {
    if (at_op("]")) break;
    Expr e;
    if (!star_named_expression(e) || !comma_or_close(e, "]")) return false;
    out.kids.push_back(std::move(e));
  }
  return expect_op("]");
}

bool Parser::brace_display(Expr& out) {
  const Pos pos = tok().pos;
  Guard guard(*this);
  if (!guard.enter(pos)) return false;
  advance();
  out = make(Kind::dict, pos);
  if (accept_op("}")) return true;
  auto at_for = [&] { return at_keyword("for") || (at_keyword("async") && lx_.spelling(ahead(1)) == "for"); };
  // A dict entry: `key: value` or `**mapping` (key absent).
  auto entry = [&](Expr& key, Expr& value) {
    if (at_op("**")) {
      const Pos star = tok().pos;
      advance();
      key = make(Kind::absent, star);
      return binary(value, 1);
    }
    if (!expression(key)) return false;
    if (!accept_op(":")) {
      if (at_op(",") || at_op("}")) return fail(key.pos, "':' expected after dictionary key");
      return invalid_syntax();
    }
    if (at_op(",") || at_op("}")) return fail(end_of_previous_start(), "expression expected after dictionary key and ':'");
    return expression(value);
  };
  const bool starts_dict = at_op("**");
  Expr first;
  if (!starts_dict && !star_named_expression(first)) return false;
  if (starts_dict || at_op(":")) {
    Expr key, value;
    if (starts_dict) {
      if (!entry(key, value)) return false;
      if (at_for()) return fail(key.pos, "dict unpacking cannot be used in dict comprehension");
    } else {
      if (first.is(Kind::starred) || first.is(Kind::walrus)) return invalid_syntax();
      advance();
      if (at_op(",") || at_op("}")) return fail(end_of_previous_start(), "expression expected after dictionary key and ':'");
      key = std::move(first);
      if (!expression(value)) return false;
      if (at_for()) {
        out = make(Kind::comprehension, pos, std::move(key));
        out.kids.push_back(std::move(value));
        out.text = "dict";
        return comprehension_clauses(out) && expect_op("}");
      }
    }
    if (!comma_or_close(value, "}")) return false;
    out.kids.push_back(std::move(key));
    out.kids.push_back(std::move(value));
    while (accept_op(",")) {
      if (at_op("}")) break;
      Expr k, v;
      if (!entry(k, v) || !comma_or_close(v, "}")) return false;
      out.kids.push_back(std::move(k));
      out.kids.push_back(std::move(v));
    }
    return expect_op("}");
  }
  if (at_for()) {
    if (first.is(Kind::starred)) return fail(first.pos, "iterable unpacking cannot be used in comprehension");
    out = make(Kind::comprehension, pos, std::move(first));
    out.text = "set";
    return comprehension_clauses(out) && expect_op("}");
  }
  out = make(Kind::set, pos);
  if (!comma_or_close(first, "}")) return false;
  out.kids.push_back(std::move(first));
  while (accept_op(",")) {
    if (at_op("}")) break;
    Expr e;
    if (!star_named_expression(e) || !comma_or_close(e, "}")) return false;
    out.kids.push_back(std::move(e));
  }
  return expect_op("}");
}

bool Parser::comprehension_clauses(Expr& comp) {
  while (at_keyword("for") || (at_keyword("async") && lx_.spelling(ahead(1)) == "for")) {
    Expr clause = make(Kind::comp_for, tok().pos);
    if (accept_keyword("async")) clause.text = "async";
    advance();  // for
    Expr target, iterable;
    if (!target_list(target, "in")) return false;
    if (!at_keyword("in")) return comma_or_close(target, "in");  // `for i n x` inside brackets: CPython's comma hint
    advance();
    if (!disjunction(iterable)) return false;
    clause.kids.push_back(std::move(target));
    clause.kids.push_back(std::move(iterable));
    while (accept_keyword("if")) {
      Expr condition;
      if (!disjunction(condition)) return false;
      clause.kids.push_back(std::move(condition));
    }
    comp.kids.push_back(std::move(clause));
  }
  return true;
}

bool Parser::call_arguments(std::vector<Expr>& args, std::string_view close) {
  const size_t first = args.size();
  const Pos open = p_ > 0 ? lx_.tokens[p_ - 1].pos : tok().pos;  // the `(`: a sole generator starts there
  bool keyword = false, keyword_unpacking = false;
  const char* misplaced = nullptr;  // CPython reports these at the closing parenthesis
  while (!at_op(close)) {
    const Pos pos = tok().pos;
    Expr arg;
    if (accept_op("*")) {
      Expr value;
      if (!expression(value)) return false;
      if (keyword_unpacking)
        return fail(args[first].pos, "iterable argument unpacking follows keyword argument unpacking");
      arg = make(Kind::starred, pos, std::move(value));
    } else if (accept_op("**")) {
      Expr value;
      if (!expression(value)) return false;
      arg = make(Kind::keyword, pos, std::move(value));
      keyword_unpacking = true;
    } else if (ahead(1).kind == Tok::op && lx_.spelling(ahead(1)) == "=" &&
               (at_keyword("True") || at_keyword("False") || at_keyword("None"))) {
      return fail(pos, "cannot assign to " + std::string(spelling()));
    } else if (at_name() && ahead(1).kind == Tok::op && lx_.spelling(ahead(1)) == "=") {
      arg = make(Kind::keyword, pos);
      arg.text = std::string(spelling());
      advance();
      advance();
      Expr value;
      if (!expression(value)) return false;
      arg.kids.push_back(std::move(value));
      keyword = true;
    } else {
      const bool walrus = at_name() && ahead(1).kind == Tok::op && lx_.spelling(ahead(1)) == ":=";
      if (!(walrus ? named_expression(arg) : expression(arg))) return false;
      if (at_op("=")) return fail(arg.pos, "expression cannot contain assignment, perhaps you meant \"==\"?");
      if (at_keyword("for") || (at_keyword("async") && lx_.spelling(ahead(1)) == "for")) {
        const Pos at = arg.pos;
        Expr comp = make(Kind::comprehension, open, std::move(arg));
        comp.text = "generator";
        if (!comprehension_clauses(comp)) return false;
        if (args.size() > first || !at_op(close)) {
          if (!at_op(",")) return comma_or_close(comp, close);
          return fail(at, "Generator expression must be parenthesized");
        }
        arg = std::move(comp);
      }
      if (!misplaced && keyword_unpacking) misplaced = "positional argument follows keyword argument unpacking";
      else if (!misplaced && keyword) misplaced = "positional argument follows keyword argument";
    }
    args.push_back(std::move(arg));
    if (accept_op(",")) continue;
    const Expr& last = args.back();  // CPython's comma hint points at a keyword's or a star's value
    if (!comma_or_close((last.is(Kind::keyword) || last.is(Kind::starred)) ? last.kids[0] : last, close)) return false;
  }
  if (misplaced) return fail(tok().pos, misplaced);
  advance();
  return true;
}

bool Parser::subscript(Expr& index) {
  const Pos start = tok().pos;
  Expr first;
  if (!slice_item(first) || !comma_or_close(first, "]")) return false;
  if (!at_op(",") && !first.is(Kind::starred)) {  // `a[*b]` is a[(*b,)]
    index = std::move(first);
    return true;
  }
  index = make(Kind::tuple, start, std::move(first));
  while (accept_op(",")) {
    if (at_op("]")) break;
    Expr e;
    if (!slice_item(e) || !comma_or_close(e, "]")) return false;
    index.kids.push_back(std::move(e));
  }
  return true;
}

bool Parser::slice_item(Expr& out) {
  if (at_op("*")) return star_expression(out);
  const Pos pos = tok().pos;
  Expr lower;
  if (!at_op(":")) {
    if (!named_expression(lower)) return false;
    if (!at_op(":")) {
      out = std::move(lower);
      return true;
    }
  }
  advance();  // :
  Expr upper, step;
  auto bound_follows = [&] { return !at_op(":") && !at_op("]") && !at_op(","); };
  if (bound_follows() && !expression(upper)) return false;
  if (accept_op(":") && bound_follows() && !expression(step)) return false;
  out = make(Kind::slice, pos);
  out.kids.push_back(std::move(lower));
  out.kids.push_back(std::move(upper));
  out.kids.push_back(std::move(step));
  return true;
}

bool Parser::lambda(Expr& out) {
  const Pos pos = tok().pos;
  Guard guard(*this);
  if (!guard.enter(pos)) return false;
  advance();
  std::vector<Param> params;
  if (!parameters(params, ":", false)) return false;
  if (!expect_op(":")) return false;
  Expr body;
  if (!expression(body)) return false;
  out = make(Kind::lambda, pos, std::move(body));
  for (Param& p : params) {
    Expr name = make(Kind::name, p.pos);
    name.text = p.name;
    switch (p.kind) {
      case Param::Kind::normal:
      case Param::Kind::keyword_only:
        if (p.default_value.is(Kind::absent)) {
          out.kids.push_back(std::move(name));
        } else {
          Expr kw = make(Kind::keyword, p.pos, std::move(p.default_value));
          kw.text = p.name;
          out.kids.push_back(std::move(kw));
        }
        break;
      case Param::Kind::var_positional:
        out.kids.push_back(make(Kind::starred, p.pos, p.name.empty() ? Expr{} : std::move(name)));
        break;
      case Param::Kind::var_keyword: {
        Expr star = make(Kind::starred, p.pos, std::move(name));
        star.text = "**";
        out.kids.push_back(std::move(star));
        break;
      }
      case Param::Kind::positional_only_marker:
        name.text = "/";
        out.kids.push_back(std::move(name));
        break;
    }
  }
  return true;
}

bool Parser::yield_expression(Expr& out) {
  out = make(Kind::yield, tok().pos);
  advance();
  Expr value;
  if (accept_keyword("from")) {
    out.text = "from";
    if (!expression(value)) return false;
  } else if (starts_expression()) {
    if (!star_expressions(value)) return false;
  }
  out.kids.push_back(std::move(value));
  return true;
}

bool Parser::target_item(Expr& out) {
  if (!at_op("*")) return binary(out, 1);
  const Pos pos = tok().pos;
  advance();
  if (at_op("*")) return invalid_syntax();  // CPython's star_target: '*' (!'*' star_target)
  Expr value;
  if (!target_item(value)) return false;
  out = make(Kind::starred, pos, std::move(value));
  return true;
}

bool Parser::target_list(Expr& out, std::string_view stop_keyword) {
  const Pos start = tok().pos;
  Expr first;
  if (!target_item(first)) return false;
  if (at_op(",")) {
    Expr tuple = make(Kind::tuple, start, std::move(first));
    while (accept_op(",")) {
      if (at_keyword(stop_keyword) || !starts_expression()) break;
      Expr e;
      if (!target_item(e)) return false;
      tuple.kids.push_back(std::move(e));
    }
    first = std::move(tuple);
  }
  if (!check_target(first, TargetUse::for_)) return false;
  out = std::move(first);
  return true;
}

std::string Parser::describe(const Expr& e) {
  switch (e.kind) {
    case Kind::attribute: return "attribute";
    case Kind::subscript: return "subscript";
    case Kind::starred: return "starred";
    case Kind::name: return "name";
    case Kind::list: return "list";
    case Kind::tuple: return "tuple";
    case Kind::lambda: return "lambda";
    case Kind::call: return "function call";
    case Kind::boolean:
    case Kind::binary:
    case Kind::unary: return "expression";
    case Kind::comprehension:
      if (e.text == "generator") return "generator expression";
      return e.text + " comprehension";
    case Kind::yield: return "yield expression";
    case Kind::await_: return "await expression";
    case Kind::dict: return "dict literal";
    case Kind::set: return "set display";
    case Kind::string: return e.fstring ? "f-string expression" : "literal";
    case Kind::integer:
    case Kind::number: return "literal";
    case Kind::constant: return e.text == "..." ? "ellipsis" : e.text;
    case Kind::compare: return "comparison";
    case Kind::conditional: return "conditional expression";
    case Kind::walrus: return "named expression";
    default: return "expression";
  }
}

// CPython's _PyPegen_get_invalid_target: the first part of a target that
// cannot be assigned to (or deleted), null when all of it can.
const Expr* Parser::invalid_target(const Expr& e, TargetUse use) {
  switch (e.kind) {
    case Kind::list:
    case Kind::tuple:
      for (const Expr& kid : e.kids)
        if (const Expr* bad = invalid_target(kid, use)) return bad;
      return nullptr;
    case Kind::starred:
      if (use == TargetUse::del) return &e;
      return invalid_target(e.kids[0], use);
    case Kind::name:
    case Kind::subscript:
    case Kind::attribute: return nullptr;
    default: return &e;
  }
}

// After `=`: a bitwise_or not followed by `=` or `:=`, read as a trial (the
// tokens it reads count as read, for choosing between errors, as in CPython).
bool Parser::bitwise_or_follows() {
  if (!starts_expression(p_ + 1)) return false;
  const size_t mark = p_;
  const bool was_failed = failed_;
  const ParseError saved = error_;
  const size_t saved_token = error_token_;
  advance();
  Expr trial;
  const bool ok = binary(trial, 1) && !at_op("=") && !at_op(":=");
  read_ahead_ = p_;
  p_ = mark;
  failed_ = was_failed;
  error_ = saved;
  error_token_ = saved_token;
  return ok;
}

bool Parser::bitwise_or_level(const Expr& e) {
  return !e.is(Kind::compare) && !e.is(Kind::boolean) && !(e.is(Kind::unary) && e.ops[0] == Op::not_) &&
         !e.is(Kind::conditional) && !e.is(Kind::lambda) && !e.is(Kind::yield) && !e.is(Kind::walrus) &&
         !e.is(Kind::starred);
}

bool Parser::check_target(const Expr& e, TargetUse use) {
  const Expr* bad = invalid_target(e, use);
  if (!bad) return true;
  return fail(bad->pos, (use == TargetUse::del ? "cannot delete " : "cannot assign to ") + describe(*bad));
}

}  // namespace convscope::import::py
