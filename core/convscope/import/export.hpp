// Code for the current network that runs as printed: a chain as a PyTorch
// nn.Sequential and a Keras Sequential model, a graph (branches, merges) as an
// nn.Module with a forward() and as Keras' functional API; each with a line
// that feeds an input of the network's shape. Where the target framework cannot say what the
// source says (TensorFlow's asymmetric 'same' padding in PyTorch, PyTorch's
// numeric padding in Keras) the writers add the explicit padding layer that
// gives the same sizes and a comment; where no equivalent exists (ceil_mode
// in Keras) a comment says so. Sizes come from ConvScope's own analysis.
#pragma once

#include <string>

#include "convscope/network.hpp"

namespace convscope::import {

std::string pytorch_code(const Network& net);
std::string keras_code(const Network& net);

}  // namespace convscope::import
