// torchvision's families from their print(model) text against PyTorch's own
// run. make_models.py writes NAME.txt = str(model) beside the forward-hook
// truth (every module call's output shape, the output, the parameters); this
// test imports each text at 1x3x224x224, where torchvision's blocks are read
// as the graphs their forward() builds (torchvision_blocks.cpp), compares
// every module call's output shape, the model's output and the parameter
// count, and prints a table. ShuffleNet V2's InvertedResidual is read with
// its channel split and shuffle (channel_split, channel_shuffle). Two wrong ResNets
// must fail where PyTorch fails, with PyTorch's text.
#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "convscope/analyze.hpp"
#include "convscope/api.hpp"
#include "import_support.hpp"
#include "real_models_support.hpp"

using namespace import_support;
using namespace real_models;
using test_support::contains;

namespace {

const std::vector<std::string> kFamilies = {
    "alexnet",      "vgg11",          "resnet18",           "resnet50",           "mobilenet_v2",
    "mobilenet_v3_small", "mobilenet_v3_large", "squeezenet1_0", "densenet121", "googlenet",
    "shufflenet_v2_x1_0", "efficientnet_b0", "regnet_y_400mf", "mnasnet0_5"};

struct Row {
  std::string model, output, params, verdict;
  size_t layers = 0, compared = 0, matched = 0, not_reached = 0, no_layer = 0;
};

// The layer that computes one call of a module: the layer of that name (a
// second call gets torch's suffix, relu_1), else for a container the last
// layer inside it (a wired block's output is its last layer).
std::optional<size_t> layer_of(const cs::Network& net, const std::string& module, int64_t call) {
  const std::string name = call ? module + "_" + std::to_string(call) : module;
  std::optional<size_t> inside;
  for (size_t k = 0; k < net.layers.size(); ++k) {
    if (net.layers[k].name == name) return k;
    if (call == 0 && net.layers[k].name.compare(0, module.size() + 1, module + ".") == 0) inside = k;
  }
  return inside;
}

std::string corpus_text(const std::string& name) {
  const std::string text = test_support::read_text(corpus_dir() / (name + ".txt"));
  // The committed copy is the one the page and the other tests can use: it
  // must be what make_models.py writes.
  CHECK(test_support::read_text(test_support::source_dir() / "tests" / "fixtures" / "models" / (name + ".txt")) ==
        text);
  return text;
}

imp::ImportResult imported(const std::string& name) {
  return import_ok(corpus_text(name), with_input({1, 3, 224, 224}));
}

Row check_family(const std::string& name) {
  Row row;
  row.model = name;
  const json::Value truth = read_json(corpus_dir() / (name + ".json"));
  const imp::ImportResult r = imported(name);
  CHECK(r.format == imp::Format::pytorch_repr);
  const cs::Report report = cs::analyze(r.network, {false, false, 0, false});
  row.layers = r.network.layers.size();
  const bool stopped = !r.stopped_at.empty();
  std::set<std::string> called;
  int64_t used_params = 0;  // parameters of the modules forward() calls in eval
  for (const auto& call : truth.find("calls")->as_array()) {
    const std::string module = call.find("module")->as_string();
    const std::string cls = call.find("class")->as_string();
    const cs::Shape expected = shape_of(*call.find("shape"));
    if (called.insert(module).second) used_params += call.find("params")->as_int();
    if (module.empty()) continue;  // the whole model: its output is checked below
    const std::optional<size_t> k = layer_of(r.network, module, call.find("call")->as_int());
    if (!k) {
      if (stopped) {
        ++row.not_reached;
        continue;
      }
      // Only modules that are the identity in eval may have no layer.
      INFO(name << ": module " << module << " (" << cls << ") has no layer in the import");
      CHECK((cls == "StochasticDepth" || cls == "Identity"));
      ++row.no_layer;
      continue;
    }
    ++row.compared;
    const std::optional<cs::Shape>& got = report.layers[*k].output;
    if (got == expected) ++row.matched;
    INFO(name << ": module " << module << " call " << call.find("call")->as_int() << " (" << cls << ") at layer "
              << r.network.layers[*k].name << ": PyTorch " << shape_str(expected) << ", ConvScope " << shape_str(got));
    CHECK(got == expected);
  }
  const cs::Shape output = shape_of(*truth.find("output"));
  const int64_t pytorch_params = truth.find("pytorch_params")->as_int();
  row.output = shape_str(report.output);
  if (stopped) {
    row.verdict = "stopped at " + r.stopped_at.substr(0, r.stopped_at.find(':'));
    row.params = "-";
    CHECK(report.ok);  // the part before the stop is valid
    return row;
  }
  CHECK(report.ok);
  CHECK(report.output == output);
  REQUIRE(report.total_params);
  CHECK(*report.total_params == used_params);
  row.params = std::to_string(*report.total_params) +
               (used_params == pytorch_params ? " = PyTorch's"
                                              : " (PyTorch " + std::to_string(pytorch_params) +
                                                    " incl. modules unused in eval)");
  const bool exact = report.ok && row.matched == row.compared && report.output == output &&
                     *report.total_params == used_params;
  row.verdict = exact ? "exact" : "DIFFERS";
  return row;
}

std::string table(const std::vector<Row>& rows) {
  std::ostringstream t;
  t << std::left << std::setw(20) << "family" << std::setw(8) << "layers" << std::setw(28) << "modules equal"
    << std::setw(18) << "output" << std::setw(52) << "exact?" << "parameters\n";
  for (const Row& r : rows) {
    std::string modules = std::to_string(r.matched) + "/" + std::to_string(r.compared);
    if (r.no_layer) modules += " (+" + std::to_string(r.no_layer) + " identity)";
    if (r.not_reached) modules += " (+" + std::to_string(r.not_reached) + " after)";
    t << std::setw(20) << r.model << std::setw(8) << r.layers << std::setw(28) << modules << std::setw(18) << r.output
      << std::setw(52) << r.verdict << r.params << "\n";
  }
  return t.str();
}

}  // namespace

