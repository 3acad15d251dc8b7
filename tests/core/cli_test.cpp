// The native CLI as a user runs it: exit codes 0 / 1 / 2, the report on
// stdout (also for invalid networks), and malformed input named by its JSON
// path on stderr.
#include <doctest/doctest.h>

#include <string>

#include "convscope/json.hpp"
#include "test_support.hpp"

using test_support::analyze_with_cli;
using test_support::CliRun;
using test_support::contains;
using test_support::shell_quote;
namespace json = convscope::json;

namespace {

json::Value parsed_stdout(const CliRun& r) {
  json::Value v;
  json::ParseError error;
  const bool ok = json::parse(r.out, v, error);
  INFO(error.message);
  REQUIRE(ok);
  return v;
}

// A malformed network: exit 2, nothing on stdout, one message on stderr.
void check_malformed(const std::string& network_json, const std::string& expected_stderr) {
  CAPTURE(network_json);
  const CliRun r = analyze_with_cli(network_json);
  CHECK(r.exit_code == 2);
  CHECK(r.out.empty());
  CHECK(r.err == "convscope: " + expected_stderr + "\n");
}

}  // namespace

TEST_CASE("the CLI exits 0 for a valid network and prints the report JSON") {
  const CliRun r = test_support::run_cli("analyze " + shell_quote(test_support::example_path("lenet5.json").string()));
  CHECK(r.exit_code == 0);
  CHECK(r.err.empty());
  const json::Value v = parsed_stdout(r);
  CHECK(v.find("ok")->as_bool());
  CHECK(v.find("totals")->find("params")->as_int() == 61706);
}

TEST_CASE("the CLI exits 1 for an invalid network and still prints the report") {
  const CliRun r = test_support::run_cli("analyze " + shell_quote(test_support::example_path("conv2d_3.json").string()));
  CHECK(r.exit_code == 1);
  CHECK(r.err.empty());
  const json::Value v = parsed_stdout(r);
  CHECK_FALSE(v.find("ok")->as_bool());
  CHECK(v.find("first_error")->as_int() == 5);
}

TEST_CASE("the CLI reads the network from stdin with '-'") {
  test_support::TempFile input(R"({"framework": "pytorch", "input": [1, 1, 8, 8], "layers": [{"type": "conv", "filters": 2, "kernel": 3}]})");
  const CliRun r = test_support::run_cli("analyze - <" + shell_quote(input.path().string()));
  CHECK(r.exit_code == 0);
  CHECK(parsed_stdout(r).find("totals")->find("output")->as_array().size() == 4);
}

TEST_CASE("--text names the failing layer, shows 4 - 5, the TensorFlow message and the fixes") {
  const CliRun r = test_support::run_cli("analyze --text " + shell_quote(test_support::example_path("conv2d_3.json").string()));
  CHECK(r.exit_code == 1);
  CHECK(contains(r.out, "conv2d_3"));
  CHECK(contains(r.out, "4 - 5"));
  CHECK(contains(r.out, "Negative dimension size caused by subtracting 5 from 4"));
  CHECK(contains(r.out, "1. "));
  CHECK(contains(r.out, "2. "));
  CHECK(contains(r.out, "3. "));
  CHECK(contains(r.out, "First error:  layer 5 (conv2d_3)"));
}

TEST_CASE("--text on the padded U-Net at 100x100 names the concat, both shapes, PyTorch's text, the trace, the valid sizes and verified fixes") {
  const CliRun r = test_support::run_cli("analyze --text " + shell_quote(test_support::example_path("unet_padded.json").string()));
  CHECK(r.exit_code == 1);
  CHECK(contains(r.out, "cat3 (torch.cat)"));
  CHECK(contains(r.out, "input 0:  enc3.relu2 [1, 256, 25, 25]"));
  CHECK(contains(r.out, "input 1:  up3 [1, 256, 24, 24]"));
  CHECK(contains(r.out, "Sizes of tensors must match except in dimension 1. Expected size 25 but got size 24 for tensor number 1 in the list."));
  CHECK(contains(r.out, "why:     enc3.relu2 is 25x25; pool3 floors it to 12, up3 doubles it to 24: 24 \u2260 25 (H)"));
  CHECK(contains(r.out, "(multiples of 16)"));
  CHECK(contains(r.out, "1. input 1x3x96x96 (was 1x3x100x100): the nearest valid size below"));
  size_t verified = 0;
  for (size_t at = r.out.find("; every layer valid"); at != std::string::npos; at = r.out.find("; every layer valid", at + 1)) ++verified;
  CHECK(verified >= 3);
  CHECK(contains(r.out, "First error:  layer 31 (cat3)"));
}

