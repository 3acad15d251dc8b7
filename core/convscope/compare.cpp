#include "convscope/compare.hpp"

#include <algorithm>

#include "convscope/conventions.hpp"
#include "convscope/network_json.hpp"
#include "convscope/report_json.hpp"

namespace convscope {

using json::Value;

const std::vector<Framework>& compared_frameworks() {
  static const std::vector<Framework> kAll = {Framework::pytorch, Framework::tensorflow, Framework::onnx};
  return kAll;
}

namespace {

// "12x12" (spatial sizes: they read alike in every layout), or the whole
// shape where there are no spatial axes.
std::string size_text(const Shape& s, Framework f) {
  if (s.size() < 3) return "[" + conventions::joined(s, ", ") + "]";
  Shape spatial;
  for (size_t a = 0; a + 2 < s.size(); ++a) spatial.push_back(s[conventions::spatial_axis(f, a)]);
  return conventions::joined(spatial, "x") + " (" + std::to_string(s[conventions::channel_axis(f, s.size())]) +
         " channels)";
}

CompareCell cell_of(const Translation& port, const Report& report, size_t source_layer, size_t spatial_rank) {
  CompareCell c;
  c.framework = port.framework;
  for (size_t j = 0; j < port.source_of.size(); ++j)
    if (port.source_of[j] == source_layer) c.layers.push_back(j);
  const LayerReport& main = report.layers[port.target_of[source_layer]];
  for (size_t j : c.layers)
    if (j < port.target_of[source_layer] && port.network.layers[j].type == LayerType::zero_pad) c.padded_by_port = true;
  const LayerReport* failing = nullptr;
  for (size_t j : c.layers) {
    const LayerReport& r = report.layers[j];
    if (r.status == Status::error && !failing) failing = &r;
    for (const std::string& w : r.warnings) {
      c.warnings.push_back(w);
      if (r.runtime_refuses && w.find("ONNX Runtime") == 0 && !c.runtime_refuses) {
        c.runtime_refuses = true;
        c.error_text = w;
      }
    }
  }
  c.status = failing                        ? Status::error
             : main.status == Status::skipped ? Status::skipped
             : c.warnings.empty()             ? Status::ok
                                              : Status::warning;
  c.output = main.output;
  const LayerReport& shown = failing ? *failing : main;
  c.formula = formula_text(shown, spatial_rank);
  if (failing) {
    c.message = failing->message;
    if (!failing->framework_errors.empty()) {
      c.error_text = failing->framework_errors[0].text;
      c.runtime_runs = failing->framework_errors[0].source == conventions::onnxruntime_text::runs_anyway_source;
    }
  } else if (!c.warnings.empty()) {
    c.message = c.warnings[0];
  }
  return c;
}

std::string outcome(const CompareCell& c) {
  switch (c.status) {
    case Status::error:
      return c.runtime_runs ? "fails by the spec; " + c.error_text : "fails: " + c.message;
    case Status::skipped: return "is not reached";
    case Status::warning:
      if (c.runtime_refuses)
        return "gives " + (c.output ? size_text(*c.output, c.framework) : "-") + " by the spec; " + c.error_text;
      return "gives " + (c.output ? size_text(*c.output, c.framework) : "-") + ", with a warning: " + c.message;
    case Status::ok: return "gives " + (c.output ? size_text(*c.output, c.framework) : "-");
  }
  return "";
}

// "PyTorch and ONNX: (4 - 5) / 2 + 1 = 0 -> fails: ...; TensorFlow/Keras: ..."
std::string rule_sentence(const CompareRow& row) {
  std::vector<std::pair<std::string, std::vector<std::string>>> groups;  // clause -> frameworks
  for (const CompareCell& c : row.cells) {
    const std::string clause = (c.formula.empty() ? "" : c.formula + " -> ") + outcome(c);
    auto it = std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == clause; });
    if (it == groups.end()) groups.push_back({clause, {conventions::display_name(c.framework)}});
    else it->second.push_back(conventions::display_name(c.framework));
  }
  std::string s;
  for (const auto& g : groups) {
    std::string who;
    for (size_t k = 0; k < g.second.size(); ++k)
      who += (k == 0 ? "" : k + 1 == g.second.size() ? " and " : ", ") + g.second[k];
    s += (s.empty() ? "" : "; ") + who + ": " + g.first;
  }
  return s;
}

