// The import and export entry points declared in api.hpp. They live beside
// the importers, in convscope_core, so the shape engine alone
// (convscope_shapes, the page's first-view module) carries none of them.
#include "convscope/api.hpp"
#include "convscope/analyze.hpp"
#include "convscope/import/export.hpp"
#include "convscope/import/import.hpp"
#include "convscope/import/summary_check.hpp"
#include "convscope/network_json.hpp"

namespace convscope::api {

namespace {

bool imported(const std::string& input, const std::string& input_shape, const std::string& framework,
              import::ImportResult& out, std::string& error, const std::string& model = "") {
  import::ImportOptions options;
  if (!model.empty()) options.model = model;
  if (!input_shape.empty()) {
    std::vector<int64_t> shape;
    if (!import::parse_shape(input_shape, shape, error)) return false;
    options.input = shape;
  }
  if (!framework.empty()) {
    options.framework = import::framework_alias(framework);
    if (!options.framework) {
      error = "--framework: expected pytorch, tensorflow, keras or onnx, got \"" + framework.substr(0, 40) + "\"";
      return false;
    }
  }
  return import::import_any(input, options, out, error);
}

// The format as the page tests it: the enum's own spelling (to_string(Format)
// is the text for people).
const char* format_id(import::Format f) {
  switch (f) {
    case import::Format::contract_json: return "contract_json";
    case import::Format::share_link: return "share_link";
    case import::Format::error_message: return "error_message";
    case import::Format::pytorch_repr: return "pytorch_repr";
    case import::Format::keras_json: return "keras_json";
    case import::Format::onnx: return "onnx";
    case import::Format::python_code: return "python_code";
  }
  return "";
}

// The one import path of import_text and import_read.
Result import_with(const std::string& input, const std::string& input_shape, const std::string& framework,
                   const std::string& model, import::ImportResult& imported_network) {
  std::string error;
  if (!imported(input, input_shape, framework, imported_network, error, model)) return malformed(error);
  Result r;
  r.output = json::write(import::result_json(imported_network), 2) + "\n";
  json::Array notes;
  for (const std::string& n : imported_network.notes) notes.push_back(json::Value(n));
  r.extras = json::write(json::Value(std::move(notes)), -1);
  r.partial = !imported_network.stopped_at.empty();
  return r;
}

}  // namespace

Result import_text(const std::string& input, const std::string& input_shape, const std::string& framework,
                   const std::string& model) {
  import::ImportResult imported_network;
  return import_with(input, input_shape, framework, model, imported_network);
}

ImportReply import_read(const std::string& input, const std::string& input_shape, const std::string& framework,
                        const std::string& model) {
  import::ImportResult imported_network;
  const Result r = import_with(input, input_shape, framework, model, imported_network);
  ImportReply reply;
  reply.exit_code = r.exit_code;
  reply.output = r.output;
  reply.error = r.error;
  reply.extras = r.extras;
  if (r.exit_code == 2) return reply;
  reply.format = format_id(imported_network.format);
  json::Array models;
  for (const std::string& m : imported_network.models) models.push_back(json::Value(m));
  reply.models = json::write(json::Value(std::move(models)), -1);
  reply.model = imported_network.model;
  return reply;
}

ImportReply import_read(const std::string& input, const std::string& input_shape, const std::string& framework) {
  return import_read(input, input_shape, framework, "");
}

Result export_code(const std::string& input, const std::string& target) {
  if (target != "pytorch" && target != "keras" && target != "json" && target != "link")
    return malformed("export: expected pytorch, keras, json or link, got \"" + target.substr(0, 40) + "\"");
  import::ImportResult imported_network;
  std::string error;
  if (!imported(input, "", "", imported_network, error)) return malformed(error);
  const Network& net = imported_network.network;
  Result r;
  if (target == "pytorch") r.output = import::pytorch_code(net);
  else if (target == "keras") r.output = import::keras_code(net);
  else if (target == "json") r.output = json::write(network_json::to_json(net), 2) + "\n";
  else return encode_link(json::write(network_json::to_json(net), -1), "[]");
  return r;
}

Result check_summary(const std::string& network_input, const std::string& summary_text) {
  const bool is_summary = import::looks_like_keras_summary(summary_text);
  const auto refused = [&](std::string error) {
    Result r = malformed(std::move(error));
    if (is_summary) r.extras = "summary";
    return r;
  };
  if (import::looks_like_keras_summary(network_input) && !is_summary)
    return refused("network: this is a Keras model.summary() text and the summary is not; give the network "
                   "(Keras JSON, the JSON contract, ...) first and the summary second");
  import::Summary summary;
  std::string error;
  if (!import::parse_keras_summary(summary_text, summary, error)) return refused("summary: " + error);
  import::ImportResult imported_network;
  if (!imported(network_input, "", "", imported_network, error)) return refused("network: " + error);
  const import::SummaryCheck check = import::check_summary(summary, imported_network.network);
  Result r;
  r.exit_code = check.all_match ? 0 : 1;
  r.output = json::write(check.result, 2) + "\n";
  json::Array notes;
  for (const std::string& n : imported_network.notes) notes.push_back(json::Value(n));
  r.extras = json::write(json::Value(std::move(notes)), -1);
  return r;
}

}  // namespace convscope::api
