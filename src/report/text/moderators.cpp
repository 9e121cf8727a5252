// Text for people: meta-regression and subgroup analyses (`evident fit --mods`, `--subgroup`).
// Formatting only.

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "report/format.hpp"
#include "report/names.hpp"
#include "report/render_util.hpp"
#include "report/text/text.hpp"

namespace evident::detail {

namespace {

std::string values_text(const ModeratorValues& values) {
  std::string s;
  for (const auto& [name, value] : values) {
    if (!s.empty()) s += ", ";
    s += name + "=" + value;
  }
  return s;
}

}  // namespace

void render_text(const MetaRegAnalysis& a, std::ostream& out) {
  const MetaRegFit& f = a.fit;
  const bool random = f.method != Method::FE;
  const bool knha = f.test == Test::knha;
  const auto& ci = a.heterogeneity_ci;
  const int level = static_cast<int>(std::lround(f.level));
  if (random) {
    out << fmt::format("Mixed-effects meta-regression (k = {}; tau^2 estimator: {})\n", f.k,
                       method_name(f.method));
  } else {
    out << fmt::format("Common-effect meta-regression (k = {})\n", f.k);
  }
  if (!a.source.empty()) out << "Data: " << a.source << "; ";
  out << fmt::format("measure {} ({})\n", measure_name(a.measure), measure_description(a.measure));
  std::vector<std::string> moderators;
  for (std::size_t n = 0; n < a.design.variables.size(); ++n) {
    const ModeratorVariable& v = a.design.variables[n];
    moderators.push_back(
        !v.categorical ? fmt::format("{} (numeric)", v.label)
        : a.design.has_reference(n)
            ? fmt::format("{} (categorical, reference {})", v.label, v.levels.front())
            : fmt::format("{} (categorical, every level)", v.label));
  }
  out << fmt::format("Moderators: {}\n\n", fmt::join(moderators, "; "));

  if (random) {
    out << fmt::format("{:<52}{:>10}   {}\n", "Residual heterogeneity", "estimate",
                       ci ? fmt::format("{}% CI (Q-profile)", level) : std::string());
    auto row = [&](const char* name, const std::string& value, const std::string& interval,
                   const std::string& extra) {
      out << fmt::format("{:<52}{:>10}   {:<22}{}\n", name, value, interval, extra);
    };
    row("tau^2 (estimated amount of residual heterogeneity)", fixed(f.tau2, 4),
        ci ? bracket(ci->tau2_lb, ci->tau2_ub, 4) : "",
        std::isnan(f.tau2_se) ? "" : fmt::format("SE = {}", fixed(f.tau2_se, 4)));
    row("tau (square root of tau^2)", fixed(std::sqrt(f.tau2), 4),
        ci ? bracket(ci->tau_lb, ci->tau_ub, 4) : "", "");
    row("I^2 (residual heterogeneity / unaccounted var.)", fixed(f.I2, 2) + "%",
        ci ? bracket(ci->I2_lb, ci->I2_ub, 2, "%") : "", "");
    row("H^2 (unaccounted variability / sampling var.)", fixed(f.H2, 2),
        ci ? bracket(ci->H2_lb, ci->H2_ub, 2) : "", "");
    if (!std::isnan(a.R2)) {
      row("R^2 (amount of heterogeneity accounted for)", fixed(a.R2, 2) + "%", "", "");
    }
  } else {
    out << fmt::format("I^2 (residual heterogeneity / unaccounted variability): {}%\n",
                       fixed(f.I2, 2));
    out << fmt::format("H^2 (unaccounted variability / sampling variability):   {}\n",
                       fixed(f.H2, 2));
    if (!std::isnan(a.R2))
      out << fmt::format("R^2 (adjusted, weighted least squares): {}%\n", fixed(a.R2, 2));
  }
  out << fmt::format("\nTest for residual heterogeneity: QE(df = {}) = {}, p-val {}\n",
                     static_cast<long>(f.QE_df), fixed(f.QE, 4), p_text(f.QE_p));
  const std::size_t first = a.design.view().first_tested() + 1;  // 1-based
  const std::string which = first == f.p ? fmt::format("coefficient {}", first)
                                         : fmt::format("coefficients {}:{}", first, f.p);
  if (knha) {
    out << fmt::format("Test of moderators ({}): F(df1 = {}, df2 = {}) = {}, p-val {}\n", which,
                       static_cast<long>(f.QM_df), static_cast<long>(f.df), fixed(f.QM, 4),
                       p_text(f.QM_p));
  } else {
    out << fmt::format("Test of moderators ({}): QM(df = {}) = {}, p-val {}\n", which,
                       static_cast<long>(f.QM_df), fixed(f.QM, 4), p_text(f.QM_p));
  }

  std::size_t width = 7;
  for (const auto& c : a.design.columns)
    width = std::max(width, c.name.size());
  const bool perm = a.permutation.has_value();
  out << fmt::format("\nModel results{}:\n",
                     knha ? fmt::format(" (Knapp-Hartung, t with df = {})", static_cast<long>(f.df))
                          : std::string());
  out << fmt::format("{:<{}} {:>9} {:>8} {:>8} {:>8} {:>9} {:>9}{}\n", "", width, "estimate", "se",
                     knha ? "tval" : "zval", "pval", "ci.lb", "ci.ub",
                     perm ? fmt::format(" {:>9}", "pval.perm") : std::string());
  for (std::size_t c = 0; c < f.p; ++c) {
    out << fmt::format(
        "{:<{}} {:>9} {:>8} {:>8} {:>8} {:>9} {:>9}{}\n", a.design.columns[c].name, width,
        fixed(f.beta[c], 4), fixed(f.se[c], 4), fixed(f.stat[c], 4), pvalue(f.pval[c]),
        fixed(f.ci_lb[c], 4), fixed(f.ci_ub[c], 4),
        perm ? fmt::format(" {:>9}", pvalue(a.permutation->pval[c])) : std::string());
  }
  if (perm) {
    const PermutationTest& t = *a.permutation;
    out << fmt::format("\nPermutation test ({}, {} permutations{}): QM p-val {}\n",
                       t.exact ? "exact" : "random", t.iterations,
                       t.exact ? std::string() : fmt::format(", seed {}", t.seed), p_text(t.QM_p));
    if (t.failed > 0) out << fmt::format("({} refits failed and were left out)\n", t.failed);
  }
  if (!a.predictions.empty()) {
    out << fmt::format("\nPredictions ({}% CI{}):\n", level, random ? ", prediction interval" : "");
    for (const auto& p : a.predictions) {
      out << fmt::format("{}: {} (se {}), CI {}", values_text(p.values),
                         fixed(p.prediction.pred, 4), fixed(p.prediction.se, 4),
                         bracket(p.prediction.ci_lb, p.prediction.ci_ub, 4));
      if (random) out << ", PI " << bracket(p.prediction.pi_lb, p.prediction.pi_ub, 4);
      if (p.back_transformed) {
        const auto& b = *p.back_transformed;
        out << fmt::format("; {} {} {}", b.scale, fixed(b.estimate, 4),
                           bracket(b.ci_lb, b.ci_ub, 4));
      }
      out << '\n';
    }
  }
  write_diagnostics(a.diagnostics, out);
}

void render_text(const SubgroupAnalysis& a, std::ostream& out) {
  render_text(a.overall, out);
  const bool random = a.overall.fit.method != Method::FE;
  const bool knha = a.overall.fit.test == Test::knha;
  const int level = static_cast<int>(std::lround(a.overall.fit.level));
  out << fmt::format("\nSubgroups by {} (tau^2 {}{}):\n", a.column, tau2_name(a.test.tau2),
                     a.test.tau2 == SubgroupTau2::common
                         ? fmt::format(" = {}", fixed(a.test.tau2_common, 4))
                         : std::string(" per subgroup"));
  std::size_t width = 8;
  for (const auto& s : a.subgroups)
    width = std::max(width, s.level.size());
  out << fmt::format("{:<{}} {:>4} {:>9} {:>8} {:>8} {:>20} {:>8} {:>8} {:>10}\n", "subgroup",
                     width, "k", "estimate", "se", "pval", fmt::format("{}% CI", level), "tau^2",
                     "I^2", "Q");
  for (const auto& s : a.subgroups) {
    out << fmt::format("{:<{}} {:>4} {:>9} {:>8} {:>8} {:>20} {:>8} {:>7}% {:>10}\n", s.level,
                       width, s.k, fixed(s.estimate, 4), fixed(s.se, 4), pvalue(s.pval),
                       bracket(s.ci_lb, s.ci_ub, 4), random ? fixed(s.tau2, 4) : "-",
                       fixed(s.I2, 2), fixed(s.Q, 4));
  }
  for (const auto& s : a.subgroups) {
    if (!s.back_transformed) continue;
    const auto& b = *s.back_transformed;
    out << fmt::format("  {}: {} {} {}\n", s.level, b.scale, fixed(b.estimate, 4),
                       bracket(b.ci_lb, b.ci_ub, 4));
  }
  const SubgroupTest& t = a.test;
  if (std::isnan(t.Q)) {
    out << "\nTest for subgroup differences: not available (fewer than two subgroups)\n";
  } else if (t.tau2 == SubgroupTau2::common && knha) {
    out << fmt::format(
        "\nTest for subgroup differences (common tau^2): F(df1 = {}, df2 = {}) = "
        "{}, p-val {}\n",
        static_cast<long>(t.df), static_cast<long>(t.ddf), fixed(t.Q, 4), p_text(t.p));
  } else {
    out << fmt::format("\nTest for subgroup differences ({} tau^2): Q(df = {}) = {}, p-val {}\n",
                       tau2_name(t.tau2), static_cast<long>(t.df), fixed(t.Q, 4), p_text(t.p));
  }
  write_diagnostics(a.diagnostics, out);
}

}  // namespace evident::detail
