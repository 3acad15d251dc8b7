// Keras model.summary() text as a cross-check of ConvScope's shapes: the
// fixtures are written as Keras prints them (tf.keras 2 in both layouts,
// Keras 3's rich table) for networks that exist as fixtures, so every row
// must match; one summary is of a different model and must not. Truncated,
// garbled and oversized text is named by line and column; a summary pasted
// alone is refused with a message saying what to paste; the CLI's exit codes.
#include <doctest/doctest.h>

#include <string>

#include "convscope/api.hpp"
#include "convscope/import/detect.hpp"
#include "convscope/import/summary_check.hpp"
#include "convscope/limits.hpp"
#include "import_support.hpp"

using namespace import_support;
using test_support::contains;
using test_support::shell_quote;

namespace {

imp::Summary summary_ok(const std::string& text) {
  imp::Summary s;
  std::string error;
  const bool ok = imp::parse_keras_summary(text, s, error);
  INFO("summary error: " << error);
  REQUIRE(ok);
  return s;
}

std::string summary_error(const std::string& text) {
  imp::Summary s;
  std::string error;
  if (imp::parse_keras_summary(text, s, error)) return "";
  return error;
}

cs::json::Value output_json(const cs::api::Result& r) {
  cs::json::Value v;
  cs::json::ParseError error;
  const bool ok = cs::json::parse(r.output, v, error);
  INFO(error.message << "\n" << r.error);
  REQUIRE(ok);
  return v;
}

std::vector<std::string> verdicts(const cs::json::Value& v) {
  std::vector<std::string> out;
  for (const auto& row : v.find("rows")->as_array()) out.push_back(row.find("verdict")->as_string());
  return out;
}

std::string notes_of(const cs::json::Value& v) {
  std::string s;
  for (const auto& n : v.find("notes")->as_array()) s += n.as_string() + "\n";
  return s;
}

std::string fixture_path(const std::string& name) {
  return (test_support::source_dir() / "tests" / "fixtures" / "import" / name).string();
}

// The brief's own MNIST-sized example, as tf.keras 2.12 prints it.
const char* const kKeras2Mnist =
    "Model: \"sequential\"\n"
    "_________________________________________________________________\n"
    " Layer (type)                Output Shape              Param #   \n"
    "=================================================================\n"
    " conv2d (Conv2D)             (None, 26, 26, 32)        320       \n"
    "                                                                 \n"
    " max_pooling2d (MaxPooling2D  (None, 13, 13, 32)       0         \n"
    " )                                                               \n"
    "                                                                 \n"
    " flatten (Flatten)           (None, 5408)              0         \n"
    "                                                                 \n"
    " dense (Dense)               (None, 10)                54090     \n"
    "                                                                 \n"
    "=================================================================\n"
    "Total params: 54,410\n"
    "Trainable params: 54,410\n"
    "Non-trainable params: 0\n"
    "_________________________________________________________________\n";

const char* const kMnistNetwork = R"({"framework": "tensorflow", "input": [1, 28, 28, 1], "layers": [
    {"type": "conv", "filters": 32, "kernel": 3}, {"type": "max_pool", "kernel": 2},
    {"type": "flatten"}, {"type": "dense", "units": 10}]})";

// "line L, column C: ", the position the page selects.
bool starts_with_position(const std::string& error) {
  size_t i = 0;
  const auto number = [&] {
    const size_t from = i;
    while (i < error.size() && error[i] >= '0' && error[i] <= '9') ++i;
    return i > from;
  };
  const auto word = [&](const std::string& w) { return error.compare(i, w.size(), w) == 0 && (i += w.size(), true); };
  return word("line ") && number() && word(", column ") && number() && word(": ");
}

