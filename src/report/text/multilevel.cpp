// Text for people: multilevel models (`evident fit --random`), in the layout of metafor's
// rma.mv summary. Formatting only.

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <ostream>
#include <string>

#include "report/format.hpp"
#include "report/render_util.hpp"
#include "report/text/text.hpp"

namespace evident::detail {

namespace {

// A correlated random effect in the layout of metafor's rma.mv: the outer and inner factors,
// tau2 (one, or one per inner level) and rho (one, or UN's matrix below the diagonal).
void render_structure(const MultilevelAnalysis& a, std::ostream& out) {
  const MultilevelFit& f = a.fit;
  const std::size_t w = std::max(a.inner.size(), a.structured_outer.size());
  out << fmt::format("\nCorrelated random effects ~ {} | {} (struct {}):\n", a.inner,
                     a.structured_outer, structure_name(*a.structure));
  out << fmt::format("outer factor: {:<{}} (nlvls = {})\n", a.structured_outer, w,
                     a.structured_outer_levels);
  out << fmt::format("inner factor: {:<{}} (nlvls = {})\n\n", a.inner, w, a.inner_levels.size());
  const bool per_level = f.tau2.size() > 1 || *a.structure == Structure::HCS ||
                         *a.structure == Structure::UN || *a.structure == Structure::DIAG ||
                         *a.structure == Structure::HAR;
  out << fmt::format("{:<11} {:>9} {:>9}{}\n", "", "estim", "sqrt", per_level ? "  level" : "");
  for (std::size_t l = 0; l < f.tau2.size(); ++l) {
    out << fmt::format("{:<11} {:>9} {:>9}{}\n",
                       per_level ? fmt::format("tau^2.{}", l + 1) : "tau^2", fixed(f.tau2[l], 4),
                       fixed(std::sqrt(f.tau2[l]), 4),
                       per_level ? "  " + a.inner_levels[l] : std::string());
  }
  if (f.rho.empty()) return;
  if (*a.structure != Structure::UN) {
    out << fmt::format("{:<11} {:>9}\n", "rho", fixed(f.rho.front(), 4));
    return;
  }
  // UN: the correlations of each pair of levels, as a lower triangle.
  const std::size_t L = a.inner_levels.size();
  std::size_t cw = 7;
  for (const std::string& n : a.inner_levels)
    cw = std::max(cw, n.size() + 1);
  out << fmt::format("\n{:<{}}", "rho", cw);
  for (const std::string& n : a.inner_levels)
    out << fmt::format(" {:>{}}", n, cw);
  out << "\n";
  for (std::size_t l = 0; l < L; ++l) {
    out << fmt::format("{:<{}}", a.inner_levels[l], cw);
    for (std::size_t c = 0; c <= l; ++c) {
      const std::size_t lo = std::min(l, c);
      const std::size_t hi = std::max(l, c);
      out << fmt::format(" {:>{}}",
                         l == c ? "1" : fixed(f.rho[lo * L - lo * (lo + 1) / 2 + (hi - lo - 1)], 4),
                         cw);
    }
    out << "\n";
  }
}

}  // namespace

void render_text(const MultilevelAnalysis& a, std::ostream& out) {
  const MultilevelFit& f = a.fit;
  const bool t = f.test == Test::t;
  const int level = static_cast<int>(std::lround(f.level));
  out << fmt::format("Multilevel meta-analysis model (k = {}; method: {})\n\n", f.k,
                     method_name(f.method));
  out << fmt::format(
      "  logLik  deviance       AIC       BIC      AICc\n{:>8} {:>9} {:>9} {:>9} "
      "{:>9}\n\n",
      fixed(f.logLik, 4), fixed(f.deviance, 4), fixed(f.AIC, 4), fixed(f.BIC, 4), fixed(f.AICc, 4));
  std::size_t width = 6;
  for (const std::string& n : a.sigma2_names)
    width = std::max(width, n.size());
  const bool ci = !f.sigma2_lb.empty();
  if (!f.sigma2.empty()) {
    out << "Variance components:\n";
    out << fmt::format("{:<11} {:>9} {:>9} {:>6}  {:<{}}{}\n", "", "estim", "sqrt", "nlvls",
                       "factor", width, ci ? fmt::format("  {}% profile CI", level) : "");
  }
  for (std::size_t c = 0; c < f.sigma2.size(); ++c) {
    out << fmt::format("{:<11} {:>9} {:>9} {:>6}  {:<{}}{}\n", fmt::format("sigma^2.{}", c + 1),
                       fixed(f.sigma2[c], 4), fixed(std::sqrt(f.sigma2[c]), 4), f.levels[c],
                       a.sigma2_names[c], width,
                       ci ? "  " + bracket(f.sigma2_lb[c], f.sigma2_ub[c], 4) : std::string());
  }
  if (a.structure) render_structure(a, out);
  if (a.rho) {
    out << fmt::format("Sampling errors correlated {} within each {}\n", fixed(*a.rho, 2),
                       "cluster");
  }
  out << fmt::format("\nTest for residual heterogeneity: QE(df = {}) = {}, p-val {}\n",
                     static_cast<long>(f.QE_df), fixed(f.QE, 4), p_text(f.QE_p));
  const bool intercept_only = f.p == 1 && a.design.columns.front().factors.empty();
  if (!intercept_only) {
    if (t) {
      out << fmt::format("Test of moderators: F(df1 = {}, df2 = {}) = {}, p-val {}\n",
                         static_cast<long>(f.QM_df), static_cast<long>(f.df), fixed(f.QM, 4),
                         p_text(f.QM_p));
    } else {
      out << fmt::format("Test of moderators: QM(df = {}) = {}, p-val {}\n",
                         static_cast<long>(f.QM_df), fixed(f.QM, 4), p_text(f.QM_p));
    }
  }
  std::size_t cw = 8;
  for (const auto& c : a.design.columns)
    cw = std::max(cw, c.name.size());
  out << fmt::format("\nModel results{}:\n",
                     t ? fmt::format(" (t with df = {})", static_cast<long>(f.df)) : std::string());
  out << fmt::format("{:<{}} {:>9} {:>8} {:>8} {:>8} {:>9} {:>9}\n", "", cw, "estimate", "se",
                     t ? "tval" : "zval", "pval", "ci.lb", "ci.ub");
  for (std::size_t c = 0; c < f.p; ++c) {
    out << fmt::format("{:<{}} {:>9} {:>8} {:>8} {:>8} {:>9} {:>9}\n", a.design.columns[c].name, cw,
                       fixed(f.beta[c], 4), fixed(f.se[c], 4), fixed(f.stat[c], 4),
                       pvalue(f.pval[c]), fixed(f.ci_lb[c], 4), fixed(f.ci_ub[c], 4));
  }
  if (a.prediction && std::isnan(a.prediction->pi_lb)) {
    out << "No prediction interval: the structure has a tau2 per level, so it depends on the "
           "level\n";
  } else if (a.prediction) {
    out << fmt::format("Prediction interval ({}%, the variance components summed): {}\n", level,
                       bracket(a.prediction->pi_lb, a.prediction->pi_ub, 4));
  }
  if (std::isfinite(a.I2)) {
    out << fmt::format("I^2 (the variance components summed, of the total variability): {}%\n",
                       fixed(a.I2, 2));
  }
  if (a.robust) {
    const RobustFit& r = *a.robust;
    // CR1 tests every coefficient on n - p df; CR2 gives each its Satterthwaite df (a column, as
    // metafor prints it) and the F test a fractional denominator df.
    const bool per_coefficient = r.small_sample == SmallSample::CR2;
    out << fmt::format("\nCluster-robust inference ({}, {} clusters of {}; t with {}):\n",
                       small_sample_name(r.small_sample), r.n_clusters, a.robust_cluster,
                       per_coefficient ? std::string("Satterthwaite df")
                                       : fmt::format("df = {}", static_cast<long>(r.QM_ddf)));
    out << fmt::format("{:<{}} {:>9} {:>8} {:>8}{} {:>8} {:>9} {:>9}\n", "", cw, "estimate", "se",
                       "tval", per_coefficient ? fmt::format(" {:>7}", "df") : "", "pval", "ci.lb",
                       "ci.ub");
    for (std::size_t c = 0; c < f.p; ++c) {
      out << fmt::format("{:<{}} {:>9} {:>8} {:>8}{} {:>8} {:>9} {:>9}\n", a.design.columns[c].name,
                         cw, fixed(f.beta[c], 4), fixed(r.se[c], 4), fixed(r.stat[c], 4),
                         per_coefficient ? fmt::format(" {:>7}", fixed(r.df[c], 2)) : "",
                         pvalue(r.pval[c]), fixed(r.ci_lb[c], 4), fixed(r.ci_ub[c], 4));
    }
    if (!intercept_only) {
      out << fmt::format(
          "Test of moderators: F(df1 = {}, df2 = {}) = {}, p-val {}\n", static_cast<long>(r.QM_df),
          per_coefficient ? fixed(r.QM_ddf, 2) : std::to_string(static_cast<long>(r.QM_ddf)),
          fixed(r.QM, 4), p_text(r.QM_p));
    }
  }
  out << fmt::format(
      "\n{} independent block{} of estimates (largest {}); {} after {} iteration{}\n", f.blocks,
      f.blocks == 1 ? "" : "s", f.largest_block, termination_name(f.termination), f.iterations,
      f.iterations == 1 ? "" : "s");
  write_diagnostics(a.diagnostics, out);
}

}  // namespace evident::detail
