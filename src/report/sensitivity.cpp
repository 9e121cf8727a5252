// Renderers for `evident influence`: leave-one-out, influence diagnostics, cumulative results and
// Baujat coordinates. Formatting only.

#include "evident/methods/sensitivity.hpp"

#include <fmt/format.h>

#include <algorithm>
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

using detail::exact;
using detail::fixed;
using detail::Json;
using detail::num;
using detail::pvalue;
using detail::shorten;

Test model_test(const InfluenceAnalysis& a) {
  return a.overall ? a.overall->fit.test : a.metareg->fit.test;
}

// Named by the analysis' test, as metafor's list.rma columns: a refit of one study under
// Knapp-Hartung uses the z test (df null) but stays in the tval column.
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

std::size_t label_width(const InfluenceAnalysis& a) {
  std::size_t width = 5;
  for (const auto& s : a.studies)
    width = std::max(width, shorten(s).size());
  return width;
}

void refit_table(const std::vector<RefitResult>& rows, const std::vector<std::size_t>& order,
                 const InfluenceAnalysis& a, std::ostream& out) {
  const std::size_t w = label_width(a);
  const bool t = model_test(a) == Test::knha;
  out << fmt::format("{:<{}} {:>9} {:>8} {:>8} {:>8} {:>9} {:>9} {:>9} {:>8} {:>8} {:>7} {:>7}\n",
                     "study", w, "estimate", "se", t ? "tval" : "zval", "pval", "ci.lb", "ci.ub",
                     "Q", "Qp", "tau^2", "I^2", "H^2");
  for (std::size_t j = 0; j < rows.size(); ++j) {
    const RefitResult& r = rows[j];
    out << fmt::format(
        "{:<{}} {:>9} {:>8} {:>8} {:>8} {:>9} {:>9} {:>9} {:>8} {:>8} {:>6}% {:>7}\n",
        shorten(a.studies[order[j]]), w, fixed(r.estimate, 4), fixed(r.se, 4), fixed(r.stat, 4),
        pvalue(r.pval), fixed(r.ci_lb, 4), fixed(r.ci_ub, 4), fixed(r.Q, 4), pvalue(r.Q_p),
        fixed(r.tau2, 4), fixed(r.I2, 2), fixed(r.H2, 2));
  }
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

void render_text(const InfluenceAnalysis& a, std::ostream& out) {
  if (a.overall) {
    const Fit& f = a.overall->fit;
    out << fmt::format("Sensitivity of the {} model (k = {}; {}): estimate {} {}\n",
                       f.method == Method::FE ? "common-effect" : "random-effects", f.k,
                       f.method == Method::FE
                           ? std::string("FE")
                           : "tau^2 estimator " + std::string(method_name(f.method)),
                       fixed(f.estimate, 4), detail::bracket(f.ci_lb, f.ci_ub, 4));
  } else {
    const MetaRegFit& f = a.metareg->fit;
    out << fmt::format("Sensitivity of the meta-regression (k = {}, {} coefficients; {})\n", f.k,
                       f.p, method_name(f.method));
  }
  const std::string& source = a.overall ? a.overall->source : a.metareg->source;
  if (!source.empty()) out << "Data: " << source << "\n";
  const std::size_t w = label_width(a);
  if (!a.leave1out.empty()) {
    out << "\nLeave-one-out (each row: the model without that study):\n";
    std::vector<std::size_t> identity(a.leave1out.size());
    for (std::size_t i = 0; i < identity.size(); ++i)
      identity[i] = i;
    refit_table(a.leave1out, identity, a, out);
  }
  if (!a.influence.empty()) {
    out << "\nInfluence diagnostics (* = influential by metafor's rule):\n";
    out << fmt::format("{:<{}} {:>8} {:>8} {:>8} {:>8} {:>8} {:>9} {:>6} {:>7}", "study", w,
                       "rstudent", "dffits", "cook.d", "cov.r", "tau2.del", "QE.del", "hat",
                       "weight");
    for (const auto& c : a.coefficients)
      out << fmt::format(" {:>8}", shorten("dfbs." + c, 12));
    out << "  inf\n";
    for (std::size_t i = 0; i < a.influence.size(); ++i) {
      const InfluenceResult& r = a.influence[i];
      out << fmt::format("{:<{}} {:>8} {:>8} {:>8} {:>8} {:>8} {:>9} {:>6} {:>6}%",
                         shorten(a.studies[i]), w, fixed(r.rstudent, 4), fixed(r.dffits, 4),
                         fixed(r.cook_d, 4), fixed(r.cov_r, 4), fixed(r.tau2_del, 4),
                         fixed(r.QE_del, 4), fixed(r.hat, 4), fixed(r.weight, 2));
      for (double d : r.dfbetas)
        out << fmt::format(" {:>8}", fixed(d, 4));
      out << (r.influential ? "  *" : "") << '\n';
    }
  }
  if (!a.cumulative.empty()) {
    out << fmt::format(
        "\nCumulative meta-analysis ({}; each row adds that study):\n",
        a.order_column.empty() ? std::string("in input order") : "ordered by " + a.order_column);
    refit_table(a.cumulative, a.order, a, out);
  }
  if (!a.influence.empty()) {
    out << "\nBaujat coordinates (x: contribution to heterogeneity, y: influence on the "
           "result):\n";
    out << fmt::format("{:<{}} {:>10} {:>10}\n", "study", w, "x", "y");
    for (std::size_t i = 0; i < a.influence.size(); ++i) {
      out << fmt::format("{:<{}} {:>10} {:>10}\n", shorten(a.studies[i]), w,
                         fixed(a.influence[i].baujat_x, 4), fixed(a.influence[i].baujat_y, 4));
    }
  }
  std::vector<Diagnostic> all = a.overall ? a.overall->diagnostics : a.metareg->diagnostics;
  all.insert(all.end(), a.diagnostics.begin(), a.diagnostics.end());
  detail::write_diagnostics(all, out);
}

// One row per study in input order: its leave-one-out result, its influence diagnostics, its
// Baujat coordinates, and the cumulative result at the step that added it.
void render_csv(const InfluenceAnalysis& a, std::ostream& out) {
  std::vector<std::string> header{"study"};
  const std::vector<std::string> refit_cols{"estimate", "se",  "stat", "pval", "ci_lb", "ci_ub",
                                            "Q",        "Q_p", "tau2", "I2",   "H2"};
  const bool loo = !a.leave1out.empty();
  const bool cum = !a.cumulative.empty();
  if (loo) {
    for (const auto& c : refit_cols)
      header.push_back("loo_" + c);
  }
  for (const char* c :
       {"rstudent", "dffits", "cook_d", "cov_r", "tau2_del", "QE_del", "hat", "weight"}) {
    header.emplace_back(c);
  }
  for (const auto& c : a.coefficients)
    header.push_back(detail::quote("dfbetas_" + c));
  header.insert(header.end(), {"inf", "baujat_x", "baujat_y"});
  if (cum) {
    header.push_back("cum_step");
    for (const auto& c : refit_cols)
      header.push_back("cum_" + c);
  }
  auto refit_cells = [](const RefitResult& r) {
    return std::vector<std::string>{exact(r.estimate), exact(r.se),    exact(r.stat), exact(r.pval),
                                    exact(r.ci_lb),    exact(r.ci_ub), exact(r.Q),    exact(r.Q_p),
                                    exact(r.tau2),     exact(r.I2),    exact(r.H2)};
  };
  std::vector<std::size_t> step(a.studies.size(), 0);
  for (std::size_t s = 0; s < a.order.size(); ++s)
    step[a.order[s]] = s;
  std::vector<std::vector<std::string>> rows;
  for (std::size_t i = 0; i < a.influence.size(); ++i) {
    std::vector<std::string> row{detail::quote(a.studies[i])};
    if (loo) {
      for (auto& c : refit_cells(a.leave1out[i]))
        row.push_back(std::move(c));
    }
    const InfluenceResult& r = a.influence[i];
    for (double x :
         {r.rstudent, r.dffits, r.cook_d, r.cov_r, r.tau2_del, r.QE_del, r.hat, r.weight}) {
      row.push_back(exact(x));
    }
    for (double d : r.dfbetas)
      row.push_back(exact(d));
    row.push_back(r.influential ? "1" : "0");
    row.push_back(exact(r.baujat_x));
    row.push_back(exact(r.baujat_y));
    if (cum) {
      row.push_back(std::to_string(step[i] + 1));
      for (auto& c : refit_cells(a.cumulative[step[i]]))
        row.push_back(std::move(c));
    }
    rows.push_back(std::move(row));
  }
  detail::write_csv(header, rows, out);
}

void render(const InfluenceAnalysis& a, Format format, std::ostream& out) {
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
