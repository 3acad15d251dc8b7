#include "convscope/kernels/options_json.hpp"

#include <cstdint>
#include <limits>

namespace convscope::kernels::options {

using json::Value;

std::string show(const Value& v) { return json::write(v, -1); }

const Value* option(const Value& root, const char* key) {
  const Value* v = root.find(key);
  return v && !v->is_null() ? v : nullptr;
}

std::string check_keys(const Value& root, const char* const* known, size_t count) {
  for (const auto& [key, value] : root.as_object()) {
    bool found = false;
    for (size_t i = 0; i < count && !found; ++i) found = key == known[i];
    if (!found) return "unknown option \"" + key + "\"";
  }
  return "";
}

std::string read_int(const Value& v, const std::string& name, int& out) {
  if (!v.is_integer() || v.as_int() < std::numeric_limits<int>::min() || v.as_int() > std::numeric_limits<int>::max()) {
    return name + " must be an integer, got " + show(v);
  }
  out = int(v.as_int());
  return "";
}

std::string read_ints(const Value& v, const std::string& name, size_t n, int* out) {
  if (!v.is_array() || v.as_array().size() != n) {
    return name + " must be an array of " + std::to_string(n) + " integers, got " + show(v);
  }
  for (size_t i = 0; i < n; ++i) {
    if (std::string e = read_int(v.as_array()[i], name + "[" + std::to_string(i) + "]", out[i]); !e.empty()) return e;
  }
  return "";
}

std::string read_pads(const Value& v, int& top, int& bottom, int& left, int& right, const char* shape_text) {
  if (!v.is_array() || v.as_array().size() != 2) return shape_text + show(v);
  int h[2], w[2];
  if (std::string e = read_ints(v.as_array()[0], "padding[0]", 2, h); !e.empty()) return e;
  if (std::string e = read_ints(v.as_array()[1], "padding[1]", 2, w); !e.empty()) return e;
  top = h[0];
  bottom = h[1];
  left = w[0];
  right = w[1];
  return "";
}

std::string read_bool(const Value& v, const std::string& name, bool& out) {
  if (!v.is_bool()) return name + " must be true or false, got " + show(v);
  out = v.as_bool();
  return "";
}

std::string parse_object(const std::string& text, Value& root) {
  json::ParseError parse_error;
  if (!json::parse(text, root, parse_error)) return "options are not JSON: " + parse_error.message;
  if (!root.is_object()) return "options must be an object";
  return "";
}

}  // namespace convscope::kernels::options
