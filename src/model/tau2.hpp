#pragma once
// tau2 estimators for the intercept-only random-effects model: one function per estimator, each
// citing its source. Internal to the library; the public entry point is evident::fit().

#include <cstddef>
#include <optional>
#include <span>

#include "evident/model/fit.hpp"
#include "model/sums.hpp"

namespace evident::detail {

struct Tau2Estimate {
  double tau2 = 0.0;
  double se = 0.0;  // metafor's se.tau2
  Termination termination = Termination::closed_form;
  int iterations = 0;
  bool truncated = false;  // the unconstrained estimate was negative
  // weighted_sums at tau2, when the estimator needed them for its standard error (ML, REML, PM,
  // EB): the fit takes its pooled estimate from them rather than summing the same again.
  std::optional<WeightedSums> sums;
};

// Dispatches on options.method (not FE). Requires k >= 2. `at_zero` holds weighted_sums(y, v, 0)
// once someone has summed them: DL, HS, PM, EB, ML and REML start from them (and sum them here if
// empty), and the fit needs them for Cochran's Q, so they are summed once per fit (the same sums,
// so the same bits, as summing them again).
Tau2Estimate estimate_tau2(std::span<const double> y, std::span<const double> v,
                           const FitOptions& options, std::optional<WeightedSums>& at_zero);

// `threads` (as FitOptions::threads) serves k >= kBlockedMin only (model/sums.hpp).
Tau2Estimate tau2_dl(std::size_t k, const WeightedSums& at_zero);
Tau2Estimate tau2_he(std::span<const double> y, std::span<const double> v, unsigned threads);
Tau2Estimate tau2_hs(std::size_t k, const WeightedSums& at_zero);
Tau2Estimate tau2_sj(std::span<const double> y, std::span<const double> v, unsigned threads);
Tau2Estimate tau2_ml(std::span<const double> y, std::span<const double> v, const FitOptions& o,
                     const WeightedSums& at_zero);
Tau2Estimate tau2_reml(std::span<const double> y, std::span<const double> v, const FitOptions& o,
                       const WeightedSums& at_zero);
Tau2Estimate tau2_pm(std::span<const double> y, std::span<const double> v, const FitOptions& o,
                     const WeightedSums& at_zero);

// The tau2 >= 0 at which the generalised Q statistic sum w (y - mu)^2, w = 1 / (v + tau2), equals
// `target`. The statistic decreases strictly in tau2 (Viechtbauer 2007, appendix), so the root is
// unique; it is 0 (termination `boundary`) when Q(0) <= target. Used by PM/EB and the Q-profile
// confidence interval.
struct QRoot {
  double tau2 = 0.0;
  int iterations = 0;
  Termination termination = Termination::boundary;
};
QRoot solve_generalized_q(std::span<const double> y, std::span<const double> v, double target,
                          double tolerance, int max_iterations, unsigned threads = 1);
// The same with weighted_sums(y, v, 0) at hand.
QRoot solve_generalized_q(std::span<const double> y, std::span<const double> v, double target,
                          double tolerance, int max_iterations, unsigned threads,
                          const WeightedSums& at_zero);

// Mean of the sampling variances: the scale that makes tolerances independent of the units of y.
double variance_scale(std::span<const double> v, unsigned threads = 1);

}  // namespace evident::detail
