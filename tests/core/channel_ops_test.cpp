// channel_shuffle and channel_split: ShuffleNet V2's two channel steps
// (torchvision 0.14 shufflenetv2.py), one rule each in layer_rules.cpp's
// channel_op. The framework texts were re-run: PyTorch 1.13 (/usr/bin/python3,
// torchvision's own channel_shuffle and x.chunk), ONNX Runtime 1.31.1 (the
// Reshape PyTorch exports, in onnxruntime-node).
#include <doctest/doctest.h>

#include "convscope/import/import.hpp"
#include "convscope/network_json.hpp"
#include "convscope/share_link.hpp"
#include "test_support.hpp"

using convscope::conventions::Failure;
using convscope::Shape;
using convscope::Status;
using test_support::analyse;
using test_support::contains;
using test_support::parse_error;

namespace {
std::string net(const std::string& framework, const std::string& input, const std::string& layer) {
  return test_support::network_text(framework, input, layer);
}
}  // namespace

TEST_CASE("channel_shuffle keeps the shape, has no weights, and needs the channels divisible by groups") {
  SUBCASE("116 channels in 2 groups: shape kept, params 0, MACs 0, receptive field unchanged") {
    const auto a = analyse(net("pytorch", "[1, 116, 28, 28]", R"({"type": "channel_shuffle", "groups": 2})"));
    const auto& r = a.report.layers[0];
    CHECK(r.status == Status::ok);
    CHECK(r.output == Shape{1, 116, 28, 28});
    CHECK(r.params == 0);
    CHECK(r.macs == 0);
    REQUIRE(r.receptive_field);
    CHECK((r.receptive_field->size[0] == 1 && r.receptive_field->size[1] == 1));
  }
  SUBCASE("PyTorch: torchvision's view(N, g, C // g, H, W) of 6 channels in 4 groups (RUN: torch 1.13)") {
    const auto a = analyse(net("pytorch", "[1, 6, 4, 4]", R"({"type": "channel_shuffle", "groups": 4})"));
    const auto& r = a.report.layers[0];
    CHECK(r.status == Status::error);
    CHECK(r.failure == Failure::shuffle_groups);
    CHECK(r.message == "channel shuffle needs the channels (6) divisible by groups (4)");
    REQUIRE(r.framework_errors.size() == 1);
    CHECK(r.framework_errors[0].source == "PyTorch");
    CHECK(r.framework_errors[0].text == "shape '[1, 4, 1, 4, 4]' is invalid for input of size 96");
    // The fix: the largest divisor of 6 not above 4.
    REQUIRE_FALSE(r.fixes.empty());
    CHECK(r.fixes[0].summary == "groups=3 (was 4) on \"0\"");
  }
  SUBCASE("PyTorch: batch 2, 5 channels in 2 groups (RUN: torch 1.13)") {
    const auto a = analyse(net("pytorch", "[2, 5, 3, 3]", R"({"type": "channel_shuffle", "groups": 2})"));
    REQUIRE(a.report.layers[0].framework_errors.size() == 1);
    CHECK(a.report.layers[0].framework_errors[0].text == "shape '[2, 2, 2, 3, 3]' is invalid for input of size 90");
  }
  SUBCASE("ONNX Runtime: the exported Reshape (RUN: onnxruntime-node 1.31.1)") {
    const auto a = analyse(net("onnx", "[1, 6, 4, 4]", R"({"type": "channel_shuffle", "groups": 4})"));
    const auto& r = a.report.layers[0];
    REQUIRE(r.framework_errors.size() == 1);
    CHECK(r.framework_errors[0].source == "ONNX Runtime");
    CHECK(r.framework_errors[0].text ==
          "The input tensor cannot be reshaped to the requested shape. Input shape:{1,6,4,4}, requested "
          "shape:{1,4,1,4,4}");
  }
  SUBCASE("more groups than channels: C // g = 0, which ONNX's Reshape reads as 'copy the input's size' (RUN: "
          "onnxruntime-node 1.31.1 on the graph torch.onnx exports)") {
    const auto pt = analyse(net("pytorch", "[1, 2, 10, 3]", R"({"type": "channel_shuffle", "groups": 4})"));
    CHECK(pt.report.layers[0].framework_errors[0].text == "shape '[1, 4, 0, 10, 3]' is invalid for input of size 60");
    const auto ox = analyse(net("onnx", "[1, 2, 10, 3]", R"({"type": "channel_shuffle", "groups": 4})"));
    CHECK(ox.report.layers[0].framework_errors[0].text ==
          "The input tensor cannot be reshaped to the requested shape. Input shape:{1,2,10,3}, requested "
          "shape:{1,4,10,10,3}");
  }
  SUBCASE("Keras has no such layer: the parser says so") {
    CHECK(parse_error(net("tensorflow", "[1, 4, 4, 6]", R"({"type": "channel_shuffle", "groups": 2})")) ==
          "layers[0].type: Keras has no channel shuffle layer (write it in a Lambda or a custom layer; ConvScope's "
          "Keras export does)");
  }
  SUBCASE("groups is required and positive") {
    CHECK(parse_error(net("pytorch", "[1, 4, 4, 4]", R"({"type": "channel_shuffle"})")) ==
          "layers[0].groups: missing (channel_shuffle needs groups)");
    CHECK(parse_error(net("pytorch", "[1, 4, 4, 4]", R"({"type": "channel_shuffle", "groups": 0})")) ==
          "layers[0].groups: expected a positive integer, got 0");
  }
}

