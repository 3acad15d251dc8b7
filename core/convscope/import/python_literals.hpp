// Number and string literals of python_parse.hpp: their values from the
// spelling of one token, with CPython 3.11's error texts (the parser puts
// them where CPython does).
#pragma once

#include <string>
#include <string_view>

#include "convscope/import/python_ast.hpp"

namespace convscope::import::py {

// An integer (int64) or float literal into `out` (kind, integer/number);
// false with `error` for an imaginary literal or an integer beyond int64.
bool read_number(std::string_view spelling, Expr& out, std::string& error);

struct StringLiteral {
  std::string value;  // escapes decoded (not for r''); an f-string: its template (see read_string)
  bool bytes = false;
  bool fstring = false;
};

// One string token (prefix and quotes included). An f-string's value is its
// template: the literal parts decoded like any string (so `{{` and `}}` stay
// doubled), each replacement field `{expr!r:spec}` kept as written.
bool read_string(std::string_view spelling, StringLiteral& out, std::string& error);

}  // namespace convscope::import::py
