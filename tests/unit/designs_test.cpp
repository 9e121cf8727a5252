// Sparse tables, incidence rates, paired designs, conversions and multi-arm trials: properties
// that hold whatever the data (a table pooled alone is that table's own estimate; combining two
// arms equals summarising the pooled raw data; order does not matter), and every input problem
// and diagnostic. Numbers against metafor are in tests/reference (generate_designs.R).

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "evident/evident.hpp"

namespace {

using evident::DiagnosticCode;
using evident::Measure;

constexpr const char* kSource = "d.csv";

evident::StudyTable table(std::string_view csv) {
  std::istringstream in{std::string(csv)};
  return evident::read_csv(in, kSource);
}

evident::EffectData effects(std::string_view csv, Measure measure, bool drop00 = false,
                            evident::MultiArm multiarm = evident::MultiArm::automatic) {
  evident::EffectOptions o;
  o.measure = measure;
  o.add = evident::default_add(measure);
  o.drop00 = drop00;
  o.multiarm = multiarm;
  return evident::compute_effects(table(csv), o);
}

std::vector<evident::InputProblem> problems(std::string_view csv, Measure measure) {
  try {
    (void)effects(csv, measure);
  } catch (const evident::InputError& e) {
    return e.problems();
  }
  ADD_FAILURE() << "accepted input it should reject:\n" << csv;
  return {};
}

bool contains(const std::string& s, std::string_view part) {
  return s.find(part) != std::string::npos;
}

std::size_t count_code(const evident::EffectData& d, DiagnosticCode code) {
  return static_cast<std::size_t>(std::count_if(d.diagnostics.begin(), d.diagnostics.end(),
                                                [&](const auto& x) { return x.code == code; }));
}

void expect_rel(double got, double want, double rel = 1e-12) {
  EXPECT_NEAR(got, want, rel * std::max(1.0, std::fabs(want)));
}

// ---- conversions -------------------------------------------------------------------------------

TEST(ConvertArms, CombiningTwoArmsEqualsSummarisingTheirPooledData) {
  std::mt19937 rng(7);
  std::normal_distribution<double> value(50.0, 12.0);
  for (int rep = 0; rep < 50; ++rep) {
    std::vector<double> a(5 + rep % 17), b(3 + rep % 11);
    for (double& x : a)
      x = value(rng);
    for (double& x : b)
      x = value(rng) + 4.0;
    auto summary = [](const std::vector<double>& x) {
      const double n = static_cast<double>(x.size());
      const double m = std::accumulate(x.begin(), x.end(), 0.0) / n;
      double ss = 0.0;
      for (double v : x)
        ss += (v - m) * (v - m);
      return evident::ArmSummary{n, m, std::sqrt(ss / (n - 1.0))};
    };
    std::vector<double> all = a;
    all.insert(all.end(), b.begin(), b.end());
    const auto c = evident::combine_arms(summary(a), summary(b));
    const auto want = summary(all);
    EXPECT_EQ(c.n, want.n);
    expect_rel(c.mean, want.mean, 1e-12);
    expect_rel(c.sd, want.sd, 1e-11);
  }
}

TEST(ConvertFiveNumber, NeedsFiveParticipantsAndPairedBounds) {
  evident::FiveNumberSummary s;
  s.q1 = 4, s.median = 6, s.q3 = 10, s.n = 4;
  EXPECT_FALSE(evident::estimate_mean_sd(s));  // n < 5, as metafor
  s.n = 5;
  EXPECT_TRUE(evident::estimate_mean_sd(s));
  s.q3 = evident::FiveNumberSummary::kNone;  // q1 without q3
  EXPECT_FALSE(evident::estimate_mean_sd(s));
  evident::FiveNumberSummary r;
  r.min = 1, r.median = 3, r.n = 20;  // min without max
  EXPECT_FALSE(evident::estimate_mean_sd(r));
}

TEST(ConvertFiveNumber, SymmetricSummariesGiveTheMedianAsMean) {
  for (double n : {5.0, 20.0, 400.0}) {
    evident::FiveNumberSummary q{evident::FiveNumberSummary::kNone, 4, 6, 8,
                                 evident::FiveNumberSummary::kNone, n};
    const auto e = evident::estimate_mean_sd(q);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->source, evident::FiveNumberCase::quartiles);
    expect_rel(e->mean, 6.0);
    EXPECT_EQ(e->sd_method, "Wan et al. 2014, eq. 16");
    // For large n the IQR of a normal sample is 2 * 0.6745 SD.
    if (n == 400.0) {
      EXPECT_NEAR(e->sd, 4.0 / (2 * 0.6744897501960817), 0.02);
    }
    const evident::FiveNumberSummary both{1, 4, 6, 8, 11, n};
    const auto f = evident::estimate_mean_sd(both);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->source, evident::FiveNumberCase::both);
    expect_rel(f->mean, 6.0);
  }
}

