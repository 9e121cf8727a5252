// Text for people: the pooled analysis (`evident fit`). Formatting only.

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "report/format.hpp"
#include "report/render_util.hpp"
#include "report/text/text.hpp"

namespace evident::detail {

namespace {

// --method BAYES: the priors, the posterior of tau, mu and a new study's effect (bayesmeta's
// summary: mean, SD, median and central interval).
void render_bayes_text(const Analysis& a, std::ostream& out) {
  const BayesFit& b = *a.bayes;
  const Fit& f = a.fit;
  out << fmt::format("Bayesian random-effects model (k = {}; exact posterior, no MCMC)\n", b.k);
  if (!a.source.empty()) out << "Data: " << a.source << "; ";
  out << fmt::format("measure {} ({})\n", measure_name(a.measure), measure_description(a.measure));
  out << fmt::format("Priors: tau ~ {}, mu ~ {}\n\n", b.tau_prior.text(), b.mu_prior.text());
  const int level = static_cast<int>(std::lround(b.level));
  out << fmt::format("{:<34}{:>9} {:>8} {:>9} {:>9} {:>9}\n", "Posterior", "mean", "sd", "median",
                     fmt::format("{}% lb", level), fmt::format("{}% ub", level));
  auto row = [&](const char* name, const PosteriorSummary& p, bool median) {
    out << fmt::format("{:<34}{:>9} {:>8} {:>9} {:>9} {:>9}\n", name, fixed(p.mean, 4),
                       fixed(p.sd, 4), median ? fixed(p.median, 4) : std::string("-"),
                       fixed(p.ci_lb, 4), fixed(p.ci_ub, 4));
  };
  row("mu (overall effect)", b.mu, true);
  row("tau (heterogeneity SD)", b.tau, true);
  row("theta_new (a new study's effect)", b.predictive, false);
  if (a.back_transformed) {
    const BackTransformed& t = *a.back_transformed;
    out << fmt::format("\n{} (from mu's median and interval): {} [{}, {}]\n", t.scale,
                       fixed(t.estimate, 4), fixed(t.ci_lb, 4), fixed(t.ci_ub, 4));
  }
  out << fmt::format("\nTest for heterogeneity: Q(df = {}) = {}, p-val {}\n",
                     static_cast<long>(f.Q_df), fixed(f.Q, 4),
                     f.Q_p < 1e-4 ? std::string("< .0001") : "= " + pvalue(f.Q_p));
  if (std::isfinite(b.marginal_likelihood)) {
    out << fmt::format("Marginal likelihood: {:.6g}\n", b.marginal_likelihood);
  }
  if (!b.theta.empty()) {
    out << fmt::format("\n{:<24}{:>9} {:>9} {:>9} {:>9} {:>9}\n", "Shrunken study effects", "yi",
                       "mean", "sd", fmt::format("{}% lb", level), fmt::format("{}% ub", level));
    for (std::size_t i = 0, j = 0; i < a.studies.size() && j < b.theta.size(); ++i) {
      const StudyResult& s = a.studies[i];
      if (!std::isfinite(s.yi)) continue;
      const PosteriorSummary& p = b.theta[j++];
      out << fmt::format("{:<24}{:>9} {:>9} {:>9} {:>9} {:>9}\n", shorten(s.study), fixed(s.yi, 4),
                         fixed(p.mean, 4), fixed(p.sd, 4), fixed(p.ci_lb, 4), fixed(p.ci_ub, 4));
    }
  }
  write_diagnostics(a.diagnostics, out);
}

}  // namespace

void render_text(const Analysis& a, std::ostream& out) {
  if (a.bayes) {
    render_bayes_text(a, out);
    return;
  }
  const Fit& f = a.fit;
  const bool random = is_random_effects(f.method);
  const auto& ci = a.heterogeneity_ci;

  if (random) {
    out << fmt::format("Random-effects model (k = {}; tau^2 estimator: {})\n", f.k,
                       method_name(f.method));
  } else if (f.method == Method::MH) {
    out << fmt::format("Common-effect model, Mantel-Haenszel method (k = {})\n", f.k);
  } else if (f.method == Method::PETO) {
    out << fmt::format("Common-effect model, Peto's method (k = {})\n", f.k);
  } else {
    out << fmt::format("Common-effect model (k = {})\n", f.k);
  }
  if (!a.source.empty()) out << "Data: " << a.source << "; ";
  out << fmt::format("measure {} ({})\n\n", measure_name(a.measure),
                     measure_description(a.measure));

  const int level = static_cast<int>(std::lround(f.level));
  if (random) {
    out << fmt::format("{:<50}{:>10}   {}\n", "Heterogeneity", "estimate",
                       ci ? fmt::format("{}% CI (Q-profile)", level) : std::string());
    auto row = [&](const char* name, const std::string& value, const std::string& interval,
                   const std::string& extra) {
      out << fmt::format("{:<50}{:>10}   {:<22}{}\n", name, value, interval, extra);
    };
    row("tau^2 (estimated amount of total heterogeneity)", fixed(f.tau2, 4),
        ci ? bracket(ci->tau2_lb, ci->tau2_ub, 4) : "",
        std::isnan(f.tau2_se) ? "" : fmt::format("SE = {}", fixed(f.tau2_se, 4)));
    row("tau (square root of tau^2)", fixed(std::sqrt(f.tau2), 4),
        ci ? bracket(ci->tau_lb, ci->tau_ub, 4) : "", "");
    row("I^2 (total heterogeneity / total variability)", fixed(f.I2, 2) + "%",
        ci ? bracket(ci->I2_lb, ci->I2_ub, 2, "%") : "", "");
    row("H^2 (total variability / sampling variability)", fixed(f.H2, 2),
        ci ? bracket(ci->H2_lb, ci->H2_ub, 2) : "", "");
  } else {
    out << fmt::format("I^2 (total heterogeneity / total variability):   {}%\n", fixed(f.I2, 2));
    out << fmt::format("H^2 (total variability / sampling variability):  {}\n", fixed(f.H2, 2));
  }
  out << fmt::format("\nTest for heterogeneity: Q(df = {}) = {}, p-val {}\n",
                     static_cast<long>(f.Q_df), fixed(f.Q, 4),
                     f.Q_p < 1e-4 ? std::string("< .0001") : "= " + pvalue(f.Q_p));

  const bool t = f.test == Test::knha;
  out << fmt::format(
      "\nModel results{}:\n",
      t ? fmt::format(" (Knapp-Hartung, t with df = {})", static_cast<long>(f.df)) : std::string());
  out << fmt::format("{:>9} {:>8} {:>8} {:>8} {:>9} {:>9}\n", "estimate", "se", t ? "tval" : "zval",
                     "pval", "ci.lb", "ci.ub");
  out << fmt::format("{:>9} {:>8} {:>8} {:>8} {:>9} {:>9}\n", fixed(f.estimate, 4), fixed(f.se, 4),
                     fixed(f.stat, 4), pvalue(f.pval), fixed(f.ci_lb, 4), fixed(f.ci_ub, 4));
  if (random) {
    out << fmt::format("\nPrediction interval ({}%): {}\n", level,
                       bracket(a.prediction.pi_lb, a.prediction.pi_ub, 4));
  }
  if (a.cmh) {
    const CmhTests& c = *a.cmh;
    out << fmt::format("\nCochran-Mantel-Haenszel test: CMH = {}, df = 1, p-val {}\n",
                       fixed(c.CMH, 4), pvalue(c.CMH_p));
    out << fmt::format("Tarone's test for heterogeneity: X^2 = {}, df = {}, p-val {}\n",
                       fixed(c.tarone, 4), fixed(c.tarone_df, 0), pvalue(c.tarone_p));
  }
  if (a.back_transformed) {
    const auto& b = *a.back_transformed;
    out << fmt::format("\nOn the {} scale: {}, {}% CI {}", b.scale, fixed(b.estimate, 4), level,
                       bracket(b.ci_lb, b.ci_ub, 4));
    if (random) out << fmt::format(", prediction interval {}", bracket(b.pi_lb, b.pi_ub, 4));
    out << '\n';
  }

  std::size_t width = 5;
  for (const auto& s : a.studies)
    width = std::max(width, shorten(s.study).size());
  out << fmt::format("\nStudies (weights from the fitted model; {}% CI from yi and vi):\n", level);
  out << fmt::format("{:<{}} {:>9} {:>9} {:>8}  {}\n", "study", width, "yi", "vi", "weight", "CI");
  // Row by row into one block of text written every 64 KB: an analysis of millions of studies
  // lists them without a string per number. The layout is "{:<w} {:>9} {:>9} {:>7}%  [lb, ub]".
  std::string block, number;
  const auto right_aligned = [&](double x, int digits, std::size_t field) {
    number.clear();
    detail::append_fixed(number, x, digits);
    if (number.size() < field) block.append(field - number.size(), ' ');
    block += number;
  };
  for (const auto& s : a.studies) {
    const std::string label = shorten(s.study);
    if (std::all_of(label.begin(), label.end(), [](char ch) { return ch > 0; })) {
      block += label;  // ASCII: one column per character
      if (label.size() < width) block.append(width - label.size(), ' ');
    } else {
      fmt::format_to(std::back_inserter(block), "{:<{}}", label, width);  // by display width
    }
    block += ' ';
    right_aligned(s.yi, 4, 9);
    block += ' ';
    right_aligned(s.vi, 4, 9);
    block += ' ';
    right_aligned(s.weight, 2, 7);
    block += "%  [";
    detail::append_fixed(block, s.ci_lb, 4);
    block += ", ";
    detail::append_fixed(block, s.ci_ub, 4);
    block += "]\n";
    if (block.size() >= (std::size_t{1} << 16)) {
      out << block;
      block.clear();
    }
  }
  out << block;
  if (!a.diagnostics.empty()) {
    out << "\nDiagnostics:\n";
    for (const auto& d : a.diagnostics) {
      out << "- " << d.message;
      if (!d.study.empty() && d.message.find(d.study) == std::string::npos) {
        out << " (" << d.study << ")";
      }
      out << '\n';
    }
  }
}

}  // namespace evident::detail
