// Keras functional models with merges (Keras 2 and Keras 3 to_json()):
// Add, Subtract, Multiply (a broadcast gate), Average, Maximum, Minimum and
// Concatenate read with every input from inbound_nodes; a nested model read
// in its own scope; what ConvScope cannot read (shared layers, a second
// input, a nested model with two outputs) refused with the JSON path.
#include <doctest/doctest.h>

#include <string>

#include "convscope/analyze.hpp"
#include "import_support.hpp"

using namespace import_support;
using test_support::contains;

namespace {

cs::Report analysed(const imp::ImportResult& r) { return cs::analyze(r.network, {false, false, 0}); }

// A Keras 2 functional model from its layers (each [class, name, config JSON, inbound names]).
std::string keras2(const std::string& layers, const std::string& outputs = R"([["out", 0, 0]])") {
  return R"({"class_name": "Functional", "keras_version": "2.12.0", "config": {"name": "m", "layers": [)" + layers +
         R"(], "input_layers": [["x", 0, 0]], "output_layers": )" + outputs + "}}";
}

const char* const kInput =
    R"({"class_name": "InputLayer", "config": {"batch_input_shape": [null, 8, 8, 4], "name": "x"}, "name": "x", "inbound_nodes": []})";

std::string layer(const std::string& cls, const std::string& name, const std::string& config, const std::string& inbound) {
  return R"(, {"class_name": ")" + cls + R"(", "name": ")" + name + R"(", "config": {"name": ")" + name + "\"" +
         (config.empty() ? "" : ", " + config) + R"(}, "inbound_nodes": [[)" + inbound + "]]}";
}

}  // namespace

TEST_CASE("tf.keras 2: every merge layer, a broadcast gate and a nested Sequential head") {
  const auto r = import_ok(fixture("keras2_graph.json"));
  CHECK(types_of(r.network) ==
        std::vector<std::string>{"conv", "conv", "add", "conv", "subtract", "global_avg_pool", "conv", "multiply",
                                 "average", "maximum", "minimum", "max_pool", "upsample", "concat", "conv",
                                 "global_avg_pool", "dense"});
  const auto& L = r.network.layers;
  CHECK(L[2].inputs == std::vector<int32_t>{0, 1});
  CHECK(L[7].inputs == std::vector<int32_t>{4, 6});
  CHECK(L[13].inputs == std::vector<int32_t>{12, 0});
  CHECK(L[14].name == "conv2d_4");  // the nested model's first layer reads the concatenate
  CHECK(contains(all_notes(r), "nested model \"head\" read layer by layer"));
  const cs::Report report = analysed(r);
  CHECK(report.ok);
  CHECK(report.layers[7].arriving[1] == cs::Shape{1, 1, 1, 16});
  CHECK(report.output == cs::Shape{1, 10});
}

TEST_CASE("Keras 3: a U-Net at 100x100 whose Concatenate fails with Keras' own message") {
  const auto r = import_ok(fixture("keras3_unet_concat.json"));
  CHECK(r.network.layers[8].type == cs::LayerType::concat);
  CHECK(r.network.layers[8].inputs == std::vector<int32_t>{7, 4});
  const cs::Report report = analysed(r);
  REQUIRE(report.first_error);
  CHECK(*report.first_error == 8);
  CHECK(report.layers[8].framework_errors[0].text ==
        "A `Concatenate` layer requires inputs with matching shapes except for the concatenation axis. Received: "
        "input_shape=[(None, 24, 24, 64), (None, 25, 25, 32)]");
}

