// The multilevel model (model/multilevel.hpp, methods/multilevel.hpp, `evident fit --random`):
// the optimum against a brute-force scan of the likelihood, boundaries, the block structure, and
// the errors and refusals of the command line. Its numbers against metafor's rma.mv are in the
// reference tests (tests/reference/generate_multilevel.R).

#include "evident/methods/multilevel.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "evident/io/csv.hpp"
#include "evident/model/fit.hpp"
#include "evident/model/multilevel.hpp"
#include "evident/report/plot.hpp"
#include "support/run_cli.hpp"

namespace {

using evident::test::run_cli;

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// A three-level data set: `clusters` outer clusters of 1 to 4 estimates.
struct ThreeLevel {
  std::vector<double> yi, vi, x;
  std::vector<evident::VarianceComponent> components;

  evident::MultilevelData data() const {
    evident::MultilevelData d;
    d.yi = yi;
    d.vi = vi;
    d.x = {x, 1};
    d.components = components;
    return d;
  }
};

ThreeLevel simulate(std::mt19937_64& rng, int clusters) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::normal_distribution<double> n(0.0, 1.0);
  // Variance components of several sizes, zero included, so boundaries occur.
  const double s1 = u(rng) < 0.25 ? 0.0 : u(rng) * 0.3;
  const double s2 = u(rng) < 0.25 ? 0.0 : u(rng) * 0.3;
  ThreeLevel t;
  evident::VarianceComponent outer{"cluster", {}, 0};
  evident::VarianceComponent inner{"cluster/estimate", {}, 0};
  for (int c = 0; c < clusters; ++c) {
    const double uc = std::sqrt(s1) * n(rng);
    const int m = 1 + static_cast<int>(u(rng) * 4);
    for (int e = 0; e < m; ++e) {
      const double v = 0.01 + 0.2 * u(rng);
      t.vi.push_back(v);
      t.yi.push_back(0.3 + uc + std::sqrt(s2) * n(rng) + std::sqrt(v) * n(rng));
      t.x.push_back(1.0);
      outer.level.push_back(static_cast<std::uint32_t>(c));
      inner.level.push_back(inner.levels++);
    }
  }
  outer.levels = static_cast<std::uint32_t>(clusters);
  t.components = {outer, inner};
  return t;
}

// Property: on random three-level data sets the REML optimum is at least as high as every point
// of a grid of the likelihood around it (a brute-force scan that cannot be fooled by a local
// search), and a component reported at the boundary is one where the likelihood falls into 0.
TEST(Multilevel, TheOptimumBeatsABruteForceGrid) {
  std::mt19937_64 rng(20261204);
  int boundaries = 0;
  for (int trial = 0; trial < 1000; ++trial) {
    const ThreeLevel t = simulate(rng, 4 + trial % 12);
    const evident::MultilevelData d = t.data();
    evident::MultilevelOptions o;
    o.method = trial % 3 == 0 ? evident::Method::ML : evident::Method::REML;
    const evident::MultilevelFit f = evident::fit_multilevel(d, o);
    ASSERT_EQ(f.status, evident::MultilevelStatus::ok) << trial;
    ASSERT_NE(f.termination, evident::Termination::max_iterations)
        << trial << ": " << f.sigma2[0] << ", " << f.sigma2[1] << " after " << f.iterations;
    const double best = f.logLik;
    EXPECT_NEAR(evident::multilevel_log_likelihood(d, o, f.sigma2), best, 1e-9) << trial;
    // A coarse grid over the whole region, and a fine one within 5% of the optimum.
    const double top = std::max({f.sigma2[0], f.sigma2[1], 0.05}) * 4.0;
    for (int a = 0; a <= 20; ++a) {
      for (int b = 0; b <= 20; ++b) {
        const std::vector<double> s{top * a / 20.0, top * b / 20.0};
        const double ll = evident::multilevel_log_likelihood(d, o, s);
        ASSERT_LE(ll, best + 1e-9 * std::abs(best))
            << trial << " at " << s[0] << ", " << s[1] << "; fit " << f.sigma2[0] << ", "
            << f.sigma2[1] << " after " << f.iterations << " ("
            << evident::termination_name(f.termination) << ")";
      }
    }
    for (int a = -5; a <= 5; ++a) {
      for (int b = -5; b <= 5; ++b) {
        const std::vector<double> s{std::max(0.0, f.sigma2[0] * (1.0 + 0.01 * a) + 1e-4 * a),
                                    std::max(0.0, f.sigma2[1] * (1.0 + 0.01 * b) + 1e-4 * b)};
        const double ll = evident::multilevel_log_likelihood(d, o, s);
        ASSERT_LE(ll, best + 1e-12 * std::abs(best)) << trial << " near the optimum";
      }
    }
    for (std::size_t j = 0; j < 2; ++j) {
      if (!f.at_boundary[j]) continue;
      ++boundaries;
      std::vector<double> s = f.sigma2;
      s[j] = 1e-6;
      EXPECT_LE(evident::multilevel_log_likelihood(d, o, s), best) << trial;
    }
  }
  EXPECT_GT(boundaries, 10);  // the property was tested where it is hardest
}

