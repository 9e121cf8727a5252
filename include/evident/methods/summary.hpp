#pragma once
/// \file
/// An analysis as a whole: the fit and every method's result a report shows, assembled once so
/// renderers only format.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "evident/effect/diagnostic.hpp"
#include "evident/effect/effect.hpp"
#include "evident/methods/confint.hpp"
#include "evident/methods/predict.hpp"
#include "evident/model/bayes.hpp"
#include "evident/model/fit.hpp"
#include "evident/model/mantel_haenszel.hpp"
#include "evident/model/multilevel.hpp"

namespace evident {

struct StudyResult {
  std::string study;
  std::size_t line = 0;  ///< source line in the input file
  double yi = 0.0, vi = 0.0;
  double weight = 0.0;              ///< percent of the total weight in the fitted model
  double ci_lb = 0.0, ci_ub = 0.0;  ///< yi -/+ z * sqrt(vi), as metafor's summary of escalc
};

/// Values on the natural scale of the measure (see BackTransform).
struct BackTransformed {
  std::string scale;
  double estimate = 0.0, ci_lb = 0.0, ci_ub = 0.0, pi_lb = 0.0, pi_ub = 0.0;
};

struct Analysis {
  std::string source;  ///< input file name
  Measure measure = Measure::GEN;
  Fit fit;
  Prediction prediction;
  std::optional<HeterogeneityCI> heterogeneity_ci;
  std::optional<BackTransformed> back_transformed;
  std::vector<StudyResult> studies;
  std::vector<Diagnostic> diagnostics;  ///< from effect computation, then from the fit
  /// Studies with an effect size, when some study has none (drop00; always set for MH and PETO,
  /// whose Q test uses only these).
  std::optional<std::size_t> k_yi;
  /// MH with OR: the Cochran-Mantel-Haenszel, Breslow-Day and Tarone tests.
  std::optional<CmhTests> cmh;
  /// Trials whose shared control arm was combined or split.
  std::optional<MultiArmReport> multiarm;
  /// Method::BAYES: the posterior (fit holds its mu summaries: estimate the posterior mean, se
  /// its SD, ci the central credible interval; the predictive interval in prediction; tau2, I2,
  /// H2, the test statistic and p-value NaN; Q and its p-value as the data's).
  std::optional<BayesFit> bayes;
};

/// A multilevel model (metafor's rma.mv; methods/multilevel.hpp) as a front end asks for it.
struct MultilevelSpec {
  /// Random-effects formulas in metafor's syntax, in order: `~ 1 | a/b` (a, and b within a);
  /// several are crossed or further components. Empty: not a multilevel model.
  std::vector<std::string> random;
  /// The covariance structure of a correlated random effect `~ inner | outer` among `random`
  /// (metafor's struct).
  Structure structure = Structure::CS;
  /// Sampling covariances: correlation `rho` between the estimates of one `cluster` (column),
  /// different observations as told by `obs` (column; empty: every estimate its own), as
  /// metafor's vcalc with one rho.
  std::optional<double> rho;
  std::string cluster;
  std::string obs;
  /// Or the sampling covariances read from this file (CSV `row,col,value`, 1-based data rows of
  /// the analysed file); the front end reads it and passes the table to analyse_multilevel.
  std::string V;
  /// Cluster-robust inference clustered by this column; empty: none.
  std::string robust;
  SmallSample small_sample = SmallSample::CR1;
  /// Profile-likelihood intervals of the variance components (metafor's confint).
  bool profile = true;

  [[nodiscard]] bool active() const noexcept { return !random.empty(); }
  /// The formulas as a reader sees them: "~ 1 | district/school, ~ 1 | year".
  [[nodiscard]] std::string formulas() const {
    std::string out;
    for (const std::string& f : random)
      out += (out.empty() ? "" : ", ") + f;
    return out;
  }
  friend bool operator==(const MultilevelSpec&, const MultilevelSpec&) = default;
};

/// Everything that defines one analysis of a table: how effect sizes are computed and how they
/// are pooled. Every front end (command line, review manifest, batch) builds one of these.
struct AnalysisSpec {
  EffectOptions effect;
  FitOptions fit;
  /// The parts only a report shows: the Q-profile intervals, the per-study rows and the
  /// back-transformation. `evident batch` turns them off: its rows do not show them, and for
  /// small analyses they cost as much as the fit.
  bool details = true;
  /// A multilevel model instead of the univariate one, when active.
  MultilevelSpec multilevel;

  /// Every option equal. FitOptions (model layer) has no operator== of its own, so its fields are
  /// compared here; a field added to it must be added here too.
  friend bool operator==(const AnalysisSpec& a, const AnalysisSpec& b) noexcept {
    const FitOptions& f = a.fit;
    const FitOptions& g = b.fit;
    return a.effect == b.effect && f.method == g.method && f.test == g.test && f.level == g.level &&
           f.tau2_tolerance == g.tau2_tolerance && f.max_iterations == g.max_iterations &&
           f.threads == g.threads && f.prior_tau == g.prior_tau && f.prior_mu == g.prior_mu &&
           a.details == b.details && a.multilevel == b.multilevel;
  }
};

/// Throws InputError (at `random`) when `spec` asks for a multilevel model: `what` (e.g.
/// "evident bias") works on univariate models only, so far.
void require_univariate(const AnalysisSpec& spec, std::string_view what);

/// A study label shared by several estimates of an analysis.
struct RepeatedStudy {
  std::string study;
  std::size_t estimates = 0;
};

/// The study labels of `a.studies` that more than one estimate carries, in order of first
/// appearance, leaving out the rows of a multi-arm trial (whose shared control is handled).
/// Empty without `studies` (an analysis without details).
[[nodiscard]] std::vector<RepeatedStudy> repeated_studies(const Analysis& a);

/// "1 (6 estimates), 2 (3 estimates)": the first ten, then "and N more studies".
[[nodiscard]] std::string repeated_studies_text(const std::vector<RepeatedStudy>& repeated);

/// Fits the model to `data` and runs the methods a standard report needs: predict, the Q-profile
/// intervals, weights, per-study intervals and the back-transformation. MH and PETO pool
/// `data.counts` (fit_mantel_haenszel, fit_peto); the other methods pool the studies with a
/// finite yi. Throws InputError when the method does not fit the data (MH needs 2x2 tables or
/// incidence counts and measure OR, RR, RD, IRR or IRD; PETO needs 2x2 tables and measure PETO;
/// neither takes the Knapp-Hartung test) or no study has an effect size.
/// Without `details`, heterogeneity_ci, studies and back_transformed are left empty.
[[nodiscard]] Analysis analyse(const EffectData& data, const FitOptions& options,
                               std::string source = {}, bool details = true);

/// The spec with the measure the method implies: PETO for --method PETO with OR or no measure
/// (rma.peto), OR for --method MH without a measure (rma.mh's default).
[[nodiscard]] AnalysisSpec resolve_measure(AnalysisSpec spec);

/// Computes the effect sizes of `table` (throws InputError for bad input) and analyses them.
/// With method PETO the measure is PETO (OR or none may be given); with MH and no measure, OR.
[[nodiscard]] Analysis analyse(const StudyTable& table, const AnalysisSpec& spec);

}  // namespace evident
