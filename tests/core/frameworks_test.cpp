// Whole layers through network_json::parse + analyze, per framework: output
// shapes worked out by hand from each framework's docs and source (cited in
// the comments), the padding each resolves, and the error texts they print.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "test_support.hpp"

using convscope::Framework;
using convscope::Shape;
using convscope::Status;
using convscope::shape::Pads;
using test_support::analyse;
using test_support::contains;

namespace {

// One layer on `input` under `framework`: the layer's JSON fields go in `layer`.
test_support::Analysed one_layer(const std::string& framework, const std::string& input, const std::string& layer) {
  return analyse(test_support::network_text(framework, input, layer));
}

Shape output_of(const test_support::Analysed& a, size_t layer = 0) {
  REQUIRE(a.report.layers.size() > layer);
  REQUIRE(a.report.layers[layer].output.has_value());
  return *a.report.layers[layer].output;
}

// Every framework text of the layer, joined, so a test can look for any of them.
std::string all_texts(const convscope::LayerReport& r) {
  std::string s;
  for (const auto& t : r.framework_errors) s += t.source + ": " + t.text + "\n";
  return s;
}

bool has_warning_containing(const convscope::LayerReport& r, const std::string& needle) {
  return std::any_of(r.warnings.begin(), r.warnings.end(), [&](const std::string& w) { return contains(w, needle); });
}

}  // namespace

// ---- PyTorch -------------------------------------------------------------------

TEST_CASE("PyTorch Conv1d, Conv2d and Conv3d take their rank from the input") {
  // floor((L + 2p - d(k - 1) - 1) / s + 1) per axis (nn.Conv*d docs).
  SUBCASE("1-D: 10 -> 8") {
    CHECK(output_of(one_layer("pytorch", "[2, 3, 10]", R"({"type": "conv", "filters": 4, "kernel": 3})")) == Shape{2, 4, 8});
  }
  SUBCASE("2-D with per-axis kernel and stride: (9, 12) -> ((9-3)/2+1, (12-5)/1+1) = (4, 8)") {
    CHECK(output_of(one_layer("pytorch", "[1, 3, 9, 12]",
                              R"({"type": "conv", "filters": 8, "kernel": [3, 5], "stride": [2, 1]})")) == Shape{1, 8, 4, 8});
  }
  SUBCASE("3-D: 8 -> 6 on every axis") {
    CHECK(output_of(one_layer("pytorch", "[1, 1, 8, 8, 8]", R"({"type": "conv", "filters": 2, "kernel": 3})")) ==
          Shape{1, 2, 6, 6, 6});
  }
}

TEST_CASE("PyTorch padding='same' at stride 1 with an even kernel pads total/2 on the left") {
  // torch/nn/modules/conv.py: total = d * (k - 1) = 3, left = 3 // 2 = 1, right = 2.
  const auto a = one_layer("pytorch", "[1, 1, 5, 5]", R"({"type": "conv", "filters": 1, "kernel": 4, "padding": "same"})");
  CHECK(output_of(a) == Shape{1, 1, 5, 5});
  REQUIRE(a.report.layers[0].axes.size() == 2);
  CHECK(a.report.layers[0].axes[0].pads == Pads{1, 2});
  CHECK(a.report.layers[0].axes[1].pads == Pads{1, 2});
}

TEST_CASE("PyTorch refuses padding='same' on a strided convolution") {
  // torch/nn/modules/conv.py raises "padding='same' is not supported for strided convolutions".
  const auto a = one_layer("pytorch", "[1, 1, 8, 8]", R"({"type": "conv", "filters": 1, "kernel": 3, "stride": 2, "padding": "same"})");
  CHECK_FALSE(a.report.ok);
  REQUIRE(!a.report.layers[0].framework_errors.empty());
  CHECK(a.report.layers[0].framework_errors[0].text == "padding='same' is not supported for strided convolutions");
  // The proposed explicit padding (3 - 1) / 2 = 1 at stride 2 gives (8 + 2 - 3) / 2 + 1 = 4.
  REQUIRE(!a.report.layers[0].fixes.empty());
  CHECK(a.report.layers[0].fixes[0].output == Shape{1, 1, 4, 4});
}