std::string replaced(std::string s, const std::string& from, const std::string& to) {
  const size_t at = s.find(from);
  REQUIRE(at != std::string::npos);
  return s.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("the three layouts Keras prints are read row by row, wrapped class names joined") {
  SUBCASE("tf.keras 2.9+ wraps MaxPooling2D's closing parenthesis onto the next line") {
    const imp::Summary s = summary_ok(fixture("keras2_summary_functional.txt"));
    CHECK(s.style == imp::Summary::Style::keras2);
    CHECK(s.model_name == "model");
    REQUIRE(s.rows.size() == 6);
    CHECK(s.rows[0].cls == "InputLayer");
    CHECK(s.rows[0].shape_as_list);
    CHECK(s.rows[0].shape == std::vector<std::optional<int64_t>>{std::nullopt, 28, 28, 1});
    CHECK(s.rows[2].name == "max_pooling2d");
    CHECK(s.rows[2].cls == "MaxPooling2D");
    CHECK(s.rows[5].params == 23050);
    CHECK(s.total_params == 24298);
  }
  SUBCASE("TF 2.8 and earlier: no leading space, rows between '____' lines") {
    const imp::Summary s = summary_ok(fixture("keras2_summary_functional_tf28.txt"));
    CHECK(s.style == imp::Summary::Style::keras2_legacy);
    REQUIRE(s.rows.size() == 6);
    CHECK(s.rows[2].cls == "MaxPooling2D");
    CHECK(s.rows[3].shape == std::vector<std::optional<int64_t>>{std::nullopt, 12, 12, 16});
  }
  SUBCASE("Keras 3: a rich table, long names continued on the next line inside the box, commas in counts") {
    const imp::Summary s = summary_ok(fixture("keras3_summary_sequential.txt"));
    CHECK(s.style == imp::Summary::Style::keras3);
    REQUIRE(s.rows.size() == 14);
    CHECK(s.rows[2].name == "batch_normalization");
    CHECK(s.rows[2].cls == "BatchNormalization");
    CHECK(s.rows[11].cls == "GlobalAveragePooling2D");
    CHECK(s.rows[5].params == 2400);
    CHECK(s.total_params == 12266);
  }
  SUBCASE("the brief's example with a wrapped MaxPooling2D") {
    const imp::Summary s = summary_ok(kKeras2Mnist);
    REQUIRE(s.rows.size() == 4);
    CHECK(s.rows[1].name == "max_pooling2d");
    CHECK(s.rows[1].cls == "MaxPooling2D");
    CHECK(s.total_params == 54410);
  }
}

TEST_CASE("the 'Connected to' column of functional models is read past, and names cut with an ellipsis match by prefix") {
  SUBCASE("tf.keras 2: a fourth column on a 98-character line") {
    const std::string text =
        "Model: \"model\"\n" + std::string(98, '_') + "\n"
        " Layer (type)                   Output Shape         Param #     Connected to                     \n" +
        std::string(98, '=') + "\n"
        " input_1 (InputLayer)           [(None, 28, 28, 1)]  0           []                               \n\n"
        " conv2d (Conv2D)                (None, 28, 28, 8)    80          ['input_1[0][0]']                \n\n"
        " max_pooling2d (MaxPooling2D)   (None, 14, 14, 8)    0           ['conv2d[0][0]']                 \n\n"
        " conv2d_1 (Conv2D)              (None, 12, 12, 16)   1168        ['max_pooling2d[0][0]']          \n\n"
        " flatten (Flatten)              (None, 2304)         0           ['conv2d_1[0][0]']               \n\n"
        " dense (Dense)                  (None, 10)           23050       ['flatten[0][0]']                \n\n" +
        std::string(98, '=') + "\nTotal params: 24,298\nTrainable params: 24,298\nNon-trainable params: 0\n" +
        std::string(98, '_') + "\n";
    CHECK(cs::api::check_summary(fixture("keras2_functional.json"), text).exit_code == 0);
  }
  SUBCASE("Keras 3 in a narrow terminal: four cells, long words cut with an ellipsis") {
    const std::string text =
        "Model: \"functional\"\n"
        "┏━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┓\n"
        "┃ Layer (type)        ┃ Output Shape      ┃    Param # ┃ Connected to      ┃\n"
        "┡━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━┩\n"
        "│ input_layer         │ (None, 100, 8)    │          0 │ -                 │\n"
        "│ (InputLayer)        │                   │            │                   │\n"
        "├─────────────────────┼───────────────────┼────────────┼───────────────────┤\n"
        "│ conv1d (Conv1D)     │ (None, 100, 16)   │        656 │ input_layer[0][0] │\n"
        "├─────────────────────┼───────────────────┼────────────┼───────────────────┤\n"
        "│ max_pooling1d       │ (None, 25, 16)    │          0 │ conv1d[0][0]      │\n"
        "│ (MaxPooling1D)      │                   │            │                   │\n"
        "├─────────────────────┼───────────────────┼────────────┼───────────────────┤\n"
        "│ global_max_pooling… │ (None, 16)        │          0 │ max_pooling1d[0]… │\n"
        "│ (GlobalMaxPooling1… │                   │            │                   │\n"
        "├─────────────────────┼───────────────────┼────────────┼───────────────────┤\n"
        "│ dense (Dense)       │ (None, 1)         │         17 │ global_max_pooli… │\n"
        "└─────────────────────┴───────────────────┴────────────┴───────────────────┘\n"
        " Total params: 673 (2.63 KB)\n"
        " Trainable params: 673 (2.63 KB)\n"
        " Non-trainable params: 0 (0.00 B)\n";
    const auto r = cs::api::check_summary(fixture("keras3_functional_conv1d.json"), text);
    CHECK(r.exit_code == 0);
    const auto v = output_json(r);
    CHECK(v.find("rows")->as_array()[3].find("name")->as_string() == "global_max_pooling1d");
    CHECK(contains(notes_of(v), "\"global_max_pooling\": Keras cut this name at its column's width"));
  }
}

TEST_CASE("a summary true to the network matches on every row and exits 0") {
  const struct {
    const char* network;
    const char* summary;
    size_t rows;
  } cases[] = {
      {"keras2_functional.json", "keras2_summary_functional.txt", 6},
      {"keras2_functional.json", "keras2_summary_functional_tf28.txt", 6},
      {"keras3_sequential.json", "keras3_summary_sequential.txt", 14},
      {"keras3_functional_conv1d.json", "keras3_summary_functional_conv1d.txt", 5},
  };
  for (const auto& c : cases) {
    CAPTURE(c.summary);
    const cs::api::Result r = cs::api::check_summary(fixture(c.network), fixture(c.summary));
    CHECK(r.exit_code == 0);
    const cs::json::Value v = output_json(r);
    CHECK(v.find("matched_by")->as_string() == "name");
    CHECK(verdicts(v) == std::vector<std::string>(c.rows, "match"));
    CHECK(v.find("totals")->find("summary_params")->as_int() == v.find("totals")->find("convscope_params")->as_int());
    CHECK(contains(v.find("verdict")->as_string(), "all " + std::to_string(c.rows) + " rows match"));
  }
}

TEST_CASE("the notes name what the summary omits or prints differently") {
  SUBCASE("Keras 3 Sequential prints no InputLayer row") {
    const auto v = output_json(cs::api::check_summary(fixture("keras3_sequential.json"), fixture("keras3_summary_sequential.txt")));
    CHECK(contains(notes_of(v), "no InputLayer row"));
    CHECK(contains(notes_of(v), "separable_conv2d_depthwise and separable_conv2d_pointwise are compared as the one "
                                "SeparableConv2D row"));
  }
  SUBCASE("Keras 2 prints the InputLayer's shape as a list") {
    const auto v = output_json(cs::api::check_summary(fixture("keras2_functional.json"), fixture("keras2_summary_functional.txt")));
    CHECK(contains(notes_of(v), "[(None, 28, 28, 1)]"));
    const auto& input = v.find("rows")->as_array()[0];
    CHECK(cs::json::write(*input.find("summary_shape"), -1) == "[null,28,28,1]");
    CHECK(cs::json::write(*input.find("convscope_shape"), -1) == "[1,28,28,1]");
  }
  SUBCASE("'multiple' is kept as printed and not compared") {
    const std::string text = replaced(kKeras2Mnist, "(None, 5408)              0 ", "multiple                  0 ");
    const auto r = cs::api::check_summary(kMnistNetwork, text);
    CHECK(r.exit_code == 0);
    const auto v = output_json(r);
    CHECK(v.find("rows")->as_array()[2].find("summary_shape")->as_string() == "multiple");
    CHECK(contains(notes_of(v), "Keras printed \"multiple\""));
  }
}

TEST_CASE("a summary of another model differs where it should and exits 1") {
  const cs::api::Result r =
      cs::api::check_summary(fixture("keras2_functional.json"), fixture("keras2_summary_functional_wrong.txt"));
  CHECK(r.exit_code == 1);
  const auto v = output_json(r);
  CHECK(verdicts(v) == std::vector<std::string>{"match", "match", "match", "shape differs", "shape differs",
                                                "params differ"});
  CHECK(v.find("verdict")->as_string() ==
        "3 of 6 rows differ (by name); first: conv2d_1 (shape differs: summary (None, 14, 14, 16), ConvScope "
        "[1, 12, 12, 16])");
  CHECK(v.find("totals")->find("summary_params")->as_int() == 32618);
  CHECK(v.find("totals")->find("convscope_params")->as_int() == 24298);
}

TEST_CASE("rows are matched by name, and by position when the names differ") {
  SUBCASE("a layer missing from the summary is 'only in network', in its place") {
    std::string text = kKeras2Mnist;
    text = replaced(text, " flatten (Flatten)           (None, 5408)              0         \n", "");
    const auto r = cs::api::check_summary(kMnistNetwork, text);
    CHECK(r.exit_code == 1);
    CHECK(verdicts(output_json(r)) == std::vector<std::string>{"match", "match", "only in network", "match"});
  }
  SUBCASE("a layer only the summary has") {
    const std::string net = R"({"framework": "tensorflow", "input": [1, 28, 28, 1], "layers": [
        {"type": "conv", "filters": 32, "kernel": 3}, {"type": "max_pool", "kernel": 2}, {"type": "flatten"}]})";
    const auto v = output_json(cs::api::check_summary(net, kKeras2Mnist));
    CHECK(verdicts(v) == std::vector<std::string>{"match", "match", "match", "only in summary"});
  }
  SUBCASE("other names: by position, said in matched_by and the notes") {
    const std::string net = R"({"framework": "tensorflow", "input": [1, 28, 28, 1], "layers": [
        {"type": "conv", "name": "c1", "filters": 32, "kernel": 3}, {"type": "max_pool", "name": "p1", "kernel": 2},
        {"type": "flatten", "name": "f"}, {"type": "dense", "name": "out", "units": 10}]})";
    const auto r = cs::api::check_summary(net, kKeras2Mnist);
    CHECK(r.exit_code == 0);
    const auto v = output_json(r);
    CHECK(v.find("matched_by")->as_string() == "position");
    CHECK(contains(notes_of(v), "matched by position"));
  }
  SUBCASE("a PyTorch network is compared channels last") {
    const std::string net = R"({"framework": "pytorch", "input": [1, 1, 28, 28], "layers": [
        {"type": "conv", "name": "conv2d", "filters": 32, "kernel": 3}, {"type": "max_pool", "name": "max_pooling2d", "kernel": 2},
        {"type": "flatten", "name": "flatten"}, {"type": "dense", "name": "dense", "units": 10}]})";
    const auto r = cs::api::check_summary(net, kKeras2Mnist);
    CHECK(r.exit_code == 0);
    const auto v = output_json(r);
    CHECK(cs::json::write(*v.find("rows")->as_array()[0].find("convscope_shape"), -1) == "[1,26,26,32]");
    CHECK(contains(notes_of(v), "channels first"));
  }
}

