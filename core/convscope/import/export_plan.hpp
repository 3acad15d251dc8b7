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
  std::vector<std::pair<int64_t, int64_t>> pads;  // resolved [begin, end] per axis (empty when unknown)
};

struct Plan {
  Framework framework = Framework::pytorch;
  size_t spatial_rank = 0;
  int64_t batch = 1, channels = 1;
  std::vector<int64_t> spatial;  // the network's input sizes
  std::vector<Step> steps;
  std::string failure;           // "layer 6 of 8 (conv2d_3): ..." when the network is invalid
  bool auto_names = true;        // every name is the framework's automatic one
};

Plan make(const Network& net);

// Python literals.
std::string tuple(const std::vector<int64_t>& v);  // (3, 3) / (3,)
std::string string(const std::string& s);          // "conv2d_3", escaped
std::string pairs(const std::vector<std::pair<int64_t, int64_t>>& v);  // ((1, 1), (0, 1))
// A Python identifier-ish module name, unique among `used`.
std::string module_name(const std::string& name, std::vector<std::string>& used);

}  // namespace convscope::import::plan
