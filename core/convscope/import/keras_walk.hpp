// Internals of the Keras JSON importer: the checked readers of config
// values, and the walk's state. keras_json.cpp wires the layers (Sequential
// chains, functional inbound_nodes, merges, nested models); keras_layers.cpp
// turns one layer of a known class into the contract's layers.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "convscope/import/draft.hpp"
#include "convscope/json.hpp"

namespace convscope::import::keras {

// A short rendering of a value for messages.
std::string shown(const json::Value& v);
// Keras' SavedModel metadata wraps tuples: {"class_name": "__tuple__", "items": [...]}.
const json::Value& unwrap(const json::Value& v);
const std::string* string_at(const json::Value& obj, const char* key);

struct Reader {
  std::string error;
  bool fail(const std::string& path, const std::string& problem);
  bool integer(const json::Value& v, const std::string& path, int64_t& out);
  // An integer (every axis) or a list of `n` integers.
  bool axes(const json::Value& raw, const std::string& path, size_t n, std::vector<int64_t>& out);
  // ZeroPadding / Cropping: an integer, one per axis (symmetric), or pairs;
  // the 1-D layers take one (left, right) pair.
  bool pairs(const json::Value& raw, const std::string& path, size_t n, std::vector<std::pair<int64_t, int64_t>>& out);
};

struct Walk {
  Reader rd;
  Draft& d;
  std::vector<int64_t> input;  // full shape as written (-1 for null)
  std::string input_path;
  bool channels_first = false, channels_last = false;
  std::vector<std::string> unknown;  // skipped classes, for the notes
  bool upsample_note = false;
  std::set<std::string> used_names;  // contract names given so far
  std::string last_name;             // of the layer emitted last
  // Concatenate layers of a channels_first model: their axis is converted to
  // the channels-last layout once the whole model is read.
  std::vector<std::pair<size_t, int64_t>> concat_axes;

  explicit Walk(Draft& draft) : d(draft) {}
  // Appends a layer reading `inputs` (contract names, or "input"); returns
  // its contract name (the Keras name, made unique across nested models).
  std::string emit(json::Object layer, const std::string& origin, const std::vector<std::string>& inputs);
};

// One layer of a single-input class: its contract layers are emitted reading
// `in`; `out` is the contract name of what it produces (`in` itself for a
// class ConvScope skips, which is listed in w.unknown). False when the config
// is malformed (w.rd.error names the JSON path).
bool convert_layer(Walk& w, const std::string& cls, const json::Value& cfg, const std::string& path,
                   const std::string& name, const std::string& in, std::string& out);

}  // namespace convscope::import::keras
