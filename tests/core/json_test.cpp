#include "convscope/json.hpp"

#include <doctest/doctest.h>

#include <clocale>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>

namespace json = convscope::json;
using json::Array;
using json::Kind;
using json::Object;
using json::Value;

namespace {

// What parse() reported, flattened so CHECK(a == b) can print both sides.
struct Failure {
  std::string message;
  int line = 0;
  int column = 0;
};

Failure failure_of(const std::string& text, const json::ParseLimits& limits = {}) {
  Value v;
  json::ParseError e;
  if (!json::parse(text, v, e, limits)) return {e.message, e.line, e.column};
  return {"parsed without error"};
}

// For text that must parse: a failure fails the test with the message.
Value parsed(const std::string& text, const json::ParseLimits& limits = {}) {
  Value v;
  json::ParseError e;
  if (!json::parse(text, v, e, limits)) FAIL_CHECK("unexpected parse error: " << e.message);
  return v;
}

std::string error_of(const std::string& text, const json::ParseLimits& limits = {}) {
  return failure_of(text, limits).message;
}

std::string nested_arrays(size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

Value sample_network() {
  return Object{
      {"framework", "tensorflow"},
      {"input", Array{1, 4, 4, 3}},
      {"layers", Array{Object{{"type", "conv"}, {"name", "conv2d_3"}, {"kernel", 5}, {"padding", "valid"}}}},
  };
}

}  // namespace

// Lets a failing CHECK(a == b) print both values as compact JSON.
template <>
struct doctest::StringMaker<Value> {
  static doctest::String convert(const Value& v) { return json::write(v, -1).c_str(); }
};

TEST_CASE("json parse reads every kind of value") {
  Value v = parsed(R"( {"n": null, "t": true, "f": false, "i": -12, "d": 2.5,
                            "s": "hi", "a": [1, "x"], "o": {"k": []}} )");
  REQUIRE(v.is_object());
  CHECK(v.find("n")->is_null());
  CHECK(v.find("t")->as_bool() == true);
  CHECK(v.find("f")->as_bool() == false);
  CHECK(v.find("i")->kind() == Kind::integer);
  CHECK(v.find("i")->as_int() == -12);
  CHECK(v.find("d")->kind() == Kind::number);
  CHECK(v.find("d")->as_double() == 2.5);
  CHECK(v.find("s")->as_string() == "hi");
  CHECK(v.find("a")->as_array() == Array{1, "x"});
  CHECK(v.find("o")->find("k")->as_array().empty());
  CHECK(v.find("missing") == nullptr);
}

TEST_CASE("json parse accepts exactly the four RFC 8259 whitespace characters") {
  CHECK(parsed(" \t\r\n[ 1 ,\t2\r\n]\n ") == Value(Array{1, 2}));
  SUBCASE("vertical tab") { CHECK(error_of("\v1") == "line 1, column 1: expected a value but found U+000B"); }
  SUBCASE("no-break space") { CHECK(error_of("\xC2\xA0" "1") == "line 1, column 1: expected a value but found U+00A0"); }
  SUBCASE("byte order mark") { CHECK(error_of("\xEF\xBB\xBF{}") == "line 1, column 1: expected a value but found U+FEFF"); }
}

TEST_CASE("json parse then write round-trips a document") {
  const std::string pretty = json::write(sample_network());
  const std::string compact = json::write(sample_network(), -1);
  SUBCASE("pretty") { CHECK(json::write(parsed(pretty)) == pretty); }
  SUBCASE("compact") { CHECK(json::write(parsed(compact), -1) == compact); }
  SUBCASE("value") { CHECK(parsed(pretty) == sample_network()); }
  SUBCASE("awkward strings") {
    Value v = Object{{"k\"\\/\n\x01<>&\xC3\xA9\xF0\x9F\x98\x80", std::string("nul\0byte", 8)}};
    CHECK(parsed(json::write(v)) == v);
  }
}

