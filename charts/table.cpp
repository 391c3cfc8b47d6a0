#include "charts/table.hpp"

#include <algorithm>
#include <charconv>
#include <stdexcept>

namespace charts {
namespace {

std::vector<std::string> split_tabs(std::string_view line) {
  std::vector<std::string> cells;
  for (;;) {
    const auto tab = line.find('\t');
    cells.emplace_back(line.substr(0, tab));
    if (tab == std::string_view::npos) return cells;
    line.remove_prefix(tab + 1);
  }
}

// The next line of `text` without its end (LF or CRLF), advancing `text` past it.
std::string_view next_line(std::string_view& text) {
  const auto end = text.find('\n');
  std::string_view line = text.substr(0, end);
  text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
  if (line.ends_with('\r')) line.remove_suffix(1);
  return line;
}

}  // namespace

bool Table::has(std::string_view name) const {
  return std::find(columns.begin(), columns.end(), name) != columns.end();
}

std::size_t Table::column(std::string_view name) const {
  for (std::size_t i = 0; i < columns.size(); ++i)
    if (columns[i] == name) return i;
  throw std::runtime_error("no column '" + std::string(name) + "' in the table");
}

const std::string& Table::cell(std::size_t row, std::string_view name) const {
  return rows.at(row).at(column(name));
}

std::optional<double> Table::number(std::size_t row, std::string_view name) const {
  return parse_number(cell(row, name));
}

Table parse_tsv(std::string_view text) {
  Table table;
  if (text.empty()) throw std::runtime_error("empty table: no header line");
  table.columns = split_tabs(next_line(text));
  for (std::size_t line_number = 2; !text.empty(); ++line_number) {
    const std::string_view line = next_line(text);
    if (line.empty()) continue;  // a trailing blank line is not a row
    auto cells = split_tabs(line);
    if (cells.size() != table.columns.size()) {
      throw std::runtime_error("line " + std::to_string(line_number) + " has " +
                               std::to_string(cells.size()) + " cells, the header " +
                               std::to_string(table.columns.size()));
    }
    table.rows.push_back(std::move(cells));
  }
  return table;
}

std::optional<double> parse_number(std::string_view text) {
  if (text.empty() || text == "-") return std::nullopt;
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) {
    throw std::runtime_error("not a number: '" + std::string(text) + "'");
  }
  return value;
}

}  // namespace charts
