// The same network under PyTorch, TensorFlow/Keras and ONNX: how a port is
// spelled (translate.cpp) and which rows the three part on (compare.cpp).
// The real frameworks' answers for these networks are checked in
// tests/conformance/compare_frameworks.test.mjs.
#include <doctest/doctest.h>

#include <string>

#include "convscope/compare.hpp"
#include "convscope/json.hpp"
#include "convscope/network_json.hpp"
#include "convscope/translate.hpp"
#include "test_support.hpp"

using namespace convscope;

namespace {

Network parsed(const std::string& text) {
  Network net;
  std::string error;
  INFO(error);
  REQUIRE(network_json::parse(text, net, error));
  return net;
}

// The port in canonical JSON, and the JSON parses again (a port is a network
// the user can open).
std::string port_json(const std::string& text, Framework to) {
  const Translation t = translate(parsed(text), to);
  const std::string json = json::write(network_json::to_json(t.network), -1);
  Network again;
  std::string error;
  INFO(json << " " << error);
  CHECK(network_json::parse(json, again, error));
  return json;
}

bool any_note_has(const Translation& t, const std::string& part) {
  for (const TranslationNote& n : t.notes)
    if (n.text.find(part) != std::string::npos) return true;
  return false;
}

const CompareRow& row_named(const Comparison& c, const Network& net, const std::string& name) {
  for (const CompareRow& r : c.rows)
    if (net.layers[r.layer].name == name) return r;
  FAIL("no row " << name);
  return c.rows[0];
}

}  // namespace

TEST_CASE("a port to the same framework is the network itself") {
  const std::string net = R"({"framework":"pytorch","input":[1,3,8,8],"layers":[{"type":"conv","filters":4,"kernel":3}]})";
  const Translation t = translate(parsed(net), Framework::pytorch);
  CHECK(t.notes.empty());
  CHECK(json::write(network_json::to_json(t.network), -1) == json::write(network_json::to_json(parsed(net)), -1));
}

TEST_CASE("layout: the input shape and concat axes move between NCHW and NHWC") {
  const std::string net = R"({"framework":"pytorch","input":[1,3,16,12],"layers":[
    {"type":"conv","name":"a","filters":4,"kernel":3,"padding":1},
    {"type":"conv","name":"b","filters":6,"kernel":1,"inputs":["input"]},
    {"type":"concat","name":"cat","inputs":["a","b"]},
    {"type":"concat","name":"rows","inputs":["a","a"],"axis":2}]})";
  const std::string tf = port_json(net, Framework::tensorflow);
  CHECK(tf.find(R"("input":[1,16,12,3])") != std::string::npos);
  // PyTorch's dim=1 (channels) is Keras's default axis -1; dim=2 (H) is axis 1.
  CHECK(tf.find(R"({"type":"concat","name":"cat","inputs":["a","b"]})") != std::string::npos);
  CHECK(tf.find(R"("name":"rows","inputs":["a","a"],"axis":1)") != std::string::npos);
  // And back.
  const Comparison c = compare(parsed(net));
  CHECK(c.differing == 0);
  CHECK(*c.reports[1].layers[3].output == Shape{1, 32, 12, 4});
  CHECK(*c.reports[0].layers[3].output == Shape{1, 4, 32, 12});
}

TEST_CASE("padding: ints, 'same' and explicit pairs in each framework's spelling") {
  // PyTorch padding=1 with a 3x3 kernel at stride 1 is Keras's 'same'.
  CHECK(port_json(R"({"framework":"pytorch","input":[1,3,8,8],"layers":[{"type":"conv","filters":4,"kernel":3,"padding":1}]})",
                  Framework::tensorflow)
            .find(R"("padding":"same")") != std::string::npos);
  // TensorFlow 'same' at stride 2 on an even input pads (0, 1): PyTorch has no
  // 'same' with a stride, so the pads are written out, with a note.
  const std::string tf = R"({"framework":"tensorflow","input":[1,8,8,3],"layers":[
    {"type":"conv","filters":4,"kernel":3,"stride":2,"padding":"same"}]})";
  const Translation pt = translate(parsed(tf), Framework::pytorch);
  CHECK(any_note_has(pt, "PyTorch has no 'same' with a stride above 1"));
  const std::string pt_json = json::write(network_json::to_json(pt.network), -1);
  CHECK(pt_json.find(R"("type":"zero_pad")") != std::string::npos);
  CHECK(pt_json.find(R"("padding":[[0,1],[0,1]])") != std::string::npos);
  // ONNX writes TensorFlow's 'same' as SAME_UPPER, the same rule.
  CHECK(port_json(tf, Framework::onnx).find(R"("padding":"same")") != std::string::npos);
  // ONNX SAME_LOWER has no Keras spelling: its pads at this size, written out.
  const Translation k = translate(
      parsed(R"({"framework":"onnx","input":[1,3,8,8],"layers":[{"type":"conv","filters":4,"kernel":2,"padding":"same_lower"}]})"),
      Framework::tensorflow);
  CHECK(any_note_has(k, "no SAME_LOWER"));
  CHECK(json::write(network_json::to_json(k.network), -1).find(R"("padding":[[1,0],[1,0]])") != std::string::npos);
}

