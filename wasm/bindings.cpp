// Embind declarations over core/ only: no logic lives here. The page, its
// worker, Node tests and outside harnesses call these through the ES module
// factory (dist/convscope.js).
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include "convscope/api.hpp"
#include "convscope/network_json.hpp"
#ifndef CONVSCOPE_SHAPES_ONLY
#include "convscope/kernels/conv_op_host.hpp"
#include "convscope/kernels/map_ops_host.hpp"
#include "convscope/kernels/pool_op_host.hpp"
#include "convscope/kernels/row_bands.hpp"
#include "convscope/kernels/threads.hpp"
#endif

using namespace emscripten;
using convscope::api::ImportReply;
using convscope::api::Result;

#ifndef CONVSCOPE_SHAPES_ONLY
using convscope::kernels::ConvOpHost;
using convscope::kernels::MapOpsHost;
using convscope::kernels::PoolOpHost;

// A typed array (of T: Float32Array, Uint32Array) over one of the op's own
// buffers in the module's memory: valid until memory grows or the op
// changes, so web/kernels.js takes a fresh one per use.
template <class Op, class T, T* (Op::*data)(), size_t (Op::*len)() const>
val view_of(Op& op) {
  return val(typed_memory_view((op.*len)(), (op.*data)()));
}

// The same over a read-only buffer (an op's output, a thumbnail).
template <class Op, class T, const T* (Op::*data)() const, size_t (Op::*len)() const>
val const_view(Op& op) {
  return val(typed_memory_view((op.*len)(), (op.*data)()));
}

#endif

// The shape engine: in both modules (convscope-shapes.js for the page's
// first view, convscope.js for everything).
EMSCRIPTEN_BINDINGS(convscope) {
  value_object<Result>("Result")
      .field("exitCode", &Result::exit_code)
      .field("output", &Result::output)
      .field("error", &Result::error)
      .field("extras", &Result::extras);

  function("analyze", &convscope::api::analyze_json);
  function("decodeShareLink", &convscope::api::decode_link);
  function("encodeShareLink", &convscope::api::encode_link);
  function("normalize", &convscope::api::normalize);
  function("layerSchema", &convscope::network_json::layer_schema_json);
  function("version", &convscope::api::version);
}

#ifndef CONVSCOPE_SHAPES_ONLY
// Bring your own model: importers, code export and the framework comparison
// (convscope.js only).
EMSCRIPTEN_BINDINGS(convscope_import) {
  // A Result plus what the import read: the format, the models pasted code defines, the one read.
  value_object<ImportReply>("ImportReply")
      .field("exitCode", &ImportReply::exit_code)
      .field("output", &ImportReply::output)
      .field("error", &ImportReply::error)
      .field("extras", &ImportReply::extras)
      .field("format", &ImportReply::format)
      .field("models", &ImportReply::models)
      .field("model", &ImportReply::model);
  // importText(input, shape, framework[, model]): `model` names the class or
  // Keras model to read from pasted code ("" = the one instantiated last).
  using Import3 = ImportReply(const std::string&, const std::string&, const std::string&);
  using Import4 = ImportReply(const std::string&, const std::string&, const std::string&, const std::string&);
  function("importText", select_overload<Import3>(&convscope::api::import_read));
  function("importText", select_overload<Import4>(&convscope::api::import_read));
  function("exportCode", &convscope::api::export_code);
  function("checkSummary", &convscope::api::check_summary);
  // The CLI's --text table (the page draws its own; the first view does without it).
  function("textReport", &convscope::api::analyze_table);
  // The network under PyTorch, TensorFlow/Keras and ONNX side by side.
  function("compareFrameworks", &convscope::api::compare_json);
  function("compareFrameworksTable", &convscope::api::compare_table);
}

EMSCRIPTEN_BINDINGS(convscope_kernels) {
  // How many cores a conv op may split across: 1 but in the threaded module.
  function("parallelParts", &convscope::kernels::parallel_parts);
  // The bands of rows a conv splits into (web/conv-split.js).
  function("rowBands", &convscope::kernels::row_bands_json);
  function("convBand", &convscope::kernels::conv_band_json);
  // Conv kernels; web/kernels.js's createConvOp() is the API callers use.
  class_<ConvOpHost>("ConvOpHost")
      .constructor<>()
      .function("prepare", &ConvOpHost::prepare)
      .function("weightsView", &view_of<ConvOpHost, float, &ConvOpHost::staged_weights, &ConvOpHost::staged_weights_len>)
      .function("biasView", &view_of<ConvOpHost, float, &ConvOpHost::staged_bias, &ConvOpHost::staged_bias_len>)
      .function("pack", &ConvOpHost::pack)
      .function("restage", &ConvOpHost::restage)
      .function("inputView", &view_of<ConvOpHost, float, &ConvOpHost::input, &ConvOpHost::input_len>)
      .function("outputView", &const_view<ConvOpHost, float, &ConvOpHost::output, &ConvOpHost::output_len>)
      .function("outputDim", &ConvOpHost::output_dim)
      .function("kernelName", &ConvOpHost::kernel_name)
      .function("bands", &ConvOpHost::bands)
      .function("run", &ConvOpHost::run)
      .function("runOn", &ConvOpHost::run_on)
      .function("runReference", &ConvOpHost::run_reference);
  // Pooling, global pooling and nearest upsampling; web/kernels.js's createPoolOp().
  class_<PoolOpHost>("PoolOpHost")
      .constructor<>()
      .function("prepare", &PoolOpHost::prepare)
      .function("inputView", &view_of<PoolOpHost, float, &PoolOpHost::input, &PoolOpHost::input_len>)
      .function("outputView", &const_view<PoolOpHost, float, &PoolOpHost::output, &PoolOpHost::output_len>)
      .function("outputDim", &PoolOpHost::output_dim)
      .function("run", &PoolOpHost::run)
      .function("runReference", &PoolOpHost::run_reference);
  // The previews' ReLU and thumbnails; web/kernels.js's createMapOps().
  class_<MapOpsHost>("MapOpsHost")
      .constructor<>()
      .function("prepare", &MapOpsHost::prepare)
      .function("inputView", &view_of<MapOpsHost, float, &MapOpsHost::input, &MapOpsHost::input_len>)
      .function("outputView", &const_view<MapOpsHost, float, &MapOpsHost::output, &MapOpsHost::output_len>)
      .function("lutView", &view_of<MapOpsHost, uint32_t, &MapOpsHost::lut, &MapOpsHost::lut_len>)
      .function("relu", &MapOpsHost::relu)
      .function("thumbnail", &MapOpsHost::thumbnail)
      .function("reluOf", &MapOpsHost::relu_of)
      .function("thumbnailOf", &MapOpsHost::thumbnail_of)
      .function("reluAndThumbnailOf", &MapOpsHost::relu_and_thumbnail_of)
      .function("rgbaView", &const_view<MapOpsHost, uint32_t, &MapOpsHost::rgba, &MapOpsHost::rgba_len>)
      .function("loView", &const_view<MapOpsHost, float, &MapOpsHost::lo, &MapOpsHost::range_len>)
      .function("hiView", &const_view<MapOpsHost, float, &MapOpsHost::hi, &MapOpsHost::range_len>)
      .function("rows", &MapOpsHost::rows)
      .function("cols", &MapOpsHost::cols);
}
#endif
