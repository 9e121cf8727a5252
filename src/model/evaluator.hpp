#pragma once
// What a tau2 estimator asks of a model: the weighted quantities of the random-effects model at a
// given tau2, whatever the shape of the model. The estimators (model/estimators.hpp) and the
// Q-profile root (model/q_root.hpp) are written once against this interface; an evaluator owns
// how each quantity is computed (closed forms and blocked sums for the intercept-only model,
// p x p matrices for a design), so each model keeps its own arithmetic to the last bit.
// Internal to the library; no Eigen here.
//
// The model: y = X beta + u + e, e ~ N(0, V) with V known, u ~ N(0, tau2 I), so the marginal
// covariance is M = V + tau2 I and W = M^-1. With A = (X'WX)^-1,
//   P = W - W X A X'W,
// the projection whose traces and quadratic forms every estimator is written in (Viechtbauer
// 2005, J Educ Behav Stat 30:261-293; Raudenbush 2009, in The Handbook of Research Synthesis and
// Meta-Analysis, ch. 16). For V diagonal, W = diag(w) with w = 1 / (v + tau2).
//
// Evaluators:
//   InterceptEvaluator (model/intercept_evaluator.hpp): X = 1, closed forms of model/sums.hpp,
//     blocked sums for large k (the same bits for any thread count); never singular.
//   DesignEvaluator (model/design_evaluator.hpp): a k x p design, from X' W^j X and weighted
//     residuals, never a k x k matrix; singular when X'WX is.
// A third, for a block-diagonal V (several estimates per study: multilevel, multivariate and
// network models), provides the same quantities with W = (V + tau2 I)^-1 computed block by block
// (a Cholesky factor of each block): sum w and sum w^2 read as tr(W) and tr(WW), the
// log-determinant of the marginal covariance as the sum of the blocks' log-determinants, the
// unweighted quantities with the blocks of V in place of diag(v). The estimators do not change.
// (Several variance components, each with its own dM/dsigma2, need vector-valued scores and are
// beyond this interface: here dM/dtau2 = I.)

#include <concepts>
#include <cstddef>
#include <span>

namespace evident::detail {

// How much of a Tau2Point an evaluation guarantees (an evaluator may compute more):
//   q_at:          ok, q, yppy, sw, logdet      (Q roots and the log-likelihood)
//   score_at:      ok, yppy, sw, sw2, trace_p   (the scores of the (restricted) likelihood)
//   derivative_at: all of them                  (the scores and their derivatives)
// Reading a quantity an evaluation does not guarantee gives an unspecified value.
template <class P>
concept Tau2Point = std::copyable<P> && requires(const P& s) {
  { s.ok() } -> std::convertible_to<bool>;          // false: X'WX singular, nothing else is valid
  { s.sw() } -> std::convertible_to<double>;        // sum w = tr(W)
  { s.sw2() } -> std::convertible_to<double>;       // sum w^2 = tr(WW)
  { s.q() } -> std::convertible_to<double>;         // y'Py, the generalised Q
  { s.yppy() } -> std::convertible_to<double>;      // y'PPy = -d(y'Py)/dtau2
  { s.ypppy() } -> std::convertible_to<double>;     // y'PPPy
  { s.trace_p() } -> std::convertible_to<double>;   // tr(P)
  { s.trace_pp() } -> std::convertible_to<double>;  // tr(PP)
  { s.logdet() } -> std::convertible_to<double>;    // log det X'WX
};

// The ordinary least squares quantities of the Hedges estimator: P0 = I - X (X'X)^-1 X'.
struct HedgesTerms {
  bool ok = true;           // false: X'X singular
  double rss = 0.0;         // y'P0y, the residual sum of squares
  double trace_pv = 0.0;    // tr(P0 V)
  double trace_pvpv = 0.0;  // tr(P0 V P0 V)
};

// The quantities of the Sidik-Jonkman estimator, P at weights 1 / (v + t0).
struct SidikJonkmanTerms {
  bool ok = true;  // false: X'WX singular
  double q = 0.0;  // y'Py
  double trace_pp = 0.0;
  double trace_pvpv = 0.0;  // tr(PVPV)
  double trace_pvp = 0.0;   // tr(PVP)
};

// An evaluator of one model. Evaluations may reuse storage: each point is a copy of what the
// evaluation found. Every quantity is a deterministic function of tau2, and an evaluation at a
// lower level gives the same bits for what it computes as one at a higher level.
template <class E>
concept Tau2Evaluator = Tau2Point<typename E::Point> &&
    requires(E& e, const E& c, double t, std::span<const double> ts, std::span<double> out,
             double (*score)(const typename E::Point&)) {
  { c.k() } -> std::convertible_to<std::size_t>;  // estimates
  { c.p() } -> std::convertible_to<std::size_t>;  // columns of X
  { e.q_at(t) } -> std::same_as<typename E::Point>;
  { e.score_at(t) } -> std::same_as<typename E::Point>;
  { e.derivative_at(t) } -> std::same_as<typename E::Point>;
  // derivative_at(0): the start of DL, HS, PM, EB, ML and REML, evaluated once and kept (the
  // fit reads it again for Cochran's Q or QE).
  { e.at_zero() } -> std::same_as<typename E::Point>;
  // out[j] = score(score_at(ts[j])) for every j, in any order or several at a time (the grid
  // scan of the likelihood estimators).
  e.scores(ts, out, score);
  { e.log_det_marginal(t) } -> std::convertible_to<double>;  // log det(V + tau2 I)
  { e.variance_scale() } -> std::convertible_to<double>;     // mean of diag(V)
  { e.min_variance() } -> std::convertible_to<double>;       // min of diag(V)
  // Unweighted quantities: sum (y - ybar)^2 about the unweighted mean (the start of the
  // Sidik-Jonkman estimator), and the least squares residual sum of squares y'P0y, an
  // upper bound of tau2 y'P(tau2)y (the bracket of Q roots).
  { e.unweighted_ss() } -> std::convertible_to<double>;
  { e.ols_rss() } -> std::convertible_to<double>;
  { e.hedges() } -> std::same_as<HedgesTerms>;
  { e.sidik_jonkman(t) } -> std::same_as<SidikJonkmanTerms>;
};

}  // namespace evident::detail
