#include <memory>
#include <string>

#include "commands.hpp"
#include "evident/evident.hpp"
#include "run.hpp"

namespace evident::cli {

namespace {

struct SimulateArgs {
  SimulateOptions options;
  std::string out = "-";
};

int run_simulate(const SimulateArgs& args, Streams& io) {
  if (auto problem = args.options.validate())
    throw InputError({"evident simulate", 0, 0}, *problem);
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
  SimulateOptions& o = args->options;
  sim->add_option("--analyses", o.analyses, "Number of meta-analyses")->capture_default_str();
  sim->add_option("--k", o.k, "Studies per meta-analysis")->capture_default_str();
  sim->add_option("--mu", o.mu, "True mean effect")->capture_default_str();
  sim->add_option("--tau2", o.tau2, "Between-study variance")->capture_default_str();
  sim->add_option("--vi-min", o.vi_min, "Smallest sampling variance")->capture_default_str();
  sim->add_option("--vi-max", o.vi_max, "Largest sampling variance")->capture_default_str();
  sim->add_option("--seed", o.seed, "Seed of the random number generator")->capture_default_str();
  sim->add_option("--out", args->out, "Output file, or - for standard output")
      ->capture_default_str();
  return [args](Streams& io) { return run_simulate(*args, io); };
}

}  // namespace evident::cli
