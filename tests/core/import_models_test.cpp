// PyTorch print(model) and Keras JSON: fixtures as the tools print them
// import to the expected layers and analyse as expected; bad input is named
// by line and column (PyTorch) or JSON path (Keras).
#include <doctest/doctest.h>

#include <string>

#include "convscope/analyze.hpp"
#include "import_support.hpp"

using namespace import_support;
using test_support::contains;

namespace {

cs::Report analysed(const imp::ImportResult& r) { return cs::analyze(r.network, {false, false, 0}); }

size_t count_type(const cs::Network& net, cs::LayerType t) {
  size_t n = 0;
  for (const auto& l : net.layers) n += l.type == t;
  return n;
}

}  // namespace

// ---- PyTorch print(model) ------------------------------------------------------------

TEST_CASE("torchvision's AlexNet imports with its 61,100,840 parameters and a flatten before the classifier") {
  const auto r = import_ok(fixture("pytorch_alexnet.txt"));
  CHECK(r.format == imp::Format::pytorch_repr);
  CHECK(r.network.input == std::vector<int64_t>{1, 3, 224, 224});
  CHECK(r.network.layers.size() == 22);
  CHECK(r.network.layers[0].name == "features.0");
  CHECK(r.network.layers[0].kernel == std::vector<int64_t>{11, 11});
  CHECK(r.network.layers[0].stride == std::vector<int64_t>{4, 4});
  // AlexNet.forward() flattens after avgpool, before the classifier's Dropout.
  CHECK(r.network.layers[13].name == "avgpool");
  CHECK(r.network.layers[14].name == "flatten");
  CHECK(r.network.layers[15].name == "classifier.0");
  CHECK(r.network.layers[16].name == "classifier.1");
  CHECK(r.network.layers[16].in_features == 9216);
  const std::string notes = all_notes(r);
  CHECK(contains(notes, "inserted torch.flatten(x, 1) before \"classifier.0\""));
  CHECK(contains(notes, "assumed 1x3x224x224"));
  const cs::Report report = analysed(r);
  CHECK(report.ok);
  CHECK(report.total_params == 61100840);
  CHECK(report.output == cs::Shape{1, 1000});
}

TEST_CASE("torchvision's VGG-11 imports with its 132,863,336 parameters") {
  const auto r = import_ok(fixture("pytorch_vgg11.txt"));
  CHECK(count_type(r.network, cs::LayerType::conv) == 8);
  CHECK(count_type(r.network, cs::LayerType::max_pool) == 5);
  const cs::Report report = analysed(r);
  CHECK(report.ok);
  CHECK(report.total_params == 132863336);
}

TEST_CASE("torchvision's ResNet-18: BasicBlocks read as their graphs, the downsample branches added back") {
  const auto r = import_ok(fixture("pytorch_resnet18.txt"));
  CHECK(count_type(r.network, cs::LayerType::conv) == 20);  // 17 on the main path and 3 downsample convolutions
  CHECK(count_type(r.network, cs::LayerType::add) == 8);
  CHECK(r.network.layers[4].name == "layer1.0.conv1");
  const std::string notes = all_notes(r);
  CHECK(contains(notes, "BasicBlock (ResNet) x8 (layer1.0, layer1.1, layer2.0"));
  CHECK(contains(notes, "wired as torchvision 0.14's source does"));
  CHECK_FALSE(contains(notes, "residual branches left out"));
  const cs::Report report = analysed(r);
  CHECK(report.ok);
  CHECK(report.output == cs::Shape{1, 1000});
  CHECK(report.total_params == 11689512);  // torchvision's count, downsample branches included
}

