// CSV for spreadsheets: fields of the JSON document as columns, one row per coefficient:
// multilevel models (`evident fit --random`). Formatting only.

#include <ostream>
#include <string>
#include <vector>

#include "report/csv/csv.hpp"
#include "report/format.hpp"
#include "report/render_util.hpp"

namespace evident::detail {

void render_csv(const MultilevelAnalysis& a, std::ostream& out) {
  const MultilevelFit& f = a.fit;
  std::vector<std::string> header{"source", "measure",     "method",   "test", "level",
                                  "k",      "coefficient", "estimate", "se",   "stat",
                                  "df",     "pval",        "ci_lb",    "ci_ub"};
  for (std::size_t c = 0; c < f.sigma2.size(); ++c)
    header.push_back("sigma2." + std::to_string(c + 1));
  // A correlated random effect's (--struct) variances and correlations, in fit.tau2/rho order.
  for (std::size_t c = 0; c < f.tau2.size(); ++c)
    header.push_back("tau2." + std::to_string(c + 1));
  for (std::size_t c = 0; c < f.rho.size(); ++c)
    header.push_back("rho." + std::to_string(c + 1));
  header.insert(header.end(), {"QM", "QM_df", "QM_p", "QE", "QE_df", "QE_p", "logLik"});
  if (a.robust) header.insert(header.end(), {"robust_se", "robust_df", "robust_pval"});
  std::vector<std::vector<std::string>> rows;
  for (std::size_t c = 0; c < f.p; ++c) {
    std::vector<std::string> r{quote(a.source),
                               std::string(measure_name(a.measure)),
                               std::string(method_name(f.method)),
                               std::string(test_name(f.test)),
                               exact(f.level),
                               std::to_string(f.k),
                               quote(a.design.columns[c].name),
                               exact(f.beta[c]),
                               exact(f.se[c]),
                               exact(f.stat[c]),
                               exact(f.df),
                               exact(f.pval[c]),
                               exact(f.ci_lb[c]),
                               exact(f.ci_ub[c])};
    for (const auto* v : {&f.sigma2, &f.tau2, &f.rho}) {
      for (double x : *v)
        r.push_back(exact(x));
    }
    for (double v : {f.QM, f.QM_df, f.QM_p, f.QE, f.QE_df, f.QE_p, f.logLik})
      r.push_back(exact(v));
    if (a.robust) {
      r.push_back(exact(a.robust->se[c]));
      r.push_back(exact(a.robust->df[c]));
      r.push_back(exact(a.robust->pval[c]));
    }
    rows.push_back(std::move(r));
  }
  write_csv(header, rows, out);
}

}  // namespace evident::detail
