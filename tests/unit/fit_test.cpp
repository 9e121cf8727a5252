// Invariance and consistency properties of the fit and of the analysis built on it: study order,
// units of the effect size, the common-effect limit, Knapp-Hartung scaling, k = 1 and k = 2, and
// the Q-profile interval. Each holds for every estimator, so they are checked for all of them on
// fixed and random data sets; none needs a reference value.

#include "evident/model/fit.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <boost/math/distributions/chi_squared.hpp>
#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numbers>
#include <optional>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "evident/effect/effect.hpp"
#include "evident/methods/confint.hpp"
#include "evident/methods/predict.hpp"
#include "evident/methods/summary.hpp"

namespace {

using evident::Method;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

constexpr std::array kAllMethods{Method::FE, Method::DL,   Method::HE, Method::HS, Method::SJ,
                                 Method::ML, Method::REML, Method::EB, Method::PM};
constexpr std::array kAllTests{evident::Test::z, evident::Test::knha};

// ---- data ---------------------------------------------------------------------------------------

struct Data {
  std::vector<double> yi, vi;
};

// metafor: escalc("RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg).
const Data kBcg{
    {-0.88931133392020545, -1.5853886572014306, -1.3480731482996933, -1.4415511900213054,
     -0.21754732221129558, -0.78611558581886398, -1.6208982235983918, 0.011952333523840508,
     -0.4694176487381494, -1.3713448034727844, -0.33935882833839059, 0.44591340057137874,
     -0.017313948216879815},
    {0.32558476500396133, 0.19458112139814385, 0.41536796536796539, 0.020010031902247573,
     0.051210172169630863, 0.0069056184559087574, 0.22301724757231517, 0.0039615792978177295,
     0.056434210463248966, 0.07302479361302891, 0.01241221397155972, 0.53250584520015276,
     0.071404659683986293}};

// metafor: escalc("MD", ...) on dat.gibson2002 (complete rows): sampling variances from 0.018
// to 245, and a ML likelihood with a boundary maximum.
const Data kGibson{
    {-3, -16.5, 0.14999999999999999, -0.57000000000000028, -15.08, -1.46, -2, -7.6999999999999993,
     -0.89999999999999991, 0.52000000000000046, -2.9999999999999996, 0.26000000000000001, -18},
    {6.1345765185185197, 15.252554621848738, 0.018061098398169339, 0.62318963588506249,
     20.868517142857144, 2.0269452525252527, 2.3250726392251817, 22.982499999999998,
     0.48899420891608392, 1.9852053025210084, 7.9393939393939394, 0.039869767441860465,
     245.12666666666667}};

// Small and heterogeneous.
const Data kSmall{{0.1, 0.5, -0.2, 0.8, 0.3}, {0.05, 0.1, 0.08, 0.2, 0.03}};

// Homogeneous: Q(0) = 0.11 is below the 2.5% quantile of chi-squared(5) (0.83), so every
// estimator except SJ gives tau2 = 0 and both Q-profile bounds are 0.
const Data kHomogeneous{{0.20, 0.22, 0.18, 0.21, 0.19, 0.20},
                        {0.01, 0.02, 0.015, 0.03, 0.012, 0.025}};

const std::array<const Data*, 4> kFixedData{&kBcg, &kGibson, &kSmall, &kHomogeneous};

// Random numbers that are the same with every standard library (mt19937_64's raw output is
// specified, its distributions are not).
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : engine_(seed) {}
  double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  double uniform(double a, double b) { return a + (b - a) * uniform(); }
  std::size_t integer(std::size_t lo, std::size_t hi) {
    return lo + static_cast<std::size_t>(engine_() % (hi - lo + 1));
  }
  double normal() {  // Box-Muller
    const double u1 = 1.0 - uniform();
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  }
  // A permutation of 0..n-1 (Fisher-Yates; std::shuffle's output differs between libraries).
  std::vector<std::size_t> permutation(std::size_t n) {
    std::vector<std::size_t> p(n);
    for (std::size_t i = 0; i < n; ++i)
      p[i] = i;
    for (std::size_t i = n; i > 1; --i)
      std::swap(p[i - 1], p[integer(0, i - 1)]);
    return p;
  }

 private:
  std::mt19937_64 engine_;
};

