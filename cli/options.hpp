#pragma once
// Options shared by every subcommand that runs an analysis (fit, and later batch, influence,
// bias): each is declared once here, with its default, check and help, and every front end is
// built from this declaration.

#include <CLI/CLI.hpp>
#include <iosfwd>
#include <optional>
#include <string>

#include "evident/io/table.hpp"
#include "evident/methods/summary.hpp"
#include "evident/report/report.hpp"

namespace evident::cli {

struct AnalysisArgs {
  std::string measure;  // empty: generic yi/vi
  std::string method = "REML";
  std::string test = "z";
  double level = 95.0;
  std::optional<double> add;  // default depends on the measure
  std::string to = "only0";
  std::string drop00;  // true or false; empty: on for MH and PETO, off otherwise (as metafor)
  std::string multiarm = "auto";  // auto, combine or split
  std::string transf = "none";    // generic input: none or log
};

/// Adds --measure, --method, --test, --level, --add, --to, --drop00, --multiarm and --transf to
/// a subcommand.
void add_analysis_options(CLI::App& command, AnalysisArgs& args);
/// The analysis the options describe (they were checked while parsing).
[[nodiscard]] AnalysisSpec to_spec(const AnalysisArgs& args);

/// Throws a usage error when the spec's method pools 2x2 tables (MH, PETO): `what` (e.g.
/// "--mods", "evident bias") needs an inverse-variance model with yi and vi.
void require_inverse_variance(const AnalysisSpec& spec, std::string_view what);

/// Adds --format with the registered output formats (text, json, csv).
void add_format_option(CLI::App& command, std::string& format);
/// The renderer of a --format value (checked while parsing).
[[nodiscard]] const Renderer& output_format(const std::string& name);

/// Plots of an analysis: --forest PATH, --funnel PATH and how they are labelled.
struct PlotArgs {
  std::string forest;  // empty: no forest plot
  std::string funnel;  // empty: no funnel plot
  bool contours = false;
  std::string arms = "Group 1,Group 2";
  std::string benefit = "lower";
  std::optional<double> mcid;
  std::string title;
};

/// Adds --forest, --funnel, --contours, --arms, --benefit, --mcid and --title.
void add_plot_options(CLI::App& command, PlotArgs& args);
/// Writes the plots the options ask for (the format is the file extension); `table` is the data
/// the analysis was computed from (its per-arm columns are shown in the forest plot).
void write_plots(const PlotArgs& args, const Analysis& analysis, const StudyTable& table);

/// Reads FILE, or standard input for "-".
[[nodiscard]] StudyTable read_table(const std::string& file, std::istream& in);

}  // namespace evident::cli