TEST_CASE("the CIFAR tutorial's Net shows why print order is not forward(): both readings, the reused pool first") {
  // PyTorch 1.13 with the tutorial's forward() (self.pool after each conv) at
  // 32x32: "mat1 and mat2 shapes cannot be multiplied (1x400 and 256x120)".
  const auto r = import_ok(fixture("pytorch_cifar_net.txt"), with_input({1, 3, 32, 32}));
  const cs::Report report = analysed(r);
  REQUIRE(report.first_error);
  CHECK(report.layers[*report.first_error].name == "fc1");
  CHECK(report.layers[*report.first_error].framework_errors[0].text ==
        "mat1 and mat2 shapes cannot be multiplied (1x400 and 256x120)");
  // The printed order: 32 -> 28 -> pool 14 -> 10, 16 x 10 x 10.
  CHECK(contains(all_notes(r), "reading 2: the modules in the order printed"));
  CHECK(contains(all_notes(r), "receives 1600"));
}

TEST_CASE("a 1-D model: collapsed ModuleList entries, padding, upsampling, unknown modules listed by name") {
  const auto r = import_ok(fixture("pytorch_audio_1d.txt"));
  CHECK(r.network.input == std::vector<int64_t>{1, 16, 1024});
  CHECK(r.network.layers[1].name == "blocks.0");
  CHECK(r.network.layers[3].name == "blocks.2");
  CHECK(r.network.layers[3].type == cs::LayerType::conv);
  const std::string notes = all_notes(r);
  CHECK(contains(notes, "\"attn\" (SelfAttention)"));
  CHECK(contains(notes, "Identity modules left out: \"id\""));
  const cs::Report report = analysed(r);
  CHECK(report.ok);
  CHECK(report.output == cs::Shape{1, 4});
}

TEST_CASE("every keyword as PyTorch prints it") {
  const std::string text =
      "Net(\n"
      "  (a): Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1), padding=same, bias=False, padding_mode=reflect)\n"
      "  (b): Conv2d(8, 8, kernel_size=(3, 5), stride=(2, 1), padding=(1, 2), dilation=(2, 1), groups=8)\n"
      "  (c): ConvTranspose2d(8, 4, kernel_size=(2, 2), stride=(2, 2), output_padding=(1, 1), dilation=(2, 2))\n"
      "  (d): MaxPool2d(kernel_size=3, stride=2, padding=1, dilation=1, ceil_mode=True)\n"
      "  (e): AvgPool2d(kernel_size=2, stride=2, padding=0)\n"
      "  (f): ZeroPad2d((1, 2, 3, 4))\n"
      "  (g): Upsample(scale_factor=2.0, mode='bilinear')\n"
      "  (h): LeakyReLU(negative_slope=0.01)\n"
      "  (i): Dropout2d(p=0.25, inplace=False)\n"
      "  (j): AdaptiveAvgPool2d(output_size=(None, 7))\n"
      "  (k): Flatten(start_dim=1, end_dim=-1)\n"
      "  (l): LazyLinear(in_features=0, out_features=10, bias=False)\n"
      "  (m): Softmax(dim=1)\n"
      ")\n";
  const auto r = import_ok(text, with_input({1, 3, 64, 64}));
  const auto& L = r.network.layers;
  REQUIRE(L.size() == 12);
  CHECK(L[0].padding.mode == cs::PadMode::same);
  CHECK_FALSE(L[0].bias);
  CHECK(L[1].kernel == std::vector<int64_t>{3, 5});
  CHECK(L[1].padding.pairs == std::vector<std::pair<int64_t, int64_t>>{{1, 1}, {2, 2}});
  CHECK(L[1].groups == 8);
  CHECK(L[2].output_padding == std::vector<int64_t>{1, 1});
  CHECK(L[2].dilation == std::vector<int64_t>{2, 2});
  CHECK(L[3].ceil_mode);
  CHECK(L[5].padding.pairs == std::vector<std::pair<int64_t, int64_t>>{{3, 4}, {1, 2}});
  CHECK(L[6].scale == std::vector<int64_t>{2, 2});
  CHECK(L[7].function == "leaky_relu");
  CHECK(L[8].rate == 0.25);
  CHECK_FALSE(L[10].in_features);
  CHECK(L[11].function == "softmax");
  const std::string notes = all_notes(r);
  CHECK(contains(notes, "padding_mode=reflect"));
  CHECK(contains(notes, "mode bilinear"));
  CHECK(contains(notes, "\"j\" (AdaptiveAvgPool2d) with output_size None"));
  CHECK(contains(notes, "AvgPool prints neither ceil_mode"));
}

