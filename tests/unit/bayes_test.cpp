// The Bayesian normal-normal model: properties that hold exactly (the posterior of one study
// under a flat prior for mu is the prior of tau; a shift of every yi shifts mu; study order does
// not matter; heavy tails have no moments), beside the reference values of generate_bayes.R.

#include "evident/model/bayes.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <vector>

namespace evident {
namespace {

const std::vector<double> kY{-0.889, -1.585, -1.348, -1.442, -0.218, -0.786, -1.621};
const std::vector<double> kV{0.326, 0.195, 0.415, 0.020, 0.051, 0.007, 0.223};

BayesOptions half_normal(double scale) {
  BayesOptions o;
  o.tau.kind = TauPrior::Kind::half_normal;
  o.tau.scale = scale;
  return o;
}

TEST(BayesTest, OneStudyWithAFlatPriorForMuLeavesTheHeterogeneityPriorUnchanged) {
  // With one study and mu flat, the likelihood of tau is constant: tau's posterior is its prior,
  // the half-normal with mean S sqrt(2 / pi) and median S Phi^-1(3/4).
  const std::vector<double> y{0.3}, v{0.04};
  const BayesFit f = fit_bayes(y, v, half_normal(0.5));
  EXPECT_EQ(f.termination, Termination::converged);
  EXPECT_NEAR(f.tau.mean, 0.5 * std::sqrt(2.0 / std::numbers::pi), 1e-12);
  EXPECT_NEAR(f.tau.sd, 0.5 * std::sqrt(1.0 - 2.0 / std::numbers::pi), 1e-12);
  EXPECT_NEAR(f.tau.median, 0.5 * 0.674489750196081743, 1e-12);
  EXPECT_NEAR(f.tau.ci_ub, 0.5 * 2.24140272760495, 1e-11);  // the 97.5% point: Phi^-1(0.9875)
  // mu given tau is N(y, v + tau^2): its mean is y, and it is symmetric around y.
  EXPECT_NEAR(f.mu.mean, 0.3, 1e-12);
  EXPECT_NEAR(f.mu.median, 0.3, 1e-12);
  EXPECT_NEAR(f.mu.ci_lb + f.mu.ci_ub, 0.6, 1e-11);
  EXPECT_TRUE(std::isnan(f.marginal_likelihood));  // improper prior for mu
}

TEST(BayesTest, ShiftingEveryEffectShiftsMuAndNothingElse) {
  std::vector<double> shifted = kY;
  for (double& y : shifted)
    y += 2.5;
  const BayesFit a = fit_bayes(kY, kV, half_normal(0.5));
  const BayesFit b = fit_bayes(shifted, kV, half_normal(0.5));
  EXPECT_NEAR(b.mu.mean, a.mu.mean + 2.5, 1e-10);
  EXPECT_NEAR(b.mu.ci_lb, a.mu.ci_lb + 2.5, 1e-9);
  EXPECT_NEAR(b.mu.ci_ub, a.mu.ci_ub + 2.5, 1e-9);
  EXPECT_NEAR(b.tau.median, a.tau.median, 1e-12);
  EXPECT_NEAR(b.theta[3].median, a.theta[3].median + 2.5, 1e-9);
}

TEST(BayesTest, StudyOrderDoesNotMatter) {
  std::vector<double> y(kY.rbegin(), kY.rend()), v(kV.rbegin(), kV.rend());
  BayesOptions o = half_normal(1.0);
  o.mu.flat = false;
  o.mu.sd = 4.0;
  const BayesFit a = fit_bayes(kY, kV, o);
  const BayesFit b = fit_bayes(y, v, o);
  EXPECT_NEAR(a.mu.mean, b.mu.mean, 1e-12);
  EXPECT_NEAR(a.tau.ci_ub, b.tau.ci_ub, 1e-11);
  EXPECT_NEAR(a.log_marginal_likelihood, b.log_marginal_likelihood, 1e-11);
  EXPECT_NEAR(a.theta.front().ci_lb, b.theta.back().ci_lb, 1e-10);
}

TEST(BayesTest, AUniformPriorBoundsTauAndNoMomentIsInventedForHeavyTails) {
  BayesOptions uniform;
  uniform.tau.kind = TauPrior::Kind::uniform;
  uniform.tau.lower = 0.2;
  uniform.tau.upper = 0.6;
  const BayesFit u = fit_bayes(kY, kV, uniform);
  EXPECT_GT(u.tau.ci_lb, 0.2);
  EXPECT_LT(u.tau.ci_ub, 0.6);

  // Half-Cauchy with a flat mu: tau's density falls as tau^-(k + 1), so with two studies its mean
  // exists and its variance (and hence mu's and a new study's) does not.
  BayesOptions cauchy;
  cauchy.tau.kind = TauPrior::Kind::half_cauchy;
  cauchy.tau.scale = 0.5;
  const std::vector<double> y2(kY.begin(), kY.begin() + 2), v2(kV.begin(), kV.begin() + 2);
  const BayesFit c = fit_bayes(y2, v2, cauchy);
  EXPECT_TRUE(std::isfinite(c.tau.mean));
  EXPECT_TRUE(std::isnan(c.tau.sd));
  EXPECT_TRUE(std::isnan(c.mu.sd));
  EXPECT_TRUE(std::isnan(c.predictive.sd));
  EXPECT_TRUE(std::isfinite(c.mu.ci_lb) && std::isfinite(c.predictive.ci_ub));
  EXPECT_LT(c.predictive.ci_lb, c.mu.ci_lb);
}

TEST(BayesTest, JeffreysPriorWithOneStudyAndAFlatMuIsImproper) {
  BayesOptions o;
  o.tau.kind = TauPrior::Kind::jeffreys;
  const std::vector<double> y{0.3}, v{0.04};
  const BayesFit f = fit_bayes(y, v, o);
  EXPECT_EQ(f.termination, Termination::not_estimable);
  EXPECT_TRUE(std::isnan(f.mu.mean));
  // A proper prior for mu makes it proper again.
  o.mu.flat = false;
  o.mu.sd = 1.0;
  EXPECT_EQ(fit_bayes(y, v, o).termination, Termination::converged);
}

TEST(BayesTest, PriorsReadAndWriteTheirText) {
  std::string problem;
  for (const char* text : {"halfnormal:0.5", "halfcauchy:1", "uniform:0,2", "jeffreys"}) {
    const auto p = TauPrior::parse(text, problem);
    ASSERT_TRUE(p) << text << ": " << problem;
    EXPECT_EQ(p->text(), text);
  }
  for (const char* bad : {"halfnormal:0", "halfnormal:-1", "halfnormal:nan", "uniform:2,1",
                          "uniform:-1,1", "cauchy:1", "jeffreys:1", "halfnormal"}) {
    EXPECT_FALSE(TauPrior::parse(bad, problem)) << bad;
    EXPECT_FALSE(problem.empty());
  }
  ASSERT_TRUE(MuPrior::parse("normal:0,4", problem));
  EXPECT_EQ(MuPrior::parse("normal:0,4", problem)->text(), "normal:0,4");
  EXPECT_FALSE(MuPrior::parse("normal:0,0", problem));
  EXPECT_FALSE(MuPrior::parse("normal", problem));
}

TEST(BayesTest, DensitiesIntegrateToOne) {
  BayesOptions o = half_normal(0.5);
  o.densities = true;
  const BayesFit f = fit_bayes(kY, kV, o);
  ASSERT_EQ(f.tau_density.x.size(), kPlotPoints);
  // The trapezoid rule over the tabulated range (tau up to its 99.5% point, mu between its
  // 0.25% and 99.75% points) holds that much of the mass, to the rule's error.
  auto trapezoid = [](const DensityCurve& c) {
    double s = 0.0;
    for (std::size_t j = 1; j < c.x.size(); ++j)
      s += 0.5 * (c.density[j] + c.density[j - 1]) * (c.x[j] - c.x[j - 1]);
    return s;
  };
  EXPECT_NEAR(trapezoid(f.tau_density), 0.995, 2e-3);
  EXPECT_NEAR(trapezoid(f.mu_density), 0.995, 2e-3);
}

}  // namespace
}  // namespace evident
