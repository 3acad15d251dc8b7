// Pasted Python source -> the syntax tree of python_ast.hpp.
//
// A hand-written tokenizer (indentation, brackets, strings of every prefix,
// numbers, comments, line continuations) and a recursive-descent parser for
// Python 3's statements and expressions as model code writes them. Why not a
// parser library (tree-sitter's Python grammar): its generated tables alone
// are larger than ConvScope's whole first-view module, its error recovery
// gives ERROR nodes rather than a message, and the reader still needs its own
// walk; the subset that matters is small and this parser is fuzzed.
//
// Untrusted text: the size is capped by the importer (import.hpp), the
// nesting of brackets, expressions and blocks here (max_depth), so hostile
// input cannot exhaust the stack; every error names line and column.
#pragma once

#include <string>

#include "convscope/import/python_ast.hpp"

namespace convscope::import::py {

constexpr int max_depth = 64;  // nested brackets + expression operators + blocks

struct ParseError {
  Pos pos;
  std::string message;  // Python's wording where it has one ("unindent does not match any outer indentation level")
  // "line L, column C: message"
  std::string text() const;
};

// False with `error` at the first problem; `out` is then unspecified.
bool parse(const std::string& source, Module& out, ParseError& error);

}  // namespace convscope::import::py