TEST_CASE("json parse errors name the problem with its line and column") {
  struct Case {
    const char* text;
    const char* error;
  };
  const Case cases[] = {
      {"", "line 1, column 1: unexpected end of input"},
      {"[1, 2", "line 1, column 6: unexpected end of input"},
      {"\"abc", "line 1, column 5: unexpected end of input"},
      {"{\"a\": 1 \"b\": 2}", "line 1, column 9: expected ',' or '}' after object member"},
      {"{\n  \"kernel\": 3,\n  \"stride\" 2\n}", "line 3, column 12: expected ':' after object key"},
      {"[1 2]", "line 1, column 4: expected ',' or ']' after array element"},
      {"[1, 2,]", "line 1, column 7: trailing comma before ']'"},
      {"{\"a\": 1,}", "line 1, column 9: trailing comma before '}'"},
      {"{a: 1}", "line 1, column 2: expected a double-quoted key but found 'a'"},
      {"{'a': 1}", "line 1, column 2: strings must use double quotes"},
      {"['a']", "line 1, column 2: strings must use double quotes"},
      {"{\"a\": }", "line 1, column 7: expected a value but found '}'"},
      {"[1] x", "line 1, column 5: unexpected 'x' after the JSON value"},
      {"{} {}", "line 1, column 4: unexpected '{' after the JSON value"},
      {"[NaN]", "line 1, column 2: unexpected word 'NaN' (JSON has only true, false and null)"},
      {"Infinity", "line 1, column 1: unexpected word 'Infinity' (JSON has only true, false and null)"},
      {"[True]", "line 1, column 2: unexpected word 'True' (JSON has only true, false and null)"},
      {"truex", "line 1, column 1: unexpected word 'truex' (JSON has only true, false and null)"},
      {"+1", "line 1, column 1: expected a value but found '+'"},
      {".5", "line 1, column 1: expected a value but found '.'"},
      {"01", "line 1, column 1: numbers cannot have leading zeros"},
      {"[-01]", "line 1, column 3: numbers cannot have leading zeros"},
      {"[-]", "line 1, column 3: expected a digit after '-'"},
      {"-Infinity", "line 1, column 2: expected a digit after '-'"},
      {"[1.]", "line 1, column 4: expected a digit after the decimal point"},
      {"[1.e5]", "line 1, column 4: expected a digit after the decimal point"},
      {"[1e]", "line 1, column 4: expected a digit in the exponent"},
      {"[1e+]", "line 1, column 5: expected a digit in the exponent"},
      {"1.", "line 1, column 3: unexpected end of input"},
      {"\"\\q\"", "line 1, column 2: invalid escape '\\q'"},
      {"\"\\x41\"", "line 1, column 2: invalid escape '\\x'"},
      {"\"\\\xC3\xA9\"", "line 1, column 2: invalid escape: '\\' followed by U+00E9"},
      {"\"\\u12\"", "line 1, column 6: expected 4 hex digits after \\u but found '\"'"},
      {"\"\\u12G4\"", "line 1, column 6: expected 4 hex digits after \\u but found 'G'"},
      {"\"a\nb\"", "line 1, column 3: control character U+000A in a string must be escaped"},
      {"\"a\tb\"", "line 1, column 3: control character U+0009 in a string must be escaped"},
      {"{\"kernel\": 3, \"kernel\": 5}", "line 1, column 15: duplicate key \"kernel\""},
      {"{\u201Ca\u201D: 1}", "line 1, column 2: expected a double-quoted key but found U+201C"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.text);
    CHECK(error_of(c.text) == c.error);
  }
}

TEST_CASE("json ParseError carries the same line and column as its message") {
  Failure f = failure_of("{\n  \"input\": [1, 4, 4, 3],\n  \"layers\": [}\n}");
  CHECK(f.message == "line 3, column 14: expected a value but found '}'");
  CHECK(f.line == 3);
  CHECK(f.column == 14);
}

TEST_CASE("json error columns count characters, not bytes") {
  // 'é' is two bytes but one column, as an editor shows it.
  CHECK(error_of("[\"\xC3\xA9\", }") == "line 1, column 7: expected a value but found '}'");
  CHECK(error_of("[\"\xF0\x9F\x98\x80\xF0\x9F\x98\x80\", }") == "line 1, column 8: expected a value but found '}'");
  CHECK(error_of("[\n\"\xC3\xA9\" x]") == "line 2, column 5: expected ',' or ']' after array element");
}