// Random data sets: k from 2 to 30, sampling variances over two orders of magnitude, true tau2
// of 0, 0.05 or 0.5, so boundary and interior estimates both occur.
std::vector<Data> random_data(std::uint64_t seed, int count) {
  Rng rng(seed);
  std::vector<Data> out;
  for (int n = 0; n < count; ++n) {
    const std::size_t k = rng.integer(2, 30);
    const double tau2 = std::array{0.0, 0.05, 0.5}[rng.integer(0, 2)];
    Data d;
    for (std::size_t i = 0; i < k; ++i) {
      const double v = std::pow(10.0, rng.uniform(-2.3, -0.3));
      d.vi.push_back(v);
      d.yi.push_back(0.3 + std::sqrt(v + tau2) * rng.normal());
    }
    out.push_back(std::move(d));
  }
  return out;
}

// The fixed data sets followed by `random_count` random ones.
std::vector<Data> test_data(int random_count) {
  std::vector<Data> out;
  for (const Data* d : kFixedData)
    out.push_back(*d);
  for (Data& d : random_data(7, random_count))
    out.push_back(std::move(d));
  return out;
}

evident::EffectData effect_data(const Data& d) {
  evident::EffectData e;
  e.measure = evident::Measure::GEN;
  e.yi = d.yi;
  e.vi = d.vi;
  for (std::size_t i = 0; i < d.yi.size(); ++i) {
    e.labels.push_back("study " + std::to_string(i + 1));
    e.lines.push_back(i + 2);
    e.ni.push_back(kNaN);
  }
  return e;
}

evident::FitOptions options(Method m, evident::Test t) {
  evident::FitOptions o;
  o.method = m;
  o.test = t;
  return o;
}

double mean(const std::vector<double>& x) {
  double s = 0.0;
  for (double xi : x)
    s += xi;
  return s / static_cast<double>(x.size());
}

// Generalised Q, sum wi (yi - mu)^2 with wi = 1 / (vi + tau2), computed here from its definition.
double generalised_q(const Data& d, double tau2) {
  double sw = 0.0, swy = 0.0;
  for (std::size_t i = 0; i < d.yi.size(); ++i) {
    sw += 1.0 / (d.vi[i] + tau2);
    swy += d.yi[i] / (d.vi[i] + tau2);
  }
  const double mu = swy / sw;
  double q = 0.0;
  for (std::size_t i = 0; i < d.yi.size(); ++i) {
    q += (d.yi[i] - mu) * (d.yi[i] - mu) / (d.vi[i] + tau2);
  }
  return q;
}

double chisq_quantile(double p, double df) {
  return boost::math::quantile(boost::math::chi_squared_distribution<double>(df), p);
}

// `a` and `b` agree to `rel` relative to the larger magnitude, plus an absolute `floor` for
// values that are 0 in exact arithmetic (an estimate of exactly 0, a tau2 at rounding level).
// NaN agrees with NaN: undefined quantities must stay undefined.
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

std::string describe(Method m, evident::Test t, std::size_t data_index) {
  return std::string(evident::method_name(m)) + "/" + std::string(evident::test_name(t)) +
         ", data set " + std::to_string(data_index);
}

// ---- parameterised over method x test -----------------------------------------------------------

class MethodTestTest : public testing::TestWithParam<std::tuple<Method, evident::Test>> {
 protected:
  [[nodiscard]] Method method() const { return std::get<0>(GetParam()); }
  [[nodiscard]] evident::Test test() const { return std::get<1>(GetParam()); }
};

std::string method_test_name(
    const testing::TestParamInfo<std::tuple<Method, evident::Test>>& param_info) {
  return std::string(evident::method_name(std::get<0>(param_info.param))) + "_" +
         std::string(evident::test_name(std::get<1>(param_info.param)));
}

INSTANTIATE_TEST_SUITE_P(AllMethods, MethodTestTest,
                         testing::Combine(testing::ValuesIn(kAllMethods),
                                          testing::ValuesIn(kAllTests)),
                         method_test_name);

