// Helpers for the import tests: read a fixture, import it, analyse it; a tiny
// protobuf encoder that writes ONNX models byte by byte from the schema
// (onnx/onnx.proto3); and readers that turn exported code back into the
// formats ConvScope imports. Header-only, like test_support.hpp.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "convscope/import/import.hpp"
#include "convscope/import/text.hpp"
#include "convscope/json.hpp"
#include "convscope/network_json.hpp"
#include "test_support.hpp"

namespace import_support {

namespace cs = convscope;
namespace imp = convscope::import;

inline std::string fixture(const std::string& name) {
  const auto path = test_support::source_dir() / "tests" / "fixtures" / "import" / name;
  const std::string text = test_support::read_text(path);
  INFO("fixture " << path.string());
  REQUIRE(!text.empty());
  return text;
}

inline imp::ImportResult import_ok(const std::string& text, const imp::ImportOptions& options = {}) {
  imp::ImportResult r;
  std::string error;
  const bool ok = imp::import_any(text, options, r, error);
  INFO("import error: " << error);
  REQUIRE(ok);
  return r;
}

inline std::string import_error(const std::string& text, const imp::ImportOptions& options = {}) {
  imp::ImportResult r;
  std::string error;
  if (imp::import_any(text, options, r, error)) return "";
  return error;
}

inline imp::ImportOptions with_input(std::vector<int64_t> shape) {
  imp::ImportOptions o;
  o.input = std::move(shape);
  return o;
}

inline std::string all_notes(const imp::ImportResult& r) {
  std::string s;
  for (const auto& n : r.notes) s += n + "\n";
  return s;
}

inline std::vector<std::string> types_of(const cs::Network& net) {
  std::vector<std::string> out;
  for (const auto& l : net.layers) out.push_back(cs::to_string(l.type));
  return out;
}

// The layers of the canonical JSON, for comparing two networks.
inline std::string layers_json(const cs::Network& net) {
  const cs::json::Value v = cs::network_json::to_json(net);
  return cs::json::write(*v.find("layers"), -1) + " input " + cs::json::write(*v.find("input"), -1) + " " +
         cs::to_string(net.framework);
}

// ---- A tiny protobuf encoder ---------------------------------------------------------

class Pb {
 public:
  Pb& varint(uint32_t field, uint64_t v) {
    key(field, 0);
    raw_varint(v);
    return *this;
  }
  Pb& bytes(uint32_t field, const std::string& b) {
    key(field, 2);
    raw_varint(b.size());
    out_ += b;
    return *this;
  }
  Pb& message(uint32_t field, const Pb& m) { return bytes(field, m.out_); }
  Pb& packed(uint32_t field, const std::vector<int64_t>& values) {
    Pb inner;
    for (int64_t v : values) inner.raw_varint(static_cast<uint64_t>(v));
    return bytes(field, inner.out_);
  }
  Pb& fixed32(uint32_t field, float f) {
    key(field, 5);
    uint32_t bits = 0;
    std::memcpy(&bits, &f, sizeof bits);
    for (int i = 0; i < 4; ++i) out_ += static_cast<char>((bits >> (8 * i)) & 0xff);
    return *this;
  }
  const std::string& str() const { return out_; }