TEST_CASE("the padded U-Net in Keras and in ONNX prints Keras's and ONNX Runtime's texts") {
  const auto fixture = [](const char* name) {
    return shell_quote((test_support::example_path("conv2d_3.json").parent_path().parent_path() / "tests/fixtures/networks" / name).string());
  };
  const CliRun keras = test_support::run_cli("analyze --text " + fixture("unet_padded_tensorflow.json"));
  CHECK(keras.exit_code == 1);
  CHECK(contains(keras.out, "A `Concatenate` layer requires inputs with matching shapes except for the concatenation axis. "
                            "Received: input_shape=[(None, 25, 25, 256), (None, 24, 24, 256)]"));
  const CliRun onnx = test_support::run_cli("analyze --text " + fixture("unet_padded_onnx.json"));
  CHECK(onnx.exit_code == 1);
  CHECK(contains(onnx.out, "Node (cat3) Op (Concat) [ShapeInferenceError] Can't merge shape info. Both inferred and declared "
                           "dimension have values but they differ. Inferred=24 Declared=25 Dimension=2"));
  CHECK(contains(onnx.out, "Non concat axis dimensions must match: Axis 2 has mismatched dimensions of 24 and 25"));
}

TEST_CASE("groups that do not divide the channels are an analysis error: exit 1 with a report") {
  const CliRun r = analyze_with_cli(R"({"framework": "pytorch", "input": [1, 6, 8, 8], "layers": [
      {"type": "conv", "name": "grouped", "filters": 8, "kernel": 3, "groups": 4}]})");
  CHECK(r.exit_code == 1);
  CHECK(r.err.empty());
  const json::Value v = parsed_stdout(r);
  const json::Value& layer = v.find("layers")->as_array()[0];
  CHECK(layer.find("status")->as_string() == "error");
  CHECK(contains(layer.find("message")->as_string(), "groups = 4 does not divide the 6 input channels"));
  CHECK(layer.find("framework_error")->as_string() == "in_channels must be divisible by groups");
}

