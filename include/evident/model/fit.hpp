#pragma once
/// \file
/// Fitting the common-effect and random-effects models (metafor's rma.uni without moderators).
///
/// Model: yi = mu + ui + ei, ei ~ N(0, vi) with vi known, ui ~ N(0, tau2). The common-effect
/// model fixes tau2 = 0. tau2 is estimated by the method chosen; mu by weighted least squares with
/// weights 1 / (vi + tau2) (Viechtbauer 2005; Viechtbauer 2010, J Stat Softw 36(3), section 2).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "evident/model/priors.hpp"

namespace evident {

/// Estimator of tau2. Every one is the estimator metafor's rma() computes under the same name.
enum class Method {
  FE,    ///< common (fixed) effect: tau2 = 0. Aliases EE, CE.
  DL,    ///< DerSimonian & Laird (1986), method of moments with inverse-variance weights
  HE,    ///< Hedges (1983), method of moments with unit weights
  HS,    ///< Hunter & Schmidt (2004)
  SJ,    ///< Sidik & Jonkman (2005), one step from a crude start
  ML,    ///< maximum likelihood (Hardy & Thompson 1996)
  REML,  ///< restricted maximum likelihood (Viechtbauer 2005), the default
  EB,    ///< empirical Bayes (Morris 1983; Berkey et al. 1995)
  PM,    ///< Paule & Mandel (1982): generalised Q equal to its expectation
  /// Mantel-Haenszel common effect on the 2x2 tables (or incidence counts) themselves, not on
  /// yi/vi (metafor's rma.mh; see mantel_haenszel.hpp). Not a method of fit().
  MH,
  /// Peto's one-step common log odds ratio on the 2x2 tables (metafor's rma.peto). Not a method
  /// of fit().
  PETO,
  /// The Bayesian normal-normal hierarchical model with priors on tau and mu, its posterior
  /// computed exactly (bayes.hpp, fit_bayes; Röver 2020). Not a method of fit().
  BAYES,
};

/// How the pooled estimate is tested and its interval built.
enum class Test {
  z,     ///< Wald-type z test, normal quantiles
  knha,  ///< Hartung-Knapp-Sidik-Jonkman: variance scaled by the weighted residual mean square,
         ///< t(k-1)
  /// t and F tests with k - p degrees of freedom, no scaling (metafor's test = "t"); multilevel
  /// models only (fit_multilevel), the analysis parameters refuse it elsewhere.
  t,
};

[[nodiscard]] std::string_view method_name(Method m) noexcept;
/// A method from its name (case-insensitive; EE and CE mean FE); nullopt if unknown.
[[nodiscard]] std::optional<Method> parse_method(std::string_view name) noexcept;
[[nodiscard]] std::string_view test_name(Test t) noexcept;
[[nodiscard]] std::optional<Test> parse_test(std::string_view name) noexcept;
/// True for the iterative estimators (ML, REML, EB, PM), which report iterations.
[[nodiscard]] bool is_iterative(Method m) noexcept;
/// False for the common-effect methods (FE, MH, PETO), which estimate no tau2.
[[nodiscard]] bool is_random_effects(Method m) noexcept;
/// True for the methods that pool the 2x2 tables or counts themselves (MH, PETO).
[[nodiscard]] bool works_on_counts(Method m) noexcept;

struct FitOptions {
  Method method = Method::REML;
  Test test = Test::z;
  /// Confidence level in percent, as metafor's `level` (95 means 95%).
  double level = 95.0;
  /// Iterative estimators stop when a step changes tau2 by at most
  /// `tau2_tolerance * max(tau2, mean(vi))`: relative to tau2, and to the scale of the sampling
  /// variances near zero, so the answer does not depend on the units of yi. Newton steps converge
  /// quadratically, so the error at stop is far below this.
  double tau2_tolerance = 1e-10;
  /// Upper bound on iterations; never reached in practice (each iteration at least halves a
  /// bracket around the root), it only guarantees termination.
  int max_iterations = 200;
  /// Threads for the O(k) sums of a fit with k >= 131072 studies (0 = all cores); any value gives
  /// the same numbers. The sums are taken in fixed blocks of studies whatever the count; smaller
  /// fits run on the calling thread. (Batches run many fits in parallel instead.)
  unsigned threads = 1;
  /// Method::BAYES: the priors on tau and mu.
  TauPrior prior_tau;
  MuPrior prior_mu;