TEST_CASE("3-D modules, and the default input for a 3-D model") {
  const auto r = import_ok(
      "Video(\n"
      "  (conv): Conv3d(1, 4, kernel_size=(3, 3, 3), stride=(1, 1, 1))\n"
      "  (pool): MaxPool3d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)\n"
      "  (bn): BatchNorm3d(4, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)\n"
      "  (up): ConvTranspose3d(4, 2, kernel_size=(2, 2, 2), stride=(2, 2, 2))\n"
      "  (pad): ZeroPad3d(padding=(1, 1, 1, 1, 0, 0))\n"
      ")\n");
  CHECK(r.network.input == std::vector<int64_t>{1, 1, 16, 112, 112});
  CHECK(r.network.layers[4].padding.pairs == std::vector<std::pair<int64_t, int64_t>>{{0, 0}, {1, 1}, {1, 1}});
  CHECK(analysed(r).output == cs::Shape{1, 2, 14, 112, 112});
}

TEST_CASE("a single module and an interpreter prompt before the model") {
  const auto r = import_ok(">>> print(layer)\nConv2d(3, 64, kernel_size=(3, 3), stride=(1, 1))\n");
  REQUIRE(r.network.layers.size() == 1);
  CHECK(r.network.layers[0].name == "Conv2d");
}

TEST_CASE("bad print(model) text is named by line and column") {
  struct Bad {
    const char* text;
    const char* error;
  };
  const Bad cases[] = {
      // truncated
      {"AlexNet(\n  (features): Sequential(\n    (0): Conv2d(3, 64, kernel_size=(11, 11), stride=(4, 4))\n",
       "line 2, column 3: \"Sequential(\" is never closed"},
      {"Net(\n  (a): Conv2d(3, 64, kernel_size=(3, 3\n)\n", "line 2, column 39: expected ',' or ')', got the end of the line"},
      // garbled
      {"Net(\n  (a) Conv2d(3, 64, kernel_size=3)\n)\n", "line 2, column 3: expected \"(name): Module(...)\""},
      {"Net(\n  (a): Conv2d(3, 64, kernel_size=3) trailing\n)\n", "line 2, column 36: unexpected text after the module"},
      {"Net(\n  (a): Conv2d(3, 64, kernel_size=3 3)\n)\n", "line 2, column 36: expected ',' or ')'"},
      {"Net(\n  (a): Conv2d(3, 64, kernel_size=(3, 3, 3))\n)\n", "line 2, column 34: kernel_size: expected an integer or 2 integers"},
      {"Net(\n  (a): Conv2d(3, 64)\n)\n", "line 2, column 8: Conv2d without kernel_size"},
      {"Net(\n  (a): Conv2d(3, 64, kernel_size=3)\n)\n)\n", "line 4, column 1: text after the model's closing ')'"},
      {"Net(\n  (a): Linear(in_features=10)\n)\n", "line 2, column 3: Linear: expected out_features"},
      {"Net(\n  (a): Conv2d(3, 0, kernel_size=3)\n)\n", "Conv2d: expected in_channels and out_channels"},
      {"Net(\n  (a): Conv2d(3, 4, kernel_size=0)\n)\n", "line 2, column 3: kernel: expected a positive integer, got 0"},
      {"Net(\n  (a): Conv2d(3, 4, kernel_size=((((((((((3))))))))))\n)\n", "nested more than 8 levels deep"},
      {"Net(\n  (a): Conv2d(3, 4, kernel_size=99999999999999999999)\n)\n", "number out of range"},
  };
  for (const Bad& c : cases) {
    const std::string text = c.text, error = import_error(c.text);
    CAPTURE(text);
    CAPTURE(error);
    CHECK(contains(error, c.error));
  }
}

