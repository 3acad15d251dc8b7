// Export of graphs: the PyTorch nn.Module with its forward() and the Keras
// functional API, as text. That the PyTorch code computes the report's shapes
// and fails where the report fails is checked by running it in real PyTorch
// (tests/conformance/export.test.mjs); Keras cannot run here, so its
// structure is checked below: every variable is assigned before it is used,
// every layer has one, and the model lists every output.
#include <doctest/doctest.h>

#include <map>
#include <regex>
#include <set>
#include <string>

#include "convscope/analyze.hpp"
#include "convscope/api.hpp"
#include "convscope/import/export.hpp"
#include "convscope/network_json.hpp"
#include "import_support.hpp"

using namespace import_support;
using test_support::contains;

namespace {

cs::Network network(const std::string& text) {
  cs::Network net;
  std::string error;
  INFO(error);
  REQUIRE(cs::network_json::parse(text, net, error));
  return net;
}

cs::Network example(const std::string& file) { return network(test_support::example_text(file)); }

cs::Network fixture_network(const std::string& file) {
  return network(test_support::read_text(test_support::source_dir() / "tests" / "fixtures" / "networks" / file));
}

// Keras functional code as data flow: each assignment `v = layers.Cls(args)(inputs)`
// (or `v = other`, a layer that passes its tensor on), checked to read only
// variables assigned before it; returns the classes by variable.
struct KerasFlow {
  std::map<std::string, std::string> cls;  // variable -> layer class ("" for a pass-through)
  std::vector<std::string> order;
  std::string outputs;                     // what keras.Model gets as outputs
};

KerasFlow keras_flow(const std::string& code) {
  static const std::regex call(R"(^(\w+) = layers\.(\w+)\((.*)\)\((\[?[\w, ]+\]?)\)$)");
  static const std::regex alias(R"(^(\w+) = (\w+)$)");
  static const std::regex model(R"(^model = keras\.Model\(inputs=inputs, outputs=(.*)\)$)");
  static const std::regex word(R"(\w+)");
  KerasFlow f;
  std::set<std::string> known;
  for (const std::string& line : lines_of(code)) {
    std::smatch m;
    std::string reads;
    if (line.rfind("inputs = keras.Input(shape=", 0) == 0) {
      known.insert("inputs");
      continue;
    }
    if (std::regex_match(line, m, call)) {
      reads = m[4];
      f.cls[m[1]] = m[2];
    } else if (std::regex_match(line, m, alias)) {
      reads = m[2];
      f.cls[m[1]] = "";
    } else if (std::regex_match(line, m, model)) {
      f.outputs = m[1];
      reads = m[1];
    } else {
      CAPTURE(line);
      CHECK((line.empty() || line[0] == '#' || line == "import keras" || line == "from keras import layers" ||
             line == "model.summary()"));
      continue;
    }
    for (auto it = std::sregex_iterator(reads.begin(), reads.end(), word); it != std::sregex_iterator(); ++it) {
      CAPTURE(line);
      CHECK(known.count(it->str()) == 1);  // assigned before it is read
    }
    if (m.size() > 1 && line.rfind("model = ", 0) != 0) {
      CHECK(known.count(m[1]) == 0);  // one assignment per variable
      known.insert(m[1]);
      f.order.push_back(m[1]);
    }
  }
  return f;
}

}  // namespace