TEST_CASE("channel_split is torch.chunk's piece: ceil(C / chunks) channels, the last smaller, fewer pieces when C "
          "is small") {
  const auto out = [](const std::string& input, int64_t chunks, int64_t index) {
    const auto a = analyse(net("pytorch", input,
                               R"({"type": "channel_split", "chunks": )" + std::to_string(chunks) +
                                   R"(, "index": )" + std::to_string(index) + "}"));
    return a.report.layers[0];
  };
  // RUN (torch 1.13): [t.shape for t in torch.zeros(2, 5, 3, 3).chunk(2, dim=1)] -> [2, 3, 3, 3], [2, 2, 3, 3]
  CHECK(out("[2, 5, 3, 3]", 2, 0).output == Shape{2, 3, 3, 3});
  CHECK(out("[2, 5, 3, 3]", 2, 1).output == Shape{2, 2, 3, 3});
  CHECK(out("[1, 116, 28, 28]", 2, 1).output == Shape{1, 58, 28, 28});
  CHECK(out("[1, 116, 28, 28]", 2, 1).params == 0);
  CHECK(out("[1, 116, 28, 28]", 2, 1).macs == 0);
  SUBCASE("3 channels in 4 chunks make 3 pieces: chunk 3 does not exist (RUN: IndexError in torch 1.13)") {
    const auto r = out("[1, 3, 2, 2]", 4, 3);
    CHECK(r.status == Status::error);
    CHECK(r.failure == Failure::split_index);
    CHECK(r.message == "3 channels in 4 chunks make 3 pieces of 1, so there is no chunk 3");
    REQUIRE(r.framework_errors.size() == 1);
    CHECK(r.framework_errors[0].source == "PyTorch");  // an IndexError
    CHECK(r.framework_errors[0].text == "tuple index out of range");
    REQUIRE_FALSE(r.fixes.empty());
    CHECK(r.fixes[0].summary == "index=2 (the last chunk; was 3) on \"0\"");
  }
  SUBCASE("ONNX: the Slice returns an empty tensor, no text; ConvScope says so") {
    const auto a = analyse(net("onnx", "[1, 3, 2, 2]", R"({"type": "channel_split", "chunks": 4, "index": 3})"));
    CHECK(a.report.layers[0].framework_errors.empty());
    CHECK(contains(a.report.layers[0].message, "ONNX Runtime's Slice returns an empty tensor here"));
  }
  SUBCASE("the index counts from 0 and stays below chunks") {
    CHECK(parse_error(net("pytorch", "[1, 4, 4, 4]", R"({"type": "channel_split", "chunks": 2, "index": 2})")) ==
          "layers[0].index: chunk 2 of 2 does not exist (index counts from 0, so it must be below chunks)");
    CHECK(parse_error(net("pytorch", "[1, 4, 4, 4]", R"({"type": "channel_split", "chunks": 2, "index": -1})")) ==
          "layers[0].index: expected a non-negative integer (0 = the first chunk), got -1");
    CHECK(parse_error(net("pytorch", "[1, 4, 4, 4]", R"({"type": "channel_split", "chunks": 2})")) ==
          "layers[0].index: missing (channel_split needs index)");
  }
  SUBCASE("TensorFlow layout: the channels are the last axis") {
    // Parsed as PyTorch and translated: Keras has no layer, the analysis still runs on NHWC.
    convscope::Network n;
    std::string error;
    REQUIRE(convscope::network_json::parse(net("pytorch", "[1, 5, 3, 3]", R"({"type": "channel_split", "chunks": 2, "index": 0})"), n, error));
    n.framework = convscope::Framework::tensorflow;
    n.input = {1, 3, 3, 5};
    CHECK(convscope::analyze(n).layers[0].output == Shape{1, 3, 3, 3});
  }
}

