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

#include "evident/confint.hpp"
#include "evident/fit.hpp"
#include "evident/predict.hpp"

namespace evident {

/// A k x p design matrix stored row by row: element (i, j) is `values[i * p + j]`.
struct DesignView {
  std::span<const double> values;
  std::size_t p = 1;

  [[nodiscard]] std::size_t rows() const noexcept { return p == 0 ? 0 : values.size() / p; }
  [[nodiscard]] double operator()(std::size_t i, std::size_t j) const { return values[i * p + j]; }
};

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

/// The fitted value at moderator values `x0` (a row of the design, intercept included) with its
/// confidence interval and the prediction interval for the true effect of a new study,
/// x0'b -/+ crit sqrt(x0' vb x0 + tau2), crit from N(0, 1) or t(k - p) as the model's test
/// (metafor's predict with newmods). NaN prediction interval for FE, as evident::predict.
[[nodiscard]] Prediction predict(const MetaRegFit& fit, std::span<const double> x0);

/// Q-profile confidence interval for the residual heterogeneity (Viechtbauer 2007; metafor's
/// confint with moderators): the tau2 where the generalised residual Q statistic
/// y'P(tau2)y equals the chi-squared(k - p) quantiles. nullopt for FE and when the fit failed.
[[nodiscard]] std::optional<HeterogeneityCI> confint_tau2(std::span<const double> yi,
                                                          std::span<const double> vi, DesignView x,
                                                          const MetaRegFit& fit, double level);

/// Pseudo-R2 in percent, metafor's default: the proportional reduction of tau2 from the model
/// without moderators (`tau2_without`, same estimator) to `fit`, max(0, 100 (t0 - t) / t0); 0 when
/// t0 = 0. For FE models metafor reports the adjusted R2 of the weighted least squares
/// regression instead; give its Q statistics: `q_without` (Cochran's Q) and the fit's QE.
[[nodiscard]] double pseudo_r2(const MetaRegFit& fit, double tau2_without, double q_without);

}  // namespace evident