TEST_CASE("deep nesting, huge repeat counts and oversized print(model) text are refused with a message") {
  std::string deep;
  for (int i = 0; i < 70; ++i) deep += std::string(static_cast<size_t>(i) * 2, ' ') + (i ? "(x): " : "") + "Sequential(\n";
  CHECK(contains(import_error(deep), "nested more than 64 deep"));
  const std::string repeat = "Net(\n  (blocks): ModuleList(\n    (0-99998): 99999 x Conv2d(3, 3, kernel_size=(1, 1), stride=(1, 1))\n  )\n)\n";
  CHECK(contains(import_error(repeat), "more than 2000 layers"));
  std::string big = "Net(\n";
  while (big.size() <= imp::max_text_bytes) big += "  (r): ReLU(inplace=True)\n";
  CHECK(contains(import_error(big + ")\n"), "larger than 4194304 bytes"));
}

// ---- Keras JSON ---------------------------------------------------------------------------

TEST_CASE("tf.keras 2 Sequential to_json() of the conv2d_3 story imports to the example network") {
  const auto r = import_ok(fixture("keras2_sequential_conv2d_3.json"));
  CHECK(r.format == imp::Format::keras_json);
  cs::Network example;
  std::string error;
  REQUIRE(cs::network_json::parse(test_support::example_text("conv2d_3.json"), example, error));
  CHECK(layers_json(r.network) == layers_json(example));
  const cs::Report report = analysed(r);
  REQUIRE(report.first_error);
  CHECK(report.layers[*report.first_error].name == "conv2d_3");
}

TEST_CASE("Keras 3 Sequential with every layer family in the issue") {
  const auto r = import_ok(fixture("keras3_sequential.json"));
  const std::vector<std::string> expected = {
      "zero_pad", "conv", "batch_norm", "activation", "depthwise_conv", "depthwise_conv", "conv", "avg_pool",
      "conv_transpose", "crop", "upsample", "max_pool", "global_avg_pool", "dropout", "dense"};
  CHECK(types_of(r.network) == expected);
  CHECK(r.network.layers[5].name == "separable_conv2d_depthwise");
  CHECK(r.network.layers[13].rate == 0.3);
  CHECK(contains(all_notes(r), "read as a depthwise and a 1x1 convolution"));
  const cs::Report report = analysed(r);
  CHECK(report.ok);
  CHECK(report.output == cs::Shape{1, 10});
}

TEST_CASE("functional models that are chains: Keras 2 and Keras 3 inbound_nodes") {
  const auto k2 = import_ok(fixture("keras2_functional.json"));
  CHECK(types_of(k2.network) == std::vector<std::string>{"conv", "max_pool", "conv", "flatten", "dense"});
  CHECK(analysed(k2).output == cs::Shape{1, 10});
  const auto k3 = import_ok(fixture("keras3_functional_conv1d.json"));
  CHECK(k3.network.input == std::vector<int64_t>{1, 100, 8});
  CHECK(k3.network.layers[0].padding.pairs == std::vector<std::pair<int64_t, int64_t>>{{8, 0}});
  CHECK(contains(all_notes(k3), "causal padding"));
  CHECK(analysed(k3).output == cs::Shape{1, 1});
}

TEST_CASE("a functional model with an Add imports as a graph, and the add fails as Keras says") {
  const auto r = import_ok(fixture("keras2_residual.json"));
  CHECK(types_of(r.network) == std::vector<std::string>{"conv", "max_pool", "conv", "add", "flatten", "dense"});
  CHECK(r.network.layers[3].inputs == std::vector<int32_t>{2, 1});
  const cs::Report report = analysed(r);
  REQUIRE(report.first_error);
  CHECK(*report.first_error == 3);
  CHECK(report.layers[3].framework_errors[0].text ==
        "Inputs have incompatible shapes. Received shapes (12, 12, 16) and (14, 14, 8)");
}

