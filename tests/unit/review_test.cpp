// Reviews: the manifest's errors name their key and place; outcomes are selected, analysed and
// assessed as the manifest says; the report is self-contained and holds every outcome and the
// summary of findings; the knee review's terminal summary matches its golden file.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cli/progress.hpp"
#include "cli/run.hpp"
#include "evident/evident.hpp"
#include "evident/report/review_report.hpp"
#include "evident/review/findings.hpp"

#ifndef EVIDENT_KNEE_DIR
#error "EVIDENT_KNEE_DIR must name data/knee_msc"
#endif
#ifndef EVIDENT_REVIEW_GOLDEN_DIR
#error "EVIDENT_REVIEW_GOLDEN_DIR must name tests/review"
#endif

namespace {

namespace fs = std::filesystem;

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

std::string read_file(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

class Folder {
 public:
  Folder() {
    static std::atomic<unsigned> counter{0};
    std::random_device rd;
    path_ = fs::temp_directory_path() /
            ("evident-review-test-" + std::to_string(rd()) + "-" + std::to_string(counter++));
    fs::create_directories(path_);
  }
  ~Folder() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  Folder(const Folder&) = delete;
  Folder& operator=(const Folder&) = delete;
  void write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ / name, std::ios::binary) << text;
  }
  [[nodiscard]] std::string str() const { return path_.string(); }
  [[nodiscard]] fs::path path() const { return path_; }

 private:
  fs::path path_;
};

struct CliResult {
  int code = -1;
  std::string out, err;
};

