// Pasted error messages: every catalogued template imports to a network that
// ConvScope analyses to the same failure, with the message's own numbers;
// format detection; truncated, garbled and oversized text named by position;
// the `convscope import` and `analyze` commands.
#include <doctest/doctest.h>

#include <string>

#include "convscope/analyze.hpp"
#include "convscope/import/detect.hpp"
#include "import_support.hpp"

using namespace import_support;
using test_support::contains;

namespace {

struct Case {
  const char* file;
  const char* type;        // layer type reconstructed
  const char* name;        // layer name ("" when the message carries none)
  cs::Framework framework;
  const char* same_text;   // must appear in the message and in ConvScope's diagnosis
};

// Every message names its numbers; the reconstruction must fail with them.
const Case kCases[] = {
    {"error_tf2_graph_conv2d_3.txt", "conv", "conv2d_3", cs::Framework::tensorflow,
     "Negative dimension size caused by subtracting 5 from 4 for '{{node "},
    {"error_tf2_graph_conv2d_3.txt", "conv", "conv2d_3", cs::Framework::tensorflow,
     "with input shapes: [?,4,4,64], [5,5,64,16]."},
    {"error_tf2_graph_maxpool.txt", "max_pool", "max_pooling2d_2", cs::Framework::tensorflow,
     "Negative dimension size caused by subtracting 2 from 1 for '{{node max_pooling2d_2/MaxPool}} = "
     "MaxPool[T=DT_FLOAT, data_format=\"NHWC\", explicit_paddings=[], ksize=[1, 2, 2, 1], padding=\"VALID\", "
     "strides=[1, 2, 2, 1]](Placeholder)' with input shapes: [?,1,1,64]."},
    {"error_tf2_graph_conv1d.txt", "conv", "conv1d_1", cs::Framework::tensorflow,
     "subtracting 5 from 3 for '{{node conv1d_1/conv1d}} = Conv2D["},
    {"error_tf2_graph_conv1d.txt", "conv", "conv1d_1", cs::Framework::tensorflow,
     "with input shapes: [?,1,3,32], [1,5,32,64]."},
    {"error_tf2_graph_explicit.txt", "conv", "conv2d", cs::Framework::tensorflow,
     "Negative dimension size caused by subtracting 9 from 6 for '{{node conv2d/Conv2D}}"},
    {"error_tf1_graph_conv.txt", "conv", "conv2d_1", cs::Framework::tensorflow,
     "Negative dimension size caused by subtracting 5 from 4 for '"},
    {"error_tf1_graph_conv.txt", "conv", "conv2d_1", cs::Framework::tensorflow,
     "with input shapes: [?,4,4,3], [5,5,3,16]."},
    {"error_tf1_graph_pool.txt", "max_pool", "max_pooling2d_3", cs::Framework::tensorflow,
     "with input shapes: [?,1,1,128]."},
    {"error_tf_eager.txt", "conv", "", cs::Framework::tensorflow,
     "Computed output size would be negative: -1 [input_size: 3, effective_filter_size: 5, stride: 1]"},
    {"error_tf_keras2.txt", "conv", "conv2d_4", cs::Framework::tensorflow,
     "One of the dimensions in the output is <= 0 due to downsampling in conv2d_4. Consider increasing the input "
     "size. Received input shape [None, 2, 2, 64] which would produce output shape with a zero or negative value "
     "in a dimension."},
    {"error_keras3_conv.txt", "conv", "", cs::Framework::tensorflow,
     "Computed output size would be zero or negative. Received `inputs shape=(None, 4, 4, 64)`, `kernel "
     "shape=(5, 5, 64, 16)`, `dilation_rate=[1 1]`, `strides=(1, 1)`, `padding=valid`."},
    {"error_keras3_pool.txt", "max_pool", "", cs::Framework::tensorflow,
     "Computed output size would be zero or negative. Received: `inputs.shape=[None 1 1 64]`, `pool_size=[2 2]`, "
     "`strides=(2, 2)`, `padding=valid`."},
    {"error_keras_dense.txt", "dense", "dense", cs::Framework::tensorflow,
     "Input 0 of layer \"dense\" is incompatible with the layer: expected axis -1 of input shape to have value 256"},
    {"error_tfjs.txt", "conv", "conv2d_Conv2D3", cs::Framework::tensorflow,
     "Negative dimension size caused by adding layer conv2d_Conv2D3 with input shape [,4,4,64]"},
    {"error_pytorch_conv.txt", "conv", "conv3", cs::Framework::pytorch,
     "Calculated padded input size per channel: (4 x 4). Kernel size: (5 x 5). Kernel size can't be greater than "
     "actual input size"},
    {"error_pytorch_pool.txt", "max_pool", "", cs::Framework::pytorch,
     "Given input size: (64x1x1). Calculated output size: (64x0x0). Output size is too small"},
    {"error_pytorch_transposed.txt", "conv_transpose", "", cs::Framework::pytorch,
     "Given input size per channel: (2 x 2). Calculated output size per channel: (-2 x -2). Output size is too small"},
    {"error_pytorch_linear.txt", "dense", "fc1", cs::Framework::pytorch,
     "mat1 and mat2 shapes cannot be multiplied (64x400 and 256x120)"},
    {"error_pytorch_pool_padding.txt", "max_pool", "", cs::Framework::pytorch,
     "pad should be at most half of effective kernel size, but got pad=2, kernel_size=3 and dilation=1"},
    {"error_pytorch_output_padding.txt", "conv_transpose", "", cs::Framework::pytorch,
     "output padding must be smaller than either stride or dilation, but got output_padding_height: 2 "
     "output_padding_width: 2 stride_height: 2 stride_width: 2 dilation_height: 1 dilation_width: 1"},
    {"error_pytorch_max_pool1d.txt", "max_pool", "", cs::Framework::pytorch,
     "max_pool1d() Invalid computed output size: -1"},
    {"error_onnxruntime.txt", "conv", "/conv3/Conv", cs::Framework::onnx, "Invalid input shape: {4,4}"},
    {"error_onnxruntime_zero.txt", "conv", "Conv_12", cs::Framework::onnx, "Invalid input shape: {"},
};

// The first failing layer's texts, the likely one and the others.
std::string diagnosis(const cs::Report& report) {
  REQUIRE(report.first_error);
  std::string all;
  for (const auto& t : report.layers[*report.first_error].framework_errors) all += t.text + "\n";
  return all;
}

}  // namespace