TEST(Multilevel, BlocksFollowTheOuterCluster) {
  std::mt19937_64 rng(7);
  const ThreeLevel t = simulate(rng, 9);
  const evident::MultilevelFit f = evident::fit_multilevel(t.data(), {});
  EXPECT_EQ(f.blocks, 9u);
  EXPECT_LE(f.largest_block, 4u);
}

const std::string kData = std::string(EVIDENT_REFERENCE_DIR) + "/data/konstantopoulos2011.csv";

TEST(MultilevelCli, AnUnknownColumnIsNamedWithTheClosest) {
  const auto r = run_cli({"fit", kData, "--random", "~ 1 | distrct/school"});
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(contains(r.err, "'distrct'")) << r.err;
  EXPECT_TRUE(contains(r.err, "did you mean 'district'")) << r.err;
}

TEST(MultilevelCli, AMissingGroupingValueLeavesTheEstimateOutAndSaysSo) {
  const std::string csv =
      "study,yi,vi,district\n1,0.1,0.02,a\n2,0.3,0.03,a\n3,-0.1,0.02,\n4,0.5,0.04,b\n"
      "5,0.2,0.02,b\n6,0.0,0.05,c\n";
  const auto r = run_cli({"fit", "-", "--random", "~ 1 | district", "--format", "json"}, csv);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "\"k\": 5")) << r.out;
  EXPECT_TRUE(contains(r.out, "row_excluded_missing")) << r.out;
  EXPECT_TRUE(contains(r.out, "<stdin>:4: estimate left out")) << r.out;
}

TEST(MultilevelCli, ANonPositiveDefiniteSamplingCovarianceNamesTheBlock) {
  // Three estimates correlated -0.6 pairwise: 1 + 2 (-0.6) < 0.
  const std::string csv =
      "study,yi,vi,trial\n1,0.1,0.02,a\n2,0.3,0.03,a\n3,-0.1,0.02,a\n4,0.5,0.04,b\n";
  const auto r =
      run_cli({"fit", "-", "--random", "~ 1 | study", "--rho", "-0.6", "--cluster", "trial"}, csv);
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(contains(r.err, "not positive definite")) << r.err;
  EXPECT_TRUE(contains(r.err, "line 2, study 1, 3 estimates")) << r.err;
}

TEST(MultilevelCli, TheForestPlotGroupsTheEstimatesByTheOuterFactor) {
  const std::string path = ::testing::TempDir() + "multilevel_forest.svg";
  const auto r = run_cli(
      {"fit", kData, "--random", "~ 1 | district/school", "--forest", path, "--profile", "false"});
  ASSERT_EQ(r.code, 0) << r.err;
  std::ifstream in(path);
  const std::string svg((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_TRUE(contains(svg, "<svg")) << svg.substr(0, 200);
  // Its rows: a heading per district, the estimates with weights summing to 100%, the diamond.
  const evident::StudyTable table = evident::read_csv_file(kData);
  evident::AnalysisSpec spec;
  spec.multilevel.random = {"~ 1 | district/school"};
  spec.multilevel.profile = false;
  const evident::MultilevelAnalysis a = evident::analyse_multilevel(table, spec, {});
  const evident::ForestPlot plot = evident::forest_plot(a, {});
  ASSERT_FALSE(plot.rows.empty());
  EXPECT_EQ(plot.rows.front().kind, evident::ForestRowKind::heading);
  EXPECT_EQ(plot.rows.front().label, "district 11");
  std::size_t headings = 0;
  double weights = 0.0;
  for (const evident::ForestRow& row : plot.rows) {
    headings += row.kind == evident::ForestRowKind::heading ? 1 : 0;
    if (row.kind == evident::ForestRowKind::study) weights += row.weight;
  }
  EXPECT_EQ(headings, 11u);
  EXPECT_NEAR(weights, 100.0, 1e-9);
  EXPECT_EQ(plot.rows[plot.rows.size() - 2].kind, evident::ForestRowKind::summary);
  EXPECT_EQ(plot.rows.back().kind, evident::ForestRowKind::prediction);
}

TEST(MultilevelCli, WhatDoesNotApplyYetIsRefusedBeforeAnyOutput) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"fit", kData, "--random", "~ 1 | district", "--mods", "year",
                                 "--funnel", "never-written.svg"},
        std::vector<std::string>{"fit", kData, "--random", "~ 1 | district", "--subgroup", "year"},
        std::vector<std::string>{"bias", kData, "--random", "~ 1 | district"},
        std::vector<std::string>{"influence", kData, "--random", "~ 1 | district"},
        std::vector<std::string>{"sequential", kData, "--random", "~ 1 | district"}}) {
    const auto r = run_cli(args);
    EXPECT_EQ(r.code, 2) << args[0] << " " << args.back();
    EXPECT_TRUE(r.out.empty()) << r.out;
    EXPECT_FALSE(r.err.empty());
  }
}

}  // namespace

