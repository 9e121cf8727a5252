#include "evident/methods/predict.hpp"

#include <cassert>
#include <cmath>
#include <limits>

#include "stats/distributions.hpp"

namespace evident {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
}  // namespace

Prediction predict(const Fit& fit) {
  Prediction p;
  p.pred = fit.estimate;
  p.se = fit.se;
  p.ci_lb = fit.ci_lb;
  p.ci_ub = fit.ci_ub;
  if (!is_random_effects(fit.method)) {
    p.pi_lb = p.pi_ub = std::numeric_limits<double>::quiet_NaN();
    return p;
  }
  // metafor's predict(): the critical value of the test (z, or t(k - 1) for Knapp-Hartung) times
  // sqrt(se^2 + tau2), se being the (possibly Knapp-Hartung scaled) standard error of the mean.
  const double crit = stats::critical_value(fit.level, fit.df);  // df NaN: normal
  const double half = crit * std::sqrt(fit.se * fit.se + fit.tau2);
  p.pi_lb = fit.estimate - half;
  p.pi_ub = fit.estimate + half;
  return p;
}

Prediction predict(const MetaRegFit& fit, std::span<const double> x0) {
  assert(fit.status == RegressionStatus::ok && x0.size() == fit.p);
  Prediction out;
  double var = 0.0;
  out.pred = 0.0;
  for (std::size_t a = 0; a < fit.p; ++a) {
    out.pred += x0[a] * fit.beta[a];
    for (std::size_t b = 0; b < fit.p; ++b)
      var += x0[a] * fit.vb[a * fit.p + b] * x0[b];
  }
  out.se = std::sqrt(var);
  const double crit = stats::critical_value(fit.level, fit.df);
  out.ci_lb = out.pred - crit * out.se;
  out.ci_ub = out.pred + crit * out.se;
  if (fit.method == Method::FE) {
    out.pi_lb = out.pi_ub = kNaN;
  } else {
    const double half = crit * std::sqrt(var + fit.tau2);
    out.pi_lb = out.pred - half;
    out.pi_ub = out.pred + half;
  }
  return out;
}

}  // namespace evident
