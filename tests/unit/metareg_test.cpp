// The meta-regression against (1) evident::fit when X is the intercept alone, and (2) metafor's
// own k x k matrix formulas (P = W - W X (X'WX)^-1 X'W, traces, quadratic forms), written here
// directly with dense matrices, on random designs. The O(k p^2) implementation must agree with
// both to rounding error; (3) invariances: row order, rescaling a moderator.

#include "evident/model/metareg.hpp"

#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <algorithm>
#include <array>
#include <boost/math/distributions/chi_squared.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include "evident/methods/confint.hpp"
#include "evident/model/fit.hpp"

namespace {

using evident::Method;
using MetaTest = evident::Test;
using Matrix = Eigen::MatrixXd;
using Vector = Eigen::VectorXd;

constexpr std::array kAllMethods{Method::FE, Method::DL,   Method::HE, Method::HS, Method::SJ,
                                 Method::ML, Method::REML, Method::EB, Method::PM};

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : engine_(seed) {}
  double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  double uniform(double a, double b) { return a + (b - a) * uniform(); }
  std::size_t integer(std::size_t lo, std::size_t hi) {
    return lo + static_cast<std::size_t>(engine_() % (hi - lo + 1));
  }
  double normal() {
    const double u1 = 1.0 - uniform();
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  }

 private:
  std::mt19937_64 engine_;
};

struct Data {
  std::vector<double> yi, vi;
  std::vector<double> x;  // row-major k x p
  std::size_t p = 1;
  [[nodiscard]] evident::DesignView design() const { return {x, p}; }
  [[nodiscard]] std::size_t k() const { return yi.size(); }
};

// Random meta-regressions: k from p + 2 to 40, p from 2 to 4 (a continuous moderator, a binary
// one, a second continuous one), true tau2 of 0, 0.05 or 0.4.
std::vector<Data> random_designs(std::uint64_t seed, int count) {
  Rng rng(seed);
  std::vector<Data> out;
  for (int n = 0; n < count; ++n) {
    Data d;
    d.p = rng.integer(2, 4);
    const std::size_t k = rng.integer(d.p + 2, 40);
    const double tau2 = std::array{0.0, 0.05, 0.4}[rng.integer(0, 2)];
    for (std::size_t i = 0; i < k; ++i) {
      const double v = std::pow(10.0, rng.uniform(-2.3, -0.3));
      double mean = 0.2;
      d.x.push_back(1.0);
      const double x1 = rng.uniform(10.0, 50.0);
      d.x.push_back(x1);
      mean += 0.01 * x1;
      if (d.p >= 3) {
        const double x2 = rng.uniform() < 0.5 ? 1.0 : 0.0;
        d.x.push_back(x2);
        mean -= 0.2 * x2;
      }
      if (d.p >= 4) d.x.push_back(rng.normal());
      d.vi.push_back(v);
      d.yi.push_back(mean + std::sqrt(v + tau2) * rng.normal());
    }
    out.push_back(std::move(d));
  }
  return out;
}

evident::FitOptions options(Method m, MetaTest t) {
  evident::FitOptions o;
  o.method = m;
  o.test = t;
  return o;
}

testing::AssertionResult agree(const std::string& what, double a, double b, double rel,
                               double floor = 0.0) {
  if (std::isnan(a) && std::isnan(b)) return testing::AssertionSuccess();
  if (a == b || std::fabs(a - b) <= rel * std::max(std::fabs(a), std::fabs(b)) + floor) {
    return testing::AssertionSuccess();
  }
  return testing::AssertionFailure()
         << what << ": " << testing::PrintToString(a) << " vs " << testing::PrintToString(b)
         << " (difference " << std::fabs(a - b) << ")";
}

// ---- metafor's formulas with k x k matrices ---------------------------------------------------

struct Dense {
  Matrix X;
  Vector y, v;
};

Dense dense(const Data& d) {
  const auto k = static_cast<Eigen::Index>(d.k());
  const auto p = static_cast<Eigen::Index>(d.p);
  Dense m{Matrix(k, p), Vector(k), Vector(k)};
  for (Eigen::Index i = 0; i < k; ++i) {
    m.y[i] = d.yi[static_cast<std::size_t>(i)];
    m.v[i] = d.vi[static_cast<std::size_t>(i)];
    for (Eigen::Index j = 0; j < p; ++j)
      m.X(i, j) = d.x[static_cast<std::size_t>(i * p + j)];
  }
  return m;
}

