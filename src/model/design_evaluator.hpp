#pragma once
// The evaluator (model/evaluator.hpp) of the mixed-effects meta-regression, a k x p design matrix
// X, as metafor's rma.uni(mods = ...) computes its quantities, without any k x k matrix.
//
// metafor forms P = W - W X (X'WX)^-1 X'W (k x k) and takes traces and quadratic forms of it.
// With A = (X'WX)^-1, r = y - X b the weighted residuals and Mj = X' W^j X, the same quantities
// are (P y = W r, and the cyclic property of the trace):
//   y'Py   = sum w r^2                 y'PPy = sum w^2 r^2
//   y'PPPy = sum w^3 r^2 - c'A c,      c = X' W^2 r
//   tr(P)  = sum w - tr(A M2)          tr(PP) = sum w^2 - 2 tr(A M3) + tr(A M2 A M2)
// so every evaluation at a tau2 costs two passes over the k rows and O(p^3) work on p x p
// matrices. With one intercept column these reduce to the closed forms of model/sums.hpp.
// Internal to the library, and the one header of the model with Eigen in it: included by the
// meta-regression only.

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <algorithm>
#include <array>
#include <cassert>
#include <cmath>
#include <cstddef>
#include <limits>
#include <optional>
#include <span>

#include "evident/effect/design.hpp"
#include "model/evaluator.hpp"
#include "model/sums.hpp"
#include "stats/parallel.hpp"

namespace evident::detail {

// The quantities of one evaluation, copied out of the evaluator (which reuses its storage).
class DesignPoint {
 public:
  DesignPoint(bool ok, double sw, double sw2, double q, double yppy, double ypppy, double trace_p,
              double trace_pp, double logdet)
      : ok_(ok),
        sw_(sw),
        sw2_(sw2),
        q_(q),
        yppy_(yppy),
        ypppy_(ypppy),
        trace_p_(trace_p),
        trace_pp_(trace_pp),
        logdet_(logdet) {}
  [[nodiscard]] bool ok() const { return ok_; }
  [[nodiscard]] double sw() const { return sw_; }
  [[nodiscard]] double sw2() const { return sw2_; }
  [[nodiscard]] double q() const { return q_; }
  [[nodiscard]] double yppy() const { return yppy_; }
  [[nodiscard]] double ypppy() const { return ypppy_; }
  [[nodiscard]] double trace_p() const { return trace_p_; }
  [[nodiscard]] double trace_pp() const { return trace_pp_; }
  [[nodiscard]] double logdet() const { return logdet_; }

 private:
  bool ok_;
  double sw_, sw2_, q_, yppy_, ypppy_, trace_p_, trace_pp_, logdet_;
};

// A pivot of the Cholesky factor this small relative to its diagonal element means the column is
// (numerically) a combination of the previous ones: the squared norm of its residual after
// projection is below 1e-14 of its squared norm, i.e. a relative residual norm below 1e-7, R's
// tolerance for dropping a column in lm (qr with tol = 1e-7).
inline constexpr double kPivotTolerance = 1e-14;

using Matrix = Eigen::MatrixXd;
using Vector = Eigen::VectorXd;

// Fills the strict lower triangle from the upper one.
inline void symmetrize(Matrix& m) {
  for (Eigen::Index j = 0; j < m.cols(); ++j) {
    for (Eigen::Index i = j + 1; i < m.rows(); ++i)
      m(i, j) = m(j, i);
  }
}

// tr(A B) for symmetric A and B.
inline double trace_product(const Matrix& a, const Matrix& b) {
  return a.cwiseProduct(b).sum();
}

// The model at one tau2: weights, the weighted least squares fit, and every trace and quadratic
// form of P the estimators need. Reuses its storage between evaluations.
class DesignEvaluator {
 public:
  // How much an evaluation computes: the generalised Q and y'PPy (for Q roots), plus tr(P) (for
  // the likelihood scores), plus tr(PP) and y'PPPy (for their derivatives).
  enum class Detail { q, score, derivative };

  // `threads` serves k >= detail::kBlockedMin only (sums.hpp); the numbers do not depend on it.
  DesignEvaluator(std::span<const double> y, std::span<const double> v, DesignView x,
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

  // The interface of model/evaluator.hpp.
  using Point = DesignPoint;
  [[nodiscard]] std::size_t k() const { return y_.size(); }
  [[nodiscard]] std::size_t p() const { return x_.p; }
  Point q_at(double tau2) { return point(at(tau2, Detail::q)); }
  Point score_at(double tau2) { return point(at(tau2, Detail::score)); }
  Point derivative_at(double tau2) { return point(at(tau2, Detail::derivative)); }
  // Evaluated once and kept: the fit reads it again for QE.
  Point at_zero() {
    if (!zero_) zero_ = derivative_at(0.0);
    return *zero_;
  }
  [[nodiscard]] const std::optional<DesignPoint>& evaluated_at_zero() const { return zero_; }
  template <class Score>
  void scores(std::span<const double> ts, std::span<double> out, Score&& score) {
    for (std::size_t j = 0; j < ts.size(); ++j)
      out[j] = score(score_at(ts[j]));
  }
  [[nodiscard]] double log_det_marginal(double tau2) const {
    double slog = 0.0;
    for (double vi : v_)
      slog += std::log(vi + tau2);
    return slog;
  }
  [[nodiscard]] double variance_scale() const { return detail::variance_scale(v_, threads_); }
  [[nodiscard]] double min_variance() const { return *std::min_element(v_.begin(), v_.end()); }
  [[nodiscard]] double unweighted_ss() const;
  // NaN if X'X is singular.
  double ols_rss() { return unweighted(Detail::q) ? q : kNaN; }
  HedgesTerms hedges();
  SidikJonkmanTerms sidik_jonkman(double t0);

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
  static constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

  Point point(bool ok) const {
    return Point(ok, sw, sw2, q, yppy, ypppy, trace_p, trace_pp, logdet);
  }

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
    reduce_blocks<Partial>(k, block_size(k), threads_, compute, combine);
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
    reduce_blocks<Partial>(k, block_size(k), threads_, compute, combine);
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
  std::optional<DesignPoint> zero_;
};

static_assert(Tau2Evaluator<DesignEvaluator>);

}  // namespace evident::detail