TEST_CASE("a network ConvScope finds invalid cannot match a summary Keras printed") {
  // Keras cannot build this network (conv2d_3 does not fit), so no summary of it exists: the note says why.
  const std::string net = fixture("keras2_sequential_conv2d_3.json");
  const imp::ImportResult imported = import_ok(net);
  const cs::Report report = cs::analyze(imported.network);
  REQUIRE(report.first_error == 5u);
  const auto r = cs::api::check_summary(net, fixture("keras2_summary_functional.txt"));
  CHECK(r.exit_code == 1);
  // Counted from 1 and out of all layers, as the page says it.
  CHECK(contains(notes_of(output_json(r)), "ConvScope finds the network invalid at layer 6 of " +
                                               std::to_string(report.layers.size()) + " (conv2d_3): "));
}

TEST_CASE("surrounding notebook text, CRLF and trailing spaces are tolerated") {
  std::string crlf;
  for (char c : std::string(kKeras2Mnist)) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
  const std::string cell = "In [7]: model.summary()\r\n" + crlf + "\r\nIn [8]: model.fit(x, y)\r\n";
  CHECK(cs::api::check_summary(kMnistNetwork, cell).exit_code == 0);
  const std::string keras3 = "WARNING: something\n" + fixture("keras3_summary_sequential.txt") + "\n313/313 done\n";
  CHECK(cs::api::check_summary(fixture("keras3_sequential.json"), keras3).exit_code == 0);
}

