#include "model/tau2.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>
#include <utility>

#include "model/sums.hpp"
#include "stats/parallel.hpp"
#include "stats/roots.hpp"

namespace evident::detail {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Every O(k) sum in this file runs through reduce_blocks with block_size(k): one plain loop below
// kBlockedMin, the fixed blocks of sums.hpp from there on, so the same bits for any thread count.

// sum over i < k of term(i), in that order within each block.
template <typename Term>
double sum_terms(std::size_t k, unsigned threads, Term term) {
  double total = 0.0;
  reduce_blocks<double>(
      k, block_size(k), threads,
      [&](std::size_t begin, std::size_t end) {
        double s = 0.0;
        for (std::size_t i = begin; i < end; ++i)
          s += term(i);
        return s;
      },
      [&](double s) { total += s; });
  return total;
}

// Sum of y.
double sum(std::span<const double> y, unsigned threads) {
  return sum_terms(y.size(), threads, [&](std::size_t i) { return y[i]; });
}

// Sum of squared deviations from the unweighted mean.
double sum_sq_dev(std::span<const double> y, unsigned threads) {
  const double mean = sum(y, threads) / static_cast<double>(y.size());
  return sum_terms(y.size(), threads, [&](std::size_t i) { return (y[i] - mean) * (y[i] - mean); });
}

// Truncates a method-of-moments estimate at zero, as every estimator in metafor does.
Tau2Estimate truncated(double raw) {
  Tau2Estimate e;
  e.truncated = raw < 0.0;
  e.tau2 = std::max(raw, 0.0);
  return e;
}

}  // namespace

double variance_scale(std::span<const double> v, unsigned threads) {
  return sum(v, threads) / static_cast<double>(v.size());
}

// DerSimonian & Laird (1986), Control Clin Trials 7:177-188, eq. 8 (method of moments on
// Cochran's Q with inverse-variance weights):
//   tau2 = (Q - (k - 1)) / (sum w - sum w^2 / sum w),  w = 1 / v.
// Standard error: the variance of Q under the model (Biggerstaff & Tweedie 1997, Stat Med
// 16:753-768, eq. 5) divided by the squared denominator, as metafor computes it.
Tau2Estimate tau2_dl(std::size_t studies, const WeightedSums& s) {
  const auto k = static_cast<double>(studies);
  const double trp = s.trace_p();
  Tau2Estimate e = truncated((s.q - (k - 1.0)) / trp);
  const double t = e.tau2;
  e.se = std::sqrt(2.0 * (k - 1.0) + 4.0 * t * trp + 2.0 * t * t * s.trace_pp()) / trp;
  return e;
}

// Hedges (1983), Psychol Bull 93:388-395; Hedges & Olkin (1985): method of moments with unit
// weights: tau2 = (sum (y - ybar)^2 - (k - 1)/k sum v) / (k - 1). Here P = I - J/k, so
// tr(PV) = (1 - 1/k) sum v and tr(PVPV) = (1 - 2/k) sum v^2 + (sum v)^2 / k^2.
Tau2Estimate tau2_he(std::span<const double> y, std::span<const double> v, unsigned threads) {
  const auto k = static_cast<double>(y.size());
  struct VarianceSums {
    double sv = 0.0, sv2 = 0.0;
  };
  VarianceSums total;
  reduce_blocks<VarianceSums>(
      v.size(), block_size(v.size()), threads,
      [&](std::size_t begin, std::size_t end) {
        VarianceSums p;
        for (std::size_t i = begin; i < end; ++i) {
          p.sv += v[i];
          p.sv2 += v[i] * v[i];
        }
        return p;
      },
      [&](const VarianceSums& p) {
        total.sv += p.sv;
        total.sv2 += p.sv2;
      });
  const double sv = total.sv, sv2 = total.sv2;
  const double trpv = sv * (1.0 - 1.0 / k);
  const double trpvpv = (1.0 - 2.0 / k) * sv2 + sv * sv / (k * k);
  Tau2Estimate e = truncated((sum_sq_dev(y, threads) - trpv) / (k - 1.0));
  const double t = e.tau2;
  e.se = std::sqrt(2.0 * trpvpv + 4.0 * t * trpv + 2.0 * t * t * (k - 1.0)) / (k - 1.0);
  return e;
}

