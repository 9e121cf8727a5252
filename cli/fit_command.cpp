#include <memory>
#include <string>

#include "commands.hpp"
#include "evident/evident.hpp"
#include "moderator_options.hpp"
#include "options.hpp"
#include "run.hpp"

namespace evident::cli {

namespace {

struct FitArgs {
  std::string file;
  AnalysisArgs analysis;
  ModeratorArgs moderators;
  std::string format = "text";
  PlotArgs plots;
};

int run_fit(const FitArgs& args, Streams& io) {
  const AnalysisSpec spec = to_spec(args.analysis);
  check_moderator_options(args.moderators);
  const StudyTable table = read_table(args.file, io.in);
  if (args.moderators.active()) {
    return run_moderator_analysis(args.moderators, table, spec, output_format(args.format), io.out);
  }
  const Analysis analysis = analyse(table, spec);
  output_format(args.format).render(analysis, io.out);
  write_plots(args.plots, analysis, table);
  return kExitOk;
}

}  // namespace

Action add_fit_command(CLI::App& app) {
  auto args = std::make_shared<FitArgs>();
  CLI::App* fit = app.add_subcommand(
      "fit", "Pool the studies in a CSV file: common-effect or random-effects meta-analysis.");
  fit->add_option("FILE", args->file, "CSV file with a header row, or - for standard input")
      ->required();
  add_analysis_options(*fit, args->analysis);
  add_moderator_options(*fit, args->moderators);
  add_format_option(*fit, args->format);
  add_plot_options(*fit, args->plots);
  return [args](Streams& io) { return run_fit(*args, io); };
}

}  // namespace evident::cli
