// libFuzzer target: any bytes given to the Python reader's parser either
// parse to a tree -- whose every position lies inside the text -- or give one
// error whose position lies inside the text (or just past a line's end, as
// CPython reports some) and whose message is short. Never a crash, a hang or
// unbounded memory (python_parse.hpp's caps).
//
// Text that parses then goes through the code reader (code_import.hpp) as
// PyTorch and as Keras code (the imports the reader looks for put before
// it): it either reads to a network the contract accepts, which analyses
// without crashing, or gives one bounded message; the evaluator's caps
// (steps, call depth, sequence sizes) keep every input finite.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "convscope/analyze.hpp"
#include "convscope/import/code_import.hpp"
#include "convscope/import/python_parse.hpp"
#include "convscope/network_json.hpp"

namespace py = convscope::import::py;

namespace {

// Lines as the parser counts them: "\r\n", "\r" and "\n" end one.
std::vector<size_t> line_lengths(const std::string& text) {
  std::vector<size_t> lengths{0};
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\r' || c == '\n') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      lengths.push_back(0);
    } else if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) {
      ++lengths.back();  // code points
    }
  }
  return lengths;
}

void check_pos(const py::Pos& pos, const std::vector<size_t>& lengths) {
  if (pos.line < 1 || static_cast<size_t>(pos.line) > lengths.size()) std::abort();
  if (pos.column < 0 || static_cast<size_t>(pos.column) > lengths[pos.line - 1] + 1) std::abort();
}

void check_expr(const py::Expr& e, const std::vector<size_t>& lengths) {
  if (!e.is(py::Expr::Kind::absent) && e.pos.line != 0) check_pos(e.pos, lengths);
  for (const py::Expr& kid : e.kids) check_expr(kid, lengths);
}

void check_body(const std::vector<py::Stmt>& body, const std::vector<size_t>& lengths) {
  for (const py::Stmt& s : body) {
    check_pos(s.pos, lengths);
    if (s.end_line < s.pos.line) std::abort();
    check_expr(s.value, lengths);
    check_expr(s.annotation, lengths);
    for (const auto* exprs : {&s.targets, &s.decorators, &s.bases, &s.with_names})
      for (const py::Expr& e : *exprs) check_expr(e, lengths);
    for (const py::Param& p : s.params) {
      check_pos(p.pos, lengths);
      check_expr(p.default_value, lengths);
      check_expr(p.annotation, lengths);
    }
    for (const auto* nested : {&s.body, &s.orelse, &s.handlers, &s.finally_body}) check_body(*nested, lengths);
  }
}

void check_reader(const std::string& code, size_t size) {
  namespace imp = convscope::import;
  imp::ImportOptions options;
  if (size % 3 == 1) options.input = std::vector<int64_t>{1, 3, 16, 16};  // with and without an input shape
  imp::ImportResult result;
  std::string error;
  if (!imp::import_python_code(code, options, result, error)) {
    if (error.empty() || error.size() > 2000) std::abort();
    return;
  }
  // A network the contract accepts, unchanged by a round trip, that analyses.
  const convscope::json::Value json = imp::result_json(result);
  convscope::Network again;
  if (!convscope::network_json::from_json(json, again, error)) std::abort();
  (void)convscope::analyze(again);
  for (const std::string& note : result.notes)
    if (note.empty() || note.size() > 4000) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  if (text.compare(0, 3, "\xEF\xBB\xBF") == 0) text.erase(0, 3);  // the BOM is not part of line 1
  const std::vector<size_t> lengths = line_lengths(text);
  py::Module module;
  py::ParseError error;
  if (py::parse(text, module, error)) {
    check_body(module.body, lengths);
    if (module.lines.size() > lengths.size()) std::abort();
    check_reader("import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n" + text, size);
    check_reader("from tensorflow import keras\nfrom tensorflow.keras import layers\n" + text, size);
    return 0;
  }
  if (error.message.empty() || error.message.size() >= 300) std::abort();
  check_pos(error.pos, lengths);
  if (error.text().find(error.message) == std::string::npos) std::abort();
  return 0;
}