// Study order is arbitrary in the input, so no output may depend on it beyond rounding.
TEST_P(MethodTestTest, StudyOrderDoesNotChangeTheAnalysis) {
  constexpr double kRel = 1e-10;
  Rng rng(11);
  const std::vector<Data> sets = test_data(20);
  for (std::size_t n = 0; n < sets.size(); ++n) {
    const Data& d = sets[n];
    const evident::Analysis a = evident::analyse(effect_data(d), options(method(), test()));
    // Floors in the units of each quantity, for values that are 0 up to rounding.
    const double loc = 1e-13 * std::sqrt(mean(d.vi));
    const double var = 1e-13 * mean(d.vi);
    for (int rep = 0; rep < 3; ++rep) {
      const std::vector<std::size_t> perm = rng.permutation(d.yi.size());
      Data p;
      for (std::size_t i : perm) {
        p.yi.push_back(d.yi[i]);
        p.vi.push_back(d.vi[i]);
      }
      evident::EffectData pe = effect_data(p);
      for (std::size_t j = 0; j < perm.size(); ++j) {
        pe.labels[j] = "study " + std::to_string(perm[j] + 1);
      }
      const evident::Analysis b = evident::analyse(pe, options(method(), test()));
      SCOPED_TRACE(describe(method(), test(), n) + ", permutation " + std::to_string(rep));

      const evident::Fit& fa = a.fit;
      const evident::Fit& fb = b.fit;
      EXPECT_TRUE(agree("estimate", fa.estimate, fb.estimate, kRel, loc));
      EXPECT_TRUE(agree("se", fa.se, fb.se, kRel));
      EXPECT_TRUE(agree("stat", fa.stat, fb.stat, kRel, 1e-12));
      EXPECT_TRUE(agree("pval", fa.pval, fb.pval, kRel));
      EXPECT_TRUE(agree("df", fa.df, fb.df, 0.0));
      EXPECT_TRUE(agree("ci_lb", fa.ci_lb, fb.ci_lb, kRel, loc));
      EXPECT_TRUE(agree("ci_ub", fa.ci_ub, fb.ci_ub, kRel, loc));
      EXPECT_TRUE(agree("pi_lb", a.prediction.pi_lb, b.prediction.pi_lb, kRel, loc));
      EXPECT_TRUE(agree("pi_ub", a.prediction.pi_ub, b.prediction.pi_ub, kRel, loc));
      EXPECT_TRUE(agree("tau2", fa.tau2, fb.tau2, kRel, var));
      EXPECT_TRUE(agree("tau2_se", fa.tau2_se, fb.tau2_se, kRel));
      EXPECT_TRUE(agree("Q", fa.Q, fb.Q, kRel, 1e-13));
      EXPECT_TRUE(agree("Q_p", fa.Q_p, fb.Q_p, kRel));
      EXPECT_TRUE(agree("I2", fa.I2, fb.I2, kRel, 1e-11));
      EXPECT_TRUE(agree("H2", fa.H2, fb.H2, kRel));
      EXPECT_TRUE(agree("s2w", fa.s2w, fb.s2w, kRel, 1e-13));
      EXPECT_EQ(evident::termination_name(fa.termination),
                evident::termination_name(fb.termination));
      EXPECT_EQ(fa.notes, fb.notes);

      ASSERT_EQ(a.heterogeneity_ci.has_value(), b.heterogeneity_ci.has_value());
      if (a.heterogeneity_ci) {
        const evident::HeterogeneityCI& ca = *a.heterogeneity_ci;
        const evident::HeterogeneityCI& cb = *b.heterogeneity_ci;
        EXPECT_TRUE(agree("tau2_lb", ca.tau2_lb, cb.tau2_lb, kRel, var));
        EXPECT_TRUE(agree("tau2_ub", ca.tau2_ub, cb.tau2_ub, kRel, var));
        EXPECT_TRUE(agree("tau_lb", ca.tau_lb, cb.tau_lb, kRel, loc));
        EXPECT_TRUE(agree("tau_ub", ca.tau_ub, cb.tau_ub, kRel, loc));
        EXPECT_TRUE(agree("I2_lb", ca.I2_lb, cb.I2_lb, kRel, 1e-11));
        EXPECT_TRUE(agree("I2_ub", ca.I2_ub, cb.I2_ub, kRel, 1e-11));
        EXPECT_TRUE(agree("H2_lb", ca.H2_lb, cb.H2_lb, kRel));
        EXPECT_TRUE(agree("H2_ub", ca.H2_ub, cb.H2_ub, kRel));
      }

      // Per-study results follow their study: row j of the permuted analysis is study perm[j].
      ASSERT_EQ(a.studies.size(), b.studies.size());
      for (std::size_t j = 0; j < perm.size(); ++j) {
        const evident::StudyResult& sa = a.studies[perm[j]];
        const evident::StudyResult& sb = b.studies[j];
        EXPECT_EQ(sa.study, sb.study);
        EXPECT_EQ(sa.yi, sb.yi);
        EXPECT_EQ(sa.vi, sb.vi);
        EXPECT_TRUE(agree("weight", sa.weight, sb.weight, kRel));
        EXPECT_TRUE(agree("study ci_lb", sa.ci_lb, sb.ci_lb, kRel, loc));
        EXPECT_TRUE(agree("study ci_ub", sa.ci_ub, sb.ci_ub, kRel, loc));
      }
    }
  }
}

