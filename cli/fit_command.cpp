#include <fmt/format.h>

#include <memory>
#include <optional>
#include <string>

#include "command_options.hpp"
#include "commands.hpp"
#include "evident/evident.hpp"
#include "moderator_options.hpp"
#include "option_tables.hpp"
#include "options.hpp"
#include "run.hpp"

namespace evident::cli {

namespace {

struct FitArgs {
  std::string file;
  AnalysisSpec analysis = command_line_spec();
  ModeratorSettings moderators;
  OutputArgs output;
  PlotSettings plots;
};

// A multilevel model (--random): moderators as --mods gives them; what is not available for these
// models yet is refused before anything is written.
int run_multilevel(const FitArgs& args, const StudyTable& table, const Renderer& format,
                   Streams& io) {
  const ModeratorSettings& m = args.moderators;
  const char* refused = !m.subgroup.empty()  ? "--subgroup"
                        : !m.predict.empty() ? "--predict"
                        : m.permutations > 0 ? "--permutations"
                                             : nullptr;
  if (refused != nullptr) {
    throw InputError(
        {refused, 0, 0},
        fmt::format("{} is not available for multilevel models (--random) yet", refused));
  }
  std::optional<StudyTable> v_table;
  if (!args.analysis.multilevel.V.empty()) {
    if (args.analysis.multilevel.V == "-" && args.file == "-") {
      throw InputError({"--V", 0, 0}, "FILE and --V cannot both be standard input");
    }
    v_table = read_table(args.analysis.multilevel.V, io.in);
  }
  const MultilevelAnalysis analysis =
      analyse_multilevel(table, args.analysis, m.moderators, v_table ? &*v_table : nullptr);
  if (!args.plots.funnel.empty() && !analysis.prediction) {
    // Refused before anything is written: no result without the plot it was asked for.
    throw InputError({"--funnel", 0, 0},
                     "a funnel plot of a multilevel model with moderators is not drawn yet (it "
                     "would plot residuals)");
  }
  format.render(analysis, io.out);
  write_plots(args.plots, analysis);
  return kExitOk;
}

int run_fit(const FitArgs& args, Streams& io) {
  const StudyTable table = read_table(args.file, io.in);
  const Renderer& format = output_format(args.output.format);
  if (args.analysis.multilevel.active()) return run_multilevel(args, table, format, io);
  if (args.moderators.active()) {
    return run_moderator_analysis(args.moderators, table, args.analysis, format, io.out);
  }
  if (args.analysis.fit.method == Method::BAYES &&
      (!args.plots.forest.empty() || !args.plots.funnel.empty())) {
    // Refused before anything is written: no result without the plots it was asked for.
    throw InputError({args.plots.forest.empty() ? "--funnel" : "--forest", 0, 0},
                     "the plots of --method BAYES (posteriors, shrunken estimates) are not drawn "
                     "yet");
  }
  const Analysis analysis = analyse(table, args.analysis);
  format.render(analysis, io.out);
  write_plots(args.plots, analysis, table);
  return kExitOk;
}

}  // namespace

Action add_fit_command(CLI::App& app) {
  auto args = std::make_shared<FitArgs>();
  CLI::App* fit = app.add_subcommand(
      "fit", "Pool the studies in a CSV file: common-effect or random-effects meta-analysis.");
  auto options = std::make_shared<CommandOptions>(*fit);
  options->add(file_parameters(), args->file);
  options->add(analysis_parameters(), args->analysis);
  options->add(moderator_parameters(), args->moderators);
  options->add(format_parameters(), args->output);
  options->add(plot_parameters(), args->plots);
  return [args, options](Streams& io) {
    options->apply();
    return run_fit(*args, io);
  };
}

}  // namespace evident::cli
