#include "convscope/import/python_literals.hpp"

#include <cstdint>
#include <cstdlib>
#include <limits>

#include "convscope/import/python_lex.hpp"

namespace convscope::import::py {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string shortened(std::string_view s) {
  return s.size() <= 40 ? std::string(s) : std::string(s.substr(0, 37)) + "...";
}

std::string unicode_error(size_t from, size_t to, const char* what) {
  return "(unicode error) 'unicodeescape' codec can't decode bytes in position " + std::to_string(from) + "-" +
         std::to_string(to) + ": " + what;
}

// Decodes the escapes of a (non-raw) literal body, as CPython's
// decode_unicode_with_escapes / _PyBytes_DecodeEscape do.
bool decode_escapes(std::string_view body, bool bytes, std::string& out, std::string& error) {
  for (size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (c != '\\' || i + 1 >= body.size()) {
      out += c;
      continue;
    }
    const size_t start = i;
    const char e = body[++i];
    switch (e) {
      case '\n': break;
      case '\\': out += '\\'; break;
      case '\'': out += '\''; break;
      case '"': out += '"'; break;
      case 'a': out += '\a'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'v': out += '\v'; break;
      case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': {
        uint32_t v = static_cast<uint32_t>(e - '0');
        for (int k = 0; k < 2 && i + 1 < body.size() && body[i + 1] >= '0' && body[i + 1] <= '7'; ++k)
          v = v * 8 + static_cast<uint32_t>(body[++i] - '0');
        if (bytes) out += static_cast<char>(v & 0xFF);
        else utf8_append(out, v);
        break;
      }
      case 'x': case 'u': case 'U': {
        if (bytes && e != 'x') {  // \u and \U are not escapes in bytes
          out += '\\';
          out += e;
          break;
        }
        const int want = e == 'x' ? 2 : e == 'u' ? 4 : 8;
        uint32_t v = 0;
        int got = 0;
        while (got < want && i + 1 < body.size() && hex_value(body[i + 1]) >= 0) v = v * 16 + hex_value(body[++i]), ++got;
        if (got < want) {
          if (bytes) {
            error = "(value error) invalid \\x escape at position " + std::to_string(start);
            return false;
          }
          error = unicode_error(start, i, e == 'x' ? "truncated \\xXX escape" : e == 'u' ? "truncated \\uXXXX escape"
                                                                                          : "truncated \\UXXXXXXXX escape");
          return false;
        }
        if (v > 0x10FFFF) {
          error = unicode_error(start, i, "illegal Unicode character");
          return false;
        }
        if (bytes) out += static_cast<char>(v);
        else utf8_append(out, v);
        break;
      }
      case 'N':
        if (!bytes) {
          error = "\\N{...} escapes (Unicode character names) are not supported";
          return false;
        }
        out += "\\N";
        break;
      default:  // an unknown escape stays as written (CPython warns, 3.12 louder)
        out += '\\';
        out += e;
    }
  }
  return true;
}

// Literal text of an f-string: braces stay doubled so the result remains a template.
bool append_template_text(std::string_view text, bool raw, std::string& out, std::string& error) {
  std::string decoded;
  if (raw) decoded = std::string(text);
  else if (!decode_escapes(text, false, decoded, error)) return false;
  out += decoded;
  return true;
}

