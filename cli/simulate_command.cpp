#include <memory>

#include "command_options.hpp"
#include "commands.hpp"
#include "evident/evident.hpp"
#include "option_tables.hpp"
#include "run.hpp"

namespace evident::cli {

namespace {

int run_simulate(const SimulateArgs& args, Streams& io) {
  if (args.out == "-") {
    simulate(args.options, io.out);
    return kExitOk;
  }
  simulate_file(args.options, args.out);
  return kExitOk;
}

}  // namespace

Action add_simulate_command(CLI::App& app) {
  auto args = std::make_shared<SimulateArgs>();
  CLI::App* sim = app.add_subcommand(
      "simulate",
      "Write a simulated batch of meta-analyses as long-format CSV (id,study,yi,vi) from the "
      "random-effects model yi = mu + u + e, u ~ N(0, tau2), e ~ N(0, vi), vi ~ U(vi-min, "
      "vi-max). The same options and seed give the same file.");
  auto options = std::make_shared<CommandOptions>(*sim);
  options->add(simulate_parameters(), *args);
  return [args, options](Streams& io) {
    options->apply();
    return run_simulate(*args, io);
  };
}

}  // namespace evident::cli
