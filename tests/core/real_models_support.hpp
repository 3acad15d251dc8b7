// The real-model corpus shared by the ONNX and print(model) tests:
// tests/fixtures/models/make_models.py (Debian's torch 1.13 and torchvision
// 0.14) writes it into the build directory when it is missing or the script
// changed. Header-only, like import_support.hpp.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <string>

#include <doctest/doctest.h>

#include "convscope/json.hpp"
#include "convscope/analyze.hpp"
#include "test_support.hpp"

namespace real_models {

namespace fs = std::filesystem;
namespace json = convscope::json;

inline fs::path corpus_dir() { return fs::path(CONVSCOPE_BINARY_DIR) / "real-models"; }
inline fs::path script_path() { return test_support::source_dir() / "tests" / "fixtures" / "models" / "make_models.py"; }

// Writes the corpus when it is missing or make_models.py changed since.
inline void ensure_corpus() {
  const fs::path dir = corpus_dir();
  const std::string stamp = std::to_string(std::hash<std::string>{}(test_support::read_text(script_path())));
  if (test_support::read_text(dir / "stamp") == stamp) return;
  fs::create_directories(dir);
  const fs::path log = dir / "make_models.log";
  const std::string command = "/usr/bin/python3 " + test_support::shell_quote(script_path().string()) + " " +
                              test_support::shell_quote(dir.string()) + " >" + test_support::shell_quote(log.string()) +
                              " 2>&1";
  const int status = std::system(command.c_str());
  INFO("make_models.py failed (is Debian's python3-torch installed? scripts/install-deps.sh); its output:\n"
       << test_support::read_text(log));
  REQUIRE(status == 0);
  std::ofstream(dir / "stamp") << stamp;
}

inline json::Value read_json(const fs::path& p) {
  json::Value v;
  json::ParseError error;
  const bool ok = json::parse(test_support::read_text(p), v, error);
  INFO(p.string() << ": " << error.message);
  REQUIRE(ok);
  return v;
}

inline convscope::Shape shape_of(const json::Value& v) {
  convscope::Shape s;
  for (const auto& d : v.as_array()) s.push_back(d.as_int());
  return s;
}

inline std::string shape_str(const std::optional<convscope::Shape>& s) {
  if (!s) return "-";
  std::string out = "[";
  for (size_t k = 0; k < s->size(); ++k) out += (k ? ", " : "") + std::to_string((*s)[k]);
  return out + "]";
}

}  // namespace real_models
