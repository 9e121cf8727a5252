// Compares `evident fit --format json` with metafor's values in expected/*.json (made by
// generate.R in this directory). One test per case, named <file>_<measure>_<method>_<test>.

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <ostream>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include "cli/run.hpp"

#ifndef EVIDENT_REFERENCE_DIR
#error "EVIDENT_REFERENCE_DIR must name the tests/reference directory"
#endif

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// The design contract: relative 1e-6, with an absolute floor for values that are ~0.
constexpr double relative_tolerance = 1e-6;
constexpr double absolute_tolerance = 1e-9;

struct reference_case {
  std::string name;
  fs::path input;
  std::string command = "fit";  // the evident subcommand the case runs
  std::vector<std::string> args;
  json expected;
  std::string skip_reason;  // metafor failed on this case
  std::string warning;      // metafor warned; shown with mismatches because it may explain them
  std::string load_error;   // the expected file could not be read; the test fails with this
  // Absolute tolerances for single values by path (e.g. "permutation.QM_p"), for Monte Carlo
  // quantities; every other value is compared at the relative tolerance below.
  std::map<std::string, double> absolute_tolerances;
};

// GoogleTest prints parameters on failure; the name is all a reader needs.
void PrintTo(const reference_case& c, std::ostream* os) {
  *os << c.name;
}

std::string option_value(const std::vector<std::string>& args, const std::string& option) {
  auto it = std::find(args.begin(), args.end(), option);
  return it != args.end() && std::next(it) != args.end() ? *std::next(it) : "";
}

// Test names may only hold letters, digits and underscores.
std::string sanitized(std::string name) {
  std::replace_if(
      name.begin(), name.end(),
      [](char ch) { return !std::isalnum(static_cast<unsigned char>(ch)); }, '_');
  return name;
}

std::string test_name(const std::string& stem, const std::vector<std::string>& args) {
  return sanitized(stem + "_" + option_value(args, "--method") + "_" +
                   option_value(args, "--test"));
}

std::vector<reference_case> read_expected_file(const fs::path& path, const fs::path& root) {
  std::ifstream stream(path);
  const json doc = json::parse(stream);
  const fs::path input = root / doc.at("input").get<std::string>();
  // A file may name the subcommand its cases run ("fit" if absent), and a case its own name
  // (else <file>_<method>_<test>), so other subcommands reuse this harness.
  const std::string command = doc.value("command", std::string("fit"));
  std::vector<reference_case> cases;
  for (const json& entry : doc.at("cases")) {
    reference_case c;
    c.input = input;
    c.command = entry.value("command", command);
    c.args = entry.at("args").get<std::vector<std::string>>();
    c.name = entry.contains("name")
                 ? sanitized(path.stem().string() + "_" + entry["name"].get<std::string>())
                 : test_name(path.stem().string(), c.args);
    if (entry.contains("error")) c.skip_reason = entry["error"].get<std::string>();
    if (entry.contains("warning")) c.warning = entry["warning"].get<std::string>();
    if (entry.contains("expected")) c.expected = entry["expected"];
    if (entry.contains("absolute_tolerance")) {
      for (const auto& [key, value] : entry["absolute_tolerance"].items()) {
        c.absolute_tolerances[key] = value.get<double>();
      }
    }
    cases.push_back(std::move(c));
  }
  return cases;
}

// Every case of every expected/*.json, in file-name order so test order is stable.
std::vector<reference_case> load_cases() {
  const fs::path root = EVIDENT_REFERENCE_DIR;
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(root / "expected", ec)) {
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());

  std::vector<reference_case> cases;
  for (const fs::path& file : files) {
    try {
      auto more = read_expected_file(file, root);
      cases.insert(cases.end(), more.begin(), more.end());
    } catch (const std::exception& e) {
      // A broken file must fail loudly, not vanish from the suite.
      reference_case broken;
      broken.name = sanitized(file.stem().string() + "_unreadable");
      broken.load_error = file.string() + ": " + e.what();
      cases.push_back(std::move(broken));
    }
  }
  return cases;
}

