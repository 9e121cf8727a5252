// CSV for spreadsheets: fields of the JSON document as columns: leave-one-out, influence
// diagnostics, cumulative results and Baujat coordinates (`evident influence`). Formatting only.

#include <algorithm>
#include <cmath>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "report/csv/csv.hpp"
#include "report/format.hpp"
#include "report/render_util.hpp"

namespace evident::detail {

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

}  // namespace evident::detail
