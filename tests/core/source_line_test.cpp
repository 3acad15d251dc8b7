// A layer's `source`: the line of pasted model code it was read from. The
// contract field (parse, write, errors naming the path), the one rule that
// cuts a line, the report's rows, the branch trace and the CLI's text table,
// and share links, which leave it out.
#include <doctest/doctest.h>

#include "convscope/api.hpp"
#include "convscope/json.hpp"
#include "convscope/network_json.hpp"
#include "convscope/report_json.hpp"
#include "test_support.hpp"

using convscope::Network;
using convscope::SourceLine;
using test_support::analyse;
using test_support::contains;
using test_support::parse_error;

namespace {

// The small U-Net without F.pad, as the code reader reads it, with every
// layer's source line (tests/fixtures/sources/small_unet_nopad.json, from
// tests/fixtures/sources/small_unet_nopad.py).
std::string unet_json() {
  return test_support::read_text(test_support::source_dir() / "tests" / "fixtures" / "sources" / "small_unet_nopad.json");
}

// The fixture at another input size.
std::string unet_at(int64_t size) {
  Network net;
  std::string error;
  REQUIRE(convscope::network_json::parse(unet_json(), net, error));
  net.input = {1, 3, size, size};
  return convscope::json::write(convscope::network_json::to_json(net), -1);
}

std::string with_layer(const std::string& layer) {
  return R"({"framework": "pytorch", "input": [1, 3, 8, 8], "layers": [{"type": "relu"}, )" + layer + "]}";
}

size_t code_points(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

}  // namespace

TEST_CASE("make_source_line drops the indentation and the line end, and cuts a long line with an ellipsis") {
  CHECK(convscope::make_source_line(44, "        x = torch.cat([x3, x], dim=1)\r") ==
        SourceLine{44, "x = torch.cat([x3, x], dim=1)"});
  CHECK(convscope::make_source_line(3, "\tx = f(x)\t# tab\tinside").code == "x = f(x) # tab inside");
  CHECK(convscope::make_source_line(1, "   ").code.empty());

  SUBCASE("200 code points are kept whole; 201 become 199 and the ellipsis") {
    const std::string exact(200, 'a');
    CHECK(convscope::make_source_line(1, "    " + exact).code == exact);
    const SourceLine cut = convscope::make_source_line(1, exact + "b");
    CHECK(cut.code == std::string(199, 'a') + "\u2026");
    CHECK(code_points(cut.code) == 200u);
  }
  SUBCASE("the cut never splits a UTF-8 sequence") {
    std::string greek;
    for (int i = 0; i < 150; ++i) greek += "\u03b1\u03b2";  // 300 two-byte code points
    const SourceLine cut = convscope::make_source_line(7, "# " + greek);
    CHECK(code_points(cut.code) == 200u);
    CHECK(cut.code.substr(cut.code.size() - 3) == "\u2026");
    std::string error;
    Network net;  // the cut line is valid in the contract, so the parser takes what the importer writes
    CHECK(convscope::network_json::parse(
        with_layer(R"({"type": "relu", "source": {"line": 7, "code": )" +
                   convscope::json::write(convscope::json::Value(cut.code), -1) + "}}"),
        net, error));
    CHECK(error.empty());
  }
}

TEST_CASE("the contract reads a layer's source, writes it back after the layer's fields and keeps it through round trips") {
  Network net;
  std::string error;
  REQUIRE(convscope::network_json::parse(
      with_layer(R"J({"type": "conv", "source": {"code": "x = self.conv1(x)", "line": 12}, "filters": 4, "kernel": 3})J"), net,
      error));
  REQUIRE(net.layers[1].source.has_value());
  CHECK(*net.layers[1].source == SourceLine{12, "x = self.conv1(x)"});
  CHECK_FALSE(net.layers[0].source.has_value());
  const std::string written = convscope::json::write(convscope::network_json::to_json(net), -1);
  CHECK(contains(written, R"J({"type":"relu"},{"type":"conv","filters":4,"kernel":3,"source":{"line":12,"code":"x = self.conv1(x)"}})J"));
  Network again;
  REQUIRE(convscope::network_json::parse(written, again, error));
  CHECK(again.layers[1].source == net.layers[1].source);
  CHECK(convscope::json::write(convscope::network_json::to_json(again), -1) == written);

  SUBCASE("normalize and the fixes keep every source; a layer a fix inserts has none") {
    const auto normalized = convscope::api::normalize(unet_json());
    REQUIRE(normalized.exit_code == 0);
    CHECK(contains(normalized.output, "\"code\": \"x = torch.cat([x3, x], dim=1)\""));
    const auto a = analyse(unet_json());
    REQUIRE(a.report.first_error.has_value());
    const auto& fixes = a.report.layers[*a.report.first_error].fixes;
    REQUIRE_FALSE(fixes.empty());
    for (const auto& fix : fixes) {
      size_t with_source = 0;
      for (const auto& l : fix.network.layers) with_source += l.source.has_value();
      CHECK(with_source >= a.net.layers.size() - 1);  // at most one inserted layer (pad_to, crop_to, ...)
    }
  }
}

TEST_CASE("a malformed source is refused with the path of what is wrong") {
  const auto error_for = [](const std::string& source) {
    return parse_error(with_layer(R"({"type": "relu", "source": )" + source + "}"));
  };
  const std::string shape = R"(layers[1].source: expected {"line": its number, "code": its text}, got )";
  CHECK(error_for("42") == shape + "42");
  CHECK(error_for(R"J({"code": "x = f(x)"})J") == shape + R"J({"code":"x = f(x)"})J");
  CHECK(error_for(R"({"line": 3})") == shape + R"({"line":3})");
  CHECK(error_for(R"({"line": 3, "code": "x", "column": 4})") == shape + R"({"line":3,"code":"x","column":4})");
  CHECK(error_for(R"({"line": 0, "code": "x"})") == "layers[1].source.line: expected a positive integer, got 0");
  CHECK(error_for(R"({"line": "3", "code": "x"})") == "layers[1].source.line: expected a positive integer, got \"3\"");
  CHECK(error_for(R"({"line": 3, "code": 7})") == "layers[1].source.code: expected a string, got 7");
  CHECK(error_for(R"({"line": 3, "code": "a\nb"})") == "layers[1].source.code: control characters are not allowed");
  CHECK(error_for(R"({"line": 3, "code": ")" + std::string(201, 'x') + "\"}") ==
        "layers[1].source.code: longer than 200 characters");
  CHECK(error_for(R"({"line": 3, "code": ")" + std::string(200, 'x') + "\"}").empty());
  // The unknown-field message lists it among the fields every layer takes.
  CHECK(contains(parse_error(with_layer(R"({"type": "relu", "sourse": 1})")), "(expected name, inputs, source)"));
}

