// Keras code read statically (code_keras.cpp): Sequential with keras.Input or
// input_shape=, model.add, the functional API with helper functions and
// merges, the model chosen and its input shape, and what is outside the
// subset named by line and column. Where a Keras JSON config holds the same
// model, the code and the JSON import to the same network; every example
// exported as Keras code reads back as the network it was exported from.
// Shapes against a real Keras implementation: tests/conformance/code_keras.test.mjs (tfjs-layers).
#include <doctest/doctest.h>

#include <cctype>
#include <filesystem>
#include <string>

#include "convscope/analyze.hpp"
#include "convscope/import/export.hpp"
#include "convscope/translate.hpp"
#include "import_support.hpp"

using namespace import_support;
using test_support::contains;

namespace {

std::string code_fixture(const std::string& name) {
  const std::string text = test_support::read_text(test_support::source_dir() / "tests" / "fixtures" / "code" / name);
  REQUIRE(!text.empty());
  return text;
}

cs::Report analysed(const imp::ImportResult& r) { return cs::analyze(r.network, {false, false, 0}); }

std::vector<std::vector<int64_t>> outputs_of(const cs::Report& rep) {
  std::vector<std::vector<int64_t>> out;
  for (const auto& l : rep.layers) out.push_back(l.output ? std::vector<int64_t>(l.output->begin(), l.output->end())
                                                          : std::vector<int64_t>{});
  return out;
}

std::vector<std::string> names_of(const cs::Network& net) {
  std::vector<std::string> out;
  for (const auto& l : net.layers) out.push_back(l.name);
  return out;
}

imp::ImportOptions model_named(const std::string& name) {
  imp::ImportOptions o;
  o.model = name;
  return o;
}

}  // namespace

TEST_CASE("keras.io's Simple MNIST convnet: the same network as its Keras JSON config") {
  const auto code = import_ok(code_fixture("keras_mnist_convnet.py"));
  CHECK(code.format == imp::Format::python_code);
  CHECK(code.network.framework == cs::Framework::tensorflow);
  // What model.to_json() holds for that model (Keras 3 names, layer configs
  // with the arguments the code gives; Keras writes its defaults too).
  const std::string json = R"({"class_name": "Sequential", "config": {"name": "sequential", "layers": [
    {"class_name": "InputLayer", "config": {"batch_shape": [null, 28, 28, 1], "name": "input_layer"}},
    {"class_name": "Conv2D", "config": {"name": "conv2d", "filters": 32, "kernel_size": [3, 3], "strides": [1, 1],
      "padding": "valid", "data_format": "channels_last", "dilation_rate": [1, 1], "groups": 1, "activation": "relu", "use_bias": true}},
    {"class_name": "MaxPooling2D", "config": {"name": "max_pooling2d", "pool_size": [2, 2], "padding": "valid", "strides": [2, 2]}},
    {"class_name": "Conv2D", "config": {"name": "conv2d_1", "filters": 64, "kernel_size": [3, 3], "strides": [1, 1],
      "padding": "valid", "data_format": "channels_last", "dilation_rate": [1, 1], "groups": 1, "activation": "relu", "use_bias": true}},
    {"class_name": "MaxPooling2D", "config": {"name": "max_pooling2d_1", "pool_size": [2, 2], "padding": "valid", "strides": [2, 2]}},
    {"class_name": "Flatten", "config": {"name": "flatten"}},
    {"class_name": "Dropout", "config": {"name": "dropout", "rate": 0.5}},
    {"class_name": "Dense", "config": {"name": "dense", "units": 10, "activation": "softmax", "use_bias": true}}]}})";
  const auto from_json = import_ok(json);
  // Keras writes strides out (2 = pool_size, its default); the code leaves them to the default.
  CHECK(outputs_of(analysed(code)) == outputs_of(analysed(from_json)));
  CHECK(types_of(code.network) == types_of(from_json.network));
  CHECK(names_of(code.network) == names_of(from_json.network));
  CHECK(code.network.input == std::vector<int64_t>{1, 28, 28, 1});
  const auto rep = analysed(code);
  CHECK(rep.ok);
  REQUIRE(rep.layers.back().output);
  CHECK(std::vector<int64_t>(rep.layers.back().output->begin(), rep.layers.back().output->end()) ==
        std::vector<int64_t>{1, 10});
  CHECK(code.models == std::vector<std::string>{"model"});
  CHECK(code.model == "model");
  const std::string notes = all_notes(code);
  CAPTURE(notes);
  CHECK(contains(notes, "input 1x28x28x1 from keras.Input(shape=...) at line 43: keras.Input(shape=input_shape),"));
  CHECK(contains(notes, "Keras shapes leave the batch out: batch 1"));
  CHECK(code.stopped_at.empty());
}