TEST_CASE("PyTorch MaxPool2d ceil_mode examples from pooling_output_shape") {
  // Pool.h: out = div_rtn(in + 2p - k + (ceil ? s - 1 : 0), s) + 1; drop the last window if it starts
  // at or beyond in + p.
  SUBCASE("input 5, kernel 2, stride 2: floor 2, ceil 3") {
    CHECK(output_of(one_layer("pytorch", "[1, 1, 5, 5]", R"({"type": "max_pool", "kernel": 2})")) == Shape{1, 1, 2, 2});
    CHECK(output_of(one_layer("pytorch", "[1, 1, 5, 5]", R"({"type": "max_pool", "kernel": 2, "ceil_mode": true})")) ==
          Shape{1, 1, 3, 3});
  }
  SUBCASE("input 4, kernel 2, stride 2, padding 1, ceil_mode: 3, not 4") {
    // (4 + 2 - 2 + 1) div 2 + 1 = 3; last start 4 < 4 + 1, kept.
    const auto a = one_layer("pytorch", "[1, 1, 4, 4]", R"({"type": "max_pool", "kernel": 2, "stride": 2, "padding": 1, "ceil_mode": true})");
    CHECK(output_of(a) == Shape{1, 1, 3, 3});
  }
  SUBCASE("input 3, kernel 2, stride 2, padding 1, ceil_mode: the last window starts in the right padding") {
    // (3 + 2 - 2 + 1) div 2 + 1 = 3; last start 4 >= 3 + 1, dropped -> 2.
    const auto a = one_layer("pytorch", "[1, 1, 3, 3]", R"({"type": "max_pool", "kernel": 2, "stride": 2, "padding": 1, "ceil_mode": true})");
    CHECK(output_of(a) == Shape{1, 1, 2, 2});
    CHECK(a.report.layers[0].axes[0].last_window_dropped);
    CHECK(contains(convscope::formula_text(a.report.layers[0], 2), "dropped"));
  }
  SUBCASE("AvgPool2d follows the same rule") {
    CHECK(output_of(one_layer("pytorch", "[1, 1, 3, 3]",
                              R"({"type": "avg_pool", "kernel": 2, "stride": 2, "padding": 1, "ceil_mode": true})")) ==
          Shape{1, 1, 2, 2});
  }
}

TEST_CASE("PyTorch pooling padding must be at most half the kernel") {
  // Pool.h pooling_output_shape: "pad should be at most half of effective kernel size, but got pad=2,
  // kernel_size=3 and dilation=1" (pad 2 > (3 - 1) * 1 + 1) / 2 = 1).
  const auto a = one_layer("pytorch", "[1, 1, 8, 8]", R"({"type": "max_pool", "kernel": 3, "padding": 2})");
  CHECK_FALSE(a.report.ok);
  REQUIRE(!a.report.layers[0].framework_errors.empty());
  CHECK(a.report.layers[0].framework_errors[0].text ==
        "pad should be at most half of effective kernel size, but got pad=2, kernel_size=3 and dilation=1");
  SUBCASE("padding exactly half is fine: (8 + 2 - 3) / 3 + 1 = 3") {
    CHECK(output_of(one_layer("pytorch", "[1, 1, 8, 8]", R"({"type": "max_pool", "kernel": 3, "padding": 1})")) ==
          Shape{1, 1, 3, 3});
  }
}

TEST_CASE("PyTorch dilated MaxPool2d also checks padding against the raw kernel") {
  // Pool.h: max_pool2d_with_indices first runs pooling_output_shape (pad <= k_eff / 2: 2 <= 5 / 2
  // passes), then pool2d_shape_check: TORCH_CHECK(kW/2 >= padW && kH/2 >= padH, "pad should be
  // smaller than or equal to half of kernel size, but got padW = 2, padH = 2, kW = 3, kH = 3").
  const auto a = one_layer("pytorch", "[1, 1, 9, 9]", R"({"type": "max_pool", "kernel": 3, "dilation": 2, "padding": 2})");
  CHECK_FALSE(a.report.ok);
  CHECK(a.report.layers[0].status == Status::error);
  CHECK(contains(all_texts(a.report.layers[0]),
                 "pad should be smaller than or equal to half of kernel size, but got padW = 2, padH = 2, kW = 3, kH = 3"));
  SUBCASE("3-D: pool3d_shape_check prints kT kW kH padT padW padH") {
    const auto b = one_layer("pytorch", "[1, 1, 9, 9, 9]", R"({"type": "max_pool", "kernel": 3, "dilation": 2, "padding": [2, 1, 1]})");
    CHECK_FALSE(b.report.ok);
    CHECK(contains(all_texts(b.report.layers[0]),
                   "pad should be smaller than or equal to half of kernel size, but got kT: 3 kW: 3 kH: 3 padT: 2 padW: 1 padH: 1"));
  }
  SUBCASE("the proposed fix is half the raw kernel: padding 1, (9 + 2 - 5) / 3 + 1 = 3") {
    REQUIRE(!a.report.layers[0].fixes.empty());
    CHECK(a.report.layers[0].fixes[0].resolves_all);
    CHECK(a.report.layers[0].fixes[0].output == Shape{1, 1, 3, 3});
  }
}

