// Renderers for `evident bias`: Egger, Begg, trim-and-fill, fail-safe N, PET-PEESE and the
// funnel plot data. Formatting only.

#include "evident/methods/bias.hpp"

#include <fmt/format.h>

#include <cmath>
#include <ostream>
#include <string>
#include <vector>

#include "evident/report/report.hpp"
#include "evident/version.hpp"
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

std::string_view predictor_name(EggerPredictor p) {
  switch (p) {
    case EggerPredictor::sei:
      return "sei";
    case EggerPredictor::vi:
      return "vi";
    case EggerPredictor::ni:
      return "ni";
    case EggerPredictor::ninv:
      return "ninv";
  }
  return "?";
}

std::string_view side_name(FunnelSide s) {
  return s == FunnelSide::left ? "left" : "right";
}

std::string_view estimator_name(TrimFillEstimator e) {
  return e == TrimFillEstimator::L0 ? "L0" : "R0";
}

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

const RegressionEstimate& chosen(const PetPeese& p) {
  return p.use_peese ? p.peese : p.pet;
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

void render_text(const BiasAnalysis& a, std::ostream& out) {
  const Fit& f = a.overall.fit;
  out << fmt::format("Small-study effects and publication bias ({} model, k = {}; {})\n",
                     f.method == Method::FE ? "common-effect" : "random-effects", f.k,
                     method_name(f.method));
  if (!a.overall.source.empty()) out << "Data: " << a.overall.source << "\n";
  out << fmt::format("Pooled estimate: {} {}\n", fixed(f.estimate, 4),
                     bracket(f.ci_lb, f.ci_ub, 4));

  const EggerTest& e = a.egger;
  if (e.ok) {
    const bool t = !std::isnan(e.df);
    out << fmt::format("\nEgger's regression test (predictor {}, model {}):\n",
                       predictor_name(e.predictor), e.model == EggerModel::rma ? "rma" : "lm");
    out << fmt::format("  {} = {}, p-val {}\n",
                       t ? fmt::format("t(df = {})", static_cast<long>(e.df)) : std::string("z"),
                       fixed(e.stat, 4), p_text(e.pval));
    if (!std::isnan(e.limit_estimate)) {
      out << fmt::format("  limit estimate (as the predictor goes to 0): {} {}\n",
                         fixed(e.limit_estimate, 4), bracket(e.limit_ci_lb, e.limit_ci_ub, 4));
    }
  }
  if (a.begg.ok) {
    out << fmt::format("\nBegg's rank correlation test: Kendall's tau = {}, p-val {}{}\n",
                       fixed(a.begg.tau, 4), p_text(a.begg.pval),
                       a.begg.exact ? "" : " (normal approximation)");
  }
  const TrimFill& tf = a.trimfill;
  if (tf.ok) {
    out << fmt::format(
        "\nTrim-and-fill ({} estimator): {} {} missing on the {} side "
        "(SE = {}{})\n",
        estimator_name(tf.estimator), tf.k0, tf.k0 == 1 ? "study" : "studies", side_name(tf.side),
        fixed(tf.se_k0, 4),
        tf.estimator == TrimFillEstimator::R0 ? fmt::format(", p = {}", pvalue(tf.p_k0))
                                              : std::string());
    out << fmt::format("  adjusted estimate: {} (se {}) {}, p-val {}\n", fixed(tf.fit.estimate, 4),
                       fixed(tf.fit.se, 4), bracket(tf.fit.ci_lb, tf.fit.ci_ub, 4),
                       p_text(tf.fit.pval));
    for (const auto& s : tf.filled) {
      out << fmt::format("  {}: yi = {}, vi = {} (mirrors {})\n", s.study, fixed(s.yi, 4),
                         fixed(s.vi, 4), s.mirror);
    }
  }
  const FailSafeN& n = a.fsn;
  out << fmt::format("\nFail-safe N (alpha = {}):\n", n.alpha);
  out << fmt::format("  Rosenthal: {} (Stouffer's one-sided p-val {})\n", fixed(n.rosenthal, 0),
                     pvalue(n.rosenthal_pval));
  out << fmt::format("  Orwin:     {} (mean effect {}, target {})\n", fixed(n.orwin, 0),
                     fixed(n.orwin_mean, 4), fixed(n.orwin_target, 4));
  out << fmt::format("  Rosenberg: {} (common-effect estimate {}, p-val {})\n",
                     fixed(n.rosenberg, 0), fixed(n.rosenberg_mean, 4), pvalue(n.rosenberg_pval));
  const PetPeese& pp = a.pet_peese;
  if (pp.pet.ok) {
    out << fmt::format(
        "\nPET-PEESE (weighted least squares; PEESE when PET's one-sided test at "
        "{} rejects no effect):\n",
        pp.alpha);
    out << fmt::format("  PET:   {} (se {}) {}, p-val {}\n", fixed(pp.pet.estimate, 4),
                       fixed(pp.pet.se, 4), bracket(pp.pet.ci_lb, pp.pet.ci_ub, 4),
                       pvalue(pp.pet.pval));
    out << fmt::format("  PEESE: {} (se {}) {}, p-val {}\n", fixed(pp.peese.estimate, 4),
                       fixed(pp.peese.se, 4), bracket(pp.peese.ci_lb, pp.peese.ci_ub, 4),
                       pvalue(pp.peese.pval));
    out << fmt::format("  conditional estimate: {} ({})\n", fixed(chosen(pp).estimate, 4),
                       pp.use_peese ? "PEESE" : "PET");
  }
  std::vector<Diagnostic> all = a.overall.diagnostics;
  all.insert(all.end(), a.diagnostics.begin(), a.diagnostics.end());
  detail::write_diagnostics(all, out);
}

// One row: the pooled estimate and every test's headline numbers.
void render_csv(const BiasAnalysis& a, std::ostream& out) {
  const Fit& f = a.overall.fit;
  const EggerTest& e = a.egger;
  const TrimFill& tf = a.trimfill;
  const PetPeese& pp = a.pet_peese;
  const double nan = std::nan("");
  const std::vector<std::string> header{"source",
                                        "measure",
                                        "method",
                                        "test",
                                        "k",
                                        "estimate",
                                        "egger_stat",
                                        "egger_df",
                                        "egger_pval",
                                        "egger_limit_estimate",
                                        "begg_tau",
                                        "begg_pval",
                                        "trimfill_k0",
                                        "trimfill_side",
                                        "trimfill_estimate",
                                        "trimfill_ci_lb",
                                        "trimfill_ci_ub",
                                        "fsn_rosenthal",
                                        "fsn_orwin",
                                        "fsn_rosenberg",
                                        "pet_estimate",
                                        "peese_estimate",
                                        "pet_peese_method",
                                        "pet_peese_estimate"};
  const std::vector<std::string> row{detail::quote(a.overall.source),
                                     std::string(measure_name(a.overall.measure)),
                                     std::string(method_name(f.method)),
                                     std::string(test_name(f.test)),
                                     std::to_string(f.k),
                                     exact(f.estimate),
                                     exact(e.ok ? e.stat : nan),
                                     exact(e.ok ? e.df : nan),
                                     exact(e.ok ? e.pval : nan),
                                     exact(e.ok ? e.limit_estimate : nan),
                                     exact(a.begg.ok ? a.begg.tau : nan),
                                     exact(a.begg.ok ? a.begg.pval : nan),
                                     tf.ok ? std::to_string(tf.k0) : "",
                                     tf.ok ? std::string(side_name(tf.side)) : "",
                                     exact(tf.ok ? tf.fit.estimate : nan),
                                     exact(tf.ok ? tf.fit.ci_lb : nan),
                                     exact(tf.ok ? tf.fit.ci_ub : nan),
                                     exact(a.fsn.rosenthal),
                                     exact(a.fsn.orwin),
                                     exact(a.fsn.rosenberg),
                                     exact(pp.pet.ok ? pp.pet.estimate : nan),
                                     exact(pp.peese.ok ? pp.peese.estimate : nan),
                                     pp.pet.ok ? (pp.use_peese ? "PEESE" : "PET") : "",
                                     exact(pp.pet.ok ? chosen(pp).estimate : nan)};
  detail::write_csv(header, {row}, out);
}

void render(const BiasAnalysis& a, Format format, std::ostream& out) {
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
