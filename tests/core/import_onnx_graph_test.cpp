// ONNX graphs as exporters write them, built byte by byte: merges with all
// their inputs (squeeze-excitation's broadcast Mul), shape computations
// folded against the analysed shapes (and re-run at an --input size), a
// Resize to another tensor's size, constants applied element-wise, the
// parameter count against the initializers, and the nodes ConvScope cannot
// model, where the import stops, named, and never ends "every layer valid".
#include <doctest/doctest.h>

#include <string>

#include "convscope/analyze.hpp"
#include "import_support.hpp"

using namespace import_support;
using namespace import_support::onnx;
using test_support::contains;

namespace {

Pb int64_scalar(const std::string& name, int64_t v) {
  Pb t;
  std::string raw;
  for (int b = 0; b < 8; ++b) raw += static_cast<char>((static_cast<uint64_t>(v) >> (8 * b)) & 0xff);
  t.varint(2, 7).bytes(8, name).bytes(9, raw);
  return t;
}

cs::Report analysed(const imp::ImportResult& r) { return cs::analyze(r.network, {false, false, 0}); }

int64_t expected_params(const imp::ImportResult& r) {
  REQUIRE(r.initializers);
  return r.initializers->file + r.initializers->shared - r.initializers->not_params;
}

}  // namespace

TEST_CASE("squeeze-excitation: the gate's [N, C, 1, 1] multiplies the [N, C, H, W] map (a broadcast merge)") {
  const std::vector<Pb> nodes = {
      node("Conv", {"x", "w1", "b1"}, {"c"}, "conv", {ints("pads", {1, 1, 1, 1})}),
      node("HardSwish", {"c"}, {"h"}, "hswish"),
      node("GlobalAveragePool", {"h"}, {"g"}, "se/pool"),
      node("Conv", {"g", "w2", "b2"}, {"s1"}, "se/fc1"),
      node("Relu", {"s1"}, {"s2"}, "se/relu"),
      node("Conv", {"s2", "w3", "b3"}, {"s3"}, "se/fc2"),
      node("HardSigmoid", {"s3"}, {"gate"}, "se/hsigmoid"),
      node("Mul", {"h", "gate"}, {"y"}, "se/mul"),
  };
  const std::vector<Pb> inits = {tensor("w1", {16, 8, 3, 3}), tensor("b1", {16}), tensor("w2", {4, 16, 1, 1}),
                                 tensor("b2", {4}), tensor("w3", {16, 4, 1, 1}), tensor("b3", {16})};
  const auto r = import_ok(model(nodes, inits, value_info("x", {1, 8, 12, 12}), value_info("y", {1, 16, 12, 12})));
  CHECK(types_of(r.network) == std::vector<std::string>{"conv", "activation", "global_avg_pool", "conv", "relu",
                                                          "conv", "activation", "multiply"});
  CHECK(r.network.layers[1].function == "hard_swish");
  CHECK(r.network.layers[7].inputs == std::vector<int32_t>{1, 6});
  const cs::Report report = analysed(r);
  CHECK(report.ok);
  CHECK(report.layers[7].arriving[1] == cs::Shape{1, 16, 1, 1});
  CHECK(report.output == cs::Shape{1, 16, 12, 12});
  CHECK(*report.total_params == expected_params(r));
}

TEST_CASE("a dynamic flatten (Shape -> Gather -> Unsqueeze -> Concat -> Reshape) folds, and re-folds at --input") {
  const std::vector<Pb> nodes = {
      node("Conv", {"x", "w"}, {"c"}, "conv"),
      node("Shape", {"c"}, {"s"}, "shape"),
      node("Gather", {"s", "zero"}, {"n"}, "gather", {integer("axis", 0)}),
      node("Unsqueeze", {"n", "axes0"}, {"n1"}, "unsqueeze"),
      node("Concat", {"n1", "minus1"}, {"target"}, "concat_shape", {integer("axis", 0)}),
      node("Reshape", {"c", "target"}, {"f"}, "reshape"),
      node("Gemm", {"f", "wfc", "bfc"}, {"o"}, "fc", {integer("transB", 1)}),
  };
  const std::vector<Pb> inits = {tensor("w", {4, 3, 1, 1}), int64_scalar("zero", 0), int64_tensor("axes0", {0}),
                                 int64_tensor("minus1", {-1}), tensor("wfc", {10, 144}), tensor("bfc", {10})};
  const std::string bytes = model(nodes, inits, value_info("x", {-1, 3, 6, 6}), value_info("o", {-1, 10}));
  const auto r = import_ok(bytes);
  CHECK(types_of(r.network) == std::vector<std::string>{"conv", "flatten", "dense"});
  CHECK(contains(all_notes(r), "4 shape computations folded (Shape, Gather, Unsqueeze, Concat)"));
  CHECK(analysed(r).ok);
  CHECK(*analysed(r).total_params == expected_params(r));

  // At 8x8 the same computation gives [2, 256]: the Gemm's 144 no longer fits,
  // as ONNX Runtime would find.
  const auto bigger = import_ok(bytes, with_input({2, 3, 8, 8}));
  const cs::Report report = analysed(bigger);
  CHECK(report.layers[1].output == cs::Shape{2, 256});
  REQUIRE(report.first_error);
  CHECK(*report.first_error == 2);
  CHECK(contains(all_notes(bigger), "the input shape 2x3x8x8 fills the file's dynamic axes"));
}

