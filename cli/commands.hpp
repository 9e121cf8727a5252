#pragma once
// One function per subcommand: each adds its options to the parser and returns the action to run
// once parsing succeeded.

#include <CLI/CLI.hpp>
#include <functional>
#include <iosfwd>

namespace evident::cli {

struct Streams {
  std::istream& in;
  std::ostream& out;
  std::ostream& err;
  /// Standard error is a terminal: progress may be shown there.
  bool err_is_terminal = false;
};

using Action = std::function<int(Streams&)>;

/// `evident fit FILE [options]`.
Action add_fit_command(CLI::App& app);
/// `evident influence FILE [options]`.
Action add_influence_command(CLI::App& app);
/// `evident bias FILE [options]`.
Action add_bias_command(CLI::App& app);
/// `evident sequential FILE [options]`: trial sequential analysis.
Action add_sequential_command(CLI::App& app);

/// `evident batch FILE --by COL --out results.csv|.jsonl [options]`.
Action add_batch_command(CLI::App& app);
/// `evident simulate [--analyses N --k K ...] [--out FILE]`.
Action add_simulate_command(CLI::App& app);

/// `evident review DIR [--out report.html] [--mcid [ID=]VALUE]`.
Action add_review_command(CLI::App& app);

}  // namespace evident::cli
