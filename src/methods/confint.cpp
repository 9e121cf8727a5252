#include "evident/methods/confint.hpp"

#include <cmath>

#include "model/q_root.hpp"
#include "stats/distributions.hpp"

namespace evident {

std::optional<HeterogeneityCI> confint_tau2(std::span<const double> yi, std::span<const double> vi,
                                            const Fit& fit, double level) {
  if (!is_random_effects(fit.method) || fit.k < 2) return std::nullopt;
  const double df = static_cast<double>(fit.k - fit.p);
  const double alpha = 1.0 - level / 100.0;
  // Generalised Q decreases in tau2: the lower bound solves Q = upper quantile, the upper bound
  // Q = lower quantile (Viechtbauer 2007, Stat Med 26:37-52, eq. 6).
  const double q_upper = stats::chisq_quantile(1.0 - alpha / 2.0, df);
  const double q_lower = stats::chisq_quantile(alpha / 2.0, df);
  const FitOptions tol_options;  // tolerance and iteration bounds as for the estimators
  const auto lb = detail::solve_generalized_q(yi, vi, q_upper, tol_options.tau2_tolerance,
                                              tol_options.max_iterations);
  const auto ub = detail::solve_generalized_q(yi, vi, q_lower, tol_options.tau2_tolerance,
                                              tol_options.max_iterations);
  HeterogeneityCI ci;
  ci.tau2_lb = lb.tau2;
  ci.tau2_ub = ub.tau2;
  ci.iterations = lb.iterations + ub.iterations;
  ci.tau_lb = std::sqrt(ci.tau2_lb);
  ci.tau_ub = std::sqrt(ci.tau2_ub);
  // I2 and H2 as functions of tau2 with the typical within-study variance vt (metafor's confint).
  ci.I2_lb = 100.0 * ci.tau2_lb / (fit.vt + ci.tau2_lb);
  ci.I2_ub = 100.0 * ci.tau2_ub / (fit.vt + ci.tau2_ub);
  ci.H2_lb = ci.tau2_lb / fit.vt + 1.0;
  ci.H2_ub = ci.tau2_ub / fit.vt + 1.0;
  return ci;
}

std::optional<HeterogeneityCI> confint_tau2(std::span<const double> yi, std::span<const double> vi,
                                            DesignView x, const MetaRegFit& fit, double level) {
  if (fit.status != RegressionStatus::ok || fit.method == Method::FE || fit.k <= fit.p) {
    return std::nullopt;
  }
  const double df = static_cast<double>(fit.k - fit.p);
  const double alpha = 1.0 - level / 100.0;
  const double q_upper = stats::chisq_quantile(1.0 - alpha / 2.0, df);
  const double q_lower = stats::chisq_quantile(alpha / 2.0, df);
  const FitOptions tol_options;
  // Every core for the sums of a very large meta-regression; the bounds do not depend on it.
  constexpr unsigned kAllCores = 0;
  const auto lb = detail::solve_generalized_q(yi, vi, x, q_upper, tol_options.tau2_tolerance,
                                              tol_options.max_iterations, kAllCores);
  const auto ub = detail::solve_generalized_q(yi, vi, x, q_lower, tol_options.tau2_tolerance,
                                              tol_options.max_iterations, kAllCores);
  if (std::isnan(lb.tau2) || std::isnan(ub.tau2)) return std::nullopt;
  HeterogeneityCI ci;
  ci.tau2_lb = lb.tau2;
  ci.tau2_ub = ub.tau2;
  ci.iterations = lb.iterations + ub.iterations;
  ci.tau_lb = std::sqrt(ci.tau2_lb);
  ci.tau_ub = std::sqrt(ci.tau2_ub);
  ci.I2_lb = 100.0 * ci.tau2_lb / (fit.vt + ci.tau2_lb);
  ci.I2_ub = 100.0 * ci.tau2_ub / (fit.vt + ci.tau2_ub);
  ci.H2_lb = ci.tau2_lb / fit.vt + 1.0;
  ci.H2_ub = ci.tau2_ub / fit.vt + 1.0;
  return ci;
}

}  // namespace evident
