// Mixed-effects meta-regression: tau2 estimators and the weighted least squares fit for a design
// matrix X, as metafor's rma.uni(mods = ...) computes them, without any k x k matrix.
//
// metafor forms P = W - W X (X'WX)^-1 X'W (k x k) and takes traces and quadratic forms of it.
// With A = (X'WX)^-1, r = y - X b the weighted residuals and Mj = X' W^j X, the same quantities
// are (P y = W r, and the cyclic property of the trace):
//   y'Py   = sum w r^2                 y'PPy = sum w^2 r^2
//   y'PPPy = sum w^3 r^2 - c'A c,      c = X' W^2 r
//   tr(P)  = sum w - tr(A M2)          tr(PP) = sum w^2 - 2 tr(A M3) + tr(A M2 A M2)
// so every evaluation at a tau2 costs two passes over the k rows and O(p^3) work on p x p
// matrices. With one intercept column these reduce to the closed forms of model/sums.hpp.

#include "evident/model/metareg.hpp"

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <algorithm>
#include <array>
#include <cassert>
#include <cmath>
#include <limits>
#include <utility>

#include "model/metareg_detail.hpp"
#include "model/sums.hpp"
#include "stats/distributions.hpp"
#include "stats/parallel.hpp"
#include "stats/roots.hpp"

namespace evident {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

using Matrix = Eigen::MatrixXd;
using Vector = Eigen::VectorXd;

// A pivot of the Cholesky factor this small relative to its diagonal element means the column is
// (numerically) a combination of the previous ones: the squared norm of its residual after
// projection is below 1e-14 of its squared norm, i.e. a relative residual norm below 1e-7, R's
// tolerance for dropping a column in lm (qr with tol = 1e-7).
constexpr double kPivotTolerance = 1e-14;

// Fills the strict lower triangle from the upper one.
void symmetrize(Matrix& m) {
  for (Eigen::Index j = 0; j < m.cols(); ++j) {
    for (Eigen::Index i = j + 1; i < m.rows(); ++i)
      m(i, j) = m(j, i);
  }
}

// X' diag(d) X for one vector d.
Matrix crossprod(DesignView x, std::span<const double> d) {
  const std::size_t p = x.p;
  Matrix m = Matrix::Zero(static_cast<Eigen::Index>(p), static_cast<Eigen::Index>(p));
  double* out = m.data();  // column-major; the upper triangle is filled, then mirrored
  for (std::size_t i = 0; i < d.size(); ++i) {
    const double* xi = &x.values[i * p];
    for (std::size_t a = 0; a < p; ++a) {
      const double da = d[i] * xi[a];
      for (std::size_t b = a; b < p; ++b)
        out[b * p + a] += da * xi[b];
    }
  }
  symmetrize(m);
  return m;
}

// tr(A B) for symmetric A and B.
double trace_product(const Matrix& a, const Matrix& b) {
  return a.cwiseProduct(b).sum();
}

// How much an evaluation computes: the generalised Q and y'PPy (for Q roots), plus tr(P) (for
// the likelihood scores), plus tr(PP) and y'PPPy (for their derivatives).
enum class Detail { q, score, derivative };

// The model at one tau2: weights, the weighted least squares fit, and every trace and quadratic
// form of P the estimators need. Reuses its storage between evaluations.
class Evaluator {
 public:
  // `threads` serves k >= detail::kBlockedMin only (sums.hpp); the numbers do not depend on it.
  Evaluator(std::span<const double> y, std::span<const double> v, DesignView x,
            unsigned threads = 1)
      : y_(y), v_(v), x_(x), p_(static_cast<Eigen::Index>(x.p)), threads_(threads) {
    assert(x.rows() == y.size() && y.size() == v.size());
  }

  // Evaluates at weights 1 / (v + tau2); false if X'WX is singular.
  bool at(double tau2, Detail detail) {
    return evaluate([&](std::size_t i) { return 1.0 / (v_[i] + tau2); }, detail);
  }
  // Ordinary least squares (unit weights), for the Hedges estimator.
  bool unweighted(Detail detail) {
    return evaluate([](std::size_t) { return 1.0; }, detail);
  }

