// Trial sequential analysis: boundaries, information size and monitoring against the reference
// values of tests/reference/generate_sequential.R (an independent R transcription of Jennison &
// Turnbull's recursion on a grid of r = 128, checked there against r = 64 and a Monte Carlo
// simulation), against constants printed in the literature, and exact properties.

#include "evident/methods/sequential.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <numbers>
#include <numeric>
#include <random>
#include <string>
#include <vector>

namespace evident {
namespace {

using nlohmann::json;

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kRelative = 1e-6;
constexpr double kAbsolute = 1e-9;

json read_reference(const std::string& file) {
  std::ifstream in(std::string(EVIDENT_REFERENCE_DIR) + "/expected/sequential/" + file);
  EXPECT_TRUE(in.good()) << file;
  return json::parse(in);
}

// A JSON number, or +inf for null (R writes no number where no alpha is left to spend).
double number(const json& value) {
  return value.is_null() ? kInf : value.get<double>();
}

void expect_close(double expected, double actual, const std::string& what) {
  if (std::isinf(expected)) {
    EXPECT_EQ(actual, expected) << what;
    return;
  }
  EXPECT_LE(std::fabs(expected - actual),
            kRelative * std::max(std::fabs(expected), std::fabs(actual)) + kAbsolute)
      << what << ": expected " << expected << ", got " << actual;
}

void expect_all_close(const json& expected, const std::vector<double>& actual,
                      const std::string& what) {
  ASSERT_EQ(expected.size(), actual.size()) << what;
  for (std::size_t i = 0; i < actual.size(); ++i) {
    expect_close(number(expected[i]), actual[i], what + "[" + std::to_string(i) + "]");
  }
}

BoundaryOptions options_of(const json& c) {
  BoundaryOptions o;
  o.alpha = c.at("alpha").get<double>();
  o.alpha_spending = *parse_spending_function(c.at("spending").get<std::string>());
  o.futility = *parse_futility_rule(c.at("futility").get<std::string>());
  o.beta = c.at("beta").get<double>();
  o.beta_spending = *parse_spending_function(c.at("beta_spending").get<std::string>());
  return o;
}

TEST(SequentialReference, BoundariesMatchTheRRecursion) {
  const json doc = read_reference("boundaries.json");
  ASSERT_GE(doc.at("cases").size(), 15u);
  for (const json& c : doc.at("cases")) {
    const std::string name = c.at("name").get<std::string>();
    const std::vector<double> t = c.at("t").get<std::vector<double>>();
    const Boundaries b = group_sequential_boundaries(t, options_of(c));
    ASSERT_TRUE(b.ok) << name << ": " << b.message;
    const json& e = c.at("expected");
    expect_all_close(e.at("efficacy"), b.efficacy, name + " efficacy");
    expect_all_close(e.at("alpha_spent"), b.alpha_spent, name + " alpha_spent");
    expect_all_close(e.at("alpha_crossing"), b.alpha_crossing, name + " alpha_crossing");
    expect_close(e.at("drift").get<double>(), b.drift, name + " drift");
    EXPECT_EQ(e.at("final_look").get<std::size_t>(), b.final_look) << name;
    if (e.at("futility").is_null()) {
      EXPECT_TRUE(std::all_of(b.futility.begin(), b.futility.end(), [](double a) {
        return std::isnan(a);
      })) << name;
      continue;
    }
    for (std::size_t k = 0; k < t.size(); ++k) {
      const json& a = e.at("futility")[k];
      if (k > b.final_look) {
        EXPECT_TRUE(a.is_null() && std::isnan(b.futility[k])) << name << " look " << k;
      } else {
        expect_close(number(a), b.futility[k], name + " futility[" + std::to_string(k) + "]");
      }
    }
    expect_all_close(e.at("beta_spent"), b.beta_spent, name + " beta_spent");
    expect_all_close(e.at("futility_crossing"), b.futility_crossing, name + " futility_crossing");
    expect_close(e.at("power").get<double>(), b.power, name + " power");
  }
}

TEST(SequentialReference, InformationSizesMatchTheFormulas) {
  const json doc = read_reference("information_size.json");
  for (const json& c : doc.at("cases")) {
    InformationSizeOptions o;
    o.alpha = c.at("alpha").get<double>();
    o.power = c.at("power").get<double>();
    const InformationSize s =
        c.at("outcome") == "binary"
            ? information_size_binary(c.at("control_risk"), c.at("rrr"), o)
            : information_size_continuous(c.at("mean_difference"), c.at("sd"), o);
    ASSERT_TRUE(s.ok) << s.message;
    expect_close(c.at("expected").get<double>(), s.unadjusted, c.at("name"));
    EXPECT_EQ(s.adjusted, s.unadjusted);
  }
}

TEST(SequentialReference, MonitoringMatchesR) {
  const json doc = read_reference("monitoring.json");
  ASSERT_GE(doc.at("cases").size(), 5u);
  for (const json& c : doc.at("cases")) {
    const std::string name = c.at("name").get<std::string>();
    SequentialOptions o;
    o.boundaries = options_of(c);
    // Looks close together put the boundaries in the grid's coarse tails (see
    // BoundaryOptions::grid): the reference used r = 512, and r = 128 is within 1e-6 of it.
    o.boundaries.grid = 128;
    o.information_size = c.at("information_size").get<double>();
    o.benefit = c.at("benefit") == "lower" ? Benefit::lower : Benefit::higher;
    const auto estimate = c.at("estimate").get<std::vector<double>>();
    const auto se = c.at("se").get<std::vector<double>>();
    const auto participants = c.at("participants").get<std::vector<double>>();
    const SequentialAnalysis a = trial_sequential_analysis(estimate, se, participants, o);
    ASSERT_TRUE(a.ok) << name << ": " << a.message;
    const json& e = c.at("expected");
    expect_all_close(e.at("z"), a.z, name + " z");
    expect_all_close(e.at("information_fraction"), a.information_fraction, name + " t");
    expect_all_close(e.at("efficacy"), a.boundaries.efficacy, name + " efficacy");
    expect_all_close(e.at("ci_ub"), a.ci_ub, name + " ci_ub");
    EXPECT_EQ(e.at("conclusion").get<std::string>(), conclusion_name(a.conclusion)) << name;
    auto expect_look = [&](const char* key, const std::optional<std::size_t>& look) {
      if (!e.contains(key) || e.at(key).is_null()) {
        EXPECT_FALSE(look.has_value()) << name << " " << key;
      } else {
        ASSERT_TRUE(look.has_value()) << name << " " << key;
        EXPECT_EQ(e.at(key).get<std::size_t>(), *look) << name << " " << key;
      }
    };
    expect_look("decisive_look", a.decisive_look);
    expect_look("first_upper", a.first_upper);
    expect_look("first_lower", a.first_lower);
    if (o.boundaries.futility != FutilityRule::none) {
      expect_look("first_futility", a.first_futility);
    }
    expect_close(e.at("participants_needed").get<double>(), a.participants_needed,
                 name + " participants_needed");
    expect_close(number(e.at("adjusted_z")), a.adjusted_z, name + " adjusted_z");
    if (!e.at("adjusted_ci_lb").is_null()) {
      expect_close(e.at("adjusted_ci_lb").get<double>(), a.adjusted_ci_lb, name + " ci_lb");
      expect_close(e.at("adjusted_ci_ub").get<double>(), a.adjusted_ci_ub, name + " ci_ub");
    }
  }
}

std::vector<double> equally_spaced(int looks) {
  std::vector<double> t(static_cast<std::size_t>(looks));
  for (int k = 0; k < looks; ++k)
    t[static_cast<std::size_t>(k)] = (k + 1.0) / looks;
  return t;
}

// The Lan-DeMets O'Brien-Fleming-type boundaries for five equally spaced looks at two-sided
// alpha = 0.05, as tabulated for the alpha spending function approach (DeMets & Lan 1994, Stat
// Med 13:1341-1352) and printed by ldbounds and gsDesign; the Pocock-type boundaries of the same
// design are 2.438, 2.427, 2.410, 2.397, 2.386 in the same sources.
TEST(SequentialPublished, LanDeMetsBoundariesForFiveLooks) {
  BoundaryOptions o;
  const Boundaries obf = group_sequential_boundaries(equally_spaced(5), o);
  const std::vector<double> published{4.877, 3.357, 2.680, 2.290, 2.031};
  for (std::size_t k = 0; k < 5; ++k)
    EXPECT_NEAR(obf.efficacy[k], published[k], 5e-4) << k;
  o.alpha_spending = SpendingFunction::pocock;
  const Boundaries pocock = group_sequential_boundaries(equally_spaced(5), o);
  const std::vector<double> flat{2.438, 2.427, 2.410, 2.397, 2.386};
  for (std::size_t k = 0; k < 5; ++k)
    EXPECT_NEAR(pocock.efficacy[k], flat[k], 5e-4) << k;
}

// The constant boundary c of K equally spaced looks with P_0(some |Z_k| >= c) = alpha.
double constant_boundary(int looks, double alpha) {
  const std::vector<double> t = equally_spaced(looks);
  double lo = 1.9, hi = 3.0;
  for (int it = 0; it < 60; ++it) {
    const double c = 0.5 * (lo + hi);
    const std::vector<double> b(t.size(), c);
    const ExitProbabilities p = exit_probabilities(t, b, {}, 0.0);
    const double total = std::accumulate(p.upper.begin(), p.upper.end(), 0.0) +
                         std::accumulate(p.lower.begin(), p.lower.end(), 0.0);
    (total > alpha ? lo : hi) = c;
  }
  return 0.5 * (lo + hi);
}

// Pocock (1977, Biometrika 64:191-199, table 1; Jennison & Turnbull 2000, table 2.1): the
// nominal critical values of his repeated significance tests at two-sided alpha = 0.05.
TEST(SequentialPublished, PocockConstants) {
  const std::vector<std::pair<int, double>> published{
      {2, 2.178}, {3, 2.289}, {4, 2.361}, {5, 2.413}, {10, 2.555}};
  for (const auto& [looks, c] : published) {
    EXPECT_NEAR(constant_boundary(looks, 0.05), c, 5e-4) << looks << " looks";
  }
}

// O'Brien & Fleming (1979, Biometrics 35:549-556; Jennison & Turnbull 2000, table 2.3): the
// boundaries C sqrt(K / k) with C = 1.977, 2.004, 2.024, 2.040 for K = 2 ... 5 at two-sided
// alpha = 0.05.
TEST(SequentialPublished, OBrienFlemingConstants) {
  const std::vector<std::pair<int, double>> published{
      {2, 1.977}, {3, 2.004}, {4, 2.024}, {5, 2.040}};
  for (const auto& [looks, c] : published) {
    const std::vector<double> t = equally_spaced(looks);
    auto total = [&](double constant) {
      std::vector<double> b(t.size());
      for (std::size_t k = 0; k < t.size(); ++k)
        b[k] = constant / std::sqrt(t[k]);
      const ExitProbabilities p = exit_probabilities(t, b, {}, 0.0);
      return std::accumulate(p.upper.begin(), p.upper.end(), 0.0) * 2.0;
    };
    EXPECT_GT(total(c - 5e-4), 0.05) << looks;
    EXPECT_LT(total(c + 5e-4), 0.05) << looks;
  }
}

TEST(SequentialBoundaries, ObrienFlemingBoundariesFallAndPocockTypeStaysNearlyFlat) {
  BoundaryOptions o;
  const Boundaries obf = group_sequential_boundaries(equally_spaced(10), o);
  for (std::size_t k = 1; k < 10; ++k)
    EXPECT_LT(obf.efficacy[k], obf.efficacy[k - 1]) << k;
  o.alpha_spending = SpendingFunction::pocock;
  const Boundaries pocock = group_sequential_boundaries(equally_spaced(10), o);
  const auto [lo, hi] = std::minmax_element(pocock.efficacy.begin(), pocock.efficacy.end());
  EXPECT_LT(*hi - *lo, 0.2);
  // Equal spending is close to Pocock's constant for ten looks.
  EXPECT_NEAR(pocock.efficacy[4], 2.555, 0.05);
}

TEST(SequentialBoundaries, TheWholeAlphaIsSpentByAnIndependentEvaluation) {
  for (const auto spending : {SpendingFunction::obrien_fleming, SpendingFunction::pocock}) {
    BoundaryOptions o;
    o.alpha_spending = spending;
    const std::vector<double> t{0.07, 0.2, 0.33, 0.5, 0.71, 0.86, 1.0};
    const Boundaries b = group_sequential_boundaries(t, o);
    // On a finer grid, so that the two evaluations differ by their integration errors only.
    const ExitProbabilities p = exit_probabilities(t, b.efficacy, {}, 0.0, 64);
    double total = 0.0;
    for (std::size_t k = 0; k < t.size(); ++k) {
      EXPECT_NEAR(p.upper[k], p.lower[k], 1e-15);
      EXPECT_NEAR(p.upper[k] + p.lower[k], b.alpha_crossing[k], 1e-8) << k;
      total += p.upper[k] + p.lower[k];
    }
    EXPECT_NEAR(total, 0.05, 1e-8);
  }
}

TEST(SequentialBoundaries, TheDefaultGridAgreesWithAFineOne) {
  BoundaryOptions coarse, fine;
  fine.grid = 128;
  coarse.futility = fine.futility = FutilityRule::binding;
  const std::vector<double> t{0.04, 0.12, 0.3, 0.45, 0.6, 0.77, 0.9, 1.05};
  const Boundaries a = group_sequential_boundaries(t, coarse);
  const Boundaries b = group_sequential_boundaries(t, fine);
  for (std::size_t k = 0; k < t.size(); ++k) {
    EXPECT_NEAR(a.efficacy[k], b.efficacy[k], 1e-6 * b.efficacy[k]) << k;
    EXPECT_NEAR(a.futility[k], b.futility[k], 1e-6) << k;
  }
}

// Simulated z statistics with independent increments cross each boundary with the probability
// it spends, within 5 standard errors (the seed is fixed).
TEST(SequentialBoundaries, MonteCarloCrossingsSpendTheErrors) {
  BoundaryOptions o;
  o.futility = FutilityRule::nonbinding;
  const std::vector<double> t{0.15, 0.4, 0.7, 1.0};
  const Boundaries b = group_sequential_boundaries(t, o);
  ASSERT_TRUE(b.ok);
  std::mt19937_64 random(20260101);
  std::normal_distribution<double> normal;
  const int n = 200000;
  auto simulate = [&](double theta, bool stop_for_futility, std::vector<double>& crossed,
                      std::vector<double>& futile) {
    crossed.assign(t.size(), 0.0);
    futile.assign(t.size(), 0.0);
    for (int path = 0; path < n; ++path) {
      double s = 0.0, previous = 0.0;
      for (std::size_t k = 0; k < t.size(); ++k) {
        const double d = t[k] - previous;
        s += theta * d + std::sqrt(d) * normal(random);
        previous = t[k];
        const double z = std::fabs(s / std::sqrt(t[k]));
        if (z >= b.efficacy[k]) {
          crossed[k] += 1.0 / n;
          break;
        }
        if (z < b.futility[k]) {
          futile[k] += 1.0 / n;
          if (stop_for_futility) break;
        }
      }
    }
  };
  std::vector<double> crossed, futile;
  auto within = [&](double simulated, double p) {
    return std::fabs(simulated - p) <= 5.0 * std::sqrt(std::max(p * (1.0 - p), 1.0 / n) / n);
  };
  simulate(0.0, false, crossed, futile);
  for (std::size_t k = 0; k < t.size(); ++k) {
    const double spent = b.alpha_spent[k] - (k > 0 ? b.alpha_spent[k - 1] : 0.0);
    EXPECT_TRUE(within(crossed[k], spent)) << k << ": " << crossed[k] << " vs " << spent;
  }
  simulate(b.drift, true, crossed, futile);
  for (std::size_t k = 0; k < t.size(); ++k) {
    EXPECT_TRUE(within(futile[k], b.futility_crossing[k]))
        << k << ": " << futile[k] << " vs " << b.futility_crossing[k];
  }
  EXPECT_TRUE(within(std::accumulate(crossed.begin(), crossed.end(), 0.0), b.power));
}

TEST(SequentialBoundaries, BeyondTheInformationSizeTheRestIsSpentAtOnce) {
  const std::vector<double> t{0.3, 0.8, 1.2, 1.5};
  BoundaryOptions o;
  o.futility = FutilityRule::nonbinding;
  const Boundaries b = group_sequential_boundaries(t, o);
  ASSERT_TRUE(b.ok);
  EXPECT_EQ(b.final_look, 2u);
  EXPECT_DOUBLE_EQ(b.alpha_spent[2], 0.05);
  EXPECT_EQ(b.efficacy[3], kInf);
  EXPECT_TRUE(std::isnan(b.futility[3]));
  EXPECT_EQ(b.futility[2], b.efficacy[2]);  // the wedge closes at the final look
  // The first look already beyond: a fixed test.
  const std::vector<double> one{1.4};
  EXPECT_NEAR(group_sequential_boundaries(one, BoundaryOptions{}).efficacy[0], 1.959963984540054,
              1e-12);
}

TEST(SequentialBoundaries, FutilityWedgesStayInsideAndBindingLowersEfficacy) {
  BoundaryOptions binding, nonbinding, none;
  binding.futility = FutilityRule::binding;
  nonbinding.futility = FutilityRule::nonbinding;
  const std::vector<double> t = equally_spaced(6);
  const Boundaries b = group_sequential_boundaries(t, binding);
  const Boundaries n = group_sequential_boundaries(t, nonbinding);
  const Boundaries plain = group_sequential_boundaries(t, none);
  for (std::size_t k = 0; k < t.size(); ++k) {
    EXPECT_LE(b.futility[k], b.efficacy[k]);
    EXPECT_LE(n.futility[k], n.efficacy[k]);
    EXPECT_EQ(n.efficacy[k], plain.efficacy[k]);
    EXPECT_LE(b.efficacy[k], n.efficacy[k] + 1e-12);
    if (k > 0) {
      EXPECT_GT(n.futility[k], n.futility[k - 1]);
    }
  }
  EXPECT_EQ(b.futility.back(), b.efficacy.back());
  EXPECT_LT(b.efficacy.back(), n.efficacy.back());
}

TEST(SequentialBoundaries, SpendingFunctionsAndInvalidInput) {
  EXPECT_EQ(spent_error(SpendingFunction::obrien_fleming, 0.025, 0.0), 0.0);
  EXPECT_EQ(spent_error(SpendingFunction::pocock, 0.025, 2.0), 0.025);
  EXPECT_NEAR(spent_error(SpendingFunction::obrien_fleming, 0.025, 1.0 - 1e-12), 0.025, 1e-12);
  EXPECT_NEAR(spent_error(SpendingFunction::pocock, 0.05, 0.5),
              0.05 * std::log(0.5 + 0.5 * std::numbers::e), 1e-16);
  // Tiny early errors keep their digits: 2 - 2 Phi(x) at x = z_{0.975} / sqrt(0.01), against
  // the asymptotic series 2 phi(x) / x (1 - 1 / x^2 + 3 / x^4 - 15 / x^6), good to 105 / x^8.
  const double x = 1.959963984540054 / 0.1;
  const double series = 2.0 * std::exp(-0.5 * x * x) / std::sqrt(2.0 * std::numbers::pi) / x *
                        (1.0 - 1.0 / (x * x) + 3.0 / std::pow(x, 4) - 15.0 / std::pow(x, 6));
  EXPECT_NEAR(spent_error(SpendingFunction::obrien_fleming, 0.05, 0.01) / series, 1.0, 1e-8);
  const std::vector<double> bad{0.2, 0.2, 0.5};
  EXPECT_FALSE(group_sequential_boundaries(bad, BoundaryOptions{}).ok);
  BoundaryOptions o;
  o.alpha = 1.5;
  EXPECT_TRUE(o.validate().has_value());
  EXPECT_FALSE(group_sequential_boundaries(equally_spaced(3), o).ok);
  EXPECT_EQ(parse_spending_function("OBF"), SpendingFunction::obrien_fleming);
  EXPECT_EQ(parse_futility_rule("non-binding"), FutilityRule::nonbinding);
  EXPECT_FALSE(parse_futility_rule("sometimes").has_value());
}

TEST(SequentialInformationSize, BinaryContinuousAndHeterogeneity) {
  // 10% control risk, 20% relative risk reduction, alpha 5%, power 80%:
  // 4 (1.959964 + 0.841621)^2 0.09 0.91 / 0.02^2.
  InformationSizeOptions o;
  const InformationSize binary = information_size_binary(0.10, 0.20, o);
  ASSERT_TRUE(binary.ok);
  const double z = 1.959963984540054 + 0.8416212335729143;
  EXPECT_NEAR(binary.unadjusted, 4.0 * z * z * 0.09 * 0.91 / 0.0004, 1e-9);
  EXPECT_NEAR(binary.unadjusted, 6428.2, 0.1);
  // A mean difference of half a standard deviation: 4 z^2 / 0.25 = 125.6 participants.
  const InformationSize continuous = information_size_continuous(-5.0, 10.0, o);
  EXPECT_NEAR(continuous.unadjusted, 16.0 * z * z, 1e-9);
  // D2 = 1 - v_F / v_R; the adjustment factor is v_R / v_F.
  EXPECT_DOUBLE_EQ(diversity(0.04, 0.01), 0.75);
  EXPECT_EQ(diversity(0.01, 0.02), 0.0);
  EXPECT_TRUE(std::isnan(diversity(0.0, 0.01)));
  o.correction = HeterogeneityCorrection::diversity;
  o.heterogeneity = diversity(0.04, 0.01);
  const InformationSize adjusted = information_size_binary(0.10, 0.20, o);
  EXPECT_NEAR(adjusted.adjustment_factor, 4.0, 1e-15);
  EXPECT_NEAR(adjusted.adjusted, 4.0 * binary.unadjusted, 1e-9);
  o.correction = HeterogeneityCorrection::inconsistency;
  o.heterogeneity = 0.5;
  EXPECT_NEAR(information_size_binary(0.10, 0.20, o).adjusted, 2.0 * binary.unadjusted, 1e-9);
  o.heterogeneity = 1.0;
  EXPECT_FALSE(information_size_binary(0.10, 0.20, o).ok);
  EXPECT_FALSE(information_size_binary(0.10, 0.0, InformationSizeOptions{}).ok);
  EXPECT_FALSE(information_size_binary(0.6, -1.0, InformationSizeOptions{}).ok);
  EXPECT_FALSE(information_size_continuous(1.0, 0.0, InformationSizeOptions{}).ok);
}

TEST(SequentialMonitoring, NotYetSaysHowManyMoreAndHarmIsTheOtherSide) {
  const std::vector<double> estimate{0.4, 0.3, 0.35}, se{0.3, 0.2, 0.15}, n{100, 250, 400};
  SequentialOptions o;
  o.information_size = 1000.0;
  const SequentialAnalysis a = trial_sequential_analysis(estimate, se, n, o);
  ASSERT_TRUE(a.ok);
  EXPECT_EQ(a.conclusion, Conclusion::not_yet);
  EXPECT_FALSE(a.decisive_look.has_value());
  EXPECT_DOUBLE_EQ(a.participants_needed, 600.0);
  EXPECT_NEAR(a.adjusted_ci_lb, 0.35 - a.boundaries.efficacy[2] * 0.15, 1e-15);
  // A positive log risk ratio of a harmful event that crosses is harm; with higher = benefit it
  // is benefit.
  const std::vector<double> big{0.9, 0.8, 0.85};
  const SequentialAnalysis harm = trial_sequential_analysis(big, se, n, o);
  EXPECT_EQ(harm.conclusion, Conclusion::harm);
  EXPECT_EQ(harm.decisive_look, 2u);
  EXPECT_EQ(harm.first_upper, 2u);
  o.benefit = Benefit::higher;
  EXPECT_EQ(trial_sequential_analysis(big, se, n, o).conclusion, Conclusion::benefit);
  // Information size passed without crossing.
  const std::vector<double> flat{0.01, -0.02, 0.0}, more{300, 700, 1200};
  const SequentialAnalysis reached = trial_sequential_analysis(flat, se, more, o);
  EXPECT_EQ(reached.conclusion, Conclusion::information_size_reached);
  EXPECT_EQ(reached.decisive_look, 2u);
  EXPECT_EQ(reached.participants_needed, 0.0);
  // With futility boundaries the same data end in the wedge.
  o.boundaries.futility = FutilityRule::nonbinding;
  EXPECT_EQ(trial_sequential_analysis(flat, se, more, o).conclusion, Conclusion::futility);
  const std::vector<double> decreasing{300, 200, 1200};
  EXPECT_FALSE(trial_sequential_analysis(flat, se, decreasing, o).ok);
  const std::vector<double> zero_se{0.1, 0.0, 0.2};
  EXPECT_FALSE(trial_sequential_analysis(flat, zero_se, more, o).ok);
}

}  // namespace
}  // namespace evident
