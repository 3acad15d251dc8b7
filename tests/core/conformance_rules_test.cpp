// The rules the conformance suite (tests/conformance) found missing, checked
// layer by layer. Every expected text here was printed by real PyTorch 1.13
// (Debian's python3-torch) or onnxruntime-node 1.31 for the same module and
// input; the suite re-checks them on every run against generated cases.
#include <doctest/doctest.h>

#include <string>

#include "convscope/import/export.hpp"
#include "import_support.hpp"
#include "test_support.hpp"

using convscope::Shape;
using convscope::Status;
using import_support::import_ok;
using import_support::with_input;
using test_support::analyse;

namespace {

const convscope::LayerReport& failing(const test_support::Analysed& a) {
  REQUIRE(a.report.first_error.has_value());
  return a.report.layers[*a.report.first_error];
}

std::string first_text(const convscope::LayerReport& r) {
  REQUIRE(!r.framework_errors.empty());
  return r.framework_errors[0].text;
}

bool has_fix(const convscope::LayerReport& r, const std::string& summary_start) {
  for (const auto& f : r.fixes)
    if (f.summary.rfind(summary_start, 0) == 0 && f.resolves_all) return true;
  return false;
}

}  // namespace

TEST_CASE("a declared in_channels that differs from what arrives gets PyTorch's channel text and a verified fix") {
  SUBCASE("Conv2d(32, 64, 3) fed 16 channels") {
    const auto a = analyse(R"({"framework": "pytorch", "input": [1, 16, 32, 32],
      "layers": [{"type": "conv", "filters": 64, "kernel": 3, "in_channels": 32}]})");
    const auto& r = failing(a);
    CHECK(r.index == 0);
    CHECK(first_text(r) == "Given groups=1, weight of size [64, 32, 3, 3], expected input[1, 16, 32, 32] to have 32 "
                           "channels, but got 16 channels instead");
    CHECK(r.params == 64 * 32 * 9 + 64);  // from the declared channels, as PyTorch's weight holds them
    CHECK(has_fix(r, "in_channels=16 (was 32)"));
  }
  SUBCASE("grouped and 1-D convolutions, transposed convolutions") {
    CHECK(first_text(failing(analyse(R"({"framework": "pytorch", "input": [1, 16, 32, 32],
      "layers": [{"type": "conv", "filters": 64, "kernel": 3, "groups": 2, "in_channels": 32}]})"))) ==
          "Given groups=2, weight of size [64, 16, 3, 3], expected input[1, 16, 32, 32] to have 32 channels, but got 16 "
          "channels instead");
    CHECK(first_text(failing(analyse(R"({"framework": "pytorch", "input": [1, 16, 32],
      "layers": [{"type": "conv", "filters": 64, "kernel": 3, "in_channels": 32}]})"))) ==
          "Given groups=1, weight of size [64, 32, 3], expected input[1, 16, 32] to have 32 channels, but got 16 "
          "channels instead");
    CHECK(first_text(failing(analyse(R"({"framework": "pytorch", "input": [1, 16, 8, 8],
      "layers": [{"type": "conv_transpose", "filters": 64, "kernel": 3, "in_channels": 32}]})"))) ==
          "Given transposed=1, weight of size [32, 64, 3, 3], expected input[1, 16, 8, 8] to have 32 channels, but got "
          "16 channels instead");
    CHECK(first_text(failing(analyse(R"({"framework": "pytorch", "input": [1, 8, 8, 8],
      "layers": [{"type": "depthwise_conv", "kernel": 3, "in_channels": 16}]})"))) ==
          "Given groups=16, weight of size [16, 1, 3, 3], expected input[1, 8, 8, 8] to have 16 channels, but got 8 "
          "channels instead");
  }
  SUBCASE("BatchNorm2d(32) fed 16 channels, in either mode") {
    for (const char* mode : {"train", "eval"}) {
      const auto a = analyse(std::string(R"({"framework": "pytorch", "mode": ")") + mode + R"(", "input": [2, 16, 4, 4],
        "layers": [{"type": "batch_norm", "in_channels": 32}]})");
      CHECK(first_text(failing(a)) == "running_mean should contain 16 elements not 32");
      CHECK(has_fix(failing(a), "in_channels=16"));
    }
  }
  SUBCASE("ONNX Runtime's texts for Conv, ConvTranspose and BatchNormalization") {
    CHECK(first_text(failing(analyse(R"({"framework": "onnx", "input": [1, 16, 8, 8],
      "layers": [{"type": "conv", "filters": 64, "kernel": 3, "in_channels": 32}]})"))) ==
          "Input channels C is not equal to kernel channels * group. C: 16 kernel channels: 32 group: 1");
    CHECK(first_text(failing(analyse(R"({"framework": "onnx", "input": [1, 16, 8, 8],
      "layers": [{"type": "conv_transpose", "filters": 64, "kernel": 3, "in_channels": 32}]})"))) ==
          "filter number not equal to input channel number. filter_number: 32 num_input_channels: 16");
    const auto bn = analyse(R"({"framework": "onnx", "input": [1, 16, 8, 8],
      "layers": [{"type": "batch_norm", "name": "BatchNormalization_0", "in_channels": 32}]})");
    CHECK(first_text(failing(bn)) == "Invalid input scale: 0th dimension != 16");
    REQUIRE(failing(bn).framework_errors.size() == 2);
    CHECK(failing(bn).framework_errors[1].text ==
          "Node (BatchNormalization_0) Op (BatchNormalization) [ShapeInferenceError] Dimension mismatch in "
          "unification between 32 and 16");
  }
  SUBCASE("Keras builds from what arrives: a warning, not an error") {
    const auto a = analyse(R"({"framework": "tensorflow", "input": [1, 32, 32, 16],
      "layers": [{"type": "conv", "filters": 64, "kernel": 3, "in_channels": 32}]})");
    CHECK(a.report.ok);
    CHECK(a.report.layers[0].status == Status::warning);
    CHECK(test_support::contains(a.report.layers[0].warnings[0], "Keras has no in_channels and builds the layer from what arrives"));
  }
  SUBCASE("a matching in_channels changes nothing") {
    const auto a = analyse(R"({"framework": "pytorch", "input": [1, 16, 8, 8],
      "layers": [{"type": "conv", "filters": 4, "kernel": 3, "in_channels": 16}, {"type": "batch_norm", "in_channels": 4}]})");
    CHECK(a.report.ok);
    CHECK(*a.report.layers[1].output == Shape{1, 4, 6, 6});
  }
}

TEST_CASE("PyTorch BatchNorm in training mode needs more than one value per channel") {
  const auto a = analyse(R"({"framework": "pytorch", "input": [1, 8, 5, 5],
    "layers": [{"type": "global_avg_pool"}, {"type": "batch_norm"}]})");
  const auto& r = failing(a);
  CHECK(r.index == 1);
  CHECK(first_text(r) == "Expected more than 1 value per channel when training, got input size torch.Size([1, 8, 1, 1])");
  CHECK(has_fix(r, "model.eval()"));
  CHECK(has_fix(r, "batch 2"));
  SUBCASE("after a flatten too: torch.Size([1, 8])") {
    const auto b = analyse(R"({"framework": "pytorch", "input": [1, 8, 1, 1],
      "layers": [{"type": "flatten"}, {"type": "batch_norm"}]})");
    CHECK(first_text(failing(b)) == "Expected more than 1 value per channel when training, got input size torch.Size([1, 8])");
  }
  SUBCASE("in eval mode, with a batch of 2 or a spatial size above 1, it runs") {
    CHECK(analyse(R"({"framework": "pytorch", "mode": "eval", "input": [1, 8, 5, 5],
      "layers": [{"type": "global_avg_pool"}, {"type": "batch_norm"}]})").report.ok);
    CHECK(analyse(R"({"framework": "pytorch", "input": [2, 8, 5, 5],
      "layers": [{"type": "global_avg_pool"}, {"type": "batch_norm"}]})").report.ok);
    CHECK(analyse(R"({"framework": "pytorch", "input": [1, 8, 1, 2],
      "layers": [{"type": "batch_norm"}]})").report.ok);
  }
  SUBCASE("Keras and ONNX Runtime run for inference") {
    CHECK(analyse(R"({"framework": "onnx", "input": [1, 8, 1, 1], "layers": [{"type": "batch_norm"}]})").report.ok);
    CHECK(analyse(R"({"framework": "tensorflow", "input": [1, 1, 1, 8], "layers": [{"type": "batch_norm"}]})").report.ok);
  }
}

