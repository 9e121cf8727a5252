#pragma once
// Reading the numeric columns a measure needs, row by row, with every problem located. Shared by
// the measure families in this folder; internal to the library.

#include <cstddef>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "evident/effect/effect.hpp"
#include "evident/io/error.hpp"
#include "evident/io/table.hpp"

namespace evident::detail {

class RowReader {
 public:
  /// Resolves `required` columns; throws InputError naming the missing ones (with the closest
  /// existing column name, if it looks like a typo) and the measure that needs them.
  RowReader(const StudyTable& table, Measure measure,
            std::initializer_list<std::string_view> required);

  /// Index of an optional column, if present.
  [[nodiscard]] std::optional<std::size_t> optional_column(std::string_view name) const {
    return table_.find_column(name);
  }
  [[nodiscard]] std::size_t column(std::size_t i) const { return columns_[i]; }
  /// The index of column `a`, else of column `b` (e.g. `bi`, else `n1i`); throws InputError
  /// naming both if neither exists.
  [[nodiscard]] std::size_t either(std::string_view a, std::string_view b) const;

  /// Reads the value of `column` in `row`. A missing cell returns nullopt and is remembered for
  /// the row's exclusion diagnostic; text that is not a number is recorded as a problem.
  std::optional<double> number(std::size_t row, std::size_t column);
  /// Reads the required columns of `row` into `out` (same order as given to the constructor);
  /// false if any is missing or not a number.
  bool read(std::size_t row, std::span<double> out);
  /// Reads an optional column without counting a missing value against the row (for columns
  /// that stand in for others, such as a median for a mean); text that is not a number is still
  /// a problem. nullopt when the column is absent, the cell missing, or not a number.
  std::optional<double> peek(std::size_t row, std::optional<std::size_t> column) {
    // Inline for the columns a table does not have: a call that returns an empty optional costs
    // a store-forwarding stall per cell, and a row asks for up to six such columns.
    if (!column) return std::nullopt;
    return peek_present(row, *column);
  }
  /// Counts a value the row lacks (named in the row's exclusion diagnostic).
  void note_missing(std::string_view column_name) { missing_.push_back(column_name); }

  /// Records a problem with a cell (bad value): file, line and column come from the table.
  void problem(std::size_t row, std::size_t column, std::string message);

  /// Starts a new row: clears the list of missing columns.
  void begin_row() { missing_.clear(); }
  /// The missing columns of the current row, for the exclusion diagnostic.
  [[nodiscard]] const std::vector<std::string_view>& missing() const { return missing_; }
  [[nodiscard]] bool had_problem() const { return row_problem_; }

  /// Adds the row to `out` if it was complete and valid; otherwise records a diagnostic when
  /// values were missing. Returns true if added.
  bool finish_row(std::size_t row, double yi, double vi, double ni, EffectData& out);

  /// Throws if any problem was recorded, or if no study could be used.
  void finish(const EffectData& out);

  [[nodiscard]] const StudyTable& table() const { return table_; }
  /// The study label of a row: the `study` cell, else the 1-based row number.
  [[nodiscard]] std::string label(std::size_t row) const;

 private:
  std::optional<double> peek_present(std::size_t row, std::size_t column);
  const StudyTable& table_;
  Measure measure_;
  std::vector<std::size_t> columns_;
  std::optional<std::size_t> study_column_;
  std::vector<std::string_view> missing_;
  bool row_problem_ = false;
  ProblemList problems_;
};

/// Formats a number for a message the way a person would write it (no trailing zeros).
std::string show(double x);

/// The message for a cell that is not a number, naming the column.
std::string not_a_number_message(std::string_view text, std::string_view column);
/// What is wrong with a study whose effect size or sampling variance lies beyond what the fit's
/// weighted sums can hold in double precision (|yi| <= 1e50, 1e-50 <= vi <= 1e50); nullopt when
/// both are in range. Every reader of yi and vi (the row reader, the batch fast path) uses this.
std::optional<std::string> pooling_range_problem(double yi, double vi);
/// The message when every row lacks a value the measure needs.
std::string no_usable_study_message(std::size_t rows, Measure measure);

/// The messages for sampling variances given directly that cannot be pooled.
inline constexpr std::string_view kNegativeVarianceMessage =
    "a sampling variance cannot be negative";
inline constexpr std::string_view kZeroVarianceMessage =
    "a sampling variance of 0 would give this study infinite weight; it must be positive";

/// Thrown by the measure families for a table with a header but no rows, once its columns have
/// been checked: a caller that reads only a header (the batch reader) catches this one.
class NoDataRows : public InputError {
 public:
  explicit NoDataRows(const std::string& source);
};

/// Whether `to` puts `add` on a study: `has_zero` for this study, `any_zero` for any study.
[[nodiscard]] bool zero_cell_applies(ZeroCellRule to, bool has_zero, bool any_zero);

// The measure families, one file each.
void two_group_means(const StudyTable& table, const EffectOptions& options, EffectData& out);
void two_by_two(const StudyTable& table, const EffectOptions& options, EffectData& out);
void proportions(const StudyTable& table, const EffectOptions& options, EffectData& out);
void correlations(const StudyTable& table, const EffectOptions& options, EffectData& out);
void generic(const StudyTable& table, const EffectOptions& options, EffectData& out);
void incidence_two(const StudyTable& table, const EffectOptions& options, EffectData& out);
void incidence(const StudyTable& table, const EffectOptions& options, EffectData& out);
void paired(const StudyTable& table, const EffectOptions& options, EffectData& out);

}  // namespace evident::detail
