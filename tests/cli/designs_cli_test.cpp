// The command line for sparse tables, multi-arm trials and conversions: the knee adverse-event
// data pool with MH and Peto and nothing is dropped silently; options that do not fit the data
// are usage errors (exit 2); numerical dead ends are data (exit 0).

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cli/run.hpp"

#ifndef EVIDENT_TEST_DATA_DIR
#error "EVIDENT_TEST_DATA_DIR must name tests/data"
#endif

namespace {

using Json = nlohmann::json;

struct Result {
  int code = -1;
  std::string out, err;
};

Result run(const std::vector<std::string>& args, const std::string& stdin_text = {}) {
  std::istringstream in(stdin_text);
  std::ostringstream out, err;
  Result r;
  r.code = evident::cli::run(args, in, out, err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

Json json_of(const std::vector<std::string>& args, const std::string& stdin_text = {}) {
  std::vector<std::string> a = args;
  a.insert(a.end(), {"--format", "json"});
  const Result r = run(a, stdin_text);
  EXPECT_EQ(r.code, 0) << r.err;
  return Json::parse(r.out);
}

std::string data(const std::string& name) {
  return std::string(EVIDENT_TEST_DATA_DIR) + "/" + name;
}

// Data lines of a CSV (2 ... last), for the "every row is accounted for" check.
std::size_t data_lines(const std::string& path) {
  std::ifstream f(path);
  std::string line;
  std::size_t n = 0;
  while (std::getline(f, line))
    ++n;
  return n;
}

// Every data line of the file is in the studies (directly, or as an arm of a multi-arm trial) or
// named by a diagnostic: nothing is dropped silently.
void expect_every_line_accounted_for(const Json& j, const std::string& path) {
  std::set<std::size_t> seen;
  for (const auto& s : j.at("studies"))
    seen.insert(s.at("line").get<std::size_t>());
  if (j.contains("multiarm")) {
    for (const auto& t : j["multiarm"]["trials"])
      for (const auto& l : t["lines"])
        seen.insert(l.get<std::size_t>());
  }
  std::string messages;
  for (const auto& d : j.at("diagnostics"))
    messages += d.at("message").get<std::string>() + "\n";
  for (std::size_t line = 2; line <= data_lines(path); ++line) {
    if (seen.count(line)) continue;
    std::string where = ":";  // appended piecewise: GCC 12 warns wrongly on a + chain here
    where += std::to_string(line);
    where += ':';
    EXPECT_NE(messages.find(where), std::string::npos)
        << "line " << line << " of " << path << " is neither pooled nor named:\n"
        << messages;
  }
}

std::size_t count_code(const Json& j, const std::string& code) {
  std::size_t n = 0;
  for (const auto& d : j.at("diagnostics"))
    n += d.at("code") == code ? 1 : 0;
  return n;
}

std::set<std::string> studies_with(const Json& j, const std::string& code) {
  std::set<std::string> out;
  for (const auto& d : j.at("diagnostics")) {
    if (d.at("code") == code && !d.at("study").is_null()) out.insert(d.at("study"));
  }
  return out;
}

TEST(KneeAdverseEvents, SeriousEventsPoolWithMhAndPetoAndEveryZeroEventStudyIsNamed) {
  const std::string path = data("knee_msc_serious_ae.csv");
  for (const std::string method : {"MH", "PETO"}) {
    SCOPED_TRACE(method);
    const Json j = json_of({"fit", path, "--method", method});
    EXPECT_EQ(j.at("method"), method);
    EXPECT_EQ(j.at("k"), 5);
    EXPECT_EQ(j.at("k_yi"), 2);
    EXPECT_TRUE(j.at("estimate").is_number());
    // The three trials without a serious event in either arm.
    EXPECT_EQ(studies_with(j, "double_zero"),
              (std::set<std::string>{"Kuah 2018", "Korean RCT ADMSC with HTO (PMC9216209)",
                                     "Lee (JointStem phase IIb) 2019"}));
    // The single-arm series have no control: left out, by name.
    EXPECT_EQ(studies_with(j, "row_excluded_missing").size(), 2u);
    // Chen 2021's three dose arms share the control of 8 patients: combined, and said so.
    EXPECT_EQ(j.at("multiarm").at("mode"), "combine");
    EXPECT_EQ(j.at("multiarm").at("by_default"), true);
    EXPECT_EQ(studies_with(j, "shared_control"), std::set<std::string>{"Chen 2021"});
    // Its arms are one trial, not repeated estimates of a study pooled as independent.
    EXPECT_EQ(count_code(j, "repeated_study"), 0u);
    expect_every_line_accounted_for(j, path);
    // Tables with no events keep their place in the study table, without an effect size.
    EXPECT_TRUE(j.at("studies")[0].at("yi").is_null());
  }
}

TEST(KneeAdverseEvents, AnyEventsPoolIncludingATrialWhereEveryoneHadOne) {
  const std::string path = data("knee_msc_any_ae.csv");
  const Json j = json_of({"fit", path, "--method", "MH", "--measure", "RR"});
  EXPECT_EQ(j.at("k"), 3);
  EXPECT_EQ(studies_with(j, "double_zero"), std::set<std::string>{"Kuah 2018"});
  expect_every_line_accounted_for(j, path);
  EXPECT_FALSE(j.contains("CMH"));  // the CMH and Tarone tests belong to the odds ratio
  const Json split = json_of({"fit", path, "--method", "PETO", "--multiarm", "split"});
  EXPECT_EQ(split.at("k"), 5);
  EXPECT_EQ(split.at("multiarm").at("by_default"), false);
  EXPECT_EQ(count_code(split, "repeated_study"), 0u);  // split arms share the trial's label
  expect_every_line_accounted_for(split, path);
}

TEST(KneeMedians, LamoEspinosaMediansConvertAndTheSharedControlIsCountedOnce) {
  const std::string path = data("knee_msc_lamo_espinosa_womac_pain.csv");
  const Json j = json_of({"fit", path, "--measure", "MD", "--method", "FE"});
  EXPECT_EQ(j.at("k"), 1);
  EXPECT_EQ(studies_with(j, "converted_fivenum").size(), 2u);
  expect_every_line_accounted_for(j, path);
}

TEST(MantelHaenszelCli, OddsRatioOutputHasTheTests) {
  const Json j = json_of({"fit", "-", "--method", "MH"},
                         "study,ai,bi,ci,di\nA,4,16,8,12\nB,10,40,9,41\nC,1,29,8,22\n");
  for (const char* key : {"CMH", "CMH_p", "tarone", "tarone_df", "tarone_p", "k_yi"})
    EXPECT_TRUE(j.contains(key)) << key;
  EXPECT_EQ(j.at("measure"), "OR");
  EXPECT_EQ(j.at("back_transformed").at("scale"), "OR");
  EXPECT_EQ(j.at("convergence").at("random_effects"), false);
  EXPECT_TRUE(j.at("tau2_ci").is_null());
}

TEST(MantelHaenszelCli, NotEstimableIsAResultNotAFailure) {
  const Json j = json_of({"fit", "-", "--method", "MH", "--measure", "RR"},
                         "study,ai,n1i,ci,n2i\nA,3,20,0,20\nB,1,10,0,12\n");
  EXPECT_TRUE(j.at("estimate").is_null());
  EXPECT_EQ(j.at("convergence").at("termination"), "not_estimable");
  EXPECT_EQ(studies_with(j, "not_estimable").size(), 0u);  // a note on the whole analysis
  bool noted = false;
  for (const auto& d : j.at("diagnostics"))
    noted = noted || d.at("code") == "not_estimable";
  EXPECT_TRUE(noted);
}

TEST(MantelHaenszelCli, OptionsThatDoNotFitAreUsageErrors) {
  const std::string tables = "study,ai,bi,ci,di\nA,4,16,8,12\nB,10,40,9,41\n";
  Result r = run({"fit", "-", "--method", "MH", "--test", "knha"}, tables);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--test"), std::string::npos) << r.err;
  r = run({"fit", "-", "--method", "PETO", "--measure", "RR"}, tables);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("PETO"), std::string::npos) << r.err;
  r = run({"fit", "-", "--method", "MH", "--measure", "SMD"},
          "m1i,sd1i,n1i,m2i,sd2i,n2i\n1,1,10,0,1,10\n");
  EXPECT_EQ(r.code, 2);
  r = run({"fit", "-", "--measure", "OR", "--transf", "log"}, tables);
  EXPECT_EQ(r.code, 2);
  r = run({"fit", "-", "--method", "MH", "--multiarm", "merge"}, tables);
  EXPECT_EQ(r.code, 2);
}

TEST(MantelHaenszelCli, Drop00DefaultsFollowTheMethod) {
  const std::string tables = "study,ai,n1i,ci,n2i\nA,4,20,8,20\nB,0,15,0,14\nC,2,30,6,31\n";
  // Inverse variance: escalc's default keeps the double-zero table, corrected.
  EXPECT_FALSE(json_of({"fit", "-", "--measure", "OR"}, tables).contains("k_yi"));
  EXPECT_EQ(json_of({"fit", "-", "--measure", "OR", "--drop00", "true"}, tables).at("k_yi"), 2);
  EXPECT_EQ(json_of({"fit", "-", "--method", "MH"}, tables).at("k_yi"), 2);
  EXPECT_EQ(json_of({"fit", "-", "--method", "MH", "--drop00", "false"}, tables).at("k_yi"), 3);
}

TEST(WaldCli, RatiosWithIntervalsAreBackTransformed) {
  const Json j = json_of({"fit", "-", "--transf", "log", "--method", "FE"},
                         "study,yi,ci_lb,ci_ub\nA,1.37,1.03,1.82\nB,1.89,1.60,2.23\n");
  EXPECT_EQ(j.at("measure"), "GEN");
  EXPECT_EQ(j.at("back_transformed").at("scale"), "ratio");
  EXPECT_EQ(studies_with(j, "converted_wald").size(), 2u);
}

}  // namespace