TEST_CASE("json integers are exact up to the int64 boundaries") {
  SUBCASE("largest int64") {
    Value v = parsed("9223372036854775807");
    CHECK(v.kind() == Kind::integer);
    CHECK(v.as_int() == std::numeric_limits<int64_t>::max());
    CHECK(v.number_text().empty());
  }
  SUBCASE("smallest int64") {
    Value v = parsed("-9223372036854775808");
    CHECK(v.kind() == Kind::integer);
    CHECK(v.as_int() == std::numeric_limits<int64_t>::min());
  }
  SUBCASE("one past the largest int64") {
    Value v = parsed("9223372036854775808");
    CHECK(v.kind() == Kind::number);
    CHECK(v.as_double() == 9223372036854775808.0);
    CHECK(v.number_text() == "9223372036854775808");
    CHECK(json::write(v) == "9223372036854775808");
  }
  SUBCASE("one below the smallest int64") {
    Value v = parsed("-9223372036854775809");
    CHECK(v.kind() == Kind::number);
    CHECK(v.number_text() == "-9223372036854775809");
  }
  SUBCASE("far past int64") {
    Value v = parsed("99999999999999999999");
    CHECK(v.number_text() == "99999999999999999999");
    CHECK(json::write(v) == "99999999999999999999");
  }
  SUBCASE("negative zero is the integer zero") {
    Value v = parsed("-0");
    CHECK(v.kind() == Kind::integer);
    CHECK(v.as_int() == 0);
  }
}

TEST_CASE("json numbers with a fraction or exponent are doubles") {
  SUBCASE("fraction") { CHECK(parsed("1.0") == Value(1.0)); }
  SUBCASE("exponent without fraction") { CHECK(parsed("1e2") == Value(100.0)); }
  SUBCASE("signed exponents") { CHECK(parsed("[2.5E+1, 25e-1]") == Value(Array{25.0, 2.5})); }
  SUBCASE("overflow keeps the literal") {
    Value v = parsed("-1e400");
    CHECK(std::isinf(v.as_double()));
    CHECK(v.number_text() == "-1e400");
    CHECK(json::write(v) == "-1e400");
  }
  SUBCASE("underflow to zero keeps the literal") {
    Value v = parsed("1e-400");
    CHECK(v.as_double() == 0.0);
    CHECK(v.number_text() == "1e-400");
  }
  SUBCASE("an exact zero keeps no literal") { CHECK(parsed("0.0e-400").number_text().empty()); }
  SUBCASE("an ordinary double keeps no literal") { CHECK(parsed("0.1").number_text().empty()); }
}

TEST_CASE("json unicode escapes decode to UTF-8, pairing surrogates") {
  CHECK(parsed(R"("\u00e9\u00C9")").as_string() == "\xC3\xA9\xC3\x89");
  CHECK(parsed(R"("\u20AC")").as_string() == "\xE2\x82\xAC");
  CHECK(parsed(R"("\uD83D\uDE00")").as_string() == "\xF0\x9F\x98\x80");
  CHECK(parsed(R"("\uDBFF\uDFFF")").as_string() == "\xF4\x8F\xBF\xBF");
  CHECK(parsed(R"("\u0000")").as_string() == std::string(1, '\0'));
  CHECK(parsed(R"("\"\\\/\b\f\n\r\t")").as_string() == "\"\\/\b\f\n\r\t");
  SUBCASE("lone high surrogate") { CHECK(error_of(R"("\uD83D")") == "line 1, column 2: unpaired surrogate \\uD83D"); }
  SUBCASE("high surrogate before a letter") {
    CHECK(error_of(R"("x\ud83dA")") == "line 1, column 3: unpaired surrogate \\ud83d");
  }
  SUBCASE("high surrogate before a non-surrogate escape") {
    CHECK(error_of(R"("\uD83D\u0041")") == "line 1, column 2: unpaired surrogate \\uD83D");
  }
  SUBCASE("two high surrogates") {
    CHECK(error_of(R"("\uD83D\uD83D")") == "line 1, column 2: unpaired surrogate \\uD83D");
  }
  SUBCASE("lone low surrogate") { CHECK(error_of(R"("\uDE00")") == "line 1, column 2: unpaired surrogate \\uDE00"); }
  SUBCASE("high surrogate then a broken escape") {
    CHECK(error_of(R"("\uD83D\uZ")") == "line 1, column 10: expected 4 hex digits after \\u but found 'Z'");
  }
}

