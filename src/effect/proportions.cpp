// Single proportions (events xi out of ni): PR, PLO, PAS, PFT (metafor's escalc, vtype "LS").

#include <fmt/format.h>

#include <array>
#include <cmath>

#include "effect/rows.hpp"

namespace evident::detail {

namespace {
struct Counts {
  std::size_t row;
  double x, m;  // events, non-events
};
}  // namespace

void proportions(const StudyTable& table, const EffectOptions& options, EffectData& out) {
  RowReader rows(table, options.measure, {"xi"});
  const std::size_t col_n = rows.either("ni", "mi");
  const bool n_is_total = table.column_names()[col_n] == "ni";

  std::vector<Counts> kept;
  for (std::size_t r = 0; r < table.rows(); ++r) {
    rows.begin_row();
    std::array<double, 1> x{};
    bool complete = rows.read(r, x);
    const auto n_or_m = rows.number(r, col_n);
    complete = complete && n_or_m;
    Counts c{r, x[0], 0.0};
    if (complete) {
      c.m = n_is_total ? *n_or_m - c.x : *n_or_m;
      if (c.x < 0) rows.problem(r, rows.column(0), "a count cannot be negative");
      if (*n_or_m < 0) rows.problem(r, col_n, "a count cannot be negative");
      if (!rows.had_problem() && c.m < 0) {
        rows.problem(r, rows.column(0),
                     fmt::format("more events ({}) than participants ({}): the proportion would "
                                 "exceed 1",
                                 show(c.x), show(*n_or_m)));
      }
      if (!rows.had_problem() && c.x + c.m <= 0) rows.problem(r, col_n, "no participants");
    }
    if (!complete || rows.had_problem()) {
      rows.finish_row(r, 0.0, 0.0, 0.0, out);
    } else {
      kept.push_back(c);
    }
  }

  bool any_zero = false;
  for (const auto& c : kept)
    any_zero = any_zero || c.x == 0 || c.m == 0;
  const double add = options.add;
  for (const auto& c0 : kept) {
    rows.begin_row();
    Counts c = c0;
    const double n_raw = c.x + c.m;
    bool corrected = false;
    switch (options.to) {
      case ZeroCellRule::only0:
        corrected = c.x == 0 || c.m == 0;
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
      c.x += add;
      c.m += add;
    }
    const double n = c.x + c.m;
    const double p = c.x / n;
    double yi = 0.0, vi = 0.0;
    switch (options.measure) {
      case Measure::PR:
        yi = p;
        vi = p * (1.0 - p) / n;
        break;
      case Measure::PLO:
        yi = std::log(p / (1.0 - p));
        vi = 1.0 / c.x + 1.0 / c.m;
        break;
      case Measure::PAS:
        // Variance-stabilising arcsine transformation, variance 1 / (4 n).
        yi = std::asin(std::sqrt(p));
        vi = 1.0 / (4.0 * n);
        break;
      case Measure::PFT:
        // Freeman & Tukey (1950), Ann Math Stat 21:607-611, halved as in Miller (1978).
        yi = 0.5 * (std::asin(std::sqrt(c.x / (n + 1.0))) +
                    std::asin(std::sqrt((c.x + 1.0) / (n + 1.0))));
        vi = 1.0 / (4.0 * n + 2.0);
        break;
      default:
        break;
    }
    if (!std::isfinite(yi) || !std::isfinite(vi) || !(vi > 0)) {
      rows.problem(c.row, rows.column(0),
                   fmt::format("the {} cannot be computed: a proportion of 0 or 1 with no "
                               "correction (use --add or another measure)",
                               measure_name(options.measure)));
    }
    if (rows.finish_row(c.row, yi, vi, n_raw, out) && corrected &&
        options.to == ZeroCellRule::only0) {
      out.diagnostics.push_back(
          {DiagnosticCode::zero_cell_corrected,
           fmt::format("{}:{}: 0 events or 0 non-events: {} added to both counts", table.source(),
                       table.line(c.row), show(add)),
           out.labels.back()});
    }
  }
  if (!kept.empty() && add != 0.0 &&
      (options.to == ZeroCellRule::all || (options.to == ZeroCellRule::if0all && any_zero))) {
    out.diagnostics.push_back(
        {DiagnosticCode::zero_cell_corrected,
         fmt::format("{} added to the event and non-event counts of every study", show(add)),
         {}});
  }
  rows.finish(out);
}

}  // namespace evident::detail