TEST_CASE("the functional U-Net of the tutorials: helper functions, Concatenate, the model built in the __main__ block") {
  const std::string text = code_fixture("keras_unet.py");
  const auto r = import_ok(text);
  CHECK(r.network.input == std::vector<int64_t>{1, 256, 256, 3});
  CHECK(r.models == std::vector<std::string>{"model", "build_unet"});
  CHECK(r.model == "model");
  // 4 encoder blocks (2 x conv+bn+relu, pool), the bridge, 4 decoder blocks
  // (transposed conv, concat, 2 x conv+bn+relu) and the 1x1 head.
  CHECK(r.network.layers.size() == 4 * 7 + 6 + 4 * 8 + 1);
  CHECK(names_of(r.network)[0] == "conv2d");
  CHECK(names_of(r.network)[34] == "conv2d_transpose");
  CHECK(names_of(r.network)[35] == "concatenate");
  // The skip: the second relu of the first encoder block ("activation_1").
  const auto& cat = r.network.layers[r.network.layers.size() - 8];
  CHECK(cat.name == "concatenate_3");
  REQUIRE(cat.inputs.size() == 2);
  CHECK(r.network.layers[static_cast<size_t>(cat.inputs[1])].name == "activation_1");
  const auto rep = analysed(r);
  CHECK(rep.ok);
  CHECK(outputs_of(rep).back() == std::vector<int64_t>{1, 256, 256, 1});

  SUBCASE("at 100x100 the second decoder's Concatenate meets 24 against 25") {
    const auto r100 = import_ok(text, with_input({1, 100, 100, 3}));
    const auto rep100 = analysed(r100);
    CHECK_FALSE(rep100.ok);
    REQUIRE(rep100.first_error);
    const auto& bad = r100.network.layers[*rep100.first_error];
    CHECK(bad.name == "concatenate_1");
    REQUIRE(!rep100.layers[*rep100.first_error].framework_errors.empty());
    CHECK(contains(rep100.layers[*rep100.first_error].framework_errors[0].text,
                   "A `Concatenate` layer requires inputs with matching shapes except for the concatenation axis. "
                   "Received: input_shape=[(None, 24, 24, 256), (None, 25, 25, 256)]"));
    CHECK(contains(all_notes(r100), "the input shape given, 1x100x100x3, replaces keras.Input(shape=...)"));
  }
  SUBCASE("the function chosen by name is called with its defaults") {
    const std::string e = import_error(text, model_named("build_unet"));
    CHECK(contains(e, "build_unet() missing required argument 'input_shape'"));
    CHECK(contains(e, "build_unet() is called with no arguments"));
  }
}

TEST_CASE("Keras spellings: tf.keras, from-imports, Sequential.add with input_shape, lowercase merges, x + y") {
  SUBCASE("Sequential built with add(), the input from input_shape=, Keras's defaults") {
    const auto r = import_ok(R"(import tensorflow as tf

model = tf.keras.models.Sequential()
model.add(tf.keras.layers.Conv2D(16, (5, 5), 2, "same", input_shape=(64, 64, 3)))
model.add(tf.keras.layers.MaxPool2D())
model.add(tf.keras.layers.AveragePooling2D(3, 1))
model.add(tf.keras.layers.ZeroPadding2D())
model.add(tf.keras.layers.Conv2DTranspose(8, 3, strides=2))
model.add(tf.keras.layers.UpSampling2D())
model.add(tf.keras.layers.GlobalAveragePooling2D())
model.add(tf.keras.layers.Dense(4))
model.compile(optimizer="adam")
)");
    CHECK(r.network.input == std::vector<int64_t>{1, 64, 64, 3});
    CHECK(types_of(r.network) == std::vector<std::string>{"conv", "max_pool", "avg_pool", "zero_pad", "conv_transpose",
                                                          "upsample", "global_avg_pool", "dense"});
    // 64 -s2 same-> 32 -pool 2-> 16 -pool 3 stride 1-> 14 -pad 1-> 16 -transposed 3 s2 valid-> 33 -x2-> 66.
    const auto out = outputs_of(analysed(r));
    CHECK(out[0] == std::vector<int64_t>{1, 32, 32, 16});
    CHECK(out[1] == std::vector<int64_t>{1, 16, 16, 16});
    CHECK(out[2] == std::vector<int64_t>{1, 14, 14, 16});
    CHECK(out[3] == std::vector<int64_t>{1, 16, 16, 16});
    CHECK(out[4] == std::vector<int64_t>{1, 33, 33, 8});
    CHECK(out[5] == std::vector<int64_t>{1, 66, 66, 8});
    CHECK(out[7] == std::vector<int64_t>{1, 4});
    CHECK(contains(all_notes(r), "input 1x64x64x3 from keras.Input(shape=...) at line 4:"));
  }
  SUBCASE("functional, names imported from tensorflow.keras.layers, residual adds three ways") {
    const auto r = import_ok(R"(from tensorflow.keras.layers import Input, Conv2D, BatchNormalization, ReLU, Add, add, concatenate
from tensorflow.keras.models import Model

def block(x, filters):
    shortcut = x
    y = Conv2D(filters, 3, padding="same", name=f"conv_{filters}")(x)
    y = BatchNormalization()(y)
    y = ReLU()(y)
    y = Add()([y, shortcut])
    return y

inputs = Input((32, 32, 8), 4)
a = block(inputs, 8)
b = add([a, inputs])
c = a + b
d = concatenate([c, inputs], axis=-1)
model = Model(inputs=inputs, outputs=d)
)");
    CHECK(r.network.input == std::vector<int64_t>{4, 32, 32, 8});
    CHECK(types_of(r.network) == std::vector<std::string>{"conv", "batch_norm", "relu", "add", "add", "add", "concat"});
    CHECK(names_of(r.network) == std::vector<std::string>{"conv_8", "batch_normalization", "re_lu", "add", "add_1",
                                                          "add_2", "concatenate"});
    CHECK(outputs_of(analysed(r)).back() == std::vector<int64_t>{4, 32, 32, 16});
  }
}

