// Small helpers shared by the core test files: analyse JSON text, read the
// examples, run the native CLI. Header-only so CMake's tests/core/*.cpp glob
// needs no change.
#pragma once

#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include "convscope/analyze.hpp"
#include "convscope/conventions.hpp"
#include "convscope/network_json.hpp"

namespace test_support {

// A parsed network together with its full analysis (fixes and min_input on).
struct Analysed {
  convscope::Network net;
  convscope::Report report;
};

// A network's JSON text from its parts: `layers` is the layers' objects,
// comma-separated, without the brackets.
inline std::string network_text(const std::string& framework, const std::string& input, const std::string& layers) {
  return R"({"framework": ")" + framework + R"(", "input": )" + input + R"(, "layers": [)" + layers + "]}";
}

// Parses `network_json` (which must be well-formed: a parse error fails the
// calling test) and analyses it with fixes and min_input on.
inline Analysed analyse(const std::string& network_json) {
  Analysed a;
  std::string error;
  const bool parsed = convscope::network_json::parse(network_json, a.net, error);
  INFO("parse error: " << error);
  REQUIRE(parsed);
  a.report = convscope::analyze(a.net);
  return a;
}

// The parser's message for malformed input; "" when it parses.
inline std::string parse_error(const std::string& network_json) {
  convscope::Network net;
  std::string error;
  if (convscope::network_json::parse(network_json, net, error)) return "";
  return error;
}

inline std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline std::filesystem::path source_dir() { return CONVSCOPE_SOURCE_DIR; }
inline std::filesystem::path example_path(const std::string& file) {
  return source_dir() / "examples" / file;
}
inline std::string example_text(const std::string& file) { return read_text(example_path(file)); }

inline bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// The spatial sizes of a full shape, in axis order (H, W for 2-D).
inline std::vector<int64_t> spatial_of(convscope::Framework fw, const convscope::Shape& s) {
  std::vector<int64_t> out;
  for (size_t i = 0; i + 2 < s.size(); ++i) out.push_back(s[convscope::conventions::spatial_axis(fw, i)]);
  return out;
}

// A file in the system temp directory removed when the object dies.
class TempFile {
 public:
  explicit TempFile(const std::string& contents) {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("convscope_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + ".json");
    std::ofstream out(path_, std::ios::binary);
    out << contents;
  }
  ~TempFile() {
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

struct CliRun {
  int exit_code = -1;
  std::string out, err;
};

inline std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// Runs the built CLI with `args` (already shell-quoted where needed),
// capturing stdout and stderr separately.
inline CliRun run_cli(const std::string& args) {
  TempFile out_file(""), err_file("");
  const std::string command = shell_quote(CONVSCOPE_CLI) + " " + args + " >" +
                              shell_quote(out_file.path().string()) + " 2>" +
                              shell_quote(err_file.path().string());
  const int status = std::system(command.c_str());
  CliRun r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = read_text(out_file.path());
  r.err = read_text(err_file.path());
  return r;
}

// `convscope analyze [--text] FILE` on a temporary file holding `network_json`.
inline CliRun analyze_with_cli(const std::string& network_json, bool text = false) {
  TempFile input(network_json);
  return run_cli(std::string("analyze ") + (text ? "--text " : "") + shell_quote(input.path().string()));
}

}  // namespace test_support
