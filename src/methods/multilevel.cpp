#include "evident/methods/multilevel.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "stats/distributions.hpp"

namespace evident {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Levels of a key in order of first appearance.
class LevelIndex {
 public:
  std::uint32_t operator()(const std::string& key) {
    auto [it, added] = ids_.try_emplace(key, static_cast<std::uint32_t>(ids_.size()));
    return it->second;
  }
  [[nodiscard]] std::uint32_t size() const noexcept {
    return static_cast<std::uint32_t>(ids_.size());
  }

 private:
  std::unordered_map<std::string, std::uint32_t> ids_;
};

std::string describe(MultilevelStatus s) {
  switch (s) {
    case MultilevelStatus::ok:
      return "ok";
    case MultilevelStatus::rank_deficient:
      return "the moderators are linearly dependent for the estimates at hand (X'WX is singular)";
    case MultilevelStatus::too_few_estimates:
      return "too few estimates for the model's coefficients";
    case MultilevelStatus::not_positive_definite:
      return "the sampling covariance matrix is not positive definite";
    case MultilevelStatus::block_too_large:
      return "a block of the marginal covariance is too large";
  }
  return "?";
}

}  // namespace

RandomFormula parse_random_formula(const std::string& text, const std::string& option) {
  auto fail = [&](std::string_view why) {
    throw InputError({option, 0, 0},
                     fmt::format("'{}' is not a random-effects formula: {} (expected '~ 1 | "
                                 "cluster' or '~ 1 | outer/inner', as metafor's random)",
                                 text, why));
  };
  std::string_view s = trim_spaces(text);
  if (s.empty() || s.front() != '~') fail("it must start with ~");
  s = trim_spaces(s.substr(1));
  const auto bar = s.find('|');
  if (bar == std::string_view::npos) fail("it has no |");
  const std::string_view inner = trim_spaces(s.substr(0, bar));
  if (inner != "1") {
    fail(
        fmt::format("the inner term '{}' asks for correlated random effects (a struct), which "
                    "evident does not fit yet; only '1' is read",
                    inner));
  }
  std::string_view rest = trim_spaces(s.substr(bar + 1));
  RandomFormula f;
  while (true) {
    const auto slash = rest.find('/');
    const std::string_view factor = trim_spaces(rest.substr(0, slash));
    if (factor.empty()) fail("a grouping factor is empty");
    if (factor.find_first_of("|~+*:() ") != std::string_view::npos) {
      fail(fmt::format("'{}' is not a column name", factor));
    }
    f.factors.emplace_back(factor);
    if (slash == std::string_view::npos) break;
    rest = rest.substr(slash + 1);
  }
  return f;
}

