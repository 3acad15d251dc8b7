// A layer's resolved geometry per spatial axis: the numbers a framework
// actually runs with once its padding mode, defaults and size rule are
// resolved (SAME split, PyTorch 'same', the pool-stride default, ceil mode,
// Keras's transposed length), so the page and the preview worker draw and
// compute from them instead of re-deriving sizes. Read from the size
// computation the analysis already did (LayerReport::axes): no formula here
// decides a size, it only spells the result out as explicit pads.
#pragma once

#include <cstdint>
#include <optional>

#include "convscope/analyze.hpp"
#include "convscope/json.hpp"
#include "convscope/network.hpp"
#include "convscope/shape.hpp"
#include "convscope/small_vec.hpp"

namespace convscope::geometry {

// A transposed conv read as a stride-1 conv over its input "stretched" by
// the stride (stride - 1 zeros between cells, as Dumoulin & Visin draw it):
// the stretched length and that conv's padding (negative: cropped).
struct Stretched {
  int64_t in = 0;
  int64_t pad_begin = 0;
  int64_t pad_end = 0;
};

// One spatial axis. Layers without a window (zero_pad, crop, upsample) read
// as a 1-wide, stride-1 window: kernel 1, dilation 1; crop's pads are
// negative (cells removed), as F.pad spells cropping.
struct Axis {
  shape::Rule rule = shape::Rule::window;
  int64_t in = 0;
  int64_t out = 0;  // as the framework computes it; <= 0: no output
  int64_t kernel = 1, k_eff = 1, stride = 1, dilation = 1;
  // Forward ops: padding before / after the input. Transposed convs: the
  // padding parameter (cells cropped from the full output), which with
  // output_padding realises `out`.
  int64_t pad_begin = 0, pad_end = 0;
  bool ceil_mode = false;
  bool last_window_dropped = false;  // ceil mode removed a window starting in the right padding
  // Cells the last window (without output: the one attempted) reads beyond
  // the padded input: ceil mode's extra window, or a kernel that does not fit.
  int64_t overhang = 0;
  // Real input cells that never reach the output: after the last window
  // (the silent drop of floor division), or cropped away.
  int64_t dropped = 0;
  int64_t output_padding = 0;  // transposed: cells added at the end of the output
  int64_t scale = 1;           // upsample
  std::optional<Stretched> stretched;  // transposed rules only
};

using Geometry = SmallVec<Axis, 3>;

// "window", "tensorflow_window", "same", "transposed", ... (the JSON names).
const char* rule_name(shape::Rule rule);

// One axis from its size computation; kernel and dilation are the layer's
// (the computation keeps only their effective span).
Axis resolve_axis(const shape::WindowSize& w, int64_t kernel, int64_t dilation);

// Every spatial axis of a layer, or nullopt for a layer without per-axis
// sizes (flatten, dense, global pooling, ...), one that failed before its
// sizes were computed, or whose numbers overflow.
std::optional<Geometry> resolve(const Layer& layer, const LayerReport& report);

// {"axes": [{"axis": "H", "rule": ..., ...}]} or null.
json::Value to_json(const std::optional<Geometry>& geometry);

}  // namespace convscope::geometry
