// The entry points shared by the native CLI and the WASM module, so both
// print the same bytes for the same input.
#pragma once

#include <string>

namespace convscope::api {

struct Result {
  int exit_code = 0;   // 0 all layers valid, 1 some layer invalid, 2 malformed input
  std::string output;  // the report (JSON or table) when exit_code < 2
  std::string error;   // one line naming the JSON path or position when exit_code == 2
  std::string extras;  // decode_link only: the page's own params, JSON [[key, value], ...]
  // import_text only: the importer stopped at something it cannot model
  // (the notes name it); the network is the part before it, so "every
  // layer valid" would not be the model's verdict.
  bool partial = false;
};

// import_read's result: import_text's, and what the import read -- the
// format, as import::Format spells it ("python_code", "onnx", ...), and for
// pasted model code the models it defines (a JSON list of names, "[]"
// otherwise) and the one read ("" otherwise), so the page can offer the
// others. Its own struct, so the shape engine's Result (the page's first
// view) carries none of it.
struct ImportReply {
  int exit_code = 0;
  std::string output, error, extras;
  std::string format;
  std::string models = "[]";
  std::string model;
};

// Network JSON text -> report JSON (pretty, trailing newline).
Result analyze_json(const std::string& network_json);
// Network JSON text -> the human table.
Result analyze_table(const std::string& network_json);
// Share-link hash -> canonical network JSON (pretty), validated like a file;
// Result::extras gets the page's own params.
Result decode_link(const std::string& hash);
// Network JSON text + extras JSON list ("[]" for none) -> share-link hash text.
Result encode_link(const std::string& network_json, const std::string& extras_json);
// Network JSON text -> canonical network JSON (defaults dropped).
Result normalize(const std::string& network_json);
// Network JSON text -> the network under PyTorch, TensorFlow/Keras and ONNX
// side by side (compare.hpp): JSON (pretty) or the table. exit_code 0 when
// the three agree on every layer, 1 when some row differs, 2 malformed.
Result compare_json(const std::string& network_json);
Result compare_table(const std::string& network_json);

// Bring your own model. Defined in core/convscope/import/api_import.cpp, so
// they are in convscope_core (the CLI, the tests, the full WASM module) and
// not in the shape engine alone.
// Any supported input -- the JSON contract, a share link, a pasted error
// message, PyTorch print(model), Keras JSON, ONNX bytes -> canonical network
// JSON (pretty). Result::extras holds the import's notes as a JSON list of
// strings; Result::error names the line and column, JSON path or ONNX node.
// `input_shape` ("" or "1x3x224x224") supplies or overrides the input;
// `framework` ("" or pytorch / tensorflow / keras / onnx) restricts detection.
// `model`: for pasted code, the class or model to read (empty: the one the
// code makes last).
Result import_text(const std::string& input, const std::string& input_shape, const std::string& framework,
                   const std::string& model = "");
// The same with what was read (ImportReply): the page's import binding
// (importText, with or without `model`).
ImportReply import_read(const std::string& input, const std::string& input_shape, const std::string& framework,
                        const std::string& model);
ImportReply import_read(const std::string& input, const std::string& input_shape, const std::string& framework);
// Any supported input -> `target`: "pytorch" or "keras" code that runs as
// printed, "json" (canonical network JSON) or "link" (share-link hash).
Result export_code(const std::string& input, const std::string& target);
// Any supported input (as import_text reads it) + the text Keras printed for
// model.summary() -> the row-by-row cross-check as JSON (pretty):
// {verdict, matched_by, rows, totals, notes}. exit_code 0 when every row and
// the totals match, 1 when something differs, 2 when either is malformed;
// Result::extras holds the network import's notes, as import_text's; on
// exit 2 it is "summary" when `summary_text` has a summary's header (so the
// error is about that summary or the network, not "this is something else":
// the page then shows it instead of the importers' message).
Result check_summary(const std::string& network_input, const std::string& summary_text);

std::string version();

// A Result for malformed input: exit code 2 and the message.
Result malformed(std::string error);

}  // namespace convscope::api
