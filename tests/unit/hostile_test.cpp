// A corpus of hostile inputs, each with the answer evident must give: a correct result or a clear
// error (exit code 2, a message naming the place), never a crash, a hang, an internal error or a
// number without a reason. Inputs are built here rather than committed, so large ones (10 MB
// lines, a million studies, thousands of columns) cost nothing in the repository.

#include <gtest/gtest.h>

#include <cmath>
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

Result fit(const std::string& csv, std::vector<std::string> options = {}) {
  std::vector<std::string> args{"fit", "-", "--format", "json"};
  args.insert(args.end(), options.begin(), options.end());
  std::istringstream in(csv);
  std::ostringstream out, err;
  Result r;
  r.code = evident::cli::run(args, in, out, err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

bool contains(const std::string& s, std::string_view part) {
  return s.find(part) != std::string::npos;
}

// Exit code 2 and a message containing `part` (and naming the input).
void expect_error(const Result& r, std::string_view part) {
  EXPECT_EQ(r.code, 2) << r.err << r.out;
  EXPECT_TRUE(contains(r.err, part)) << "stderr: " << r.err;
  EXPECT_TRUE(contains(r.err, "<stdin>")) << "the message names the input: " << r.err;
  EXPECT_TRUE(r.out.empty()) << "no partial output on error";
}

// Exit code 0, JSON that parses, and every number either finite or explained.
Json expect_result(const Result& r) {
  EXPECT_EQ(r.code, 0) << r.err;
  Json j = Json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(j.is_discarded()) << "output is not JSON";
  if (j.is_discarded()) return j;
  if (j["estimate"].is_null()) {
    EXPECT_FALSE(j["diagnostics"].empty()) << r.out;
  }
  return j;
}

std::string yi_vi(const std::vector<std::pair<std::string, std::string>>& rows) {
  std::string csv = "study,yi,vi\n";
  // Appended piece by piece: GCC 12 warns (-Wrestrict, a false positive) on "literal" + string.
  for (std::size_t i = 0; i < rows.size(); ++i) {
    csv += 's';
    csv += std::to_string(i + 1);
    csv += ',';
    csv += rows[i].first;
    csv += ',';
    csv += rows[i].second;
    csv += '\n';
  }
  return csv;
}

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

TEST(Hostile, EmptyFile) {
  expect_error(fit(""), "empty");
}

TEST(Hostile, OnlyBlankLines) {
  expect_error(fit("\n\r\n\n"), "empty");
}

TEST(Hostile, HeaderOnly) {
  expect_error(fit("yi,vi\n"), "no data rows");
}

TEST(Hostile, DuplicateColumns) {
  expect_error(fit("yi,vi,yi\n1,1,1\n"), "duplicate column name 'yi'");
}

TEST(Hostile, MissingColumnWithSuggestion) {
  const Result r = fit("m1,sd1i,n1i,m2i,sd2i,n2i\n1,1,10,2,1,10\n", {"--measure", "MD"});
  expect_error(r, "'m1i'");
  EXPECT_TRUE(contains(r.err, "there is a column 'm1'")) << r.err;
}

TEST(Hostile, ByteOrderMarkAndCrlf) {
  const Json j = expect_result(fit("\xEF\xBB\xBFyi,vi\r\n0.1,0.01\r\n0.3,0.02\r\n0.2,0.04\r\n"));
  EXPECT_EQ(j["k"], 3);
}

TEST(Hostile, NonUtf8BytesInALabelGiveValidJson) {
  // Latin-1 bytes from an old spreadsheet: the label is kept (invalid bytes replaced in JSON).
  const Json j = expect_result(fit("study,yi,vi\nM\xFCller 2001,0.1,0.01\nS\xE9n 2003,0.3,0.02\n"));
  ASSERT_EQ(j["studies"].size(), 2u);
}

TEST(Hostile, NonUtf8BytesInANumber) {
  expect_error(fit("yi,vi\n0.\xFF,0.01\n0.2,0.02\n"), "is not a number");
}

TEST(Hostile, UnterminatedQuote) {
  expect_error(fit("study,yi,vi\n\"open,0.1,0.01\n2,0.2,0.02\n"), "unterminated");
}

TEST(Hostile, TenMegabyteLabel) {
  const std::string label(10'000'000, 'x');
  const Json j = expect_result(fit("study,yi,vi\n" + label + ",0.1,0.01\nb,0.2,0.02\n"));
  EXPECT_EQ(j["k"], 2);
}

TEST(Hostile, TenMegabyteNumber) {
  expect_error(fit("yi,vi\n" + std::string(10'000'000, '9') + ",0.01\n0.2,0.02\n"),
               "is not a number");
}

TEST(Hostile, TenMegabyteLineOfFields) {
  std::string line = "0.1,0.01";
  line.reserve(10'000'100);
  while (line.size() < 10'000'000)
    line += ",7";
  expect_error(fit("yi,vi\n" + line + "\n"), "too many fields");
}

TEST(Hostile, NanAndInfinityAreNotNumbers) {
  for (const char* bad : {"NaN", "nan", "Inf", "-Inf", "infinity", "1e999", "-1e999"}) {
    SCOPED_TRACE(bad);
    expect_error(fit(yi_vi({{bad, "0.01"}, {"0.2", "0.02"}})), "is not a number");
  }
}

TEST(Hostile, HugeAndTinyNumbersGiveAResultOrAClearError) {
  // 1e308 is a double, but no meta-analysis can pool it: the answer is an error naming the value
  // or a result whose non-finite numbers are explained, never an unexplained NaN.
  for (const auto& rows : std::vector<std::vector<std::pair<std::string, std::string>>>{
           {{"1e308", "1"}, {"-1e308", "1"}},
           {{"0.1", "1e-310"}, {"0.2", "0.01"}},
           {{"0.1", "4.9e-324"}, {"0.2", "1e-320"}},
           {{"1e-310", "0.01"}, {"2e-310", "0.02"}},
           {{"0.1", "1e300"}, {"0.2", "1e-300"}}}) {
    const Result r = fit(yi_vi(rows));
    SCOPED_TRACE(r.err + r.out.substr(0, 200));
    ASSERT_TRUE(r.code == 0 || r.code == 2);
    if (r.code == 0) {
      const Json j = expect_result(r);
      for (const char* key : {"estimate", "se", "tau2", "Q"}) {
        if (!j[key].is_number()) {
          EXPECT_FALSE(j["diagnostics"].empty()) << key;
        }
      }
    } else {
      EXPECT_TRUE(contains(r.err, "<stdin>:")) << "the error names the line";
    }
  }
}

TEST(Hostile, NegativeAndZeroVariances) {
  expect_error(fit(yi_vi({{"0.1", "-0.01"}, {"0.2", "0.02"}})), "cannot be negative");
  expect_error(fit(yi_vi({{"0.1", "0"}, {"0.2", "0.02"}})), "must be positive");
}

TEST(Hostile, OneAndTwoStudies) {
  for (const char* method : {"FE", "DL", "REML", "ML", "PM", "EB", "HE", "HS", "SJ"}) {
    SCOPED_TRACE(method);
    const Json one = expect_result(fit(yi_vi({{"0.3", "0.04"}}), {"--method", method}));
    EXPECT_DOUBLE_EQ(one["estimate"].get<double>(), 0.3);
    const Json two =
        expect_result(fit(yi_vi({{"0.3", "0.04"}, {"0.9", "0.01"}}), {"--method", method}));
    EXPECT_TRUE(two["estimate"].is_number());
  }
}

TEST(Hostile, IdenticalEffects) {
  for (const char* method : {"DL", "REML", "ML", "PM", "HE", "SJ"}) {
    SCOPED_TRACE(method);
    const Json j = expect_result(
        fit(yi_vi({{"0.5", "0.01"}, {"0.5", "0.02"}, {"0.5", "0.03"}}), {"--method", method}));
    EXPECT_EQ(j["tau2"].get<double>(), 0.0);
    EXPECT_EQ(j["I2"].get<double>(), 0.0);
    EXPECT_DOUBLE_EQ(j["estimate"].get<double>(), 0.5);
  }
}

TEST(Hostile, AllZeroAndAllFullEventTables) {
  const std::string none = "study,ai,n1i,ci,n2i\na,0,10,0,12\nb,0,20,0,25\n";
  const std::string full = "study,ai,n1i,ci,n2i\na,10,10,12,12\nb,20,20,25,25\n";
  for (const char* measure : {"OR", "RR", "RD"}) {
    for (const char* method : {"REML", "MH"}) {
      for (const std::string& csv : {none, full}) {
        SCOPED_TRACE(std::string(measure) + " " + method);
        const Result r = fit(csv, {"--measure", measure, "--method", method});
        if (r.code == 0) {
          expect_result(r);
        } else {
          EXPECT_EQ(r.code, 2) << r.err;
        }
      }
    }
  }
}

TEST(Hostile, ProportionsOfZeroAndOne) {
  for (const char* measure : {"PR", "PLO", "PAS", "PFT"}) {
    SCOPED_TRACE(measure);
    expect_result(fit("xi,ni\n0,10\n10,10\n5,10\n", {"--measure", measure}));
  }
}

TEST(Hostile, GroupOfOne) {
  expect_error(fit("m1i,sd1i,n1i,m2i,sd2i,n2i\n1,1,1,2,1,10\n", {"--measure", "SMD"}),
               "at least 2");
}

TEST(Hostile, CorrelationOfOne) {
  expect_error(fit("ri,ni\n1,20\n0.3,30\n", {"--measure", "COR"}), "strictly between -1 and 1");
  expect_error(fit("ri,ni\n-1,20\n0.3,30\n", {"--measure", "ZCOR"}), "strictly between -1 and 1");
}

TEST(Hostile, VariancesSpanningTwentyFourOrdersOfMagnitude) {
  std::vector<std::pair<std::string, std::string>> rows;
  for (int e = -12; e <= 12; e += 2) {
    std::string v = "1e";
    v += std::to_string(e);
    rows.emplace_back(std::to_string(0.1 * (e % 3)), v);
  }
  for (const char* method : {"FE", "DL", "HE", "HS", "SJ", "ML", "REML", "EB", "PM"}) {
    SCOPED_TRACE(method);
    const Json j = expect_result(fit(yi_vi(rows), {"--method", method}));
    EXPECT_TRUE(j["estimate"].is_number());
    EXPECT_TRUE(j["tau2"].is_number());
    EXPECT_NE(j["convergence"]["termination"], "max_iterations");
  }
}

TEST(Hostile, AMillionStudiesInOneAnalysis) {
  // Under the sanitizers (about 10 times slower) a fifth of the size makes the same point.
  const std::size_t k = kSanitized ? 200'000 : 1'000'000;
  std::string csv = "yi,vi\n";
  csv.reserve(k * 16);
  for (std::size_t i = 0; i < k; ++i) {
    csv += std::to_string(0.001 * static_cast<double>(i % 997));
    csv += ',';
    csv += std::to_string(0.01 + 0.0001 * static_cast<double>(i % 89));
    csv += '\n';
  }
  const Json j = expect_result(fit(csv, {"--method", "REML"}));
  EXPECT_EQ(j["k"], k);
  EXPECT_EQ(j["convergence"]["termination"], "converged");
}

TEST(Hostile, ThousandsOfColumns) {
  std::string header = "yi,vi";
  std::string row1 = "0.1,0.01", row2 = "0.3,0.02";
  for (int c = 0; c < 5000; ++c) {
    header += ",extra";
    header += std::to_string(c);
    row1 += ",x";
    row2 += ',';
    row2 += std::to_string(c);
  }
  header += '\n';
  header += row1;
  header += '\n';
  header += row2;
  header += '\n';
  const Json j = expect_result(fit(header));
  EXPECT_EQ(j["k"], 2);
}

}  // namespace

// ---- encodings and files that are not CSV text ------------------------------------------------

TEST(Hostile, Utf16TextIsNamedAsSuch) {
  // "yi,vi\n0.1,0.02\n" as a spreadsheet saves "Unicode text": UTF-16 little-endian with a mark.
  std::string utf16 = "\xFF\xFE";
  for (char ch : std::string("yi,vi\n0.1,0.02\n")) {
    utf16 += ch;
    utf16 += '\0';
  }
  expect_error(fit(utf16), "<stdin>:1: the file is UTF-16 text, not UTF-8");
  // Without the mark, the NUL bytes give it away.
  expect_error(fit(utf16.substr(2)), "<stdin>:1: the file holds NUL bytes");
}

TEST(Hostile, AFolderIsNotAnEmptyFile) {
  std::vector<std::string> args{"fit", "/tmp"};
  std::istringstream in;
  std::ostringstream out, err;
  EXPECT_EQ(evident::cli::run(args, in, out, err), 2);
  EXPECT_TRUE(contains(err.str(), "/tmp: this is a folder, not a CSV file")) << err.str();
}

// ---- models with more coefficients than the studies allow -------------------------------------

TEST(Hostile, MetaRegressionOfOneStudyIsAUsageError) {
  // The moderator is constant and dropped, which leaves an intercept and one study: as docs/cli.md
  // says, k <= p is exit 2 for a random-effects meta-regression, not a result.
  const Result r = fit("study,yi,vi,x\nA,0.3,0.02,1\n", {"--mods", "x"});
  expect_error(r, "1 study is too few for a model with 1 coefficient and tau^2");
}

namespace {

// An empty item of a comma-separated list is an error, wherever it is: `--mods ,` used to get
// CLI11's "1 required TEXT missing", and `--mods a,,b` silently became `a,b`.
TEST(Hostile, EmptyItemsOfAListAreNamed) {
  const std::string csv = "yi,vi,a,b\n0.1,0.01,1,2\n0.2,0.02,2,1\n0.3,0.01,3,5\n0.1,0.03,4,4\n";
  for (const char* mods : {",", "a,,b", "a,", ",a"}) {
    const Result r = fit(csv, {"--mods", mods});
    EXPECT_EQ(r.code, 2) << mods;
    EXPECT_TRUE(contains(r.err, "--mods: empty term in --mods")) << mods << ": " << r.err;
  }
}

}  // namespace
