// CSV for spreadsheets: fields of the JSON document as columns: meta-regression and subgroup
// analyses (`evident fit --mods`, `--subgroup`). Formatting only.

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

void render_csv(const MetaRegAnalysis& a, std::ostream& out) {
  const MetaRegFit& f = a.fit;
  const bool perm = a.permutation.has_value();
  std::vector<std::string> header{"source",      "measure",  "method", "test", "level", "k",
                                  "coefficient", "estimate", "se",     "stat", "df",    "pval",
                                  "ci_lb",       "ci_ub",    "tau2",   "I2",   "H2",    "R2",
                                  "QM",          "QM_df",    "QM_p",   "QE",   "QE_df", "QE_p"};
  if (perm) {
    header.insert(header.end(), {"pval_perm", "QM_p_perm", "permutations"});
  }
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
                               exact(f.ci_ub[c]),
                               exact(f.tau2),
                               exact(f.I2),
                               exact(f.H2),
                               exact(a.R2),
                               exact(f.QM),
                               exact(f.QM_df),
                               exact(f.QM_p),
                               exact(f.QE),
                               exact(f.QE_df),
                               exact(f.QE_p)};
    if (perm) {
      r.push_back(exact(a.permutation->pval[c]));
      r.push_back(exact(a.permutation->QM_p));
      r.push_back(std::to_string(a.permutation->iterations));
    }
    rows.push_back(std::move(r));
  }
  write_csv(header, rows, out);
}

void render_csv(const SubgroupAnalysis& a, std::ostream& out) {
  const Fit& f = a.overall.fit;
  const std::vector<std::string> header{"source",
                                        "measure",
                                        "method",
                                        "test",
                                        "level",
                                        "subgroup",
                                        "k",
                                        "estimate",
                                        "se",
                                        "stat",
                                        "df",
                                        "pval",
                                        "ci_lb",
                                        "ci_ub",
                                        "pi_lb",
                                        "pi_ub",
                                        "tau2",
                                        "I2",
                                        "H2",
                                        "Q",
                                        "Q_df",
                                        "Q_p",
                                        "subgroup_tau2",
                                        "subgroup_Q",
                                        "subgroup_df",
                                        "subgroup_ddf",
                                        "subgroup_p"};
  const std::vector<std::string> common{
      quote(a.overall.source), std::string(measure_name(a.overall.measure)),
      std::string(method_name(f.method)), std::string(test_name(f.test)), exact(f.level)};
  const std::vector<std::string> test{std::string(tau2_name(a.test.tau2)), exact(a.test.Q),
                                      exact(a.test.df), exact(a.test.ddf), exact(a.test.p)};
  std::vector<std::vector<std::string>> rows;
  auto add = [&](std::vector<std::string> middle) {
    std::vector<std::string> r = common;
    r.insert(r.end(), middle.begin(), middle.end());
    r.insert(r.end(), test.begin(), test.end());
    rows.push_back(std::move(r));
  };
  add({"", std::to_string(f.k), exact(f.estimate), exact(f.se), exact(f.stat), exact(f.df),
       exact(f.pval), exact(f.ci_lb), exact(f.ci_ub), exact(a.overall.prediction.pi_lb),
       exact(a.overall.prediction.pi_ub), exact(f.tau2), exact(f.I2), exact(f.H2), exact(f.Q),
       exact(f.Q_df), exact(f.Q_p)});
  for (const auto& s : a.subgroups) {
    add({quote(s.level), std::to_string(s.k), exact(s.estimate), exact(s.se), exact(s.stat),
         exact(s.df), exact(s.pval), exact(s.ci_lb), exact(s.ci_ub), exact(s.pi_lb), exact(s.pi_ub),
         exact(s.tau2), exact(s.I2), exact(s.H2), exact(s.Q), exact(s.Q_df), exact(s.Q_p)});
  }
  write_csv(header, rows, out);
}

}  // namespace evident::detail