TEST_CASE("every catalogued error message imports to a layer that fails with the message's own numbers") {
  for (const Case& c : kCases) {
    const std::string file = c.file, same_text = c.same_text;
    CAPTURE(file);
    CAPTURE(same_text);
    const std::string text = fixture(c.file);
    REQUIRE(contains(text, c.same_text));
    const imp::ImportResult r = import_ok(text);
    CHECK(r.format == imp::Format::error_message);
    CHECK(r.network.framework == c.framework);
    REQUIRE(r.network.layers.size() == 1);
    CHECK(std::string(cs::to_string(r.network.layers[0].type)) == c.type);
    if (*c.name) CHECK(r.network.layers[0].name == c.name);
    CHECK(r.notes.size() >= 2);  // what was recognised, read and assumed
    const cs::Report report = cs::analyze(r.network);
    CHECK_FALSE(report.ok);
    CHECK(report.first_error == 0u);
    CHECK(contains(diagnosis(report), c.same_text));
  }
}

TEST_CASE("the notes say which values the message carried and what was assumed") {
  SUBCASE("TF graph mode: shapes and attributes read, only the batch assumed") {
    const auto r = import_ok(fixture("error_tf2_graph_conv2d_3.txt"));
    const std::string notes = all_notes(r);
    CHECK(contains(notes, "[5, 5, 64, 16]"));
    CHECK(contains(notes, "padding VALID"));
    CHECK(contains(notes, "assumed batch 1"));
    CHECK(r.network.input == std::vector<int64_t>{1, 4, 4, 64});
    CHECK(r.network.layers[0].filters == 16);
  }
  SUBCASE("TF graph mode NCHW with dilations and explicit padding converts to channels last") {
    const auto r = import_ok(fixture("error_tf2_graph_explicit.txt"));
    CHECK(r.network.input == std::vector<int64_t>{1, 4, 4, 8});
    const cs::Layer& l = r.network.layers[0];
    CHECK(l.dilation == std::vector<int64_t>{2, 2});
    CHECK(l.padding.pairs == std::vector<std::pair<int64_t, int64_t>>{{1, 1}, {0, 1}});
    CHECK(contains(all_notes(r), "NCHW was converted"));
  }
  SUBCASE("Keras' Conv1D runs as a 2-D op; it comes back as 1-D") {
    const auto r = import_ok(fixture("error_tf2_graph_conv1d.txt"));
    CHECK(r.network.input == std::vector<int64_t>{1, 3, 32});
    CHECK(contains(all_notes(r), "reconstructed as 1-D"));
  }
  SUBCASE("TF 1 prints no attributes: the assumptions are listed") {
    const auto r = import_ok(fixture("error_tf1_graph_pool.txt"));
    CHECK(contains(all_notes(r), "assumed padding VALID"));
    CHECK(contains(all_notes(r), "strides equal to it"));
  }
  SUBCASE("PyTorch's message has no name; the traceback's self.conv3(x) has") {
    const auto r = import_ok(fixture("error_pytorch_conv.txt"));
    CHECK(contains(all_notes(r), "self.conv3(...)"));
    CHECK(contains(all_notes(r), "assumed: padding 0"));
  }
  SUBCASE("mat1 and mat2: a Linear with the declared in_features on the arriving features") {
    const auto r = import_ok(fixture("error_pytorch_linear.txt"));
    CHECK(r.network.input == std::vector<int64_t>{64, 1, 400});
    CHECK(r.network.layers[0].in_features == 256);
    CHECK(r.network.layers[0].units == 120);
  }
  SUBCASE("ONNX Runtime carries only the sizes: kernel, channels and a zero size are assumptions") {
    const auto r = import_ok(fixture("error_onnxruntime_zero.txt"));
    CHECK(contains(all_notes(r), "a size of 0 means an earlier node"));
    CHECK(contains(all_notes(r), "assumed: a Conv"));
  }
  SUBCASE("--input is not used for a message, and the notes say so") {
    const auto r = import_ok(fixture("error_pytorch_pool.txt"), with_input({1, 3, 32, 32}));
    CHECK(contains(all_notes(r), "was not used"));
    CHECK(r.network.input == std::vector<int64_t>{1, 64, 1, 1});
  }
}