TEST(ConvertFiveNumber, SdScalesWithTheSpreadAndMeanShiftsWithLocation) {
  const evident::FiveNumberSummary a{
      2, evident::FiveNumberSummary::kNone, 6, evident::FiveNumberSummary::kNone, 14, 20};
  evident::FiveNumberSummary b = a;
  b.min = 2 * a.min + 3, b.median = 2 * a.median + 3, b.max = 2 * a.max + 3;
  const auto ea = evident::estimate_mean_sd(a), eb = evident::estimate_mean_sd(b);
  ASSERT_TRUE(ea && eb);
  expect_rel(eb->sd, 2 * ea->sd);
  expect_rel(eb->mean, 2 * ea->mean + 3);
  EXPECT_EQ(ea->skew_stat, eb->skew_stat);
}

TEST(ConvertFiveNumber, SkewnessTestFlagsTheDocumentedSkewedExample) {
  // help(conv.fivenum): q3 = 14 and max = 20 lie far above the median; the test is significant.
  const evident::FiveNumberSummary skewed{2, 4, 6, 14, 20, 20};
  const auto e = evident::estimate_mean_sd(skewed);
  ASSERT_TRUE(e);
  EXPECT_TRUE(e->skewed);
  const evident::FiveNumberSummary fine{2, 4, 6, 10, 14, 20};
  EXPECT_FALSE(evident::estimate_mean_sd(fine)->skewed);
  // Without a median there is no test and no mean, but an SD.
  const evident::FiveNumberSummary no_median{2, 4, evident::FiveNumberSummary::kNone, 10, 14, 20};
  const auto g = evident::estimate_mean_sd(no_median);
  ASSERT_TRUE(g);
  EXPECT_FALSE(g->skewed);
  EXPECT_TRUE(std::isnan(g->mean));
  EXPECT_GT(g->sd, 0.0);
}

TEST(ConvertWald, IntervalAndTestGiveTheStandardError) {
  const double z = 1.959963984540054;
  expect_rel(evident::variance_from_ci(-z, z, 95.0), 1.0, 1e-14);
  expect_rel(evident::variance_from_ci(0.1, 0.1 + 2 * 2.5758293035489 * 0.3, 99.0), 0.09, 1e-12);
  expect_rel(evident::z_from_p(0.05), z, 1e-14);
  expect_rel(evident::variance_from_z(0.6, 2.0), 0.09);
}

// ---- 2x2 tables: drop00, Peto, Mantel-Haenszel
// ----------------------------------------------------

constexpr std::string_view kSparse =
    "study,ai,n1i,ci,n2i\n"
    "A,2,20,5,20\n"
    "B,0,15,0,14\n"  // no events in either group
    "C,4,30,6,31\n"
    "D,0,12,3,12\n"  // one zero cell
    "E,9,9,7,7\n";   // only events

