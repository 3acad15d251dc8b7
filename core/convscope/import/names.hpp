// Activation names across frameworks, as one table: the PyTorch module, the
// name ConvScope stores in an `activation` layer's `function`, and the Keras
// activation string. Importers read it one way, exporters the other.
#pragma once

#include <string>

namespace convscope::import::names {

struct Activation {
  const char* pytorch;  // nn.Module class
  const char* function; // the contract's `function`
  const char* keras;    // keras.activations name; nullptr when Keras has none
};

// By PyTorch class ("GELU"); nullptr when unknown.
const Activation* activation_by_pytorch(const std::string& cls);
// By the contract's function or a Keras name ("swish" -> silu); nullptr when unknown.
const Activation* activation_by_function(const std::string& function);

}  // namespace convscope::import::names
