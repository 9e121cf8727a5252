// evident batch: every row equals the fit of that analysis alone, whatever the threads and chunks;
// a bad analysis fails alone; a structurally bad file fails before anything is written.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <charconv>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "evident/evident.hpp"
#include "progress.hpp"

namespace evident {
namespace {

namespace fs = std::filesystem;

// Splits one CSV line without quotes (the rows these tests check have none).
std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> out;
  std::string cell;
  std::istringstream in(line);
  while (std::getline(in, cell, ','))
    out.push_back(cell);
  if (!line.empty() && line.back() == ',') out.emplace_back();
  return out;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    out.push_back(line);
  return out;
}

double number(const std::string& s) {
  double x = 0.0;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), x);
  EXPECT_EQ(r.ec, std::errc{}) << s;
  return x;
}

std::string run(const std::string& input, BatchOptions options, BatchSummary* summary = nullptr) {
  std::istringstream in(input);
  std::ostringstream out;
  const BatchSummary s = run_batch(in, "data.csv", out, options);
  if (summary) *summary = s;
  return out.str();
}

std::string simulated(std::uint64_t analyses, std::uint64_t k, std::uint64_t seed) {
  SimulateOptions o;
  o.analyses = analyses;
  o.k = k;
  o.seed = seed;
  std::ostringstream out;
  simulate(o, out);
  return out.str();
}

BatchOptions by_id(Method method = Method::REML) {
  BatchOptions o;
  o.by = "id";
  o.spec.fit.method = method;
  return o;
}

// The studies of each analysis of a simulated file, by id.
std::map<std::string, std::pair<std::vector<double>, std::vector<double>>> studies_of(
    const std::string& csv) {
  std::map<std::string, std::pair<std::vector<double>, std::vector<double>>> out;
  const auto lines = lines_of(csv);
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const auto cells = split(lines[i]);
    out[cells[0]].first.push_back(number(cells[2]));
    out[cells[0]].second.push_back(number(cells[3]));
  }
  return out;
}

TEST(BatchTest, EveryRowIsTheFitOfThatAnalysisAlone) {
  const std::string csv = simulated(40, 7, 11);
  const auto studies = studies_of(csv);
  for (Method method : {Method::FE, Method::DL, Method::REML, Method::PM, Method::SJ}) {
    for (evident::Test test : {evident::Test::z, evident::Test::knha}) {
      BatchOptions options = by_id(method);
      options.spec.fit.test = test;
      const auto rows = lines_of(run(csv, options));
      ASSERT_EQ(rows.size(), 41u);
      const auto header = split(rows[0]);
      EXPECT_EQ(header[4], test == evident::Test::z ? "zval" : "tval");
      for (std::size_t i = 1; i < rows.size(); ++i) {
        const auto cells = split(rows[i]);
        ASSERT_EQ(cells.size(), header.size()) << rows[i];
        EXPECT_EQ(cells[0], std::to_string(i));
        const auto& [yi, vi] = studies.at(cells[0]);
        const Fit f = fit(yi, vi, options.spec.fit);
        const Prediction p = predict(f);
        EXPECT_EQ(number(cells[1]), static_cast<double>(f.k));
        // Shortest round-trip text reads back to the same double: compare bitwise.
        EXPECT_EQ(number(cells[2]), f.estimate);
        EXPECT_EQ(number(cells[3]), f.se);
        EXPECT_EQ(number(cells[4]), f.stat);
        EXPECT_EQ(number(cells[5]), f.pval);
        EXPECT_EQ(number(cells[6]), f.ci_lb);
        EXPECT_EQ(number(cells[7]), f.ci_ub);
        if (method != Method::FE) {
          EXPECT_EQ(number(cells[8]), p.pi_lb);
          EXPECT_EQ(number(cells[9]), p.pi_ub);
          EXPECT_EQ(number(cells[11]), f.tau2_se);
        } else {
          EXPECT_EQ(cells[8], "NA");
        }
        EXPECT_EQ(number(cells[10]), f.tau2);
        EXPECT_EQ(number(cells[12]), f.I2);
        EXPECT_EQ(number(cells[13]), f.H2);
        EXPECT_EQ(number(cells[14]), f.Q);
        EXPECT_EQ(number(cells[16]), f.Q_p);
        EXPECT_EQ(cells[17], std::to_string(f.iterations));
        EXPECT_EQ(cells[18], termination_name(f.termination));
        EXPECT_EQ(cells[20], "");
      }
    }
  }
}

