#include "evident/io/columns.hpp"

#include <fmt/format.h>

#include <cmath>
#include <set>
#include <string_view>

#include "evident/io/error.hpp"
#include "io/number_text.hpp"

namespace evident {

StudyTable table_from_columns(const StudyColumns& columns) {
  std::vector<std::string> names;
  std::vector<std::size_t> lengths;
  for (const auto& c : columns.numbers) {
    names.push_back(c.name);
    lengths.push_back(c.values.size());
  }
  for (const auto& c : columns.integers) {
    names.push_back(c.name);
    lengths.push_back(c.values.size());
  }
  for (const auto& c : columns.texts) {
    names.push_back(c.name);
    lengths.push_back(c.values.size());
  }
  ProblemList problems;
  if (names.empty()) problems.add({columns.source, 0, 0}, "no columns were given");
  std::set<std::string_view> seen;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i].empty()) {
      problems.add({columns.source, 0, i + 1}, "empty column name");
    } else if (!seen.insert(names[i]).second) {
      problems.add({columns.source, 0, i + 1}, fmt::format("duplicate column name '{}'", names[i]));
    }
    if (lengths[i] != lengths[0]) {
      problems.add({columns.source, 0, i + 1},
                   fmt::format("column '{}' has {} values where '{}' has {}: every column must "
                               "have one value per study",
                               names[i], lengths[i], names[0], lengths[0]));
    }
  }
  problems.throw_if_any();

  StudyTable table(columns.source, names);
  const std::size_t rows = lengths[0];
  table.reserve(rows);
  std::vector<std::string> text(names.size());
  std::vector<std::string_view> cells(names.size());
  for (std::size_t r = 0; r < rows; ++r) {
    std::size_t c = 0;
    for (const auto& col : columns.numbers) {
      const double x = col.values[r];
      text[c].clear();
      if (std::isfinite(x)) {
        detail::append_shortest(text[c], x);
      } else if (!std::isnan(x)) {
        text[c] = x > 0 ? "Inf" : "-Inf";  // not a number, as in a file
      }
      ++c;
    }
    for (const auto& col : columns.integers) {
      text[c] = std::to_string(col.values[r]);
      ++c;
    }
    for (std::size_t t = 0; t < columns.texts.size(); ++t)
      cells[c + t] = columns.texts[t].values[r];
    for (std::size_t i = 0; i < c; ++i)
      cells[i] = text[i];
    table.add_row(cells, r + 1);
  }
  return table;
}

}  // namespace evident