TEST_CASE("PyTorch 3-D average pooling checks the unpadded input against the kernel first") {
  const auto a = analyse(R"({"framework": "pytorch", "input": [1, 2, 2, 3, 8],
    "layers": [{"type": "avg_pool", "kernel": [5, 3, 6], "padding": [2, 1, 3]}]})");
  CHECK(first_text(failing(a)) == "input image (T: 2 H: 3 W: 8) smaller than kernel size (kT: 5 kH: 3 kW: 6)");
  SUBCASE("where the output size would be valid: kernel 3, padding 1, T = 2") {
    const auto b = analyse(R"({"framework": "pytorch", "input": [1, 2, 2, 3, 8],
      "layers": [{"type": "avg_pool", "kernel": 3, "stride": 1, "padding": 1}]})");
    CHECK(first_text(failing(b)) == "input image (T: 2 H: 3 W: 8) smaller than kernel size (kT: 3 kH: 3 kW: 3)");
    CHECK(has_fix(failing(b), "kernel_size=(2, 3, 3)"));
  }
  SUBCASE("max pooling and 2-D average pooling report the output size instead") {
    CHECK(first_text(failing(analyse(R"({"framework": "pytorch", "input": [1, 2, 2, 3, 8],
      "layers": [{"type": "max_pool", "kernel": [5, 3, 6]}]})"))) ==
          "Given input size: (2x2x3x8). Calculated output size: (2x0x1x1). Output size is too small");
    CHECK(first_text(failing(analyse(R"({"framework": "pytorch", "input": [1, 2, 2, 3],
      "layers": [{"type": "avg_pool", "kernel": [5, 3]}]})"))) ==
          "Given input size: (2x2x3). Calculated output size: (2x0x1). Output size is too small");
  }
  SUBCASE("the smallest valid input holds the kernel") {
    const auto c = analyse(R"({"framework": "pytorch", "input": [1, 2, 8, 8, 8],
      "layers": [{"type": "avg_pool", "kernel": 3, "stride": 1, "padding": 1}]})");
    REQUIRE(c.report.min_input.has_value());
    CHECK(*c.report.min_input == Shape{3, 3, 3});
  }
}