TEST_CASE("print(model) of torchvision's families: every module's shape, the output and the parameters against "
          "PyTorch's own run, ShuffleNet V2's channel split and shuffle included") {
  ensure_corpus();
  std::vector<Row> rows;
  for (const std::string& name : kFamilies) {
    CAPTURE(name);
    rows.push_back(check_family(name));
  }
  for (const Row& row : rows) {
    CAPTURE(row.model);
    CHECK(row.verdict == "exact");
    CHECK(row.not_reached == 0u);
    // StochasticDepth (the identity in eval) runs only in the 9 MBConvs with a residual add.
    CHECK(row.no_layer == (row.model == "efficientnet_b0" ? 9u : 0u));
  }
  const std::string text = table(rows);
  std::ofstream(corpus_dir() / "print_model_table.txt") << text;
  std::cout << "\n" << text << std::flush;
}

TEST_CASE("print(model) of a ShuffleNet V2 reads each InvertedResidual as torchvision's forward() builds it") {
  ensure_corpus();
  const imp::ImportResult r = imported("shufflenet_v2_x1_0");
  CHECK(r.stopped_at.empty());
  const cs::Network& net = r.network;
  const auto at = [&](const std::string& name) -> const cs::Layer& {
    for (const cs::Layer& l : net.layers)
      if (l.name == name) return l;
    FAIL("no layer " << name);
    return net.layers.front();
  };
  const auto input_name = [&](const cs::Layer& l, size_t k) {
    const size_t i = static_cast<size_t>(&l - net.layers.data());
    return cs::input_label(net, cs::inputs_of(net, i)[k]);
  };
  SUBCASE("stride 2 (stage2.0): torch.cat of branch1(x) and branch2(x), then the shuffle") {
    const cs::Layer& cat = at("stage2.0.cat");
    CHECK(cat.type == cs::LayerType::concat);
    CHECK(input_name(cat, 0) == "stage2.0.branch1.4");
    CHECK(input_name(cat, 1) == "stage2.0.branch2.7");
    CHECK(input_name(at("stage2.0.branch1.0"), 0) == "maxpool");
    CHECK(input_name(at("stage2.0.branch2.0"), 0) == "maxpool");
    const cs::Layer& shuffle = at("stage2.0.channel_shuffle");
    CHECK(shuffle.type == cs::LayerType::channel_shuffle);
    CHECK(shuffle.groups == 2);
  }
  SUBCASE("stride 1 (stage2.1): the halves of x.chunk(2, dim=1), branch2 on the second, torch.cat, shuffle") {
    const cs::Layer& first = at("stage2.1.chunk.0");
    const cs::Layer& second = at("stage2.1.chunk.1");
    CHECK(first.type == cs::LayerType::channel_split);
    CHECK((first.chunks == 2 && first.index == 0 && second.chunks == 2 && second.index == 1));
    CHECK(input_name(first, 0) == "stage2.0.channel_shuffle");
    CHECK(input_name(second, 0) == "stage2.0.channel_shuffle");
    CHECK(input_name(at("stage2.1.branch2.0"), 0) == "stage2.1.chunk.1");
    const cs::Layer& cat = at("stage2.1.cat");
    CHECK(input_name(cat, 0) == "stage2.1.chunk.0");
    CHECK(input_name(cat, 1) == "stage2.1.branch2.7");
  }
  CHECK(contains(all_notes(r), "InvertedResidual (ShuffleNetV2) x16"));
  // Complete: the CLI and the page get no `partial`.
  const convscope::api::Result api = convscope::api::import_text(corpus_text("shufflenet_v2_x1_0"), "1x3x224x224", "");
  CHECK(api.exit_code == 0);
  CHECK_FALSE(api.partial);
}

