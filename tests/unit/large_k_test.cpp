// Fits of many studies (k >= kBlockedMin), whose O(k) sums are taken in fixed blocks that may run
// on several threads: every number must be the same to the last bit for any thread count, and as
// accurate as a straightforward sum in long double. Also the two sides of the threshold.

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "evident/model/fit.hpp"
#include "evident/model/metareg.hpp"
#include "model/sums.hpp"
#include "stats/parallel.hpp"

namespace {

using evident::Method;

constexpr std::array kAllMethods{Method::FE, Method::DL,   Method::HE, Method::HS, Method::SJ,
                                 Method::ML, Method::REML, Method::EB, Method::PM};

struct Data {
  std::vector<double> yi, vi;
};

// yi ~ N(0.3, sqrt(0.1 + vi)), vi ~ U(0.01, 0.1): tau2 = 0.1, seeded.
Data simulate(std::size_t k, std::uint64_t seed) {
  std::mt19937_64 engine(seed);
  std::uniform_real_distribution<double> variance(0.01, 0.1);
  std::normal_distribution<double> normal(0.0, 1.0);
  Data d;
  d.yi.reserve(k);
  d.vi.reserve(k);
  for (std::size_t i = 0; i < k; ++i) {
    const double vi = variance(engine);
    d.vi.push_back(vi);
    d.yi.push_back(0.3 + std::sqrt(0.1 + vi) * normal(engine));
  }
  return d;
}

evident::Fit fit_with(const Data& d, Method m, unsigned threads) {
  evident::FitOptions o;
  o.method = m;
  o.threads = threads;
  return evident::fit(d.yi, d.vi, o);
}

std::uint64_t bits(double x) {
  return std::bit_cast<std::uint64_t>(x);
}

void expect_bitwise_equal(const evident::Fit& a, const evident::Fit& b) {
  EXPECT_EQ(bits(a.estimate), bits(b.estimate));
  EXPECT_EQ(bits(a.se), bits(b.se));
  EXPECT_EQ(bits(a.stat), bits(b.stat));
  EXPECT_EQ(bits(a.pval), bits(b.pval));
  EXPECT_EQ(bits(a.ci_lb), bits(b.ci_lb));
  EXPECT_EQ(bits(a.ci_ub), bits(b.ci_ub));
  EXPECT_EQ(bits(a.tau2), bits(b.tau2));
  EXPECT_EQ(bits(a.tau2_se), bits(b.tau2_se));
  EXPECT_EQ(bits(a.Q), bits(b.Q));
  EXPECT_EQ(bits(a.Q_p), bits(b.Q_p));
  EXPECT_EQ(bits(a.I2), bits(b.I2));
  EXPECT_EQ(bits(a.H2), bits(b.H2));
  EXPECT_EQ(bits(a.vt), bits(b.vt));
  EXPECT_EQ(a.termination, b.termination);
  EXPECT_EQ(a.iterations, b.iterations);
  EXPECT_EQ(a.notes, b.notes);
}

// The pooled estimate, its standard error and Q recomputed in long double, one plain loop each,
// at the fit's tau2 (Q with w = 1 / vi).
void expect_accurate(const Data& d, const evident::Fit& f) {
  using Long = long double;
  Long sw = 0.0L, swy = 0.0L, sw0 = 0.0L, sw0y = 0.0L;
  for (std::size_t i = 0; i < d.yi.size(); ++i) {
    const Long w = 1.0L / (static_cast<Long>(d.vi[i]) + static_cast<Long>(f.tau2));
    sw += w;
    swy += w * static_cast<Long>(d.yi[i]);
    const Long w0 = 1.0L / static_cast<Long>(d.vi[i]);
    sw0 += w0;
    sw0y += w0 * static_cast<Long>(d.yi[i]);
  }
  const Long mu = swy / sw, mu0 = sw0y / sw0;
  Long q = 0.0L;
  for (std::size_t i = 0; i < d.yi.size(); ++i) {
    const Long r = static_cast<Long>(d.yi[i]) - mu0;
    q += r * r / static_cast<Long>(d.vi[i]);
  }
  auto near = [](double got, Long want) {
    return std::fabs(static_cast<Long>(got) - want) <= 1e-12L * std::fabs(want);
  };
  EXPECT_TRUE(near(f.estimate, mu)) << f.estimate << " vs " << static_cast<double>(mu);
  EXPECT_TRUE(near(f.se, std::sqrt(1.0L / sw))) << f.se;
  EXPECT_TRUE(near(f.Q, q)) << f.Q << " vs " << static_cast<double>(q);
}

TEST(LargeKTest, SameBitsForAnyThreadCount) {
  const Data d = simulate(200'000, 20240611);
  ASSERT_GE(d.yi.size(), evident::detail::kBlockedMin);
  for (Method m : kAllMethods) {
    SCOPED_TRACE(std::string(evident::method_name(m)));
    const evident::Fit one = fit_with(d, m, 1);
    EXPECT_NE(one.termination, evident::Termination::max_iterations);
    for (unsigned threads : {2u, 4u})
      expect_bitwise_equal(one, fit_with(d, m, threads));
    expect_accurate(d, one);
    if (m != Method::FE) {  // SJ is biased upwards (Sidik & Jonkman 2007): 0.114 here
      EXPECT_NEAR(one.tau2, 0.1, 0.02);
    }
  }
}

TEST(LargeKTest, MetaRegressionSameBitsForAnyThreadCount) {
  // Two numeric moderators (p = 3) and one with six columns' worth of design (p = 6, the largest
  // unrolled size): the cross-products and residual sums in blocks, on 1, 2 and 4 threads.
  const Data d = simulate(200'000, 77);
  std::mt19937_64 engine(78);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (std::size_t p : {std::size_t{3}, std::size_t{6}}) {
    std::vector<double> x(d.yi.size() * p);
    for (std::size_t i = 0; i < d.yi.size(); ++i) {
      x[i * p] = 1.0;
      for (std::size_t j = 1; j < p; ++j)
        x[i * p + j] = unit(engine);
    }
    const evident::DesignView design{x, p};
    for (Method method : {Method::REML, Method::DL, Method::PM}) {
      evident::FitOptions options;
      options.method = method;
      options.threads = 1;
      const evident::MetaRegFit one = evident::fit_metareg(d.yi, d.vi, design, options);
      ASSERT_EQ(one.status, evident::RegressionStatus::ok);
      for (unsigned threads : {2u, 4u}) {
        options.threads = threads;
        const evident::MetaRegFit other = evident::fit_metareg(d.yi, d.vi, design, options);
        SCOPED_TRACE(testing::Message() << "p = " << p << ", threads = " << threads);
        EXPECT_EQ(bits(one.tau2), bits(other.tau2));
        EXPECT_EQ(bits(one.tau2_se), bits(other.tau2_se));
        EXPECT_EQ(bits(one.QE), bits(other.QE));
        EXPECT_EQ(bits(one.QM), bits(other.QM));
        EXPECT_EQ(one.iterations, other.iterations);
        for (std::size_t j = 0; j < p; ++j) {
          EXPECT_EQ(bits(one.beta[j]), bits(other.beta[j])) << j;
          EXPECT_EQ(bits(one.se[j]), bits(other.se[j])) << j;
        }
      }
    }
  }
}

TEST(LargeKTest, WeightsSameBitsForAnyThreadCount) {
  const Data d = simulate(100'000, 7);
  const evident::Fit f = fit_with(d, Method::REML, 1);
  std::vector<double> one(d.vi.size()), two(d.vi.size());
  evident::weights_percent(d.vi, f, one, 1);
  evident::weights_percent(d.vi, f, two, 2);
  using Long = long double;
  Long total = 0.0L;
  for (std::size_t i = 0; i < one.size(); ++i) {
    ASSERT_EQ(bits(one[i]), bits(two[i])) << i;
    total += static_cast<Long>(one[i]);
  }
  EXPECT_NEAR(static_cast<double>(total), 100.0, 1e-9);
}

// Just below the threshold the sums run in one loop, at it in blocks: both are accurate, and the
// blocked one does not depend on the thread count.
TEST(LargeKTest, EitherSideOfTheThreshold) {
  constexpr std::size_t kMin = evident::detail::kBlockedMin;
  const Data all = simulate(kMin, 99);
  for (std::size_t k : {kMin - 1, kMin}) {
    SCOPED_TRACE(k);
    const Data d{{all.yi.begin(), all.yi.begin() + static_cast<std::ptrdiff_t>(k)},
                 {all.vi.begin(), all.vi.begin() + static_cast<std::ptrdiff_t>(k)}};
    for (Method m : {Method::DL, Method::REML, Method::PM}) {
      SCOPED_TRACE(std::string(evident::method_name(m)));
      const evident::Fit one = fit_with(d, m, 1);
      EXPECT_NE(one.termination, evident::Termination::max_iterations);
      expect_accurate(d, one);
      expect_bitwise_equal(one, fit_with(d, m, 2));
    }
  }
}

TEST(ParallelBlocksTest, EveryBlockOnceForAnyThreadCount) {
  for (unsigned threads : {0u, 1u, 2u, 3u, 8u}) {
    for (std::size_t n_blocks : {std::size_t{0}, std::size_t{1}, std::size_t{2}, std::size_t{97}}) {
      std::vector<std::atomic<int>> seen(n_blocks);
      auto count = [&](std::size_t b) { seen[b].fetch_add(1, std::memory_order_relaxed); };
      evident::detail::parallel_blocks(n_blocks, threads, count);
      for (std::size_t b = 0; b < n_blocks; ++b)
        EXPECT_EQ(seen[b].load(), 1) << "threads " << threads << ", block " << b;
    }
  }
}

}  // namespace