CliResult run_cli(const std::vector<std::string>& args) {
  std::istringstream in;
  std::ostringstream out, err;
  CliResult r;
  r.code = evident::cli::run(args, in, out, err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

// A small review: harms as 2x2 tables, pain as means, a single-arm series, provenance columns.
constexpr const char* kData =
    "study,year,outcome,n_t,e_t,n_c,e_c,m_t,sd_t,m_c,sd_c,rob,source_url,source_location,notes\n"
    "Alpha,2019,harm,40,6,40,3,,,,,low,https://example.org/a,Table 2,\n"
    "Beta,2020,harm,25,0,25,0,,,,,some concerns,https://example.org/b,Table 3,no events\n"
    "Gamma,2021,harm,60,9,58,5,,,,,high,https://example.org/c,Table 1,\n"
    "Delta,2022,harm,30,4,31,1,,,,,low,javascript:alert(1),Fig 2,\n"
    "Alpha,2019,pain,40,,40,,3.1,1.9,4.0,2.1,low,https://example.org/a,Table 4,\n"
    "Beta,2020,pain,25,,25,,2.8,2.2,3.9,2.0,low,https://example.org/b,Table 5,\n"
    "Gamma,2021,pain,60,,58,,3.5,2.0,3.7,1.8,high,https://example.org/c,Table 6,\n"
    "Omega,2018,pain,20,,20,,,,,,low,https://example.org/o,Abstract,medians only\n"
    "Series,2017,harm,30,2,,,,,,,,https://example.org/s,Abstract,single arm\n";

constexpr const char* kManifest = R"toml(
title = "Test review"
[question]
population = "Adults"
intervention = "Drug X"
comparator = "Placebo"
outcomes = ["Harms", "Pain"]

[defaults]
data = "data.csv"
label = "{study} {year}"
experimental = "Drug X"
control = "placebo"
columns = { ai = "e_t", n1i = "n_t", ci = "e_c", n2i = "n_c" }
exclude = { n_c = "" }

[[outcome]]
id = "harm"
name = "Any harm"
group = "Safety"
where = { outcome = "harm" }
measure = "RR"
method = "MH"

[[outcome]]
id = "pain"
name = "Pain score"
group = "Effectiveness"
where = { outcome = "pain" }
measure = "MD"
test = "knha"
mcid = 1.0
columns = { m1i = "m_t", sd1i = "sd_t", n1i = "n_t", m2i = "m_c", sd2i = "sd_c", n2i = "n_c" }

[[outcome]]
id = "function"
name = "Function"
group = "Effectiveness"
where = { outcome = "function" }
measure = "SMD"

[[outcome]]
id = "series"
name = "Harms in series"
group = "Safety"
design = "single-arm"
where = { outcome = "harm", n_c = "" }
exclude = []
columns = { xi = "e_t", ni = "n_t" }

[published]
data = "published.csv"

[[published.panel]]
id = "pub"
title = "Published pain"
where = { outcome = "pain" }
mcid = 1.0

[[caution]]
text = "A caution about the published results."
applies_to = ["published", "pain"]
)toml";

constexpr const char* kPublished =
    "paper,outcome,timepoint_months,model,effect_measure,k,n_participants,estimate,ci_low,ci_high,"
    "p_value,I2,tau2,included_studies,source_url,source_location,notes\n"
    "Review A,pain,6,RE,MD,5,300,-1.2,-2.0,-0.4,,,,,https://example.org/ra,Abstract,\n"
    "Review B,pain,12,RE,MD,4,250,-0.5,0.3,0.1,,,,,https://example.org/rb,Abstract,sign?\n"
    "Review C,function,,RE,SMD,7,400,2.9,1.9,4.6,,,,,https://example.org/rc,Abstract,ratio?\n";

void write_review(const Folder& f, const std::string& manifest = kManifest) {
  f.write("data.csv", kData);
  f.write("published.csv", kPublished);
  f.write("review.toml", manifest);
}

std::string manifest_error(const std::string& manifest) {
  Folder f;
  write_review(f, manifest);
  try {
    (void)evident::read_manifest(f.str());
  } catch (const evident::InputError& e) {
    return e.what();
  }
  return "(no error)";
}

// ---- manifest errors ---------------------------------------------------------------------------

struct BadManifest {
  const char* name;
  std::string from, to;  // replace in kManifest
  std::vector<std::string> expected;
};

class ManifestErrors : public ::testing::TestWithParam<BadManifest> {};

TEST_P(ManifestErrors, NameTheKeyAndThePlace) {
  const BadManifest& c = GetParam();
  std::string text = kManifest;
  const auto at = text.find(c.from);
  ASSERT_NE(at, std::string::npos) << c.from;
  text.replace(at, c.from.size(), c.to);
  const std::string error = manifest_error(text);
  EXPECT_TRUE(contains(error, "review.toml:")) << error;
  for (const auto& e : c.expected)
    EXPECT_TRUE(contains(error, e)) << "expected '" << e << "' in:\n" << error;
}

INSTANTIATE_TEST_SUITE_P(
    Review, ManifestErrors,
    ::testing::Values(
        BadManifest{
            "UnknownKey",
            "measure = \"RR\"",
            "mesure = \"RR\"",
            {"outcome[1].mesure: unknown key (did you mean 'measure'?)", "review.toml:22:1:"}},
        BadManifest{"UnknownMeasure",
                    "measure = \"RR\"",
                    "measure = \"RRR\"",
                    {"outcome[1].measure: unknown measure 'RRR'", "review.toml:22:11"}},
        BadManifest{"UnknownMethod",
                    "method = \"MH\"",
                    "method = \"MHH\"",
                    {"outcome[1].method: unknown method 'MHH'"}},
        BadManifest{
            "WrongType", "mcid = 1.0", "mcid = \"one\"", {"outcome[2].mcid: expected a number"}},
        BadManifest{"NegativeMcid", "mcid = 1.0", "mcid = -1.0", {"outcome[2].mcid:"}},
        BadManifest{"Benefit",
                    "test = \"knha\"",
                    "benefit = \"less\"",
                    {"outcome[2].benefit: 'less' is not a direction of benefit"}},
        BadManifest{"Test", "test = \"knha\"", "test = \"x\"", {"outcome[2].test: unknown test"}},
        BadManifest{"Level", "test = \"knha\"", "level = 100", {"outcome[2].level:"}},
        BadManifest{"MissingData",
                    "data = \"data.csv\"",
                    "data = \"nope.csv\"",
                    {"defaults.data: data file 'nope.csv' not found"}},
        BadManifest{"DuplicateId",
                    "id = \"pain\"",
                    "id = \"harm\"",
                    {"outcome[2].id: 'harm' is used by an earlier outcome"}},
        BadManifest{"BadId", "id = \"pain\"", "id = \"pain score\"", {"outcome[2].id:"}},
        BadManifest{"MissingId", "id = \"function\"\n", "", {"outcome[3]: 'id' is required"}},
        BadManifest{
            "MissingMeasure", "measure = \"SMD\"\n", "", {"outcome[3]: 'measure' is required"}},
        BadManifest{
            "TopLevelTypo", "title = ", "titel = ", {"titel: unknown key (did you mean 'title'?)"}},
        BadManifest{"DefaultsKey",
                    "label = \"{study} {year}\"",
                    "measure = \"XYZ\"",
                    {"defaults.measure: unknown measure 'XYZ'"}},
        BadManifest{"Design",
                    "design = \"single-arm\"",
                    "design = \"cohort\"",
                    {"outcome[4].design: 'cohort' is not a design"}},
        BadManifest{"FilterType",
                    "where = { outcome = \"harm\" }\nmeasure = \"RR\"",
                    "where = \"harm\"\nmeasure = \"RR\"",
                    {"outcome[1].where: expected a table"}},
        BadManifest{"PanelKey",
                    "mcid = 1.0\n\n[[caution]]",
                    "mcdi = 1.0\n\n[[caution]]",
                    {"published.panel[1].mcdi: unknown key (did you mean 'mcid'?)"}},
        BadManifest{"CautionTarget",
                    "applies_to = [\"published\", \"pain\"]",
                    "applies_to = [\"published\", \"pian\"]",
                    {"caution[1].applies_to: no outcome or panel has the id 'pian'"}},
        BadManifest{"InvalidToml", "[question]", "[question", {"not valid TOML"}},
        BadManifest{"Indirectness",
                    "test = \"knha\"",
                    "indirectness = \"bad\"",
                    {"outcome[2].indirectness: 'bad' is not one of"}}),
    [](const ::testing::TestParamInfo<BadManifest>& p) { return std::string(p.param.name); });

TEST(Manifest, EveryProblemIsReportedAtOnce) {
  std::string text = kManifest;
  text.replace(text.find("measure = \"RR\""), 14, "measure = \"RRR\"");
  text.replace(text.find("mcid = 1.0"), 10, "mcid = -2");
  const std::string error = manifest_error(text);
  EXPECT_TRUE(contains(error, "outcome[1].measure")) << error;
  EXPECT_TRUE(contains(error, "outcome[2].mcid")) << error;
}

TEST(Manifest, FolderWithoutManifest) {
  Folder f;
  try {
    (void)evident::read_manifest(f.str());
    ADD_FAILURE() << "no error";
  } catch (const evident::InputError& e) {
    EXPECT_TRUE(contains(e.what(), "no review.toml in this folder")) << e.what();
  }
}

TEST(Manifest, ReadsEveryKey) {
  Folder f;
  write_review(f);
  const evident::Manifest m = evident::read_manifest(f.str());
  EXPECT_EQ(m.title, "Test review");
  EXPECT_EQ(m.question.outcomes.size(), 2u);
  ASSERT_EQ(m.outcomes.size(), 4u);
  const auto& harm = m.outcomes[0];
  EXPECT_TRUE(harm.analysis.effect.drop00);  // rma.mh's default
  EXPECT_EQ(harm.analysis.fit.method, evident::Method::MH);
  EXPECT_EQ(harm.analysis.effect.measure, evident::Measure::RR);
  EXPECT_EQ(harm.label, "{study} {year}");  // from [defaults]
  EXPECT_EQ(harm.exclude.size(), 1u);
  EXPECT_EQ(harm.columns.size(), 4u);
  const auto& pain = m.outcomes[1];
  EXPECT_EQ(pain.analysis.fit.test, evident::Test::knha);
  EXPECT_EQ(pain.mcid, 1.0);
  EXPECT_EQ(pain.columns.size(), 6u);  // its own mapping replaces the default
  EXPECT_EQ(m.outcomes[3].design, evident::OutcomeDesign::single_arm);
  EXPECT_TRUE(m.outcomes[3].exclude.empty());
  ASSERT_TRUE(m.published);
  EXPECT_EQ(m.published->panels.size(), 1u);
  EXPECT_EQ(m.cautions.size(), 1u);
}

TEST(Review, ADataKeyTheFileLacksIsNamed) {
  Folder f;
  std::string text = kManifest;
  text.replace(text.find("where = { outcome = \"harm\" }"), 28, "where = { outcom = \"harm\" }");
  write_review(f, text);
  const evident::Manifest m = evident::read_manifest(f.str());
  try {
    (void)evident::run_review(m);
    ADD_FAILURE() << "no error";
  } catch (const evident::InputError& e) {
    EXPECT_TRUE(contains(e.what(), "outcome[1].where.outcom: the data file")) << e.what();
    EXPECT_TRUE(contains(e.what(), "has no column 'outcom'")) << e.what();
    EXPECT_TRUE(contains(e.what(), "review.toml:")) << e.what();
  }
}

TEST(Review, BadRiskOfBiasValueNamesTheCell) {
  Folder f;
  write_review(f);
  std::string data = kData;
  data.replace(data.find("some concerns"), 13, "maybe");
  f.write("data.csv", data);
  const evident::Manifest m = evident::read_manifest(f.str());
  try {
    (void)evident::run_review(m);
    ADD_FAILURE() << "no error";
  } catch (const evident::InputError& e) {
    EXPECT_TRUE(contains(e.what(), "data.csv:3:12: 'maybe' is not a risk-of-bias judgement"))
        << e.what();
  }
}

// ---- running a review --------------------------------------------------------------------------

TEST(Review, OutcomesAreSelectedAnalysedAndAssessed) {
  Folder f;
  write_review(f);
  const evident::Review r = evident::run_review(evident::read_manifest(f.str()));
  ASSERT_EQ(r.outcomes.size(), 4u);

  const auto& harm = r.outcomes[0];
  ASSERT_EQ(harm.status, evident::OutcomeStatus::pooled);
  EXPECT_EQ(harm.analysis->fit.k, 4u);  // the series has no control arm: excluded
  EXPECT_EQ(harm.analysis->studies[0].study, "Alpha 2019");
  ASSERT_FALSE(harm.notes.empty());
  EXPECT_TRUE(contains(harm.notes.back(), "Beta 2020")) << harm.notes.back();  // 0/25 vs 0/25
  EXPECT_TRUE(contains(harm.notes.back(), "contributes nothing")) << harm.notes.back();
  // The same numbers as `evident fit --method MH` on the same table (the manifest names MH).
  evident::StudyTable t("x", {"study", "ai", "n1i", "ci", "n2i"});
  t.add_row({"A", "6", "40", "3", "40"}, 2);
  t.add_row({"B", "0", "25", "0", "25"}, 3);
  t.add_row({"C", "9", "60", "5", "58"}, 4);
  t.add_row({"D", "4", "30", "1", "31"}, 5);
  evident::AnalysisSpec spec;
  spec.effect.measure = evident::Measure::RR;
  spec.fit.method = evident::Method::MH;
  spec.effect.drop00 = true;
  const evident::Analysis direct = evident::analyse(t, spec);
  EXPECT_EQ(harm.analysis->fit.estimate, direct.fit.estimate);
  EXPECT_EQ(harm.analysis->fit.ci_ub, direct.fit.ci_ub);
  // Findings: absolute effect at the median control risk, risk of bias from the rob column.
  const evident::Findings& fh = *harm.findings;
  ASSERT_TRUE(fh.absolute);
  EXPECT_NEAR(fh.absolute->control_risk, 0.5 * (3.0 / 40 + 1.0 / 31), 1e-12);
  EXPECT_NEAR(fh.participants, 309, 1e-9);
  EXPECT_EQ(fh.domains[0].domain, "Risk of bias");
  EXPECT_NE(fh.domains[0].rating, evident::Rating::not_assessed);

  const auto& pain = r.outcomes[1];
  ASSERT_EQ(pain.status, evident::OutcomeStatus::pooled);
  EXPECT_EQ(pain.analysis->fit.k, 3u);
  ASSERT_EQ(pain.unusable.size(), 1u);  // Omega has no means
  EXPECT_EQ(pain.unusable[0].study, "Omega 2018");
  EXPECT_EQ(pain.unusable[0].line, 9u);
  EXPECT_EQ(pain.unusable[0].missing.front(), "m_t");  // named by the data file's column
  EXPECT_EQ(pain.findings->important_high, 1.0);

  EXPECT_EQ(r.outcomes[2].status, evident::OutcomeStatus::no_data);
  const auto& series = r.outcomes[3];
  ASSERT_EQ(series.status, evident::OutcomeStatus::described);
  ASSERT_EQ(series.series.size(), 1u);
  EXPECT_EQ(series.series[0].events, 2.0);
  EXPECT_EQ(series.series[0].total, 30.0);
  // Clopper-Pearson 95% interval for 2/30 (R: binom.test(2, 30)$conf.int).
  EXPECT_NEAR(series.series[0].ci_lb, 0.00817813446066, 1e-12);
  EXPECT_NEAR(series.series[0].ci_ub, 0.22073540152296, 1e-12);

  ASSERT_TRUE(r.published);
  EXPECT_EQ(r.published->rows.size(), 3u);
  EXPECT_TRUE(r.published->rows[0].flags.empty());
  ASSERT_EQ(r.published->rows[1].flags.size(), 1u);  // interval without its estimate
  EXPECT_TRUE(contains(r.published->rows[1].flags[0], "does not contain the estimate"));
  ASSERT_EQ(r.published->rows[2].flags.size(), 1u);  // asymmetric "SMD"
  EXPECT_TRUE(contains(r.published->rows[2].flags[0], "asymmetric"));
  ASSERT_EQ(r.published->panels.size(), 1u);
  EXPECT_EQ(r.published->panels[0].rows.size(), 2u);
}

// An outcome whose estimates are nested in districts (dat.konstantopoulos2011): the review fits
// the multilevel model its manifest names, and its pooled result, I2 and prediction interval are
// metafor's rma.mv (tests/reference/generate_multilevel.R, case REML z).
TEST(Review, AnOutcomeNamingItsClustersIsAMultilevelModelAndTheReportSaysWhy) {
  Folder f;
  f.write("schools.csv",
          read_file(fs::path(EVIDENT_REFERENCE_DIR) / "data/multilevel_konstantopoulos2011.csv"));
  const std::string manifest =
      "title = \"Schools\"\n[[outcome]]\nid = \"ach\"\nname = \"Achievement\"\n"
      "data = [\"schools.csv\"]\nlabel = \"District {district}\"\nmeasure = \"GEN\"\n"
      "method = \"REML\"\nbenefit = \"higher\"\nrandom = [\"~ 1 | district/school\"]\n";
  f.write("review.toml", manifest);
  const evident::Review r = evident::run_review(evident::read_manifest(f.str()));
  ASSERT_EQ(r.outcomes.size(), 1u);
  const evident::OutcomeResult& o = r.outcomes[0];
  ASSERT_EQ(o.status, evident::OutcomeStatus::pooled);
  ASSERT_TRUE(o.multilevel);
  ASSERT_TRUE(o.independent);

  const auto doc = nlohmann::json::parse(
      read_file(fs::path(EVIDENT_REFERENCE_DIR) / "expected/multilevel_konstantopoulos2011.json"));
  const nlohmann::json* expected = nullptr;
  for (const auto& c : doc["cases"]) {
    const std::vector<std::string> args = c["args"];
    if (args == std::vector<std::string>{"--random", "~ 1 | district/school", "--method", "REML",
                                         "--test", "z"})
      expected = &c["expected"];
  }
  ASSERT_NE(expected, nullptr);
  auto near = [](double got, double want) {
    EXPECT_NEAR(got, want, 1e-6 * std::abs(want)) << "want " << want;
  };
  const evident::Analysis& a = *o.analysis;
  EXPECT_EQ(a.fit.k, (*expected)["k"].get<std::size_t>());
  near(a.fit.estimate, (*expected)["estimate"]);
  near(a.fit.se, (*expected)["se"]);
  near(a.fit.ci_lb, (*expected)["ci_lb"]);
  near(a.fit.ci_ub, (*expected)["ci_ub"]);
  near(a.prediction.pi_lb, (*expected)["pi_lb"]);
  near(a.fit.I2, (*expected)["I2"]);
  near(a.fit.Q, (*expected)["QE"]);
  near(o.multilevel->fit.sigma2[0], (*expected)["sigma2"][0]);
  near(o.multilevel->fit.sigma2[1], (*expected)["sigma2"][1]);
  // Beside it, the estimates pooled as independent: a different (univariate REML) answer.
  EXPECT_GT(std::abs(o.independent->fit.estimate - a.fit.estimate), 0.01);
  // Estimates may share participants: not summed; no trial sequential analysis.
  EXPECT_TRUE(std::isnan(o.findings->participants));
  EXPECT_FALSE(o.sequential);
  EXPECT_TRUE(contains(o.sequential_note, "multilevel")) << o.sequential_note;
  ASSERT_FALSE(o.notes.empty());
  EXPECT_TRUE(contains(o.notes.back(),
                       "Model: a multilevel random-effects model (random = ~ 1 | "
                       "district/school; REML), because the estimates are "
                       "nested: 56 estimates from 11 levels of district"))
      << o.notes.back();
  EXPECT_TRUE(contains(o.notes.back(), fmt::format("{:.3g}", o.independent->fit.estimate)));

  std::ostringstream html;
  evident::render_review_html(r, html);
  const std::string s = html.str();
  EXPECT_TRUE(contains(s, "56 estimates in 11 levels of district")) << "summary of findings";
  EXPECT_TRUE(contains(s, "(district/school), QE = ")) << "heterogeneity line";
  EXPECT_TRUE(contains(s,
                       "multilevel random-effects model with variance components for ~ 1 | "
                       "district/school"))
      << "methods";
  EXPECT_TRUE(contains(s, "Konstantopoulos S (2011)"));
  // The forest plot groups the estimates by district (one heading per level).
  const evident::ForestPlot fp = evident::outcome_forest_plot(o);
  EXPECT_EQ(std::count_if(fp.rows.begin(), fp.rows.end(),
                          [](const evident::ForestRow& row) {
                            return row.kind == evident::ForestRowKind::heading;
                          }),
            11);

  // Two data files, or a V file (whose row positions are the file's, not the outcome's), are
  // refused with the outcome named.
  for (const std::string& extra :
       {std::string("V = \"v.csv\"\n"), std::string("data = [\"schools.csv\", \"more.csv\"]\n")}) {
    std::string m2 = manifest;
    if (contains(extra, "data")) {
      m2.replace(m2.find("data = [\"schools.csv\"]\n"), 23, extra);
      f.write("more.csv", "study,yi,vi,district,school\n99,0.1,0.01,1,1\n");
    } else {
      m2 += extra;
      f.write("v.csv", "row,col,value\n1,1,0.1\n");
    }
    f.write("review.toml", m2);
    try {
      (void)evident::run_review(evident::read_manifest(f.str()));
      ADD_FAILURE() << "no error for " << extra;
    } catch (const evident::InputError& e) {
      EXPECT_TRUE(contains(e.what(), "outcome 'ach'")) << e.what();
      EXPECT_TRUE(contains(e.what(), contains(extra, "V") ? "V" : "one data file")) << e.what();
    }
  }
}

// A univariate outcome with several estimates from one study says so, and how to name clusters.
TEST(Review, EstimatesSharingAStudyPooledAsIndependentAreNamed) {
  Folder f;
  f.write("d.csv", "study,yi,vi\nA,0.1,0.02\nA,0.3,0.03\nB,0.2,0.05\nC,0.4,0.04\n");
  f.write("review.toml",
          "title = \"t\"\n[[outcome]]\nid = \"o\"\nname = \"O\"\ndata = [\"d.csv\"]\n"
          "measure = \"GEN\"\n");
  const evident::Review r = evident::run_review(evident::read_manifest(f.str()));
  const auto& notes = r.outcomes.at(0).notes;
  ASSERT_FALSE(notes.empty());
  EXPECT_TRUE(contains(notes.back(), "More than one estimate from one study: A (2 estimates)."))
      << notes.back();
  EXPECT_FALSE(r.outcomes[0].multilevel);
}

TEST(Review, MediansInASecondDataFileAreConvertedAndSharedControlsCountedOnce) {
  // The outcome's data files are read as one sheet: the median columns exist only in the second
  // file. Omega's two dose arms (same label, same control) are combined against the control.
  Folder f;
  std::string text = kManifest;
  const std::string pain_data = "data = [\"data.csv\", \"medians.csv\"]\nmeasure = \"MD\"";
  text.replace(text.find("measure = \"MD\""), 14, pain_data);
  const std::string cols = "sd2i = \"sd_c\", n2i = \"n_c\" }";
  text.replace(text.find(cols), cols.size(),
               "sd2i = \"sd_c\", n2i = \"n_c\", median1i = \"med_t\", q1_1i = \"q1_t\", "
               "q3_1i = \"q3_t\", median2i = \"med_c\", q1_2i = \"q1_c\", q3_2i = \"q3_c\" }");
  write_review(f, text);
  f.write("medians.csv",
          "study,year,outcome,n_t,n_c,med_t,q1_t,q3_t,med_c,q1_c,q3_c\n"
          "Omega,2018,pain,10,10,3,2,5,4,3,6\n"
          "Omega,2018,pain,10,10,2,1,4,4,3,6\n");
  const evident::Review r = evident::run_review(evident::read_manifest(f.str()));
  const auto& pain = r.outcomes[1];
  ASSERT_EQ(pain.status, evident::OutcomeStatus::pooled);
  EXPECT_EQ(pain.analysis->fit.k, 4u);  // Alpha, Beta, Gamma and Omega (arms combined)
  ASSERT_EQ(pain.unusable.size(), 1u);  // data.csv's Omega row still lacks values
  // 40+40 + 25+25 + 60+58, and Omega's 10 + 10 treated with its control of 10 counted once.
  EXPECT_EQ(pain.findings->participants, 248.0 + 30.0);

  // A mapped column that no data file has is still an error naming it.
  text.replace(text.find("q3_c\" }"), 7, "q3_x\" }");
  write_review(f, text);
  try {
    (void)evident::run_review(evident::read_manifest(f.str()));
    ADD_FAILURE() << "no error";
  } catch (const evident::InputError& e) {
    EXPECT_TRUE(contains(e.what(), "has no column 'q3_x'")) << e.what();
  }
}

TEST(Review, CommandLineMcidOverridesTheManifest) {
  Folder f;
  write_review(f);
  const evident::Manifest m = evident::read_manifest(f.str());
  evident::ReviewOptions o;
  o.mcid["pain"] = 2.5;
  o.mcid[""] = 0.3;  // for outcomes without their own
  const evident::Review r = evident::run_review(m, o);
  EXPECT_EQ(r.outcomes[1].spec.mcid, 2.5);
  EXPECT_EQ(r.outcomes[1].findings->important_low, -2.5);
  EXPECT_EQ(r.outcomes[0].spec.mcid, 0.3);
  EXPECT_TRUE(contains(r.outcomes[1].spec.mcid_source, "--mcid"));
}

TEST(Review, ReportIsSelfContainedWithEveryOutcomeAndTheSummaryOfFindings) {
  Folder f;
  write_review(f);
  const evident::Review r = evident::run_review(evident::read_manifest(f.str()));
  std::ostringstream html;
  evident::render_review_html(r, html);
  const std::string s = html.str();
  EXPECT_EQ(s.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_TRUE(contains(s, "</html>"));
  for (const auto& o : r.outcomes) {
    EXPECT_TRUE(contains(s, "id=\"outcome-" + o.spec.id + "\"")) << o.spec.id;
    EXPECT_TRUE(contains(s, "href=\"#outcome-" + o.spec.id + "\"")) << o.spec.id;  // SoF row
  }
  EXPECT_TRUE(contains(s, "<section id=\"sof\">"));
  EXPECT_TRUE(contains(s, "Summary of findings"));
  EXPECT_TRUE(contains(s, "suggested"));
  EXPECT_TRUE(contains(s, "Plain-language summary"));
  EXPECT_TRUE(contains(s, "In short"));
  EXPECT_TRUE(contains(s, "Methods"));
  EXPECT_TRUE(contains(s, "A caution about the published results."));
  // Self-contained: no script, every image inline, no external style sheet or font.
  EXPECT_FALSE(contains(s, "<script"));
  EXPECT_FALSE(contains(s, "<link"));
  EXPECT_FALSE(contains(s, "@import"));
  std::size_t images = 0;
  for (std::size_t at = s.find("<img "); at != std::string::npos; at = s.find("<img ", at + 1)) {
    ++images;
    EXPECT_EQ(s.substr(at, 40).find("src=\"data:image/svg+xml;base64,"), 5u) << s.substr(at, 60);
  }
  EXPECT_EQ(images, 2u /* forests */ + 2u /* funnels (k >= 3) */ + 2u /* sequential analyses */ +
                        1u /* published panel */);
  // A source that is not a web address is never a link.
  EXPECT_FALSE(contains(s, "href=\"javascript:"));
  EXPECT_TRUE(contains(s, "href=\"https://example.org/a\""));
  // The methods name each model with the outcomes it pooled, and cite what they use and only
  // that: Mantel-Haenszel for the harms, REML with Knapp-Hartung for pain; no DerSimonian-Laird.
  const std::string methods = s.substr(s.find("<section id=\"methods\">"));
  EXPECT_TRUE(contains(methods,
                       "(Mantel &amp; Haenszel 1959; Greenland &amp; Robins 1985) and a "
                       "Wald-type z test for Any harm"))
      << methods;
  EXPECT_TRUE(contains(methods,
                       "REML estimator of \u03c4\u00b2 (Viechtbauer 2005) and the "
                       "Hartung-Knapp-Sidik-Jonkman t test (Hartung &amp; Knapp 2001) "
                       "for Pain score"))
      << methods;
  EXPECT_TRUE(contains(methods, "<li>Mantel N, Haenszel W (1959)."));
  EXPECT_TRUE(contains(methods, "<li>Viechtbauer W (2005)."));
  EXPECT_FALSE(contains(methods, "DerSimonian"));
}

TEST(Review, CliWritesTheReportAndASummaryAndMapsErrorsToExitTwo) {
  Folder f;
  write_review(f);
  const std::string out = (f.path() / "out.html").string();
  const CliResult ok = run_cli({"review", f.str(), "--out", out});
  EXPECT_EQ(ok.code, 0) << ok.err;
  EXPECT_TRUE(ok.err.empty()) << ok.err;  // no progress bar when not on a terminal
  EXPECT_TRUE(contains(ok.out, "Report: " + out));
  EXPECT_TRUE(fs::exists(out));

  const CliResult bad_mcid = run_cli({"review", f.str(), "--out", out, "--mcid", "nope=2"});
  EXPECT_EQ(bad_mcid.code, 2);
  EXPECT_TRUE(contains(bad_mcid.err, "no outcome or published panel has the id 'nope'"))
      << bad_mcid.err;

  std::string text = kManifest;
  text.replace(text.find("measure = \"RR\""), 14, "measure = \"RRR\"");
  f.write("review.toml", text);
  const CliResult bad = run_cli({"review", f.str(), "--out", out});
  EXPECT_EQ(bad.code, 2);
  EXPECT_TRUE(contains(bad.err, "outcome[1].measure: unknown measure 'RRR'")) << bad.err;
  EXPECT_TRUE(bad.out.empty());
}

// ---- findings ----------------------------------------------------------------------------------

evident::Analysis analysis_of(std::vector<double> yi, std::vector<double> vi,
                              evident::Measure m = evident::Measure::GEN,
                              evident::Method method = evident::Method::REML) {
  evident::EffectData d;
  d.measure = m;
  d.yi = yi;
  d.vi = vi;
  for (std::size_t i = 0; i < yi.size(); ++i) {
    d.labels.push_back(fmt::format("S{}", i));
    d.lines.push_back(i + 2);
    d.ni.push_back(100);
  }
  evident::FitOptions o;
  o.method = method;
  return evident::analyse(d, o);
}

const evident::DomainSuggestion& domain(const evident::Findings& f, std::string_view name) {
  for (const auto& d : f.domains) {
    if (d.domain == name) return d;
  }
  throw std::runtime_error("no domain");
}

TEST(Findings, OptimalInformationSizeOfABinaryOutcome) {
  // Control risk 20%, relative risk reduction 25% -> 15%: per group
  // (1.959964 + 0.841621)^2 (0.2*0.8 + 0.15*0.85) / 0.05^2 = 902.6 (two-proportion formula).
  const auto a = analysis_of({0.1, -0.2, 0.05}, {0.04, 0.05, 0.03}, evident::Measure::RR);
  evident::FindingsInput in;
  in.control_risk = 0.2;
  in.participants = 500;
  in.events = 80;
  const auto f = evident::assess(a, in);
  const double z = 1.959963984540054 + 0.8416212335729143;
  EXPECT_NEAR(f.optimal_information_size, 2 * z * z * (0.2 * 0.8 + 0.15 * 0.85) / (0.05 * 0.05),
              1e-6);
  EXPECT_EQ(domain(f, "Imprecision").rating,
            evident::Rating::very_serious);  // 500 < 1806, CI has 1
  ASSERT_TRUE(f.absolute);
  EXPECT_NEAR(f.absolute->risk, 0.2 * f.estimate, 1e-12);
  EXPECT_NEAR(f.absolute->per_1000, 1000 * (0.2 * f.estimate - 0.2), 1e-9);
}

TEST(Findings, ImprecisionCountsAThresholdCrossedAndTooFewParticipantsAsTwoProblems) {
  // One trial, MD -2 (95% CI about -3.6 to -0.4) against an MCID of 1.5: the interval excludes
  // no effect but crosses the MCID. SD 1.7: optimal information size 4 z^2 SD^2 / MCID^2 = 41.
  const auto a = analysis_of({-2.0}, {0.65}, evident::Measure::MD);
  evident::FindingsInput in;
  in.mcid = 1.5;
  in.benefit = evident::Benefit::lower;
  in.typical_sd = 1.7;
  in.participants = 30;
  EXPECT_EQ(domain(evident::assess(a, in), "Imprecision").rating,
            evident::Rating::very_serious);  // threshold crossed and 30 < 41
  in.participants = 400;
  EXPECT_EQ(domain(evident::assess(a, in), "Imprecision").rating,
            evident::Rating::serious);  // the threshold alone
  // Without an MCID the information size is for half an SD: 4 z^2 / 0.25 = 126 participants.
  in.mcid.reset();
  in.participants = 30;
  const auto f = evident::assess(a, in);
  const double z = 1.959963984540054 + 0.8416212335729143;
  EXPECT_NEAR(f.optimal_information_size, 4 * z * z / 0.25, 1e-9);
  EXPECT_NE(domain(f, "Imprecision").reason.find("fall short of"), std::string::npos);
}

TEST(Findings, InconsistencyFollowsI2AndThePredictionInterval) {
  const auto low = analysis_of({0.10, 0.12, 0.08, 0.11}, {0.01, 0.01, 0.01, 0.01});
  const auto high = analysis_of({-0.9, 0.8, -0.6, 0.9, 0.1}, {0.01, 0.01, 0.01, 0.01, 0.01});
  evident::FindingsInput in;
  in.participants = std::nan("");
  EXPECT_EQ(domain(evident::assess(low, in), "Inconsistency").rating, evident::Rating::not_serious);
  ASSERT_GT(high.fit.I2, 75.0);
  EXPECT_EQ(domain(evident::assess(high, in), "Inconsistency").rating,
            evident::Rating::very_serious);
  const auto one = analysis_of({0.2}, {0.01});
  EXPECT_EQ(domain(evident::assess(one, in), "Inconsistency").rating,
            evident::Rating::not_applicable);
}

TEST(Findings, RiskOfBiasBySharesOfWeight) {
  const auto a = analysis_of({0.1, 0.2, 0.3, 0.4}, {0.01, 0.01, 0.01, 0.01}, evident::Measure::GEN,
                             evident::Method::FE);
  evident::FindingsInput in;
  in.participants = std::nan("");
  EXPECT_EQ(domain(evident::assess(a, in), "Risk of bias").rating, evident::Rating::not_assessed);
  in.has_risk_of_bias = true;
  using R = evident::RiskOfBias;
  in.risk_of_bias = {R::high, R::high, R::low, R::low};  // 50% high
  EXPECT_EQ(domain(evident::assess(a, in), "Risk of bias").rating, evident::Rating::very_serious);
  in.risk_of_bias = {R::high, R::some_concerns, R::low, R::low};
  EXPECT_EQ(domain(evident::assess(a, in), "Risk of bias").rating, evident::Rating::serious);
  in.risk_of_bias = {R::some_concerns, R::low, R::low, R::low};
  EXPECT_EQ(domain(evident::assess(a, in), "Risk of bias").rating, evident::Rating::not_serious);
  EXPECT_EQ(evident::parse_risk_of_bias("Some concerns"), R::some_concerns);
  EXPECT_EQ(evident::parse_risk_of_bias("unclear"), R::some_concerns);
  EXPECT_EQ(evident::parse_risk_of_bias("HIGH"), R::high);
  EXPECT_FALSE(evident::parse_risk_of_bias("maybe"));
}

TEST(Findings, SmallStudyEffectsOnlyWithTenStudiesOrATest) {
  std::vector<double> yi, vi;
  for (int i = 0; i < 12; ++i) {
    yi.push_back(0.1 * (i % 3));
    vi.push_back(0.02 + 0.01 * i);
  }
  const auto a = analysis_of(yi, vi);
  evident::FindingsInput in;
  in.participants = std::nan("");
  const auto none = domain(evident::assess(a, in), "Publication bias");
  EXPECT_EQ(none.rating, evident::Rating::not_assessed);
  EXPECT_TRUE(contains(none.reason, "10 or more studies")) << none.reason;
  in.small_study = evident::SmallStudyTest{"Egger's regression test", 2.5, 0.03};
  EXPECT_EQ(domain(evident::assess(a, in), "Publication bias").rating, evident::Rating::serious);
  const auto few = analysis_of({0.1, 0.2, 0.3}, {0.01, 0.02, 0.03});
  evident::FindingsInput in3;
  in3.participants = std::nan("");
  EXPECT_TRUE(
      contains(domain(evident::assess(few, in3), "Publication bias").reason, "fewer than 10"));
}

TEST(Findings, PlainStatementIsNeverStrongerThanTheInterval) {
  // An interval spanning both an important benefit and an important harm: very uncertain.
  const auto wide = analysis_of({-0.5, 0.9}, {0.3, 0.3}, evident::Measure::RR);
  evident::FindingsInput in;
  in.participants = 3000;
  in.events = 400;
  in.control_risk = 0.2;
  in.has_risk_of_bias = true;
  in.risk_of_bias = {evident::RiskOfBias::low, evident::RiskOfBias::low};
  in.indirectness = evident::Rating::not_serious;
  const auto fw = evident::assess(wide, in);
  EXPECT_EQ(fw.statement_certainty, evident::Certainty::very_low);
  // A clear reduction whose interval excludes no effect, with large numbers: may be stated.
  const auto clear = analysis_of({-0.6, -0.5, -0.55}, {0.002, 0.002, 0.002}, evident::Measure::RR);
  in.risk_of_bias.assign(3, evident::RiskOfBias::low);
  in.participants = 20000;
  in.events = 3000;
  const auto fc = evident::assess(clear, in);
  EXPECT_EQ(fc.direction, evident::EffectDirection::reduces);
  EXPECT_EQ(fc.certainty, evident::Certainty::high);
  EXPECT_EQ(fc.statement_certainty, evident::Certainty::high);
  // The same with risk of bias unassessed: at most "may".
  evident::FindingsInput unassessed = in;
  unassessed.has_risk_of_bias = false;
  const auto fu = evident::assess(clear, unassessed);
  EXPECT_TRUE(fu.at_most);
  EXPECT_EQ(fu.statement_certainty, evident::Certainty::low);
}

// ---- the knee review ---------------------------------------------------------------------------

TEST(Knee, DerivedRowsAreTheSumsOfTheDoseArms) {
  const auto studies = evident::read_csv_file(std::string(EVIDENT_KNEE_DIR) + "/studies.csv");
  const auto derived = evident::read_csv_file(std::string(EVIDENT_KNEE_DIR) + "/derived_rows.csv");
  // The columns of studies.csv, then the medians and quartiles studies.csv keeps in its notes.
  const auto names = derived.column_names();
  ASSERT_GE(names.size(), studies.column_names().size());
  ASSERT_TRUE(
      std::equal(studies.column_names().begin(), studies.column_names().end(), names.begin()));
  auto col = [](const evident::StudyTable& t, const char* name) { return *t.find_column(name); };
  std::size_t summed = 0;
  for (std::size_t r = 0; r < derived.rows(); ++r) {
    EXPECT_TRUE(contains(derived.cell(r, col(derived, "notes")), "DERIVED"));
    if (derived.cell(r, col(derived, "events_msc")).empty()) continue;
    ++summed;
    double n = 0, e = 0;
    std::size_t arms = 0;
    for (std::size_t s = 0; s < studies.rows(); ++s) {
      if (studies.cell(s, 0) != derived.cell(r, 0)) continue;
      if (studies.cell(s, col(studies, "outcome")) != derived.cell(r, col(derived, "outcome")))
        continue;
      if (studies.cell(s, col(studies, "timepoint_months")) !=
          derived.cell(r, col(derived, "timepoint_months")))
        continue;
      ++arms;
      n += std::stod(std::string(studies.cell(s, col(studies, "n_msc"))));
      e += std::stod(std::string(studies.cell(s, col(studies, "events_msc"))));
      // The control arm is the same in every arm's row and is kept once.
      EXPECT_EQ(studies.cell(s, col(studies, "n_ctl")), derived.cell(r, col(derived, "n_ctl")));
      EXPECT_EQ(studies.cell(s, col(studies, "events_ctl")),
                derived.cell(r, col(derived, "events_ctl")));
    }
    EXPECT_EQ(arms, 3u) << "row " << r;
    EXPECT_EQ(n, std::stod(std::string(derived.cell(r, col(derived, "n_msc")))));
    EXPECT_EQ(e, std::stod(std::string(derived.cell(r, col(derived, "events_msc")))));
  }
  EXPECT_EQ(summed, 6u);
}

TEST(Knee, DerivedMediansAreTheOnesInTheNotesOfTheirSourceRow) {
  const auto studies = evident::read_csv_file(std::string(EVIDENT_KNEE_DIR) + "/studies.csv");
  const auto derived = evident::read_csv_file(std::string(EVIDENT_KNEE_DIR) + "/derived_rows.csv");
  auto col = [](const evident::StudyTable& t, const char* name) { return *t.find_column(name); };
  std::size_t checked = 0;
  for (std::size_t r = 0; r < derived.rows(); ++r) {
    auto cell = [&](const char* name) { return std::string(derived.cell(r, col(derived, name))); };
    if (cell("median_msc").empty()) continue;
    ++checked;
    // "DERIVED from studies.csv line N": that row is the same arm, and its notes hold the values
    // (as "median_msc=3.5; q1_msc=3; q3_msc=5" or as "12m median_msc=2 (1,3)").
    const std::string notes = cell("notes");
    const std::size_t at = notes.find("studies.csv line ");
    ASSERT_NE(at, std::string::npos) << notes;
    const std::size_t line = std::stoul(notes.substr(at + 17));
    std::optional<std::size_t> source;
    for (std::size_t s = 0; s < studies.rows(); ++s) {
      if (studies.line(s) == line) source = s;
    }
    ASSERT_TRUE(source) << line;
    for (const char* same : {"study", "outcome", "timepoint_months", "dose_million_cells"}) {
      EXPECT_EQ(studies.cell(*source, col(studies, same)), cell(same)) << same;
    }
    const std::string src(studies.cell(*source, col(studies, "notes")));
    for (const char* arm : {"msc", "ctl"}) {
      const std::string a(arm);
      const std::string m = cell(("median_" + a).c_str()), q1 = cell(("q1_" + a).c_str()),
                        q3 = cell(("q3_" + a).c_str());
      const bool listed =
          contains(src, "median_" + a + "=" + m + "; q1_" + a + "=" + q1 + "; q3_" + a + "=" + q3);
      const bool paren = contains(src, "12m " + std::string(a == "msc" ? "median_msc=" : "") + m +
                                           " (" + q1 + "," + q3 + ")");
      EXPECT_TRUE(listed || paren) << "line " << line << " " << a;
    }
  }
  EXPECT_EQ(checked, 4u);
}

TEST(Knee, SummaryMatchesItsGoldenFileAndTheReportHasEveryOutcome) {
  Folder tmp;
  const std::string out = (tmp.path() / "report.html").string();
  const CliResult r = run_cli({"review", EVIDENT_KNEE_DIR, "--out", out});
  ASSERT_EQ(r.code, 0) << r.err;
  std::string summary = r.out;
  const std::string report_line = "Report: " + out;
  ASSERT_TRUE(contains(summary, report_line));
  summary.replace(summary.find(report_line), report_line.size(), "Report: REPORT");
  const std::string result_line = "Result file: " + (tmp.path() / "report.json").string();
  ASSERT_TRUE(contains(summary, result_line));
  summary.replace(summary.find(result_line), result_line.size(), "Result file: RESULT");

  const fs::path golden = fs::path(EVIDENT_REVIEW_GOLDEN_DIR) / "knee_summary.txt";
  const char* update = std::getenv("EVIDENT_UPDATE_GOLDEN");
  if (update && std::string_view(update) == "1") {
    std::ofstream(golden, std::ios::binary) << summary;
  } else {
    EXPECT_EQ(summary, read_file(golden)) << "regenerate with EVIDENT_UPDATE_GOLDEN=1";
  }
  // One screen: at most 40 lines of at most 100 characters.
  std::istringstream lines(summary);
  std::size_t n = 0;
  for (std::string line; std::getline(lines, line); ++n) {
    std::size_t chars = 0;
    for (char ch : line)
      chars += (static_cast<unsigned char>(ch) & 0xC0u) != 0x80u;
    EXPECT_LE(chars, 100u) << line;
  }
  EXPECT_LE(n, 40u);

  const std::string html = read_file(out);
  const evident::Manifest m = evident::read_manifest(EVIDENT_KNEE_DIR);
  for (const auto& o : m.outcomes) {
    EXPECT_TRUE(contains(html, "id=\"outcome-" + o.id + "\"")) << o.id;
  }
  for (const char* text :
       {"Summary of findings", "Plain-language summary", "Published meta-analyses, side by side",
        "not pooled with each other", "What is missing", "Lamo-Espinosa", "Derived.",
        "does not contain the estimate", "asymmetric around the estimate", "Gupta 2016",
        "Mantel-Haenszel", "No events in either arm", "single-arm series", "Methods",
        "evident review"}) {
    EXPECT_TRUE(contains(html, text)) << text;
  }
  // Chen 2021's shared control arm is counted once: its single-dose rows are never used.
  EXPECT_FALSE(contains(html, "Chen (ELIXCYTE) 2021</td><td class=\"num\">15</td>"));
}

}  // namespace

namespace {

// ---- plots from the command line ---------------------------------------------------------------

TEST(FitPlots, ForestAndFunnelAreWrittenInTheFormatOfTheirExtension) {
  Folder f;
  f.write("t.csv", "study,ai,n1i,ci,n2i\nA,2,20,5,20\nB,0,20,3,20\nC,4,20,6,20\nD,10,50,9,50\n");
  const std::string csv = (f.path() / "t.csv").string();
  const std::string svg = (f.path() / "forest.svg").string();
  const std::string png = (f.path() / "funnel.png").string();
  const std::string pdf = (f.path() / "forest.pdf").string();
  const CliResult r = run_cli({"fit", csv, "--measure", "RR", "--forest", svg, "--funnel", png,
                               "--arms", "MSC,Placebo", "--contours"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(contains(read_file(svg), "<svg"));
  EXPECT_TRUE(contains(read_file(svg), "Favours") || contains(read_file(svg), "<title>"));
  EXPECT_EQ(read_file(png).substr(1, 3), "PNG");
  ASSERT_EQ(run_cli({"fit", csv, "--measure", "RR", "--forest", pdf}).code, 0);
  EXPECT_EQ(read_file(pdf).substr(0, 5), "%PDF-");

  const CliResult bad = run_cli({"fit", csv, "--measure", "RR", "--forest", "forest.jpg"});
  EXPECT_EQ(bad.code, 2);
  EXPECT_TRUE(contains(bad.err, ".svg, .png (300 dpi) or .pdf")) << bad.err;

  // Plots are written under a temporary name and renamed when whole: none is left behind, and a
  // folder that does not exist is an error naming the path.
  for (const auto& entry : std::filesystem::directory_iterator(f.path())) {
    EXPECT_EQ(entry.path().filename().string().find(".partial-"), std::string::npos)
        << entry.path();
  }
  const std::string missing = (f.path() / "no_such_folder" / "forest.svg").string();
  const CliResult unwritable = run_cli({"fit", csv, "--measure", "RR", "--forest", missing});
  EXPECT_EQ(unwritable.code, 2);
  EXPECT_TRUE(contains(unwritable.err, missing)) << unwritable.err;
}

TEST(Help, TopLevelHelpListsEveryOptionOfEverySubcommandWithItsDefault) {
  const CliResult r = run_cli({"--help"});
  ASSERT_EQ(r.code, 0);
  for (const char* option :
       {"--measure", "--method TEXT=REML", "--test TEXT=z", "--level", "=95", "--format",
        "--forest", "--funnel", "--contours", "--arms TEXT=Group 1,Group 2", "--benefit", "--mcid",
        "--title", "review", "--out", "default: DIR/report.html"}) {
    EXPECT_TRUE(contains(r.out, option)) << option << " missing from:\n" << r.out;
  }
  // Options without a value to show say what happens when they are not given.
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    if (line.find("    --") != 0) continue;
    for (char& ch : line)
      ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    const bool has_default = contains(line, "=") || contains(line, "default");
    if (!has_default) {
      std::string next;
      std::getline(lines, next);
      EXPECT_TRUE(contains(next, "default") || contains(next, "=")) << line << "\n" << next;
    }
  }
}

}  // namespace

namespace {

TEST(Progress, SilentWhenNotATerminalOrQuickAndClearedAfterwards) {
  std::ostringstream off;
  {
    evident::cli::Progress p(off, false);
    p.update(1, 2, "outcome");
  }
  EXPECT_TRUE(off.str().empty());

  std::ostringstream on;
  evident::cli::Progress p(on, true);
  p.update(0, 4, "quick");  // a run that ends before the delay shows nothing
  EXPECT_TRUE(on.str().empty());
  std::this_thread::sleep_for(std::chrono::milliseconds(350));
  p.update(2, 4, "Serious adverse events");
  EXPECT_TRUE(contains(on.str(), "[############------------] 2/4 Serious adverse events"))
      << on.str();
  p.clear();
  EXPECT_EQ(on.str().substr(on.str().size() - 4), "\r\033[K");
}

}  // namespace
