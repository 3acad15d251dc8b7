// Internals shared by the code writers: what arrives at each layer (sizes,
// channels, rank, the padding its framework resolves), from one analysis.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "convscope/analyze.hpp"
#include "convscope/network.hpp"

namespace convscope::import::plan {

struct Step {
  const Layer* layer = nullptr;
  int64_t channels = -1;        // channels arriving; -1 when unknown
  int64_t last_axis = -1;       // size of the last axis arriving (dense in_features)
  size_t rank = 0;              // rank arriving
  std::vector<int64_t> spatial; // spatial sizes arriving (empty when unknown)
  std::vector<int64_t> out_spatial;  // spatial sizes leaving (empty when unknown)
  std::vector<std::pair<int64_t, int64_t>> pads;  // resolved [begin, end] per axis, cropping negative (empty when unknown)
  InputList inputs;             // what the layer reads: earlier steps or kNetworkInput, in order
  std::vector<size_t> in_ranks; // the rank each input brings (0 when unknown)
};

struct Plan {
  Framework framework = Framework::pytorch;
  size_t spatial_rank = 0;
  int64_t batch = 1, channels = 1;
  std::vector<int64_t> spatial;  // the network's input sizes
  std::vector<Step> steps;
  std::string failure;           // "layer 6 of 8 (conv2d_3): ..." when the network is invalid
  bool auto_names = true;        // every name is the framework's automatic one
  // The one decision between the writers' two forms: a chain is written as a
  // Sequential model, a graph (branches or merges) as an nn.Module with a
  // forward() and as Keras' functional API.
  bool graph = false;
  std::vector<size_t> outputs;   // the layers nobody reads, in order (the report's `outputs`)
};

Plan make(const Network& net);

// A concat's axis in the target's layout (channels first for PyTorch,
// channels last for Keras), counted from 0; the axis as written when the rank
// is unknown or the axis is outside it (the code then fails as the source does).
int64_t concat_axis(const Plan& p, const Step& s, bool channels_last);

// A reshape's sizes after the batch in the code's layout: a PyTorch or ONNX
// network's [64, 7, 7] is Keras' (7, 7, 64), and the other way round.
std::vector<int64_t> target_shape(const Plan& p, const Layer& l, bool channels_last = false);

// Python literals.
std::string tuple(const std::vector<int64_t>& v);  // (3, 3) / (3,)
std::string string(const std::string& s);          // "conv2d_3", escaped
std::string pairs(const std::vector<std::pair<int64_t, int64_t>>& v);  // ((1, 1), (0, 1))
// nn.Module's own attributes, which a child module may not be named.
const std::vector<std::string>& module_attributes();
// A Python identifier-ish module name, unique among `used`.
std::string module_name(const std::string& name, std::vector<std::string>& used);
// A valid Python identifier for a layer's variable (and attribute): characters
// outside [A-Za-z0-9_] become '_', a name starting with a digit gets `prefix`
// and '_' in front ("3" -> "conv_3"), a keyword, a builtin or a name in `reserved` gets
// '_' at the end, and a clash with `used` gets "_2", "_3", ...
std::string identifier(const std::string& name, const std::string& prefix, const std::vector<std::string>& reserved,
                       std::vector<std::string>& used);

}  // namespace convscope::import::plan
