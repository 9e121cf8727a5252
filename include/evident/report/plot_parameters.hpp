#pragma once
/// \file
/// The plots an analysis is asked for, and how they are labelled: one table of parameters
/// (methods/parameters.hpp) that the command line (--forest PATH, --funnel PATH, ...), the Python
/// package (forest("f.png", benefit="higher")) and the web page all read.

#include <optional>
#include <string>

#include "evident/io/table.hpp"
#include "evident/methods/benefit.hpp"
#include "evident/methods/parameters.hpp"
#include "evident/methods/summary.hpp"
#include "evident/methods/trial_sequential.hpp"
#include "evident/report/plot.hpp"

namespace evident {

struct PlotSettings {
  std::string forest;  ///< where to write a forest plot; empty: none
  std::string funnel;  ///< where to write a funnel plot; empty: none
  bool contours = false;
  std::string arms = "Group 1,Group 2";  ///< the two groups' names, experimental first
  Benefit benefit = Benefit::lower;
  std::optional<double> mcid;
  std::string title;

  /// The forest plot's options these settings give.
  [[nodiscard]] ForestOptions forest_options() const;
};

/// forest, funnel, contours, arms, benefit, mcid, title.
[[nodiscard]] const ParameterTable<PlotSettings>& plot_parameters();

/// The plot of a trial sequential analysis (`evident sequential --plot PATH`).
struct SequentialPlotSettings {
  std::string plot;  ///< where to write it; empty: none
  std::string title;
};
/// plot, title.
[[nodiscard]] const ParameterTable<SequentialPlotSettings>& sequential_plot_parameters();

/// The TSA plot of a result, as the TSA program draws it.
[[nodiscard]] SequentialPlot sequential_plot(const SequentialResult& r, const std::string& title);

/// Writes the plots the settings ask for (the format is each file's extension); `table` is the
/// data the analysis was computed from (its per-arm columns are shown in the forest plot).
/// Throws InputError naming a file that cannot be written.
void write_plots(const PlotSettings& settings, const Analysis& analysis, const StudyTable& table);
/// The same for a multilevel model: the forest plot grouped by the outer factor, and the funnel
/// plot of its estimates around the pooled one (an intercept-only model; throws InputError at
/// --funnel for a model with moderators, whose residuals a funnel plot would need).
void write_plots(const PlotSettings& settings, const MultilevelAnalysis& analysis);

}  // namespace evident