TEST_CASE("a squeeze-and-excitation block Keras-style: x.shape[-1], Dense on pooled features, Reshape, Multiply") {
  const auto r = import_ok(R"(import keras
from keras import layers

def se_block(x, ratio=4):
    filters = x.shape[-1]
    s = layers.GlobalAveragePooling2D()(x)
    s = layers.Dense(filters // ratio, activation="relu")(s)
    s = layers.Dense(filters, activation="sigmoid")(s)
    s = layers.Reshape((1, 1, filters))(s)
    return layers.Multiply()([x, s])

inputs = keras.Input(shape=(16, 16, 32))
x = layers.Conv2D(32, 3, padding="same")(inputs)
x = se_block(x)
model = keras.Model(inputs, x)
)");
  CHECK(types_of(r.network) ==
        std::vector<std::string>{"conv", "global_avg_pool", "dense", "dense", "reshape", "multiply"});
  CHECK(outputs_of(analysed(r)) == std::vector<std::vector<int64_t>>{{1, 16, 16, 32}, {1, 32}, {1, 8}, {1, 32},
                                                                      {1, 1, 1, 32}, {1, 16, 16, 32}});
  CHECK(contains(all_notes(r), "the code reads tensor shapes (line 5, column 15): the values at this input size are used"));
}

TEST_CASE("the model chosen: the last one made, or the one named; the others' layers are left out") {
  const std::string text = R"(import keras
from keras import layers

inputs = keras.Input(shape=(16, 16, 3))
features = layers.Conv2D(8, 3)(inputs)
encoder = keras.Model(inputs, features)
head = layers.Conv2D(4, 3, name="head")(features)
full = keras.Model(inputs, head)

def small():
    return keras.Sequential([keras.Input(shape=(16, 16, 3)), layers.Flatten()])
)";
  const auto r = import_ok(text);
  CHECK(r.models == std::vector<std::string>{"encoder", "full", "small"});
  CHECK(r.model == "full");
  CHECK(names_of(r.network) == std::vector<std::string>{"conv2d", "head"});
  const auto e = import_ok(text, model_named("encoder"));
  CHECK(names_of(e.network) == std::vector<std::string>{"conv2d"});
  const auto s = import_ok(text, model_named("small"));
  CHECK(types_of(s.network) == std::vector<std::string>{"flatten"});
  CHECK(contains(import_error(text, model_named("decoder")),
                 "the code has no model named \"decoder\" (its models: encoder, full, small)"));
  CHECK(contains(import_error(text, model_named("inputs")), "\"inputs\" is a tensor, not a Keras model"));
}

