// convscope: the native command line. Thin: reads input, calls core/api,
// prints, exits 0 (all valid), 1 (some layer invalid) or 2 (malformed input).
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "convscope/api.hpp"
#include "convscope/limits.hpp"
#include "convscope/network_json.hpp"

namespace {

const char* const kUsage =
    "usage: convscope analyze [--text] FILE|-    analyse a network (JSON contract); report JSON or a table\n"
    "       convscope link FILE|-                print the network's share-link hash\n"
    "       convscope unlink HASH                print the network JSON a share-link hash holds\n"
    "       convscope normalize FILE|-           print the network's canonical JSON\n"
    "       convscope schema                     print the layer schema used by the editor\n"
    "       convscope --version\n"
    "exit status: 0 every layer valid, 1 some layer invalid (report still printed), 2 malformed input\n";

bool read_input(const std::string& path, std::string& text, std::string& error) {
  std::ostringstream buffer;
  if (path == "-") {
    buffer << std::cin.rdbuf();
  } else {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      error = path + ": cannot open";
      return false;
    }
    buffer << in.rdbuf();
  }
  text = buffer.str();
  if (text.size() > convscope::limits::max_json_bytes) {
    error = path + ": larger than " + std::to_string(convscope::limits::max_json_bytes) + " bytes";
    return false;
  }
  return true;
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
  if (command == "unlink") {
    if (args.size() != 1) {
      std::cerr << kUsage;
      return 2;
    }
    return finish(convscope::api::decode_link(args[0]));
  }
  bool table = false;
  std::string path;
  for (const std::string& a : args) {
    if (a == "--text" && command == "analyze") table = true;
    else if (path.empty() && (a == "-" || a.rfind("-", 0) != 0)) path = a;
    else {
      std::cerr << "convscope: unexpected argument '" << a << "'\n" << kUsage;
      return 2;
    }
  }
  if (path.empty() || (command != "analyze" && command != "link" && command != "normalize")) {
    std::cerr << kUsage;
    return 2;
  }
  std::string text, error;
  if (!read_input(path, text, error)) {
    std::cerr << "convscope: " << error << "\n";
    return 2;
  }
  if (command == "link") return finish(convscope::api::encode_link(text, "[]"));
  if (command == "normalize") return finish(convscope::api::normalize(text));
  return finish(table ? convscope::api::analyze_table(text) : convscope::api::analyze_json(text));
}
