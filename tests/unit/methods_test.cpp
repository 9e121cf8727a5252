// Sensitivity and bias methods: properties that hold without a reference value (refits equal
// fits of the subsets, a refit that fails is recorded, hat values sum to p), and the exact rank
// correlation p-value against brute-force enumeration of permutations.

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "evident/methods/bias.hpp"
#include "evident/methods/sensitivity.hpp"
#include "evident/methods/summary.hpp"
#include "evident/model/fit.hpp"
#include "evident/model/metareg.hpp"

namespace {

const std::vector<double> kY{-0.889, -1.585, -1.348, -1.442, -0.218, -0.786, -1.621,
                             0.012,  -0.469, -1.371, -0.339, 0.446,  -0.017};
const std::vector<double> kV{0.326, 0.195, 0.415, 0.020, 0.051, 0.007, 0.223,
                             0.004, 0.056, 0.073, 0.012, 0.533, 0.071};

std::vector<double> ones(std::size_t k) {
  return std::vector<double>(k, 1.0);
}

TEST(Sensitivity, LeaveOneOutAndCumulativeAreFitsOfSubsets) {
  evident::FitOptions o;
  const auto loo = evident::leave1out(kY, kV, o);
  ASSERT_EQ(loo.size(), kY.size());
  for (std::size_t i = 0; i < kY.size(); ++i) {
    std::vector<double> y = kY, v = kV;
    y.erase(y.begin() + static_cast<std::ptrdiff_t>(i));
    v.erase(v.begin() + static_cast<std::ptrdiff_t>(i));
    const evident::Fit f = evident::fit(y, v, o);
    EXPECT_EQ(loo[i].estimate, f.estimate);
    EXPECT_EQ(loo[i].tau2, f.tau2);
    EXPECT_EQ(loo[i].Q, f.Q);
  }
  std::vector<std::size_t> order(kY.size());
  std::iota(order.rbegin(), order.rend(), 0);  // reversed
  const auto cum = evident::cumulative(kY, kV, order, o);
  const evident::Fit all = evident::fit(kY, kV, o);
  EXPECT_DOUBLE_EQ(cum.back().estimate, all.estimate);
  EXPECT_EQ(cum.front().estimate, kY.back());  // one study: its own effect
}

TEST(Sensitivity, InfluenceBasicsAndIntercept) {
  evident::FitOptions o;
  const auto x = ones(kY.size());
  const auto fit = evident::fit_metareg(kY, kV, {x, 1}, o);
  const auto inf = evident::influence(kY, kV, {x, 1}, fit, o);
  double hat = 0.0, weight = 0.0;
  for (const auto& r : inf) {
    EXPECT_TRUE(r.ok);
    hat += r.hat;
    weight += r.weight;
    // with one coefficient, the hat value is the weight as a proportion
    EXPECT_NEAR(r.hat, r.weight / 100.0, 1e-12);
    EXPECT_GT(r.baujat_x, 0.0);
  }
  EXPECT_NEAR(hat, 1.0, 1e-12);  // tr(H) = p
  EXPECT_NEAR(weight, 100.0, 1e-10);
}

TEST(Sensitivity, AFailedRefitIsRecordedAndTheOthersGoOn) {
  // The last study is the only one with x = 1: without it X is singular.
  const std::vector<double> y{0.1, 0.3, 0.2, 0.5, 0.9};
  const std::vector<double> v{0.02, 0.03, 0.02, 0.04, 0.05};
  std::vector<double> x;
  for (std::size_t i = 0; i < y.size(); ++i) {
    x.push_back(1.0);
    x.push_back(i == 4 ? 1.0 : 0.0);
  }
  evident::FitOptions o;
  o.method = evident::Method::DL;
  const auto fit = evident::fit_metareg(y, v, {x, 2}, o);
  ASSERT_EQ(fit.status, evident::RegressionStatus::ok);
  const auto inf = evident::influence(y, v, {x, 2}, fit, o);
  for (std::size_t i = 0; i < 4; ++i)
    EXPECT_TRUE(inf[i].ok) << i;
  EXPECT_FALSE(inf[4].ok);
  EXPECT_TRUE(std::isnan(inf[4].cook_d));
  EXPECT_NEAR(inf[4].hat, 1.0, 1e-12);  // the study fits its own coefficient exactly
}

// ---- rank correlation ---------------------------------------------------------------------------

// Two-sided exact p of Kendall's statistic by enumerating every permutation, as R's cor.test.
double brute_force_kendall_p(const std::vector<double>& x, const std::vector<double>& y) {
  const std::size_t n = x.size();
  auto concordant = [&](const std::vector<std::size_t>& perm) {
    int c = 0;
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = i + 1; j < n; ++j) {
        if ((x[i] - x[j]) * (y[perm[i]] - y[perm[j]]) > 0) ++c;
      }
    }
    return c;
  };
  std::vector<std::size_t> perm(n);
  std::iota(perm.begin(), perm.end(), 0);
  const int q = concordant(perm);
  const double t0 = static_cast<double>(n * (n - 1)) / 2.0;
  std::vector<int> all;
  do {
    all.push_back(concordant(perm));
  } while (std::next_permutation(perm.begin(), perm.end()));
  const auto total = static_cast<double>(all.size());
  double tail;
  if (q > t0 / 2.0) {
    tail =
        static_cast<double>(std::count_if(all.begin(), all.end(), [&](int c) { return c >= q; }));
  } else {
    tail =
        static_cast<double>(std::count_if(all.begin(), all.end(), [&](int c) { return c <= q; }));
  }
  return std::min(1.0, 2.0 * tail / total);
}

