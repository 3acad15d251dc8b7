// PoolOpHost and createPoolOp's options (core/convscope/kernels/pool_options
// and pool_op_host): what the options parse into, a message naming the option
// for each mistake, and the host's buffers run through the SIMD kernels and
// the scalar reference alike. The kernels themselves are swept against the
// reference in kernels_test.cpp (natively) and tests/wasm/kernels.test.mjs.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "convscope/kernels/pool_op_host.hpp"
#include "convscope/kernels/pool_options.hpp"

namespace k = convscope::kernels;
using k::PoolOpDesc;
using k::PoolOpKind;

namespace {

std::string parse(const std::string& json) {
  PoolOpDesc d;
  return k::pool_desc_from_json(json, d);
}

}  // namespace

TEST_CASE("createPoolOp options parse into a description") {
  PoolOpDesc d;
  // Stride defaults to the kernel (PyTorch and Keras); ceil mode keeps the
  // window that starts inside the input: ceil((9 - 2) / 2) + 1 = 5.
  REQUIRE(k::pool_desc_from_json(R"({"kind": "max_pool", "inputShape": [2, 9, 8, 3], "kernel": [2, 2],
      "ceilMode": true, "dilation": null})",
                                 d) == "");
  CHECK(d.kind == PoolOpKind::max_pool);
  CHECK(d.window.kind == k::PoolKind::max);
  CHECK(d.window.stride_h == 2);
  CHECK(d.window.stride_w == 2);
  CHECK(d.window.ceil_mode);
  CHECK(k::output_shape(d) == k::Shape4{2, 5, 4, 3});
  REQUIRE(k::pool_desc_from_json(R"({"kind": "avg_pool", "inputShape": [1, 7, 7, 4], "kernel": [3, 3],
      "stride": [1, 1], "padding": [[1, 1], [0, 2]], "countIncludePad": false})",
                                 d) == "");
  CHECK(d.window.kind == k::PoolKind::average);
  CHECK_FALSE(d.window.count_include_pad);
  CHECK(d.window.pad_right == 2);
  CHECK(k::output_shape(d) == k::Shape4{1, 7, 7, 4});
  // TensorFlow SAME: out ceil(10 / 3) = 4, total (4 - 1) * 3 + 3 - 10 = 2 -> 1 top, 1 bottom.
  REQUIRE(k::pool_desc_from_json(R"({"kind": "avg_pool", "inputShape": [1, 10, 10, 1], "kernel": [3, 3],
      "padding": "same"})",
                                 d) == "");
  CHECK(d.window.pad_top == 1);
  CHECK(d.window.pad_bottom == 1);
  CHECK(d.window.count_include_pad);  // PyTorch's default
  REQUIRE(k::pool_desc_from_json(R"({"kind": "global_avg_pool", "inputShape": [3, 5, 6, 7]})", d) == "");
  CHECK(k::output_shape(d) == k::Shape4{3, 1, 1, 7});
  REQUIRE(k::pool_desc_from_json(R"({"kind": "upsample_nearest", "inputShape": [1, 2, 3, 5], "outputSize": [5, 6]})",
                                 d) == "");
  CHECK(k::output_shape(d) == k::Shape4{1, 5, 6, 5});
}