TEST_CASE("messages without a fixture file import too") {
  struct Inline {
    const char* text;
    const char* expected;  // in ConvScope's diagnosis (texts or warnings)
  };
  const Inline cases[] = {
      {"RuntimeError: pad should be smaller than or equal to half of kernel size, but got padW = 2, padH = 2, kW = 3, kH = 3",
       "but got padW = 2, padH = 2, kW = 3, kH = 3"},
      {"RuntimeError: pad should be smaller than or equal to half of kernel size, but got kT: 3 kW: 3 kH: 3 padT: 2 padW: 2 padH: 2",
       "kT: 3 kW: 3 kH: 3 padT: 2 padW: 2 padH: 2"},
      {"RuntimeError: max_pool1d() padding should be at most half of kernel size, but got padding=2 and kernel_size=3",
       "max_pool1d() padding should be at most half of kernel size, but got padding=2 and kernel_size=3"},
      {"RuntimeError: padding='same' is not supported for strided convolutions",
       "padding='same' is not supported for strided convolutions"},
      // As onnxruntime-node 1.31 printed it (tests/conformance).
      {"[ONNXRuntimeError] : 6 : RUNTIME_EXCEPTION : Non-zero status code returned while running ConvTranspose node. "
       "Name:'up1' Status Message: Computed output dimension is <= 0 for dim 0. Input shape: {3,5}",
       "Computed output dimension is <= 0 for dim 0. Input shape: {3,5}"},
      {"[ONNXRuntimeError] : 1 : FAIL : Calculated output dimension is negative. Check kernel_shape, pads, strides and dilations.",
       "Calculated output dimension is negative"},
      {"Status Message: Dilation not supported for AutoPadType::SAME_UPPER or AutoPadType::SAME_LOWER.",
       "Dilation not supported for AutoPadType::SAME_UPPER"},
  };
  for (const Inline& c : cases) {
    const std::string text = c.text;
    CAPTURE(text);
    const imp::ImportResult r = import_ok(c.text);
    const cs::Report report = cs::analyze(r.network);
    std::string said;
    for (const auto& l : report.layers) {
      for (const auto& t : l.framework_errors) said += t.text + "\n";
      for (const auto& w : l.warnings) said += w + "\n";
    }
    CHECK(contains(said, c.expected));
  }
}