// Hunter & Schmidt (2004), Methods of Meta-Analysis, 2nd ed.; in the form of Viechtbauer et al.
// (2015), Psychol Methods 20:360-374: tau2 = (Q - k) / sum w, w = 1 / v.
Tau2Estimate tau2_hs(std::size_t studies, const WeightedSums& s) {
  const auto k = static_cast<double>(studies);
  Tau2Estimate e = truncated((s.q - k) / s.sw);
  const double t = e.tau2;
  e.se = std::sqrt(2.0 * (k - 1.0) + 4.0 * t * s.trace_p() + 2.0 * t * t * s.trace_pp()) / s.sw;
  return e;
}

// Sidik & Jonkman (2005), J Biopharm Stat 15:823-838; (2007) Stat Med 26:1964-1981, eq. 6:
// one weighted step from the crude start t0 = sum (y - ybar)^2 / k:
//   tau2 = t0 * Q(t0) / (k - 1),  Q(t0) = sum w (y - mu)^2 with w = 1 / (v + t0).
// Never negative, so never truncated.
Tau2Estimate tau2_sj(std::span<const double> y, std::span<const double> v, unsigned threads) {
  const auto k = static_cast<double>(y.size());
  const double t0 = sum_sq_dev(y, threads) / k;
  const WeightedSums s = weighted_sums(y, v, t0, threads);
  Tau2Estimate e;
  e.tau2 = t0 * s.q / (k - 1.0);
  // metafor's standard error: t0 / (k - 1) * sqrt(2 tr(PVPV) + 4 tau2 sum(PV o P)
  // + 2 tau2^2 tr(PP)), with P at weights 1 / (v + t0). Closed forms for one intercept:
  //   tr(PVPV)    = sum w^2 v^2 - 2 sum w^3 v^2 / S + (sum w^2 v)^2 / S^2
  //   sum(PV o P) = sum w^2 v   - 2 sum w^3 v   / S + sum w^2 * sum w^2 v / S^2
  struct TraceSums {
    double sw2v = 0.0, sw2v2 = 0.0, sw3v = 0.0, sw3v2 = 0.0;
  };
  TraceSums total;
  reduce_blocks<TraceSums>(
      v.size(), block_size(v.size()), threads,
      [&](std::size_t begin, std::size_t end) {
        TraceSums p;
        for (std::size_t i = begin; i < end; ++i) {
          const double w = 1.0 / (v[i] + t0);
          const double w2v = w * w * v[i];
          p.sw2v += w2v;
          p.sw2v2 += w2v * v[i];
          p.sw3v += w2v * w;
          p.sw3v2 += w2v * w * v[i];
        }
        return p;
      },
      [&](const TraceSums& p) {
        total.sw2v += p.sw2v;
        total.sw2v2 += p.sw2v2;
        total.sw3v += p.sw3v;
        total.sw3v2 += p.sw3v2;
      });
  const double sw2v = total.sw2v, sw2v2 = total.sw2v2, sw3v = total.sw3v, sw3v2 = total.sw3v2;
  const double S = s.sw;
  const double trpvpv = sw2v2 - 2.0 * sw3v2 / S + sw2v * sw2v / (S * S);
  const double pvp = sw2v - 2.0 * sw3v / S + s.sw2 * sw2v / (S * S);
  const double t = e.tau2;
  e.se = t0 / (k - 1.0) * std::sqrt(2.0 * trpvpv + 4.0 * t * pvp + 2.0 * t * t * s.trace_pp());
  return e;
}

QRoot solve_generalized_q(std::span<const double> y, std::span<const double> v, double target,
                          double tolerance, int max_iterations, unsigned threads) {
  return solve_generalized_q(y, v, target, tolerance, max_iterations, threads,
                             weighted_sums(y, v, 0.0, threads));
}

QRoot solve_generalized_q(std::span<const double> y, std::span<const double> v, double target,
                          double tolerance, int max_iterations, unsigned threads,
                          const WeightedSums& s0) {
  if (!(s0.q > target)) return {0.0, 0, Termination::boundary};
  // Q(tau2) = min over mu of sum w (y - mu)^2 <= sum (y - ybar)^2 / tau2, so at
  // hi = 2 SS / target, Q(hi) <= target / 2: a guaranteed upper end of the bracket.
  const double hi = 2.0 * sum_sq_dev(y, threads) / target;
  const double scale = variance_scale(v, threads);
  auto f_df = [&](double t) {
    const WeightedSums s = weighted_sums(y, v, t, threads);
    return std::pair{s.q - target, -s.sw2r2};  // d(y'Py)/d tau2 = -y'PPy
  };
  auto tol = [&](double t) { return tolerance * std::max(t, scale); };
  // First Newton step from 0, whose sums are already at hand.
  const double x0 = (s0.q - target) / s0.sw2r2;
  const auto r = stats::newton_bracketed(f_df, 0.0, hi, s0.q - target, f_df(hi).first, x0, tol,
                                         max_iterations);
  return {r.x, r.iterations, r.converged ? Termination::converged : Termination::max_iterations};
}

