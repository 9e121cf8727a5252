// The command line, run in-process through evident::cli::run: the contract of DESIGN.md (JSON
// keys, formats, exit codes, messages naming file:line:column), plus data-driven golden cases.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "cli/run.hpp"
#include "evident/evident.hpp"

#ifndef EVIDENT_CLI_GOLDEN_DIR
#error "EVIDENT_CLI_GOLDEN_DIR must name the folder of the golden cases (tests/cli/golden)"
#endif

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

struct Result {
  int code = -1;
  std::string out;
  std::string err;
};

Result run_cli(const std::vector<std::string>& args, const std::string& stdin_text = {}) {
  std::istringstream in(stdin_text);
  std::ostringstream out, err;
  Result r;
  r.code = evident::cli::run(args, in, out, err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

// A fresh directory per test, removed afterwards, so tests never see each other's files.
class TempDir {
 public:
  TempDir() {
    static std::atomic<unsigned> counter{0};
    std::random_device rd;
    path_ = fs::temp_directory_path() /
            ("evident-cli-test-" + std::to_string(rd()) + "-" + std::to_string(counter++));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // Writes `text` to a file in the directory and returns its path.
  std::string write(const std::string& name, const std::string& text) const {
    const fs::path p = path_ / name;
    std::ofstream f(p, std::ios::binary);
    f << text;
    return p.string();
  }
  [[nodiscard]] const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// Five 2x2 tables, one with a zero cell, with some heterogeneity.
constexpr const char* kTables =
    "study,ai,bi,ci,di\n"
    "Adams 2001,2,18,5,15\n"
    "Baker 2004,0,20,3,17\n"
    "Chen 2010,4,16,6,14\n"
    "Diaz 2015,10,40,9,41\n"
    "Evans 2019,1,29,8,22\n";

constexpr const char* kEffects =
    "study,yi,vi\n"
    "A,0.10,0.02\n"
    "B,0.45,0.03\n"
    "C,-0.05,0.015\n"
    "D,0.60,0.05\n"
    "E,0.30,0.01\n";

class Cli : public ::testing::Test {
 protected:
  TempDir dir_;
};

Json parse_json(const Result& r) {
  EXPECT_EQ(r.code, 0) << r.err;
  return Json::parse(r.out);  // throws (and fails the test) if not JSON
}

// ---- JSON --------------------------------------------------------------------------------------

TEST_F(Cli, JsonHasTheDocumentedKeysWithTheirTypes) {
  const std::string file = dir_.write("or.csv", kTables);
  const Json j = parse_json(run_cli({"fit", file, "--measure", "OR", "--format", "json"}));

  EXPECT_EQ(j.at("measure"), "OR");
  EXPECT_EQ(j.at("method"), "REML");
  EXPECT_EQ(j.at("test"), "z");
  EXPECT_EQ(j.at("level"), 95.0);
  EXPECT_TRUE(j.at("k").is_number_integer());
  EXPECT_EQ(j.at("k"), 5);
  for (const char* key : {"estimate", "se", "zval", "pval", "ci_lb", "ci_ub", "pi_lb", "pi_ub",
                          "tau2", "tau2_se", "tau", "I2", "H2", "Q", "Q_df", "Q_p"}) {
    ASSERT_TRUE(j.contains(key)) << key;
    EXPECT_TRUE(j.at(key).is_number()) << key << " = " << j.at(key);
  }
  EXPECT_FALSE(j.contains("tval"));
  for (const char* key : {"tau2_ci", "I2_ci", "H2_ci"}) {
    ASSERT_TRUE(j.contains(key)) << key;
    ASSERT_TRUE(j.at(key).is_array()) << key;
    ASSERT_EQ(j.at(key).size(), 2u) << key;
    EXPECT_TRUE(j.at(key)[0].is_number() && j.at(key)[1].is_number()) << key;
    EXPECT_LE(j.at(key)[0].get<double>(), j.at(key)[1].get<double>()) << key;
  }
  EXPECT_EQ(j.at("Q_df"), 4.0);
  EXPECT_LT(j.at("ci_lb").get<double>(), j.at("estimate").get<double>());
  EXPECT_GT(j.at("ci_ub").get<double>(), j.at("estimate").get<double>());
  EXPECT_NEAR(j.at("tau").get<double>(), std::sqrt(j.at("tau2").get<double>()), 1e-15);

  const Json& studies = j.at("studies");
  ASSERT_TRUE(studies.is_array());
  ASSERT_EQ(studies.size(), 5u);
  double weight_sum = 0;
  for (const Json& s : studies) {
    EXPECT_TRUE(s.at("study").is_string());
    for (const char* key : {"yi", "vi", "weight", "ci_lb", "ci_ub"}) {
      EXPECT_TRUE(s.at(key).is_number()) << key;
    }
    weight_sum += s.at("weight").get<double>();
  }
  EXPECT_EQ(studies[0].at("study"), "Adams 2001");
  EXPECT_NEAR(weight_sum, 100.0, 1e-9);  // weights are percentages

  const Json& diagnostics = j.at("diagnostics");
  ASSERT_TRUE(diagnostics.is_array());
  ASSERT_FALSE(diagnostics.empty());  // Baker 2004 has a zero cell
  for (const Json& d : diagnostics) {
    EXPECT_TRUE(d.at("code").is_string());
    EXPECT_TRUE(d.at("message").is_string());
    EXPECT_TRUE(d.at("study").is_string() || d.at("study").is_null());
  }
  EXPECT_EQ(diagnostics[0].at("code"), "zero_cell_corrected");
  EXPECT_EQ(diagnostics[0].at("study"), "Baker 2004");
}

TEST_F(Cli, KnhaReportsTvalAndNoZval) {
  const std::string file = dir_.write("yi.csv", kEffects);
  const Json j = parse_json(run_cli({"fit", file, "--test", "knha", "--format", "json"}));
  EXPECT_EQ(j.at("test"), "knha");
  ASSERT_TRUE(j.contains("tval"));
  EXPECT_TRUE(j.at("tval").is_number());
  EXPECT_FALSE(j.contains("zval"));
}

TEST_F(Cli, CommonEffectHasNoPredictionInterval) {
  const std::string file = dir_.write("yi.csv", kEffects);
  const Json j = parse_json(run_cli({"fit", file, "--method", "FE", "--format", "json"}));
  EXPECT_EQ(j.at("method"), "FE");
  EXPECT_TRUE(j.at("pi_lb").is_null());
  EXPECT_TRUE(j.at("pi_ub").is_null());
  EXPECT_EQ(j.at("tau2"), 0.0);
  EXPECT_TRUE(j.at("estimate").is_number());
}

TEST_F(Cli, RiskRatioIsBackTransformed) {
  const std::string file = dir_.write("rr.csv", kTables);
  const Json j = parse_json(run_cli({"fit", file, "--measure", "RR", "--format", "json"}));
  ASSERT_TRUE(j.contains("back_transformed"));
  const Json& b = j.at("back_transformed");
  EXPECT_EQ(b.at("scale"), "RR");
  EXPECT_NEAR(b.at("estimate").get<double>(), std::exp(j.at("estimate").get<double>()), 1e-12);
  EXPECT_NEAR(b.at("ci_lb").get<double>(), std::exp(j.at("ci_lb").get<double>()), 1e-12);
  EXPECT_NEAR(b.at("ci_ub").get<double>(), std::exp(j.at("ci_ub").get<double>()), 1e-12);
}

TEST_F(Cli, GenericEffectsAreNotBackTransformed) {
  const std::string file = dir_.write("yi.csv", kEffects);
  const Json j = parse_json(run_cli({"fit", file, "--format", "json"}));
  EXPECT_EQ(j.at("measure"), "GEN");
  EXPECT_FALSE(j.contains("back_transformed"));
}

TEST_F(Cli, DiagnosticForARowWithAMissingValue) {
  const std::string file =
      dir_.write("missing.csv", "study,yi,vi\nA,0.1,0.02\nB,NA,0.03\nC,0.3,0.01\n");
  const Json j = parse_json(run_cli({"fit", file, "--format", "json"}));
  EXPECT_EQ(j.at("k"), 2);
  ASSERT_EQ(j.at("diagnostics").size(), 1u);
  const Json& d = j.at("diagnostics")[0];
  EXPECT_EQ(d.at("code"), "row_excluded_missing");
  EXPECT_EQ(d.at("study"), "B");
  EXPECT_TRUE(contains(d.at("message").get<std::string>(), file + ":3")) << d.at("message");
}

TEST_F(Cli, SameInputGivesByteIdenticalJson) {
  const std::string file = dir_.write("or.csv", kTables);
  const std::vector<std::string> args{"fit", file, "--measure", "OR", "--format", "json"};
  const Result first = run_cli(args);
  const Result second = run_cli(args);
  ASSERT_EQ(first.code, 0) << first.err;
  EXPECT_FALSE(first.out.empty());
  EXPECT_EQ(first.out, second.out);
}

// ---- other formats, input and options ----------------------------------------------------------

// `--format csv` output read back with evident's own reader: a header and exactly one row, as a
// map from column name to cell (empty cells kept).
std::map<std::string, std::string> csv_row(const std::string& text) {
  std::istringstream in(text);
  const evident::StudyTable t = evident::read_csv(in, "output.csv");
  EXPECT_EQ(t.rows(), 1u) << text;
  std::map<std::string, std::string> row;
  for (std::size_t c = 0; c < t.columns() && t.rows() > 0; ++c)
    row[t.column_names()[c]] = t.cell(0, c);
  return row;
}

TEST_F(Cli, CsvFormatIsAHeaderAndOneRowWithTheSameEstimate) {
  const std::string file = dir_.write("or.csv", kTables);
  const Json j = parse_json(run_cli({"fit", file, "--measure", "OR", "--format", "json"}));
  const Result r = run_cli({"fit", file, "--measure", "OR", "--format", "csv"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto row = csv_row(r.out);
  ASSERT_TRUE(row.count("estimate")) << r.out;
  EXPECT_EQ(std::stod(row.at("estimate")), j.at("estimate").get<double>());
}

TEST_F(Cli, CsvFormatCarriesTheMantelHaenszelTests) {
  const std::string file = dir_.write("or.csv", kTables);
  const Json j =
      parse_json(run_cli({"fit", file, "--measure", "OR", "--method", "MH", "--format", "json"}));
  const Result r = run_cli({"fit", file, "--measure", "OR", "--method", "MH", "--format", "csv"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto row = csv_row(r.out);
  for (const char* key : {"CMH", "CMH_p", "tarone", "tarone_df", "tarone_p"}) {
    ASSERT_TRUE(row.count(key)) << key << "\n" << r.out;
    ASSERT_FALSE(row.at(key).empty()) << key;
    EXPECT_EQ(std::stod(row.at(key)), j.at(key).get<double>()) << key;
  }
}

TEST_F(Cli, TextFormatNamesTheModelAndTheEstimate) {
  const std::string file = dir_.write("or.csv", kTables);
  const Json j = parse_json(run_cli({"fit", file, "--measure", "OR", "--format", "json"}));
  const Result r = run_cli({"fit", file, "--measure", "OR"});  // text is the default
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "Random-effects model")) << r.out;
  std::ostringstream estimate;
  estimate << std::fixed << std::setprecision(4) << j.at("estimate").get<double>();
  EXPECT_TRUE(contains(r.out, estimate.str())) << estimate.str() << "\n" << r.out;
  EXPECT_TRUE(contains(r.out, "Adams 2001"));
}

TEST_F(Cli, DashReadsStandardInput) {
  const std::string file = dir_.write("or.csv", kTables);
  const Json from_file = parse_json(run_cli({"fit", file, "--measure", "OR", "--format", "json"}));
  const Json from_stdin =
      parse_json(run_cli({"fit", "-", "--measure", "OR", "--format", "json"}, kTables));
  EXPECT_EQ(from_stdin.at("source"), "<stdin>");
  EXPECT_EQ(from_stdin.at("estimate"), from_file.at("estimate"));
  EXPECT_EQ(from_stdin.at("tau2"), from_file.at("tau2"));
}

TEST_F(Cli, LowerLevelNarrowsTheInterval) {
  const Json l95 = parse_json(run_cli({"fit", "-", "--format", "json"}, kEffects));
  const Json l90 = parse_json(run_cli({"fit", "-", "--level", "90", "--format", "json"}, kEffects));
  EXPECT_EQ(l90.at("level"), 90.0);
  EXPECT_EQ(l90.at("estimate"), l95.at("estimate"));
  EXPECT_GT(l90.at("ci_lb").get<double>(), l95.at("ci_lb").get<double>());
  EXPECT_LT(l90.at("ci_ub").get<double>(), l95.at("ci_ub").get<double>());
  EXPECT_LT(l90.at("pi_ub").get<double>() - l90.at("pi_lb").get<double>(),
            l95.at("pi_ub").get<double>() - l95.at("pi_lb").get<double>());
}

TEST_F(Cli, AddAndToChangeTheZeroCellCorrection) {
  const Json only0 =
      parse_json(run_cli({"fit", "-", "--measure", "OR", "--format", "json"}, kTables));
  const Json all = parse_json(
      run_cli({"fit", "-", "--measure", "OR", "--to", "all", "--format", "json"}, kTables));
  const Json add1 = parse_json(
      run_cli({"fit", "-", "--measure", "OR", "--add", "1", "--format", "json"}, kTables));
  // Adams 2001 has no zero cell: only --to all changes it.
  EXPECT_NEAR(all.at("studies")[1].at("yi").get<double>(),
              std::log(0.5 / 20.5) - std::log(3.5 / 17.5), 1e-12);
  EXPECT_NE(all.at("studies")[0].at("yi"), only0.at("studies")[0].at("yi"));
  EXPECT_EQ(add1.at("studies")[0].at("yi"), only0.at("studies")[0].at("yi"));
  EXPECT_NE(add1.at("studies")[1].at("yi"), only0.at("studies")[1].at("yi"));
}

TEST_F(Cli, MeasureAndMethodNamesAreCaseInsensitive) {
  const Json j = parse_json(
      run_cli({"fit", "-", "--measure", "or", "--method", "dl", "--format", "json"}, kTables));
  EXPECT_EQ(j.at("measure"), "OR");
  EXPECT_EQ(j.at("method"), "DL");
}

// ---- errors and exit codes ---------------------------------------------------------------------

TEST_F(Cli, BadDataNamesFileLineAndColumn) {
  const std::string file = dir_.write("bad.csv", "study,ai,bi,ci,di\nA,2,18,5,15\nB,abc,20,3,17\n");
  const Result r = run_cli({"fit", file, "--measure", "OR"});
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_TRUE(contains(r.err, file + ":3:2:")) << r.err;
  EXPECT_TRUE(contains(r.err, "'abc' is not a number")) << r.err;
}

TEST_F(Cli, MalformedCsvNamesFileLineAndColumn) {
  const std::string file = dir_.write("bad.csv", "yi,vi\n0.1,0.2\n0.3,0.4,0.5\n");
  const Result r = run_cli({"fit", file});
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(contains(r.err, file + ":3:3: too many fields")) << r.err;
}

TEST_F(Cli, EveryProblemIsPrinted) {
  const Result r = run_cli({"fit", "-"}, "yi,vi\nx,0.1\n0.2,-1\n0.3,0.1\n");
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(contains(r.err, "<stdin>:2:1:")) << r.err;
  EXPECT_TRUE(contains(r.err, "<stdin>:3:2:")) << r.err;
}

TEST_F(Cli, NonexistentFile) {
  const std::string file = (dir_.path() / "no-such-file.csv").string();
  const Result r = run_cli({"fit", file});
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(r.out.empty());
  EXPECT_TRUE(contains(r.err, file)) << r.err;
  EXPECT_TRUE(contains(r.err, "cannot open")) << r.err;
}

TEST_F(Cli, UnknownOptionValuesAreUsageErrors) {
  const std::vector<std::vector<std::string>> cases{
      {"--measure", "XYZ"}, {"--method", "XYZ"}, {"--test", "t"},
      {"--format", "xml"},  {"--to", "some"},    {"--level", "abc"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args{"fit", "-"};
    args.insert(args.end(), c.begin(), c.end());
    const Result r = run_cli(args, kEffects);
    EXPECT_EQ(r.code, 2) << c[0];
    EXPECT_TRUE(r.out.empty()) << c[0] << ": " << r.out;
    EXPECT_TRUE(contains(r.err, c[0])) << c[0] << ": " << r.err;
  }
}

TEST_F(Cli, LevelMustBeStrictlyBetweenZeroAndHundred) {
  for (const char* level : {"0", "100", "-5", "150"}) {
    const Result r = run_cli({"fit", "-", "--level", level}, kEffects);
    EXPECT_EQ(r.code, 2) << level;
    EXPECT_TRUE(contains(r.err, "--level")) << r.err;
  }
}

TEST_F(Cli, UnknownOptionIsAUsageError) {
  const Result r = run_cli({"fit", "-", "--bogus"}, kEffects);
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(contains(r.err, "--bogus")) << r.err;
}

TEST_F(Cli, MissingFileArgument) {
  const Result r = run_cli({"fit", "--measure", "OR"});
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(contains(r.err, "FILE")) << r.err;
}

TEST_F(Cli, NoSubcommand) {
  const Result r = run_cli({});
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(r.out.empty());
  EXPECT_TRUE(contains(r.err, "subcommand")) << r.err;
}

TEST_F(Cli, UnknownSubcommand) {
  const Result r = run_cli({"pool", "x.csv"});
  EXPECT_EQ(r.code, 2);
  EXPECT_FALSE(r.err.empty());
}

TEST_F(Cli, RawDataWithoutMeasureGivesTheHint) {
  const Result r = run_cli({"fit", "-"}, kTables);
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(contains(r.err, "--measure OR, RR or RD")) << r.err;
}

// ---- help and version --------------------------------------------------------------------------

TEST_F(Cli, HelpListsTheSubcommand) {
  const Result r = run_cli({"--help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_TRUE(contains(r.out, "fit")) << r.out;
  EXPECT_TRUE(contains(r.out, "Exit codes")) << r.out;
}

TEST_F(Cli, FitHelpListsEveryOption) {
  const Result r = run_cli({"fit", "--help"});
  EXPECT_EQ(r.code, 0);
  for (const char* option :
       {"FILE", "--measure", "--method", "--test", "--level", "--format", "--add", "--to"}) {
    EXPECT_TRUE(contains(r.out, option)) << option << " missing from:\n" << r.out;
  }
  // Every measure code is listed with --measure.
  for (const char* code :
       {"MD", "SMD", "ROM", "OR", "RR", "RD", "PR", "PLO", "PAS", "PFT", "COR", "ZCOR"}) {
    EXPECT_TRUE(contains(r.out, std::string("  ") + code + " ")) << code;
  }
}

TEST_F(Cli, VersionPrintsTheVersion) {
  const Result r = run_cli({"--version"});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out, std::string("evident ") + evident::kVersion + "\n");
}

// ---- golden cases ------------------------------------------------------------------------------
//
// Each tests/cli/golden/NAME.case is one run of the command line:
//
//   # optional comment lines
//   fit - --measure OR --format text        <- the arguments, split at spaces (no quoting)
//   --- stdin
//   ...input CSV...
//   --- stdout
//   ...expected standard output...
//   --- stderr
//   ...expected standard error...
//   --- exit 0
//
// Every section is optional; a missing stdout or stderr section is not checked, an empty one
// means "no output". Outputs are compared byte for byte.
//
// After an intended change of the output, regenerate the expected sections with
//   EVIDENT_UPDATE_GOLDEN=1 ./build/tests/evident_tests --gtest_filter='*Golden*'
// and review the diff of tests/cli/golden/ before committing.

struct GoldenCase {
  std::string comments;  // leading '#' lines, kept on update
  std::string args;
  std::string stdin_text;
  bool has_stdin = false;
  std::optional<std::string> stdout_text;
  std::optional<std::string> stderr_text;
  std::optional<int> exit_code;
};

std::string read_file(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

GoldenCase parse_case(const std::string& text) {
  GoldenCase c;
  std::string* section = nullptr;
  bool have_args = false;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    if (!have_args) {
      if (!line.empty() && line[0] == '#') {
        c.comments += line + '\n';
      } else {
        c.args = line;
        have_args = true;
      }
      continue;
    }
    if (line.rfind("--- ", 0) == 0) {
      const std::string name = line.substr(4);
      if (name == "stdin") {
        c.has_stdin = true;
        section = &c.stdin_text;
      } else if (name == "stdout") {
        section = &c.stdout_text.emplace();
      } else if (name == "stderr") {
        section = &c.stderr_text.emplace();
      } else if (name.rfind("exit ", 0) == 0) {
        c.exit_code = std::stoi(name.substr(5));
        section = nullptr;
      } else {
        ADD_FAILURE() << "unknown section '" << line << "'";
        section = nullptr;
      }
      continue;
    }
    if (section) {
      *section += line + '\n';
    } else if (!line.empty()) {
      ADD_FAILURE() << "text outside a section: '" << line << "'";
    }
  }
  return c;
}

std::vector<std::string> split_args(const std::string& line) {
  std::vector<std::string> args;
  std::istringstream in(line);
  std::string a;
  while (in >> a)
    args.push_back(a);
  return args;
}

std::string format_case(const GoldenCase& c) {
  std::string text = c.comments + c.args + '\n';
  if (c.has_stdin) text += "--- stdin\n" + c.stdin_text;
  if (c.stdout_text) text += "--- stdout\n" + *c.stdout_text;
  if (c.stderr_text) text += "--- stderr\n" + *c.stderr_text;
  if (c.exit_code) text += "--- exit " + std::to_string(*c.exit_code) + '\n';
  return text;
}

// The case format can only hold text that ends in a newline and has no line starting "--- ".
bool representable(const std::string& s) {
  if (s.empty()) return true;
  return s.back() == '\n' && s.rfind("--- ", 0) != 0 && !contains(s, "\n--- ");
}

std::vector<fs::path> golden_cases() {
  std::vector<fs::path> cases;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(EVIDENT_CLI_GOLDEN_DIR, ec)) {
    if (entry.path().extension() == ".case") cases.push_back(entry.path());
  }
  std::sort(cases.begin(), cases.end());
  return cases;
}

class Golden : public ::testing::TestWithParam<fs::path> {};

TEST_P(Golden, OutputMatches) {
  const fs::path path = GetParam();
  GoldenCase c = parse_case(read_file(path));
  ASSERT_FALSE(c.args.empty()) << path << ": the first line must hold the arguments";
  const Result r = run_cli(split_args(c.args), c.stdin_text);

  const char* update = std::getenv("EVIDENT_UPDATE_GOLDEN");
  if (update && std::string_view(update) == "1") {
    ASSERT_TRUE(representable(r.out) && representable(r.err))
        << path << ": output does not end in a newline or has a line starting '--- '";
    // Streams that were not checked stay unchecked unless they now have output.
    if (c.stdout_text || !r.out.empty()) c.stdout_text = r.out;
    if (c.stderr_text || !r.err.empty()) c.stderr_text = r.err;
    c.exit_code = r.code;
    std::ofstream(path, std::ios::binary) << format_case(c);
    return;
  }

  if (c.stdout_text) {
    EXPECT_EQ(r.out, *c.stdout_text) << path << ": stdout";
  }
  if (c.stderr_text) {
    EXPECT_EQ(r.err, *c.stderr_text) << path << ": stderr";
  }
  if (c.exit_code) {
    EXPECT_EQ(r.code, *c.exit_code) << path << ": exit code";
  }
}

std::string case_name(const ::testing::TestParamInfo<fs::path>& info) {
  std::string name = info.param.stem().string();
  for (char& ch : name) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Cases, Golden, ::testing::ValuesIn(golden_cases()), case_name);

// Guards against a wrong EVIDENT_CLI_GOLDEN_DIR silently running no golden case at all.
TEST(GoldenFolder, HoldsCases) {
  EXPECT_GE(golden_cases().size(), 3u) << "no golden cases in " << EVIDENT_CLI_GOLDEN_DIR;
}

// The case format reads back what it writes.
TEST(GoldenFolder, CaseFormatRoundTrips) {
  const std::string text =
      "# a comment\nfit - --measure OR\n--- stdin\na,b\n1,2\n--- stdout\n--- stderr\nerr\n"
      "--- exit 2\n";
  const GoldenCase c = parse_case(text);
  EXPECT_EQ(c.comments, "# a comment\n");
  EXPECT_EQ(split_args(c.args), (std::vector<std::string>{"fit", "-", "--measure", "OR"}));
  EXPECT_EQ(c.stdin_text, "a,b\n1,2\n");
  EXPECT_EQ(c.stdout_text, std::string());
  EXPECT_EQ(c.stderr_text, std::string("err\n"));
  EXPECT_EQ(c.exit_code, 2);
  EXPECT_EQ(format_case(c), text);
}

}  // namespace

namespace {

// MH and PETO pool the 2x2 tables themselves: the methods built on yi and vi (meta-regression,
// subgroups, influence, bias) must refuse them with a usage error rather than run without tau2.
TEST(CliMethods, CountMethodsAreRefusedWhereYiViModelsAreNeeded) {
  const std::string csv = "study,ai,n1i,ci,n2i,g\na,1,10,3,10,x\nb,2,20,5,20,y\nc,4,30,6,30,x\n";
  const std::vector<std::vector<std::string>> calls{
      {"fit", "-", "--measure", "OR", "--method", "MH", "--mods", "g"},
      {"fit", "-", "--measure", "OR", "--method", "MH", "--subgroup", "g"},
      {"influence", "-", "--measure", "OR", "--method", "PETO"},
      {"bias", "-", "--measure", "OR", "--method", "MH"}};
  for (const auto& args : calls) {
    const Result r = run_cli(args, csv);
    EXPECT_EQ(r.code, 2) << args[0] << " " << args.back();
    EXPECT_TRUE(contains(r.err, "needs an inverse-variance model")) << r.err;
  }
}

}  // namespace