TEST_CASE("pooling: the stride default is written out, and ceil mode becomes end padding in Keras") {
  // PyTorch's stride defaults to the kernel, ONNX's to 1.
  const std::string pt = R"({"framework":"pytorch","input":[1,3,7,7],"layers":[{"type":"max_pool","kernel":2,"ceil_mode":true}]})";
  CHECK(port_json(pt, Framework::onnx).find(R"("stride":2)") != std::string::npos);
  const Translation tf = translate(parsed(pt), Framework::tensorflow);
  CHECK(any_note_has(tf, "Keras has no ceil_mode"));
  const Comparison c = compare(parsed(pt));
  CHECK(c.differing == 0);
  CHECK(*c.reports[1].output == Shape{1, 4, 4, 3});
}

TEST_CASE("transposed conv: PyTorch's padding becomes a crop after a Keras Conv2DTranspose") {
  const std::string pt = R"({"framework":"pytorch","input":[1,8,5,5],"layers":[
    {"type":"conv_transpose","name":"up","filters":4,"kernel":3,"stride":2,"padding":1}]})";
  const Translation tf = translate(parsed(pt), Framework::tensorflow);
  REQUIRE(tf.network.layers.size() == 2);
  CHECK(tf.network.layers[1].type == LayerType::crop);
  CHECK(tf.network.layers[1].name == "up");  // the crop computes PyTorch's "up"
  const Comparison c = compare(parsed(pt));
  CHECK(c.differing == 0);
  CHECK(*c.reports[1].output == Shape{1, 9, 9, 4});
  // Keras 'same' with a 3x3 stride-2 kernel crops TensorFlow's padding (0, 1)
  // from the full output: PyTorch's padding=1, output_padding=1 has the same
  // size but crops (1, 0), so the port crops instead.
  const std::string keras = R"({"framework":"tensorflow","input":[1,5,5,8],"layers":[
    {"type":"conv_transpose","filters":4,"kernel":3,"stride":2,"padding":"same"}]})";
  const std::string back = port_json(keras, Framework::pytorch);
  CHECK(back.find(R"("type":"crop","name":"conv2d_transpose","cropping":[[0,1],[0,1]])") != std::string::npos);
  CHECK(compare(parsed(keras)).differing == 0);
}

TEST_CASE("global and adaptive pooling: keepdims and PyTorch's adaptive sizes") {
  const Translation pt = translate(
      parsed(R"({"framework":"tensorflow","input":[1,7,7,8],"layers":[{"type":"global_avg_pool","name":"gap"},{"type":"dense","units":3}]})"),
      Framework::pytorch);
  REQUIRE(pt.network.layers.size() == 3);
  CHECK(pt.network.layers[1].type == LayerType::flatten);
  CHECK(pt.network.layers[1].name == "gap");
  const Translation onnx = translate(
      parsed(R"({"framework":"pytorch","input":[1,8,12,12],"layers":[{"type":"adaptive_avg_pool","output_size":4}]})"),
      Framework::onnx);
  CHECK(onnx.network.layers[0].type == LayerType::avg_pool);
  CHECK(onnx.network.layers[0].kernel == std::vector<int64_t>{3, 3});
  CHECK(any_note_has(onnx, "divides evenly"));
}

