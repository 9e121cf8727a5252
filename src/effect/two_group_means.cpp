// Measures from two groups' means, SDs and sizes: MD, SMD, ROM (metafor's escalc, vtype "LS").

#include <array>
#include <cmath>

#include "effect/rows.hpp"

namespace evident::detail {

namespace {

// Hedges' exact small-sample correction c(m) = Gamma(m/2) / (sqrt(m/2) Gamma((m-1)/2))
// (Hedges 1981, J Educ Stat 6:107-128, eq. 6e), through log-gamma to avoid overflow.
double hedges_correction(double m) {
  return std::exp(std::lgamma(m / 2.0) - 0.5 * std::log(m / 2.0) - std::lgamma((m - 1.0) / 2.0));
}

}  // namespace

void two_group_means(const StudyTable& table, const EffectOptions& options, EffectData& out) {
  RowReader rows(table, options.measure, {"m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i"});
  std::array<double, 6> x{};
  for (std::size_t r = 0; r < table.rows(); ++r) {
    rows.begin_row();
    const bool complete = rows.read(r, x);
    const auto [m1, sd1, n1, m2, sd2, n2] = x;
    double yi = 0.0, vi = 0.0;
    if (complete) {
      for (int j : {1, 4}) {
        if (x[j] < 0) rows.problem(r, rows.column(j), "a standard deviation cannot be negative");
      }
      for (int j : {2, 5}) {
        if (x[j] < 2) {
          rows.problem(r, rows.column(j),
                       "a group needs at least 2 participants for its standard deviation to exist");
        }
      }
      if (options.measure == Measure::ROM) {
        for (int j : {0, 3}) {
          if (!(x[j] > 0)) {
            rows.problem(r, rows.column(j),
                         "the ratio of means (ROM) needs positive means; use MD or SMD instead");
          }
        }
      }
    }
    if (complete && !rows.had_problem()) {
      switch (options.measure) {
        case Measure::MD:
          yi = m1 - m2;
          vi = sd1 * sd1 / n1 + sd2 * sd2 / n2;
          break;
        case Measure::SMD: {
          // Hedges' g: the difference over the pooled SD, times the exact correction; large-sample
          // variance 1/n1 + 1/n2 + g^2 / (2 (n1 + n2)) (Hedges & Olkin 1985, eq. 5.15 with g).
          const double m = n1 + n2 - 2.0;
          const double sp = std::sqrt(((n1 - 1.0) * sd1 * sd1 + (n2 - 1.0) * sd2 * sd2) / m);
          if (!(sp > 0)) {
            rows.problem(r, rows.column(1),
                         "both standard deviations are 0, so the standardised difference is "
                         "undefined");
            break;
          }
          yi = hedges_correction(m) * (m1 - m2) / sp;
          vi = 1.0 / n1 + 1.0 / n2 + yi * yi / (2.0 * (n1 + n2));
          break;
        }
        case Measure::ROM:
          // Hedges, Gurevitch & Curtis (1999), Ecology 80:1150-1156, eqs. 5 and 9.
          yi = std::log(m1 / m2);
          vi = sd1 * sd1 / (n1 * m1 * m1) + sd2 * sd2 / (n2 * m2 * m2);
          break;
        default:
          break;
      }
      if (!rows.had_problem() && !(vi > 0)) {
        rows.problem(r, rows.column(1),
                     "both standard deviations are 0, so the sampling variance is 0");
      }
    }
    rows.finish_row(r, yi, vi, n1 + n2, out);
  }
  rows.finish(out);
}

}  // namespace evident::detail
