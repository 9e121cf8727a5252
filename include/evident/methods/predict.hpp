#pragma once
/// \file
/// The pooled prediction with confidence and prediction intervals (metafor's predict).

#include <span>

#include "evident/model/fit.hpp"
#include "evident/model/metareg.hpp"

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

/// The fitted value at moderator values `x0` (a row of the design, intercept included) with its
/// confidence interval and the prediction interval for the true effect of a new study,
/// x0'b -/+ crit sqrt(x0' vb x0 + tau2), crit from N(0, 1) or t(k - p) as the model's test
/// (metafor's predict with newmods). NaN prediction interval for FE, as evident::predict.
[[nodiscard]] Prediction predict(const MetaRegFit& fit, std::span<const double> x0);

}  // namespace evident
