// The Python reader's parser (python_parse.hpp) against CPython 3.11: the
// trees and the syntax errors of python_parse_cases/*.txt were produced by
// CPython itself (make_expected.py writes expected.inc), so a tree here is
// what ast.parse builds and an error is what compile() raises, message, line
// and column. Then what ConvScope refuses on purpose, the caps (nesting,
// size), the tokenizer's corners and the code corpus of tests/fixtures/code.
#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "convscope/import/python_parse.hpp"

namespace py = convscope::import::py;

namespace {

#include "python_parse_cases/expected.inc"

// A compact s-expression of the tree, the form make_expected.py writes from
// CPython's ast: `(call (attr torch cat) (list x2 x1) (kw dim 1))`; with
// positions every node gets @line:column.
class Dump {
 public:
  explicit Dump(bool positions) : positions_(positions) {}

  std::string expr(const py::Expr& e) const {
    using K = py::Expr::Kind;
    switch (e.kind) {
      case K::absent: return "_";
      case K::name: return e.text + at(e.pos);
      case K::integer: return std::to_string(e.integer) + at(e.pos);
      case K::number: {
        char buf[40];
        std::snprintf(buf, sizeof buf, "%.17g", e.number);
        return std::string(buf) + "f" + at(e.pos);
      }
      case K::string: return (e.fstring ? "(f " + quote(e.text) + ")" : quote(e.text)) + at(e.pos);
      case K::constant: return e.text + at(e.pos);
      case K::attribute: return "(attr" + at(e.pos) + " " + expr(e.kids[0]) + " " + e.text + ")";
      case K::call: return "(call" + at(e.pos) + kids(e, 0) + ")";
      case K::keyword: return "(kw" + at(e.pos) + " " + (e.text.empty() ? "**" : e.text) + kids(e, 0) + ")";
      case K::starred: return "(star" + at(e.pos) + (e.text.empty() ? "" : " " + e.text) + kids(e, 0) + ")";
      case K::subscript: return "(sub" + at(e.pos) + kids(e, 0) + ")";
      case K::slice: return "(slice" + at(e.pos) + kids(e, 0) + ")";
      case K::binary:
      case K::unary:
      case K::boolean: return "(" + std::string(py::to_string(e.ops[0])) + at(e.pos) + kids(e, 0) + ")";
      case K::compare: {
        std::string s = "(cmp" + at(e.pos) + " " + expr(e.kids[0]);
        for (size_t i = 0; i < e.ops.size(); ++i) s += std::string(" ") + py::to_string(e.ops[i]) + " " + expr(e.kids[i + 1]);
        return s + ")";
      }
      case K::conditional: return "(ifexp" + at(e.pos) + kids(e, 0) + ")";
      case K::tuple: return "(tuple" + at(e.pos) + kids(e, 0) + ")";
      case K::list: return "(list" + at(e.pos) + kids(e, 0) + ")";
      case K::set: return "(set" + at(e.pos) + kids(e, 0) + ")";
      case K::dict: return "(dict" + at(e.pos) + kids(e, 0) + ")";
      case K::comprehension: return "(" + e.text + "comp" + at(e.pos) + kids(e, 0) + ")";
      case K::comp_for: return std::string(e.text == "async" ? "(async-for" : "(for") + kids(e, 0) + ")";
      case K::lambda: return "(lambda" + at(e.pos) + kids(e, 1) + " : " + expr(e.kids[0]) + ")";
      case K::walrus: return "(:=" + at(e.pos) + kids(e, 0) + ")";
      case K::await_: return "(await" + at(e.pos) + kids(e, 0) + ")";
      case K::yield: return std::string(e.text == "from" ? "(yield-from" : "(yield") + at(e.pos) + kids(e, 0) + ")";
    }
    return "?";
  }