TEST_CASE("truncated or garbled summaries are named by line and column") {
  const std::string keras3 = fixture("keras3_summary_sequential.txt");
  SUBCASE("cut inside the table") {
    const std::string cut = keras3.substr(0, keras3.find("│ activation"));
    CHECK(contains(summary_error(cut), "the table is not closed by its bottom border: the summary looks cut short"));
    CHECK(contains(summary_error(std::string(kKeras2Mnist).substr(0, 500)),
                   "the table is not closed by a \"=====\" line"));
  }
  SUBCASE("cut after the table, before the totals") {
    const std::string cut = std::string(kKeras2Mnist).substr(0, std::string(kKeras2Mnist).find("Total params"));
    CHECK(summary_error(cut) == "line 15, column 1: expected \"Total params:\" under the table: the summary looks cut "
                                "short; paste all of it");
  }
  SUBCASE("a garbled shape") {
    const std::string bad = replaced(keras3, "(None, 64, 64, 32)     │           896", "(None, 64, 6x, 32)     │           896");
    CHECK(summary_error(bad) == "line 7, column 37: expected None or a size in the output shape \"(None, 64, 6x, 32)\", "
                                "got \"6x\"");
  }
  SUBCASE("a garbled parameter count") {
    const std::string bad = replaced(kKeras2Mnist, "54090     ", "54O90     ");
    CHECK(summary_error(bad) == "line 12, column 56: expected a parameter count like 1,234, got \"54O90\"");
  }
  SUBCASE("a row without its class") {
    const std::string bad = replaced(kKeras2Mnist, " flatten (Flatten)  ", " flatten            ");
    CHECK(summary_error(bad) == "line 10, column 2: expected \"name (Class)\", got \"flatten\"");
  }
  SUBCASE("a row with a cell missing") {
    const std::string bad = replaced(keras3, "│ (None, 66, 66, 3)      ", "");
    CHECK(contains(summary_error(bad), "line 5, column 1: expected a table row of 3 cells, got 2 cells"));
  }
  SUBCASE("every error with a place in the text starts with it") {
    const std::string keras2 = kKeras2Mnist;
    for (const std::string& bad :
         {keras3.substr(0, 600), keras2.substr(0, 500), keras2.substr(0, keras2.find("Total params")),
          replaced(keras2, "54090     ", "54O90     "), replaced(keras2, " flatten (Flatten)  ", " flatten            "),
          replaced(keras2, "(None, 5408)     ", "[(None, 5408)    "), replaced(keras3, "│ (None, 66, 66, 3)      ", "")}) {
      const std::string error = summary_error(bad);
      CAPTURE(error);
      CHECK(starts_with_position(error));
    }
  }
  SUBCASE("no table at all") {
    CHECK(contains(summary_error("Model: \"m\"\nnothing here\n"), "no Keras model.summary() table found"));
  }
  SUBCASE("errors reach the API as exit 2, prefixed with the argument at fault") {
    const auto r = cs::api::check_summary(kMnistNetwork, "garbage");
    CHECK(r.exit_code == 2);
    CHECK(r.error.rfind("summary: no Keras model.summary() table found", 0) == 0);
    const std::string cut = cs::api::check_summary(kMnistNetwork, std::string(kKeras2Mnist).substr(0, 500)).error;
    CHECK(cut.substr(0, 51) == "summary: line 9, column 19: the table is not closed");
    const auto swapped = cs::api::check_summary(kKeras2Mnist, kMnistNetwork);
    CHECK(swapped.exit_code == 2);
    CHECK(contains(swapped.error, "network: this is a Keras model.summary() text and the summary is not"));
    CHECK(cs::api::check_summary("{", kKeras2Mnist).error.rfind("network: line 1", 0) == 0);
  }
}

