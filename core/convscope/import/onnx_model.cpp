#include "convscope/import/onnx_model.hpp"

#include <cstring>

namespace convscope::import::onnx {

const Attribute* Node::attribute(const char* key) const {
  for (const Attribute& a : attributes)
    if (a.name == key) return &a;
  return nullptr;
}

int64_t Tensor::count() const {
  int64_t n = 1;
  for (int64_t d : dims) n = d == 0 ? 0 : (n > (int64_t{1} << 62) / d ? int64_t{1} << 62 : n * d);
  return n;
}

bool Tensor::is_float() const { return data_type == 1 || data_type == 10 || data_type == 11 || data_type == 16; }

namespace {

using std::to_string;

// Field numbers from onnx/onnx.proto3.
namespace model_f { constexpr uint32_t ir_version = 1, producer = 2, graph = 7, opset_import = 8; }
namespace opset_f { constexpr uint32_t domain = 1, version = 2; }
namespace graph_f { constexpr uint32_t node = 1, initializer = 5, input = 11, output = 12, value_info = 13; }
namespace node_f { constexpr uint32_t input = 1, output = 2, name = 3, op_type = 4, attribute = 5, domain = 7; }
namespace attr_f { constexpr uint32_t name = 1, f = 2, i = 3, s = 4, t = 5, floats = 7, ints = 8; }
namespace tensor_f { constexpr uint32_t dims = 1, data_type = 2, float_data = 4, int32_data = 5, int64_data = 7, raw_data = 9; }
namespace value_info_f { constexpr uint32_t name = 1, type = 2; }
namespace type_f { constexpr uint32_t tensor_type = 1; }
namespace tensor_type_f { constexpr uint32_t shape = 2; }
namespace shape_f { constexpr uint32_t dim = 1; }
namespace dim_f { constexpr uint32_t value = 1, param = 2; }

constexpr int32_t kFloat = 1;  // TensorProto.DataType.FLOAT
constexpr int32_t kInt32 = 6;  // TensorProto.DataType.INT32
constexpr int32_t kInt64 = 7;  // TensorProto.DataType.INT64

float float_of(uint32_t bits) {
  float f = 0;
  std::memcpy(&f, &bits, sizeof bits);
  return f;
}

uint64_t little_endian(const pb::Span& s, size_t at, size_t n) {
  uint64_t v = 0;
  for (size_t b = 0; b < n; ++b) v |= static_cast<uint64_t>(static_cast<uint8_t>((*s.file)[at + b])) << (8 * b);
  return v;
}

struct Ctx {
  std::string error;
  bool fail(const std::string& where, const std::string& what) {
    if (error.empty()) error = where + ": " + what;
    return false;
  }
  // The reader stopped: a malformed field, or simply the end.
  bool finished(const pb::Reader& r, const std::string& where) {
    return !r.failed() || fail(where, r.error());
  }
  bool wire(const pb::Field& f, uint32_t expected, const std::string& where) {
    if (f.wire == expected) return true;
    return fail(where, "byte " + to_string(f.offset) + ": field " + to_string(f.number) + " has wire type " +
                           to_string(f.wire) + ", expected " + to_string(expected) + " (not an ONNX file, or damaged)");
  }
  bool string(const pb::Field& f, std::string& out, const std::string& where) {
    if (!wire(f, pb::bytes, where)) return false;
    if (f.data.size() > kMaxName) return fail(where, "byte " + to_string(f.offset) + ": a name longer than " +
                                                         to_string(kMaxName) + " bytes");
    out = f.data.str();
    return true;
  }
  bool ints(const pb::Field& f, std::vector<int64_t>& out, const std::string& where) {
    std::string why;
    return pb::append_ints(f, out, kMaxInts, why) || fail(where, why);
  }
};

bool read_tensor(Ctx& c, pb::Span s, Tensor& t, const std::string& where) {
  pb::Reader r(s);
  pb::Field f;
  pb::Span raw;
  bool has_raw = false;
  std::vector<int64_t> int64_data;
  bool int64_overflow = false;
  std::vector<double> float_data;
  bool float_overflow = false;
  while (r.next(f)) {
    if (f.number == tensor_f::dims) {
      if (!c.ints(f, t.dims, where + ".dims")) return false;
    } else if (f.number == tensor_f::data_type) {
      if (!c.wire(f, pb::varint, where)) return false;
      t.data_type = static_cast<int32_t>(f.value);
    } else if (f.number == tensor_f::int64_data || f.number == tensor_f::int32_data) {
      std::string why;
      if (!int64_overflow && !pb::append_ints(f, int64_data, kMaxInts, why)) int64_overflow = true;  // large: not needed
    } else if (f.number == tensor_f::float_data) {
      if (f.wire == pb::fixed32 && float_data.size() < kMaxInts) {
        float_data.push_back(float_of(static_cast<uint32_t>(f.value)));
      } else if (f.wire == pb::bytes && f.data.size() % 4 == 0 && f.data.size() / 4 + float_data.size() <= kMaxInts) {
        for (size_t i = f.data.begin; i < f.data.end; i += 4)
          float_data.push_back(float_of(static_cast<uint32_t>(little_endian(f.data, i, 4))));
      } else {
        float_overflow = true;  // large: not needed
      }
    } else if (f.number == tensor_f::raw_data) {
      if (!c.wire(f, pb::bytes, where)) return false;
      raw = f.data;
      has_raw = true;
    }
  }
  if (!c.finished(r, where)) return false;
  for (int64_t d : t.dims)
    if (d < 0 || d > kMaxDimension) return c.fail(where, "dimension " + to_string(d) + " outside 0 .. 2^31 - 1");
  if (t.data_type == kInt64 && has_raw && raw.size() % 8 == 0 && raw.size() / 8 <= kMaxInts) {
    for (size_t i = raw.begin; i < raw.end; i += 8) t.values.push_back(static_cast<int64_t>(little_endian(raw, i, 8)));
    t.has_values = true;
  } else if (t.data_type == kInt32 && has_raw && raw.size() % 4 == 0 && raw.size() / 4 <= kMaxInts) {
    for (size_t i = raw.begin; i < raw.end; i += 4)
      t.values.push_back(static_cast<int32_t>(static_cast<uint32_t>(little_endian(raw, i, 4))));
    t.has_values = true;
  } else if ((t.data_type == kInt64 || t.data_type == kInt32) && !has_raw && !int64_overflow) {
    t.values = int64_data;
    t.has_values = true;
  }
  if (t.data_type == kInt32)
    for (int64_t& v : t.values) v = static_cast<int32_t>(static_cast<uint32_t>(v));  // varints hold the sign-extended value
  if (t.data_type == kFloat && has_raw && raw.size() % 4 == 0 && raw.size() / 4 <= kMaxInts) {
    for (size_t i = raw.begin; i < raw.end; i += 4) t.floats.push_back(float_of(static_cast<uint32_t>(little_endian(raw, i, 4))));
    t.has_floats = true;
  } else if (t.data_type == kFloat && !has_raw && !float_overflow) {
    t.floats = float_data;
    t.has_floats = true;
  }
  // Values are only values when there is one per element (a stripped
  // tensor, as in graph-only exports, has dims and no data).
  if (t.has_values && static_cast<int64_t>(t.values.size()) != t.count()) {
    t.values.clear();
    t.has_values = false;
  }
  if (t.has_floats && static_cast<int64_t>(t.floats.size()) != t.count()) {
    t.floats.clear();
    t.has_floats = false;
  }
  return true;
}

bool read_attribute(Ctx& c, pb::Span s, Attribute& a, const std::string& where) {
  pb::Reader r(s);
  pb::Field f;
  while (r.next(f)) {
    switch (f.number) {
      case attr_f::name:
        if (!c.string(f, a.name, where)) return false;
        break;
      case attr_f::f: {
        if (!c.wire(f, pb::fixed32, where)) return false;
        a.f = float_of(static_cast<uint32_t>(f.value));
        a.has_f = true;
        break;
      }
      case attr_f::i:
        if (!c.wire(f, pb::varint, where)) return false;
        a.i = static_cast<int64_t>(f.value);
        a.has_i = true;
        break;
      case attr_f::s:
        if (!c.string(f, a.s, where)) return false;
        a.has_s = true;
        break;
      case attr_f::t:
        if (!c.wire(f, pb::bytes, where) || !read_tensor(c, f.data, a.t, where + ".t")) return false;
        a.has_t = true;
        break;
      case attr_f::ints:
        if (!c.ints(f, a.ints, where + (a.name.empty() ? "" : " " + a.name))) return false;
        break;
      case attr_f::floats:
        if (f.wire == pb::fixed32 && a.floats.size() < kMaxInts) {
          a.floats.push_back(float_of(static_cast<uint32_t>(f.value)));
        } else if (f.wire == pb::bytes && f.data.size() % 4 == 0 && f.data.size() / 4 + a.floats.size() <= kMaxInts) {
          for (size_t i = f.data.begin; i < f.data.end; i += 4)
            a.floats.push_back(float_of(static_cast<uint32_t>(little_endian(f.data, i, 4))));
        } else {
          return c.fail(where, "byte " + to_string(f.offset) + ": more than " + to_string(kMaxInts) + " floats");
        }
        break;
      default:
        break;
    }
  }
  return c.finished(r, where);
}

bool read_node(Ctx& c, pb::Span s, Node& n, const std::string& where) {
  pb::Reader r(s);
  pb::Field f;
  n.offset = s.begin;
  while (r.next(f)) {
    std::string text;
    switch (f.number) {
      case node_f::input:
      case node_f::output:
        if (!c.string(f, text, where)) return false;
        if (n.inputs.size() + n.outputs.size() >= 1000) return c.fail(where, "more than 1000 inputs and outputs");
        (f.number == node_f::input ? n.inputs : n.outputs).push_back(text);
        break;
      case node_f::name:
        if (!c.string(f, n.name, where)) return false;
        break;
      case node_f::op_type:
        if (!c.string(f, n.op_type, where)) return false;
        break;
      case node_f::domain:
        if (!c.string(f, n.domain, where)) return false;
        break;
      case node_f::attribute: {
        if (n.attributes.size() >= kMaxAttributes)
          return c.fail(where, "more than " + to_string(kMaxAttributes) + " attributes");
        Attribute a;
        const std::string at = where + ".attribute[" + to_string(n.attributes.size()) + "]";
        if (!c.wire(f, pb::bytes, at) || !read_attribute(c, f.data, a, at)) return false;
        n.attributes.push_back(std::move(a));
        break;
      }
      default:
        break;
    }
  }
  return c.finished(r, where);
}

// TypeProto -> TypeProto.Tensor -> TensorShapeProto -> Dimension.
bool read_value_info(Ctx& c, pb::Span s, ValueInfo& v, const std::string& where) {
  pb::Reader r(s);
  pb::Field f;
  while (r.next(f)) {
    if (f.number == value_info_f::name) {
      if (!c.string(f, v.name, where)) return false;
    } else if (f.number == value_info_f::type) {
      if (!c.wire(f, pb::bytes, where)) return false;
      pb::Reader type(f.data);
      pb::Field tf;
      while (type.next(tf)) {
        if (tf.number != type_f::tensor_type || !c.wire(tf, pb::bytes, where)) continue;
        pb::Reader tensor(tf.data);
        pb::Field sf;
        while (tensor.next(sf)) {
          if (sf.number != tensor_type_f::shape || !c.wire(sf, pb::bytes, where)) continue;
          v.has_shape = true;
          pb::Reader shape(sf.data);
          pb::Field df;
          while (shape.next(df)) {
            if (df.number != shape_f::dim || !c.wire(df, pb::bytes, where)) continue;
            if (v.dims.size() >= kMaxInts) return c.fail(where, "more than " + to_string(kMaxInts) + " dimensions");
            int64_t value = -1;
            std::string param;
            pb::Reader dim(df.data);
            pb::Field vf;
            while (dim.next(vf)) {
              if (vf.number == dim_f::value && c.wire(vf, pb::varint, where)) value = static_cast<int64_t>(vf.value);
              else if (vf.number == dim_f::param && !c.string(vf, param, where)) return false;
            }
            if (!c.finished(dim, where)) return false;
            v.dims.push_back(value);
            v.dim_params.push_back(param);
          }
          if (!c.finished(shape, where)) return false;
        }
        if (!c.finished(tensor, where)) return false;
      }
      if (!c.finished(type, where)) return false;
    }
  }
  return c.error.empty() && c.finished(r, where);
}

bool read_graph(Ctx& c, pb::Span s, Model& m) {
  pb::Reader r(s);
  pb::Field f;
  while (r.next(f)) {
    switch (f.number) {
      case graph_f::node: {
        if (m.nodes.size() >= kMaxNodes) return c.fail("graph", "more than " + to_string(kMaxNodes) + " nodes");
        Node n;
        const std::string where = "graph.node[" + to_string(m.nodes.size()) + "]";
        if (!c.wire(f, pb::bytes, where) || !read_node(c, f.data, n, where)) return false;
        m.nodes.push_back(std::move(n));
        break;
      }
      case graph_f::initializer: {
        if (m.initializers.size() >= kMaxTensors)
          return c.fail("graph", "more than " + to_string(kMaxTensors) + " initializers");
        const std::string where = "graph.initializer[" + to_string(m.initializers.size()) + "]";
        if (!c.wire(f, pb::bytes, where)) return false;
        Tensor t;
        if (!read_tensor(c, f.data, t, where)) return false;
        // The name (field 8) is read separately: tensors can be large, and
        // only the name, dims and small values matter here.
        pb::Reader names(f.data);
        pb::Field nf;
        std::string name;
        while (names.next(nf))
          if (nf.number == 8 && !c.string(nf, name, where)) return false;
        t.name = name;
        m.initializers[name] = std::move(t);
        break;
      }
      case graph_f::input:
      case graph_f::output:
      case graph_f::value_info: {
        auto& list = f.number == graph_f::input ? m.inputs : f.number == graph_f::output ? m.outputs : m.value_infos;
        // value_info is optional help: past the cap it is left out, not refused.
        if (f.number == graph_f::value_info && list.size() >= kMaxValueInfos) break;
        if (list.size() >= kMaxValueInfos)
          return c.fail("graph", "more than " + to_string(kMaxValueInfos) + " inputs, outputs or value_info entries");
        const char* field = f.number == graph_f::input ? "input[" : f.number == graph_f::output ? "output[" : "value_info[";
        const std::string where = std::string("graph.") + field + to_string(list.size()) + "]";
        ValueInfo v;
        if (!c.wire(f, pb::bytes, where) || !read_value_info(c, f.data, v, where)) return false;
        list.push_back(std::move(v));
        break;
      }
      default:
        break;
    }
  }
  return c.finished(r, "graph");
}

}  // namespace

bool parse_model(const std::string& bytes, Model& out, std::string& error) {
  if (bytes.size() > kMaxFileBytes) {
    error = "the ONNX file is larger than " + to_string(kMaxFileBytes >> 20) + " MiB (ConvScope's limit)";
    return false;
  }
  Ctx c;
  pb::Reader r(pb::Span{&bytes, 0, bytes.size()});
  pb::Field f;
  bool has_graph = false;
  while (r.next(f)) {
    if (f.number == model_f::ir_version) {
      if (!c.wire(f, pb::varint, "model")) break;
      out.ir_version = static_cast<int64_t>(f.value);
    } else if (f.number == model_f::producer) {
      if (!c.string(f, out.producer, "model")) break;
    } else if (f.number == model_f::opset_import) {
      if (!c.wire(f, pb::bytes, "model.opset_import")) break;
      pb::Reader o(f.data);
      pb::Field of;
      std::string domain;
      int64_t version = 0;
      while (o.next(of)) {
        if (of.number == opset_f::domain && !c.string(of, domain, "model.opset_import")) break;
        if (of.number == opset_f::version && of.wire == pb::varint) version = static_cast<int64_t>(of.value);
      }
      if (!c.finished(o, "model.opset_import")) break;
      if (domain.empty() || domain == "ai.onnx") out.opset = version;
    } else if (f.number == model_f::graph) {
      if (!c.wire(f, pb::bytes, "model.graph") || !read_graph(c, f.data, out)) break;
      has_graph = true;
    }
    if (!c.error.empty()) break;
  }
  if (c.error.empty()) c.finished(r, "model");
  if (!c.error.empty()) {
    error = c.error;
    return false;
  }
  if (!has_graph) {
    error = "not an ONNX model: no graph (ModelProto field 7) was found";
    return false;
  }
  return true;
}

}  // namespace convscope::import::onnx
