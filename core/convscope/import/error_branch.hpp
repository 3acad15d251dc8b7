// Internals of the branch-error readers (error_branch*.cpp): a merge the
// message describes, as the shapes of its inputs, and the small graph that
// reproduces it (error_branch.cpp), shared by the PyTorch, TensorFlow /
// Keras and ONNX Runtime readers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "convscope/import/error_scan.hpp"

namespace convscope::import::errors {

// Sizes a message does not carry, as the notes say.
constexpr int64_t kAssumedChannels = 16;
constexpr int64_t kAssumedSize = 8;

inline size_t channel_axis(Framework fw, size_t rank) { return fw == Framework::tensorflow ? rank - 1 : 1; }

// The tensors a merge reads, as full shapes in the framework's layout, what
// to call the stand-in layer that makes each, and the merge itself.
struct Merge {
  Framework fw = Framework::pytorch;
  std::vector<Dims> shapes;
  std::vector<std::string> names;
  json::Object layer;  // type, name (and axis)
};

// The network: the input is the first tensor (made 4-D when it is [N, F]),
// the others are made from it by stand-in layers, and the merge reads them.
bool build(Scan& s, size_t at, Draft& d, Merge m);

std::string shapes_text(const std::vector<Dims>& shapes);
// Batch None (or ?) read as 1, with a note.
void batch_one(std::vector<Dims>& shapes, Draft& d);
// A merge layer of `type`, named.
json::Object merge_layer(const char* type, const std::string& name);
// Which concat axis reproduces a mismatch reported at `dim`: every other axis
// before it must agree (frameworks report the first difference).
int64_t concat_axis_for(const Dims& a, const Dims& b, size_t dim, size_t preferred);
// The first axis where two shapes differ, or the rank.
size_t first_difference(const Dims& a, const Dims& b);
// A "[(None, 24, 24, 64), (None, 25, 25, 64)]" list of Keras shapes.
bool shape_list(Scan& s, size_t& p, std::vector<Dims>& out);
// A tensor with `channels` and `size` on every spatial axis, batch 1.
Dims tensor4(Framework fw, size_t rank, int64_t channels, int64_t size);

}  // namespace convscope::import::errors
