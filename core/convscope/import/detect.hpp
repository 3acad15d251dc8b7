// Which format a pasted text or dropped file is, from its first bytes and a
// few unmistakable anchors, so `convscope import` and the page need no
// format flag.
#pragma once

#include <optional>
#include <string>

#include "convscope/import/import.hpp"

namespace convscope::import {

// The format `text_or_bytes` most likely is; nullopt with `why` when none
// fits (why names the first line, so the user sees what was read).
std::optional<Format> detect_format(const std::string& text_or_bytes, std::string& why);

// The framework a format's networks are in, where the format fixes it.
std::optional<Framework> framework_of(Format f);

}  // namespace convscope::import