 private:
  void key(uint32_t field, uint32_t wire) { raw_varint((static_cast<uint64_t>(field) << 3) | wire); }
  void raw_varint(uint64_t v) {
    do {
      uint8_t b = v & 0x7f;
      v >>= 7;
      if (v) b |= 0x80;
      out_ += static_cast<char>(b);
    } while (v);
  }
  std::string out_;
};

// ONNX messages, field numbers from onnx/onnx.proto3.
namespace onnx {

struct Attr {
  std::string name;
  std::vector<int64_t> ints;
  bool is_int = false, is_string = false, is_float = false;
  int64_t i = 0;
  std::string s;
  float f = 0;
};
inline Attr ints(const std::string& name, std::vector<int64_t> v) {
  Attr a;
  a.name = name;
  a.ints = std::move(v);
  return a;
}
inline Attr integer(const std::string& name, int64_t v) {
  Attr a;
  a.name = name;
  a.is_int = true;
  a.i = v;
  return a;
}
inline Attr string(const std::string& name, const std::string& v) {
  Attr a;
  a.name = name;
  a.is_string = true;
  a.s = v;
  return a;
}

inline Pb attribute(const Attr& a) {
  Pb p;
  p.bytes(1, a.name);
  if (a.is_int) p.varint(3, static_cast<uint64_t>(a.i)).varint(20, 2);           // INT
  else if (a.is_string) p.bytes(4, a.s).varint(20, 3);                            // STRING
  else if (a.is_float) p.fixed32(2, a.f).varint(20, 1);                           // FLOAT
  else p.packed(8, a.ints).varint(20, 7);                                         // INTS
  return p;
}

inline Pb node(const std::string& op, const std::vector<std::string>& inputs, const std::vector<std::string>& outputs,
               const std::string& name, const std::vector<Attr>& attrs = {}) {
  Pb n;
  for (const auto& i : inputs) n.bytes(1, i);
  for (const auto& o : outputs) n.bytes(2, o);
  n.bytes(3, name).bytes(4, op);
  for (const auto& a : attrs) n.message(5, attribute(a));
  return n;
}

// A float tensor's shape (no data: ConvScope reads dims only), or int64 values.
inline Pb tensor(const std::string& name, const std::vector<int64_t>& dims) {
  Pb t;
  t.packed(1, dims).varint(2, 1).bytes(8, name);
  return t;
}
inline Pb int64_tensor(const std::string& name, const std::vector<int64_t>& values) {
  Pb t;
  std::string raw;
  for (int64_t v : values)
    for (int b = 0; b < 8; ++b) raw += static_cast<char>((static_cast<uint64_t>(v) >> (8 * b)) & 0xff);
  t.packed(1, {static_cast<int64_t>(values.size())}).varint(2, 7).bytes(8, name).bytes(9, raw);
  return t;
}

// A float tensor with its values (Resize's scales, Clip's bounds).
inline Pb float_tensor(const std::string& name, const std::vector<float>& values, std::vector<int64_t> dims = {}) {
  Pb t;
  std::string raw;
  for (float f : values) {
    uint32_t bits = 0;
    std::memcpy(&bits, &f, sizeof bits);
    for (int b = 0; b < 4; ++b) raw += static_cast<char>((bits >> (8 * b)) & 0xff);
  }
  if (dims.empty()) dims = {static_cast<int64_t>(values.size())};
  t.packed(1, dims).varint(2, 1).bytes(8, name).bytes(9, raw);
  return t;
}

// ValueInfoProto with a tensor type; a negative size is written as dim_param "N".
inline Pb value_info(const std::string& name, const std::vector<int64_t>& dims) {
  Pb shape;
  for (int64_t d : dims) {
    Pb dim;
    if (d >= 0) dim.varint(1, static_cast<uint64_t>(d));
    else dim.bytes(2, d == -1 ? "batch_size" : "height");
    shape.message(1, dim);
  }
  Pb tensor_type;
  tensor_type.varint(1, 1).message(2, shape);
  Pb type;
  type.message(1, tensor_type);
  Pb v;
  v.bytes(1, name).message(2, type);
  return v;
}

inline std::string model(const std::vector<Pb>& nodes, const std::vector<Pb>& initializers, const Pb& input,
                         const Pb& output, int64_t opset = 13) {
  Pb graph;
  for (const auto& n : nodes) graph.message(1, n);
  graph.bytes(2, "test_graph");
  for (const auto& t : initializers) graph.message(5, t);
  graph.message(11, input).message(12, output);
  Pb opset_id;
  opset_id.bytes(1, "").varint(2, static_cast<uint64_t>(opset));
  Pb m;
  m.varint(1, 8).bytes(2, "convscope-test").message(7, graph).message(8, opset_id);
  return m.str();
}

}  // namespace onnx

// ---- Reading exported code back --------------------------------------------------------

inline std::string trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\r')) --e;
  return s.substr(b, e - b);
}

inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// "x = torch.zeros(1, 3, 32, 32)" -> {1, 3, 32, 32}
inline std::vector<int64_t> torch_input(const std::string& code) {
  std::vector<int64_t> shape;
  const size_t at = code.find("torch.zeros(");
  REQUIRE(at != std::string::npos);
  int64_t v = 0;
  for (size_t i = at + 12; i < code.size() && code[i] != ')'; ++i) {
    if (code[i] >= '0' && code[i] <= '9') v = v * 10 + (code[i] - '0');
    else if (code[i] == ',') { shape.push_back(v); v = 0; }
  }
  shape.push_back(v);
  return shape;
}