// Paule & Mandel (1982), J Res Natl Bur Stand 87:377-385; DerSimonian & Kacker (2007), Contemp
// Clin Trials 28:105-114: the tau2 at which the generalised Q equals its expectation k - 1.
// The empirical Bayes estimator (Morris 1983, JASA 78:47-55; Berkey et al. 1995) solves the same
// equation (Viechtbauer et al. 2015, Psychol Methods 20:360-374), so EB uses this too.
// Standard error as metafor: sqrt(2 k^2 / (k - 1)) / sum w at the estimate.
Tau2Estimate tau2_pm(std::span<const double> y, std::span<const double> v, const FitOptions& o,
                     const WeightedSums& at_zero) {
  const auto k = static_cast<double>(y.size());
  const QRoot root =
      solve_generalized_q(y, v, k - 1.0, o.tau2_tolerance, o.max_iterations, o.threads, at_zero);
  Tau2Estimate e;
  e.tau2 = root.tau2;
  e.termination = root.termination;
  e.iterations = root.iterations;
  e.truncated = root.termination == Termination::boundary;
  e.sums = weighted_sums(y, v, e.tau2, o.threads);
  e.se = std::sqrt(2.0 * k * k / (k - 1.0)) / e.sums->sw;
  return e;
}

namespace {

// Maximises the (restricted) log-likelihood over tau2 >= 0 through the roots of its score.
// Score, with w = 1 / (v + tau2) and r = y - mu(tau2):
//   ML   (Hardy & Thompson 1996, Stat Med 15:619-629):  S = sum w^2 r^2 - sum w
//   REML (Viechtbauer 2005, J Educ Behav Stat 30:261-293, eq. 12 for one intercept):
//        S = sum w^2 r^2 - tr(P),  tr(P) = sum w - sum w^2 / sum w
// (both times 1/2). Derivatives: dS/dtau2 = -2 y'PPPy + sum w^2 (ML), -2 y'PPPy + tr(PP) (REML).
//
// metafor uses Fisher scoring from the Hedges estimate, which can cycle and stop without
// converging, and finds one local maximum. The likelihood can have several (dat.gibson2002, MD,
// ML: a boundary maximum at 0, a local minimum near 0.07 and a lower local maximum near 0.70), so
// here the score is scanned on a log grid over [0, hi] for every change of sign from + to -, each
// is refined by bracketed Newton iteration (which cannot fail), and the candidate with the highest
// likelihood wins, 0 included when the score is negative there.
template <bool kRestricted>
Tau2Estimate tau2_likelihood(std::span<const double> y, std::span<const double> v,
                             const FitOptions& o, const WeightedSums& at_zero) {
  const unsigned threads = o.threads;
  auto f_df = [&](double t) {
    const WeightedSums s = weighted_sums(y, v, t, threads);
    if constexpr (kRestricted) {
      return std::pair{s.sw2r2 - s.trace_p(), -2.0 * s.yPPPy() + s.trace_pp()};
    } else {
      return std::pair{s.sw2r2 - s.sw, -2.0 * s.yPPPy() + s.sw2};
    }
  };
  // The score alone, for the grid scan: the same value as f_df(t).first, for half the work.
  auto score_of = [](const WeightedSums& s) {
    if constexpr (kRestricted) {
      return s.sw2r2 - s.trace_p();
    } else {
      return s.sw2r2 - s.sw;
    }
  };
  auto score = [&](double t) { return score_of(score_sums(y, v, t, threads)); };
  // Log-likelihood up to a constant, to compare candidate maxima.
  auto loglik = [&](double t) {
    const double slog =
        sum_terms(v.size(), threads, [&](std::size_t i) { return std::log(v[i] + t); });
    const WeightedSums s = weighted_sums(y, v, t, threads);
    return -0.5 * (slog + s.q + (kRestricted ? std::log(s.sw) : 0.0));
  };
  const double scale = variance_scale(v, threads);
  auto tol = [&](double t) { return o.tau2_tolerance * std::max(t, scale); };

  // An upper end where the score is negative: S(tau2) ~ (SS / tau2 - (k - 1)) / tau2 for large
  // tau2, so few expansions are needed. Every score evaluation counts as an iteration.
  const double f0 = score_of(at_zero);  // score_sums and weighted_sums agree to the last bit
  int iterations = 1;
  double hi = std::max(2.0 * tau2_dl(y.size(), at_zero).tau2, scale);
  double f_hi = score(hi);
  ++iterations;
  while (f_hi > 0.0 && iterations < o.max_iterations) {
    hi *= 4.0;
    f_hi = score(hi);
    ++iterations;
  }

  Tau2Estimate e;
  if (f_hi > 0.0) {  // unreachable for finite data; reported rather than asserted
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
  double vmin = std::numeric_limits<double>::infinity();
  reduce_blocks<double>(
      v.size(), block_size(v.size()), threads,
      [&](std::size_t begin, std::size_t end) {
        return *std::min_element(v.begin() + begin, v.begin() + end);
      },
      [&](double p) { vmin = std::min(vmin, p); });
  const double t_first = std::min(0.01 * vmin, 0.5 * hi);
  const double decades = std::log10(hi / t_first);
  const int grid = std::clamp(static_cast<int>(std::ceil(kPointsPerDecade * decades)), 8, 400);
  const double ratio = std::pow(hi / t_first, 1.0 / (grid - 1));

  double best = 0.0;
  double best_ll = -std::numeric_limits<double>::infinity();
  int candidates = 0;
  bool converged = true;
  if (!(f0 > 0.0)) {  // decreasing at 0: a boundary maximum
    best = 0.0;
    candidates = 1;
  }
  // The score at every grid point first, four points per pass over the studies (the values are
  // those of score(t) one by one, to the last bit); then the scan for changes of sign.
  constexpr int kMaxGrid = 400;
  double ts[kMaxGrid], fs[kMaxGrid];
  double t_grid = t_first;
  for (int j = 0; j < grid; ++j) {
    ts[j] = j == grid - 1 ? hi : t_grid;
    t_grid *= ratio;
  }
  fs[grid - 1] = f_hi;
  int j0 = 0;
  for (; j0 + 4 <= grid - 1; j0 += 4) {
    const double t4[4] = {ts[j0], ts[j0 + 1], ts[j0 + 2], ts[j0 + 3]};
    WeightedSums s4[4];
    score_sums4(y, v, t4, s4, threads);
    for (int l = 0; l < 4; ++l)
      fs[j0 + l] = score_of(s4[l]);
  }
  for (; j0 < grid - 1; ++j0)
    fs[j0] = score(ts[j0]);

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
  e.tau2 = best;
  e.iterations = iterations;
  if (best == 0.0) {
    e.termination = Termination::boundary;
    e.truncated = true;
  } else {
    e.termination = converged ? Termination::converged : Termination::max_iterations;
  }
  e.sums = weighted_sums(y, v, e.tau2, threads);
  // Inverse (expected) information: 2 / sum w^2 (ML), 2 / tr(PP) (REML).
  e.se = std::sqrt(2.0 / (kRestricted ? e.sums->trace_pp() : e.sums->sw2));
  return e;
}

}  // namespace

Tau2Estimate tau2_ml(std::span<const double> y, std::span<const double> v, const FitOptions& o,
                     const WeightedSums& at_zero) {
  return tau2_likelihood<false>(y, v, o, at_zero);
}

Tau2Estimate tau2_reml(std::span<const double> y, std::span<const double> v, const FitOptions& o,
                       const WeightedSums& at_zero) {
  return tau2_likelihood<true>(y, v, o, at_zero);
}

Tau2Estimate estimate_tau2(std::span<const double> y, std::span<const double> v,
                           const FitOptions& options, std::optional<WeightedSums>& at_zero) {
  assert(y.size() >= 2);
  auto zero = [&]() -> const WeightedSums& {
    if (!at_zero) at_zero = weighted_sums(y, v, 0.0, options.threads);
    return *at_zero;
  };
  switch (options.method) {
    case Method::DL:
      return tau2_dl(y.size(), zero());
    case Method::HE:
      return tau2_he(y, v, options.threads);
    case Method::HS:
      return tau2_hs(y.size(), zero());
    case Method::SJ:
      return tau2_sj(y, v, options.threads);
    case Method::ML:
      return tau2_ml(y, v, options, zero());
    case Method::REML:
      return tau2_reml(y, v, options, zero());
    case Method::EB:
    case Method::PM:
      return tau2_pm(y, v, options, zero());
    case Method::FE:
    case Method::MH:
    case Method::PETO:
      break;
  }
  assert(false && "estimate_tau2 called for the common-effect model");
  return {};
}

}  // namespace evident::detail
