// JSON, the canonical result (keys in docs/cli.md): small-study effects and publication bias
// (`evident bias`). Formatting only.

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

Json regression_json(const RegressionEstimate& e) {
  if (!e.ok) return nullptr;
  return {{"estimate", num(e.estimate)},
          {"se", num(e.se)},
          {"tval", num(e.stat)},
          {"df", num(e.df)},
          {"pval", num(e.pval)},
          {"ci_lb", num(e.ci_lb)},
          {"ci_ub", num(e.ci_ub)},
          {"slope", num(e.slope)},
          {"slope_pval", num(e.slope_pval)}};
}

}  // namespace

void render_json(const BiasAnalysis& a, std::ostream& out) {
  Json j = detail::analysis_json(a.overall, false);
  Json diagnostics = j["diagnostics"];
  j.erase("diagnostics");
  j.erase("studies");  // listed under funnel (not built: with_studies false)

  const EggerTest& e = a.egger;
  if (e.ok) {
    Json egger = {{"predictor", predictor_name(e.predictor)},
                  {"model", e.model == EggerModel::rma ? "rma" : "lm"}};
    const bool t = !std::isnan(e.df);
    egger[t ? "tval" : "zval"] = num(e.stat);
    if (t) egger["df"] = num(e.df);
    egger["pval"] = num(e.pval);
    egger["slope"] = num(e.slope);
    egger["limit_estimate"] = num(e.limit_estimate);
    egger["limit_ci_lb"] = num(e.limit_ci_lb);
    egger["limit_ci_ub"] = num(e.limit_ci_ub);
    j["egger"] = std::move(egger);
  } else {
    j["egger"] = nullptr;
  }
  j["begg"] =
      a.begg.ok
          ? Json{{"tau", num(a.begg.tau)}, {"pval", num(a.begg.pval)}, {"exact", a.begg.exact}}
          : Json(nullptr);

  const TrimFill& tf = a.trimfill;
  if (tf.ok) {
    const Fit& f = tf.fit;
    Json t = {{"estimator", estimator_name(tf.estimator)},
              {"side", side_name(tf.side)},
              {"k0", tf.k0},
              {"se_k0", num(tf.se_k0)}};
    if (tf.estimator == TrimFillEstimator::R0) t["p_k0"] = num(tf.p_k0);
    t["converged"] = tf.converged;
    t["k"] = f.k;
    t["estimate"] = num(f.estimate);
    t["se"] = num(f.se);
    t[f.test == Test::knha ? "tval" : "zval"] = num(f.stat);
    t["pval"] = num(f.pval);
    t["ci_lb"] = num(f.ci_lb);
    t["ci_ub"] = num(f.ci_ub);
    t["tau2"] = num(f.tau2);
    t["I2"] = num(f.I2);
    t["Q"] = num(f.Q);
    t["Q_p"] = num(f.Q_p);
    if (const auto& b = a.trimfill_back_transformed) {
      t["back_transformed"] = {{"scale", b->scale},
                               {"estimate", num(b->estimate)},
                               {"ci_lb", num(b->ci_lb)},
                               {"ci_ub", num(b->ci_ub)}};
    }
    Json filled = Json::array();
    for (const auto& s : tf.filled) {
      filled.push_back(
          {{"study", s.study}, {"mirror", s.mirror}, {"yi", num(s.yi)}, {"vi", num(s.vi)}});
    }
    t["filled"] = std::move(filled);
    j["trimfill"] = std::move(t);
  } else {
    j["trimfill"] = nullptr;
  }

  const FailSafeN& n = a.fsn;
  j["fsn"] = {
      {"alpha", num(n.alpha)},
      {"rosenthal", {{"fsnum", num(n.rosenthal)}, {"pval", num(n.rosenthal_pval)}}},
      {"orwin",
       {{"fsnum", num(n.orwin)}, {"mean", num(n.orwin_mean)}, {"target", num(n.orwin_target)}}},
      {"rosenberg",
       {{"fsnum", num(n.rosenberg)},
        {"pval", num(n.rosenberg_pval)},
        {"mean", num(n.rosenberg_mean)}}}};

  const PetPeese& pp = a.pet_peese;
  if (pp.pet.ok) {
    const RegressionEstimate& c = chosen(pp);
    j["pet_peese"] = {{"method", pp.use_peese ? "PEESE" : "PET"},
                      {"alpha", num(pp.alpha)},
                      {"estimate", num(c.estimate)},
                      {"se", num(c.se)},
                      {"ci_lb", num(c.ci_lb)},
                      {"ci_ub", num(c.ci_ub)},
                      {"pet", regression_json(pp.pet)},
                      {"peese", regression_json(pp.peese)}};
  } else {
    j["pet_peese"] = nullptr;
  }

  const FunnelData& fd = a.funnel;
  Json contours = Json::array();
  for (const auto& c : fd.contours)
    contours.push_back({{"level", num(c.level)}, {"z", num(c.z)}});
  Json studies = Json::array();
  for (std::size_t i = 0; i < fd.studies.size(); ++i) {
    studies.push_back({{"study", fd.studies[i]}, {"yi", num(fd.yi[i])}, {"sei", num(fd.sei[i])}});
  }
  j["funnel"] = {{"estimate", num(fd.estimate)},
                 {"sei_max", num(fd.sei_max)},
                 {"contours", std::move(contours)},
                 {"studies", std::move(studies)}};
  for (const auto& d : detail::diagnostics_json(a.diagnostics))
    diagnostics.push_back(d);
  j["diagnostics"] = std::move(diagnostics);
  detail::write_json(out, j);
}

}  // namespace evident::detail