TEST_CASE("createPoolOp options: each mistake gets a message naming the option") {
  const std::string max = R"({"kind": "max_pool", "inputShape": [1, 5, 5, 2], "kernel": [2, 2], )";
  CHECK(parse("{") .rfind("options are not JSON: line 1, column 2", 0) == 0);
  CHECK(parse("[]") == "options must be an object");
  CHECK(parse(R"({"inputShape": [1, 5, 5, 2]})") ==
        R"(kind is required: "max_pool", "avg_pool", "global_max_pool", "global_avg_pool" or "upsample_nearest")");
  CHECK(parse(R"({"kind": "adaptive_avg_pool", "inputShape": [1, 5, 5, 2]})") ==
        R"(kind must be "max_pool", "avg_pool", "global_max_pool", "global_avg_pool" or "upsample_nearest", got "adaptive_avg_pool")");
  CHECK(parse(max + R"("strides": [1, 1]})") == "unknown option \"strides\"");
  CHECK(parse(max + R"("countIncludePad": true})") == "option \"countIncludePad\" does not apply to max_pool");
  CHECK(parse(max + R"("outputSize": [2, 2]})") == "option \"outputSize\" does not apply to max_pool");
  CHECK(parse(R"({"kind": "global_max_pool", "inputShape": [1, 5, 5, 2], "kernel": [2, 2]})") ==
        "option \"kernel\" does not apply to global_max_pool");
  CHECK(parse(R"({"kind": "max_pool", "inputShape": [1, 5, 5, 2]})") == "kernel [kh, kw] is required");
  CHECK(parse(R"({"kind": "max_pool", "kernel": [2, 2]})") == "inputShape [N, H, W, C] is required");
  CHECK(parse(R"({"kind": "max_pool", "inputShape": [1, 5, 5], "kernel": [2, 2]})") ==
        "inputShape must be an array of 4 integers, got [1,5,5]");
  CHECK(parse(R"({"kind": "max_pool", "inputShape": [1, 0, 5, 2], "kernel": [2, 2]})") ==
        "inputShape[1] must be >= 1, got 0");
  CHECK(parse(max + R"("stride": [1, 1.5]})") == "stride[1] must be an integer, got 1.5");
  CHECK(parse(max + R"("stride": [0, 1]})") == "stride[0] must be >= 1, got 0");
  CHECK(parse(R"({"kind": "max_pool", "inputShape": [1, 5, 5, 2], "kernel": [2, 0]})") ==
        "kernel[1] must be >= 1, got 0");
  CHECK(parse(max + R"("padding": [[1, -1], [0, 0]]})") == "padding[0][1] must be >= 0, got -1");
  CHECK(parse(max + R"("padding": "full"})") ==
        R"(padding must be "valid", "same" or [[top, bottom], [left, right]], got "full")");
  CHECK(parse(max + R"("ceilMode": 1})") == "ceilMode must be true or false, got 1");
  CHECK(parse(R"({"kind": "avg_pool", "inputShape": [1, 5, 5, 2], "kernel": [2, 2], "countIncludePad": "yes"})") ==
        R"(countIncludePad must be true or false, got "yes")");
  CHECK(parse(R"({"kind": "avg_pool", "inputShape": [1, 5, 5, 2], "kernel": [2, 2], "dilation": [2, 1]})") ==
        "dilation must be [1, 1] for average pooling (PyTorch's AvgPool2d has none)");
  CHECK(parse(R"({"kind": "max_pool", "inputShape": [1, 5, 5, 2], "kernel": [9, 2]})") ==
        "output height is 0: floor((5 - 9) / 9) + 1 = 0");
  CHECK(parse(R"({"kind": "upsample_nearest", "inputShape": [1, 5, 5, 2]})") == "outputSize [oh, ow] is required");
  CHECK(parse(R"({"kind": "upsample_nearest", "inputShape": [1, 5, 5, 2], "outputSize": [3, 0]})") ==
        "outputSize[1] must be >= 1, got 0");
  // Size caps: a hostile shape is refused before anything is allocated.
  CHECK(parse(R"({"kind": "global_avg_pool", "inputShape": [1, 100000, 100000, 3]})") ==
        "the input would hold more than 16777216 floats, the kernels' limit");
  CHECK(parse(R"({"kind": "global_avg_pool", "inputShape": [2147483647, 2147483647, 2147483647, 2147483647]})") ==
        "the input would hold more than 16777216 floats, the kernels' limit");
  CHECK(parse(R"({"kind": "upsample_nearest", "inputShape": [1, 2, 2, 3], "outputSize": [2147483647, 2147483647]})") ==
        "the output would hold more than 16777216 floats, the kernels' limit");
  CHECK(parse(R"({"kind": "max_pool", "inputShape": [1, 4096, 4096, 2], "kernel": [1, 1]})") ==
        "the input would hold more than 16777216 floats, the kernels' limit");
}

TEST_CASE("PoolOpHost allocates its buffers and runs the SIMD kernel or the reference") {
  k::PoolOpHost host;
  CHECK(host.prepare(R"({"kind": "max_pool", "inputShape": [1, 5, 5, 2], "kernel": [2, 0]})") ==
        "kernel[1] must be >= 1, got 0");
  CHECK(host.output_dim(1) == 0);
  CHECK(host.input_len() == 0);
  host.run();  // nothing to do, and no crash
  const char* cases[] = {
      R"({"kind": "max_pool", "inputShape": [2, 9, 7, 5], "kernel": [3, 2], "stride": [2, 1], "dilation": [2, 1],
          "padding": [[1, 1], [1, 0]], "ceilMode": true})",
      R"({"kind": "avg_pool", "inputShape": [1, 8, 11, 6], "kernel": [3, 3], "stride": [2, 3],
          "padding": [[1, 1], [1, 1]], "ceilMode": true, "countIncludePad": true})",
      R"({"kind": "avg_pool", "inputShape": [1, 8, 11, 6], "kernel": [3, 3], "stride": [2, 3],
          "padding": [[1, 1], [1, 1]], "countIncludePad": false})",
      R"({"kind": "global_max_pool", "inputShape": [2, 4, 5, 9]})",
      R"({"kind": "global_avg_pool", "inputShape": [2, 4, 5, 9]})",
      R"({"kind": "upsample_nearest", "inputShape": [1, 3, 4, 7], "outputSize": [7, 8]})",
  };
  float seed = 0.37f;
  for (const char* options : cases) {
    INFO(options);
    REQUIRE(host.prepare(options) == "");
    PoolOpDesc d;
    REQUIRE(k::pool_desc_from_json(options, d) == "");
    const k::Shape4 out = k::output_shape(d);
    CHECK(host.output_dim(0) == out.n);
    CHECK(host.output_dim(1) == out.h);
    CHECK(host.output_dim(2) == out.w);
    CHECK(host.output_dim(3) == out.c);
    CHECK(host.output_dim(4) == 0);
    REQUIRE(host.input_len() == d.window.input.elements());
    REQUIRE(host.output_len() == out.elements());
    for (size_t i = 0; i < host.input_len(); ++i) {
      seed = std::fmod(seed * 997.0f + 0.123f, 2.0f);
      host.input()[i] = seed - 1.0f;
    }
    host.run();
    const std::vector<float> simd(host.output(), host.output() + host.output_len());
    host.run_reference();
    const std::vector<float> ref(host.output(), host.output() + host.output_len());
    for (size_t i = 0; i < ref.size(); ++i) CHECK(std::fabs(simd[i] - ref[i]) <= 1e-5f);
  }
}
