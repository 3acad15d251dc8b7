// PyTorch's messages of branches: the declared input channels ("Given
// groups=1, weight of size ..."), torch.cat ("Sizes of tensors must match
// ...") and element-wise broadcasting ("The size of tensor a ..."), each
// rebuilt as the failing layer or merge (error_branch.cpp).
#include <algorithm>
#include <cstring>

#include "convscope/import/error_branch.hpp"
#include "convscope/import/text.hpp"

namespace convscope::import::errors {

using json::Value;
using std::to_string;

namespace {

// The element-wise op a PyTorch traceback's failing line writes; add when it
// does not say (the message is the same for each).
const char* torch_op(const std::string& text, size_t at, std::string& seen) {
  const size_t line_end = text.rfind('\n', at);
  if (line_end == std::string::npos || line_end == 0) return "add";
  const size_t line_start = text.rfind('\n', line_end - 1);
  const size_t from = line_start == std::string::npos ? 0 : line_start + 1;
  const std::string line = text.substr(from, std::min<size_t>(line_end - from, 400));
  static const std::pair<const char*, const char*> kOps[] = {
      {"*", "multiply"}, {"torch.mul(", "multiply"}, {" - ", "subtract"}, {"torch.sub(", "subtract"},
      {"torch.maximum(", "maximum"}, {"torch.max(", "maximum"}, {"torch.minimum(", "minimum"}, {"torch.min(", "minimum"},
      {"+", "add"}, {"torch.add(", "add"}};
  for (const auto& op : kOps)
    if (line.find(op.first) != std::string::npos) {
      seen = op.first;
      return op.second;
    }
  return "add";
}

}  // namespace

// ---- PyTorch ----------------------------------------------------------------

// "Given groups=1, weight of size [64, 32, 3, 3], expected input[1, 16, 32, 32]
// to have 32 channels, but got 16 channels instead" (and the transposed form).
bool torch_channels(Scan& s, size_t at, Draft& d) {
  const bool transposed = s.starts(at, "Given transposed=1");
  size_t p = at + std::strlen(transposed ? "Given transposed=" : "Given groups=");
  int64_t groups = 1, declared = 0, got = 0;
  Dims weight, input;
  if (!s.integer(p, groups) || !s.expect(p, ", weight of size ") || !s.dims(p, weight) ||
      !s.expect(p, ", expected input") || !s.dims(p, input) || !s.expect(p, " to have ") || !s.integer(p, declared) ||
      !s.expect(p, " channels, but got ") || !s.integer(p, got) || !s.expect(p, " channels instead"))
    return false;
  if (transposed) groups = 1;
  if (weight.size() < 3 || weight.size() > 5 || input.size() != weight.size() || groups < 1)
    return s.fail(at, "expected a 3-D to 5-D weight and input of one rank, got " + dims_text(weight) + " and " + dims_text(input));
  for (int64_t v : weight)
    if (v < 1) return s.fail(at, "expected positive weight sizes, got " + dims_text(weight));
  for (int64_t v : input)
    if (v < 1) return s.fail(at, "expected positive input sizes, got " + dims_text(input));
  OneLayer l;
  l.type = transposed ? LayerType::conv_transpose : LayerType::conv;
  l.name = torch_layer_name(s.text);
  l.filters = transposed ? weight[1] : weight[0];
  l.groups = groups;
  l.kernel.assign(weight.begin() + 2, weight.end());
  d.framework = Framework::pytorch;
  d.input = input;
  d.note("read: weight " + dims_text(weight) + ", input " + dims_text(input) + ", declared " + to_string(declared) +
         " input channels, " + to_string(got) + " arriving" + (groups != 1 ? ", groups=" + to_string(groups) : ""));
  d.note("assumed: stride 1, padding 0, dilation 1 (PyTorch checks the channels before the sizes, and the message "
         "carries neither)");
  if (!l.name.empty()) d.note("layer name " + text::quoted(l.name) + " taken from the traceback's `self." + l.name + "(...)`");
  add_layer(d, l, text::position(s.text, at));
  json::Object& o = d.layers.back().as_object();
  o.push_back({"in_channels", Value(declared)});
  return true;
}

// "Sizes of tensors must match except in dimension 1. Expected size 25 but got
// size 24 for tensor number 1 in the list." (1.8 and later); "... Got 25 and
// 24 in dimension 2 (The offending index is 1)" (1.5 - 1.7); the TH text
// without the index (1.4 and earlier).
bool torch_cat(Scan& s, size_t at, Draft& d) {
  size_t p = at + std::strlen("Sizes of tensors must match except in dimension ");
  int64_t dim = 0, ref = 0, other = 0, index = 1, mismatch = -1;
  if (!s.integer(p, dim)) return false;
  if (s.starts(p, ". Expected size ")) {
    p += std::strlen(". Expected size ");
    if (!s.integer(p, ref) || !s.expect(p, " but got size ") || !s.integer(p, other) ||
        !s.expect(p, " for tensor number ") || !s.integer(p, index))
      return false;
  } else {
    if (!s.expect(p, ". Got ") || !s.integer(p, ref) || !s.expect(p, " and ") || !s.integer(p, other) ||
        !s.expect(p, " in dimension ") || !s.integer(p, mismatch))
      return false;
    if (s.starts(p, " (The offending index is ")) {
      p += std::strlen(" (The offending index is ");
      if (!s.integer(p, index)) return false;
    }
  }
  if (dim < 0 || dim > 4 || index < 1 || index > 63 || ref < 1 || other < 1 || mismatch > 4 || mismatch == dim)
    return s.fail(at, "expected a concat dimension 0 to 4, a tensor number 1 to 63 and positive sizes");
  const size_t rank = std::max<size_t>(4, static_cast<size_t>(std::max(dim, mismatch)) + 1);
  // The first axis that differs is not printed (1.8+): the first one that is
  // neither the batch nor the concat dimension.
  const bool assumed_axis = mismatch < 0;
  if (assumed_axis) mismatch = dim == 1 ? 2 : 1;
  Dims base = tensor4(Framework::pytorch, rank, kAssumedChannels, ref);
  base[static_cast<size_t>(mismatch)] = ref;
  Dims odd = base;
  odd[static_cast<size_t>(mismatch)] = other;
  // PyTorch reports the first axis that differs: later spatial axes may
  // differ too (a U-Net's square maps), earlier ones may not.
  if (mismatch >= 2)
    for (size_t a = static_cast<size_t>(mismatch) + 1; a < rank; ++a)
      if (static_cast<int64_t>(a) != dim) odd[a] = other;
  Merge m;
  m.fw = Framework::pytorch;
  for (int64_t k = 0; k <= index; ++k) {
    m.shapes.push_back(k == index ? odd : base);
    m.names.push_back("tensor_" + to_string(k));
  }
  m.layer = merge_layer("concat", "torch.cat");
  m.layer.push_back({"axis", Value(dim)});
  d.note("read: concatenation along dimension " + to_string(dim) + "; tensor " + to_string(index) + " has size " +
         to_string(other) + " where tensor 0 has " + to_string(ref));
  d.note("assumed: " + to_string(rank) + "-D tensors (NCHW), batch 1, " +
         (mismatch == 1 ? std::string("the channels differing") : to_string(kAssumedChannels) + " channels") +
         (assumed_axis ? ", the sizes differing on dimension " + to_string(mismatch) + " (the message prints only the "
                                                                                        "concat dimension)"
                       : "") +
         (mismatch >= 2 ? ", square maps" : ""));
  return build(s, at, d, m);
}

// "The size of tensor a (512) must match the size of tensor b (256) at
// non-singleton dimension 1" (every element-wise op and operator).
bool torch_broadcast(Scan& s, size_t at, Draft& d) {
  size_t p = at + std::strlen("The size of tensor a (");
  int64_t a = 0, b = 0, dim = 0;
  if (!s.integer(p, a) || !s.expect(p, ") must match the size of tensor b (") || !s.integer(p, b) ||
      !s.expect(p, ") at non-singleton dimension ") || !s.integer(p, dim))
    return false;
  if (dim < 1 || dim > 4 || a < 2 || b < 2)
    return s.fail(at, "expected a dimension 1 to 4 and sizes above 1 (the batch and singleton sizes broadcast)");
  const size_t rank = std::max<size_t>(4, static_cast<size_t>(dim) + 1), at_dim = static_cast<size_t>(dim);
  Dims left = tensor4(Framework::pytorch, rank, at_dim == 1 ? a : kAssumedChannels, at_dim == 1 ? kAssumedSize : a);
  Dims right = left;
  right[at_dim] = b;
  // PyTorch reports the LAST axis that differs: earlier spatial axes may differ
  // too (square maps), later ones may not.
  for (size_t k = 2; k < at_dim; ++k) right[k] = b;
  if (at_dim >= 2)
    for (size_t k = at_dim + 1; k < rank; ++k) left[k] = right[k] = a;
  std::string seen;
  const char* op = torch_op(s.text, at, seen);
  Merge m;
  m.fw = Framework::pytorch;
  m.shapes = {left, right};
  m.names = {"tensor_a", "tensor_b"};
  m.layer = merge_layer(op, op);
  d.note("read: tensor a has " + to_string(a) + " and tensor b " + to_string(b) + " at dimension " + to_string(dim));
  d.note("assumed: " + to_string(rank) + "-D tensors (NCHW), batch 1, " +
         (at_dim == 1 ? "spatial size " + to_string(kAssumedSize) : to_string(kAssumedChannels) + " channels, square maps") +
         "; " + (seen.empty() ? "an add (the message is the same for -, *, torch.maximum ...)"
                              : std::string("the traceback's line uses ") + text::quoted(seen)));
  return build(s, at, d, m);
}

}  // namespace convscope::import::errors
