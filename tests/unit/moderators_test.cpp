// Design matrices from table columns (R's model.matrix with treatment contrasts), the
// permutation test, and subgroup analyses: coding, names, levels, exclusions, errors, and
// properties that do not need a reference value.

#include "evident/effect/moderators.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "evident/effect/effect.hpp"
#include "evident/io/csv.hpp"
#include "evident/io/error.hpp"
#include "evident/methods/moderator_analysis.hpp"
#include "evident/methods/permutation.hpp"

namespace {

using evident::Design;
using evident::InputError;
using evident::ModeratorSpec;

evident::StudyTable table(const std::string& text) {
  std::istringstream in(text);
  return evident::read_csv(in, "t.csv");
}

constexpr const char* kData =
    "study,yi,vi,dose,arm,site,note\n"
    "A,0.10,0.02,10,b,x,\n"
    "B,0.45,0.03,20,a,y,\n"
    "C,-0.05,0.015,30,c,x,\n"
    "D,0.60,0.05,,a,y,\n"
    "E,0.30,0.01,50,b,NA,\n"
    "F,0.20,0.04,60,c,x,\n"
    "G,0.50,0.02,70,a,y,\n";

evident::ModeratedData build(const std::string& text, std::vector<std::string> terms,
                             std::vector<std::pair<std::string, std::string>> ref = {}) {
  const auto t = table(text);
  ModeratorSpec spec{std::move(terms), std::move(ref)};
  return evident::build_design(t, evident::compute_effects(t, {}), spec);
}

std::vector<std::string> names(const Design& d) {
  std::vector<std::string> out;
  for (const auto& c : d.columns)
    out.push_back(c.name);
  return out;
}

double at(const Design& d, std::size_t i, std::size_t j) {
  return d.x[i * d.p() + j];
}

TEST(Design, NumericAndCategoricalWithTreatmentCoding) {
  const auto md = build(kData, {"dose", "arm"});
  // D has no dose: left out, with a diagnostic naming it.
  EXPECT_EQ(md.data.k(), 6u);
  ASSERT_FALSE(md.data.diagnostics.empty());
  EXPECT_EQ(md.data.diagnostics.back().code, evident::DiagnosticCode::row_excluded_missing);
  EXPECT_EQ(md.data.diagnostics.back().study, "D");
  EXPECT_EQ(names(md.design), (std::vector<std::string>{"intrcpt", "dose", "armb", "armc"}));
  ASSERT_EQ(md.design.variables.size(), 2u);
  EXPECT_FALSE(md.design.variables[0].categorical);
  EXPECT_TRUE(md.design.variables[1].categorical);
  EXPECT_EQ(md.design.variables[1].levels, (std::vector<std::string>{"a", "b", "c"}));
  // A: dose 10, arm b
  EXPECT_EQ(at(md.design, 0, 0), 1.0);
  EXPECT_EQ(at(md.design, 0, 1), 10.0);
  EXPECT_EQ(at(md.design, 0, 2), 1.0);
  EXPECT_EQ(at(md.design, 0, 3), 0.0);
  // B: arm a (reference) -> both indicators 0
  EXPECT_EQ(at(md.design, 1, 2), 0.0);
  EXPECT_EQ(at(md.design, 1, 3), 0.0);
}

TEST(Design, ReferenceLevelAndFactorOfNumbers) {
  const auto md = build(kData, {"arm"}, {{"arm", "c"}});
  EXPECT_EQ(names(md.design), (std::vector<std::string>{"intrcpt", "arma", "armb"}));
  const auto f = build(kData, {"factor(dose)"});
  // levels sorted numerically, named as R names factor(dose) columns
  EXPECT_EQ(names(f.design)[1], "factor(dose)20");
  EXPECT_EQ(names(f.design).back(), "factor(dose)70");
}

TEST(Design, InteractionsExpandAsRFormulas) {
  const auto md = build(kData, {"dose*arm"});
  EXPECT_EQ(names(md.design), (std::vector<std::string>{"intrcpt", "dose", "armb", "armc",
                                                        "dose:armb", "dose:armc"}));
  for (std::size_t i = 0; i < md.data.k(); ++i) {
    EXPECT_EQ(at(md.design, i, 4), at(md.design, i, 1) * at(md.design, i, 2));
    EXPECT_EQ(at(md.design, i, 5), at(md.design, i, 1) * at(md.design, i, 3));
  }
  // factor:factor, the first factor varying fastest; a repeated term is kept once.
  constexpr const char* kCells =
      "yi,vi,arm,site\n0.1,0.01,a,x\n0.2,0.02,a,y\n0.3,0.01,b,x\n0.1,0.03,b,y\n"
      "0.5,0.02,c,x\n0.4,0.01,c,y\n0.2,0.02,a,x\n0.6,0.04,b,y\n";
  // Terms ordered by degree, as R's terms() orders them.
  const auto ff = build(kCells, {"arm:site", "arm", "site", "site:arm"});
  EXPECT_EQ(names(ff.design), (std::vector<std::string>{"intrcpt", "armb", "armc", "sitey",
                                                        "armb:sitey", "armc:sitey"}));
  // A factor whose margin is absent gets every level (R's model.matrix): site:arm with site
  // but not arm in the model, named in the order the variables first appear.
  const auto margin = build(kCells, {"site + site:arm"});
  EXPECT_EQ(names(margin.design),
            (std::vector<std::string>{"intrcpt", "sitey", "sitex:armb", "sitey:armb", "sitex:armc",
                                      "sitey:armc"}));
}

TEST(Design, MinusOneDropsTheIntercept) {
  constexpr const char* kCells =
      "yi,vi,arm,dose\n0.1,0.01,a,1\n0.2,0.02,a,2\n0.3,0.01,b,3\n0.1,0.03,b,1\n"
      "0.5,0.02,c,2\n0.4,0.01,c,5\n";
  for (const auto& mods :
       {std::vector<std::string>{"arm - 1"}, std::vector<std::string>{"~ 0 + arm"},
        std::vector<std::string>{"arm", "-1"}}) {
    const auto md = build(kCells, mods);
    EXPECT_EQ(names(md.design), (std::vector<std::string>{"arma", "armb", "armc"}));
    EXPECT_FALSE(md.design.view().has_intercept());
  }
  // Only the first factor gets every level; the one after it keeps treatment coding.
  const auto two = build(kCells, {"dose + arm - 1"});
  EXPECT_EQ(names(two.design), (std::vector<std::string>{"dose", "arma", "armb", "armc"}));
  EXPECT_TRUE(build(kCells, {"arm"}).design.view().has_intercept());
  EXPECT_THROW((void)build(kCells, {"- 1"}), InputError);
}

TEST(Design, RedundantColumnsAreDropped) {
  // In kData arms b and c never occur with site y: both interaction columns are all zeros.
  const auto md = build(kData, {"arm*site"});
  const auto n = names(md.design);
  EXPECT_EQ(std::count(n.begin(), n.end(), "armc:sitey"), 0);
  const bool dropped = std::any_of(
      md.data.diagnostics.begin(), md.data.diagnostics.end(),
      [](const auto& d) { return d.code == evident::DiagnosticCode::moderator_dropped; });
  EXPECT_TRUE(dropped);
  // A constant column is a multiple of the intercept.
  const auto c = build("yi,vi,z\n1,1,5\n2,1,5\n3,1,5\n", {"z"});
  EXPECT_EQ(c.design.p(), 1u);
}

TEST(Design, RowEncodesAPoint) {
  const auto md = build(kData, {"dose*arm"});
  const auto row = md.design.row({{"dose", "40"}, {"arm", "c"}}, "--predict");
  EXPECT_EQ(row, (std::vector<double>{1, 40, 0, 1, 0, 40}));
  EXPECT_THROW((void)md.design.row({{"dose", "40"}}, "--predict"), InputError);
  EXPECT_THROW((void)md.design.row({{"dose", "40"}, {"arm", "z"}}, "--predict"), InputError);
  EXPECT_THROW((void)md.design.row({{"dose", "x"}, {"arm", "a"}}, "--predict"), InputError);
  EXPECT_THROW((void)md.design.row({{"dose", "1"}, {"arm", "a"}, {"foo", "1"}}, "--predict"),
               InputError);
}

TEST(Design, ErrorsNameTheProblem) {
  try {
    (void)build(kData, {"dos"});
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean 'dose'"), std::string::npos) << e.what();
  }
  EXPECT_THROW((void)build(kData, {"arm"}, {{"arm", "q"}}), InputError);
  EXPECT_THROW((void)build(kData, {"dose"}, {{"dose", "10"}}), InputError);
  EXPECT_THROW((void)build(kData, {""}), InputError);
  EXPECT_THROW((void)build(kData, {"arm:arm"}), InputError);
  EXPECT_THROW((void)build(kData, {"note"}), InputError);  // no study has a value
}

// ---- permutation test --------------------------------------------------------------------------

struct Small {
  std::vector<double> y{0.1, 0.45, -0.05, 0.6, 0.3, 0.2, 0.5, 0.15};
  std::vector<double> v{0.02, 0.03, 0.015, 0.05, 0.01, 0.04, 0.02, 0.03};
};

TEST(Permutation, ExactEnumeratesEveryDistinctArrangement) {
  Small s;
  // A binary moderator with three 1s among 8 rows: C(8, 3) = 56 distinct arrangements.
  std::vector<double> x;
  for (int i = 0; i < 8; ++i) {
    x.push_back(1.0);
    x.push_back(i < 3 ? 1.0 : 0.0);
  }
  evident::FitOptions o;
  o.method = evident::Method::DL;
  const auto fit = evident::fit_metareg(s.y, s.v, {x, 2}, o);
  evident::PermutationOptions po;
  po.iterations = 100;
  const auto t = evident::permutation_test(s.y, s.v, {x, 2}, fit, o, po);
  EXPECT_TRUE(t.exact);
  EXPECT_EQ(t.iterations, 56u);
  // Each arrangement counts 1/56; the observed one is among them.
  EXPECT_GE(t.QM_p, 1.0 / 56.0);
  EXPECT_NEAR(t.QM_p * 56.0, std::round(t.QM_p * 56.0), 1e-9);
  po.iterations = 40;  // fewer than 56: random permutations, deterministic for a seed
  const auto r1 = evident::permutation_test(s.y, s.v, {x, 2}, fit, o, po);
  const auto r2 = evident::permutation_test(s.y, s.v, {x, 2}, fit, o, po);
  EXPECT_FALSE(r1.exact);
  EXPECT_EQ(r1.iterations, 40u);
  EXPECT_EQ(r1.QM_p, r2.QM_p);
  EXPECT_EQ(r1.pval, r2.pval);
}

TEST(Permutation, InterceptOnlyFlipsSigns) {
  Small s;
  std::vector<double> ones(8, 1.0);
  evident::FitOptions o;
  const auto fit = evident::fit_metareg(s.y, s.v, {ones, 1}, o);
  evident::PermutationOptions po;
  po.iterations = 256;
  const auto t = evident::permutation_test(s.y, s.v, {ones, 1}, fit, o, po);
  EXPECT_TRUE(t.exact);
  EXPECT_EQ(t.iterations, 256u);
  // Every effect is flipped in one of the 2^8 arrangements; all positive is the most extreme
  // apart from its mirror image, so p is small.
  EXPECT_LE(t.pval[0], 0.05);
}

// ---- subgroups ----------------------------------------------------------------------------------

TEST(Subgroups, CommonTau2WithFixedEffectsEqualsSeparateQBetween) {
  // With the common-effect model both tests are Cochran's Q between subgroup estimates.
  const auto t = table(kData);
  evident::AnalysisSpec spec;
  spec.fit.method = evident::Method::FE;
  const auto sep = evident::analyse_subgroups(t, spec, "arm", evident::SubgroupTau2::separate);
  const auto com = evident::analyse_subgroups(t, spec, "arm", evident::SubgroupTau2::common);
  ASSERT_EQ(sep.subgroups.size(), 3u);
  EXPECT_NEAR(sep.test.Q, com.test.Q, 1e-10 * sep.test.Q);
  EXPECT_EQ(sep.test.df, 2.0);
  for (std::size_t g = 0; g < 3; ++g) {
    EXPECT_NEAR(sep.subgroups[g].estimate, com.subgroups[g].estimate, 1e-12);
  }
  // Studies without a subgroup value are left out of the subgroups, not of the overall result.
  const auto site = evident::analyse_subgroups(t, spec, "site", evident::SubgroupTau2::separate);
  EXPECT_EQ(site.overall.fit.k, 7u);
  std::size_t in_groups = 0;
  for (const auto& g : site.subgroups)
    in_groups += g.k;
  EXPECT_EQ(in_groups, 6u);
}

}  // namespace