  double sw = 0.0, sw2 = 0.0;
  double q = 0.0;     // y'Py
  double yppy = 0.0;  // y'PPy
  double trace_p = 0.0;
  double trace_pp = 0.0;
  double ypppy = 0.0;
  double logdet = 0.0;  // log det X'WX
  Vector beta;
  Matrix a;   // (X'WX)^-1
  Matrix m2;  // X'W^2X

 private:
  template <class Weight>
  bool evaluate(Weight weight, Detail detail) {
    const std::size_t p = x_.p;
    const std::size_t k = y_.size();
    const bool need_m3 = detail == Detail::derivative;
    m1_.setZero(p_, p_);
    m2.setZero(p_, p_);
    m3_.setZero(p_, p_);
    xwy_.setZero(p_);
    sw = sw2 = 0.0;
    // First pass: the weighted cross-products, with the number of columns known at compile
    // time for small designs (the loops unroll and the sums stay in registers).
    const int levels = detail == Detail::q ? 1 : (need_m3 ? 3 : 2);
    switch (p * 4 + static_cast<std::size_t>(levels)) {
#define EVIDENT_CROSSPRODUCTS(P, L) \
  case P * 4 + L:                   \
    crossproducts<P, L>(weight, k); \
    break;
#define EVIDENT_CROSSPRODUCTS_P(P) \
  EVIDENT_CROSSPRODUCTS(P, 1)      \
  EVIDENT_CROSSPRODUCTS(P, 2)      \
  EVIDENT_CROSSPRODUCTS(P, 3)
      EVIDENT_CROSSPRODUCTS_P(1)
      EVIDENT_CROSSPRODUCTS_P(2)
      EVIDENT_CROSSPRODUCTS_P(3)
      EVIDENT_CROSSPRODUCTS_P(4)
      EVIDENT_CROSSPRODUCTS_P(5)
      EVIDENT_CROSSPRODUCTS_P(6)
#undef EVIDENT_CROSSPRODUCTS_P
#undef EVIDENT_CROSSPRODUCTS
      default:
        crossproducts_any(weight, k, levels);
        break;
    }
    symmetrize(m1_);
    symmetrize(m2);
    symmetrize(m3_);

    llt_.compute(m1_);
    if (llt_.info() != Eigen::Success) return false;
    const Matrix& l = llt_.matrixLLT();
    logdet = 0.0;
    for (Eigen::Index j = 0; j < p_; ++j) {
      const double pivot = l(j, j) * l(j, j);
      if (!(pivot > kPivotTolerance * m1_(j, j))) return false;
      logdet += std::log(pivot);
    }
    beta = llt_.solve(xwy_);

    // Second pass: residuals at the fit.
    if (p <= kMaxBlockedP) {
      residual_sums(weight, k, need_m3);
    } else {
      q = yppy = sw3r2_ = 0.0;
      c_.setZero(p_);
      add_residuals(weight, 0, k, need_m3, q, yppy, sw3r2_, c_.data());
    }
    if (detail == Detail::q) return true;
    a = llt_.solve(Matrix::Identity(p_, p_));
    trace_p = sw - trace_product(a, m2);
    if (need_m3) {
      const Matrix am2 = a * m2;
      trace_pp = sw2 - 2.0 * trace_product(a, m3_) + trace_product(am2, am2.transpose());
      ypppy = sw3r2_ - c_.dot(a * c_);
    }
    return true;
  }

