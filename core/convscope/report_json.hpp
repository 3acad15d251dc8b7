// Writing a Report: the JSON of the contract, and the human table of
// `convscope analyze --text`.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "convscope/analyze.hpp"
#include "convscope/json.hpp"

namespace convscope {

json::Value report_to_json(const Report& report, const Network& net);

// The exact bytes the CLI prints (pretty JSON, 2 spaces, trailing newline);
// the WASM module returns the same.
std::string report_text_json(const Report& report, const Network& net);

// A table in the spirit of torchinfo / Keras summary(), with the diagnosis
// and fixes under the failing row.
std::string report_table(const Report& report, const Network& net);

// The tables' pieces (report_table, comparison_table): "[1, 3, 4, 4]" or "-";
// "ok" / "WARN" / "ERROR" / "skipped"; column widths in code points; one row
// padded to them; a whole table (header, rule, rows) framed by '=' lines.
std::string table_shape_text(const std::optional<Shape>& s);
std::string table_status_mark(Status s);
std::vector<size_t> table_widths(const std::vector<std::vector<std::string>>& rows);
std::string table_line(const std::vector<std::string>& row, const std::vector<size_t>& width);
std::string table_text(const std::vector<std::vector<std::string>>& rows);

}  // namespace convscope
