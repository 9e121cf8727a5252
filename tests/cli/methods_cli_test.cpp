// The command line of the analyses beyond the pooled fit: `fit --mods`, `fit --subgroup`,
// `influence` and `bias`, run in-process: JSON keys, formats, option errors (exit code 2), and
// that a refit failing inside influence is reported, not fatal.

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "cli/run.hpp"

namespace {

using Json = nlohmann::json;

struct Result {
  int code = -1;
  std::string out;
  std::string err;
};

Result run(std::vector<std::string> args, const std::string& stdin_text) {
  std::istringstream in(stdin_text);
  std::ostringstream out, err;
  Result r;
  r.code = evident::cli::run(args, in, out, err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

bool contains(const std::string& s, std::string_view needle) {
  return s.find(needle) != std::string::npos;
}

// dat.bcg's log risk ratios with its moderators (values rounded), and a group with one study.
constexpr const char* kBcg =
    "study,yi,vi,ablat,year,alloc\n"
    "Aronson,-0.889,0.326,44,1948,random\n"
    "Ferguson,-1.585,0.195,55,1949,random\n"
    "Rosenthal60,-1.348,0.415,42,1960,random\n"
    "Hart,-1.442,0.020,52,1977,random\n"
    "Frimodt,-0.218,0.051,13,1973,alternate\n"
    "Stein,-0.786,0.007,44,1953,alternate\n"
    "Vandiviere,-1.621,0.223,19,1973,random\n"
    "Madras,0.012,0.004,13,1980,random\n"
    "Coetzee,-0.469,0.056,27,1968,random\n"
    "Rosenthal61,-1.371,0.073,42,1961,systematic\n"
    "Comstock74,-0.339,0.012,18,1974,systematic\n"
    "Comstock69,0.446,0.533,33,1969,systematic\n"
    "Comstock76,-0.017,0.071,33,1976,systematic\n";

Json json_of(const Result& r) {
  EXPECT_EQ(r.code, 0) << r.err;
  return Json::parse(r.out);
}

// `- 1`: one coefficient per level, no reference level, QM over every coefficient, no R2.
TEST(MethodsCli, MinusOneGivesEveryLevelItsCoefficient) {
  const Json j = json_of(run({"fit", "-", "--mods", "alloc - 1", "--format", "json"}, kBcg));
  ASSERT_EQ(j.at("coefficients").size(), 3u);
  EXPECT_EQ(j.at("coefficients")[0].at("name"), "allocalternate");
  EXPECT_TRUE(j.at("moderators")[0].at("reference").is_null());
  EXPECT_EQ(j.at("QM_df"), 3.0);
  EXPECT_TRUE(j.at("R2").is_null());
  const Result text = run({"fit", "-", "--mods", "alloc - 1"}, kBcg);
  EXPECT_NE(text.out.find("alloc (categorical, every level)"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("Test of moderators (coefficients 1:3)"), std::string::npos);
  const Json with = json_of(run({"fit", "-", "--mods", "alloc", "--format", "json"}, kBcg));
  EXPECT_EQ(with.at("moderators")[0].at("reference"), "alternate");
}

TEST(MethodsCli, MetaRegressionJson) {
  const Json j = json_of(run({"fit", "-", "--mods", "ablat,alloc", "--predict",
                              "ablat=30,alloc=random", "--format", "json"},
                             kBcg));
  ASSERT_EQ(j.at("coefficients").size(), 4u);
  EXPECT_EQ(j.at("coefficients")[0].at("name"), "intrcpt");
  EXPECT_EQ(j.at("coefficients")[1].at("name"), "ablat");
  EXPECT_EQ(j.at("coefficients")[2].at("name"), "allocrandom");
  for (const char* key : {"estimate", "se", "zval", "pval", "ci_lb", "ci_ub"}) {
    EXPECT_TRUE(j.at("coefficients")[1].at(key).is_number()) << key;
  }
  for (const char* key : {"QM", "QM_df", "QM_p", "QE", "QE_df", "QE_p", "R2", "tau2"}) {
    EXPECT_TRUE(j.at(key).is_number()) << key;
  }
  EXPECT_EQ(j.at("QM_df"), 3.0);
  EXPECT_EQ(j.at("QE_df"), 9.0);
  ASSERT_EQ(j.at("predictions").size(), 1u);
  EXPECT_EQ(j.at("predictions")[0].at("values").at("alloc"), "random");
  const Json t =
      json_of(run({"fit", "-", "--mods", "ablat", "--test", "knha", "--format", "json"}, kBcg));
  EXPECT_TRUE(t.at("coefficients")[1].contains("tval"));
  EXPECT_EQ(t.at("QM_ddf"), 11.0);
}

TEST(MethodsCli, MetaRegressionTextAndCsv) {
  const Result text = run({"fit", "-", "--mods", "ablat", "--permutations", "200"}, kBcg);
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_TRUE(contains(text.out, "Test of moderators (coefficient 2): QM(df = 1)"));
  EXPECT_TRUE(contains(text.out, "pval.perm"));
  EXPECT_TRUE(contains(text.out, "Permutation test (random, 200 permutations, seed 1)"));
  const Result csv = run({"fit", "-", "--mods", "ablat", "--format", "csv"}, kBcg);
  ASSERT_EQ(csv.code, 0) << csv.err;
  EXPECT_EQ(std::count(csv.out.begin(), csv.out.end(), '\n'), 3);  // header + 2 coefficients
}

TEST(MethodsCli, SubgroupsJson) {
  const Json j = json_of(run({"fit", "-", "--subgroup", "alloc", "--format", "json"}, kBcg));
  EXPECT_EQ(j.at("k"), 13);  // the overall result is there too
  ASSERT_EQ(j.at("subgroups").size(), 3u);
  EXPECT_EQ(j.at("subgroups")[0].at("level"), "alternate");
  EXPECT_EQ(j.at("subgroup_test").at("tau2"), "separate");
  EXPECT_EQ(j.at("subgroup_test").at("df"), 2.0);
  const Json c = json_of(run(
      {"fit", "-", "--subgroup", "alloc", "--tau2", "common", "--test", "knha", "--format", "json"},
      kBcg));
  EXPECT_EQ(c.at("subgroup_test").at("tau2"), "common");
  EXPECT_EQ(c.at("subgroup_test").at("ddf"), 10.0);
}

TEST(MethodsCli, InfluenceJsonAndCsv) {
  const Json j = json_of(run({"influence", "-", "--order", "year", "--format", "json"}, kBcg));
  ASSERT_EQ(j.at("leave1out").size(), 13u);
  ASSERT_EQ(j.at("influence").size(), 13u);
  ASSERT_EQ(j.at("cumulative").size(), 13u);
  ASSERT_EQ(j.at("baujat").size(), 13u);
  EXPECT_EQ(j.at("cumulative")[0].at("study"), "Aronson");  // 1948
  EXPECT_EQ(j.at("cumulative")[12].at("study"), "Madras");  // 1980
  EXPECT_EQ(j.at("cumulative_order"), "year");
  EXPECT_TRUE(j.at("influence")[0].at("inf").is_boolean());
  EXPECT_TRUE(j.at("influence")[0].at("dfbetas").contains("intrcpt"));
  const Result csv = run({"influence", "-", "--format", "csv"}, kBcg);
  ASSERT_EQ(csv.code, 0) << csv.err;
  EXPECT_EQ(std::count(csv.out.begin(), csv.out.end(), '\n'), 14);
  EXPECT_TRUE(contains(csv.out.substr(0, csv.out.find('\n')), "loo_estimate"));
}

TEST(MethodsCli, InfluenceRecordsAFailedRefit) {
  // "unique" has one study: the meta-regression without it is singular.
  const std::string data =
      "study,yi,vi,g\nA,0.1,0.02,a\nB,0.3,0.03,a\nC,0.2,0.02,b\nD,0.5,0.04,b\nE,0.9,0.05,unique\n"
      "F,0.4,0.03,a\n";
  const Result r =
      run({"influence", "-", "--mods", "g", "--method", "DL", "--format", "json"}, data);
  ASSERT_EQ(r.code, 0) << r.err;
  const Json j = Json::parse(r.out);
  EXPECT_TRUE(j.at("influence")[4].at("cook_d").is_null());
  EXPECT_TRUE(j.at("influence")[0].at("cook_d").is_number());
  bool reported = false;
  for (const Json& d : j.at("diagnostics"))
    reported = reported || (d.at("code") == "refit_failed" && d.at("study") == "E");
  EXPECT_TRUE(reported);
  EXPECT_FALSE(j.contains("leave1out"));  // not defined with moderators
}

TEST(MethodsCli, BiasJson) {
  const Json j = json_of(run({"bias", "-", "--format", "json"}, kBcg));
  for (const char* key : {"egger", "begg", "trimfill", "fsn", "pet_peese", "funnel"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_TRUE(j.at("egger").contains("zval"));
  EXPECT_TRUE(j.at("egger").at("limit_estimate").is_number());
  EXPECT_TRUE(j.at("trimfill").at("filled").is_array());
  EXPECT_EQ(j.at("funnel").at("studies").size(), 13u);
  EXPECT_EQ(j.at("funnel").at("contours").size(), 3u);
  const Json lm = json_of(run({"bias", "-", "--egger-model", "lm", "--format", "json"}, kBcg));
  EXPECT_EQ(lm.at("egger").at("df"), 11.0);
  const Result csv = run({"bias", "-", "--format", "csv"}, kBcg);
  EXPECT_EQ(csv.code, 0);
  const Result text = run({"bias", "-"}, kBcg);
  EXPECT_TRUE(contains(text.out, "Trim-and-fill (L0 estimator)"));
}

TEST(MethodsCli, OptionErrorsAreUsageErrors) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases{
      {{"fit", "-", "--predict", "ablat=1"}, "--predict needs --mods"},
      {{"fit", "-", "--permutations", "100"}, "--permutations needs --mods"},
      {{"fit", "-", "--tau2", "common"}, "--tau2 needs --subgroup"},
      {{"fit", "-", "--mods", "ablat", "--subgroup", "alloc"}, "either --mods or --subgroup"},
      {{"fit", "-", "--mods", "ablt"}, "did you mean 'ablat'"},
      {{"fit", "-", "--mods", "ablat", "--predict", "alloc=random"}, "not a moderator"},
      {{"fit", "-", "--mods", "alloc", "--ref", "alloc=none"}, "not a level"},
      {{"fit", "-", "--subgroup", "nope"}, "does not have"},
      {{"influence", "-", "--order", "nope"}, "does not have"},
      {{"bias", "-", "--predictor", "ni"}, "sample sizes"},
      {{"fit", "-", "--mods", "factor(year),ablat"}, "too few"},  // 13 coefficients, k = 13
  };
  for (const Case& c : cases) {
    const Result r = run(c.args, kBcg);
    EXPECT_EQ(r.code, 2) << c.message << "\n" << r.out;
    EXPECT_TRUE(contains(r.err, c.message)) << r.err;
  }
}

}  // namespace

namespace {

// --method BAYES where it does not apply yet, or with options it does not take: exit 2 before
// anything is written, naming the option.
TEST(MethodsCli, BayesWhereItDoesNotApplyIsAUsageError) {
  struct Case {
    std::vector<std::string> args;
    const char* names;
  };
  const std::vector<Case> cases = {
      {{"fit", "-", "--method", "BAYES", "--test", "knha"}, "--test"},
      {{"fit", "-", "--method", "BAYES", "--forest", "/tmp/evident-never.png"}, "--forest"},
      {{"fit", "-", "--method", "BAYES", "--mods", "ablat"}, "--mods"},
      {{"fit", "-", "--prior-tau", "halfcauchy:1"}, "--prior-tau"},
      {{"influence", "-", "--method", "BAYES"}, "--method"},
      {{"bias", "-", "--method", "BAYES"}, "--method"},
  };
  for (const Case& c : cases) {
    const Result r = run(c.args, kBcg);
    EXPECT_EQ(r.code, 2) << c.args.back();
    EXPECT_TRUE(r.out.empty()) << r.out;
    EXPECT_TRUE(contains(r.err, c.names)) << r.err;
  }
  const Result ok = run({"fit", "-", "--method", "BAYES", "--format", "json"}, kBcg);
  ASSERT_EQ(ok.code, 0) << ok.err;
  const Json j = Json::parse(ok.out);
  EXPECT_EQ(j.at("method"), "BAYES");
  EXPECT_EQ(j.at("posterior").at("tau_prior"), "halfnormal:0.5");
  EXPECT_EQ(j.at("posterior").at("theta").size(), 13u);
  EXPECT_TRUE(j.at("tau2").is_null());
}

}  // namespace

namespace {

// A funnel contour is a significance level strictly between 0 and 100 percent: 0 and 100 have no
// z (they were accepted and gave null).
TEST(MethodsCli, ContoursOutsideZeroToHundredAreUsageErrors) {
  for (const char* bad : {"0,5", "5,100", "-1", "150"}) {
    const Result r = run({"bias", "-", "--contours", bad}, kBcg);
    EXPECT_EQ(r.code, 2) << bad;
    EXPECT_TRUE(contains(r.err, "--contours")) << r.err;
    EXPECT_TRUE(r.out.empty());
  }
  EXPECT_EQ(run({"bias", "-", "--contours", "20,1"}, kBcg).code, 0);
}

}  // namespace

namespace {

// A correlated random effect (`--random "~ inner | outer" --struct`): what cannot be fitted is
// exit 2 naming the formula, and a fit writes its structure, tau2 and rho.
TEST(MethodsCli, StructErrorsAreUsageErrorsAndAFitWritesItsStructure) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases{
      {{"fit", "-", "--random", "~ alloc | year/ablat"}, "one outer factor, not a nesting"},
      {{"fit", "-", "--random", "~ alloc | year", "--random", "~ alloc | ablat"},
       "one struct per model"},
      {{"fit", "-", "--random", "~ 1 | year", "--struct", "UN"}, "which no --random formula has"},
      {{"batch", "-", "--by", "alloc", "--random", "~ ablat | year", "--struct", "HCS", "--out",
        "/tmp/evident-struct-batch.csv"},
       "evident batch fits CS, ID and AR"},
  };
  for (const Case& c : cases) {
    const Result r = run(c.args, kBcg);
    EXPECT_EQ(r.code, 2) << c.message << "\n" << r.out;
    EXPECT_TRUE(contains(r.err, c.message)) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
  const Json j = json_of(run(
      {"fit", "-", "--random", "~ alloc | ablat", "--struct", "DIAG", "--format", "json"}, kBcg));
  EXPECT_EQ(j.at("struct").at("name"), "DIAG");
  EXPECT_EQ(j.at("struct").at("levels"), Json({"alternate", "random", "systematic"}));
  EXPECT_EQ(j.at("tau2").size(), 3U);
  EXPECT_TRUE(j.at("rho").is_null());
  EXPECT_TRUE(j.at("sigma2").empty());
  EXPECT_TRUE(j.at("pi_lb").is_null());  // a tau2 per level: no single prediction interval
}

}  // namespace
