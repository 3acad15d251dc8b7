#include "convscope/import/python_lex.hpp"

#include <cstdio>

namespace convscope::import::py {

int utf8_decode(std::string_view text, size_t i, uint32_t& cp) {
  const auto b = static_cast<unsigned char>(text[i]);
  int len = b < 0x80 ? 1 : b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2;
  if (i + len > text.size()) len = 1;  // cannot happen after validation; stay in bounds anyway
  cp = len == 1 ? b : len == 2 ? (b & 0x1Fu) : len == 3 ? (b & 0x0Fu) : (b & 0x07u);
  for (int k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3Fu);
  return len;
}

void utf8_append(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

namespace {

// Length of a valid UTF-8 sequence at s[i], 0 when it is not one.
int utf8_valid_length(const std::string& s, size_t i) {
  const auto b = static_cast<unsigned char>(s[i]);
  if (b < 0x80) return 1;
  int len = 0;
  uint32_t min = 0;
  if (b >= 0xC2 && b <= 0xDF) len = 2, min = 0x80;
  else if (b >= 0xE0 && b <= 0xEF) len = 3, min = 0x800;
  else if (b >= 0xF0 && b <= 0xF4) len = 4, min = 0x10000;
  else return 0;
  if (i + len > s.size()) return 0;
  for (int k = 1; k < len; ++k)
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
  uint32_t cp = 0;
  utf8_decode(s, i, cp);
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

int code_points(std::string_view s) {
  int n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

// Unicode's printable classes, roughly (CPython asks Py_UNICODE_ISPRINTABLE):
// controls, format characters and the spaces other than ' '.
bool non_printable(uint32_t cp) {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0xA0) || cp == 0xAD || (cp >= 0x2000 && cp <= 0x200F) ||
         (cp >= 0x2028 && cp <= 0x202F) || (cp >= 0x205F && cp <= 0x206F) || cp == 0x3000 || cp == 0xFEFF ||
         (cp >= 0xFFF9 && cp <= 0xFFFB);
}

// Printable characters that cannot be part of an identifier: the symbol and
// punctuation blocks pasted code meets (curly quotes, dashes, arrows, math,
// box drawing, CJK and full-width punctuation, emoji). Everything else above
// ASCII is taken as a letter: an approximation of Unicode's XID classes that
// accepts every real identifier.
bool invalid_in_identifier(uint32_t cp) {
  return (cp >= 0xA1 && cp <= 0xBF && cp != 0xAA && cp != 0xB5 && cp != 0xBA) || cp == 0xD7 || cp == 0xF7 ||
         (cp >= 0x2010 && cp <= 0x2027) || (cp >= 0x2030 && cp <= 0x205E) || (cp >= 0x20A0 && cp <= 0x20CF) ||
         (cp >= 0x2190 && cp <= 0x2BFF) || (cp >= 0x3001 && cp <= 0x303F) || (cp >= 0xFF01 && cp <= 0xFF0F) ||
         (cp >= 0xFF1A && cp <= 0xFF20) || (cp >= 0xFF3B && cp <= 0xFF40) || (cp >= 0xFF5B && cp <= 0xFF65) ||
         (cp >= 0x1F000 && cp <= 0x1FAFF);
}

bool ascii_ident_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool ascii_ident_char(char c) { return ascii_ident_start(c) || is_digit(c); }
char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string hex_code(uint32_t cp) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(cp));
  return buf;
}

class Lexer {
 public:
  explicit Lexer(Lexed& out) : out_(out), s_(out.text), n_(out.text.size()) {}

  void run() {
    while (step()) {
    }
  }

 private:
  Lexed& out_;
  const std::string& s_;
  size_t n_;
  size_t i_ = 0;
  int line_ = 1;
  size_t line_start_ = 0;
  size_t cache_off_ = 0;  // a byte offset on the current line and its column:
  int cache_col_ = 1;     // columns are counted forward from here, never from the line start again
  bool at_line_start_ = true;
  size_t comment_ = std::string::npos;  // where the last comment started
  bool line_has_tokens_ = false;
  std::vector<int> indents_{0};
  std::vector<int> alt_indents_{0};  // the same indentation with tabs counted as 1 (CPython's altcol)
  struct Open {
    char c;
    Pos pos;
  };
  std::vector<Open> brackets_;

  Pos at(size_t off) {
    if (off < cache_off_ || cache_off_ <= line_start_) cache_off_ = line_start_, cache_col_ = 1;
    for (; cache_off_ < off; ++cache_off_) cache_col_ += (static_cast<unsigned char>(s_[cache_off_]) & 0xC0) != 0x80;
    return {line_, cache_col_};
  }

  void next_line(size_t after_newline) {
    ++line_;
    line_start_ = after_newline;
  }

  int line_length(int line) const {
    return line >= 1 && line <= static_cast<int>(out_.lines.size()) ? code_points(out_.lines[line - 1]) : 0;
  }

  // Where CPython puts the end of the source: after the last line's text.
  Pos eof_pos() const {
    const int last = out_.lines.empty() ? 1 : static_cast<int>(out_.lines.size());
    return {last, line_length(last) + 1};
  }

  bool fail(Pos pos, std::string message, LexError kind = LexError::replaces) {
    out_.failed = true;
    out_.error = {pos, std::move(message)};
    out_.error_kind = kind;
    Token t;
    t.kind = Tok::error;
    t.begin = static_cast<uint32_t>(i_ < n_ ? i_ : n_);
    t.pos = t.end = pos;
    out_.tokens.push_back(t);
    return false;
  }

  void emit(Tok kind, size_t begin, size_t end, Pos pos) {
    Token t;
    t.kind = kind;
    t.begin = static_cast<uint32_t>(begin);
    t.size = static_cast<uint32_t>(end - begin);
    t.pos = pos;
    t.end = kind == Tok::indent ? at(end) : end == begin ? pos : at(end);
    out_.tokens.push_back(t);
    if (kind != Tok::newline && kind != Tok::indent && kind != Tok::dedent) line_has_tokens_ = true;
  }

  bool step() {
    if (out_.tokens.size() >= max_units) return fail(at(i_ < n_ ? i_ : n_), too_large, LexError::in_place);
    if (at_line_start_ && brackets_.empty() && !indentation()) return false;
    while (i_ < n_ && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\f')) ++i_;
    if (i_ >= n_) return finish();
    const char c = s_[i_];
    if (c == '#') {
      comment_ = i_;
      while (i_ < n_ && s_[i_] != '\n') ++i_;
      return true;
    }
    if (c == '\n') {
      if (brackets_.empty() && line_has_tokens_) {  // CPython's NEWLINE starts where a comment before it does
        emit(Tok::newline, i_, i_ + 1, at(comment_ != std::string::npos && comment_ >= line_start_ ? comment_ : i_));
        line_has_tokens_ = false;
      }
      ++i_;
      next_line(i_);
      at_line_start_ = brackets_.empty();
      return true;
    }
    if (c == '\\') return continuation();
    if (ascii_ident_start(c) || static_cast<unsigned char>(c) >= 0x80) return name();
    if (is_digit(c) || (c == '.' && i_ + 1 < n_ && is_digit(s_[i_ + 1]))) return number();
    if (c == '\'' || c == '"') return string(i_, i_);
    return op();
  }

  // Measures the indentation of a new logical line (blank and comment-only
  // lines do not count) and emits INDENT or DEDENTs.
  bool indentation() {
    for (;;) {
      size_t j = i_;
      int col = 0, alt = 0;
      for (; j < n_; ++j) {
        if (s_[j] == ' ') ++col, ++alt;
        else if (s_[j] == '\t') col = (col / 8 + 1) * 8, ++alt;
        else if (s_[j] == '\f') col = alt = 0;
        else break;
      }
      if (j >= n_) {
        i_ = j;
        return true;
      }
      if (s_[j] == '\\') {  // CPython 3.11: a line starting with a continuation does not indent
        i_ = j;
        at_line_start_ = false;
        return true;
      }
      if (s_[j] == '#' || s_[j] == '\n') {
        while (j < n_ && s_[j] != '\n') ++j;
        if (j >= n_) {
          i_ = j;
          return true;
        }
        i_ = j + 1;
        next_line(i_);
        continue;
      }
      i_ = j;
      at_line_start_ = false;
      if (col > indents_.back()) {
        if (alt <= alt_indents_.back()) return tab_error();
        indents_.push_back(col);
        alt_indents_.push_back(alt);
        emit(Tok::indent, line_start_, j, {line_, static_cast<int>(j - line_start_)});
      } else if (col < indents_.back()) {
        size_t keep = indents_.size();
        while (col < indents_[keep - 1]) --keep;
        if (col != indents_[keep - 1])
          return fail({line_, line_length(line_) + 1}, "unindent does not match any outer indentation level",
                      LexError::in_place);
        if (alt != alt_indents_[keep - 1]) return tab_error();
        while (indents_.size() > keep) {  // a dedent is where CPython puts it: on the last indenting column
          indents_.pop_back();
          alt_indents_.pop_back();
          emit(Tok::dedent, j, j, {line_, static_cast<int>(j - line_start_)});
        }
      } else if (alt != alt_indents_.back()) {
        return tab_error();
      }
      return true;
    }
  }

  bool tab_error() { return fail({line_, 1}, "inconsistent use of tabs and spaces in indentation", LexError::in_place); }

  bool finish() {
    if (!brackets_.empty()) {
      const Open& open = brackets_.back();
      return fail(open.pos, std::string("'") + open.c + "' was never closed", LexError::unclosed);
    }
    const Pos end = eof_pos();
    if (line_has_tokens_) emit(Tok::newline, n_, n_, end);
    line_has_tokens_ = false;
    while (indents_.size() > 1) {
      indents_.pop_back();
      emit(Tok::dedent, n_, n_, end);
    }
    Token t;
    t.kind = Tok::end;
    t.begin = static_cast<uint32_t>(n_);
    t.pos = t.end = end;
    out_.tokens.push_back(t);
    return false;
  }

  bool continuation() {
    const Pos pos = at(i_);
    if (i_ + 1 < n_ && s_[i_ + 1] == '\n') {
      if (i_ + 2 >= n_) return fail({pos.line, pos.column + 1}, "unexpected EOF while parsing", LexError::in_place);
      i_ += 2;
      next_line(i_);
      return true;
    }
    if (i_ + 1 >= n_) return fail({pos.line, pos.column + 1}, "unexpected EOF while parsing", LexError::in_place);
    return fail({pos.line, pos.column + 1}, "unexpected character after line continuation character", LexError::in_place);
  }

  bool bad_character(size_t off, uint32_t cp, int len) {
    if (non_printable(cp)) return fail(at(off), "invalid non-printable character " + hex_code(cp));
    return fail(at(off), "invalid character '" + s_.substr(off, len) + "' (" + hex_code(cp) + ")");
  }

  bool name() {
    const size_t start = i_;
    while (i_ < n_) {
      const char c = s_[i_];
      if (ascii_ident_char(c)) {
        ++i_;
        continue;
      }
      if (static_cast<unsigned char>(c) < 0x80) break;
      uint32_t cp = 0;
      const int len = utf8_decode(s_, i_, cp);
      if (non_printable(cp) || invalid_in_identifier(cp)) return bad_character(i_, cp, len);
      i_ += len;
    }
    const size_t len = i_ - start;
    if (len <= 2 && i_ < n_ && (s_[i_] == '\'' || s_[i_] == '"')) {
      std::string p;
      for (size_t k = start; k < i_; ++k) p += lower(s_[k]);
      if (p == "r" || p == "u" || p == "b" || p == "f" || p == "br" || p == "rb" || p == "fr" || p == "rf")
        return string(start, i_);
    }
    emit(Tok::name, start, i_, at(start));
    return true;
  }

  // The digits of one base with single underscores between them, at least
  // one digit; on failure the position is CPython's (the last character read).
  bool digits(bool (*is_base_digit)(char), const std::string& kind) {
    if (i_ >= n_ || !is_base_digit(s_[i_])) return fail(at(i_ - 1), "invalid " + kind + " literal");
    for (;;) {
      while (i_ < n_ && is_base_digit(s_[i_])) ++i_;
      if (i_ >= n_ || s_[i_] != '_') return true;
      ++i_;
      if (i_ >= n_ || !is_base_digit(s_[i_])) return fail(at(i_ - 1), "invalid " + kind + " literal");
    }
  }

  // CPython's verify_end_of_number: a letter straight after a number is an
  // error, except where a keyword starts (`1if x else 2`).
  bool end_of_number(const std::string& kind) {
    if (i_ >= n_) return true;
    const char c = s_[i_];
    auto ahead = [&](const char* rest) { return s_.compare(i_ + 1, std::char_traits<char>::length(rest), rest) == 0; };
    bool keyword = false;
    if (c == 'a') keyword = ahead("nd");
    else if (c == 'e') keyword = ahead("lse");
    else if (c == 'f') keyword = ahead("or");
    else if (c == 'i') keyword = i_ + 1 < n_ && (s_[i_ + 1] == 'f' || s_[i_ + 1] == 'n' || s_[i_ + 1] == 's');
    else if (c == 'o') keyword = ahead("r");
    else if (c == 'n') keyword = ahead("ot");
    if (keyword) return true;
    if (ascii_ident_char(c) || static_cast<unsigned char>(c) >= 0x80) return fail(at(i_ - 1), "invalid " + kind + " literal");
    return true;
  }

  bool number() {
    const size_t start = i_;
    const Pos pos = at(start);
    if (s_[i_] == '0' && i_ + 1 < n_ && (lower(s_[i_ + 1]) == 'x' || lower(s_[i_ + 1]) == 'o' || lower(s_[i_ + 1]) == 'b')) {
      const char k = lower(s_[i_ + 1]);
      const std::string kind = k == 'x' ? "hexadecimal" : k == 'o' ? "octal" : "binary";
      bool (*base_digit)(char) = k == 'x' ? +[](char c) { return is_digit(c) || (lower(c) >= 'a' && lower(c) <= 'f'); }
                                 : k == 'o' ? +[](char c) { return c >= '0' && c <= '7'; }
                                            : +[](char c) { return c == '0' || c == '1'; };
      i_ += 2;
      if (i_ < n_ && s_[i_] == '_') ++i_;
      if (k != 'x' && i_ < n_ && is_digit(s_[i_]) && !base_digit(s_[i_]))
        return fail(at(i_), std::string("invalid digit '") + s_[i_] + "' in " + kind + " literal");
      if (!digits(base_digit, kind)) return false;
      if (k != 'x' && i_ < n_ && is_digit(s_[i_]))
        return fail(at(i_), std::string("invalid digit '") + s_[i_] + "' in " + kind + " literal");
      if (!end_of_number(kind)) return false;
      emit(Tok::number, start, i_, pos);
      return true;
    }
    bool is_float = false, nonzero = false;
    if (s_[i_] != '.') {
      if (!digits(is_digit, "decimal")) return false;
      for (size_t k = start; k < i_; ++k) nonzero = nonzero || (s_[k] >= '1' && s_[k] <= '9');
    }
    const bool leading_zero = s_[start] == '0';
    if (i_ < n_ && s_[i_] == '.') {
      ++i_;
      is_float = true;
      if (i_ < n_ && is_digit(s_[i_]) && !digits(is_digit, "decimal")) return false;
    }
    if (i_ < n_ && lower(s_[i_]) == 'e') {
      const size_t e = i_++;
      if (i_ < n_ && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
      if (i_ < n_ && is_digit(s_[i_])) {
        if (!digits(is_digit, "decimal")) return false;
        is_float = true;
      } else {
        i_ = e;  // not an exponent: the check below names the letter
      }
    }
    if (i_ < n_ && lower(s_[i_]) == 'j') {
      ++i_;
      is_float = true;
    }
    if (leading_zero && nonzero && !is_float)
      return fail(pos, "leading zeros in decimal integer literals are not permitted; use an 0o prefix for octal integers");
    if (!end_of_number("decimal")) return false;
    emit(Tok::number, start, i_, pos);
    return true;
  }

  // A string literal from `start` (its prefix) with the quote at `quote`.
  bool string(size_t start, size_t quote) {
    const Pos pos = at(start);
    const char q = s_[quote];
    const bool triple = quote + 2 < n_ && s_[quote + 1] == q && s_[quote + 2] == q;
    size_t j = quote + (triple ? 3 : 1);
    for (;;) {
      if (j >= n_) {
        const int detected = triple ? eof_pos().line : line_;
        return fail(pos, std::string(triple ? "unterminated triple-quoted string literal" : "unterminated string literal") +
                             " (detected at line " + std::to_string(detected) + ")");
      }
      const char c = s_[j];
      if (c == q && (!triple || (j + 2 < n_ && s_[j + 1] == q && s_[j + 2] == q))) {
        j += triple ? 3 : 1;
        break;
      }
      if (c == '\n' && !triple)
        return fail(pos, "unterminated string literal (detected at line " + std::to_string(line_) + ")");
      if (c == '\\' && j + 1 < n_) {
        if (s_[j + 1] == '\n') next_line(j + 2);
        j += 2;
        continue;
      }
      if (c == '\n') next_line(j + 1);
      ++j;
    }
    i_ = j;
    emit(Tok::string, start, j, pos);
    return true;
  }

  // The length of the operator at i_: the longest of ** // << >> (and
  // their `=` forms), ... -> := and the two-character comparisons and
  // augmented assignments.
  size_t op_length() const {
    const char c = s_[i_];
    const char c1 = i_ + 1 < n_ ? s_[i_ + 1] : 0;
    const char c2 = i_ + 2 < n_ ? s_[i_ + 2] : 0;
    switch (c) {
      case '*': case '/': case '<': case '>':
        if (c1 == c) return c2 == '=' ? 3 : 2;
        return c1 == '=' ? 2 : 1;
      case '.': return c1 == '.' && c2 == '.' ? 3 : 1;
      case '-': return c1 == '>' || c1 == '=' ? 2 : 1;
      case '=': case '!': case ':': case '+': case '%': case '&': case '|': case '^': case '@':
        return c1 == '=' ? 2 : 1;
      default: return 1;
    }
  }

  bool op() {
    const size_t start = i_;
    const Pos pos = at(start);
    const char c = s_[i_];
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) return bad_character(start, u, 1);
    const size_t len = op_length();
    if (c == '(' || c == '[' || c == '{') {
      brackets_.push_back({c, pos});
    } else if (c == ')' || c == ']' || c == '}') {
      if (brackets_.empty()) return fail(pos, std::string("unmatched '") + c + "'");
      const Open open = brackets_.back();
      const char want = open.c == '(' ? ')' : open.c == '[' ? ']' : '}';
      if (c != want) {
        std::string message = std::string("closing parenthesis '") + c + "' does not match opening parenthesis '" + open.c + "'";
        if (open.pos.line != pos.line) message += " on line " + std::to_string(open.pos.line);
        return fail(pos, message);
      }
      brackets_.pop_back();
    }
    i_ += len;
    emit(Tok::op, start, i_, pos);
    return true;
  }
};

// Newlines to "\n", the BOM dropped, and the two problems CPython reports
// before tokenizing: NUL bytes and text that is not UTF-8.
bool normalise(const std::string& source, Lexed& out) {
  size_t i = 0;
  if (source.compare(0, 3, "\xEF\xBB\xBF") == 0) i = 3;
  out.text.reserve(source.size());
  int line = 1, col = 1;
  for (; i < source.size(); ++i) {
    const char c = source[i];
    if (c == '\r') {
      out.text += '\n';
      if (i + 1 < source.size() && source[i + 1] == '\n') ++i;
      ++line, col = 1;
      continue;
    }
    if (c == '\0') {
      out.failed = true;
      out.error = {{line, col}, "source code string cannot contain null bytes"};
      return false;
    }
    const int len = utf8_valid_length(source, i);
    if (len == 0) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "0x%02x", static_cast<unsigned>(static_cast<unsigned char>(c)));
      out.failed = true;
      out.error = {{line, col}, std::string("the text is not UTF-8 (byte ") + buf + ")"};
      return false;
    }
    out.text.append(source, i, len);
    i += len - 1;
    if (c == '\n') ++line, col = 1;
    else ++col;
  }
  size_t begin = 0;
  while (begin < out.text.size()) {
    size_t end = out.text.find('\n', begin);
    if (end == std::string::npos) end = out.text.size();
    out.lines.push_back(out.text.substr(begin, end - begin));
    begin = end + 1;
  }
  return true;
}

}  // namespace

void tokenize(const std::string& source, Lexed& out) {
  out = Lexed{};
  if (!normalise(source, out)) {
    Token t;
    t.kind = Tok::error;
    t.pos = t.end = out.error.pos;
    out.tokens.push_back(t);
    return;
  }
  Lexer(out).run();
}

}  // namespace convscope::import::py
