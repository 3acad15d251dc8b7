// Guessed structures and their readings (readings.hpp), and the tracebacks
// that lead somewhere (error_scan.cpp, mixed_paste.hpp). The expected values
// come from real PyTorch: tests/fixtures/import/make_readings.py runs the
// model whose print(model) and traceback are the fixtures and records what
// reaches fc1 at each input size.
#include <doctest/doctest.h>

#include "convscope/analyze.hpp"
#include "convscope/api.hpp"
#include "import_support.hpp"

using namespace import_support;
using test_support::contains;

namespace {

// One run of the real model: {input, output, error, fc1_input}.
struct TorchRun {
  std::vector<int64_t> input;
  std::optional<std::vector<int64_t>> output, fc1_input;
  std::string error;
};

std::vector<int64_t> ints(const cs::json::Value& v) {
  std::vector<int64_t> out;
  for (const auto& x : v.as_array()) out.push_back(x.as_int());
  return out;
}

TorchRun torch_run(int64_t size) {
  cs::json::Value truth;
  cs::json::ParseError e;
  REQUIRE(cs::json::parse(fixture("pytorch_reused_pool_truth.json"), truth, e));
  for (const auto& run : truth.find("runs")->as_array()) {
    const std::vector<int64_t> input = ints(*run.find("input"));
    if (input.back() != size) continue;
    TorchRun r{input, std::nullopt, std::nullopt, ""};
    if (!run.find("output")->is_null()) r.output = ints(*run.find("output"));
    if (!run.find("fc1_input")->is_null()) r.fc1_input = ints(*run.find("fc1_input"));
    if (!run.find("error")->is_null()) r.error = run.find("error")->as_string();
    return r;
  }
  FAIL("no PyTorch run at " << size);
  return {};
}

const cs::LayerReport& first_error(const cs::Report& report) {
  REQUIRE(report.first_error);
  return report.layers[*report.first_error];
}

bool has_fix(const cs::LayerReport& l, const std::string& part) {
  for (const auto& f : l.fixes)
    if (contains(f.summary, part)) return true;
  return false;
}

// The traceback as Python 3.10 and earlier print it: no caret lines.
std::string without_carets(const std::string& text) {
  std::string out, line;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i < text.size() && text[i] != '\n') {
      line += text[i];
      continue;
    }
    if (line.find_first_not_of(" ^~") != std::string::npos) out += line + "\n";
    line.clear();
  }
  return out;
}

}  // namespace

TEST_CASE("a pool printed once after three convs: both readings, the one nearer the input first, each with its fixes") {
  const TorchRun torch = torch_run(28);
  REQUIRE(torch.fc1_input);  // PyTorch: what reaches fc1 with the pool after each conv
  const int64_t reaching = torch.fc1_input->back();
  const auto r = import_ok(fixture("pytorch_reused_pool_net.txt"), with_input(torch.input));
  SUBCASE("reading 1, imported, is the real forward(): the pool after each conv") {
    CHECK(r.network.layers.size() == 8);  // (conv, pool) x 3, flatten, fc1
    CHECK(contains(r.network.guessed, "reading 1 of 2"));
    CHECK(contains(r.network.guessed, "\"pool\" called after each conv"));
    const cs::Report report = cs::analyze(r.network);
    const cs::LayerReport& fc1 = first_error(report);
    CHECK(fc1.name == "fc1");
    CHECK(fc1.framework_errors[0].text == torch.error);
    CHECK(has_fix(fc1, "in_features=" + std::to_string(reaching)));
  }
  SUBCASE("the notes say the fix depends on forward() and give the printed order's numbers and fix") {
    const std::string notes = all_notes(r);
    CHECK(contains(notes, "the fix depends on what your forward() does"));
    CHECK(contains(notes, "reading 1 (imported): \"pool\" called after each conv"));
    CHECK(contains(notes, "in_features=" + std::to_string(reaching)));
    // The printed order: 28 -> 26 -> 24 -> 22 -> pool 11, 64 x 11 x 11.
    CHECK(contains(notes, "reading 2: the modules in the order printed"));
    CHECK(contains(notes, "in_features=7744"));
  }
}

TEST_CASE("at the input the model was made for, the reused pool is the only reading that fits, and is read with a note") {
  const TorchRun torch = torch_run(32);
  REQUIRE(torch.output);
  const auto r = import_ok(fixture("pytorch_reused_pool_net.txt"), with_input(torch.input));
  const cs::Report report = cs::analyze(r.network);
  CHECK(report.ok);
  CHECK(report.output == cs::Shape(torch.output->begin(), torch.output->end()));
  CHECK(contains(r.network.guessed, "called after each conv"));
  CHECK(contains(all_notes(r), "because then every declared size fits"));
}

