#include <memory>
#include <string>

#include "command_options.hpp"
#include "commands.hpp"
#include "evident/evident.hpp"
#include "option_tables.hpp"
#include "options.hpp"
#include "run.hpp"

namespace evident::cli {

namespace {

struct InfluenceArgs {
  std::string file;
  AnalysisSpec analysis = command_line_spec();
  InfluenceSettings influence;
  OutputArgs output;
};

int run_influence(const InfluenceArgs& args, Streams& io) {
  require_inverse_variance(args.analysis, "evident influence");
  const StudyTable table = read_table(args.file, io.in);
  output_format(args.output.format)
      .render(
          analyse_influence(table, args.analysis, args.influence.moderators, args.influence.order),
          io.out);
  return kExitOk;
}

}  // namespace

Action add_influence_command(CLI::App& app) {
  auto args = std::make_shared<InfluenceArgs>();
  CLI::App* cmd = app.add_subcommand(
      "influence",
      "Sensitivity: leave-one-out, influence diagnostics, cumulative meta-analysis and Baujat "
      "coordinates. With --mods, the influence diagnostics of the meta-regression; leave-one-out "
      "and cumulative results need a model without moderators.");
  auto options = std::make_shared<CommandOptions>(*cmd);
  options->add(file_parameters(), args->file);
  options->add(analysis_parameters(), args->analysis);
  options->add(influence_parameters(), args->influence);
  options->add(format_parameters(), args->output);
  return [args, options](Streams& io) {
    options->apply();
    return run_influence(*args, io);
  };
}

}  // namespace evident::cli
