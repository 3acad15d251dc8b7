#include "convscope/network.hpp"

#include <algorithm>
#include <array>

#include "convscope/layer_types.hpp"

namespace convscope {

namespace {
constexpr std::array<const char*, 3> kFrameworkNames = {"pytorch", "tensorflow", "onnx"};
}  // namespace

const char* to_string(Framework f) { return kFrameworkNames[static_cast<size_t>(f)]; }
const char* to_string(LayerType t) { return type_info(t).id; }

const char* to_string(Mode m) { return m == Mode::train ? "train" : "eval"; }

std::optional<Mode> mode_from_string(const std::string& s) {
  if (s == "train") return Mode::train;
  if (s == "eval") return Mode::eval;
  return std::nullopt;
}

Mode default_mode(Framework f) { return f == Framework::pytorch ? Mode::train : Mode::eval; }

std::optional<Framework> framework_from_string(const std::string& s) {
  for (size_t i = 0; i < kFrameworkNames.size(); ++i)
    if (s == kFrameworkNames[i]) return static_cast<Framework>(i);
  return std::nullopt;
}

std::optional<LayerType> layer_type_from_string(const std::string& s) {
  for (const LayerTypeInfo& info : layer_types())
    if (s == info.id) return info.type;
  return std::nullopt;
}

InputList inputs_of(const Network& net, size_t i) {
  const Layer& l = net.layers[i];
  if (!l.inputs.empty()) return InputList(l.inputs.begin(), l.inputs.end());
  return InputList(1, i == 0 ? kNetworkInput : static_cast<int32_t>(i - 1));
}

bool has_default_inputs(const Network& net, size_t i) {
  const Layer& l = net.layers[i];
  return l.inputs.empty() ||
         (l.inputs.size() == 1 && l.inputs[0] == (i == 0 ? kNetworkInput : static_cast<int32_t>(i - 1)));
}

namespace {
// Spells every layer's inputs out, so shifting positions keeps who feeds whom.
void make_inputs_explicit(Network& net) {
  for (size_t i = 0; i < net.layers.size(); ++i)
    if (net.layers[i].inputs.empty()) {
      const InputList in = inputs_of(net, i);
      net.layers[i].inputs.assign(in.begin(), in.end());
    }
}
}  // namespace

void insert_layer(Network& net, size_t at, Layer layer) {
  make_inputs_explicit(net);
  for (size_t i = at; i < net.layers.size(); ++i)
    for (int32_t& k : net.layers[i].inputs)
      if (k >= static_cast<int32_t>(at)) ++k;
  if (layer.inputs.empty()) layer.inputs.push_back(at == 0 ? kNetworkInput : static_cast<int32_t>(at - 1));
  net.layers.insert(net.layers.begin() + static_cast<std::ptrdiff_t>(at), std::move(layer));
  compact_inputs(net);
}

void remove_layer(Network& net, size_t at) {
  make_inputs_explicit(net);
  const int32_t removed = static_cast<int32_t>(at);
  const int32_t replacement = net.layers[at].inputs.empty() ? kNetworkInput : net.layers[at].inputs[0];
  for (size_t i = at + 1; i < net.layers.size(); ++i)
    for (int32_t& k : net.layers[i].inputs) {
      if (k == removed) k = replacement;
      else if (k > removed) --k;
    }
  net.layers.erase(net.layers.begin() + static_cast<std::ptrdiff_t>(at));
  compact_inputs(net);
}

SourceLine make_source_line(int64_t line, const std::string& text) {
  // Blanks are spaces, tabs, form feeds and the \r of a CRLF file; control
  // characters inside become spaces, so the line is one line of plain text.
  const auto blank = [](unsigned char c) { return c == ' ' || c == '\t' || c == '\f' || c == '\r' || c == '\v'; };
  size_t begin = 0, end = text.size();
  while (begin < end && blank(static_cast<unsigned char>(text[begin]))) ++begin;
  while (end > begin && blank(static_cast<unsigned char>(text[end - 1]))) --end;
  SourceLine s;
  s.line = line;
  size_t points = 0;
  for (size_t i = begin; i < end; ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    const bool starts_point = (c & 0xC0) != 0x80;
    if (starts_point && ++points == max_source_code_chars && i < end) {
      // Room for this point and nothing after it: keep it if it is the last.
      size_t next = i + 1;
      while (next < end && (static_cast<unsigned char>(text[next]) & 0xC0) == 0x80) ++next;
      if (next < end) {
        s.code += "\u2026";
        return s;
      }
    }
    s.code += c < 0x20 || c == 0x7F ? ' ' : static_cast<char>(c);
  }
  return s;
}

std::string display_name(const std::string& name) {
  const bool digits = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; });
  return digits ? "\"" + name + "\"" : name;
}

std::string layer_ref(size_t index, const std::string& name) {
  return "layer " + std::to_string(index + 1) + " (" + display_name(name) + ")";
}

std::string input_label(const Network& net, int32_t k) {
  return k == kNetworkInput ? std::string("the input") : display_name(net.layers[static_cast<size_t>(k)].name);
}

void compact_inputs(Network& net) {
  for (size_t i = 0; i < net.layers.size(); ++i)
    if (has_default_inputs(net, i)) net.layers[i].inputs.clear();
}

}  // namespace convscope