bool numbers_close(double a, double b) {
  return std::abs(a - b) <=
         relative_tolerance * std::max(std::abs(a), std::abs(b)) + absolute_tolerance;
}

// Appends one line per difference; only keys present in `expected` are checked, so evident may
// print more (diagnostics, extra options) without failing. A path in `tolerances` is compared
// with that absolute tolerance instead.
void compare(const json& expected, const json& actual, const std::string& path,
             std::vector<std::string>& mismatches,
             const std::map<std::string, double>& tolerances) {
  auto mismatch = [&] {
    mismatches.push_back(path + ": expected " + expected.dump() + ", got " + actual.dump());
  };
  if (expected.is_null()) {
    if (!actual.is_null()) mismatch();
  } else if (expected.is_number()) {
    const auto tolerance = tolerances.find(path);
    if (!actual.is_number()) {
      mismatch();
    } else if (tolerance != tolerances.end()) {
      if (!(std::abs(expected.get<double>() - actual.get<double>()) <= tolerance->second)) {
        mismatches.push_back(path + ": expected " + expected.dump() + " within " +
                             std::to_string(tolerance->second) + ", got " + actual.dump());
      }
    } else if (!numbers_close(expected.get<double>(), actual.get<double>())) {
      mismatch();
    }
  } else if (expected.is_string() || expected.is_boolean()) {
    if (actual != expected) mismatch();
  } else if (expected.is_array()) {
    if (!actual.is_array() || actual.size() != expected.size()) {
      mismatches.push_back(
          path + ": expected an array of " + std::to_string(expected.size()) + " elements, got " +
          (actual.is_array() ? std::to_string(actual.size()) + " elements" : actual.dump()));
      return;
    }
    for (std::size_t i = 0; i < expected.size(); ++i) {
      compare(expected[i], actual[i], path + "[" + std::to_string(i) + "]", mismatches, tolerances);
    }
  } else if (expected.is_object()) {
    if (!actual.is_object()) {
      mismatch();
      return;
    }
    for (const auto& [key, value] : expected.items()) {
      const std::string child = path.empty() ? key : path + "." + key;
      if (!actual.contains(key)) {
        mismatches.push_back(child + ": missing (expected " + value.dump() + ")");
      } else {
        compare(value, actual.at(key), child, mismatches, tolerances);
      }
    }
  }
}

class reference_test : public testing::TestWithParam<reference_case> {};

TEST_P(reference_test, matches_metafor) {
  const reference_case& c = GetParam();
  if (!c.load_error.empty()) FAIL() << c.load_error;
  if (!c.skip_reason.empty()) GTEST_SKIP() << "metafor failed on this case: " << c.skip_reason;

  std::vector<std::string> args{c.command, c.input.string()};
  args.insert(args.end(), c.args.begin(), c.args.end());
  args.insert(args.end(), {"--format", "json"});
  std::istringstream in;
  std::ostringstream out;
  std::ostringstream err;
  const int code = evident::cli::run(args, in, out, err);
  ASSERT_EQ(code, 0) << "stderr: " << err.str();

  const json actual = json::parse(out.str(), nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(actual.is_discarded()) << "output is not JSON:\n" << out.str();

  std::vector<std::string> mismatches;
  compare(c.expected, actual, "", mismatches, c.absolute_tolerances);
  if (!mismatches.empty()) {
    std::ostringstream report;
    for (const std::string& line : mismatches)
      report << "  " << line << "\n";
    if (!c.warning.empty()) report << "(metafor warned: " << c.warning << ")\n";
    ADD_FAILURE() << mismatches.size() << " key(s) differ from metafor for "
                  << c.input.filename().string() << " with the arguments of " << c.name << ":\n"
                  << report.str();
  }
}

INSTANTIATE_TEST_SUITE_P(metafor, reference_test, testing::ValuesIn(load_cases()),
                         [](const testing::TestParamInfo<reference_case>& param_info) {
                           return param_info.param.name;
                         });

}  // namespace