// Exported nn.Sequential -> the print(model) text PyTorch would show for it.
inline std::string repr_from_pytorch_code(const std::string& code) {
  std::string repr = "Sequential(\n";
  size_t index = 0;
  for (const std::string& raw : lines_of(code)) {
    const std::string line = trim(raw);
    std::string name, module;
    if (line.rfind("(\"", 0) == 0) {
      const size_t close = line.find("\", ");
      REQUIRE(close != std::string::npos);
      name = line.substr(2, close - 2);
      module = line.substr(close + 3);
      if (module.rfind("nn.", 0) == 0) module = module.substr(3);
      REQUIRE(module.size() > 2);
      module = module.substr(0, module.size() - 2);  // drop "),"
    } else if (line.rfind("nn.", 0) == 0 && line.back() == ',') {
      name = std::to_string(index);
      module = line.substr(3, line.size() - 4);
    } else {
      continue;
    }
    ++index;
    repr += "  (" + name + "): " + module + "\n";
  }
  return repr + ")\n";
}

inline cs::json::Value json_of(const imp::text::PyValue& v) {
  using K = imp::text::PyValue::Kind;
  switch (v.kind) {
    case K::integer: return cs::json::Value(v.i);
    case K::number: return cs::json::Value(v.d);
    case K::boolean: return cs::json::Value(v.b);
    case K::none: return cs::json::Value();
    case K::string:
    case K::word: return cs::json::Value(v.s);
    case K::tuple:
    case K::list: {
      cs::json::Array a;
      for (const auto& item : v.items) a.push_back(json_of(item));
      return cs::json::Value(std::move(a));
    }
  }
  return cs::json::Value();
}

// Exported keras.Sequential -> the model JSON Keras' to_json() would write
// for it: every layer's keyword arguments are its config.
inline cs::json::Value keras_json_from_code(const std::string& code) {
  cs::json::Array layers;
  for (const std::string& raw : lines_of(code)) {
    std::string line = trim(raw);
    const bool input = line.rfind("keras.Input(", 0) == 0;
    if (!input && line.rfind("layers.", 0) != 0) continue;
    REQUIRE(line.back() == ',');
    line = line.substr(input ? 6 : 7, line.size() - (input ? 7 : 8));
    imp::text::PyCall call;
    imp::text::PyError error;
    size_t pos = 0;
    const bool parsed = imp::text::parse_call(line, pos, line.size(), call, error);
    INFO(line << ": " << error.message);
    REQUIRE(parsed);
    cs::json::Object config;
    if (input) {
      cs::json::Array shape{cs::json::Value(call.kwarg("batch_size")->i)};
      for (const auto& d : call.kwarg("shape")->items) shape.push_back(cs::json::Value(d.i));
      config.push_back({"batch_shape", cs::json::Value(std::move(shape))});
      layers.push_back(cs::json::Value(cs::json::Object{{"class_name", "InputLayer"}, {"config", cs::json::Value(std::move(config))}}));
      continue;
    }
    REQUIRE(call.args.empty());  // the exporter writes keywords only
    for (const auto& kv : call.kwargs) config.push_back({kv.first, json_of(kv.second)});
    layers.push_back(cs::json::Value(cs::json::Object{{"class_name", call.callee}, {"config", cs::json::Value(std::move(config))}}));
  }
  return cs::json::Value(cs::json::Object{
      {"class_name", "Sequential"},
      {"config", cs::json::Value(cs::json::Object{{"name", "sequential"}, {"layers", cs::json::Value(std::move(layers))}})}});
}

// Python's own parser on the code; "" when it parses, the error otherwise,
// "(no python3)" when the machine has none.
inline std::string python_syntax_error(const std::string& code) {
  test_support::TempFile file(code);
  const std::string command = "python3 -c \"import ast, sys; ast.parse(open(sys.argv[1]).read())\" " +
                              test_support::shell_quote(file.path().string()) + " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return "(no python3)";
  std::string out;
  char buffer[256];
  while (std::fgets(buffer, sizeof buffer, pipe)) out += buffer;
  const int status = ::pclose(pipe);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127) return "(no python3)";
  return status == 0 ? "" : out;
}

}  // namespace import_support
