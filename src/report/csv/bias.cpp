// CSV for spreadsheets: fields of the JSON document as columns: small-study effects and publication
// bias (`evident bias`). Formatting only.

#include <algorithm>
#include <cmath>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "report/csv/csv.hpp"
#include "report/format.hpp"
#include "report/names.hpp"
#include "report/render_util.hpp"

namespace evident::detail {

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

}  // namespace evident::detail