TEST_CASE("a guessed structure never reads as verified for the user's code") {
  const auto r = import_ok(fixture("pytorch_reused_pool_net.txt"), with_input({1, 3, 28, 28}));
  const std::string json = cs::api::analyze_json(cs::json::write(cs::network_json::to_json(r.network), -1)).output;
  CHECK(contains(json, "\"guessed\": \"reading 1 of 2"));
  const std::string text = cs::api::analyze_table(cs::json::write(cs::network_json::to_json(r.network), -1)).output;
  CHECK(contains(text, "Guessed structure: reading 1 of 2"));
  CHECK(contains(text, "fixes (each verified for this reading"));
  CHECK_FALSE(contains(text, "; every layer valid\n"));
  SUBCASE("a plain nn.Sequential is what forward() runs: nothing guessed") {
    const auto seq = import_ok("Sequential(\n  (0): Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1))\n)\n",
                               with_input({1, 3, 8, 8}));
    CHECK(seq.network.guessed.empty());
  }
  SUBCASE("an error message is one layer rebuilt: guessed, with the way to the whole model") {
    const auto msg = import_ok(fixture("error_pytorch_conv.txt"));
    CHECK(contains(msg.network.guessed, "rebuilt from the PyTorch (convolution) message alone"));
    CHECK(contains(all_notes(msg), "paste print(model) with the input shape"));
  }
}

TEST_CASE("a traceback names the module whose forward raised, not the outermost call on the line") {
  const std::string traceback = fixture("error_pytorch_conv_nested.txt");
  REQUIRE(contains(traceback, "x = self.pool(F.relu(self.conv3(x)))"));
  SUBCASE("Python 3.11 marks it with carets") {
    const auto r = import_ok(traceback);
    CHECK(r.network.layers[0].name == "conv3");
    CHECK(contains(all_notes(r), "marked by the traceback's carets"));
  }
  SUBCASE("without carets, the first call made whose name fits the module file (conv.py)") {
    const auto r = import_ok(without_carets(traceback));
    CHECK(r.network.layers[0].name == "conv3");
    CHECK(contains(all_notes(r), "the only module the line calls (conv3, pool) whose name fits the module file"));
  }
  SUBCASE("the notes word the input shape as the page and the CLI both can") {
    const auto r = import_ok(traceback, with_input({1, 3, 28, 28}));
    CHECK(contains(all_notes(r), "the input shape 1x3x28x28 was not used"));
    CHECK_FALSE(contains(all_notes(r), "--input"));
  }
}

TEST_CASE("a module inside a submodule is named by its path, as print(model) names it") {
  const std::string traceback = fixture("error_pytorch_conv_in_block.txt");
  REQUIRE(contains(traceback, "return F.relu(self.conv(x))"));
  const auto r = import_ok(traceback);
  CHECK(r.network.layers[0].name == "block.conv");
  // Without carets, `self.block(self.stem(x))` could be either call: the
  // frames lead into a forward() of the user's, and neither name says which
  // module is a custom block. The note says so plainly.
  const auto plain = import_ok(without_carets(traceback));
  CHECK(contains(all_notes(plain), "the line calls stem, block and nothing in the text says which raised"));
}

TEST_CASE("a traceback pasted with print(model): the model is imported and the traceback picks the reading") {
  const TorchRun torch = torch_run(16);
  REQUIRE(contains(torch.error, "Calculated padded input size"));  // PyTorch: conv3 raises at 16x16
  const std::string both = fixture("pytorch_reused_pool_net.txt") + "\n" + fixture("error_pytorch_conv_nested.txt");
  const auto r = import_ok(both, with_input(torch.input));
  CHECK(r.format == imp::Format::pytorch_repr);
  CHECK(r.network.layers.size() > 1);
  const std::string notes = all_notes(r);
  CHECK(contains(notes, "the text holds an error message and print(model) (from line 1): the model was imported"));
  CHECK(contains(notes, "the traceback's \"conv3\" fails only in reading 1"));
  CHECK(contains(notes, "says \"conv3\" raised; this reading fails there too"));
  const cs::Report report = cs::analyze(r.network);
  CHECK(first_error(report).name == "conv3");
  CHECK(contains(first_error(report).framework_errors[0].text, torch.error));
  SUBCASE("a model that cannot be read is said so, and the message is used") {
    const auto broken = import_ok("Net(\n  (conv1): Conv2d(3, 16, kernel_size=(3, 3), strid\n)\n" +
                                  fixture("error_pytorch_conv_nested.txt"));
    CHECK(broken.format == imp::Format::error_message);
    CHECK(contains(all_notes(broken), "could not be read"));
  }
}

TEST_CASE("a declared in_channels that is what arrives plus an earlier layer's channels reads as an inferred concat") {
  cs::json::Value truth;
  cs::json::ParseError e;
  REQUIRE(cs::json::parse(fixture("pytorch_reused_pool_truth.json"), truth, e));
  const cs::json::Value& torch = *truth.find("unet");  // PyTorch's run of the U-Net with its torch.cat
  const auto r = import_ok(fixture("pytorch_skip_concat_net.txt"), with_input(ints(*torch.find("input"))));
  CHECK_FALSE(cs::is_chain(r.network));
  CHECK(contains(r.network.guessed, "an inferred torch.cat of \"up\" and \"enc1\" into \"dec1\""));
  CHECK(contains(all_notes(r), "\"dec1\" declares 64 input channels but 32 arrive"));
  const cs::Report report = cs::analyze(r.network);
  CHECK(report.ok);
  const std::vector<int64_t> output = ints(*torch.find("output"));
  CHECK(report.output == cs::Shape(output.begin(), output.end()));
}

