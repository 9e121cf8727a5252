// The multilevel model (model/multilevel.hpp, methods/multilevel.hpp, `evident fit --random`):
// the optimum against a brute-force scan of the likelihood, boundaries, the block structure, and
// the errors and refusals of the command line. Its numbers against metafor's rma.mv are in the
// reference tests (tests/reference/generate_multilevel.R).

#include "evident/methods/multilevel.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <limits>
#include <nlohmann/json.hpp>
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
//
// 1,000 data sets by default (about 5 s in Release); EVIDENT_MULTILEVEL_TRIALS sets the number,
// and scripts/test.sh runs 10,000 in the Release build (the sanitizer builds keep the default).
TEST(Multilevel, TheOptimumBeatsABruteForceGrid) {
  std::mt19937_64 rng(20261204);
  int trials = 1000;
  if (const char* env = std::getenv("EVIDENT_MULTILEVEL_TRIALS")) trials = std::atoi(env);
  ASSERT_GT(trials, 0) << "EVIDENT_MULTILEVEL_TRIALS must be a positive number";
  int boundaries = 0;
  for (int trial = 0; trial < trials; ++trial) {
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
  EXPECT_GT(boundaries, trials / 100);  // the property was tested where it is hardest
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

// CR2 gives each coefficient its own Satterthwaite df and the F test of two moderators a
// fractional denominator df (HTZ; the numbers are checked against clubSandwich in the reference
// cases): the text shows both, where CR1 has one integer df.
TEST(MultilevelCli, CR2TextShowsEachCoefficientsDfAndTheFractionalDfOfTheFTest) {
  const std::string data = std::string(EVIDENT_REFERENCE_DIR) + "/data/multilevel_assink2016.csv";
  const std::vector<std::string> base = {"fit",    data,      "--random", "~ 1 | study/esid",
                                         "--mods", "deltype", "--robust", "study"};
  std::vector<std::string> cr2 = base;
  cr2.insert(cr2.end(), {"--small-sample", "CR2"});
  const auto r2 = run_cli(cr2);
  ASSERT_EQ(r2.code, 0) << r2.err;
  EXPECT_TRUE(contains(r2.out, "t with Satterthwaite df")) << r2.out;
  EXPECT_TRUE(contains(r2.out, "F(df1 = 2, df2 = 0.80) = 47.7593, p-val = 0.1480")) << r2.out;
  EXPECT_TRUE(contains(r2.out, "    2.28 ")) << r2.out;  // deltypegeneral's df
  const auto r1 = run_cli(base);
  ASSERT_EQ(r1.code, 0) << r1.err;
  EXPECT_TRUE(contains(r1.out, "t with df = 14")) << r1.out;
  EXPECT_TRUE(contains(r1.out, "F(df1 = 2, df2 = 14)")) << r1.out;
}

// The complaint that opened multilevel work: samples nested in studies fitted as independent,
// with no warning. Now the fit names the studies with several estimates; the multilevel fit of
// the same rows, which models them, does not.
TEST(MultilevelCli, EstimatesSharingAStudyFittedAsIndependentAreNamed) {
  const std::string data = std::string(EVIDENT_REFERENCE_DIR) + "/data/multilevel_assink2016.csv";
  const auto r = run_cli({"fit", data, "--format", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  std::string message;
  for (const auto& d : j.at("diagnostics")) {
    if (d.at("code") == "repeated_study") message = d.at("message");
  }
  // Study 1 has 6 estimates, study 11 22; 14 of the 17 studies have more than one (ten named).
  EXPECT_TRUE(contains(message, "1 (6 estimates), 2 (3 estimates)")) << message;
  EXPECT_TRUE(contains(message, "11 (22 estimates)")) << message;
  EXPECT_TRUE(contains(message, "and 4 more studies")) << message;
  EXPECT_TRUE(contains(message, "--random")) << message;
  const auto text = run_cli({"fit", data});
  EXPECT_TRUE(contains(text.out, "more than one estimate from one study")) << text.out;

  const auto ml = run_cli({"fit", data, "--random", "~ 1 | study/esid", "--format", "json"});
  ASSERT_EQ(ml.code, 0) << ml.err;
  EXPECT_FALSE(contains(ml.out, "repeated_study"));
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

// A correlated random effect in batch (--struct CS): each row's tau2 and rho are those of
// `evident fit` on that analysis alone; a structure with a tau2 per level is refused up front.
TEST(MultilevelCli, BatchRowsOfAStructAreTheFitsOfEachAnalysis) {
  std::mt19937_64 rng(5);
  std::normal_distribution<double> n(0.0, 1.0);
  std::string all = "id,study,outcome,yi,vi\n";
  std::vector<std::string> alone(2, "study,outcome,yi,vi\n");
  for (int a = 0; a < 2; ++a) {
    for (int s = 0; s < 12; ++s) {
      const double u = 0.3 * n(rng);
      for (int o = 0; o < 1 + (s + a) % 3; ++o) {
        std::ostringstream row;
        row << s << ',' << o << ',' << 0.2 + u + 0.25 * n(rng) << ',' << 0.02 + 0.01 * o << '\n';
        all += 'a';
        all += std::to_string(a);
        all += ',';
        all += row.str();
        alone[static_cast<std::size_t>(a)] += row.str();
      }
    }
  }
  const std::vector<std::string> model{"--random", "~ outcome | study", "--struct", "CS"};
  std::vector<std::string> args{"batch", "-", "--by", "id", "--out", "-"};
  args.insert(args.end(), model.begin(), model.end());
  const auto batch = run_cli(args, all);
  ASSERT_EQ(batch.code, 0) << batch.err;
  const std::vector<std::string> lines = split(batch.out, '\n');
  ASSERT_GE(lines.size(), 3u);
  const std::vector<std::string> header = split(lines[0], ',');
  auto column = [&](const std::string& name) {
    const auto it = std::find(header.begin(), header.end(), name);
    EXPECT_NE(it, header.end()) << name;
    return static_cast<std::size_t>(it - header.begin());
  };
  for (std::size_t a = 0; a < 2; ++a) {
    const std::vector<std::string> row = split(lines[a + 1], ',');
    std::vector<std::string> fit_args{"fit", "-", "--format", "csv", "--profile", "false"};
    fit_args.insert(fit_args.end(), model.begin(), model.end());
    const auto fit = run_cli(fit_args, alone[a]);
    ASSERT_EQ(fit.code, 0) << fit.err;
    const std::vector<std::string> fit_lines = split(fit.out, '\n');
    const std::vector<std::string> fh = split(fit_lines[0], ',');
    const std::vector<std::string> fr = split(fit_lines[1], ',');
    auto fit_value = [&](const std::string& name) {
      const auto it = std::find(fh.begin(), fh.end(), name);
      EXPECT_NE(it, fh.end()) << name;
      return it == fh.end() ? std::string() : fr[static_cast<std::size_t>(it - fh.begin())];
    };
    EXPECT_EQ(row[column("estimate")], fit_value("estimate")) << a;
    EXPECT_EQ(row[column("tau2")], fit_value("tau2.1")) << a;
    EXPECT_EQ(row[column("rho")], fit_value("rho.1")) << a;
    EXPECT_EQ(row[column("logLik")], fit_value("logLik")) << a;
    EXPECT_EQ(row[column("error")], "") << a;
  }
  const auto hcs = run_cli({"batch", "-", "--by", "id", "--out", "-", "--random",
                            "~ outcome | study", "--struct", "HCS"},
                           all);
  EXPECT_EQ(hcs.code, 2);
  EXPECT_TRUE(hcs.out.empty()) << hcs.out;
  EXPECT_NE(hcs.err.find("--struct HCS has a tau2 per level"), std::string::npos) << hcs.err;
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

namespace {

// The structured component `~ position | cluster` of a simulated data set: each estimate's
// position within its cluster (0, 1, ...; positions beyond `last` are `last`).
evident::StructuredComponent by_position(const ThreeLevel& t, std::uint32_t last) {
  evident::StructuredComponent sc;
  sc.name = "position | cluster";
  const auto& outer = t.components[0];
  sc.outer = outer.level;
  sc.outer_levels = outer.levels;
  std::vector<std::uint32_t> seen(outer.levels, 0);
  for (std::uint32_t c : outer.level)
    sc.inner.push_back(std::min(seen[c]++, last));
  std::uint32_t levels = 0;
  for (std::uint32_t i : sc.inner)
    levels = std::max(levels, i + 1);
  sc.inner_levels = levels;
  return sc;
}

}  // namespace

// A structured component `~ position | cluster` (model/multilevel.hpp, Structure) against models
// it equals: with every estimate at its own position within its cluster, CS is the nested model
// ~ 1 | cluster/estimate with sigma2 = (tau2 rho, tau2 (1 - rho)) wherever that model's optimum
// is inside (rho >= 0), and ID is the inner component alone. The structured fit takes the other
// path of fit_multilevel (dense blocks, log and atanh scales), so the two paths check each other.
TEST(Multilevel, StructuredCsAndIdEqualTheNestedModels) {
  std::mt19937_64 rng(20261206);
  int compared_cs = 0;
  int compared_id = 0;
  int compared_boundary = 0;
  for (int trial = 0; trial < 60; ++trial) {
    const ThreeLevel t = simulate(rng, 12);
    evident::MultilevelData nested = t.data();
    evident::MultilevelOptions o;
    const evident::MultilevelFit fn = evident::fit_multilevel(nested, o);
    ASSERT_EQ(fn.status, evident::MultilevelStatus::ok);

    evident::StructuredComponent sc = by_position(t, std::numeric_limits<std::uint32_t>::max());
    if (sc.inner_levels < 2) continue;
    evident::MultilevelData structured = t.data();
    structured.components = {};
    structured.structured = &sc;

    sc.structure = evident::Structure::CS;
    const evident::MultilevelFit fc = evident::fit_multilevel(structured, o);
    ASSERT_EQ(fc.status, evident::MultilevelStatus::ok) << trial;
    ASSERT_EQ(fc.tau2.size(), 1U);
    ASSERT_EQ(fc.rho.size(), 1U);
    if (fn.sigma2[0] > 1e-3 && fn.sigma2[1] > 1e-3) {
      ++compared_cs;
      EXPECT_NEAR(fc.tau2[0] * fc.rho[0], fn.sigma2[0], 1e-6 * fn.sigma2[0]) << trial;
      EXPECT_NEAR(fc.tau2[0] * (1.0 - fc.rho[0]), fn.sigma2[1], 1e-6 * fn.sigma2[1]) << trial;
      EXPECT_NEAR(fc.beta[0], fn.beta[0], 1e-7 * (1.0 + std::abs(fn.beta[0]))) << trial;
      EXPECT_NEAR(fc.se[0], fn.se[0], 1e-6 * fn.se[0]) << trial;
      EXPECT_NEAR(fc.logLik, fn.logLik, 1e-9 * std::abs(fn.logLik)) << trial;
    }
    if (fn.sigma2[0] > 1e-3 && fn.sigma2[1] == 0.0) {
      // The nested optimum at its boundary, no variance within clusters: CS at rho = 1, which
      // the fit reaches by holding rho there (the atanh scale alone stops short of it).
      ++compared_boundary;
      EXPECT_EQ(fc.rho[0], 1.0) << trial;
      EXPECT_EQ(fc.termination, evident::Termination::boundary) << trial;
      EXPECT_NEAR(fc.tau2[0], fn.sigma2[0], 1e-6 * fn.sigma2[0]) << trial;
      EXPECT_NEAR(fc.logLik, fn.logLik, 1e-9 * std::abs(fn.logLik)) << trial;
    }
    // Never below the nested model's maximum, which CS contains.
    EXPECT_GE(fc.logLik, fn.logLik - 1e-8 * std::abs(fn.logLik)) << trial;
    const double ll = evident::multilevel_log_likelihood(structured, o, {}, fc.tau2, fc.rho);
    EXPECT_NEAR(ll, fc.logLik, 1e-9 * std::abs(fc.logLik)) << trial;

    sc.structure = evident::Structure::ID;
    const evident::MultilevelFit fi = evident::fit_multilevel(structured, o);
    evident::MultilevelData inner_only = t.data();
    inner_only.components = std::span(t.components).subspan(1, 1);
    const evident::MultilevelFit f1 = evident::fit_multilevel(inner_only, o);
    ASSERT_EQ(fi.status, evident::MultilevelStatus::ok);
    ASSERT_TRUE(fi.rho.empty());
    if (f1.sigma2[0] > 1e-3) {
      ++compared_id;
      EXPECT_NEAR(fi.tau2[0], f1.sigma2[0], 1e-6 * f1.sigma2[0]) << trial;
      EXPECT_NEAR(fi.logLik, f1.logLik, 1e-9 * std::abs(f1.logLik)) << trial;
    }
  }
  EXPECT_GE(compared_cs, 10);
  EXPECT_GE(compared_id, 10);
  EXPECT_GE(compared_boundary, 3);
}

namespace {

// With two inner levels the structures coincide in pairs: UN (fitted on G's Cholesky factor),
// HCS and HAR (on log tau2 and atanh rho) are one model, and so are CS and AR. Their fits must
// agree, which checks the Cholesky parametrisation against the other.
TEST(Multilevel, StructuresThatCoincideWithTwoLevelsAgree) {
  std::mt19937_64 rng(20261207);
  int compared = 0;
  for (int trial = 0; trial < 30; ++trial) {
    const ThreeLevel t = simulate(rng, 10);
    evident::StructuredComponent sc = by_position(t, 1);  // the first estimate, the rest
    evident::MultilevelData d = t.data();
    d.components = {};
    d.structured = &sc;
    const evident::MultilevelOptions o;
    auto fit = [&](evident::Structure s) {
      sc.structure = s;
      return evident::fit_multilevel(d, o);
    };
    const evident::MultilevelFit un = fit(evident::Structure::UN);
    const evident::MultilevelFit hcs = fit(evident::Structure::HCS);
    const evident::MultilevelFit har = fit(evident::Structure::HAR);
    const evident::MultilevelFit cs = fit(evident::Structure::CS);
    const evident::MultilevelFit ar = fit(evident::Structure::AR);
    ASSERT_EQ(un.status, evident::MultilevelStatus::ok);
    ASSERT_EQ(un.rho.size(), 1U);
    const double tol = 1e-9 * std::abs(un.logLik);
    EXPECT_NEAR(hcs.logLik, un.logLik, tol) << trial;
    EXPECT_NEAR(har.logLik, un.logLik, tol) << trial;
    EXPECT_NEAR(ar.logLik, cs.logLik, 1e-9 * std::abs(cs.logLik)) << trial;
    // UN contains CS: never below it.
    EXPECT_GE(un.logLik, cs.logLik - tol) << trial;
    // Where the optimum is inside, the estimates agree too.
    if (std::abs(un.rho[0]) < 0.99 && un.tau2[0] > 1e-3 && un.tau2[1] > 1e-3) {
      ++compared;
      for (std::size_t l = 0; l < 2; ++l)
        EXPECT_NEAR(hcs.tau2[l], un.tau2[l], 1e-5 * un.tau2[l]) << trial;
      EXPECT_NEAR(hcs.rho[0], un.rho[0], 1e-5) << trial;
      EXPECT_NEAR(hcs.beta[0], un.beta[0], 1e-6 * (1.0 + std::abs(un.beta[0]))) << trial;
    }
  }
  EXPECT_GE(compared, 5);
}

}  // namespace
