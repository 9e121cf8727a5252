// Renderers for meta-regression and subgroup analyses: text for people, JSON and CSV for
// programs. Formatting only; every number comes from the analysis.

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "evident/report/report.hpp"
#include "evident/version.hpp"
#include "report/format.hpp"
#include "report/json_util.hpp"
#include "report/render_util.hpp"

namespace evident {

namespace {

using detail::bracket;
using detail::exact;
using detail::fixed;
using detail::Json;
using detail::num;
using detail::p_text;
using detail::pvalue;
using detail::quote;
using detail::write_csv;
using detail::write_diagnostics;

Json back_transformed_json(const std::optional<BackTransformed>& b, bool with_pi = true) {
  if (!b) return nullptr;
  Json j = {{"scale", b->scale},
            {"estimate", num(b->estimate)},
            {"ci_lb", num(b->ci_lb)},
            {"ci_ub", num(b->ci_ub)}};
  if (with_pi) {
    j["pi_lb"] = num(b->pi_lb);
    j["pi_ub"] = num(b->pi_ub);
  }
  return j;
}

std::string values_text(const ModeratorValues& values) {
  std::string s;
  for (const auto& [name, value] : values) {
    if (!s.empty()) s += ", ";
    s += name + "=" + value;
  }
  return s;
}

}  // namespace

// ---- meta-regression -------------------------------------------------------------------------

namespace detail {

Json metareg_json(const MetaRegAnalysis& a, bool with_studies) {
  const MetaRegFit& f = a.fit;
  const bool knha = f.test == Test::knha;
  const bool random = f.method != Method::FE;
  const auto& ci = a.heterogeneity_ci;
  Json j;
  j["evident_version"] = kVersion;
  j["source"] = a.source;
  j["measure"] = measure_name(a.measure);
  j["method"] = method_name(f.method);
  j["test"] = test_name(f.test);
  j["level"] = f.level;
  j["k"] = f.k;
  j["p"] = f.p;
  Json moderators = Json::array();
  for (const auto& v : a.design.variables) {
    Json m = {{"column", v.column},
              {"name", v.label},
              {"type", v.categorical ? "categorical" : "numeric"}};
    if (v.categorical) {
      m["levels"] = v.levels;
      m["reference"] = v.levels.front();
    }
    moderators.push_back(std::move(m));
  }
  j["moderators"] = std::move(moderators);
  Json coefficients = Json::array();
  for (std::size_t c = 0; c < f.p; ++c) {
    coefficients.push_back({{"name", a.design.columns[c].name},
                            {"estimate", num(f.beta[c])},
                            {"se", num(f.se[c])},
                            {knha ? "tval" : "zval", num(f.stat[c])},
                            {"pval", num(f.pval[c])},
                            {"ci_lb", num(f.ci_lb[c])},
                            {"ci_ub", num(f.ci_ub[c])}});
  }
  j["coefficients"] = std::move(coefficients);
  if (knha) j["df"] = num(f.df);
  j["QM"] = num(f.QM);
  j["QM_df"] = num(f.QM_df);
  if (knha) j["QM_ddf"] = num(f.df);
  j["QM_p"] = num(f.QM_p);
  j["QE"] = num(f.QE);
  j["QE_df"] = num(f.QE_df);
  j["QE_p"] = num(f.QE_p);
  j["R2"] = num(a.R2);
  j["tau2"] = num(f.tau2);
  j["tau2_se"] = num(f.tau2_se);
  j["tau2_ci"] = detail::interval(ci.has_value(), ci ? ci->tau2_lb : 0, ci ? ci->tau2_ub : 0);
  j["tau"] = num(std::sqrt(f.tau2));
  j["tau_ci"] = detail::interval(ci.has_value(), ci ? ci->tau_lb : 0, ci ? ci->tau_ub : 0);
  j["I2"] = num(f.I2);
  j["I2_ci"] = detail::interval(ci.has_value(), ci ? ci->I2_lb : 0, ci ? ci->I2_ub : 0);
  j["H2"] = num(f.H2);
  j["H2_ci"] = detail::interval(ci.has_value(), ci ? ci->H2_lb : 0, ci ? ci->H2_ub : 0);
  j["tau2_without_moderators"] = num(a.tau2_without);
  if (!a.predictions.empty()) {
    Json predictions = Json::array();
    for (const auto& p : a.predictions) {
      Json values = Json::object();
      for (const auto& [name, value] : p.values)
        values[name] = value;
      Json e = {{"values", std::move(values)},      {"pred", num(p.prediction.pred)},
                {"se", num(p.prediction.se)},       {"ci_lb", num(p.prediction.ci_lb)},
                {"ci_ub", num(p.prediction.ci_ub)}, {"pi_lb", num(p.prediction.pi_lb)},
                {"pi_ub", num(p.prediction.pi_ub)}};
      if (p.back_transformed) e["back_transformed"] = back_transformed_json(p.back_transformed);
      predictions.push_back(std::move(e));
    }
    j["predictions"] = std::move(predictions);
  }
  if (a.permutation) {
    const PermutationTest& t = *a.permutation;
    Json pvals = Json::array();
    for (double p : t.pval)
      pvals.push_back(num(p));
    j["permutation"] = {
        {"iterations", t.iterations}, {"exact", t.exact},    {"seed", t.seed},
        {"failed", t.failed},         {"QM_p", num(t.QM_p)}, {"pval", std::move(pvals)}};
  }
  j["convergence"] = {{"termination", termination_name(f.termination)},
                      {"iterations", f.iterations},
                      {"random_effects", random}};
  Json studies = Json::array();
  for (std::size_t i = 0; with_studies && i < a.studies.size(); ++i)
    studies.push_back(study_json(a.studies[i], &a.fitted[i]));
  j["studies"] = std::move(studies);
  j["diagnostics"] = detail::diagnostics_json(a.diagnostics);
  return j;
}

}  // namespace detail

void render_json(const MetaRegAnalysis& a, std::ostream& out) {
  detail::write_json_with_studies(out, detail::metareg_json(a, false), a.studies, a.fitted);
}

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
  for (const auto& v : a.design.variables) {
    moderators.push_back(
        v.categorical ? fmt::format("{} (categorical, reference {})", v.label, v.levels.front())
                      : fmt::format("{} (numeric)", v.label));
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
  const std::string which =
      f.p > 1 ? (f.p == 2 ? "coefficient 2" : fmt::format("coefficients 2:{}", f.p))
              : "coefficient 1";
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

// One row per coefficient, with the model's tests repeated, so rows of many analyses stack.
void render_csv(const MetaRegAnalysis& a, std::ostream& out) {
  const MetaRegFit& f = a.fit;
  const bool perm = a.permutation.has_value();
  std::vector<std::string> header{"source",      "measure",  "method", "test", "level", "k",
                                  "coefficient", "estimate", "se",     "stat", "df",    "pval",
                                  "ci_lb",       "ci_ub",    "tau2",   "I2",   "H2",    "R2",
                                  "QM",          "QM_df",    "QM_p",   "QE",   "QE_df", "QE_p"};
  if (perm) {
    header.insert(header.end(), {"pval_perm", "QM_p_perm", "permutations"});
  }
  std::vector<std::vector<std::string>> rows;
  for (std::size_t c = 0; c < f.p; ++c) {
    std::vector<std::string> r{quote(a.source),
                               std::string(measure_name(a.measure)),
                               std::string(method_name(f.method)),
                               std::string(test_name(f.test)),
                               exact(f.level),
                               std::to_string(f.k),
                               quote(a.design.columns[c].name),
                               exact(f.beta[c]),
                               exact(f.se[c]),
                               exact(f.stat[c]),
                               exact(f.df),
                               exact(f.pval[c]),
                               exact(f.ci_lb[c]),
                               exact(f.ci_ub[c]),
                               exact(f.tau2),
                               exact(f.I2),
                               exact(f.H2),
                               exact(a.R2),
                               exact(f.QM),
                               exact(f.QM_df),
                               exact(f.QM_p),
                               exact(f.QE),
                               exact(f.QE_df),
                               exact(f.QE_p)};
    if (perm) {
      r.push_back(exact(a.permutation->pval[c]));
      r.push_back(exact(a.permutation->QM_p));
      r.push_back(std::to_string(a.permutation->iterations));
    }
    rows.push_back(std::move(r));
  }
  write_csv(header, rows, out);
}

void render(const MetaRegAnalysis& a, Format format, std::ostream& out) {
  switch (format) {
    case Format::text:
      render_text(a, out);
      break;
    case Format::json:
      render_json(a, out);
      break;
    case Format::csv:
      render_csv(a, out);
      break;
  }
}

// ---- subgroups -------------------------------------------------------------------------------

namespace {

std::string_view tau2_name(SubgroupTau2 t) {
  return t == SubgroupTau2::common ? "common" : "separate";
}

}  // namespace

void render_json(const SubgroupAnalysis& a, std::ostream& out) {
  Json j = detail::analysis_json(a.overall);
  Json diagnostics = j["diagnostics"];
  j.erase("diagnostics");
  const bool knha = a.overall.fit.test == Test::knha;
  j["subgroup_column"] = a.column;
  Json subgroups = Json::array();
  for (const auto& s : a.subgroups) {
    Json e = {{"level", s.level}, {"k", s.k}, {"estimate", num(s.estimate)}, {"se", num(s.se)}};
    // Named by the analysis' test, as for leave-one-out: a one-study subgroup under
    // Knapp-Hartung falls back to z (df null).
    e[knha ? "tval" : "zval"] = num(s.stat);
    if (knha) e["df"] = num(s.df);
    e["pval"] = num(s.pval);
    e["ci_lb"] = num(s.ci_lb);
    e["ci_ub"] = num(s.ci_ub);
    e["pi_lb"] = num(s.pi_lb);
    e["pi_ub"] = num(s.pi_ub);
    e["tau2"] = num(s.tau2);
    e["I2"] = num(s.I2);
    e["H2"] = num(s.H2);
    e["Q"] = num(s.Q);
    e["Q_df"] = num(s.Q_df);
    e["Q_p"] = num(s.Q_p);
    if (s.back_transformed) e["back_transformed"] = back_transformed_json(s.back_transformed);
    e["convergence"] = {{"termination", termination_name(s.termination)},
                        {"iterations", s.iterations}};
    subgroups.push_back(std::move(e));
  }
  j["subgroups"] = std::move(subgroups);
  Json test = {{"tau2", tau2_name(a.test.tau2)}, {"Q", num(a.test.Q)}, {"df", num(a.test.df)}};
  if (!std::isnan(a.test.ddf)) test["ddf"] = num(a.test.ddf);
  test["p"] = num(a.test.p);
  if (a.test.tau2 == SubgroupTau2::common) test["tau2_common"] = num(a.test.tau2_common);
  j["subgroup_test"] = std::move(test);
  for (const auto& d : detail::diagnostics_json(a.diagnostics))
    diagnostics.push_back(d);
  j["diagnostics"] = std::move(diagnostics);
  detail::write_json(out, j);
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

// The overall row (subgroup empty) and one row per subgroup; the test repeated on every row.
void render_csv(const SubgroupAnalysis& a, std::ostream& out) {
  const Fit& f = a.overall.fit;
  const std::vector<std::string> header{"source",
                                        "measure",
                                        "method",
                                        "test",
                                        "level",
                                        "subgroup",
                                        "k",
                                        "estimate",
                                        "se",
                                        "stat",
                                        "df",
                                        "pval",
                                        "ci_lb",
                                        "ci_ub",
                                        "pi_lb",
                                        "pi_ub",
                                        "tau2",
                                        "I2",
                                        "H2",
                                        "Q",
                                        "Q_df",
                                        "Q_p",
                                        "subgroup_tau2",
                                        "subgroup_Q",
                                        "subgroup_df",
                                        "subgroup_ddf",
                                        "subgroup_p"};
  const std::vector<std::string> common{
      quote(a.overall.source), std::string(measure_name(a.overall.measure)),
      std::string(method_name(f.method)), std::string(test_name(f.test)), exact(f.level)};
  const std::vector<std::string> test{std::string(tau2_name(a.test.tau2)), exact(a.test.Q),
                                      exact(a.test.df), exact(a.test.ddf), exact(a.test.p)};
  std::vector<std::vector<std::string>> rows;
  auto add = [&](std::vector<std::string> middle) {
    std::vector<std::string> r = common;
    r.insert(r.end(), middle.begin(), middle.end());
    r.insert(r.end(), test.begin(), test.end());
    rows.push_back(std::move(r));
  };
  add({"", std::to_string(f.k), exact(f.estimate), exact(f.se), exact(f.stat), exact(f.df),
       exact(f.pval), exact(f.ci_lb), exact(f.ci_ub), exact(a.overall.prediction.pi_lb),
       exact(a.overall.prediction.pi_ub), exact(f.tau2), exact(f.I2), exact(f.H2), exact(f.Q),
       exact(f.Q_df), exact(f.Q_p)});
  for (const auto& s : a.subgroups) {
    add({quote(s.level), std::to_string(s.k), exact(s.estimate), exact(s.se), exact(s.stat),
         exact(s.df), exact(s.pval), exact(s.ci_lb), exact(s.ci_ub), exact(s.pi_lb), exact(s.pi_ub),
         exact(s.tau2), exact(s.I2), exact(s.H2), exact(s.Q), exact(s.Q_df), exact(s.Q_p)});
  }
  write_csv(header, rows, out);
}

void render(const SubgroupAnalysis& a, Format format, std::ostream& out) {
  switch (format) {
    case Format::text:
      render_text(a, out);
      break;
    case Format::json:
      render_json(a, out);
      break;
    case Format::csv:
      render_csv(a, out);
      break;
  }
}

}  // namespace evident