// Changing the units of yi (yi -> c yi, vi -> c^2 vi) changes every estimate by the same
// factor and leaves the test statistics unchanged: no tolerance or start value of an iterative
// estimator may depend on the units.
TEST_P(MethodTestTest, ChangingUnitsScalesTheResults) {
  constexpr double kRel = 1e-10;
  const std::vector<Data> sets = test_data(20);
  for (const double c : {1e-3, 7.0, 1e4}) {
    for (std::size_t n = 0; n < sets.size(); ++n) {
      const Data& d = sets[n];
      Data s;
      for (std::size_t i = 0; i < d.yi.size(); ++i) {
        s.yi.push_back(c * d.yi[i]);
        s.vi.push_back(c * c * d.vi[i]);
      }
      const evident::Analysis a = evident::analyse(effect_data(d), options(method(), test()));
      const evident::Analysis b = evident::analyse(effect_data(s), options(method(), test()));
      SCOPED_TRACE(describe(method(), test(), n) + ", c = " + testing::PrintToString(c));
      const double loc = 1e-13 * std::sqrt(mean(d.vi));
      const double var = 1e-13 * mean(d.vi);

      const evident::Fit& fa = a.fit;
      const evident::Fit& fb = b.fit;
      EXPECT_TRUE(agree("estimate", c * fa.estimate, fb.estimate, kRel, c * loc));
      EXPECT_TRUE(agree("se", c * fa.se, fb.se, kRel));
      EXPECT_TRUE(agree("ci_lb", c * fa.ci_lb, fb.ci_lb, kRel, c * loc));
      EXPECT_TRUE(agree("ci_ub", c * fa.ci_ub, fb.ci_ub, kRel, c * loc));
      EXPECT_TRUE(agree("pi_lb", c * a.prediction.pi_lb, b.prediction.pi_lb, kRel, c * loc));
      EXPECT_TRUE(agree("pi_ub", c * a.prediction.pi_ub, b.prediction.pi_ub, kRel, c * loc));
      EXPECT_TRUE(agree("tau2", c * c * fa.tau2, fb.tau2, kRel, c * c * var));
      EXPECT_TRUE(agree("tau2_se", c * c * fa.tau2_se, fb.tau2_se, kRel));
      EXPECT_TRUE(agree("stat", fa.stat, fb.stat, kRel, 1e-12));
      EXPECT_TRUE(agree("pval", fa.pval, fb.pval, kRel));
      EXPECT_TRUE(agree("Q", fa.Q, fb.Q, kRel, 1e-13));
      EXPECT_TRUE(agree("Q_p", fa.Q_p, fb.Q_p, kRel));
      EXPECT_TRUE(agree("I2", fa.I2, fb.I2, kRel, 1e-11));
      EXPECT_TRUE(agree("H2", fa.H2, fb.H2, kRel));
      EXPECT_EQ(evident::termination_name(fa.termination),
                evident::termination_name(fb.termination));

      ASSERT_EQ(a.heterogeneity_ci.has_value(), b.heterogeneity_ci.has_value());
      if (a.heterogeneity_ci) {
        const evident::HeterogeneityCI& ca = *a.heterogeneity_ci;
        const evident::HeterogeneityCI& cb = *b.heterogeneity_ci;
        EXPECT_TRUE(agree("tau2_lb", c * c * ca.tau2_lb, cb.tau2_lb, kRel, c * c * var));
        EXPECT_TRUE(agree("tau2_ub", c * c * ca.tau2_ub, cb.tau2_ub, kRel, c * c * var));
        EXPECT_TRUE(agree("tau_lb", c * ca.tau_lb, cb.tau_lb, kRel, c * loc));
        EXPECT_TRUE(agree("tau_ub", c * ca.tau_ub, cb.tau_ub, kRel, c * loc));
        EXPECT_TRUE(agree("I2_lb", ca.I2_lb, cb.I2_lb, kRel, 1e-11));
        EXPECT_TRUE(agree("I2_ub", ca.I2_ub, cb.I2_ub, kRel, 1e-11));
        EXPECT_TRUE(agree("H2_lb", ca.H2_lb, cb.H2_lb, kRel));
        EXPECT_TRUE(agree("H2_ub", ca.H2_ub, cb.H2_ub, kRel));
      }
      for (std::size_t i = 0; i < a.studies.size(); ++i) {
        EXPECT_TRUE(agree("weight", a.studies[i].weight, b.studies[i].weight, kRel));
      }
    }
  }
}