TEST(BatchTest, AVeryLargeAnalysisSpanningChunksIsTheFitOfItAlone) {
  // 140,000 studies: gathered over many chunks between two small analyses, and fitted with the
  // blocked sums on several threads (run under ThreadSanitizer in CI). Its row must be the fit of
  // those studies on one thread, bit for bit.
  std::string csv = simulated(1, 3, 21);
  const std::string large = simulated(1, 140000, 22);
  csv += large.substr(large.find('\n') + 1);  // the same id, 1: one analysis of 140,003
  const std::string last = simulated(2, 4, 23);
  for (const auto& line : lines_of(last)) {
    if (line.rfind("2,", 0) != 0) continue;
    csv += line;
    csv += '\n';
  }
  const auto studies = studies_of(csv);
  ASSERT_EQ(studies.size(), 2u);
  const auto& [yi, vi] = studies.at("1");
  ASSERT_EQ(yi.size(), 140003u);
  BatchOptions options = by_id();
  options.chunk_rows = 4096;  // about 128 KB chunks: the analysis spans dozens of them
  const Fit f = fit(yi, vi, options.spec.fit);  // threads = 1
  for (unsigned threads : {1u, 3u}) {
    options.threads = threads;
    const auto rows = lines_of(run(csv, options));
    ASSERT_EQ(rows.size(), 3u);
    const auto cells = split(rows[1]);
    EXPECT_EQ(cells[1], "140003");
    EXPECT_EQ(number(cells[2]), f.estimate) << threads << " threads";
    EXPECT_EQ(number(cells[3]), f.se);
    EXPECT_EQ(number(cells[10]), f.tau2);
    EXPECT_EQ(number(cells[14]), f.Q);
    EXPECT_EQ(cells[17], std::to_string(f.iterations));
    EXPECT_EQ(split(rows[2])[0], "2");
  }
}

TEST(BatchTest, OutputIsTheSameForAnyThreadsAndChunks) {
  const std::string csv = simulated(700, 4, 3);
  BatchOptions options = by_id();
  options.threads = 1;
  const std::string one = run(csv, options);
  EXPECT_EQ(lines_of(one).size(), 701u);
  for (unsigned threads : {2u, 4u}) {
    for (std::size_t chunk : {std::size_t{1}, std::size_t{13}, std::size_t{1} << 16}) {
      options.threads = threads;
      options.chunk_rows = chunk;
      EXPECT_EQ(run(csv, options), one) << threads << " threads, chunks of " << chunk;
    }
  }
}

TEST(BatchTest, ABadAnalysisGetsItsErrorAndTheOthersGoOn) {
  const std::string csv =
      "id,yi,vi\n"
      "a,0.1,0.01\n"
      "a,0.3,0.02\n"
      "b,abc,0.01\n"  // line 4
      "b,0.2,0.02\n"
      "c,0.2,-1\n"  // line 6
      "d,NA,0.1\n"
      "d,,0.1\n"
      "e,0.5,0.04\n"
      "e,0.1,0.03\n"
      "e,1e60,0.03\n"  // line 11
      "f,0.5,0.04\n"
      "f,NA,0.03\n";
  BatchSummary summary;
  const auto rows = lines_of(run(csv, by_id(), &summary));
  ASSERT_EQ(rows.size(), 7u);
  EXPECT_EQ(summary.analyses, 6u);
  EXPECT_EQ(summary.failed, 4u);
  // Messages hold commas and quotes, so look for them in the whole row.
  auto error = [&](std::size_t i) { return rows[i]; };
  EXPECT_EQ(split(rows[1]).back(), "");
  EXPECT_NE(error(2).find("data.csv:4:2: 'abc' is not a number"), std::string::npos) << error(2);
  EXPECT_NE(error(3).find("data.csv:6:3: a sampling variance cannot be negative"),
            std::string::npos)
      << error(3);
  EXPECT_NE(error(4).find("no usable study: each of the 2 rows"), std::string::npos) << error(4);
  EXPECT_NE(error(5).find("data.csv:11:2: the effect size 1e+60"), std::string::npos) << error(5);
  EXPECT_EQ(split(rows[2])[1], "NA");
  // A row left out for a missing value is a diagnostic, not an error.
  EXPECT_EQ(split(rows[6]).back(), "");
  EXPECT_EQ(split(rows[6])[1], "1");
  EXPECT_NE(split(rows[6])[19].find("row_excluded_missing"), std::string::npos) << rows[6];
}