TEST(TablesDrop00, DoubleZeroTablesKeepTheirCountsButGetNoEffectSize) {
  const auto d = effects(kSparse, Measure::OR, /*drop00=*/true);
  ASSERT_EQ(d.k(), 5u);
  ASSERT_EQ(d.counts.size(), 5u);
  EXPECT_EQ(d.k_yi(), 3u);
  EXPECT_TRUE(std::isnan(d.yi[1]) && std::isnan(d.yi[4]));
  EXPECT_EQ(d.counts[1], (std::array<double, 4>{0, 15, 0, 14}));
  EXPECT_EQ(d.counts[4], (std::array<double, 4>{9, 0, 7, 0}));
  EXPECT_EQ(count_code(d, DiagnosticCode::double_zero), 2u);
  EXPECT_EQ(count_code(d, DiagnosticCode::zero_cell_corrected), 1u);  // D only
  // Without drop00 (escalc's default) they are corrected like any zero-cell table, and named.
  const auto keep = effects(kSparse, Measure::OR);
  EXPECT_EQ(keep.k_yi(), 5u);
  EXPECT_EQ(count_code(keep, DiagnosticCode::zero_cell_corrected), 3u);
  for (const auto& diag : keep.diagnostics) {
    if (diag.study == "B") {
      EXPECT_TRUE(contains(diag.message, "no events in either group"));
    }
    if (diag.study == "E") {
      EXPECT_TRUE(contains(diag.message, "only events"));
    }
  }
}

TEST(TablesPeto, MeasureIsObservedMinusExpectedOverVariance) {
  const auto d = effects("study,ai,bi,ci,di\nA,12,38,7,43\n", Measure::PETO);
  const double a = 12, n1 = 50, n2 = 50, n = 100, xt = 19, yt = 81;
  const double v = xt * yt * n1 * n2 / (n * n * (n - 1));
  expect_rel(d.yi[0], (a - xt * n1 / n) / v);
  expect_rel(d.vi[0], 1 / v);
}

std::vector<std::array<double, 4>> random_tables(std::mt19937& rng, int k) {
  std::uniform_int_distribution<int> size(5, 80);
  std::vector<std::array<double, 4>> t;
  for (int i = 0; i < k; ++i) {
    const int n1 = size(rng), n2 = size(rng);
    std::uniform_int_distribution<int> e1(0, n1 / 2), e2(0, n2 / 2);
    const int a = e1(rng), c = e2(rng);
    t.push_back({double(a), double(n1 - a), double(c), double(n2 - c)});
  }
  return t;
}

TEST(TablesMantelHaenszel, OneTableIsItsOwnEstimate) {
  const std::array<double, 4> t{12, 38, 7, 43};
  const std::vector<std::array<double, 4>> one{t};
  const std::vector<double> yi{0.0}, vi{1.0};
  const auto or_ = evident::fit_mantel_haenszel(one, yi, vi, Measure::OR, 95);
  expect_rel(or_.fit.estimate, std::log(12.0 * 43 / (38 * 7)));
  // Robins-Breslow-Greenland reduces to Woolf's variance for one table.
  expect_rel(or_.fit.se, std::sqrt(1 / 12.0 + 1 / 38.0 + 1 / 7.0 + 1 / 43.0));
  const auto rr = evident::fit_mantel_haenszel(one, yi, vi, Measure::RR, 95);
  expect_rel(rr.fit.estimate, std::log((12.0 / 50) / (7.0 / 50)));
  const auto rd = evident::fit_mantel_haenszel(one, yi, vi, Measure::RD, 95);
  expect_rel(rd.fit.estimate, 12.0 / 50 - 7.0 / 50);
  const auto peto = evident::fit_peto(one, yi, vi, 95);
  const auto d = effects("study,ai,bi,ci,di\nA,12,38,7,43\n", Measure::PETO);
  expect_rel(peto.fit.estimate, d.yi[0]);
  expect_rel(peto.fit.se * peto.fit.se, d.vi[0]);
  EXPECT_EQ(or_.fit.k, 1u);
  EXPECT_EQ(or_.weights, std::vector<double>{100.0});
}

