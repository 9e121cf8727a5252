#pragma once
// A safeguarded Newton root finder on a bracket. Newton's method converges quadratically near a
// simple root; the bracket makes it unable to fail: a step that would leave the bracket, or that
// does not shrink the function fast enough, is replaced by bisection (the "rtsafe" strategy,
// Press et al., Numerical Recipes, 3rd ed., section 9.4). Every iteration keeps a sign change
// inside [lo, hi], so the iteration count is bounded by the bisection count for the tolerance.

#include <cmath>
#include <utility>

namespace evident::stats {

struct RootResult {
  double x = 0.0;
  int iterations = 0;
  bool converged = false;
};

/// Finds a root of f in [lo, hi], where f(lo) and f(hi) have opposite signs (or one is zero).
/// `f_df(x)` returns {f(x), f'(x)}. Starts from x0 (clamped into the bracket). Stops when a step
/// is at most `tol(x)`, or the bracket is narrower than that.
template <class FDf, class Tol>
RootResult newton_bracketed(FDf&& f_df, double lo, double hi, double f_lo, double f_hi, double x0,
                            Tol&& tol, int max_iterations) {
  if (f_lo == 0.0) return {lo, 0, true};
  if (f_hi == 0.0) return {hi, 0, true};
  // Orient so that f(lo) < 0 < f(hi); lo may then be the larger end.
  if (f_lo > 0.0) std::swap(lo, hi);
  double x = x0;
  if (!(x > std::fmin(lo, hi) && x < std::fmax(lo, hi))) x = 0.5 * (lo + hi);
  double step_before_last = std::fabs(hi - lo);
  double last_step = step_before_last;
  for (int it = 1; it <= max_iterations; ++it) {
    auto [f, df] = f_df(x);
    if (f == 0.0) return {x, it, true};
    if (f < 0.0) {
      lo = x;
    } else {
      hi = x;
    }
    double next = x - f / df;
    const bool outside = !(next > std::fmin(lo, hi) && next < std::fmax(lo, hi));
    const bool slow = std::fabs(2.0 * f) > std::fabs(step_before_last * df);
    step_before_last = last_step;
    if (!std::isfinite(next) || outside || slow) {
      next = 0.5 * (lo + hi);
    }
    last_step = std::fabs(next - x);
    const double t = tol(next);
    if (last_step <= t || std::fabs(hi - lo) <= t) return {next, it, true};
    x = next;
  }
  return {x, max_iterations, false};
}

}  // namespace evident::stats
