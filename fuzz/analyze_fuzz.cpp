// libFuzzer target: any network the parser accepts is analysed (shapes,
// diagnoses, verified fixes, minimum input) without crashing or hanging, and
// the report is valid JSON whose fixes really are fixes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "convscope/analyze.hpp"
#include "convscope/json.hpp"
#include "convscope/network_json.hpp"
#include "convscope/report_json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  convscope::Network net;
  std::string error;
  if (!convscope::network_json::parse(text, net, error)) {
    if (error.empty() || error.size() > 1000) std::abort();
    return 0;
  }
  const convscope::Report report = convscope::analyze(net);
  convscope::json::Value parsed;
  convscope::json::ParseError parse_error;
  if (!convscope::json::parse(convscope::report_text_json(report, net), parsed, parse_error)) std::abort();
  if (report.first_error) {
    for (const convscope::Fix& fix : report.layers[*report.first_error].fixes) {
      const convscope::Report after = convscope::analyze(fix.network, {false, false, 0});
      if (fix.resolves_all != after.ok) std::abort();
      if (!after.ok && *after.first_error < *report.first_error && fix.network.layers.size() == net.layers.size())
        std::abort();
    }
  }
  if (report.min_input) {
    convscope::Network at_min = net;
    for (size_t a = 0; a < report.min_input->size(); ++a)
      at_min.input[convscope::conventions::spatial_axis(net.framework, a)] = (*report.min_input)[a];
    if (!convscope::analyze(at_min, {false, false, 0}).ok) std::abort();
  }
  return 0;
}