TEST_CASE("ShuffleNet V2's stride-1 unit as a graph: split, branch on the second half, concat, shuffle") {
  const auto a = analyse(R"({"framework": "pytorch", "input": [1, 116, 28, 28], "layers": [
    {"type": "channel_split", "name": "x1", "chunks": 2, "index": 0},
    {"type": "channel_split", "name": "x2", "chunks": 2, "index": 1, "inputs": ["input"]},
    {"type": "conv", "name": "pw", "filters": 58, "kernel": 1, "in_channels": 58},
    {"type": "conv", "name": "dw", "filters": 58, "kernel": 3, "padding": 1, "groups": 58},
    {"type": "concat", "name": "cat", "inputs": ["x1", "dw"]},
    {"type": "channel_shuffle", "name": "shuffle", "groups": 2}]})");
  CHECK(a.report.ok);
  CHECK(a.report.output == Shape{1, 116, 28, 28});
  CHECK(*a.report.total_params == 58 * 58 + 58 + 58 * 9 + 58);
}

TEST_CASE("the channel steps round-trip through JSON and share links (v2)") {
  const std::string text = R"({"framework": "pytorch", "input": [1, 8, 4, 4], "layers": [
    {"type": "channel_split", "name": "half", "chunks": 2, "index": 1},
    {"type": "channel_shuffle", "name": "shuffle", "groups": 2}]})";
  convscope::Network n;
  std::string error;
  REQUIRE(convscope::network_json::parse(text, n, error));
  const convscope::json::Value value = convscope::network_json::to_json(n);
  const std::string json = convscope::json::write(value, -1);
  CHECK(contains(json, R"("type":"channel_split","name":"half","chunks":2,"index":1)"));
  CHECK(contains(json, R"("type":"channel_shuffle","name":"shuffle","groups":2)"));
  std::string link;
  convscope::share_link::ShareLinkError link_error;
  REQUIRE(convscope::share_link::encode(value, {}, link, link_error));
  CHECK(contains(link, "v=2"));
  CHECK(contains(link, "channel_split:ch2:idx1"));
  CHECK(contains(link, "channel_shuffle:g2"));
  convscope::share_link::Decoded back;
  REQUIRE(convscope::share_link::decode(link, back, link_error));
  convscope::Network m;
  REQUIRE(convscope::network_json::parse(convscope::json::write(back.network, -1), m, error));
  CHECK(m.layers[0].chunks == 2);
  CHECK(m.layers[0].index == 1);
  CHECK(m.layers[1].groups == 2);
}
