// Every cap on untrusted input lives here, so the README's limits table,
// the parsers and the page quote one source.
#pragma once

#include <cstddef>
#include <cstdint>

namespace convscope::limits {

// Largest tensor dimension accepted or produced (frameworks index with int32).
constexpr int64_t max_dimension = 2147483647;  // 2^31 - 1
// Layers in one network.
constexpr size_t max_layers = 2000;
// Bytes of JSON text accepted by the network parser.
constexpr size_t max_json_bytes = 4u << 20;
// JSON nesting accepted by the network parser (a network needs 4).
constexpr size_t max_json_depth = 32;
// Characters of a share-link hash.
constexpr size_t max_share_link_chars = 16384;
// Characters of a layer name.
constexpr size_t max_name_chars = 200;

}  // namespace convscope::limits
