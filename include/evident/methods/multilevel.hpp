#pragma once
/// \file
/// A multilevel analysis of a study table (`evident fit --random`): the random-effects formulas
/// read as metafor's rma.mv reads them, the sampling covariances built as its vcalc builds them,
/// the model fitted by fit_multilevel (model/multilevel.hpp), and cluster-robust inference.

#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "evident/effect/diagnostic.hpp"
#include "evident/effect/moderators.hpp"
#include "evident/io/table.hpp"
#include "evident/methods/summary.hpp"
#include "evident/model/multilevel.hpp"

namespace evident {

/// A parsed random-effects formula `~ 1 | a/b/c`: the nesting factors, outermost first; or
/// `~ inner | outer`, a correlated random effect for the levels of `inner` within each level of
/// `outer` (one factor), whose covariance structure is the analysis's struct.
struct RandomFormula {
  std::vector<std::string> factors;
  std::string inner;  ///< empty: `~ 1 | ...`

  [[nodiscard]] bool structured() const noexcept { return !inner.empty(); }
};

/// Parses one formula; throws InputError located at `option` when it is not of the form
/// `~ 1 | a`, `~ 1 | a/b/...` or `~ inner | outer`.
[[nodiscard]] RandomFormula parse_random_formula(const std::string& text,
                                                 const std::string& option);

struct MultilevelAnalysis {
  std::string source;
  Measure measure = Measure::GEN;
  MultilevelFit fit;
  Design design;                          ///< coefficient names: design.columns[j].name
  std::vector<std::string> sigma2_names;  ///< one per component, metafor's names
  /// The correlated random effect `~ inner | outer`, if the formulas have one: its structure,
  /// the formula's factors and the inner factor's levels in the order of fit.tau2 and fit.rho
  /// (sorted: numerically when every level is a number, else by their text).
  std::optional<Structure> structure;
  std::string inner, structured_outer;
  std::vector<std::string> inner_levels;
  std::uint32_t structured_outer_levels = 0;
  std::string outer;          ///< the outermost factor of the first formula
  std::optional<double> rho;  ///< the sampling correlation used, if any
  std::optional<RobustFit> robust;
  std::string robust_cluster;
  /// Intercept-only models: the pooled estimate's prediction interval, with the sum of the
  /// variance components as the heterogeneity (metafor's predict on an rma.mv fit).
  std::optional<Prediction> prediction;
  /// Intercept-only models without a tau2 per level: the share of the total variability that is
  /// heterogeneity, 100 total / (total + vt), total the summed variance components and vt the
  /// typical sampling variance (k - 1) / (sum w - sum w^2 / sum w), w = 1 / vi (Nakagawa &
  /// Santos 2012, Evol Ecol 26:1253-1274, eq. 20; the formula of metafor's FAQ "I^2 for
  /// multilevel and multivariate models"). NaN otherwise.
  double I2 = std::numeric_limits<double>::quiet_NaN();
  double vt = std::numeric_limits<double>::quiet_NaN();
  /// The variance components summed (every sigma2 and a structure's one tau2): the
  /// heterogeneity an estimate has beyond its sampling error. NaN with a tau2 per level, where it
  /// depends on the level.
  double total_variance = std::numeric_limits<double>::quiet_NaN();
  std::vector<StudyResult> studies;       ///< weights: 100 (row sums of W) / (sum of W)
  std::vector<std::string> clusters;      ///< each study's level of the outer factor
  std::size_t n_clusters = 0;             ///< distinct levels in `clusters`
  std::size_t clusters_with_several = 0;  ///< of them, levels with more than one estimate
  std::vector<Diagnostic> diagnostics;
};

/// The multilevel analysis `spec.multilevel` asks for, with moderators `moderators` (empty: an
/// intercept only). Throws InputError for: an unknown column (with the closest name), a formula
/// that does not parse, a method other than REML or ML, a sampling covariance matrix that is not
/// positive definite (naming the block's first study), too few estimates, and too few clusters
/// for robust inference. Estimates with a missing grouping value are left out with a
/// row_excluded_missing diagnostic, as metafor leaves them out.
///
/// `sampling_covariances`: the table of `spec.multilevel.V` (columns row, col, value: 1-based data
/// rows of `table`, either triangle or both, a pair absent is 0; a diagonal entry replaces that
/// row's vi), read by the front end; required when V is set. Its errors name its file, line and
/// column: a position outside the data, a value that is not a finite number, a pair given twice
/// with different values, a negative variance.
[[nodiscard]] MultilevelAnalysis analyse_multilevel(
    const StudyTable& table, const AnalysisSpec& spec, const ModeratorSpec& moderators,
    const StudyTable* sampling_covariances = nullptr);

/// An intercept-only multilevel analysis as a pooled result (what a review's summary of findings,
/// forest and funnel plots read): fit's estimate, se, statistic, p-value and interval the model's,
/// k its estimates, tau2 the summed variance components (NaN with a tau2 per level), I2 and H2 as
/// MultilevelAnalysis::I2, Q the residual heterogeneity QE, prediction, studies and diagnostics
/// the model's. Requires `a.prediction` (an intercept-only model).
[[nodiscard]] Analysis pooled_analysis(const MultilevelAnalysis& a);

}  // namespace evident