TEST_CASE("a residual block exports as an nn.Module whose forward() adds the shortcut") {
  const cs::Network net = example("residual_forgot_stride.json");
  const std::string code = imp::pytorch_code(net);
  CAPTURE(code);
  CHECK(python_syntax_error(code) == "");
  CHECK(contains(code, "# ConvScope: this network fails at layer 6 of 7 (add): W differs"));
  CHECK(contains(code, "# Running it raises PyTorch's own error for that layer.\n"));
  CHECK(contains(code, "import torch\nfrom torch import nn\n\n\nclass Model(nn.Module):\n    def __init__(self):\n"
                       "        super().__init__()\n"
                       "        self.conv1 = nn.Conv2d(64, 64, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), bias=False)\n"));
  CHECK(contains(code, "        self.relu_1 = nn.ReLU()\n\n    def forward(self, x):\n        conv1 = self.conv1(x)\n"));
  CHECK(contains(code, "        bn2 = self.bn2(conv2)\n        add = bn2 + x\n        relu_1 = self.relu_1(add)\n"
                       "        return relu_1\n\n\nmodel = Model()\n"));
  CHECK(contains(code, "model.train()  # as a module starts: BatchNorm uses the batch's statistics\n"
                       "x = torch.zeros(1, 64, 56, 56)\nprint(model(x).shape)\n"));
  CHECK_FALSE(contains(code, "F."));  // no functional import where nothing needs it
  CHECK_FALSE(contains(code, "import torch.nn.functional"));

  const std::string keras = imp::keras_code(net);
  CAPTURE(keras);
  CHECK(python_syntax_error(keras) == "");
  CHECK(contains(keras, "inputs = keras.Input(shape=(56, 56, 64), batch_size=1)\n"));
  CHECK(contains(keras, "add = layers.Add(name=\"add\")([bn2, inputs])\n"));
  CHECK(contains(keras, "\nmodel = keras.Model(inputs=inputs, outputs=relu_1)\nmodel.summary()\n"));
  const KerasFlow flow = keras_flow(keras);
  CHECK(flow.cls.at("conv1_pad") == "ZeroPadding2D");  // PyTorch's padding 1 before a "valid" Conv2D
  CHECK(flow.cls.at("add") == "Add");
}

TEST_CASE("ResNet-18 exports every block: 8 adds, the downsample shortcuts, torch.flatten before fc") {
  const std::string code = imp::pytorch_code(example("resnet18.json"));
  CAPTURE(code);
  CHECK(python_syntax_error(code) == "");
  CHECK(contains(code, "        layer1_0_add = layer1_0_bn2 + maxpool\n"));
  CHECK(contains(code, "        layer2_0_add = layer2_0_bn2 + layer2_0_downsample_1\n"));
  CHECK(contains(code, "        self.layer2_0_downsample_0 = nn.Conv2d(64, 128, kernel_size=(1, 1), stride=(2, 2), bias=False)\n"));
  CHECK(contains(code, "        flatten = torch.flatten(avgpool, 1)\n        fc = self.fc(flatten)\n        return fc\n"));
  size_t adds = 0;
  for (size_t at = code.find(" + "); at != std::string::npos; at = code.find(" + ", at + 1)) ++adds;
  CHECK(adds == 8);
  CHECK_FALSE(contains(code, "nn.Flatten"));
}