TEST_CASE("PyTorch pooling that leaves nothing prints 'Output size is too small'") {
  // The story's pooling text: a 1x1 map of 64 channels into MaxPool2d(2): (1 - 2) div 2 + 1 = 0.
  const auto a = one_layer("pytorch", "[1, 64, 1, 1]", R"({"type": "max_pool", "kernel": 2})");
  CHECK_FALSE(a.report.ok);
  REQUIRE(!a.report.layers[0].framework_errors.empty());
  CHECK(a.report.layers[0].framework_errors[0].text ==
        "Given input size: (64x1x1). Calculated output size: (64x0x0). Output size is too small");
}

TEST_CASE("PyTorch ConvTranspose2d output and the output_padding bound") {
  // (in - 1) * s - 2p + d(k - 1) + op + 1 (nn.ConvTranspose2d docs).
  SUBCASE("4 -> 8 with k 3, s 2, p 1, op 1") {
    const auto a = one_layer("pytorch", "[1, 16, 4, 4]",
                             R"({"type": "conv_transpose", "filters": 8, "kernel": 3, "stride": 2, "padding": 1, "output_padding": 1})");
    CHECK(output_of(a) == Shape{1, 8, 8, 8});
    CHECK(a.report.layers[0].params == 16 * 8 * 9 + 8);  // in * out * k * k + bias
  }
  SUBCASE("output_padding may reach max(stride, dilation) - 1: s 1, d 2, op 1 -> 3 + 4 + 1 + 1 = 9") {
    CHECK(output_of(one_layer("pytorch", "[1, 1, 4, 4]",
                              R"({"type": "conv_transpose", "filters": 1, "kernel": 3, "dilation": 2, "output_padding": 1})")) ==
          Shape{1, 1, 9, 9});
  }
  SUBCASE("output_padding 2 with stride 2, dilation 1 is refused") {
    const auto a = one_layer("pytorch", "[1, 1, 4, 4]",
                             R"({"type": "conv_transpose", "filters": 1, "kernel": 3, "stride": 2, "output_padding": 2})");
    CHECK_FALSE(a.report.ok);
    REQUIRE(!a.report.layers[0].framework_errors.empty());
    CHECK(contains(a.report.layers[0].framework_errors[0].text, "output padding must be smaller than either stride or dilation"));
  }
  SUBCASE("padding that removes more than the transposed conv adds") {
    // (3 - 1) * 1 - 6 + 2 + 0 + 1 = -1
    const auto a = one_layer("pytorch", "[1, 1, 3, 3]", R"({"type": "conv_transpose", "filters": 1, "kernel": 3, "padding": 3})");
    CHECK_FALSE(a.report.ok);
    REQUIRE(!a.report.layers[0].framework_errors.empty());
    CHECK(a.report.layers[0].framework_errors[0].text ==
          "Given input size per channel: (3 x 3). Calculated output size per channel: (-1 x -1). Output size is too small");
  }
}

TEST_CASE("PyTorch Linear whose in_features disagrees with what Flatten produces") {
  // 16 * 5 * 5 = 400 arrive; torch.nn.functional.linear: "mat1 and mat2 shapes cannot be multiplied
  // (1x400 and 256x120)".
  const auto a = analyse(R"({"framework": "pytorch", "input": [1, 16, 5, 5], "layers": [
      {"type": "flatten"}, {"type": "dense", "name": "fc1", "units": 120, "in_features": 256}]})");
  CHECK_FALSE(a.report.ok);
  CHECK(a.report.first_error == 1u);
  const auto& r = a.report.layers[1];
  REQUIRE(!r.framework_errors.empty());
  CHECK(r.framework_errors[0].text == "mat1 and mat2 shapes cannot be multiplied (1x400 and 256x120)");
  CHECK(contains(r.message, "set in_features to 400"));
  REQUIRE(!r.fixes.empty());
  CHECK(r.fixes[0].resolves_all);
  CHECK(r.fixes[0].network.layers[1].in_features == 400);
}