TEST(TablesMantelHaenszel, TableOrderDoesNotMatter) {
  std::mt19937 rng(11);
  for (int rep = 0; rep < 20; ++rep) {
    auto t = random_tables(rng, 9);
    const std::vector<double> yi(t.size(), 0.0), vi(t.size(), 1.0);
    for (Measure m : {Measure::OR, Measure::RR, Measure::RD}) {
      const auto a = evident::fit_mantel_haenszel(t, yi, vi, m, 95);
      auto shuffled = t;
      std::reverse(shuffled.begin(), shuffled.end());
      const auto b = evident::fit_mantel_haenszel(shuffled, yi, vi, m, 95);
      if (std::isnan(a.fit.estimate)) {
        EXPECT_TRUE(std::isnan(b.fit.estimate));
        continue;
      }
      expect_rel(a.fit.estimate, b.fit.estimate, 1e-12);
      expect_rel(a.fit.se, b.fit.se, 1e-12);
      if (m == Measure::OR) {
        expect_rel(a.tests.CMH, b.tests.CMH, 1e-10);
        expect_rel(a.tests.tarone, b.tests.tarone, 1e-9);
      }
    }
  }
}

TEST(TablesMantelHaenszel, HomogeneousTablesHaveNoTaroneHeterogeneity) {
  // Identical tables: the common odds ratio fits each exactly.
  const std::vector<std::array<double, 4>> t(4, {10, 30, 5, 35});
  const std::vector<double> yi(4, 0.0), vi(4, 1.0);
  const auto f = evident::fit_mantel_haenszel(t, yi, vi, Measure::OR, 95);
  EXPECT_NEAR(f.tests.tarone, 0.0, 1e-10);
  EXPECT_NEAR(f.tests.breslow_day, 0.0, 1e-10);
  EXPECT_EQ(f.tests.tarone_df, 3.0);
  expect_rel(f.fit.estimate, std::log(10.0 * 35 / (30 * 5)));
}

TEST(TablesMantelHaenszel, NoEventsInOneGroupIsNotEstimableNotAnError) {
  const std::vector<std::array<double, 4>> t{{3, 20, 0, 20}, {1, 10, 0, 12}};
  const std::vector<double> yi{0.5, 0.7}, vi{1.0, 1.5};
  const auto f = evident::fit_mantel_haenszel(t, yi, vi, Measure::OR, 95);
  EXPECT_TRUE(std::isnan(f.fit.estimate));
  EXPECT_EQ(f.fit.termination, evident::Termination::not_estimable);
  EXPECT_TRUE(f.fit.notes & evident::kNoteNotEstimable);
  EXPECT_FALSE(std::isnan(f.tests.CMH));  // the test of OR = 1 still exists
  const std::vector<std::array<double, 4>> none{{0, 20, 0, 20}, {0, 10, 0, 12}};
  const auto p =
      evident::fit_peto(none, std::vector<double>(2, std::nan("")), std::vector<double>(2, std::nan("")), 95);
  EXPECT_EQ(p.fit.termination, evident::Termination::not_estimable);
}

TEST(TablesMantelHaenszel, AnalyseRejectsMethodsThatDoNotFitTheData) {
  evident::AnalysisSpec spec;
  spec.fit.method = evident::Method::MH;
  spec.effect.measure = Measure::SMD;
  const auto t = table("m1i,sd1i,n1i,m2i,sd2i,n2i\n1,1,10,0,1,10\n");
  EXPECT_THROW((void)evident::analyse(t, spec), evident::InputError);
  spec.effect.measure = Measure::OR;
  spec.fit.test = evident::Test::knha;
  EXPECT_THROW((void)evident::analyse(table(kSparse), spec), evident::InputError);
  spec.fit.test = evident::Test::z;
  spec.fit.method = evident::Method::PETO;
  spec.effect.measure = Measure::RR;
  EXPECT_THROW((void)evident::analyse(table(kSparse), spec), evident::InputError);
  spec.effect.measure = Measure::OR;  // PETO turns OR into Peto odds ratios
  EXPECT_EQ(evident::analyse(table(kSparse), spec).measure, Measure::PETO);
}

// ---- incidence rates and paired designs
// ------------------------------------------------------------

