#include <cmath>
#include <nlohmann/json.hpp>
#include <ostream>

#include "evident/evident.hpp"
#include "report/json_util.hpp"

namespace evident {

namespace detail {

Json diagnostics_json(const std::vector<Diagnostic>& diagnostics) {
  Json out = Json::array();
  for (const auto& d : diagnostics) {
    out.push_back({{"code", diagnostic_name(d.code)},
                   {"message", d.message},
                   {"study", d.study.empty() ? Json(nullptr) : Json(d.study)}});
  }
  return out;
}

// Keys and meanings follow metafor (DESIGN.md, "Command line contract"); new keys may be added,
// existing ones never change.
Json analysis_json(const Analysis& a) {
  const Fit& f = a.fit;
  const bool random = is_random_effects(f.method);
  const auto& ci = a.heterogeneity_ci;
  Json j;
  j["evident_version"] = kVersion;
  j["source"] = a.source;
  j["measure"] = measure_name(a.measure);
  j["method"] = method_name(f.method);
  j["test"] = test_name(f.test);
  j["level"] = f.level;
  j["k"] = f.k;
  j["estimate"] = num(f.estimate);
  j["se"] = num(f.se);
  j[f.test == Test::knha ? "tval" : "zval"] = num(f.stat);
  if (f.test == Test::knha) j["df"] = num(f.df);
  j["pval"] = num(f.pval);
  j["ci_lb"] = num(f.ci_lb);
  j["ci_ub"] = num(f.ci_ub);
  j["pi_lb"] = num(a.prediction.pi_lb);
  j["pi_ub"] = num(a.prediction.pi_ub);
  j["tau2"] = num(f.tau2);
  j["tau2_se"] = num(f.tau2_se);
  j["tau2_ci"] = interval(ci.has_value(), ci ? ci->tau2_lb : 0, ci ? ci->tau2_ub : 0);
  j["tau"] = num(std::sqrt(f.tau2));
  j["tau_ci"] = interval(ci.has_value(), ci ? ci->tau_lb : 0, ci ? ci->tau_ub : 0);
  j["I2"] = num(f.I2);
  j["I2_ci"] = interval(ci.has_value(), ci ? ci->I2_lb : 0, ci ? ci->I2_ub : 0);
  j["H2"] = num(f.H2);
  j["H2_ci"] = interval(ci.has_value(), ci ? ci->H2_lb : 0, ci ? ci->H2_ub : 0);
  j["Q"] = num(f.Q);
  j["Q_df"] = num(f.Q_df);
  j["Q_p"] = num(f.Q_p);
  if (a.k_yi) j["k_yi"] = *a.k_yi;
  if (a.cmh) {
    const CmhTests& t = *a.cmh;
    j["CMH"] = num(t.CMH);
    j["CMH_p"] = num(t.CMH_p);
    j["tarone"] = num(t.tarone);
    j["tarone_df"] = num(t.tarone_df);
    j["tarone_p"] = num(t.tarone_p);
    j["breslow_day"] = num(t.breslow_day);
    j["breslow_day_p"] = num(t.breslow_day_p);
  }
  if (a.back_transformed) {
    const auto& b = *a.back_transformed;
    j["back_transformed"] = {{"scale", b.scale},      {"estimate", num(b.estimate)},
                             {"ci_lb", num(b.ci_lb)}, {"ci_ub", num(b.ci_ub)},
                             {"pi_lb", num(b.pi_lb)}, {"pi_ub", num(b.pi_ub)}};
  }
  j["convergence"] = {{"termination", termination_name(f.termination)},
                      {"iterations", f.iterations},
                      {"random_effects", random}};
  Json studies = Json::array();
  for (const auto& s : a.studies) {
    studies.push_back({{"study", s.study},
                       {"line", s.line},
                       {"yi", num(s.yi)},
                       {"vi", num(s.vi)},
                       {"weight", num(s.weight)},
                       {"ci_lb", num(s.ci_lb)},
                       {"ci_ub", num(s.ci_ub)}});
  }
  j["studies"] = std::move(studies);
  j["diagnostics"] = diagnostics_json(a.diagnostics);
  if (a.multiarm) {
    Json trials = Json::array();
    for (const auto& t : a.multiarm->trials) {
      trials.push_back({{"trial", t.trial}, {"arms", t.arms}, {"lines", t.lines}});
    }
    j["multiarm"] = {{"mode", a.multiarm->mode == MultiArm::split ? "split" : "combine"},
                     {"by_default", a.multiarm->by_default},
                     {"trials", std::move(trials)}};
  }
  return j;
}

}  // namespace detail

void render_json(const Analysis& a, std::ostream& out) {
  detail::write_json(out, detail::analysis_json(a));
}

}  // namespace evident
