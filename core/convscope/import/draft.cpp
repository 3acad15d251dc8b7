#include "convscope/import/draft.hpp"

#include <algorithm>

#include "convscope/limits.hpp"
#include "convscope/network_json.hpp"

namespace convscope::import {

using json::Value;

void Draft::add(json::Object layer, std::string origin) {
  layers.push_back(Value(std::move(layer)));
  origins.push_back(std::move(origin));
}

std::string Draft::free_name(const std::string& base) const {
  const auto taken = [&](const std::string& n) {
    return std::any_of(layers.begin(), layers.end(), [&](const Value& l) {
      const Value* name = l.find("name");
      return name && name->is_string() && name->as_string() == n;
    });
  };
  std::string name = base;
  for (int k = 2; taken(name); ++k) name = base + "_" + std::to_string(k);
  return name;
}

json::Object layer_object(const char* type, const std::string& name) {
  json::Object o{{"type", Value(type)}};
  if (!name.empty()) o.push_back({"name", Value(clean_name(name))});
  return o;
}

json::Value axes_json(const std::vector<int64_t>& v) {
  if (!v.empty() && std::all_of(v.begin(), v.end(), [&](int64_t x) { return x == v[0]; })) return Value(v[0]);
  json::Array a;
  for (int64_t x : v) a.push_back(Value(x));
  return Value(std::move(a));
}

json::Value pairs_json(const std::vector<std::pair<int64_t, int64_t>>& v) {
  json::Array a;
  for (const auto& p : v) a.push_back(Value(json::Array{Value(p.first), Value(p.second)}));
  return Value(std::move(a));
}

std::string clean_name(const std::string& s) {
  std::string out;
  for (unsigned char ch : s) out += ch < 0x20 || ch == 0x7f ? '?' : static_cast<char>(ch);
  if (out.size() <= limits::max_name_chars) return out;
  size_t cut = limits::max_name_chars;
  // Back up over UTF-8 continuation bytes so the cut never splits a character.
  while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
  return out.substr(0, cut);
}

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string s;
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? "x" : "") + std::to_string(shape[i]);
  return s;
}

namespace {

// "layers[12].kernel: ..." -> 12 and the rest after "layers[12]".
bool layer_index_of(const std::string& error, size_t& index, std::string& rest) {
  const std::string prefix = "layers[";
  if (error.compare(0, prefix.size(), prefix) != 0) return false;
  const size_t close = error.find(']');
  if (close == std::string::npos || close == prefix.size() || close > prefix.size() + 6) return false;
  index = 0;
  for (size_t i = prefix.size(); i < close; ++i) {
    if (error[i] < '0' || error[i] > '9') return false;
    index = index * 10 + static_cast<size_t>(error[i] - '0');
  }
  rest = error.substr(close + 1);
  if (!rest.empty() && rest[0] == '.') rest.erase(0, 1);
  return true;
}

}  // namespace

bool Draft::network(Network& out, std::string& error) const {
  json::Array dims;
  for (int64_t x : input) dims.push_back(Value(x));
  json::Object root{{"framework", Value(to_string(framework))}};
  if (!description.empty()) root.push_back({"description", Value(description.substr(0, 2000))});
  if (!guessed.empty()) root.push_back({"guessed", Value(guessed.substr(0, 2000))});
  root.push_back({"input", Value(std::move(dims))});
  root.push_back({"layers", Value(layers)});
  std::string why;
  if (network_json::from_json(Value(std::move(root)), out, why)) return true;
  size_t index = 0;
  std::string rest;
  if (layer_index_of(why, index, rest) && index < origins.size())
    error = origins[index] + ": " + rest;
  else if (why.compare(0, 5, "input") == 0)
    error = "input shape " + shape_text(input) + why.substr(why.find(':') == std::string::npos ? 0 : why.find(':'));
  else
    error = why;
  return false;
}

bool finish(Draft& d, Format format, ImportResult& out, std::string& error) {
  if (d.layers.size() > limits::max_layers) {
    error = d.origins[limits::max_layers] + ": more than " + std::to_string(limits::max_layers) +
            " layers (ConvScope's limit for one network)";
    return false;
  }
  if (d.layers.empty()) {
    error = "no layers found that ConvScope can analyse";
    if (!d.notes.empty()) error += " (" + d.notes.back() + ")";
    return false;
  }
  Network net;
  if (!d.network(net, error)) return false;
  out.format = format;
  out.network = std::move(net);
  out.notes = std::move(d.notes);
  return true;
}

}  // namespace convscope::import
