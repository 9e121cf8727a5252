// JSON, the canonical result: trial sequential analysis (`evident sequential`).

#include <ostream>
#include <string>

#include "evident/version.hpp"
#include "report/json/json.hpp"

namespace evident::detail {

void render_json(const SequentialResult& r, std::ostream& out) {
  const SequentialSettings& s = r.settings;
  const SequentialAnalysis& m = r.monitoring;
  const InformationSize& ris = r.information_size;
  Json j;
  j["evident_version"] = kVersion;
  j["source"] = r.source;
  j["measure"] = measure_name(r.measure);
  j["method"] = method_name(r.method);
  j["test"] = test_name(r.test);
  j["k"] = r.studies.size();
  Json settings = {{"order", s.order.empty() ? Json(nullptr) : Json(s.order)},
                   {"alpha", s.alpha},
                   {"power", s.power},
                   {"boundary", spending_function_name(s.boundary)},
                   {"futility", futility_rule_name(s.futility)},
                   {"heterogeneity", heterogeneity_correction_name(s.heterogeneity)},
                   {"benefit", benefit_name(s.benefit)}};
  if (r.binary) {
    settings["rrr"] = num(r.rrr);
    settings["control_risk"] = num(r.control_risk);
  } else {
    settings["effect"] = num(r.effect);
    settings["sd"] = num(r.sd);
  }
  j["settings"] = std::move(settings);
  j["information_size"] = {{"unadjusted", num(ris.unadjusted)},
                           {"correction", heterogeneity_correction_name(ris.correction)},
                           {"heterogeneity", num(ris.heterogeneity)},
                           {"adjustment_factor", num(ris.adjustment_factor)},
                           {"adjusted", num(ris.adjusted)}};
  Json looks = Json::array();
  for (std::size_t i = 0; i < r.studies.size(); ++i) {
    looks.push_back({{"study", r.studies[i]},
                     {"participants", num(r.participants[i])},
                     {"information_fraction", num(m.information_fraction[i])},
                     {"estimate", num(r.estimate[i])},
                     {"se", num(r.se[i])},
                     {"z", num(m.z[i])},
                     {"efficacy", num(m.boundaries.efficacy[i])},
                     {"futility", m.boundaries.futility.empty() ? Json(nullptr)
                                                                : num(m.boundaries.futility[i])},
                     {"alpha_spent", num(m.boundaries.alpha_spent[i])},
                     {"ci_lb", num(m.ci_lb[i])},
                     {"ci_ub", num(m.ci_ub[i])}});
  }
  j["looks"] = std::move(looks);
  j["conclusion"] = conclusion_name(m.conclusion);
  j["decisive_study"] = m.decisive_look ? Json(r.studies[*m.decisive_look]) : Json(nullptr);
  j["participants_needed"] = num(m.participants_needed);
  j["adjusted"] = {{"estimate", num(r.estimate.back())},
                   {"z", num(m.adjusted_z)},
                   {"ci_lb", num(m.adjusted_ci_lb)},
                   {"ci_ub", num(m.adjusted_ci_ub)}};
  if (r.back_transformed) {
    j["back_transformed"] = back_transformed_json(r.back_transformed, false);
  }
  j["diagnostics"] = diagnostics_json(r.diagnostics);
  write_json(out, j);
}

}  // namespace evident::detail
