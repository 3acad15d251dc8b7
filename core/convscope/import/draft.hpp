// The network an importer is building, kept as contract JSON so that the
// contract's own validator (network_json::from_json) has the last word: an
// importer never produces a network a file could not hold.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "convscope/import/import.hpp"
#include "convscope/json.hpp"

namespace convscope::import {

struct Draft {
  Framework framework = Framework::pytorch;
  std::vector<int64_t> input;
  std::string description;
  // What the structure rests on when it was guessed (Network::guessed).
  std::string guessed;
  json::Array layers;
  // Per layer, where it came from ("line 4", "config.layers[2]", "node 3
  // 'Conv_0'"), so a value the contract refuses is reported at its source.
  std::vector<std::string> origins;
  std::vector<std::string> notes;

  void add(json::Object layer, std::string origin);
  void note(std::string text) { notes.push_back(std::move(text)); }
  // `base`, or base_2, base_3, ... when a layer already has it: the name of a
  // layer the importer inserts (the user's own names stay as written).
  std::string free_name(const std::string& base) const;
  // The network the layers so far make, validated like a contract file;
  // false with `error` naming the origin of a refused value.
  bool network(Network& out, std::string& error) const;
};

// A layer object with its type and (cleaned) name.
json::Object layer_object(const char* type, const std::string& name);
// Per-axis values: one integer when all agree, else a list.
json::Value axes_json(const std::vector<int64_t>& v);
// One [begin, end] pair per axis.
json::Value pairs_json(const std::vector<std::pair<int64_t, int64_t>>& v);

// A name the contract accepts: control characters become '?', at most
// limits::max_name_chars bytes, cut at a UTF-8 boundary.
std::string clean_name(const std::string& s);

// "1x3x224x224".
std::string shape_text(const std::vector<int64_t>& shape);

// Validates the draft (layer count, then the contract's validator) and fills
// `out`. A refused value is reported at the origin of its layer.
bool finish(Draft& d, Format format, ImportResult& out, std::string& error);

}  // namespace convscope::import