TEST_CASE("a U-Net skip: pad_to and crop_to compute their amounts from the tensors' sizes at run time") {
  // 21x21: pool floors to 10, the transposed conv gives 20; the skip is 21.
  const cs::Network net = network(R"({"framework": "pytorch", "input": [1, 3, 21, 21], "layers": [
      {"type": "conv", "name": "enc", "filters": 8, "kernel": 3, "padding": 1},
      {"type": "max_pool", "name": "pool", "kernel": 2},
      {"type": "conv_transpose", "name": "up", "filters": 8, "kernel": 2, "stride": 2},
      {"type": "pad_to", "name": "up_padded", "inputs": ["up", "enc"]},
      {"type": "crop_to", "name": "enc_cropped", "inputs": ["enc", "up"]},
      {"type": "concat", "name": "cat_pad", "inputs": ["enc", "up_padded"]},
      {"type": "concat", "name": "cat_crop", "inputs": ["enc_cropped", "up"]}]})");
  const cs::Report report = cs::analyze(net, {false, false, 0});
  REQUIRE(report.ok);
  const std::string code = imp::pytorch_code(net);
  CAPTURE(code);
  CHECK(python_syntax_error(code) == "");
  CHECK(contains(code, "import torch\nfrom torch import nn\nimport torch.nn.functional as F\n"));
  // pad_to: merge_rules.cpp's F.pad(x, [diff // 2, diff - diff // 2]), the last axis first
  CHECK(contains(code, "        # up padded to enc's size, the odd cell at the end (a negative difference crops)\n"
                       "        diff_h = enc.size(2) - up.size(2)\n"
                       "        diff_w = enc.size(3) - up.size(3)\n"
                       "        up_padded = F.pad(up, [diff_w // 2, diff_w - diff_w // 2, diff_h // 2, diff_h - diff_h // 2])\n"));
  // crop_to: (in - ref) // 2 off the start, the reference's size kept
  CHECK(contains(code, "        diff_h = enc.size(2) - up.size(2)\n        diff_w = enc.size(3) - up.size(3)\n"
                       "        enc_cropped = enc[:, :, diff_h // 2:diff_h // 2 + up.size(2), diff_w // 2:diff_w // 2 + up.size(3)]\n"));
  CHECK(contains(code, "        cat_pad = torch.cat([enc, up_padded], dim=1)\n"));
  CHECK(contains(code, "        return cat_pad, cat_crop\n"));

  // Keras: fixed amounts, the report's (21 - 20 = 1: pad (0, 1); crop (0, 1)), said in a comment.
  const std::string keras = imp::keras_code(net);
  CAPTURE(keras);
  CHECK(python_syntax_error(keras) == "");
  CHECK(contains(keras, "# up_padded: padding to enc's size by the amounts ConvScope computed for this input (Keras layers "
                        "take fixed amounts: another input size needs others)\n"
                        "up_padded = layers.ZeroPadding2D(padding=((0, 1), (0, 1)), name=\"up_padded\")(up)\n"));
  CHECK(contains(keras, "enc_cropped = layers.Cropping2D(cropping=((0, 1), (0, 1)), name=\"enc_cropped\")(enc)\n"));
  CHECK(contains(keras, "cat_pad = layers.Concatenate(axis=-1, name=\"cat_pad\")([enc, up_padded])\n"));
  CHECK(keras_flow(keras).outputs == "[cat_pad, cat_crop]");
}

TEST_CASE("an Inception block concatenates its four branches in order") {
  const cs::Network net = example("inception_block.json");
  const std::string code = imp::pytorch_code(net);
  CAPTURE(code);
  CHECK(python_syntax_error(code) == "");
  CHECK(contains(code, "        concat = torch.cat([branch1_relu, branch2_relu2, branch3_relu2, branch4_relu], dim=1)\n"
                       "        return concat\n"));
  // every branch starts from the input
  CHECK(contains(code, "        branch1_conv = self.branch1_conv(x)\n"));
  CHECK(contains(code, "        branch4_pool = self.branch4_pool(x)\n"));
  const std::string keras = imp::keras_code(net);
  CAPTURE(keras);
  CHECK(python_syntax_error(keras) == "");
  CHECK(contains(keras, "concat = layers.Concatenate(axis=-1, name=\"concat\")([branch1_relu, branch2_relu2, branch3_relu2, branch4_relu])\n"));
  const KerasFlow flow = keras_flow(keras);
  CHECK(flow.outputs == "concat");
  // one variable per layer (plus the padding layers Keras needs before its "valid" convs)
  const cs::Network& n = net;
  for (const cs::Layer& l : n.layers) {
    std::string v = l.name;
    for (char& c : v) if (c == '.') c = '_';
    CAPTURE(v);
    CHECK(flow.cls.count(v) == 1);
  }
}

TEST_CASE("several outputs: forward() returns them all, the code prints each, Keras' Model lists them") {
  const cs::Network net = example("fpn_topdown.json");
  const std::string code = imp::pytorch_code(net);
  CAPTURE(code);
  CHECK(python_syntax_error(code) == "");
  CHECK(contains(code, "        return out5, out4, out3, out2\n"));
  CHECK(contains(code, "x = torch.zeros(1, 3, 224, 224)\nfor y in model(x):  # the network's outputs, in order\n    print(y.shape)\n"));
  CHECK(contains(code, "        p4 = lateral4 + up5\n"));
  const std::string keras = imp::keras_code(net);
  CAPTURE(keras);
  CHECK(python_syntax_error(keras) == "");
  CHECK(keras_flow(keras).outputs == "[out5, out4, out3, out2]");
}

