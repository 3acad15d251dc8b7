// The share-link codec: the whole network in the URL hash, as readable,
// hand-editable, versioned text.
//
//   v=1&fw=tensorflow&in=1x4x4x3&l=conv:16:k5:pvalid:n=conv2d_3;max_pool:k2;flatten;dense:10
//
// The decoder checks SYNTAX only and returns a network object spelled exactly
// as the JSON contract; the network parser validates meaning afterwards (so a
// link and a JSON file get the same semantic messages). The grammar is
// documented in the README ("Share links"); share_link.cpp holds the tables.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "convscope/json.hpp"

namespace convscope::share_link {

// Filled by decode() and encode() when they fail. Every message names where
// the problem is, e.g.
//   l: layer 3 "max_pool:kx2": k: expected a number before 'x'
// User text inside messages is quoted, escaped and cut to ~40 characters.
struct ShareLinkError {
  std::string message;
  // The parameter at fault: "v", "fw", "in", "l", an extra's key, or "" for
  // the link (or network) as a whole.
  std::string part;
  // 0-based layer index (as in the JSON path layers[i]) when part is "l"; else -1.
  int layer = -1;
};

using Extras = std::vector<std::pair<std::string, std::string>>;

struct Decoded {
  json::Value network;  // {"framework", "input", "layers"}
  Extras extras;        // every other parameter, percent-decoded, in order
};

// Accepts the hash with or without a leading '#'. Returns false and fills
// `error` when the link cannot be read; `out` is then unspecified.
bool decode(const std::string& hash, Decoded& out, ShareLinkError& error);

// Canonical text (no leading '#'): v=1&fw=..&in=..&l=.. then the extras,
// percent-encoded. Returns false and fills `error` for anything the text
// form cannot spell (an unknown field, a negative or fractional size, a
// reserved or repeated extra key, a result longer than
// limits::max_share_link_chars); `out` is then unspecified.
bool encode(const json::Value& network, const Extras& extras, std::string& out, ShareLinkError& error);

}  // namespace convscope::share_link