Matrix projection(const Dense& m, const Vector& w) {
  const Matrix W = w.asDiagonal();
  const Matrix A = (m.X.transpose() * W * m.X).inverse();
  return W - W * m.X * A * m.X.transpose() * W;
}

Vector weights(const Dense& m, double tau2) {
  return (m.v.array() + tau2).inverse().matrix();
}

double yPy(const Dense& m, double tau2) {
  return m.y.dot(projection(m, weights(m, tau2)) * m.y);
}

double loglik(const Dense& m, double tau2, bool restricted) {
  const Vector w = weights(m, tau2);
  double ll = -0.5 * ((m.v.array() + tau2).log().sum() + yPy(m, tau2));
  if (restricted) {
    ll -= 0.5 * std::log((m.X.transpose() * w.asDiagonal() * m.X).determinant());
  }
  return ll;
}

// tau2 and its standard error as rma.uni computes them, for the closed-form estimators.
std::pair<double, double> dense_closed_form(const Dense& m, Method method) {
  const auto k = static_cast<double>(m.y.size());
  const double kp = k - static_cast<double>(m.X.cols());
  const Matrix V = m.v.asDiagonal();
  switch (method) {
    case Method::DL:
    case Method::HS: {
      const Vector w = weights(m, 0.0);
      const Matrix P = projection(m, w);
      const double rss = m.y.dot(P * m.y);
      const double trp = P.trace();
      const double denom = method == Method::DL ? trp : w.sum();
      const double raw = method == Method::DL ? (rss - kp) / trp : (rss - k) / w.sum();
      const double t = std::max(raw, 0.0);
      return {t, std::sqrt(2 * kp + 4 * t * trp + 2 * t * t * P.cwiseProduct(P).sum()) / denom};
    }
    case Method::HE: {
      const Matrix P = projection(m, Vector::Ones(m.y.size()));
      const Matrix PV = P * V;
      const double t = std::max((m.y.dot(P * m.y) - PV.trace()) / kp, 0.0);
      const double se = std::sqrt(2 * PV.cwiseProduct(PV.transpose()).sum() + 4 * t * PV.trace() +
                                  2 * t * t * kp) /
                        kp;
      return {t, se};
    }
    case Method::SJ: {
      const double t0 = (m.y.array() - m.y.mean()).square().sum() / k;
      const Matrix P = projection(m, weights(m, t0));
      const Matrix PV = P * V;
      const double t = t0 * m.y.dot(P * m.y) / kp;
      const double se =
          t0 / kp *
          std::sqrt(2 * PV.cwiseProduct(PV.transpose()).sum() + 4 * t * PV.cwiseProduct(P).sum() +
                    2 * t * t * P.cwiseProduct(P).sum());
      return {t, se};
    }
    default:
      break;
  }
  return {0, 0};
}

// The maximum of the (restricted) likelihood on [0, hi] by a fine log grid and golden section.
double brute_force_max(const Dense& m, bool restricted) {
  double best = 0.0, best_ll = loglik(m, 0.0, restricted);
  const double hi = 50.0;
  double t = 1e-6;
  double prev = 0.0;
  while (t < hi) {
    const double ll = loglik(m, t, restricted);
    if (ll > best_ll) {
      best_ll = ll;
      best = t;
    }
    prev = t;
    t *= 1.02;
  }
  (void)prev;
  // refine around the best grid point
  double a = best / 1.05, b = best * 1.05;
  if (best == 0.0) return 0.0;
  const double g = (std::sqrt(5.0) - 1.0) / 2.0;
  for (int it = 0; it < 200; ++it) {
    const double c = b - g * (b - a), dd = a + g * (b - a);
    if (loglik(m, c, restricted) > loglik(m, dd, restricted)) {
      b = dd;
    } else {
      a = c;
    }
  }
  return 0.5 * (a + b);
}

// ---- tests -----------------------------------------------------------------------------------

