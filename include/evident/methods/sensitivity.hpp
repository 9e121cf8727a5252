#pragma once
/// \file
/// Sensitivity analyses: leave-one-out, influence diagnostics, cumulative meta-analysis and
/// Baujat coordinates (metafor's leave1out, influence, cumul and baujat).
///
/// Every refit uses the options of the original fit. A refit that fails (for example a
/// meta-regression that becomes singular without one study) is recorded for that study (`ok`
/// false, its numbers NaN) and the others go on.

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "evident/methods/moderator_analysis.hpp"
#include "evident/methods/summary.hpp"
#include "evident/model/fit.hpp"
#include "evident/model/metareg.hpp"

namespace evident {

/// The pooled result of one refit (leave-one-out or cumulative), as metafor's list.rma columns.
struct RefitResult {
  bool ok = true;
  double estimate = 0.0, se = 0.0, stat = 0.0, pval = 0.0, ci_lb = 0.0, ci_ub = 0.0;
  double df = 0.0;  ///< t degrees of freedom with Knapp-Hartung; NaN for z
  double Q = 0.0, Q_p = 0.0, tau2 = 0.0, I2 = 0.0, H2 = 0.0;
};

/// Leave-one-out: element i is the model without study i (metafor's leave1out; models without
/// moderators only). Needs k >= 2.
[[nodiscard]] std::vector<RefitResult> leave1out(std::span<const double> yi,
                                                 std::span<const double> vi,
                                                 const FitOptions& options);

/// Cumulative meta-analysis: element j is the model of the studies order[0..j] (metafor's cumul
/// with `order`; models without moderators only). `order` is a permutation of 0..k-1.
[[nodiscard]] std::vector<RefitResult> cumulative(std::span<const double> yi,
                                                  std::span<const double> vi,
                                                  std::span<const std::size_t> order,
                                                  const FitOptions& options);

/// Case-deletion diagnostics of one study (metafor's influence.rma.uni; Viechtbauer & Cheung
/// 2010, Res Synth Methods 1:112-125), and its Baujat coordinates (Baujat et al. 2002, Stat Med
/// 21:2641-2652).
struct InfluenceResult {
  bool ok = true;         ///< the refit without the study succeeded
  double rstudent = 0.0;  ///< externally standardised residual
  double dffits = 0.0;
  double cook_d = 0.0;  ///< Cook's distance over all coefficients
  double cov_r = 0.0;   ///< covariance ratio det(vb without i) / det(vb)
  double tau2_del = 0.0;
  double QE_del = 0.0;
  double hat = 0.0;             ///< leverage w_i x_i'(X'WX)^-1 x_i
  double weight = 0.0;          ///< percent
  std::vector<double> dfbetas;  ///< one per coefficient
  /// metafor's flag: |dffits| > 3 sqrt(p / (k - p)), or pchisq(cook_d, p) > 0.5, or
  /// hat > 3 p / k, or any |dfbetas| > 1.
  bool influential = false;
  /// Baujat x: the study's squared Pearson residual (y_i - x_i'b)^2 / (v_i + tau2), its
  /// contribution to heterogeneity; y: (x_i'b - x_i'b_(-i))^2 / (x_i' vb_(-i) x_i), its
  /// influence on the fitted value.
  double baujat_x = 0.0, baujat_y = 0.0;
};

/// Influence diagnostics of every study for the meta-regression `fit` of `yi`, `vi` on `x`
/// (X = a column of ones for a model without moderators). Needs k >= 2.
[[nodiscard]] std::vector<InfluenceResult> influence(std::span<const double> yi,
                                                     std::span<const double> vi, DesignView x,
                                                     const MetaRegFit& fit,
                                                     const FitOptions& options);

/// Everything `evident influence` reports, assembled for the renderers.
struct InfluenceAnalysis {
  /// The fitted model: `overall` without moderators, `metareg` with them (exactly one is set).
  std::optional<Analysis> overall;
  std::optional<MetaRegAnalysis> metareg;
  std::vector<std::string> studies;        ///< labels, in input order
  std::vector<std::string> coefficients;   ///< coefficient names (for dfbetas)
  std::vector<RefitResult> leave1out;      ///< input order; empty with moderators
  std::vector<InfluenceResult> influence;  ///< input order
  std::string order_column;                ///< column the cumulative analysis is ordered by
  std::vector<std::size_t> order;          ///< study indices in cumulative order
  std::vector<RefitResult> cumulative;     ///< element j: the first j + 1 studies of `order`
  std::vector<Diagnostic> diagnostics;
};

/// Fits the model (with `moderators` when it has terms) and runs leave-one-out, influence,
/// cumulative (ordered by `order_column` ascending, missing values last, ties in input order;
/// input order when empty) and Baujat. Leave-one-out and cumulative results need a model without
/// moderators, as in metafor. Throws InputError for bad input.
[[nodiscard]] InfluenceAnalysis analyse_influence(const StudyTable& table, const AnalysisSpec& spec,
                                                  const ModeratorSpec& moderators,
                                                  const std::string& order_column);

}  // namespace evident