TEST(IncidenceRates, RatioDifferenceAndRootDifference) {
  const auto irr = effects("study,x1i,t1i,x2i,t2i\nA,9,413,19,398\n", Measure::IRR);
  expect_rel(irr.yi[0], std::log((9.0 / 413) / (19.0 / 398)));
  expect_rel(irr.vi[0], 1 / 9.0 + 1 / 19.0);
  EXPECT_EQ(irr.counts[0], (std::array<double, 4>{9, 413, 19, 398}));
  const auto ird = effects("study,x1i,t1i,x2i,t2i\nA,9,413,19,398\n", Measure::IRD);
  expect_rel(ird.vi[0], 9.0 / 413 / 413 + 19.0 / 398 / 398);
  const auto sd = effects("study,x1i,t1i,x2i,t2i\nA,0,413,19,398\n", Measure::IRSD);
  expect_rel(sd.yi[0], -std::sqrt(19.0 / 398));  // no correction needed
  EXPECT_TRUE(sd.diagnostics.empty());
  const auto zero = effects("study,x1i,t1i,x2i,t2i\nA,0,413,19,398\n", Measure::IRR);
  expect_rel(zero.vi[0], 1 / 0.5 + 1 / 19.5);
  EXPECT_EQ(count_code(zero, DiagnosticCode::zero_cell_corrected), 1u);
}

TEST(IncidenceRates, SingleRates) {
  const std::string_view csv = "study,xi,ti\nA,9,413\nB,0,200\n";
  const auto ir = effects(csv, Measure::IR);
  expect_rel(ir.vi[0], 9.0 / 413 / 413);
  expect_rel(ir.yi[1], 0.5 / 200);  // 1/2 added to a zero count
  const auto ft = effects(csv, Measure::IRFT);
  expect_rel(ft.yi[1], 0.5 * std::sqrt(1.0 / 200));  // no correction
  expect_rel(ft.vi[0], 1 / (4.0 * 413));
  EXPECT_EQ(ft.ni[0], 413.0);
}

TEST(IncidenceRates, NonPositivePersonTimeIsAnErrorAtItsCell) {
  const auto p = problems("study,x1i,t1i,x2i,t2i\nA,9,413,19,0\n", Measure::IRR);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].where.line, 2u);
  EXPECT_EQ(p[0].where.column, 5u);
  EXPECT_TRUE(contains(p[0].message, "person-time"));
}

TEST(PairedDesigns, RawScoreStandardisationNeedsOnlyTheFirstSd) {
  const std::string_view csv = "study,m1i,m2i,sd1i,ni,ri\nA,42,50,10,20,0.6\n";
  const auto d = effects(csv, Measure::SMCR);
  const double c =
      std::exp(std::lgamma(19 / 2.0) - std::log(std::sqrt(19 / 2.0)) - std::lgamma(18 / 2.0));
  expect_rel(d.yi[0], c * -8.0 / 10.0);
  expect_rel(d.vi[0], 2 * 0.4 / 20 + d.yi[0] * d.yi[0] / 40);
  // SMCC and MC need sd2i.
  const auto p = problems(csv, Measure::SMCC);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_TRUE(contains(p[0].message, "sd2i"));
  const auto mc = effects("study,m1i,m2i,sd1i,sd2i,ni,ri\nA,42,50,10,12,20,0.6\n", Measure::MC);
  expect_rel(mc.vi[0], (100 + 144 - 2 * 0.6 * 120) / 20.0);
}

TEST(PairedDesigns, CorrelationOutsideMinusOneToOneIsAnError) {
  const auto p = problems("study,m1i,m2i,sd1i,sd2i,ni,ri\nA,42,50,10,12,20,1.2\n", Measure::MC);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].where.column, 7u);
}

// ---- multi-arm trials
// ----------------------------------------------------------------------------

constexpr std::string_view kThreeArms =
    "study,trial,ai,n1i,ci,n2i\n"
    "Low dose,T1,15,17,4,8\n"
    "Mid dose,T1,14,17,4,8\n"
    "High dose,T1,11,15,4,8\n"
    "Other,T2,9,13,9,13\n";

