// The entry points shared by the native CLI and the WASM module, so both
// print the same bytes for the same input.
#pragma once

#include <string>

namespace convscope::api {

struct Result {
  int exit_code = 0;   // 0 all layers valid, 1 some layer invalid, 2 malformed input
  std::string output;  // the report (JSON or table) when exit_code < 2
  std::string error;   // one line naming the JSON path or position when exit_code == 2
  std::string extras;  // decode_link only: the page's own params, JSON [[key, value], ...]
};

// Network JSON text -> report JSON (pretty, trailing newline).
Result analyze_json(const std::string& network_json);
// Network JSON text -> the human table.
Result analyze_table(const std::string& network_json);
// Share-link hash -> canonical network JSON (pretty), validated like a file;
// Result::extras gets the page's own params.
Result decode_link(const std::string& hash);
// Network JSON text + extras JSON list ("[]" for none) -> share-link hash text.
Result encode_link(const std::string& network_json, const std::string& extras_json);
// Network JSON text -> canonical network JSON (defaults dropped).
Result normalize(const std::string& network_json);

std::string version();

}  // namespace convscope::api
