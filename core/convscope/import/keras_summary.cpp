#include "convscope/import/keras_summary.hpp"

#include <algorithm>

#include "convscope/analyze.hpp"
#include "convscope/conventions.hpp"
#include "convscope/import/import.hpp"
#include "convscope/import/text.hpp"
#include "convscope/limits.hpp"

namespace convscope::import {

using json::Value;
using std::to_string;

const char* const kSummaryIsNotANetwork =
    "this is the text of Keras model.summary(): it carries output shapes and parameter counts but not kernel "
    "sizes, strides or padding; import the model's JSON (model.to_json()) and paste the summary to cross-check "
    "(convscope check-summary NETWORK SUMMARY)";

const char* to_string(Summary::Style s) {
  switch (s) {
    case Summary::Style::keras2: return "Keras 2 (TF 2.9 or later)";
    case Summary::Style::keras2_legacy: return "Keras 2 (TF 2.8 or earlier)";
    case Summary::Style::keras3: return "Keras 3";
  }
  return "Keras";
}

bool looks_like_keras_summary(const std::string& t) {
  const size_t at = t.find("Layer (type)");
  if (at == std::string::npos) return false;
  const size_t eol = t.find('\n', at);
  const size_t shape = t.find("Output Shape", at);
  return shape != std::string::npos && (eol == std::string::npos || shape < eol);
}

namespace {

// ---- Lines and columns ---------------------------------------------------------

struct Line {
  size_t begin = 0, end = 0;  // end excludes "\r\n" and trailing spaces
};

std::vector<Line> lines_of(const std::string& t) {
  std::vector<Line> out;
  size_t pos = 0;
  while (pos <= t.size()) {
    size_t eol = t.find('\n', pos);
    if (eol == std::string::npos) eol = t.size();
    size_t end = eol;
    while (end > pos && (t[end - 1] == '\r' || t[end - 1] == ' ' || t[end - 1] == '\t')) --end;
    out.push_back({pos, end});
    pos = eol + 1;
  }
  return out;
}

bool is_continuation(unsigned char c) { return (c & 0xC0) == 0x80; }

// Code points from `begin` to `end`: Keras and rich align columns by characters.
size_t width_of(const std::string& t, size_t begin, size_t end) {
  size_t n = 0;
  for (size_t i = begin; i < end; ++i)
    if (!is_continuation(static_cast<unsigned char>(t[i]))) ++n;
  return n;
}

// The byte offset of character column `col` in the line (its end if shorter).
size_t byte_at_column(const std::string& t, const Line& l, size_t col) {
  size_t n = 0;
  for (size_t i = l.begin; i < l.end; ++i) {
    if (is_continuation(static_cast<unsigned char>(t[i]))) continue;
    if (n++ == col) return i;
  }
  return l.end;
}

size_t skip_spaces(const std::string& t, size_t i, size_t end) {
  while (i < end && (t[i] == ' ' || t[i] == '\t')) ++i;
  return i;
}

std::string trimmed(const std::string& t, size_t begin, size_t end) {
  begin = skip_spaces(t, begin, end);
  while (end > begin && (t[end - 1] == ' ' || t[end - 1] == '\t')) --end;
  return t.substr(begin, end - begin);
}

// Box drawing characters (U+2500..U+257F): E2 94 xx or E2 95 xx.
bool box_at(const std::string& t, size_t i, size_t end) {
  return i + 3 <= end && static_cast<unsigned char>(t[i]) == 0xE2 &&
         (static_cast<unsigned char>(t[i + 1]) == 0x94 || static_cast<unsigned char>(t[i + 1]) == 0x95);
}
// │ (U+2502) and ┃ (U+2503): the cell borders of rich's tables.
bool bar_at(const std::string& t, size_t i, size_t end) {
  return box_at(t, i, end) && static_cast<unsigned char>(t[i + 1]) == 0x94 &&
         (static_cast<unsigned char>(t[i + 2]) == 0x82 || static_cast<unsigned char>(t[i + 2]) == 0x83);
}

bool is_blank(const Line& l, const std::string& t) { return skip_spaces(t, l.begin, l.end) == l.end; }

// A line made of one character only (Keras 2's "____" and "====").
bool is_rule_of(const std::string& t, const Line& l, char c) {
  const size_t b = skip_spaces(t, l.begin, l.end);
  if (l.end - b < 10) return false;
  for (size_t i = b; i < l.end; ++i)
    if (t[i] != c) return false;
  return true;
}

// A line of box characters only (rich's rules); `bottom` when it closes the table.
bool is_box_rule(const std::string& t, const Line& l, bool* bottom) {
  const size_t b = skip_spaces(t, l.begin, l.end);
  if (b == l.end || !box_at(t, b, l.end)) return false;
  for (size_t i = b; i < l.end; i += 3) {
    if (!box_at(t, i, l.end) || bar_at(t, i, l.end)) return false;
  }
  if (bottom) {
    // └ ┗ ╰ ╘ ╙ ╚: a bottom-left corner.
    const unsigned char c1 = static_cast<unsigned char>(t[b + 1]), c2 = static_cast<unsigned char>(t[b + 2]);
    *bottom = (c1 == 0x94 && (c2 == 0x94 || c2 == 0x97)) || (c1 == 0x95 && (c2 == 0xB0 || c2 == 0x98 || c2 == 0x99 || c2 == 0x9A));
  }
  return true;
}

// ---- Rows -----------------------------------------------------------------------

// One table row as read: each column's pieces joined over its wrapped lines.
struct RawRow {
  std::string name, shape, params;
  size_t name_at = 0, shape_at = 0, params_at = 0;
  bool name_full = false;  // the last name piece filled its cell (Keras 3)
};

struct Reader {
  const std::string& t;
  std::string error;
  bool fail(size_t offset, const std::string& message) {
    if (error.empty()) error = text::position(t, offset) + ": " + message;
    return false;
  }
};

// "1,234", "0 (unused)", "0 (unbuilt)".
bool read_params(Reader& rd, const std::string& s, size_t at, int64_t& out) {
  out = 0;
  size_t i = 0;
  bool digits = false;
  for (; i < s.size() && ((s[i] >= '0' && s[i] <= '9') || (s[i] == ',' && digits)); ++i) {
    if (s[i] == ',') continue;
    if (out > int64_t{100000000000000})  // 10^14: beyond any model, and no overflow below
      return rd.fail(at, "parameter count " + text::quoted(s) + " is too large");
    out = out * 10 + (s[i] - '0');
    digits = true;
  }
  const std::string rest = s.substr(i);
  if (!digits || (!rest.empty() && rest != " (unused)" && rest != " (unbuilt)"))
    return rd.fail(at, "expected a parameter count like 1,234, got " + text::quoted(s));
  return true;
}

const char* const kEllipsis = "\xE2\x80\xA6";  // rich ends a cut cell with it (Keras 3, narrow terminals)

std::string without_ellipsis(std::string s) {
  for (size_t at = s.find(kEllipsis); at != std::string::npos; at = s.find(kEllipsis)) s.erase(at, 3);
  return s;
}

// "(None, 26, 26, 32)", "(None,)", "[(None, 28, 28, 1)]"; "multiple", "?",
// several outputs and a shape cut short with an ellipsis leave `row.shape` empty.
bool read_shape(Reader& rd, const std::string& s, size_t at, SummaryRow& row) {
  row.shape_text = s;
  row.shape.clear();
  if (s == "multiple" || s == "?" || s.find(kEllipsis) != std::string::npos) return true;
  std::string tuple = s;
  if (!s.empty() && s[0] == '[') {
    if (s.back() != ']') return rd.fail(at, "expected ']' to close the output shape " + text::quoted(s));
    tuple = s.substr(1, s.size() - 2);
    if (tuple.find('(', 1) != std::string::npos) return true;  // several outputs
    row.shape_as_list = true;
  }
  if (tuple.size() < 2 || tuple[0] != '(' || tuple.back() != ')')
    return rd.fail(at, "expected an output shape like (None, 26, 26, 32), got " + text::quoted(s));
  size_t i = 1;
  const size_t end = tuple.size() - 1;
  while (i < end) {
    while (i < end && tuple[i] == ' ') ++i;
    size_t j = i;
    while (j < end && tuple[j] != ',') ++j;
    std::string item = tuple.substr(i, j - i);
    while (!item.empty() && item.back() == ' ') item.pop_back();
    if (item == "None") {
      row.shape.push_back(std::nullopt);
    } else if (!item.empty() && item.size() <= 10 && item.find_first_not_of("0123456789") == std::string::npos) {
      int64_t v = 0;
      for (char ch : item) v = v * 10 + (ch - '0');
      if (v > limits::max_dimension) return rd.fail(at, "size " + item + " is beyond the limit 2147483647 (2^31 - 1)");
      row.shape.push_back(v);
    } else if (!(item.empty() && j == end && !row.shape.empty())) {  // "(None,)" ends with a comma
      return rd.fail(at, "expected None or a size in the output shape " + text::quoted(s) + ", got " +
                             text::quoted(item));
    }
    i = j + 1;
  }
  if (row.shape.empty()) return rd.fail(at, "empty output shape " + text::quoted(s));
  return true;
}

bool finish_row(Reader& rd, const RawRow& raw, bool legacy, SummaryRow& row) {
  row.offset = raw.name_at;
  if (raw.name.find(kEllipsis) != std::string::npos) {
    // "global_max_pooling…" / "(GlobalMaxPooling1…": keep what is there, match by prefix.
    legacy = true;
    const size_t cut = raw.name.find(kEllipsis), open = raw.name.find('(');
    row.name = without_ellipsis(trimmed(raw.name, 0, std::min(cut, open)));
    row.cls = open == std::string::npos ? "" : without_ellipsis(raw.name.substr(open + 1));
    if (!row.cls.empty() && row.cls.back() == ')') row.cls.pop_back();
    row.cut_off = true;
    if (row.name.empty()) return rd.fail(raw.name_at, "a row without a layer name: " + text::quoted(raw.name));
    return read_shape(rd, raw.shape, raw.shape_at, row) && read_params(rd, raw.params, raw.params_at, row.params);
  }
  const size_t open = raw.name.rfind('(');
  if (open == std::string::npos || open == 0) {
    if (!legacy) return rd.fail(raw.name_at, "expected \"name (Class)\", got " + text::quoted(raw.name));
    // TF <= 2.8 cuts the first column at 28 characters without wrapping.
    row.name = raw.name;
    row.cut_off = true;
  } else {
    row.name = trimmed(raw.name, 0, open);
    const size_t close = raw.name.find(')', open);
    row.cls = raw.name.substr(open + 1, (close == std::string::npos ? raw.name.size() : close) - open - 1);
    row.cut_off = close == std::string::npos;
    if (row.cut_off && !legacy)
      return rd.fail(raw.name_at, "missing ')' after the class in " + text::quoted(raw.name));
  }
  if (row.name.empty()) return rd.fail(raw.name_at, "a row without a layer name: " + text::quoted(raw.name));
  if (row.name.size() > limits::max_name_chars)
    return rd.fail(raw.name_at, "layer name longer than " + to_string(limits::max_name_chars) + " characters");
  return read_shape(rd, raw.shape, raw.shape_at, row) && read_params(rd, raw.params, raw.params_at, row.params);
}

// Appends a wrapped piece. Keras 2 cuts at a fixed width (join as is); rich
// wraps at spaces and drops the space, unless it folded a long word.
void append_piece(std::string& to, const std::string& piece, bool space) {
  if (piece.empty()) return;
  if (!to.empty() && space) to += ' ';
  to += piece;
}

bool add_row(Reader& rd, std::vector<RawRow>& rows, size_t at) {
  if (rows.size() >= limits::max_layers)
    return rd.fail(at, "more than " + to_string(limits::max_layers) + " rows (ConvScope's layer limit)");
  rows.emplace_back();
  return true;
}

// ---- Keras 2 -------------------------------------------------------------------

struct Columns {
  size_t shape = 0, params = 0, params_end = 0;  // character columns from the header
};

bool read_keras2(Reader& rd, const std::vector<Line>& lines, size_t header, std::vector<RawRow>& rows,
                 size_t& table_end, bool& legacy) {
  const std::string& t = rd.t;
  const Line& h = lines[header];
  const std::string head = t.substr(h.begin, h.end - h.begin);
  Columns c;
  c.shape = width_of(t, h.begin, h.begin + head.find("Output Shape"));
  const size_t params = head.find("Param #");
  if (params == std::string::npos) return rd.fail(h.begin, "the header has no \"Param #\" column");
  c.params = width_of(t, h.begin, h.begin + params);
  c.params_end = std::string::npos;
  for (const char* next : {"Connected to", "Trainable"}) {
    const size_t at = head.find(next);
    if (at != std::string::npos && at > params) c.params_end = std::min(c.params_end, width_of(t, h.begin, h.begin + at));
  }
  if (!(c.shape < c.params)) return rd.fail(h.begin, "the header's columns are not in the order Keras prints them");
  size_t i = header + 1;
  if (i >= lines.size() || !is_rule_of(t, lines[i], '='))
    return rd.fail(i < lines.size() ? lines[i].begin : t.size(), "expected the \"=====\" line under the header");
  legacy = false;
  for (++i; i < lines.size(); ++i) {
    const Line& l = lines[i];
    if (is_blank(l, t)) continue;
    if (is_rule_of(t, l, '_')) {
      legacy = true;
      continue;
    }
    if (is_rule_of(t, l, '=')) {
      if (rows.empty()) return rd.fail(l.begin, "the summary lists no layers");
      table_end = i;
      return true;
    }
    const size_t first = skip_spaces(t, l.begin, l.end);
    if (t[first] == '|')
      return rd.fail(first, "nested rows (model.summary(expand_nested=True)) are not supported; print the summary "
                            "without expand_nested");
    const size_t s = byte_at_column(t, l, c.shape), p = byte_at_column(t, l, c.params);
    const size_t pe = c.params_end == std::string::npos ? l.end : byte_at_column(t, l, c.params_end);
    const std::string name = trimmed(t, l.begin, s), shape = trimmed(t, s, p), param = trimmed(t, p, pe);
    if (!param.empty()) {
      if (name.empty()) return rd.fail(first, "a row without a layer name");
      if (!add_row(rd, rows, l.begin)) return false;
      rows.back().name_at = skip_spaces(t, l.begin, s);
      rows.back().shape_at = skip_spaces(t, s, p);
      rows.back().params_at = skip_spaces(t, p, pe);
    } else if (rows.empty()) {
      return rd.fail(first, "expected a layer row (name, output shape, parameter count), got " +
                                text::quoted(t.substr(first, l.end - first)));
    }
    RawRow& r = rows.back();
    append_piece(r.name, name, false);
    append_piece(r.shape, shape, false);
    append_piece(r.params, param, false);
  }
  return rd.fail(t.size(), "the table is not closed by a \"=====\" line: the summary looks cut short; paste all of it");
}

// ---- Keras 3 -------------------------------------------------------------------

struct Cell {
  size_t begin = 0, end = 0;  // between the bars
};

std::vector<Cell> cells_of(const std::string& t, const Line& l) {
  std::vector<Cell> out;
  size_t i = skip_spaces(t, l.begin, l.end);
  if (!bar_at(t, i, l.end)) return out;
  size_t start = i + 3;
  for (i = start; i < l.end;) {
    if (bar_at(t, i, l.end)) {
      out.push_back({start, i});
      start = i + 3;
      i = start;
    } else {
      ++i;
    }
  }
  return out;
}

bool read_keras3(Reader& rd, const std::vector<Line>& lines, size_t header, std::vector<RawRow>& rows,
                 size_t& table_end) {
  const std::string& t = rd.t;
  const std::vector<Cell> head = cells_of(t, lines[header]);
  if (head.size() < 3 || trimmed(t, head[2].begin, head[2].end) != "Param #")
    return rd.fail(lines[header].begin, "expected the header cells \"Layer (type)\", \"Output Shape\", \"Param #\"");
  for (size_t i = header + 1; i < lines.size(); ++i) {
    const Line& l = lines[i];
    bool bottom = false;
    if (is_box_rule(t, l, &bottom)) {
      if (!bottom) continue;
      if (rows.empty()) return rd.fail(l.begin, "the summary lists no layers");
      table_end = i;
      return true;
    }
    if (is_blank(l, t)) continue;  // a cut-short paste ends in blank lines: reported below
    const std::vector<Cell> cells = cells_of(t, l);
    const size_t first = skip_spaces(t, l.begin, l.end);
    if (cells.size() != head.size())
      return rd.fail(first, "expected a table row of " + to_string(head.size()) + " cells, got " +
                                (cells.empty() ? text::quoted(t.substr(first, l.end - first))
                                               : to_string(cells.size()) + " cells"));
    const std::string name = trimmed(t, cells[0].begin, cells[0].end);
    const std::string shape = trimmed(t, cells[1].begin, cells[1].end);
    const std::string param = trimmed(t, cells[2].begin, cells[2].end);
    if (!param.empty()) {
      if (name.empty()) return rd.fail(first, "a row without a layer name");
      if (!add_row(rd, rows, l.begin)) return false;
      rows.back().name_at = skip_spaces(t, cells[0].begin, cells[0].end);
      rows.back().shape_at = skip_spaces(t, cells[1].begin, cells[1].end);
      rows.back().params_at = skip_spaces(t, cells[2].begin, cells[2].end);
    } else if (rows.empty()) {
      return rd.fail(first, "a continuation line before the first layer row");
    }
    RawRow& r = rows.back();
    // rich drops the space it wraps at; a word longer than the cell is folded
    // at the cell's full width with nothing dropped.
    const auto piece_fills = [&](const Cell& cell, const std::string& piece) {
      return width_of(piece, 0, piece.size()) + 2 >= width_of(t, cell.begin, cell.end);
    };
    append_piece(r.name, name, !r.name.empty() && !r.name_full);
    r.name_full = piece_fills(cells[0], name);
    append_piece(r.shape, shape, true);
    append_piece(r.params, param, false);
  }
  return rd.fail(t.size(), "the table is not closed by its bottom border: the summary looks cut short; paste all of it");
}

// "Total params: 54,410" (Keras 2), " Total params: 54,410 (212.54 KB)" (Keras 3).
bool read_total(Reader& rd, const std::vector<Line>& lines, size_t table_end, int64_t& out) {
  const std::string& t = rd.t;
  for (size_t i = table_end + 1; i < lines.size() && i <= table_end + 3; ++i) {
    const Line& l = lines[i];
    const size_t b = skip_spaces(t, l.begin, l.end);
    const std::string key = "Total params:";
    if (t.compare(b, key.size(), key) != 0) continue;
    const size_t v = skip_spaces(t, b + key.size(), l.end);
    size_t e = v;
    while (e < l.end && ((t[e] >= '0' && t[e] <= '9') || t[e] == ',')) ++e;
    return read_params(rd, t.substr(v, e - v), v, out);
  }
  const size_t at = table_end + 1 < lines.size() ? lines[table_end + 1].begin : t.size();
  return rd.fail(at, "expected \"Total params:\" under the table: the summary looks cut short; paste all of it");
}

}  // namespace

bool parse_keras_summary(const std::string& t, Summary& out, std::string& error) {
  out = Summary{};
  if (t.size() > max_text_bytes) {
    error = "the summary text is larger than " + to_string(max_text_bytes) + " bytes (ConvScope's limit for pasted text)";
    return false;
  }
  const std::vector<Line> lines = lines_of(t);
  size_t header = lines.size();
  for (size_t i = 0; i < lines.size() && header == lines.size(); ++i) {
    const std::string l = t.substr(lines[i].begin, lines[i].end - lines[i].begin);
    if (l.find("Layer (type)") != std::string::npos && l.find("Output Shape") != std::string::npos) header = i;
  }
  if (header == lines.size()) {
    error = "no Keras model.summary() table found: expected a header line with \"Layer (type)\", \"Output Shape\" "
            "and \"Param #\"";
    return false;
  }
  for (size_t i = 0; i < header; ++i) {  // the last `Model: "name"` above the table
    const Line& l = lines[i];
    const size_t b = skip_spaces(t, l.begin, l.end);
    if (t.compare(b, 8, "Model: \"") != 0) continue;
    const size_t close = t.find('"', b + 8);
    if (close != std::string::npos && close < l.end) out.model_name = t.substr(b + 8, close - b - 8);
  }
  Reader rd{t, ""};
  std::vector<RawRow> raw;
  size_t table_end = 0;
  const Line& h = lines[header];
  const bool boxed = bar_at(t, skip_spaces(t, h.begin, h.end), h.end);
  bool legacy = false;
  const bool ok = boxed ? read_keras3(rd, lines, header, raw, table_end)
                        : read_keras2(rd, lines, header, raw, table_end, legacy);
  out.style = boxed ? Summary::Style::keras3 : legacy ? Summary::Style::keras2_legacy : Summary::Style::keras2;
  if (!ok || !read_total(rd, lines, table_end, out.total_params)) {
    error = rd.error;
    return false;
  }
  for (const RawRow& r : raw) {
    SummaryRow row;
    if (!finish_row(rd, r, legacy, row)) {
      error = rd.error;
      return false;
    }
    out.rows.push_back(std::move(row));
  }
  return true;
}

// ---- The cross-check ---------------------------------------------------------------

namespace {

// A row of the network as Keras would list it.
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

bool is_input_row(const SummaryRow& r) { return r.cls == "InputLayer"; }

bool name_matches(const SummaryRow& s, const NetRow& n) {
  if (s.cut_off) return n.name.compare(0, s.name.size(), s.name) == 0;
  return s.name == n.name;
}

bool shapes_agree(const SummaryRow& s, const std::optional<Shape>& c) {
  if (s.shape.empty()) return true;  // `multiple`, `?`: not compared
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

struct Pair {
  const SummaryRow* s = nullptr;
  const NetRow* n = nullptr;
};

}  // namespace

SummaryCheck check_summary(const Summary& summary, const Network& net) {
  AnalyzeOptions options;
  options.fixes = false;
  options.min_input = false;
  const Report report = analyze(net, options);
  const std::vector<NetRow> net_rows = network_rows(report, net);
  json::Array notes;
  const auto note = [&](const std::string& n) { notes.push_back(Value(n)); };
  note(std::string("read a ") + to_string(summary.style) + " summary" +
       (summary.model_name.empty() ? std::string() : " of model " + text::quoted(summary.model_name)) + ": " +
       to_string(summary.rows.size()) + " rows");

  // By name when at least half of the summary's layers are found by name.
  size_t layer_rows = 0, found = 0;
  for (const SummaryRow& s : summary.rows) {
    if (is_input_row(s)) continue;
    ++layer_rows;
    for (const NetRow& n : net_rows)
      if (name_matches(s, n)) {
        ++found;
        break;
      }
  }
  const bool by_name = found > 0 && 2 * found >= layer_rows;
  if (by_name) {
    note("rows matched by layer name");
  } else {
    note("the layer names differ from the network's (" + to_string(found) + " of " + to_string(layer_rows) +
         " found), so rows are matched by position: the summary's n-th layer with the network's n-th");
  }

  std::vector<Pair> pairs;
  std::vector<bool> used(net_rows.size(), false);
  const NetRow input_row{"", "InputLayer", channels_last(net.input, net.framework), int64_t{0}, false, false};
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
    for (size_t k = next; k < j; ++k)  // network layers the summary skipped, in their place
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

  json::Array rows;
  size_t differ = 0;
  std::string first_difference;
  bool none_compared = false, list_shape = false, pytorch_bn = false;
  for (const Pair& p : pairs) {
    const SummaryRow* s = p.s;
    const NetRow* n = p.n;
    std::string verdict;
    if (s && n) {
      if (!shapes_agree(*s, n->shape)) verdict = "shape differs";
      else if (!n->params || *n->params != s->params) verdict = "params differ";
      else verdict = "match";
      for (size_t i = 0; i < s->shape.size(); ++i) none_compared = none_compared || !s->shape[i];
      list_shape = list_shape || s->shape_as_list;
      if (verdict == "params differ" && n->batch_norm && net.framework == Framework::pytorch) pytorch_bn = true;
      if (s->shape.empty())
        note(text::quoted(s->name) + " (" + s->cls + "): Keras printed " + text::quoted(s->shape_text) +
             " instead of one output shape; its shape is not compared");
      if (s->cut_off)
        note(text::quoted(s->name) + ": Keras cut this name at its column's width; matched by the beginning of "
             "the name");
    } else {
      verdict = s ? "only in summary" : "only in network";
    }
    if (s && (s->cls == "Sequential" || s->cls == "Functional" || s->cls == "Model"))
      note(text::quoted(s->name) + " (" + s->cls + ") is a nested model: Keras prints it as one row, ConvScope "
           "lists its layers");
    if (n && n->folded && s)
      note(text::quoted(n->name) + ": ConvScope's " + n->name + "_depthwise and " + n->name + "_pointwise are "
           "compared as the one " + n->cls + " row Keras prints (parameters summed)");
    const std::string name = s && !(s->cut_off && n && !n->name.empty()) ? s->name : n->name;
    if (verdict != "match" && differ++ == 0) {
      first_difference = name + " (" + verdict;
      if (verdict == "shape differs")
        first_difference += ": summary " + s->shape_text + ", ConvScope " + bracket_text(shape_json(n->shape));
      else if (verdict == "params differ")
        first_difference += ": summary " + with_commas(s->params) + ", ConvScope " +
                            (n->params ? with_commas(*n->params) : std::string("unknown"));
      first_difference += ")";
    }
    json::Object row;
    row.push_back({"name", Value(name)});
    row.push_back({"class", Value(s && !s->cls.empty() ? s->cls : n ? n->cls : std::string())});
    row.push_back({"summary_shape", !s ? Value() : s->shape.empty() ? Value(s->shape_text) : shape_json(s->shape)});
    row.push_back({"convscope_shape", n ? shape_json(n->shape) : Value()});
    row.push_back({"summary_params", s ? Value(s->params) : Value()});
    row.push_back({"convscope_params", n && n->params ? Value(*n->params) : Value()});
    row.push_back({"verdict", Value(verdict)});
    rows.push_back(Value(std::move(row)));
  }

  const std::string input_text = bracket_text(shape_json(std::optional<Shape>(net.input)));
  bool has_input_row = false;
  for (const SummaryRow& s : summary.rows) has_input_row = has_input_row || is_input_row(s);
  if (has_input_row)
    note("the InputLayer row is compared with the network's input " + input_text);
  else
    note("the summary has no InputLayer row (Keras prints none for Sequential models), so the network's input " +
         input_text + " is checked only through the first layer's output");
  if (list_shape)
    note("Keras 2 prints an InputLayer's output as a list, e.g. [(None, 28, 28, 1)]; read as the one shape in it");
  if (none_compared)
    note("None in the summary (a size Keras leaves open, usually the batch) matches any size; the network's batch "
         "is " + to_string(net.input.empty() ? 0 : net.input[0]));
  if (!conventions::channels_last(net.framework))
    note(std::string("the network is ") + convscope::to_string(net.framework) +
         " (channels first): its shapes are shown and compared channels last, as Keras prints them");
  if (pytorch_bn)
    note("PyTorch counts 2 parameters per channel for batch norm (weight and bias); Keras counts 4 (also the moving "
         "mean and variance)");
  if (report.first_error) {
    const LayerReport& bad = report.layers[*report.first_error];
    note("ConvScope finds the network invalid at layer " + to_string(*report.first_error) + " (" + bad.name +
         "): " + bad.message + "; Keras could not have built it, so the summary is of another model or input");
  }

  const bool totals_match = report.total_params && *report.total_params == summary.total_params;
  SummaryCheck out;
  out.all_match = differ == 0 && totals_match;
  std::string verdict;
  const std::string how = by_name ? "by name" : "by position";
  if (out.all_match)
    verdict = "all " + to_string(pairs.size()) + " rows match (" + how + "): the same output shapes and parameter "
              "counts, " + with_commas(summary.total_params) + " params in total";
  else if (differ == 0)
    verdict = "every row matches (" + how + ") but the total params differ: summary " +
              with_commas(summary.total_params) + ", ConvScope " +
              (report.total_params ? with_commas(*report.total_params) : std::string("unknown"));
  else
    verdict = to_string(differ) + " of " + to_string(pairs.size()) + " rows differ (" + how + "); first: " +
              first_difference;

  json::Object totals;
  totals.push_back({"summary_params", Value(summary.total_params)});
  totals.push_back({"convscope_params", report.total_params ? Value(*report.total_params) : Value()});
  json::Object result;
  result.push_back({"verdict", Value(verdict)});
  result.push_back({"matched_by", Value(by_name ? "name" : "position")});
  result.push_back({"rows", Value(std::move(rows))});
  result.push_back({"totals", Value(std::move(totals))});
  result.push_back({"notes", Value(std::move(notes))});
  out.result = Value(std::move(result));
  return out;
}

std::string summary_check_table(const Value& result) {
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
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], width_of(row[c], 0, row[c].size()));
  size_t total = 0;
  for (size_t w : width) total += w + 2;
  std::string out;
  const auto line = [&](const std::vector<std::string>& row) {
    std::string l;
    for (size_t c = 0; c < row.size(); ++c) {
      l += row[c];
      if (c + 1 < row.size()) l += std::string(width[c] + 2 - width_of(row[c], 0, row[c].size()), ' ');
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
