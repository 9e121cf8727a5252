// Replays the committed fuzz corpus and every saved crash input through the fuzz targets, so an
// input that once broke evident is checked on every run, without clang or libFuzzer.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz/fuzz_targets.hpp"  // tests/ is on the include path

namespace {

namespace fs = std::filesystem;

std::vector<fs::path> inputs(const std::string& target) {
  std::vector<fs::path> files;
  for (const char* kind : {"corpus", "regressions"}) {
    const fs::path dir = fs::path(EVIDENT_FUZZ_DIR) / kind / target;
    if (!fs::exists(dir)) continue;
    for (const auto& entry : fs::directory_iterator(dir)) {
      if (entry.is_regular_file() && entry.path().filename() != "README.md") {
        files.push_back(entry.path());
      }
    }
  }
  return files;
}

std::string read(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

template <class Target>
void replay(const std::string& name, Target target) {
  const auto files = inputs(name);
  ASSERT_FALSE(files.empty()) << "no corpus for the " << name << " target";
  for (const auto& file : files) {
    SCOPED_TRACE(file.string());
    const std::string bytes = read(file);
    target(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  }
}

TEST(FuzzRegression, CsvCorpusAndCrashesReplay) {
  replay("csv", evident::fuzz::csv_target);
}

TEST(FuzzRegression, FitCorpusAndCrashesReplay) {
  replay("fit", evident::fuzz::fit_target);
}

TEST(FuzzRegression, ManifestCorpusAndCrashesReplay) {
  replay("manifest", evident::fuzz::manifest_target);
}

}  // namespace
