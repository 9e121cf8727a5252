// CSV for spreadsheets: trial sequential analysis, one row per look.

#include <limits>
#include <ostream>
#include <string>
#include <vector>

#include "report/csv/csv.hpp"
#include "report/format.hpp"
#include "report/render_util.hpp"

namespace evident::detail {

void render_csv(const SequentialResult& r, std::ostream& out) {
  const SequentialAnalysis& m = r.monitoring;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::vector<std::vector<std::string>> rows;
  for (std::size_t i = 0; i < r.studies.size(); ++i) {
    rows.push_back({quote(r.studies[i]), exact(r.participants[i]), exact(m.information_fraction[i]),
                    exact(r.estimate[i]), exact(r.se[i]), exact(m.z[i]),
                    exact(m.boundaries.efficacy[i]),
                    exact(m.boundaries.futility.empty() ? nan : m.boundaries.futility[i]),
                    exact(m.ci_lb[i]), exact(m.ci_ub[i]), exact(r.information_size.adjusted),
                    std::string(conclusion_name(m.conclusion))});
  }
  write_csv({"study", "participants", "information_fraction", "estimate", "se", "z", "efficacy",
             "futility", "ci_lb", "ci_ub", "information_size", "conclusion"},
            rows, out);
}

}  // namespace evident::detail