TEST_CASE("print(model) of wrong ResNets fails where PyTorch fails, with PyTorch's text") {
  ensure_corpus();
  struct Case {
    const char* model;
    const char* layer;
  };
  for (const Case& c : {Case{"resnet18_wrong_stride", "layer2.0.add"}, Case{"resnet18_wrong_channels", "layer3.1.conv1"}}) {
    CAPTURE(c.model);
    const json::Value truth = read_json(corpus_dir() / (std::string(c.model) + ".json"));
    const imp::ImportResult r = imported(c.model);
    const cs::Report report = cs::analyze(r.network, {false, false, 0, false});
    REQUIRE(report.first_error);
    const cs::LayerReport& failing = report.layers[*report.first_error];
    CHECK(failing.name == c.layer);
    REQUIRE_FALSE(failing.framework_errors.empty());
    CHECK(failing.framework_errors[0].source == "PyTorch");
    CHECK(failing.framework_errors[0].text == truth.find("error")->as_string());
    // Every module PyTorch ran before the error has the same shape here.
    size_t compared = 0;
    for (const auto& call : truth.find("calls")->as_array()) {
      const std::string module = call.find("module")->as_string();
      const std::optional<size_t> k = layer_of(r.network, module, call.find("call")->as_int());
      if (!k || *k >= *report.first_error) continue;  // a container whose last layer comes after the error
      INFO("module " << module);
      CHECK(report.layers[*k].output == shape_of(*call.find("shape")));
      ++compared;
    }
    CHECK(compared > 20);
  }
}

TEST_CASE("a user's block is not torchvision's: recognised by class name and children, else read in print order") {
  SUBCASE("a BasicBlock with an extra child keeps the old reading: print order, downsample left out") {
    const std::string text =
        "Net(\n"
        "  (block): BasicBlock(\n"
        "    (conv1): Conv2d(3, 8, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), bias=False)\n"
        "    (bn1): BatchNorm2d(8, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)\n"
        "    (relu): ReLU(inplace=True)\n"
        "    (conv2): Conv2d(8, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), bias=False)\n"
        "    (bn2): BatchNorm2d(8, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)\n"
        "    (extra): ReLU()\n"
        "    (downsample): Sequential(\n"
        "      (0): Conv2d(3, 8, kernel_size=(1, 1), stride=(2, 2), bias=False)\n"
        "    )\n"
        "  )\n"
        ")\n";
    const auto r = import_ok(text, with_input({1, 3, 16, 16}));
    CHECK(types_of(r.network) == std::vector<std::string>{"conv", "batch_norm", "relu", "conv", "batch_norm", "relu"});
    const std::string notes = all_notes(r);
    CHECK(contains(notes, "not torchvision's: read in print order: \"block\" (BasicBlock: torchvision's has conv1, "
                          "bn1, relu, conv2, bn2, optional downsample)"));
    CHECK(contains(notes, "residual branches left out"));
    CHECK(contains(notes, "\"block.downsample\" (BasicBlock's downsample)"));
  }
  SUBCASE("a class of another name with a downsample child is a user's block: its branch is listed, not added") {
    const std::string text =
        "Net(\n"
        "  (block): MyBlock(\n"
        "    (conv1): Conv2d(3, 8, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), bias=False)\n"
        "    (downsample): Conv2d(3, 8, kernel_size=(1, 1), stride=(2, 2), bias=False)\n"
        "  )\n"
        ")\n";
    const auto r = import_ok(text, with_input({1, 3, 16, 16}));
    CHECK(types_of(r.network) == std::vector<std::string>{"conv"});
    CHECK(contains(all_notes(r), "custom blocks read in print order: \"block\" (MyBlock)"));
  }
  SUBCASE("torchvision's BasicBlock, alone, is its graph: the add and the second relu") {
    const std::string text =
        "BasicBlock(\n"
        "  (conv1): Conv2d(8, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), bias=False)\n"
        "  (bn1): BatchNorm2d(8, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)\n"
        "  (relu): ReLU(inplace=True)\n"
        "  (conv2): Conv2d(8, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), bias=False)\n"
        "  (bn2): BatchNorm2d(8, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)\n"
        ")\n";
    const auto r = import_ok(text, with_input({1, 8, 16, 16}));
    CHECK(types_of(r.network) ==
          std::vector<std::string>{"conv", "batch_norm", "relu", "conv", "batch_norm", "add", "relu"});
    CHECK(r.network.layers[6].name == "relu_1");
  }
}

