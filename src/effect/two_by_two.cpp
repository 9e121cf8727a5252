// Measures from 2x2 tables (events and non-events in two groups): OR, RR, RD (metafor's escalc).

#include <fmt/format.h>

#include <array>
#include <cmath>

#include "effect/rows.hpp"

namespace evident::detail {

namespace {

struct Table2x2 {
  std::size_t row;
  double a, b, c, d;  // events / non-events, group 1 then group 2
  [[nodiscard]] bool has_zero() const { return a == 0 || b == 0 || c == 0 || d == 0; }
};

}  // namespace

void two_by_two(const StudyTable& table, const EffectOptions& options, EffectData& out) {
  RowReader rows(table, options.measure, {"ai", "ci"});
  // Group sizes may be given as non-events (bi, di) or totals (n1i, n2i), as metafor accepts.
  const std::size_t col_b = rows.either("bi", "n1i");
  const std::size_t col_d = rows.either("di", "n2i");
  const bool b_is_total = table.column_names()[col_b] == "n1i";
  const bool d_is_total = table.column_names()[col_d] == "n2i";

  // First pass: read and check every row, so that `to = if0all` can see all tables.
  std::vector<Table2x2> tables;
  std::vector<std::size_t> kept_rows;
  for (std::size_t r = 0; r < table.rows(); ++r) {
    rows.begin_row();
    std::array<double, 2> ac{};
    bool complete = rows.read(r, ac);
    const auto b_or_n1 = rows.number(r, col_b);
    const auto d_or_n2 = rows.number(r, col_d);
    complete = complete && b_or_n1 && d_or_n2;
    Table2x2 t{r, ac[0], 0.0, ac[1], 0.0};
    if (complete) {
      t.b = b_is_total ? *b_or_n1 - t.a : *b_or_n1;
      t.d = d_is_total ? *d_or_n2 - t.c : *d_or_n2;
      const std::array<std::pair<double, std::size_t>, 4> counts{
          {{t.a, rows.column(0)}, {*b_or_n1, col_b}, {t.c, rows.column(1)}, {*d_or_n2, col_d}}};
      for (const auto& [value, column] : counts) {
        if (value < 0) rows.problem(r, column, "a count cannot be negative");
      }
      if (!rows.had_problem()) {
        if (t.b < 0) {
          rows.problem(
              r, rows.column(0),
              fmt::format("more events ({}) than participants ({})", show(t.a), show(*b_or_n1)));
        }
        if (t.d < 0) {
          rows.problem(
              r, rows.column(1),
              fmt::format("more events ({}) than participants ({})", show(t.c), show(*d_or_n2)));
        }
        if (t.a + t.b <= 0) rows.problem(r, col_b, "group 1 has no participants");
        if (t.c + t.d <= 0) rows.problem(r, col_d, "group 2 has no participants");
      }
    }
    // Rows are added to `out` in the second pass; here only exclusions are recorded.
    if (!complete || rows.had_problem()) {
      rows.finish_row(r, 0.0, 0.0, 0.0, out);
    } else {
      tables.push_back(t);
    }
  }

  bool any_zero = false;
  for (const auto& t : tables)
    any_zero = any_zero || t.has_zero();
  const double add = options.add;

  for (const auto& t0 : tables) {
    rows.begin_row();
    Table2x2 t = t0;
    const double n_total = t.a + t.b + t.c + t.d;
    bool corrected = false;
    switch (options.to) {
      case ZeroCellRule::only0:
        corrected = t.has_zero();
        break;
      case ZeroCellRule::all:
        corrected = true;
        break;
      case ZeroCellRule::if0all:
        corrected = any_zero;
        break;
      case ZeroCellRule::none:
        corrected = false;
        break;
    }
    corrected = corrected && add != 0.0;
    if (corrected) {
      t.a += add;
      t.b += add;
      t.c += add;
      t.d += add;
    }
    const double n1 = t.a + t.b, n2 = t.c + t.d;
    const double p1 = t.a / n1, p2 = t.c / n2;
    double yi = 0.0, vi = 0.0;
    switch (options.measure) {
      case Measure::OR:
        // Woolf (1955): log odds ratio and the sum of reciprocal cell counts.
        yi = std::log(p1 / (1.0 - p1)) - std::log(p2 / (1.0 - p2));
        vi = 1.0 / t.a + 1.0 / t.b + 1.0 / t.c + 1.0 / t.d;
        break;
      case Measure::RR:
        // Log risk ratio and its delta-method variance (Katz et al. 1978, Biometrics 34:469).
        yi = std::log(p1) - std::log(p2);
        vi = 1.0 / t.a - 1.0 / n1 + 1.0 / t.c - 1.0 / n2;
        break;
      case Measure::RD:
        yi = p1 - p2;
        vi = p1 * (1.0 - p1) / n1 + p2 * (1.0 - p2) / n2;
        break;
      default:
        break;
    }
    if (!std::isfinite(yi) || !std::isfinite(vi) || !(vi > 0)) {
      rows.problem(t.row, rows.column(0),
                   fmt::format("the {} cannot be computed for this table (a zero cell with no "
                               "correction, or no variance: all or no events in both groups)",
                               measure_name(options.measure)));
    }
    if (rows.finish_row(t.row, yi, vi, n_total, out) && corrected &&
        options.to == ZeroCellRule::only0) {
      out.diagnostics.push_back(
          {DiagnosticCode::zero_cell_corrected,
           fmt::format("{}:{}: a zero cell: {} added to each cell of this study", table.source(),
                       table.line(t.row), show(add)),
           out.labels.back()});
    }
  }
  if (!tables.empty() && add != 0.0 &&
      (options.to == ZeroCellRule::all || (options.to == ZeroCellRule::if0all && any_zero))) {
    out.diagnostics.push_back({DiagnosticCode::zero_cell_corrected,
                               fmt::format("{} added to each cell of every study", show(add)),
                               {}});
  }
  rows.finish(out);
}

}  // namespace evident::detail
