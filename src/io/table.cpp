#include "evident/io/table.hpp"

#include <cassert>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string>
#include <utility>

namespace evident {

StudyTable::StudyTable(std::string source, std::vector<std::string> column_names)
    : source_(std::move(source)), names_(std::move(column_names)), columns_(names_.size()) {}

void StudyTable::add_row(std::span<const std::string_view> cells, std::size_t line) {
  assert(cells.size() == names_.size());
  for (std::size_t c = 0; c < cells.size(); ++c) {
    Column& column = columns_[c];
    column.text += cells[c];
    column.ends.push_back(column.text.size());
  }
  lines_.push_back(line);
}

void StudyTable::add_row(const std::vector<std::string>& cells, std::size_t line) {
  std::vector<std::string_view> views(cells.begin(), cells.end());
  add_row(std::span<const std::string_view>(views), line);
}

void StudyTable::reserve(std::size_t rows) {
  const std::size_t now = lines_.size();
  for (Column& column : columns_) {
    if (now > 0) {
      const double per_row = static_cast<double>(column.text.size()) / static_cast<double>(now);
      column.text.reserve(static_cast<std::size_t>(per_row * static_cast<double>(rows)) + 64);
    }
    column.ends.reserve(rows);
  }
  lines_.reserve(rows);
}

std::optional<std::size_t> StudyTable::find_column(std::string_view name) const noexcept {
  for (std::size_t c = 0; c < names_.size(); ++c) {
    if (names_[c] == name) return c;
  }
  return std::nullopt;
}

std::string_view trim_spaces(std::string_view text) noexcept {
  const auto is_space = [](char ch) { return ch == ' ' || ch == '\t'; };
  while (!text.empty() && is_space(text.front()))
    text.remove_prefix(1);
  while (!text.empty() && is_space(text.back()))
    text.remove_suffix(1);
  return text;
}

CellValue parse_number(std::string_view text) noexcept {
  // The common case first, a plain decimal number (no spaces, no sign other than '-'): read by
  // the same from_chars call as below, so the value is the same; batches read millions.
  if (!text.empty()) {
    const auto digit = [](char ch) { return ch >= '0' && ch <= '9'; };
    const char first = text.front(), last = text.back();
    if ((digit(first) || first == '-' || first == '.') && (digit(last) || last == '.')) {
      double value = 0.0;
      const char* end = text.data() + text.size();
      const auto r = std::from_chars(text.data(), end, value, std::chars_format::general);
      if (r.ec == std::errc{} && r.ptr == end && std::isfinite(value)) {
        return {CellKind::number, value};
      }
    }
  }
  text = trim_spaces(text);
  if (text.empty() || text == "NA") return {CellKind::missing, 0.0};
  if (text.front() == '+') {
    text.remove_prefix(1);  // from_chars rejects a leading '+'; a second sign is not allowed
    if (text.empty() || text.front() == '-' || text.front() == '+') {
      return {CellKind::not_number, 0.0};
    }
  }
  double value = 0.0;
  // Only decimal and scientific notation: "inf", "nan" and hex floats are not numbers here.
  auto [end, ec] =
      std::from_chars(text.data(), text.data() + text.size(), value, std::chars_format::general);
  if (ec == std::errc::result_out_of_range && end == text.data() + text.size()) {
    // Underflow (1e-400) reads as 0 or a subnormal, as R and strtod read it; overflow is not a
    // usable number.
    const std::string copy(text);
    value = std::strtod(copy.c_str(), nullptr);
    if (std::isfinite(value)) return {CellKind::number, value};
    return {CellKind::not_number, 0.0};
  }
  if (ec != std::errc{} || end != text.data() + text.size() || !std::isfinite(value)) {
    return {CellKind::not_number, 0.0};
  }
  return {CellKind::number, value};
}

}  // namespace evident
