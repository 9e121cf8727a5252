#include "run.hpp"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>
#include <iostream>

#include "commands.hpp"
#include "evident/evident.hpp"

namespace evident::cli {

namespace {

int run_command(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
                std::ostream& err) {
  CLI::App app{"evident: evidence synthesis. Exact, fast meta-analysis of study-level data.",
               "evident"};
  app.set_version_flag("--version", std::string("evident ") + kVersion);
  app.require_subcommand(1);
  app.footer(
      "Exit codes: 0 success, 2 bad input or usage, 1 internal failure.\n"
      "Run 'evident SUBCOMMAND --help' for the options of a subcommand.");
  Action fit_action = add_fit_command(app);
  Action influence_action = add_influence_command(app);
  Action bias_action = add_bias_command(app);
  Action sequential_action = add_sequential_command(app);
  Action review_action = add_review_command(app);
  Action batch_action = add_batch_command(app);
  Action simulate_action = add_simulate_command(app);

  Streams streams{in, out, err, &err == &std::cerr && isatty(STDERR_FILENO) == 1};
  try {
    std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 parses from the back
    app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    // The selected subcommand's help when one was given; else every subcommand with all its
    // options and defaults.
    out << (app.get_subcommands().empty() ? app.help("", CLI::AppFormatMode::All) : app.help());
    return kExitOk;
  } catch (const CLI::CallForAllHelp&) {
    out << app.help("", CLI::AppFormatMode::All);
    return kExitOk;
  } catch (const CLI::CallForVersion&) {
    out << "evident " << kVersion << '\n';
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    err << "evident: " << e.what() << "\n";
    err << "Run 'evident --help' for usage.\n";
    return kExitBadInput;
  }

  try {
    if (app.got_subcommand("fit")) return fit_action(streams);
    if (app.got_subcommand("influence")) return influence_action(streams);
    if (app.got_subcommand("bias")) return bias_action(streams);
    if (app.got_subcommand("sequential")) return sequential_action(streams);
    if (app.got_subcommand("review")) return review_action(streams);
    if (app.got_subcommand("batch")) return batch_action(streams);
    if (app.got_subcommand("simulate")) return simulate_action(streams);
    err << "evident: no subcommand given\n";
    return kExitBadInput;
  } catch (const InputError& e) {
    for (const auto& p : e.problems())
      err << "evident: error: " << p.format() << '\n';
    return kExitBadInput;
  } catch (const std::exception& e) {
    err << "evident: internal error: " << e.what() << '\n';
    return kExitInternal;
  } catch (...) {
    err << "evident: internal error\n";
    return kExitInternal;
  }
}

}  // namespace

int run(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
        std::ostream& err) {
  const int code = run_command(args, in, out, err);
  // Every result ends on standard output: a write that failed (a full disk, a closed pipe or
  // descriptor) must not pass for a complete result.
  errno = 0;
  out.flush();
  if (!out) {
    const int reason = errno;
    err << "evident: writing standard output failed: "
        << (reason != 0 ? std::strerror(reason) : "the output stream failed") << '\n';
    return code == kExitOk ? kExitBadInput : code;
  }
  return code;
}

}  // namespace evident::cli
