// The walk over an ONNX graph, node by node in the file's (topological)
// order. Every value becomes one of:
//   data      the output of a layer of the network (or the network input);
//   constant  what ConvScope knows of a tensor that is not data: an
//             initializer's dims (and its values when small), a Constant, or a
//             shape computation folded from the data's known shapes (Shape ->
//             Gather -> Unsqueeze -> Concat, as dynamic-axes exports build);
//   unknown   a constant whose values cannot be folded, with the reason.
// A node that works on data becomes a layer (or an alias of its input, for
// Identity and the like); a node ConvScope cannot model stops the walk there,
// named, and what came before it is the imported network.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "convscope/analyze.hpp"
#include "convscope/import/draft.hpp"
#include "convscope/import/onnx_model.hpp"

namespace convscope::import::onnx {

constexpr int32_t kNoLayer = -2;
// Shape look-ups that need the network re-analysed (a Shape node after new
// layers): each costs a parse and a propagation of the layers so far, so a
// hostile file interleaving thousands of them is stopped, not slowed down.
constexpr size_t kMaxPropagations = 512;

// Where an integer of a folded shape came from: dimension `axis` of the data
// made by `layer` (kNetworkInput for the input).
struct Origin {
  int32_t layer = kNoLayer;
  int64_t axis = -1;
  bool operator==(const Origin& o) const { return layer == o.layer && axis == o.axis; }
};

struct Const {
  std::vector<int64_t> dims;
  bool is_float = false;
  bool has_values = false;
  std::vector<int64_t> ints;     // integer values (is_float false)
  std::vector<double> floats;    // float values (is_float true)
  std::vector<Origin> origins;   // per integer value; kNoLayer where it is plain arithmetic
  std::string initializer;       // the initializer this is (through Identity), for the parameter count

  int64_t count() const;
};

// The middle of a channel shuffle as PyTorch exports it (Reshape of
// [N, C, ...] to [N, g, C/g, ...], Transpose perm [0, 2, 1, ...], Reshape
// back): tensors no layer has, valid only as the next step of the pattern.
struct ShuffleView {
  int64_t groups = 0;
  bool transposed = false;  // after the Transpose
  Shape input;              // the [N, C, ...] shape it came from
  Shape shape;              // its own shape
  size_t from = 0;          // the first Reshape's node
};

struct Val {
  enum Kind { missing, data, constant, unknown, view } kind = missing;
  int32_t layer = kNoLayer;  // data; view: the layer it is a view of
  Const c;                   // constant
  std::string why;           // unknown: why its values are not known
  ShuffleView v;             // view
};

struct Walk {
  Walk(const Model& model, Draft& draft, std::string input_name) : m(model), d(draft), input(std::move(input_name)) {}

  const Model& m;
  Draft& d;
  std::string input;              // the graph input the network starts from
  std::map<std::string, Val> values;
  std::vector<std::string> layer_names;  // per layer, its contract name
  std::set<std::string> used_names;

  // Set when a node stops the walk.
  std::optional<size_t> stopped_at;
  std::string stop_reason;
  std::string error;  // malformed file

  // What the notes report.
  std::vector<std::string> aliases;       // nodes that keep their input (Identity, Cast, no-op Pad...)
  size_t folded = 0;                      // shape computations folded
  std::vector<std::string> folded_ops;    // their op types, once each
  std::map<std::string, int64_t> param_uses;  // initializer -> how many layer parameters use it
  int64_t repeated = 0;      // values ConvScope counts beyond an initializer's own (a broadcast Gemm bias)
  int64_t in_constants = 0;  // layer parameters held in Constant nodes rather than initializers
  std::vector<std::string> constant_operands;  // nodes that apply a constant element-wise
  std::set<std::string> resize_modes;         // interpolation other than nearest (same sizes)
  std::set<int32_t> biasless_dense;           // dense layers from MatMul: a bias Add may follow

  // Shapes of the data so far, from the core's own propagation (cached);
  // nullopt when unknown (an earlier layer fails) or past kMaxPropagations
  // (then `limit_hit` is set and the caller's stop names it).
  std::optional<Shape> shape_of(int32_t layer);
  bool limit_hit = false;

  // ---- building -------------------------------------------------------------
  const Node& node(size_t i) const { return m.nodes[i]; }
  std::string label(size_t i) const;        // node 3 ("/conv1/Conv", Conv)
  std::string short_label(size_t i) const;  // "/conv1/Conv" (Conv)
  const Val& value(const std::string& name) const;
  // The data inputs of node i (values that are data), in order.
  std::vector<int32_t> data_layers(size_t i) const;
  bool any_data_input(size_t i) const;
  // Constant input k of node i (nullptr when absent, data or unknown).
  const Const* constant(size_t i, size_t k) const;
  // Why input k is not a known constant: "" when it is one.
  std::string not_constant(size_t i, size_t k) const;

  // A layer for node i reading `inputs`; its output is the node's output 0.
  void add_layer(size_t i, json::Object layer, const std::vector<int32_t>& inputs);
  // The node's output 0 is its data input (Identity, Cast, a Pad of zeros...).
  void alias(size_t i, int32_t layer, const std::string& why);
  void set_constant(size_t i, size_t output, Const c);
  void set_unknown(size_t i, const std::string& why);
  void count_param(size_t i, size_t k);  // input k of node i is a layer parameter
  // Stops the walk at node i; returns true (stopping is not malformed input).
  bool stop(size_t i, const std::string& why);
  bool fail(size_t i, const std::string& problem);

  // ---- attributes -----------------------------------------------------------
  int64_t int_attr(size_t i, const char* key, int64_t fallback) const;
  // An ints attribute with `n` values >= `min` (n = 0: any count); empty when absent.
  bool ints_attr(size_t i, const char* key, size_t n, int64_t min, std::vector<int64_t>& out);
  std::string string_attr(size_t i, const char* key, const std::string& fallback) const;

  // ---- the walk ---------------------------------------------------------------
  bool run();

 private:
  std::optional<Report> cache_;
  size_t cached_layers_ = 0;
  size_t propagations_ = 0;
  std::string unique_name(size_t i);
};

// Helpers of the node handlers.
json::Object typed(const char* type);  // {"type": type}
std::string shape_str(const std::vector<int64_t>& s);  // "[1, 3, 224, 224]"
// Input 0 must be the data: true with its layer, else the walk stops there.
bool data_input(Walk& w, size_t i, int32_t& layer);
// The input's shape, or the walk stops saying why it was needed.
std::optional<Shape> known_shape(Walk& w, size_t i, int32_t layer, const char* why);
// Every value of constant input k, or the walk stops saying why not.
const Const* values_of(Walk& w, size_t i, size_t k, const char* what);

// Node handlers. Each returns false only for a malformed file (w.error set);
// a node it cannot model calls w.stop().
using Handler = bool (*)(Walk& w, size_t i);
// Ops on data that make one layer: convolutions, pooling, dense,
// activations, normalisation (onnx_layers.cpp), and layout ops: flatten,
// reshape, squeeze, transpose, pad, resize (onnx_layout.cpp).
Handler layer_handler(const std::string& op);
Handler layout_handler(const std::string& op);
// A node reading a ShuffleView: the pattern's next step, else a stop
// (onnx_layout.cpp).
bool view_step(Walk& w, size_t i);
// Element-wise ops and Concat (onnx_merges.cpp).
Handler merge_handler(const std::string& op);
// Ops whose inputs are all constants, and Shape / Size of data (onnx_fold.cpp).
Handler fold_handler(const std::string& op);

}  // namespace convscope::import::onnx
