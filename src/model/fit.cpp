#include "evident/model/fit.hpp"

#include <cassert>
#include <cmath>
#include <limits>
#include <optional>

#include "model/estimators.hpp"
#include "model/intercept_evaluator.hpp"
#include "model/sums.hpp"
#include "stats/distributions.hpp"
#include "stats/parallel.hpp"

namespace evident {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
}  // namespace

Fit fit(std::span<const double> yi, std::span<const double> vi, const FitOptions& options) {
  assert(yi.size() == vi.size() && !yi.empty());
  assert(!options.validate());
  assert(!works_on_counts(options.method));
  Fit f;
  f.method = options.method;
  f.test = options.test;
  if (yi.size() == 1 && options.test == Test::knha) {
    // t(k - 1) has no degrees of freedom; metafor falls back to the z test with a warning.
    f.test = Test::z;
    f.notes |= kNoteKnhaSingleStudy;
  }
  f.level = options.level;
  f.k = yi.size();
  f.p = 1;
  const auto k = static_cast<double>(f.k);

  // The evaluator keeps the sums at tau2 = 0 (Cochran's Q) when the estimator has summed them, and
  // the estimator returns those at the estimate when it has summed them: the same sums give the
  // same bits, so they are not summed again. Otherwise they are summed below, where the compiler
  // drops the sums the fit does not use.
  detail::InterceptEvaluator ev(yi, vi, options.threads);
  std::optional<detail::InterceptPoint> at_estimate;

  // tau2
  f.tau2 = 0.0;
  f.tau2_se = kNaN;
  if (f.k == 1) {
    // As metafor: with one study nothing is estimated and tau2 is set to 0.
    f.termination = Termination::single_study;
    f.notes |= kNoteSingleStudy;
  } else if (options.method != Method::FE) {
    const auto e = detail::estimate_tau2(ev, options);
    at_estimate = e.at_estimate;
    f.tau2 = e.tau2;
    f.tau2_se = e.se;
    f.termination = e.termination;
    f.iterations = e.iterations;
    if (e.truncated) f.notes |= kNoteTau2Truncated;
    if (e.termination == Termination::max_iterations) f.notes |= kNoteNotConverged;
  }

  // The pooled estimate: weighted least squares with w = 1 / (vi + tau2).
  const std::optional<detail::WeightedSums>& at_zero = ev.summed_at_zero();
  const detail::WeightedSums s = at_estimate ? at_estimate->sums()
                                 : (f.tau2 == 0.0 && at_zero)
                                     ? *at_zero
                                     : detail::weighted_sums(yi, vi, f.tau2, options.threads);
  f.estimate = s.mu;
  double var = 1.0 / s.sw;
  f.df = kNaN;
  f.s2w = 1.0;
  if (f.test == Test::knha) {
    // Hartung & Knapp (2001), Stat Med 20:3875-3889; Sidik & Jonkman (2002), Stat Med
    // 21:3153-3159: scale the variance by the weighted residual mean square
    // q / (k - 1) and use t(k - 1). Not truncated at 1 (metafor's "adhoc" variant would).
    f.df = k - 1.0;
    if (options.method == Method::FE) f.notes |= kNoteKnhaCommon;
    f.s2w = s.q <= std::numeric_limits<double>::epsilon() ? 0.0 : s.q / (k - 1.0);
    var *= f.s2w;
  }
  f.se = std::sqrt(var);
  f.stat = f.estimate / f.se;
  f.pval = stats::two_sided_p(f.stat, f.df);  // df NaN: normal
  const double crit = stats::critical_value(options.level, f.df);
  f.ci_lb = f.estimate - crit * f.se;
  f.ci_ub = f.estimate + crit * f.se;

  // Heterogeneity: Cochran's Q with inverse-variance weights, whatever the method.
  f.Q_df = k - 1.0;
  if (f.k > 1) {
    const detail::WeightedSums fe = at_zero ? *at_zero
                                    : (f.tau2 == 0.0)
                                        ? s
                                        : detail::weighted_sums(yi, vi, 0.0, options.threads);
    f.Q = std::fmax(0.0, fe.q);
    f.Q_p = stats::chisq_sf(f.Q, f.Q_df);
    // Higgins & Thompson (2002), Stat Med 21:1539-1558, eq. 9: typical within-study variance.
    f.vt = (k - 1.0) / fe.trace_p();
    if (options.method == Method::FE) {
      // Higgins & Thompson (2002), eqs. 6 and 10: from Q, as metafor for common-effect models.
      f.I2 = std::fmax(0.0, 100.0 * (f.Q - (k - 1.0)) / f.Q);
      f.H2 = f.Q / (k - 1.0);
    } else {
      // From tau2 (Higgins & Thompson 2002, eq. 9; metafor's definition for any estimator).
      f.I2 = 100.0 * f.tau2 / (f.vt + f.tau2);
      f.H2 = f.tau2 / f.vt + 1.0;
    }
  } else {
    f.Q = 0.0;
    f.Q_p = 1.0;
    f.I2 = 0.0;
    f.H2 = 1.0;
    f.vt = 0.0;
  }
  return f;
}

void weights_percent(std::span<const double> vi, const Fit& fit, std::span<double> out,
                     unsigned threads) {
  assert(out.size() == vi.size());
  // In blocks for large k, as the sums of the fit (model/sums.hpp).
  const std::size_t block = detail::block_size(vi.size());
  double total = 0.0;
  detail::reduce_blocks<double>(
      vi.size(), block, threads,
      [&](std::size_t begin, std::size_t end) {
        double partial = 0.0;
        for (std::size_t i = begin; i < end; ++i) {
          out[i] = 1.0 / (vi[i] + fit.tau2);
          partial += out[i];
        }
        return partial;
      },
      [&](double partial) { total += partial; });
  detail::for_blocks(vi.size(), block, threads, [&](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i)
      out[i] *= 100.0 / total;
  });
}

}  // namespace evident