TEST(Bias, RankTestExactPValueMatchesEnumeration) {
  const std::vector<std::vector<double>> ys{{0.1, 0.5, -0.2, 0.8, 0.3, 0.4, 0.9},
                                            {0.9, 0.8, 0.7, 0.1, 0.2, 0.3, 0.0, 0.05},
                                            {0.3, 0.1, 0.2}};
  const std::vector<std::vector<double>> vs{{0.05, 0.1, 0.08, 0.2, 0.03, 0.12, 0.3},
                                            {0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08},
                                            {0.01, 0.02, 0.04}};
  for (std::size_t s = 0; s < ys.size(); ++s) {
    const auto r = evident::ranktest(ys[s], vs[s]);
    ASSERT_TRUE(r.ok);
    EXPECT_TRUE(r.exact);
    // the test's x: standardised deviations from the common-effect estimate
    double sw = 0.0, swy = 0.0;
    for (std::size_t i = 0; i < ys[s].size(); ++i) {
      sw += 1.0 / vs[s][i];
      swy += ys[s][i] / vs[s][i];
    }
    std::vector<double> x;
    for (std::size_t i = 0; i < ys[s].size(); ++i)
      x.push_back((ys[s][i] - swy / sw) / std::sqrt(vs[s][i] - 1.0 / sw));
    EXPECT_NEAR(r.pval, brute_force_kendall_p(x, vs[s]), 1e-12) << s;
  }
  // Ties in vi: the normal approximation.
  const auto tied = evident::ranktest(std::vector<double>{0.1, 0.2, 0.3, 0.5},
                                      std::vector<double>{0.01, 0.01, 0.02, 0.03});
  EXPECT_TRUE(tied.ok);
  EXPECT_FALSE(tied.exact);
}

// ---- trim-and-fill, fail-safe N, PET-PEESE, funnel
// -----------------------------------------------

TEST(Bias, TrimAndFillFillsTheEmptySide) {
  // A symmetric funnel around 0.5: nothing is missing.
  std::vector<double> y, v;
  std::vector<std::string> labels;
  for (int i = 1; i <= 6; ++i) {
    const double se = 0.05 * i;
    y.push_back(0.5 + se);
    y.push_back(0.5 - se);
    v.push_back(se * se);
    v.push_back(se * se);
    // appended rather than "s" + to_string(): GCC 12 reports a false -Wrestrict for that
    labels.push_back(std::to_string(2 * i).insert(0, 1, 's'));
    labels.push_back(std::to_string(2 * i + 1).insert(0, 1, 's'));
  }
  evident::FitOptions o;
  o.method = evident::Method::FE;
  const auto sym = evident::trimfill(y, v, labels, o, evident::TrimFillEstimator::L0, {});
  ASSERT_TRUE(sym.ok);
  EXPECT_EQ(sym.k0, 0);
  EXPECT_NEAR(sym.fit.estimate, 0.5, 1e-12);
  // Remove the three most imprecise studies below 0.5: they are missing on the left.
  std::vector<double> y2, v2;
  std::vector<std::string> l2;
  for (std::size_t i = 0; i < y.size(); ++i) {
    if (y[i] < 0.5 && v[i] > 0.05) continue;
    y2.push_back(y[i]);
    v2.push_back(v[i]);
    l2.push_back(labels[i]);
  }
  for (auto est : {evident::TrimFillEstimator::L0, evident::TrimFillEstimator::R0}) {
    const auto t = evident::trimfill(y2, v2, l2, o, est, evident::FunnelSide::left);
    ASSERT_TRUE(t.ok);
    EXPECT_EQ(t.side, evident::FunnelSide::left);
    EXPECT_GT(t.k0, 0);
    EXPECT_EQ(t.filled.size(), static_cast<std::size_t>(t.k0));
    EXPECT_EQ(t.fit.k, y2.size() + t.filled.size());
    for (const auto& f : t.filled)
      EXPECT_LT(f.yi, 0.5 + 1e-12);  // reflections of the largest effects
    EXPECT_LT(t.fit.estimate, evident::fit(y2, v2, o).estimate);
  }
}

TEST(Bias, FailSafeNumbers) {
  const auto f = evident::fsn(kY, kV);
  // Orwin with the default target (half the mean) always gives k.
  EXPECT_EQ(f.orwin, static_cast<double>(kY.size()));
  double sz = 0.0;
  for (std::size_t i = 0; i < kY.size(); ++i)
    sz += kY[i] / std::sqrt(kV[i]);
  const double z = std::fabs(sz) / std::sqrt(13.0);
  const double expected = 13.0 * (z / 1.6448536269514722) * (z / 1.6448536269514722) - 13.0;
  EXPECT_EQ(f.rosenthal, std::ceil(expected));
  EXPECT_GE(f.rosenberg, 0.0);
}

