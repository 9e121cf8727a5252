// One outcome of the HTML report: its result, plots, certainty and data.

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

#include "evident/report/plot_parameters.hpp"
#include "report/html/html.hpp"
#include "report/sequential_words.hpp"

namespace evident::detail::html {

void write_data_table(std::ostream& out, const OutcomeResult& o) {
  const Measure m = o.spec.analysis.effect.measure;
  std::vector<std::pair<std::string, std::string>> cols;  // metafor name, heading
  auto mapped = [&](const std::string& name) {
    for (const auto& c : o.spec.columns) {
      if (c.name == name) return c.column;
    }
    return name;
  };
  auto add = [&](const std::string& name, const std::string& head) {
    cols.push_back(
        {name, fmt::format("{}<br><span class=\"small\">{}</span>", esc(head), esc(mapped(name)))});
  };
  const std::string e = o.spec.experimental, c = o.spec.control;
  if (o.spec.design == OutcomeDesign::single_arm) {
    for (const auto& col : o.spec.columns)
      add(col.name, col.name);
  } else {
    switch (measure_shape(m)) {
      case InputShape::two_by_two:
        add("ai", e + " events");
        add(o.tables.empty() || o.tables[0].find_column("n1i") ? "n1i" : "bi", e + " total");
        add("ci", c + " events");
        add(o.tables.empty() || o.tables[0].find_column("n2i") ? "n2i" : "di", c + " total");
        break;
      case InputShape::two_group_means:
        add("m1i", e + " mean");
        add("sd1i", e + " SD");
        add("n1i", e + " n");
        add("m2i", c + " mean");
        add("sd2i", c + " SD");
        add("n2i", c + " n");
        break;
      default:
        for (const auto& col : o.spec.columns)
          add(col.name, col.name);
        break;
    }
  }
  bool any_rows = false;
  for (const auto& t : o.tables)
    any_rows = any_rows || t.rows() > 0;
  if (!any_rows) return;
  out << "<details open><summary>Data used, with the source of every number</summary>\n<table>"
         "<thead><tr><th>Study</th>";
  for (const auto& [name, head] : cols)
    out << "<th class=\"num\">" << head << "</th>";
  const bool rob = std::any_of(o.tables.begin(), o.tables.end(), [&](const StudyTable& t) {
    return t.find_column(o.spec.rob_column).has_value();
  });
  if (rob) out << "<th>Risk of bias</th>";
  out << "<th>Source</th><th>Notes</th></tr></thead><tbody>\n";
  for (const auto& t : o.tables) {
    const std::string file = std::filesystem::path(t.source()).filename().string();
    for (std::size_t r = 0; r < t.rows(); ++r) {
      out << "<tr><td>" << esc(cell(t, r, "study")) << "</td>";
      for (const auto& [name, head] : cols)
        out << "<td class=\"num\">" << esc(cell(t, r, name)) << "</td>";
      if (rob) out << "<td>" << esc(cell(t, r, o.spec.rob_column)) << "</td>";
      const std::string url = cell(t, r, "source_url");
      const std::string where = cell(t, r, "source_location");
      out << "<td>" << link(url, where.empty() ? url : where) << "<br><span class=\"small\">"
          << esc(file) << " line " << t.line(r) << "</span></td>";
      const std::string notes = cell(t, r, "notes");
      out << "<td class=\"small\">";
      if (notes.find("DERIVED") != std::string::npos)
        out << "<span class=\"derived\">Derived.</span> ";
      out << esc(notes) << "</td></tr>\n";
    }
  }
  out << "</tbody></table></details>\n";
}

void write_certainty(std::ostream& out, const Findings& f) {
  out << "<h4>Certainty of the evidence <span class=\"badge\">suggested</span></h4>\n"
         "<table><thead><tr><th>Domain</th><th>Suggested rating</th><th>Reason</th></tr>"
         "</thead><tbody>\n";
  out << fmt::format("<tr><td>Starting point</td><td>{}</td><td>{}</td></tr>\n",
                     esc(certainty_name(f.start)),
                     f.start == Certainty::high ? "randomised trials start at high certainty"
                                                : "observational studies start at low certainty");
  for (const auto& d : f.domains) {
    out << fmt::format(
        "<tr><td>{}</td><td>{}{}</td><td>{}</td></tr>\n", esc(d.domain), esc(rating_name(d.rating)),
        d.from_reviewer ? " <span class=\"badge\">reviewers</span>" : "", esc(d.reason));
  }
  out << fmt::format("<tr><th>Overall</th><th colspan=\"2\">{}</th></tr>\n", cert_span(f));
  if (f.at_most) {
    out << "<tr><td colspan=\"3\" class=\"small\">\u201cAt most\u201d: risk of bias or "
           "indirectness was not assessed; assessing them can only keep or lower this rating."
           "</td></tr>\n";
  }
  out << "</tbody></table>\n";
}

void write_series(std::ostream& out, const OutcomeResult& o) {
  const bool events = !o.series.empty() && std::isfinite(o.series.front().events);
  out << "<p>These are single-arm series: every patient received the intervention and no one was "
         "compared, so they describe what was seen, not whether the intervention caused it. They "
         "are not pooled as comparisons.</p>\n<table><thead><tr><th>Series</th><th>Outcome</th>"
         "<th>Reported</th>";
  if (events) {
    out << "<th class=\"num\">Events</th><th class=\"num\">Patients</th><th class=\"num\">"
           "Proportion</th><th class=\"num\">95% CI (exact)</th>";
  } else {
    out << "<th class=\"num\">After: mean (SD)</th><th class=\"num\">n</th><th class=\"num\">"
           "Before: mean (SD)</th><th class=\"num\">n</th>";
  }
  out << "<th>Source</th><th>Notes</th></tr></thead><tbody>\n";
  double total_events = 0, total_patients = 0;
  for (const auto& s : o.series) {
    const StudyTable& t = o.tables[s.ref.table];
    out << "<tr><td>" << esc(s.study) << "</td><td>" << esc(cell(t, s.ref.row, "outcome"))
        << "</td><td class=\"small\">" << esc(cell(t, s.ref.row, "measure_type")) << "</td>";
    if (events) {
      total_events += s.events;
      total_patients += s.total;
      out << fmt::format(
          "<td class=\"num\">{:g}</td><td class=\"num\">{:g}</td><td class=\"num\">{:.1f}%</td>"
          "<td class=\"num\">{:.1f}% to {:.1f}%</td>",
          s.events, s.total, 100 * s.proportion, 100 * s.ci_lb, 100 * s.ci_ub);
    } else {
      auto ms = [](double m, double sd) {
        return std::isfinite(m) ? fmt::format("{:g} ({:g})", m, sd) : std::string("-");
      };
      auto nn = [](double n) { return std::isfinite(n) ? fmt::format("{:g}", n) : "-"; };
      out << "<td class=\"num\">" << ms(s.mean, s.sd) << "</td><td class=\"num\">" << nn(s.n)
          << "</td><td class=\"num\">" << ms(s.mean_before, s.sd_before)
          << "</td><td class=\"num\">" << nn(s.n_before) << "</td>";
    }
    const std::string url = cell(t, s.ref.row, "source_url");
    const std::string where = cell(t, s.ref.row, "source_location");
    out << "<td>" << link(url, where.empty() ? url : where) << "</td><td class=\"small\">"
        << esc(cell(t, s.ref.row, "notes")) << "</td></tr>\n";
  }
  out << "</tbody></table>\n";
  if (events && total_patients > 0) {
    out << fmt::format(
        "<p class=\"small\">Together: {:g} events in {:g} patients. With no events in n "
        "patients, the upper end of the exact 95% interval is about 3/n (the rule of three): "
        "zero events in a small series cannot rule out an uncommon harm.</p>\n",
        total_events, total_patients);
  }
}

// "Is more evidence needed?": the trial sequential analysis beside GRADE's optimal information
// size (review.hpp, OutcomeResult::sequential), with the caveat of the Cochrane Handbook.
void write_sequential(std::ostream& out, const OutcomeResult& o, const Findings& f) {
  out << "<h4>Is more evidence needed?</h4>\n";
  if (!o.sequential) {
    if (!o.sequential_note.empty())
      out << "<p class=\"note\">" << esc(o.sequential_note) << "</p>\n";
    return;
  }
  const SequentialResult& r = *o.sequential;
  const InformationSize& ris = r.information_size;
  const bool crossed =
      r.monitoring.conclusion == Conclusion::benefit || r.monitoring.conclusion == Conclusion::harm;
  if (crossed && f.certainty <= Certainty::low) {
    // A boundary controls the error of repeated looks, not bias: never stronger than GRADE.
    const std::size_t look = r.monitoring.decisive_look.value_or(r.studies.size() - 1);
    out << "<p><strong>"
        << esc(fmt::format(
               "The cumulative z crossed the monitoring boundary for {} at study {} ({:.0f} "
               "participants, {:.0f}% of the required information), but the certainty of the "
               "evidence is {}{}.",
               r.monitoring.conclusion == Conclusion::benefit ? "benefit" : "harm", r.studies[look],
               r.participants[look], 100.0 * r.monitoring.information_fraction[look],
               certainty_label(f), r.studies.size() == 1 ? ", from a single trial" : ""))
        << "</strong> "
        << esc("The boundary guards against chance from looking repeatedly, not against the "
               "weaknesses of the trials: this is not firm evidence until trials at low risk of "
               "bias confirm it.");
  } else {
    out << "<p><strong>" << esc(sequential_conclusion(r)) << "</strong>";
  }
  out << "</p>\n";
  std::string basis =
      r.binary
          ? fmt::format("a relative risk {} of {:.0f}% from a control risk of {:.1f}%",
                        r.settings.benefit == Benefit::lower ? "reduction or increase" : "change",
                        100.0 * r.rrr, 100.0 * r.control_risk)
          : fmt::format("a difference of {} (SD {})", readable(r.effect), readable(r.sd));
  std::string text = fmt::format(
      "Trial sequential analysis{}: the required information size is {:.0f} participants, to "
      "detect {} with alpha 5% (two-sided) and power 80%",
      r.settings.order.empty() ? "" : " with the studies in order of " + r.settings.order,
      std::ceil(ris.adjusted), basis);
  if (ris.correction != HeterogeneityCorrection::none && ris.heterogeneity > 0.0) {
    text += fmt::format(
        ", adjusted for heterogeneity (diversity D\u00b2 = {:.0f}%: {:.0f} "
        "without it)",
        100.0 * ris.heterogeneity, std::ceil(ris.unadjusted));
  }
  text += fmt::format("; the trials have {:.0f} ({:.0f}%). {} boundaries.", r.participants.back(),
                      100.0 * r.monitoring.information_fraction.back(),
                      spending_words(r.settings.boundary));
  if (std::isfinite(f.optimal_information_size)) {
    text += fmt::format(
        " GRADE's optimal information size, the participants of one adequately powered trial "
        "(no allowance for heterogeneity or repeated looks), is {:.0f}.",
        std::ceil(f.optimal_information_size));
  }
  out << "<p>" << esc(text) << "</p>\n";
  out << figure(sequential_plot(r, ""), "Trial sequential analysis of " + o.spec.name,
                esc("Trial sequential analysis: the cumulative z statistic after each study "
                    "(blue) against the participants accrued, the conventional limits of a "
                    "single test (dashed), the monitoring boundaries (red) and the required "
                    "information size (vertical line)."));
  out << "<p class=\"small\">Sequential methods control the error of looking repeatedly at "
         "accumulating evidence; they are not a substitute for judging risk of bias, "
         "inconsistency, indirectness and publication bias, and the Cochrane Handbook (chapter "
         "22) does not recommend them for the primary analysis of a review.</p>\n";
}

// References the methods paragraph may cite, by key; the list printed is the ones cited.
void write_outcome(std::ostream& out, const Review& review, const OutcomeResult& o) {
  const OutcomeSpec& s = o.spec;
  out << fmt::format("<section id=\"{}\">\n<h3>{}</h3>\n", anchor(s.id), esc(s.name));
  std::string facts;
  if (!s.scale.empty()) facts += "Scale: " + esc(s.scale) + ". ";
  if (s.design == OutcomeDesign::comparative) {
    facts += fmt::format("Lower values are {}. ", s.benefit == Benefit::lower ? "better" : "worse");
  }
  if (s.mcid) {
    facts += fmt::format("Minimal clinically important difference: {:g}{}. ", *s.mcid,
                         s.mcid_source.empty() ? "" : " (" + esc(s.mcid_source) + ")");
  }
  out << "<p class=\"small\">" << facts << "</p>\n";
  write_cautions(out, review.manifest, s.id);
  for (const auto& note : s.notes)
    out << "<p class=\"note\">" << esc(note) << "</p>\n";

  if (o.status == OutcomeStatus::no_data) {
    out << "<p class=\"missing\"><strong>Not estimable from the data in this review.</strong> "
        << esc(detail::missing_text(o)) << "</p>\n";
    out << "</section>\n";
    return;
  }
  if (o.status == OutcomeStatus::described) {
    write_series(out, o);
    if (!o.unusable.empty())
      out << "<p class=\"note\">" << esc(detail::missing_text(o)) << "</p>\n";
    out << "</section>\n";
    return;
  }
  const Analysis& a = *o.analysis;
  const Findings& f = *o.findings;
  const Measure m = s.analysis.effect.measure;
  out << "<p class=\"result\"><strong>" << esc(detail::effect_text(f, m, a.fit.level))
      << "</strong>; " << esc(detail::size_text(o)) << ".";
  if (f.absolute) {
    out << " " << esc(detail::per_1000_text(*f.absolute))
        << fmt::format(" at an assumed control risk of {:.0f} per 1000 ({}).",
                       1000 * f.absolute->control_risk,
                       esc(s.control_risk_source.empty() ? f.absolute->control_risk_source
                                                         : s.control_risk_source));
  }
  out << "</p>\n";
  std::string het;
  if (a.fit.k >= 2) {
    het = std::isfinite(a.fit.I2) ? fmt::format("Heterogeneity: I\u00b2 = {:.0f}%", a.fit.I2)
                                  : std::string("Heterogeneity");
    if (a.heterogeneity_ci) {
      het += fmt::format(" (95% CI {:.0f}% to {:.0f}%)", a.heterogeneity_ci->I2_lb,
                         a.heterogeneity_ci->I2_ub);
      het += fmt::format(", \u03c4\u00b2 = {}", readable(a.fit.tau2));
    }
    if (o.multilevel) {
      const MultilevelAnalysis& ml = *o.multilevel;
      for (std::size_t j = 0; j < ml.fit.sigma2.size(); ++j) {
        het +=
            fmt::format(", \u03c3\u00b2 = {} ({})", readable(ml.fit.sigma2[j]), ml.sigma2_names[j]);
      }
    }
    het += fmt::format(", {} = {:.2f} on {} df (p = {})", o.multilevel ? "QE" : "Q", a.fit.Q,
                       static_cast<long>(a.fit.Q_df), readable(a.fit.Q_p));
    if (std::isfinite(f.pi_lb) && method_name(a.fit.method) != std::string_view("FE")) {
      het += fmt::format("; prediction interval {} to {}", readable(f.pi_lb), readable(f.pi_ub));
    }
    het += ". ";
  } else {
    het = "One study: heterogeneity cannot be estimated. ";
  }
  het += "Against the MCID: " + f.mcid_comparison + ".";
  out << "<p>" << esc(het) << "</p>\n";
  for (const auto& note : o.notes)
    out << "<p class=\"note\">" << esc(note) << "</p>\n";

  const ForestPlot fp = outcome_forest_plot(o);
  out << figure(fp, "Forest plot of " + s.name,
                esc(fmt::format("Forest plot. Squares: study estimates, sized by weight; lines: "
                                "{:g}% confidence intervals; diamond: pooled estimate{}.",
                                a.fit.level,
                                fp.rows.end() != std::find_if(fp.rows.begin(), fp.rows.end(),
                                                              [](const ForestRow& r) {
                                                                return r.kind ==
                                                                       ForestRowKind::prediction;
                                                              })
                                    ? "; red bar: prediction interval for a new study"
                                    : "")));
  if (a.fit.k >= 3) {
    const FunnelPlot fun = outcome_funnel_plot(o);
    out << figure(
        fun, "Funnel plot of " + s.name,
        esc(fmt::format("Funnel plot: each study's estimate against its standard error, "
                        "with the pooled estimate and its pseudo 95% confidence region.{}",
                        a.fit.k < 10 ? fmt::format(" With {} studies, asymmetry cannot "
                                                   "be judged reliably (at least 10 are "
                                                   "needed).",
                                                   a.fit.k)
                                     : "")),
        1.1);
  }
  write_certainty(out, f);
  write_sequential(out, o, f);
  for (const auto& t : o.sensitivity) {
    out << "<h4>" << esc(t.title) << "</h4>\n<table><thead><tr>";
    for (const auto& h : t.header)
      out << "<th>" << esc(h) << "</th>";
    out << "</tr></thead><tbody>\n";
    for (const auto& row : t.rows) {
      out << "<tr>";
      for (const auto& c : row)
        out << "<td>" << esc(c) << "</td>";
      out << "</tr>\n";
    }
    out << "</tbody></table>\n";
    if (!t.note.empty()) out << "<p class=\"small\">" << esc(t.note) << "</p>\n";
  }
  for (const auto& t : o.bias) {
    out << "<h4>" << esc(t.title) << "</h4>\n<table><thead><tr>";
    for (const auto& h : t.header)
      out << "<th>" << esc(h) << "</th>";
    out << "</tr></thead><tbody>\n";
    for (const auto& row : t.rows) {
      out << "<tr>";
      for (const auto& c : row)
        out << "<td>" << esc(c) << "</td>";
      out << "</tr>\n";
    }
    out << "</tbody></table>\n";
    if (!t.note.empty()) out << "<p class=\"small\">" << esc(t.note) << "</p>\n";
  }
  write_data_table(out, o);
  if (!o.unusable.empty()) out << "<p class=\"note\">" << esc(detail::missing_text(o)) << "</p>\n";
  out << "</section>\n";
}

}  // namespace evident::detail::html