TEST_CASE("oversized summaries and too many rows are refused") {
  CHECK(contains(summary_error(std::string(imp::max_text_bytes + 1, ' ')), "larger than"));
  std::string many = "Model: \"m\"\n" + std::string(65, '_') + "\n Layer (type)                Output Shape              Param #   \n" +
                     std::string(65, '=') + "\n";
  for (size_t i = 0; i <= cs::limits::max_layers; ++i)
    many += " d" + std::to_string(i) + " (Dense)" + std::string(20 - std::to_string(i).size(), ' ') + "(None, 10)                10        \n\n";
  many += std::string(65, '=') + "\nTotal params: 1\n";
  CHECK(contains(summary_error(many), "more than 2000 rows (ConvScope's layer limit)"));
}

TEST_CASE("a summary pasted alone is recognised and refused with what to paste instead") {
  for (const char* f : {"keras2_summary_functional.txt", "keras2_summary_functional_tf28.txt",
                        "keras3_summary_sequential.txt", "keras3_summary_functional_conv1d.txt"}) {
    CAPTURE(f);
    std::string why;
    CHECK_FALSE(imp::detect_format(fixture(f), why).has_value());
    const std::string error = import_error(fixture(f));
    CHECK(error == imp::kSummaryIsNotANetwork);
    CHECK(contains(error, "this is the text of Keras model.summary(): it carries output shapes and parameter counts "
                          "but not kernel sizes, strides or padding; import the model's JSON (model.to_json())"));
  }
}

