// PyTorch's print(model) text -> a network of the contract.
//
// print(model) shows the modules in the order they were registered, not
// forward(): the chain is read in print order, except torchvision's blocks,
// whose forward() is known and which are read as their graphs
// (torchvision_blocks.hpp); a ShuffleNet V2 block stops the import there.
// Custom blocks are entered and named in the notes, their residual branches
// (`downsample`, `shortcut`, ...) are listed and left out, and modules
// ConvScope cannot model are listed by name. A Linear after a spatial output
// gets the torch.flatten(x, 1) that forward() usually does (and torchvision's
// global pool where its forward() does one). The input shape comes from the
// options, else a default said in the notes.
#pragma once

#include <string>

#include "convscope/import/import.hpp"

namespace convscope::import {

// Whether the first meaningful line reads like `ModelName(` or `Conv2d(...)`.
bool looks_like_pytorch_repr(const std::string& text);

bool import_pytorch_repr(const std::string& text, const ImportOptions& options, ImportResult& out,
                         std::string& error);

}  // namespace convscope::import