// With one study nothing is pooled or estimated (as metafor): the study is its own estimate.
TEST_P(MethodTestTest, SingleStudyReturnsTheStudy) {
  const Data d{{0.5}, {0.04}};
  const evident::Analysis a = evident::analyse(effect_data(d), options(method(), test()));
  const evident::Fit& f = a.fit;
  EXPECT_EQ(f.k, 1u);
  EXPECT_EQ(f.estimate, 0.5);
  EXPECT_EQ(f.tau2, 0.0);
  EXPECT_EQ(std::string(evident::termination_name(f.termination)), "single_study");
  EXPECT_EQ(f.iterations, 0);
  EXPECT_TRUE(f.notes & evident::kNoteSingleStudy);
  EXPECT_EQ(f.Q, 0.0);
  EXPECT_EQ(f.Q_df, 0.0);
  EXPECT_EQ(f.Q_p, 1.0);
  EXPECT_EQ(f.I2, 0.0);
  EXPECT_EQ(f.H2, 1.0);
  EXPECT_FALSE(a.heterogeneity_ci.has_value());
  EXPECT_FALSE(evident::confint_tau2(d.yi, d.vi, f, 95.0).has_value());
  EXPECT_TRUE(std::any_of(a.diagnostics.begin(), a.diagnostics.end(), [](const auto& g) {
    return g.code == evident::DiagnosticCode::single_study;
  }));
  // With one study Knapp-Hartung has no degrees of freedom: as metafor, the z test is used, and
  // a diagnostic says so.
  EXPECT_EQ(f.test, evident::Test::z);
  EXPECT_EQ((f.notes & evident::kNoteKnhaSingleStudy) != 0, test() == evident::Test::knha);
  EXPECT_EQ(std::any_of(
                a.diagnostics.begin(), a.diagnostics.end(),
                [](const auto& g) { return g.code == evident::DiagnosticCode::knha_single_study; }),
            test() == evident::Test::knha);
  {
    EXPECT_DOUBLE_EQ(f.se, 0.2);
    EXPECT_DOUBLE_EQ(f.stat, 2.5);
    EXPECT_TRUE(agree("pval", f.pval, 0.012419330651552318, 1e-12));  // 2 P(Z > 2.5)
    EXPECT_TRUE(agree("ci_lb", f.ci_lb, 0.5 - 1.959963984540054 * 0.2, 1e-12));
    EXPECT_TRUE(agree("ci_ub", f.ci_ub, 0.5 + 1.959963984540054 * 0.2, 1e-12));
  }
}

