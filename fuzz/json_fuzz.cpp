// libFuzzer target: the JSON reader never crashes, and what it accepts
// writes back to text that reads as the same value.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "convscope/json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  convscope::json::Value value;
  convscope::json::ParseError error;
  if (!convscope::json::parse(text, value, error)) {
    if (error.message.rfind("line ", 0) != 0) std::abort();  // every error names its position
    return 0;
  }
  for (int indent : {-1, 2}) {
    convscope::json::Value again;
    if (!convscope::json::parse(convscope::json::write(value, indent), again, error)) std::abort();
    if (again != value) std::abort();
  }
  return 0;
}
