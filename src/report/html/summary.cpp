// The summary of findings, the short answer and the plain-language summary of the HTML report.

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

void write_sof(std::ostream& out, const Review& review) {
  out << "<section id=\"sof\">\n<h2>Summary of findings</h2>\n";
  out << "<p class=\"small\">Certainty ratings are <strong>suggestions</strong> computed from the "
         "numbers by fixed rules (GRADE; see Methods), for the review team to confirm or change. "
         "Indirectness needs the reviewers' judgement.</p>\n";
  out << "<table class=\"sof\"><thead><tr><th>Outcome</th><th>Studies (participants)</th>"
         "<th>Relative effect (95% CI)</th><th>Absolute effect</th><th>Against the MCID</th>"
         "<th>Suggested certainty</th><th>Reasons</th></tr></thead><tbody>\n";
  for (const auto& o : review.outcomes) {
    out << fmt::format("<tr><td><a href=\"#{}\">{}</a></td>", anchor(o.spec.id), esc(o.spec.name));
    if (o.status == OutcomeStatus::pooled) {
      const Findings& f = *o.findings;
      const Measure m = o.spec.analysis.effect.measure;
      const double n = detail::participants(o);
      if (o.multilevel) {
        out << "<td>" << esc(detail::size_text(o)) << "</td>";
      } else {
        out << fmt::format("<td>{}{}</td>", o.analysis->fit.k,
                           std::isfinite(n) ? fmt::format(" ({:.0f})", n) : "");
      }
      out << "<td>" << esc(detail::effect_text(f, m, o.analysis->fit.level)) << "</td>";
      if (f.absolute) {
        out << fmt::format("<td>{:.0f} per 1000 without, {:.0f} with; {}</td>",
                           1000 * f.absolute->control_risk, 1000 * f.absolute->risk,
                           esc(detail::per_1000_text(*f.absolute)));
      } else if (!is_binary(m)) {
        out << "<td>" << esc(o.spec.scale.empty() ? "-" : "on " + o.spec.scale) << "</td>";
      } else {
        out << "<td>-</td>";
      }
      out << "<td>" << esc(f.mcid_comparison) << "</td>";
      out << "<td>" << cert_span(f) << "</td><td class=\"small\">";
      bool first = true;
      for (const auto& d : f.domains) {
        if (d.rating != Rating::serious && d.rating != Rating::very_serious) continue;
        out << (first ? "" : "<br>") << esc(d.domain) << " (" << esc(rating_name(d.rating))
            << "): " << esc(d.reason);
        first = false;
      }
      if (first) out << "no domain rated down";
      out << "</td></tr>\n";
    } else if (o.status == OutcomeStatus::described) {
      double ev = 0, n = 0;
      for (const auto& s : o.series) {
        if (std::isfinite(s.events)) ev += s.events;
        if (std::isfinite(s.total)) n += s.total;
        if (std::isfinite(s.n)) n += s.n;
      }
      out << fmt::format(
          "<td>{} series ({:g})</td><td colspan=\"5\">Described, not pooled: "
          "single-arm series have no comparison group{}.</td></tr>\n",
          o.series.size(), n,
          ev > 0 || std::isfinite(o.series.front().events)
              ? fmt::format(" ({:g} events in {:g} patients)", ev, n)
              : "");
    } else {
      out << "<td>0</td><td colspan=\"5\">Not estimable from the data in this review: "
          << esc(detail::missing_short(o))
          << ". See <a href=\"#missing\">what is missing</a>.</td></tr>\n";
    }
  }
  out << "</tbody></table>\n</section>\n";
}

