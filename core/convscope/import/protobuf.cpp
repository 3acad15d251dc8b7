#include "convscope/import/protobuf.hpp"

namespace convscope::import::pb {

bool Reader::fail(size_t at, const std::string& what) {
  if (error_.empty()) error_ = "byte " + std::to_string(at) + ": " + what;
  pos_ = s_.end;
  return false;
}

bool Reader::read_varint(uint64_t& out) {
  const size_t start = pos_;
  out = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    if (pos_ >= s_.end) return fail(start, "truncated varint (the file ends inside a number)");
    const uint8_t b = static_cast<uint8_t>((*s_.file)[pos_++]);
    if (shift == 63 && (b & 0x7e) != 0) return fail(start, "varint longer than 64 bits");
    out |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) return true;
  }
  return fail(start, "varint longer than 10 bytes");
}

bool Reader::next(Field& f) {
  if (pos_ >= s_.end || failed()) return false;
  f = Field{};
  f.offset = pos_;
  uint64_t key = 0;
  if (!read_varint(key)) return false;
  f.wire = static_cast<uint32_t>(key & 7);
  if ((key >> 3) == 0 || (key >> 3) > 0x1fffffff) return fail(f.offset, "invalid field number 0");
  f.number = static_cast<uint32_t>(key >> 3);
  switch (f.wire) {
    case varint: return read_varint(f.value);
    case fixed64:
    case fixed32: {
      const size_t n = f.wire == fixed64 ? 8 : 4;
      if (s_.end - pos_ < n) return fail(f.offset, "truncated fixed-size field " + std::to_string(f.number));
      for (size_t i = 0; i < n; ++i)
        f.value |= static_cast<uint64_t>(static_cast<uint8_t>((*s_.file)[pos_ + i])) << (8 * i);
      pos_ += n;
      return true;
    }
    case bytes: {
      uint64_t len = 0;
      if (!read_varint(len)) return false;
      if (len > s_.end - pos_)
        return fail(f.offset, "field " + std::to_string(f.number) + " claims " + std::to_string(len) + " bytes but " +
                                  std::to_string(s_.end - pos_) + " are left (truncated or not protobuf)");
      f.data = Span{s_.file, pos_, pos_ + static_cast<size_t>(len)};
      pos_ += static_cast<size_t>(len);
      return true;
    }
    default:
      return fail(f.offset, "wire type " + std::to_string(f.wire) + " of field " + std::to_string(f.number) +
                                " is not used by ONNX (not an ONNX file, or damaged)");
  }
}

bool append_ints(const Field& f, std::vector<int64_t>& out, size_t max, std::string& error) {
  if (f.wire == varint) {
    if (out.size() >= max) {
      error = "byte " + std::to_string(f.offset) + ": more than " + std::to_string(max) + " values";
      return false;
    }
    out.push_back(static_cast<int64_t>(f.value));
    return true;
  }
  if (f.wire != bytes) {
    error = "byte " + std::to_string(f.offset) + ": expected integers";
    return false;
  }
  // A packed run is a sequence of varints without keys: read them directly.
  size_t pos = f.data.begin;
  while (pos < f.data.end) {
    uint64_t v = 0;
    int shift = 0;
    for (;; shift += 7) {
      if (pos >= f.data.end || shift >= 70) {
        error = "byte " + std::to_string(pos) + ": truncated packed integers";
        return false;
      }
      const uint8_t b = static_cast<uint8_t>((*f.data.file)[pos++]);
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) break;
    }
    if (out.size() >= max) {
      error = "byte " + std::to_string(f.offset) + ": more than " + std::to_string(max) + " values";
      return false;
    }
    out.push_back(static_cast<int64_t>(v));
  }
  return true;
}

}  // namespace convscope::import::pb
