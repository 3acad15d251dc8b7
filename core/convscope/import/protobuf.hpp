// A small, bounds-checked reader of the protobuf wire format, enough for the
// ONNX subset ConvScope needs.
//
// Why not the protobuf library: Emscripten's sysroot has none (it would have
// to be built and shipped in the .wasm, several times the size of the whole
// engine), ONNX needs a handful of fields from five messages, and a reader of
// our own gives full control over limits on hostile files: every length is
// checked against the bytes left, nothing recurses, nothing throws.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace convscope::import::pb {

enum Wire : uint32_t { varint = 0, fixed64 = 1, bytes = 2, fixed32 = 5 };

// A window on the input: [begin, end) are offsets into the whole file, so
// messages can name the byte where something went wrong.
struct Span {
  const std::string* file = nullptr;
  size_t begin = 0, end = 0;

  size_t size() const { return end - begin; }
  std::string str() const { return file->substr(begin, end - begin); }
};

struct Field {
  uint32_t number = 0;
  uint32_t wire = 0;
  uint64_t value = 0;  // varint, fixed64, fixed32
  Span data;           // length-delimited
  size_t offset = 0;   // where the field's key starts
};

class Reader {
 public:
  explicit Reader(Span s) : s_(s), pos_(s.begin) {}
  // The next field; false at the end of the message or when it is malformed
  // (then error() says why, naming the byte offset).
  bool next(Field& f);
  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }

 private:
  bool read_varint(uint64_t& out);
  bool fail(size_t at, const std::string& what);

  Span s_;
  size_t pos_;
  std::string error_;
};

// Repeated int64 fields come packed (one length-delimited field) or one by
// one; both append to `out`, refusing more than `max` values.
bool append_ints(const Field& f, std::vector<int64_t>& out, size_t max, std::string& error);

}  // namespace convscope::import::pb