TEST_CASE("a message that is cut short or garbled is named by line and column") {
  struct Bad {
    const char* text;
    const char* error;
  };
  const Bad cases[] = {
      {"ValueError: Negative dimension size caused by subtracting 5 from", "line 1, column 60: expected \" from \""},
      {"x\nNegative dimension size caused by subtracting 5 from 4 for '{{node c/Conv2D}} = Conv2D[padding=\"VALID\"](a, b)' with input shapes: [?,4,#4,3], [5,5,3,16].",
       "line 2, column 136: unexpected \"#\" in a shape"},
      {"Negative dimension size caused by subtracting 5 from 4 for '{{node c/Conv2D}} = Conv2D[padding=\"VALID\"",
       "missing ']'"},
      {"Negative dimension size caused by subtracting 5 from 4 for 'c/Add' (op: 'Add') with input shapes: [?,4,4,3], [4,4,3].",
       "is not a convolution or pooling"},
      {"RuntimeError: Calculated padded input size per channel: (4 x 4. Kernel size: (5 x 5).", "line 1, column"},
      {"RuntimeError: mat1 and mat2 shapes cannot be multiplied (64x400 and 256x", "line 1, column 73: expected a number"},
      {"Given input size: (64x1x1). Calculated output size: (64x999999999999999999999x0).", "number too large"},
      {"Computed output size would be zero or negative. Received `inputs shape=(None, 4, 4, 64)`, `kernel shape=(5, 5)`",
       "same rank"},
  };
  for (const Bad& c : cases) {
    const std::string text = c.text, error = import_error(c.text);
    CAPTURE(text);
    CAPTURE(error);
    CHECK(contains(error, c.error));
  }
}

TEST_CASE("oversized pasted text is refused before it is read") {
  std::string text = "RuntimeError: mat1 and mat2 shapes cannot be multiplied (64x400 and 256x120)\n";
  text += std::string(imp::max_text_bytes, ' ');
  CHECK(contains(import_error(text), "larger than 4194304 bytes"));
}

TEST_CASE("the format is detected from the text itself") {
  std::string why;
  CHECK(imp::detect_format(fixture("error_tfjs.txt"), why) == imp::Format::error_message);
  CHECK(imp::detect_format(fixture("pytorch_alexnet.txt"), why) == imp::Format::pytorch_repr);
  CHECK(imp::detect_format(fixture("keras3_sequential.json"), why) == imp::Format::keras_json);
  CHECK(imp::detect_format(test_support::example_text("conv2d_3.json"), why) == imp::Format::contract_json);
  CHECK(imp::detect_format("#v=1&fw=tf&in=1x4x4x3&l=conv:16:k5", why) == imp::Format::share_link);
  CHECK(imp::detect_format("http://localhost:8080/#v=1&fw=tf&in=1x4x4x3&l=conv:16:k5", why) == imp::Format::share_link);
  CHECK_FALSE(imp::detect_format("hello world", why));
  CHECK(contains(why, "cannot tell the format"));
  CHECK_FALSE(imp::detect_format("", why));
}

TEST_CASE("a share link and the contract import unchanged") {
  const auto link = import_ok("http://localhost:8080/#v=1&fw=tf&in=1x4x4x3&l=conv:16:k5:n=conv2d_3");
  CHECK(link.format == imp::Format::share_link);
  CHECK(link.network.layers[0].name == "conv2d_3");
  const auto contract = import_ok(test_support::example_text("lenet5.json"));
  CHECK(contract.format == imp::Format::contract_json);
  CHECK(contract.notes.empty());
}