TEST_CASE("layer names become valid, distinct Python identifiers") {
  const cs::Network net = network(R"({"framework": "pytorch", "input": [1, 3, 8, 8], "layers": [
      {"type": "conv", "name": "stem/conv 1", "filters": 4, "kernel": 3, "padding": 1},
      {"type": "relu", "name": "class"},
      {"type": "conv", "name": "1x1", "filters": 4, "kernel": 1},
      {"type": "conv", "name": "x", "filters": 4, "kernel": 1, "inputs": ["class"]},
      {"type": "add", "name": "a.b", "inputs": ["1x1", "x"]},
      {"type": "relu", "name": "a_b"},
      {"type": "relu", "name": "forward", "inputs": ["a.b"]},
      {"type": "max_pool", "name": "max", "kernel": 2, "inputs": ["stem/conv 1"]}]})");
  const std::string code = imp::pytorch_code(net);
  CAPTURE(code);
  CHECK(python_syntax_error(code) == "");
  CHECK(contains(code, "        self.stem_conv_1 = nn.Conv2d("));   // characters outside [A-Za-z0-9_]
  CHECK(contains(code, "        self.class_ = nn.ReLU()\n"));      // a keyword
  CHECK(contains(code, "        self.conv_1x1 = nn.Conv2d("));      // a leading digit: the type in front
  CHECK(contains(code, "        self.x_ = nn.Conv2d("));            // forward()'s own argument
  CHECK(contains(code, "        a_b = conv_1x1 + x_\n"));           // "a.b" comes first ...
  CHECK(contains(code, "        a_b_2 = self.a_b_2(a_b)\n"));       // ... so "a_b" clashes
  CHECK(contains(code, "        forward_ = self.forward_(a_b)\n"));  // an nn.Module attribute
  CHECK(contains(code, "        max_ = self.max_(stem_conv_1)\n"));  // a builtin
  CHECK(contains(code, "        x_ = self.x_(class_)\n"));
  CHECK(contains(code, "        return a_b_2, forward_, max_\n"));
  const std::string keras = imp::keras_code(net);
  CAPTURE(keras);
  CHECK(python_syntax_error(keras) == "");
  CHECK(contains(keras, "class_ = layers.ReLU(name=\"class\")(stem_conv_1)\n"));
  CHECK(contains(keras, "conv_1x1 = layers.Conv2D("));
  CHECK(keras_flow(keras).outputs == "[a_b_2, forward, max_]");
}

TEST_CASE("a TensorFlow graph in PyTorch: the concat axes move to channels-first, a (N, C) gate gets its 1s") {
  const cs::Network net = fixture_network("graph_tf_gate.json");
  const std::string code = imp::pytorch_code(net);
  CAPTURE(code);
  CHECK(python_syntax_error(code) == "");
  CHECK(contains(code, "# Shapes are in PyTorch's layout (N, C, ...), the input's channels moved to axis 1.\n"));
  CHECK(contains(code, "        gate = c * fc[:, :, None, None]\n"));      // Keras: (N, C) -> (N, 1, 1, C)
  CHECK(contains(code, "        cat = torch.cat([gate, c], dim=1)\n"));    // axis -1 (C)
  CHECK(contains(code, "        cat_h = torch.cat([gate, c], dim=2)\n"));  // axis 1 (H)
  CHECK(contains(code, "        # Keras' global pooling drops the spatial axes\n        squeeze = torch.flatten(self.squeeze(c), 1)\n"));
  CHECK(contains(code, "        r = F.interpolate(cat_h, size=cat.shape[2:], mode='nearest')\n"));
  CHECK(contains(code, "model.eval()  # inference"));
  const std::string keras = imp::keras_code(net);
  CAPTURE(keras);
  CHECK(python_syntax_error(keras) == "");
  CHECK(contains(keras, "cat = layers.Concatenate(axis=-1, name=\"cat\")([gate, c])\n"));
  CHECK(contains(keras, "cat_h = layers.Concatenate(axis=1, name=\"cat_h\")([gate, c])\n"));
  CHECK(contains(keras, "r = layers.Resizing(height=8, width=8, interpolation=\"nearest\", name=\"r\")(cat_h)\n"));
}

