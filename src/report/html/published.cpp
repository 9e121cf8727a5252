// Published meta-analyses side by side, and what is missing, in the HTML report.

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "report/html/html.hpp"

namespace evident::detail::html {

void write_published(std::ostream& out, const Review& review) {
  const PublishedResult& p = *review.published;
  out << "<section id=\"published\">\n<h2>Published meta-analyses, side by side</h2>\n";
  out << fmt::format(
      "<p>{} pooled results from {} published meta-analyses and reviews ({}) are shown as their "
      "authors printed them. They are <strong>not pooled with each other</strong>: these "
      "meta-analyses include many of the same trials, so combining them would count the same "
      "patients several times and give a falsely precise answer. Differences between them reflect "
      "which trials each included, how it extracted them and which model it used.</p>\n",
      p.rows.size(), p.papers, esc(p.file));
  for (const auto& note : review.manifest.published->notes)
    out << "<p class=\"note\">" << esc(note) << "</p>\n";
  write_cautions(out, review.manifest, "published");
  for (const auto& panel : p.panels) {
    out << fmt::format("<section id=\"panel-{}\">\n<h3>{}</h3>\n", esc(panel.spec.id),
                       esc(panel.spec.title));
    std::string facts;
    if (!panel.spec.scale.empty()) facts += "Scale: " + esc(panel.spec.scale) + ". ";
    if (panel.spec.mcid) {
      facts += fmt::format(
          "MCID: {:g}{}. ", *panel.spec.mcid,
          panel.spec.mcid_source.empty() ? "" : " (" + esc(panel.spec.mcid_source) + ")");
    }
    if (!facts.empty()) out << "<p class=\"small\">" << facts << "</p>\n";
    for (const auto& note : panel.spec.notes)
      out << "<p class=\"note\">" << esc(note) << "</p>\n";
    write_cautions(out, review.manifest, panel.spec.id);
    out << "<p>" << esc(detail::panel_statement(panel)) << "</p>\n";

    const ForestPlot fp = published_panel_plot(review, panel);
    if (!fp.rows.empty()) {
      out << figure(fp, "Published estimates: " + panel.spec.title,
                    "Published pooled estimates with their 95% confidence intervals, as printed.");
    }
    out << "<table><thead><tr><th>Meta-analysis</th><th>Outcome</th><th>Months</th>"
           "<th>Measure</th><th class=\"num\">Estimate</th><th class=\"num\">95% CI</th>"
           "<th>k / N</th><th>Source</th><th>Notes and checks</th></tr></thead><tbody>\n";
    for (const auto& r : panel.rows) {
      out << fmt::format(
          "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td>"
          "<td class=\"num\">{}</td><td>{}{}{}</td><td>{}</td><td class=\"small\">",
          esc(r.label), esc(r.outcome), esc(r.timepoint), esc(r.measure), esc(r.estimate_text),
          esc(r.ci_text), esc(r.k), r.k.empty() || r.n.empty() ? "" : " / ", esc(r.n),
          link(r.source_url, r.source_location.empty() ? r.source_url : r.source_location));
      for (const auto& flag : r.flags)
        out << "<span class=\"derived\">Check: " << esc(flag) << ".</span> ";
      out << esc(r.notes) << "</td></tr>\n";
    }
    out << "</tbody></table>\n</section>\n";
  }
  std::size_t flagged = 0;
  for (const auto& r : p.rows)
    flagged += r.flags.empty() ? 0 : 1;
  out << fmt::format(
      "<details><summary>All {} published results in {} ({} flagged by evident's "
      "checks)</summary>\n<table><thead><tr><th>Line</th><th>Meta-analysis</th>"
      "<th>Outcome</th><th>Months</th><th>Measure</th><th class=\"num\">Estimate"
      "</th><th class=\"num\">95% CI</th><th>Source</th><th>Notes and checks</th>"
      "</tr></thead><tbody>\n",
      p.rows.size(), esc(p.file), flagged);
  for (const auto& r : p.rows) {
    out << fmt::format(
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td>"
        "<td class=\"num\">{}</td><td>{}</td><td class=\"small\">",
        r.line, esc(r.label), esc(r.outcome), esc(r.timepoint), esc(r.measure),
        esc(r.estimate_text), esc(r.ci_text),
        link(r.source_url, r.source_location.empty() ? r.source_url : r.source_location));
    for (const auto& flag : r.flags)
      out << "<span class=\"derived\">Check: " << esc(flag) << ".</span> ";
    out << esc(r.notes) << "</td></tr>\n";
  }
  out << "</tbody></table></details>\n</section>\n";
}

void write_missing(std::ostream& out, const Review& review) {
  out << "<section id=\"missing\">\n<h2>What is missing, and how to add data</h2>\n";
  bool any = false;
  out << "<ul>\n";
  for (const auto& o : review.outcomes) {
    if (o.status != OutcomeStatus::no_data) continue;
    any = true;
    out << "<li><strong>" << esc(o.spec.name) << ":</strong> ";
    for (const auto& note : o.spec.notes)
      out << esc(note) << " ";
    out << esc(detail::missing_text(o)) << "</li>\n";
  }
  for (const auto& o : review.outcomes) {
    if (o.status != OutcomeStatus::pooled || !o.analysis || o.analysis->fit.k >= 3) continue;
    any = true;
    out << fmt::format(
        "<li><strong>{}:</strong> only {} {}; a pooled estimate from so few "
        "studies is fragile.</li>\n",
        esc(o.spec.name), o.analysis->fit.k, o.analysis->fit.k == 1 ? "study" : "studies");
  }
  if (!any) out << "<li>Every outcome could be analysed.</li>\n";
  out << "</ul>\n";
  out << "<p>To add data you extracted yourself (for example per-arm means and SDs at follow-up "
         "from a trial's full text), add a row per comparison, outcome and time point to the data "
         "file, with the source of every number in <code>source_url</code> and "
         "<code>source_location</code>, and run the review again:</p>\n";
  out << "<pre>evident review " << esc(review.manifest.dir) << "</pre>\n";
  out << "<p>The rows an outcome uses are chosen by its <code>where</code> and "
         "<code>exclude</code> "
         "filters in <code>"
      << esc(std::filesystem::path(review.manifest.path).filename().string())
      << "</code>; the columns it needs are:</p>\n<ul>\n";
  for (const auto& o : review.outcomes) {
    if (o.status == OutcomeStatus::described) continue;
    // Each data column with the metafor name it stands for, so a reader sees which is which.
    std::vector<std::string> cols, filters;
    bool medians = false;
    for (const auto& c : o.spec.columns) {
      cols.push_back(fmt::format("{} ({})", c.column, c.name));
      medians = medians || c.name.rfind("median", 0) == 0;
    }
    for (const auto& f : o.spec.where.conditions)
      filters.push_back(fmt::format("{} = {}", f.column, fmt::join(f.values, " or ")));
    out << fmt::format(
        "<li>{}: rows with {}; values in {}{}.</li>\n", esc(o.spec.name),
        esc(filters.empty() ? "any values" : fmt::format("{}", fmt::join(filters, ", "))),
        esc(cols.empty() ? "the measure's metafor columns"
                         : fmt::format("{}", fmt::join(cols, ", "))),
        medians ? "; a group reported as a median needs its median with quartiles (or range) in "
                  "place of the mean and SD"
                : "");
  }
  out << "</ul>\n</section>\n";
}

}  // namespace evident::detail::html
