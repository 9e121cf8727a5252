// Text for people: small-study effects and publication bias (`evident bias`). Formatting only.

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

}  // namespace evident::detail
