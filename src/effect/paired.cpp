// Paired (pre-post) designs, one group measured twice: MC, SMCC, SMCR (metafor's escalc,
// vtype "LS"). m1i, sd1i are the first measurement's mean and SD (usually after treatment), m2i,
// sd2i the second's (usually before), ri their correlation and ni the number of participants.

#include <array>
#include <cmath>
#include <span>

#include "effect/rows.hpp"

namespace evident::detail {

namespace {

// Hedges' exact small-sample correction with m = ni - 1 degrees of freedom (Hedges 1981, eq. 6e;
// metafor's .cmicalc).
double correction(double m) {
  return std::exp(std::lgamma(m / 2.0) - 0.5 * std::log(m / 2.0) - std::lgamma((m - 1.0) / 2.0));
}

}  // namespace

void paired(const StudyTable& table, const EffectOptions& options, EffectData& out) {
  const bool raw = options.measure == Measure::SMCR;  // needs no sd2i
  RowReader rows =
      raw ? RowReader(table, options.measure, {"m1i", "m2i", "sd1i", "ni", "ri"})
          : RowReader(table, options.measure, {"m1i", "m2i", "sd1i", "sd2i", "ni", "ri"});
  const std::size_t n_cols = raw ? 5 : 6;
  for (std::size_t r = 0; r < table.rows(); ++r) {
    rows.begin_row();
    std::array<double, 6> x{};
    const bool complete = rows.read(r, std::span<double>(x.data(), n_cols));
    double m1 = x[0], m2 = x[1], sd1 = x[2];
    double sd2 = raw ? 0.0 : x[3];
    const std::size_t i_n = raw ? 3 : 4, i_r = raw ? 4 : 5;
    const double n = x[i_n], ri = x[i_r];
    double yi = 0.0, vi = 0.0;
    if (complete) {
      if (sd1 < 0) rows.problem(r, rows.column(2), "a standard deviation cannot be negative");
      if (!raw && sd2 < 0)
        rows.problem(r, rows.column(3), "a standard deviation cannot be negative");
      if (!(std::fabs(ri) <= 1.0)) {
        rows.problem(r, rows.column(i_r), "a correlation must lie between -1 and 1");
      }
      const double min_n = options.measure == Measure::MC ? 1.0 : 3.0;
      if (n < min_n) {
        rows.problem(r, rows.column(i_n),
                     options.measure == Measure::MC
                         ? "ni must be at least 1"
                         : "a standardised mean change needs ni >= 3 (its correction factor has "
                           "ni - 1 degrees of freedom)");
      }
    }
    if (complete && !rows.had_problem()) {
      // Variance of the difference of two correlated measurements.
      const double var_diff = sd1 * sd1 + sd2 * sd2 - 2.0 * ri * sd1 * sd2;
      switch (options.measure) {
        case Measure::MC:
          yi = m1 - m2;
          vi = var_diff / n;
          break;
        case Measure::SMCC:
          // Change-score standardisation (Gibbons et al. 1993, J Educ Stat 18:271-279): the
          // difference over the SD of the differences, corrected; variance 1/n + yi^2 / (2n).
          yi = correction(n - 1.0) * (m1 - m2) / std::sqrt(var_diff);
          vi = 1.0 / n + yi * yi / (2.0 * n);
          break;
        case Measure::SMCR:
          // Raw-score standardisation (Becker 1988, Br J Math Stat Psychol 41:257-278): the
          // difference over the first measurement's SD; variance 2 (1 - r) / n + yi^2 / (2n).
          yi = correction(n - 1.0) * (m1 - m2) / sd1;
          vi = 2.0 * (1.0 - ri) / n + yi * yi / (2.0 * n);
          break;
        default:
          break;
      }
      if (!std::isfinite(yi) || !std::isfinite(vi) || !(vi > 0)) {
        rows.problem(r, rows.column(2),
                     "the sampling variance is 0 or undefined (standard deviations of 0, or a "
                     "correlation of 1 with equal SDs)");
      }
    }
    rows.finish_row(r, yi, vi, n, out);
  }
  rows.finish(out);
}

}  // namespace evident::detail