TEST_CASE("F.interpolate(x, size=skip.shape[2:]) exports a Resize whose sizes are the skip's: a resize_to") {
  const std::vector<Pb> nodes = {
      node("Relu", {"x"}, {"e"}, "enc"),
      node("MaxPool", {"e"}, {"p"}, "pool", {ints("kernel_shape", {2, 2}), ints("strides", {2, 2})}),
      node("ConvTranspose", {"p", "wt"}, {"u"}, "up", {ints("strides", {2, 2})}),
      node("Shape", {"u"}, {"su"}, "shape_u"),
      node("Slice", {"su", "zero1", "two1"}, {"nc"}, "slice_nc"),
      node("Shape", {"e"}, {"se"}, "shape_e"),
      node("Slice", {"se", "two1", "four1"}, {"hw"}, "slice_hw"),
      node("Concat", {"nc", "hw"}, {"sizes"}, "sizes", {integer("axis", 0)}),
      node("Resize", {"u", "", "", "sizes"}, {"r"}, "resize", {string("mode", "nearest")}),
      node("Concat", {"e", "r"}, {"y"}, "cat", {integer("axis", 1)}),
  };
  const std::vector<Pb> inits = {tensor("wt", {4, 4, 2, 2}), int64_tensor("zero1", {0}), int64_tensor("two1", {2}),
                                 int64_tensor("four1", {4})};
  const auto r = import_ok(model(nodes, inits, value_info("x", {1, 4, 11, 11}), value_info("y", {1, 8, 11, 11})));
  CHECK(types_of(r.network) == std::vector<std::string>{"relu", "max_pool", "conv_transpose", "resize_to", "concat"});
  CHECK(r.network.layers[3].inputs == std::vector<int32_t>{2, 0});
  const cs::Report report = analysed(r);
  CHECK(report.ok);
  CHECK(report.layers[2].output == cs::Shape{1, 4, 10, 10});
  CHECK(report.output == cs::Shape{1, 8, 11, 11});

  SUBCASE("constant sizes that are no tensor's shape stop the import, named") {
    const std::vector<Pb> two = {node("Relu", {"x"}, {"e"}, "enc"),
                                 node("Resize", {"e", "", "", "fixed"}, {"r"}, "resize")};
    const auto s = import_ok(model(two, {int64_tensor("fixed", {1, 4, 7, 7})}, value_info("x", {1, 4, 11, 11}),
                                   value_info("r", {})));
    CHECK(types_of(s.network) == std::vector<std::string>{"relu"});
    CHECK(s.stopped_at == "node 1 (\"resize\", Resize): its sizes [1, 4, 7, 7] are not another tensor's spatial size; "
                          "ConvScope resizes to a layer's size (resize_to) or by whole factors (upsample)");
    CHECK(contains(all_notes(s), "the 1 nodes from there on are not imported"));
  }
}

TEST_CASE("a constant operand that keeps the shape is a pointwise step; one that grows it stops the import") {
  const std::vector<Pb> nodes = {
      node("Relu", {"x"}, {"r"}, "relu"),
      node("Mul", {"r", "scale"}, {"m"}, "scale"),
      node("Sub", {"m", "mean"}, {"s"}, "center"),
      node("Mul", {"s", "grow"}, {"g"}, "grow"),
  };
  const std::vector<Pb> inits = {tensor("scale", {3, 1, 1}), float_tensor("mean", {0.5f}), tensor("grow", {2, 1, 1, 1, 1})};
  const auto r = import_ok(model(nodes, inits, value_info("x", {1, 3, 4, 4}), value_info("g", {})));
  CHECK(types_of(r.network) == std::vector<std::string>{"relu", "activation", "activation"});
  CHECK(r.network.layers[1].function == "mul_constant");
  CHECK(r.network.layers[2].function == "sub_constant");
  CHECK(contains(r.stopped_at, "its constant [2, 1, 1, 1, 1] broadcasts the input [1, 3, 4, 4] to [2, 1, 3, 4, 4]"));
}

