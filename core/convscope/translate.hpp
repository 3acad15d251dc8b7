// A network written in one framework, spelled in another: what a careful
// port writes. Layout (NCHW <-> NHWC: the input shape and concat axes),
// padding (the pads the source framework resolves, spelled the target's way:
// an int or 'same' where that gives the same pads, else an explicit
// ZeroPadding/ZeroPad before the layer), pooling strides (PyTorch and Keras
// default to the kernel, ONNX to 1: always written out), ceil mode (Keras has
// none: end padding instead), transposed-conv padding, adaptive and global
// pooling. Where the target has no equivalent, the note says so, the nearest
// spelling is used, and the note says what it changes.
//
// The port is faithful to the source's resolved numbers where the source
// framework resolves them; a layer the source rejects (or never reaches) is
// spelled as written, so the target's own rules decide it: that is where
// the frameworks part, and what compare.cpp reports.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "convscope/network.hpp"

namespace convscope {

struct TranslationNote {
  size_t layer = 0;  // the source layer it concerns
  std::string text;
};

struct Translation {
  Framework framework = Framework::pytorch;
  Network network;  // in the target framework
  // Per target layer: the source layer it comes from (an inserted
  // ZeroPadding or Cropping maps to the layer it serves).
  std::vector<size_t> source_of;
  // Per source layer: the target layer computing its output.
  std::vector<size_t> target_of;
  std::vector<TranslationNote> notes;
};

// A full shape (N, C and spatial axes) moved from one framework's layout to
// another's (NCHW <-> NHWC); shapes without spatial axes are unchanged.
std::vector<int64_t> in_layout(const std::vector<int64_t>& shape, Framework from, Framework to);

// `net` spelled in `to`. The same framework gives the network unchanged.
Translation translate(const Network& net, Framework to);

}  // namespace convscope