TEST_CASE("PyTorch prints a 1-D transposed conv's sizes as 2-D with a unit height") {
  CHECK(first_text(failing(analyse(R"({"framework": "pytorch", "input": [1, 4, 3],
    "layers": [{"type": "conv_transpose", "filters": 4, "kernel": 3, "padding": 7}]})"))) ==
        "Given input size per channel: (1 x 3). Calculated output size per channel: (1 x -9). Output size is too small");
  CHECK(first_text(failing(analyse(R"({"framework": "pytorch", "input": [1, 4, 3, 3],
    "layers": [{"type": "conv_transpose", "filters": 4, "kernel": 3, "padding": 7}]})"))) ==
        "Given input size per channel: (3 x 3). Calculated output size per channel: (-9 x -9). Output size is too small");
}

TEST_CASE("ONNX Runtime's ConvTranspose texts") {
  CHECK(first_text(failing(analyse(R"({"framework": "onnx", "input": [2, 1, 1, 3, 2],
    "layers": [{"type": "conv_transpose", "filters": 6, "kernel": [2, 2, 3], "stride": [1, 2, 2], "padding": [3, 4, 4]}]})"))) ==
        "Computed output dimension is <= 0 for dim 0. Input shape: {1,3,2}");
  CHECK(first_text(failing(analyse(R"({"framework": "onnx", "input": [1, 6, 4, 4],
    "layers": [{"type": "conv_transpose", "filters": 8, "kernel": 3, "groups": 4}]})"))) ==
        "Input channels is not divisible by group. num_input_channels: 6 group: 4");
  CHECK(first_text(failing(analyse(R"({"framework": "onnx", "input": [1, 2, 4, 4],
    "layers": [{"type": "conv_transpose", "filters": 2, "kernel": 3, "output_padding": [2, 0]}]})"))) ==
        "output_padding[0] (2) must be less than max(stride, dilation) (1) for spatial dimension 0.");
}

// Where ONNX Runtime departs from the ONNX spec, ConvScope follows the spec and
// says what ONNX Runtime does, quoting its text (tests/conformance/versions.json
// has each rule's source). Every quoted text and shape below is what
// onnxruntime-node 1.31.1 printed or output for the same node.
namespace {

// A copy: callers bind it to a reference straight from analyse()'s temporary.
convscope::LayerReport only_layer(const test_support::Analysed& a) {
  REQUIRE(a.report.layers.size() == 1);
  return a.report.layers[0];
}

// The warning that says where ONNX Runtime departs from the spec, or "".
std::string departure(const convscope::LayerReport& r) {
  for (const auto& w : r.warnings)
    if (w.rfind("ONNX Runtime departs from the ONNX spec here: ", 0) == 0) return w;
  return "";
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("ONNX Runtime refuses pooling pads not smaller than the kernel when the session is created") {
  SUBCASE("the spec gives an output: ConvScope computes it and warns") {
    const auto& r = only_layer(analyse(R"({"framework": "onnx", "input": [1, 1, 5, 5],
      "layers": [{"type": "max_pool", "kernel": 2, "stride": 2, "padding": 2}]})"));
    CHECK(r.status == Status::warning);
    CHECK(*r.output == Shape{1, 1, 4, 4});
    CHECK(contains(departure(r), "(H and W: padding 2 + 2 with a kernel of 2) when the session is created: "
                                 "\"Pad should be smaller than kernel.\""));
  }
  SUBCASE("no output by the spec either: ONNX Runtime's first word is the pad") {
    CHECK(first_text(failing(analyse(R"({"framework": "onnx", "input": [1, 1, 1, 1],
      "layers": [{"type": "avg_pool", "kernel": 3, "padding": [[0, 3], [0, 0]]}]})"))) ==
          "Pad should be smaller than kernel.");
  }
}

TEST_CASE("ONNX Runtime's SAME pooling padding: from the undilated kernel, and not clamped at 0") {
  SUBCASE("negative padding, refused by its MLAS pooling kernel") {
    const auto& r = only_layer(analyse(R"({"framework": "onnx", "input": [2, 6, 20, 1],
      "layers": [{"type": "max_pool", "kernel": [1, 4], "stride": [2, 1], "padding": "same"}]})"));
    CHECK(*r.output == Shape{2, 6, 10, 1});
    CHECK(contains(departure(r), "(H: padding 0 before and -1 after)"));
    CHECK(contains(departure(r), "\"padding values must be non-negative\""));
    // AveragePool with ceil_mode and count_include_pad takes another path and runs.
    const auto& avg = only_layer(analyse(R"({"framework": "onnx", "input": [2, 6, 20, 1],
      "layers": [{"type": "avg_pool", "kernel": [1, 4], "stride": [2, 1], "padding": "same",
                  "ceil_mode": true, "count_include_pad": true}]})"));
    CHECK(*avg.output == Shape{2, 6, 10, 1});
    CHECK(departure(avg).empty());
  }
  SUBCASE("a dilated max pool: a negative size, or another output") {
    const auto& r = only_layer(analyse(R"({"framework": "onnx", "input": [2, 3, 2, 4, 4],
      "layers": [{"type": "max_pool", "kernel": [3, 1, 3], "stride": [2, 3, 1], "dilation": [3, 1, 1],
                  "padding": "same_lower"}]})"));
    CHECK(*r.output == Shape{2, 3, 1, 2, 4});
    CHECK(contains(departure(r), "leaves D a negative size (-1, padding 1 + 0), so it fails at run time: "
                                 "\"Calculated output dimension is negative. Check kernel_shape, pads, strides "
                                 "and dilations.\""));
    const auto& other = only_layer(analyse(R"({"framework": "onnx", "input": [1, 1, 9],
      "layers": [{"type": "max_pool", "kernel": 3, "stride": 2, "dilation": 2, "padding": "same"}]})"));
    CHECK(*other.output == Shape{1, 1, 5});
    CHECK(contains(departure(other), "outputs [1, 1, 4] instead of [1, 1, 5]"));
  }
}

TEST_CASE("ONNX Runtime's pooling runs where the spec has no output, and refuses only negative sizes") {
  SUBCASE("ceil mode: the spec's size 0, which ONNX Runtime accepts (an empty output)") {
    CHECK(first_text(failing(analyse(R"({"framework": "onnx", "input": [2, 2, 1, 12],
      "layers": [{"type": "max_pool", "kernel": [4, 4], "stride": [3, 2], "ceil_mode": true, "padding": [0, 0]}]})"))) ==
          "no error: ONNX Runtime runs this node and outputs [2, 2, 0, 5] (along H it computes 0 as the ONNX spec "
          "does, and accepts a size of 0: it refuses only negative sizes)");
  }
  SUBCASE("floor mode: truncation toward zero") {
    CHECK(first_text(failing(analyse(R"({"framework": "onnx", "input": [1, 1, 3],
      "layers": [{"type": "avg_pool", "kernel": 5, "stride": 3}]})"))) ==
          "no error: ONNX Runtime runs this node and outputs [1, 1, 1] (along L it divides with truncation toward "
          "zero: 1 where the ONNX spec's floor gives 0)");
  }
  SUBCASE("one axis truncates to 0, another is negative: ONNX Runtime fails") {
    CHECK(first_text(failing(analyse(R"({"framework": "onnx", "input": [1, 6, 2, 1, 4],
      "layers": [{"type": "avg_pool", "kernel": [11, 7, 13], "stride": [3, 2, 4], "padding": [3, 0, 3],
                  "count_include_pad": true}]})"))) ==
          "Calculated output dimension is negative. Check kernel_shape, pads, strides and dilations.");
  }
}

TEST_CASE("ONNX Runtime's ConvTranspose: the output must map back to the input; SAME padding clamped") {
  SUBCASE("output_padding at least the stride (allowed by max(stride, dilation)): a warning") {
    const auto& r = only_layer(analyse(R"({"framework": "onnx", "input": [2, 3, 8, 2],
      "layers": [{"type": "conv_transpose", "filters": 2, "kernel": [1, 4], "stride": [1, 2], "dilation": [2, 2],
                  "output_padding": [1, 0]}]})"));
    CHECK(*r.output == Shape{2, 2, 9, 9});
    CHECK(contains(departure(r), "\"Computed output shape is inconsistent with input spatial dimensions. "
                                 "output_padding (1) may be too large for stride (1). Expected input size 9 but got 8.\""));
  }
  SUBCASE("no output by the spec either: the consistency check comes first on its axis") {
    CHECK(first_text(failing(analyse(R"({"framework": "onnx", "input": [1, 2, 2],
      "layers": [{"type": "conv_transpose", "filters": 1, "kernel": 1, "dilation": 3, "output_padding": 2,
                  "padding": [[0, 5]]}]})"))) ==
          "Computed output shape is inconsistent with input spatial dimensions. output_padding (2) may be too large "
          "for stride (1). Expected input size 4 but got 2.");
  }
  SUBCASE("SAME with the spec's padding negative: ONNX Runtime clamps it and outputs less") {
    const auto& r = only_layer(analyse(R"({"framework": "onnx", "input": [1, 2, 4, 3],
      "layers": [{"type": "conv_transpose", "filters": 1, "kernel": 1, "stride": 3, "padding": "same"}]})"));
    CHECK(*r.output == Shape{1, 1, 12, 9});
    CHECK(contains(r.warnings.back(), "ONNX Runtime clamps it at 0 and outputs [1, 1, 10, 7] instead of [1, 1, 12, 9]"));
  }
}

TEST_CASE("ONNX Runtime's pooling departures are warnings: with explain off the verdict and shapes are the same") {
  // Where only the verdict counts (verifying fixes, scanning sizes) the
  // warnings are left out; the pooling departures must not change a verdict.
  const convscope::AnalyzeOptions quick{false, false, 0, false};
  for (const char* json : {
           // pads not smaller than the kernel, then a merge that fits and one that does not
           R"({"framework": "onnx", "input": [1, 2, 8, 8], "layers": [
             {"type": "conv", "name": "a", "filters": 2, "kernel": 2, "padding": 2, "inputs": ["input"]},
             {"type": "max_pool", "name": "p", "kernel": 2, "padding": 2, "inputs": ["input"]},
             {"type": "add", "name": "m", "inputs": ["a", "p"]},
             {"type": "max_pool", "name": "q", "kernel": 3, "inputs": ["input"]},
             {"type": "concat", "name": "c", "inputs": ["m", "q"]}]})",
           // SAME padding negative for ONNX Runtime, then a dilated SAME max pool with another output
           R"({"framework": "onnx", "input": [2, 6, 20, 9], "layers": [
             {"type": "max_pool", "kernel": [1, 4], "stride": [2, 1], "padding": "same"},
             {"type": "max_pool", "kernel": 3, "stride": 2, "dilation": 2, "padding": "same"},
             {"type": "conv", "filters": 4, "kernel": 3}]})",
           // a negative size for ONNX Runtime's dilated SAME pool
           R"({"framework": "onnx", "input": [2, 3, 2, 4, 4], "layers": [
             {"type": "max_pool", "kernel": [3, 1, 3], "stride": [2, 3, 1], "dilation": [3, 1, 1],
              "padding": "same_lower"},
             {"type": "avg_pool", "kernel": 5}]})"}) {
    CAPTURE(json);
    const auto a = analyse(json);
    bool departs = false;
    for (const auto& l : a.report.layers) departs = departs || !departure(l).empty();
    CHECK(departs);
    const auto quick_report = convscope::analyze(a.net, quick);
    CHECK(quick_report.ok == a.report.ok);
    CHECK(quick_report.first_error == a.report.first_error);
    CHECK(quick_report.errors == a.report.errors);
    REQUIRE(quick_report.layers.size() == a.report.layers.size());
    for (size_t i = 0; i < a.report.layers.size(); ++i) {
      CAPTURE(i);
      CHECK(quick_report.layers[i].output == a.report.layers[i].output);
      CHECK(departure(quick_report.layers[i]).empty());
      CHECK((quick_report.layers[i].status == Status::error) == (a.report.layers[i].status == Status::error));
    }
  }
}

TEST_CASE("ONNX Runtime compares channels with the weight before the group count") {
  // conv_attributes.h ValidateInputShape: C before M % group.
  CHECK(first_text(failing(analyse(R"({"framework": "onnx", "input": [2, 6, 20, 8],
    "layers": [{"type": "conv", "kernel": 4, "padding": [0, 1], "filters": 5, "groups": 4, "in_channels": 4}]})"))) ==
        "Input channels C is not equal to kernel channels * group. C: 6 kernel channels: 1 group: 4");
  // conv_transpose_attributes.h: the filter number before C % group.
  CHECK(first_text(failing(analyse(R"({"framework": "onnx", "input": [1, 4, 5, 5],
    "layers": [{"type": "conv_transpose", "filters": 2, "kernel": 3, "groups": 2, "in_channels": 3}]})"))) ==
        "filter number not equal to input channel number. filter_number: 3 num_input_channels: 4");
  // No ONNX Conv weight declares in_channels 3 with group 2: no ONNX Runtime text.
  const auto a = analyse(R"({"framework": "onnx", "input": [1, 2, 29],
    "layers": [{"type": "conv", "kernel": 5, "filters": 6, "groups": 2, "in_channels": 3}]})");
  const auto& r = failing(a);
  CHECK(r.framework_errors.empty());
  CHECK(contains(r.message, "in_channels = 3 is not a multiple of group = 2"));
}

// What the TensorFlow.js runner (tests/conformance/run_tfjs.mjs) found: the
// tfjs-layers text below is what it wrote from tfjs-core 4.22.0's sizes for
// the same layer; the Keras 3 texts are from keras/src/layers/reshaping.
namespace {

std::string text_from(const convscope::LayerReport& r, const std::string& source) {
  for (const auto& t : r.framework_errors)
    if (t.source == source) return t.text;
  return "";
}

}  // namespace

TEST_CASE("tfjs-layers and tf.keras 2 refuse a window layer when any axis is negative, not only the first failing one") {
  // H: (19 - 22 + 3) // 3 = 0, W: (6 - 24 + 3) // 3 = -5.
  const auto a = analyse(R"({"framework": "tensorflow", "input": [1, 19, 6, 4],
    "layers": [{"type": "conv", "filters": 2, "kernel": [22, 24], "stride": 3}]})");
  const auto& r = failing(a);
  CHECK(text_from(r, "TensorFlow.js layers") ==
        "Negative dimension size caused by adding layer conv2d with input shape [,19,6,4]");
  CHECK(text_from(r, "tf.keras 2 (compute_output_shape)").rfind("One of the dimensions in the output is <= 0", 0) == 0);
}

TEST_CASE("Keras cropping more than the input: Keras 3's texts, and tfjs-layers' for Cropping2D") {
  const auto a = analyse(R"({"framework": "tensorflow", "input": [1, 4, 13, 2],
    "layers": [{"type": "crop", "cropping": [[2, 3], [0, 0]]}]})");
  const auto& r = failing(a);
  CHECK(first_text(r) == "Values in `cropping` argument should be smaller than the corresponding spatial dimension of "
                         "the input. Received: input_shape=(None, 4, 13, 2), cropping=((2, 3), (0, 0))");
  CHECK(text_from(r, "TensorFlow.js layers") ==
        "Negative dimension size caused by adding layer cropping2d with input shape [,4,13,2]");
  CHECK(first_text(failing(analyse(R"({"framework": "tensorflow", "input": [1, 5, 3],
    "layers": [{"type": "crop", "cropping": [[0, 39]]}]})"))) ==
        "`cropping` parameter of `Cropping1D` layer must be smaller than the input length. Received: "
        "input_shape=(None, 5, 3), cropping=(0, 39)");
}

TEST_CASE("mode and in_channels go through JSON, share links and the schema") {
  const std::string text = R"({"framework": "pytorch", "mode": "eval", "input": [1, 3, 8, 8],
    "layers": [{"type": "conv", "filters": 4, "kernel": 3, "in_channels": 3}, {"type": "batch_norm", "in_channels": 4}]})";
  const auto a = analyse(text);
  CHECK(a.net.mode == convscope::Mode::eval);
  const std::string normal = convscope::json::write(convscope::network_json::to_json(a.net), -1);
  CHECK(test_support::contains(normal, R"("mode":"eval")"));
  CHECK(test_support::contains(normal, R"("in_channels":3)"));
  // train is PyTorch's default and is left out; eval is Keras' and ONNX's.
  CHECK(!test_support::contains(convscope::json::write(convscope::network_json::to_json(
      analyse(R"({"framework": "pytorch", "mode": "train", "input": [1, 3, 8], "layers": []})").net), -1), "mode"));
  CHECK(test_support::parse_error(R"({"framework": "pytorch", "mode": "training", "input": [1, 3, 8], "layers": []})") ==
        R"(mode: expected "train" or "eval", got "training")");
  CHECK(test_support::parse_error(R"({"framework": "pytorch", "input": [1, 3, 8], "layers": [{"type": "conv", "filters": 1, "kernel": 1, "in_channels": 0}]})") ==
        "layers[0].in_channels: expected a positive integer, got 0");
  CHECK(test_support::contains(convscope::network_json::layer_schema_json(), R"("field":"in_channels")"));
}

TEST_CASE("print(model) and ONNX weights fill in in_channels; the declared channels fail where PyTorch does") {
  // The issue's check: the second Conv2d declares 32 where 16 arrive.
  const char* repr =
      "Sequential(\n"
      "  (0): Conv2d(3, 16, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))\n"
      "  (1): ReLU()\n"
      "  (2): Conv2d(32, 64, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))\n"
      ")\n";
  const auto r = import_ok(repr, with_input({1, 3, 32, 32}));
  REQUIRE(r.network.layers.size() == 3);
  CHECK(r.network.layers[0].in_channels == 3);
  CHECK(r.network.layers[2].in_channels == 32);
  const convscope::Report report = convscope::analyze(r.network);
  REQUIRE(report.first_error == 2u);
  CHECK(report.layers[2].framework_errors[0].text ==
        "Given groups=1, weight of size [64, 32, 3, 3], expected input[1, 16, 32, 32] to have 32 channels, but got 16 "
        "channels instead");
  bool fixed = false;
  for (const auto& f : report.layers[2].fixes) fixed = fixed || (f.summary == "in_channels=16 (was 32) on \"2\"" && f.resolves_all);
  CHECK(fixed);
}

TEST_CASE("exported PyTorch code runs in the network's mode and keeps the declared channels") {
  const auto train = analyse(R"({"framework": "pytorch", "input": [1, 16, 8, 8],
    "layers": [{"type": "conv", "filters": 4, "kernel": 3, "in_channels": 32}]})");
  const std::string code = convscope::import::pytorch_code(train.net);
  CHECK(test_support::contains(code, "nn.Conv2d(32, 4"));
  CHECK(test_support::contains(code, "model.train()"));
  const auto eval = analyse(R"({"framework": "pytorch", "mode": "eval", "input": [1, 16, 8, 8], "layers": [{"type": "relu"}]})");
  CHECK(test_support::contains(convscope::import::pytorch_code(eval.net), "model.eval()"));
}