TEST_CASE("MatMul followed by the Add of a bias is one dense layer with its bias") {
  const std::vector<Pb> nodes = {
      node("Flatten", {"x"}, {"f"}, "flatten", {integer("axis", 1)}),
      node("MatMul", {"f", "w"}, {"m"}, "fc/MatMul"),
      node("Add", {"m", "b"}, {"y"}, "fc/Add"),
  };
  const auto r = import_ok(model(nodes, {tensor("w", {48, 10}), tensor("b", {10})}, value_info("x", {1, 3, 4, 4}),
                                 value_info("y", {1, 10})));
  CHECK(types_of(r.network) == std::vector<std::string>{"flatten", "dense"});
  CHECK(r.network.layers[1].bias);
  CHECK(r.network.layers[1].in_features == 48);
  CHECK(*analysed(r).total_params == 490);
  CHECK(expected_params(r) == 490);
}

TEST_CASE("an initializer shared through Identity is one in the file and one per use in ConvScope's count") {
  const std::vector<Pb> nodes = {
      node("Conv", {"x", "w1", "bias"}, {"c1"}, "conv1"),
      node("Identity", {"bias"}, {"bias2"}, "Identity_0"),
      node("Conv", {"c1", "w2", "bias2"}, {"c2"}, "conv2"),
  };
  const auto r = import_ok(model(nodes, {tensor("w1", {4, 3, 1, 1}), tensor("w2", {4, 4, 1, 1}), tensor("bias", {4})},
                                 value_info("x", {1, 3, 4, 4}), value_info("c2", {})));
  REQUIRE(r.initializers);
  CHECK(r.initializers->file == 32);
  CHECK(r.initializers->shared == 4);
  CHECK(*analysed(r).total_params == 36);
  CHECK(contains(all_notes(r), "parameters: the graph's initializers hold 32 values; ConvScope counts 36 for the "
                               "layers: 4 more for initializers that several nodes share (each use counted)"));
}

TEST_CASE("ReduceMean over the spatial axes is a global pooling; over others it stops the import") {
  const auto keep = import_ok(model({node("ReduceMean", {"x"}, {"y"}, "mean", {ints("axes", {2, 3}), integer("keepdims", 0)})},
                                    {}, value_info("x", {1, 3, 5, 5}), value_info("y", {1, 3})));
  CHECK(types_of(keep.network) == std::vector<std::string>{"global_avg_pool"});
  CHECK(analysed(keep).output == cs::Shape{1, 3});
  const auto other = import_ok(model({node("Relu", {"x"}, {"r"}, "relu"),
                                      node("ReduceMean", {"r"}, {"y"}, "mean", {ints("axes", {1})})},
                                     {}, value_info("x", {1, 3, 5, 5}), value_info("y", {})));
  CHECK(contains(other.stopped_at, "it reduces over axes [1] of [1, 3, 5, 5]"));
}

TEST_CASE("merges: Sum of three, Concat along channels, Max of two") {
  const std::vector<Pb> nodes = {
      node("Relu", {"x"}, {"a"}, "a"),
      node("Sigmoid", {"x"}, {"b"}, "b"),
      node("Sum", {"x", "a", "b"}, {"s"}, "sum"),
      node("Concat", {"s", "a"}, {"c"}, "cat", {integer("axis", 1)}),
      node("Max", {"c", "c"}, {"m"}, "max"),
  };
  const auto r = import_ok(model(nodes, {}, value_info("x", {1, 3, 4, 4}), value_info("m", {})));
  CHECK(types_of(r.network) == std::vector<std::string>{"relu", "activation", "add", "concat", "maximum"});
  CHECK(r.network.layers[2].inputs == std::vector<int32_t>{cs::kNetworkInput, 0, 1});
  CHECK(analysed(r).output == cs::Shape{1, 6, 4, 4});
}

