// Real models against PyTorch's own run. tests/fixtures/models/
// make_models.py (Debian's torch 1.13 and torchvision 0.14, installed by
// scripts/install-deps.sh) exports torchvision's families and two U-Nets as
// graph-only ONNX files with ground truth from forward hooks; this test
// writes that corpus into the build directory when it is missing or the
// script changed, imports every model, compares every module call's output
// shape (at the ONNX node that computes it), the model's output and the
// parameter count with the graph's initializers, and prints a table: every
// family must import exactly (a stop at node X would say why). A model PyTorch rejects (the U-Net
// at 100x100) must never come out "every layer valid".
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iomanip>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "convscope/analyze.hpp"
#include "convscope/import/draft.hpp"
#include "import_support.hpp"
#include "real_models_support.hpp"

using namespace import_support;
using namespace real_models;
namespace fs = std::filesystem;
namespace json = convscope::json;

namespace {

struct Row {
  std::string model, input, verdict;
  size_t nodes = 0, layers = 0, compared = 0, matched = 0, not_reached = 0;
  std::string output, params;
};

// Every module call of `calls` against the imported network's analysis.
void compare_calls(const json::Value& calls, const imp::ImportResult& r, const cs::Report& report, Row& row) {
  std::map<std::string, size_t> by_name;
  for (size_t k = 0; k < r.network.layers.size(); ++k) by_name[r.network.layers[k].name] = k;
  for (const auto& call : calls.as_array()) {
    const json::Value* node = call.find("onnx_node");
    if (!node || !node->is_string()) continue;  // BatchNorm folded into the conv, Dropout left out in eval
    const auto it = by_name.find(node->as_string());
    if (it == by_name.end()) {
      // After a stop the node is not imported; otherwise every module's last node is a layer.
      if (!r.stopped_at.empty()) {
        ++row.not_reached;
        continue;
      }
      INFO(row.model << ": module " << call.find("module")->as_string() << " computes at node " << node->as_string()
                     << ", which is no layer of the import");
      CHECK(false);
      continue;
    }
    ++row.compared;
    const cs::Shape expected = shape_of(*call.find("shape"));
    const std::optional<cs::Shape>& got = report.layers[it->second].output;
    if (got == expected) ++row.matched;
    INFO(row.model << ": module " << call.find("module")->as_string() << " (" << call.find("class")->as_string()
                   << ") at node " << node->as_string() << ": PyTorch " << shape_str(expected) << ", ConvScope "
                   << shape_str(got));
    CHECK(got == expected);
  }
}

Row check_run(const std::string& name, const std::string& bytes, const json::Value& truth, const json::Value& run) {
  Row row;
  row.model = name;
  const cs::Shape input = shape_of(*run.find("input"));
  row.input = imp::shape_text(input);
  const imp::ImportResult r = import_ok(bytes, with_input(input));
  const cs::Report report = cs::analyze(r.network, {false, false, 0, false});
  row.nodes = static_cast<size_t>(truth.find("onnx_nodes")->as_int());
  row.layers = r.network.layers.size();
  const json::Value* error = run.find("error");
  if (error && error->is_string()) {
    // PyTorch rejects the model at this size: so must the import, at the same merge.
    row.verdict = "PyTorch: " + error->as_string();
    INFO(name << " at " << row.input << ": PyTorch says " << error->as_string());
    REQUIRE_FALSE(report.ok);
    const std::string& failing = report.layers[*report.first_error].name;
    CHECK(failing == run.find("error_node")->as_string());
    row.output = "error at " + failing;
    row.verdict += " -> ConvScope: " + report.layers[*report.first_error].message.substr(0, 60) + "...";
    return row;
  }
  compare_calls(*run.find("calls"), r, report, row);
  const cs::Shape output = shape_of(*run.find("output"));
  row.output = shape_str(report.output) + (report.output == output ? "" : " (PyTorch " + shape_str(output) + ")");
  REQUIRE(r.initializers);
  const int64_t expected = r.initializers->file + r.initializers->shared - r.initializers->not_params;
  CHECK(r.initializers->file == truth.find("onnx_initializer_values")->as_int());
  if (!r.stopped_at.empty()) {
    row.verdict = "stopped at " + r.stopped_at;
    row.params = "-";
    return row;
  }
  CHECK(report.ok);
  CHECK(report.output == output);
  REQUIRE(report.total_params);
  CHECK(*report.total_params == expected);
  row.params = std::to_string(r.initializers->file) + " in the file, " + std::to_string(*report.total_params) +
               " counted" + (r.initializers->shared ? " (+" + std::to_string(r.initializers->shared) + " shared)" : "") +
               (r.initializers->not_params ? " (-" + std::to_string(r.initializers->not_params) + " constants)" : "");
  row.verdict = report.ok && row.matched == row.compared && report.output == output ? "imported exactly" : "DIFFERS";
  return row;
}

std::string table(const std::vector<Row>& rows) {
  std::ostringstream t;
  t << std::left << std::setw(20) << "model" << std::setw(14) << "input" << std::setw(7) << "nodes" << std::setw(8)
    << "layers" << std::setw(24) << "modules equal" << std::setw(22) << "output" << "verdict; parameters\n";
  for (const Row& r : rows) {
    const std::string modules = std::to_string(r.matched) + "/" + std::to_string(r.compared) +
                                (r.not_reached ? " (+" + std::to_string(r.not_reached) + " after)" : "");
    t << std::setw(20) << r.model << std::setw(14) << r.input << std::setw(7) << r.nodes << std::setw(8) << r.layers
      << std::setw(24) << modules << std::setw(22) << r.output << r.verdict
      << (r.params.empty() || r.params == "-" ? "" : "; " + r.params) << "\n";
  }
  return t.str();
}

}  // namespace

TEST_CASE("real models: every module's shape, the output and the parameters of torchvision's families and two "
          "U-Nets, against PyTorch's own run") {
  ensure_corpus();
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(corpus_dir()))
    if (entry.path().extension() == ".onnx") names.push_back(entry.path().stem().string());
  std::sort(names.begin(), names.end());
  REQUIRE(names.size() == 15);
  std::vector<Row> rows;
  for (const std::string& name : names) {
    CAPTURE(name);
    const std::string bytes = test_support::read_text(corpus_dir() / (name + ".onnx"));
    const json::Value truth = read_json(corpus_dir() / (name + ".json"));
    rows.push_back(check_run(name, bytes, truth, truth));
    if (const json::Value* other = truth.find("other_input")) rows.push_back(check_run(name, bytes, truth, *other));
  }
  // Every family imports exactly, ShuffleNet V2 included (its channel
  // shuffle and chunk are channel_shuffle and channel_split): no stop.
  for (const Row& row : rows) {
    CAPTURE(row.model);
    CAPTURE(row.input);
    if (row.verdict.rfind("PyTorch: ", 0) == 0) continue;  // the U-Net PyTorch rejects, checked above
    CHECK(row.verdict == "imported exactly");
    CHECK(row.not_reached == 0u);
    CHECK(row.compared > 0u);
  }
  const std::string text = table(rows);
  std::ofstream(corpus_dir() / "table.txt") << text;
  std::cout << "\n" << text << std::flush;
}
