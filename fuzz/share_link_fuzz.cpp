// libFuzzer target: the share-link decoder never crashes, its messages stay
// short, and every link it accepts (and the validator accepts) re-encodes to
// a link that decodes to the same network.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "convscope/api.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string hash(reinterpret_cast<const char*>(data), size);
  const convscope::api::Result decoded = convscope::api::decode_link(hash);
  if (decoded.exit_code != 0) {
    if (decoded.error.empty() || decoded.error.size() > 1000) std::abort();
    return 0;
  }
  const convscope::api::Result link = convscope::api::encode_link(decoded.output, decoded.extras);
  if (link.exit_code != 0) std::abort();
  const convscope::api::Result again = convscope::api::decode_link(link.output);
  if (again.exit_code != 0 || again.output != decoded.output || again.extras != decoded.extras) std::abort();
  return 0;
}
