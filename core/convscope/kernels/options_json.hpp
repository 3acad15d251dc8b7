// Reading the kernel ops' JSON options (createConvOp, createPoolOp): the
// helpers conv_options.cpp and pool_options.cpp share, so both word their
// messages alike and name each option as the caller spelled it.
#pragma once

#include <cstddef>
#include <string>

#include "convscope/json.hpp"

namespace convscope::kernels::options {

// A value as compact JSON, for "got ..." in messages.
std::string show(const json::Value& v);

// root[key], or null when absent or JSON null (null counts as absent).
const json::Value* option(const json::Value& root, const char* key);

// "" when every key of `root` is one of `known` (`count` names), else
// "unknown option \"key\"".
std::string check_keys(const json::Value& root, const char* const* known, size_t count);

// An integer that fits int (the kernels' index type); `name` for messages.
std::string read_int(const json::Value& v, const std::string& name, int& out);

// An array of exactly `n` integers.
std::string read_ints(const json::Value& v, const std::string& name, size_t n, int* out);

// [[top, bottom], [left, right]] (checked as integers; ranges are validate()'s).
std::string read_pads(const json::Value& v, int& top, int& bottom, int& left, int& right, const char* shape_text);

// true or false.
std::string read_bool(const json::Value& v, const std::string& name, bool& out);

// Parses the text as a JSON object ("" or "options are not JSON: ..." /
// "options must be an object").
std::string parse_object(const std::string& text, json::Value& root);

}  // namespace convscope::kernels::options
