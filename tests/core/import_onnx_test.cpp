// ONNX files written byte by byte from the protobuf schema (import_support's
// encoder): the main path is read with its attributes and weight shapes,
// branches are listed, and truncated, garbled and oversized files get a
// message naming the byte, the node or the limit.
#include <doctest/doctest.h>

#include <cstring>
#include <string>

#include "convscope/analyze.hpp"
#include "import_support.hpp"

using namespace import_support;
using namespace import_support::onnx;
using test_support::contains;

namespace {

// A small CNN as torch.onnx.export writes it: Conv, Relu, MaxPool, a strided
// SAME_UPPER Conv, BatchNormalization, GlobalAveragePool, Flatten, Gemm.
std::string small_cnn(const std::vector<int64_t>& input = {-1, 3, 32, 32}) {
  const std::vector<Pb> nodes = {
      node("Conv", {"input", "w1", "b1"}, {"c1"}, "/conv1/Conv",
           {ints("kernel_shape", {3, 3}), ints("pads", {1, 1, 1, 1}), ints("strides", {1, 1})}),
      node("Relu", {"c1"}, {"r1"}, "/relu/Relu"),
      node("MaxPool", {"r1"}, {"p1"}, "/pool/MaxPool", {ints("kernel_shape", {2, 2}), ints("strides", {2, 2})}),
      node("Conv", {"p1", "w2"}, {"c2"}, "/conv2/Conv",
           {ints("kernel_shape", {3, 3}), ints("strides", {2, 2}), string("auto_pad", "SAME_UPPER")}),
      node("BatchNormalization", {"c2", "s", "b", "m", "v"}, {"n2"}, "/bn/BatchNormalization"),
      node("GlobalAveragePool", {"n2"}, {"g"}, "/gap/GlobalAveragePool"),
      node("Flatten", {"g"}, {"f"}, "/Flatten", {integer("axis", 1)}),
      node("Gemm", {"f", "wfc", "bfc"}, {"logits"}, "/fc/Gemm", {integer("transB", 1)}),
  };
  const std::vector<Pb> inits = {tensor("w1", {16, 3, 3, 3}), tensor("b1", {16}), tensor("w2", {32, 16, 3, 3}),
                                 tensor("s", {32}), tensor("b", {32}), tensor("m", {32}), tensor("v", {32}),
                                 tensor("wfc", {10, 32}), tensor("bfc", {10})};
  return model(nodes, inits, value_info("input", input), value_info("logits", {-1, 10}));
}

}  // namespace

TEST_CASE("an ONNX CNN imports node by node with attributes and weight shapes") {
  const std::string bytes = small_cnn();
  const auto r = import_ok(bytes);
  CHECK(r.format == imp::Format::onnx);
  CHECK(r.network.framework == cs::Framework::onnx);
  CHECK(r.network.input == std::vector<int64_t>{1, 3, 32, 32});
  CHECK(types_of(r.network) == std::vector<std::string>{"conv", "relu", "max_pool", "conv", "batch_norm",
                                                          "global_avg_pool", "flatten", "dense"});
  const auto& L = r.network.layers;
  CHECK(L[0].name == "/conv1/Conv");
  CHECK(L[0].filters == 16);
  CHECK(L[0].padding.pairs == std::vector<std::pair<int64_t, int64_t>>{{1, 1}, {1, 1}});
  CHECK(L[2].stride == std::vector<int64_t>{2, 2});
  CHECK(L[3].padding.mode == cs::PadMode::same);
  CHECK_FALSE(L[3].bias);
  CHECK(L[7].units == 10);
  CHECK(L[7].in_features == 32);
  const std::string notes = all_notes(r);
  CHECK(contains(notes, "assumed batch 1 (the input's axis 0 is \"batch_size\")"));
  CHECK(contains(notes, "read 8 of 8 nodes"));
  const cs::Report report = cs::analyze(r.network);
  CHECK(report.ok);
  CHECK(report.output == cs::Shape{1, 10});
  CHECK(report.layers[3].output == cs::Shape{1, 32, 8, 8});
}

