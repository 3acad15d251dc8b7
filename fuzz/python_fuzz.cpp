// libFuzzer target: any bytes given to the Python reader's parser either
// parse to a tree -- whose every position lies inside the text -- or give one
// error whose position lies inside the text (or just past a line's end, as
// CPython reports some) and whose message is short. Never a crash, a hang or
// unbounded memory (python_parse.hpp's caps).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "convscope/import/python_parse.hpp"

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
    return 0;
  }
  if (error.message.empty() || error.message.size() >= 300) std::abort();
  check_pos(error.pos, lengths);
  if (error.text().find(error.message) == std::string::npos) std::abort();
  return 0;
}
