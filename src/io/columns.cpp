#include "evident/io/columns.hpp"

#include <fmt/format.h>

#include <algorithm>
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

  // from[j]: the column (in numbers, integers, texts order) that is the table's column j.
  std::vector<std::size_t> from(names.size());
  for (std::size_t j = 0; j < from.size(); ++j)
    from[j] = j;
  if (!columns.order.empty()) {
    bool complete = columns.order.size() == names.size();
    for (std::size_t j = 0; complete && j < names.size(); ++j) {
      const auto at = std::find(names.begin(), names.end(), columns.order[j]);
      complete = at != names.end();
      if (complete) from[j] = static_cast<std::size_t>(at - names.begin());
    }
    std::set<std::size_t> distinct(from.begin(), from.end());
    if (!complete || distinct.size() != names.size()) {
      throw InputError({columns.source, 0, 0},
                       fmt::format("the column order ({}) must name every column once ({})",
                                   fmt::join(columns.order, ", "), fmt::join(names, ", ")));
    }
  }
  std::vector<std::string> table_names(names.size());
  for (std::size_t j = 0; j < names.size(); ++j)
    table_names[j] = names[from[j]];

  StudyTable table(columns.source, table_names);
  const std::size_t rows = lengths[0];
  table.reserve(rows);
  std::vector<std::string> text(names.size());
  std::vector<std::string_view> given(names.size()), cells(names.size());
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
      given[c + t] = columns.texts[t].values[r];
    for (std::size_t i = 0; i < c; ++i)
      given[i] = text[i];
    for (std::size_t j = 0; j < names.size(); ++j)
      cells[j] = given[from[j]];
    table.add_row(cells, r + 1);
  }
  return table;
}

}  // namespace evident
