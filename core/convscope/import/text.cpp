#include "convscope/import/text.hpp"

#include <cerrno>
#include <cstdlib>

namespace convscope::import::text {

std::string position(const std::string& text, size_t offset) {
  int line = 1, column = 1;
  const size_t end = offset < text.size() ? offset : text.size();
  for (size_t i = 0; i < end; ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\n') {
      ++line;
      column = 1;
    } else if ((c & 0xC0) != 0x80) {  // count code points, not continuation bytes
      ++column;
    }
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

std::string quoted(const std::string& s) {
  std::string out = "\"";
  size_t chars = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if ((c & 0xC0) != 0x80 && ++chars > 40) {
      out += "\xE2\x80\xA6";  // an ellipsis
      break;
    }
    if (c == '"' || c == '\\') out += std::string("\\") + static_cast<char>(c);
    else if (c == '\n') out += "\\n";
    else if (c == '\t') out += "\\t";
    else if (c < 0x20 || c == 0x7f) out += "?";
    else out += static_cast<char>(c);
  }
  return out + "\"";
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool is_ident_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_ident_char(char c) { return is_ident_start(c) || (c >= '0' && c <= '9'); }

const PyValue* PyCall::kwarg(const std::string& key) const {
  for (const auto& kv : kwargs)
    if (kv.first == key) return &kv.second;
  return nullptr;
}

namespace {

constexpr int kMaxDepth = 8;

struct Reader {
  const std::string& t;
  size_t pos;
  size_t end;
  PyError& error;

  bool fail(size_t at, std::string message) {
    error.offset = at;
    error.message = std::move(message);
    return false;
  }
  void skip_spaces() {
    while (pos < end && is_space(t[pos])) ++pos;
  }
  bool at(char c) {
    skip_spaces();
    return pos < end && t[pos] == c;
  }
  std::string what_is_here() {
    if (pos >= end) return "the end of the line";
    return quoted(t.substr(pos, 12));
  }

  // A dotted identifier: `nn.Conv2d`, `torch.float32`.
  std::string dotted() {
    const size_t start = pos;
    while (pos < end && (is_ident_char(t[pos]) || (t[pos] == '.' && pos + 1 < end && is_ident_start(t[pos + 1]))))
      ++pos;
    return t.substr(start, pos - start);
  }

  bool number(PyValue& v) {
    const size_t start = pos;
    if (pos < end && (t[pos] == '-' || t[pos] == '+')) ++pos;
    bool digits = false, fraction = false;
    while (pos < end && ((t[pos] >= '0' && t[pos] <= '9') || t[pos] == '.' || t[pos] == 'e' || t[pos] == 'E' ||
                         ((t[pos] == '-' || t[pos] == '+') && (t[pos - 1] == 'e' || t[pos - 1] == 'E')))) {
      if (t[pos] >= '0' && t[pos] <= '9') digits = true;
      else fraction = true;
      ++pos;
    }
    if (!digits) return fail(start, "expected a number, got " + quoted(t.substr(start, 12)));
    const std::string literal = t.substr(start, pos - start);
    if (literal.size() > 40) return fail(start, "number too long: " + quoted(literal));
    char* stop = nullptr;
    errno = 0;
    if (fraction) {
      v.kind = PyValue::Kind::number;
      v.d = std::strtod(literal.c_str(), &stop);
    } else {
      v.kind = PyValue::Kind::integer;
      v.i = std::strtoll(literal.c_str(), &stop, 10);
    }
    if (errno == ERANGE) return fail(start, "number out of range: " + quoted(literal));
    if (stop != literal.c_str() + literal.size()) return fail(start, "malformed number " + quoted(literal));
    return true;
  }

  bool string(PyValue& v) {
    const char q = t[pos];
    const size_t start = pos++;
    v.kind = PyValue::Kind::string;
    while (pos < end && t[pos] != q) {
      if (t[pos] == '\\' && pos + 1 < end) ++pos;
      if (t[pos] == '\n') break;
      v.s += t[pos++];
    }
    if (pos >= end || t[pos] != q) return fail(start, "unterminated string");
    ++pos;
    return true;
  }

  bool sequence(PyValue& v, int depth) {
    const char close = t[pos] == '(' ? ')' : ']';
    v.kind = t[pos] == '(' ? PyValue::Kind::tuple : PyValue::Kind::list;
    const size_t start = pos++;
    if (depth >= kMaxDepth) return fail(start, "nested more than " + std::to_string(kMaxDepth) + " levels deep");
    while (!at(close)) {
      if (pos >= end) return fail(start, std::string("missing '") + close + "' to close this '" + t[start] + "'");
      PyValue item;
      if (!value(item, depth + 1)) return false;
      v.items.push_back(std::move(item));
      if (at(',')) ++pos;
      else if (!at(close)) return fail(pos, std::string("expected ',' or '") + close + "', got " + what_is_here());
    }
    ++pos;
    return true;
  }

  bool value(PyValue& v, int depth) {
    skip_spaces();
    v.offset = pos;
    if (pos >= end) return fail(pos, "expected a value, got the end of the line");
    const char c = t[pos];
    if (c == '(' || c == '[') return sequence(v, depth);
    if (c == '\'' || c == '"') return string(v);
    if ((c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.') return number(v);
    if (is_ident_start(c)) {
      v.s = dotted();
      if (v.s == "True" || v.s == "False") {
        v.kind = PyValue::Kind::boolean;
        v.b = v.s == "True";
      } else if (v.s == "None") {
        v.kind = PyValue::Kind::none;
      } else {
        v.kind = PyValue::Kind::word;
      }
      if (at('(')) return fail(pos, "a call inside the arguments is not supported here");
      return true;
    }
    return fail(pos, "expected a value, got " + what_is_here());
  }

  bool call(PyCall& out) {
    skip_spaces();
    out.offset = pos;
    if (pos >= end || !is_ident_start(t[pos])) return fail(pos, "expected a module name, got " + what_is_here());
    out.callee = dotted();
    if (!at('(')) return fail(pos, "expected '(' after " + quoted(out.callee) + ", got " + what_is_here());
    const size_t open = pos++;
    while (!at(')')) {
      if (pos >= end) return fail(open, "missing ')' to close " + quoted(out.callee + "("));
      // key=value, or a positional value
      size_t key_end = pos;
      while (key_end < end && is_ident_char(t[key_end])) ++key_end;
      size_t eq = key_end;
      while (eq < end && (t[eq] == ' ' || t[eq] == '\t')) ++eq;
      if (key_end > pos && is_ident_start(t[pos]) && eq < end && t[eq] == '=' && (eq + 1 >= end || t[eq + 1] != '=')) {
        std::string key = t.substr(pos, key_end - pos);
        pos = eq + 1;
        PyValue v;
        if (!value(v, 0)) return false;
        out.kwargs.push_back({std::move(key), std::move(v)});
      } else {
        if (!out.kwargs.empty()) return fail(pos, "a positional argument after keyword arguments");
        PyValue v;
        if (!value(v, 0)) return false;
        out.args.push_back(std::move(v));
      }
      if (at(',')) ++pos;
      else if (!at(')')) return fail(pos, "expected ',' or ')', got " + what_is_here());
    }
    ++pos;
    return true;
  }
};

}  // namespace

bool parse_call(const std::string& text, size_t& pos, size_t end, PyCall& out, PyError& error) {
  Reader r{text, pos, end < text.size() ? end : text.size(), error};
  if (!r.call(out)) return false;
  pos = r.pos;
  return true;
}

bool int_axes(const PyValue& v, size_t n, std::vector<int64_t>& out) {
  out.clear();
  if (v.is_int()) {
    out.assign(n, v.i);
    return true;
  }
  if (!v.is_sequence() || v.items.size() != n) return false;
  for (const PyValue& item : v.items) {
    if (!item.is_int()) return false;
    out.push_back(item.i);
  }
  return true;
}

}  // namespace convscope::import::text