TEST_CASE("groups must divide the channels") {
  // 6 input channels, groups 4: PyTorch "in_channels must be divisible by groups".
  const auto a = one_layer("pytorch", "[1, 6, 8, 8]", R"({"type": "conv", "filters": 8, "kernel": 3, "groups": 4})");
  CHECK_FALSE(a.report.ok);
  REQUIRE(!a.report.layers[0].framework_errors.empty());
  CHECK(a.report.layers[0].framework_errors[0].text == "in_channels must be divisible by groups");
  REQUIRE(!a.report.layers[0].fixes.empty());
  CHECK(a.report.layers[0].fixes[0].network.layers[0].groups == 2);  // gcd(6, 8) = 2
  SUBCASE("grouped conv params: k*k*(in/groups)*out + out") {
    const auto b = one_layer("pytorch", "[1, 8, 8, 8]", R"({"type": "conv", "filters": 16, "kernel": 3, "groups": 4})");
    CHECK(b.report.layers[0].params == 3 * 3 * 2 * 16 + 16);
  }
}

// ---- TensorFlow / Keras -------------------------------------------------------

TEST_CASE("TensorFlow SAME: ceil(in / stride), extra padding at the end") {
  SUBCASE("in 5, k 2, s 2 -> 3, pads 0 / 1") {
    const auto a = one_layer("tensorflow", "[1, 5, 5, 3]", R"({"type": "conv", "filters": 4, "kernel": 2, "stride": 2, "padding": "same"})");
    CHECK(output_of(a) == Shape{1, 3, 3, 4});
    CHECK(a.report.layers[0].axes[0].pads == Pads{0, 1});
    CHECK(a.report.layers[0].status == Status::warning);  // asymmetric SAME is flagged
  }
  SUBCASE("in 4, k 3, s 2 -> 2, pad total 1 -> 0 / 1") {
    const auto a = one_layer("tensorflow", "[1, 4, 4, 3]", R"({"type": "conv", "filters": 4, "kernel": 3, "stride": 2, "padding": "same"})");
    CHECK(output_of(a) == Shape{1, 2, 2, 4});
    CHECK(a.report.layers[0].axes[1].pads == Pads{0, 1});
  }
  SUBCASE("max pooling SAME: ceil(7 / 2) = 4") {
    CHECK(output_of(one_layer("tensorflow", "[1, 7, 7, 3]", R"({"type": "max_pool", "kernel": 2, "padding": "same"})")) ==
          Shape{1, 4, 4, 3});
  }
}

TEST_CASE("TensorFlow VALID pooling drops the odd row and says so") {
  // (13 - 2 + 2) / 2 = 6; one row never read.
  const auto a = one_layer("tensorflow", "[1, 13, 13, 64]", R"({"type": "max_pool", "kernel": 2})");
  CHECK(output_of(a) == Shape{1, 6, 6, 64});
  CHECK(a.report.layers[0].status == Status::warning);
  CHECK(has_warning_containing(a.report.layers[0], "silently dropped"));
}

TEST_CASE("TensorFlow graph mode and eager mode disagree about a zero output") {
  SUBCASE("in 4, k 5, s 2: (4 - 5 + 2) / 2 = 0: graph mode fails, eager mode would not") {
    const auto a = one_layer("tensorflow", "[1, 4, 4, 3]", R"({"type": "conv", "filters": 16, "kernel": 5, "stride": 2})");
    CHECK_FALSE(a.report.ok);
    const auto& r = a.report.layers[0];
    REQUIRE(!r.framework_errors.empty());
    CHECK(contains(r.framework_errors[0].text, "Negative dimension size caused by subtracting 5 from 4"));
    CHECK_FALSE(contains(all_texts(r), "Computed output size would be negative"));
  }
  SUBCASE("in 1, k 6, s 2: eager computes (1 - 6 + 2) / 2 = -1 with C++ truncation (floor would say -2)") {
    const auto a = one_layer("tensorflow", "[1, 1, 1, 1]", R"({"type": "conv", "filters": 2, "kernel": 6, "stride": 2})");
    CHECK(contains(all_texts(a.report.layers[0]),
                   "Computed output size would be negative: -1 [input_size: 1, effective_filter_size: 6, stride: 2]"));
  }
  SUBCASE("with explicit padding, eager quotes the unpadded input_size") {
    // kernel_shape_util.cc EXPLICIT: (1 + 1 + 0 - 8 + 2) / 2 = -2, and the message prints input_size (1),
    // while graph mode subtracts from the padded size (2).
    const auto a = one_layer("tensorflow", "[1, 1, 1, 1]",
                             R"({"type": "conv", "filters": 2, "kernel": 8, "stride": 2, "padding": [[1, 0], [1, 0]]})");
    const std::string texts = all_texts(a.report.layers[0]);
    CHECK(contains(texts, "Negative dimension size caused by subtracting 8 from 2"));
    CHECK(contains(texts, "Computed output size would be negative: -2 [input_size: 1, effective_filter_size: 8, stride: 2]"));
  }
}

