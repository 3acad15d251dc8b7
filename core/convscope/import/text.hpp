// Small helpers for reading pasted text: positions for messages, quoting of
// user text, and a reader for the Python call syntax PyTorch's print(model)
// and exported code use (`Conv2d(3, 64, kernel_size=(3, 3), bias=False)`).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace convscope::import::text {

// "line L, column C" of a byte offset, 1-based; the column counts code
// points, as json.hpp does, so it matches what an editor shows.
std::string position(const std::string& text, size_t offset);

// User text for a message: in double quotes, control characters escaped,
// cut to 40 characters with an ellipsis.
std::string quoted(const std::string& s);

bool is_space(char c);
bool is_ident_start(char c);
bool is_ident_char(char c);

// A Python literal as PyTorch's reprs print it.
struct PyValue {
  enum class Kind { integer, number, boolean, none, string, word, tuple, list };
  Kind kind = Kind::none;
  int64_t i = 0;
  double d = 0;
  bool b = false;
  std::string s;               // string contents, or the word (`same`, `torch.float32`)
  std::vector<PyValue> items;  // tuple / list
  size_t offset = 0;           // where it starts in the text

  bool is_int() const { return kind == Kind::integer; }
  bool is_number() const { return kind == Kind::integer || kind == Kind::number; }
  double number() const { return kind == Kind::integer ? static_cast<double>(i) : d; }
  bool is_text() const { return kind == Kind::string || kind == Kind::word; }
  bool is_sequence() const { return kind == Kind::tuple || kind == Kind::list; }
};

struct PyCall {
  std::string callee;  // dotted name: `Conv2d`, `nn.Conv2d`, `layers.Conv2D`
  size_t offset = 0;
  std::vector<PyValue> args;
  std::vector<std::pair<std::string, PyValue>> kwargs;

  const PyValue* kwarg(const std::string& key) const;
};

struct PyError {
  size_t offset = 0;
  std::string message;
};

// Parses `Callee(arg, ..., key=value, ...)` starting at `pos` (leading
// spaces skipped) and ending before `end`; `pos` is left after the ')'.
// Nesting of tuples and lists is capped (8), so hostile text cannot recurse
// deeply.
bool parse_call(const std::string& text, size_t& pos, size_t end, PyCall& out, PyError& error);

// An integer, or a tuple/list of `n` integers; a scalar is repeated n times.
bool int_axes(const PyValue& v, size_t n, std::vector<int64_t>& out);

}  // namespace convscope::import::text
