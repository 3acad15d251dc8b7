// The text Keras prints for model.summary(), read back as rows (name, class,
// output shape, parameter count). summary_check.hpp compares the rows with
// ConvScope's own analysis of a network.
//
// A summary carries no kernel sizes, strides or padding, so it is never a
// network by itself: it is a second opinion on one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace convscope::import {

struct SummaryRow {
  std::string name, cls;  // "conv2d", "Conv2D"
  // One shape, batch first, nullopt for None; empty when the row printed
  // something else (`multiple`, `?`, several outputs) or a shape cut short,
  // kept in shape_text.
  std::vector<std::optional<int64_t>> shape;
  std::string shape_text;    // as printed, wrapped lines joined
  bool shape_as_list = false;  // Keras 2 InputLayer: [(None, 28, 28, 1)]
  bool cut_off = false;        // the name was cut at its column's width (TF <= 2.8, or rich's '…')
  bool shape_cut_off = false;  // so was the shape: `shape` is empty, not compared
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
// and trailing spaces are fine). False with `error` when the table is
// truncated, garbled or longer than limits::max_layers rows -- the error then
// starts "line L, column C: ", the position the page selects -- and, with no
// position, when there is no table or the text is over import::max_text_bytes.
bool parse_keras_summary(const std::string& text, Summary& out, std::string& error);

}  // namespace convscope::import