TEST_CASE("1-D and 3-D graphs: every merge, and Keras' stand-ins for resize_to where it has no resizing layer") {
  SUBCASE("1-D") {
    const cs::Network net = fixture_network("graph_fit_1d.json");
    const std::string code = imp::pytorch_code(net);
    CAPTURE(code);
    CHECK(python_syntax_error(code) == "");
    CHECK(contains(code, "        diff = enc - up_fit\n"));
    CHECK(contains(code, "        avg = (diff + coarse + enc) / 3\n"));
    CHECK(contains(code, "        max_ = torch.maximum(torch.maximum(avg, enc), coarse)\n"));
    CHECK(contains(code, "        min_ = torch.minimum(max_, diff)\n"));
    CHECK(contains(code, "        gate = min_ * excite\n"));
    CHECK(contains(code, "        diff_l = mid.size(2) - gate.size(2)\n        shrink = F.pad(gate, [diff_l // 2, diff_l - diff_l // 2])\n"));
    const std::string keras = imp::keras_code(net);
    CAPTURE(keras);
    CHECK(python_syntax_error(keras) == "");
    const KerasFlow flow = keras_flow(keras);
    CHECK(flow.cls.at("diff") == "Subtract");
    CHECK(flow.cls.at("avg") == "Average");
    CHECK(flow.cls.at("max_") == "Maximum");
    CHECK(flow.cls.at("min_") == "Minimum");
    CHECK(flow.cls.at("gate") == "Multiply");
    // 18 -> 37 is no whole factor: said, and the tensor passes on
    CHECK(contains(keras, "# coarse: Keras has no 1-D resizing layer, and (18,) to (37,) is no whole upsampling factor: "
                          "the tensor passes unchanged\ncoarse = mid\n"));
    // one (begin, end) pair for the 1-D layers; the negative difference of pad_to crops (-19: 10 at the start)
    CHECK(contains(keras, "up_fit = layers.ZeroPadding1D(padding=(0, 1), name=\"up_fit\")(up)\n"));
    CHECK(contains(keras, "crop = layers.Cropping1D(cropping=(9, 10), name=\"crop\")(enc)\n"));
    CHECK(contains(keras, "shrink = layers.Cropping1D(cropping=(10, 9), name=\"shrink\")(gate)\n"));
  }
  SUBCASE("3-D") {
    const cs::Network net = fixture_network("graph_fit_3d.json");
    const std::string code = imp::pytorch_code(net);
    CAPTURE(code);
    CHECK(python_syntax_error(code) == "");
    CHECK(contains(code, "        u_pad = F.pad(u, [diff_w // 2, diff_w - diff_w // 2, diff_h // 2, diff_h - diff_h // 2, "
                         "diff_d // 2, diff_d - diff_d // 2])\n"));
    CHECK(contains(code, "        sum_ = a + u_pad\n"));
    CHECK(contains(code, "        c_cat = torch.cat([c, u], dim=2)\n"));
    const std::string keras = imp::keras_code(net);
    CAPTURE(keras);
    CHECK(python_syntax_error(keras) == "");
    CHECK(contains(keras, "u_pad = layers.ZeroPadding3D(padding=((0, 1), (0, 0), (0, 1)), name=\"u_pad\")(u)\n"));
    CHECK(contains(keras, "c = layers.Cropping3D(cropping=((0, 1), (0, 0), (0, 1)), name=\"c\")(a)\n"));
    CHECK(contains(keras, "c_cat = layers.Concatenate(axis=1, name=\"c_cat\")([c, u])\n"));  // PyTorch's D (2) is Keras' 1
    CHECK(keras_flow(keras).outputs == "[cat, c_cat]");
  }
  SUBCASE("3-D with a whole factor: UpSampling3D, said so") {
    const cs::Network net = network(R"({"framework": "pytorch", "input": [1, 2, 8, 8, 8], "layers": [
        {"type": "max_pool", "name": "p", "kernel": 2},
        {"type": "resize_to", "name": "r", "inputs": ["p", "input"]}]})");
    const std::string keras = imp::keras_code(net);
    CAPTURE(keras);
    CHECK(contains(keras, "# Keras has no 3-D resizing layer: UpSampling by (2, 2, 2) gives the reference's size on this input\n"
                          "r = layers.UpSampling3D(size=(2, 2, 2), name=\"r\")(p)\n"));
  }
}

