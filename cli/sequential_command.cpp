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

struct SequentialArgs {
  std::string file;
  AnalysisSpec analysis = command_line_spec();
  SequentialSettings sequential;
  OutputArgs output;
  SequentialPlotSettings plot;
};

int run_sequential(const SequentialArgs& args, Streams& io) {
  require_univariate(args.analysis, "evident sequential");
  const StudyTable table = read_table(args.file, io.in);
  const Renderer& format = output_format(args.output.format);
  const SequentialResult result = analyse_sequential(table, args.analysis, args.sequential);
  format.render(result, io.out);
  if (!args.plot.plot.empty()) write_plot(sequential_plot(result, args.plot.title), args.plot.plot);
  return kExitOk;
}

}  // namespace

Action add_sequential_command(CLI::App& app) {
  auto args = std::make_shared<SequentialArgs>();
  CLI::App* cmd = app.add_subcommand(
      "sequential",
      "Trial sequential analysis: the required information size, the cumulative z statistic "
      "after each study against Lan-DeMets monitoring boundaries, the TSA-adjusted interval, "
      "and whether the evidence is firm or how many more participants are needed.");
  auto options = std::make_shared<CommandOptions>(*cmd);
  options->add(file_parameters(), args->file);
  options->add(analysis_parameters(), args->analysis);
  options->add(sequential_parameters(), args->sequential);
  options->add(format_parameters(), args->output);
  options->add(sequential_plot_parameters(), args->plot);
  return [args, options](Streams& io) {
    options->apply();
    return run_sequential(*args, io);
  };
}

}  // namespace evident::cli