void find_differences(CompareRow& row, Framework source) {
  std::vector<const CompareCell*> reached;
  for (const CompareCell& c : row.cells)
    if (c.status != Status::skipped) reached.push_back(&c);
  if (reached.size() < 2) return;
  // ONNX: what ONNX Runtime does decides, where it departs from the spec.
  const auto fails = [](const CompareCell* c) {
    return (c->status == Status::error && !c->runtime_runs) || c->runtime_refuses;
  };
  const size_t failing = static_cast<size_t>(std::count_if(reached.begin(), reached.end(), fails));
  if (failing != 0 && failing != reached.size()) row.differs.push_back("verdict");
  std::vector<Shape> shapes;
  for (const CompareCell* c : reached)
    if (c->output && c->status != Status::error) shapes.push_back(in_layout(*c->output, c->framework, source));  // axis by axis in one layout
  for (const Shape& s : shapes)
    if (s != shapes[0]) {
      row.differs.push_back("shape");
      break;
    }
  size_t warned = 0, passing = 0;
  for (const CompareCell* c : reached) {
    if (c->status == Status::error || c->padded_by_port || c->runtime_refuses) continue;
    ++passing;
    warned += c->status == Status::warning;
  }
  if (warned != 0 && warned != passing) row.differs.push_back("warning");
}

}  // namespace

Comparison compare(const Network& net) {
  Comparison c;
  c.source = net.framework;
  for (Framework f : compared_frameworks()) {
    c.ports.push_back(translate(net, f));
    c.reports.push_back(propagate(c.ports.back().network, true));
  }
  const size_t sr = net.spatial_rank();
  for (size_t i = 0; i < net.layers.size(); ++i) {
    CompareRow row;
    row.layer = i;
    for (size_t k = 0; k < c.ports.size(); ++k) row.cells.push_back(cell_of(c.ports[k], c.reports[k], i, sr));
    for (const Translation& port : c.ports)
      for (const TranslationNote& n : port.notes)
        if (n.layer == i) row.notes.push_back(conventions::display_name(port.framework) + ": " + n.text);
    find_differences(row, net.framework);
    if (!row.differs.empty()) {
      row.rule = rule_sentence(row);
      ++c.differing;
    }
    c.rows.push_back(std::move(row));
  }
  return c;
}

// ---- JSON ---------------------------------------------------------------------------

namespace {

Value strings(const std::vector<std::string>& v) {
  json::Array a;
  for (const std::string& s : v) a.push_back(Value(s));
  return Value(std::move(a));
}

Value verdict_value(const Report& r, const Network& port) {
  if (r.ok) return Value("every layer valid");
  return Value("fails at " + port.layers[*r.first_error].name);
}

}  // namespace

