// Fixes and the minimum input on hand-checked networks. The random property
// tests (properties_test.cpp) check the same promises on many networks.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "test_support.hpp"

using convscope::Shape;
using test_support::analyse;
using test_support::contains;

namespace {

const convscope::AnalyzeOptions kQuick{false, false, 0};

const convscope::Fix* find_fix(const convscope::LayerReport& r, const std::string& needle) {
  for (const convscope::Fix& f : r.fixes)
    if (contains(f.summary, needle)) return &f;
  return nullptr;
}

convscope::Network with_input(convscope::Network net, const Shape& spatial) {
  for (size_t a = 0; a < spatial.size(); ++a) net.input[convscope::conventions::spatial_axis(net.framework, a)] = spatial[a];
  return net;
}

}  // namespace

TEST_CASE("the minimum input of the tutorial cases") {
  SUBCASE("a 5x5 kernel needs 5x5") {
    CHECK(analyse(test_support::example_text("kernel_larger_than_input.json")).report.min_input == Shape{5, 5});
  }
  SUBCASE("a 3x3 kernel at stride 5 needs only 3x3 for one output") {
    CHECK(analyse(test_support::example_text("strided_kernel.json")).report.min_input == Shape{3, 3});
  }
  SUBCASE("a 3x3 kernel with dilation 3 spans 7") {
    CHECK(analyse(test_support::example_text("dilated_kernel.json")).report.min_input == Shape{7, 7});
  }
}

TEST_CASE("the minimum input follows each axis' own kernel in 3-D") {
  const auto a = analyse(R"({"framework": "pytorch", "input": [1, 1, 2, 2, 2], "layers": [{"type": "conv", "filters": 1, "kernel": [3, 5, 7]}]})");
  CHECK_FALSE(a.report.ok);
  CHECK(a.report.min_input == Shape{3, 5, 7});
}

TEST_CASE("ceil_mode lowers the minimum input") {
  // conv3 needs 3; a ceil-mode pool gives 3 from 5 (ceil(3 / 2) + 1 = 3, last start 4 < 5), a floor
  // pool only from 6; the first conv3 adds 2: 7 with ceil_mode, 8 without.
  const std::string layers = R"([{"type": "conv", "filters": 1, "kernel": 3},
      {"type": "max_pool", "kernel": 2, "ceil_mode": CEIL},
      {"type": "conv", "filters": 1, "kernel": 3}])";
  auto net_text = [&](const char* ceil) {
    std::string l = layers;
    l.replace(l.find("CEIL"), 4, ceil);
    return R"({"framework": "pytorch", "input": [1, 1, 2, 2], "layers": )" + l + "}";
  };
  const auto with_ceil = analyse(net_text("true"));
  const auto without = analyse(net_text("false"));
  CHECK(with_ceil.report.min_input == Shape{7, 7});
  CHECK(without.report.min_input == Shape{8, 8});
  CHECK(convscope::analyze(with_input(with_ceil.net, {7, 7}), kQuick).ok);
  CHECK_FALSE(convscope::analyze(with_input(with_ceil.net, {6, 7}), kQuick).ok);
}

TEST_CASE("the minimum input through a transposed conv that shrinks") {
  // PyTorch ConvTranspose k 3, padding 2: (in - 1) - 4 + 2 + 1 = in - 2 >= 1 needs in >= 3.
  const auto a = analyse(R"({"framework": "pytorch", "input": [1, 1, 2], "layers": [{"type": "conv_transpose", "filters": 1, "kernel": 3, "padding": 2}]})");
  CHECK_FALSE(a.report.ok);
  CHECK(a.report.min_input == Shape{3});
}

TEST_CASE("no minimum input exists when a layer fails for every input size") {
  const auto a = analyse(R"({"framework": "pytorch", "input": [1, 6, 8, 8], "layers": [{"type": "conv", "name": "grouped", "filters": 8, "kernel": 3, "groups": 4}]})");
  CHECK_FALSE(a.report.min_input.has_value());
  CHECK(contains(a.report.min_input_note, "grouped"));
}

TEST_CASE("fixes for a kernel larger than its input") {
  const auto a = analyse(test_support::example_text("kernel_larger_than_input.json"));
  const auto& r = a.report.layers[0];
  SUBCASE("the smallest symmetric padding: ceil((5 - 4) / 2) = 1 -> (4 + 2 - 5) + 1 = 2") {
    const convscope::Fix* fix = find_fix(r, "padding=1");
    REQUIRE(fix != nullptr);
    CHECK(fix->output == Shape{1, 1, 2, 2});
    CHECK(convscope::analyze(fix->network, kQuick).ok);
  }
  SUBCASE("the largest kernel that fits: 4") {
    const convscope::Fix* fix = find_fix(r, "kernel_size=4");
    REQUIRE(fix != nullptr);
    CHECK(fix->output == Shape{1, 1, 1, 1});
  }
  SUBCASE("a larger input: 5x5") {
    const convscope::Fix* fix = find_fix(r, "input");
    REQUIRE(fix != nullptr);
    CHECK(fix->network.input == Shape{1, 1, 5, 5});
  }
}

