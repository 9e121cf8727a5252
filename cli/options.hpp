#pragma once
// What the subcommands that run an analysis share beyond their options (which are declared in
// the parameter tables: evident/methods/parameters.hpp and option_tables.hpp): the analysis as
// the command line runs it, the checks a command makes of it, the output format, plots, input.

#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include "evident/io/table.hpp"
#include "evident/methods/summary.hpp"
#include "evident/report/report.hpp"
#include "option_tables.hpp"

namespace evident::cli {

/// The analysis before any option sets it: the core's defaults, with a fit of very many studies
/// using every core (the numbers are the same for any number of threads).
[[nodiscard]] AnalysisSpec command_line_spec();

/// The analysis that `evident fit` would run for these analysis options (no subcommand, no
/// other option), through the same registration the commands use. Throws CLI::ParseError for a bad
/// value and InputError for options that do not fit together. For tests that compare the command
/// line with other front ends.
[[nodiscard]] AnalysisSpec parse_analysis_spec(const std::vector<std::string>& args);

/// Throws a usage error when the spec's method pools 2x2 tables (MH, PETO): `what` (e.g.
/// "--mods", "evident bias") needs an inverse-variance model with yi and vi.
void require_inverse_variance(const AnalysisSpec& spec, std::string_view what);

/// Throws InputError naming `option` when `output` is the same file as one of `inputs` (after
/// links): writing the result would destroy the data it comes from.
void refuse_output_over_input(const std::string& option, const std::string& output,
                              const std::vector<std::string>& inputs);

/// The renderer of a --format value (checked while parsing).
[[nodiscard]] const Renderer& output_format(const std::string& name);

/// Reads FILE, or standard input for "-".
[[nodiscard]] StudyTable read_table(const std::string& file, std::istream& in);

}  // namespace evident::cli