TEST_CASE("the rows the frameworks part on, with the rule and the numbers") {
  SUBCASE("PyTorch refuses 'same' with a stride; TensorFlow and ONNX pad to ceil(in / stride)") {
    const Network net = parsed(
        R"({"framework":"pytorch","input":[1,3,9,9],"layers":[{"type":"conv","name":"c","filters":4,"kernel":3,"stride":2,"padding":"same"}]})");
    const Comparison c = compare(net);
    CHECK(c.differing == 1);
    const CompareRow& r = row_named(c, net, "c");
    CHECK(r.differs == std::vector<std::string>{"verdict"});
    CHECK(r.cells[0].status == Status::error);
    CHECK(r.cells[0].error_text == "padding='same' is not supported for strided convolutions");
    CHECK(*r.cells[1].output == Shape{1, 5, 5, 4});
    CHECK(r.rule.find("TensorFlow/Keras and ONNX: ceil(9 / 2) = 5") != std::string::npos);
  }
  SUBCASE("a window longer than the input: PyTorch floors, ONNX Runtime truncates and runs it") {
    const Network net =
        parsed(R"({"framework":"pytorch","input":[1,3,4,4],"layers":[{"type":"max_pool","name":"p","kernel":5,"stride":2}]})");
    const Comparison c = compare(net);
    const CompareRow& r = row_named(c, net, "p");
    CHECK(r.differs == std::vector<std::string>{"verdict"});
    CHECK(r.cells[2].runtime_runs);
    CHECK(r.rule.find("PyTorch: floor((4 - 5) / 2) + 1 = 0 -> fails") == 0);
    CHECK(r.rule.find("ONNX: floor((4 - 5) / 2) + 1 = 0 -> fails by the spec; no error: ONNX Runtime runs this node and "
                      "outputs [1, 3, 1, 1]") != std::string::npos);
  }
  SUBCASE("PyTorch refuses pool padding beyond half the window; TensorFlow and ONNX run it") {
    const Network net = parsed(
        R"({"framework":"onnx","input":[1,3,8,8],"layers":[{"type":"max_pool","name":"p","kernel":3,"stride":1,"padding":2}]})");
    const Comparison c = compare(net);
    const CompareRow& r = row_named(c, net, "p");
    CHECK(r.differs == std::vector<std::string>{"verdict"});
    CHECK(r.cells[0].status == Status::error);
    CHECK(r.cells[0].error_text.find("pad should be at most half of effective kernel size") != std::string::npos);
    CHECK(*r.cells[1].output == Shape{1, 10, 10, 3});
  }
  SUBCASE("ONNX Runtime's pooling SAME from the undilated kernel is a warning of the ONNX column only") {
    const Network net = parsed(R"({"framework":"onnx","input":[1,3,9,9],"layers":[
      {"type":"max_pool","name":"p","kernel":2,"stride":1,"dilation":2,"padding":"same"}]})");
    const Comparison c = compare(net);
    const CompareRow& r = row_named(c, net, "p");
    CHECK(r.differs == std::vector<std::string>{"warning"});
    CHECK(r.cells[0].status == Status::ok);
    CHECK(r.cells[2].status == Status::warning);
    CHECK(r.cells[2].message.find("outputs [1, 3, 8, 8] instead of [1, 3, 9, 9]") != std::string::npos);
  }
}

TEST_CASE("networks that mean the same in all three report no difference") {
  for (const char* name : {"conv2d_3", "lenet5", "vgg_block", "resnet_stem", "resnet18", "unet_padded", "unet_original",
                           "inception_block", "densenet_block", "fpn_topdown", "residual_forgot_stride"}) {
    INFO(name);
    const Network net = parsed(test_support::example_text(std::string(name) + ".json"));
    const Comparison c = compare(net);
    CHECK(c.differing == 0);
    // The three verdicts are the same, and so is the failing layer.
    CHECK(c.reports[0].ok == c.reports[1].ok);
    CHECK(c.reports[0].ok == c.reports[2].ok);
    const std::string table = comparison_table(c, net);
    CHECK(table.find("The three frameworks agree on every layer.") != std::string::npos);
  }
}

TEST_CASE("compare JSON names every framework's verdict and port") {
  const Network net = parsed(test_support::example_text("conv2d_3.json"));
  const json::Value v = comparison_to_json(compare(net), net);
  CHECK(v.find("source")->as_string() == "tensorflow");
  const auto& fws = v.find("frameworks")->as_array();
  REQUIRE(fws.size() == 3);
  for (const json::Value& f : fws) CHECK(f.find("verdict")->as_string() == "fails at conv2d_3");
  CHECK(fws[1].find("source")->as_bool());
  CHECK(v.find("rows")->as_array().size() == net.layers.size());
}
