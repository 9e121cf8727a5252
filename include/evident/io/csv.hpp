#pragma once
/// \file
/// Reading CSV files (RFC 4180) into a StudyTable.

#include <iosfwd>
#include <string>

#include "evident/io/table.hpp"

namespace evident {

/// Reads RFC 4180 CSV: a header row, then one record per row. Quoted fields may hold commas,
/// doubled quotes and line breaks; lines may end in LF or CRLF; a UTF-8 byte order mark is
/// skipped; blank lines are ignored. Header names are trimmed of surrounding spaces.
///
/// Throws InputError (every problem with file, line and column) for: an empty input, an empty or
/// duplicate column name, a row with too few or too many fields, an unterminated quote, text after
/// a closing quote. `source` is the name used in messages; a column in a message is the 1-based
/// field number.
[[nodiscard]] StudyTable read_csv(std::istream& in, const std::string& source);

/// Opens and reads a file; throws InputError if it cannot be opened.
[[nodiscard]] StudyTable read_csv_file(const std::string& path);

}  // namespace evident