TEST_CASE("Keras refuses strides > 1 together with dilation_rate > 1") {
  const auto a = one_layer("tensorflow", "[1, 16, 16, 3]", R"({"type": "conv", "filters": 4, "kernel": 3, "stride": 2, "dilation": 2})");
  CHECK_FALSE(a.report.ok);
  REQUIRE(!a.report.layers[0].framework_errors.empty());
  CHECK(contains(a.report.layers[0].framework_errors[0].text, "`strides > 1` not supported in conjunction with `dilation_rate > 1`"));
}

TEST_CASE("Keras Conv2DTranspose output length") {
  // deconv_output_length: valid in*s + max(k - s, 0); same in*s; with op: (in - 1)*s + k - 2*pad + op.
  struct Row { const char* padding; const char* extra; int64_t out; };
  const Row rows[] = {
      {"valid", "", 9},                       // 4*2 + max(3 - 2, 0) = 9
      {"same", "", 8},                        // 4*2 = 8
      {"valid", R"(, "output_padding": 1)", 10},  // 3*2 + 3 - 0 + 1 = 10
      {"valid", R"(, "output_padding": 0)", 9},   // 3*2 + 3 - 0 + 0 = 9
      {"same", R"(, "output_padding": 1)", 8},    // 3*2 + 3 - 2*1 + 1 = 8
  };
  for (const Row& r : rows) {
    CAPTURE(r.padding); CAPTURE(r.extra);
    const auto a = one_layer("tensorflow", "[1, 4, 4, 8]",
                             std::string(R"({"type": "conv_transpose", "filters": 2, "kernel": 3, "stride": 2, "padding": ")") +
                                 r.padding + "\"" + r.extra + "}");
    CHECK(output_of(a) == Shape{1, r.out, r.out, 2});
  }
}

TEST_CASE("TensorFlow rejects a transposed output that does not map back to its input") {
  // Keras same, k 4, s 2, op 0: (4 - 1)*2 + 4 - 2*2 + 0 = 6, and the forward SAME conv of 6 gives
  // ceil(6 / 2) = 3 != 4: Conv2DCustomBackpropInput "Size of out_backprop doesn't match computed".
  const auto a = one_layer("tensorflow", "[1, 4, 4, 8]",
                           R"({"type": "conv_transpose", "filters": 2, "kernel": 4, "stride": 2, "padding": "same", "output_padding": 0})");
  CHECK_FALSE(a.report.ok);
  REQUIRE(!a.report.layers[0].framework_errors.empty());
  CHECK(contains(a.report.layers[0].framework_errors[0].text, "Size of out_backprop doesn't match computed: actual = 4, computed = 3"));
  SUBCASE("output_padding 1 gives 7, and ceil(7 / 2) = 4 maps back") {
    CHECK(output_of(one_layer("tensorflow", "[1, 4, 4, 8]",
                              R"({"type": "conv_transpose", "filters": 2, "kernel": 4, "stride": 2, "padding": "same", "output_padding": 1})")) ==
          Shape{1, 7, 7, 2});
  }
  SUBCASE("output_padding must be smaller than the stride") {
    const auto b = one_layer("tensorflow", "[1, 4, 4, 8]",
                             R"({"type": "conv_transpose", "filters": 2, "kernel": 3, "stride": 2, "output_padding": 2})");
    CHECK_FALSE(b.report.ok);
    CHECK(contains(all_texts(b.report.layers[0]), "`output_padding` must be < `strides`"));
  }
}

