// A small JSON value, parser and writer.
//
// Why our own: the report must be byte-identical between the native CLI and
// the WASM module, numbers must stay exact 64-bit integers (no double round
// trip), every parse error must name line and column, and the engine must
// stay well under the .wasm size budget. A few hundred lines buy all four.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace convscope::json {

// Filled by parse() for text that is not JSON. message reads
// "line L, column C: what is wrong"; both are 1-based and the column counts
// characters (Unicode code points), not bytes, so it matches what an editor
// shows for non-ASCII text. A tab counts as one character.
struct ParseError {
  std::string message;
  int line = 0;
  int column = 0;
};

class Value;
using Array = std::vector<Value>;
// Write Array{Value(Array{1, 2})} for an array holding one array: for
// Array{Array{1, 2}} GCC nests while Clang copies, giving [1, 2].
// Insertion-ordered object: writing keeps the order the producer chose.
using Object = std::vector<std::pair<std::string, Value>>;

enum class Kind { null, boolean, integer, number, string, array, object };

class Value {
 public:
  Value() = default;                      // null
  Value(std::nullptr_t) {}                // null
  Value(bool b) : kind_(Kind::boolean), bool_(b) {}
  Value(int i) : kind_(Kind::integer), int_(i) {}
  Value(int64_t i) : kind_(Kind::integer), int_(i) {}
  Value(double d) : kind_(Kind::number), double_(d) {}
  Value(const char* s) : kind_(Kind::string), string_(s) {}
  Value(std::string s) : kind_(Kind::string), string_(std::move(s)) {}
  Value(Array a);
  Value(Object o);
  // Copies are deep: a copy never shares arrays or objects with its source,
  // so mutating one through as_array()/set() cannot change the other.
  // A moved-from Value is null.
  Value(const Value& other);
  Value(Value&& other) noexcept;
  Value& operator=(const Value& other);
  Value& operator=(Value&& other) noexcept;

  Kind kind() const { return kind_; }
  bool is_null() const { return kind_ == Kind::null; }
  bool is_bool() const { return kind_ == Kind::boolean; }
  bool is_integer() const { return kind_ == Kind::integer; }
  // integer or non-integral number
  bool is_number() const { return kind_ == Kind::integer || kind_ == Kind::number; }
  bool is_string() const { return kind_ == Kind::string; }
  bool is_array() const { return kind_ == Kind::array; }
  bool is_object() const { return kind_ == Kind::object; }

  // Accessors cannot fail (the WASM build has no exceptions): callers check
  // kind() first. On the wrong kind as_bool/as_int/as_double return false/0/0
  // and the const references point at a static empty string/array/object.
  // The non-const as_array()/as_object() then return a per-thread scratch
  // container that is emptied on every such call, so a write through it is
  // lost and never reaches another caller or this value.
  bool as_bool() const;
  int64_t as_int() const;
  double as_double() const;  // integer or number
  const std::string& as_string() const;
  const Array& as_array() const;
  Array& as_array();
  const Object& as_object() const;
  Object& as_object();

  // Object helpers. find() returns nullptr when the key is absent or this is
  // not an object.
  const Value* find(const std::string& key) const;
  // Sets key (replacing an existing one in place, else appending). On a
  // value that is not an object, first replaces it with an empty object, as
  // assigning to a key of a null or number does in most JSON libraries.
  void set(const std::string& key, Value v);

  // The literal text of a number whose value did not fit int64 or double
  // exactly (e.g. 1e400 or 99999999999999999999); empty otherwise. Lets the
  // caller say "got 99999999999999999999" rather than a rounded value.
  const std::string& number_text() const { return number_text_; }
  void set_number_text(std::string t) { number_text_ = std::move(t); }

  // Deep comparison. Kinds must match (1 != 1.0), object member order matters
  // (equal values write identical text), numbers compare by value (so NaN
  // differs from itself) and by number_text().
  bool operator==(const Value& other) const;
  bool operator!=(const Value& other) const { return !(*this == other); }

 private:
  Kind kind_ = Kind::null;
  bool bool_ = false;
  int64_t int_ = 0;
  double double_ = 0;
  std::string string_;
  std::shared_ptr<Array> array_;   // shared_ptr keeps Value copyable while incomplete
  std::shared_ptr<Object> object_;
  std::string number_text_;
};

struct ParseLimits {
  size_t max_depth = 64;          // nesting of arrays/objects
  size_t max_bytes = 4u << 20;    // input size
};

// Parses a complete JSON text (RFC 8259; UTF-8 validated; duplicate keys are an
// error naming the key). Integers that fit int64 become Kind::integer; other
// numbers Kind::number, keeping their literal in number_text() if they
// overflow int64 or double (or underflow to zero). Parsing recurses once per
// nesting level, and so do write(), == and ~Value, so keep max_depth modest.
// Returns false and fills `error` when `text` is not JSON within `limits`;
// `out` is then unspecified. `error` is untouched on success.
bool parse(const std::string& text, Value& out, ParseError& error, const ParseLimits& limits = {});

// Deterministic writer. indent < 0: compact ("a":1,"b":[1,2]) with no spaces;
// indent >= 0: pretty, that many spaces per level, arrays of scalars kept on
// one line ("[1, 4, 4, 3]"); no trailing newline. Doubles print in the
// shortest form that round-trips, always with a '.' or an exponent so they
// re-parse as numbers (2.0, not 2); NaN/Inf print as null. A number with a
// number_text() prints that literal, so 99999999999999999999 survives a
// parse/write round trip. Strings are escaped as by quote().
std::string write(const Value& v, int indent = 2);

// JSON-escaped string literal including the quotes. Also escapes < > & (as
// \u003c \u003e \u0026) so the text can sit inside an HTML <script>; bytes
// that are not valid UTF-8 become \ufffd so the output always parses.
std::string quote(const std::string& s);

}  // namespace convscope::json
