#include <memory>
#include <string>

#include "commands.hpp"
#include "evident/evident.hpp"
#include "moderator_options.hpp"
#include "options.hpp"
#include "run.hpp"

namespace evident::cli {

namespace {

struct InfluenceArgs {
  std::string file;
  AnalysisArgs analysis;
  std::vector<std::string> mods;
  std::vector<std::string> refs;
  std::string order;
  std::string format = "text";
};

int run_influence(const InfluenceArgs& args, Streams& io) {
  const AnalysisSpec spec = to_spec(args.analysis);
  require_inverse_variance(spec, "evident influence");
  ModeratorSpec moderators;
  moderators.terms = args.mods;
  for (const std::string& r : args.refs)
    moderators.reference.push_back(parse_assignment(r, "--ref"));
  const StudyTable table = read_table(args.file, io.in);
  output_format(args.format).render(analyse_influence(table, spec, moderators, args.order), io.out);
  return kExitOk;
}

}  // namespace

Action add_influence_command(CLI::App& app) {
  auto args = std::make_shared<InfluenceArgs>();
  CLI::App* cmd = app.add_subcommand(
      "influence",
      "Sensitivity: leave-one-out, influence diagnostics, cumulative meta-analysis and Baujat "
      "coordinates.");
  cmd->add_option("FILE", args->file, "CSV file with a header row, or - for standard input")
      ->required();
  add_analysis_options(*cmd, args->analysis);
  cmd->add_option("--mods", args->mods,
                  "Moderators (as for fit): influence diagnostics of the meta-regression; "
                  "leave-one-out and cumulative results need a model without moderators")
      ->delimiter(',');
  cmd->add_option("--ref", args->refs, "Reference level of a categorical moderator, col=level");
  cmd->add_option("--order", args->order,
                  "Column that orders the cumulative meta-analysis (ascending; e.g. year); "
                  "default: input order");
  add_format_option(*cmd, args->format);
  return [args](Streams& io) { return run_influence(*args, io); };
}

}  // namespace evident::cli
