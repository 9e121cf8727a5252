#pragma once
/// \file
/// Common-effect pooling of 2x2 tables and incidence counts by the Mantel-Haenszel method
/// (metafor's rma.mh) and of 2x2 tables by Peto's method (metafor's rma.peto). Both work on the
/// counts themselves, so sparse tables and studies with zero events need no continuity
/// correction; the per-study yi and vi (escalc's, with its zero-cell rules) serve only the test
/// of heterogeneity and the study table.

#include <array>
#include <cstddef>
#include <limits>
#include <span>
#include <vector>

#include "evident/effect/measure.hpp"
#include "evident/model/fit.hpp"

namespace evident {

/// Tests that come with the Mantel-Haenszel odds ratio (metafor's rma.mh). NaN when not
/// computable for the data (for example no events in any table).
struct CmhTests {
  static constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  /// Cochran-Mantel-Haenszel test of OR = 1 with continuity correction, chi-squared(1)
  /// (Mantel & Haenszel 1959, J Natl Cancer Inst 22:719-748; metafor's MH, MHp).
  double CMH = kNaN, CMH_p = kNaN;
  /// Breslow-Day test of homogeneous odds ratios (Breslow & Day 1980, IARC Sci Publ 32, eq. 4.30)
  /// and Tarone's correction of it (Tarone 1985, Biometrika 72:91-95), chi-squared with
  /// `tarone_df` = (tables with a non-degenerate expected count) - 1.
  double breslow_day = kNaN, breslow_day_p = kNaN;
  double tarone = kNaN, tarone_p = kNaN, tarone_df = kNaN;
};

/// A Mantel-Haenszel or Peto fit. `fit.k` counts the tables pooled; `fit.Q`, `Q_df` (= k_yi - 1),
/// `Q_p`, `I2` and `H2` come from the studies with an effect size, as metafor computes them.
/// `fit.method` is MH or PETO, `fit.tau2` 0, `fit.termination` closed_form or not_estimable.
struct TableFit {
  Fit fit;
  std::size_t k_yi = 0;         ///< studies with a finite yi (in the test of heterogeneity)
  std::vector<double> weights;  ///< each table's weight in percent (metafor's weights())
  CmhTests tests;               ///< OR with MH only; NaN otherwise
  bool has_tests = false;       ///< true for the Mantel-Haenszel odds ratio
};

/// Mantel-Haenszel pooling (Mantel & Haenszel 1959; Greenland & Robins 1985, Biometrics
/// 41:55-68) for `measure` OR, RR or RD on tables {ai, bi, ci, di}, or IRR, IRD on counts
/// {x1i, t1i, x2i, t2i}, as given (no continuity correction: metafor's default to = "none" for
/// the pooled estimate). Variances: Robins, Breslow & Greenland (1986, Biometrics 42:311-323) for
/// OR; Greenland & Robins (1985) for RR and RD and the rates. `yi`, `vi` are the studies' escalc
/// values, NaN for a study without one (drop00). `level` in percent. Never throws: undefined
/// estimates (no events in one group of every table) are NaN with Termination::not_estimable.
[[nodiscard]] TableFit fit_mantel_haenszel(std::span<const std::array<double, 4>> counts,
                                           std::span<const double> yi, std::span<const double> vi,
                                           Measure measure, double level);

/// Peto's one-step log odds ratio (Yusuf et al. 1985, Prog Cardiovasc Dis 27:335-371):
/// sum (O - E) / sum V over the tables {ai, bi, ci, di}, with variance 1 / sum V, and its test
/// of heterogeneity sum (O - E)^2 / V - (sum (O - E))^2 / sum V (metafor's rma.peto).
/// Not estimable (NaN) when sum V = 0: one outcome never occurs in any table.
[[nodiscard]] TableFit fit_peto(std::span<const std::array<double, 4>> counts,
                                std::span<const double> yi, std::span<const double> vi,
                                double level);

}  // namespace evident
