// Effect sizes and sampling variances (evident::compute_effects) against escalc's definitions,
// written out here by hand, plus a few values printed by metafor 3.8 itself as anchors.

#include "evident/effect/effect.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "evident/io/csv.hpp"
#include "evident/io/error.hpp"

namespace {

using evident::Measure;
using evident::ZeroCellRule;

constexpr const char* kSource = "data.csv";

evident::StudyTable table(std::string_view csv) {
  std::istringstream in{std::string(csv)};
  return evident::read_csv(in, kSource);
}

evident::EffectData effects(std::string_view csv, Measure measure,
                            std::optional<double> add = std::nullopt,
                            ZeroCellRule to = ZeroCellRule::only0) {
  evident::EffectOptions options;
  options.measure = measure;
  options.add = add.value_or(evident::default_add(measure));
  options.to = to;
  return evident::compute_effects(table(csv), options);
}

// The problems compute_effects reports; a test failure if it does not throw.
std::vector<evident::InputProblem> problems_of(std::string_view csv, Measure measure,
                                               std::optional<double> add = std::nullopt,
                                               ZeroCellRule to = ZeroCellRule::only0) {
  try {
    (void)effects(csv, measure, add, to);
  } catch (const evident::InputError& e) {
    return e.problems();
  }
  ADD_FAILURE() << "compute_effects accepted input it should reject:\n" << csv;
  return {};
}

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

// Same formula, possibly a different order of operations: agree to a few ulps.
void expect_close(double got, double want, const char* what = "") {
  EXPECT_NEAR(got, want, 1e-13 * std::max(1.0, std::fabs(want))) << what;
}

// Expects exactly one problem at (line, column) whose message contains `text`.
void expect_problem(const std::vector<evident::InputProblem>& p, std::size_t line,
                    std::size_t column, std::string_view text) {
  ASSERT_EQ(p.size(), 1u) << (p.empty() ? std::string("none") : p[0].format());
  EXPECT_EQ(p[0].where.file, kSource);
  EXPECT_EQ(p[0].where.line, line) << p[0].format();
  EXPECT_EQ(p[0].where.column, column) << p[0].format();
  EXPECT_TRUE(contains(p[0].message, text)) << p[0].message;
}

// ---- two-group means ---------------------------------------------------------------------------

constexpr std::string_view kMeans =
    "study,m1i,sd1i,n1i,m2i,sd2i,n2i\n"
    "A,10,2,20,8,3,25\n"
    "B,5.5,1.2,6,6.1,1.5,5\n";

struct Means {
  double m1, sd1, n1, m2, sd2, n2;
};
constexpr Means kA{10, 2, 20, 8, 3, 25};
constexpr Means kB{5.5, 1.2, 6, 6.1, 1.5, 5};

TEST(EffectMeans, MeanDifference) {
  const auto d = effects(kMeans, Measure::MD);
  ASSERT_EQ(d.k(), 2u);
  EXPECT_EQ(d.measure, Measure::MD);
  for (std::size_t i = 0; i < 2; ++i) {
    const Means s = i == 0 ? kA : kB;
    expect_close(d.yi[i], s.m1 - s.m2, "yi");
    expect_close(d.vi[i], s.sd1 * s.sd1 / s.n1 + s.sd2 * s.sd2 / s.n2, "vi");
    EXPECT_EQ(d.ni[i], s.n1 + s.n2);
  }
  EXPECT_EQ(d.labels, (std::vector<std::string>{"A", "B"}));
  EXPECT_EQ(d.lines, (std::vector<std::size_t>{2, 3}));
  EXPECT_TRUE(d.diagnostics.empty());
}

TEST(EffectMeans, StandardisedMeanDifferenceWithExactHedgesCorrection) {
  const auto d = effects(kMeans, Measure::SMD);
  ASSERT_EQ(d.k(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    const Means s = i == 0 ? kA : kB;
    const double m = s.n1 + s.n2 - 2;
    const double c =
        std::exp(std::lgamma(m / 2) - std::log(std::sqrt(m / 2)) - std::lgamma((m - 1) / 2));
    const double sp = std::sqrt(((s.n1 - 1) * s.sd1 * s.sd1 + (s.n2 - 1) * s.sd2 * s.sd2) / m);
    const double g = c * (s.m1 - s.m2) / sp;
    expect_close(d.yi[i], g, "yi");
    expect_close(d.vi[i], 1 / s.n1 + 1 / s.n2 + g * g / (2 * (s.n1 + s.n2)), "vi");
    // The exact correction is close to the usual approximation 1 - 3 / (4m - 1).
    EXPECT_NEAR(c, 1 - 3 / (4 * m - 1), 2e-3);
  }
  // escalc("SMD", ...) in metafor 3.8.1.
  EXPECT_NEAR(d.yi[0], 0.75401220027232718, 1e-12);
  EXPECT_NEAR(d.vi[0], 0.096317048868439059, 1e-12);
  EXPECT_NEAR(d.yi[1], -0.40869727619568214, 1e-12);
  EXPECT_NEAR(d.vi[1], 0.37425909682892894, 1e-12);
}

TEST(EffectMeans, LogRatioOfMeans) {
  const auto d = effects(kMeans, Measure::ROM);
  ASSERT_EQ(d.k(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    const Means s = i == 0 ? kA : kB;
    expect_close(d.yi[i], std::log(s.m1 / s.m2), "yi");
    expect_close(d.vi[i],
                 s.sd1 * s.sd1 / (s.n1 * s.m1 * s.m1) + s.sd2 * s.sd2 / (s.n2 * s.m2 * s.m2), "vi");
  }
}

// ---- 2x2 tables --------------------------------------------------------------------------------

// Study B has a zero cell.
constexpr std::string_view kTables =
    "study,ai,bi,ci,di\n"
    "A,2,18,5,15\n"
    "B,0,20,3,17\n"
    "C,4,16,6,14\n";
constexpr std::string_view kTablesTotals =
    "study,ai,n1i,ci,n2i\n"
    "A,2,20,5,20\n"
    "B,0,20,3,20\n"
    "C,4,20,6,20\n";
constexpr std::string_view kTablesNoZero =
    "study,ai,bi,ci,di\n"
    "A,2,18,5,15\n"
    "C,4,16,6,14\n";

struct Cells {
  double a, b, c, d;
};

Cells plus(Cells t, double add) {
  return {t.a + add, t.b + add, t.c + add, t.d + add};
}

double log_or(Cells t) {
  return std::log((t.a / (t.a + t.b)) / (1 - t.a / (t.a + t.b))) -
         std::log((t.c / (t.c + t.d)) / (1 - t.c / (t.c + t.d)));
}
double var_log_or(Cells t) {
  return 1 / t.a + 1 / t.b + 1 / t.c + 1 / t.d;
}
double log_rr(Cells t) {
  return std::log(t.a / (t.a + t.b)) - std::log(t.c / (t.c + t.d));
}
double var_log_rr(Cells t) {
  return 1 / t.a - 1 / (t.a + t.b) + 1 / t.c - 1 / (t.c + t.d);
}
double rd(Cells t) {
  return t.a / (t.a + t.b) - t.c / (t.c + t.d);
}
double var_rd(Cells t) {
  const double n1 = t.a + t.b, n2 = t.c + t.d, p1 = t.a / n1, p2 = t.c / n2;
  return p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2;
}

constexpr Cells kTA{2, 18, 5, 15}, kTB{0, 20, 3, 17}, kTC{4, 16, 6, 14};

TEST(EffectTwoByTwo, OddsRatioAddsHalfToEveryCellOfAZeroCellStudyOnly) {
  const auto d = effects(kTables, Measure::OR);
  ASSERT_EQ(d.k(), 3u);
  expect_close(d.yi[0], log_or(kTA));
  expect_close(d.vi[0], var_log_or(kTA));
  expect_close(d.yi[1], log_or(plus(kTB, 0.5)));
  expect_close(d.vi[1], var_log_or(plus(kTB, 0.5)));
  expect_close(d.yi[2], log_or(kTC));
  expect_close(d.vi[2], var_log_or(kTC));
  // ni is the table's own total, before any correction.
  EXPECT_EQ(d.ni[1], 40.0);
  // escalc("OR", ...) in metafor 3.8.1.
  EXPECT_NEAR(d.yi[1], -2.1041341542702074, 1e-12);
  EXPECT_NEAR(d.vi[1], 2.3916376306620206, 1e-12);

  ASSERT_EQ(d.diagnostics.size(), 1u);
  EXPECT_EQ(d.diagnostics[0].code, evident::DiagnosticCode::zero_cell_corrected);
  EXPECT_EQ(d.diagnostics[0].study, "B");
  EXPECT_TRUE(contains(d.diagnostics[0].message, "data.csv:3")) << d.diagnostics[0].message;
}

TEST(EffectTwoByTwo, RiskRatioAndRiskDifference) {
  const auto rr = effects(kTables, Measure::RR);
  const auto rdiff = effects(kTables, Measure::RD);
  ASSERT_EQ(rr.k(), 3u);
  ASSERT_EQ(rdiff.k(), 3u);
  const Cells used[] = {kTA, plus(kTB, 0.5), kTC};
  for (std::size_t i = 0; i < 3; ++i) {
    expect_close(rr.yi[i], log_rr(used[i]), "RR yi");
    expect_close(rr.vi[i], var_log_rr(used[i]), "RR vi");
    expect_close(rdiff.yi[i], rd(used[i]), "RD yi");
    expect_close(rdiff.vi[i], var_rd(used[i]), "RD vi");
  }
}

TEST(EffectTwoByTwo, TotalsShapeGivesTheSameResult) {
  for (Measure m : {Measure::OR, Measure::RR, Measure::RD}) {
    const auto cells = effects(kTables, m);
    const auto totals = effects(kTablesTotals, m);
    EXPECT_EQ(cells.yi, totals.yi);
    EXPECT_EQ(cells.vi, totals.vi);
    EXPECT_EQ(cells.ni, totals.ni);
    EXPECT_EQ(cells.labels, totals.labels);
  }
}

TEST(EffectTwoByTwo, CustomAddOnlyForZeroCellStudies) {
  const auto d = effects(kTables, Measure::OR, 1.0);
  ASSERT_EQ(d.k(), 3u);
  expect_close(d.yi[0], log_or(kTA));
  expect_close(d.yi[1], log_or(plus(kTB, 1.0)));
  expect_close(d.vi[1], var_log_or(plus(kTB, 1.0)));
  ASSERT_EQ(d.diagnostics.size(), 1u);
  EXPECT_TRUE(contains(d.diagnostics[0].message, "1 added")) << d.diagnostics[0].message;
}

TEST(EffectTwoByTwo, ToAllCorrectsEveryStudy) {
  const auto d = effects(kTablesNoZero, Measure::OR, 0.5, ZeroCellRule::all);
  ASSERT_EQ(d.k(), 2u);
  expect_close(d.yi[0], log_or(plus(kTA, 0.5)));
  expect_close(d.vi[0], var_log_or(plus(kTA, 0.5)));
  expect_close(d.yi[1], log_or(plus(kTC, 0.5)));
  // One diagnostic about the whole analysis, not one per study.
  ASSERT_EQ(d.diagnostics.size(), 1u);
  EXPECT_EQ(d.diagnostics[0].code, evident::DiagnosticCode::zero_cell_corrected);
  EXPECT_TRUE(d.diagnostics[0].study.empty());
}

TEST(EffectTwoByTwo, If0AllCorrectsEveryStudyWhenAnyHasAZero) {
  const auto with_zero = effects(kTables, Measure::OR, 0.5, ZeroCellRule::if0all);
  ASSERT_EQ(with_zero.k(), 3u);
  expect_close(with_zero.yi[0], log_or(plus(kTA, 0.5)));
  expect_close(with_zero.yi[1], log_or(plus(kTB, 0.5)));
  expect_close(with_zero.yi[2], log_or(plus(kTC, 0.5)));
  EXPECT_EQ(with_zero.diagnostics.size(), 1u);

  const auto without = effects(kTablesNoZero, Measure::OR, 0.5, ZeroCellRule::if0all);
  ASSERT_EQ(without.k(), 2u);
  expect_close(without.yi[0], log_or(kTA));
  expect_close(without.yi[1], log_or(kTC));
  EXPECT_TRUE(without.diagnostics.empty());
}

TEST(EffectTwoByTwo, ToNoneLeavesZeroCells) {
  // RD is defined with a zero cell; the table is used as it is.
  const auto d = effects(kTables, Measure::RD, 0.5, ZeroCellRule::none);
  ASSERT_EQ(d.k(), 3u);
  expect_close(d.yi[1], rd(kTB));
  expect_close(d.vi[1], var_rd(kTB));
  EXPECT_TRUE(d.diagnostics.empty());
}

TEST(EffectTwoByTwo, ToNoneWithAZeroCellOddsRatioIsAnError) {
  const auto p = problems_of(kTables, Measure::OR, 0.5, ZeroCellRule::none);
  expect_problem(p, 3, 2, "cannot be computed");
}

TEST(EffectTwoByTwo, AddZeroMeansNoCorrection) {
  const auto d = effects(kTables, Measure::RD, 0.0);
  ASSERT_EQ(d.k(), 3u);
  expect_close(d.yi[1], rd(kTB));
  EXPECT_TRUE(d.diagnostics.empty());
}

// ---- proportions -------------------------------------------------------------------------------

constexpr std::string_view kProportions =
    "study,xi,ni\n"
    "A,3,20\n"
    "B,0,10\n";

TEST(EffectProportions, RawProportionWithHalfAddedToZeroEvents) {
  const auto d = effects(kProportions, Measure::PR);
  ASSERT_EQ(d.k(), 2u);
  expect_close(d.yi[0], 3.0 / 20);
  expect_close(d.vi[0], (3.0 / 20) * (17.0 / 20) / 20);
  const double p = 0.5 / 11;  // 0.5 events of 11 after the correction
  expect_close(d.yi[1], p);
  expect_close(d.vi[1], p * (1 - p) / 11);
  EXPECT_EQ(d.ni[1], 10.0);
  // escalc("PR", ...) in metafor 3.8.1.
  EXPECT_NEAR(d.vi[1], 0.0039444027047332835, 1e-15);
  ASSERT_EQ(d.diagnostics.size(), 1u);
  EXPECT_EQ(d.diagnostics[0].code, evident::DiagnosticCode::zero_cell_corrected);
  EXPECT_EQ(d.diagnostics[0].study, "B");
}

TEST(EffectProportions, LogitProportion) {
  const auto d = effects(kProportions, Measure::PLO);
  ASSERT_EQ(d.k(), 2u);
  expect_close(d.yi[0], std::log(3.0 / 17));
  expect_close(d.vi[0], 1.0 / 3 + 1.0 / 17);
  expect_close(d.yi[1], std::log(0.5 / 10.5));
  expect_close(d.vi[1], 1 / 0.5 + 1 / 10.5);
}

TEST(EffectProportions, ArcsineNeedsNoCorrection) {
  EXPECT_EQ(evident::default_add(Measure::PAS), 0.0);
  const auto d = effects(kProportions, Measure::PAS);
  ASSERT_EQ(d.k(), 2u);
  expect_close(d.yi[0], std::asin(std::sqrt(3.0 / 20)));
  expect_close(d.vi[0], 1.0 / (4 * 20));
  expect_close(d.yi[1], 0.0);
  expect_close(d.vi[1], 1.0 / (4 * 10));
  EXPECT_TRUE(d.diagnostics.empty());
}

TEST(EffectProportions, FreemanTukeyNeedsNoCorrection) {
  EXPECT_EQ(evident::default_add(Measure::PFT), 0.0);
  const auto d = effects(kProportions, Measure::PFT);
  ASSERT_EQ(d.k(), 2u);
  auto pft = [](double x, double n) {
    return 0.5 * (std::asin(std::sqrt(x / (n + 1))) + std::asin(std::sqrt((x + 1) / (n + 1))));
  };
  expect_close(d.yi[0], pft(3, 20));
  expect_close(d.vi[0], 1.0 / (4 * 20 + 2));
  expect_close(d.yi[1], pft(0, 10));
  expect_close(d.vi[1], 1.0 / (4 * 10 + 2));
  // escalc("PFT", ...) in metafor 3.8.1.
  EXPECT_NEAR(d.yi[1], 0.15313868458483473, 1e-14);
  EXPECT_TRUE(d.diagnostics.empty());
}

TEST(EffectProportions, DefaultAddIsHalfElsewhere) {
  for (Measure m : {Measure::OR, Measure::RR, Measure::RD, Measure::PR, Measure::PLO}) {
    EXPECT_EQ(evident::default_add(m), 0.5);
  }
}

TEST(EffectProportions, NonEventsColumnGivesTheSameResult) {
  const auto n = effects(kProportions, Measure::PLO);
  const auto m = effects("study,xi,mi\nA,3,17\nB,0,10\n", Measure::PLO);
  EXPECT_EQ(n.yi, m.yi);
  EXPECT_EQ(n.vi, m.vi);
}

// ---- correlations ------------------------------------------------------------------------------

constexpr std::string_view kCorrelations =
    "study,ri,ni\n"
    "A,0.3,50\n"
    "B,-0.5,4\n";

TEST(EffectCorrelations, RawCorrelation) {
  const auto d = effects(kCorrelations, Measure::COR);
  ASSERT_EQ(d.k(), 2u);
  expect_close(d.yi[0], 0.3);
  expect_close(d.vi[0], (1 - 0.09) * (1 - 0.09) / 49);
  expect_close(d.yi[1], -0.5);
  expect_close(d.vi[1], (1 - 0.25) * (1 - 0.25) / 3);
  EXPECT_EQ(d.ni[0], 50.0);
}

TEST(EffectCorrelations, FisherZ) {
  const auto d = effects(kCorrelations, Measure::ZCOR);
  ASSERT_EQ(d.k(), 2u);
  expect_close(d.yi[0], 0.5 * std::log(1.3 / 0.7));
  expect_close(d.vi[0], 1.0 / 47);
  expect_close(d.yi[1], std::atanh(-0.5));
  expect_close(d.vi[1], 1.0);  // n = 4 is the smallest allowed
  // escalc("ZCOR", ...) in metafor 3.8.1.
  EXPECT_NEAR(d.yi[0], 0.30951960420311181, 1e-14);
}

// ---- generic effect sizes ----------------------------------------------------------------------

TEST(EffectGeneric, YiAndVi) {
  const auto d = effects("yi,vi\n0.5,0.1\n-0.2,0.04\n", Measure::GEN);
  ASSERT_EQ(d.k(), 2u);
  EXPECT_EQ(d.yi, (std::vector<double>{0.5, -0.2}));
  EXPECT_EQ(d.vi, (std::vector<double>{0.1, 0.04}));
  EXPECT_TRUE(std::isnan(d.ni[0]));
  // Without a study column rows are numbered.
  EXPECT_EQ(d.labels, (std::vector<std::string>{"1", "2"}));
}

TEST(EffectGeneric, YiAndSei) {
  const auto d = effects("yi,sei\n0.5,0.3\n-0.2,0.2\n", Measure::GEN);
  ASSERT_EQ(d.k(), 2u);
  expect_close(d.vi[0], 0.09);
  expect_close(d.vi[1], 0.04);
}

TEST(EffectGeneric, ViIsPreferredOverSeiAndSeiFillsEmptyVi) {
  const auto d = effects(
      "study,yi,vi,sei\n"
      "A,0.5,0.1,0.9\n"  // both: vi wins
      "B,0.2,,0.3\n"     // vi empty: sei^2
      "C,0.1,NA,0.5\n",  // vi NA: sei^2
      Measure::GEN);
  ASSERT_EQ(d.k(), 3u);
  expect_close(d.vi[0], 0.1);
  expect_close(d.vi[1], 0.09);
  expect_close(d.vi[2], 0.25);
  EXPECT_TRUE(d.diagnostics.empty());
}

// ---- missing values ----------------------------------------------------------------------------

TEST(EffectMissing, RowWithAnEmptyCellIsLeftOutWithADiagnostic) {
  const auto d = effects(
      "study,m1i,sd1i,n1i,m2i,sd2i,n2i\n"
      "A,10,2,20,8,3,25\n"
      "B,10,,20,8,3,25\n"
      "C,10,2,20,8,NA,25\n"
      "D,9,2,20,8,3,25\n",
      Measure::MD);
  ASSERT_EQ(d.k(), 2u);
  EXPECT_EQ(d.labels, (std::vector<std::string>{"A", "D"}));
  EXPECT_EQ(d.lines, (std::vector<std::size_t>{2, 5}));
  ASSERT_EQ(d.diagnostics.size(), 2u);
  EXPECT_EQ(d.diagnostics[0].code, evident::DiagnosticCode::row_excluded_missing);
  EXPECT_EQ(d.diagnostics[0].study, "B");
  EXPECT_TRUE(contains(d.diagnostics[0].message, "data.csv:3")) << d.diagnostics[0].message;
  EXPECT_TRUE(contains(d.diagnostics[0].message, "sd1i")) << d.diagnostics[0].message;
  EXPECT_EQ(d.diagnostics[1].study, "C");
  EXPECT_TRUE(contains(d.diagnostics[1].message, "data.csv:4")) << d.diagnostics[1].message;
  EXPECT_TRUE(contains(d.diagnostics[1].message, "sd2i")) << d.diagnostics[1].message;
}

TEST(EffectMissing, TwoByTwoAndGenericRowsLeftOut) {
  const auto t = effects("study,ai,bi,ci,di\nA,2,18,5,15\nB,NA,20,3,17\n", Measure::OR);
  ASSERT_EQ(t.k(), 1u);
  ASSERT_EQ(t.diagnostics.size(), 1u);
  EXPECT_EQ(t.diagnostics[0].code, evident::DiagnosticCode::row_excluded_missing);
  EXPECT_EQ(t.diagnostics[0].study, "B");

  const auto g = effects("study,yi,vi\nA,,0.1\nB,0.3,0.1\n", Measure::GEN);
  ASSERT_EQ(g.k(), 1u);
  ASSERT_EQ(g.diagnostics.size(), 1u);
  EXPECT_EQ(g.diagnostics[0].study, "A");
  EXPECT_TRUE(contains(g.diagnostics[0].message, "yi")) << g.diagnostics[0].message;
}

TEST(EffectMissing, ColumnsTheMeasureDoesNotNeedMayBeEmpty) {
  const auto d = effects("study,yi,vi,note\nA,0.5,0.1,\nB,0.2,0.1,NA\n", Measure::GEN);
  EXPECT_EQ(d.k(), 2u);
  EXPECT_TRUE(d.diagnostics.empty());
}

TEST(EffectMissing, RowsWithoutAStudyLabelAreNumbered) {
  const auto d = effects("study,yi,vi\nA,0.5,0.1\n,0.2,0.1\nC,0.1,0.1\n,NA,0.1\n", Measure::GEN);
  ASSERT_EQ(d.k(), 3u);
  EXPECT_EQ(d.labels, (std::vector<std::string>{"A", "2", "C"}));
  ASSERT_EQ(d.diagnostics.size(), 1u);
  EXPECT_EQ(d.diagnostics[0].study, "4");
}

// ---- errors ------------------------------------------------------------------------------------

TEST(EffectErrors, MissingRequiredColumn) {
  const auto p = problems_of("study,m1i,sd1i,n1i,m2i,n2i\nA,10,2,20,8,25\n", Measure::SMD);
  expect_problem(p, 1, 0, "'sd2i'");
  EXPECT_TRUE(contains(p[0].message, "SMD")) << p[0].message;
}

TEST(EffectErrors, MissingColumnSuggestsTheLikelyTypo) {
  const auto p = problems_of("m1i,sd1,n1i,m2i,sd2i,n2i\n10,2,20,8,3,25\n", Measure::MD);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_TRUE(contains(p[0].message, "there is a column 'sd1'")) << p[0].message;
}

// A column the measure already uses (sd2i) is not a rename candidate for another (sd1i), whatever
// the column order.
TEST(EffectErrors, SuggestionIgnoresColumnsTheMeasureAlreadyUses) {
  const auto p = problems_of("m1i,m2i,sd2i,sd1,n1i,n2i\n10,8,3,2,20,25\n", Measure::MD);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_TRUE(contains(p[0].message, "there is a column 'sd1'")) << p[0].message;
  EXPECT_FALSE(contains(p[0].message, "column 'sd2i'")) << p[0].message;
}

TEST(EffectErrors, TwoByTwoNeedsNonEventsOrTotals) {
  const auto p = problems_of("ai,ci,di\n1,2,3\n", Measure::OR);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_TRUE(contains(p[0].message, "'bi' or 'n1i'")) << p[0].message;
}

TEST(EffectErrors, GenericNeedsViOrSei) {
  const auto p = problems_of("yi,se\n1,2\n", Measure::GEN);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_TRUE(contains(p[0].message, "'vi' or 'sei'")) << p[0].message;
}

TEST(EffectErrors, TextWhereANumberBelongs) {
  const auto p = problems_of(
      "study,m1i,sd1i,n1i,m2i,sd2i,n2i\nA,10,2,20,8,3,25\nB,10,2,twenty,8,3,25\n", Measure::MD);
  expect_problem(p, 3, 4, "'twenty' is not a number");
  EXPECT_TRUE(contains(p[0].message, "n1i")) << p[0].message;
}

TEST(EffectErrors, NegativeStandardDeviation) {
  const auto p = problems_of("m1i,sd1i,n1i,m2i,sd2i,n2i\n10,2,20,8,-3,25\n", Measure::SMD);
  expect_problem(p, 2, 5, "standard deviation cannot be negative");
}

TEST(EffectErrors, GroupOfFewerThanTwo) {
  const auto p = problems_of("m1i,sd1i,n1i,m2i,sd2i,n2i\n10,2,20,8,3,1\n", Measure::MD);
  expect_problem(p, 2, 6, "at least 2");
}

TEST(EffectErrors, NegativeCount) {
  const auto p = problems_of("ai,bi,ci,di\n2,-18,5,15\n", Measure::OR);
  expect_problem(p, 2, 2, "count cannot be negative");
}

TEST(EffectErrors, MoreEventsThanParticipants) {
  const auto t = problems_of("ai,n1i,ci,n2i\n2,20,25,20\n", Measure::RR);
  expect_problem(t, 2, 3, "more events");
  const auto p = problems_of("study,xi,ni\nA,12,10\n", Measure::PR);
  expect_problem(p, 2, 2, "more events");
}

TEST(EffectErrors, NegativeProportionCount) {
  const auto p = problems_of("xi,ni\n-1,10\n", Measure::PLO);
  expect_problem(p, 2, 1, "count cannot be negative");
}

TEST(EffectErrors, CorrelationOutsideOpenUnitInterval) {
  for (const char* r : {"1", "-1", "1.2"}) {
    const auto p = problems_of(std::string("ri,ni\n") + r + ",30\n", Measure::COR);
    expect_problem(p, 2, 1, "between -1 and 1");
  }
}

TEST(EffectErrors, FisherZNeedsMoreThanThree) {
  const auto p = problems_of("study,ri,ni\nA,0.3,3\n", Measure::ZCOR);
  expect_problem(p, 2, 3, "ni >= 4");
  EXPECT_EQ(effects("ri,ni\n0.3,3\n", Measure::COR).k(), 1u);  // COR is defined at n = 3
}

TEST(EffectErrors, NegativeOrZeroVariance) {
  expect_problem(problems_of("yi,vi\n0.5,-0.1\n", Measure::GEN), 2, 2, "cannot be negative");
  expect_problem(problems_of("yi,vi\n0.5,0\n", Measure::GEN), 2, 2, "must be positive");
}

TEST(EffectErrors, NegativeStandardError) {
  expect_problem(problems_of("yi,sei\n0.5,-0.1\n", Measure::GEN), 2, 2,
                 "standard error cannot be negative");
}

TEST(EffectErrors, RatioOfMeansNeedsPositiveMeans) {
  expect_problem(problems_of("m1i,sd1i,n1i,m2i,sd2i,n2i\n10,2,20,0,3,25\n", Measure::ROM), 2, 4,
                 "positive means");
  expect_problem(problems_of("m1i,sd1i,n1i,m2i,sd2i,n2i\n-1,2,20,8,3,25\n", Measure::ROM), 2, 1,
                 "positive means");
}

TEST(EffectErrors, EveryBadRowIsReported) {
  const auto p = problems_of("yi,vi\nx,0.1\n0.2,-1\n0.3,0.1\n0.4,y\n", Measure::GEN);
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[0].where.line, 2u);
  EXPECT_EQ(p[1].where.line, 3u);
  EXPECT_EQ(p[2].where.line, 5u);
  EXPECT_EQ(p[2].where.column, 2u);
}

TEST(EffectErrors, NoUsableRow) {
  const auto p = problems_of("study,yi,vi\nA,NA,0.1\nB,0.2,\n", Measure::GEN);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].where.file, kSource);
  EXPECT_EQ(p[0].where.line, 0u);
  EXPECT_TRUE(contains(p[0].message, "no usable study")) << p[0].message;
}

TEST(EffectErrors, HeaderOnly) {
  const auto p = problems_of("study,ai,bi,ci,di\n", Measure::OR);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_TRUE(contains(p[0].message, "no data rows")) << p[0].message;
}

TEST(EffectErrors, RawDataWithoutMeasureNamesTheMeasures) {
  struct Case {
    const char* csv;
    const char* hint;
  };
  const Case cases[] = {
      {"m1i,sd1i,n1i,m2i,sd2i,n2i\n10,2,20,8,3,25\n", "MD, SMD or ROM"},
      {"ai,bi,ci,di\n1,2,3,4\n", "OR, RR or RD"},
      {"ai,n1i,ci,n2i\n1,2,3,4\n", "OR, RR or RD"},
      {"xi,ni\n1,10\n", "PR, PLO, PAS or PFT"},
      {"ri,ni\n0.2,10\n", "COR or ZCOR"},
  };
  for (const auto& c : cases) {
    const auto p = problems_of(c.csv, Measure::GEN);
    ASSERT_EQ(p.size(), 1u) << c.csv;
    EXPECT_TRUE(contains(p[0].message, "--measure")) << p[0].message;
    EXPECT_TRUE(contains(p[0].message, c.hint)) << p[0].message;
  }
}

}  // namespace