TEST_CASE("json parse rejects bytes that are not well-formed UTF-8") {
  CHECK(parsed("\"\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \xF4\x8F\xBF\xBF \xEE\x80\x80\"").is_string());
  struct Case {
    const char* why;
    const char* bytes;
    const char* error;
  };
  const Case cases[] = {
      {"never valid", "\xFF", "invalid UTF-8 byte 0xFF"},
      {"stray continuation", "\x80", "invalid UTF-8 byte 0x80"},
      {"overlong two-byte", "\xC0\x80", "invalid UTF-8 byte 0xC0"},
      {"overlong three-byte", "\xE0\x80\x80", "invalid UTF-8 byte 0xE0"},
      {"overlong four-byte", "\xF0\x80\x80\x80", "invalid UTF-8 byte 0xF0"},
      {"encoded surrogate", "\xED\xA0\x80", "invalid UTF-8 byte 0xED"},
      {"above U+10FFFF", "\xF4\x90\x80\x80", "invalid UTF-8 byte 0xF4"},
      {"lead byte past F4", "\xF5\x80\x80\x80", "invalid UTF-8 byte 0xF5"},
      {"truncated sequence", "\xE2\x82", "invalid UTF-8 byte 0xE2"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.why);
    CHECK(error_of(std::string("\"a") + c.bytes + "\"") == std::string("line 1, column 3: ") + c.error);
    CHECK(error_of(std::string("[") + c.bytes + "]") == std::string("line 1, column 2: expected a value but found ") + c.error);
  }
  SUBCASE("truncated at the very end of the input") {
    CHECK(error_of("\"\xF0\x9F\x98") == "line 1, column 2: invalid UTF-8 byte 0xF0");
  }
}

TEST_CASE("json nesting deeper than the limit is an error, not a stack overflow") {
  CHECK(parsed(nested_arrays(64)).is_array());
  CHECK(error_of(nested_arrays(65)) == "line 1, column 65: nesting deeper than 64 levels");
  CHECK(error_of(std::string(1000000, '[')) == "line 1, column 65: nesting deeper than 64 levels");
  SUBCASE("objects and arrays count alike") {
    json::ParseLimits limits;
    limits.max_depth = 2;
    CHECK(parsed(R"({"a": [1], "b": {"c": 2}})", limits).is_object());
    CHECK(error_of(R"({"a": {"b": [1]}})", limits) == "line 1, column 13: nesting deeper than 2 levels");
  }
  SUBCASE("a limit of zero allows only scalars") {
    json::ParseLimits limits;
    limits.max_depth = 0;
    CHECK(parsed("7", limits) == Value(7));
    CHECK(error_of("[]", limits) == "line 1, column 1: nesting deeper than 0 levels");
  }
}

TEST_CASE("json input larger than the byte limit is refused before parsing") {
  json::ParseLimits limits;
  limits.max_bytes = 6;
  CHECK(parsed("[1, 2]", limits).is_array());
  CHECK(error_of("[1, 23]", limits) == "line 1, column 1: input is 7 bytes, more than the limit of 6");
}

TEST_CASE("json duplicate keys are an error naming the key") {
  CHECK(error_of("{\n  \"kernel\": 3,\n  \"stride\": 1,\n  \"kernel\": 5\n}") ==
        "line 4, column 3: duplicate key \"kernel\"");
  SUBCASE("keys equal after unescaping") {
    CHECK(error_of(R"({"a": 1, "\u0061": 2})") == "line 1, column 10: duplicate key \"a\"");
  }
  SUBCASE("the same key in different objects is fine") {
    CHECK(parsed(R"([{"kernel": 3}, {"kernel": 5, "x": {"kernel": 1}}])").is_array());
  }
  SUBCASE("the key is escaped in the message") {
    CHECK(error_of("{\"a\\n<\": 1, \"a\\n<\": 2}") == "line 1, column 13: duplicate key \"a\\n\\u003c\"");
  }
}

TEST_CASE("json pretty writer puts one member per line and scalar arrays on one line") {
  CHECK(json::write(sample_network()) == R"({
  "framework": "tensorflow",
  "input": [1, 4, 4, 3],
  "layers": [
    {
      "type": "conv",
      "name": "conv2d_3",
      "kernel": 5,
      "padding": "valid"
    }
  ]
})");
  SUBCASE("empty containers") {
    CHECK(json::write(Object{{"a", Array{}}, {"b", Object{}}}) == "{\n  \"a\": [],\n  \"b\": {}\n}");
    CHECK(json::write(Array{}) == "[]");
    CHECK(json::write(Object{}) == "{}");
  }
  SUBCASE("an array holding any container goes one element per line") {
    CHECK(json::write(Array{1, Array{2, 3}, Array{}}) == "[\n  1,\n  [2, 3],\n  []\n]");
  }
  SUBCASE("mixed scalars share a line") {
    CHECK(json::write(Array{nullptr, true, 1.5, "s"}) == "[null, true, 1.5, \"s\"]");
  }
  SUBCASE("indent width") {
    CHECK(json::write(Object{{"a", Object{{"b", 1}}}}, 4) == "{\n    \"a\": {\n        \"b\": 1\n    }\n}");
    CHECK(json::write(Object{{"a", Array{1, 2}}}, 0) == "{\n\"a\": [1, 2]\n}");
  }
  SUBCASE("scalars alone") {
    CHECK(json::write(Value()) == "null");
    CHECK(json::write(false) == "false");
    CHECK(json::write(int64_t{-9223372036854775807 - 1}) == "-9223372036854775808");
  }
}

