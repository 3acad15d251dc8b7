// torchvision's building blocks, read from print(model) as the graphs their
// forward() builds. print(model) shows modules, not forward(); for the block
// classes torchvision ships (ResNet's BasicBlock, MobileNet's
// InvertedResidual, SqueezeNet's Fire, ...) the wiring is known from
// torchvision 0.14's source, so each is one table entry: its class, the
// children it must have, and how they are wired. A class is recognised by its
// name AND its children's names: a user's own `BasicBlock` with other
// children is read in print order, and the notes say why.
#pragma once

#include <string>
#include <vector>

#include "convscope/import/pytorch_modules.hpp"

namespace convscope::import::torchvision {

// A container print(model) showed, closing: its layers are
// st.d.layers[first_layer, end) in print order, named by their module paths.
struct Container {
  std::string path, cls;
  std::vector<std::string> children;  // direct children's names, in print order
  size_t first_layer = 0;
  std::string origin;  // "line 7": where its merges come from
};

// Whether `child` of a `cls` block is a path of the block's graph (so the
// parser reads it instead of leaving it out as a residual branch).
bool wires_child(const std::string& cls, const std::string& child);

enum class Wiring {
  other,       // not a torchvision block (or a user's class of the same name)
  sequential,  // a torchvision Sequential subclass: print order is forward order
  wired,       // the layers were rewired into the block's graph
  stop,        // a block ConvScope cannot model: the import stops before it
};

// Rewires a closing container's layers when it is a torchvision block. On
// `stop`, `why` says what the block does that the contract cannot express.
Wiring wire(torch_modules::State& st, const Container& c, std::string& why);

// The model classes (the root of print(model)): what their forward() does
// beyond calling the printed modules in order.
struct Root {
  const char* cls;
  std::vector<const char*> children;    // the top-level modules it must have
  const char* pool_before_linear;       // the global pool forward() does before the classifier, or nullptr
  bool relu_before_pool;                // DenseNet: F.relu(features) first
  bool flatten_at_end;                  // SqueezeNet: torch.flatten(x, 1) after the classifier
  std::vector<const char*> unused_in_eval;  // GoogLeNet's aux classifiers
};
const Root* root_of(const std::string& cls);
// Whether the closing root container has the children its class must have.
bool root_matches(const Root& r, const std::vector<std::string>& children);

// The notes on what was recognised (one per block class).
void notes(torch_modules::State& st);

}  // namespace convscope::import::torchvision