namespace {

// PyTorch's run of the classic U-Net (make_unet_reading.py) at `size`.
TorchRun unet_run(int64_t size) {
  cs::json::Value truth;
  cs::json::ParseError e;
  REQUIRE(cs::json::parse(fixture("pytorch_unet_truth.json"), truth, e));
  for (const auto& run : truth.find("runs")->as_array()) {
    const std::vector<int64_t> input = ints(*run.find("input"));
    if (input.back() != size) continue;
    TorchRun r{input, std::nullopt, std::nullopt, ""};
    if (!run.find("output")->is_null()) r.output = ints(*run.find("output"));
    if (!run.find("error")->is_null()) r.error = run.find("error")->as_string();
    return r;
  }
  FAIL("no PyTorch run of the U-Net at " << size);
  return {};
}

size_t index_of(const cs::Network& net, const std::string& name) {
  for (size_t i = 0; i < net.layers.size(); ++i)
    if (net.layers[i].name == name) return i;
  FAIL("no layer " << name);
  return 0;
}

}  // namespace

TEST_CASE("a U-Net's print(model): the pool after each encoder block and each encoder output concatenated into its decoder") {
  SUBCASE("at 96, where PyTorch runs it, every layer is valid in this reading and the output is PyTorch's") {
    const TorchRun torch = unet_run(96);
    REQUIRE(torch.output);
    const auto r = import_ok(fixture("pytorch_unet_net.txt"), with_input(torch.input));
    CHECK_FALSE(cs::is_chain(r.network));
    const cs::Report report = cs::analyze(r.network);
    CHECK(report.ok);
    CHECK(report.output == cs::Shape(torch.output->begin(), torch.output->end()));
    // The skips are the blocks' outputs (their last layers), deepest first.
    const cs::Network& n = r.network;
    CHECK(n.layers[index_of(n, "cat_dec3_0")].inputs ==
          std::vector<int32_t>{static_cast<int32_t>(index_of(n, "enc3.4")), static_cast<int32_t>(index_of(n, "up3"))});
    CHECK(n.layers[index_of(n, "cat_dec2_0")].inputs[0] == static_cast<int32_t>(index_of(n, "enc2.4")));
    CHECK(n.layers[index_of(n, "cat_dec1_0")].inputs[0] == static_cast<int32_t>(index_of(n, "enc1.4")));
    CHECK(contains(n.guessed, "a U-Net: \"pool\" called after each encoder block (\"enc1\", \"enc2\" and \"enc3\"), "
                              "and torch.cat of \"enc3\" into \"dec3.0\", \"enc2\" into \"dec2.0\" and \"enc1\" into "
                              "\"dec1.0\""));
    const std::string notes = all_notes(r);
    CHECK(contains(notes, "\"pool\" is printed once, after \"enc3\", and read as called after each of"));
    CHECK(contains(notes, "because with it only where printed no input size makes every layer valid"));
    CHECK(contains(notes, "inferred torch.cat([enc3, up3], 1) into \"dec3.0\": it declares 128 input channels but "
                          "64 arrive from \"up3\", and 64 + 64 from the output of \"enc3\" (its last layer \"enc3.4\")"));
    CHECK(contains(notes, "(\"enc3.0\" and \"enc3.3\" inside it have 64 channels too, but a U-Net concatenates a "
                          "block's output)"));
    CHECK(contains(notes, "in the printed order dec3.0 fails: declares in_channels = 128 but receives 64 channels"));
    CHECK_FALSE(contains(notes, "were read in the order printed"));
  }
  SUBCASE("at 100, where PyTorch's first torch.cat raises, the inferred cat fails with PyTorch's text") {
    const TorchRun torch = unet_run(100);
    REQUIRE_FALSE(torch.error.empty());
    const auto r = import_ok(fixture("pytorch_unet_net.txt"), with_input(torch.input));
    const cs::Report report = cs::analyze(r.network);
    const cs::LayerReport& cat = first_error(report);
    CHECK(cat.name == "cat_dec3_0");
    REQUIRE_FALSE(cat.framework_errors.empty());
    CHECK(cat.framework_errors[0].text == torch.error);
    CHECK(contains(all_notes(r), "in this reading the declared sizes fit at some input sizes and cat_dec3_0 fails"));
    const std::string text = cs::api::analyze_table(cs::json::write(cs::network_json::to_json(r.network), -1)).output;
    CHECK(contains(text, "Guessed structure: a U-Net"));
    CHECK(contains(text, "fixes (each verified for this reading"));
  }
}
