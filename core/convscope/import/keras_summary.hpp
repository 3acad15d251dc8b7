// The text Keras prints for model.summary(), read back as rows (name, class,
// output shape, parameter count) and cross-checked against ConvScope's own
// analysis of a network, row by row.
//
// A summary carries no kernel sizes, strides or padding, so it is never a
// network by itself: it is a second opinion on one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "convscope/json.hpp"
#include "convscope/network.hpp"

namespace convscope::import {

struct SummaryRow {
  std::string name, cls;  // "conv2d", "Conv2D"
  // One shape, batch first, nullopt for None; empty when the row printed
  // something else (`multiple`, `?`, several outputs), kept in shape_text.
  std::vector<std::optional<int64_t>> shape;
  std::string shape_text;    // as printed, wrapped lines joined
  bool shape_as_list = false;  // Keras 2 InputLayer: [(None, 28, 28, 1)]
  bool cut_off = false;        // TF <= 2.8 cut the name at its column's width
  int64_t params = 0;
  size_t offset = 0;  // where the row starts in the text
};

struct Summary {
  enum class Style { keras2, keras2_legacy, keras3 };
  Style style = Style::keras3;
  std::string model_name;
  std::vector<SummaryRow> rows;
  int64_t total_params = 0;
};

// "Keras 3", "Keras 2 (TF 2.9 or later)", "Keras 2 (TF 2.8 or earlier)".
const char* to_string(Summary::Style s);

// A summary table's header ("Layer (type)", "Output Shape") is in the text.
bool looks_like_keras_summary(const std::string& text);

// What import_any says when it is given a summary alone.
extern const char* const kSummaryIsNotANetwork;

// Reads the first summary table in `text` (surrounding notebook text, CRLF
// and trailing spaces are fine). False with `error` naming the line and
// column when the text is truncated or garbled, or over the caps
// (import::max_text_bytes, limits::max_layers rows).
bool parse_keras_summary(const std::string& text, Summary& out, std::string& error);

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
