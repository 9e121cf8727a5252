#include "evident/io/csv.hpp"

#include <fmt/format.h>

#include <cstdint>
#include <fstream>
#include <string_view>
#include <unordered_set>
#include <utility>

#include "io/csv_stream.hpp"
#include "io/input_file.hpp"

namespace evident {

StudyTable read_csv(std::istream& in, const std::string& source) {
  // The input's size, when it has one (a file, not a pipe): how far through it the first rows
  // are tells how many rows to make room for.
  std::uint64_t size = 0;
  const std::streampos start = in.tellg();
  if (start != std::streampos(-1)) {
    if (in.seekg(0, std::ios::end)) {
      const std::streampos end = in.tellg();
      if (end > start) size = static_cast<std::uint64_t>(end - start);
    }
    in.clear();
    in.seekg(start);
  }
  in.clear();

  // Records are read in blocks (detail::CsvStream), so the file's text is never held whole: the
  // table keeps only its cells.
  ProblemList problems;
  detail::CsvStream csv(in, source);
  const auto next = [&] {
    try {
      return csv.next();
    } catch (const InputError& e) {
      // An unterminated quote: the rest of the input would be one field. Reported after the
      // problems found before it.
      for (const InputProblem& p : e.problems())
        problems.add(p.where, p.message);
      problems.throw_if_any();
      throw;
    }
  };
  const auto note_problem = [&] {
    if (!csv.problem().empty()) {
      problems.add({source, csv.problem_line(), csv.problem_field()}, csv.problem());
    }
  };

  if (!next()) {
    throw InputError({source, 0, 0}, "the file is empty: expected a header row naming the columns");
  }
  note_problem();
  std::vector<std::string> names;
  names.reserve(csv.fields().size());
  std::unordered_set<std::string> seen;
  for (std::size_t c = 0; c < csv.fields().size(); ++c) {
    std::string name(trim_spaces(csv.fields()[c]));
    if (name.empty()) {
      problems.add({source, csv.line(), c + 1}, "empty column name in the header row");
    } else if (!seen.insert(name).second) {
      problems.add({source, csv.line(), c + 1}, fmt::format("duplicate column name '{}'", name));
    }
    names.push_back(std::move(name));
  }
  const std::size_t header_line = csv.line();
  const std::uint64_t header_bytes = csv.bytes_read();
  StudyTable table(source, names);

  // After the first rows, room for all of them as estimated from the share of the input they
  // took: a table of millions of rows then grows without copying itself at every doubling.
  constexpr std::size_t kSampleRows = 1024;
  while (next()) {
    note_problem();
    const auto& fields = csv.fields();
    if (fields.size() != names.size()) {
      if (fields.size() < names.size()) {
        problems.add({source, csv.line(), 0},
                     fmt::format("too few fields: {} of the {} the header (line {}) names; the "
                                 "first missing one is '{}'",
                                 fields.size(), names.size(), header_line, names[fields.size()]));
      } else {
        problems.add({source, csv.line(), names.size() + 1},
                     fmt::format("too many fields: {} where the header (line {}) names {}",
                                 fields.size(), header_line, names.size()));
      }
      continue;
    }
    table.add_row(fields, csv.line());
    if (table.rows() == kSampleRows && size > csv.bytes_read()) {
      const double share = static_cast<double>(csv.bytes_read() - header_bytes) /
                           static_cast<double>(size - header_bytes);
      table.reserve(static_cast<std::size_t>(1.02 * kSampleRows / share) + kSampleRows);
    }
  }
  problems.throw_if_any();
  return table;
}

StudyTable read_csv_file(const std::string& path) {
  std::ifstream in = detail::open_input_file(path);
  return read_csv(in, path);
}

}  // namespace evident