// k = 2 is the smallest data set with a tau2 to estimate. With d = y1 - y2 the estimators have
// closed forms: DL, REML, PM and EB all give max(0, (d^2 - v1 - v2) / 2) (Q(tau2) =
// d^2 / (v1 + v2 + 2 tau2), and the REML score vanishes where d^2 = v1 + v2 + 2 tau2); with
// v1 = v2 = v, HE gives d^2 / 2 - v, ML and HS d^2 / 4 - v, SJ (d^2 / 4) d^2 / (2 (v + d^2 / 4)).
TEST_P(MethodTestTest, TwoStudiesWork) {
  struct Case {
    Data data;
    bool equal_variances;
  };
  const std::array cases{Case{{{0.0, 1.0}, {0.1, 0.1}}, true},
                         Case{{{0.3, -0.7}, {0.1, 0.3}}, false},
                         Case{{{0.2, 0.25}, {0.05, 0.02}}, false}};
  for (std::size_t n = 0; n < cases.size(); ++n) {
    const Data& d = cases[n].data;
    SCOPED_TRACE(describe(method(), test(), n));
    const evident::Analysis a = evident::analyse(effect_data(d), options(method(), test()));
    const evident::Fit& f = a.fit;
    EXPECT_EQ(f.k, 2u);
    EXPECT_EQ(f.Q_df, 1.0);
    EXPECT_TRUE(std::isfinite(f.estimate));
    EXPECT_TRUE(std::isfinite(f.se) && f.se > 0.0);
    EXPECT_TRUE(std::isfinite(f.pval));
    EXPECT_TRUE(std::isfinite(f.ci_lb) && std::isfinite(f.ci_ub));
    EXPECT_TRUE(std::isfinite(f.tau2) && f.tau2 >= 0.0);
    EXPECT_NE(std::string(evident::termination_name(f.termination)), "max_iterations");
    EXPECT_NE(std::string(evident::termination_name(f.termination)), "single_study");
    EXPECT_EQ(a.heterogeneity_ci.has_value(), method() != Method::FE);

    const double dd = (d.yi[0] - d.yi[1]) * (d.yi[0] - d.yi[1]);
    const double v = d.vi[0];
    double expected = kNaN;
    switch (method()) {
      case Method::FE:
        expected = 0.0;
        break;
      case Method::DL:
      case Method::REML:
      case Method::PM:
      case Method::EB:
        expected = std::max(0.0, (dd - d.vi[0] - d.vi[1]) / 2.0);
        break;
      case Method::HE:
        if (cases[n].equal_variances) expected = std::max(0.0, dd / 2.0 - v);
        break;
      case Method::ML:
      case Method::HS:
        if (cases[n].equal_variances) expected = std::max(0.0, dd / 4.0 - v);
        break;
      case Method::SJ:
        if (cases[n].equal_variances) expected = dd / 4.0 * dd / (2.0 * (v + dd / 4.0));
        break;
      case Method::MH:
      case Method::PETO:
      case Method::BAYES:
        break;  // not methods of fit(): they pool counts
    }
    if (!std::isnan(expected)) {
      EXPECT_TRUE(agree("tau2", f.tau2, expected, 1e-9, 1e-15));
    }
  }
}

// ---- Knapp-Hartung ------------------------------------------------------------------------------

// Knapp-Hartung (Hartung & Knapp 2001; Sidik & Jonkman 2002): the same estimate and tau2 as the
// z test, the variance scaled by Q_gen / (k - 1) with Q_gen from the model's own weights
// 1 / (vi + tau2), and t(k - 1) for p-value and interval.
std::string method_only_name(const testing::TestParamInfo<Method>& param_info) {
  return std::string(evident::method_name(param_info.param));
}

class KnappHartungTest : public testing::TestWithParam<Method> {};

INSTANTIATE_TEST_SUITE_P(AllMethods, KnappHartungTest, testing::ValuesIn(kAllMethods),
                         method_only_name);

TEST_P(KnappHartungTest, ScalesTheZTestVariance) {
  const Method method = GetParam();
  const std::vector<Data> sets = test_data(20);
  for (std::size_t n = 0; n < sets.size(); ++n) {
    const Data& d = sets[n];
    SCOPED_TRACE(describe(method, evident::Test::knha, n));
    const evident::Fit z = evident::fit(d.yi, d.vi, options(method, evident::Test::z));
    const evident::Fit kh = evident::fit(d.yi, d.vi, options(method, evident::Test::knha));
    const double df = static_cast<double>(d.yi.size()) - 1.0;
    const double s2w = generalised_q(d, z.tau2) / df;

    EXPECT_EQ(kh.estimate, z.estimate);
    EXPECT_EQ(kh.tau2, z.tau2);
    EXPECT_EQ(kh.df, df);
    EXPECT_TRUE(agree("s2w", kh.s2w, s2w, 1e-12, 1e-15));
    EXPECT_TRUE(agree("se", kh.se, z.se * std::sqrt(s2w), 1e-12, 1e-15 * z.se));
    EXPECT_TRUE(agree("stat", kh.stat, kh.estimate / kh.se, 1e-14));
    const boost::math::students_t_distribution<double> t(df);
    EXPECT_TRUE(agree("pval", kh.pval,
                      2.0 * boost::math::cdf(boost::math::complement(t, std::fabs(kh.stat))),
                      1e-10));
    const double crit = boost::math::quantile(boost::math::complement(t, 0.025));
    EXPECT_TRUE(agree("ci_lb", kh.ci_lb, kh.estimate - crit * kh.se, 1e-12, 1e-14));
    EXPECT_TRUE(agree("ci_ub", kh.ci_ub, kh.estimate + crit * kh.se, 1e-12, 1e-14));
    // Knapp-Hartung is for random-effects models; with FE it is allowed but noted.
    EXPECT_EQ((kh.notes & evident::kNoteKnhaCommon) != 0, method == Method::FE);
  }
}