TEST_CASE("malformed input exits 2 with the JSON path or position on stderr") {
  SUBCASE("bad JSON names line and column") {
    check_malformed("{\"framework\": \"pytorch\",\n  \"input\": [1, 1, 4, 4]\n  \"layers\": []}",
                    "line 3, column 3: expected ',' or '}' after object member");
  }
  SUBCASE("truncated JSON") {
    const CliRun r = analyze_with_cli(R"({"framework": "pytorch",)");
    CHECK(r.exit_code == 2);
    CHECK(contains(r.err, "line 1, column 25"));
  }
  SUBCASE("wrong type for the input shape") {
    check_malformed(R"({"framework": "pytorch", "input": "abc", "layers": []})",
                    "input: expected the full input shape as a list of integers, got \"abc\"");
  }
  SUBCASE("wrong type for a count") {
    check_malformed(R"({"framework": "pytorch", "input": [1, 1, 4, 4], "layers": [{"type": "conv", "filters": "8", "kernel": 3}]})",
                    "layers[0].filters: expected a positive integer, got \"8\"");
  }
  SUBCASE("unknown layer type") {
    const CliRun r = analyze_with_cli(R"({"framework": "pytorch", "input": [1, 1, 4, 4], "layers": [{"type": "convolution"}]})");
    CHECK(r.exit_code == 2);
    CHECK(contains(r.err, "layers[0].type: unknown layer type \"convolution\""));
  }
  SUBCASE("unknown field") {
    const CliRun r = analyze_with_cli(R"({"framework": "pytorch", "input": [1, 1, 4, 4], "layers": [{"type": "conv", "filters": 1, "kernal": 3}]})");
    CHECK(r.exit_code == 2);
    CHECK(contains(r.err, "layers[0].kernal: unknown field for conv"));
  }
  SUBCASE("unknown top-level field and unknown framework") {
    CHECK(contains(analyze_with_cli(R"({"framework": "pytorch", "input": [1, 1, 4, 4], "layers": [], "extra": 1})").err, "extra: unknown field"));
    CHECK(contains(analyze_with_cli(R"({"framework": "jax", "input": [1, 1, 4, 4], "layers": []})").err, "framework: "));
  }
  SUBCASE("non-positive sizes") {
    check_malformed(R"({"framework": "pytorch", "input": [1, 1, 4, 4], "layers": [{"type": "conv", "filters": 1, "kernel": -2}]})",
                    "layers[0].kernel: expected a positive integer, got -2");
    check_malformed(R"({"framework": "pytorch", "input": [1, 1, 0, 4], "layers": []})",
                    "input[2]: expected a positive integer, got 0");
    check_malformed(R"({"framework": "pytorch", "input": [1, 1, 4, 4], "layers": [{"type": "conv", "filters": 1, "kernel": 3, "stride": [1, 0]}]})",
                    "layers[0].stride[1]: expected a positive integer, got 0");
  }
  SUBCASE("a kernel list of the wrong length for the input's rank") {
    check_malformed(R"({"framework": "pytorch", "input": [1, 1, 4, 4], "layers": [{"type": "conv", "filters": 1, "kernel": [3, 3, 3]}]})",
                    "layers[0].kernel: expected one value per spatial axis (2 for a 2-D input), got 3");
  }
  SUBCASE("a dimension beyond 2^31 - 1") {
    check_malformed(R"({"framework": "pytorch", "input": [1, 1, 2147483648, 4], "layers": []})",
                    "input[2]: got 2147483648, beyond the limit 2147483647 (2^31 - 1)");
  }
  SUBCASE("a number beyond int64 is quoted as written") {
    const CliRun r = analyze_with_cli(R"({"framework": "pytorch", "input": [1, 1, 99999999999999999999, 4], "layers": []})");
    CHECK(r.exit_code == 2);
    CHECK(contains(r.err, "input[2]"));
    CHECK(contains(r.err, "99999999999999999999"));
  }
  SUBCASE("not an object") {
    const CliRun r = analyze_with_cli("[1, 2]");
    CHECK(r.exit_code == 2);
    CHECK(contains(r.err, "(root)"));
  }
  SUBCASE("a missing required field") {
    const CliRun r = analyze_with_cli(R"({"framework": "pytorch", "input": [1, 1, 4, 4], "layers": [{"type": "conv", "kernel": 3}]})");
    CHECK(r.exit_code == 2);
    CHECK(contains(r.err, "layers[0].filters: missing"));
  }
}

TEST_CASE("a file that cannot be opened and a bad command line exit 2") {
  const CliRun missing = test_support::run_cli("analyze /nonexistent/convscope-test.json");
  CHECK(missing.exit_code == 2);
  CHECK(contains(missing.err, "cannot open"));
  const CliRun bad = test_support::run_cli("analyze --bogus x.json");
  CHECK(bad.exit_code == 2);
  CHECK(contains(bad.err, "usage"));
  CHECK(test_support::run_cli("").exit_code == 2);
}

TEST_CASE("an overflowing network is an analysis error with a clear message, not a crash") {
  const CliRun r = analyze_with_cli(R"({"framework": "pytorch", "input": [1, 1, 65536, 65536], "layers": [{"type": "upsample", "scale": 65536}]})");
  CHECK(r.exit_code == 1);
  const json::Value v = parsed_stdout(r);
  CHECK(contains(v.find("layers")->as_array()[0].find("message")->as_string(), "2^31 - 1"));
}
