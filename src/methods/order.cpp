#include "methods/order.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "evident/effect/moderators.hpp"
#include "evident/io/error.hpp"

namespace evident::detail {

std::vector<std::size_t> order_by(const StudyTable& table, const EffectData& data,
                                  const std::string& column) {
  std::vector<std::size_t> order(data.k());
  for (std::size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  if (column.empty()) return order;
  const auto col = table.find_column(column);
  if (!col) {
    throw InputError(
        {table.source(), 1, 0},
        fmt::format("--order names the column '{}', which the file does not have", column));
  }
  const std::vector<std::size_t> rows = table_rows(table, data);
  std::vector<std::string> text(data.k());
  bool numeric = true;
  for (std::size_t i = 0; i < data.k(); ++i) {
    text[i] = table.cell(rows[i], *col);
    const CellKind kind = parse_number(text[i]).kind;
    if (kind == CellKind::not_number) numeric = false;
  }
  auto missing = [&](std::size_t i) { return parse_number(text[i]).kind == CellKind::missing; };
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    if (missing(a) || missing(b)) return !missing(a) && missing(b);
    if (numeric) return parse_number(text[a]).value < parse_number(text[b]).value;
    return text[a] < text[b];
  });
  return order;
}

}  // namespace evident::detail