TEST_CASE("each layer keeps its line: a value the contract refuses is reported there") {
  // Sequential: the layer's constructor line; functional: the call on the tensor.
  const std::string seq = "import keras\nfrom keras import layers\nmodel = keras.Sequential([\n"
                          "    keras.Input(shape=(8, 8, 1)),\n    layers.Conv2D(4, 3),\n    layers.Conv2D(0, 3),\n])\n";
  CHECK(contains(import_error(seq), "line 6"));
  const std::string fn = "import keras\nfrom keras import layers\nx = keras.Input(shape=(8, 8, 1))\n"
                         "conv = layers.Conv2D(0, 3)\ny = conv(x)\nmodel = keras.Model(x, y)\n";
  CHECK(contains(import_error(fn), "line 5"));
}

TEST_CASE("outside the subset: named by line and column, the network is the part before it") {
  const std::string head = "import keras\nfrom keras import layers\ninputs = keras.Input(shape=(28, 28, 1))\n"
                           "x = layers.Conv2D(8, 3)(inputs)\n";
  SUBCASE("a Lambda layer stops the reading after the layers before it") {
    const auto r = import_ok(head + "x = layers.Lambda(lambda t: t * 2)(x)\nx = layers.Flatten()(x)\n"
                                    "model = keras.Model(inputs, x)\n");
    CHECK(contains(r.stopped_at, "line 5: x = layers.Lambda(lambda t: t * 2)(x) — `layers.Lambda` is not a layer "
                                 "ConvScope models"));
    CHECK(types_of(r.network) == std::vector<std::string>{"conv"});
  }
  SUBCASE("channels_first stops at that layer") {
    const auto r = import_ok(head + "x = layers.MaxPooling2D(2, data_format=\"channels_first\")(x)\n"
                                    "model = keras.Model(inputs, x)\n");
    CHECK(contains(r.stopped_at, "line 5:"));
    CHECK(contains(r.stopped_at, "data_format='channels_first'"));
  }
  SUBCASE("an undefined name in model-building code is an error with line and column, not a skipped line") {
    const std::string e = import_error(head + "x = conv_block(x, 64)\nmodel = keras.Model(inputs, x)\n");
    CHECK(contains(e, "line 5, column 5: name 'conv_block' is not defined (line 5: x = conv_block(x, 64))"));
  }
  SUBCASE("a layer argument the reader cannot compute") {
    const auto r = import_ok(head + "import numpy as np\nx = layers.Conv2D(np.int32(8), 3)(x)\n"
                                    "model = keras.Model(inputs, x)\n");
    CHECK(contains(r.stopped_at, "line 6: x = layers.Conv2D(np.int32(8), 3)(x) — layers.Conv2D filters depends on"));
  }
  SUBCASE("a size left open asks for the input shape; given, it is used") {
    const std::string code = "import keras\nfrom keras import layers\ninputs = keras.Input(shape=(None, None, 3))\n"
                             "model = keras.Model(inputs, layers.Conv2D(8, 3)(inputs))\n";
    CHECK(contains(import_error(code), "line 3, column 10: keras.Input(shape=(None, None, 3)) leaves a size open (None)"));
    const auto r = import_ok(code, with_input({1, 40, 30, 3}));
    CHECK(outputs_of(analysed(r)).back() == std::vector<int64_t>{1, 38, 28, 8});
  }
  SUBCASE("a bad positional argument count") {
    CHECK(contains(import_error(head + "x = layers.Dense(10, None, True, 4, 5)(x)\nmodel = keras.Model(inputs, x)\n"),
                   "layers.Dense takes 3 positional arguments here, got 5"));
  }
  SUBCASE("a merge layer called on one tensor, a merge of a number") {
    CHECK(contains(import_error(head + "x = layers.Concatenate()(x)\nmodel = keras.Model(inputs, x)\n"),
                   "line 5, column 5: `concatenate` (Concatenate) is called on one tensor: a merge layer is called on a "
                   "list of tensors (layers.Concatenate()([a, b]))"));
    CHECK(contains(import_error(head + "x = layers.Add()([x, 3])\nmodel = keras.Model(inputs, x)\n"),
                   "layers.Add of 3: expected a list of tensors"));
  }
  SUBCASE("a Sequential added to itself ends in a message") {
    CHECK(contains(import_error("import keras\nfrom keras import layers\n"
                                "m = keras.Sequential([keras.Input(shape=(8, 8, 3)), layers.ReLU()])\nm.add(m)\n"),
                   "Sequential models nested more than 16 deep"));
  }
  SUBCASE("training and data code at the top level is skipped, and said") {
    const auto r = import_ok(head + "model = keras.Model(inputs, x)\nhistory = model.fit(data, epochs=3)\n"
                                    "for k in history.history:\n    print(k)\n");
    CHECK(r.stopped_at.empty());
    CHECK(contains(all_notes(r), "top-level code that does not build the model was not read (lines 6"));
  }
}

