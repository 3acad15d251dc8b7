// The recursive-descent parser behind python_parse.hpp (internal to it):
// expressions in python_parse_expr.cpp, statements in python_parse_stmt.cpp.
// It follows CPython 3.11's grammar (Grammar/python.gram) and, for input it
// rejects, the error texts of its invalid_* rules and their positions.
//
// Every function returns false after recording the first error; nothing
// throws. Recursion happens only through Guard (brackets, unary operators,
// `**`, `not`, `await`, lambda, conditional else-branches, blocks), so the
// stack depth is bounded by max_depth times a fixed number of frames.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "convscope/import/python_ast.hpp"
#include "convscope/import/python_lex.hpp"
#include "convscope/import/python_parse.hpp"

namespace convscope::import::py {

class Parser {
 public:
  explicit Parser(const Lexed& lexed) : lx_(lexed) {}

  bool file(std::vector<Stmt>& body);
  // The error to report: the parser's or the tokenizer's, as CPython picks.
  const ParseError& error() const;

 private:
  const Lexed& lx_;
  size_t p_ = 0;
  int depth_ = 0;
  bool failed_ = false;
  ParseError error_;
  size_t error_token_ = 0;  // the token the parser was at when it failed
  size_t read_ahead_ = 0;   // the furthest token a trial parse read
  size_t statements_ = 0;
  bool within_budget();     // max_units (python_lex.hpp)

  // A chain of binary operators or of trailers (`a + b + c`, `x.f(1).g[2]`)
  // nests its nodes to the left: each link counts towards max_depth until
  // the chain's expression is parsed, so the tree's depth stays bounded too.
  class Chain {
   public:
    explicit Chain(Parser& parser) : parser_(parser) {}
    ~Chain() { parser_.depth_ -= links_; }
    Chain(const Chain&) = delete;
    Chain& operator=(const Chain&) = delete;
    bool link(Pos pos);

   private:
    Parser& parser_;
    int links_ = 0;
  };

  class Guard {
   public:
    explicit Guard(Parser& parser) : parser_(parser) {}
    ~Guard() {
      if (entered_) --parser_.depth_;
    }
    Guard(const Guard&) = delete;
    Guard& operator=(const Guard&) = delete;
    bool enter(Pos pos);

   private:
    Parser& parser_;
    bool entered_ = false;
  };

  // --- tokens
  const Token& tok() const { return lx_.tokens[p_]; }
  const Token& ahead(size_t n) const;
  std::string_view spelling() const { return lx_.spelling(tok()); }
  bool at_op(std::string_view op) const { return tok().kind == Tok::op && spelling() == op; }
  bool at_keyword(std::string_view word) const { return tok().kind == Tok::name && spelling() == word; }
  bool at_name() const;  // an identifier that is not a keyword
  bool at(Tok kind) const { return tok().kind == kind; }
  void advance() {
    if (tok().kind != Tok::end && tok().kind != Tok::error) ++p_;
  }
  bool accept_op(std::string_view op) {
    if (!at_op(op)) return false;
    advance();
    return true;
  }
  bool accept_keyword(std::string_view word) {
    if (!at_keyword(word)) return false;
    advance();
    return true;
  }
  Pos end_of_previous() const { return p_ > 0 ? lx_.tokens[p_ - 1].end : tok().pos; }
  Pos end_of_previous_start() const { return p_ > 0 ? lx_.tokens[p_ - 1].pos : tok().pos; }

  // --- errors
  bool fail(Pos pos, std::string message);
  bool invalid_syntax();
  bool expect_op(std::string_view op);
  bool expect_name(std::string& name);

  // --- expressions (python_parse_expr.cpp)
  bool starts_expression() const;
  bool star_expressions(Expr& out);        // a, *b, c  (a tuple when there is a comma)
  bool star_expression(Expr& out);         // *a | expression
  bool star_named_expression(Expr& out);   // *a | named_expression
  bool named_expression(Expr& out);        // x := value | expression
  bool expression(Expr& out);              // lambda, conditional
  bool disjunction(Expr& out);
  bool conjunction(Expr& out);
  bool inversion(Expr& out);
  bool comparison(Expr& out);
  bool binary(Expr& out, int min_precedence);  // | ^ & << >> + - * / // % @
  bool factor(Expr& out);
  bool power(Expr& out);
  bool await_primary(Expr& out);
  bool primary(Expr& out);
  bool atom(Expr& out);
  bool strings(Expr& out);
  bool number(Expr& out);
  bool parenthesised(Expr& out);
  bool list_display(Expr& out);
  bool brace_display(Expr& out);
  bool comprehension_clauses(Expr& comp);
  bool comma_or_close(const Expr& item, std::string_view close);
  bool call_arguments(std::vector<Expr>& args, std::string_view close);
  bool subscript(Expr& index);
  bool slice_item(Expr& out);
  bool lambda(Expr& out);
  bool yield_expression(Expr& out);
  bool target_list(Expr& out, std::string_view stop_keyword);  // `for` targets up to `in`
  bool target_item(Expr& out);

  // --- targets (what may be assigned to or deleted), CPython's wording
  enum class TargetUse { assign, for_, del };
  static const Expr* invalid_target(const Expr& e, TargetUse use);
  static std::string describe(const Expr& e);  // "function call", "literal", ...
  bool check_target(const Expr& e, TargetUse use);
  // What CPython's bitwise_or rule can produce (no comparison, not, and/or, if-else, lambda, yield, :=).
  static bool bitwise_or_level(const Expr& e);
  bool bitwise_or_follows();
  bool starts_expression(size_t token) const;

  // --- statements (python_parse_stmt.cpp)
  bool statement(std::vector<Stmt>& out);
  bool soft_keyword_statement(std::vector<Stmt>& out);
  bool simple_statements(std::vector<Stmt>& out);
  bool simple_statement(Stmt& out);
  bool expression_statement(Stmt& out);
  bool block(std::vector<Stmt>& body, const std::string& after, int header_line);
  bool colon(bool forced = false);
  bool compound(std::vector<Stmt>& out);
  bool decorated(Stmt& out);
  bool function_def(Stmt& out, std::vector<Expr> decorators, bool is_async, Pos pos);
  bool class_def(Stmt& out, std::vector<Expr> decorators);
  bool parameters(std::vector<Param>& params, std::string_view close, bool annotations);
  bool if_statement(Stmt& out, const char* keyword);
  bool while_statement(Stmt& out);
  bool for_statement(Stmt& out, bool is_async, Pos pos);
  bool with_statement(Stmt& out, bool is_async, Pos pos);
  bool with_items(Stmt& out, bool parenthesised);
  bool try_statement(Stmt& out);
  bool import_statement(Stmt& out);
  bool from_import(Stmt& out);
  bool dotted_name(std::string& out);
};

}  // namespace convscope::import::py