TEST_CASE("Keras layers reject PyTorch-only fields at parse time") {
  CHECK(test_support::parse_error(
            R"({"framework": "tensorflow", "input": [1, 8, 8, 3], "layers": [{"type": "max_pool", "kernel": 2, "ceil_mode": true}]})") ==
        "layers[0].ceil_mode: TensorFlow/Keras pooling has no ceil_mode");
}

// ---- ONNX ------------------------------------------------------------------------

TEST_CASE("ONNX auto_pad SAME_UPPER and SAME_LOWER differ only in where the extra cell goes") {
  // onnx defs.cc: out = ceil(5 / 2) = 3; total = (3 - 1)*2 + 2 - 5 = 1.
  const auto upper = one_layer("onnx", "[1, 1, 5, 5]", R"({"type": "conv", "filters": 1, "kernel": 2, "stride": 2, "padding": "same"})");
  const auto lower = one_layer("onnx", "[1, 1, 5, 5]", R"({"type": "conv", "filters": 1, "kernel": 2, "stride": 2, "padding": "same_lower"})");
  CHECK(output_of(upper) == Shape{1, 1, 3, 3});
  CHECK(output_of(lower) == Shape{1, 1, 3, 3});
  CHECK(upper.report.layers[0].axes[0].pads == Pads{0, 1});
  CHECK(lower.report.layers[0].axes[0].pads == Pads{1, 0});
}

TEST_CASE("ONNX explicit pads are begin/end pairs") {
  // (6 + 0 + 2 - 3) / 1 + 1 = 6 on H; (6 + 1 + 1 - 3) / 1 + 1 = 6 on W.
  const auto a = one_layer("onnx", "[1, 2, 6, 6]", R"({"type": "conv", "filters": 3, "kernel": 3, "padding": [[0, 2], [1, 1]]})");
  CHECK(output_of(a) == Shape{1, 3, 6, 6});
  CHECK(a.report.layers[0].axes[0].pads == Pads{0, 2});
}

TEST_CASE("ONNX MaxPool: strides default to 1, ceil_mode and dilations") {
  SUBCASE("the ONNX default stride is 1 (not the kernel): 5 -> 4") {
    CHECK(output_of(one_layer("onnx", "[1, 1, 5, 5]", R"({"type": "max_pool", "kernel": 2})")) == Shape{1, 1, 4, 4});
  }
  SUBCASE("ceil_mode: in 5, k 2, s 2 -> 3") {
    CHECK(output_of(one_layer("onnx", "[1, 1, 5, 5]", R"({"type": "max_pool", "kernel": 2, "stride": 2, "ceil_mode": true})")) ==
          Shape{1, 1, 3, 3});
  }
  SUBCASE("dilations 2 on k 3 span 5: 7 -> 3") {
    CHECK(output_of(one_layer("onnx", "[1, 1, 7, 7]", R"({"type": "max_pool", "kernel": 3, "dilation": 2})")) == Shape{1, 1, 3, 3});
  }
  SUBCASE("dilations with pads and ceil_mode: in 6, k 3, d 2, s 2, pads 1: floor 2, ceil 3") {
    CHECK(output_of(one_layer("onnx", "[1, 1, 6, 6]", R"({"type": "max_pool", "kernel": 3, "dilation": 2, "stride": 2, "padding": 1})")) ==
          Shape{1, 1, 2, 2});
    CHECK(output_of(one_layer("onnx", "[1, 1, 6, 6]",
                              R"({"type": "max_pool", "kernel": 3, "dilation": 2, "stride": 2, "padding": 1, "ceil_mode": true})")) ==
          Shape{1, 1, 3, 3});
  }
}