TEST(MetaReg, InterceptOnlyEqualsFit) {
  Rng rng(11);
  for (int n = 0; n < 300; ++n) {
    const std::size_t k = rng.integer(2, 30);
    const double tau2 = std::array{0.0, 0.05, 0.5}[rng.integer(0, 2)];
    Data d;
    for (std::size_t i = 0; i < k; ++i) {
      const double v = std::pow(10.0, rng.uniform(-2.3, -0.3));
      d.vi.push_back(v);
      d.yi.push_back(0.3 + std::sqrt(v + tau2) * rng.normal());
      d.x.push_back(1.0);
    }
    for (Method m : kAllMethods) {
      for (MetaTest t : {MetaTest::z, MetaTest::knha}) {
        const auto o = options(m, t);
        const evident::Fit f = evident::fit(d.yi, d.vi, o);
        const evident::MetaRegFit r = evident::fit_metareg(d.yi, d.vi, d.design(), o);
        const std::string what = std::string(evident::method_name(m)) + "/" +
                                 std::string(evident::test_name(t)) + " set " + std::to_string(n);
        ASSERT_EQ(r.status, evident::RegressionStatus::ok) << what;
        constexpr double rel = 1e-12;
        EXPECT_TRUE(agree(what + " tau2", r.tau2, f.tau2, rel, 1e-15));
        EXPECT_TRUE(agree(what + " tau2_se", r.tau2_se, f.tau2_se, 1e-10));
        EXPECT_TRUE(agree(what + " estimate", r.beta[0], f.estimate, rel, 1e-14));
        EXPECT_TRUE(agree(what + " se", r.se[0], f.se, rel));
        EXPECT_TRUE(agree(what + " pval", r.pval[0], f.pval, 1e-10, 1e-300));
        EXPECT_TRUE(agree(what + " ci_lb", r.ci_lb[0], f.ci_lb, rel, 1e-14));
        EXPECT_TRUE(agree(what + " QE", r.QE, f.Q, rel, 1e-13));
        EXPECT_TRUE(agree(what + " I2", r.I2, f.I2, 1e-10, 1e-12));
        EXPECT_TRUE(agree(what + " H2", r.H2, f.H2, 1e-10));
        EXPECT_TRUE(agree(what + " QM = stat^2", r.QM, f.stat * f.stat, 1e-10));
        EXPECT_EQ(r.termination, f.termination) << what;
      }
    }
  }
}

TEST(MetaReg, AgreesWithDenseMatrixFormulas) {
  int n = 0;
  for (const Data& d : random_designs(2024, 60)) {
    const Dense m = dense(d);
    const auto k = static_cast<double>(d.k());
    const double kp = k - static_cast<double>(d.p);
    for (Method method : kAllMethods) {
      const std::string what =
          std::string(evident::method_name(method)) + " design " + std::to_string(n);
      const evident::MetaRegFit r =
          evident::fit_metareg(d.yi, d.vi, d.design(), options(method, MetaTest::z));
      ASSERT_EQ(r.status, evident::RegressionStatus::ok) << what;
      double tau2 = 0.0;
      switch (method) {
        case Method::FE:
        case Method::MH:  // not in kAllMethods: they pool 2x2 tables, not a design
        case Method::PETO:
        case Method::BAYES:
          break;
        case Method::DL:
        case Method::HE:
        case Method::HS:
        case Method::SJ: {
          const auto [t, se] = dense_closed_form(m, method);
          EXPECT_TRUE(agree(what + " tau2", r.tau2, t, 1e-9, 1e-13));
          EXPECT_TRUE(agree(what + " tau2_se", r.tau2_se, se, 1e-9));
          tau2 = t;
          break;
        }
        case Method::PM:
        case Method::EB:
          if (r.tau2 > 0.0) {
            EXPECT_TRUE(agree(what + " Q(tau2) = k - p", yPy(m, r.tau2), kp, 1e-8));
          } else {
            EXPECT_LE(yPy(m, 0.0), kp) << what;
          }
          tau2 = r.tau2;
          break;
        case Method::ML:
        case Method::REML: {
          const bool restricted = method == Method::REML;
          const double best = brute_force_max(m, restricted);
          // The likelihood is flat near its maximum; compare it, and tau2 loosely.
          EXPECT_GE(loglik(m, r.tau2, restricted), loglik(m, best, restricted) - 1e-10) << what;
          EXPECT_TRUE(agree(what + " tau2", r.tau2, best, 1e-4, 1e-6));
          const Matrix P = projection(m, weights(m, r.tau2));
          const double info =
              restricted ? P.cwiseProduct(P).sum() : weights(m, r.tau2).array().square().sum();
          EXPECT_TRUE(agree(what + " tau2_se", r.tau2_se, std::sqrt(2.0 / info), 1e-9));
          tau2 = r.tau2;
          break;
        }
      }
      // Weighted least squares and tests at the estimate.
      const Vector w = weights(m, tau2);
      const Matrix vb = (m.X.transpose() * w.asDiagonal() * m.X).inverse();
      const Vector beta = vb * m.X.transpose() * w.asDiagonal() * m.y;
      for (std::size_t j = 0; j < d.p; ++j) {
        const auto jj = static_cast<Eigen::Index>(j);
        EXPECT_TRUE(agree(what + " beta", r.beta[j], beta[jj], 1e-8, 1e-12));
        EXPECT_TRUE(agree(what + " se", r.se[j], std::sqrt(vb(jj, jj)), 1e-8));
      }
      const auto q = static_cast<Eigen::Index>(d.p - 1);
      const Vector b = beta.tail(q);
      const double qm = b.dot(vb.bottomRightCorner(q, q).inverse() * b);
      EXPECT_TRUE(agree(what + " QM", r.QM, qm, 1e-8));
      EXPECT_TRUE(agree(what + " QE", r.QE, yPy(m, 0.0), 1e-9));
      EXPECT_EQ(r.QE_df, kp);
      const double vt = kp / projection(m, weights(m, 0.0)).trace();
      EXPECT_TRUE(agree(what + " vt", r.vt, vt, 1e-9));
    }
    ++n;
  }
}