namespace {

std::vector<std::string> split(const std::string& line, char sep) {
  std::vector<std::string> out;
  std::string cell;
  for (char ch : line) {
    if (ch == sep) {
      out.push_back(cell);
      cell.clear();
    } else {
      cell += ch;
    }
  }
  out.push_back(cell);
  return out;
}

// A batch of multilevel analyses gives each the numbers `evident fit --random` gives it alone.
TEST(MultilevelCli, BatchRowsAreTheFitsOfEachAnalysis) {
  std::mt19937_64 rng(11);
  std::normal_distribution<double> n(0.0, 1.0);
  std::string all = "id,study,esid,yi,vi\n";
  std::vector<std::string> alone(3, "study,esid,yi,vi\n");
  for (int a = 0; a < 3; ++a) {
    for (int s = 0; s < 6; ++s) {
      const double u = 0.3 * n(rng);
      for (int e = 0; e < 1 + (s + a) % 3; ++e) {
        std::ostringstream row;
        row << s << ',' << s * 10 + e << ',' << 0.2 + u + 0.2 * n(rng) << ',' << 0.02 + 0.01 * e
            << '\n';
        all += 'a';
        all += std::to_string(a);
        all += ',';
        all += row.str();
        alone[static_cast<std::size_t>(a)] += row.str();
      }
    }
  }
  const auto batch =
      run_cli({"batch", "-", "--by", "id", "--random", "~ 1 | study/esid", "--out", "-"}, all);
  ASSERT_EQ(batch.code, 0) << batch.err;
  std::vector<std::string> lines = split(batch.out, '\n');
  ASSERT_GE(lines.size(), 4u);
  const std::vector<std::string> header = split(lines[0], ',');
  auto column = [&](const std::string& name) {
    return static_cast<std::size_t>(std::find(header.begin(), header.end(), name) - header.begin());
  };
  for (std::size_t a = 0; a < 3; ++a) {
    const std::vector<std::string> row = split(lines[a + 1], ',');
    const auto fit = run_cli(
        {"fit", "-", "--random", "~ 1 | study/esid", "--format", "csv", "--profile", "false"},
        alone[a]);
    ASSERT_EQ(fit.code, 0) << fit.err;
    const std::vector<std::string> fit_lines = split(fit.out, '\n');
    const std::vector<std::string> fh = split(fit_lines[0], ',');
    const std::vector<std::string> fr = split(fit_lines[1], ',');
    auto fit_value = [&](const std::string& name) {
      return fr[static_cast<std::size_t>(std::find(fh.begin(), fh.end(), name) - fh.begin())];
    };
    EXPECT_EQ(row[column("estimate")], fit_value("estimate")) << a;
    EXPECT_EQ(row[column("se")], fit_value("se")) << a;
    EXPECT_EQ(row[column("sigma2_1")], fit_value("sigma2.1")) << a;
    EXPECT_EQ(row[column("sigma2_2")], fit_value("sigma2.2")) << a;
    EXPECT_EQ(row[column("logLik")], fit_value("logLik")) << a;
    EXPECT_EQ(row[column("error")], "") << a;
  }
}

}  // namespace