  /// Empty if the options are valid, else what is wrong.
  [[nodiscard]] std::optional<std::string> validate() const;
};

/// How the tau2 estimate was obtained.
enum class Termination : std::uint8_t {
  closed_form,     ///< a non-iterative estimator (or the common-effect model)
  converged,       ///< an iterative estimator reached its tolerance
  boundary,        ///< the maximum or root lies at tau2 = 0 (no search was needed)
  max_iterations,  ///< an iterative estimator stopped at max_iterations (should not happen)
  single_study,    ///< k = 1: tau2 is set to 0, nothing is estimated
  not_estimable,   ///< MH or PETO: the pooled estimate is undefined for these tables
};

[[nodiscard]] std::string_view termination_name(Termination t) noexcept;

/// Notes on a fit, as bit flags so a fit stays a small value type (millions are made in a batch).
enum FitNote : std::uint32_t {
  kNoteNone = 0,
  kNoteTau2Truncated = 1u << 0,    ///< the estimator gave a negative tau2, set to 0
  kNoteSingleStudy = 1u << 1,      ///< k = 1
  kNoteKnhaCommon = 1u << 2,       ///< Knapp-Hartung test requested for a common-effect model
  kNoteNotConverged = 1u << 3,     ///< iteration limit reached
  kNoteKnhaSingleStudy = 1u << 4,  ///< k = 1: Knapp-Hartung has no df, the z test was used
  kNoteNotEstimable = 1u << 5,     ///< MH or PETO: no events (or no non-events) to pool
};

/// The result of fitting: every number metafor's rma() prints for a model without moderators.
/// Undefined quantities are NaN (for example the t-test degrees of freedom of a z test).
struct Fit {
  Method method = Method::REML;
  Test test = Test::z;
  double level = 95.0;
  std::size_t k = 0;  ///< number of studies
  std::size_t p = 1;  ///< number of fixed-effect parameters (1: the intercept)

  double estimate = 0.0;  ///< pooled effect mu
  double se = 0.0;        ///< its standard error (Knapp-Hartung adjusted for Test::knha)
  double stat = 0.0;      ///< z or t statistic
  double df = 0.0;        ///< t degrees of freedom (k - 1) for Test::knha, NaN for Test::z
  double pval = 0.0;      ///< two-sided p-value
  double ci_lb = 0.0, ci_ub = 0.0;  ///< confidence interval for mu

  double tau2 = 0.0;     ///< between-study variance
  double tau2_se = 0.0;  ///< its standard error as metafor reports it; NaN for FE
  double Q = 0.0;        ///< Cochran's Q (inverse-variance weights), metafor's QE
  double Q_df = 0.0;     ///< k - 1
  double Q_p = 0.0;      ///< upper-tail chi-squared p-value of Q
  double I2 = 0.0;       ///< percent of total variability due to heterogeneity
  double H2 = 0.0;       ///< total variability / sampling variability
  /// Typical within-study variance (Higgins & Thompson 2002, eq. 9), metafor's `vt`:
  /// (k - 1) / (sum w - sum w^2 / sum w) with w = 1 / vi. I2 and H2 are derived from it.
  double vt = 0.0;
  double s2w = 1.0;  ///< Knapp-Hartung scale factor (1 for Test::z)

  Termination termination = Termination::closed_form;
  int iterations = 0;
  std::uint32_t notes = kNoteNone;
};

/// Fits the model to effect sizes `yi` with sampling variances `vi` (same length, k >= 1,
/// every vi > 0 and finite, every yi finite: assert-checked; io and effect validate user input).
/// The method must not be MH or PETO (those pool counts: fit_mantel_haenszel, fit_peto).
/// Never throws for numerical reasons; the outcome is in Fit::termination and Fit::notes.
/// Thread-safe; allocates nothing, unless options.threads != 1 and k >= 131072.
[[nodiscard]] Fit fit(std::span<const double> yi, std::span<const double> vi,
                      const FitOptions& options);

/// Random-effects weights 1 / (vi + tau2) in percent of their sum (metafor's weights()).
/// `threads` as FitOptions::threads.
void weights_percent(std::span<const double> vi, const Fit& fit, std::span<double> out,
                     unsigned threads = 1);

}  // namespace evident
