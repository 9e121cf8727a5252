// Living reviews (review/living.hpp): a review run, a study added, run again with --since: the
// change block names exactly that study and the numbers that changed; the same data again is "no
// changes"; a file that is not a result file is a bad input naming it; the result file reads back
// as written.

#include "evident/review/living.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "support/run_cli.hpp"

#ifndef EVIDENT_KNEE_DIR
#error "EVIDENT_KNEE_DIR must name data/knee_msc"
#endif

namespace {

namespace fs = std::filesystem;

using Result = evident::test::CliRun;

Result run(const std::vector<std::string>& args) {
  return evident::test::run_cli(args);
}

std::string read(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

bool contains(const std::string& s, const std::string& needle) {
  return s.find(needle) != std::string::npos;
}

// A copy of the knee review in a fresh folder.
class LivingReview : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("evident_living_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
            "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::copy(EVIDENT_KNEE_DIR, dir_, fs::copy_options::recursive);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(LivingReview, AStudyAddedIsNamedWithTheNumbersThatChanged) {
  const Result first = run({"review", dir_.string(), "--out", (dir_ / "v1.html").string()});
  ASSERT_EQ(first.code, 0) << first.err;
  ASSERT_TRUE(fs::exists(dir_ / "v1.json"));
  EXPECT_TRUE(contains(first.out, "Result file: " + (dir_ / "v1.json").string()));

  // A new trial reporting serious adverse events (made up for the test).
  std::ofstream(dir_ / "studies.csv", std::ios::app)
      << "Newtrial,2025,serious_adverse_events,12,BM,autologous,50,saline,40,,,40,,,2,1,"
         "patients with SAE,https://example.org/new,Table 3,made up for a test\n";
  const Result second = run({"review", dir_.string(), "--out", (dir_ / "v2.html").string(),
                             "--since", (dir_ / "v1.json").string()});
  ASSERT_EQ(second.code, 0) << second.err;
  EXPECT_TRUE(contains(second.out, "Changes since " + (dir_ / "v1.json").string())) << second.out;
  // Exactly one outcome changed, by exactly that study, with the old and new estimates.
  EXPECT_TRUE(contains(second.out,
                       "- Serious adverse events: 1 study added: Newtrial 2025; RR "
                       "0.28 (0.0032 to 23.87) became RR 1.13"))
      << second.out;
  std::size_t items = 0;
  for (std::size_t at = second.out.find("\n- "); at != std::string::npos;
       at = second.out.find("\n- ", at + 1))
    ++items;
  EXPECT_EQ(items, 1u) << second.out;
  // The report opens with the same block.
  const std::string html = read(dir_ / "v2.html");
  const auto changes = html.find("<section id=\"changes\">");
  ASSERT_NE(changes, std::string::npos);
  EXPECT_LT(changes, html.find("<section id=\"question\">"));
  EXPECT_TRUE(contains(html, "1 study added: Newtrial 2025"));

  // The same data again: nothing changed.
  const Result third = run({"review", dir_.string(), "--out", (dir_ / "v3.html").string(),
                            "--since", (dir_ / "v2.json").string()});
  ASSERT_EQ(third.code, 0) << third.err;
  EXPECT_TRUE(contains(third.out, "No changes since " + (dir_ / "v2.json").string())) << third.out;
}

TEST_F(LivingReview, AFileThatIsNotAResultFileIsABadInput) {
  const Result csv = run({"review", dir_.string(), "--out", (dir_ / "r.html").string(), "--since",
                          (dir_ / "studies.csv").string()});
  EXPECT_EQ(csv.code, 2);
  EXPECT_TRUE(contains(csv.err, (dir_ / "studies.csv").string() + ": not a JSON file")) << csv.err;
  EXPECT_FALSE(fs::exists(dir_ / "r.html")) << "no report from a failed comparison";

  std::ofstream(dir_ / "other.json") << "{\"format\": \"something else\"}";
  const Result other = run({"review", dir_.string(), "--since", (dir_ / "other.json").string()});
  EXPECT_EQ(other.code, 2);
  EXPECT_TRUE(contains(other.err, "not an evident review result file")) << other.err;

  std::ofstream(dir_ / "future.json")
      << "{\"format\": \"evident review result\", \"version\": 99, \"outcomes\": []}";
  const Result future = run({"review", dir_.string(), "--since", (dir_ / "future.json").string()});
  EXPECT_EQ(future.code, 2);
  EXPECT_TRUE(contains(future.err, "version 99")) << future.err;

  const Result missing = run({"review", dir_.string(), "--since", (dir_ / "none.json").string()});
  EXPECT_EQ(missing.code, 2);
  EXPECT_TRUE(contains(missing.err, "cannot read")) << missing.err;
}

TEST_F(LivingReview, TheResultFileReadsBackAsWritten) {
  ASSERT_EQ(run({"review", dir_.string()}).code, 0);
  const evident::ReviewSnapshot s = evident::read_review_result((dir_ / "report.json").string());
  EXPECT_EQ(evident::result_json(s), read(dir_ / "report.json"));
  ASSERT_FALSE(s.outcomes.empty());
  EXPECT_EQ(s.outcomes.front().id, "any_ae");
  EXPECT_TRUE(evident::compare_reviews(s, s).empty());
}

// The result file records the model of each outcome; a change of model (independent studies to
// a multilevel model) is a change, and a file written before the model was recorded reads as
// studies pooled as independent.
TEST_F(LivingReview, AChangedModelIsAChange) {
  evident::ReviewSnapshot before;
  evident::OutcomeSnapshot o;
  o.id = "pain";
  o.name = "Pain";
  o.status = "pooled";
  o.k = 3;
  o.studies = {"A", "A", "B"};
  before.outcomes.push_back(o);
  evident::ReviewSnapshot after = before;
  after.outcomes.front().model = "~ 1 | study/estimate";
  const auto changes = evident::compare_reviews(before, after);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes.front().model_before, "independent");
  EXPECT_EQ(changes.front().model_after, "~ 1 | study/estimate");
  EXPECT_TRUE(changes.front().any());

  std::string old_file = evident::result_json(before);
  const std::string key = "\"model\": \"independent\",";
  const auto at = old_file.find(key);
  ASSERT_NE(at, std::string::npos) << old_file;
  old_file.erase(at, key.size());
  const fs::path path = dir_ / "old.json";
  std::ofstream(path, std::ios::binary) << old_file;
  EXPECT_EQ(evident::read_review_result(path.string()).outcomes.front().model, "independent");
}

}  // namespace