TEST_CASE("a residual ONNX graph is read whole: the projection shortcut and the add with both inputs") {
  const std::vector<Pb> nodes = {
      node("Conv", {"x", "wa"}, {"a"}, "a", {ints("pads", {1, 1, 1, 1})}),
      node("Relu", {"a"}, {"ra"}, "relu_a"),
      node("Conv", {"ra", "wb"}, {"b"}, "b", {ints("pads", {1, 1, 1, 1})}),
      node("Conv", {"x", "wp"}, {"p"}, "proj"),
      node("Add", {"b", "p"}, {"s"}, "add"),
      node("Relu", {"s"}, {"y"}, "relu_y"),
      node("Constant", {}, {"shape"}, "const_shape"),
      node("Reshape", {"y", "flat_shape"}, {"z"}, "reshape"),
      node("MatMul", {"z", "wm"}, {"o"}, "matmul"),
  };
  const std::vector<Pb> inits = {tensor("wa", {8, 8, 3, 3}), tensor("wb", {8, 8, 3, 3}), tensor("wp", {8, 8, 1, 1}),
                                 int64_tensor("flat_shape", {1, -1}), tensor("wm", {2048, 10})};
  const auto r = import_ok(model(nodes, inits, value_info("x", {1, 8, 16, 16}), value_info("o", {1, 10})));
  CHECK(types_of(r.network) == std::vector<std::string>{"conv", "relu", "conv", "conv", "add", "relu", "flatten", "dense"});
  const auto& L = r.network.layers;
  CHECK(L[3].inputs == std::vector<int32_t>{cs::kNetworkInput});  // proj reads the input
  CHECK(L[4].inputs == std::vector<int32_t>{2, 3});
  const std::string notes = all_notes(r);
  CHECK(contains(notes, "read 9 of 9 nodes from \"x\" (opset 13): 8 layers"));
  CHECK(r.stopped_at.empty());
  REQUIRE(r.initializers);
  CHECK(r.initializers->file == 8 * 8 * 9 * 2 + 64 + 2 + 20480);
  CHECK(r.initializers->not_params == 2);  // the reshape target
  const cs::Report report = cs::analyze(r.network);
  CHECK(report.ok);
  CHECK(report.output == cs::Shape{1, 10});
  CHECK(*report.total_params == r.initializers->file + r.initializers->shared - r.initializers->not_params);
}

TEST_CASE("Pad with pads as an input, ConvTranspose, Resize with constant scales") {
  const std::vector<Pb> nodes = {
      node("Pad", {"x", "pads"}, {"p"}, "pad", {string("mode", "reflect")}),
      node("ConvTranspose", {"p", "wt"}, {"t"}, "up", {ints("strides", {2, 2}), ints("output_padding", {1, 1})}),
      node("Resize", {"t", "", "scales"}, {"y"}, "resize", {string("mode", "nearest")}),
      node("AveragePool", {"y"}, {"q"}, "avg",
           {ints("kernel_shape", {3, 3}), ints("strides", {2, 2}), integer("ceil_mode", 1), integer("count_include_pad", 1)}),
  };
  const std::vector<Pb> inits = {int64_tensor("pads", {0, 0, 1, 2, 0, 0, 1, 2}), tensor("wt", {4, 2, 2, 2}),
                                 float_tensor("scales", {1.0f, 1.0f, 2.0f, 2.0f})};
  const auto r = import_ok(model(nodes, inits, value_info("x", {1, 4, 5, 6}), value_info("q", {1, 2, 23, 21})));
  CHECK(types_of(r.network) == std::vector<std::string>{"zero_pad", "conv_transpose", "upsample", "avg_pool"});
  const auto& L = r.network.layers;
  CHECK(L[0].padding.pairs == std::vector<std::pair<int64_t, int64_t>>{{1, 1}, {2, 2}});
  CHECK(L[1].filters == 2);
  CHECK(L[1].output_padding == std::vector<int64_t>{1, 1});
  CHECK(L[2].scale == std::vector<int64_t>{2, 2});
  CHECK(L[3].ceil_mode);
  CHECK(L[3].count_include_pad);
  const cs::Report report = cs::analyze(r.network);
  CHECK(report.ok);
  // pad 7x10 -> transposed (7-1)*2+2+1 = 15, 21 -> upsample 30x42 -> ceil((30-3)/2)+1 = 15, 21
  CHECK(report.output == cs::Shape{1, 2, 15, 21});
}

TEST_CASE("an ONNX model whose Conv outgrows its input fails with ONNX Runtime's message") {
  const auto r = import_ok(model({node("Conv", {"x", "w"}, {"y"}, "/conv3/Conv")}, {tensor("w", {1, 1, 5, 5})},
                                 value_info("x", {1, 1, 4, 4}), value_info("y", {1, 1, 0, 0})));
  const cs::Report report = cs::analyze(r.network);
  REQUIRE(report.first_error);
  CHECK(report.layers[0].framework_errors[0].text == "Invalid input shape: {4,4}");
}

TEST_CASE("a model without ir_version is still recognised as ONNX") {
  std::string bytes = small_cnn();
  REQUIRE(bytes.compare(0, 2, "\x08\x08") == 0);
  bytes.erase(0, 2);  // drop field 1 (ir_version = 8): the file now starts with producer_name
  const auto r = import_ok(bytes);
  CHECK(r.format == imp::Format::onnx);
  CHECK(r.network.layers.size() == 8);
}