TEST_CASE("convscope check-summary prints a table or --json, exits 0 / 1 / 2") {
  const std::string net = shell_quote(fixture_path("keras2_functional.json"));
  SUBCASE("a matching summary: the table, exit 0") {
    const auto r = test_support::run_cli("check-summary " + net + " " + shell_quote(fixture_path("keras2_summary_functional.txt")));
    CHECK(r.exit_code == 0);
    CHECK(contains(r.out, "max_pooling2d (MaxPooling2D)  (None, 14, 14, 8)   [1, 14, 14, 8]   0          0            match"));
    CHECK(contains(r.out, "Verdict: all 6 rows match (by name)"));
    CHECK(r.err == "convscope: note: assumed batch 1 (the model's input has None)\n");
  }
  SUBCASE("--json is the API's output byte for byte") {
    const auto r = test_support::run_cli("check-summary --json " + net + " " + shell_quote(fixture_path("keras2_summary_functional_wrong.txt")));
    CHECK(r.exit_code == 1);
    CHECK(r.out == cs::api::check_summary(fixture("keras2_functional.json"), fixture("keras2_summary_functional_wrong.txt")).output);
  }
  SUBCASE("the summary from stdin") {
    const auto r = test_support::run_cli("check-summary " + net + " - <" + shell_quote(fixture_path("keras2_summary_functional_wrong.txt")));
    CHECK(r.exit_code == 1);
    CHECK(contains(r.out, "conv2d_1 (Conv2D)             (None, 14, 14, 16)  [1, 12, 12, 16]  1,168      1,168        shape differs"));
  }
  SUBCASE("malformed input and bad arguments exit 2") {
    test_support::TempFile cut(fixture("keras3_summary_sequential.txt").substr(0, 600));
    const auto r = test_support::run_cli("check-summary " + shell_quote(fixture_path("keras3_sequential.json")) + " " +
                                         shell_quote(cut.path().string()));
    CHECK(r.exit_code == 2);
    CHECK(r.out.empty());
    CHECK(contains(r.err, "convscope: summary: line "));
    CHECK(test_support::run_cli("check-summary - -").exit_code == 2);
    CHECK(test_support::run_cli("check-summary " + net).exit_code == 2);
  }
  SUBCASE("analyze and import refuse a summary with the same message") {
    const std::string summary = shell_quote(fixture_path("keras3_summary_sequential.txt"));
    for (const char* command : {"analyze ", "import "}) {
      const auto r = test_support::run_cli(command + summary);
      CHECK(r.exit_code == 2);
      CHECK(r.err == std::string("convscope: ") + imp::kSummaryIsNotANetwork + "\n");
    }
  }
}

