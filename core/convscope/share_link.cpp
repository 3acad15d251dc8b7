// Share-link codec. The grammar is documented in the README ("Share links");
// the tables below are its single source. Everything here is one linear pass
// over at most limits::max_share_link_chars bytes: the page decodes on every
// hash change, and the decoder is fuzzed.
#include "convscope/share_link.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <cstdio>
#include <optional>
#include <set>
#include <string_view>

#include "convscope/layer_types.hpp"
#include "convscope/limits.hpp"
#include "convscope/network.hpp"

namespace convscope::share_link {
namespace {

using json::Array;
using json::Object;
using json::Value;

// ------------------------------------------------------------------ tables

const char* const kFrameworks[][2] = {
    {"pytorch", "pytorch"}, {"torch", "pytorch"},    {"tensorflow", "tensorflow"},
    {"tf", "tensorflow"},   {"keras", "tensorflow"}, {"onnx", "onnx"}};


enum class Form {
  sizes,       // k3, k3x5                -> 3, [3, 5]
  padding,     // pvalid, p1, p0-1x1-0    -> "valid", 1, [[0, 1], [1, 0]]
  cropping,    // c1, c1x2, c0-1x1-0      (padding without the words)
  set_flag,    // ceil                    -> true (false is the default: omitted)
  clear_flag,  // nobias                  -> false (true is the default: omitted)
  bit,         // keep0, keep1            -> false, true
  rate,        // r0.5                    -> 0.5 (the one fractional field)
  integer,     // ax1, ax-1               -> 1, -1 (v2: concat's axis, may be negative)
  shape,       // sh400, sh64x7x7, sh-1x3 -> [400], [64, 7, 7], [-1, 3] (v2: reshape; -1 = inferred)
  word,        // bkeep, binfer           -> "keep", "infer" (v2: reshape's batch)
};

struct Key {
  const char* key;
  const char* field;
  Form form;
};

// Ordered so that the first key prefixing an argument is the longest one:
// "cip1" is cip (not c), "op1" is op (not o), "sc2" is sc (not s).
const Key kKeys[] = {
    {"nobias", "bias", Form::clear_flag},  {"ceil", "ceil_mode", Form::set_flag},
    {"keep", "keepdims", Form::bit},       {"cip", "count_include_pad", Form::bit},
    {"op", "output_padding", Form::sizes}, {"sc", "scale", Form::sizes},
    {"sh", "shape", Form::shape},          {"b", "batch", Form::word},
    {"ch", "chunks", Form::sizes},         {"idx", "index", Form::sizes},
    {"in", "in_features", Form::sizes},    {"ic", "in_channels", Form::sizes},
    {"k", "kernel", Form::sizes},
    {"s", "stride", Form::sizes},          {"d", "dilation", Form::sizes},
    {"g", "groups", Form::sizes},          {"m", "depth_multiplier", Form::sizes},
    {"o", "output_size", Form::sizes},     {"p", "padding", Form::padding},
    {"c", "cropping", Form::cropping},     {"r", "rate", Form::rate},
    {"ax", "axis", Form::integer},
};
const char kKeyList[] = "k s d g m op o sc in ic p c ch idx sh bkeep/binfer r ax ceil cip0/1 keep0/1 nobias n= fn= i=";

// key=value arguments hold free text, percent-encoded. i= (v2) lists a
// layer's inputs: names joined by ',', each percent-encoded.
const char* const kTextKeys[][2] = {{"n", "name"}, {"fn", "function"}, {"i", "inputs"}};

// A link is v=1 unless it needs what v2 added (inputs, the axis of concat,
// the graph layer types, the channel steps, reshape), so a chain's link reads as it always did.
bool needs_v2(const Value& layer) {
  const Value* type = layer.find("type");
  if (layer.find("inputs") || layer.find("axis")) return true;
  if (!type || !type->is_string()) return false;
  const auto t = layer_type_from_string(type->as_string());
  return t && (is_multi_input(*t) || type_info(*t).rule == RuleKind::channels || *t == LayerType::reshape);
}

const char* const kReservedParams[] = {"v", "fw", "in", "l", "mode"};

// The bare integer argument, for the types that have one.
const char* principal_field(std::string_view type) {
  if (type == "conv" || type == "conv_transpose") return "filters";
  if (type == "dense") return "units";
  return nullptr;
}

bool known_type(std::string_view type) { return layer_type_from_string(std::string(type)).has_value(); }

std::string type_list() {
  std::string out;
  for (const LayerTypeInfo& t : layer_types()) out += (out.empty() ? "" : ", ") + std::string(t.id);
  return out;
}

// ------------------------------------------------------------- text helpers

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
bool is_control(uint32_t cp) { return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F); }

std::string hex2(unsigned v) {
  const char* digits = "0123456789ABCDEF";
  return {digits[(v >> 4) & 15], digits[v & 15]};
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  for (size_t start = 0;;) {
    size_t end = s.find(sep, start);
    parts.push_back(s.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

// Decodes one UTF-8 sequence at s[i] and advances i; returns false (i
// unchanged) for bytes that are not well-formed UTF-8: stray continuation
// bytes, overlong forms, surrogates, code points above U+10FFFF, cut sequences.
bool next_code_point(std::string_view s, size_t& i, uint32_t& cp) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char b0 = byte(i);
  size_t len = 1;
  uint32_t min = 0;
  if (b0 < 0x80) {
    cp = b0;
  } else if ((b0 & 0xE0) == 0xC0) {
    len = 2, cp = b0 & 0x1Fu, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, cp = b0 & 0x0Fu, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, cp = b0 & 0x07u, min = 0x10000;
  } else {
    return false;
  }
  if (len > s.size() - i) return false;
  for (size_t k = 1; k < len; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return false;
    cp = (cp << 6) | (byte(i + k) & 0x3Fu);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
  i += len;
  return true;
}

// User text inside a message: quoted, escaped, cut to 40 characters (or
// ~100 bytes once escaped), so a 16 KB hostile hash still gives a short
// one-line message that is safe to print.
std::string excerpt(std::string_view s) {
  std::string out = "\"";
  size_t i = 0;
  for (size_t shown = 0; i < s.size() && shown < 40 && out.size() < 100; ++shown) {
    const size_t start = i;
    uint32_t cp = 0;
    if (!next_code_point(s, i, cp)) {
      out += "\\x" + hex2(static_cast<unsigned char>(s[i++]));
    } else if (is_control(cp)) {
      out += "\\u00" + hex2(cp);
    } else {
      if (cp == '"' || cp == '\\') out += '\\';
      out.append(s.substr(start, i - start));
    }
  }
  return out + (i < s.size() ? "\xE2\x80\xA6\"" : "\"");  // U+2026 ellipsis
}

// Where a value sits in the link; every failure message starts with it.
// No exceptions here (the WASM build has none): a failure is recorded
// through `error` and every function returns false at once, so decoding
// stops at the first problem, as the message promises.
struct Where {
  ShareLinkError* error;    // where the failure goes
  std::string part;         // ShareLinkError::part
  std::string prefix;       // e.g. `l: layer 3 "max_pool:kx2": k: `
  int layer = -1;
  std::string syntax_hint;  // replaces syntax messages where one form is expected

  // Returns false so failure sites read `return w.fail(...)`.
  [[nodiscard]] bool fail(const std::string& message) const {
    *error = ShareLinkError{prefix + message, part, layer};
    return false;
  }
  [[nodiscard]] bool syntax(const std::string& message) const {
    return fail(syntax_hint.empty() ? message : syntax_hint);
  }
  Where sub(const std::string& key) const {
    Where w = *this;
    w.prefix += key + ": ";
    return w;
  }
};

// For messages that carry no prefix of their own.
[[nodiscard]] bool fail(ShareLinkError& error, std::string message, std::string part, int layer = -1) {
  error = ShareLinkError{std::move(message), std::move(part), layer};
  return false;
}

int hex_value(char c) {
  if (is_digit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Strict RFC 3986 decoding: '+' stays '+'. The encoder escapes every byte
// outside [A-Za-z0-9_.~-], so this is its exact inverse.
[[nodiscard]] bool percent_decode(std::string_view s, const Where& w, std::string& out) {
  out.clear();
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    const int hi = i + 1 < s.size() ? hex_value(s[i + 1]) : -1;
    const int lo = i + 2 < s.size() ? hex_value(s[i + 2]) : -1;
    if (hi < 0 || lo < 0)
      return w.fail("invalid percent escape " + excerpt(s.substr(i, 3)) + " (write a literal % as %25)");
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return true;
}

std::string percent_encode(std::string_view s) {
  std::string out;
  for (const char c : s) {
    const bool plain = is_digit(c) || is_lower(c) || (c >= 'A' && c <= 'Z') || c == '_' ||
                       c == '.' || c == '~' || c == '-';
    out += plain ? std::string(1, c) : "%" + hex2(static_cast<unsigned char>(c));
  }
  return out;
}

// Text must be UTF-8 (it ends up in JS strings). Names and function names
// reach the table, the diagram and messages, so they also exclude control
// characters and are capped in length (counted in code points).
[[nodiscard]] bool check_text(std::string_view s, const Where& w, bool is_name) {
  size_t chars = 0;
  for (size_t i = 0; i < s.size(); ++chars) {
    const size_t at = i;
    uint32_t cp = 0;
    if (!next_code_point(s, i, cp)) return w.fail("invalid UTF-8 at byte " + std::to_string(at));
    if (is_name && is_control(cp)) return w.fail("control character U+00" + hex2(cp) + " is not allowed");
  }
  if (is_name && chars > limits::max_name_chars)
    return w.fail(std::to_string(chars) + " characters is too long (the limit is " +
                  std::to_string(limits::max_name_chars) + ")");
  return true;
}

// ---------------------------------------------------------------- decoding

// Reads decimal digits at s[pos]. Accumulation stops growing past the cap, so
// a thousand-digit number neither overflows nor costs more than one pass.
[[nodiscard]] bool read_size(std::string_view s, size_t& pos, const Where& w, int64_t& value) {
  if (pos == s.size()) {
    const char before = pos > 0 ? s[pos - 1] : '\0';
    return w.syntax(before == 'x' || before == '-'
                        ? std::string("expected a number after '") + before + "'"
                        : std::string("expected a number"));
  }
  if (s[pos] == '-') return w.fail("negative values cannot be written in a link");
  if (s[pos] == 'x') return w.syntax("expected a number before 'x'");
  if (!is_digit(s[pos])) return w.syntax("expected a number, got " + excerpt(s.substr(pos)));
  const size_t start = pos;
  value = 0;
  for (; pos < s.size() && is_digit(s[pos]); ++pos)
    if (value <= limits::max_dimension) value = value * 10 + (s[pos] - '0');
  if (value > limits::max_dimension)
    return w.fail(excerpt(s.substr(start, pos - start)) + " is larger than the largest supported size " +
                  std::to_string(limits::max_dimension));
  return true;
}

// One value per axis joined by 'x'; with pairs allowed an axis may be
// begin-end.
[[nodiscard]] bool read_axes(std::string_view s, bool allow_pairs, const Where& w, Array& axes) {
  axes.clear();
  size_t pos = 0;
  size_t pair_count = 0;
  for (;;) {
    int64_t begin = 0;
    if (!read_size(s, pos, w, begin)) return false;
    if (allow_pairs && pos < s.size() && s[pos] == '-') {
      ++pos;
      int64_t end = 0;
      if (!read_size(s, pos, w, end)) return false;
      axes.push_back(Array{Value(begin), Value(end)});
      ++pair_count;
    } else {
      axes.push_back(Value(begin));
    }
    if (pos == s.size()) break;
    if (s[pos] != 'x') return w.syntax("unexpected " + excerpt(s.substr(pos)) + " after a number");
    ++pos;
  }
  if (pair_count != 0 && pair_count != axes.size())
    return w.fail("mixes begin-end pairs and single values; write every axis as begin-end, like 0-1x1-0");
  return true;
}

// A single plain value is a scalar (k3 -> 3); lists and pairs stay arrays.
Value axes_value(Array axes) {
  return axes.size() == 1 && !axes[0].is_array() ? axes[0] : Value(std::move(axes));
}

// Locale-independent (a host that called setlocale() must not turn "0.5"
// into 0): the JSON reader's number parsing, which handles the C locale's
// decimal point. Not iostreams: they pull ~40 KB of locale code into the
// first-view module.
double decimal_to_double(std::string_view s) {
  json::Value v;
  json::ParseError e;
  return json::parse(std::string(s), v, e) && v.is_number() ? v.as_double() : 0.0;
}

// printf's %.*f with '.' whatever LC_NUMERIC says.
std::string fixed_decimal(double x, int places) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", places, x);
  std::string text = buf;
  for (char& c : text)
    if (!is_digit(c) && c != '-') c = '.';
  return text;
}

// Plenty for a rate, and a bound the encoder can always meet (see encode_rate).
constexpr size_t kMaxRateDecimals = 20;

// Digits, optionally '.' and digits. Without a '.', an integer: that keeps
// {"rate": 0} and {"rate": 0.0} apart through a round trip.
[[nodiscard]] bool read_rate(std::string_view s, const Where& w, Value& out) {
  size_t pos = 0;
  int64_t whole = 0;
  if (!read_size(s, pos, w, whole)) return false;
  if (pos == s.size()) {
    out = Value(whole);
    return true;
  }
  size_t frac = pos + 1;
  while (frac < s.size() && is_digit(s[frac])) ++frac;
  if (s[pos] != '.' || frac == pos + 1 || frac != s.size())
    return w.syntax("expected a rate written as digits, like r0.5, got " + excerpt(s));
  if (frac - pos - 1 > kMaxRateDecimals)
    return w.fail("at most " + std::to_string(kMaxRateDecimals) + " decimal places, got " + excerpt(s));
  out = Value(decimal_to_double(s));
  return true;
}

// The run of lowercase letters an argument starts with: the key the user meant.
std::string_view leading_word(std::string_view arg) {
  size_t n = 0;
  while (n < arg.size() && (is_lower(arg[n]) || arg[n] == '_')) ++n;
  return n == 0 ? arg : arg.substr(0, n);
}

class LayerDecoder {
 public:
  LayerDecoder(std::string_view type, Where where) : type_(type), w_(std::move(where)) {}

  [[nodiscard]] bool add_arg(std::string_view arg) {
    if (arg.empty()) return w_.fail("empty argument (two ':' in a row, or one at the end)");
    if (is_digit(arg[0]) || arg[0] == '-') return count(arg);
    if (arg.find('=') != std::string_view::npos) return text(arg);
    return keyed(arg);
  }

  // Key order: type, name, then the fields in the order the text gave them.
  Value finish() && {
    Object layer;
    layer.emplace_back("type", std::string(type_));
    if (name_) layer.emplace_back("name", std::move(*name_));
    for (auto& field : fields_) layer.push_back(std::move(field));
    return Value(std::move(layer));
  }

 private:
  [[nodiscard]] bool add(const std::string& field, Value value, const std::string& spelled) {
    for (const auto& f : fields_)
      if (f.first == field) return w_.fail(spelled + " appears twice");
    fields_.emplace_back(field, std::move(value));
    return true;
  }

  [[nodiscard]] bool count(std::string_view arg) {
    const char* field = principal_field(type_);
    if (!field)
      return w_.fail("a bare number gives the filters of conv or conv_transpose, or the units of dense; " +
                     std::string(type_) + " takes keyed values, like k2");
    const Where fw = w_.sub(field);
    size_t pos = 0;
    int64_t n = 0;
    if (!read_size(arg, pos, fw, n)) return false;
    if (pos != arg.size()) return fw.syntax("expected a single number, got " + excerpt(arg));
    return add(field, Value(n), std::string("the bare number (") + field + ")");
  }

  [[nodiscard]] bool text(std::string_view arg) {
    const size_t eq = arg.find('=');
    const std::string_view key = arg.substr(0, eq);
    const char* field = nullptr;
    for (const auto& k : kTextKeys)
      if (key == k[0]) field = k[1];
    if (!field) {
      for (const Key& k : kKeys)
        if (key == k.key)
          return w_.fail("write " + std::string(k.key) + " and its value together, like k3, not k=3");
      return unknown(key);
    }
    const Where kw = w_.sub(std::string(key));
    if (key == "i") {
      Array names;
      for (const std::string_view part : split(arg.substr(eq + 1), ',')) {
        std::string name;
        if (part.empty()) return kw.fail("empty name (two ',' in a row, or one at the start or end)");
        if (!percent_decode(part, kw, name) || !check_text(name, kw, true)) return false;
        names.push_back(Value(std::move(name)));
      }
      return add(field, Value(std::move(names)), "key \"i=\"");
    }
    std::string value;
    if (!percent_decode(arg.substr(eq + 1), kw, value) || !check_text(value, kw, true)) return false;
    if (key != "n") return add(field, Value(std::move(value)), "key \"fn=\"");
    if (name_) return w_.fail("key \"n=\" appears twice");
    name_ = Value(std::move(value));
    return true;
  }

  // Reads axes (with begin-end pairs if allowed) into the field.
  [[nodiscard]] bool add_axes(const Key& key, std::string_view value, bool allow_pairs, const Where& kw,
                              const std::string& spelled) {
    Array axes;
    if (!read_axes(value, allow_pairs, kw, axes)) return false;
    return add(key.field, axes_value(std::move(axes)), spelled);
  }

  [[nodiscard]] bool keyed(std::string_view arg) {
    const Key* key = nullptr;
    for (const Key& k : kKeys)
      if (!key && arg.substr(0, std::strlen(k.key)) == k.key) key = &k;
    if (!key) return unknown(leading_word(arg));
    const std::string_view value = arg.substr(std::strlen(key->key));
    // "stride2" starts like s, "keepdims" like keep: a word after the key
    // means the user wrote some other key ('x' is the axis separator, and
    // padding values are words).
    if (!value.empty() && is_lower(value[0]) && value[0] != 'x' && key->form != Form::padding &&
        key->form != Form::word)
      return unknown(leading_word(arg));
    const Where kw = w_.sub(key->key);
    const std::string spelled = "key \"" + std::string(key->key) + "\"";
    switch (key->form) {
      case Form::sizes:
        return add_axes(*key, value, false, kw, spelled);
      case Form::padding:
        if (value == "valid" || value == "same" || value == "same_lower")
          return add(key->field, Value(std::string(value)), spelled);
        if (!value.empty() && is_lower(value[0]))
          return kw.fail("expected valid, same, same_lower or sizes like 1, 1x2 or 0-1x1-0, got " +
                         excerpt(value));
        return add_axes(*key, value, true, kw, spelled);
      case Form::cropping:
        return add_axes(*key, value, true, kw, spelled);
      case Form::set_flag:
      case Form::clear_flag:
        if (!value.empty()) return kw.fail("takes no value, got " + excerpt(value));
        return add(key->field, Value(key->form == Form::set_flag), spelled);
      case Form::bit:
        if (value != "0" && value != "1")
          return kw.fail("expected " + std::string(key->key) + "0 or " + key->key + "1");
        return add(key->field, Value(value == "1"), spelled);
      case Form::rate: {
        Value rate;
        return read_rate(value, kw, rate) && add(key->field, std::move(rate), spelled);
      }
      case Form::integer: {
        const bool negative = !value.empty() && value[0] == '-';
        const std::string_view digits = negative ? value.substr(1) : value;
        if (digits.empty() || digits.size() > 2 || !std::all_of(digits.begin(), digits.end(), is_digit))
          return kw.fail("expected an axis like ax1 or ax-1, got " + excerpt(value));
        const int64_t x = std::stoll(std::string(digits));
        return add(key->field, Value(negative ? -x : x), spelled);
      }
      case Form::shape: {  // sizes joined by 'x', each a size or -1 (the network's validator counts the -1s)
        Array sizes;
        for (const std::string_view part : split(value, 'x')) {
          if (part == "-1") {
            sizes.push_back(Value(int64_t{-1}));
            continue;
          }
          size_t pos = 0;
          int64_t n = 0;
          if (!read_size(part, pos, kw, n)) return false;
          if (pos != part.size()) return kw.syntax("unexpected " + excerpt(part.substr(pos)) + " after a number");
          sizes.push_back(Value(n));
        }
        return add(key->field, Value(std::move(sizes)), spelled);
      }
      case Form::word:
        if (value != "keep" && value != "infer") return kw.fail("expected bkeep or binfer, got " + excerpt(arg));
        return add(key->field, Value(std::string(value)), spelled);
    }
    return true;  // unreachable: the switch covers every Form
  }

  [[nodiscard]] bool unknown(std::string_view key) const {
    return w_.fail("unknown key " + excerpt(key) + " (keys: " + kKeyList + ")");
  }

  std::string_view type_;
  Where w_;
  std::optional<Value> name_;
  Object fields_;
};

[[nodiscard]] bool decode_layer(std::string_view text, size_t index, ShareLinkError& error, Value& out) {
  const int layer = static_cast<int>(index);
  const std::string at = "l: layer " + std::to_string(index);
  if (text.empty())
    return fail(error, at + " is empty (two ';' in a row, or one at the start or end)", "l", layer);
  const Where w{&error, "l", at + " " + excerpt(text) + ": ", layer, ""};
  const std::vector<std::string_view> args = split(text, ':');
  if (!known_type(args[0]))
    return w.fail("unknown layer type " + excerpt(args[0]) + " (expected " + type_list() + ")");
  LayerDecoder decoder(args[0], w);
  for (size_t a = 1; a < args.size(); ++a)
    if (!decoder.add_arg(args[a])) return false;
  out = std::move(decoder).finish();
  return true;
}

[[nodiscard]] bool decode_layers(std::string_view text, ShareLinkError& error, Array& layers) {
  layers.clear();
  if (text.empty()) return true;
  const size_t count = 1 + static_cast<size_t>(std::count(text.begin(), text.end(), ';'));
  if (count > limits::max_layers)
    return fail(error, "l: " + std::to_string(count) + " layers; the limit is " + std::to_string(limits::max_layers),
                "l");
  const std::vector<std::string_view> parts = split(text, ';');
  for (size_t i = 0; i < parts.size(); ++i) {
    layers.emplace_back();
    if (!decode_layer(parts[i], i, error, layers.back())) return false;
  }
  return true;
}

[[nodiscard]] bool canonical_framework(std::string_view name, const Where& w, std::string& out) {
  std::string lower(name);
  for (char& c : lower)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  for (const auto& f : kFrameworks) {
    if (lower == f[0]) {
      out = f[1];
      return true;
    }
  }
  return w.fail("unknown framework " + excerpt(name) + " (expected pytorch, tensorflow or onnx)");
}

// ---------------------------------------------------------------- encoding
// The encode_* functions append their text to `out`.

[[nodiscard]] bool encode_size(const Value& v, const Where& w, std::string& out) {
  if (!v.is_integer()) return w.fail("expected an integer");
  if (v.as_int() < 0) return w.fail("negative values cannot be written in a link");
  if (v.as_int() > limits::max_dimension)
    return w.fail(std::to_string(v.as_int()) + " is larger than the largest supported size " +
                  std::to_string(limits::max_dimension));
  out += std::to_string(v.as_int());
  return true;
}

// Inverse of read_axes (and of the padding words).
[[nodiscard]] bool encode_axes(const Value& v, Form form, const Where& w, std::string& out) {
  if (form == Form::padding && v.is_string()) {
    const std::string& s = v.as_string();
    if (s != "valid" && s != "same" && s != "same_lower")
      return w.fail("expected valid, same or same_lower, got " + excerpt(s));
    out += s;
    return true;
  }
  if (!v.is_array()) return encode_size(v, w, out);
  const Array& axes = v.as_array();
  if (axes.empty()) return w.fail("an empty list cannot be written in a link");
  const bool pairs = axes[0].is_array();
  if (pairs && form == Form::sizes) return w.fail("expected an integer or a list of integers");
  for (size_t i = 0; i < axes.size(); ++i) {
    const Value& axis = axes[i];
    if (i > 0) out += 'x';
    if (axis.is_array() != pairs) return w.fail("mixes begin-end pairs and single values");
    if (!pairs) {
      if (!encode_size(axis, w, out)) return false;
      continue;
    }
    const Array& pair = axis.as_array();
    if (pair.size() != 2) return w.fail("expected [begin, end] pairs");
    if (!encode_size(pair[0], w, out)) return false;
    out += '-';
    if (!encode_size(pair[1], w, out)) return false;
  }
  return true;
}

// The shortest fixed-point text that reads back to the same double (the link
// grammar has no exponent), always with a '.' so the value stays a JSON
// number. A rate decoded from <= 20 places always reads back at some p <= 20:
// either half an ulp exceeds 0.5e-20, or x sits within that of its text.
[[nodiscard]] bool encode_rate(const Value& v, const Where& w, std::string& out) {
  if (v.is_integer()) return encode_size(v, w, out);
  if (!v.is_number()) return w.fail("expected a number");
  const double x = v.as_double();
  if (x < 0) return w.fail("negative values cannot be written in a link");
  if (!(x <= static_cast<double>(limits::max_dimension))) return w.fail("expected a finite rate");
  if (x == 0) {
    out += "0.0";  // -0.0 would print its sign
    return true;
  }
  for (int places = 1; places <= static_cast<int>(kMaxRateDecimals); ++places) {
    const std::string text = fixed_decimal(x, places);
    if (decimal_to_double(text) == x) {
      out += text;
      return true;
    }
  }
  return w.fail("this rate needs more than " + std::to_string(kMaxRateDecimals) + " decimal places");
}

[[nodiscard]] bool encode_layer(const Value& layer, size_t index, ShareLinkError& error, std::string& out) {
  const int li = static_cast<int>(index);
  const std::string at = "l: layer " + std::to_string(index);
  if (!layer.is_object()) return fail(error, at + ": expected a JSON object", "l", li);
  const Value* type = layer.find("type");
  if (!type || !type->is_string() || !known_type(type->as_string()))
    return fail(error, at + ": missing or unknown type (expected " + type_list() + ")", "l", li);
  const std::string& type_name = type->as_string();
  const Where w{&error, "l", at + " (" + type_name + "): ", li, ""};
  out += type_name;
  const char* count = principal_field(type_name);
  // Fields keep their JSON order (the decoder keeps text order), so
  // decode(encode(v)) == v whenever name is absent or second, as the
  // decoder writes it.
  for (const auto& [field, value] : layer.as_object()) {
    // `source` (the line of pasted code a layer came from) stays out, like the
    // network's description and guess (api.cpp): links stay short, so a
    // shared link of an imported model has no line links.
    if (field == "type" || field == "name" || field == "source") continue;
    if (count && field == count) {
      out += ":";
      if (!encode_size(value, w.sub(count), out)) return false;
      continue;
    }
    if (field == "function") {
      if (!value.is_string()) return w.sub(field).fail("expected a string");
      if (!check_text(value.as_string(), w.sub(field), true)) return false;
      out += ":fn=" + percent_encode(value.as_string());
      continue;
    }
    if (field == "inputs") {
      if (!value.is_array() || value.as_array().empty()) return w.sub(field).fail("expected a list of names");
      out += ":i=";
      for (size_t k = 0; k < value.as_array().size(); ++k) {
        const Value& name = value.as_array()[k];
        if (!name.is_string()) return w.sub(field).fail("expected names (strings)");
        if (!check_text(name.as_string(), w.sub(field), true)) return false;
        out += (k ? "," : "") + percent_encode(name.as_string());
      }
      continue;
    }
    if (field == "axis") {
      if (!value.is_integer() || value.as_int() < -9 || value.as_int() > 9) return w.sub(field).fail("expected a small integer");
      out += ":ax" + std::to_string(value.as_int());
      continue;
    }
    const Key* key = nullptr;
    for (const Key& k : kKeys)
      if (field == k.field) key = &k;
    if (!key) return w.fail("unknown field " + excerpt(field) + " cannot be written in a link");
    const Where fw = w.sub(field);
    const bool is_flag = key->form == Form::set_flag || key->form == Form::clear_flag ||
                         key->form == Form::bit;
    if (is_flag && !value.is_bool()) return fw.fail("expected true or false");
    switch (key->form) {
      case Form::set_flag:
      case Form::clear_flag:
        // Only the non-default value is spelled: ceil (true), nobias (false).
        if (value.as_bool() == (key->form == Form::set_flag)) out += ":" + std::string(key->key);
        break;
      case Form::bit:
        out += ":" + std::string(key->key) + (value.as_bool() ? "1" : "0");
        break;
      case Form::rate:
        out += ":r";
        if (!encode_rate(value, fw, out)) return false;
        break;
      case Form::shape: {
        if (!value.is_array() || value.as_array().empty()) return fw.fail("expected a list of sizes");
        out += ":sh";
        for (size_t k = 0; k < value.as_array().size(); ++k) {
          const Value& size = value.as_array()[k];
          if (k) out += 'x';
          if (size.is_integer() && size.as_int() == -1) out += "-1";
          else if (!encode_size(size, fw, out)) return false;
        }
        break;
      }
      case Form::word:
        if (!value.is_string() || (value.as_string() != "keep" && value.as_string() != "infer"))
          return fw.fail("expected \"keep\" or \"infer\"");
        out += ":b" + value.as_string();
        break;
      default:
        out += ":" + std::string(key->key);
        if (!encode_axes(value, key->form, fw, out)) return false;
    }
  }
  if (const Value* name = layer.find("name")) {
    if (!name->is_string()) return w.sub("name").fail("expected a string");
    if (!check_text(name->as_string(), w.sub("name"), true)) return false;
    out += ":n=" + percent_encode(name->as_string());
  }
  return true;
}

}  // namespace

bool decode(const std::string& hash, Decoded& out, ShareLinkError& error) {
  std::string_view text = hash;
  if (!text.empty() && text.front() == '#') text.remove_prefix(1);
  if (text.size() > limits::max_share_link_chars)
    return fail(error, "the link is " + std::to_string(text.size()) + " characters long; the limit is " +
                           std::to_string(limits::max_share_link_chars),
                "");
  // Split first, so the version is checked before anything else is read:
  // a future v=2 may spell everything differently.
  std::optional<std::string_view> reserved[5];  // v, fw, in, l, mode
  std::vector<std::pair<std::string, std::string_view>> raw_extras;
  std::set<std::string> seen;
  for (const std::string_view param : split(text, '&')) {
    if (param.empty()) continue;  // "a=1&&b=2", a trailing '&': harmless slips when editing
    const size_t eq = param.find('=');
    const std::string_view raw_key = param.substr(0, eq);
    const Where kw{&error, "", "parameter " + excerpt(raw_key) + ": ", -1, ""};
    std::string key;
    if (!percent_decode(raw_key, kw, key) || !check_text(key, kw, false)) return false;
    if (key.empty()) return fail(error, "a parameter has no name: " + excerpt(param), "");
    if (!seen.insert(key).second) return fail(error, "duplicate parameter " + excerpt(key), key);
    const std::string_view value = eq == std::string_view::npos ? "" : param.substr(eq + 1);
    bool is_reserved = false;
    for (size_t r = 0; r < 5; ++r) {
      if (key != kReservedParams[r]) continue;
      reserved[r] = value;
      is_reserved = true;
    }
    if (!is_reserved) raw_extras.emplace_back(std::move(key), value);
  }

  const auto& [version, fw, in, layers, mode] = reserved;
  if (!version) return fail(error, "v: missing v=1 (the link version)", "v");
  if (*version != "1" && *version != "2") {
    const bool short_number = version->size() <= 10 && !version->empty() &&
                              std::all_of(version->begin(), version->end(), is_digit);
    return fail(error,
                "v: unsupported link version " + (short_number ? std::string(*version) : excerpt(*version)) +
                    "; this page reads v=1 and v=2",
                "v");
  }
  if (!fw) return fail(error, "fw: missing fw= (pytorch, tensorflow or onnx)", "fw");
  if (!in) return fail(error, "in: missing in= (the input shape, like in=1x3x224x224)", "in");

  // Built in locals and moved to `out` only when the whole link has decoded.
  std::string framework;
  Array input;
  Array layer_list;
  const Where in_where{&error, "in", "in: ", -1,
                       "expected sizes joined by 'x' like 1x3x28x28, got " + excerpt(*in)};
  if (!canonical_framework(*fw, Where{&error, "fw", "fw: ", -1, ""}, framework) ||
      !read_axes(*in, false, in_where, input) ||
      !decode_layers(layers ? *layers : std::string_view(), error, layer_list))
    return false;
  // mode= (train or eval) is checked by the network validator like any field.
  std::string mode_text;
  if (mode && (!percent_decode(*mode, Where{&error, "mode", "mode: ", -1, ""}, mode_text) ||
               !check_text(mode_text, Where{&error, "mode", "mode: ", -1, ""}, false)))
    return false;
  Decoded decoded;
  Object fields{{"framework", std::move(framework)}};
  if (mode) fields.push_back({"mode", Value(std::move(mode_text))});
  fields.push_back({"input", Value(std::move(input))});
  fields.push_back({"layers", Value(std::move(layer_list))});
  decoded.network = Value(std::move(fields));
  for (auto& [key, raw] : raw_extras) {
    const Where w{&error, key, excerpt(key) + ": ", -1, ""};
    std::string value;
    if (!percent_decode(raw, w, value) || !check_text(value, w, false)) return false;
    decoded.extras.emplace_back(std::move(key), std::move(value));
  }
  out = std::move(decoded);
  return true;
}

bool encode(const json::Value& network, const Extras& extras, std::string& out, ShareLinkError& error) {
  if (!network.is_object()) return fail(error, "the network must be a JSON object", "");
  for (const auto& field : network.as_object())
    if (field.first != "framework" && field.first != "input" && field.first != "layers" && field.first != "mode")
      return fail(error, "unknown field " + excerpt(field.first) + " cannot be written in a link", "");

  const Value* fw = network.find("framework");
  const Where fw_where{&error, "fw", "fw: ", -1, ""};
  if (!fw || !fw->is_string()) return fw_where.fail("the network has no framework");
  std::string framework;
  if (!canonical_framework(fw->as_string(), fw_where, framework)) return false;
  const Value* layer_list = network.find("layers");
  const bool v2 = layer_list && layer_list->is_array() &&
                  std::any_of(layer_list->as_array().begin(), layer_list->as_array().end(), needs_v2);
  std::string text = std::string(v2 ? "v=2" : "v=1") + "&fw=" + framework;
  if (const Value* mode = network.find("mode")) {
    if (!mode->is_string() || (mode->as_string() != "train" && mode->as_string() != "eval"))
      return fail(error, "mode: expected \"train\" or \"eval\"", "mode");
    text += "&mode=" + mode->as_string();
  }

  const Value* input = network.find("input");
  const Where in_where{&error, "in", "in: ", -1, ""};
  if (!input || !input->is_array() || input->as_array().empty())
    return in_where.fail("expected the input shape as a list of integers");
  text += "&in=";
  for (const Value& size : input->as_array()) {
    if (text.back() != '=') text += 'x';
    if (!encode_size(size, in_where, text)) return false;
  }

  const Value* layers = network.find("layers");
  if (!layers || !layers->is_array()) return fail(error, "l: the network has no layers list", "l");
  if (layers->as_array().size() > limits::max_layers)
    return fail(error,
                "l: " + std::to_string(layers->as_array().size()) + " layers; the limit is " +
                    std::to_string(limits::max_layers),
                "l");
  text += "&l=";
  for (size_t i = 0; i < layers->as_array().size(); ++i) {
    if (i) text += ';';
    if (!encode_layer(layers->as_array()[i], i, error, text)) return false;
  }

  std::set<std::string> seen;
  for (const auto& [key, value] : extras) {
    const Where w{&error, key, excerpt(key) + ": ", -1, ""};
    if (key.empty()) return w.fail("an extra parameter needs a name");
    for (const char* r : kReservedParams)
      if (key == r) return w.fail("reserved for the network; it cannot be an extra parameter");
    if (!seen.insert(key).second) return w.fail("appears twice");
    if (!check_text(key, w, false) || !check_text(value, w, false)) return false;
    text += "&" + percent_encode(key) + "=" + percent_encode(value);
  }
  if (text.size() > limits::max_share_link_chars)
    return fail(error,
                "the link would be " + std::to_string(text.size()) + " characters long; the limit is " +
                    std::to_string(limits::max_share_link_chars),
                "");
  out = std::move(text);
  return true;
}

}  // namespace convscope::share_link