TEST_CASE("Keras functional graphs: nested Functional models, one-input merges, channels_first concat axes") {
  SUBCASE("a nested Functional model in its own scope, its output the layer it names") {
    const std::string nested =
        R"(, {"class_name": "Functional", "name": "block", "config": {"name": "block", "layers": [
             {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 8, 8, 4], "name": "bx"}, "name": "bx", "inbound_nodes": []},
             {"class_name": "Conv2D", "name": "c", "config": {"name": "c", "filters": 4, "kernel_size": 3, "padding": "same"}, "inbound_nodes": [[["bx", 0, 0, {}]]]},
             {"class_name": "Add", "name": "a", "config": {"name": "a"}, "inbound_nodes": [[["bx", 0, 0, {}], ["c", 0, 0, {}]]]}],
             "input_layers": [["bx", 0, 0]], "output_layers": [["a", 0, 0]]}, "inbound_nodes": [[["x", 0, 0, {}]]]})";
    const auto r = import_ok(keras2(kInput + nested + layer("ReLU", "out", "", R"(["block", 0, 0, {}])")));
    CHECK(types_of(r.network) == std::vector<std::string>{"conv", "add", "relu"});
    CHECK(r.network.layers[1].inputs == std::vector<int32_t>{cs::kNetworkInput, 0});
    CHECK(analysed(r).ok);
  }
  SUBCASE("a merge of one input is that input") {
    const auto r = import_ok(keras2(kInput + layer("Concatenate", "cat", "", R"(["x", 0, 0, {}])") +
                                    layer("ReLU", "out", "", R"(["cat", 0, 0, {}])")));
    CHECK(types_of(r.network) == std::vector<std::string>{"relu"});
  }
  SUBCASE("channels_first: Concatenate(axis=1) concatenates channels, the last axis in ConvScope's layout") {
    const std::string first =
        R"({"class_name": "InputLayer", "config": {"batch_input_shape": [null, 4, 8, 8], "name": "x"}, "name": "x", "inbound_nodes": []})";
    const auto r = import_ok(
        keras2(first +
               layer("Conv2D", "c", R"("filters": 2, "kernel_size": 1, "data_format": "channels_first")", R"(["x", 0, 0, {}])") +
               layer("Concatenate", "out", R"("axis": 1)", R"(["x", 0, 0, {}], ["c", 0, 0, {}])")));
    CHECK(r.network.layers[1].axis == 3);
    CHECK(analysed(r).output == cs::Shape{1, 8, 8, 6});
  }
}

TEST_CASE("what a Keras graph import cannot read is refused naming the JSON path") {
  SUBCASE("a shared layer (called twice)") {
    const std::string shared =
        R"(, {"class_name": "Conv2D", "name": "out", "config": {"name": "out", "filters": 4, "kernel_size": 1}, "inbound_nodes": [[["x", 0, 0, {}]], [["x", 0, 0, {}]]]})";
    CHECK(import_error(keras2(kInput + shared)) ==
          "config.layers[1].inbound_nodes: layer \"out\" is called 2 times; ConvScope reads each layer once (shared "
          "layers are not modelled)");
  }
  SUBCASE("a second input") {
    const std::string second =
        R"(, {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 8, 8, 4], "name": "y"}, "name": "y", "inbound_nodes": []})";
    CHECK(import_error(keras2(kInput + second + layer("Add", "out", "", R"(["x", 0, 0, {}], ["y", 0, 0, {}])"))) ==
          "config.layers[1]: a second input, \"y\"; ConvScope's network has one input");
  }
  SUBCASE("a layer reading one that does not exist") {
    CHECK(import_error(keras2(kInput + layer("ReLU", "out", "", R"(["ghost", 0, 0, {}])"))) ==
          "config.layers[1].inbound_nodes: layer \"out\" reads \"ghost\", which is not an earlier layer of the model");
  }
  SUBCASE("a single-input class given two inputs") {
    CHECK(import_error(keras2(kInput + layer("ReLU", "out", "", R"(["x", 0, 0, {}], ["x", 0, 0, {}])"))) ==
          "config.layers[1].inbound_nodes: layer \"out\" (ReLU) takes 2 inputs; ConvScope reads it with one");
  }
  SUBCASE("a nested model with two outputs") {
    const std::string nested =
        R"(, {"class_name": "Functional", "name": "out", "config": {"name": "out", "layers": [
             {"class_name": "InputLayer", "config": {"name": "bx"}, "name": "bx", "inbound_nodes": []},
             {"class_name": "ReLU", "name": "p", "config": {"name": "p"}, "inbound_nodes": [[["bx", 0, 0, {}]]]},
             {"class_name": "ReLU", "name": "q", "config": {"name": "q"}, "inbound_nodes": [[["bx", 0, 0, {}]]]}],
             "input_layers": [["bx", 0, 0]], "output_layers": [["p", 0, 0], ["q", 0, 0]]}, "inbound_nodes": [[["x", 0, 0, {}]]]})";
    CHECK(import_error(keras2(kInput + nested)) ==
          "config.layers[1].config.output_layers: nested model \"out\" has 2 outputs; ConvScope reads nested models "
          "with one input and one output");
  }
}
