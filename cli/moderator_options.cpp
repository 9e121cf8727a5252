#include "moderator_options.hpp"

#include <fmt/format.h>

#include <ostream>
#include <utility>

#include "evident/io/error.hpp"
#include "evident/methods/moderator_analysis.hpp"
#include "options.hpp"

namespace evident::cli {

namespace {}  // namespace

std::pair<std::string, std::string> parse_assignment(const std::string& text,
                                                     const std::string& option) {
  const auto at = text.find('=');
  if (at == std::string::npos || at == 0) {
    throw InputError({option, 0, 0}, fmt::format("{} expects name=value, not '{}'", option, text));
  }
  auto trim = [](std::string s) {
    const auto b = s.find_first_not_of(" \t");
    const auto e = s.find_last_not_of(" \t");
    return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
  };
  return {trim(text.substr(0, at)), trim(text.substr(at + 1))};
}

namespace {

ModeratorValues point(const std::string& text) {
  ModeratorValues values;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto comma = text.find(',', start);
    const std::string part =
        text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    values.push_back(parse_assignment(part, "--predict"));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return values;
}

}  // namespace

void add_moderator_options(CLI::App& command, ModeratorArgs& args) {
  command
      .add_option("--mods", args.mods,
                  "Meta-regression on these columns (comma-separated): numeric columns as they "
                  "are, text columns (or factor(col)) as categorical with treatment coding; a:b "
                  "is an interaction, a*b stands for a, b and a:b")
      ->delimiter(',');
  command.add_option("--ref", args.refs,
                     "Reference level of a categorical moderator, col=level (repeatable; "
                     "default: the first level in sorted order)");
  command.add_option("--predict", args.predict,
                     "Predict at moderator values, e.g. \"ablat=30,alloc=random\" (repeatable)");
  command
      .add_option("--permutations", args.permutations,
                  "Permutation test of the meta-regression with this many permutations "
                  "(exact when there are no more distinct permutations than this); default: no "
                  "permutation test")
      ->check(CLI::Range(std::size_t{2}, std::size_t{100000000}));
  command.add_option("--seed", args.seed, "Seed of the random permutations")->capture_default_str();
  command.add_option("--subgroup", args.subgroup,
                     "Pool each level of this column separately and test for subgroup "
                     "differences");
  command
      .add_option("--tau2", args.tau2,
                  "With --subgroup: separate (a tau^2 per subgroup; Q test of the subgroup "
                  "estimates) or common (one tau^2; meta-regression test on the subgroup factor)")
      ->check(CLI::IsMember({"separate", "common"}))
      ->capture_default_str();
}

void check_moderator_options(const ModeratorArgs& args) {
  if (args.mods.empty()) {
    auto need_mods = [](const char* option) {
      throw InputError({option, 0, 0}, fmt::format("{} needs --mods", option));
    };
    if (!args.refs.empty()) need_mods("--ref");
    if (!args.predict.empty()) need_mods("--predict");
    if (args.permutations > 0) need_mods("--permutations");
  }
  if (args.subgroup.empty() && args.tau2 != "separate") {
    throw InputError({"--tau2", 0, 0}, "--tau2 needs --subgroup");
  }
  if (!args.mods.empty() && !args.subgroup.empty()) {
    throw InputError({"--subgroup", 0, 0},
                     "give either --mods or --subgroup (for a subgroup factor in a "
                     "meta-regression use --mods COL)");
  }
}

int run_moderator_analysis(const ModeratorArgs& args, const StudyTable& table,
                           const AnalysisSpec& spec, const Renderer& format, std::ostream& out) {
  check_moderator_options(args);
  require_inverse_variance(spec, args.subgroup.empty() ? "--mods" : "--subgroup");
  if (!args.subgroup.empty()) {
    const SubgroupTau2 tau2 = args.tau2 == "common" ? SubgroupTau2::common : SubgroupTau2::separate;
    format.render(analyse_subgroups(table, spec, args.subgroup, tau2), out);
    return 0;
  }
  MetaRegRequest request;
  request.moderators.terms = args.mods;
  for (const std::string& r : args.refs)
    request.moderators.reference.push_back(parse_assignment(r, "--ref"));
  for (const std::string& p : args.predict)
    request.predict.push_back(point(p));
  if (args.permutations > 0) {
    PermutationOptions perm;
    perm.iterations = args.permutations;
    perm.seed = args.seed;
    request.permutation = perm;
  }
  format.render(analyse_metareg(table, spec, request), out);
  return 0;
}

}  // namespace evident::cli
