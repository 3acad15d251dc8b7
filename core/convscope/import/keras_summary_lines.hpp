// The layout of a pasted model.summary(): its lines, character columns, and
// the rules and borders Keras 2 and rich (Keras 3) draw. Used by the summary
// reader (keras_summary.cpp) and the check's table (summary_check.cpp).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace convscope::import::summary_lines {

struct Line {
  size_t begin = 0, end = 0;  // end excludes "\r\n" and trailing spaces
};

std::vector<Line> lines_of(const std::string& t);

// Code points from `begin` to `end`: Keras and rich align columns by characters.
size_t width_of(const std::string& t, size_t begin, size_t end);
inline size_t width_of(const std::string& s) { return width_of(s, 0, s.size()); }

// The byte offset of character column `col` in the line (its end if shorter).
size_t byte_at_column(const std::string& t, const Line& l, size_t col);

size_t skip_spaces(const std::string& t, size_t i, size_t end);
std::string trimmed(const std::string& t, size_t begin, size_t end);
bool is_blank(const Line& l, const std::string& t);

// Box drawing characters (U+2500..U+257F) at byte `i`.
bool box_at(const std::string& t, size_t i, size_t end);
// │ (U+2502) and ┃ (U+2503): the cell borders of rich's tables.
bool bar_at(const std::string& t, size_t i, size_t end);

// A line made of one character only (Keras 2's "____" and "====").
bool is_rule_of(const std::string& t, const Line& l, char c);

// A line of box characters only (rich's rules); `bottom` when it closes the table.
bool is_box_rule(const std::string& t, const Line& l, bool* bottom);

}  // namespace convscope::import::summary_lines
