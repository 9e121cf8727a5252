// The evidence report: one self-contained HTML file (inline CSS, plots as inline SVG images, no
// scripts, no external resources), laid out as a review's reader expects: the question, the
// summary of findings, a plain-language summary, each outcome with its plots and data, the
// published results side by side, what is missing, and the methods.

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <ostream>
#include <set>

#include "evident/report/plot.hpp"
#include "evident/report/review_report.hpp"
#include "evident/version.hpp"
#include "io/output_file.hpp"
#include "report/findings_text.hpp"
#include "report/format.hpp"

namespace evident {

namespace {

using detail::readable;

std::string esc(std::string_view s) {
  return detail::xml_escape(s);
}

std::string base64(std::string_view data) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < data.size(); i += 3) {
    const auto n = (static_cast<unsigned char>(data[i]) << 16) |
                   (static_cast<unsigned char>(data[i + 1]) << 8) |
                   static_cast<unsigned char>(data[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (i < data.size()) {
    unsigned n = static_cast<unsigned char>(data[i]) << 16;
    if (i + 1 < data.size()) n |= static_cast<unsigned char>(data[i + 1]) << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < data.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// Only web addresses become links: a data file must not be able to put a script in the report.
std::string link(std::string_view url, std::string_view text) {
  if (url.rfind("https://", 0) == 0 || url.rfind("http://", 0) == 0) {
    return fmt::format("<a href=\"{}\">{}</a>", esc(url), esc(text.empty() ? url : text));
  }
  return esc(text.empty() ? url : text);
}

// A plot as an inline image: an SVG document in a data URI keeps each figure's glyph and clip
// ids separate from the other figures' (inlined <svg> elements would share one id space).
// The width of an SVG document in points, from its header.
double svg_width_pt(const std::string& svg) {
  const auto at = svg.find("width=\"");
  if (at == std::string::npos) return 0.0;
  return std::atof(svg.c_str() + at + 7);
}

template <class Plot>
std::string figure(const Plot& plot, std::string_view alt, std::string_view caption,
                   double zoom = 1.5) {
  const std::string svg = render_plot(plot, PlotFormat::svg);
  // Plots are laid out for print (8 pt text); on screen they are shown larger (`zoom`), which
  // makes their text about as large as the report's, and never wider than the page.
  const double width_px = std::round(svg_width_pt(svg) * zoom * 4.0 / 3.0);
  return fmt::format(
      "<figure><img src=\"data:image/svg+xml;base64,{}\" alt=\"{}\" style=\"width: {}px\">"
      "<figcaption>{}</figcaption></figure>\n",
      base64(svg), esc(alt), width_px, caption);
}

std::string anchor(std::string_view id) {
  return "outcome-" + std::string(id);
}

constexpr const char* kCss = R"css(
:root { --ink:#1b1b1f; --muted:#5b5b66; --rule:#d6d6de; --accent:#1f4e79; --warn:#8a4b00;
        --warnbg:#fff4e0; --okbg:#eef5ee; --sugbg:#eef2f8; }
* { box-sizing: border-box; }
body { margin:0; color:var(--ink); background:#fff;
       font:15px/1.5 "DejaVu Sans", "Segoe UI", Helvetica, Arial, sans-serif; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 1.7em; line-height:1.25; margin: 0.2em 0 0.3em; }
h2 { font-size: 1.3em; margin: 2em 0 0.6em; padding-bottom: 0.2em; border-bottom: 2px solid var(--ink); }
h3 { font-size: 1.1em; margin: 1.8em 0 0.4em; }
h4 { font-size: 1em; margin: 1.2em 0 0.3em; }
p { margin: 0.5em 0; }
a { color: var(--accent); }
.meta, figcaption, .small { color: var(--muted); font-size: 0.85em; }
nav ol { columns: 2; margin: 0.4em 0; padding-left: 1.4em; }
table { border-collapse: collapse; width: 100%; margin: 0.6em 0 1em; font-size: 0.86em; }
th, td { text-align: left; vertical-align: top; padding: 4px 7px; border-bottom: 1px solid var(--rule);
         overflow-wrap: anywhere; }
th { background: #f3f3f6; border-bottom: 2px solid var(--ink); overflow-wrap: normal; }
td.num, th.num { text-align: right; white-space: nowrap; overflow-wrap: normal; }
table.pico th { width: 12em; background: none; border-bottom: 1px solid var(--rule); }
table.sof td { font-size: 0.95em; }
.cert { white-space: nowrap; font-weight: bold; }
.cert-high { color: #1d6b2f; } .cert-moderate { color: #3c6e1f; }
.cert-low { color: #8a5a00; } .cert-very-low { color: #9b2b1d; }
.badge { display:inline-block; font-size: 0.75em; padding: 0 6px; border-radius: 8px;
         background: var(--sugbg); color: var(--accent); border: 1px solid #c9d4e6; white-space: nowrap; }
.note, .flag, .missing, .plain { padding: 8px 12px; border-radius: 4px; margin: 0.6em 0; }
.note { background: #f5f5f8; border-left: 4px solid var(--muted); }
.flag { background: var(--warnbg); border-left: 4px solid var(--warn); }
.missing { background: var(--warnbg); border-left: 4px solid var(--warn); }
.plain { background: var(--okbg); border-left: 4px solid #2f6b3a; }
.result { font-size: 1.05em; }
figure { margin: 0.8em 0 1.2em; }
figure img { display:block; max-width: 100%; height: auto; border: 1px solid #ececf1; }
table.sof td:nth-child(2) { min-width: 6em; }
table.sof td:nth-child(3) { min-width: 9em; }
details { margin: 0.6em 0 1em; }
summary { cursor: pointer; color: var(--accent); }
code { font-family: "DejaVu Sans Mono", Consolas, monospace; font-size: 0.9em; background:#f3f3f6; padding: 0 3px; }
pre { background:#f3f3f6; padding: 10px; overflow-x: auto; font-size: 0.85em; }
.derived { color: var(--warn); font-weight: bold; }
ol.refs li { margin: 0.2em 0; font-size: 0.9em; }
@media print { main { max-width: none; padding: 0; } h2 { page-break-after: avoid; }
  figure, table { page-break-inside: avoid; } a { color: inherit; } }
)css";

std::string cert_span(const Findings& f) {
  std::string cls(certainty_name(f.certainty));
  std::replace(cls.begin(), cls.end(), ' ', '-');
  std::string text = detail::certainty_symbols(f.certainty);
  if (f.at_most) {
    text = text.substr(0, text.rfind(' ')) + " at most " + std::string(certainty_name(f.certainty));
  }
  return fmt::format("<span class=\"cert cert-{}\">{}</span>", cls, esc(text));
}

bool is_binary(Measure m) {
  return m == Measure::OR || m == Measure::RR || m == Measure::RD;
}

// The cautions that apply to an id.
std::vector<const Caution*> cautions_for(const Manifest& m, std::string_view id) {
  std::vector<const Caution*> out;
  for (const auto& c : m.cautions) {
    if (std::find(c.applies_to.begin(), c.applies_to.end(), id) != c.applies_to.end()) {
      out.push_back(&c);
    }
  }
  return out;
}

void write_cautions(std::ostream& out, const Manifest& m, std::string_view id) {
  for (const Caution* c : cautions_for(m, id))
    out << "<p class=\"flag\"><strong>Caution.</strong> " << esc(c->text) << "</p>\n";
}

std::string cell(const StudyTable& t, std::size_t row, std::string_view column) {
  const auto c = t.find_column(column);
  return c ? std::string(t.cell(row, *c)) : std::string();
}

// The data table of an outcome: per study the values used, and where each number came from.
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

// References the methods paragraph may cite, by key; the list printed is the ones cited.
const std::map<std::string_view, std::string_view>& reference_texts() {
  static const std::map<std::string_view, std::string_view> refs{
      {"MH",
       "Mantel N, Haenszel W (1959). Statistical aspects of the analysis of data from "
       "retrospective studies of disease. J Natl Cancer Inst 22:719-748."},
      {"GR",
       "Greenland S, Robins JM (1985). Estimation of a common effect parameter from sparse "
       "follow-up data. Biometrics 41:55-68."},
      {"PETO",
       "Yusuf S, Peto R, Lewis J, Collins R, Sleight P (1985). Beta blockade during and "
       "after myocardial infarction: an overview of the randomized trials. Prog "
       "Cardiovasc Dis 27:335-371."},
      {"DL",
       "DerSimonian R, Laird N (1986). Meta-analysis in clinical trials. Control Clin "
       "Trials 7:177-188."},
      {"HE",
       "Hedges LV (1983). A random effects model for effect sizes. Psychol Bull "
       "93:388-395."},
      {"HS",
       "Hunter JE, Schmidt FL (2004). Methods of Meta-Analysis: Correcting Error and Bias "
       "in Research Findings, 2nd ed. Sage."},
      {"SJ",
       "Sidik K, Jonkman JN (2005). Simple heterogeneity variance estimation for "
       "meta-analysis. J R Stat Soc C 54:367-384."},
      {"ML",
       "Hardy RJ, Thompson SG (1996). A likelihood approach to meta-analysis with random "
       "effects. Stat Med 15:619-629."},
      {"REML",
       "Viechtbauer W (2005). Bias and efficiency of meta-analytic variance estimators "
       "in the random-effects model. J Educ Behav Stat 30:261-293."},
      {"EB",
       "Morris CN (1983). Parametric empirical Bayes inference: theory and applications. "
       "J Am Stat Assoc 78:47-55."},
      {"PM",
       "Paule RC, Mandel J (1982). Consensus values and weighting factors. J Res Natl Bur "
       "Stand 87:377-385."},
      {"KNHA",
       "Hartung J, Knapp G (2001). A refined method for the meta-analysis of controlled "
       "clinical trials with binary outcome. Stat Med 20:3875-3889."},
      {"LUO",
       "Luo D, Wan X, Liu J, Tong T (2018). Optimally estimating the sample mean from the "
       "sample size, median, mid-range, and/or mid-quartile range. Stat Methods Med Res "
       "27:1785-1805."},
      {"WAN",
       "Wan X, Wang W, Liu J, Tong T (2014). Estimating the sample mean and standard "
       "deviation from the sample size, median, range and/or interquartile range. BMC Med "
       "Res Methodol 14:135."},
  };
  return refs;
}

// Short description of a model with its citations, as a methods section names it; `cite`
// collects the reference keys.
std::string model_words(const OutcomeSpec& s, std::set<std::string_view>& cite) {
  const Method m = s.analysis.fit.method;
  std::string words;
  switch (m) {
    case Method::FE:
      words = "a common-effect (inverse-variance) model";
      break;
    case Method::MH:
      words =
          "the Mantel-Haenszel method, a common-effect method for sparse tables (Mantel & "
          "Haenszel 1959; Greenland & Robins 1985)";
      cite.insert("MH");
      cite.insert("GR");
      break;
    case Method::PETO:
      words = "Peto's one-step odds ratio, a common-effect method (Yusuf et al. 1985)";
      cite.insert("PETO");
      break;
    default: {
      static const std::map<Method, std::string_view> who{{Method::DL, "DerSimonian & Laird 1986"},
                                                          {Method::HE, "Hedges 1983"},
                                                          {Method::HS, "Hunter & Schmidt 2004"},
                                                          {Method::SJ, "Sidik & Jonkman 2005"},
                                                          {Method::ML, "Hardy & Thompson 1996"},
                                                          {Method::REML, "Viechtbauer 2005"},
                                                          {Method::EB, "Morris 1983"},
                                                          {Method::PM, "Paule & Mandel 1982"}};
      const auto it = who.find(m);
      words =
          fmt::format("a random-effects model with the {} estimator of \u03c4\u00b2{}",
                      method_name(m), it == who.end() ? "" : " (" + std::string(it->second) + ")");
      cite.insert(method_name(m));
    }
  }
  if (s.analysis.fit.test == Test::knha) {
    words += " and the Hartung-Knapp-Sidik-Jonkman t test (Hartung & Knapp 2001)";
    cite.insert("KNHA");
  } else {
    words += " and a Wald-type z test";
  }
  return words;
}

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
    het = fmt::format("Heterogeneity: I\u00b2 = {:.0f}%", a.fit.I2);
    if (a.heterogeneity_ci) {
      het += fmt::format(" (95% CI {:.0f}% to {:.0f}%)", a.heterogeneity_ci->I2_lb,
                         a.heterogeneity_ci->I2_ub);
      het += fmt::format(", \u03c4\u00b2 = {}", readable(a.fit.tau2));
    }
    het += fmt::format(", Q = {:.2f} on {} df (p = {})", a.fit.Q, static_cast<long>(a.fit.Q_df),
                       readable(a.fit.Q_p));
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
      out << fmt::format("<td>{}{}</td>", o.analysis->fit.k,
                         std::isfinite(n) ? fmt::format(" ({:.0f})", n) : "");
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

void write_methods(std::ostream& out, const Review& review) {
  out << "<section id=\"methods\">\n<h2>Methods</h2>\n<p>";
  std::set<std::string> measures;
  std::set<std::string_view> cite;
  // Each model with the outcomes it pooled, in the order of the manifest.
  std::vector<std::pair<std::string, std::vector<std::string>>> models;
  bool ratio = false, zero = false, random = false, medians = false;
  std::optional<MultiArm> multiarm;
  for (const auto& o : review.outcomes) {
    if (o.status != OutcomeStatus::pooled) continue;
    const std::string words = model_words(o.spec, cite);
    auto it =
        std::find_if(models.begin(), models.end(), [&](const auto& m) { return m.first == words; });
    if (it == models.end()) it = models.insert(models.end(), {words, {}});
    it->second.push_back(o.spec.name);
    measures.insert(std::string(measure_description(o.spec.analysis.effect.measure)));
    const Measure m = o.spec.analysis.effect.measure;
    ratio = ratio || m == Measure::RR || m == Measure::OR;
    random = random || is_random_effects(o.spec.analysis.fit.method);
    for (const auto& d : o.analysis->diagnostics) {
      zero = zero || d.code == DiagnosticCode::zero_cell_corrected;
      medians = medians || d.code == DiagnosticCode::converted_fivenum;
    }
    if (o.analysis->multiarm) multiarm = o.analysis->multiarm->mode;
  }
  out << fmt::format(
      "Each outcome was analysed with evident {} from the data files of the review folder, "
      "following the manifest <code>{}</code>. Effect sizes ({}) were computed with the formulas "
      "of R's metafor <code>escalc</code> (Viechtbauer 2010)",
      kVersion, esc(std::filesystem::path(review.manifest.path).filename().string()),
      esc(fmt::format("{}", fmt::join(measures, "; "))));
  if (zero) out << ", adding 1/2 to every cell of a 2\u00d72 table with a zero cell";
  out << ".";
  if (medians) {
    out << " Where a trial reported a median with quartiles or a range instead of a mean and SD, "
           "the mean and SD were estimated from them (Luo et al. 2018; Wan et al. 2014), which "
           "assumes roughly normal data.";
    cite.insert("LUO");
    cite.insert("WAN");
  }
  if (multiarm) {
    out << (*multiarm == MultiArm::combine
                ? " The experimental arms of a multi-arm trial were combined into one group "
                  "against their shared control (Cochrane Handbook 6.5.2.10), so no participant "
                  "counts twice."
                : " The shared control arm of a multi-arm trial was split between its "
                  "comparisons (Cochrane Handbook 23.3.4), so no participant counts twice.");
  }
  out << " Studies were pooled with ";
  for (std::size_t i = 0; i < models.size(); ++i) {
    if (i > 0) out << (i + 1 == models.size() ? "; and with " : "; with ");
    const auto& names = models[i].second;
    std::string list;
    for (std::size_t j = 0; j < names.size(); ++j) {
      if (j > 0) list += j + 1 == names.size() ? " and " : ", ";
      list += names[j];
    }
    out << esc(models[i].first) << " for " << esc(list);
  }
  out << ". Heterogeneity is described by Cochran's Q, I\u00b2 (Higgins &amp; Thompson 2002) with "
         "its Q-profile confidence interval (Viechtbauer 2007)";
  if (random)
    out << " and, for random-effects models, the 95% prediction interval (Riley et al. 2011)";
  out << ". Every number is computed as metafor computes it; evident's test suite checks this "
         "against metafor to a relative 1e-6.";
  if (ratio) {
    out << " Absolute effects per 1000 apply the pooled ratio to an assumed control risk "
           "(given in the manifest, else the median control-group risk of the studies; GRADE "
           "Handbook 5.1).";
  }
  out << " Certainty ratings are suggestions made by fixed rules from the GRADE guidance "
         "(Sch\u00fcnemann et al. 2013; Guyatt et al. 2011): risk of bias from the share of weight "
         "in studies rated high risk (a <code>rob</code> column), inconsistency from I\u00b2 and "
         "the prediction interval, imprecision from the confidence interval against no effect and "
         "the MCID and from the optimal information size (\u03b1 = 0.05, power 80%), small-study "
         "effects only with 10 or more studies (Sterne et al. 2011). Plain-language statements "
         "follow Santesso et al. (2020). Single-arm series are described with exact (Clopper-"
         "Pearson) intervals and not pooled. Published meta-analyses are shown as printed, "
         "checked for intervals that do not contain their estimate and for asymmetric intervals "
         "of differences, and not pooled with each other because they share trials.</p>\n";
  // Every reference cited above, in alphabetical order.
  std::set<std::string_view> refs{
      "Clopper CJ, Pearson ES (1934). The use of confidence or fiducial limits illustrated in the "
      "case of the binomial. Biometrika 26:404-413.",
      "Guyatt GH et al. (2011). GRADE guidelines 4-7: risk of bias, publication bias, imprecision, "
      "inconsistency. J Clin Epidemiol 64:407-415, 1277-1282, 1283-1293, 1294-1302.",
      "Higgins JPT, Thompson SG (2002). Quantifying heterogeneity in a meta-analysis. Stat Med "
      "21:1539-1558.",
      "Higgins JPT et al., eds. (2023). Cochrane Handbook for Systematic Reviews of Interventions, "
      "version 6.4. Chapters 6, 10, 14 and 23.",
      "Riley RD, Higgins JPT, Deeks JJ (2011). Interpretation of random effects meta-analyses. BMJ "
      "342:d549.",
      "Santesso N et al. (2020). GRADE guidelines 26: informative statements to communicate the "
      "findings of systematic reviews of interventions. J Clin Epidemiol 119:126-135.",
      "Sch\u00fcnemann H, Bro\u017cek J, Guyatt G, Oxman A, eds. (2013). GRADE Handbook. Chapter "
      "5.",
      "Sterne JAC et al. (2011). Recommendations for examining and interpreting funnel plot "
      "asymmetry in meta-analyses of randomised controlled trials. BMJ 343:d4002.",
      "Viechtbauer W (2007). Confidence intervals for the amount of heterogeneity in "
      "meta-analysis. Stat Med 26:37-52.",
      "Viechtbauer W (2010). Conducting meta-analyses in R with the metafor package. J Stat Softw "
      "36(3):1-48."};
  for (const auto key : cite) {
    const auto it = reference_texts().find(key);
    if (it != reference_texts().end()) refs.insert(it->second);
  }
  out << "<ol class=\"refs\">\n";
  for (const auto ref : refs)
    out << "<li>" << esc(ref) << "</li>\n";
  out << "</ol>\n</section>\n";
}

}  // namespace

void write_review_html(const Review& review, const std::string& path) {
  detail::OutputFile file(path);
  render_review_html(review, file.stream());
  file.commit();
}

void render_review_html(const Review& review, std::ostream& out) {
  const Manifest& m = review.manifest;
  const std::string title = m.title.empty() ? "Evidence report" : m.title;
  out << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
         "<meta name=\"generator\" content=\"evident "
      << kVersion << "\">\n<title>" << esc(title) << "</title>\n<style>" << kCss
      << "</style>\n</head>\n<body>\n<main>\n";
  out << "<header>\n<h1>" << esc(title) << "</h1>\n";
  out << fmt::format(
      "<p class=\"meta\">Evidence report written by evident {} from the review "
      "folder <code>{}</code>. Every number below is computed from the data files "
      "of that folder; run <code>evident review {}</code> to reproduce it.</p>\n",
      kVersion, esc(m.dir), esc(m.dir));
  out << "</header>\n";

  out << "<nav><strong>Contents</strong><ol>\n<li><a href=\"#question\">The question</a></li>\n"
         "<li><a href=\"#sof\">Summary of findings</a></li>\n"
         "<li><a href=\"#plain\">Plain-language summary</a></li>\n";
  std::string group;
  for (const auto& o : review.outcomes) {
    if (o.spec.group != group) {
      group = o.spec.group;
      out << fmt::format("<li><a href=\"#{}\">{}</a></li>\n", anchor(o.spec.id), esc(group));
    }
  }
  if (review.published) {
    out << "<li><a href=\"#published\">Published meta-analyses, side by side</a></li>\n";
  }
  out << "<li><a href=\"#missing\">What is missing</a></li>\n"
         "<li><a href=\"#methods\">Methods</a></li>\n</ol></nav>\n";

  out << "<section id=\"question\">\n<h2>The question</h2>\n<table class=\"pico\"><tbody>\n";
  out << "<tr><th>Population</th><td>" << esc(m.question.population) << "</td></tr>\n";
  out << "<tr><th>Intervention</th><td>" << esc(m.question.intervention) << "</td></tr>\n";
  out << "<tr><th>Comparator</th><td>" << esc(m.question.comparator) << "</td></tr>\n";
  out << "<tr><th>Outcomes</th><td>" << esc(fmt::format("{}", fmt::join(m.question.outcomes, "; ")))
      << "</td></tr>\n</tbody></table>\n</section>\n";

  write_sof(out, review);
  write_plain(out, review);
  group.clear();
  for (const auto& o : review.outcomes) {
    if (o.spec.group != group) {
      group = o.spec.group;
      out << "<h2>" << esc(group) << "</h2>\n";
    }
    write_outcome(out, review, o);
  }
  if (review.published) write_published(out, review);
  write_missing(out, review);
  write_methods(out, review);
  out << "<footer><p class=\"meta\">evident " << kVersion
      << ": numbers as R's metafor computes them. Certainty ratings and plain-language statements "
         "are generated suggestions; the review team is responsible for the conclusions.</p>"
         "</footer>\n</main>\n</body>\n</html>\n";
}

}  // namespace evident