TEST_CASE("the CLI exports a graph (exit 0), as the page's Export dialog does through the same core call") {
  const std::string path = test_support::shell_quote(test_support::example_path("unet_padded.json").string());
  const auto torch = test_support::run_cli("export --pytorch " + path);
  CHECK(torch.exit_code == 0);
  CHECK(contains(torch.out, "        cat3 = torch.cat([enc3_relu2, up3], dim=1)\n"));
  CHECK(contains(torch.out, "# ConvScope: this network fails at layer 32 of 49 (cat3)"));
  const auto keras = test_support::run_cli("export --keras " + path);
  CHECK(keras.exit_code == 0);
  CHECK(contains(keras.out, "cat3 = layers.Concatenate(axis=-1, name=\"cat3\")([enc3_relu2, up3])\n"));
  const auto api = cs::api::export_code(test_support::example_text("unet_padded.json"), "pytorch");
  CHECK(api.exit_code == 0);
  CHECK(api.output == torch.out);
}

TEST_CASE("ShuffleNet V2's channel steps export as x.chunk and a channel_shuffle function (PyTorch), a Lambda (Keras)") {
  const cs::Network net = fixture_network("graph_shufflenet_units.json");
  const std::string code = imp::pytorch_code(net);
  CAPTURE(code);
  CHECK(python_syntax_error(code) == "");
  CHECK(contains(code, "def channel_shuffle(x, groups):\n"));
  CHECK(contains(code, "    x = x.view(n, groups, c // groups, *x.shape[2:])\n"));
  CHECK(contains(code, "        s1_x1 = x.chunk(2, dim=1)[0]\n"));
  CHECK(contains(code, "        s1_x2 = x.chunk(2, dim=1)[1]\n"));
  CHECK(contains(code, "        s1_shuffle = channel_shuffle(s1_cat, 2)\n"));
  const std::string keras = imp::keras_code(net);
  CAPTURE(keras);
  CHECK(python_syntax_error(keras) == "");
  CHECK(contains(keras, "# Keras has no channel split layer: chunk 1 of 2 (x.chunk(2, dim=1)[1]) of the 116 channels arriving here\n"
                        "s1_x2 = layers.Lambda(lambda t: t[..., 58:116], name=\"s1_x2\")(inputs)\n"));
  CHECK(contains(keras, "s1_shuffle = layers.Lambda(lambda t: keras.ops.reshape(keras.ops.swapaxes(keras.ops.reshape(t, "
                        "(-1, *t.shape[1:-1], 2, t.shape[-1] // 2)), -1, -2), (-1, *t.shape[1:])), name=\"s1_shuffle\")(s1_cat)\n"));
}

TEST_CASE("a chain with a channel step exports as an nn.Module with forward() (x.chunk is no module)") {
  cs::Network net;
  std::string error;
  REQUIRE(cs::network_json::parse(R"({"framework": "pytorch", "input": [1, 8, 4, 4], "layers": [
      {"type": "conv", "name": "c", "filters": 6, "kernel": 1},
      {"type": "channel_shuffle", "name": "s", "groups": 3},
      {"type": "channel_split", "name": "h", "chunks": 2, "index": 1}]})", net, error));
  const std::string code = imp::pytorch_code(net);
  CAPTURE(code);
  CHECK(python_syntax_error(code) == "");
  CHECK(contains(code, "class Model(nn.Module):"));
  CHECK(contains(code, "        s = channel_shuffle(c, 3)\n        h = s.chunk(2, dim=1)[1]\n"));
}
