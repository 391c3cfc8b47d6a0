// Table: a results file of the benchmark suite (scripts/bench.sh), read by column name.
//
// The files are tab-separated with one header line; "-" marks a column that does not apply
// to a row (the idle row has no latency). Reading by name keeps the charts working when
// the suite adds a column.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace charts {

struct Table {
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;

  bool has(std::string_view name) const;
  // The column's index; throws std::runtime_error naming it when the file has none.
  std::size_t column(std::string_view name) const;
  const std::string& cell(std::size_t row, std::string_view name) const;
  // The cell as a number, or nullopt for "-" and empty cells.
  std::optional<double> number(std::size_t row, std::string_view name) const;
};

// Throws std::runtime_error on a line whose cell count differs from the header's.
Table parse_tsv(std::string_view text);

// nullopt for "-" and "", the value for a decimal number; throws std::runtime_error
// otherwise (a corrupt file should stop the chart, not draw a zero).
std::optional<double> parse_number(std::string_view text);

}  // namespace charts