  // Accumulates sum w, sum w^2, X'Wy and the upper triangles of X'W^jX, j = 1..L, for P columns.
  // With k >= kBlockedMin the sums are taken in fixed blocks of studies, on threads_ threads, and
  // the block partials added in block order (as the intercept-only sums, sums.hpp): the same bits
  // for any thread count; below it one block, the plain loop in study order.
  template <std::size_t P, int L, class Weight>
  void crossproducts(Weight weight, std::size_t k) {
    constexpr std::size_t kPacked = P * (P + 1) / 2;
    struct Partial {
      double s1 = 0.0, s2 = 0.0;
      std::array<double, P> xwy{};
      std::array<std::array<double, kPacked>, L> m{};
    };
    const double* x = x_.values.data();
    auto compute = [&](std::size_t begin, std::size_t end) {
      Partial part;
      for (std::size_t i = begin; i < end; ++i) {
        const double w = weight(i);
        const double* xi = x + i * P;
        part.s1 += w;
        part.s2 += w * w;
        double wl = w;
        for (int l = 0; l < L; ++l) {
          std::size_t at = 0;
          for (std::size_t c = 0; c < P; ++c) {
            const double wx = wl * xi[c];
            if (l == 0) part.xwy[c] += wx * y_[i];
            for (std::size_t b = c; b < P; ++b)
              part.m[static_cast<std::size_t>(l)][at++] += wx * xi[b];
          }
          wl *= w;
        }
      }
      return part;
    };
    Partial total;
    auto combine = [&total](const Partial& part) {
      total.s1 += part.s1;
      total.s2 += part.s2;
      for (std::size_t c = 0; c < P; ++c)
        total.xwy[c] += part.xwy[c];
      for (std::size_t l = 0; l < static_cast<std::size_t>(L); ++l) {
        for (std::size_t j = 0; j < kPacked; ++j)
          total.m[l][j] += part.m[l][j];
      }
    };
    detail::reduce_blocks<Partial>(k, detail::block_size(k), threads_, compute, combine);
    sw = total.s1;
    sw2 = total.s2;
    Matrix* targets[3] = {&m1_, &m2, &m3_};
    for (int l = 0; l < L; ++l) {
      std::size_t at = 0;
      for (std::size_t c = 0; c < P; ++c) {
        for (std::size_t b = c; b < P; ++b) {
          (*targets[l])(static_cast<Eigen::Index>(c), static_cast<Eigen::Index>(b)) =
              total.m[static_cast<std::size_t>(l)][at++];
        }
      }
    }
    for (std::size_t c = 0; c < P; ++c)
      xwy_[static_cast<Eigen::Index>(c)] = total.xwy[c];
  }

  // The residual sums of the second pass (q, y'PPy, sum w^3 r^2 and X'W^2 r), in blocks as
  // crossproducts, for designs of up to kMaxBlockedP columns.
  template <class Weight>
  void residual_sums(Weight weight, std::size_t k, bool need_m3) {
    struct Partial {
      double q = 0.0, yppy = 0.0, sw3r2 = 0.0;
      std::array<double, kMaxBlockedP> c{};
    };
    const std::size_t p = x_.p;
    auto compute = [&](std::size_t begin, std::size_t end) {
      Partial part;
      add_residuals(weight, begin, end, need_m3, part.q, part.yppy, part.sw3r2, part.c.data());
      return part;
    };
    Partial total;
    auto combine = [&total, p](const Partial& part) {
      total.q += part.q;
      total.yppy += part.yppy;
      total.sw3r2 += part.sw3r2;
      for (std::size_t c = 0; c < p; ++c)
        total.c[c] += part.c[c];
    };
    detail::reduce_blocks<Partial>(k, detail::block_size(k), threads_, compute, combine);
    q = total.q;
    yppy = total.yppy;
    sw3r2_ = total.sw3r2;
    c_.resize(p_);
    for (std::size_t c = 0; c < p; ++c)
      c_[static_cast<Eigen::Index>(c)] = total.c[c];
  }

  // Adds the residual sums of studies [begin, end) at the current beta: q += sum w r^2,
  // yppy += sum w^2 r^2 and, with need_m3, sw3r2 += sum w^3 r^2 and c += X'W^2 r (p values).
  template <class Weight>
  void add_residuals(Weight weight, std::size_t begin, std::size_t end, bool need_m3, double& q_sum,
                     double& yppy_sum, double& sw3r2, double* c_sum) const {
    const std::size_t p = x_.p;
    const double* b = beta.data();
    for (std::size_t i = begin; i < end; ++i) {
      const double w = weight(i);
      const double* xi = &x_.values[i * p];
      double fitted = 0.0;
      for (std::size_t c = 0; c < p; ++c)
        fitted += xi[c] * b[c];
      const double r = y_[i] - fitted;
      const double wr = w * r;
      q_sum += wr * r;
      yppy_sum += wr * wr;
      if (need_m3) {
        sw3r2 += wr * wr * w;
        const double w2r = wr * w;
        for (std::size_t c = 0; c < p; ++c)
          c_sum[c] += w2r * xi[c];
      }
    }
  }