TEST(BatchTest, FastAndGeneralReadersGiveTheSameRows) {
  // A `sei` column sends the analyses through the table reader (it could stand in for a missing
  // vi); with vi present in every row, every number and message must be the same.
  std::string csv = simulated(30, 5, 5);
  csv += "31,1,abc,0.1\n31,2,0.3,0.2\n32,1,0.1,0\n33,1,NA,0.1\n";
  std::string with_sei;
  for (const auto& line : lines_of(csv))
    with_sei += line + (with_sei.empty() ? ",sei\n" : ",\n");
  BatchSummary a, b;
  const std::string fast = run(csv, by_id(), &a);
  const std::string general = run(with_sei, by_id(), &b);
  EXPECT_EQ(fast, general);
  EXPECT_EQ(a.failed, 3u);
}

TEST(BatchTest, ThePiecewiseReaderSplitsRecordsAsTheStreamReaderDoes) {
  // Every kind of line ending, blank lines, quoted ids (one holding a comma, one a doubled quote,
  // one a line break), bad and missing values, an id that reappears and one long analysis. The
  // fast reader cuts chunks into pieces read in parallel, except chunks holding a quote; the
  // table reader (sent there by a `sei` column) reads record by record. Whatever the chunk size
  // and the threads, every row must be the same.
  const char* const endings[] = {"\n", "\r\n", "\r", "\n\n", "\r\n\r\n", "\n\r\n"};
  std::string fast = "id,yi,vi\n", general = "id,yi,vi,sei\n";
  std::size_t n = 0;
  auto add = [&](const std::string& id, const std::string& yi, const std::string& vi) {
    std::string record = id;
    record += ',';
    record += yi;
    record += ',';
    record += vi;
    const char* ending = endings[(n * 7) % std::size(endings)];
    fast += record;
    fast += ending;
    general += record;
    general += ',';
    general += ending;
    ++n;
  };
  for (int g = 0; g < 60; ++g) {
    std::string id = "g";
    id += std::to_string(g);
    if (g == 20) id = "\"g,20\"";
    if (g == 21) id = "\"g\"\"21\"";
    if (g == 22) id = "\"g\n22\"";
    const int rows = g == 10 ? 300 : 1 + g % 5;
    for (int i = 0; i < rows; ++i) {
      std::string yi = std::to_string(0.1 * (g % 7) + 0.01 * i);
      std::string vi = std::to_string(0.01 + 0.001 * ((g + i) % 13));
      if (g == 5 && i == 0) yi = "abc";
      if (g == 6 && i == 0) vi = "-1";
      if (g == 7 && i == 2) vi = "";
      if (g == 8 && i == 0) yi = "NA";
      add(id, yi, vi);
    }
    if (g == 30) add("g3", "0.2", "0.02");  // g3 again, after other analyses
  }
  BatchOptions options = by_id();
  options.threads = 1;
  BatchSummary summary;
  const std::string reference = run(general, options, &summary);
  ASSERT_EQ(summary.analyses, 61u);
  EXPECT_EQ(summary.failed, 3u);
  for (unsigned threads : {1u, 2u, 4u}) {
    for (std::size_t chunk : {1, 2, 3, 7, 64, 1 << 16}) {
      options.threads = threads;
      options.chunk_rows = chunk;
      EXPECT_EQ(run(fast, options), reference) << threads << " threads, chunks of " << chunk;
    }
  }
}

TEST(BatchTest, MeasuresFromRawDataMatchAnalyse) {
  const std::string csv =
      "trial,study,ai,bi,ci,di\n"
      "1,A,4,119,11,128\n1,B,6,300,29,274\n1,C,3,228,11,209\n"
      "2,D,62,13536,248,12619\n2,E,33,5036,47,5761\n"
      "3,F,0,10,3,9\n";
  BatchOptions options;
  options.by = "trial";  // an id column named as a multi-arm trial column is only the id
  options.spec.effect.measure = Measure::OR;
  options.spec.fit.method = Method::DL;
  const auto rows = lines_of(run(csv, options));
  ASSERT_EQ(rows.size(), 4u);
  std::istringstream one("study,ai,bi,ci,di\nA,4,119,11,128\nB,6,300,29,274\nC,3,228,11,209\n");
  const Analysis a = analyse(read_csv(one, "x"), options.spec);
  const auto cells = split(rows[1]);
  EXPECT_EQ(number(cells[2]), a.fit.estimate);
  EXPECT_EQ(number(cells[10]), a.fit.tau2);
  // One study with a zero cell: corrected, pooled alone.
  EXPECT_NE(rows[3].find("zero_cell_corrected"), std::string::npos) << rows[3];
  EXPECT_NE(rows[3].find("single_study"), std::string::npos) << rows[3];
}

