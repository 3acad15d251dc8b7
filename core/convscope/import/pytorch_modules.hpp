// Internals of the print(model) importer: one module's repr -> layers.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "convscope/import/draft.hpp"
#include "convscope/import/text.hpp"

namespace convscope::import::torchvision {
struct Root;
}

namespace convscope::import::torch_modules {

// One torchvision block class as recognised: where, and how many of them
// have the residual add their config decides.
struct BlockUse {
  std::string wiring;  // how the children are wired, for the note
  std::vector<std::string> paths;
  size_t residual = 0;
  bool conditional = false;  // the add depends on stride and channels
};

// What the walk over the modules knows so far.
struct State {
  State(Draft& draft, const std::string& t) : d(draft), text(t) {}
  Draft& d;
  const std::string& text;
  size_t spatial_rank = 0;         // from the first spatial module
  int64_t first_channels = 0;      // in_channels of the first Conv / BatchNorm
  bool spatial = true;             // does the current tensor still have spatial axes?
  std::vector<std::string> unknown, custom, branches, identities;
  bool avg_pool_note = false, upsample_note = false, pad_note = false;
  int64_t channels = 0;  // out_channels / num_features of the last Conv / BatchNorm
  const torchvision::Root* root = nullptr;  // a torchvision model class at the root
  bool root_matched = false;                // ... with the top-level modules torchvision's has
  std::vector<std::string> unused, eval_identities, not_torchvision;
  std::map<std::string, BlockUse> blocks;                   // by block kind ("BasicBlock", ...)
  std::map<std::string, std::vector<std::string>> sequential;  // torchvision Sequential subclasses

  void see_rank(size_t sr) {
    if (spatial_rank == 0) spatial_rank = sr;
  }
  void see_channels(int64_t c) {
    if (first_channels == 0) first_channels = c;
  }
};

// Reads one leaf module (`Conv2d(3, 64, kernel_size=(3, 3), ...)`) into the
// draft as zero, one or two layers (a Linear after a spatial output gets its
// flatten). Modules ConvScope cannot model go to st.unknown by name; false
// with `error` ("line L, column C: ...") when the module's arguments are bad.
bool leaf(State& st, const text::PyCall& c, const std::string& name, const std::string& at, std::string& error);

}  // namespace convscope::import::torch_modules
