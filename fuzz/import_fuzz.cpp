// libFuzzer target: any bytes given to the importers (error messages, PyTorch
// print(model), Keras JSON, ONNX, share links, the contract) either import to
// a network the contract accepts -- which then analyses and exports without
// crashing or hanging -- or give one bounded message naming where. The same
// bytes also go to the Keras model.summary() reader, whose rows are then
// cross-checked against a small network.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "convscope/analyze.hpp"
#include "convscope/import/export.hpp"
#include "convscope/import/import.hpp"
#include "convscope/import/summary_check.hpp"
#include "convscope/json.hpp"
#include "convscope/network_json.hpp"

namespace {

void check_summary_reader(const std::string& bytes) {
  convscope::import::Summary summary;
  std::string error;
  if (!convscope::import::parse_keras_summary(bytes, summary, error)) {
    if (error.empty() || error.size() > 2000) std::abort();
    return;
  }
  // A small network to compare with: the rows are matched by name or position.
  convscope::Network net;
  std::string net_error;
  const char* const small = R"({"framework":"tensorflow","input":[1,28,28,1],"layers":[
    {"type":"conv","name":"conv2d","filters":8,"kernel":3,"padding":"same"},{"type":"max_pool","kernel":2},
    {"type":"flatten"},{"type":"dense","units":10}]})";
  if (!convscope::network_json::parse(small, net, net_error)) std::abort();
  const convscope::import::SummaryCheck check = convscope::import::check_summary(summary, net);
  if (!check.result.find("verdict")) std::abort();
  if (convscope::import::summary_check_table(check.result).empty()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  check_summary_reader(bytes);
  convscope::import::ImportOptions options;
  if (size % 2 == 1) options.input = std::vector<int64_t>{1, 3, 16, 16};  // both with and without --input
  convscope::import::ImportResult result;
  std::string error;
  if (!convscope::import::import_any(bytes, options, result, error)) {
    if (error.empty() || error.size() > 2000) std::abort();
    return 0;
  }
  // What an importer returns is a network the contract accepts, unchanged by a round trip.
  const convscope::json::Value json = convscope::import::result_json(result);
  convscope::Network again;
  if (!convscope::network_json::from_json(json, again, error)) std::abort();
  if (convscope::json::write(convscope::network_json::to_json(again), -1) != convscope::json::write(json, -1))
    std::abort();
  for (const std::string& note : result.notes)
    if (note.empty() || note.size() > 4000) std::abort();
  const convscope::Report report = convscope::analyze(result.network, {false, false, 0});
  if (report.layers.size() != result.network.layers.size()) std::abort();
  if (convscope::import::pytorch_code(result.network).empty()) std::abort();
  if (convscope::import::keras_code(result.network).empty()) std::abort();
  return 0;
}