// "In short": per section of the report, counts of what the pooled intervals show. Counting
// claims nothing beyond the intervals themselves.
void write_in_short(std::ostream& out, const Review& review) {
  std::vector<std::string> groups;
  for (const auto& o : review.outcomes) {
    if (std::find(groups.begin(), groups.end(), o.spec.group) == groups.end()) {
      groups.push_back(o.spec.group);
    }
  }
  out << "<p><strong>In short.</strong></p>\n<ul>\n";
  for (const auto& g : groups) {
    std::size_t pooled = 0, clear = 0, harm = 0, described = 0;
    std::vector<std::string> missing;
    const Findings* best = nullptr;
    for (const auto& o : review.outcomes) {
      if (o.spec.group != g) continue;
      if (o.status == OutcomeStatus::described) ++described;
      if (o.status == OutcomeStatus::no_data) missing.push_back(o.spec.name);
      if (o.status != OutcomeStatus::pooled) continue;
      const Findings& f = *o.findings;
      ++pooled;
      if (f.ci_lb > f.null_value || f.ci_ub < f.null_value) ++clear;
      const bool lower_better = o.spec.benefit == Benefit::lower;
      if (std::isfinite(f.important_high) &&
          (lower_better ? f.ci_ub > f.important_high : f.ci_lb < f.important_low)) {
        ++harm;
      }
      if (!best || f.certainty > best->certainty) best = &f;
    }
    std::string line = "<strong>" + esc(g) + ":</strong> ";
    if (pooled > 0) {
      line += fmt::format(
          "{} pooled {}; {} of {} with an interval that excludes no effect; {} of {} whose "
          "interval includes an important harm; highest suggested certainty: {}.",
          pooled, pooled == 1 ? "comparison" : "comparisons", clear, pooled, harm, pooled,
          detail::certainty_label(*best));
    }
    if (!missing.empty()) {
      line += fmt::format("{}Not estimable from this review's data: {}.", pooled ? " " : "",
                          esc(fmt::format("{}", fmt::join(missing, "; "))));
    }
    if (described > 0) {
      line += fmt::format(
          " {} described from single-arm series only.",
          described == 1 ? std::string("One outcome") : fmt::format("{} outcomes", described));
    }
    out << "<li>" << line << "</li>\n";
  }
  if (review.published && !review.published->panels.empty()) {
    out << "<li><strong>Published meta-analyses:</strong> shown side by side below, not "
           "combined (they share trials).</li>\n";
  }
  out << "</ul>\n";
}

void write_plain(std::ostream& out, const Review& review) {
  out << "<section id=\"plain\">\n<h2>Plain-language summary</h2>\n";
  out << "<p class=\"small\">Written by the program from the numbers below; the wording follows "
         "the certainty (\u201cmay\u201d for low, \u201cprobably\u201d for moderate), and an "
         "effect "
         "whose interval includes no effect is never stated more firmly than "
         "\u201cmay\u201d.</p>\n";
  write_in_short(out, review);
  std::string group;
  for (const auto& o : review.outcomes) {
    if (o.spec.group != group) {
      if (!group.empty()) out << "</ul>\n";
      group = o.spec.group;
      out << "<h4>" << esc(group) << "</h4>\n<ul>\n";
    }
    out << "<li>";
    if (o.status == OutcomeStatus::pooled) {
      out << "<strong>" << esc(o.spec.name) << ".</strong> " << esc(detail::plain_statement(o));
    } else if (o.status == OutcomeStatus::described) {
      const bool events = !o.series.empty() && std::isfinite(o.series.front().events);
      out << "<strong>" << esc(o.spec.name) << ".</strong> "
          << fmt::format("{} single-arm series without a comparison group: {}.", o.series.size(),
                         events ? "they show how often events were seen, not whether the "
                                  "intervention caused them"
                                : "they show how scores changed over time, which includes the "
                                  "natural course and placebo effects, not what the intervention "
                                  "caused");
    } else {
      out << "<strong>" << esc(o.spec.name)
          << ".</strong> This review's data cannot answer this: " << esc(detail::missing_text(o));
    }
    out << "</li>\n";
  }
  if (!group.empty()) out << "</ul>\n";
  if (review.published && !review.published->panels.empty()) {
    out << "<h4>Published meta-analyses</h4>\n<ul>\n";
    for (const auto& p : review.published->panels) {
      out << "<li><strong>" << esc(p.spec.title) << ".</strong> " << esc(detail::panel_statement(p))
          << "</li>\n";
    }
    out << "</ul>\n<p class=\"small\">These results come from overlapping meta-analyses (the same "
           "trials appear in several of them) and are shown side by side, not combined.</p>\n";
  }
  out << "</section>\n";
}

}  // namespace evident::detail::html
