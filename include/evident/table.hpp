#pragma once
/// \file
/// StudyTable: a CSV file as read, with named columns of raw text and the source line of each row.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "evident/error.hpp"

namespace evident {

/// A rectangular table of text cells with a header, as read from a file. Cells are kept as text
/// so that each consumer decides what a cell must be (a number, a label) and can report a problem
/// with the exact place it came from. Storage is column-major, since analyses read whole columns.
class StudyTable {
 public:
  StudyTable() = default;
  /// `source` names the input in messages (a path, or "<stdin>").
  StudyTable(std::string source, std::vector<std::string> column_names);

  /// Appends a row. `cells.size()` must equal columns(); `line` is the 1-based line where the
  /// row starts in the source (a quoted field may span several lines).
  void add_row(std::vector<std::string> cells, std::size_t line);

  [[nodiscard]] const std::string& source() const noexcept { return source_; }
  [[nodiscard]] std::size_t rows() const noexcept { return lines_.size(); }
  [[nodiscard]] std::size_t columns() const noexcept { return names_.size(); }
  [[nodiscard]] const std::vector<std::string>& column_names() const noexcept { return names_; }

  /// Index of the column with this exact name, if present.
  [[nodiscard]] std::optional<std::size_t> find_column(std::string_view name) const noexcept;

  [[nodiscard]] const std::string& cell(std::size_t row, std::size_t column) const {
    return cells_[column][row];
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
  std::vector<std::vector<std::string>> cells_;  // cells_[column][row]
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

/// Parses one cell as a number. Leading and trailing spaces are ignored; `NA` and the empty string
/// are missing; `NaN`, `Inf` and out-of-range values (1e999) are not numbers.
[[nodiscard]] CellValue parse_number(std::string_view text) noexcept;

}  // namespace evident
