// JSON, the canonical result (keys in docs/cli.md): meta-regression and subgroup analyses (`evident
// fit --mods`, `--subgroup`). Formatting only.

#include <algorithm>
#include <cmath>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "evident/version.hpp"
#include "report/json/json.hpp"
#include "report/names.hpp"

namespace evident::detail {

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
  for (std::size_t n = 0; n < a.design.variables.size(); ++n) {
    const ModeratorVariable& v = a.design.variables[n];
    Json m = {{"column", v.column},
              {"name", v.label},
              {"type", v.categorical ? "categorical" : "numeric"}};
    if (v.categorical) {
      m["levels"] = v.levels;
      // null when every level has its own coefficient (`- 1`)
      m["reference"] = a.design.has_reference(n) ? Json(v.levels.front()) : Json(nullptr);
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

void render_json(const MetaRegAnalysis& a, std::ostream& out) {
  detail::write_json_with_studies(out, detail::metareg_json(a, false), a.studies, a.fitted);
}

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

}  // namespace evident::detail