TEST_CASE("ONNX ConvTranspose with pads, output_padding and SAME") {
  SUBCASE("explicit: 2*(4 - 1) + 1 + 3 - 1 - 1 = 8") {
    CHECK(output_of(one_layer("onnx", "[1, 4, 4, 4]",
                              R"({"type": "conv_transpose", "filters": 2, "kernel": 3, "stride": 2, "padding": 1, "output_padding": 1})")) ==
          Shape{1, 2, 8, 8});
  }
  SUBCASE("SAME_UPPER and SAME_LOWER: out = in * stride = 8, total padding 1 split either way") {
    const auto upper = one_layer("onnx", "[1, 4, 4, 4]", R"({"type": "conv_transpose", "filters": 2, "kernel": 3, "stride": 2, "padding": "same"})");
    const auto lower = one_layer("onnx", "[1, 4, 4, 4]", R"({"type": "conv_transpose", "filters": 2, "kernel": 3, "stride": 2, "padding": "same_lower"})");
    CHECK(output_of(upper) == Shape{1, 2, 8, 8});
    CHECK(output_of(lower) == Shape{1, 2, 8, 8});
    CHECK(upper.report.layers[0].axes[0].pads == Pads{0, 1});
    CHECK(lower.report.layers[0].axes[0].pads == Pads{1, 0});
  }
  SUBCASE("negative SAME padding: the spec keeps in * stride, ONNX Runtime clamps to 0 and differs") {
    // k 1, s 2: total = 2*3 + 0 + 1 - 8 = -1; ORT: (4 - 1)*2 + 1 = 7.
    const auto a = one_layer("onnx", "[1, 4, 4, 4]", R"({"type": "conv_transpose", "filters": 2, "kernel": 1, "stride": 2, "padding": "same"})");
    CHECK(output_of(a) == Shape{1, 2, 8, 8});
    CHECK(has_warning_containing(a.report.layers[0], "outputs [1, 2, 7, 7] instead of [1, 2, 8, 8]"));
  }
}

TEST_CASE("ONNX pooling where the spec's floor and ONNX Runtime's truncation disagree") {
  // in 4, k 5, s 2: spec floor((4 - 5) / 2) + 1 = 0 (no output); ORT trunc(-1 / 2) + 1 = 1.
  const auto a = one_layer("onnx", "[1, 1, 4, 4]", R"({"type": "max_pool", "kernel": 5, "stride": 2})");
  CHECK_FALSE(a.report.ok);
  CHECK(a.report.layers[0].axes[0].out == 0);
  CHECK(a.report.layers[0].axes[0].out_truncated == 1);
  CHECK(contains(all_texts(a.report.layers[0]), "outputs [1, 1, 1, 1] (along H it divides with truncation toward zero: 1"));
}

TEST_CASE("ONNX warns that ONNX Runtime rejects dilation with SAME auto_pad") {
  const auto a = one_layer("onnx", "[1, 1, 9, 9]", R"({"type": "conv", "filters": 1, "kernel": 3, "dilation": 2, "padding": "same"})");
  CHECK(a.report.ok);
  CHECK(output_of(a) == Shape{1, 1, 9, 9});
  CHECK(has_warning_containing(a.report.layers[0], "Dilation not supported for AutoPadType::SAME_UPPER"));
}

// ---- Layers every framework shares -------------------------------------------

TEST_CASE("zero padding, cropping, upsampling, global and adaptive pooling, flatten and dense") {
  const auto a = analyse(R"({"framework": "pytorch", "input": [2, 3, 10, 12], "layers": [
      {"type": "zero_pad", "padding": [[1, 2], [0, 0]]},
      {"type": "crop", "cropping": [[0, 1], [2, 2]]},
      {"type": "upsample", "scale": [2, 3]},
      {"type": "adaptive_avg_pool", "output_size": [4, 5]},
      {"type": "flatten"},
      {"type": "dense", "units": 7}]})");
  CHECK(a.report.ok);
  CHECK(output_of(a, 0) == Shape{2, 3, 13, 12});   // 10 + 1 + 2, 12
  CHECK(output_of(a, 1) == Shape{2, 3, 12, 8});    // 13 - 1, 12 - 4
  CHECK(output_of(a, 2) == Shape{2, 3, 24, 24});   // 12 * 2, 8 * 3
  CHECK(output_of(a, 3) == Shape{2, 3, 4, 5});
  CHECK(output_of(a, 4) == Shape{2, 60});          // 3 * 4 * 5
  CHECK(output_of(a, 5) == Shape{2, 7});
  CHECK(a.report.layers[5].params == 60 * 7 + 7);
  SUBCASE("Keras global pooling drops the spatial axes by default") {
    const auto b = one_layer("tensorflow", "[1, 7, 7, 32]", R"({"type": "global_avg_pool"})");
    CHECK(output_of(b) == Shape{1, 32});
  }
  SUBCASE("a spatial layer after flatten is a rank error") {
    const auto c = analyse(R"({"framework": "pytorch", "input": [1, 3, 8, 8], "layers": [{"type": "flatten"}, {"type": "conv", "filters": 2, "kernel": 3}]})");
    CHECK_FALSE(c.report.ok);
    CHECK(c.report.first_error == 1u);
  }
}