TEST_CASE("nodes ConvScope cannot model stop the import there, named, and the CLI does not call it valid") {
  SUBCASE("Div of two computed tensors: the contract has no divide merge") {
    const auto r = import_ok(model({node("Relu", {"x"}, {"a"}, "a"), node("Sigmoid", {"x"}, {"b"}, "b"),
                                    node("Div", {"a", "b"}, {"y"}, "div")},
                                   {}, value_info("x", {1, 3, 4, 4}), value_info("y", {})));
    CHECK(r.stopped_at == "node 2 (\"div\", Div): it divides one computed tensor by another; the contract's merges "
                          "are add, subtract, multiply, average, maximum, minimum and concat (no divide)");
    CHECK(types_of(r.network) == std::vector<std::string>{"relu", "activation"});
  }
  SUBCASE("Split of an axis other than the channels") {
    const auto r = import_ok(model({node("Relu", {"x"}, {"a"}, "a"), node("Split", {"a"}, {"p", "q"}, "split")}, {},
                                   value_info("x", {1, 4, 4, 4}), value_info("p", {})));
    CHECK(r.stopped_at == "node 1 (\"split\", Split): it splits axis 0 of [1, 4, 4, 4]; ConvScope splits the "
                          "channels (axis 1) only");
  }
  SUBCASE("an op ConvScope has never heard of") {
    const auto r = import_ok(model({node("Relu", {"x"}, {"a"}, "a"), node("GridSample", {"a", "a"}, {"y"}, "grid")}, {},
                                   value_info("x", {1, 4, 4, 4}), value_info("y", {})));
    CHECK(r.stopped_at == "node 1 (\"grid\", GridSample): ConvScope has no layer for GridSample");
  }
  SUBCASE("the CLI: every imported layer is valid, but exit 1 and a line saying the rest is not analysed") {
    test_support::TempFile file(model({node("Relu", {"x"}, {"a"}, "a"),
                                       node("Transpose", {"a"}, {"t"}, "shuffle", {ints("perm", {0, 2, 1, 3})})},
                                      {}, value_info("x", {1, 4, 4, 4}), value_info("t", {})));
    const test_support::CliRun run = test_support::run_cli("analyze " + test_support::shell_quote(file.path().string()));
    CHECK(run.exit_code == 1);
    CHECK(contains(run.err, "convscope: note: stopped at node 1 (\"shuffle\", Transpose): it transposes axes"));
    CHECK(contains(run.err, "convscope: the import stopped before the end of the model (see the notes): every "
                            "imported layer is valid, the rest is not analysed"));
  }
  SUBCASE("the first node on the data: nothing to import") {
    CHECK(import_error(model({node("Split", {"x"}, {"p", "q"}, "split")}, {}, value_info("x", {1, 4, 4, 4}),
                             value_info("p", {}))) ==
          "node 0 (\"split\", Split): it splits axis 0 of [1, 4, 4, 4]; ConvScope splits the channels (axis 1) "
          "only (the first node on the data, so nothing was imported)");
  }
}

TEST_CASE("ShuffleNet's channel shuffle (Reshape to 5-D, Transpose perm [0, 2, 1, 3, 4], Reshape back) is one "
          "channel_shuffle; anything else reading the 5-D view stops, named") {
  const auto shuffle_model = [](std::vector<int64_t> view, std::vector<int64_t> perm, std::vector<int64_t> back) {
    return model({node("Relu", {"x"}, {"a"}, "a"), node("Reshape", {"a", "view"}, {"v"}, "/s/Reshape"),
                  node("Transpose", {"v"}, {"t"}, "/s/Transpose", {ints("perm", perm)}),
                  node("Reshape", {"t", "back"}, {"y"}, "/s/Reshape_1")},
                 {int64_tensor("view", view), int64_tensor("back", back)}, value_info("x", {1, 6, 4, 4}),
                 value_info("y", {}));
  };
  SUBCASE("3 groups of 2 channels") {
    const auto r = import_ok(shuffle_model({1, 3, 2, 4, 4}, {0, 2, 1, 3, 4}, {1, -1, 4, 4}));
    CHECK(r.stopped_at.empty());
    CHECK(types_of(r.network) == std::vector<std::string>{"relu", "channel_shuffle"});
    CHECK(r.network.layers[1].name == "/s/Reshape_1");  // the node that makes the shuffled tensor
    CHECK(r.network.layers[1].groups == 3);
    CHECK(analysed(r).output == cs::Shape{1, 6, 4, 4});
  }
  SUBCASE("another permutation of the view") {
    const auto r = import_ok(shuffle_model({1, 3, 2, 4, 4}, {0, 1, 2, 4, 3}, {1, -1, 4, 4}));
    CHECK(r.stopped_at == "node 2 (\"/s/Transpose\", Transpose): it reads the view [1, 3, 2, 4, 4] that node 1 made of "
                          "[1, 6, 4, 4]; ConvScope models such a view only inside a channel shuffle (Reshape to "
                          "[N, g, C/g, ...], Transpose perm [0, 2, 1, ...], Reshape back)");
    CHECK(types_of(r.network) == std::vector<std::string>{"relu"});
  }
  SUBCASE("reshaped back to another shape") {
    const auto r = import_ok(shuffle_model({1, 3, 2, 4, 4}, {0, 2, 1, 3, 4}, {1, 6, 16}));
    CHECK(contains(r.stopped_at, "node 3 (\"/s/Reshape_1\", Reshape): it reads the transposed view [1, 2, 3, 4, 4]"));
  }
}