TEST_CASE("print(model) names with a dash that are no collapsed range (RegNet's block1-0) parse as names") {
  const std::string text =
      "AnyStage(\n"
      "  (block1-0): Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))\n"
      ")\n";
  const auto r = import_ok(text, with_input({1, 3, 8, 8}));
  REQUIRE(r.network.layers.size() == 1);
  CHECK(r.network.layers[0].name == "block1-0");
}

TEST_CASE("PyTorch 2's collapsed repeats (\"(1-2): 2 x BasicBlock(\") read as the same graph as the blocks written out") {
  const auto block = [](const std::string& head, const std::string& pad) {
    return pad + head + "\n" + pad + "  (conv1): Conv2d(8, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), bias=False)\n" +
           pad + "  (bn1): BatchNorm2d(8, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)\n" + pad +
           "  (relu): ReLU(inplace=True)\n" + pad +
           "  (conv2): Conv2d(8, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), bias=False)\n" + pad +
           "  (bn2): BatchNorm2d(8, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)\n" + pad + ")\n";
  };
  const std::string head = "Net(\n  (stem): Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))\n  (layer1): Sequential(\n";
  const std::string tail = "  )\n  (head): Conv2d(8, 2, kernel_size=(1, 1), stride=(1, 1))\n)\n";
  const std::string written = head + block("(0): BasicBlock(", "    ") + block("(1): BasicBlock(", "    ") +
                              block("(2): BasicBlock(", "    ") + tail;
  const std::string collapsed =
      head + block("(0): BasicBlock(", "    ") + block("(1-2): 2 x BasicBlock(", "    ") + tail;
  const auto a = import_ok(written, with_input({1, 3, 16, 16}));
  const auto b = import_ok(collapsed, with_input({1, 3, 16, 16}));
  const std::vector<std::string> types = types_of(a.network);
  CHECK(types.size() == 23);  // stem, 3 x (7 with the add and relu_1), head
  CHECK(std::count(types.begin(), types.end(), "add") == 3);
  CHECK(layers_json(b.network) == layers_json(a.network));
  const cs::Report report = cs::analyze(b.network, {false, false, 0, false});
  CHECK(report.ok);
  CHECK(report.output == cs::Shape{1, 2, 16, 16});
}

