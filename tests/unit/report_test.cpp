// The study listings of `evident fit` are written row by row (so a million studies need no
// string per number and no JSON tree); here they are checked against the straightforward
// rendering of the same rows, for labels and numbers of every awkward kind.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <sstream>
#include <string>

#include "evident/evident.hpp"
#include "report/format.hpp"
#include "report/json/json.hpp"

namespace evident {
namespace {

Analysis awkward_analysis() {
  EffectData data;
  data.measure = Measure::GEN;
  // Plain, spaces, tab, quote, backslash, valid UTF-8 (2 bytes, 1 column), invalid UTF-8, a
  // label longer than the listing shows, a label that is a number.
  const char* labels[] = {"Smith 2001",
                          "with, comma",
                          "tab\there",
                          "say \"hi\"",
                          "back\\slash",
                          "Jos\xc3\xa9",
                          "bad \xff byte",
                          "a label far longer than thirty-two characters",
                          "12"};
  double y = -0.31;
  for (std::size_t i = 0; i < std::size(labels); ++i) {
    data.yi.push_back(y);
    data.vi.push_back(0.01 + 0.013 * static_cast<double>(i));
    data.labels.emplace_back(labels[i]);
    data.lines.push_back(i + 2);
    data.ni.push_back(std::nan(""));
    y += 0.17;
  }
  FitOptions options;
  options.method = Method::REML;
  Analysis a = analyse(data, options, "awkward.csv");
  // Numbers of the kinds the writers treat apart: NaN, -0, whole numbers, tiny and huge values.
  a.studies[0].weight = std::nan("");
  a.studies[1].yi = -0.0;
  a.studies[2].yi = 2.0;
  a.studies[3].ci_lb = 1e-7;
  a.studies[4].ci_ub = 1e21;
  a.studies[5].yi = -0.00004;  // prints as 0.0000, not -0.0000
  return a;
}

TEST(ReportTest, StreamedJsonIsTheWholeTreesText) {
  const Analysis a = awkward_analysis();
  std::ostringstream streamed, tree;
  find_renderer("json")->render(a, streamed);
  detail::write_json(tree, detail::analysis_json(a));
  EXPECT_EQ(streamed.str(), tree.str());
  // Parses back, with every study in its place.
  const auto parsed = detail::Json::parse(streamed.str());
  ASSERT_EQ(parsed["studies"].size(), a.studies.size());
  EXPECT_EQ(parsed["studies"][3]["study"], "say \"hi\"");
  EXPECT_TRUE(parsed["studies"][0]["weight"].is_null());
}

TEST(ReportTest, StreamedMetaRegressionJsonIsTheWholeTreesText) {
  StudyTable table("awkward.csv", {"study", "yi", "vi", "x"});
  const char* labels[] = {"A", "say \"hi\"", "tab\there", "Jos\xc3\xa9", "bad \xff", "F", "G"};
  for (std::size_t i = 0; i < std::size(labels); ++i) {
    const double d = static_cast<double>(i);
    table.add_row({labels[i], fmt::format("{}", 0.1 * d - 0.2 + 0.05 * (d * d - 3.0 * d) / 7.0),
                   fmt::format("{}", 0.02 + 0.01 * d), fmt::format("{}", d)},
                  i + 2);
  }
  AnalysisSpec spec;
  spec.fit.method = Method::REML;
  MetaRegRequest request;
  request.moderators.terms = {"x"};
  MetaRegAnalysis a = analyse_metareg(table, spec, request);
  a.fitted[2] = std::nan("");
  a.studies[4].yi = 3.0;
  std::ostringstream streamed, tree;
  find_renderer("json")->render(a, streamed);
  detail::write_json(tree, detail::metareg_json(a));
  EXPECT_EQ(streamed.str(), tree.str());
  const auto parsed = detail::Json::parse(streamed.str());
  ASSERT_EQ(parsed["studies"].size(), a.studies.size());
  EXPECT_TRUE(parsed["studies"][2]["fitted"].is_null());
}

TEST(ReportTest, TextListingIsOneFormattedRowPerStudy) {
  const Analysis a = awkward_analysis();
  std::ostringstream out;
  find_renderer("text")->render(a, out);
  const std::string text = out.str();
  // The rows as fmt lays them out (width by display columns, labels cut at 32 characters).
  auto shorten = [](const std::string& s) { return s.size() <= 32 ? s : s.substr(0, 29) + "..."; };
  std::size_t width = 5;
  for (const auto& s : a.studies)
    width = std::max(width, shorten(s.study).size());
  std::string want;
  for (const auto& s : a.studies) {
    want += fmt::format("{:<{}} {:>9} {:>9} {:>7}%  [{}, {}]\n", shorten(s.study), width,
                        detail::fixed(s.yi, 4), detail::fixed(s.vi, 4), detail::fixed(s.weight, 2),
                        detail::fixed(s.ci_lb, 4), detail::fixed(s.ci_ub, 4));
  }
  const std::size_t at = text.find("\nstudy ");
  ASSERT_NE(at, std::string::npos) << text;
  const std::size_t rows = text.find('\n', at + 1) + 1;
  EXPECT_EQ(text.substr(rows, want.size()), want);
  EXPECT_NE(want.find("Jos\xc3\xa9 "), std::string::npos);
  EXPECT_NE(want.find("     NA%"), std::string::npos);
  EXPECT_EQ(want.find("-0.0000"), std::string::npos);
}

}  // namespace
}  // namespace evident