  std::string stmt(const py::Stmt& s) const {
    using K = py::Stmt::Kind;
    const std::string a = s.is_async ? "async-" : "";
    const std::string p = at(s.pos);
    switch (s.kind) {
      case K::expr: return "(expr" + p + " " + expr(s.value) + ")";
      case K::assign: return "(assign" + p + " " + list(s.targets) + " " + expr(s.value) + ")";
      case K::aug_assign:
        return "(augassign" + p + " " + py::to_string(s.op) + " " + expr(s.targets[0]) + " " + expr(s.value) + ")";
      case K::ann_assign:
        return "(annassign" + p + " " + expr(s.targets[0]) + " " + expr(s.annotation) + " " + expr(s.value) + ")";
      case K::return_: return "(return" + p + " " + expr(s.value) + ")";
      case K::pass: return "pass" + p;
      case K::break_: return "break" + p;
      case K::continue_: return "continue" + p;
      case K::if_: return "(if" + p + " " + expr(s.value) + " " + body(s.body) + " " + body(s.orelse) + ")";
      case K::for_:
        return "(" + a + "for" + p + " " + expr(s.targets[0]) + " " + expr(s.value) + " " + body(s.body) + " " +
               body(s.orelse) + ")";
      case K::while_: return "(while" + p + " " + expr(s.value) + " " + body(s.body) + " " + body(s.orelse) + ")";
      case K::def: {
        std::string ps;
        for (const py::Param& q : s.params) ps += (ps.empty() ? "" : " ") + param(q);
        return "(" + a + "def" + p + " " + s.name + " " + list(s.decorators) + " [" + ps + "] " + expr(s.annotation) +
               " " + body(s.body) + ")";
      }
      case K::class_:
        return "(class" + p + " " + s.name + " " + list(s.decorators) + " " + list(s.bases) + " " + body(s.body) + ")";
      case K::import:
      case K::from_import:
      case K::global:
      case K::nonlocal: {
        std::string n;
        for (const auto& [name, alias] : s.names) n += " " + name + (alias.empty() ? "" : " as " + alias);
        const char* k = s.kind == K::import ? "import" : s.kind == K::from_import ? "from" : s.kind == K::global ? "global" : "nonlocal";
        return "(" + std::string(k) + p + (s.kind == K::from_import ? " " + s.module + " :" : "") + n + ")";
      }
      case K::del: return "(del" + p + " " + list(s.targets) + ")";
      case K::assert_: return "(assert" + p + " " + expr(s.value) + " " + expr(s.annotation) + ")";
      case K::raise: return "(raise" + p + " " + expr(s.value) + " " + expr(s.annotation) + ")";
      case K::try_:
        return "(try" + p + " " + body(s.body) + " " + body(s.handlers) + " " + body(s.orelse) + " " +
               body(s.finally_body) + ")";
      case K::except: return "(except" + p + " " + expr(s.value) + (s.name.empty() ? "" : " as " + s.name) + " " + body(s.body) + ")";
      case K::with: {
        std::string items;
        for (size_t i = 0; i < s.targets.size(); ++i)
          items += (i ? " " : "") + expr(s.targets[i]) +
                   (s.with_names[i].is(py::Expr::Kind::absent) ? "" : " as " + expr(s.with_names[i]));
        return "(" + a + "with" + p + " [" + items + "] " + body(s.body) + ")";
      }
      case K::async_marker: return "async?";
    }
    return "?";
  }

  std::string body(const std::vector<py::Stmt>& stmts) const {
    std::string s;
    for (const py::Stmt& st : stmts) s += (s.empty() ? "" : " ") + stmt(st);
    return "{" + s + "}";
  }

 private:
  bool positions_;

  std::string at(const py::Pos& p) const {
    return positions_ ? "@" + std::to_string(p.line) + ":" + std::to_string(p.column) : "";
  }

  static std::string quote(const std::string& s) {
    std::string out = "\"";
    for (unsigned char c : s) {
      if (c == '"' || c == '\\') {
        out += '\\';
        out += static_cast<char>(c);
      } else if (c >= 0x20 && c < 0x7F) {
        out += static_cast<char>(c);
      } else {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\x%02x", c);
        out += buf;
      }
    }
    return out + "\"";
  }

  std::string kids(const py::Expr& e, size_t from) const {
    std::string s;
    for (size_t i = from; i < e.kids.size(); ++i) s += " " + expr(e.kids[i]);
    return s;
  }

  std::string list(const std::vector<py::Expr>& v) const {
    std::string s;
    for (const py::Expr& e : v) s += (s.empty() ? "" : " ") + expr(e);
    return "[" + s + "]";
  }

