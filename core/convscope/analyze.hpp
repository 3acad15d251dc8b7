// Whole-network analysis: propagate shapes layer by layer, diagnose the first
// layer that breaks (with the numbers in the formula and the framework's own
// error text), propose verified fixes, find the smallest valid input, and
// count params, MACs and receptive fields.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "convscope/conventions.hpp"
#include "convscope/network.hpp"
#include "convscope/shape.hpp"
#include "convscope/small_vec.hpp"

namespace convscope {

using Shape = std::vector<int64_t>;

enum class Status { ok, warning, error, skipped };
const char* to_string(Status s);

// Receptive field of one output unit in input pixels, per spatial axis
// (Araujo, Norris & Sim, "Computing Receptive Fields of CNNs", Distill 2019):
// size = pixels seen, jump = input pixels between neighbouring outputs,
// start = centre of the first output's field, input pixel i centred at i.
// `start_x2` holds 2 * start so half pixels stay exact integers.
struct ReceptiveField {
  using Axes = SmallVec<int64_t, 3>;
  Axes size, jump, start_x2;
};

struct Fix {
  std::string summary;      // "padding='same' on conv2d_3"
  bool resolves_all = false;  // the whole network is valid afterwards
  Network network;          // the whole changed network
  std::optional<Shape> output;  // the fixed layer's output in the new network
};

// Why two inputs of a merge disagree: the layer where their paths part and
// what each path does to the size on the axis that differs, in order.
struct TraceStep {
  size_t layer = 0;
  int64_t in = 0, out = 0;
};
struct BranchTrace {
  size_t axis = 0;        // index in the full shape
  std::string axis_label; // "H", "W", "C", "L", ...
  int32_t split = kNetworkInput;  // where the paths part (a layer, or the network input)
  int64_t split_size = 0;  // its size on that axis
  struct Branch {
    size_t input = 0;       // position among the merge's inputs
    std::vector<TraceStep> steps;  // layers on the path that change the size
    int64_t size = 0;       // the size arriving at the merge
  };
  std::vector<Branch> branches;  // the reference input and the one that differs
  std::string text;        // "enc3 is 25x25; pool3 floors it to 12, up3 doubles it to 24: 24 != 25"
};

struct LayerReport {
  size_t index = 0;
  std::string name;
  LayerType type = LayerType::relu;
  // `input` is the first input's shape (the only one for most layers); a
  // layer with several inputs also has `arriving`, one entry per input,
  // nullopt where that input failed (empty for a single input: see `input`).
  std::optional<Shape> input, output;
  InputList inputs;
  std::vector<std::optional<Shape>> arriving;
  std::optional<size_t> blocked_by;  // skipped: the failing layer it depends on
  std::optional<BranchTrace> trace;  // a failing merge: where its inputs part
  Status status = Status::ok;
  std::string message;
  // The size computation per spatial axis, as numbers (rendered by
  // formula_text()); `formula_other` for layers without per-axis sizes
  // (flatten: "16 * 5 * 5 = 400").
  SmallVec<shape::WindowSize, 3> axes;
  std::string formula_other;
  std::vector<conventions::Text> framework_errors;  // [0] is the likely one
  std::vector<std::string> warnings;
  std::vector<Fix> fixes;
  std::optional<int64_t> params, macs;
  std::optional<ReceptiveField> receptive_field;
  // ONNX: the spec accepts the layer but ONNX Runtime refuses it (a warning
  // quotes its text).
  bool runtime_refuses = false;
  // Where the layer failed: which failure, and on which spatial axes.
  std::optional<conventions::Failure> failure;
};

// The input sizes along one spatial axis for which every layer is valid
// (the other axes at the network's sizes), as a set found by analysing every
// size up to `checked_up_to`: an arithmetic progression from `smallest` with
// `period` (0 = no period: `listed` is the whole set in the window).
struct AxisSizes {
  std::string label;            // "H"
  std::optional<int64_t> smallest;
  int64_t period = 0;
  std::vector<int64_t> residues;  // n mod period for valid n >= smallest
  std::vector<int64_t> listed;    // the valid sizes found, up to a few dozen
  int64_t checked_up_to = 0;
  std::string text;              // "16, 32, 48, ... (multiples of 16)"
};
struct ValidInput {
  std::vector<AxisSizes> axes;
  std::string text;  // "valid H and W: 16, 32, 48, ... (multiples of 16)"
  std::string note;  // why no statement, or what it does not cover
  std::vector<int64_t> nearest_below, nearest_above;  // spatial sizes, when the input is invalid
};

struct Report {
  Framework framework = Framework::pytorch;
  bool ok = true;
  std::optional<size_t> first_error;
  std::vector<size_t> errors;  // every failing layer, in order (first_error is errors[0])
  std::vector<size_t> outputs;  // the layers no other layer reads: the network's outputs, in order
  ValidInput valid_input;
  std::optional<Shape> min_input;  // spatial sizes only
  std::string min_input_note;
  std::vector<LayerReport> layers;
  std::optional<int64_t> total_params, total_macs;
  std::optional<Shape> output;
};

struct AnalyzeOptions {
  bool fixes = true;      // propose and verify fixes for the first error
  bool min_input = true;  // search the smallest and the valid inputs
  size_t max_fixes = 8;
  // Warnings that look across layers and the branch trace of failing merges;
  // off where only the verdict counts (verifying fixes, scanning sizes).
  bool explain = true;
  // Stop at the first failing layer (scanning input sizes): then only `ok`
  // and `first_error` are meaningful, the layers after it are left blank.
  bool verdict_only = false;
};

// Everything: propagation, then valid and minimum inputs and verified fixes
// as the options ask (diagnose.cpp).
Report analyze(const Network& net, const AnalyzeOptions& options = {});

// Propagation alone (analyze.cpp): every layer's shapes, diagnosis and
// framework texts, params, MACs, receptive fields; with `explain`, also the
// warnings that look across layers and the branch trace of failing merges.
// What the advisers call to verify a proposal.
// With `verdict_only` it stops at the first failing layer: then only `ok`
// and `first_error` are meaningful.
Report propagate(const Network& net, bool explain, bool verdict_only = false);

// Every layer reads the one before it (no `inputs`, no merges).
bool is_chain(const Network& net);

// The layer's formula with numbers substituted: one axis' text when all axes
// read alike, else "H: ...; W: ..."; empty when the layer has none.
std::string formula_text(const LayerReport& layer, size_t spatial_rank);

}  // namespace convscope
