// Bracketed syntax: parenthesised expressions, tuples and generator
// expressions, lists, dicts and sets with their comprehensions, call
// arguments and subscripts with slices; and CPython's "Perhaps you forgot a
// comma?" between two expressions inside brackets.
#include "convscope/import/python_parser.hpp"

namespace convscope::import::py {

namespace {
using Kind = Expr::Kind;
}  // namespace

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

}  // namespace convscope::import::py
