#pragma once
// Options of `evident fit` that explain differences between studies: meta-regression (--mods,
// --ref, --predict, --permutations, --seed) and subgroups (--subgroup, --tau2).

#include <CLI/CLI.hpp>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <utility>
#include <vector>

#include "evident/io/table.hpp"
#include "evident/methods/summary.hpp"
#include "evident/report/report.hpp"

namespace evident::cli {

struct ModeratorArgs {
  std::vector<std::string> mods;
  std::vector<std::string> refs;     // col=level
  std::vector<std::string> predict;  // "a=1,b=x", one point each
  std::size_t permutations = 0;
  std::uint64_t seed = 1;
  std::string subgroup;
  std::string tau2 = "separate";

  /// True when the options ask for a meta-regression or a subgroup analysis.
  [[nodiscard]] bool active() const { return !mods.empty() || !subgroup.empty(); }
};

void add_moderator_options(CLI::App& command, ModeratorArgs& args);

/// "name=value" -> {name, value} (spaces around both trimmed); InputError naming `option`
/// otherwise.
[[nodiscard]] std::pair<std::string, std::string> parse_assignment(const std::string& text,
                                                                   const std::string& option);

/// Runs the meta-regression or subgroup analysis the options ask for and renders it. Throws
/// InputError for inconsistent options (e.g. --predict without --mods) and bad input.
int run_moderator_analysis(const ModeratorArgs& args, const StudyTable& table,
                           const AnalysisSpec& spec, const Renderer& format, std::ostream& out);

/// Checks options that only make sense with --mods or --subgroup when neither is given.
void check_moderator_options(const ModeratorArgs& args);

}  // namespace evident::cli