TEST(MetaReg, KnappHartungScalesByResidualMeanSquare) {
  for (const Data& d : random_designs(77, 30)) {
    const Dense m = dense(d);
    const auto kp = static_cast<double>(d.k() - d.p);
    const auto z = evident::fit_metareg(d.yi, d.vi, d.design(), options(Method::REML, MetaTest::z));
    const auto t =
        evident::fit_metareg(d.yi, d.vi, d.design(), options(Method::REML, MetaTest::knha));
    const double s2w = yPy(m, z.tau2) / kp;
    EXPECT_TRUE(agree("s2w", t.s2w, s2w, 1e-9));
    EXPECT_EQ(t.df, kp);
    for (std::size_t j = 0; j < d.p; ++j) {
      EXPECT_TRUE(agree("se", t.se[j], z.se[j] * std::sqrt(s2w), 1e-9));
    }
    EXPECT_TRUE(agree("F = QM / m", t.QM, z.QM / s2w / static_cast<double>(d.p - 1), 1e-9));
  }
}

TEST(MetaReg, InvariantToRowOrderAndModeratorScale) {
  for (const Data& d : random_designs(5, 40)) {
    for (Method method : {Method::DL, Method::REML, Method::PM, Method::ML}) {
      const auto o = options(method, MetaTest::z);
      const auto base = evident::fit_metareg(d.yi, d.vi, d.design(), o);
      Data rev = d;
      std::reverse(rev.yi.begin(), rev.yi.end());
      std::reverse(rev.vi.begin(), rev.vi.end());
      for (std::size_t i = 0; i < d.k(); ++i) {
        for (std::size_t j = 0; j < d.p; ++j)
          rev.x[i * d.p + j] = d.x[(d.k() - 1 - i) * d.p + j];
      }
      const auto r = evident::fit_metareg(rev.yi, rev.vi, rev.design(), o);
      EXPECT_TRUE(agree("tau2 reversed", r.tau2, base.tau2, 1e-8, 1e-12));
      EXPECT_TRUE(agree("QM reversed", r.QM, base.QM, 1e-8));
      Data scaled = d;
      for (std::size_t i = 0; i < d.k(); ++i)
        scaled.x[i * d.p + 1] *= 1000.0;
      const auto s = evident::fit_metareg(scaled.yi, scaled.vi, scaled.design(), o);
      EXPECT_TRUE(agree("tau2 scaled", s.tau2, base.tau2, 1e-8, 1e-12));
      EXPECT_TRUE(agree("slope scaled", s.beta[1] * 1000.0, base.beta[1], 1e-8, 1e-14));
      EXPECT_TRUE(agree("QM scaled", s.QM, base.QM, 1e-8));
    }
  }
}

TEST(MetaReg, SingularDesignAndTooFewStudiesAreOutcomes) {
  const std::vector<double> y{0.1, 0.4, 0.3, 0.8}, v{0.01, 0.02, 0.03, 0.04};
  const std::vector<double> collinear{1, 2, 4, 1, 3, 6, 1, 5, 10, 1, 7, 14};
  const auto r = evident::fit_metareg(y, v, {collinear, 3}, options(Method::REML, MetaTest::z));
  EXPECT_EQ(r.status, evident::RegressionStatus::rank_deficient);
  const std::vector<double> x4{1, 1, 0, 0, 1, 2, 1, 0, 1, 3, 0, 1, 1, 4, 1, 0};
  EXPECT_EQ(evident::fit_metareg(y, v, {x4, 4}, options(Method::DL, MetaTest::z)).status,
            evident::RegressionStatus::too_few_studies);
  EXPECT_EQ(evident::fit_metareg(y, v, {x4, 4}, options(Method::FE, MetaTest::z)).status,
            evident::RegressionStatus::ok);
}

