// Correlation coefficients: COR and ZCOR (metafor's escalc, vtype "LS").

#include <array>
#include <cmath>

#include "effect/rows.hpp"

namespace evident::detail {

void correlations(const StudyTable& table, const EffectOptions& options, EffectData& out) {
  RowReader rows(table, options.measure, {"ri", "ni"});
  const bool z = options.measure == Measure::ZCOR;
  const double min_n = z ? 4.0 : 2.0;
  std::array<double, 2> x{};
  for (std::size_t r = 0; r < table.rows(); ++r) {
    rows.begin_row();
    const bool complete = rows.read(r, x);
    const auto [ri, ni] = x;
    double yi = 0.0, vi = 0.0;
    if (complete) {
      if (!(std::fabs(ri) < 1.0)) {
        rows.problem(r, rows.column(0),
                     "a correlation must lie strictly between -1 and 1 (its variance is 0 at "
                     "+/-1)");
      }
      if (ni < min_n) {
        rows.problem(r, rows.column(1),
                     z ? "ZCOR needs ni >= 4: its sampling variance is 1 / (ni - 3)"
                       : "COR needs ni >= 2: its sampling variance divides by ni - 1");
      }
    }
    if (complete && !rows.had_problem()) {
      if (z) {
        // Fisher (1921): z = atanh(r), variance 1 / (n - 3).
        yi = std::atanh(ri);
        vi = 1.0 / (ni - 3.0);
      } else {
        // Large-sample variance (1 - r^2)^2 / (n - 1) (Olkin & Pratt 1958; metafor's "LS").
        yi = ri;
        vi = (1.0 - ri * ri) * (1.0 - ri * ri) / (ni - 1.0);
      }
    }
    rows.finish_row(r, yi, vi, ni, out);
  }
  rows.finish(out);
}

}  // namespace evident::detail
