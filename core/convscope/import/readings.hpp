// Readings of a print(model) text whose numbers allow more than the printed
// order. print(model) lists modules as they were registered, not as
// forward() calls them, so two things it hides are read back from the
// numbers and said so:
//
// - a module reused in forward(): one pooling module printed once after
//   several convolutions (the PyTorch CIFAR tutorial calls `self.pool` after
//   every conv). Both readings are analysed; the one whose declared sizes
//   fit is imported, and when neither fits at the given input the notes say
//   the fix depends on forward() and give each reading's verdict and fixes.
// - a skip concatenation: a declared in_channels that disagrees with what
//   arrives but equals it plus an earlier layer's channels at the same size
//   is read as an inferred torch.cat of the two, with a note.
// - a U-Net (blocks printed as containers): one pool printed after several
//   encoder blocks is read as called after each, and a decoder conv that
//   declares what arrives plus an encoder block's channels as a torch.cat
//   with that block's output, deepest first; sizes are not compared, so a
//   bad input size fails at the inferred cat with PyTorch's text.
//
// Either way the network's `guessed` says which reading it is, so its fixes
// are verified for that reading and not for the user's code.
#pragma once

#include "convscope/import/import.hpp"

namespace convscope::import {

// `out` is a print(model) import (a chain). May replace its network with
// another reading and adds notes; leaves it as it is when the printed order
// is valid or no other reading fits the numbers better. `raised`: the layer
// a traceback pasted with the model says raised; a reading that fails there
// when the other does not is the one the traceback confirms.
void add_readings(ImportResult& out, const std::string& raised = "");

}  // namespace convscope::import
