#pragma once
/// \file
/// A review's report: the self-contained HTML file, the plots it draws and the one-screen summary.

#include <iosfwd>
#include <string>
#include <vector>

#include "evident/report/plot.hpp"
#include "evident/review/review.hpp"

namespace evident {

/// The report as one self-contained HTML file: inline CSS, plots as inline images, no scripts,
/// no external resources.
void render_review_html(const Review& review, std::ostream& out);
/// The same report written to `path` under a temporary name and renamed into place when complete
/// (an interrupted run leaves no partial report). Throws InputError naming `path` when it cannot
/// be written.
void write_review_html(const Review& review, const std::string& path);
/// The plots of a review, as the report draws them: a pooled outcome's forest plot (per-arm
/// data, favours labels, MCID lines) and funnel plot, and a published panel's estimates with
/// their intervals against the MCID (the outcome it names drawn as a diamond).
[[nodiscard]] ForestPlot outcome_forest_plot(const OutcomeResult& outcome);
[[nodiscard]] FunnelPlot outcome_funnel_plot(const OutcomeResult& outcome);
[[nodiscard]] ForestPlot published_panel_plot(const Review& review,
                                              const PublishedPanelResult& panel);
/// Writes every plot of the review into `dir` (created if needed) as ID_forest, ID_funnel (three
/// or more studies) and PANEL files in `format`; returns the paths written.
std::vector<std::string> write_review_plots(const Review& review, const std::string& dir,
                                            PlotFormat format);

/// A summary that fits on one terminal screen: one line per outcome.
void render_review_summary(const Review& review, std::ostream& out, const std::string& report_path);

}  // namespace evident
