#pragma once
/// \file
/// Confidence intervals for tau2, tau, I2 and H2 by the Q-profile method (metafor's confint).

#include <optional>
#include <span>

#include "evident/effect/design.hpp"
#include "evident/model/fit.hpp"
#include "evident/model/metareg.hpp"

namespace evident {

/// Q-profile interval (Viechtbauer 2007, Stat Med 26:37-52, eq. 6): the tau2 values at which the
/// generalised Q statistic, sum (yi - mu(tau2))^2 / (vi + tau2), equals the chi-squared(k - 1)
/// quantiles. A bound is 0 when Q at tau2 = 0 is already below its quantile. I2 and H2 bounds
/// follow from the tau2 bounds with the fit's typical within-study variance vt.
struct HeterogeneityCI {
  double tau2_lb = 0.0, tau2_ub = 0.0;
  double tau_lb = 0.0, tau_ub = 0.0;
  double I2_lb = 0.0, I2_ub = 0.0;
  double H2_lb = 1.0, H2_ub = 1.0;
  int iterations = 0;  ///< total root-finding iterations for both bounds
};

/// The interval for a random-effects fit of `yi`, `vi`; nullopt for the common-effect model and
/// for k = 1, where there is no estimated tau2 (metafor's confint stops with an error there).
/// `level` is in percent. Never fails otherwise: both roots are bracketed before they are refined.
[[nodiscard]] std::optional<HeterogeneityCI> confint_tau2(std::span<const double> yi,
                                                          std::span<const double> vi,
                                                          const Fit& fit, double level);

/// Q-profile confidence interval for the residual heterogeneity (Viechtbauer 2007; metafor's
/// confint with moderators): the tau2 where the generalised residual Q statistic
/// y'P(tau2)y equals the chi-squared(k - p) quantiles. nullopt for FE and when the fit failed.
[[nodiscard]] std::optional<HeterogeneityCI> confint_tau2(std::span<const double> yi,
                                                          std::span<const double> vi, DesignView x,
                                                          const MetaRegFit& fit, double level);

}  // namespace evident
