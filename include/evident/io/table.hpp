#pragma once
/// \file
/// StudyTable: a CSV file as read, with named columns of raw text and the source line of each row.

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "evident/io/error.hpp"

namespace evident {

/// A rectangular table of text cells with a header, as read from a file. Cells are kept as text
/// so that each consumer decides what a cell must be (a number, a label) and can report a problem
/// with the exact place it came from. Storage is column-major, since analyses read whole columns:
/// each column's cells are packed end to end in one buffer with their end offsets, so a table of
/// ten million rows costs its text and one offset per cell, not a heap string per cell.
class StudyTable {
 public:
  StudyTable() = default;
  /// `source` names the input in messages (a path, or "<stdin>").
  StudyTable(std::string source, std::vector<std::string> column_names);

  /// Appends a row. `cells.size()` must equal columns(); `line` is the 1-based line where the
  /// row starts in the source (a quoted field may span several lines).
  void add_row(std::span<const std::string_view> cells, std::size_t line);
  void add_row(const std::vector<std::string>& cells, std::size_t line);
  /// Room for `rows` rows in all, each column's text in proportion to its rows so far (a hint
  /// that saves copies as a large table grows; more rows may still be added).
  void reserve(std::size_t rows);

  [[nodiscard]] const std::string& source() const noexcept { return source_; }
  [[nodiscard]] std::size_t rows() const noexcept { return lines_.size(); }
  [[nodiscard]] std::size_t columns() const noexcept { return names_.size(); }
  [[nodiscard]] const std::vector<std::string>& column_names() const noexcept { return names_; }

  /// Index of the column with this exact name, if present.
  [[nodiscard]] std::optional<std::size_t> find_column(std::string_view name) const noexcept;

  /// The text of a cell; valid until the table is changed, moved or destroyed.
  [[nodiscard]] std::string_view cell(std::size_t row, std::size_t column) const {
    const Column& c = columns_[column];
    const std::size_t begin = row == 0 ? 0 : c.ends[row - 1];
    return std::string_view(c.text).substr(begin, c.ends[row] - begin);
  }
  /// 1-based source line of a row.
  [[nodiscard]] std::size_t line(std::size_t row) const { return lines_[row]; }
  /// Where a cell came from: file, line and 1-based column.
  [[nodiscard]] SourceLocation where(std::size_t row, std::size_t column) const {
    return {source_, lines_[row], column + 1};
  }

 private:
  std::string source_;
  std::vector<std::string> names_;
  struct Column {
    std::string text;               // the cells' text, end to end
    std::vector<std::size_t> ends;  // ends[row]: one past the row's last character in text
  };
  std::vector<Column> columns_;
  std::vector<std::size_t> lines_;
};

/// How a cell reads as a number.
enum class CellKind {
  missing,     ///< empty, or `NA` (as R writes missing values)
  number,      ///< a finite decimal number
  not_number,  ///< anything else: text, `NaN`, `Inf`, a number with trailing text
};

struct CellValue {
  CellKind kind = CellKind::missing;
  double value = 0.0;
};

/// The cell without the spaces and tabs around it (as cells are read: " 1.5 " is 1.5).
[[nodiscard]] std::string_view trim_spaces(std::string_view text) noexcept;

/// Parses one cell as a number. Leading and trailing spaces are ignored; `NA` and the empty string
/// are missing; `NaN`, `Inf` and out-of-range values (1e999) are not numbers.
[[nodiscard]] CellValue parse_number(std::string_view text) noexcept;

}  // namespace evident
