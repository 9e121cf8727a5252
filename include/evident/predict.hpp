#pragma once
/// \file
/// The pooled prediction with confidence and prediction intervals (metafor's predict).

#include "evident/fit.hpp"

namespace evident {

struct Prediction {
  double pred = 0.0;
  double se = 0.0;
  double ci_lb = 0.0, ci_ub = 0.0;
  /// Prediction interval for the true effect in a new study: pred -/+ crit * sqrt(se^2 + tau2),
  /// crit from N(0, 1) for the z test and t(k - 1) for Knapp-Hartung, as metafor's default
  /// (Riley et al. 2011 suggest t(k - 2); not the default). NaN for the common-effect model.
  double pi_lb = 0.0, pi_ub = 0.0;
};

[[nodiscard]] Prediction predict(const Fit& fit);

}  // namespace evident