  // The same for any number of columns.
  template <class Weight>
  void crossproducts_any(Weight weight, std::size_t k, int levels) {
    const std::size_t p = x_.p;
    double* targets[3] = {m1_.data(), m2.data(), m3_.data()};
    for (std::size_t i = 0; i < k; ++i) {
      const double w = weight(i);
      sw += w;
      sw2 += w * w;
      const double* xi = &x_.values[i * p];
      double wl = w;
      for (int l = 0; l < levels; ++l) {
        double* m = targets[l];
        for (std::size_t c = 0; c < p; ++c) {
          const double wx = wl * xi[c];
          if (l == 0) xwy_[static_cast<Eigen::Index>(c)] += wx * y_[i];
          for (std::size_t b = c; b < p; ++b)
            m[b * p + c] += wx * xi[b];
        }
        wl *= w;
      }
    }
  }

  // Designs up to this many columns have their residual sums blocked (fixed-size partials).
  static constexpr std::size_t kMaxBlockedP = 16;

  std::span<const double> y_, v_;
  DesignView x_;
  Eigen::Index p_;
  unsigned threads_;
  double sw3r2_ = 0.0;  // sum w^3 r^2
  Matrix m1_, m3_;
  Vector xwy_, c_;
  Eigen::LLT<Matrix> llt_;
};

detail::Tau2Estimate truncated(double raw) {
  detail::Tau2Estimate e;
  e.truncated = raw < 0.0;
  e.tau2 = std::max(raw, 0.0);
  return e;
}

// An estimate that could not be computed because X'WX is singular at some tau2 (cannot happen
// when X has full column rank and every vi is positive; kept as an outcome, not an assert).
detail::Tau2Estimate singular() {
  detail::Tau2Estimate e;
  e.tau2 = kNaN;
  e.se = kNaN;
  e.termination = Termination::max_iterations;
  return e;
}

// DerSimonian & Laird (1986), generalised to meta-regression (Raudenbush 2009, eq. 16.32):
//   tau2 = (QE - (k - p)) / tr(P), P at w = 1 / v.
// Standard error as metafor: sqrt(2 (k - p) + 4 tau2 tr(P) + 2 tau2^2 tr(PP)) / tr(P).
detail::Tau2Estimate tau2_dl(Evaluator& ev, double kp) {
  if (!ev.at(0.0, Detail::derivative)) return singular();
  detail::Tau2Estimate e = truncated((ev.q - kp) / ev.trace_p);
  const double t = e.tau2;
  e.se = std::sqrt(2.0 * kp + 4.0 * t * ev.trace_p + 2.0 * t * t * ev.trace_pp) / ev.trace_p;
  return e;
}

// Hedges (1983) with ordinary least squares residuals (Raudenbush 2009, eq. 16.31): P = I - H,
//   tau2 = (y'Py - tr(PV)) / (k - p),  tr(PV) = sum v - tr((X'X)^-1 X'VX).
// Standard error: sqrt(2 tr(PVPV) + 4 tau2 tr(PV) + 2 tau2^2 (k - p)) / (k - p), with
//   tr(PVPV) = sum v^2 - 2 tr(A X'V^2X) + tr(A X'VX A X'VX),  A = (X'X)^-1.
detail::Tau2Estimate tau2_he(Evaluator& ev, std::span<const double> v, DesignView x, double kp) {
  if (!ev.unweighted(Detail::score)) return singular();
  std::vector<double> v2(v.size());
  double sv = 0.0, sv2 = 0.0;
  for (std::size_t i = 0; i < v.size(); ++i) {
    v2[i] = v[i] * v[i];
    sv += v[i];
    sv2 += v2[i];
  }
  const Matrix xvx = crossprod(x, v);
  const Matrix xv2x = crossprod(x, v2);
  const Matrix axvx = ev.a * xvx;
  const double trpv = sv - axvx.trace();
  const double trpvpv =
      sv2 - 2.0 * trace_product(ev.a, xv2x) + trace_product(axvx, axvx.transpose());
  detail::Tau2Estimate e = truncated((ev.q - trpv) / kp);
  const double t = e.tau2;
  e.se = std::sqrt(2.0 * trpvpv + 4.0 * t * trpv + 2.0 * t * t * kp) / kp;
  return e;
}

// Hunter & Schmidt (2004); Viechtbauer et al. (2015), Psychol Methods 20:360-374:
//   tau2 = (QE - k) / sum w, w = 1 / v; standard error as DL with sum w as the denominator.
detail::Tau2Estimate tau2_hs(Evaluator& ev, double k, double kp) {
  if (!ev.at(0.0, Detail::derivative)) return singular();
  detail::Tau2Estimate e = truncated((ev.q - k) / ev.sw);
  const double t = e.tau2;
  e.se = std::sqrt(2.0 * kp + 4.0 * t * ev.trace_p + 2.0 * t * t * ev.trace_pp) / ev.sw;
  return e;
}

// Sidik & Jonkman (2005, 2007) with moderators: one step from t0 = sum (y - ybar)^2 / k (the
// unweighted mean, not a regression fit, as metafor):  tau2 = t0 y'P(t0)y / (k - p).
// Standard error as metafor: t0 / (k - p) sqrt(2 tr(PVPV) + 4 tau2 tr(PVP) + 2 tau2^2 tr(PP)) at
// w = 1 / (v + t0); with B = WX, P = W - B A B':
//   tr(PVPV) = sum w^2 v^2 - 2 tr(A X'diag(w^3 v^2)X) + tr(A G A G),  G = X'diag(w^2 v)X
//   tr(PVP)  = sum w^2 v   - 2 tr(A X'diag(w^3 v)X)   + tr(A M2 A G)
detail::Tau2Estimate tau2_sj(Evaluator& ev, std::span<const double> y, std::span<const double> v,
                             DesignView x, double kp) {
  const std::size_t k = y.size();
  double mean = 0.0;
  for (double yi : y)
    mean += yi;
  mean /= static_cast<double>(k);
  double ss = 0.0;
  for (double yi : y)
    ss += (yi - mean) * (yi - mean);
  const double t0 = ss / static_cast<double>(k);
  if (!ev.at(t0, Detail::derivative)) return singular();
  detail::Tau2Estimate e;
  e.tau2 = t0 * ev.q / kp;
  std::vector<double> w2v(k), w3v(k), w3v2(k);
  double sw2v = 0.0, sw2v2 = 0.0;
  for (std::size_t i = 0; i < k; ++i) {
    const double w = 1.0 / (v[i] + t0);
    w2v[i] = w * w * v[i];
    w3v[i] = w2v[i] * w;
    w3v2[i] = w3v[i] * v[i];
    sw2v += w2v[i];
    sw2v2 += w2v[i] * v[i];
  }
  const Matrix g = crossprod(x, w2v);
  const Matrix ag = ev.a * g;
  const double trpvpv =
      sw2v2 - 2.0 * trace_product(ev.a, crossprod(x, w3v2)) + trace_product(ag, ag.transpose());
  const double trpvp = sw2v - 2.0 * trace_product(ev.a, crossprod(x, w3v)) +
                       trace_product(ev.a * ev.m2, ag.transpose());
  const double t = e.tau2;
  e.se = t0 / kp * std::sqrt(2.0 * trpvpv + 4.0 * t * trpvp + 2.0 * t * t * ev.trace_pp);
  return e;
}

// Ordinary least squares residual sum of squares: y'P(t)y <= RSS_ols / t for every t > 0.
double rss_ols(Evaluator& ev) {
  return ev.unweighted(Detail::q) ? ev.q : kNaN;
}

detail::QRoot solve_q(Evaluator& ev, double target, double tolerance, int max_iterations,
                      double scale) {
  if (!ev.at(0.0, Detail::q)) return {kNaN, 0, Termination::max_iterations};
  const double q0 = ev.q;
  const double yppy0 = ev.yppy;
  if (!(q0 > target)) return {0.0, 0, Termination::boundary};
  const double hi = 2.0 * rss_ols(ev) / target;
  bool ok = true;
  auto f_df = [&](double t) {
    ok = ev.at(t, Detail::q) && ok;
    return std::pair{ev.q - target, -ev.yppy};  // d(y'Py)/d tau2 = -y'PPy
  };
  auto tol = [&](double t) { return tolerance * std::max(t, scale); };
  const double x0 = (q0 - target) / yppy0;
  const double f_hi = f_df(hi).first;
  const auto r = stats::newton_bracketed(f_df, 0.0, hi, q0 - target, f_hi, x0, tol, max_iterations);
  if (!ok) return {kNaN, r.iterations, Termination::max_iterations};
  return {r.x, r.iterations, r.converged ? Termination::converged : Termination::max_iterations};
}

// Paule & Mandel (1982) and empirical Bayes (Morris 1983; Berkey et al. 1995): the root of
// y'P(tau2)y = k - p (metafor's EB iteration has this fixed point too). Standard error as
// metafor: sqrt(2 k^2 / (k - p)) / sum w at the estimate.
detail::Tau2Estimate tau2_pm(Evaluator& ev, std::span<const double> v, double k, double kp,
                             const FitOptions& o) {
  const detail::QRoot root =
      solve_q(ev, kp, o.tau2_tolerance, o.max_iterations, detail::variance_scale(v));
  if (std::isnan(root.tau2)) return singular();
  detail::Tau2Estimate e;
  e.tau2 = root.tau2;
  e.termination = root.termination;
  e.iterations = root.iterations;
  e.truncated = root.termination == Termination::boundary;
  if (!ev.at(e.tau2, Detail::q)) return singular();
  e.se = std::sqrt(2.0 * k * k / kp) / ev.sw;
  return e;
}

// ML (Hardy & Thompson 1996) and REML (Viechtbauer 2005, eq. 12; Raudenbush 2009) with
// moderators: the maximum over tau2 >= 0 of the (restricted) likelihood, found as in the
// intercept-only model (model/tau2.cpp, tau2_likelihood): the score
//   ML:   y'PPy - sum w           (derivative -2 y'PPPy + sum w^2)
//   REML: y'PPy - tr(P)           (derivative -2 y'PPPy + tr(PP))
// is scanned on a log grid for every change of sign from + to -, each is refined by bracketed
// Newton iteration, and the candidate with the highest likelihood wins, tau2 = 0 included. The
// grid and tolerances are those of the intercept-only code, so with X = 1 both give the same
// answer to rounding error.
template <bool kRestricted>
detail::Tau2Estimate tau2_likelihood(Evaluator& ev, std::span<const double> v, double kp,
                                     const FitOptions& o) {
  bool ok = true;
  auto f_df = [&](double t) {
    ok = ev.at(t, Detail::derivative) && ok;
    if constexpr (kRestricted) {
      return std::pair{ev.yppy - ev.trace_p, -2.0 * ev.ypppy + ev.trace_pp};
    } else {
      return std::pair{ev.yppy - ev.sw, -2.0 * ev.ypppy + ev.sw2};
    }
  };
  auto score = [&](double t) {
    ok = ev.at(t, Detail::score) && ok;
    return kRestricted ? ev.yppy - ev.trace_p : ev.yppy - ev.sw;
  };
  auto loglik = [&](double t) {
    double slog = 0.0;
    for (double vi : v)
      slog += std::log(vi + t);
    ok = ev.at(t, Detail::q) && ok;
    return -0.5 * (slog + ev.q + (kRestricted ? ev.logdet : 0.0));
  };
  const double scale = detail::variance_scale(v);
  auto tol = [&](double t) { return o.tau2_tolerance * std::max(t, scale); };

  const detail::Tau2Estimate dl = tau2_dl(ev, kp);
  if (std::isnan(dl.tau2)) return singular();
  const double f0 = score(0.0);
  int iterations = 1;
  double hi = std::max(2.0 * dl.tau2, scale);
  double f_hi = score(hi);
  ++iterations;
  while (f_hi > 0.0 && iterations < o.max_iterations) {
    hi *= 4.0;
    f_hi = score(hi);
    ++iterations;
  }
  detail::Tau2Estimate e;
  if (f_hi > 0.0 || !ok) {
    e = singular();
    e.iterations = iterations;
    return e;
  }

  constexpr double kPointsPerDecade = 6.0;
  const double vmin = *std::min_element(v.begin(), v.end());
  const double t_first = std::min(0.01 * vmin, 0.5 * hi);
  const double decades = std::log10(hi / t_first);
  const int grid = std::clamp(static_cast<int>(std::ceil(kPointsPerDecade * decades)), 8, 400);
  const double ratio = std::pow(hi / t_first, 1.0 / (grid - 1));

  double best = 0.0;
  double best_ll = -std::numeric_limits<double>::infinity();
  int candidates = 0;
  bool converged = true;
  if (!(f0 > 0.0)) {
    best = 0.0;
    candidates = 1;
  }
  double t_prev = 0.0, f_prev = f0;
  double t_grid = t_first;
  for (int j = 0; j < grid; ++j) {
    const bool last = j == grid - 1;
    const double t = last ? hi : t_grid;
    t_grid *= ratio;
    const double f = last ? f_hi : score(t);
    if (!last) ++iterations;
    if (f_prev > 0.0 && !(f > 0.0)) {
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
  if (!ok) return singular();
  e.tau2 = best;
  e.iterations = iterations;
  if (best == 0.0) {
    e.termination = Termination::boundary;
    e.truncated = true;
  } else {
    e.termination = converged ? Termination::converged : Termination::max_iterations;
  }
  if (!ev.at(e.tau2, Detail::derivative)) return singular();
  e.se = std::sqrt(2.0 / (kRestricted ? ev.trace_pp : ev.sw2));
  return e;
}

detail::Tau2Estimate estimate_tau2(Evaluator& ev, std::span<const double> y,
                                   std::span<const double> v, DesignView x, const FitOptions& o) {
  const auto k = static_cast<double>(y.size());
  const double kp = k - static_cast<double>(x.p);
  switch (o.method) {
    case Method::DL:
      return tau2_dl(ev, kp);
    case Method::HE:
      return tau2_he(ev, v, x, kp);
    case Method::HS:
      return tau2_hs(ev, k, kp);
    case Method::SJ:
      return tau2_sj(ev, y, v, x, kp);
    case Method::ML:
      return tau2_likelihood<false>(ev, v, kp, o);
    case Method::REML:
      return tau2_likelihood<true>(ev, v, kp, o);
    case Method::EB:
    case Method::PM:
      return tau2_pm(ev, v, k, kp, o);
    case Method::FE:
    case Method::MH:
    case Method::PETO:
      break;
  }
  assert(false && "estimate_tau2 called for a model without a tau2 (FE, MH, PETO)");
  return {};
}

}  // namespace

namespace detail {

QRoot solve_generalized_q(std::span<const double> y, std::span<const double> v, DesignView x,
                          double target, double tolerance, int max_iterations, unsigned threads) {
  Evaluator ev(y, v, x, threads);
  return solve_q(ev, target, tolerance, max_iterations, variance_scale(v));
}

}  // namespace detail

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
  Evaluator ev(yi, vi, x, options.threads);

  f.tau2 = 0.0;
  f.tau2_se = kNaN;
  if (single) {
    f.termination = Termination::single_study;
    f.notes |= kNoteSingleStudy;
  } else if (random) {
    const detail::Tau2Estimate e = estimate_tau2(ev, yi, vi, x, options);
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

  // QM: Wald test of the coefficients after the intercept (the intercept alone when p = 1).
  const std::size_t first = np > 1 ? 1 : 0;
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
    const bool same = f.tau2 == 0.0;
    if (!same && !ev.at(0.0, Detail::score)) {
      f.status = RegressionStatus::rank_deficient;
      return f;
    }
    f.QE = std::fmax(0.0, ev.q);
    f.QE_p = stats::chisq_sf(f.QE, kp);
    f.vt = kp / ev.trace_p;
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