TEST_CASE("the report carries each layer's source, and the failing cat's line is in its row, its trace and the text table") {
  const auto a = analyse(unet_json());
  REQUIRE(a.report.first_error.has_value());
  const size_t cat = *a.report.first_error;
  CHECK(a.report.layers[cat].name == "cat");
  // PyTorch 1.13 at 1x3x100x100 (tests/fixtures/sources/small_unet_nopad.py): line 44 raises
  const std::string torch_text =
      "Sizes of tensors must match except in dimension 1. Expected size 25 but got size 24 for tensor number 1 in the list.";
  REQUIRE_FALSE(a.report.layers[cat].framework_errors.empty());
  CHECK(a.report.layers[cat].framework_errors[0].text == torch_text);

  const auto report = convscope::report_to_json(a.report, a.net);
  const auto& row = report.find("layers")->as_array()[cat];
  const auto* source = row.find("source");
  REQUIRE(source != nullptr);
  CHECK(source->find("line")->as_int() == 44);
  CHECK(source->find("code")->as_string() == "x = torch.cat([x3, x], dim=1)");
  // Right after the type, before the shapes.
  CHECK(row.as_object()[3].first == "source");

  SUBCASE("the trace names each layer with its line") {
    const auto* trace = row.find("trace");
    REQUIRE(trace != nullptr);
    CHECK(trace->find("text")->as_string() ==
          "down2.double_conv.3 (line 41) is 25x25; pool_2 (line 42) floors it to 12, up1 (line 43) doubles it to 24: "
          "24 \u2260 25 (H)");
    // Its entries name layers, whose rows carry their lines: no line of their own.
    CHECK_FALSE(contains(convscope::json::write(*trace, -1), "\"line\""));
  }
  SUBCASE("the text table prints the line under the failing layer's message, and the summary says where") {
    const auto table = convscope::api::analyze_table(unet_json());
    CHECK(table.exit_code == 1);
    const std::string error_line = "      error:   " + a.report.layers[cat].message + "\n";
    CHECK(contains(table.output, error_line + "      line 44: x = torch.cat([x3, x], dim=1)\n"));
    CHECK(contains(table.output, "First error:  layer " + std::to_string(cat) + " (cat) at line 44\n"));
  }
  SUBCASE("at 96x96 every layer is valid, and each row still has its line") {
    const auto valid = analyse(unet_at(96));
    CHECK(valid.report.ok);
    const auto rows = convscope::report_to_json(valid.report, valid.net).find("layers")->as_array();
    for (const auto& r : rows) CHECK(r.find("source") != nullptr);
  }
}

TEST_CASE("a network without sources has no source key anywhere in its report") {
  const auto a = analyse(test_support::example_text("unet_padded.json"));
  const std::string text = convscope::report_text_json(a.report, a.net);
  CHECK_FALSE(contains(text, "\"source\""));
  CHECK_FALSE(contains(text, "\"line\""));
  CHECK_FALSE(contains(convscope::report_table(a.report, a.net), " at line "));
}

TEST_CASE("share links leave the sources out, so a link stays short") {
  const auto link = convscope::api::encode_link(unet_json(), "[]");
  REQUIRE(link.exit_code == 0);
  CHECK_FALSE(contains(link.output, "source"));
  CHECK_FALSE(contains(link.output, "torch.cat"));
  const auto decoded = convscope::api::decode_link(link.output);
  REQUIRE(decoded.exit_code == 0);
  CHECK_FALSE(contains(decoded.output, "\"source\""));
  // The same network otherwise: its link is the link of the network without sources.
  Network net;
  std::string error;
  REQUIRE(convscope::network_json::parse(unet_json(), net, error));
  for (auto& l : net.layers) l.source.reset();
  net.description.clear();
  CHECK(convscope::api::encode_link(convscope::json::write(convscope::network_json::to_json(net), -1), "[]").output ==
        link.output);
}