TEST(MultiArm, CombineAddsTheExperimentalArmsAndCountsTheControlOnce) {
  const auto d = effects(kThreeArms, Measure::OR);
  ASSERT_EQ(d.k(), 2u);
  EXPECT_EQ(d.labels[0], "T1");
  EXPECT_EQ(d.counts[0], (std::array<double, 4>{40, 9, 4, 4}));
  EXPECT_EQ(d.lines[0], 2u);
  ASSERT_TRUE(d.multiarm);
  EXPECT_EQ(d.multiarm->mode, evident::MultiArm::combine);
  EXPECT_TRUE(d.multiarm->by_default);
  ASSERT_EQ(d.multiarm->trials.size(), 1u);
  EXPECT_EQ(d.multiarm->trials[0].lines, (std::vector<std::size_t>{2, 3, 4}));
  ASSERT_EQ(count_code(d, DiagnosticCode::shared_control), 1u);
  for (const auto& diag : d.diagnostics) {
    if (diag.code == DiagnosticCode::shared_control) {
      EXPECT_TRUE(contains(diag.message, "d.csv:2,3,4")) << diag.message;
      EXPECT_TRUE(contains(diag.message, "chosen by default")) << diag.message;
    }
  }
}

TEST(MultiArm, SplitSharesTheControlOut) {
  const auto d = effects(kThreeArms, Measure::OR, false, evident::MultiArm::split);
  ASSERT_EQ(d.k(), 4u);
  for (int i = 0; i < 3; ++i) {
    expect_rel(d.counts[i][2], 4.0 / 3);
    expect_rel(d.counts[i][3], 4.0 / 3);
  }
  EXPECT_EQ(d.labels[1], "Mid dose");
  EXPECT_FALSE(d.multiarm->by_default);
  EXPECT_EQ(d.counts[3], (std::array<double, 4>{9, 4, 9, 4}));
}

TEST(MultiArm, MeansCombineWithTheHandbookFormula) {
  const std::string_view csv =
      "study,trial,m1i,sd1i,n1i,m2i,sd2i,n2i\n"
      "A,T,10,2,20,8,3,25\n"
      "B,T,12,2.5,15,8,3,25\n";
  const auto d = effects(csv, Measure::MD);
  ASSERT_EQ(d.k(), 1u);
  const auto c = evident::combine_arms({20, 10, 2}, {15, 12, 2.5});
  expect_rel(d.yi[0], c.mean - 8);
  expect_rel(d.vi[0], c.sd * c.sd / c.n + 9.0 / 25);
  const auto s = effects(csv, Measure::MD, false, evident::MultiArm::split);
  ASSERT_EQ(s.k(), 2u);
  expect_rel(s.vi[0], 4.0 / 20 + 9.0 / 12.5);
}

TEST(MultiArm, ATrialWhoseRowsGiveDifferentControlsIsAnError) {
  const auto p = problems(
      "study,trial,ai,n1i,ci,n2i\n"
      "Low,T1,15,17,4,8\n"
      "High,T1,11,15,5,8\n",
      Measure::OR);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].where.line, 3u);
  EXPECT_EQ(p[0].where.column, 2u);
  EXPECT_TRUE(contains(p[0].message, "line 2: 4/8")) << p[0].message;
}

TEST(MultiArm, WithoutATrialColumnRepeatedLabelsWithTheSameControlAreOneTrial) {
  const auto same = effects(
      "study,ai,n1i,ci,n2i\n"
      "Chen,15,17,4,8\n"
      "Chen,11,15,4,8\n",
      Measure::RR);
  EXPECT_EQ(same.k(), 1u);
  EXPECT_TRUE(same.multiarm);
  const auto different = effects(
      "study,ai,n1i,ci,n2i\n"
      "Chen,15,17,4,8\n"
      "Chen,11,15,3,9\n",
      Measure::RR);
  EXPECT_EQ(different.k(), 2u);
  EXPECT_FALSE(different.multiarm);
}

// ---- imperfect reporting in two-group means and generic input -----------------------------------

