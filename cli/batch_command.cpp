#include <fmt/format.h>

#include <memory>
#include <string>

#include "command_options.hpp"
#include "commands.hpp"
#include "evident/evident.hpp"
#include "option_tables.hpp"
#include "options.hpp"
#include "progress.hpp"
#include "run.hpp"

namespace evident::cli {

namespace {

struct Args {
  Args() { batch.options.spec = command_line_spec(); }
  std::string file;
  BatchArgs batch;
};

int run_batch_command(const Args& args, Streams& io) {
  refuse_output_over_input("--out", args.batch.out, {args.file});
  Progress progress(io.err, io.err_is_terminal);
  const BatchSummary summary =
      run_batch_file(args.file, io.in, args.batch.out, io.out, args.batch.options,
                     [&progress](const BatchProgress& p) {
                       progress.update_rate(p.analyses, p.bytes_read, p.bytes_total, "analyses");
                     });
  progress.clear();
  if (summary.failed > 0) {
    io.err << fmt::format("evident: {} of {} analyses could not be computed; their rows say why\n",
                          summary.failed, summary.analyses);
  }
  return kExitOk;
}

}  // namespace

Action add_batch_command(CLI::App& app) {
  auto args = std::make_shared<Args>();
  CLI::App* batch = app.add_subcommand(
      "batch",
      "Run many meta-analyses from one long-format CSV file (one row per study, an analysis id "
      "column): one result row per analysis, in input order.");
  auto options = std::make_shared<CommandOptions>(*batch);
  options->add(file_parameters(), args->file);
  options->add(batch_input_parameters(), args->batch);
  options->add(analysis_parameters(), args->batch.options.spec);
  options->add(batch_output_parameters(), args->batch);
  return [args, options](Streams& io) {
    options->apply();
    return run_batch_command(*args, io);
  };
}

}  // namespace evident::cli
