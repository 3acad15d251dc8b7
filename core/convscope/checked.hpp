// 64-bit arithmetic that refuses to overflow, and divisions that round the
// way the frameworks do. C++ '/' truncates toward zero, so (4 - 5) / 2 + 1
// would come out as a "valid" size 1; PyTorch's div_rtn floors and gives 0.
//
// Overflow does not throw: the WASM build has no exceptions (they double the
// module's size), so a result that leaves int64 saturates and raises a sticky
// flag that the analysis checks after each layer.
#pragma once

#include <cstdint>
#include <limits>
#include <string>

namespace convscope::checked {

struct OverflowState {
  bool happened = false;
  std::string what;  // the first overflowing operation, e.g. "3037000500 * 3037000500"
};

inline thread_local OverflowState overflow_state;

inline void clear_overflow() { overflow_state = {}; }
inline bool overflowed() { return overflow_state.happened; }
inline const std::string& overflow_what() { return overflow_state.what; }

inline int64_t saturate(int64_t a, char op, int64_t b, bool positive) {
  if (!overflow_state.happened) {
    overflow_state.happened = true;
    overflow_state.what = std::to_string(a) + " " + op + " " + std::to_string(b);
  }
  return positive ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
}

inline int64_t add(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_add_overflow(a, b, &r)) return saturate(a, '+', b, b > 0);
  return r;
}

inline int64_t sub(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_sub_overflow(a, b, &r)) return saturate(a, '-', b, b < 0);
  return r;
}

inline int64_t mul(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_mul_overflow(a, b, &r)) return saturate(a, '*', b, (a < 0) == (b < 0));
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

// Ceiling division, b > 0 (written without negation so INT64_MIN is safe).
inline int64_t ceil_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  if (a % b != 0 && a > 0) ++q;
  return q;
}

}  // namespace convscope::checked
