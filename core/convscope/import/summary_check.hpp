// A Keras model.summary() (keras_summary.hpp) cross-checked against
// ConvScope's own analysis of a network, row by row: matched by name (or by
// position when the names differ), each row's output shape and parameter
// count compared, and notes on what Keras prints differently.
#pragma once

#include <string>

#include "convscope/import/keras_summary.hpp"
#include "convscope/json.hpp"
#include "convscope/network.hpp"

namespace convscope::import {

// The cross-check of a summary against ConvScope's analysis of `net`:
// {verdict, matched_by, rows, totals, notes}. `all_match` is true when every
// row and the totals agree.
struct SummaryCheck {
  json::Value result;
  bool all_match = false;
};
SummaryCheck check_summary(const Summary& summary, const Network& net);

// The cross-check JSON as the aligned table `convscope check-summary` prints.
std::string summary_check_table(const json::Value& result);

}  // namespace convscope::import
