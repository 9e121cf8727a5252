// `evident sequential` end to end: the command line on the data files of the reference cases
// gives the monitoring that tests/reference/generate_sequential.R computes (its cumulative
// meta-analyses with metafor, its boundaries by the same recursion transcribed in R), at relative
// 1e-6; the formats, the plot, and the errors of data it cannot use.

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "support/run_cli.hpp"

#ifndef EVIDENT_REFERENCE_DIR
#error "EVIDENT_REFERENCE_DIR must name tests/reference"
#endif

namespace {

using Json = nlohmann::json;
namespace fs = std::filesystem;

using Result = evident::test::CliRun;

Result run(const std::vector<std::string>& args) {
  return evident::test::run_cli(args);
}

const fs::path kReference = EVIDENT_REFERENCE_DIR;

Json reference_case(const std::string& name) {
  std::ifstream f(kReference / "expected/sequential/monitoring.json");
  const Json doc = Json::parse(f);
  for (const Json& c : doc.at("cases")) {
    if (c.at("name") == name) return c;
  }
  ADD_FAILURE() << "no reference case " << name;
  return {};
}

void expect_near(const Json& got, const Json& want, const std::string& what) {
  if (want.is_null()) {
    EXPECT_TRUE(got.is_null()) << what << ": " << got;
    return;
  }
  ASSERT_TRUE(got.is_number()) << what << ": " << got;
  const double a = got.get<double>(), b = want.get<double>();
  EXPECT_LE(std::abs(a - b), 1e-6 * std::max(std::abs(a), std::abs(b)) + 1e-10)
      << what << ": " << a << " vs " << b;
}

// Runs the command and compares every look with the reference case.
void check_against_reference(const std::string& name, std::vector<std::string> args) {
  const Json want = reference_case(name);
  args.insert(args.begin(), "sequential");
  args.insert(args.end(), {"--format", "json"});
  const Result r = run(args);
  ASSERT_EQ(r.code, 0) << r.err;
  const Json got = Json::parse(r.out);
  expect_near(got.at("information_size").at("adjusted"), want.at("information_size"),
              "information size");
  const Json& e = want.at("expected");
  const Json& looks = got.at("looks");
  ASSERT_EQ(looks.size(), e.at("z").size());
  for (std::size_t j = 0; j < looks.size(); ++j) {
    const std::string at = name + " look " + std::to_string(j + 1);
    expect_near(looks[j].at("estimate"), want.at("estimate")[j], at + " estimate");
    expect_near(looks[j].at("se"), want.at("se")[j], at + " se");
    expect_near(looks[j].at("participants"), want.at("participants")[j], at + " participants");
    expect_near(looks[j].at("z"), e.at("z")[j], at + " z");
    expect_near(looks[j].at("information_fraction"), e.at("information_fraction")[j],
                at + " fraction");
    // The reference leaves out boundaries it does not draw (before the first look at which
    // the boundary is finite, beyond the information size); where it has one, they agree.
    if (!e.at("efficacy")[j].is_null()) {
      expect_near(looks[j].at("efficacy"), e.at("efficacy")[j], at + " efficacy");
      expect_near(looks[j].at("ci_lb"), e.at("ci_lb")[j], at + " ci_lb");
      expect_near(looks[j].at("ci_ub"), e.at("ci_ub")[j], at + " ci_ub");
    }
    if (want.at("futility") != "none" && !e.at("futility")[j].is_null()) {
      expect_near(looks[j].at("futility"), e.at("futility")[j], at + " futility");
    }
  }
  EXPECT_EQ(got.at("conclusion"), e.at("conclusion"));
  expect_near(got.at("participants_needed"), e.at("participants_needed"), "participants needed");
  expect_near(got.at("adjusted").at("z"), e.at("adjusted_z"), "adjusted z");
  expect_near(got.at("adjusted").at("ci_lb"), e.at("adjusted_ci_lb"), "adjusted ci_lb");
  expect_near(got.at("adjusted").at("ci_ub"), e.at("adjusted_ci_ub"), "adjusted ci_ub");
  if (!e.at("decisive_look").is_null()) {
    const std::size_t look = e.at("decisive_look").get<std::size_t>();  // 0-based in the file
    EXPECT_EQ(got.at("decisive_study"), looks.at(look).at("study"));
  } else {
    EXPECT_TRUE(got.at("decisive_study").is_null());
  }
}

const std::string kMagnesium = (kReference / "data/egger2001.csv").string();
const std::string kBcg = (kReference / "data/bcg.csv").string();

TEST(SequentialCli, MagnesiumCommonEffectWithoutCorrection) {
  check_against_reference("magnesium_fe_obf", {kMagnesium, "--measure", "OR", "--method", "FE",
                                               "--rrr", "0.25", "--heterogeneity", "none"});
}

TEST(SequentialCli, MagnesiumDiversityAdjusted) {
  check_against_reference("magnesium_dl_obf_diversity",
                          {kMagnesium, "--measure", "OR", "--method", "DL", "--rrr", "0.25"});
}

TEST(SequentialCli, MagnesiumNonBindingFutility) {
  check_against_reference("magnesium_dl_obf_futility",
                          {kMagnesium, "--measure", "OR", "--method", "DL", "--rrr", "0.25",
                           "--futility", "nonbinding"});
}

TEST(SequentialCli, BcgBindingFutility) {
  check_against_reference("bcg_dl_obf_binding",
                          {kBcg, "--measure", "RR", "--method", "DL", "--rrr", "0.3", "--power",
                           "0.9", "--heterogeneity", "none", "--futility", "binding"});
}

TEST(SequentialCli, OrderColumnReordersTheLooks) {
  const Result r =
      run({"sequential", kBcg, "--measure", "RR", "--order", "year", "--format", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const Json j = Json::parse(r.out);
  ASSERT_EQ(j.at("looks").size(), 13u);
  EXPECT_EQ(j.at("looks")[0].at("study"), "Aronson 1948");
  EXPECT_EQ(j.at("looks")[12].at("study"), "TPT Madras 1980");
  EXPECT_EQ(j.at("settings").at("order"), "year");
}

TEST(SequentialCli, TextAndCsv) {
  const Result text = run({"sequential", kBcg, "--measure", "RR"});
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_NE(text.out.find("Required information size"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("Cochrane Handbook"), std::string::npos);
  const Result csv = run({"sequential", kBcg, "--measure", "RR", "--format", "csv"});
  ASSERT_EQ(csv.code, 0) << csv.err;
  std::istringstream lines(csv.out);
  std::string header, line;
  std::getline(lines, header);
  EXPECT_EQ(header.rfind("study,participants,information_fraction", 0), 0u) << header;
  int rows = 0;
  while (std::getline(lines, line))
    ++rows;
  EXPECT_EQ(rows, 13);
}

TEST(SequentialCli, WritesThePlot) {
  const fs::path dir = fs::temp_directory_path() / "evident_sequential_cli";
  fs::create_directories(dir);
  const fs::path png = dir / "tsa.png";
  fs::remove(png);
  const Result r = run({"sequential", kBcg, "--measure", "RR", "--plot", png.string()});
  ASSERT_EQ(r.code, 0) << r.err;
  ASSERT_TRUE(fs::exists(png));
  std::ifstream f(png, std::ios::binary);
  char magic[4] = {};
  f.read(magic, 4);
  EXPECT_EQ(std::string(magic + 1, 3), "PNG");
  fs::remove_all(dir);
}

TEST(SequentialCli, DataItCannotUseIsABadInput) {
  // Generic effect sizes carry no participants.
  const fs::path dir = fs::temp_directory_path() / "evident_sequential_cli_bad";
  fs::create_directories(dir);
  const fs::path generic = dir / "generic.csv";
  std::ofstream(generic) << "study,yi,vi\na,0.1,0.02\nb,0.3,0.05\n";
  const Result r = run({"sequential", generic.string()});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("error"), std::string::npos) << r.err;
  // A bad option value names the option.
  const Result bad = run({"sequential", kBcg, "--measure", "RR", "--power", "1.5"});
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("--power"), std::string::npos) << bad.err;
  fs::remove_all(dir);
}

}  // namespace
