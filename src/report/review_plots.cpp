// The plots of a review, as the report draws them and `evident review --plots` writes them.

#include <fmt/format.h>

#include <cmath>
#include <filesystem>

#include "evident/report/plot.hpp"
#include "evident/report/review_report.hpp"

namespace evident {

ForestPlot outcome_forest_plot(const OutcomeResult& o) {
  const OutcomeSpec& s = o.spec;
  ForestOptions fo;
  fo.title = s.name;
  fo.group1 = s.experimental;
  fo.group2 = s.control;
  fo.benefit = s.benefit;
  fo.mcid = s.mcid;
  if (!o.analysis) return {};
  // Estimates nested in studies: grouped under their study, with the model's weights.
  if (o.multilevel) return forest_plot(*o.multilevel, fo);
  // The per-arm columns come from each study's row in its data file.
  std::vector<const StudyTable*> tables;
  std::vector<std::size_t> rows;
  for (const auto& ref : o.study_refs) {
    tables.push_back(&o.tables[ref.table]);
    rows.push_back(ref.row);
  }
  return forest_plot(*o.analysis, fo, tables, rows);
}

FunnelPlot outcome_funnel_plot(const OutcomeResult& o) {
  if (!o.analysis) return {};
  FunnelPlot f = funnel_plot(*o.analysis, false);
  f.title = o.spec.name;
  for (std::size_t i = 0; i < o.funnel_open.size() && i < f.open.size(); ++i)
    f.open[i] = o.funnel_open[i];
  return f;
}

ForestPlot published_panel_plot(const Review& review, const PublishedPanelResult& panel) {
  ForestPlot fp;
  fp.title = panel.spec.title;
  fp.study_header = "Meta-analysis";
  fp.columns = {{"", "Outcome", true}, {"", "Months"}};
  fp.effect_name = "Published estimate";
  fp.model_text = "as printed, 95% CI";
  fp.estimate_header = "Estimate [95% CI]";
  fp.log_scale = panel.spec.log_scale;
  fp.null_value = 0.0;
  fp.show_weights = false;
  const OutcomeSpec* first = review.outcomes.empty() ? nullptr : &review.outcomes.front().spec;
  const std::string e = first ? first->experimental : "intervention";
  const std::string c = first ? first->control : "control";
  const bool lower = panel.spec.benefit == Benefit::lower;
  fp.favours_left = "Favours " + (lower ? e : c);
  fp.favours_right = "Favours " + (lower ? c : e);
  auto scale = [&](double v) { return panel.spec.log_scale ? std::log(v) : v; };
  bool any_flag = false;
  for (const auto& r : panel.rows) {
    if (!(std::isfinite(r.estimate) && std::isfinite(r.ci_lb) && std::isfinite(r.ci_ub))) continue;
    if (panel.spec.log_scale && !(r.ci_lb > 0)) continue;
    ForestRow row;
    row.label = r.label;
    row.cells = {r.outcome, r.timepoint.empty() ? "-" : r.timepoint};
    row.estimate = scale(r.estimate);
    row.ci_lb = scale(r.ci_lb);
    row.ci_ub = scale(r.ci_ub);
    row.weight = std::nan("");
    // Numbers that fail evident's checks are drawn hollow.
    row.open = !r.flags.empty();
    any_flag = any_flag || row.open;
    fp.rows.push_back(std::move(row));
  }
  if (!panel.spec.compare_outcome.empty()) {
    for (const auto& o : review.outcomes) {
      if (o.spec.id != panel.spec.compare_outcome || !o.analysis) continue;
      ForestRow row;
      row.kind = ForestRowKind::summary;
      row.label = fmt::format("Pooled in this review: {}", o.spec.name);
      row.cells = {"", ""};
      row.estimate = o.analysis->fit.estimate;
      row.ci_lb = o.analysis->fit.ci_lb;
      row.ci_ub = o.analysis->fit.ci_ub;
      row.weight = std::nan("");
      fp.rows.push_back(std::move(row));
    }
  }
  if (panel.spec.mcid) {
    const double m = *panel.spec.mcid;
    const double v = panel.spec.log_scale ? std::fabs(std::log(m)) : m;
    fp.references.push_back({-v, "MCID"});
    fp.references.push_back({v, "MCID"});
    fp.footnotes.push_back(fmt::format("Dashed lines: MCID (\u00b1{:g})", m));
  }
  if (any_flag) fp.footnotes.push_back("Open squares: numbers flagged by evident's checks");
  fp.footnotes.push_back("The meta-analyses share trials: shown side by side, not pooled");
  return fp;
}

std::vector<std::string> write_review_plots(const Review& review, const std::string& dir,
                                            PlotFormat format) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw InputError({dir, 0, 0}, "cannot create the folder for the plots: " + ec.message());
  const std::string_view ext = plot_format_name(format);
  std::vector<std::string> written;
  auto path = [&](const std::string& name) {
    return (fs::path(dir) / fmt::format("{}.{}", name, ext)).string();
  };
  for (const auto& o : review.outcomes) {
    if (o.status != OutcomeStatus::pooled) continue;
    written.push_back(path(o.spec.id + "_forest"));
    write_plot(outcome_forest_plot(o), written.back());
    if (o.analysis->fit.k >= 3) {
      written.push_back(path(o.spec.id + "_funnel"));
      write_plot(outcome_funnel_plot(o), written.back());
    }
  }
  if (review.published) {
    for (const auto& panel : review.published->panels) {
      const ForestPlot fp = published_panel_plot(review, panel);
      if (fp.rows.empty()) continue;
      written.push_back(path(panel.spec.id));
      write_plot(fp, written.back());
    }
  }
  return written;
}

}  // namespace evident