namespace {

// --V with the covariances vcalc would build gives the fit of --rho --cluster --obs, to the bit;
// a bad entry is named by file, line and column.
TEST(MultilevelCli, ASamplingCovarianceFileGivesTheFitOfTheSameMatrix) {
  const std::string data = std::string(EVIDENT_REFERENCE_DIR) + "/data/multilevel_assink2016.csv";
  const evident::StudyTable t = evident::read_csv_file(data);
  const std::size_t study = *t.find_column("study");
  const std::size_t esid = *t.find_column("esid");
  const std::size_t vi = *t.find_column("vi");
  const std::string path = ::testing::TempDir() + "multilevel_v.csv";
  {
    std::ofstream v(path);
    v << "row,col,value\n";
    v.precision(17);
    for (std::size_t i = 0; i < t.rows(); ++i) {
      for (std::size_t j = 0; j < i; ++j) {
        if (t.cell(i, study) != t.cell(j, study) || t.cell(i, esid) == t.cell(j, esid)) continue;
        const double a = evident::parse_number(t.cell(i, vi)).value;
        const double b = evident::parse_number(t.cell(j, vi)).value;
        v << i + 1 << ',' << j + 1 << ',' << 0.6 * std::sqrt(a * b) << '\n';
      }
    }
  }
  const std::vector<std::string> base{"fit",      data,   "--random",  "~ 1 | study/esid",
                                      "--format", "json", "--profile", "false"};
  std::vector<std::string> with_file = base;
  with_file.insert(with_file.end(), {"--V", path});
  std::vector<std::string> with_rho = base;
  with_rho.insert(with_rho.end(), {"--rho", "0.6", "--cluster", "study", "--obs", "esid"});
  const auto a = run_cli(with_file);
  const auto b = run_cli(with_rho);
  ASSERT_EQ(a.code, 0) << a.err;
  ASSERT_EQ(b.code, 0) << b.err;
  auto sigma2 = [](const std::string& json) {
    const auto at = json.find("\"sigma2\"");
    return json.substr(at, json.find(']', at) - at);
  };
  EXPECT_EQ(sigma2(a.out), sigma2(b.out));

  {
    std::ofstream bad(path);
    bad << "row,col,value\n1,2,x\n0,1,0.1\n2,3,0.01\n3,2,0.02\n";
  }
  const auto e = run_cli(with_file);
  EXPECT_EQ(e.code, 2);
  EXPECT_TRUE(contains(e.err, path + ":2:3: 'x' is not a number")) << e.err;
  EXPECT_TRUE(contains(e.err, path + ":3:1: '0' is not a data row")) << e.err;
  EXPECT_TRUE(contains(e.err, path + ":5:3: rows 3 and 2 were given 0.01 on line 4")) << e.err;
  EXPECT_TRUE(a.err.empty());
}

}  // namespace

namespace {

// With one component whose levels are the estimates themselves and V diagonal, the multilevel
// model is the univariate random-effects model: its REML and ML fits are fit()'s.
TEST(Multilevel, OneComponentPerEstimateIsTheUnivariateModel) {
  std::mt19937_64 rng(5);
  for (int trial = 0; trial < 50; ++trial) {
    const ThreeLevel t = simulate(rng, 3 + trial % 20);
    evident::MultilevelData d = t.data();
    const std::vector<evident::VarianceComponent> one{t.components[1]};
    d.components = one;
    for (evident::Method method : {evident::Method::REML, evident::Method::ML}) {
      evident::MultilevelOptions o;
      o.method = method;
      const evident::MultilevelFit m = evident::fit_multilevel(d, o);
      evident::FitOptions u;
      u.method = method;
      const evident::Fit f = evident::fit(t.yi, t.vi, u);
      EXPECT_NEAR(m.sigma2[0], f.tau2, 1e-9 * std::max(1.0, f.tau2)) << trial;
      EXPECT_NEAR(m.beta[0], f.estimate, 1e-9) << trial;
      EXPECT_NEAR(m.se[0], f.se, 1e-9) << trial;
    }
  }
}

}  // namespace

namespace {

// A factor with a single level is held at 0 (metafor: "Single-level factor(s) found in 'random'
// argument. Corresponding 'sigma2' value(s) fixed to 0."): the fit is the fit without it, and it
// is not counted as a parameter.
TEST(Multilevel, ASingleLevelFactorIsHeldAtZero) {
  std::mt19937_64 rng(3);
  const ThreeLevel t = simulate(rng, 12);
  evident::VarianceComponent one{"one", std::vector<std::uint32_t>(t.yi.size(), 0), 1};
  const std::vector<evident::VarianceComponent> with{one, t.components[0]};
  const std::vector<evident::VarianceComponent> without{t.components[0]};
  evident::MultilevelData d = t.data();
  d.components = with;
  const evident::MultilevelFit a = evident::fit_multilevel(d, {});
  d.components = without;
  const evident::MultilevelFit b = evident::fit_multilevel(d, {});
  ASSERT_EQ(a.status, evident::MultilevelStatus::ok);
  EXPECT_TRUE(a.held[0]);
  EXPECT_FALSE(a.held[1]);
  EXPECT_EQ(a.sigma2[0], 0.0);
  EXPECT_NEAR(a.sigma2[1], b.sigma2[0], 1e-12 * b.sigma2[0]);
  EXPECT_NEAR(a.logLik, b.logLik, 1e-10);
  EXPECT_NEAR(a.AIC, b.AIC, 1e-10);
}

}  // namespace
