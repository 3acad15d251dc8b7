// PyTorch's print(model) text -> a network of the contract.
//
// print(model) shows the modules in the order they were registered, not
// forward(): the chain is read in print order, custom blocks are entered and
// named in the notes, residual branches (`downsample`, `shortcut`, ...) are
// listed and left out, and modules ConvScope cannot model are listed by name.
// A Linear right after a spatial output gets the torch.flatten(x, 1) that
// forward() usually does. The input shape comes from the options, else a
// default said in the notes.
#pragma once

#include <string>

#include "convscope/import/import.hpp"

namespace convscope::import {

// Whether the first meaningful line reads like `ModelName(` or `Conv2d(...)`.
bool looks_like_pytorch_repr(const std::string& text);

bool import_pytorch_repr(const std::string& text, const ImportOptions& options, ImportResult& out,
                         std::string& error);

}  // namespace convscope::import