TEST_CASE("Slice and Split of the channels are channel_split, as torch.chunk's pieces; other ranges stop") {
  const auto slice_model = [](int64_t start, int64_t end) {
    return model({node("Relu", {"x"}, {"a"}, "a"), node("Slice", {"a", "starts", "ends", "axes"}, {"y"}, "/Slice")},
                 {int64_tensor("starts", {start}), int64_tensor("ends", {end}), int64_tensor("axes", {1})},
                 value_info("x", {1, 5, 4, 4}), value_info("y", {}));
  };
  SUBCASE("torch's export of x.chunk(2, dim=1)[1] on 5 channels: [3, 6) clamped to [3, 5)") {
    const auto r = import_ok(slice_model(3, 6));
    CHECK(types_of(r.network) == std::vector<std::string>{"relu", "channel_split"});
    CHECK((r.network.layers[1].chunks == 2 && r.network.layers[1].index == 1));
    CHECK(analysed(r).output == cs::Shape{1, 2, 4, 4});
  }
  SUBCASE("[0, 3) of 5: chunk 0 of 2") {
    const auto r = import_ok(slice_model(0, 3));
    CHECK((r.network.layers[1].chunks == 2 && r.network.layers[1].index == 0));
    CHECK(analysed(r).output == cs::Shape{1, 3, 4, 4});
  }
  SUBCASE("[1, 3) of 5 is no chunk") {
    const auto r = import_ok(slice_model(1, 3));
    CHECK(r.stopped_at == "node 1 (\"/Slice\", Slice): it takes channels [1, 3) of 5, which is no piece of torch.chunk; "
                          "ConvScope's channel_split takes one of n equal chunks (the last smaller)");
  }
  SUBCASE("Split of 6 channels in [2, 2, 2]: three chunks, each read by its consumer") {
    const auto r = import_ok(model({node("Split", {"x", "sizes"}, {"p", "q", "s"}, "/Split", {integer("axis", 1)}),
                                    node("Concat", {"s", "p"}, {"y"}, "/cat", {integer("axis", 1)})},
                                   {int64_tensor("sizes", {2, 2, 2})}, value_info("x", {1, 6, 4, 4}), value_info("y", {})));
    CHECK(types_of(r.network) == std::vector<std::string>{"channel_split", "channel_split", "channel_split", "concat"});
    for (int64_t k = 0; k < 3; ++k) {
      CHECK(r.network.layers[static_cast<size_t>(k)].chunks == 3);
      CHECK(r.network.layers[static_cast<size_t>(k)].index == k);
    }
    CHECK(cs::inputs_of(r.network, 3) == std::vector<int32_t>{2, 0});
    CHECK(analysed(r).output == cs::Shape{1, 4, 4, 4});
  }
}

TEST_CASE("malformed graphs are named by node") {
  SUBCASE("Concat without its axis") {
    CHECK(import_error(model({node("Concat", {"x", "x"}, {"y"}, "cat")}, {}, value_info("x", {1, 3, 4, 4}),
                             value_info("y", {}))) == "node 0 (\"cat\", Concat): attribute axis: missing (Concat requires it)");
  }
  SUBCASE("an input nobody provides") {
    CHECK(import_error(model({node("Add", {"x", "ghost"}, {"y"}, "add")}, {}, value_info("x", {1, 3, 4, 4}),
                             value_info("y", {}))) ==
          "node 0 (\"add\", Add): its input \"ghost\" is neither an initializer, a graph input nor the output of an "
          "earlier node");
  }
}