  // CPython's ast has no node for `/` and a bare `*`: make_expected.py prints them without a position.
  std::string param(const py::Param& p) const {
    static const char* const kinds[] = {"", "*", "kwonly ", "**", ""};
    const bool marker = p.kind == py::Param::Kind::positional_only_marker ||
                        (p.kind == py::Param::Kind::var_positional && p.name.empty());
    std::string s = "(" + std::string(kinds[static_cast<int>(p.kind)]) + p.name + (marker ? "" : at(p.pos));
    if (!p.annotation.is(py::Expr::Kind::absent)) s += " : " + expr(p.annotation);
    if (!p.default_value.is(py::Expr::Kind::absent)) s += " = " + expr(p.default_value);
    return s + ")";
  }
};

py::Module parsed(const std::string& source) {
  py::Module m;
  py::ParseError e;
  const bool ok = py::parse(source, m, e);
  INFO("source: " << source << "\nerror: " << e.text());
  REQUIRE(ok);
  return m;
}

std::string tree(const std::string& source, bool positions = false) { return Dump(positions).body(parsed(source).body); }

// The first statement's value (or the assigned value).
std::string value(const std::string& source) {
  const py::Module m = parsed(source);
  REQUIRE(!m.body.empty());
  return Dump(false).expr(m.body[0].value);
}

py::ParseError error_of(const std::string& source) {
  py::Module m;
  py::ParseError e;
  const bool ok = py::parse(source, m, e);
  INFO("source: " << source);
  REQUIRE_FALSE(ok);
  return e;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct TreeCase {
  const char* source;
  bool positions;
  const char* tree;
};

struct ErrorCase {
  const char* source;
  int line;
  int column;
  const char* message;
};

// CPython's f-strings are JoinedStr nodes; ConvScope keeps the template, so
// the CPython dump says `(f)` where ours carries the template text.
std::string without_templates(std::string s) {
  for (size_t i = s.find("(f \""); i != std::string::npos; i = s.find("(f \"", i)) {
    size_t j = i + 4;
    while (j < s.size() && s[j] != '"') j += s[j] == '\\' ? 2 : 1;
    s.replace(i, j + 2 - i, "(f)");
  }
  return s;
}

}  // namespace

TEST_CASE("python parse: every tree of python_parse_cases/trees.txt is the tree CPython's ast.parse builds") {
  const TreeCase cases[] = {PY_TREES};
  CHECK(sizeof cases / sizeof cases[0] >= 25);
  for (const TreeCase& c : cases) {
    INFO("source:\n" << c.source);
    CHECK(without_templates(tree(c.source, c.positions)) == c.tree);
  }
}

TEST_CASE("python parse: every error of python_parse_cases/errors.txt has CPython's message, line and column") {
  const ErrorCase cases[] = {PY_ERRORS};
  CHECK(sizeof cases / sizeof cases[0] >= 70);
  for (const ErrorCase& c : cases) {
    const py::ParseError e = error_of(c.source);
    INFO("source:\n" << c.source);
    CHECK(e.message == c.message);
    CHECK(e.pos.line == c.line);
    CHECK(e.pos.column == c.column);
  }
}

TEST_CASE("python parse: a U-Net block reads as the tree the evaluator walks") {
  const std::string source =
      "class Up(nn.Module):\n"
      "    def forward(self, x1, x2):\n"
      "        x = torch.cat([x2, x1], dim=1)\n"
      "        return self.conv(x)\n";
  const py::Module m = parsed(source);
  REQUIRE(m.body.size() == 1);
  const py::Stmt& cls = m.body[0];
  CHECK(cls.kind == py::Stmt::Kind::class_);
  CHECK(cls.name == "Up");
  CHECK(Dump(false).expr(cls.bases[0]) == "(attr nn Module)");
  const py::Stmt& forward = cls.body[0];
  CHECK(forward.kind == py::Stmt::Kind::def);
  REQUIRE(forward.params.size() == 3);
  CHECK(forward.params[2].name == "x2");
  CHECK(forward.params[2].pos.column == 27);
  const py::Stmt& cat = forward.body[0];
  CHECK(Dump(false).expr(cat.value) == "(call (attr torch cat) (list x2 x1) (kw dim 1))");
  CHECK(cat.pos.line == 3);
  CHECK(cat.pos.column == 9);
  CHECK(cat.end_line == 3);
  CHECK(cat.value.kids[2].pos.column == 33);  // the keyword `dim=1`
  CHECK(m.lines.size() == 4);
  CHECK(m.lines[2] == "        x = torch.cat([x2, x1], dim=1)");
}

TEST_CASE("python parse: statements keep their lines, a compound one its header's") {
  const py::Module m = parsed(
      "x = f(1,\n"
      "      2)\n"
      "def g(a,\n"
      "      b):\n"
      "    return a\n"
      "y = '''a\n"
      "b'''\n");
  REQUIRE(m.body.size() == 3);
  CHECK(m.body[0].end_line == 2);
  CHECK(m.body[1].pos.line == 3);
  CHECK(m.body[1].end_line == 4);
  CHECK(m.body[1].body[0].end_line == 5);
  CHECK(m.body[2].end_line == 7);
}

TEST_CASE("python parse: strings of every prefix, escapes decoded, adjacent literals joined") {
  CHECK(value("'a' \"b\" '''c''' \"\"\"d\"\"\"") == "\"abcd\"");
  CHECK(value("'\\n\\t\\x41\\101\\u00e9\\\\\\q'") == "\"\\x0a\\x09AA\\xc3\\xa9\\\\\\\\q\"");  // \q stays
  CHECK(value("r'\\n' R'\\d'") == "\"\\\\n\\\\d\"");
  CHECK(value("b'\\xff\\x00' rb'\\d' BR'x'") == "\"\\xff\\x00\\\\dx\"");
  CHECK(value("u'é' U'日'") == "\"\\xc3\\xa9\\xe6\\x97\\xa5\"");
  CHECK(value("'a\\\nb'") == "\"ab\"");  // a backslash-newline inside a literal
  SUBCASE("an f-string keeps its template: literal parts decoded, fields as written, braces doubled") {
    CHECK(value("f'x={x!r:>{w}}\\n'") == "(f \"x={x!r:>{w}}\\x0a\")");
    CHECK(value("f'{{a}}' 'b{c}' F\"{d['k']}\"") == "(f \"{{a}}b{{c}}{d['k']}\")");
    CHECK(value("rf'\\d{x}' fR'{y}'") == "(f \"\\\\d{x}{y}\")");
    CHECK(value("f'{a:{b}.{c}f}' f\"{x=}\"") == "(f \"{a:{b}.{c}f}{x=}\")");
  }
}

TEST_CASE("python parse: numbers in every base, with underscores, as int64 and double") {
  const py::Module m = parsed("x = 0xFF_FF, 0o17, 0B101, 1_000, 9223372036854775807, 1e-5, .5, 1., 1_0.2_5e1_0\n");
  const std::vector<py::Expr>& k = m.body[0].value.kids;
  REQUIRE(k.size() == 9);
  CHECK(k[0].integer == 0xFFFF);
  CHECK(k[1].integer == 15);
  CHECK(k[2].integer == 5);
  CHECK(k[3].integer == 1000);
  CHECK(k[4].integer == INT64_MAX);
  CHECK(k[5].is(py::Expr::Kind::number));
  CHECK(k[5].number == 1e-5);
  CHECK(k[6].number == 0.5);
  CHECK(k[7].number == 1.0);
  CHECK(k[8].number == 10.25e10);
  CHECK(value("1if x else 2") == "(ifexp 1 x 2)");  // a keyword may touch a number (CPython warns)
}

TEST_CASE("python parse: what ConvScope refuses by name although CPython reads it") {
  SUBCASE("complex numbers") {
    const py::ParseError e = error_of("x = 1 + 2j\n");
    CHECK(e.text() == "line 1, column 9: complex numbers are not supported");
  }
  SUBCASE("integers beyond int64") {
    CHECK(error_of("x = 9223372036854775808\n").text() ==
          "line 1, column 5: integer literal 9223372036854775808 is too large (beyond 64 bits)");
    CHECK(error_of("x = 0x1_0000_0000_0000_0000\n").message == "integer literal 0x1_0000_0000_0000_0000 is too large (beyond 64 bits)");
  }
  SUBCASE("Unicode names in escapes, exception groups, the match statement") {
    CHECK(error_of("s = '\\N{DEGREE SIGN}'\n").message == "\\N{...} escapes (Unicode character names) are not supported");
    CHECK(error_of("try:\n  pass\nexcept* E:\n  pass\n").text() ==
          "line 3, column 7: except* (exception groups) is not supported");
    CHECK(error_of("match x:\n  case 1:\n    pass\n").text() ==
          "line 1, column 1: the match statement (Python 3.10) is not supported");
    CHECK(value("match(x)") == "(call match x)");  // `match` stays a name elsewhere
    CHECK(tree("match = 1\nmatch[0] = 2") == "{(assign [match] 1) (assign [(sub match 0)] 2)}");
  }
}

TEST_CASE("python parse: the tokenizer's corners") {
  SUBCASE("CRLF, CR and LF line ends, a BOM, no newline at the end") {
    CHECK(tree("\xEF\xBB\xBFif x:\r\n    y = 1\r    z = 2\n") == "{(if x {(assign [y] 1) (assign [z] 2)} {})}");
    const py::Module m = parsed("a = 1\r\nb = 2\rc = 3");
    CHECK(m.lines == std::vector<std::string>{"a = 1", "b = 2", "c = 3"});
    CHECK(error_of("a = 1\r\nb = (\r\n").text() == "line 2, column 5: '(' was never closed");
  }
  SUBCASE("tabs to stops of 8, and CPython's check that they are not mixed with spaces ambiguously") {
    CHECK(tree("if x:\n\tif y:\n\t\ta = 1\n\tb = 2\n") == "{(if x {(if y {(assign [a] 1)} {}) (assign [b] 2)} {})}");
    CHECK(error_of("if x:\n    a = 1\n\tb = 2\n").message == "inconsistent use of tabs and spaces in indentation");
  }
  SUBCASE("comments, blank lines and continuation lines do not indent") {
    CHECK(tree("if x:\n    a = 1\n  # comment\n\n        \n    b = (1 +\n  2) \\\n + 3\n") ==
          "{(if x {(assign [a] 1) (assign [b] (+ (+ 1 2) 3))} {})}");
  }
  SUBCASE("identifiers in any script; characters that cannot be code named as CPython does") {
    CHECK(tree("café = 1\n日本 = café\n", true) == "{(assign@1:1 [café@1:1] 1@1:8) (assign@2:1 [日本@2:1] café@2:6)}");
    CHECK(error_of("x = “quoted”\n").text() == "line 1, column 5: invalid character '“' (U+201C)");
    CHECK(error_of("x = a\xC2\xA0+ b\n").text() == "line 1, column 6: invalid non-printable character U+00A0");
    CHECK(error_of("x = 1\x01\n").message == "invalid non-printable character U+0001");
  }
  SUBCASE("bytes that are not text") {
    CHECK(error_of("x = 'a\xFF'\n").text() == "line 1, column 7: the text is not UTF-8 (byte 0xff)");
    CHECK(error_of(std::string("x = 1\ny = \0", 11)).text() ==
          "line 2, column 5: source code string cannot contain null bytes");
  }
  SUBCASE("columns count code points") {
    const py::ParseError e = error_of("s = 'été' + 日本 +\n");  // CPython 3.11: offset 17
    CHECK(e.pos.column == 17);
    CHECK(e.message == "invalid syntax");
  }
}

TEST_CASE("python parse: nesting is capped at 64 levels of brackets, operators and blocks") {
  const auto nested = [](int n) { return "x = " + std::string(n, '(') + "1" + std::string(n, ')') + "\n"; };
  CHECK(value(nested(64)) == "1");
  CHECK(error_of(nested(65)).text() == "line 1, column 69: nesting deeper than 64 levels");
  CHECK(error_of("x = " + std::string(65, '-') + "1\n").text() == "line 1, column 69: nesting deeper than 64 levels");
  CHECK(error_of("x = " + std::string(65, '[') + std::string(65, ']') + "\n").message == "nesting deeper than 64 levels");
  CHECK(error_of("x = " + std::string(100000, '(') + "\n").message == "nesting deeper than 64 levels");
  SUBCASE("a chain of operators or trailers nests its tree to the left, so it counts too") {
    std::string sum = "x = a", calls = "x = f";
    for (int i = 0; i < 64; ++i) sum += " + a", calls += "()";
    CHECK(value(sum) == value(sum));  // 64 links parse
    CHECK(error_of(sum + " + a\n").text() == "line 1, column 263: nesting deeper than 64 levels");  // the 65th +
    // the 64th call: its link and its parenthesis make 65
    CHECK(error_of(calls + "\n").text() == "line 1, column 132: nesting deeper than 64 levels");
    CHECK(value("a + b + c") == "(+ (+ a b) c)");
  }
  SUBCASE("blocks and elif chains") {
    std::string deep;
    for (int i = 0; i < 65; ++i) deep += std::string(i, ' ') + "if x:\n";
    deep += std::string(65, ' ') + "pass\n";
    CHECK(error_of(deep).text() == "line 66, column 65: nesting deeper than 64 levels");  // the 65th block
    std::string elifs = "if x:\n  pass\n";
    for (int i = 0; i < 70; ++i) elifs += "elif x:\n  pass\n";
    CHECK(error_of(elifs).message == "nesting deeper than 64 levels");
  }
}

// How long it takes is a benchmark's question (speed goals are never timed
// tests here): this checks that the whole 4 MB is read and the caps refuse
// what they must, with a message.
TEST_CASE("python parse: 4 MB of code parses whole, hostile text stops early with a message") {
  // A real-looking model file repeated to the importer's cap (import.hpp's
  // max_text_bytes): ~1,500,000 units per 4 MB (python_lex.hpp's max_units),
  // denser than torchvision's models/*.py (~860,000) or the standard library.
  const std::string block =
      "class Block(nn.Module):\n"
      "    \"\"\"A residual block: two 3x3 convolutions and a shortcut.\n\n"
      "    Args:\n"
      "        c (int): channels in and out\n"
      "        stride (int): the first convolution's stride; the shortcut is\n"
      "            downsampled to match when it is not 1\n"
      "    \"\"\"\n\n"
      "    def __init__(self, c: int, stride: int = 1) -> None:\n"
      "        super().__init__()\n"
      "        self.conv1 = nn.Conv2d(c, c, kernel_size=3, stride=stride, padding=1, bias=False)\n"
      "        # the batch norm follows the convolution, as in the paper\n"
      "        self.bn1 = nn.BatchNorm2d(c)\n"
      "        self.layers = nn.Sequential(*[nn.ReLU(inplace=True) for _ in range(2)])\n"
      "\n"
      "    def forward(self, x):\n"
      "        out = self.bn1(self.conv1(x))\n"
      "        if self.downsample is not None:\n"
      "            x = self.downsample(x)\n"
      "        return F.relu(out + x[:, :, ::2, 1:-1])\n\n";
  std::string big;
  while (big.size() + block.size() <= (4u << 20)) big += block;
  const py::Module m = parsed(big);
  CHECK(m.body.size() == big.size() / block.size());
  SUBCASE("4 MB of tiny statements or one 4 MB list are refused with a message, not a gigabyte of nodes") {
    std::string lines;
    while (lines.size() < (4u << 20)) lines += "x=1\n";
    CHECK(error_of(lines).message ==
          "the code is too large to read (over 2000000 tokens, a statement counting 10): paste the model's classes alone");
    std::string list = "x = [";
    while (list.size() < (4u << 20)) list += "1,";
    CHECK(error_of(list + "]\n").message.rfind("the code is too large to read", 0) == 0);
  }
}

TEST_CASE("python parse: every file of the code corpus (tests/fixtures/code) parses") {
  const std::filesystem::path dir = std::filesystem::path(CONVSCOPE_SOURCE_DIR) / "tests/fixtures/code";
  if (!std::filesystem::exists(dir)) return;  // the corpus arrives with the code import
  int files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (entry.path().extension() != ".py") continue;
    py::Module m;
    py::ParseError e;
    const bool ok = py::parse(read_file(entry.path()), m, e);
    INFO(entry.path().string() << ": " << e.text());
    CHECK(ok);
    CHECK_FALSE(m.body.empty());
    ++files;
  }
  MESSAGE(files << " corpus files parsed");
}

TEST_CASE("python parse: the message names line and column") {
  CHECK(error_of("def f(x):\n    return x +\n").text() == "line 2, column 15: invalid syntax");
  CHECK(py::ParseError{{3, 7}, "unexpected indent"}.text() == "line 3, column 7: unexpected indent");
}