TEST(BatchTest, TheTableReaderIsAlsoIndependentOfThreads) {
  std::string csv = "review,study,ai,bi,ci,di\n";
  for (int r = 1; r <= 60; ++r) {
    for (int i = 0; i < 1 + r % 4; ++i) {
      csv += std::to_string(r) + ",s" + std::to_string(i) + "," + std::to_string((r * 7 + i) % 9) +
             "," + std::to_string(40 + i) + "," + std::to_string((r + 3 * i) % 11) + ",45\n";
    }
  }
  BatchOptions options;
  options.by = "review";
  options.spec.effect.measure = Measure::OR;
  options.threads = 1;
  const std::string one = run(csv, options);
  EXPECT_EQ(lines_of(one).size(), 61u);
  for (Method method : {Method::REML, Method::MH}) {
    options.spec.fit.method = method;
    options.threads = 1;
    options.chunk_rows = std::size_t{1} << 16;
    const std::string reference = run(csv, options);
    for (unsigned threads : {2u, 4u}) {
      options.threads = threads;
      options.chunk_rows = 5;
      EXPECT_EQ(run(csv, options), reference) << threads << " threads";
    }
  }
}

TEST(BatchTest, JsonLinesAreValidJsonWhateverTheId) {
  const std::string csv =
      "id,yi,vi\n"
      "\"a \"\"quoted\"\", id\",0.1,0.01\n"
      "\"tab\there\",0.2,0.02\n"
      "caf\xC3\xA9,0.3,0.03\n"
      "bad\xFFutf8,0.4,0.04\n"
      "e,x,0.1\n";
  BatchOptions options = by_id();
  options.format = BatchFormat::jsonl;
  const auto rows = lines_of(run(csv, options));
  ASSERT_EQ(rows.size(), 5u);
  std::vector<std::string> ids;
  for (const auto& row : rows)
    ids.push_back(nlohmann::json::parse(row).at("id").get<std::string>());
  EXPECT_EQ(ids[0], "a \"quoted\", id");
  EXPECT_EQ(ids[1], "tab\there");
  EXPECT_EQ(ids[2], "caf\xC3\xA9");
  EXPECT_EQ(ids[3], "bad\xEF\xBF\xBDutf8");  // replaced by U+FFFD
  const auto last = nlohmann::json::parse(rows[4]);
  EXPECT_TRUE(last.at("estimate").is_null());
  EXPECT_NE(last.at("error").get<std::string>().find("'x' is not a number"), std::string::npos);
}

TEST(BatchTest, AnIdThatReappearsGetsAnErrorRowOfItsOwn) {
  const std::string csv =
      "id,yi,vi\n"
      "a,0.1,0.01\na,0.3,0.02\n"
      "b,0.2,0.02\n"
      "a,0.4,0.05\n";  // line 5
  BatchSummary summary;
  const auto rows = lines_of(run(csv, by_id(), &summary));
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(summary.analyses, 3u);
  EXPECT_EQ(summary.failed, 1u);
  EXPECT_EQ(split(rows[1]).back(), "");
  EXPECT_EQ(split(rows[3])[0], "a");
  EXPECT_NE(rows[3].find("data.csv:5:1: analysis id 'a' first appeared on line 2"),
            std::string::npos)
      << rows[3];
}

TEST(BatchTest, MalformedRowsFailTheirAnalysisOnly) {
  const std::string csv =
      "id,yi,vi\n"
      "a,0.1,0.01\na,0.3\n"
      "b,0.2,0.02,7\n"
      "\"c\",\"0.5\",\"0.1\"\r\nc,\"0.\"\"6\",0.1\n"
      "d,0.2,0.02\n";
  const auto rows = lines_of(run(csv, by_id()));
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_NE(rows[1].find("data.csv:3: too few fields"), std::string::npos) << rows[1];
  EXPECT_NE(rows[2].find("data.csv:4:4: too many fields"), std::string::npos) << rows[2];
  EXPECT_NE(rows[3].find("data.csv:6:2: '0.\"\"6' is not a number"), std::string::npos) << rows[3];
  EXPECT_EQ(split(rows[4]).back(), "");
}