// TF 2.8's layer_utils.print_summary for a model that is not a chain:
// positions [.33, .55, .67, 1.] of line_length 98 (columns 32, 53, 65) and
// print_row cutting each field to its width minus one, without wrapping.
const char* const kTf28Functional =
    "Model: \"model\"\n"
    "__________________________________________________________________________________________________\n"
    "Layer (type)                    Output Shape         Param #     Connected to                     \n"
    "==================================================================================================\n"
    "input_1 (InputLayer)            [(None, 224, 224, 3) 0           []                               \n"
    "__________________________________________________________________________________________________\n"
    "conv2d (Conv2D)                 (None, 112, 112, 128 3584        ['input_1[0][0]']                \n"
    "__________________________________________________________________________________________________\n"
    "conv2d_1 (Conv2D)               (None, 112, 112, 128 147584      ['conv2d[0][0]']                 \n"
    "__________________________________________________________________________________________________\n"
    "add (Add)                       (None, 112, 112, 128 0           ['conv2d[0][0]', 'conv2d_1[0][0]'\n"
    "__________________________________________________________________________________________________\n"
    "global_average_pooling2d (Globa (None, 128)          0           ['add[0][0]']                    \n"
    "__________________________________________________________________________________________________\n"
    "dense (Dense)                   (None, 10)           1290        ['global_average_pooling2d[0][0]'\n"
    "==================================================================================================\n"
    "Total params: 152,458\n"
    "Trainable params: 152,458\n"
    "Non-trainable params: 0\n"
    "__________________________________________________________________________________________________\n";

TEST_CASE("TF 2.8 cuts shapes at their column's width: read as cut off, not compared, and said so") {
  // Not a fixture: TF 2.8 prints this layout only for models that are not
  // chains, which ConvScope does not import, so no network fixture pairs with it.
  const imp::Summary s = summary_ok(kTf28Functional);
  CHECK(s.style == imp::Summary::Style::keras2_legacy);
  REQUIRE(s.rows.size() == 6);
  CHECK(s.rows[0].cls == "InputLayer");
  CHECK(s.rows[0].shape_cut_off);
  CHECK(s.rows[0].shape.empty());
  CHECK(s.rows[0].shape_text == "[(None, 224, 224, 3)");
  CHECK(s.rows[1].shape_text == "(None, 112, 112, 128");
  CHECK(s.rows[1].params == 3584);
  CHECK(s.rows[4].name == "global_average_pooling2d");
  CHECK(s.rows[4].cls == "Globa");
  CHECK(s.rows[4].cut_off);
  CHECK(s.rows[4].shape == std::vector<std::optional<int64_t>>{std::nullopt, 128});
  CHECK_FALSE(s.rows[4].shape_cut_off);
  CHECK(s.total_params == 152458);

  // The chain without `add`: every other row matches, the cut shapes uncompared.
  const std::string net = R"({"framework": "tensorflow", "input": [1, 224, 224, 3], "layers": [
      {"type": "conv", "name": "conv2d", "filters": 128, "kernel": 3, "stride": 2, "padding": "same"},
      {"type": "conv", "name": "conv2d_1", "filters": 128, "kernel": 3, "padding": "same"},
      {"type": "global_avg_pool", "name": "global_average_pooling2d"},
      {"type": "dense", "name": "dense", "units": 10}]})";
  const auto r = cs::api::check_summary(net, kTf28Functional);
  CHECK(r.exit_code == 1);
  const auto v = output_json(r);
  CHECK(verdicts(v) == std::vector<std::string>{"match", "match", "match", "only in summary", "match", "match"});
  CHECK(v.find("rows")->as_array()[1].find("summary_shape")->as_string() == "(None, 112, 112, 128");
  CHECK(v.find("rows")->as_array()[4].find("class")->as_string() == "GlobalAveragePooling2D");
  CHECK(contains(notes_of(v), "\"conv2d\" (Conv2D): Keras cut the output shape at its column's width "
                              "(\"(None, 112, 112, 128\"); it is not compared"));
  CHECK(contains(notes_of(v), "\"global_average_pooling2d\": Keras cut this name at its column's width"));

  SUBCASE("TF 2.9+ wraps instead of cutting: an unclosed shape there is garbled") {
    std::string wrapped = kKeras2Mnist;
    wrapped = replaced(wrapped, "(None, 26, 26, 32)", "[(None, 26, 26, 32");
    CHECK(summary_error(wrapped) == "line 5, column 30: expected ']' to close the output shape \"[(None, 26, 26, 32\"");
  }
}

