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

struct BiasArgs {
  std::string file;
  AnalysisSpec analysis = command_line_spec();
  BiasOptions bias;
  OutputArgs output;
};

int run_bias(const BiasArgs& args, Streams& io) {
  require_inverse_variance(args.analysis, "evident bias");
  const StudyTable table = read_table(args.file, io.in);
  output_format(args.output.format).render(analyse_bias(table, args.analysis, args.bias), io.out);
  return kExitOk;
}

}  // namespace

Action add_bias_command(CLI::App& app) {
  auto args = std::make_shared<BiasArgs>();
  CLI::App* cmd = app.add_subcommand(
      "bias",
      "Small-study effects and publication bias: Egger's regression test, Begg's rank "
      "correlation, trim-and-fill, fail-safe N, PET-PEESE and contour-enhanced funnel data.");
  auto options = std::make_shared<CommandOptions>(*cmd);
  options->add(file_parameters(), args->file);
  options->add(analysis_parameters(), args->analysis);
  options->add(bias_parameters(), args->bias);
  options->add(format_parameters(), args->output);
  return [args, options](Streams& io) {
    options->apply();
    return run_bias(*args, io);
  };
}

}  // namespace evident::cli