TEST(Bias, PetPeeseRecoversAnExactLine) {
  std::vector<double> y, v;
  for (int i = 1; i <= 8; ++i) {
    const double se = 0.05 * i;
    v.push_back(se * se);
    y.push_back(0.2 + 1.5 * se + (i % 2 ? 1e-9 : -1e-9));
  }
  const auto pp = evident::pet_peese(y, v, 95.0);
  ASSERT_TRUE(pp.pet.ok);
  EXPECT_NEAR(pp.pet.estimate, 0.2, 1e-6);
  EXPECT_NEAR(pp.pet.slope, 1.5, 1e-6);
  EXPECT_TRUE(pp.use_peese);  // PET's intercept is far from 0 relative to its tiny se
  EXPECT_EQ(pp.pet.df, 6.0);
}

TEST(Bias, FunnelContours) {
  const std::vector<std::string> labels{"a", "b"};
  const std::vector<double> y{0.1, 0.2}, v{0.04, 0.09};
  const std::array<double, 3> levels{10.0, 5.0, 1.0};
  const auto f = evident::funnel(labels, y, v, 0.15, levels);
  EXPECT_DOUBLE_EQ(f.sei_max, 0.3);
  ASSERT_EQ(f.contours.size(), 3u);
  EXPECT_NEAR(f.contours[0].z, 1.6448536269514722, 1e-12);
  EXPECT_NEAR(f.contours[1].z, 1.959963984540054, 1e-12);
  EXPECT_NEAR(f.contours[2].z, 2.5758293035489004, 1e-12);
}

}  // namespace

namespace {

// `evident batch` analyses without the report's details: the same fit, prediction and
// diagnostics, and none of the parts a result row does not show.
TEST(AnalysisDetails, WithoutDetailsTheFitAndItsDiagnosticsAreTheSame) {
  for (const evident::Method method : {evident::Method::REML, evident::Method::DL}) {
    evident::EffectData data;
    data.yi = kY;
    data.vi = kV;
    data.yi[3] = std::nan("");  // a study without an effect size: k_yi and its diagnostic
    for (std::size_t i = 0; i < kY.size(); ++i) {
      data.labels.emplace_back(1, 's');
      data.labels.back() += std::to_string(i);
      data.lines.push_back(i + 2);
      data.ni.push_back(std::nan(""));
    }
    evident::FitOptions o;
    o.method = method;
    const evident::Analysis full = evident::analyse(data, o, "t.csv", true);
    const evident::Analysis lean = evident::analyse(data, o, "t.csv", false);
    EXPECT_EQ(lean.fit.estimate, full.fit.estimate);
    EXPECT_EQ(lean.fit.tau2, full.fit.tau2);
    EXPECT_EQ(lean.fit.se, full.fit.se);
    EXPECT_EQ(lean.prediction.pi_lb, full.prediction.pi_lb);
    EXPECT_EQ(lean.k_yi, full.k_yi);
    ASSERT_EQ(lean.diagnostics.size(), full.diagnostics.size());
    for (std::size_t i = 0; i < lean.diagnostics.size(); ++i)
      EXPECT_EQ(lean.diagnostics[i].message, full.diagnostics[i].message);
    EXPECT_TRUE(full.heterogeneity_ci.has_value());
    EXPECT_EQ(full.studies.size(), kY.size());
    EXPECT_FALSE(lean.heterogeneity_ci.has_value());
    EXPECT_TRUE(lean.studies.empty());
  }
}

}  // namespace

// Repeated study labels are counted in order of first appearance; the rows of a multi-arm trial
// (which share its label when split) are its arms, not repeated estimates.
TEST(Summary, RepeatedStudyLabelsLeaveOutTheArmsOfAMultiArmTrial) {
  using namespace evident;
  Analysis a;
  const std::vector<std::pair<std::string, std::size_t>> rows = {
      {"B", 2}, {"A", 3}, {"B", 4}, {"T", 5}, {"T", 6}, {"C", 7}, {"B", 8}};
  for (const auto& [study, line] : rows) {
    StudyResult s;
    s.study = study;
    s.line = line;
    a.studies.push_back(s);
  }
  std::vector<RepeatedStudy> r = repeated_studies(a);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].study, "B");
  EXPECT_EQ(r[0].estimates, 3u);
  EXPECT_EQ(r[1].study, "T");
  a.multiarm = MultiArmReport{MultiArm::split, false, {{"T", {"T", "T"}, {5, 6}}}};
  r = repeated_studies(a);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(repeated_studies_text(r), "B (3 estimates)");
  std::vector<RepeatedStudy> many(12, {"S", 2});
  EXPECT_TRUE(repeated_studies_text(many).ends_with("S (2 estimates) and 2 more studies"));
}
