// The network as the engine sees it: a framework, an input shape and layers
// in order, each reading the outputs of earlier layers (a chain when every
// layer reads the one before; a graph with branches and merges otherwise),
// with per-axis fields already expanded to the input's rank.
// A Network built by network_json::parse() is always well-formed (positive
// sizes, right list lengths, fields allowed for the framework); whether its
// shapes work out is the analysis' question, not the parser's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace convscope {

enum class Framework { pytorch, tensorflow, onnx };

enum class LayerType {
  conv,
  conv_transpose,
  depthwise_conv,
  max_pool,
  avg_pool,
  global_avg_pool,
  global_max_pool,
  adaptive_avg_pool,
  zero_pad,
  crop,
  upsample,
  flatten,
  dense,
  relu,
  activation,
  batch_norm,
  dropout,
  // channels regrouped, spatial axes kept (ShuffleNet)
  channel_shuffle,
  channel_split,
  // the same values under another shape (x.view, Keras Reshape, ONNX Reshape)
  reshape,
  // merges (two or more inputs)
  add,
  subtract,
  multiply,
  average,
  maximum,
  minimum,
  concat,
  // [tensor, reference]: the tensor brought to the reference's spatial size
  crop_to,
  pad_to,
  resize_to,
};

// How padding was written. `explicit_pads` holds the [begin, end] pair per
// spatial axis; for the string modes the analysis resolves it per framework.
enum class PadMode { explicit_pads, valid, same, same_lower };

struct Padding {
  PadMode mode = PadMode::explicit_pads;
  std::vector<std::pair<int64_t, int64_t>> pairs;  // one per spatial axis (explicit only)
  // How the user wrote it, so serialisation keeps "padding": 1 rather than
  // [[1, 1], [1, 1]]: 0 = scalar, 1 = one value per axis, 2 = pairs.
  int written_as = 0;
};

// Where a layer came from in the user's model code (an import of pasted
// PyTorch or Keras source): the 1-based line and that line's text without
// its indentation, cut to max_source_code_chars code points (make_source_line
// is the one place that cuts).
struct SourceLine {
  int64_t line = 0;
  std::string code;
  bool operator==(const SourceLine& o) const { return line == o.line && code == o.code; }
};

// Code points of SourceLine::code: enough for a line that reads as code,
// short enough that a network of 2000 layers stays a small JSON file.
constexpr size_t max_source_code_chars = 200;

// The SourceLine of `line` (1-based) whose text is `text`: leading and
// trailing blanks dropped, longer than max_source_code_chars code points cut
// to max_source_code_chars - 1 and "\u2026" (never inside a UTF-8 sequence).
SourceLine make_source_line(int64_t line, const std::string& text);

// A layer input: the index of an earlier layer, or the network input.
constexpr int32_t kNetworkInput = -1;

struct Layer {
  LayerType type = LayerType::relu;
  std::string name;
  // Indices of the earlier layers (or kNetworkInput) this layer reads, in
  // order; empty = the previous layer (the network input for the first), so
  // a chain needs none.
  std::vector<int32_t> inputs;
  std::optional<int64_t> axis;  // concat, as written (negative from the end)
  // Per spatial axis (size = rank - 2); empty where the type has no such field.
  std::vector<int64_t> kernel, stride, dilation, output_padding, output_size, scale;
  Padding padding;   // conv/pool padding; zero_pad's padding
  Padding cropping;  // crop only
  int64_t filters = 0;  // conv, conv_transpose: output channels
  int64_t units = 0;    // dense
  std::optional<int64_t> in_features;  // dense, as declared in the user's code
  // conv, conv_transpose, depthwise_conv, batch_norm: the input channels as
  // declared in the user's code (nn.Conv2d(32, ...)), checked against what
  // arrives; absent = whatever arrives (Keras builds from the input).
  std::optional<int64_t> in_channels;
  int64_t groups = 1;      // conv groups; channel_shuffle's groups
  int64_t chunks = 1;      // channel_split: torch.chunk(x, chunks, dim=1) ...
  int64_t index = 0;       // ... [index]
  int64_t depth_multiplier = 1;
  bool ceil_mode = false;
  bool count_include_pad = false;
  bool keepdims = true;
  bool bias = true;
  double rate = 0.5;       // dropout
  // reshape: the sizes after the batch axis (Keras' target_shape), one of
  // them -1 at most (inferred); the output is [batch, *target_shape] where
  // batch is the input's (infer_batch false: x.view(x.size(0), ...), Keras
  // Reshape) or whatever the values leave (true: x.view(-1, ...)).
  std::vector<int64_t> target_shape;
  bool infer_batch = false;
  std::string function;    // activation
  // The line of the user's code the layer was read from (code import);
  // kept through edits and round trips, left out of share links.
  std::optional<SourceLine> source;
};

// How the network runs: a PyTorch module starts in training mode (until
// model.eval()), which changes BatchNorm's rules; Keras' model(x) and ONNX
// Runtime run for inference.
enum class Mode { train, eval };
Mode default_mode(Framework f);

struct Network {
  Framework framework = Framework::pytorch;
  Mode mode = Mode::train;
  std::vector<int64_t> input;  // full shape in the framework's layout
  std::vector<Layer> layers;
  std::string description;  // optional free text, kept through round trips
  // What the structure rests on when an importer had to guess it ("the order
  // print(model) shows; forward() is not in the text"); empty when the input
  // said it all. A fix verified on this network is verified for this reading
  // of the user's model, not for the model: the report says so. Like the
  // description it stays out of share links.
  std::string guessed;

  size_t spatial_rank() const { return input.size() >= 2 ? input.size() - 2 : 0; }
};

using InputList = std::vector<int32_t>;
// The inputs of layer i, with the implicit "previous layer" spelled out.
InputList inputs_of(const Network& net, size_t i);
// Whether layer i reads just the layer before it (or the input, for the first).
bool has_default_inputs(const Network& net, size_t i);
// Insert `layer` at position `at` (its `inputs` given in the new positions;
// empty = the layer before it); every later reference keeps its target.
void insert_layer(Network& net, size_t at, Layer layer);
// Remove layer `at`; the layers reading it read its first input instead.
void remove_layer(Network& net, size_t at);
// How messages write a layer's name: as it is, or in double quotes when it is
// all digits (PyTorch Sequential's default names "0", "1", ...), so a name
// never reads as a position. The one rule; the page's format.js mirrors it.
std::string display_name(const std::string& name);
// How messages name layer `index` (0-based) by position and name:
// `layer 5 ("4")`, counted from 1 as the page and the CLI table count.
std::string layer_ref(size_t index, const std::string& name);
// How messages name an input: "the input" or the layer's display name.
std::string input_label(const Network& net, int32_t k);
// Drops `inputs` lists that only say "the previous layer".
void compact_inputs(Network& net);

const char* to_string(Framework f);
const char* to_string(LayerType t);
const char* to_string(Mode m);
std::optional<Mode> mode_from_string(const std::string& s);
std::optional<Framework> framework_from_string(const std::string& s);
std::optional<LayerType> layer_type_from_string(const std::string& s);

}  // namespace convscope
