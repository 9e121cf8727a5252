#include "evident/predict.hpp"

#include <cmath>
#include <limits>

#include "stats/distributions.hpp"

namespace evident {

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

}  // namespace evident