TEST_CASE("--input replaces the input of a contract network or link of the same rank") {
  const auto r = import_ok(test_support::example_text("lenet5.json"), with_input({2, 1, 28, 28}));
  CHECK(r.network.input == std::vector<int64_t>{2, 1, 28, 28});
  CHECK(contains(all_notes(r), "input replaced by the input shape given"));
  CHECK(import_error(test_support::example_text("lenet5.json"), with_input({1, 1, 28})) ==
        "--input has 3 dimensions but the network's input has 4");
}

TEST_CASE("--framework restricts detection") {
  imp::ImportOptions o;
  o.framework = cs::Framework::tensorflow;
  CHECK(contains(import_error(fixture("pytorch_alexnet.txt"), o), "not tensorflow (--framework)"));
  CHECK(import_ok(fixture("keras2_functional.json"), o).network.framework == cs::Framework::tensorflow);
}

TEST_CASE("--input shapes are written like 1x3x224x224") {
  std::vector<int64_t> shape;
  std::string error;
  CHECK(imp::parse_shape("1x3x224x224", shape, error));
  CHECK(shape == std::vector<int64_t>{1, 3, 224, 224});
  CHECK_FALSE(imp::parse_shape("1x3", shape, error));
  CHECK_FALSE(imp::parse_shape("1x0x4x4", shape, error));
  CHECK_FALSE(imp::parse_shape("1xx4x4", shape, error));
  CHECK_FALSE(imp::parse_shape("1x3x99999999999999999999x4", shape, error));
  CHECK(contains(error, "--input"));
}

TEST_CASE("convscope import prints the network JSON and the notes; analyze takes the same input") {
  test_support::TempFile message(fixture("error_tf2_graph_conv2d_3.txt"));
  const std::string path = test_support::shell_quote(message.path().string());
  const auto imported = test_support::run_cli("import " + path);
  CHECK(imported.exit_code == 0);
  CHECK(contains(imported.out, "\"name\": \"conv2d_3\""));
  CHECK(contains(imported.err, "convscope: note: "));
  const auto analysed = test_support::run_cli("analyze --text " + path);
  CHECK(analysed.exit_code == 1);
  CHECK(contains(analysed.out, "Negative dimension size caused by subtracting 5 from 4"));
  // The editor's path: import, then analyse the JSON.
  test_support::TempFile json(imported.out);
  const auto again = test_support::run_cli("analyze " + test_support::shell_quote(json.path().string()));
  CHECK(again.exit_code == 1);
}

TEST_CASE("convscope import names the position of bad input and exits 2") {
  test_support::TempFile bad("AlexNet(\n  (features): Sequential(\n    (0): Conv2d(3, 64, kernel_size=(11, 11)\n");
  const auto r = test_support::run_cli("import " + test_support::shell_quote(bad.path().string()));
  CHECK(r.exit_code == 2);
  CHECK(r.out.empty());
  CHECK(contains(r.err, "convscope: line 3, column"));
  const auto shape = test_support::run_cli("import --input 1x3 " + test_support::shell_quote(bad.path().string()));
  CHECK(shape.exit_code == 2);
  CHECK(contains(shape.err, "--input"));
}

TEST_CASE("convscope import --input supplies the input print(model) does not carry") {
  test_support::TempFile net(fixture("pytorch_cifar_net.txt"));
  const auto r = test_support::run_cli("import --input 1x3x32x32 --framework pytorch " +
                                       test_support::shell_quote(net.path().string()));
  CHECK(r.exit_code == 0);
  CHECK(contains(r.out, "\"input\": [1, 3, 32, 32]"));
  const auto analysed = test_support::run_cli("analyze --input 1x3x32x32 " + test_support::shell_quote(net.path().string()));
  CHECK(analysed.exit_code == 1);
  // Reading 1, the pool reused after each conv as in the tutorial's forward()
  // (PyTorch 1.13 prints this text for it at 32x32).
  CHECK(contains(analysed.out, "mat1 and mat2 shapes cannot be multiplied (1x400 and 256x120)"));
}
