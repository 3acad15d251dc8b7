// 64-bit arithmetic that refuses to overflow, and divisions that round the
// way the frameworks do. C++ '/' truncates toward zero, so (4 - 5) / 2 + 1
// would come out as a "valid" size 1; PyTorch's div_rtn floors and gives 0.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace convscope {

// Thrown when a size computation leaves int64 or the dimension limit.
struct OverflowError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

namespace checked {

inline int64_t add(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_add_overflow(a, b, &r))
    throw OverflowError("64-bit overflow computing " + std::to_string(a) + " + " + std::to_string(b));
  return r;
}

inline int64_t sub(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_sub_overflow(a, b, &r))
    throw OverflowError("64-bit overflow computing " + std::to_string(a) + " - " + std::to_string(b));
  return r;
}

inline int64_t mul(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_mul_overflow(a, b, &r))
    throw OverflowError("64-bit overflow computing " + std::to_string(a) + " * " + std::to_string(b));
  return r;
}

// Floor division (toward negative infinity), b > 0: PyTorch's div_rtn.
inline int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

// Truncating division (toward zero): what TensorFlow's and ONNX Runtime's C++ do.
inline int64_t trunc_div(int64_t a, int64_t b) { return a / b; }

// Ceiling division for a >= 0, b > 0.
inline int64_t ceil_div(int64_t a, int64_t b) { return -floor_div(-a, b); }

}  // namespace checked
}  // namespace convscope