TEST_CASE("subclassing: a keras.Model's call() and a custom Layer's call() are read") {
  // TensorFlow's "quickstart for experts", as tensorflow.org writes it.
  const std::string quickstart = R"(import tensorflow as tf

from tensorflow.keras.layers import Dense, Flatten, Conv2D
from tensorflow.keras import Model

mnist = tf.keras.datasets.mnist

(x_train, y_train), (x_test, y_test) = mnist.load_data()
x_train, x_test = x_train / 255.0, x_test / 255.0

# Add a channels dimension
x_train = x_train[..., tf.newaxis].astype("float32")
x_test = x_test[..., tf.newaxis].astype("float32")

class MyModel(Model):
  def __init__(self):
    super().__init__()
    self.conv1 = Conv2D(32, 3, activation='relu')
    self.flatten = Flatten()
    self.d1 = Dense(128, activation='relu')
    self.d2 = Dense(10)

  def call(self, x):
    x = self.conv1(x)
    x = self.flatten(x)
    x = self.d1(x)
    return self.d2(x)

# Create an instance of the model
model = MyModel()

loss_object = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
)";
  CHECK(contains(import_error(quickstart), "line 30, column 9: MyModel is a subclassed keras.Model: it has no "
                                           "keras.Input to take the input shape from (nor a model.build(...)); give "
                                           "the input shape (line 30: model = MyModel())"));
  const auto r = import_ok(quickstart, with_input({1, 28, 28, 1}));
  CHECK(r.models == std::vector<std::string>{"model"});
  CHECK(names_of(r.network) == std::vector<std::string>{"conv2d", "flatten", "dense", "dense_1"});
  CHECK(outputs_of(analysed(r)) == std::vector<std::vector<int64_t>>{{1, 26, 26, 32}, {1, 21632}, {1, 128}, {1, 10}});

  const auto b = import_ok(quickstart + "model.build((None, 32, 32, 1))\n");
  CHECK(b.network.input == std::vector<int64_t>{1, 32, 32, 1});

  const auto c = import_ok(R"(import keras
from keras import layers

class ConvBlock(layers.Layer):
    def __init__(self, filters, **kwargs):
        super().__init__(**kwargs)
        self.conv = layers.Conv2D(filters, 3, padding="same")
        self.bn = layers.BatchNormalization()

    def call(self, inputs, training=False):
        return keras.activations.relu(self.bn(self.conv(inputs), training=training))

inputs = keras.Input(shape=(32, 32, 3))
x = ConvBlock(16)(inputs)
x = layers.MaxPooling2D()(x)
x = ConvBlock(32)(x)
model = keras.Model(inputs, x)
)");
  CHECK(types_of(c.network) == std::vector<std::string>{"conv", "batch_norm", "activation", "max_pool", "conv",
                                                        "batch_norm", "activation"});
  CHECK(outputs_of(analysed(c)).back() == std::vector<int64_t>{1, 16, 16, 32});
}

TEST_CASE("every example, ported to TensorFlow and exported as Keras code, reads back as the same network") {
  // The exporter writes names as identifiers (features.0 -> features_0) and
  // explicit pads as a ZeroPadding layer before the conv: each layer of the
  // port is found by its name and gives the same output.
  auto identifier = [](std::string s) {
    for (char& c : s)
      if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    return s;
  };
  size_t read = 0;
  for (const auto& f : std::filesystem::directory_iterator(test_support::source_dir() / "examples")) {
    const std::string name = f.path().filename().string();
    if (name == "index.json" || f.path().extension() != ".json") continue;
    CAPTURE(name);
    const auto a = test_support::analyse(test_support::read_text(f.path()));
    const cs::Network tf = cs::translate(a.net, cs::Framework::tensorflow).network;
    const std::string code = imp::keras_code(tf);
    CAPTURE(code);
    const auto r = import_ok(code);
    const auto expected = outputs_of(cs::analyze(tf, {false, false, 0}));
    const auto got_report = analysed(r);
    const auto got = outputs_of(got_report);
    size_t matched = 0;
    for (size_t k = 0; k < tf.layers.size(); ++k)
      for (size_t j = 0; j < r.network.layers.size(); ++j)
        if (r.network.layers[j].name == identifier(tf.layers[k].name)) {
          CAPTURE(tf.layers[k].name);
          CHECK(got[j] == expected[k]);
          ++matched;
        }
    CHECK(matched == tf.layers.size());
    CHECK(got.back() == expected.back());
    CHECK(got_report.ok == cs::analyze(tf, {false, false, 0}).ok);
    ++read;
  }
  CHECK(read == 16);
}
