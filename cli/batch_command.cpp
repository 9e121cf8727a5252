#include <fmt/format.h>

#include <memory>
#include <string>

#include "commands.hpp"
#include "evident/evident.hpp"
#include "options.hpp"
#include "progress.hpp"
#include "run.hpp"

namespace evident::cli {

namespace {

struct BatchArgs {
  std::string file;
  std::string by;
  AnalysisArgs analysis;
  std::string out;
  std::string format;  // empty: from the --out file name
  unsigned threads = 0;
};

int run_batch_command(const BatchArgs& args, Streams& io) {
  BatchOptions options;
  options.spec = to_spec(args.analysis);
  options.by = args.by;
  options.threads = args.threads;
  if (!args.format.empty()) {
    options.format = args.format == "jsonl" ? BatchFormat::jsonl : BatchFormat::csv;
  } else if (args.out == "-") {
    options.format = BatchFormat::csv;
  } else if (auto f = batch_format_for_path(args.out)) {
    options.format = *f;
  } else {
    throw InputError({"--out", 0, 0},
                     fmt::format("'{}': a results file name must end in .csv or .jsonl (or give "
                                 "--format)",
                                 args.out));
  }
  Progress progress(io.err, io.err_is_terminal);
  const BatchSummary summary = run_batch_file(
      args.file, io.in, args.out, io.out, options, [&progress](const BatchProgress& p) {
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
  auto args = std::make_shared<BatchArgs>();
  CLI::App* batch = app.add_subcommand(
      "batch",
      "Run many meta-analyses from one long-format CSV file (one row per study, an analysis id "
      "column): one result row per analysis, in input order.");
  batch->add_option("FILE", args->file, "CSV file with a header row, or - for standard input")
      ->required();
  batch
      ->add_option(
          "--by", args->by,
          "Column holding the analysis id; the rows of one analysis must be contiguous "
          "(an id that reappears later gets an error row of its own). Required, no default")
      ->required();
  add_analysis_options(*batch, args->analysis);
  batch
      ->add_option("--out", args->out,
                   "Results file, .csv or .jsonl (written to a temporary file and renamed when "
                   "complete), or - for standard output. Required, no default")
      ->required();
  batch
      ->add_option("--format", args->format,
                   "Results format: csv or jsonl (default: from the --out file name; csv for -)")
      ->check(CLI::IsMember({"csv", "jsonl"}));
  batch
      ->add_option("--threads", args->threads,
                   "Worker threads (default 0: one per core); the results do not depend on it")
      ->check(CLI::NonNegativeNumber);
  return [args](Streams& io) { return run_batch_command(*args, io); };
}

}  // namespace evident::cli