TEST_CASE("json compact writer emits no whitespace at all") {
  CHECK(json::write(sample_network(), -1) ==
        R"({"framework":"tensorflow","input":[1,4,4,3],"layers":[{"type":"conv","name":"conv2d_3","kernel":5,"padding":"valid"}]})");
  CHECK(json::write(Object{{"a", Array{}}, {"b", Object{}}, {"c", Array{Value(Array{1})}}}, -1) == R"({"a":[],"b":{},"c":[[1]]})");
}

TEST_CASE("json doubles print in the shortest form that reads back as a number") {
  struct Case {
    double value;
    const char* text;
  };
  const double inf = std::numeric_limits<double>::infinity();
  const Case cases[] = {
      {2.0, "2.0"},
      {-0.0, "-0.0"},
      {0.0, "0.0"},
      {0.1, "0.1"},
      {-1.5, "-1.5"},
      {1.0 / 3.0, "0.3333333333333333"},
      {100.0, "100.0"},
      {1200.0, "1200.0"},
      {123456789012.0, "123456789012.0"},
      {1e16, "10000000000000000.0"},
      {1e17, "1e+17"},
      {1e20, "1e+20"},
      {1e300, "1e+300"},
      {0.0001, "0.0001"},
      {1.5e-7, "1.5e-07"},
      {5e-324, "5e-324"},
      {std::numeric_limits<double>::max(), "1.7976931348623157e+308"},
      {std::nan(""), "null"},
      {inf, "null"},
      {-inf, "null"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.text);
    CHECK(json::write(c.value) == c.text);
  }
  SUBCASE("random doubles round-trip exactly") {
    std::mt19937_64 random(20240601);
    for (int i = 0; i < 20000; ++i) {
      uint64_t bits = random();
      double d;
      std::memcpy(&d, &bits, sizeof d);
      if (!std::isfinite(d)) continue;
      Value back = parsed(json::write(d));
      CAPTURE(json::write(d));
      REQUIRE(back.kind() == Kind::number);
      REQUIRE(back.as_double() == d);
    }
  }
  SUBCASE("a number_text that is not JSON is ignored") {
    Value v(2.5);
    v.set_number_text("2,5");
    CHECK(json::write(v) == "2.5");
  }
}

TEST_CASE("json numbers read and write with '.' whatever the C locale says") {
  // Needs a locale with a decimal comma; skipped where none is installed.
  const char* saved = std::setlocale(LC_NUMERIC, nullptr);
  std::string restore = saved ? saved : "C";
  if (!std::setlocale(LC_NUMERIC, "de_DE.UTF-8") && !std::setlocale(LC_NUMERIC, "fr_FR.UTF-8")) {
    MESSAGE("no decimal-comma locale installed; skipping");
    return;
  }
  Value v = parsed("[1.5, 2.25e1]");
  std::string written = json::write(v, -1);
  std::string tenth = json::write(0.1);
  std::setlocale(LC_NUMERIC, restore.c_str());
  CHECK(v == Value(Array{1.5, 22.5}));
  CHECK(written == "[1.5,22.5]");
  CHECK(tenth == "0.1");
}

TEST_CASE("json strings are escaped so the output is safe inside HTML") {
  CHECK(json::quote("</script><!--&amp;") == R"("\u003c/script\u003e\u003c!--\u0026amp;")");
  CHECK(json::quote("\"\\/\b\f\n\r\t\x01\x1f\x7f") == "\"\\\"\\\\/\\b\\f\\n\\r\\t\\u0001\\u001f\x7f\"");
  CHECK(json::quote(std::string("a\0b", 3)) == R"("a\u0000b")");
  SUBCASE("non-ASCII passes through unchanged") {
    CHECK(json::quote("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80") == "\"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\"");
  }
  SUBCASE("bytes that are not UTF-8 become U+FFFD") {
    CHECK(json::quote("a\xFF" "b\xE2\x82") == R"("a\ufffdb\ufffd\ufffd")");
    CHECK(parsed(json::quote("\xC0\x80")).as_string() == "\xEF\xBF\xBD\xEF\xBF\xBD");
  }
  SUBCASE("keys are escaped too") { CHECK(json::write(Object{{"<k>", 1}}, -1) == R"({"\u003ck\u003e":1})"); }
}