TEST_CASE("get_config() output, channels_first, and the input from --input") {
  const std::string config =
      R"({"name": "sequential", "layers": [
          {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 3, 32, 32], "name": "in"}},
          {"class_name": "Conv2D", "config": {"name": "c", "filters": 8, "kernel_size": [3, 3], "strides": [1, 1],
           "padding": "valid", "data_format": "channels_first", "dilation_rate": [1, 1], "use_bias": true}},
          {"class_name": "Rescaling", "config": {"name": "scale"}}]})";
  const auto r = import_ok(config);
  CHECK(r.network.input == std::vector<int64_t>{1, 32, 32, 3});
  CHECK(contains(all_notes(r), "channels_first"));
  CHECK(contains(all_notes(r), "\"scale\" (Rescaling)"));
  const std::string no_size = R"({"class_name": "Sequential", "config": {"layers": [
      {"class_name": "InputLayer", "config": {"batch_shape": [null, null, null, 3]}},
      {"class_name": "Conv2D", "config": {"filters": 8, "kernel_size": 3}}]}})";
  CHECK(import_error(no_size) ==
        "config.layers[0].config.batch_shape[1]: the model's input size is None (any size); give one with --input");
  CHECK(import_ok(no_size, with_input({1, 28, 28, 3})).network.input == std::vector<int64_t>{1, 28, 28, 3});
}

TEST_CASE("bad Keras JSON is named by its JSON path (or line and column when it is not JSON)") {
  struct Bad {
    const char* text;
    const char* error;
  };
  const Bad cases[] = {
      // truncated
      {R"({"class_name": "Sequential", "config": {"layers": [{"class_name": "Conv2D", "config": {"filters": 8, )",
       "line 1, column 102: unexpected end of input"},
      // garbled
      {R"({"class_name": "Sequential", "config": {"layers": [{"class_name": "InputLayer", "config": {"batch_shape": [null, 8, 8, 3]}},
          {"class_name": "Conv2D", "config": {"filters": 8, "kernel_size": "three"}}]}})",
       "config.layers[1].config.kernel_size: expected an integer or a list of 2, got \"three\""},
      {R"({"class_name": "Sequential", "config": {"layers": [{"class_name": "InputLayer", "config": {"batch_shape": [null, 8, 8, 3]}},
          {"class_name": "Dense", "config": {"units": -4}}]}})",
       "config.layers[1] (\"\"): units: expected a positive integer, got -4"},
      {R"({"class_name": "Sequential", "config": {"layers": [{"class_name": "InputLayer", "config": {"batch_shape": [null, 8, 8, 3]}},
          {"config": {"units": 4}}]}})",
       "config.layers[1].class_name: missing"},
      {R"({"class_name": "Sequential", "config": {"layers": [{"class_name": "InputLayer", "config": {"batch_shape": [null, 8, 8, 3]}},
          {"class_name": "Conv2D", "config": {"filters": 8, "kernel_size": 3, "padding": "full"}}]}})",
       "config.layers[1].config.padding: unknown padding \"full\""},
      {R"({"class_name": "Sequential", "config": {"layers": [{"class_name": "Conv2D", "config": {"filters": 8, "kernel_size": 3}}]}})",
       "give one with --input"},
      {R"({"class_name": "Sequential", "config": {"layers": 7}})", "config.layers: expected a list of layers, got 7"},
  };
  for (const Bad& c : cases) {
    const std::string text = c.text, error = import_error(c.text);
    CAPTURE(text);
    CAPTURE(error);
    CHECK(contains(error, c.error));
  }
  std::string big = R"({"class_name": "Sequential", "config": {"layers": [], "pad": ")";
  big += std::string(imp::max_keras_json_bytes, 'x') + "\"}}";
  CHECK(contains(import_error(big), "larger than"));
  std::string nested = R"({"class_name": "Sequential", "config": {"layers": [)";
  for (int i = 0; i < 6; ++i) nested += R"({"class_name": "Sequential", "config": {"layers": [)";
  for (int i = 0; i < 7; ++i) nested += "]}}";
  CHECK(contains(import_error(nested), "models nested more than 4 deep"));
}