TEST(MeansFromMedians, ConvertedGroupsAreNamedWithTheirMethod) {
  const auto d = effects(
      "study,median1i,q1_1i,q3_1i,n1i,m2i,sd2i,n2i\n"
      "A,6,4,10,20,5,4,20\n",
      Measure::MD);
  ASSERT_EQ(d.k(), 1u);
  const auto e = evident::estimate_mean_sd(
      {evident::FiveNumberSummary::kNone, 4, 6, 10, evident::FiveNumberSummary::kNone, 20});
  expect_rel(d.yi[0], e->mean - 5);
  expect_rel(d.vi[0], e->sd * e->sd / 20 + 16.0 / 20);
  ASSERT_EQ(count_code(d, DiagnosticCode::converted_fivenum), 1u);
  const auto& msg = d.diagnostics[0].message;
  EXPECT_TRUE(contains(msg, "Luo et al. 2018, eq. 11") && contains(msg, "Wan et al. 2014, eq. 16"))
      << msg;
  EXPECT_TRUE(contains(msg, "d.csv:2")) << msg;
}

TEST(MeansFromMedians, ASkewedSummaryLeavesTheRowOutAndSaysWhy) {
  const auto d = effects(
      "study,min1i,q1_1i,median1i,q3_1i,max1i,n1i,m2i,sd2i,n2i\n"
      "A,2,4,6,14,20,20,5,4,20\n"
      "B,2,4,6,10,14,20,5,4,20\n",
      Measure::SMD);
  ASSERT_EQ(d.k(), 1u);
  EXPECT_EQ(d.labels[0], "B");
  EXPECT_EQ(count_code(d, DiagnosticCode::not_converted), 1u);
  EXPECT_EQ(count_code(d, DiagnosticCode::row_excluded_missing), 1u);
}

TEST(MeansFromMedians, ReportedMeansAreKeptAndUnorderedSummariesAreErrors) {
  const auto d = effects(
      "study,m1i,sd1i,median1i,q1_1i,q3_1i,n1i,m2i,sd2i,n2i\n"
      "A,7,4.2,6,4,10,20,5,4,20\n",
      Measure::MD);
  expect_rel(d.yi[0], 2.0);
  EXPECT_EQ(count_code(d, DiagnosticCode::converted_fivenum), 0u);
  const auto p = problems(
      "study,median1i,q1_1i,q3_1i,n1i,m2i,sd2i,n2i\n"
      "A,6,7,10,20,5,4,20\n",
      Measure::MD);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].where.column, 2u);  // the median, below q1
  EXPECT_TRUE(contains(p[0].message, "ordered") && contains(p[0].message, "q1_1i")) << p[0].message;
}

TEST(GenericWald, IntervalsAndPValuesGiveVariancesWithADiagnostic) {
  evident::EffectOptions o;
  o.transf = evident::EstimateTransform::log;
  const auto d = evident::compute_effects(
      table("study,yi,ci_lb,ci_ub,pval\nA,0.64,0.33,1.22,\nB,0.64,,,0.17\nC,2,1.9,5,\n"), o);
  ASSERT_EQ(d.k(), 3u);
  expect_rel(d.yi[0], std::log(0.64));
  expect_rel(d.vi[0], evident::variance_from_ci(std::log(0.33), std::log(1.22), 95));
  expect_rel(d.vi[1], evident::variance_from_z(std::log(0.64), evident::z_from_p(0.17)));
  EXPECT_EQ(count_code(d, DiagnosticCode::converted_wald), 3u);
  EXPECT_EQ(count_code(d, DiagnosticCode::ci_not_symmetric), 1u);  // C
  EXPECT_EQ(d.transf, evident::EstimateTransform::log);
}

TEST(GenericWald, BadIntervalsAreErrors) {
  evident::EffectOptions o;
  o.transf = evident::EstimateTransform::log;
  try {
    (void)evident::compute_effects(table("study,yi,ci_lb,ci_ub\nA,0.64,-0.1,1.2\n"), o);
    ADD_FAILURE() << "a negative ratio bound was accepted";
  } catch (const evident::InputError& e) {
    EXPECT_EQ(e.problems()[0].where.column, 3u);
  }
  const auto p = problems("study,yi,ci_lb\nA,0.5,0.1\n", Measure::GEN);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_TRUE(contains(p[0].message, "ci_ub"));
  const auto q = problems("study,yi,ci_lb,ci_ub\nA,0.5,0.9,0.1\n", Measure::GEN);
  ASSERT_EQ(q.size(), 1u);
  EXPECT_TRUE(contains(q[0].message, "upper"));
}

}  // namespace