json::Value comparison_to_json(const Comparison& c, const Network& net) {
  json::Array frameworks;
  for (size_t k = 0; k < c.ports.size(); ++k) {
    const Translation& port = c.ports[k];
    json::Array notes;
    for (const TranslationNote& n : port.notes)
      notes.push_back(Value(json::Object{{"layer", Value(net.layers[n.layer].name)}, {"text", Value(n.text)}}));
    frameworks.push_back(Value(json::Object{
        {"framework", Value(to_string(port.framework))},
        {"source", Value(port.framework == c.source)},
        {"ok", Value(c.reports[k].ok)},
        {"verdict", verdict_value(c.reports[k], port.network)},
        {"output", c.reports[k].output ? Value([&] {
           json::Array a;
           for (int64_t d : *c.reports[k].output) a.push_back(Value(d));
           return a;
         }())
                                       : Value()},
        {"notes", Value(std::move(notes))},
        {"network", network_json::to_json(port.network)},
        {"source_rows", Value([&] {
           json::Array a;
           for (size_t i : port.source_of) a.push_back(Value(static_cast<int64_t>(i)));
           return a;
         }())}}));
  }
  json::Array rows;
  for (const CompareRow& row : c.rows) {
    json::Array cells;
    for (size_t k = 0; k < row.cells.size(); ++k) {
      const CompareCell& cell = row.cells[k];
      const Translation& port = c.ports[k];
      json::Array output, layers;
      if (cell.output)
        for (int64_t d : *cell.output) output.push_back(Value(d));
      for (size_t j : cell.layers) layers.push_back(Value(port.network.layers[j].name));
      cells.push_back(Value(json::Object{{"framework", Value(to_string(cell.framework))},
                                         {"status", Value(to_string(cell.status))},
                                         {"output", cell.output ? Value(std::move(output)) : Value()},
                                         {"formula", Value(cell.formula)},
                                         {"message", Value(cell.message)},
                                         {"error_text", Value(cell.error_text)},
                                         {"runtime_runs", Value(cell.runtime_runs)},
                                         {"runtime_refuses", Value(cell.runtime_refuses)},
                                         {"layers", Value(std::move(layers))},
                                         {"warnings", strings(cell.warnings)},
                                         {"padded_by_port", Value(cell.padded_by_port)}}));
    }
    rows.push_back(Value(json::Object{{"index", Value(static_cast<int64_t>(row.layer))},
                                      {"name", Value(net.layers[row.layer].name)},
                                      {"type", Value(to_string(net.layers[row.layer].type))},
                                      {"differs", strings(row.differs)},
                                      {"rule", Value(row.rule)},
                                      {"notes", strings(row.notes)},
                                      {"cells", Value(std::move(cells))}}));
  }
  return Value(json::Object{{"source", Value(to_string(c.source))},
                            {"differences", Value(static_cast<int64_t>(c.differing))},
                            {"frameworks", Value(std::move(frameworks))},
                            {"rows", Value(std::move(rows))}});
}

// ---- Table --------------------------------------------------------------------------

std::string comparison_table(const Comparison& c, const Network& net) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> head = {"#", "Layer"};
  for (const Translation& port : c.ports)
    head.push_back(conventions::display_name(port.framework) + (port.framework == c.source ? " (source)" : ""));
  head.push_back("Differs");
  rows.push_back(head);
  for (const CompareRow& row : c.rows) {
    std::vector<std::string> r = {std::to_string(row.layer), net.layers[row.layer].name};
    for (const CompareCell& cell : row.cells)
      r.push_back(table_shape_text(cell.output) + " " + table_status_mark(cell.status));
    std::string differs;
    for (const std::string& d : row.differs) differs += (differs.empty() ? "" : ", ") + d;
    r.push_back(differs.empty() ? "-" : differs);
    rows.push_back(std::move(r));
  }
  std::string out = "ConvScope compare: written for " + conventions::display_name(c.source) + ", input [" +
                    conventions::joined(net.input, ", ") + "] (" +
                    conventions::layout_string(net.framework, net.input.size()) + "); each column in its own layout\n";
  out += table_text(rows);
  out += "Verdicts:\n";
  for (size_t k = 0; k < c.ports.size(); ++k) {
    const Report& r = c.reports[k];
    out += "  " + conventions::display_name(c.ports[k].framework) + ": " +
           (r.ok ? "every layer valid" : "fails at " + c.ports[k].network.layers[*r.first_error].name);
    for (const CompareRow& row : c.rows)
      if (row.cells[k].runtime_refuses || row.cells[k].runtime_runs) {
        out += std::string(" (ONNX Runtime ") + (row.cells[k].runtime_runs ? "runs " : "refuses ") +
               net.layers[row.layer].name + ")";
        break;
      }
    out += "\n";
  }
  if (c.differing == 0) {
    out += "The three frameworks agree on every layer.\n";
  } else {
    out += "Differences (" + std::to_string(c.differing) + "):\n";
    for (const CompareRow& row : c.rows) {
      if (row.differs.empty()) continue;
      out += "  " + net.layers[row.layer].name + " (layer " + std::to_string(row.layer) + "): " + row.rule + "\n";
      for (const CompareCell& cell : row.cells)
        if (!cell.error_text.empty())
          out += "    " + conventions::display_name(cell.framework) + " says: " + cell.error_text + "\n";
    }
  }
  bool any_note = false;
  for (const CompareRow& row : c.rows)
    for (const std::string& n : row.notes) {
      if (!any_note) out += "How the ports are written:\n";
      any_note = true;
      out += "  " + net.layers[row.layer].name + ": " + n + "\n";
    }
  return out;
}

}  // namespace convscope