TEST(MetaReg, QProfileBoundsAreRootsOfResidualQ) {
  for (const Data& d : random_designs(99, 40)) {
    const Dense m = dense(d);
    const auto r = evident::fit_metareg(d.yi, d.vi, d.design(), options(Method::REML, MetaTest::z));
    const auto ci = evident::confint_tau2(d.yi, d.vi, d.design(), r, 95.0);
    ASSERT_TRUE(ci.has_value());
    EXPECT_LE(ci->tau2_lb, ci->tau2_ub);
    const boost::math::chi_squared_distribution<double> chi2(static_cast<double>(d.k() - d.p));
    const double upper = boost::math::quantile(chi2, 0.975);
    const double lower = boost::math::quantile(chi2, 0.025);
    // Each bound solves Q(tau2) = quantile, or is 0 when Q(0) is already below it.
    if (ci->tau2_lb > 0.0) {
      EXPECT_TRUE(agree("Q(lb)", yPy(m, ci->tau2_lb), upper, 1e-8));
    } else {
      EXPECT_LE(yPy(m, 0.0), upper);
    }
    if (ci->tau2_ub > 0.0) {
      EXPECT_TRUE(agree("Q(ub)", yPy(m, ci->tau2_ub), lower, 1e-8));
    } else {
      EXPECT_LE(yPy(m, 0.0), lower);
    }
  }
}

TEST(MetaReg, LargeDesignIsLinearInK) {
  // k = 200,000 with p = 5 must fit quickly (this is a smoke test of the O(k p^2) path; the
  // benchmark suite measures it).
  Rng rng(3);
  Data d;
  d.p = 5;
  const std::size_t k = 200000;
  for (std::size_t i = 0; i < k; ++i) {
    const double v = rng.uniform(0.01, 0.1);
    double mean = 0.1;
    d.x.push_back(1.0);
    for (std::size_t j = 1; j < d.p; ++j) {
      const double xj = rng.normal();
      d.x.push_back(xj);
      mean += 0.05 * static_cast<double>(j) * xj;
    }
    d.vi.push_back(v);
    d.yi.push_back(mean + std::sqrt(v + 0.02) * rng.normal());
  }
  const auto r = evident::fit_metareg(d.yi, d.vi, d.design(), options(Method::REML, MetaTest::z));
  ASSERT_EQ(r.status, evident::RegressionStatus::ok);
  EXPECT_NEAR(r.tau2, 0.02, 0.002);
  EXPECT_NEAR(r.beta[4], 0.2, 0.01);
}

}  // namespace

// A regression through the origin (no column holds the constant): QE is the weighted residual
// sum of squares at the fit and QM tests the one coefficient. (metafor computes QE and its
// moment estimators from the mean-centred yi, which differs only for such designs.)
TEST(MetaReg, RegressionThroughTheOriginUsesTheResiduals) {
  const std::vector<double> y{0.3, -0.2, 0.8, 0.5, 1.1, 0.4};
  const std::vector<double> v{0.04, 0.02, 0.05, 0.03, 0.06, 0.02};
  const std::vector<double> x{1.0, 2.0, 3.0, 1.5, 4.0, 2.5};
  const auto f = evident::fit_metareg(y, v, {x, 1}, options(Method::FE, MetaTest::z));
  ASSERT_EQ(f.status, evident::RegressionStatus::ok);
  double sxy = 0.0, sxx = 0.0;
  for (std::size_t i = 0; i < y.size(); ++i) {
    sxy += x[i] * y[i] / v[i];
    sxx += x[i] * x[i] / v[i];
  }
  const double b = sxy / sxx;
  double qe = 0.0;
  for (std::size_t i = 0; i < y.size(); ++i)
    qe += (y[i] - b * x[i]) * (y[i] - b * x[i]) / v[i];
  EXPECT_NEAR(f.beta[0], b, 1e-12);
  EXPECT_NEAR(f.QE, qe, 1e-10 * qe);
  EXPECT_NEAR(f.QM, b * b * sxx, 1e-10 * b * b * sxx);
  EXPECT_EQ(f.QM_df, 1.0);
}
