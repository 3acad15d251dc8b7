#include "convscope/import/summary_check.hpp"

#include <algorithm>

#include "convscope/analyze.hpp"
#include "convscope/conventions.hpp"
#include "convscope/import/keras_summary_lines.hpp"
#include "convscope/import/text.hpp"

namespace convscope::import {

using json::Value;
using std::to_string;

namespace {

// ---- The network as Keras would list it -------------------------------------------

struct NetRow {
  std::string name, cls;
  std::optional<Shape> shape;
  std::optional<int64_t> params;
  bool folded = false;  // a separable conv's depthwise + pointwise pair
  bool batch_norm = false;
};

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() > suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// NCHW-style shapes as Keras prints them: channels last.
Shape channels_last(const Shape& s, Framework fw) {
  if (conventions::channels_last(fw) || s.size() < 3) return s;
  Shape out = {s[0]};
  out.insert(out.end(), s.begin() + 2, s.end());
  out.push_back(s[1]);
  return out;
}

std::vector<NetRow> network_rows(const Report& report, const Network& net) {
  std::vector<NetRow> rows;
  const size_t rank = net.spatial_rank();
  for (size_t i = 0; i < report.layers.size(); ++i) {
    const LayerReport& l = report.layers[i];
    NetRow r;
    r.name = l.name;
    r.cls = conventions::framework_layer_name(Framework::tensorflow, l.type, rank);
    if (l.output) r.shape = channels_last(*l.output, net.framework);
    r.params = l.params;
    r.batch_norm = l.type == LayerType::batch_norm;
    // The Keras importer reads SeparableConv2D "s" as s_depthwise + s_pointwise.
    if (i + 1 < report.layers.size() && l.type == LayerType::depthwise_conv && ends_with(l.name, "_depthwise")) {
      const LayerReport& p = report.layers[i + 1];
      const std::string base = l.name.substr(0, l.name.size() - 10);
      if (p.type == LayerType::conv && p.name == base + "_pointwise") {
        r.name = base;
        r.cls = "SeparableConv" + to_string(rank) + "D";
        r.shape = p.output ? std::optional<Shape>(channels_last(*p.output, net.framework)) : std::nullopt;
        r.params = l.params && p.params ? std::optional<int64_t>(*l.params + *p.params) : std::nullopt;
        r.folded = true;
        ++i;
      }
    }
    rows.push_back(std::move(r));
  }
  return rows;
}

// ---- Pairing summary rows with network rows ---------------------------------------

bool is_input_row(const SummaryRow& r) { return r.cls == "InputLayer"; }

bool name_matches(const SummaryRow& s, const NetRow& n) {
  if (s.cut_off) return n.name.compare(0, s.name.size(), s.name) == 0;
  return s.name == n.name;
}

struct Pair {
  const SummaryRow* s = nullptr;
  const NetRow* n = nullptr;
};

// By name when at least half of the summary's layers are found by name.
bool match_by_name(const Summary& summary, const std::vector<NetRow>& net_rows, json::Array& notes) {
  size_t layer_rows = 0, found = 0;
  for (const SummaryRow& s : summary.rows) {
    if (is_input_row(s)) continue;
    ++layer_rows;
    if (std::any_of(net_rows.begin(), net_rows.end(), [&](const NetRow& n) { return name_matches(s, n); })) ++found;
  }
  const bool by_name = found > 0 && 2 * found >= layer_rows;
  notes.push_back(Value(by_name ? std::string("rows matched by layer name")
                                : "the layer names differ from the network's (" + to_string(found) + " of " +
                                      to_string(layer_rows) + " found), so rows are matched by position: the "
                                      "summary's n-th layer with the network's n-th"));
  return by_name;
}

// Every summary row and every network row once, in the summary's order, a
// network layer the summary skipped in its place.
std::vector<Pair> match_rows(const Summary& summary, const std::vector<NetRow>& net_rows, const NetRow& input_row,
                             bool by_name) {
  std::vector<Pair> pairs;
  std::vector<bool> used(net_rows.size(), false);
  size_t next = 0;
  for (const SummaryRow& s : summary.rows) {
    if (is_input_row(s)) {
      pairs.push_back({&s, &input_row});
      continue;
    }
    size_t j = net_rows.size();
    if (by_name) {
      for (size_t k = 0; k < net_rows.size() && j == net_rows.size(); ++k)
        if (!used[k] && name_matches(s, net_rows[k])) j = k;
    } else if (next < net_rows.size()) {
      j = next;
    }
    if (j == net_rows.size()) {
      pairs.push_back({&s, nullptr});
      continue;
    }
    for (size_t k = next; k < j; ++k)
      if (!used[k]) {
        used[k] = true;
        pairs.push_back({nullptr, &net_rows[k]});
      }
    used[j] = true;
    pairs.push_back({&s, &net_rows[j]});
    next = std::max(next, j + 1);
  }
  for (size_t k = 0; k < net_rows.size(); ++k)
    if (!used[k]) pairs.push_back({nullptr, &net_rows[k]});
  return pairs;
}

// ---- Comparing the pairs ------------------------------------------------------------

bool shapes_agree(const SummaryRow& s, const std::optional<Shape>& c) {
  if (s.shape.empty()) return true;  // `multiple`, `?`, cut short: not compared
  if (!c || c->size() != s.shape.size()) return false;
  for (size_t i = 0; i < c->size(); ++i)
    if (s.shape[i] && *s.shape[i] != (*c)[i]) return false;
  return true;
}

std::string with_commas(int64_t v) {
  std::string digits = to_string(v < 0 ? -v : v), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return (v < 0 ? "-" : "") + out;
}

std::string keras_text(const Value& shape) {
  if (shape.is_string()) return shape.as_string();
  if (!shape.is_array()) return "-";
  std::string s = "(";
  for (size_t i = 0; i < shape.as_array().size(); ++i) {
    const Value& d = shape.as_array()[i];
    s += (i ? ", " : "") + (d.is_null() ? std::string("None") : to_string(d.as_int()));
  }
  return s + (shape.as_array().size() == 1 ? ",)" : ")");
}

std::string bracket_text(const Value& shape) {
  if (!shape.is_array()) return "-";
  std::string s = "[";
  for (size_t i = 0; i < shape.as_array().size(); ++i) s += (i ? ", " : "") + to_string(shape.as_array()[i].as_int());
  return s + "]";
}

Value shape_json(const std::vector<std::optional<int64_t>>& s) {
  json::Array a;
  for (const auto& d : s) a.push_back(d ? Value(*d) : Value());
  return Value(std::move(a));
}

Value shape_json(const std::optional<Shape>& s) {
  if (!s) return Value();
  json::Array a;
  for (int64_t d : *s) a.push_back(Value(d));
  return Value(std::move(a));
}

struct Comparison {
  json::Array rows;
  size_t differ = 0;
  std::string first_difference;
  bool none_compared = false, list_shape = false, pytorch_bn = false;
};

std::string verdict_of(const Pair& p) {
  if (!p.s || !p.n) return p.s ? "only in summary" : "only in network";
  if (!shapes_agree(*p.s, p.n->shape)) return "shape differs";
  if (!p.n->params || *p.n->params != p.s->params) return "params differ";
  return "match";
}

std::string label(const SummaryRow& s) { return text::quoted(s.name) + (s.cls.empty() ? "" : " (" + s.cls + ")"); }

// What Keras printed differently for this row, said once per row.
void row_notes(const Pair& p, json::Array& notes) {
  const auto note = [&](const std::string& n) { notes.push_back(Value(n)); };
  const SummaryRow* s = p.s;
  if (s && p.n) {
    if (s->shape_cut_off)
      note(label(*s) + ": Keras cut the output shape at its column's width (" + text::quoted(s->shape_text) +
           "); it is not compared");
    else if (s->shape.empty())
      note(label(*s) + ": Keras printed " + text::quoted(s->shape_text) +
           " instead of one output shape; its shape is not compared");
    if (s->cut_off)
      note(text::quoted(s->name) + ": Keras cut this name at its column's width; matched by the beginning of the "
           "name" + (s->cls.empty() ? std::string(", whose class was cut off too") : ""));
  }
  if (s && (s->cls == "Sequential" || s->cls == "Functional" || s->cls == "Model"))
    note(label(*s) + " is a nested model: Keras prints it as one row, ConvScope lists its layers");
  if (p.n && p.n->folded && s)
    note(text::quoted(p.n->name) + ": ConvScope's " + p.n->name + "_depthwise and " + p.n->name + "_pointwise are "
         "compared as the one " + p.n->cls + " row Keras prints (parameters summed)");
}

std::string difference_text(const std::string& name, const std::string& verdict, const Pair& p) {
  std::string out = name + " (" + verdict;
  if (verdict == "shape differs")
    out += ": summary " + p.s->shape_text + ", ConvScope " + bracket_text(shape_json(p.n->shape));
  else if (verdict == "params differ")
    out += ": summary " + with_commas(p.s->params) + ", ConvScope " +
           (p.n->params ? with_commas(*p.n->params) : std::string("unknown"));
  return out + ")";
}

Value row_json(const std::string& name, const std::string& cls, const std::string& verdict, const Pair& p) {
  const SummaryRow* s = p.s;
  const NetRow* n = p.n;
  json::Object row;
  row.push_back({"name", Value(name)});
  row.push_back({"class", Value(cls)});
  row.push_back({"summary_shape", !s ? Value() : s->shape.empty() ? Value(s->shape_text) : shape_json(s->shape)});
  row.push_back({"convscope_shape", n ? shape_json(n->shape) : Value()});
  row.push_back({"summary_params", s ? Value(s->params) : Value()});
  row.push_back({"convscope_params", n && n->params ? Value(*n->params) : Value()});
  row.push_back({"verdict", Value(verdict)});
  return Value(std::move(row));
}

Comparison compare_rows(const std::vector<Pair>& pairs, Framework framework, json::Array& notes) {
  Comparison c;
  for (const Pair& p : pairs) {
    const std::string verdict = verdict_of(p);
    if (p.s && p.n) {
      for (const auto& d : p.s->shape) c.none_compared = c.none_compared || !d;
      c.list_shape = c.list_shape || p.s->shape_as_list;
      c.pytorch_bn = c.pytorch_bn || (verdict == "params differ" && p.n->batch_norm && framework == Framework::pytorch);
    }
    row_notes(p, notes);
    // A cut name (and class) is shown whole when the network has it.
    const bool whole = !p.s || (p.s->cut_off && p.n && !p.n->name.empty());
    const std::string& name = whole ? p.n->name : p.s->name;
    const std::string& cls = whole || (p.s->cls.empty() && p.n) ? p.n->cls : p.s->cls;
    if (verdict != "match" && c.differ++ == 0) c.first_difference = difference_text(name, verdict, p);
    c.rows.push_back(row_json(name, cls, verdict, p));
  }
  return c;
}

// ---- The whole check ----------------------------------------------------------------

// What holds for the whole table: the input, None, channels first, batch norm
// counts, and a network Keras could not have built.
void check_notes(const Summary& summary, const Network& net, const Report& report, const Comparison& c,
                 json::Array& notes) {
  const auto note = [&](const std::string& n) { notes.push_back(Value(n)); };
  const std::string input_text = bracket_text(shape_json(std::optional<Shape>(net.input)));
  if (std::any_of(summary.rows.begin(), summary.rows.end(), is_input_row))
    note("the InputLayer row is compared with the network's input " + input_text);
  else
    note("the summary has no InputLayer row (Keras prints none for Sequential models), so the network's input " +
         input_text + " is checked only through the first layer's output");
  if (c.list_shape)
    note("Keras 2 prints an InputLayer's output as a list, e.g. [(None, 28, 28, 1)]; read as the one shape in it");
  if (c.none_compared)
    note("None in the summary (a size Keras leaves open, usually the batch) matches any size; the network's batch "
         "is " + to_string(net.input.empty() ? 0 : net.input[0]));
  if (!conventions::channels_last(net.framework))
    note(std::string("the network is ") + convscope::to_string(net.framework) +
         " (channels first): its shapes are shown and compared channels last, as Keras prints them");
  if (c.pytorch_bn)
    note("PyTorch counts 2 parameters per channel for batch norm (weight and bias); Keras counts 4 (also the moving "
         "mean and variance)");
  if (report.first_error) {
    const LayerReport& bad = report.layers[*report.first_error];
    // Counted from 1, as the page's verdict says it ("layer 6 of 8").
    note("ConvScope finds the network invalid at layer " + to_string(*report.first_error + 1) + " of " +
         to_string(report.layers.size()) + " (" + bad.name + "): " + bad.message +
         "; Keras could not have built it, so the summary is of another model or input");
  }
}

std::string overall_verdict(const Summary& summary, const Report& report, const Comparison& c, size_t pairs,
                            bool all_match, bool by_name) {
  const std::string how = by_name ? "by name" : "by position";
  if (all_match)
    return "all " + to_string(pairs) + " rows match (" + how + "): the same output shapes and parameter counts, " +
           with_commas(summary.total_params) + " params in total";
  if (c.differ == 0)
    return "every row matches (" + how + ") but the total params differ: summary " +
           with_commas(summary.total_params) + ", ConvScope " +
           (report.total_params ? with_commas(*report.total_params) : std::string("unknown"));
  return to_string(c.differ) + " of " + to_string(pairs) + " rows differ (" + how + "); first: " + c.first_difference;
}

}  // namespace

SummaryCheck check_summary(const Summary& summary, const Network& net) {
  AnalyzeOptions options;
  options.fixes = false;
  options.min_input = false;
  const Report report = analyze(net, options);
  const std::vector<NetRow> net_rows = network_rows(report, net);
  json::Array notes;
  notes.push_back(Value(std::string("read a ") + to_string(summary.style) + " summary" +
                        (summary.model_name.empty() ? std::string() : " of model " + text::quoted(summary.model_name)) +
                        ": " + to_string(summary.rows.size()) + " rows"));
  const bool by_name = match_by_name(summary, net_rows, notes);
  const NetRow input_row{"", "InputLayer", channels_last(net.input, net.framework), int64_t{0}, false, false};
  const std::vector<Pair> pairs = match_rows(summary, net_rows, input_row, by_name);
  Comparison c = compare_rows(pairs, net.framework, notes);
  check_notes(summary, net, report, c, notes);

  SummaryCheck out;
  out.all_match = c.differ == 0 && report.total_params && *report.total_params == summary.total_params;
  json::Object totals;
  totals.push_back({"summary_params", Value(summary.total_params)});
  totals.push_back({"convscope_params", report.total_params ? Value(*report.total_params) : Value()});
  json::Object result;
  result.push_back({"verdict", Value(overall_verdict(summary, report, c, pairs.size(), out.all_match, by_name))});
  result.push_back({"matched_by", Value(by_name ? "name" : "position")});
  result.push_back({"rows", Value(std::move(c.rows))});
  result.push_back({"totals", Value(std::move(totals))});
  result.push_back({"notes", Value(std::move(notes))});
  out.result = Value(std::move(result));
  return out;
}

std::string summary_check_table(const Value& result) {
  using summary_lines::width_of;  // code points: the columns line up in a terminal
  const Value* rows = result.find("rows");
  std::vector<std::vector<std::string>> cells = {
      {"Layer (type)", "Summary shape", "ConvScope shape", "Summary #", "ConvScope #", "Verdict"}};
  const auto params_text = [](const Value* v) { return v && v->is_integer() ? with_commas(v->as_int()) : "-"; };
  if (rows && rows->is_array())
    for (const Value& r : rows->as_array()) {
      const Value* cls = r.find("class");
      std::string name = r.find("name") ? r.find("name")->as_string() : "";
      if (cls && !cls->as_string().empty()) name += " (" + cls->as_string() + ")";
      cells.push_back({name, r.find("summary_shape") ? keras_text(*r.find("summary_shape")) : "-",
                       r.find("convscope_shape") ? bracket_text(*r.find("convscope_shape")) : "-",
                       params_text(r.find("summary_params")), params_text(r.find("convscope_params")),
                       r.find("verdict") ? r.find("verdict")->as_string() : ""});
    }
  const Value* totals = result.find("totals");
  const Value* st = totals ? totals->find("summary_params") : nullptr;
  const Value* ct = totals ? totals->find("convscope_params") : nullptr;
  const bool same = st && ct && ct->is_integer() && st->as_int() == ct->as_int();
  cells.push_back({"Total params", "", "", params_text(st), params_text(ct), same ? "match" : "differ"});
  std::vector<size_t> width(cells[0].size(), 0);
  for (const auto& row : cells)
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], width_of(row[c]));
  size_t total = 0;
  for (size_t w : width) total += w + 2;
  std::string out;
  const auto line = [&](const std::vector<std::string>& row) {
    std::string l;
    for (size_t c = 0; c < row.size(); ++c) {
      l += row[c];
      if (c + 1 < row.size()) l += std::string(width[c] + 2 - width_of(row[c]), ' ');
    }
    out += l + "\n";
  };
  const std::string rule(total - 2, '-');
  line(cells[0]);
  out += rule + "\n";
  for (size_t i = 1; i + 1 < cells.size(); ++i) line(cells[i]);
  out += rule + "\n";
  line(cells.back());
  out += "\n";
  if (const Value* v = result.find("verdict")) out += "Verdict: " + v->as_string() + "\n";
  if (const Value* notes = result.find("notes"))
    if (notes->is_array() && !notes->as_array().empty()) {
      out += "Notes:\n";
      for (const Value& n : notes->as_array()) out += "  - " + n.as_string() + "\n";
    }
  return out;
}

}  // namespace convscope::import
