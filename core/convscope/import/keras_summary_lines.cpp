#include "convscope/import/keras_summary_lines.hpp"

namespace convscope::import::summary_lines {

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

namespace {

bool is_continuation(unsigned char c) { return (c & 0xC0) == 0x80; }

}  // namespace

size_t width_of(const std::string& t, size_t begin, size_t end) {
  size_t n = 0;
  for (size_t i = begin; i < end; ++i)
    if (!is_continuation(static_cast<unsigned char>(t[i]))) ++n;
  return n;
}

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

// E2 94 xx or E2 95 xx.
bool box_at(const std::string& t, size_t i, size_t end) {
  return i + 3 <= end && static_cast<unsigned char>(t[i]) == 0xE2 &&
         (static_cast<unsigned char>(t[i + 1]) == 0x94 || static_cast<unsigned char>(t[i + 1]) == 0x95);
}

bool bar_at(const std::string& t, size_t i, size_t end) {
  return box_at(t, i, end) && static_cast<unsigned char>(t[i + 1]) == 0x94 &&
         (static_cast<unsigned char>(t[i + 2]) == 0x82 || static_cast<unsigned char>(t[i + 2]) == 0x83);
}

bool is_blank(const Line& l, const std::string& t) { return skip_spaces(t, l.begin, l.end) == l.end; }

bool is_rule_of(const std::string& t, const Line& l, char c) {
  const size_t b = skip_spaces(t, l.begin, l.end);
  if (l.end - b < 10) return false;
  for (size_t i = b; i < l.end; ++i)
    if (t[i] != c) return false;
  return true;
}

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

}  // namespace convscope::import::summary_lines
