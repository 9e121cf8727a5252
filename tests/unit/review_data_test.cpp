// The data a review reads: files outside the review folder (named so, or reached by a symbolic
// link) are refused unless the user allows them; the same file twice, or the same rows in two
// files, are errors, since every study would count twice.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "evident/review/manifest.hpp"
#include "evident/review/review.hpp"

namespace {

namespace fs = std::filesystem;

class ReviewData : public testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("evident-review-data-" + std::to_string(::getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_ / "review");
  }
  void TearDown() override { fs::remove_all(root_); }

  void write(const fs::path& p, const std::string& text) const { std::ofstream(p) << text; }
  void manifest(const std::string& data) const {
    write(root_ / "review" / "review.toml",
          "title = \"t\"\n[[outcome]]\nid = \"sae\"\nname = \"Serious events\"\ndata = " + data +
              "\nmeasure = \"RR\"\n");
  }
  std::string run(bool allow_outside = false) const {
    try {
      evident::ReviewOptions o;
      o.allow_outside = allow_outside;
      (void)evident::run_review(evident::read_manifest((root_ / "review").string()), o);
    } catch (const evident::InputError& e) {
      return e.what();
    }
    return "";
  }

  fs::path root_;
  const std::string table_ = "study,ai,n1i,ci,n2i\nA,2,20,5,20\nB,1,30,4,30\nC,0,25,3,25\n";
};

TEST_F(ReviewData, AFileOutsideTheFolderIsRefusedUnlessAllowed) {
  write(root_ / "secret.csv", table_);
  manifest("\"../secret.csv\"");
  const std::string error = run();
  EXPECT_NE(error.find("review.toml:"), std::string::npos) << error;
  EXPECT_NE(error.find("data file '../secret.csv' is outside the review folder"), std::string::npos)
      << error;
  EXPECT_EQ(run(true), "");

  // A symbolic link inside the folder that points outside is outside too.
  fs::create_symlink(root_ / "secret.csv", root_ / "review" / "link.csv");
  manifest("\"link.csv\"");
  EXPECT_NE(run().find("is outside the review folder"), std::string::npos);
  // One that points inside is fine.
  write(root_ / "review" / "real.csv", table_);
  fs::create_symlink(root_ / "review" / "real.csv", root_ / "review" / "inner.csv");
  manifest("\"inner.csv\"");
  EXPECT_EQ(run(), "");
}

TEST_F(ReviewData, TheSameFileTwiceOrTheSameRowsInTwoFilesAreErrors) {
  write(root_ / "review" / "a.csv", table_);
  manifest("[\"a.csv\", \"./a.csv\"]");
  EXPECT_NE(run().find("is listed twice"), std::string::npos) << run();

  write(root_ / "review" / "copy.csv", table_);
  manifest("[\"a.csv\", \"copy.csv\"]");
  const std::string error = run();
  EXPECT_NE(error.find("the row on line 2 of 'copy.csv' is also on line 2 of 'a.csv'"),
            std::string::npos)
      << error;

  write(root_ / "review" / "other.csv", "study,ai,n1i,ci,n2i\nD,3,40,6,40\n");
  manifest("[\"a.csv\", \"other.csv\"]");
  EXPECT_EQ(run(), "");
}

}  // namespace
