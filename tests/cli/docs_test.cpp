// The option lists of docs/cli.md and the analysis keys of docs/review.md are generated from the
// parameter tables (cli/docs.hpp): this fails when a file differs from them, and with
// EVIDENT_UPDATE_DOCS=1 rewrites the generated parts (review the diff before committing).

#include "cli/docs.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#ifndef EVIDENT_DOCS_DIR
#error "EVIDENT_DOCS_DIR must name the docs folder"
#endif

namespace {

namespace fs = std::filesystem;

std::string read_file(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

TEST(Docs, GeneratedPartsMatchTheParameterTables) {
  const bool update = std::getenv("EVIDENT_UPDATE_DOCS") != nullptr;
  std::map<std::string, std::vector<evident::cli::DocBlock>> by_file;
  for (evident::cli::DocBlock& b : evident::cli::generated_docs())
    by_file[b.file].push_back(std::move(b));
  ASSERT_EQ(by_file.size(), 2u);
  for (const auto& [file, blocks] : by_file) {
    const fs::path path = fs::path(EVIDENT_DOCS_DIR) / file;
    const std::string text = read_file(path);
    ASSERT_FALSE(text.empty()) << path;
    std::vector<std::string> missing;
    const std::string expected = evident::cli::with_generated(text, blocks, missing);
    for (const std::string& name : missing)
      ADD_FAILURE() << path << " has no markers for the generated part '" << name << "'";
    if (update && expected != text) {
      std::ofstream(path, std::ios::binary) << expected;
      continue;
    }
    EXPECT_EQ(text, expected) << path << " differs from the parameter tables; regenerate with "
                              << "EVIDENT_UPDATE_DOCS=1 build/tests/evident_tests "
                              << "--gtest_filter='Docs*'";
  }
}

// A generated part is replaced whole, and a file without its markers is reported.
TEST(Docs, MarkersDelimitTheGeneratedPart) {
  using evident::cli::begin_marker;
  using evident::cli::end_marker;
  const std::vector<evident::cli::DocBlock> blocks{{"x.md", "a", "| new |\n"},
                                                   {"x.md", "b", "| b |\n"}};
  const std::string text =
      "intro\n" + begin_marker("a") + "| old |\n| old |\n" + end_marker("a") + "outro\n";
  std::vector<std::string> missing;
  EXPECT_EQ(evident::cli::with_generated(text, blocks, missing),
            "intro\n" + begin_marker("a") + "| new |\n" + end_marker("a") + "outro\n");
  EXPECT_EQ(missing, std::vector<std::string>{"b"});
}

}  // namespace