// ---- random effects with tau2 = 0 is the common-effect model ------------------------------------

class ZeroTau2Test : public MethodTestTest {};

INSTANTIATE_TEST_SUITE_P(TruncatingMethods, ZeroTau2Test,
                         testing::Combine(testing::Values(Method::DL, Method::HE, Method::HS,
                                                          Method::ML, Method::REML, Method::EB,
                                                          Method::PM),
                                          testing::ValuesIn(kAllTests)),
                         method_test_name);

TEST_P(ZeroTau2Test, RandomEffectsEqualsCommonEffectWhenTau2IsZero) {
  const Data& d = kHomogeneous;
  const double k = static_cast<double>(d.yi.size());
  ASSERT_LT(generalised_q(d, 0.0), k - 1.0);
  const evident::Analysis re = evident::analyse(effect_data(d), options(method(), test()));
  const evident::Analysis fe = evident::analyse(effect_data(d), options(Method::FE, test()));
  const evident::Fit& f = re.fit;
  EXPECT_EQ(f.tau2, 0.0);
  EXPECT_TRUE(agree("estimate", f.estimate, fe.fit.estimate, 1e-14));
  EXPECT_TRUE(agree("se", f.se, fe.fit.se, 1e-14));
  EXPECT_TRUE(agree("ci_lb", f.ci_lb, fe.fit.ci_lb, 1e-14));
  EXPECT_TRUE(agree("ci_ub", f.ci_ub, fe.fit.ci_ub, 1e-14));
  EXPECT_TRUE(agree("pval", f.pval, fe.fit.pval, 1e-14));
  EXPECT_TRUE(agree("Q", f.Q, fe.fit.Q, 1e-14));
  // With tau2 = 0 the prediction interval is the confidence interval.
  EXPECT_TRUE(agree("pi_lb", re.prediction.pi_lb, f.ci_lb, 1e-14));
  EXPECT_TRUE(agree("pi_ub", re.prediction.pi_ub, f.ci_ub, 1e-14));
  // I2 and H2 from tau2 (metafor's definition for random-effects models).
  EXPECT_EQ(f.I2, 0.0);
  EXPECT_EQ(f.H2, 1.0);
  // The truncation is reported: as a note, a diagnostic and (iterative methods) a termination.
  EXPECT_TRUE(f.notes & evident::kNoteTau2Truncated);
  EXPECT_TRUE(std::any_of(re.diagnostics.begin(), re.diagnostics.end(), [](const auto& g) {
    return g.code == evident::DiagnosticCode::tau2_truncated;
  }));
  EXPECT_EQ(std::string(evident::termination_name(f.termination)),
            evident::is_iterative(method()) ? "boundary" : "closed_form");
  for (std::size_t i = 0; i < re.studies.size(); ++i) {
    EXPECT_TRUE(agree("weight", re.studies[i].weight, fe.studies[i].weight, 1e-14));
  }
}

// ---- Q-profile confidence interval for tau2 -----------------------------------------------------