TEST_CASE("symbolic input sizes ask for --input") {
  const std::string bytes = small_cnn({-1, 3, -2, -2});
  CHECK(import_error(bytes) ==
        "graph.input[0] (\"input\"): axis 2 is symbolic (\"height\"); give the input shape with --input");
  CHECK(import_ok(bytes, with_input({2, 3, 64, 64})).network.input == std::vector<int64_t>{2, 3, 64, 64});
}

TEST_CASE("bad nodes are named") {
  SUBCASE("an attribute with the wrong number of values") {
    const std::string bytes = model({node("Conv", {"x", "w"}, {"y"}, "conv1", {ints("strides", {1, 1, 1})})},
                                    {tensor("w", {4, 3, 3, 3})}, value_info("x", {1, 3, 8, 8}), value_info("y", {}));
    CHECK(import_error(bytes) == "node 0 (\"conv1\", Conv): attribute strides: expected 2 values, got 3");
  }
  SUBCASE("a weight that is not an initializer") {
    const std::string bytes = model({node("Conv", {"x", "w"}, {"y"}, "conv1")}, {}, value_info("x", {1, 3, 8, 8}),
                                    value_info("y", {}));
    CHECK(contains(import_error(bytes), "node 0 (\"conv1\", Conv): its weight \"w\" is not an initializer"));
  }
  SUBCASE("a graph that is not topologically sorted") {
    const std::string bytes = model({node("Relu", {"a"}, {"b"}, "second"), node("Relu", {"x"}, {"a"}, "first")}, {},
                                    value_info("x", {1, 3, 8, 8}), value_info("b", {}));
    CHECK(contains(import_error(bytes), "node 0 (\"second\", Relu): uses the output of node 1, which comes later"));
  }
  SUBCASE("a negative stride") {
    const std::string bytes = model({node("MaxPool", {"x"}, {"y"}, "pool", {ints("kernel_shape", {2, 2}), ints("strides", {-1, 2})})},
                                    {}, value_info("x", {1, 3, 8, 8}), value_info("y", {}));
    CHECK(contains(import_error(bytes), "node 0 (\"pool\", MaxPool): attribute strides: expected values >= 1, got -1"));
  }
}

TEST_CASE("truncated, garbled and oversized ONNX files get a message, never a crash") {
  const std::string bytes = small_cnn();
  SUBCASE("every truncation") {
    for (size_t cut = 4; cut < bytes.size(); cut += 7) {
      const std::string error = import_error(bytes.substr(0, cut));
      CAPTURE(cut);
      CHECK_FALSE(error.empty());
    }
    CHECK(contains(import_error(bytes.substr(0, bytes.size() / 2)), "byte"));
  }
  SUBCASE("garbled bytes") {
    std::string garbled = bytes;
    for (size_t i = 20; i < garbled.size(); i += 13) garbled[i] = static_cast<char>(garbled[i] ^ 0x5a);
    CHECK_FALSE(import_error(garbled).empty());
    CHECK(contains(import_error(std::string("\x08\x07\x3b\x01\x02", 5)), "wire type 3"));
    CHECK(contains(import_error(std::string("\x08\x07\x3a\xff\xff\xff\xff\x0f", 8)), "claims"));
  }
  SUBCASE("over the size limit") {
    std::string huge(imp::max_onnx_bytes + 1, '\0');
    huge[0] = '\x08';
    huge[1] = '\x07';
    CHECK(import_error(huge) == "the ONNX file is larger than 64 MiB (ConvScope's limit)");
  }
  SUBCASE("over the node limit") {
    std::vector<Pb> nodes;
    std::string last = "x";
    for (int i = 0; i <= 100000; ++i) {
      const std::string out = "t" + std::to_string(i);
      nodes.push_back(node("Relu", {last}, {out}, ""));
      last = out;
    }
    CHECK(import_error(model(nodes, {}, value_info("x", {1, 1, 4, 4}), value_info(last, {}))) ==
          "graph: more than 100000 nodes");
  }
  SUBCASE("a main path longer than a network may be") {
    std::vector<Pb> nodes;
    std::string last = "x";
    for (int i = 0; i < 2100; ++i) {
      const std::string out = "t" + std::to_string(i);
      nodes.push_back(node("Relu", {last}, {out}, "r" + std::to_string(i)));
      last = out;
    }
    CHECK(contains(import_error(model(nodes, {}, value_info("x", {1, 1, 4, 4}), value_info(last, {}))),
                   "node 2000 (\"r2000\", Relu): more than 2000 layers"));
  }
  SUBCASE("a model without a graph") {
    Pb m;
    m.varint(1, 8).bytes(2, "x");
    CHECK(import_error(m.str()) == "not an ONNX model: no graph (ModelProto field 7) was found");
  }
}
