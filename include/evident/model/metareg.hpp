#pragma once
/// \file
/// Mixed-effects meta-regression (metafor's rma.uni with `mods`).
///
/// Model: yi = xi'beta + ui + ei, ei ~ N(0, vi) with vi known, ui ~ N(0, tau2); xi is row i of
/// the k x p design matrix X, whose first column is the intercept. tau2 is the residual
/// heterogeneity, estimated by any of the estimators of evident::fit; beta by weighted least
/// squares with weights 1 / (vi + tau2) (Viechtbauer 2010, J Stat Softw 36(3), section 3.3;
/// Raudenbush 2009, in The Handbook of Research Synthesis and Meta-Analysis, ch. 16).
///
/// Every quantity is computed from p x p matrices (X'WX and its Cholesky factor, X' diag(d) X for
/// a few diagonals d) and weighted residuals, never from a k x k matrix: one evaluation of the
/// model at a given tau2 costs O(k p^2), so k = 10^6 studies with p = 5 fit in well under a second
/// per iteration.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "evident/effect/design.hpp"
#include "evident/model/fit.hpp"

namespace evident {

/// Whether a meta-regression could be fitted at all.
enum class RegressionStatus : std::uint8_t {
  ok,
  rank_deficient,   ///< X'WX is singular: a column of X is a combination of the others
  too_few_studies,  ///< k < p, or k = p with tau2 to estimate (metafor stops there too)
};

/// The result of fit_metareg: every number metafor's rma() prints for a model with moderators.
/// Vectors have one element per column of X. When `status` is not ok, only `status`, `k`, `p`,
/// `method`, `test` and `level` are meaningful.
struct MetaRegFit {
  RegressionStatus status = RegressionStatus::ok;
  Method method = Method::REML;
  Test test = Test::z;
  double level = 95.0;
  std::size_t k = 0;
  std::size_t p = 0;

  std::vector<double> beta;   ///< coefficients
  std::vector<double> se;     ///< their standard errors (Knapp-Hartung scaled with Test::knha)
  std::vector<double> stat;   ///< z or t statistics
  std::vector<double> pval;   ///< two-sided p-values
  std::vector<double> ci_lb;  ///< confidence interval bounds
  std::vector<double> ci_ub;
  /// Covariance matrix of beta, p x p row by row: s2w (X'WX)^-1, as metafor's `vb`.
  std::vector<double> vb;
  /// (X'WX)^-1 without the Knapp-Hartung factor (needed for hat values and influence).
  std::vector<double> xtwx_inv;
  double df = 0.0;   ///< t and F denominator degrees of freedom k - p with Test::knha; NaN for z
  double s2w = 1.0;  ///< Knapp-Hartung factor: weighted residual sum of squares / (k - p)

  double tau2 = 0.0;     ///< residual heterogeneity
  double tau2_se = 0.0;  ///< as metafor reports it; NaN for FE
  /// Omnibus test of the moderators (every coefficient but the intercept; the intercept itself
  /// when p = 1): Wald chi-squared with QM_df = p - 1 degrees of freedom, or with Test::knha
  /// QM / QM_df against F(QM_df, k - p) (metafor's QM, QMdf, QMp).
  double QM = 0.0, QM_df = 0.0, QM_p = 0.0;
  /// Test for residual heterogeneity: sum (yi - xi'b)^2 / vi with b the weighted least squares
  /// fit with weights 1 / vi, against chi-squared(k - p) (metafor's QE, QEp).
  double QE = 0.0, QE_df = 0.0, QE_p = 0.0;
  double I2 = 0.0;  ///< residual heterogeneity in percent, with vt below
  double H2 = 1.0;
  /// Typical within-study variance of the residuals: (k - p) / tr(P) at tau2 = 0 (metafor's vt).
  double vt = 0.0;
  Termination termination = Termination::closed_form;
  int iterations = 0;
  std::uint32_t notes = kNoteNone;
};

/// Fits the mixed-effects meta-regression of `yi` (sampling variances `vi`) on the columns of
/// `x` (k x p, first column the intercept). Requirements as for evident::fit (finite yi, positive
/// finite vi; assert-checked). Never throws: a singular design or too few studies is reported in
/// `status`; an estimator that stops early in `termination` and `notes`. Thread-safe.
///
/// With `x` a single column of ones it reproduces evident::fit (beta = estimate, QE = Q) to
/// rounding error.
[[nodiscard]] MetaRegFit fit_metareg(std::span<const double> yi, std::span<const double> vi,
                                     DesignView x, const FitOptions& options);

}  // namespace evident
