// JSON, the canonical result (keys in docs/cli.md): leave-one-out, influence diagnostics,
// cumulative results and Baujat coordinates (`evident influence`). Formatting only.

#include <algorithm>
#include <cmath>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "report/json/json.hpp"
#include "report/names.hpp"

namespace evident::detail {

namespace {

Json refit_json(const std::string& study, const RefitResult& r, Test test) {
  const bool t = test == Test::knha;
  Json e = {{"study", study}, {"estimate", num(r.estimate)}, {"se", num(r.se)}};
  e[t ? "tval" : "zval"] = num(r.stat);
  if (t) e["df"] = num(r.df);
  e["pval"] = num(r.pval);
  e["ci_lb"] = num(r.ci_lb);
  e["ci_ub"] = num(r.ci_ub);
  e["Q"] = num(r.Q);
  e["Q_p"] = num(r.Q_p);
  e["tau2"] = num(r.tau2);
  e["I2"] = num(r.I2);
  e["H2"] = num(r.H2);
  return e;
}

}  // namespace

void render_json(const InfluenceAnalysis& a, std::ostream& out) {
  Json j = a.overall ? detail::analysis_json(*a.overall, false)
                     : detail::metareg_json(*a.metareg, false);
  Json diagnostics = j["diagnostics"];
  j.erase("diagnostics");
  j.erase("studies");  // the sections below list the studies (not built: with_studies false)
  const Test test = model_test(a);
  if (!a.leave1out.empty()) {
    Json l = Json::array();
    for (std::size_t i = 0; i < a.leave1out.size(); ++i)
      l.push_back(refit_json(a.studies[i], a.leave1out[i], test));
    j["leave1out"] = std::move(l);
  }
  Json inf = Json::array();
  Json baujat = Json::array();
  for (std::size_t i = 0; i < a.influence.size(); ++i) {
    const InfluenceResult& r = a.influence[i];
    Json dfbetas = Json::object();
    for (std::size_t c = 0; c < a.coefficients.size(); ++c)
      dfbetas[a.coefficients[c]] = num(r.dfbetas[c]);
    inf.push_back({{"study", a.studies[i]},
                   {"rstudent", num(r.rstudent)},
                   {"dffits", num(r.dffits)},
                   {"cook_d", num(r.cook_d)},
                   {"cov_r", num(r.cov_r)},
                   {"tau2_del", num(r.tau2_del)},
                   {"QE_del", num(r.QE_del)},
                   {"hat", num(r.hat)},
                   {"weight", num(r.weight)},
                   {"dfbetas", std::move(dfbetas)},
                   {"inf", r.influential}});
    baujat.push_back({{"study", a.studies[i]}, {"x", num(r.baujat_x)}, {"y", num(r.baujat_y)}});
  }
  j["influence"] = std::move(inf);
  if (!a.cumulative.empty()) {
    j["cumulative_order"] = a.order_column.empty() ? Json(nullptr) : Json(a.order_column);
    Json c = Json::array();
    for (std::size_t s = 0; s < a.cumulative.size(); ++s)
      c.push_back(refit_json(a.studies[a.order[s]], a.cumulative[s], test));
    j["cumulative"] = std::move(c);
  }
  j["baujat"] = std::move(baujat);
  for (const auto& d : detail::diagnostics_json(a.diagnostics))
    diagnostics.push_back(d);
  j["diagnostics"] = std::move(diagnostics);
  detail::write_json(out, j);
}

}  // namespace evident::detail
