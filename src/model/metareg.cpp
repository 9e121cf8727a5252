// Mixed-effects meta-regression: the tau2 estimators of model/estimators.hpp on the evaluator of
// a design matrix (model/design_evaluator.hpp), then the weighted least squares fit at the
// estimate and the tests metafor's rma.uni(mods = ...) reports.

#include "evident/model/metareg.hpp"

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <cassert>
#include <cmath>
#include <limits>

#include "model/design_evaluator.hpp"
#include "model/estimators.hpp"
#include "stats/distributions.hpp"

namespace evident {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

using Matrix = Eigen::MatrixXd;
using Vector = Eigen::VectorXd;

}  // namespace

MetaRegFit fit_metareg(std::span<const double> yi, std::span<const double> vi, DesignView x,
                       const FitOptions& options) {
  assert(yi.size() == vi.size() && x.rows() == yi.size() && x.p >= 1);
  assert(!options.validate());
  MetaRegFit f;
  f.method = options.method;
  f.test = options.test;
  f.level = options.level;
  f.k = yi.size();
  f.p = x.p;
  const bool random = options.method != Method::FE;
  const bool single = f.k == 1 && f.p == 1;  // as evident::fit: nothing is estimated
  if (f.k < f.p || (random && f.k == f.p && !single)) {
    f.status = RegressionStatus::too_few_studies;
    return f;
  }
  if (single && f.test == Test::knha) {
    f.test = Test::z;  // t(0) does not exist; metafor falls back to z (see evident::fit)
    f.notes |= kNoteKnhaSingleStudy;
  }
  const auto k = static_cast<double>(f.k);
  const auto p = static_cast<double>(f.p);
  const double kp = k - p;
  detail::DesignEvaluator ev(yi, vi, x, options.threads);
  using Detail = detail::DesignEvaluator::Detail;

  f.tau2 = 0.0;
  f.tau2_se = kNaN;
  if (single) {
    f.termination = Termination::single_study;
    f.notes |= kNoteSingleStudy;
  } else if (random) {
    const auto e = detail::estimate_tau2(ev, options);
    if (std::isnan(e.tau2)) {
      f.status = RegressionStatus::rank_deficient;
      return f;
    }
    f.tau2 = e.tau2;
    f.tau2_se = e.se;
    f.termination = e.termination;
    f.iterations = e.iterations;
    if (e.truncated) f.notes |= kNoteTau2Truncated;
    if (e.termination == Termination::max_iterations) f.notes |= kNoteNotConverged;
  }

  // Weighted least squares at the estimate.
  if (!ev.at(f.tau2, Detail::score)) {
    f.status = RegressionStatus::rank_deficient;
    return f;
  }
  const std::size_t np = f.p;
  f.beta.assign(ev.beta.data(), ev.beta.data() + np);
  f.xtwx_inv.resize(np * np);
  for (std::size_t a = 0; a < np; ++a) {
    for (std::size_t b = 0; b < np; ++b) {
      f.xtwx_inv[a * np + b] = ev.a(static_cast<Eigen::Index>(a), static_cast<Eigen::Index>(b));
    }
  }
  f.df = kNaN;
  f.s2w = 1.0;
  if (f.test == Test::knha) {
    // Knapp & Hartung (2003), Stat Med 22:2693-2710: scale (X'WX)^-1 by the weighted residual
    // mean square and use t(k - p) and F(m, k - p); not truncated at 1 (metafor's "knha").
    f.df = kp;
    if (!random) f.notes |= kNoteKnhaCommon;
    f.s2w = ev.q <= std::numeric_limits<double>::epsilon() ? 0.0 : ev.q / kp;
  }
  f.vb = f.xtwx_inv;
  for (double& c : f.vb)
    c *= f.s2w;
  const double crit = stats::critical_value(options.level, f.df);
  f.se.resize(np);
  f.stat.resize(np);
  f.pval.resize(np);
  f.ci_lb.resize(np);
  f.ci_ub.resize(np);
  for (std::size_t j = 0; j < np; ++j) {
    f.se[j] = std::sqrt(f.vb[j * np + j]);
    f.stat[j] = f.beta[j] / f.se[j];
    f.pval[j] = stats::two_sided_p(f.stat[j], f.df);
    f.ci_lb[j] = f.beta[j] - crit * f.se[j];
    f.ci_ub[j] = f.beta[j] + crit * f.se[j];
  }

  // QM: Wald test of the coefficients after the intercept (every coefficient in a model without
  // one; the intercept alone when p = 1), metafor's default btt.
  const std::size_t first = x.first_tested();
  const auto m = static_cast<Eigen::Index>(np - first);
  Matrix vb_sub(m, m);
  Vector b_sub(m);
  for (Eigen::Index a = 0; a < m; ++a) {
    b_sub[a] = f.beta[first + static_cast<std::size_t>(a)];
    for (Eigen::Index b = 0; b < m; ++b) {
      vb_sub(a, b) =
          f.vb[(first + static_cast<std::size_t>(a)) * np + first + static_cast<std::size_t>(b)];
    }
  }
  const Eigen::LLT<Matrix> vb_llt(vb_sub);
  f.QM_df = static_cast<double>(m);
  if (vb_llt.info() == Eigen::Success) {
    f.QM = b_sub.dot(vb_llt.solve(b_sub));
  } else {
    f.QM = kNaN;  // s2w = 0: metafor's chol() fails and it reports NA
  }
  if (f.test == Test::knha) {
    f.QM /= f.QM_df;
    f.QM_p = kp > 0.0 ? stats::f_sf(f.QM, f.QM_df, kp) : kNaN;
  } else {
    f.QM_p = stats::chisq_sf(f.QM, f.QM_df);
  }

  // Residual heterogeneity with weights 1 / v (metafor's QE, vt, I2, H2).
  f.QE_df = kp;
  if (f.k > f.p) {
    // At tau2 = 0 from the evaluation just made, or the one the estimator made, or anew.
    double q0 = ev.q, trace_p0 = ev.trace_p;
    if (f.tau2 != 0.0) {
      const auto& zero = ev.evaluated_at_zero();
      const bool ok = zero ? zero->ok() : ev.at(0.0, Detail::score);
      if (!ok) {
        f.status = RegressionStatus::rank_deficient;
        return f;
      }
      q0 = zero ? zero->q() : ev.q;
      trace_p0 = zero ? zero->trace_p() : ev.trace_p;
    }
    f.QE = std::fmax(0.0, q0);
    f.QE_p = stats::chisq_sf(f.QE, kp);
    f.vt = kp / trace_p0;
    if (!random) {
      f.I2 = std::fmax(0.0, 100.0 * (f.QE - kp) / f.QE);
      f.H2 = f.QE / kp;
    } else {
      f.I2 = 100.0 * f.tau2 / (f.vt + f.tau2);
      f.H2 = f.tau2 / f.vt + 1.0;
    }
  } else {
    f.QE = 0.0;
    f.QE_p = 1.0;
    f.I2 = 0.0;
    f.H2 = 1.0;
    f.vt = 0.0;
  }
  return f;
}

}  // namespace evident
