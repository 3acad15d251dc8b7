#include "convscope/json.hpp"

#include <algorithm>
#include <clocale>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>

namespace convscope::json {

// ---------------------------------------------------------------- Value

Value::Value(Array a) : kind_(Kind::array), array_(std::make_shared<Array>(std::move(a))) {}
Value::Value(Object o) : kind_(Kind::object), object_(std::make_shared<Object>(std::move(o))) {}

Value::Value(const Value& other)
    : kind_(other.kind_),
      bool_(other.bool_),
      int_(other.int_),
      double_(other.double_),
      string_(other.string_),
      array_(other.array_ ? std::make_shared<Array>(*other.array_) : nullptr),
      object_(other.object_ ? std::make_shared<Object>(*other.object_) : nullptr),
      number_text_(other.number_text_) {}

// Without this, a moved-from array Value would keep Kind::array with a null
// pointer, and the next as_array() would dereference it.
Value::Value(Value&& other) noexcept
    : kind_(std::exchange(other.kind_, Kind::null)),
      bool_(other.bool_),
      int_(other.int_),
      double_(other.double_),
      string_(std::move(other.string_)),
      array_(std::move(other.array_)),
      object_(std::move(other.object_)),
      number_text_(std::move(other.number_text_)) {}

// Both assignments go through a temporary because `other` may live inside
// this value (v = v.as_array()[0]) and die when array_ is replaced.
Value& Value::operator=(const Value& other) { return *this = Value(other); }

Value& Value::operator=(Value&& other) noexcept {
  Value taken(std::move(other));
  kind_ = taken.kind_;
  bool_ = taken.bool_;
  int_ = taken.int_;
  double_ = taken.double_;
  string_ = std::move(taken.string_);
  array_ = std::move(taken.array_);
  object_ = std::move(taken.object_);
  number_text_ = std::move(taken.number_text_);
  return *this;
}

namespace {

// What the accessors hand out on the wrong kind (see json.hpp). Function
// statics, so a static initializer in another file can already use them.
template <typename T>
const T& empty() {
  static const T value;
  return value;
}
// The mutable stand-in is per-thread and emptied on every use, so nothing
// written through it survives to the next caller.
template <typename T>
T& scratch() {
  thread_local T value;
  value.clear();
  return value;
}

}  // namespace

bool Value::as_bool() const { return is_bool() && bool_; }
int64_t Value::as_int() const { return is_integer() ? int_ : 0; }
double Value::as_double() const {
  if (is_integer()) return static_cast<double>(int_);
  return is_number() ? double_ : 0;
}
const std::string& Value::as_string() const { return is_string() ? string_ : empty<std::string>(); }
const Array& Value::as_array() const { return is_array() ? *array_ : empty<Array>(); }
Array& Value::as_array() { return is_array() ? *array_ : scratch<Array>(); }
const Object& Value::as_object() const { return is_object() ? *object_ : empty<Object>(); }
Object& Value::as_object() { return is_object() ? *object_ : scratch<Object>(); }

const Value* Value::find(const std::string& key) const {
  for (const auto& member : as_object()) {
    if (member.first == key) return &member.second;
  }
  return nullptr;
}

void Value::set(const std::string& key, Value v) {
  if (!is_object()) {
    // Build first: `key` may live inside the value being replaced.
    Object members;
    members.emplace_back(key, std::move(v));
    *this = Value(std::move(members));
    return;
  }
  for (auto& member : *object_) {
    if (member.first == key) {
      member.second = std::move(v);
      return;
    }
  }
  object_->emplace_back(key, std::move(v));
}

bool Value::operator==(const Value& other) const {
  if (kind_ != other.kind_) return false;
  switch (kind_) {
    case Kind::null: return true;
    case Kind::boolean: return bool_ == other.bool_;
    case Kind::integer: return int_ == other.int_;
    case Kind::number: return double_ == other.double_ && number_text_ == other.number_text_;
    case Kind::string: return string_ == other.string_;
    case Kind::array: return *array_ == *other.array_;
    case Kind::object: return *object_ == *other.object_;
  }
  return false;
}

// ---------------------------------------------------------------- shared helpers

namespace {

// Well-formed UTF-8 per Unicode Table 3-7: which second bytes each lead byte
// allows. The narrowed ranges reject overlong forms (E0, F0), UTF-16
// surrogates (ED) and code points above U+10FFFF (F4).
struct Utf8Lead {
  unsigned char first, last, length, second_min, second_max;
};
constexpr Utf8Lead kUtf8Leads[] = {
    {0xC2, 0xDF, 2, 0x80, 0xBF}, {0xE0, 0xE0, 3, 0xA0, 0xBF}, {0xE1, 0xEC, 3, 0x80, 0xBF},
    {0xED, 0xED, 3, 0x80, 0x9F}, {0xEE, 0xEF, 3, 0x80, 0xBF}, {0xF0, 0xF0, 4, 0x90, 0xBF},
    {0xF1, 0xF3, 4, 0x80, 0xBF}, {0xF4, 0xF4, 4, 0x80, 0x8F},
};

// Length of the well-formed sequence starting at s[pos], or 0 if there is none.
size_t utf8_length(const std::string& s, size_t pos) {
  auto byte = [&](size_t i) { return pos + i < s.size() ? static_cast<unsigned char>(s[pos + i]) : 0u; };
  unsigned lead = byte(0);
  if (lead < 0x80) return 1;
  for (const Utf8Lead& l : kUtf8Leads) {
    if (lead < l.first || lead > l.last) continue;
    if (byte(1) < l.second_min || byte(1) > l.second_max) return 0;
    for (size_t i = 2; i < l.length; ++i) {
      if ((byte(i) & 0xC0) != 0x80) return 0;
    }
    return l.length;
  }
  return 0;
}

void append_utf8(std::string& out, unsigned cp) {
  auto put = [&](unsigned b) { out += static_cast<char>(b); };
  if (cp < 0x80) {
    put(cp);
  } else if (cp < 0x800) {
    put(0xC0 | (cp >> 6)), put(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    put(0xE0 | (cp >> 12)), put(0x80 | ((cp >> 6) & 0x3F)), put(0x80 | (cp & 0x3F));
  } else {
    put(0xF0 | (cp >> 18)), put(0x80 | ((cp >> 12) & 0x3F)), put(0x80 | ((cp >> 6) & 0x3F)),
        put(0x80 | (cp & 0x3F));
  }
}

// strtod and printf follow LC_NUMERIC, so a host that calls setlocale() could
// read "1.5" as 1 and print "1,5". Numbers cross that boundary through these
// two swaps; JSON text always uses '.'. (A multi-byte decimal point is not
// handled; no C library we target has one in a locale we run under.)
char locale_point() {
  const char* p = std::localeconv()->decimal_point;
  return p && p[0] && !p[1] ? p[0] : '.';
}
void replace_all(std::string& s, char from, char to) {
  for (char& c : s) {
    if (c == from) c = to;
  }
}

// Where a JSON number literal starting at s[pos] ends, per the RFC 8259
// grammar; `error` says what is wrong at `end` if it is not a number.
struct NumberSyntax {
  size_t end;
  bool integral;  // no fraction and no exponent
  const char* error;
};

NumberSyntax scan_number(const std::string& s, size_t pos) {
  auto digit = [&](size_t i) { return i < s.size() && s[i] >= '0' && s[i] <= '9'; };
  auto digits = [&](size_t i) { while (digit(i)) ++i; return i; };
  NumberSyntax n{pos, true, nullptr};
  if (n.end < s.size() && s[n.end] == '-') ++n.end;
  if (!digit(n.end)) return {n.end, true, "expected a digit after '-'"};
  if (s[n.end] == '0') {
    if (digit(++n.end)) return {n.end - 1, true, "numbers cannot have leading zeros"};
  } else {
    n.end = digits(n.end);
  }
  if (n.end < s.size() && s[n.end] == '.') {
    n.integral = false;
    if (!digit(++n.end)) return {n.end, false, "expected a digit after the decimal point"};
    n.end = digits(n.end);
  }
  if (n.end < s.size() && (s[n.end] == 'e' || s[n.end] == 'E')) {
    n.integral = false;
    if (++n.end < s.size() && (s[n.end] == '+' || s[n.end] == '-')) ++n.end;
    if (!digit(n.end)) return {n.end, false, "expected a digit in the exponent"};
    n.end = digits(n.end);
  }
  return n;
}

// ---------------------------------------------------------------- parser

// Recursive descent without exceptions: every parse_* function returns false
// once the first error is recorded, and every caller returns false at once,
// so nothing runs past an error and a half-built value is simply dropped.
class Parser {
 public:
  Parser(const std::string& text, const ParseLimits& limits, ParseError& error)
      : text_(text), limits_(limits), error_(error) {}

  [[nodiscard]] bool parse_document(Value& out) {
    if (text_.size() > limits_.max_bytes) {
      return fail(0, "input is " + std::to_string(text_.size()) + " bytes, more than the limit of " +
                         std::to_string(limits_.max_bytes));
    }
    if (!parse_value(0, out)) return false;
    skip_whitespace();
    if (pos_ < text_.size()) return fail(pos_, "unexpected " + found(pos_) + " after the JSON value");
    return true;
  }

 private:
  // Records the error and returns false, so each failure site reads
  // `return fail(...)`. Every error at the end of the text is the same
  // error, whatever was expected.
  [[nodiscard]] bool fail(size_t pos, const std::string& message) const {
    int line = 1, column = 1;
    for (size_t i = 0; i < pos && i < text_.size(); ++i) {
      unsigned char c = static_cast<unsigned char>(text_[i]);
      if (c == '\n') {
        ++line, column = 1;
      } else if ((c & 0xC0) != 0x80) {  // count code points, not continuation bytes
        ++column;
      }
    }
    const std::string& what = pos >= text_.size() ? std::string("unexpected end of input") : message;
    error_.message = "line " + std::to_string(line) + ", column " + std::to_string(column) + ": " + what;
    error_.line = line;
    error_.column = column;
    return false;
  }

  // Names the character at pos for a message: 'x', U+201C, or a bad byte.
  std::string found(size_t pos) const {
    if (pos >= text_.size()) return "the end of input";
    auto c = static_cast<unsigned char>(text_[pos]);
    if (c >= 0x20 && c < 0x7F) return std::string("'") + static_cast<char>(c) + "'";
    size_t length = utf8_length(text_, pos);
    char buf[32];
    if (length == 0) {
      std::snprintf(buf, sizeof buf, "invalid UTF-8 byte 0x%02X", c);
    } else {
      unsigned cp = length == 1 ? c : c & (0x7Fu >> length);
      for (size_t i = 1; i < length; ++i) cp = cp << 6 | (static_cast<unsigned char>(text_[pos + i]) & 0x3Fu);
      std::snprintf(buf, sizeof buf, "U+%04X", cp);
    }
    return buf;
  }

  // ASCII only: std::isalnum follows the locale and could accept UTF-8 bytes.
  static bool is_letter_or_digit(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  }

  bool at(char c) const { return pos_ < text_.size() && text_[pos_] == c; }

  void skip_whitespace() {
    while (pos_ < text_.size() &&
           (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }

  // depth = number of arrays/objects around this value. Checked before
  // descending so the recursion can never outgrow max_depth.
  [[nodiscard]] bool parse_value(size_t depth, Value& out) {
    skip_whitespace();
    if (pos_ >= text_.size()) return fail(pos_, "");
    char c = text_[pos_];
    if ((c == '[' || c == '{') && depth >= limits_.max_depth) {
      return fail(pos_, "nesting deeper than " + std::to_string(limits_.max_depth) + " levels");
    }
    if (c == '[') return parse_array(depth + 1, out);
    if (c == '{') return parse_object(depth + 1, out);
    if (c == '"') {
      std::string s;
      if (!parse_string(s)) return false;
      out = Value(std::move(s));
      return true;
    }
    if (c == '-' || (c >= '0' && c <= '9')) return parse_number(out);
    if (c == '\'') return fail(pos_, "strings must use double quotes");
    if (is_letter_or_digit(c)) return parse_word(out);
    return fail(pos_, "expected a value but found " + found(pos_));
  }

  [[nodiscard]] bool parse_word(Value& out) {
    static const std::pair<const char*, Value> words[] = {{"true", true}, {"false", false}, {"null", nullptr}};
    size_t end = pos_;
    while (end < text_.size() && is_letter_or_digit(text_[end])) ++end;
    for (const auto& w : words) {
      if (text_.compare(pos_, end - pos_, w.first) == 0) {
        pos_ = end;
        out = w.second;
        return true;
      }
    }
    // Catches NaN, Infinity, True, None and undefined from other languages.
    std::string word = text_.substr(pos_, std::min<size_t>(end - pos_, 20));
    return fail(pos_, "unexpected word '" + word + "' (JSON has only true, false and null)");
  }

  [[nodiscard]] bool parse_array(size_t depth, Value& out) {
    Array elements;
    ++pos_;
    skip_whitespace();
    if (!at(']')) {
      for (;;) {
        skip_whitespace();
        if (at(']')) return fail(pos_, "trailing comma before ']'");
        elements.emplace_back();
        if (!parse_value(depth, elements.back())) return false;
        skip_whitespace();
        if (at(']')) break;
        if (!at(',')) return fail(pos_, "expected ',' or ']' after array element");
        ++pos_;
      }
    }
    ++pos_;
    out = Value(std::move(elements));
    return true;
  }

  [[nodiscard]] bool parse_object(size_t depth, Value& out) {
    Object members;
    std::set<std::string> seen;  // a linear scan would make a fuzzed 4 MB object quadratic
    ++pos_;
    skip_whitespace();
    if (!at('}')) {
      for (;;) {
        skip_whitespace();
        if (at('}')) return fail(pos_, "trailing comma before '}'");
        if (at('\'')) return fail(pos_, "strings must use double quotes");
        if (!at('"')) return fail(pos_, "expected a double-quoted key but found " + found(pos_));
        size_t key_pos = pos_;
        std::string key;
        if (!parse_string(key)) return false;
        if (!seen.insert(key).second) return fail(key_pos, "duplicate key " + quote(key));
        skip_whitespace();
        if (!at(':')) return fail(pos_, "expected ':' after object key");
        ++pos_;
        members.emplace_back(std::move(key), Value());
        if (!parse_value(depth, members.back().second)) return false;
        skip_whitespace();
        if (at('}')) break;
        if (!at(',')) return fail(pos_, "expected ',' or '}' after object member");
        ++pos_;
      }
    }
    ++pos_;
    out = Value(std::move(members));
    return true;
  }

  [[nodiscard]] bool parse_string(std::string& out) {
    ++pos_;
    for (;;) {
      if (pos_ >= text_.size()) return fail(pos_, "");
      auto c = static_cast<unsigned char>(text_[pos_]);
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (c == '\\') {
        if (!parse_escape(out)) return false;
      } else if (c < 0x20) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "control character U+%04X in a string must be escaped", c);
        return fail(pos_, buf);
      } else {
        size_t length = utf8_length(text_, pos_);
        if (length == 0) return fail(pos_, found(pos_));
        out.append(text_, pos_, length);
        pos_ += length;
      }
    }
  }

  [[nodiscard]] bool parse_escape(std::string& out) {
    static const char kFrom[] = "\"\\/bfnrt";
    static const char kTo[] = "\"\\/\b\f\n\r\t";
    size_t backslash = pos_++;
    if (pos_ >= text_.size()) return fail(pos_, "");
    char e = text_[pos_++];
    if (const char* hit = e ? std::strchr(kFrom, e) : nullptr) {
      out += kTo[hit - kFrom];
      return true;
    }
    if (e != 'u') {
      bool printable = e >= 0x20 && e < 0x7F;
      return fail(backslash, printable ? std::string("invalid escape '\\") + e + "'"
                                       : "invalid escape: '\\' followed by " + found(backslash + 1));
    }
    unsigned cp = 0;
    if (!parse_hex4(cp)) return false;
    bool high = cp >= 0xD800 && cp <= 0xDBFF;
    bool low = cp >= 0xDC00 && cp <= 0xDFFF;
    if (high && text_.compare(pos_, 2, "\\u") == 0) {
      size_t resume = pos_;
      pos_ += 2;
      // A broken second escape is reported as such (not as "unpaired").
      unsigned second = 0;
      if (!parse_hex4(second)) return false;
      if (second >= 0xDC00 && second <= 0xDFFF) {
        append_utf8(out, 0x10000 + ((cp - 0xD800) << 10) + (second - 0xDC00));
        return true;
      }
      pos_ = resume;
    }
    if (high || low) return fail(backslash, "unpaired surrogate " + text_.substr(backslash, 6));
    append_utf8(out, cp);
    return true;
  }

  [[nodiscard]] bool parse_hex4(unsigned& cp) {
    cp = 0;
    for (int i = 0; i < 4; ++i, ++pos_) {
      if (pos_ >= text_.size()) return fail(pos_, "");
      char h = text_[pos_];
      unsigned digit = h >= '0' && h <= '9'   ? h - '0'
                       : h >= 'a' && h <= 'f' ? h - 'a' + 10
                       : h >= 'A' && h <= 'F' ? h - 'A' + 10
                                              : 16;
      if (digit == 16) return fail(pos_, "expected 4 hex digits after \\u but found " + found(pos_));
      cp = cp << 4 | digit;
    }
    return true;
  }

  [[nodiscard]] bool parse_number(Value& out) {
    size_t start = pos_;
    NumberSyntax syntax = scan_number(text_, pos_);
    if (syntax.error) return fail(syntax.end, syntax.error);
    pos_ = syntax.end;
    std::string literal = text_.substr(start, pos_ - start);
    bool negative = literal[0] == '-';
    if (syntax.integral) {
      // Accumulate the magnitude unsigned so INT64_MIN needs no special case
      // until the final sign flip.
      const uint64_t limit = static_cast<uint64_t>(INT64_MAX) + (negative ? 1 : 0);
      uint64_t magnitude = 0;
      bool fits = true;
      for (size_t i = negative ? 1 : 0; i < literal.size() && fits; ++i) {
        unsigned digit = literal[i] - '0';
        fits = magnitude <= (limit - digit) / 10;
        magnitude = magnitude * 10 + digit;
      }
      if (fits) {
        if (!negative) {
          out = Value(static_cast<int64_t>(magnitude));
        } else {
          out = Value(magnitude == limit ? INT64_MIN : -static_cast<int64_t>(magnitude));
        }
        return true;
      }
    }
    std::string c_text = literal;
    replace_all(c_text, '.', locale_point());
    double d = std::strtod(c_text.c_str(), nullptr);
    out = Value(d);
    // Keep the literal when the double cannot stand for it: an integer past
    // int64, an overflow to infinity, or a nonzero literal that became 0.
    bool nonzero = literal.find_first_of("123456789") < literal.find_first_of("eE");
    if (syntax.integral || std::isinf(d) || (d == 0 && nonzero)) out.set_number_text(literal);
    return true;
  }

  const std::string& text_;
  const ParseLimits& limits_;
  ParseError& error_;
  size_t pos_ = 0;
};

// ---------------------------------------------------------------- writer

// Shortest %.Ng that reads back as the same double. When that lands in
// exponent form for a value with at most 17 integer digits (100.0 -> "1e+02"),
// widen it to plain digits, which people read more easily and which still
// round-trip because all those digits are exact.
std::string format_double(double d) {
  if (!std::isfinite(d)) return "null";
  char buf[48];
  int precision = 1;
  for (; precision < 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, d);
    if (std::strtod(buf, nullptr) == d) break;
  }
  std::snprintf(buf, sizeof buf, "%.*g", precision, d);
  if (const char* e = std::strchr(buf, 'e')) {
    int exponent = std::atoi(e + 1);
    if (exponent >= precision && exponent < 17) std::snprintf(buf, sizeof buf, "%.*g", exponent + 1, d);
  }
  std::string text = buf;
  replace_all(text, locale_point(), '.');
  // "2" would re-parse as Kind::integer; "2.0" stays a number.
  if (text.find_first_of(".e") == std::string::npos) text += ".0";
  return text;
}

void write_string(std::string& out, const std::string& s) {
  auto escape_u00 = [&](unsigned c) {
    static const char kHex[] = "0123456789abcdef";
    out += "\\u00";
    out += kHex[c >> 4];
    out += kHex[c & 15];
  };
  out += '"';
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      // The page and reports may inline this text in <script> or HTML;
      // escaped, "</script>" or "<!--" inside a layer name cannot end the
      // element or open a comment, and & cannot start an entity.
      case '<': case '>': case '&': escape_u00(c); break;
      default:
        if (c < 0x20) {
          escape_u00(c);
        } else if (c >= 0x80) {
          size_t length = utf8_length(s, i);
          if (length == 0) {
            out += "\\ufffd";
            ++i;
            continue;
          }
          out.append(s, i, length);
          i += length;
          continue;
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
  out += '"';
}

bool is_scalar(const Value& v) { return !v.is_array() && !v.is_object(); }

void write_value(std::string& out, const Value& v, int indent, int level) {
  const bool pretty = indent >= 0;
  auto newline = [&](int lvl) {
    if (pretty) out.append("\n").append(static_cast<size_t>(indent) * static_cast<size_t>(lvl), ' ');
  };
  switch (v.kind()) {
    case Kind::null: out += "null"; return;
    case Kind::boolean: out += v.as_bool() ? "true" : "false"; return;
    case Kind::integer: out += std::to_string(v.as_int()); return;
    case Kind::number: {
      const std::string& literal = v.number_text();
      NumberSyntax s = scan_number(literal, 0);
      // set_number_text() is public, so only trust a literal that is JSON.
      bool valid = !literal.empty() && !s.error && s.end == literal.size();
      out += valid ? literal : format_double(v.as_double());
      return;
    }
    case Kind::string: write_string(out, v.as_string()); return;
    case Kind::array: {
      const Array& a = v.as_array();
      bool inline_scalars = std::all_of(a.begin(), a.end(), is_scalar);
      out += '[';
      for (size_t i = 0; i < a.size(); ++i) {
        if (i > 0) out += (pretty && inline_scalars) ? ", " : ",";
        if (!inline_scalars) newline(level + 1);
        write_value(out, a[i], indent, level + 1);
      }
      if (!inline_scalars) newline(level);
      out += ']';
      return;
    }
    case Kind::object: {
      const Object& o = v.as_object();
      out += '{';
      for (size_t i = 0; i < o.size(); ++i) {
        if (i > 0) out += ',';
        newline(level + 1);
        write_string(out, o[i].first);
        out += pretty ? ": " : ":";
        write_value(out, o[i].second, indent, level + 1);
      }
      if (!o.empty()) newline(level);
      out += '}';
      return;
    }
  }
}

}  // namespace

bool parse(const std::string& text, Value& out, ParseError& error, const ParseLimits& limits) {
  // Into a local first: `text` may live inside `out` (parse(v.as_string(), v, ...)),
  // and a failed parse then leaves `out` as it was.
  Value parsed;
  if (!Parser(text, limits, error).parse_document(parsed)) return false;
  out = std::move(parsed);
  return true;
}

std::string write(const Value& v, int indent) {
  std::string out;
  write_value(out, v, indent, 0);
  return out;
}

std::string quote(const std::string& s) {
  std::string out;
  write_string(out, s);
  return out;
}

}  // namespace convscope::json
