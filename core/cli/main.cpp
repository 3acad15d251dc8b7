// convscope: the native command line. Thin: reads input, calls core/api,
// prints, exits 0 (all valid), 1 (some layer invalid) or 2 (malformed input).
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "convscope/api.hpp"
#include "convscope/import/detect.hpp"
#include "convscope/import/import.hpp"
#include "convscope/import/summary_check.hpp"
#include "convscope/json.hpp"
#include "convscope/limits.hpp"
#include "convscope/network_json.hpp"

namespace {

const char* const kUsage =
    "usage: convscope analyze [--text] [--input SHAPE] [--framework F] FILE|-\n"
    "                                            analyse a network (any format import reads); report JSON or a table\n"
    "       convscope compare [--text] [--input SHAPE] [--framework F] FILE|-\n"
    "                                            the network under PyTorch, TensorFlow/Keras and ONNX side by side:\n"
    "                                            each framework's shapes and verdict, the rows that differ and why\n"
    "       convscope import [--input SHAPE] [--framework F] [--model NAME] FILE|-\n"
    "                                            a pasted error message, PyTorch print(model), Keras JSON, an ONNX\n"
    "                                            file, a share link or model code (a .py file) -> the network JSON;\n"
    "                                            notes on stderr; --model: the class the code defines to read\n"
    "       convscope export --pytorch|--keras|--json|--link [--input SHAPE] [--framework F] FILE|-\n"
    "                                            the network as PyTorch or Keras code, canonical JSON or a link hash\n"
    "       convscope check-summary [--json] NETWORK SUMMARY\n"
    "                                            cross-check the text Keras printed for model.summary() (SUMMARY)\n"
    "                                            with ConvScope's analysis of NETWORK (any format import reads),\n"
    "                                            row by row; either may be - (stdin), not both\n"
    "       convscope link FILE|-                print the network's share-link hash\n"
    "       convscope unlink HASH                print the network JSON a share-link hash holds\n"
    "       convscope normalize FILE|-           print the network's canonical JSON\n"
    "       convscope schema                     print the layer schema used by the editor\n"
    "       convscope --version\n"
    "SHAPE is written like 1x3x224x224 (the framework's layout); F is pytorch, tensorflow, keras or onnx\n"
    "exit status: 0 every layer valid, 1 some layer invalid (report still printed) or an import that stopped\n"
    "             before the model's end (the notes name where), 2 malformed input;\n"
    "             compare: 0 the three agree on every layer, 1 some row differs, 2 malformed;\n"
    "             check-summary: 0 every row matches, 1 some row differs (table still printed), 2 malformed\n";

// Reads at most `cap` + 1 bytes, so a huge file or an endless pipe is
// refused without being held in memory.
bool read_input(const std::string& path, size_t cap, std::string& text, std::string& error) {
  std::ifstream file;
  std::istream* in = &std::cin;
  if (path != "-") {
    file.open(path, std::ios::binary);
    if (!file) {
      error = path + ": cannot open";
      return false;
    }
    in = &file;
  }
  text.clear();
  char buffer[1 << 16];
  while (text.size() <= cap && in->read(buffer, sizeof buffer).gcount() > 0)
    text.append(buffer, static_cast<size_t>(in->gcount()));
  if (text.size() > cap) {
    error = path + ": larger than " + std::to_string(cap) + " bytes";
    return false;
  }
  return true;
}

// Notes of an import, one line each on stderr: what was read and assumed.
void print_notes(const convscope::api::Result& r) {
  convscope::json::Value notes;
  convscope::json::ParseError error;
  if (r.extras.empty() || !convscope::json::parse(r.extras, notes, error) || !notes.is_array()) return;
  for (const auto& n : notes.as_array()) std::cerr << "convscope: note: " << n.as_string() << "\n";
}

int finish(const convscope::api::Result& r) {
  if (r.exit_code == 2) {
    std::cerr << "convscope: " << r.error << "\n";
    return 2;
  }
  std::cout << r.output;
  if (!r.output.empty() && r.output.back() != '\n') std::cout << "\n";
  return r.exit_code;
}

// `convscope check-summary [--json] NETWORK SUMMARY`.
int check_summary(const std::vector<std::string>& args) {
  bool as_json = false;
  std::vector<std::string> paths;
  for (const std::string& a : args) {
    if (a == "--json" && !as_json) as_json = true;
    else if (paths.size() < 2 && (a == "-" || a.rfind("-", 0) != 0)) paths.push_back(a);
    else {
      std::cerr << "convscope: unexpected argument '" << a << "'\n" << kUsage;
      return 2;
    }
  }
  if (paths.size() != 2) {
    std::cerr << kUsage;
    return 2;
  }
  if (paths[0] == "-" && paths[1] == "-") {
    std::cerr << "convscope: check-summary: only one of NETWORK and SUMMARY can be read from stdin ('-')\n";
    return 2;
  }
  std::string network, summary, error;
  if (!read_input(paths[0], convscope::import::max_onnx_bytes, network, error) ||
      !read_input(paths[1], convscope::import::max_text_bytes, summary, error)) {
    std::cerr << "convscope: " << error << "\n";
    return 2;
  }
  convscope::api::Result r = convscope::api::check_summary(network, summary);
  if (r.exit_code == 2) return finish(r);
  print_notes(r);
  if (!as_json) {
    convscope::json::Value result;
    convscope::json::ParseError parse_error;
    if (convscope::json::parse(r.output, result, parse_error)) r.output = convscope::import::summary_check_table(result);
  }
  return finish(r);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::cout << kUsage;
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "--version") {
    std::cout << "convscope " << convscope::api::version() << "\n";
    return 0;
  }
  const std::string command = args[0];
  args.erase(args.begin());
  if (command == "schema") {
    std::cout << convscope::network_json::layer_schema_json() << "\n";
    return 0;
  }
  if (command == "check-summary") return check_summary(args);
  if (command == "unlink") {
    if (args.size() != 1) {
      std::cerr << kUsage;
      return 2;
    }
    return finish(convscope::api::decode_link(args[0]));
  }
  bool table = false;
  std::string path, input_shape, framework, target, model;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    const bool takes_options = command == "analyze" || command == "import" || command == "export" ||
                               command == "compare";
    if (a == "--text" && (command == "analyze" || command == "compare")) table = true;
    else if ((a == "--input" || a == "--framework") && takes_options && i + 1 < args.size())
      (a == "--input" ? input_shape : framework) = args[++i];
    else if (a == "--model" && takes_options && i + 1 < args.size())
      model = args[++i];
    else if (command == "export" && target.empty() &&
             (a == "--pytorch" || a == "--keras" || a == "--json" || a == "--link"))
      target = a.substr(2);
    else if (path.empty() && (a == "-" || a.rfind("-", 0) != 0)) path = a;
    else {
      std::cerr << "convscope: unexpected argument '" << a << "'\n" << kUsage;
      return 2;
    }
  }
  const bool known = command == "analyze" || command == "compare" || command == "link" || command == "normalize" ||
                     command == "import" ||
                     command == "export";
  if (path.empty() || !known || (command == "export" && target.empty())) {
    std::cerr << kUsage;
    return 2;
  }
  std::string text, error;
  // ONNX files are binary and larger than any JSON network: the cap is the
  // ONNX one, and contract JSON keeps its own below.
  if (!read_input(path, convscope::import::max_onnx_bytes, text, error)) {
    std::cerr << "convscope: " << error << "\n";
    return 2;
  }
  if (command == "import" || command == "export") {
    const convscope::api::Result imported = convscope::api::import_text(text, input_shape, framework, model);
    if (imported.exit_code != 0 || command == "import") {
      if (imported.exit_code == 0) print_notes(imported);
      return finish(imported);
    }
    return finish(convscope::api::export_code(imported.output, target));
  }
  std::string why;
  const auto format = convscope::import::detect_format(text, why);
  // A model.summary() text is no network: import says so (detect.cpp).
  const bool contract = format ? *format == convscope::import::Format::contract_json
                               : !convscope::import::looks_like_keras_summary(text);
  if (contract && text.size() > convscope::limits::max_json_bytes) {
    std::cerr << "convscope: " << path << ": larger than " << convscope::limits::max_json_bytes << " bytes\n";
    return 2;
  }
  bool partial = false;
  const bool analyses = command == "analyze" || command == "compare";
  if (analyses && (!contract || !input_shape.empty() || !framework.empty())) {
    // Not the contract: import first, then analyse what was imported.
    const convscope::api::Result imported = convscope::api::import_text(text, input_shape, framework, model);
    if (imported.exit_code != 0) return finish(imported);
    print_notes(imported);
    text = imported.output;
    partial = imported.partial;
  }
  if (command == "link") return finish(convscope::api::encode_link(text, "[]"));
  if (command == "normalize") return finish(convscope::api::normalize(text));
  const int status =
      command == "compare"
          ? finish(table ? convscope::api::compare_table(text) : convscope::api::compare_json(text))
          : finish(table ? convscope::api::analyze_table(text) : convscope::api::analyze_json(text));
  if (status != 0 || !partial) return status;
  // Every imported layer is valid, but the import stopped before the end:
  // that is no verdict on the model.
  std::cerr << "convscope: the import stopped before the end of the model (see the notes): every imported layer "
               "is valid, the rest is not analysed\n";
  return 1;
}