TEST_CASE("json values compare deeply") {
  CHECK(sample_network() == sample_network());
  CHECK(Value(Array{1, Object{{"a", "b"}}}) == Value(Array{1, Object{{"a", "b"}}}));
  CHECK(Value(Array{1, Object{{"a", "b"}}}) != Value(Array{1, Object{{"a", "c"}}}));
  SUBCASE("kinds must match") {
    CHECK(Value(1) != Value(1.0));
    CHECK(Value() != Value(false));
    CHECK(Value(Array{}) != Value(Object{}));
    CHECK(Value(int64_t{3}) == Value(3));
  }
  SUBCASE("member order matters") {
    CHECK(Value(Object{{"a", 1}, {"b", 2}}) != Value(Object{{"b", 2}, {"a", 1}}));
  }
  SUBCASE("numbers compare by value and literal") {
    CHECK(parsed("1e400") == parsed("1e400"));
    CHECK(parsed("1e400") != parsed("2e400"));
    CHECK(Value(std::nan("")) != Value(std::nan("")));
  }
}

TEST_CASE("json accessors return empty defaults on the wrong kind") {
  Value i = 3;
  const Value& c = i;
  CHECK(i.as_string().empty());
  CHECK(i.as_bool() == false);
  CHECK(i.as_array().empty());
  CHECK(c.as_array().empty());
  CHECK(i.as_object().empty());
  CHECK(c.as_object().empty());
  CHECK(Value(1.5).as_int() == 0);
  CHECK(Value("x").as_double() == 0.0);
  CHECK(Value("x").as_int() == 0);
  CHECK(i.find("k") == nullptr);
  CHECK(i.as_double() == 3.0);
  CHECK(i == Value(3));  // none of the above changed it
  SUBCASE("writes through a wrong-kind reference are discarded") {
    i.as_array().push_back(1);
    CHECK(i == Value(3));
    CHECK(Value(false).as_array().empty());
    Value s = "x";
    s.as_object().emplace_back("k", 1);
    CHECK(s == Value("x"));
    CHECK(Value().as_object().empty());
  }
  SUBCASE("set turns a non-object into an object") {
    i.set("k", 1);
    CHECK(i == Value(Object{{"k", 1}}));
    Value s = "key";
    s.set(s.as_string(), 2);  // the key lives in the value being replaced
    CHECK(s == Value(Object{{"key", 2}}));
  }
}

TEST_CASE("json parse may read text that lives inside its output") {
  Value v = "[1, 2]";
  json::ParseError e;
  REQUIRE(json::parse(v.as_string(), v, e));
  CHECK(v == Value(Array{1, 2}));
}

TEST_CASE("json set replaces in place or appends") {
  Value o = Object{{"a", 1}, {"b", 2}};
  o.set("a", "one");
  o.set("c", 3);
  CHECK(o == Value(Object{{"a", "one"}, {"b", 2}, {"c", 3}}));
}

TEST_CASE("json copies are independent and moved-from values are null") {
  Value original = Object{{"layers", Array{1}}};
  Value copy = original;
  copy.set("framework", "onnx");
  copy.as_object()[0].second.as_array().push_back(2);
  CHECK(original == Value(Object{{"layers", Array{1}}}));
  SUBCASE("copy assignment") {
    Value assigned;
    assigned = original;
    assigned.as_object().clear();
    CHECK(original.as_object().size() == 1);
  }
  SUBCASE("move") {
    Value moved = std::move(original);
    CHECK(original.is_null());  // NOLINT(bugprone-use-after-move): documented state
    CHECK(moved.find("layers") != nullptr);
  }
  SUBCASE("assigning a value its own child") {
    Value v = Array{Value(Array{1, 2})};
    v = v.as_array()[0];
    CHECK(v == Value(Array{1, 2}));
    Value w = Array{Object{{"k", 1}}};
    w = std::move(w.as_array()[0]);
    CHECK(w == Value(Object{{"k", 1}}));
  }
}