TEST(BatchTest, TextAfterAClosingQuoteIsPlacedOnTheLineOfTheQuote) {
  // b's record starts on line 3; its quoted yi spans lines 3-4 and the stray text is on 4.
  const std::string csv = "id,yi,vi\na,0.1,0.01\nb,\"0.2\n\"x,0.02\nc,0.3,0.03\n";
  const auto rows = lines_of(run(csv, by_id()));
  ASSERT_GE(rows.size(), 4u);
  const std::string all = rows[2] + rows[3];
  EXPECT_NE(all.find("data.csv:4:2: text after the closing quote"), std::string::npos) << all;
}

TEST(BatchTest, StructuralProblemsEndTheRunBeforeAnyOutput) {
  auto expect_input_error = [](const std::string& csv, const std::string& what) {
    std::istringstream in(csv);
    std::ostringstream out;
    try {
      (void)run_batch(in, "data.csv", out, by_id());
      ADD_FAILURE() << "no error for " << what;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
    }
    EXPECT_EQ(out.str(), "");
  };
  expect_input_error("", "the file is empty");
  expect_input_error("study,yi,vi\na,1,1\n", "data.csv:1: no column 'id' (--by)");
  expect_input_error("id,yi,yi\n", "data.csv:1:3: duplicate column name 'yi'");
  expect_input_error("id,yi\na,1\n", "need their precision");
  expect_input_error("id,yi,vi\na,1,1\na,\"2,1\n", "data.csv:3:2: unterminated quoted field");
}

TEST(BatchTest, AnUnterminatedQuoteLateInTheFileEndsTheRunCleanly) {
  // The quote is found while earlier chunks are being fitted: the run must stop without touching
  // them after they are gone (checked by the sanitizer builds).
  std::string csv = simulated(2000, 3, 9);
  csv += "2001,1,\"0.5,0.1\n";
  BatchOptions options = by_id();
  options.chunk_rows = 50;
  options.threads = 2;
  std::istringstream in(csv);
  std::ostringstream out;
  try {
    (void)run_batch(in, "data.csv", out, options);
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("data.csv:6002:3: unterminated quoted field"),
              std::string::npos)
        << e.what();
  }
}

class BatchFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("evident_batch_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
            "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& text) {
    const fs::path p = dir_ / name;
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }
  std::size_t files() const {
    return static_cast<std::size_t>(
        std::distance(fs::directory_iterator(dir_), fs::directory_iterator{}));
  }
  fs::path dir_;
};

TEST_F(BatchFileTest, ResultsAppearUnderTheirNameOnlyWhenComplete) {
  const std::string input = write("in.csv", simulated(20, 3, 1));
  const std::string output = (dir_ / "results.jsonl").string();
  std::istringstream none;
  BatchOptions options = by_id();
  options.format = BatchFormat::jsonl;
  const BatchSummary s = run_batch_file(input, none, output, std::cout, options);
  EXPECT_EQ(s.analyses, 20u);
  EXPECT_EQ(files(), 2u);  // the input and the results, no temporary file left
  std::ifstream in(output);
  std::size_t n = 0;
  for (std::string line; std::getline(in, line); ++n) {
    const auto j = nlohmann::json::parse(line);
    EXPECT_EQ(j.at("id"), std::to_string(n + 1));
    EXPECT_TRUE(j.at("error").is_null());
    EXPECT_TRUE(j.at("tau2").is_number());
  }
  EXPECT_EQ(n, 20u);
}

TEST_F(BatchFileTest, AFailedRunLeavesNoResultsFile) {
  const std::string input = write("in.csv", "study,yi,vi\na,1,1\n");
  const std::string output = (dir_ / "results.csv").string();
  write("results.csv", "an older complete file\n");
  std::istringstream none;
  EXPECT_THROW((void)run_batch_file(input, none, output, std::cout, by_id()), InputError);
  EXPECT_EQ(files(), 2u);  // no temporary file left behind
  std::ifstream old(output);
  std::string line;
  std::getline(old, line);
  EXPECT_EQ(line, "an older complete file");
  fs::remove(output);
  EXPECT_THROW((void)run_batch_file(input, none, output, std::cout, by_id()), InputError);
  EXPECT_FALSE(fs::exists(output));
}