// TF 2.8, one layer: no "____" between rows, the name cut before its class.
const char* const kTf28OneLayer =
    "Model: \"sequential\"\n"
    "_________________________________________________________________\n"
    "Layer (type)                 Output Shape              Param #   \n"
    "=================================================================\n"
    "classifier_conv_layer_with_l (None, 26, 26, 8)         80        \n"
    "=================================================================\n"
    "Total params: 80\n"
    "Trainable params: 80\n"
    "Non-trainable params: 0\n"
    "_________________________________________________________________\n";

TEST_CASE("TF 2.8 is recognised by its header alone, and a name cut before its class is matched by its beginning") {
  const imp::Summary s = summary_ok(kTf28OneLayer);
  CHECK(s.style == imp::Summary::Style::keras2_legacy);
  REQUIRE(s.rows.size() == 1);
  CHECK(s.rows[0].name == "classifier_conv_layer_with_l");
  CHECK(s.rows[0].cls.empty());
  CHECK(s.rows[0].cut_off);
  const std::string net = R"({"framework": "tensorflow", "input": [1, 28, 28, 1], "layers": [
      {"type": "conv", "name": "classifier_conv_layer_with_long_name", "filters": 8, "kernel": 3}]})";
  const auto r = cs::api::check_summary(net, kTf28OneLayer);
  CHECK(r.exit_code == 0);
  const auto v = output_json(r);
  const auto& row = v.find("rows")->as_array()[0];
  CHECK(row.find("name")->as_string() == "classifier_conv_layer_with_long_name");
  CHECK(row.find("class")->as_string() == "Conv2D");
  CHECK(contains(notes_of(v), "\"classifier_conv_layer_with_l\": Keras cut this name at its column's width; matched "
                              "by the beginning of the name, whose class was cut off too"));
  SUBCASE("a name short of the column's width was not cut: its missing class is an error") {
    const std::string bad = replaced(kTf28OneLayer, "classifier_conv_layer_with_l ", "classifier                   ");
    CHECK(summary_error(bad) == "line 5, column 1: expected \"name (Class)\", got \"classifier\"");
  }
}

TEST_CASE("a name cell of a million ellipses is read in one pass, and cut names are held to the name limit") {
  const auto keras3 = [](const std::string& name_cell) {
    return "Model: \"m\"\n"
           "┏━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┓\n"
           "┃ Layer (type)        ┃ Output Shape      ┃    Param # ┃\n"
           "┡━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━┩\n"
           "│ " + name_cell + " │ (None, 10)        │         17 │\n"
           "└─────────────────────┴───────────────────┴────────────┘\n"
           " Total params: 17 (68.00 B)\n";
  };
  std::string ellipses;
  for (int i = 0; i < 1300000; ++i) ellipses += "…";
  SUBCASE("3.9 MB: stripping one '…' at a time took over a minute; fuzz and CI timeouts catch a regression") {
    const std::string text = keras3("a (" + ellipses);
    REQUIRE(text.size() > 3900000);
    REQUIRE(text.size() < imp::max_text_bytes);
    const imp::Summary s = summary_ok(text);
    REQUIRE(s.rows.size() == 1);
    CHECK(s.rows[0].name == "a");
    CHECK(s.rows[0].cls.empty());
    CHECK(s.rows[0].cut_off);
  }
  SUBCASE("a name over the limit before the ellipsis") {
    CHECK(summary_error(keras3(std::string(cs::limits::max_name_chars + 1, 'a') + "…")) ==
          "line 5, column 3: layer name longer than 200 characters");
    CHECK(summary_error(keras3("a (" + std::string(cs::limits::max_name_chars + 1, 'B') + ellipses)) ==
          "line 5, column 3: layer class longer than 200 characters");
  }
}