TEST_CASE("print(model) text that names a child twice in one module is refused with the line, ranges included") {
  // PyTorch never prints a name twice in a module: text that does (an edit, a
  // fuzzer's flip of "(3)" to "(2)") would make two layers with one name.
  const auto net = [](const std::string& children) {
    return "Net(\n  (body): Sequential(\n" + children + "  )\n)\n";
  };
  const std::string conv = "Conv2d(3, 3, kernel_size=(1, 1), stride=(1, 1))\n";
  struct Case {
    std::string children;
    const char* error;
  };
  const Case refused[] = {
      {"    (0): " + conv + "    (1): ReLU()\n    (1): " + conv,
       "line 5, column 5: \"Sequential\" \"body\" already has a child named \"1\""},
      {"    (0-3): 4 x " + conv + "    (2): " + conv,
       "line 4, column 5: \"Sequential\" \"body\" already has a child named \"2\""},
      {"    (4): " + conv + "    (2-5): 4 x " + conv, "already has a child named \"2-5\""},
      {"    (0-1): 2 x " + conv + "    (1-2): 2 x " + conv, "already has a child named \"1-2\""},
      {"    (conv): " + conv + "    (conv): ReLU()\n",
       "line 4, column 5: \"Sequential\" \"body\" already has a child named \"conv\""},
      {"    (0-3): 2 x " + conv, "the range 0-3 names 4 modules but says 2 x"},
      {"    (5-3): 1 x " + conv, "the range 5-3 names 0 modules but says 1 x"},
  };
  for (const Case& c : refused) {
    const std::string text = net(c.children), error = import_error(text, with_input({1, 3, 8, 8}));
    CAPTURE(text);
    CAPTURE(error);
    CHECK(contains(error, c.error));
  }
  // Names that only look alike are different children: "01" is not "1", and
  // the same name in two modules is two paths.
  const auto r = import_ok(net("    (1): " + conv + "    (01): " + conv + "    (2-3): 2 x " + conv + "    (4): " + conv),
                           with_input({1, 3, 8, 8}));
  CHECK(r.network.layers.size() == 5);
  const auto nested = import_ok("Net(\n  (a): Sequential(\n    (0): " + conv + "  )\n  (b): Sequential(\n    (0): " + conv +
                                    "  )\n)\n",
                                with_input({1, 3, 8, 8}));
  REQUIRE(nested.network.layers.size() == 2);
  CHECK(nested.network.layers[0].name == "a.0");
  CHECK(nested.network.layers[1].name == "b.0");
}

TEST_CASE("the steps torchvision's forward() does between modules are inserted with a note, only when the numbers agree") {
  ensure_corpus();
  SUBCASE("MobileNetV2 pools in forward(): the classifier's 1280 in_features are the channels there") {
    const auto r = imported("mobilenet_v2");
    CHECK(contains(all_notes(r), "inserted nn.functional.adaptive_avg_pool2d(x, (1, 1)) (a global average pool, then "
                                 "torch.flatten(x, 1)) before \"classifier.0\": MobileNetV2.forward() does them "
                                 "(torchvision 0.14), and \"classifier.1\"'s in_features 1280 equals the channels there"));
  }
  SUBCASE("a MobileNetV2 whose classifier takes other features gets only the flatten: the mismatch stays visible") {
    std::string text = corpus_text("mobilenet_v2");
    const size_t at = text.find("in_features=1280");
    REQUIRE(at != std::string::npos);
    text.replace(at, 16, "in_features=1000");
    const auto r = import_ok(text, with_input({1, 3, 224, 224}));
    CHECK(contains(all_notes(r), "did not insert MobileNetV2.forward()'s nn.functional.adaptive_avg_pool2d(x, (1, 1)) "
                                 "before \"classifier.0\": \"classifier.1\"'s in_features 1000 is not the 1280 "
                                 "channels there; inserted torch.flatten(x, 1) only"));
    const cs::Report report = cs::analyze(r.network, {false, false, 0, false});
    REQUIRE(report.first_error);
    CHECK(report.layers[*report.first_error].name == "classifier.1");
  }
  SUBCASE("DenseNet: F.relu, then the pool; SqueezeNet: the flatten after its classifier; GoogLeNet: no aux") {
    CHECK(contains(all_notes(imported("densenet121")), "inserted F.relu, F.adaptive_avg_pool2d(out, (1, 1))"));
    CHECK(contains(all_notes(imported("squeezenet1_0")),
                   "inserted torch.flatten(x, 1) after the last module: SqueezeNet.forward() ends with it"));
    const auto g = imported("googlenet");
    CHECK(contains(all_notes(g), "used only in training (GoogLeNet.forward() skips them in eval), left out with their "
                                 "parameters: \"aux1\" (InceptionAux), \"aux2\" (InceptionAux)"));
    for (const auto& l : g.network.layers) CHECK(l.name.rfind("aux", 0) != 0);
  }
}
