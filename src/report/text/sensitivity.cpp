// Text for people: leave-one-out, influence diagnostics, cumulative results and Baujat coordinates
// (`evident influence`). Formatting only.

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "report/format.hpp"
#include "report/names.hpp"
#include "report/render_util.hpp"
#include "report/text/text.hpp"

namespace evident::detail {

namespace {

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

}  // namespace evident::detail
