#include "convscope/import/names.hpp"

#include <utility>

namespace convscope::import::names {

namespace {

const Activation kActivations[] = {
    {"ReLU", "relu", "relu"},
    {"ReLU6", "relu6", "relu6"},
    {"LeakyReLU", "leaky_relu", "leaky_relu"},
    {"PReLU", "prelu", nullptr},
    {"ELU", "elu", "elu"},
    {"SELU", "selu", "selu"},
    {"CELU", "celu", "celu"},
    {"GELU", "gelu", "gelu"},
    {"SiLU", "silu", "silu"},
    {"Mish", "mish", "mish"},
    {"Sigmoid", "sigmoid", "sigmoid"},
    {"Tanh", "tanh", "tanh"},
    {"Hardtanh", "hard_tanh", nullptr},
    {"Hardswish", "hard_swish", "hard_swish"},
    {"Hardsigmoid", "hard_sigmoid", "hard_sigmoid"},
    {"Softplus", "softplus", "softplus"},
    {"Softsign", "softsign", "softsign"},
    {"Softmax", "softmax", "softmax"},
    {"LogSoftmax", "log_softmax", "log_softmax"},
    {"LogSigmoid", "log_sigmoid", nullptr},
    {"Identity", "linear", "linear"},
};

// Other spellings of the same functions (Keras' and ONNX's).
const std::pair<const char*, const char*> kAliases[] = {
    {"swish", "silu"},          {"hard_silu", "hard_swish"}, {"hardswish", "hard_swish"},
    {"hardsigmoid", "hard_sigmoid"}, {"leakyrelu", "leaky_relu"}, {"logsoftmax", "log_softmax"},
    {"identity", "linear"},
};

}  // namespace

const Activation* activation_by_pytorch(const std::string& cls) {
  for (const Activation& a : kActivations)
    if (cls == a.pytorch) return &a;
  return nullptr;
}

const Activation* activation_by_function(const std::string& function) {
  std::string f = function;
  for (const auto& alias : kAliases)
    if (f == alias.first) f = alias.second;
  for (const Activation& a : kActivations)
    if (f == a.function) return &a;
  return nullptr;
}

}  // namespace convscope::import::names