TEST_CASE("a fix that repairs the failing layer but not a later one is partial and says so") {
  // 4x4 -> conv5 'same' keeps 4x4 -> the second conv5 still fails.
  const auto a = analyse(R"({"framework": "pytorch", "input": [1, 1, 4, 4], "layers": [
      {"type": "conv", "name": "first", "filters": 1, "kernel": 5},
      {"type": "conv", "name": "second", "filters": 1, "kernel": 5}]})");
  REQUIRE(a.report.first_error == 0u);
  const convscope::Fix* fix = find_fix(a.report.layers[0], "'same'");
  REQUIRE(fix != nullptr);
  CHECK_FALSE(fix->resolves_all);
  CHECK(contains(fix->summary, "second"));
  const convscope::Report after = convscope::analyze(fix->network, kQuick);
  CHECK(after.first_error == 1u);
  SUBCASE("a larger input resolves everything: the second conv needs 5, the first 5 + 4 = 9") {
    CHECK(a.report.min_input == Shape{9, 9});
    const convscope::Fix* input_fix = find_fix(a.report.layers[0], "input");
    REQUIRE(input_fix != nullptr);
    CHECK(input_fix->resolves_all);
  }
}

TEST_CASE("fixes for PyTorch pooling padding and TensorFlow transposed consistency") {
  SUBCASE("padding above half the kernel is reduced to half") {
    const auto a = analyse(R"({"framework": "pytorch", "input": [1, 1, 8, 8], "layers": [{"type": "max_pool", "kernel": 3, "padding": 2}]})");
    REQUIRE(!a.report.layers[0].fixes.empty());
    const convscope::Fix& fix = a.report.layers[0].fixes[0];
    CHECK(fix.resolves_all);
    CHECK(fix.network.layers[0].padding.pairs[0] == std::make_pair(int64_t{1}, int64_t{1}));
  }
  SUBCASE("Keras transposed output_padding that does not map back") {
    const auto a = analyse(R"({"framework": "tensorflow", "input": [1, 4, 4, 8], "layers": [
        {"type": "conv_transpose", "filters": 2, "kernel": 4, "stride": 2, "padding": "same", "output_padding": 0}]})");
    REQUIRE(!a.report.layers[0].fixes.empty());
    for (const convscope::Fix& fix : a.report.layers[0].fixes) {
      CAPTURE(fix.summary);
      CHECK(convscope::analyze(fix.network, kQuick).ok == fix.resolves_all);
    }
    CHECK(a.report.layers[0].fixes[0].resolves_all);
  }
}

TEST_CASE("fixes never edit the caller's network") {
  const auto a = analyse(test_support::example_text("conv2d_3.json"));
  convscope::Network reparsed;
  std::string error;
  REQUIRE(convscope::network_json::parse(test_support::example_text("conv2d_3.json"), reparsed, error));
  CHECK(convscope::network_json::to_json(a.net) == convscope::network_json::to_json(reparsed));
  for (const convscope::Fix& fix : a.report.layers[5].fixes)
    CHECK_FALSE(convscope::network_json::to_json(fix.network) == convscope::network_json::to_json(a.net));
}

TEST_CASE("the groups fix is the largest common divisor not above groups, found fast on huge channel counts") {
  SUBCASE("6 channels, 8 filters, groups 4: gcd 2") {
    const auto a = analyse(R"({"framework": "pytorch", "input": [1, 6, 4, 4], "layers": [{"type": "conv", "filters": 8, "kernel": 1, "groups": 4}]})");
    REQUIRE(!a.report.layers[0].fixes.empty());
    CHECK(a.report.layers[0].fixes[0].network.layers[0].groups == 2);
  }
  SUBCASE("2^30 channels and filters, groups 1000: 512 (the largest power of two <= 1000)") {
    const auto a = analyse(R"({"framework": "pytorch", "input": [1, 1073741824, 1, 1], "layers": [
        {"type": "conv", "filters": 1073741824, "kernel": 1, "groups": 1000}]})");
    REQUIRE(!a.report.layers[0].fixes.empty());
    CHECK(a.report.layers[0].fixes[0].network.layers[0].groups == 512);
    CHECK(a.report.layers[0].fixes[0].resolves_all);
  }
}
