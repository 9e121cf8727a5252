#include <cmath>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "evident/report/report.hpp"
#include "evident/version.hpp"
#include "report/format.hpp"

namespace evident {

// One header row and one value row with the JSON output's scalar keys (intervals flattened to
// _lb/_ub), so results of many runs can be concatenated and read by any spreadsheet.
void render_csv(const Analysis& a, std::ostream& out) {
  using detail::exact;
  const Fit& f = a.fit;
  const auto& ci = a.heterogeneity_ci;
  const double nan = std::nan("");
  std::vector<std::pair<std::string, std::string>> cols{
      {"source", detail::quote(a.source)},
      {"measure", std::string(measure_name(a.measure))},
      {"method", std::string(method_name(f.method))},
      {"test", std::string(test_name(f.test))},
      {"level", exact(f.level)},
      {"k", std::to_string(f.k)},
      {"estimate", exact(f.estimate)},
      {"se", exact(f.se)},
      {"stat", exact(f.stat)},
      {"df", exact(f.df)},
      {"pval", exact(f.pval)},
      {"ci_lb", exact(f.ci_lb)},
      {"ci_ub", exact(f.ci_ub)},
      {"pi_lb", exact(a.prediction.pi_lb)},
      {"pi_ub", exact(a.prediction.pi_ub)},
      {"tau2", exact(f.tau2)},
      {"tau2_se", exact(f.tau2_se)},
      {"tau2_ci_lb", exact(ci ? ci->tau2_lb : nan)},
      {"tau2_ci_ub", exact(ci ? ci->tau2_ub : nan)},
      {"tau", exact(std::sqrt(f.tau2))},
      {"I2", exact(f.I2)},
      {"I2_ci_lb", exact(ci ? ci->I2_lb : nan)},
      {"I2_ci_ub", exact(ci ? ci->I2_ub : nan)},
      {"H2", exact(f.H2)},
      {"H2_ci_lb", exact(ci ? ci->H2_lb : nan)},
      {"H2_ci_ub", exact(ci ? ci->H2_ub : nan)},
      {"Q", exact(f.Q)},
      {"Q_df", exact(f.Q_df)},
      {"Q_p", exact(f.Q_p)},
      {"termination", std::string(termination_name(f.termination))},
      {"iterations", std::to_string(f.iterations)},
      {"diagnostics", std::to_string(a.diagnostics.size())},
      // Appended (the columns before keep their places): the tests that come with a
      // Mantel-Haenszel odds ratio, empty for every other model.
      {"CMH", exact(a.cmh ? a.cmh->CMH : nan)},
      {"CMH_p", exact(a.cmh ? a.cmh->CMH_p : nan)},
      {"tarone", exact(a.cmh ? a.cmh->tarone : nan)},
      {"tarone_df", exact(a.cmh ? a.cmh->tarone_df : nan)},
      {"tarone_p", exact(a.cmh ? a.cmh->tarone_p : nan)},
      {"breslow_day", exact(a.cmh ? a.cmh->breslow_day : nan)},
      {"breslow_day_p", exact(a.cmh ? a.cmh->breslow_day_p : nan)},
  };
  for (std::size_t i = 0; i < cols.size(); ++i)
    out << (i ? "," : "") << cols[i].first;
  out << '\n';
  for (std::size_t i = 0; i < cols.size(); ++i)
    out << (i ? "," : "") << cols[i].second;
  out << '\n';
}

}  // namespace evident