MultilevelAnalysis analyse_multilevel(const StudyTable& table, const AnalysisSpec& spec,
                                      const ModeratorSpec& moderators,
                                      const StudyTable* sampling_covariances) {
  const MultilevelSpec& ml = spec.multilevel;
  if (spec.fit.method != Method::REML && spec.fit.method != Method::ML) {
    throw InputError({"--method", 0, 0},
                     fmt::format("a multilevel model (--random) is fitted by REML or ML, not {}",
                                 method_name(spec.fit.method)));
  }
  if (spec.fit.test == Test::knha) {
    throw InputError({"--test", 0, 0},
                     "a multilevel model (--random) takes --test z or t (t and F tests with k - p "
                     "degrees of freedom, as metafor's rma.mv), not knha");
  }
  std::vector<RandomFormula> formulas;
  for (const std::string& text : ml.random)
    formulas.push_back(parse_random_formula(text, "--random"));

  // The columns every estimate needs a value of: the grouping factors, the cluster and
  // observation of the sampling covariances, the robust cluster.
  std::vector<std::pair<std::string, std::size_t>> needed;  // {option, column}
  auto need = [&](const std::string& option, const std::string& column) {
    const std::size_t c = find_column_or_throw(table, column, option);
    needed.emplace_back(column, c);
    return c;
  };
  std::vector<std::vector<std::size_t>> factor_columns;
  for (const RandomFormula& f : formulas) {
    std::vector<std::size_t> cols;
    for (const std::string& factor : f.factors)
      cols.push_back(need("--random", factor));
    factor_columns.push_back(std::move(cols));
  }
  std::optional<std::size_t> cluster_column, obs_column, robust_column;
  if (ml.rho) {
    if (ml.cluster.empty()) {
      throw InputError({"--rho", 0, 0},
                       "--rho needs --cluster: the column whose estimates are "
                       "correlated");
    }
    cluster_column = need("--cluster", ml.cluster);
    if (!ml.obs.empty()) obs_column = need("--obs", ml.obs);
  } else if (!ml.cluster.empty() || !ml.obs.empty()) {
    throw InputError({ml.cluster.empty() ? "--obs" : "--cluster", 0, 0},
                     "--cluster and --obs describe the sampling correlation --rho, which is not "
                     "given");
  }
  if (!ml.robust.empty()) robust_column = need("--robust", ml.robust);
  if (!ml.V.empty() && ml.rho) {
    throw InputError({"--V", 0, 0}, "give the sampling covariances either as --V or as --rho");
  }
  if (!ml.V.empty() && sampling_covariances == nullptr) {
    throw InputError({"--V", 0, 0}, "the table of --V was not read");
  }

  ModeratedData md = build_design(table, compute_effects(table, spec.effect), moderators);
  EffectData data = std::move(md.data);
  std::vector<std::size_t> rows = table_rows(table, data);

  // Estimates with a missing grouping value are left out, as metafor leaves them out.
  {
    std::vector<bool> keep(data.k(), true);
    std::vector<Diagnostic> excluded;
    for (std::size_t i = 0; i < data.k(); ++i) {
      std::vector<std::string> missing;
      for (const auto& [name, c] : needed) {
        if (parse_number(table.cell(rows[i], c)).kind == CellKind::missing &&
            std::find(missing.begin(), missing.end(), name) == missing.end()) {
          missing.push_back(name);
        }
      }
      if (missing.empty()) continue;
      keep[i] = false;
      excluded.push_back({DiagnosticCode::row_excluded_missing,
                          fmt::format("{}:{}: estimate left out of the multilevel model: no "
                                      "value for {}",
                                      table.source(), data.lines[i], fmt::join(missing, ", ")),
                          data.labels[i]});
    }
    if (!excluded.empty()) {
      std::vector<double> x;
      const std::size_t p = md.design.p();
      for (std::size_t i = 0; i < data.k(); ++i) {
        if (!keep[i]) continue;
        x.insert(x.end(), md.design.x.begin() + static_cast<std::ptrdiff_t>(i * p),
                 md.design.x.begin() + static_cast<std::ptrdiff_t>((i + 1) * p));
      }
      md.design.x = std::move(x);
      std::vector<std::size_t> kept_rows;
      for (std::size_t i = 0; i < data.k(); ++i) {
        if (keep[i]) kept_rows.push_back(rows[i]);
      }
      rows = std::move(kept_rows);
      data = subset(data, keep);
      data.diagnostics.insert(data.diagnostics.end(), excluded.begin(), excluded.end());
    }
  }
  const std::size_t k = data.k();
  if (k == 0) throw InputError({table.source(), 0, 0}, "no estimate is left to analyse");

  // The variance components: for `~ 1 | a/b`, a and a/b (the pair of levels), in order.
  MultilevelAnalysis a;
  std::vector<VarianceComponent> components;
  for (std::size_t f = 0; f < formulas.size(); ++f) {
    std::string name;
    std::vector<std::string> keys(k);
    for (std::size_t depth = 0; depth < formulas[f].factors.size(); ++depth) {
      name += (depth == 0 ? "" : "/") + formulas[f].factors[depth];
      VarianceComponent c;
      c.name = name;
      LevelIndex index;
      for (std::size_t i = 0; i < k; ++i) {
        keys[i] += table.cell(rows[i], factor_columns[f][depth]);
        keys[i] += '\x1f';  // a separator no cell holds
        c.level.push_back(index(keys[i]));
      }
      c.levels = index.size();
      components.push_back(std::move(c));
    }
  }
  for (const VarianceComponent& c : components)
    a.sigma2_names.push_back(c.name);
  a.outer = formulas.front().factors.front();
  for (std::size_t i = 0; i < k; ++i)
    a.clusters.emplace_back(table.cell(rows[i], factor_columns.front().front()));

  // Sampling covariances (metafor's vcalc with one rho): rho sqrt(vi vj) between estimates of one
  // cluster that are different observations; the same observation twice is correlated 1.
  std::vector<SamplingCovariance> covariances;
  if (ml.rho) {
    a.rho = ml.rho;
    std::unordered_map<std::string, std::vector<std::size_t>> by_cluster;
    std::vector<std::string> order;
    for (std::size_t i = 0; i < k; ++i) {
      std::string key(table.cell(rows[i], *cluster_column));
      auto [it, added] = by_cluster.try_emplace(key);
      if (added) order.push_back(key);
      it->second.push_back(i);
    }
    for (const std::string& key : order) {
      const std::vector<std::size_t>& members = by_cluster[key];
      for (std::size_t x = 0; x < members.size(); ++x) {
        for (std::size_t y = x + 1; y < members.size(); ++y) {
          const std::size_t i = members[x];
          const std::size_t j = members[y];
          const bool same =
              obs_column && table.cell(rows[i], *obs_column) == table.cell(rows[j], *obs_column);
          covariances.push_back(
              {i, j, (same ? 1.0 : *ml.rho) * std::sqrt(data.vi[i] * data.vi[j])});
        }
      }
    }
  }

  if (!ml.V.empty()) {
    // The sampling covariance file: positions are data rows of the table, mapped to estimates
    // (rows left out have none, and their entries are dropped with them).
    const StudyTable& vt = *sampling_covariances;
    const std::size_t rc = find_column_or_throw(vt, "row", "--V");
    const std::size_t cc = find_column_or_throw(vt, "col", "--V");
    const std::size_t vc = find_column_or_throw(vt, "value", "--V");
    std::vector<std::size_t> estimate_of(table.rows(), k);
    for (std::size_t i = 0; i < k; ++i)
      estimate_of[rows[i]] = i;
    std::vector<InputProblem> problems;
    std::unordered_map<std::uint64_t, std::pair<double, std::size_t>> seen;  // value, line
    auto position = [&](std::size_t r, std::size_t c) -> std::optional<std::size_t> {
      const CellValue v = parse_number(vt.cell(r, c));
      if (v.kind != CellKind::number || v.value < 1 || v.value != std::floor(v.value) ||
          v.value > static_cast<double>(table.rows())) {
        problems.push_back(
            {vt.where(r, c), fmt::format("'{}' is not a data row of {} (1 to {})", vt.cell(r, c),
                                         table.source(), table.rows())});
        return std::nullopt;
      }
      return static_cast<std::size_t>(v.value) - 1;
    };
    for (std::size_t r = 0; r < vt.rows(); ++r) {
      const auto first = position(r, rc);
      const auto second = position(r, cc);
      const CellValue v = parse_number(vt.cell(r, vc));
      if (v.kind != CellKind::number) {
        problems.push_back({vt.where(r, vc),
                            fmt::format("'{}' is not a number (column 'value')", vt.cell(r, vc))});
        continue;
      }
      if (!first || !second) continue;
      const std::uint64_t key =
          std::min(*first, *second) * table.rows() + std::max(*first, *second);
      auto [it, added] = seen.try_emplace(key, v.value, vt.line(r));
      if (!added) {
        if (it->second.first != v.value) {
          problems.push_back(
              {vt.where(r, vc),
               fmt::format("rows {} and {} were given {} on line {}; {} here", *first + 1,
                           *second + 1, it->second.first, it->second.second, v.value)});
        }
        continue;
      }
      if (*first == *second && !(v.value > 0.0)) {
        problems.push_back(
            {vt.where(r, vc),
             fmt::format("the variance of row {} must be positive, not {}", *first + 1, v.value)});
        continue;
      }
      const std::size_t i = estimate_of[*first];
      const std::size_t j = estimate_of[*second];
      if (i == k || j == k) continue;  // a row left out of the analysis
      if (i == j) {
        data.vi[i] = v.value;
      } else if (v.value != 0.0) {
        covariances.push_back({i, j, v.value});
      }
    }
    if (!problems.empty()) throw InputError(std::move(problems));
  }

  MultilevelData d;
  d.yi = data.yi;
  d.vi = data.vi;
  d.covariances = covariances;
  d.x = md.design.view();
  d.components = components;
  MultilevelOptions options;
  options.method = spec.fit.method;
  options.test = spec.fit.test;
  options.level = spec.fit.level;
  options.profile = ml.profile && spec.details;
  a.fit = fit_multilevel(d, options);
  if (a.fit.status != MultilevelStatus::ok) {
    std::string where;
    if (a.fit.status == MultilevelStatus::not_positive_definite ||
        a.fit.status == MultilevelStatus::block_too_large) {
      where =
          fmt::format(" (the block of the estimate on line {}, study {}, {} estimates in all)",
                      data.lines[a.fit.bad_row], data.labels[a.fit.bad_row], a.fit.largest_block);
    }
    throw InputError({table.source(), 0, 0}, fmt::format("cannot fit the multilevel model: {}{}",
                                                         describe(a.fit.status), where));
  }
  a.source = table.source();
  a.measure = data.measure;
  a.design = std::move(md.design);

  if (robust_column) {
    LevelIndex index;
    std::vector<std::uint32_t> cluster;
    for (std::size_t i = 0; i < k; ++i)
      cluster.push_back(index(std::string(table.cell(rows[i], *robust_column))));
    if (index.size() <= a.fit.p) {
      throw InputError({"--robust", 0, 0},
                       fmt::format("cluster-robust inference needs more clusters than "
                                   "coefficients: '{}' has {} for {}",
                                   ml.robust, index.size(), a.fit.p));
    }
    a.robust = robust_multilevel(d, a.fit, cluster, ml.small_sample);
    a.robust_cluster = ml.robust;
  }

  // Intercept only: the prediction interval with the summed components (metafor's predict).
  if (a.fit.p == 1 && a.design.columns.front().factors.empty()) {
    Prediction p;
    p.pred = a.fit.beta[0];
    p.se = a.fit.se[0];
    p.ci_lb = a.fit.ci_lb[0];
    p.ci_ub = a.fit.ci_ub[0];
    double total = 0.0;
    for (double s : a.fit.sigma2)
      total += s;
    const double crit = stats::critical_value(spec.fit.level, a.fit.df);
    const double half = crit * std::sqrt(p.se * p.se + total);
    p.pi_lb = p.pred - half;
    p.pi_ub = p.pred + half;
    a.prediction = p;
  }

  const double z = stats::critical_value(spec.fit.level, kNaN);
  for (std::size_t i = 0; i < k; ++i) {
    const double half = z * std::sqrt(data.vi[i]);
    a.studies.push_back({data.labels[i], data.lines[i], data.yi[i], data.vi[i], a.fit.weight[i],
                         data.yi[i] - half, data.yi[i] + half});
  }
  a.diagnostics = data.diagnostics;
  for (std::size_t j = 0; j < a.fit.held.size(); ++j) {
    if (!a.fit.held[j]) continue;
    a.diagnostics.push_back({DiagnosticCode::method_not_applicable,
                             fmt::format("the factor {} has a single level: its variance "
                                         "component cannot be estimated and is fixed at 0 (as "
                                         "metafor fixes it)",
                                         a.sigma2_names[j]),
                             ""});
  }
  if (a.fit.termination == Termination::max_iterations) {
    a.diagnostics.push_back({DiagnosticCode::not_converged,
                             fmt::format("the variance components did not converge in {} "
                                         "iterations",
                                         a.fit.iterations),
                             ""});
  }
  return a;
}

}  // namespace evident
