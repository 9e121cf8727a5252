#pragma once
// The tau2 estimators of the random-effects model, each written once against an evaluator of
// the weighted quantities it needs (model/evaluator.hpp), with the paper and equation it
// implements. With X = 1 the traces reduce to the closed forms of the intercept-only model
// (tr(P) = sum w - sum w^2 / sum w, ...); the estimators do not know which model they fit.
// Internal to the library; the public entry points are evident::fit() and evident::fit_metareg().

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>
#include <optional>
#include <utility>

#include "evident/model/fit.hpp"
#include "model/evaluator.hpp"
#include "model/q_root.hpp"
#include "stats/roots.hpp"

namespace evident::detail {

template <class Point>
struct Tau2Estimate {
  double tau2 = 0.0;
  double se = 0.0;  // metafor's se.tau2
  Termination termination = Termination::closed_form;
  int iterations = 0;
  bool truncated = false;  // the unconstrained estimate was negative
  // The evaluation at tau2, when the estimator made it for its standard error (ML, REML, PM,
  // EB): the fit takes its pooled estimate from it rather than evaluating the same again.
  std::optional<Point> at_estimate;
};

namespace estimators {

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Truncates a method-of-moments estimate at zero, as every estimator in metafor does.
template <class Point>
Tau2Estimate<Point> truncated(double raw) {
  Tau2Estimate<Point> e;
  e.truncated = raw < 0.0;
  e.tau2 = std::max(raw, 0.0);
  return e;
}

// An estimate that could not be computed because X'WX is singular at some tau2 (cannot happen
// when X has full column rank and every vi is positive; kept as an outcome, not an assert).
template <class Point>
Tau2Estimate<Point> singular() {
  Tau2Estimate<Point> e;
  e.tau2 = kNaN;
  e.se = kNaN;
  e.termination = Termination::max_iterations;
  return e;
}

template <Tau2Evaluator E>
double residual_df(const E& ev) {
  return static_cast<double>(ev.k()) - static_cast<double>(ev.p());
}

// DerSimonian & Laird (1986), Control Clin Trials 7:177-188, eq. 8 (method of moments on
// Cochran's Q with inverse-variance weights), generalised to meta-regression (Raudenbush 2009,
// eq. 16.32):
//   tau2 = (Q - (k - p)) / tr(P),  P at w = 1 / v;  for X = 1, tr(P) = sum w - sum w^2 / sum w.
// Standard error: the variance of Q under the model (Biggerstaff & Tweedie 1997, Stat Med
// 16:753-768, eq. 5) divided by the squared denominator, as metafor computes it:
//   sqrt(2 (k - p) + 4 tau2 tr(P) + 2 tau2^2 tr(PP)) / tr(P).
template <class Point>
Tau2Estimate<Point> dl_at_zero(const Point& s, double kp) {
  const double trp = s.trace_p();
  Tau2Estimate<Point> e = truncated<Point>((s.q() - kp) / trp);
  const double t = e.tau2;
  e.se = std::sqrt(2.0 * kp + 4.0 * t * trp + 2.0 * t * t * s.trace_pp()) / trp;
  return e;
}

template <Tau2Evaluator E>
Tau2Estimate<typename E::Point> dl(E& ev) {
  const auto s = ev.at_zero();
  if (!s.ok()) return singular<typename E::Point>();
  return dl_at_zero(s, residual_df(ev));
}

// Hedges (1983), Psychol Bull 93:388-395; Hedges & Olkin (1985): method of moments with unit
// weights, with ordinary least squares residuals for a design (Raudenbush 2009, eq. 16.31):
//   tau2 = (y'P0y - tr(P0 V)) / (k - p),  P0 = I - X (X'X)^-1 X'.
// Standard error: sqrt(2 tr(P0VP0V) + 4 tau2 tr(P0V) + 2 tau2^2 (k - p)) / (k - p).
template <Tau2Evaluator E>
Tau2Estimate<typename E::Point> he(E& ev) {
  using Point = typename E::Point;
  const double kp = residual_df(ev);
  const HedgesTerms h = ev.hedges();
  if (!h.ok) return singular<Point>();
  Tau2Estimate<Point> e = truncated<Point>((h.rss - h.trace_pv) / kp);
  const double t = e.tau2;
  e.se = std::sqrt(2.0 * h.trace_pvpv + 4.0 * t * h.trace_pv + 2.0 * t * t * kp) / kp;
  return e;
}

// Hunter & Schmidt (2004), Methods of Meta-Analysis, 2nd ed.; in the form of Viechtbauer et al.
// (2015), Psychol Methods 20:360-374: tau2 = (Q - k) / sum w, w = 1 / v; standard error as DL
// with sum w as the denominator.
template <Tau2Evaluator E>
Tau2Estimate<typename E::Point> hs(E& ev) {
  using Point = typename E::Point;
  const auto k = static_cast<double>(ev.k());
  const double kp = residual_df(ev);
  const auto s = ev.at_zero();
  if (!s.ok()) return singular<Point>();
  Tau2Estimate<Point> e = truncated<Point>((s.q() - k) / s.sw());
  const double t = e.tau2;
  e.se = std::sqrt(2.0 * kp + 4.0 * t * s.trace_p() + 2.0 * t * t * s.trace_pp()) / s.sw();
  return e;
}

// Sidik & Jonkman (2005), J Biopharm Stat 15:823-838; (2007) Stat Med 26:1964-1981, eq. 6:
// one weighted step from the crude start t0 = sum (y - ybar)^2 / k (the unweighted mean, not a
// regression fit, as metafor):
//   tau2 = t0 y'P(t0)y / (k - p),  P at w = 1 / (v + t0).
// Never negative, so never truncated. Standard error as metafor:
//   t0 / (k - p) sqrt(2 tr(PVPV) + 4 tau2 tr(PVP) + 2 tau2^2 tr(PP)), P at t0.
template <Tau2Evaluator E>
Tau2Estimate<typename E::Point> sj(E& ev) {
  using Point = typename E::Point;
  const auto k = static_cast<double>(ev.k());
  const double kp = residual_df(ev);
  const double t0 = ev.unweighted_ss() / k;
  const SidikJonkmanTerms s = ev.sidik_jonkman(t0);
  if (!s.ok) return singular<Point>();
  Tau2Estimate<Point> e;
  e.tau2 = t0 * s.q / kp;
  const double t = e.tau2;
  e.se = t0 / kp * std::sqrt(2.0 * s.trace_pvpv + 4.0 * t * s.trace_pvp + 2.0 * t * t * s.trace_pp);
  return e;
}

// Paule & Mandel (1982), J Res Natl Bur Stand 87:377-385; DerSimonian & Kacker (2007), Contemp
// Clin Trials 28:105-114: the tau2 at which the generalised Q equals its expectation k - p.
// The empirical Bayes estimator (Morris 1983, JASA 78:47-55; Berkey et al. 1995) solves the same
// equation (Viechtbauer et al. 2015, Psychol Methods 20:360-374; metafor's EB iteration has this
// fixed point too), so EB uses this too. Standard error as metafor: sqrt(2 k^2 / (k - p)) / sum w
// at the estimate.
template <Tau2Evaluator E>
Tau2Estimate<typename E::Point> pm(E& ev, const FitOptions& o) {
  using Point = typename E::Point;
  const auto k = static_cast<double>(ev.k());
  const double kp = residual_df(ev);
  const QRoot root = solve_generalized_q(ev, kp, o.tau2_tolerance, o.max_iterations);
  if (std::isnan(root.tau2)) return singular<Point>();
  Tau2Estimate<Point> e;
  e.tau2 = root.tau2;
  e.termination = root.termination;
  e.iterations = root.iterations;
  e.truncated = root.termination == Termination::boundary;
  const auto s = ev.q_at(e.tau2);
  if (!s.ok()) return singular<Point>();
  e.se = std::sqrt(2.0 * k * k / kp) / s.sw();
  e.at_estimate = s;
  return e;
}

// Maximises the (restricted) log-likelihood over tau2 >= 0 through the roots of its score.
// Score (times 2), with P at w = 1 / (v + tau2):
//   ML   (Hardy & Thompson 1996, Stat Med 15:619-629):  S = y'PPy - sum w
//   REML (Viechtbauer 2005, J Educ Behav Stat 30:261-293, eq. 12; Raudenbush 2009):
//        S = y'PPy - tr(P)
// Derivatives: dS/dtau2 = -2 y'PPPy + sum w^2 (ML), -2 y'PPPy + tr(PP) (REML).
//
// metafor uses Fisher scoring from the Hedges estimate, which can cycle and stop without
// converging, and finds one local maximum. The likelihood can have several (dat.gibson2002, MD,
// ML: a boundary maximum at 0, a local minimum near 0.07 and a lower local maximum near 0.70), so
// here the score is scanned on a log grid over [0, hi] for every change of sign from + to -, each
// is refined by bracketed Newton iteration (which cannot fail), and the candidate with the highest
// likelihood wins, 0 included when the score is negative there.
template <bool kRestricted, Tau2Evaluator E>
Tau2Estimate<typename E::Point> likelihood(E& ev, const FitOptions& o) {
  using Point = typename E::Point;
  bool ok = true;  // every evaluation found X'WX regular
  auto score_of = [](const Point& s) {
    if constexpr (kRestricted) {
      return s.yppy() - s.trace_p();
    } else {
      return s.yppy() - s.sw();
    }
  };
  auto f_df = [&](double t) {
    const Point s = ev.derivative_at(t);
    ok = s.ok() && ok;
    if constexpr (kRestricted) {
      return std::pair{s.yppy() - s.trace_p(), -2.0 * s.ypppy() + s.trace_pp()};
    } else {
      return std::pair{s.yppy() - s.sw(), -2.0 * s.ypppy() + s.sw2()};
    }
  };
  // The score alone, for the grid scan: the same value as f_df(t).first, for less work.
  auto checked_score = [&](const Point& s) {
    ok = s.ok() && ok;
    return score_of(s);
  };
  auto score = [&](double t) { return checked_score(ev.score_at(t)); };
  // Log-likelihood up to a constant, to compare candidate maxima:
  //   -1/2 (log det(V + tau2 I) + y'Py [+ log det X'WX for REML]).
  auto loglik = [&](double t) {
    const double slog = ev.log_det_marginal(t);
    const Point s = ev.q_at(t);
    ok = s.ok() && ok;
    return -0.5 * (slog + s.q() + (kRestricted ? s.logdet() : 0.0));
  };
  const double scale = ev.variance_scale();
  auto tol = [&](double t) { return o.tau2_tolerance * std::max(t, scale); };

  // An upper end where the score is negative: S(tau2) ~ (SS / tau2 - (k - p)) / tau2 for large
  // tau2, so few expansions are needed. Every score evaluation counts as an iteration.
  const Point zero = ev.at_zero();
  if (!zero.ok()) return singular<Point>();
  const double f0 = score_of(zero);  // the score-level evaluation gives the same bits
  int iterations = 1;
  double hi = std::max(2.0 * dl_at_zero(zero, residual_df(ev)).tau2, scale);
  double f_hi = score(hi);
  ++iterations;
  while (f_hi > 0.0 && iterations < o.max_iterations) {
    hi *= 4.0;
    f_hi = score(hi);
    ++iterations;
  }

  Tau2Estimate<Point> e;
  if (!ok) {
    e = singular<Point>();
    e.iterations = iterations;
    return e;
  }
  if (f_hi > 0.0) {  // unreachable for finite data and the default max_iterations
    e.tau2 = hi;
    e.termination = Termination::max_iterations;
    e.iterations = iterations;
    e.se = kNaN;
    return e;
  }

  // The likelihood changes shape where tau2 is comparable to some vi, so the grid is log-spaced
  // from well below the smallest vi up to hi, with kPointsPerDecade points per factor of 10.
  // Below 1% of min(vi) the weights barely change and the score is nearly linear, so a sign
  // change there is caught by the first cell [0, t1].
  constexpr double kPointsPerDecade = 6.0;
  const double t_first = std::min(0.01 * ev.min_variance(), 0.5 * hi);
  const double decades = std::log10(hi / t_first);
  constexpr int kMaxGrid = 400;
  const int grid = std::clamp(static_cast<int>(std::ceil(kPointsPerDecade * decades)), 8, kMaxGrid);
  const double ratio = std::pow(hi / t_first, 1.0 / (grid - 1));

  double best = 0.0;
  double best_ll = -std::numeric_limits<double>::infinity();
  int candidates = 0;
  bool converged = true;
  if (!(f0 > 0.0)) {  // decreasing at 0: a boundary maximum
    best = 0.0;
    candidates = 1;
  }
  // The score at every grid point first (the evaluator may take several points per pass over the
  // studies), then the scan for changes of sign.
  double ts[kMaxGrid], fs[kMaxGrid];
  double t_grid = t_first;
  for (int j = 0; j < grid; ++j) {
    ts[j] = j == grid - 1 ? hi : t_grid;
    t_grid *= ratio;
  }
  fs[grid - 1] = f_hi;
  const auto inner = static_cast<std::size_t>(grid - 1);
  ev.scores(std::span<const double>(ts, inner), std::span<double>(fs, inner), checked_score);

  double t_prev = 0.0, f_prev = f0;
  for (int j = 0; j < grid; ++j) {
    const bool last = j == grid - 1;
    const double t = ts[j];
    const double f = fs[j];
    if (!last) ++iterations;
    if (f_prev > 0.0 && !(f > 0.0)) {  // + to -: a local maximum in (t_prev, t]
      const auto r = stats::newton_bracketed(f_df, t_prev, t, f_prev, f, 0.5 * (t_prev + t), tol,
                                             o.max_iterations);
      iterations += r.iterations;
      converged = converged && r.converged;
      if (candidates == 0) {
        best = r.x;
      } else {
        if (candidates == 1) best_ll = loglik(best);
        const double ll = loglik(r.x);
        if (ll > best_ll) {
          best = r.x;
          best_ll = ll;
        }
      }
      ++candidates;
    }
    t_prev = t;
    f_prev = f;
  }
  if (!ok) return singular<Point>();
  e.tau2 = best;
  e.iterations = iterations;
  if (best == 0.0) {
    e.termination = Termination::boundary;
    e.truncated = true;
  } else {
    e.termination = converged ? Termination::converged : Termination::max_iterations;
  }
  const Point s = ev.derivative_at(e.tau2);
  if (!s.ok()) return singular<Point>();
  // Inverse (expected) information: 2 / sum w^2 (ML), 2 / tr(PP) (REML).
  e.se = std::sqrt(2.0 / (kRestricted ? s.trace_pp() : s.sw2()));
  e.at_estimate = s;
  return e;
}

}  // namespace estimators

// The estimator of options.method (not FE, MH, PETO or BAYES), for k > p.
template <Tau2Evaluator E>
Tau2Estimate<typename E::Point> estimate_tau2(E& ev, const FitOptions& options) {
  assert(ev.k() > ev.p());
  switch (options.method) {
    case Method::DL:
      return estimators::dl(ev);
    case Method::HE:
      return estimators::he(ev);
    case Method::HS:
      return estimators::hs(ev);
    case Method::SJ:
      return estimators::sj(ev);
    case Method::ML:
      return estimators::likelihood<false>(ev, options);
    case Method::REML:
      return estimators::likelihood<true>(ev, options);
    case Method::EB:
    case Method::PM:
      return estimators::pm(ev, options);
    case Method::FE:
    case Method::MH:
    case Method::PETO:
    case Method::BAYES:  // a posterior, not an estimate (bayes.hpp)
      break;
  }
  assert(false &&
         "estimate_tau2 called for a model without a tau2 estimator (FE, MH, PETO, BAYES)");
  return {};
}

}  // namespace evident::detail
