#pragma once
// tau2 estimators for the intercept-only random-effects model: one function per estimator, each
// citing its source. Internal to the library; the public entry point is evident::fit().

#include <span>

#include "evident/fit.hpp"

namespace evident::detail {

struct Tau2Estimate {
  double tau2 = 0.0;
  double se = 0.0;  // metafor's se.tau2
  Termination termination = Termination::closed_form;
  int iterations = 0;
  bool truncated = false;  // the unconstrained estimate was negative
};

// Dispatches on options.method (not FE). Requires k >= 2.
Tau2Estimate estimate_tau2(std::span<const double> y, std::span<const double> v,
                           const FitOptions& options);

Tau2Estimate tau2_dl(std::span<const double> y, std::span<const double> v);
Tau2Estimate tau2_he(std::span<const double> y, std::span<const double> v);
Tau2Estimate tau2_hs(std::span<const double> y, std::span<const double> v);
Tau2Estimate tau2_sj(std::span<const double> y, std::span<const double> v);
Tau2Estimate tau2_ml(std::span<const double> y, std::span<const double> v, const FitOptions& o);
Tau2Estimate tau2_reml(std::span<const double> y, std::span<const double> v, const FitOptions& o);
Tau2Estimate tau2_pm(std::span<const double> y, std::span<const double> v, const FitOptions& o);

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
                          double tolerance, int max_iterations);

// Mean of the sampling variances: the scale that makes tolerances independent of the units of y.
double variance_scale(std::span<const double> v);

}  // namespace evident::detail
