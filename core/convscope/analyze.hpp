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

struct LayerReport {
  size_t index = 0;
  std::string name;
  LayerType type = LayerType::relu;
  std::optional<Shape> input, output;
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
  // Where the layer failed: which failure, and on which spatial axes.
  std::optional<conventions::Failure> failure;
};

struct Report {
  Framework framework = Framework::pytorch;
  bool ok = true;
  std::optional<size_t> first_error;
  std::optional<Shape> min_input;  // spatial sizes only
  std::string min_input_note;
  std::vector<LayerReport> layers;
  std::optional<int64_t> total_params, total_macs;
  std::optional<Shape> output;
};

struct AnalyzeOptions {
  bool fixes = true;      // propose and verify fixes for the first error
  bool min_input = true;  // search the smallest valid input
  size_t max_fixes = 8;
};

Report analyze(const Network& net, const AnalyzeOptions& options = {});

// The layer's formula with numbers substituted: one axis' text when all axes
// read alike, else "H: ...; W: ..."; empty when the layer has none.
std::string formula_text(const LayerReport& layer, size_t spatial_rank);

}  // namespace convscope
