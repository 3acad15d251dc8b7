// Embind declarations over core/ only: no logic lives here. The page, its
// worker, Node tests and outside harnesses call these through the ES module
// factory (dist/convscope.js).
#include <emscripten/bind.h>

#include "convscope/api.hpp"
#include "convscope/network_json.hpp"

using namespace emscripten;
using convscope::api::Result;

EMSCRIPTEN_BINDINGS(convscope) {
  value_object<Result>("Result")
      .field("exitCode", &Result::exit_code)
      .field("output", &Result::output)
      .field("error", &Result::error)
      .field("extras", &Result::extras);

  function("analyze", &convscope::api::analyze_json);
  function("textReport", &convscope::api::analyze_table);
  function("decodeShareLink", &convscope::api::decode_link);
  function("encodeShareLink", &convscope::api::encode_link);
  function("normalize", &convscope::api::normalize);
  function("layerSchema", &convscope::network_json::layer_schema_json);
  function("version", &convscope::api::version);
}