// An f-string body: literal parts decoded, replacement fields copied.
bool read_template(std::string_view body, bool raw, std::string& out, std::string& error) {
  size_t literal = 0;
  size_t i = 0;
  while (i < body.size()) {
    const char c = body[i];
    if (c == '\\' && !raw && i + 1 < body.size()) {  // an escape cannot open or close a field
      i += 2;
      continue;
    }
    if (c == '}') {
      if (i + 1 < body.size() && body[i + 1] == '}') {
        i += 2;
        continue;
      }
      error = "f-string: single '}' is not allowed";
      return false;
    }
    if (c != '{') {
      ++i;
      continue;
    }
    if (i + 1 < body.size() && body[i + 1] == '{') {
      i += 2;
      continue;
    }
    if (!append_template_text(body.substr(literal, i - literal), raw, out, error)) return false;
    // The field: up to the `}` that closes it, past nested brackets, the
    // format spec's own fields and strings inside the expression.
    const size_t field = i++;
    int depth = 0;
    char quote = 0;
    bool has_expression = false;
    for (;; ++i) {
      if (i >= body.size()) {
        error = "f-string: expecting '}'";
        return false;
      }
      const char f = body[i];
      if (quote) {
        if (f == quote) quote = 0;
        continue;
      }
      if (f == '\\') {
        error = "f-string expression part cannot include a backslash";
        return false;
      }
      if (f == '\'' || f == '"') quote = f;
      else if (f == '(' || f == '[' || f == '{') ++depth;
      else if ((f == ')' || f == ']') && depth > 0) --depth;
      else if (f == '}' && depth > 0) --depth;
      else if (f == '}') break;
      else if (depth == 0 && (f == ':' || (f == '!' && !(i + 1 < body.size() && body[i + 1] == '=')))) break;
      if (f != ' ' && f != '\t' && f != '\n') has_expression = true;
    }
    if (!has_expression) {
      error = "f-string: empty expression not allowed";
      return false;
    }
    // Past a conversion or format spec to the closing brace.
    for (int spec_depth = 0; i < body.size(); ++i) {
      if (body[i] == '{') ++spec_depth;
      else if (body[i] == '}' && spec_depth-- == 0) break;
    }
    if (i >= body.size()) {
      error = "f-string: expecting '}'";
      return false;
    }
    ++i;
    out.append(body.substr(field, i - field));
    literal = i;
  }
  return append_template_text(body.substr(literal), raw, out, error);
}

}  // namespace

bool read_number(std::string_view spelling, Expr& out, std::string& error) {
  std::string digits;
  for (char c : spelling)
    if (c != '_') digits += c;
  const char last = digits.empty() ? 0 : digits.back();
  if (last == 'j' || last == 'J') {
    error = "complex numbers are not supported";
    return false;
  }
  int base = 10;
  size_t from = 0;
  if (digits.size() > 1 && digits[0] == '0') {
    const char k = digits[1];
    if (k == 'x' || k == 'X') base = 16, from = 2;
    else if (k == 'o' || k == 'O') base = 8, from = 2;
    else if (k == 'b' || k == 'B') base = 2, from = 2;
  }
  if (base == 10 && digits.find_first_of(".eE") != std::string::npos) {
    out.kind = Expr::Kind::number;
    out.number = std::strtod(digits.c_str(), nullptr);  // "C" numeric locale: the core never calls setlocale
    return true;
  }
  uint64_t value = 0;
  const uint64_t limit = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  for (size_t i = from; i < digits.size(); ++i) {
    const auto d = static_cast<uint64_t>(hex_value(digits[i]));
    if (value > (limit - d) / static_cast<uint64_t>(base)) {
      error = "integer literal " + shortened(spelling) + " is too large (beyond 64 bits)";
      return false;
    }
    value = value * static_cast<uint64_t>(base) + d;
  }
  out.kind = Expr::Kind::integer;
  out.integer = static_cast<int64_t>(value);
  return true;
}

bool read_string(std::string_view spelling, StringLiteral& out, std::string& error) {
  size_t q = 0;
  bool raw = false;
  out = StringLiteral{};
  for (; q < spelling.size() && spelling[q] != '\'' && spelling[q] != '"'; ++q) {
    const char c = spelling[q];
    if (c == 'r' || c == 'R') raw = true;
    if (c == 'b' || c == 'B') out.bytes = true;
    if (c == 'f' || c == 'F') out.fstring = true;
  }
  const size_t quotes = spelling.size() >= q + 6 && spelling[q + 1] == spelling[q] && spelling[q + 2] == spelling[q] ? 3 : 1;
  const std::string_view body = spelling.substr(q + quotes, spelling.size() - q - 2 * quotes);
  if (out.bytes) {
    for (char c : body)
      if (static_cast<unsigned char>(c) >= 0x80) {
        error = "bytes can only contain ASCII literal characters";
        return false;
      }
  }
  if (out.fstring) return read_template(body, raw, out.value, error);
  if (raw) {
    out.value = std::string(body);
    return true;
  }
  return decode_escapes(body, out.bytes, out.value, error);
}

}  // namespace convscope::import::py
