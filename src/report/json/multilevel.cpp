// JSON, the canonical result (keys in docs/cli.md): multilevel models (`evident fit --random`).
// Formatting only.

#include <algorithm>
#include <cmath>
#include <ostream>
#include <string>
#include <utility>

#include "evident/version.hpp"
#include "report/json/json.hpp"

namespace evident::detail {

void render_json(const MultilevelAnalysis& a, std::ostream& out) {
  const MultilevelFit& f = a.fit;
  const bool t = f.test == Test::t;
  const char* stat = t ? "tval" : "zval";
  Json j;
  j["evident_version"] = kVersion;
  j["source"] = a.source;
  j["measure"] = measure_name(a.measure);
  j["model"] = "multilevel";
  j["method"] = method_name(f.method);
  j["test"] = test_name(f.test);
  j["level"] = f.level;
  j["k"] = f.k;
  j["p"] = f.p;
  if (a.prediction) {
    const Prediction& p = *a.prediction;
    j["estimate"] = num(p.pred);
    j["se"] = num(p.se);
    j[stat] = num(f.stat[0]);
    j["pval"] = num(f.pval[0]);
    j["ci_lb"] = num(p.ci_lb);
    j["ci_ub"] = num(p.ci_ub);
    j["pi_lb"] = num(p.pi_lb);
    j["pi_ub"] = num(p.pi_ub);
    j["I2"] = num(a.I2);
  }
  Json coefficients = Json::array();
  for (std::size_t c = 0; c < f.p; ++c) {
    coefficients.push_back({{"name", a.design.columns[c].name},
                            {"estimate", num(f.beta[c])},
                            {"se", num(f.se[c])},
                            {stat, num(f.stat[c])},
                            {"pval", num(f.pval[c])},
                            {"ci_lb", num(f.ci_lb[c])},
                            {"ci_ub", num(f.ci_ub[c])}});
  }
  j["coefficients"] = std::move(coefficients);
  if (t) j["df"] = num(f.df);
  j["QM"] = num(f.QM);
  j["QM_df"] = num(f.QM_df);
  if (t) j["QM_ddf"] = num(f.df);
  j["QM_p"] = num(f.QM_p);
  j["sigma2"] = Json::array();
  j["sigma2_names"] = a.sigma2_names;
  j["sigma2_levels"] = f.levels;
  j["sigma2_at_boundary"] = Json::array();
  for (std::size_t c = 0; c < f.sigma2.size(); ++c) {
    j["sigma2"].push_back(num(f.sigma2[c]));
    j["sigma2_at_boundary"].push_back(static_cast<bool>(f.at_boundary[c]));
  }
  if (f.sigma2_lb.empty()) {
    j["sigma2_ci"] = nullptr;
  } else {
    Json ci = Json::array();
    for (std::size_t c = 0; c < f.sigma2.size(); ++c)
      ci.push_back(interval(true, f.sigma2_lb[c], f.sigma2_ub[c]));
    j["sigma2_ci"] = std::move(ci);
  }
  // tau2 and rho are a correlated random effect's (--struct): tau2 a number (one variance) or
  // one per inner level; rho a number (one correlation), the correlation matrix of the inner
  // levels (UN), or null (ID, DIAG). The sampling correlation of --rho has its own key.
  if (a.structure) {
    j["struct"] = {{"name", structure_name(*a.structure)},
                   {"inner", a.inner},
                   {"outer", a.structured_outer},
                   {"levels", a.inner_levels},
                   {"outer_levels", a.structured_outer_levels}};
    auto numbers = [](const std::vector<double>& xs) {
      Json arr = Json::array();
      for (double x : xs)
        arr.push_back(num(x));
      return arr;
    };
    const bool per_level =
        f.tau2.size() > 1 || (f.tau2.size() == 1 && a.inner_levels.size() == 1 &&
                              (*a.structure == Structure::HCS || *a.structure == Structure::DIAG ||
                               *a.structure == Structure::UN || *a.structure == Structure::HAR));
    j["tau2"] = per_level ? numbers(f.tau2) : num(f.tau2.front());
    if (*a.structure == Structure::UN) {
      // The full matrix, rho[l][m] the correlation of levels l and m (1 on the diagonal).
      const std::size_t L = a.inner_levels.size();
      Json m = Json::array();
      for (std::size_t l = 0; l < L; ++l) {
        Json row = Json::array();
        for (std::size_t c = 0; c < L; ++c) {
          if (l == c) {
            row.push_back(1.0);
            continue;
          }
          const std::size_t lo = std::min(l, c);
          const std::size_t hi = std::max(l, c);
          row.push_back(num(f.rho[lo * L - lo * (lo + 1) / 2 + (hi - lo - 1)]));
        }
        m.push_back(std::move(row));
      }
      j["rho"] = std::move(m);
    } else {
      j["rho"] = f.rho.empty() ? Json(nullptr) : num(f.rho.front());
    }
  } else {
    j["struct"] = nullptr;
    j["tau2"] = nullptr;
    j["rho"] = nullptr;
  }
  j["sampling_rho"] = a.rho ? num(*a.rho) : Json(nullptr);
  j["QE"] = num(f.QE);
  j["QE_df"] = num(f.QE_df);
  j["QE_p"] = num(f.QE_p);
  j["logLik"] = num(f.logLik);
  j["deviance"] = num(f.deviance);
  j["AIC"] = num(f.AIC);
  j["BIC"] = num(f.BIC);
  j["AICc"] = num(f.AICc);
  if (a.robust) {
    const RobustFit& r = *a.robust;
    Json rc = Json::array();
    for (std::size_t c = 0; c < f.p; ++c) {
      rc.push_back({{"name", a.design.columns[c].name},
                    {"estimate", num(f.beta[c])},
                    {"se", num(r.se[c])},
                    {"tval", num(r.stat[c])},
                    {"df", num(r.df[c])},
                    {"pval", num(r.pval[c])},
                    {"ci_lb", num(r.ci_lb[c])},
                    {"ci_ub", num(r.ci_ub[c])}});
    }
    j["robust"] = {{"cluster", a.robust_cluster},
                   {"n_clusters", r.n_clusters},
                   {"small_sample", small_sample_name(r.small_sample)},
                   {"coefficients", std::move(rc)},
                   {"QM", num(r.QM)},
                   {"QM_df", num(r.QM_df)},
                   {"QM_ddf", num(r.QM_ddf)},
                   {"QM_p", num(r.QM_p)}};
  } else {
    j["robust"] = nullptr;
  }
  j["convergence"] = {{"termination", termination_name(f.termination)},
                      {"iterations", f.iterations},
                      {"blocks", f.blocks},
                      {"largest_block", f.largest_block}};
  Json studies = Json::array();
  for (std::size_t i = 0; i < a.studies.size(); ++i) {
    const StudyResult& s = a.studies[i];
    studies.push_back({{"study", s.study},
                       {"cluster", a.clusters[i]},
                       {"yi", num(s.yi)},
                       {"vi", num(s.vi)},
                       {"weight", num(s.weight)},
                       {"ci_lb", num(s.ci_lb)},
                       {"ci_ub", num(s.ci_ub)}});
  }
  j["studies"] = std::move(studies);
  j["diagnostics"] = diagnostics_json(a.diagnostics);
  write_json(out, j);
}

}  // namespace evident::detail
