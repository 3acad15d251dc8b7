#include "convscope/report_json.hpp"

#include <algorithm>

#include "convscope/geometry.hpp"
#include "convscope/network_json.hpp"

namespace convscope {

using json::Value;
using std::to_string;

namespace {

Value shape_value(const std::optional<Shape>& s) {
  if (!s) return Value();
  json::Array a;
  for (int64_t d : *s) a.push_back(Value(d));
  return Value(std::move(a));
}

Value optional_int(const std::optional<int64_t>& v) { return v ? Value(*v) : Value(); }

// start is a multiple of 1/2: print 2 or 2.5, never 2.0.
Value half_value(int64_t x2) {
  if (x2 % 2 == 0) return Value(x2 / 2);
  return Value(static_cast<double>(x2) / 2.0);
}

Value receptive_field_value(const std::optional<ReceptiveField>& rf) {
  if (!rf) return Value();
  json::Array size, jump, start;
  for (size_t i = 0; i < rf->size.size(); ++i) {
    size.push_back(Value(rf->size[i]));
    jump.push_back(Value(rf->jump[i]));
    start.push_back(half_value(rf->start_x2[i]));
  }
  return Value(json::Object{{"size", Value(std::move(size))},
                            {"jump", Value(std::move(jump))},
                            {"start", Value(std::move(start))}});
}

std::string source_name(const Network& net, int32_t k) {
  return k == kNetworkInput ? std::string("input") : net.layers[static_cast<size_t>(k)].name;
}

Value trace_value(const BranchTrace& t, const Network& net) {
  json::Array branches;
  for (const BranchTrace::Branch& b : t.branches) {
    json::Array steps;
    for (const TraceStep& s : b.steps)
      steps.push_back(Value(json::Object{{"layer", Value(net.layers[s.layer].name)},
                                         {"in", Value(s.in)},
                                         {"out", Value(s.out)}}));
    branches.push_back(Value(json::Object{{"input", Value(static_cast<int64_t>(b.input))},
                                          {"steps", Value(std::move(steps))},
                                          {"size", Value(b.size)}}));
  }
  return Value(json::Object{{"axis", Value(t.axis_label)},
                            {"split", Value(source_name(net, t.split))},
                            {"split_size", Value(t.split_size)},
                            {"branches", Value(std::move(branches))},
                            {"text", Value(t.text)}});
}

Value layer_value(const LayerReport& r, const Network& net) {
  const size_t spatial_rank = net.spatial_rank();
  json::Object o;
  o.push_back({"index", Value(static_cast<int64_t>(r.index))});
  o.push_back({"name", Value(r.name)});
  o.push_back({"type", Value(to_string(r.type))});
  // The line of pasted code the layer was read from (only when it was).
  if (const auto& source = net.layers[r.index].source) o.push_back({"source", network_json::source_json(*source)});
  json::Array inputs, arriving;
  for (int32_t k : r.inputs) inputs.push_back(Value(source_name(net, k)));
  if (r.arriving.empty()) arriving.push_back(shape_value(r.input));
  for (const auto& s : r.arriving) arriving.push_back(shape_value(s));
  o.push_back({"inputs", Value(std::move(inputs))});
  o.push_back({"arriving", Value(std::move(arriving))});
  o.push_back({"input", shape_value(r.input)});
  o.push_back({"output", shape_value(r.output)});
  o.push_back({"status", Value(to_string(r.status))});
  o.push_back({"message", Value(r.message)});
  const std::string formula = formula_text(r, spatial_rank);
  o.push_back({"formula", formula.empty() ? Value() : Value(formula)});
  if (r.framework_errors.empty()) {
    o.push_back({"framework_error", Value()});
    o.push_back({"framework_error_source", Value()});
  } else {
    o.push_back({"framework_error", Value(r.framework_errors[0].text)});
    o.push_back({"framework_error_source", Value(r.framework_errors[0].source)});
  }
  json::Array others;
  for (size_t i = 1; i < r.framework_errors.size(); ++i)
    others.push_back(Value(json::Object{{"source", Value(r.framework_errors[i].source)},
                                        {"text", Value(r.framework_errors[i].text)}}));
  o.push_back({"framework_error_others", Value(std::move(others))});
  json::Array warnings;
  for (const auto& w : r.warnings) warnings.push_back(Value(w));
  o.push_back({"warnings", Value(std::move(warnings))});
  json::Array fixes;
  for (const Fix& f : r.fixes)
    fixes.push_back(Value(json::Object{{"summary", Value(f.summary)},
                                       {"resolves_all", Value(f.resolves_all)},
                                       {"output", shape_value(f.output)},
                                       {"network", network_json::to_json(f.network)}}));
  o.push_back({"fixes", Value(std::move(fixes))});
  o.push_back({"params", optional_int(r.params)});
  o.push_back({"macs", optional_int(r.macs)});
  o.push_back({"receptive_field", receptive_field_value(r.receptive_field)});
  o.push_back({"trace", r.trace ? trace_value(*r.trace, net) : Value()});
  o.push_back({"geometry", geometry::to_json(geometry::resolve(net.layers[r.index], r))});
  return Value(std::move(o));
}

Value sizes_value(const std::vector<int64_t>& v) {
  if (v.empty()) return Value();
  json::Array a;
  for (int64_t x : v) a.push_back(Value(x));
  return Value(std::move(a));
}

Value valid_input_value(const ValidInput& v) {
  json::Array axes;
  for (const AxisSizes& ax : v.axes) {
    json::Array residues;
    for (int64_t x : ax.residues) residues.push_back(Value(x));
    axes.push_back(Value(json::Object{{"axis", Value(ax.label)},
                                      {"smallest", optional_int(ax.smallest)},
                                      {"period", ax.period ? Value(ax.period) : Value()},
                                      {"residues", Value(std::move(residues))},
                                      {"sizes", sizes_value(ax.listed)},
                                      {"checked_up_to", Value(ax.checked_up_to)},
                                      {"text", Value(ax.text)}}));
  }
  return Value(json::Object{{"text", Value(v.text)},
                            {"note", Value(v.note)},
                            {"axes", Value(std::move(axes))},
                            {"nearest_below", sizes_value(v.nearest_below)},
                            {"nearest_above", sizes_value(v.nearest_above)}});
}

}  // namespace

json::Value report_to_json(const Report& report, const Network& net) {
  json::Object o;
  o.push_back({"framework", Value(to_string(report.framework))});
  // Set when the network is an importer's reading of the user's model: every
  // verdict and fix below holds for that reading (network.hpp).
  o.push_back({"guessed", net.guessed.empty() ? Value() : Value(net.guessed)});
  o.push_back({"ok", Value(report.ok)});
  o.push_back({"first_error", report.first_error ? Value(static_cast<int64_t>(*report.first_error)) : Value()});
  json::Array errors;
  for (size_t e : report.errors) errors.push_back(Value(static_cast<int64_t>(e)));
  o.push_back({"errors", Value(std::move(errors))});
  o.push_back({"min_input", shape_value(report.min_input)});
  o.push_back({"min_input_note", Value(report.min_input_note)});
  o.push_back({"valid_input", valid_input_value(report.valid_input)});
  json::Array layers;
  for (const LayerReport& r : report.layers) layers.push_back(layer_value(r, net));
  o.push_back({"layers", Value(std::move(layers))});
  json::Array outputs;
  for (size_t k : report.outputs)
    outputs.push_back(Value(json::Object{{"name", Value(net.layers[k].name)}, {"shape", shape_value(report.layers[k].output)}}));
  o.push_back({"outputs", Value(std::move(outputs))});
  o.push_back({"totals", Value(json::Object{{"params", optional_int(report.total_params)},
                                            {"macs", optional_int(report.total_macs)},
                                            {"output", shape_value(report.output)}})});
  return Value(std::move(o));
}

std::string report_text_json(const Report& report, const Network& net) {
  return json::write(report_to_json(report, net), 2) + "\n";
}

// ---- Text table ----------------------------------------------------------------

namespace {

// 1,234,567
std::string grouped(int64_t v) {
  std::string digits = to_string(v < 0 ? -v : v), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return (v < 0 ? "-" : "") + out;
}

std::string optional_text(const std::optional<int64_t>& v) { return v ? grouped(*v) : "-"; }

std::string rf_text(const std::optional<ReceptiveField>& rf) {
  if (!rf) return "-";
  return conventions::joined(std::vector<int64_t>(rf->size.begin(), rf->size.end()), "x");
}

// Code points, so names in any script line up roughly.
size_t text_width(const std::string& s) {
  size_t points = 0;
  for (unsigned char c : s) points += (c & 0xC0) != 0x80;
  return points;
}

}  // namespace

std::string table_shape_text(const std::optional<Shape>& s) {
  if (!s) return "-";
  return "[" + conventions::joined(*s, ", ") + "]";
}

std::string table_status_mark(Status s) {
  switch (s) {
    case Status::ok: return "ok";
    case Status::warning: return "WARN";
    case Status::error: return "ERROR";
    case Status::skipped: return "skipped";
  }
  return "";
}

std::vector<size_t> table_widths(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width(rows.empty() ? 0 : rows[0].size(), 0);
  for (const auto& row : rows)
    for (size_t c = 0; c < row.size() && c < width.size(); ++c) width[c] = std::max(width[c], text_width(row[c]));
  return width;
}

std::string table_line(const std::vector<std::string>& row, const std::vector<size_t>& width) {
  std::string s;
  for (size_t c = 0; c < row.size(); ++c) {
    s += row[c];
    const size_t w = text_width(row[c]);
    if (c < width.size() && w < width[c] + 2) s.append(width[c] + 2 - w, ' ');
  }
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s + "\n";
}

std::string table_text(const std::vector<std::vector<std::string>>& rows) {
  const std::vector<size_t> width = table_widths(rows);
  size_t total = 0;
  for (size_t w : width) total += w + 2;
  std::string out = std::string(total, '=') + "\n";
  for (size_t i = 0; i < rows.size(); ++i) {
    out += table_line(rows[i], width);
    if (i == 0) out += std::string(total, '-') + "\n";
  }
  return out + std::string(total, '=') + "\n";
}

std::string report_table(const Report& report, const Network& net) {
  const size_t sr = net.spatial_rank();
  std::vector<std::vector<std::string>> rows;
  const bool graph = !is_chain(net);
  rows.push_back({"#", "Layer (type)", "Input", "Output", "Params", "MACs", "RF", "Status"});
  if (graph) rows[0].insert(rows[0].begin() + 2, "Inputs");
  for (const LayerReport& r : report.layers) {
    rows.push_back({to_string(r.index), r.name + " (" + conventions::framework_layer_name(net.framework, r.type, sr) + ")",
                    table_shape_text(r.input), table_shape_text(r.output), optional_text(r.params), optional_text(r.macs),
                    rf_text(r.receptive_field), table_status_mark(r.status)});
    if (graph) {
      std::string from;
      for (int32_t k : r.inputs) from += (from.empty() ? "" : ", ") + source_name(net, k);
      rows.back().insert(rows.back().begin() + 2, from);
    }
  }
  const std::vector<size_t> width = table_widths(rows);
  size_t total_width = 0;
  for (size_t w : width) total_width += w + 2;
  const std::string rule(total_width, '=');
  const std::string thin(total_width, '-');

  std::string out;
  out += "ConvScope report: " + std::string(to_string(net.framework)) + ", input [" +
         conventions::joined(net.input, ", ") + "] (" + conventions::layout_string(net.framework, net.input.size()) + ")\n";
  if (!net.guessed.empty()) out += "Guessed structure: " + net.guessed + "; every verdict below is for this reading\n";
  if (!report.valid_input.text.empty()) out += "Input sizes: " + report.valid_input.text + "\n";
  if (report.min_input)
    out += "Minimum valid input (spatial): " + conventions::joined(*report.min_input, "x") + "\n";
  if (!report.min_input_note.empty()) out += "Note: " + report.min_input_note + "\n";
  out += rule + "\n";
  auto line = [&](const std::vector<std::string>& row) { return table_line(row, width); };
  out += line(rows[0]);
  out += thin + "\n";
  for (size_t i = 0; i < report.layers.size(); ++i) {
    const LayerReport& r = report.layers[i];
    out += line(rows[i + 1]);
    const std::string indent = "      ";
    if (r.arriving.size() > 1)  // several inputs
      for (size_t k = 0; k < r.arriving.size(); ++k)
        out += indent + "input " + to_string(k) + ":  " + source_name(net, r.inputs[k]) + " " + table_shape_text(r.arriving[k]) + "\n";
    if (r.status == Status::error) {
      out += indent + "error:   " + r.message + "\n";
      if (const auto& source = net.layers[i].source)
        out += indent + "line " + to_string(source->line) + ": " + source->code + "\n";
      if (r.trace) out += indent + "why:     " + r.trace->text + "\n";
      const std::string formula = formula_text(r, sr);
      if (!formula.empty()) out += indent + "formula: " + formula + "\n";
      for (size_t t = 0; t < r.framework_errors.size(); ++t)
        out += indent + (t == 0 ? "" : "also ") + r.framework_errors[t].source + " says:\n" + indent + "  " +
               r.framework_errors[t].text + "\n";
      if (!r.fixes.empty()) {
        out += indent + (net.guessed.empty() ? "fixes (each verified by re-running the analysis):\n"
                                              : "fixes (each verified for this reading by re-running the analysis):\n");
        for (size_t f = 0; f < r.fixes.size(); ++f)
          out += indent + "  " + to_string(f + 1) + ". " + r.fixes[f].summary +
                 (r.fixes[f].output ? " -> output " + table_shape_text(r.fixes[f].output) : std::string()) +
                 (r.fixes[f].resolves_all ? (net.guessed.empty() ? "; every layer valid" : "; every layer of this reading valid")
                                          : "") + "\n";
      }
    }
    for (const auto& w : r.warnings) out += indent + "warning: " + w + "\n";
  }
  out += rule + "\n";
  out += "Total params: " + optional_text(report.total_params) + "\n";
  out += "Total MACs:   " + optional_text(report.total_macs) + "\n";
  out += "Output:       " + table_shape_text(report.output) + "\n";
  if (report.outputs.size() > 1) {
    out += "Outputs:     ";
    for (size_t k : report.outputs) out += " " + report.layers[k].name + " " + table_shape_text(report.layers[k].output);
    out += "\n";
  }
  if (report.first_error)
    out += "First error:  layer " + to_string(*report.first_error) + " (" +
           report.layers[*report.first_error].name + ")" +
           (net.layers[*report.first_error].source
                ? " at line " + to_string(net.layers[*report.first_error].source->line)
                : std::string()) + "\n";
  if (report.errors.size() > 1) {
    out += "All errors:  ";
    for (size_t e : report.errors) out += " " + to_string(e) + " (" + report.layers[e].name + ")";
    out += "\n";
  }
  return out;
}

}  // namespace convscope
