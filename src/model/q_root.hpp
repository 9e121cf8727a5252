#pragma once
// The tau2 >= 0 at which the generalised Q statistic y'P(tau2)y equals a target: the Paule-Mandel
// and empirical Bayes estimators (target k - p) and the bounds of the Q-profile confidence
// interval (targets the chi-square quantiles, Viechtbauer 2007, Stat Med 26:37-52, eq. 6).
// Written once against the evaluators of model/evaluator.hpp. Internal to the library.

#include <algorithm>
#include <limits>
#include <span>
#include <utility>

#include "evident/effect/design.hpp"
#include "evident/model/fit.hpp"
#include "model/evaluator.hpp"
#include "stats/roots.hpp"

namespace evident::detail {

struct QRoot {
  double tau2 = 0.0;  // NaN if X'WX is singular at some tau2 (termination max_iterations)
  int iterations = 0;
  Termination termination = Termination::boundary;
};

// y'Py decreases strictly in tau2, its derivative being -y'PPy (Viechtbauer 2007, appendix), so
// the root is unique; it is 0 (termination `boundary`) when y'P(0)y <= target. The bracket's
// upper end uses tau2 y'P(tau2)y <= RSS_ols (the weighted residual sum of squares at the
// weighted least squares fit is below that at any other fit, the unweighted one included), so at
// hi = 2 RSS_ols / target, Q(hi) <= target / 2. Bracketed Newton iteration from the first Newton
// step from 0 (stats/roots.hpp), which cannot fail.
// Flattened: with the Newton iteration and the evaluator inlined the compiler drops the sums
// y'Py and y'PPy do not need (PM on 3 studies: 7% fewer instructions than without).
template <Tau2Evaluator E>
[[gnu::flatten]] QRoot solve_generalized_q(E& ev, double target, double tolerance,
                                           int max_iterations) {
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  const auto s0 = ev.at_zero();
  if (!s0.ok()) return {kNaN, 0, Termination::max_iterations};
  const double q0 = s0.q();
  const double yppy0 = s0.yppy();
  if (!(q0 > target)) return {0.0, 0, Termination::boundary};
  const double hi = 2.0 * ev.ols_rss() / target;
  const double scale = ev.variance_scale();
  bool ok = true;
  auto f_df = [&](double t) {
    const auto s = ev.q_at(t);
    ok = s.ok() && ok;
    return std::pair{s.q() - target, -s.yppy()};  // d(y'Py)/d tau2 = -y'PPy
  };
  auto tol = [&](double t) { return tolerance * std::max(t, scale); };
  const double x0 = (q0 - target) / yppy0;
  const double f_hi = f_df(hi).first;
  const auto r = stats::newton_bracketed(f_df, 0.0, hi, q0 - target, f_hi, x0, tol, max_iterations);
  if (!ok) return {kNaN, r.iterations, Termination::max_iterations};
  return {r.x, r.iterations, r.converged ? Termination::converged : Termination::max_iterations};
}

// The same for the intercept-only model and for a design, for the methods layer (Q-profile
// intervals) without the evaluators' headers. `threads` as FitOptions::threads; the roots do not
// depend on it.
QRoot solve_generalized_q(std::span<const double> y, std::span<const double> v, double target,
                          double tolerance, int max_iterations, unsigned threads = 1);
QRoot solve_generalized_q(std::span<const double> y, std::span<const double> v, DesignView x,
                          double target, double tolerance, int max_iterations,
                          unsigned threads = 1);

}  // namespace evident::detail
