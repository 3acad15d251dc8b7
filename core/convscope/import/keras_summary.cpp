// Reads Keras model.summary() text: lines and columns, the fixed-width
// table of tf.keras 2 (both layouts), the rich table of Keras 3, the totals.
#include "convscope/import/keras_summary.hpp"

#include <algorithm>

#include "convscope/import/import.hpp"
#include "convscope/import/keras_summary_lines.hpp"
#include "convscope/import/text.hpp"
#include "convscope/limits.hpp"

namespace convscope::import {

using std::to_string;
using namespace summary_lines;

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

// ---- Rows -----------------------------------------------------------------------

// One table row as read: each column's pieces joined over its wrapped lines.
struct RawRow {
  std::string name, shape, params;
  size_t name_at = 0, shape_at = 0, params_at = 0;
  bool name_full = false;  // the last name piece filled its cell
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

// In one pass: a pasted cell may hold a million of them.
std::string without_ellipsis(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    if (s.compare(i, 3, kEllipsis) == 0) i += 3;
    else out += s[i++];
  }
  return out;
}

// TF <= 2.8 cuts every field at its column's width without wrapping:
// "[(None, 224, 224, 3)", "(None, 112, 112, 128".
bool unclosed(const std::string& s) {
  return !s.empty() && ((s[0] == '[' && s.back() != ']') || (s[0] == '(' && s.back() != ')'));
}

// "(None, 26, 26, 32)", "(None,)", "[(None, 28, 28, 1)]"; "multiple", "?",
// several outputs and a shape cut short (rich's ellipsis, TF <= 2.8's column
// width) leave `row.shape` empty.
bool read_shape(Reader& rd, const std::string& s, size_t at, bool legacy, SummaryRow& row) {
  row.shape_text = s;
  row.shape.clear();
  if (s == "multiple" || s == "?") return true;
  row.shape_cut_off = s.find(kEllipsis) != std::string::npos || (legacy && unclosed(s));
  if (row.shape_cut_off) return true;
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

// "conv2d (Conv2D)", wrapped pieces joined; cut names keep what is there and
// are matched by their beginning.
bool read_name(Reader& rd, const RawRow& raw, bool legacy, SummaryRow& row) {
  const size_t cut = raw.name.find(kEllipsis);
  if (cut != std::string::npos) {
    // rich (Keras 3) ends a cut cell with '…': "global_max_pooling…" / "(GlobalMaxPooling1…".
    const size_t open = raw.name.find('(');
    row.name = without_ellipsis(trimmed(raw.name, 0, std::min(cut, open)));
    row.cls = open == std::string::npos ? "" : without_ellipsis(raw.name.substr(open + 1));
    if (!row.cls.empty() && row.cls.back() == ')') row.cls.pop_back();
    row.cut_off = true;
  } else {
    // TF <= 2.8 cuts the first column at its width (28 or 31 characters)
    // without wrapping, possibly before the class: only a full cell was cut.
    const bool cut_explains = legacy && raw.name_full;
    const size_t open = raw.name.rfind('(');
    if (open == std::string::npos || open == 0) {
      if (!cut_explains) return rd.fail(raw.name_at, "expected \"name (Class)\", got " + text::quoted(raw.name));
      row.name = raw.name;
      row.cut_off = true;
    } else {
      row.name = trimmed(raw.name, 0, open);
      const size_t close = raw.name.find(')', open);
      row.cls = raw.name.substr(open + 1, (close == std::string::npos ? raw.name.size() : close) - open - 1);
      row.cut_off = close == std::string::npos;
      if (row.cut_off && !cut_explains)
        return rd.fail(raw.name_at, "missing ')' after the class in " + text::quoted(raw.name));
    }
  }
  if (row.name.empty()) return rd.fail(raw.name_at, "a row without a layer name: " + text::quoted(raw.name));
  if (row.name.size() > limits::max_name_chars || row.cls.size() > limits::max_name_chars)
    return rd.fail(raw.name_at, std::string(row.name.size() > limits::max_name_chars ? "layer name" : "layer class") +
                                    " longer than " + to_string(limits::max_name_chars) + " characters");
  return true;
}

bool finish_row(Reader& rd, const RawRow& raw, bool legacy, SummaryRow& row) {
  row.offset = raw.name_at;
  return read_name(rd, raw, legacy, row) && read_shape(rd, raw.shape, raw.shape_at, legacy, row) &&
         read_params(rd, raw.params, raw.params_at, row.params);
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
  // TF <= 2.8 starts the header in the rule's first column, TF 2.9+ one to
  // the right; TF <= 2.8 also draws "____" between rows (not with one row).
  const size_t rule_at = skip_spaces(t, lines[i].begin, lines[i].end) - lines[i].begin;
  legacy = width_of(t, h.begin, h.begin + head.find("Layer (type)")) <= rule_at;
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
    // Filled up to the space before the shape column, or one short: TF <= 2.8
    // may cut on the space before "(Class)".
    if (!name.empty()) r.name_full = width_of(t, l.begin, skip_spaces(t, l.begin, s) + name.size()) + 2 >= c.shape;
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

}  // namespace convscope::import