// A file cut short while it is read (here by the progress callback, after the first chunk) is an
// error, not a complete-looking run of the analyses read so far; for a table file and for the
// yi/vi reader alike.
TEST_F(BatchFileTest, AFileTruncatedWhileReadIsAnError) {
  for (const bool tables : {false, true}) {
    // Larger than the reader's blocks, so most of it is still unread when it is cut.
    std::string text = simulated(40000, 5, 2);
    if (tables) {  // one column more than yi/vi: the general table reader
      text = "id,study,yi,vi,extra\n";
      for (int a = 1; a <= 40000; ++a)
        for (int i = 1; i <= 5; ++i)
          text += fmt::format("{},{},{},{},x\n", a, i, 0.1 * i, 0.01 * i);
    }
    const std::string input = write("in.csv", text);
    const std::string output = (dir_ / "results.csv").string();
    std::istringstream none;
    BatchOptions options = by_id();
    options.chunk_rows = 2000;
    options.threads = 1;
    bool cut = false;
    try {
      (void)run_batch_file(input, none, output, std::cout, options, [&](const BatchProgress&) {
        if (!cut) fs::resize_file(input, text.size() / 3);
        cut = true;
      });
      ADD_FAILURE() << "a truncated file passed (tables " << tables << ")";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("the file changed while it was read"), std::string::npos)
          << e.what();
    }
    EXPECT_TRUE(cut);
    EXPECT_FALSE(fs::exists(output));
    EXPECT_EQ(files(), 1u);  // the input only: no partial results under any name
  }
}

// A full disk names the output and the system's reason (exit 2 at the command line), not an
// internal error.
TEST(BatchTest, AFailedWriteNamesTheOutput) {
  std::ofstream full("/dev/full");
  if (!full) GTEST_SKIP() << "no /dev/full";
  BatchOptions options = by_id();
  options.output_name = "/dev/full";
  std::istringstream in(simulated(50000, 3, 4));
  try {
    (void)run_batch(in, "in.csv", full, options);
    ADD_FAILURE() << "writing to /dev/full succeeded";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("/dev/full: writing the results failed: No space left"),
              std::string::npos)
        << e.what();
  }
}

TEST(BatchTest, ALongRecordCrossesReadBlocks) {
  // A label longer than the reader's 1 MiB block, then more analyses.
  std::string csv = "id,yi,vi,study\n";
  csv += "a,0.1,0.01," + std::string(3u << 20, 'x') + "\n";
  csv += "a,0.2,0.02,s\nb,0.3,0.03,s\nb,0.5,0.01,s\n";
  const auto rows = lines_of(run(csv, by_id()));
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(split(rows[1]).back(), "");
  EXPECT_EQ(split(rows[2])[1], "2");
}

TEST(BatchTest, ProgressShowsRateAndTimeLeftOnlyOnATerminal) {
  std::ostringstream off;
  {
    cli::Progress p(off, false);
    std::this_thread::sleep_for(std::chrono::milliseconds(350));
    p.update_rate(10, 50, 100, "analyses");
  }
  EXPECT_TRUE(off.str().empty());
  std::ostringstream on;
  cli::Progress p(on, true);
  std::this_thread::sleep_for(std::chrono::milliseconds(350));
  p.update_rate(1000, 25, 100, "analyses");
  const std::string shown = on.str();
  EXPECT_NE(shown.find("[######------------------] 25% 1000 analyses, "), std::string::npos)
      << shown;
  EXPECT_NE(shown.find("/s, ETA "), std::string::npos) << shown;
}

TEST(SimulateTest, TheSameSeedGivesTheSameFile) {
  const std::string a = simulated(50, 6, 42);
  EXPECT_EQ(a, simulated(50, 6, 42));
  EXPECT_NE(a, simulated(50, 6, 43));
  const auto rows = lines_of(a);
  ASSERT_EQ(rows.size(), 301u);
  EXPECT_EQ(rows[0], "id,study,yi,vi");
  const auto last = split(rows.back());
  EXPECT_EQ(last[0], "50");
  EXPECT_EQ(last[1], "6");
  for (std::size_t i = 1; i < rows.size(); ++i) {
    const double vi = number(split(rows[i])[3]);
    EXPECT_GE(vi, 0.01);
    EXPECT_LE(vi, 0.1);
  }
}

TEST(SimulateTest, InvalidOptionsAreNamed) {
  SimulateOptions o;
  EXPECT_FALSE(o.validate());
  o.vi_min = 0.0;
  EXPECT_TRUE(o.validate());
  o = SimulateOptions{};
  o.tau2 = -1.0;
  EXPECT_TRUE(o.validate());
}

}  // namespace
}  // namespace evident
