#pragma once
/// \file
/// Why do results differ: meta-regression and subgroup analyses, assembled for the renderers.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "evident/effect/diagnostic.hpp"
#include "evident/effect/moderators.hpp"
#include "evident/methods/confint.hpp"
#include "evident/methods/permutation.hpp"
#include "evident/methods/summary.hpp"
#include "evident/model/metareg.hpp"

namespace evident {

/// One point at which to predict: {moderator column, value} for every moderator.
using ModeratorValues = std::vector<std::pair<std::string, std::string>>;

/// What a meta-regression analysis computes besides the fit.
struct MetaRegRequest {
  ModeratorSpec moderators;
  std::vector<ModeratorValues> predict;           ///< points for predictions (may be empty)
  std::optional<PermutationOptions> permutation;  ///< run the permutation test
};

struct PredictionResult {
  ModeratorValues values;
  std::vector<double> x;  ///< the design row
  Prediction prediction;
  std::optional<BackTransformed> back_transformed;
};

struct MetaRegAnalysis {
  std::string source;
  Measure measure = Measure::GEN;
  MetaRegFit fit;
  Design design;              ///< coefficient names are design.columns[j].name
  double R2 = 0.0;            ///< pseudo-R2 in percent (metafor's default definition)
  double tau2_without = 0.0;  ///< tau2 of the model without moderators (same estimator)
  std::optional<HeterogeneityCI> heterogeneity_ci;  ///< Q-profile interval for residual tau2
  std::vector<PredictionResult> predictions;
  std::optional<PermutationTest> permutation;
  std::vector<StudyResult> studies;  ///< weights from the fitted model
  std::vector<double> fitted;        ///< x_i'b for each study
  std::vector<Diagnostic> diagnostics;
};

/// Computes the effect sizes of `table`, builds the design of `request.moderators` and fits the
/// meta-regression with `spec.fit`, then R2, the Q-profile interval, the predictions and the
/// permutation test asked for. Throws InputError for bad input, including a model that cannot be
/// fitted (more coefficients than studies allow).
[[nodiscard]] MetaRegAnalysis analyse_metareg(const StudyTable& table, const AnalysisSpec& spec,
                                              const MetaRegRequest& request);

/// Pseudo-R2 in percent, metafor's default: the proportional reduction of tau2 from the model
/// without moderators (`tau2_without`, same estimator) to `fit`, max(0, 100 (t0 - t) / t0); 0 when
/// t0 = 0. For FE models metafor reports the adjusted R2 of the weighted least squares
/// regression instead; give its Q statistics: `q_without` (Cochran's Q) and the fit's QE.
[[nodiscard]] double pseudo_r2(const MetaRegFit& fit, double tau2_without, double q_without);

/// How heterogeneity enters a subgroup analysis.
enum class SubgroupTau2 {
  /// Each subgroup has its own tau2; subgroup differences are tested with Cochran's Q of the
  /// subgroup estimates (with their standard errors), as RevMan and R's meta (Borenstein et al.
  /// 2009, Introduction to Meta-Analysis, ch. 19).
  separate,
  /// One tau2 for all subgroups: the meta-regression on the subgroup factor; subgroup
  /// differences are its omnibus QM test (chi-squared, or F with Knapp-Hartung).
  common,
};

inline constexpr SubgroupTau2 kSubgroupTau2s[] = {SubgroupTau2::separate, SubgroupTau2::common};
/// separate, common.
[[nodiscard]] std::string_view subgroup_tau2_name(SubgroupTau2 t) noexcept;

struct SubgroupResult {
  std::string level;
  std::size_t k = 0;
  double estimate = 0.0, se = 0.0, stat = 0.0, df = 0.0, pval = 0.0;
  double ci_lb = 0.0, ci_ub = 0.0, pi_lb = 0.0, pi_ub = 0.0;
  double tau2 = 0.0;  ///< the subgroup's own tau2 (separate) or the common one
  double I2 = 0.0, H2 = 1.0;
  double Q = 0.0, Q_df = 0.0, Q_p = 1.0;  ///< Cochran's Q within the subgroup
  std::optional<BackTransformed> back_transformed;
  Termination termination = Termination::closed_form;
  int iterations = 0;
};

struct SubgroupTest {
  SubgroupTau2 tau2 = SubgroupTau2::separate;
  double Q = 0.0;    ///< chi-squared statistic (F statistic for common tau2 with Knapp-Hartung)
  double df = 0.0;   ///< number of subgroups - 1
  double ddf = 0.0;  ///< F denominator df (common tau2, Knapp-Hartung); NaN otherwise
  double p = 1.0;
  double tau2_common = 0.0;  ///< common tau2 (NaN for separate)
};

struct SubgroupAnalysis {
  Analysis overall;  ///< every study pooled, as `evident fit` without --subgroup
  std::string column;
  std::vector<SubgroupResult> subgroups;  ///< levels in sorted order
  SubgroupTest test;
  std::vector<Diagnostic> diagnostics;  ///< studies without a subgroup value, subgroup notes
};

/// Pools each level of `column` separately and tests for subgroup differences. Studies with no
/// value in `column` are left out of the subgroups (and named in diagnostics) but not of the
/// overall analysis. Throws InputError for bad input (unknown column, ...).
[[nodiscard]] SubgroupAnalysis analyse_subgroups(const StudyTable& table, const AnalysisSpec& spec,
                                                 const std::string& column, SubgroupTau2 tau2);

}  // namespace evident
