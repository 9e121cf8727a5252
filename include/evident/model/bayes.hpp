#pragma once
/// \file
/// The Bayesian normal-normal hierarchical model, computed exactly (no MCMC):
///   yi | theta_i ~ N(theta_i, vi),  theta_i | mu, tau ~ N(mu, tau^2),
/// with a prior on tau (half-normal, half-Cauchy, uniform or Jeffreys) and a flat or normal prior
/// on mu. Given tau, mu's posterior is normal, so the joint posterior is a tau-mixture of normals:
/// tau's marginal posterior is integrated numerically and every summary of mu, of a new study's
/// effect and of the shrunken study effects is a one-dimensional integral over tau (Röver 2020,
/// J Stat Softw 93(6), section 2; the approach of R's bayesmeta, here to 1e-10 relative).

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "evident/model/fit.hpp"
#include "evident/model/priors.hpp"

namespace evident {

struct BayesOptions {
  TauPrior tau;
  MuPrior mu;
  /// Level of the central posterior intervals, in percent.
  double level = 95.0;
  /// Relative tolerance of the adaptive quadrature over tau (on the estimated error of every
  /// integral it controls: the normalising constant and the moments of tau and mu).
  double tolerance = 1e-10;
  /// Also summarise each study's shrunken effect theta_i (k more mixtures).
  bool theta = true;
  /// Also tabulate the posterior densities of tau and mu for plots (kPlotPoints points each).
  bool densities = false;

  /// Empty if the options are valid, else what is wrong.
  [[nodiscard]] std::optional<std::string> validate() const;
};

/// A posterior (or predictive) distribution's summaries. The interval is central:
/// the (1 - level) / 2 and (1 + level) / 2 quantiles.
struct PosteriorSummary {
  double mean = 0.0, sd = 0.0, median = 0.0, ci_lb = 0.0, ci_ub = 0.0;
};

/// A density tabulated for plots.
struct DensityCurve {
  std::vector<double> x, density;
};

struct BayesFit {
  std::size_t k = 0;
  double level = 95.0;
  TauPrior tau_prior;
  MuPrior mu_prior;
  /// converged: every integral met the tolerance; max_iterations: the quadrature stopped at its
  /// panel limit (the numbers are its best, with `error` the estimated relative error);
  /// not_estimable: the posterior is improper (Jeffreys' prior for tau with a flat prior for mu
  /// and k = 1), and every number is NaN.
  Termination termination = Termination::converged;
  PosteriorSummary mu, tau;
  PosteriorSummary predictive;          ///< the true effect of a new study
  std::vector<PosteriorSummary> theta;  ///< per study: its shrunken true effect
  /// The marginal likelihood p(y) (both priors proper), else NaN; and its log.
  double marginal_likelihood = 0.0, log_marginal_likelihood = 0.0;
  double error = 0.0;                    ///< the quadrature's estimated relative error
  int evaluations = 0;                   ///< evaluations of the posterior density of tau
  DensityCurve tau_density, mu_density;  ///< with BayesOptions::densities
};

/// Points of each density curve for plots.
inline constexpr std::size_t kPlotPoints = 201;

/// Fits the model to effect sizes `yi` with sampling variances `vi` (k >= 1, finite yi, positive
/// finite vi: assert-checked as for fit()). Never throws for numerical reasons: the outcome is in
/// `termination`. Thread-safe.
[[nodiscard]] BayesFit fit_bayes(std::span<const double> yi, std::span<const double> vi,
                                 const BayesOptions& options);

}  // namespace evident
