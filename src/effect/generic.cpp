// Effect sizes given directly: yi with vi, or yi with sei (metafor's yi/vi or yi/sei arguments).

#include <cmath>
#include <optional>

#include "effect/rows.hpp"

namespace evident::detail {

namespace {

// Without --measure the table must hold effect sizes; if it holds raw data instead, say which
// measures fit its columns.
void require_effect_columns(const StudyTable& table) {
  if (table.find_column("yi")) return;
  auto has = [&](std::initializer_list<std::string_view> names) {
    for (auto n : names) {
      if (!table.find_column(n)) return false;
    }
    return true;
  };
  std::string hint;
  if (has({"m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i"})) {
    hint = "; the columns are two groups' means: use --measure MD, SMD or ROM";
  } else if (has({"ai", "ci"}) && (has({"bi", "di"}) || has({"n1i", "n2i"}))) {
    hint = "; the columns are 2x2 tables: use --measure OR, RR or RD";
  } else if (has({"xi"}) && (has({"ni"}) || has({"mi"}))) {
    hint = "; the columns are proportions: use --measure PR, PLO, PAS or PFT";
  } else if (has({"ri", "ni"})) {
    hint = "; the columns are correlations: use --measure COR or ZCOR";
  }
  throw InputError({table.source(), 1, 0},
                   "no --measure given, so effect sizes are expected in a column 'yi' (with 'vi' "
                   "or 'sei')" +
                       hint);
}

}  // namespace

void generic(const StudyTable& table, const EffectOptions& options, EffectData& out) {
  require_effect_columns(table);
  RowReader rows(table, options.measure, {"yi"});
  const auto col_v = rows.optional_column("vi");
  const auto col_se = rows.optional_column("sei");
  if (!col_v && !col_se) (void)rows.either("vi", "sei");  // throws, naming both
  auto present = [&](std::optional<std::size_t> col, std::size_t r) {
    return col && parse_number(table.cell(r, *col)).kind != CellKind::missing;
  };
  for (std::size_t r = 0; r < table.rows(); ++r) {
    rows.begin_row();
    const auto yi = rows.number(r, rows.column(0));
    // As metafor: vi where given, else sei squared.
    const bool use_se = !present(col_v, r) && present(col_se, r);
    const std::size_t col = use_se ? *col_se : (col_v ? *col_v : *col_se);
    std::optional<double> vi = rows.number(r, col);
    if (vi && *vi < 0) {
      rows.problem(r, col,
                   use_se ? "a standard error cannot be negative"
                          : "a sampling variance cannot be negative");
    } else if (vi && *vi == 0) {
      rows.problem(r, col,
                   "a sampling variance of 0 would give this study infinite weight; it must be "
                   "positive");
    }
    if (vi && use_se) *vi = *vi * *vi;
    rows.finish_row(r, yi.value_or(0.0), vi.value_or(0.0), std::nan(""), out);
  }
  rows.finish(out);
}

}  // namespace evident::detail
