#include "convscope/network.hpp"

#include <array>

namespace convscope {

namespace {
constexpr std::array<const char*, 3> kFrameworkNames = {"pytorch", "tensorflow", "onnx"};
constexpr std::array<const char*, 17> kLayerTypeNames = {
    "conv",       "conv_transpose",  "depthwise_conv",    "max_pool", "avg_pool",
    "global_avg_pool", "global_max_pool", "adaptive_avg_pool", "zero_pad", "crop",
    "upsample",   "flatten",         "dense",             "relu",     "activation",
    "batch_norm", "dropout"};
}  // namespace

const char* to_string(Framework f) { return kFrameworkNames[static_cast<size_t>(f)]; }
const char* to_string(LayerType t) { return kLayerTypeNames[static_cast<size_t>(t)]; }

const char* to_string(Mode m) { return m == Mode::train ? "train" : "eval"; }

std::optional<Mode> mode_from_string(const std::string& s) {
  if (s == "train") return Mode::train;
  if (s == "eval") return Mode::eval;
  return std::nullopt;
}

Mode default_mode(Framework f) { return f == Framework::pytorch ? Mode::train : Mode::eval; }

std::optional<Framework> framework_from_string(const std::string& s) {
  for (size_t i = 0; i < kFrameworkNames.size(); ++i)
    if (s == kFrameworkNames[i]) return static_cast<Framework>(i);
  return std::nullopt;
}

std::optional<LayerType> layer_type_from_string(const std::string& s) {
  for (size_t i = 0; i < kLayerTypeNames.size(); ++i)
    if (s == kLayerTypeNames[i]) return static_cast<LayerType>(i);
  return std::nullopt;
}

}  // namespace convscope