// At each bound above 0 the generalised Q equals its chi-squared(k - 1) quantile (Viechtbauer
// 2007, eq. 6): the lower bound the upper quantile, the upper bound the lower quantile. A bound
// is 0 exactly when Q(0) is already below its quantile.
TEST(QProfileTest, BoundsSolveTheQProfileEquation) {
  const std::vector<Data> sets = test_data(30);
  for (const double level : {95.0, 90.0}) {
    for (std::size_t n = 0; n < sets.size(); ++n) {
      const Data& d = sets[n];
      SCOPED_TRACE("data set " + std::to_string(n) + ", level " + testing::PrintToString(level));
      const double df = static_cast<double>(d.yi.size()) - 1.0;
      const double alpha = 1.0 - level / 100.0;
      const double q_hi = chisq_quantile(1.0 - alpha / 2.0, df);
      const double q_lo = chisq_quantile(alpha / 2.0, df);
      const evident::Fit f = evident::fit(d.yi, d.vi, options(Method::REML, evident::Test::z));
      const std::optional<evident::HeterogeneityCI> ci =
          evident::confint_tau2(d.yi, d.vi, f, level);
      ASSERT_TRUE(ci.has_value());
      const double q0 = generalised_q(d, 0.0);

      EXPECT_LE(ci->tau2_lb, ci->tau2_ub);
      if (q0 <= q_hi) {
        EXPECT_EQ(ci->tau2_lb, 0.0) << "Q(0) = " << q0 << " <= " << q_hi;
      } else {
        EXPECT_TRUE(agree("Q(tau2_lb)", generalised_q(d, ci->tau2_lb), q_hi, 1e-8));
      }
      if (q0 <= q_lo) {
        EXPECT_EQ(ci->tau2_ub, 0.0) << "Q(0) = " << q0 << " <= " << q_lo;
      } else {
        EXPECT_TRUE(agree("Q(tau2_ub)", generalised_q(d, ci->tau2_ub), q_lo, 1e-8));
      }
      // tau, I2 and H2 bounds are the tau2 bounds transformed with vt.
      EXPECT_TRUE(agree("tau_lb", ci->tau_lb, std::sqrt(ci->tau2_lb), 1e-15));
      EXPECT_TRUE(agree("tau_ub", ci->tau_ub, std::sqrt(ci->tau2_ub), 1e-15));
      EXPECT_TRUE(agree("I2_lb", ci->I2_lb, 100.0 * ci->tau2_lb / (f.vt + ci->tau2_lb), 1e-14));
      EXPECT_TRUE(agree("I2_ub", ci->I2_ub, 100.0 * ci->tau2_ub / (f.vt + ci->tau2_ub), 1e-14));
      EXPECT_TRUE(agree("H2_lb", ci->H2_lb, ci->tau2_lb / f.vt + 1.0, 1e-14));
      EXPECT_TRUE(agree("H2_ub", ci->H2_ub, ci->tau2_ub / f.vt + 1.0, 1e-14));

      // PM solves Q(tau2) = k - 1, which lies between the two quantiles, so its estimate is
      // always inside (the DL estimate need not be; the Q-profile interval is not built on it).
      const evident::Fit pm = evident::fit(d.yi, d.vi, options(Method::PM, evident::Test::z));
      EXPECT_LE(ci->tau2_lb, pm.tau2);
      EXPECT_LE(pm.tau2, ci->tau2_ub);
    }
  }
}

// On the fixed data sets the REML estimate lies inside the interval too (not guaranteed in
// general, but true here; a change that moved it out would deserve a look).
TEST(QProfileTest, RemlEstimateInsideIntervalOnFixedData) {
  for (std::size_t n = 0; n < kFixedData.size(); ++n) {
    const Data& d = *kFixedData[n];
    SCOPED_TRACE("data set " + std::to_string(n));
    const evident::Fit f = evident::fit(d.yi, d.vi, options(Method::REML, evident::Test::z));
    const auto ci = evident::confint_tau2(d.yi, d.vi, f, 95.0);
    ASSERT_TRUE(ci.has_value());
    EXPECT_LE(ci->tau2_lb, f.tau2);
    EXPECT_LE(f.tau2, ci->tau2_ub);
  }
}

TEST(QProfileTest, BothBoundsZeroWhenQAtZeroIsBelowLowerQuantile) {
  const Data& d = kHomogeneous;
  const double df = static_cast<double>(d.yi.size()) - 1.0;
  ASSERT_LT(generalised_q(d, 0.0), chisq_quantile(0.025, df));
  for (const Method m : {Method::DL, Method::REML, Method::PM, Method::SJ}) {
    SCOPED_TRACE(std::string(evident::method_name(m)));
    const evident::Fit f = evident::fit(d.yi, d.vi, options(m, evident::Test::z));
    const auto ci = evident::confint_tau2(d.yi, d.vi, f, 95.0);
    ASSERT_TRUE(ci.has_value());
    EXPECT_EQ(ci->tau2_lb, 0.0);
    EXPECT_EQ(ci->tau2_ub, 0.0);
    EXPECT_EQ(ci->I2_lb, 0.0);
    EXPECT_EQ(ci->I2_ub, 0.0);
    EXPECT_EQ(ci->H2_lb, 1.0);
    EXPECT_EQ(ci->H2_ub, 1.0);
  }
}

TEST(QProfileTest, NoIntervalForCommonEffectModel) {
  const evident::Fit f = evident::fit(kBcg.yi, kBcg.vi, options(Method::FE, evident::Test::z));
  EXPECT_FALSE(evident::confint_tau2(kBcg.yi, kBcg.vi, f, 95.0).has_value());
}

}  // namespace
