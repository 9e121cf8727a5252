#pragma once
/// \file
/// Study data from memory: columns of numbers and labels (a data frame, numpy arrays) instead of
/// a CSV file. Everything that takes a StudyTable (effect sizes, moderators, subgroups, the
/// methods) then takes these columns too, with the same names (metafor's: ai, n1i, m1i, yi, vi,
/// ...) and the same checks.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "evident/io/table.hpp"

namespace evident {

/// A column of numbers; NaN is a missing value (as an empty cell or NA in a file).
struct NumberColumn {
  std::string name;
  std::span<const double> values;
};

/// A column of whole numbers (counts such as ai or n1i).
struct IntegerColumn {
  std::string name;
  std::span<const std::int64_t> values;
};

/// A column of labels (`study`, `trial`, a categorical moderator); "" or "NA" is missing.
struct TextColumn {
  std::string name;
  std::span<const std::string> values;
};

/// Columns of one table, all of the same length. The spans must stay valid while the columns are
/// used; nothing is kept after table_from_columns returns.
struct StudyColumns {
  /// Names the data in messages, in place of a file name.
  std::string source = "<columns>";
  std::vector<NumberColumn> numbers;
  std::vector<IntegerColumn> integers;
  std::vector<TextColumn> texts;
  /// The names of every column in the order the table has them (a data frame's), so that the
  /// column a message names counts as the frame does; empty: numbers, integers, texts.
  std::vector<std::string> order;
};

/// The table the columns describe, its columns in `order` (or numbers, integers, texts). Row i
/// (0-based) is "line" i + 1 in every message, so a problem names the row as a data frame counts
/// from 1. Numbers are kept as the shortest text that reads back as the same double, so every rule
/// of a file's cells applies unchanged and the values the measures read are bitwise the ones given;
/// NaN becomes a missing cell and an infinity a cell that is not a number.
/// Throws InputError for columns of different lengths, an empty or repeated column name, no
/// column at all, or an `order` that does not name every column once. Thread-safe.
[[nodiscard]] StudyTable table_from_columns(const StudyColumns& columns);

}  // namespace evident
