#include "evident/methods/multilevel.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>
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

// A level's sort key: numbers before text, numbers by value (as R orders a numeric factor),
// text by its bytes.
bool level_before(const std::string& a, const std::string& b) {
  const CellValue x = parse_number(a);
  const CellValue y = parse_number(b);
  const bool xn = x.kind == CellKind::number;
  const bool yn = y.kind == CellKind::number;
  if (xn != yn) return xn;
  if (xn && x.value != y.value) return x.value < y.value;
  return a < b;
}

// The correlated random effect of the inner factor's levels within the outer one. The inner
// levels are sorted (for AR and HAR the order is time's: numbers by value), so G's rows and
// metafor's agree; `names` gets them in that order.
StructuredComponent structured_component(const StudyTable& table,
                                         const std::vector<std::size_t>& rows,
                                         std::size_t inner_column, std::size_t outer_column,
                                         Structure structure, std::vector<std::string>& names) {
  StructuredComponent sc;
  sc.structure = structure;
  names.clear();
  for (std::size_t r : rows)
    names.emplace_back(table.cell(r, inner_column));
  std::sort(names.begin(), names.end(), level_before);
  names.erase(std::unique(names.begin(), names.end()), names.end());
  std::unordered_map<std::string, std::uint32_t> position;
  for (std::size_t l = 0; l < names.size(); ++l)
    position.emplace(names[l], static_cast<std::uint32_t>(l));
  LevelIndex outer;
  for (std::size_t r : rows) {
    sc.inner.push_back(position.at(std::string(table.cell(r, inner_column))));
    sc.outer.push_back(outer(std::string(table.cell(r, outer_column))));
  }
  sc.inner_levels = static_cast<std::uint32_t>(names.size());
  sc.outer_levels = outer.size();
  return sc;
}

}  // namespace

RandomFormula parse_random_formula(const std::string& text, const std::string& option) {
  auto fail = [&](std::string_view why) {
    throw InputError({option, 0, 0},
                     fmt::format("'{}' is not a random-effects formula: {} (expected '~ 1 | "
                                 "cluster', '~ 1 | outer/inner' or '~ inner | outer', as "
                                 "metafor's random)",
                                 text, why));
  };
  std::string_view s = trim_spaces(text);
  if (s.empty() || s.front() != '~') fail("it must start with ~");
  s = trim_spaces(s.substr(1));
  const auto bar = s.find('|');
  if (bar == std::string_view::npos) fail("it has no |");
  const std::string_view inner = trim_spaces(s.substr(0, bar));
  if (inner.empty()) fail("the term before | is empty (1, or the inner factor of a struct)");
  std::string_view rest = trim_spaces(s.substr(bar + 1));
  RandomFormula f;
  if (inner != "1") {
    // `~ inner | outer`: correlated random effects of inner's levels within outer (a struct).
    if (inner.find_first_of("|~+*:()/ ") != std::string_view::npos) {
      fail(fmt::format("the inner term '{}' is neither 1 nor a column name", inner));
    }
    if (rest.find('/') != std::string_view::npos) {
      fail(
          fmt::format("'~ {} | {}': a correlated random effect has one outer factor, not a "
                      "nesting",
                      inner, rest));
    }
    f.inner = inner;
  }
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
  std::optional<std::size_t> structured;  // the formula `~ inner | outer`
  std::size_t inner_column = 0;
  for (std::size_t f = 0; f < formulas.size(); ++f) {
    std::vector<std::size_t> cols;
    for (const std::string& factor : formulas[f].factors)
      cols.push_back(need("--random", factor));
    factor_columns.push_back(std::move(cols));
    if (!formulas[f].structured()) continue;
    if (structured) {
      throw InputError({"--random", 0, 0},
                       fmt::format("'{}' and '{}' are both correlated random effects; evident "
                                   "fits one struct per model",
                                   ml.random[*structured], ml.random[f]));
    }
    structured = f;
    inner_column = need("--random", formulas[f].inner);
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
    if (formulas[f].structured()) continue;
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
  StructuredComponent sc;
  if (structured) {
    sc = structured_component(table, rows, inner_column, factor_columns[*structured].front(),
                              ml.structure, a.inner_levels);
    sc.name =
        fmt::format("{} | {}", formulas[*structured].inner, formulas[*structured].factors.front());
    a.structure = ml.structure;
    a.inner = formulas[*structured].inner;
    a.structured_outer = formulas[*structured].factors.front();
    a.structured_outer_levels = sc.outer_levels;
    // The fit holds G (inner levels squared) and the information of every parameter (their
    // number squared) densely: limits that keep both small, far beyond what a struct in a
    // meta-analysis has, and refuse input that would exhaust the memory.
    constexpr std::size_t kMaxInnerLevels = 2000;
    constexpr std::size_t kMaxParameters = 100;
    const std::size_t parameters = structure_tau2_count(ml.structure, sc.inner_levels) +
                                   structure_rho_count(ml.structure, sc.inner_levels);
    if (sc.inner_levels > kMaxInnerLevels || parameters > kMaxParameters) {
      throw InputError(
          {"--random", 0, 0},
          fmt::format("'{}' with --struct {}: the inner factor {} has {} levels, which makes {} "
                      "variances and correlations (at most {} levels and {} parameters)",
                      ml.random[*structured], structure_name(ml.structure), a.inner,
                      sc.inner_levels, parameters, kMaxInnerLevels, kMaxParameters));
    }
    if (sc.inner_levels < 2) {
      throw InputError({"--random", 0, 0},
                       fmt::format("'{}': the inner factor {} has a single level, so there is "
                                   "nothing to correlate; use '~ 1 | {}'",
                                   ml.random[*structured], a.inner, a.structured_outer));
    }
  } else if (ml.structure != Structure::CS) {
    throw InputError({"--struct", 0, 0},
                     fmt::format("--struct {} is the structure of a correlated random effect "
                                 "'~ inner | outer', which no --random formula has",
                                 structure_name(ml.structure)));
  }
  a.outer = formulas.front().factors.front();
  std::unordered_map<std::string_view, std::size_t> estimates_in;
  for (std::size_t i = 0; i < k; ++i)
    a.clusters.emplace_back(table.cell(rows[i], factor_columns.front().front()));
  for (const std::string& c : a.clusters) {
    if (++estimates_in[c] == 2) ++a.clusters_with_several;
  }
  a.n_clusters = estimates_in.size();

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
  if (structured) d.structured = &sc;
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

  if (a.fit.tau2.size() <= 1) {
    a.total_variance = 0.0;
    for (double s : a.fit.sigma2)
      a.total_variance += s;
    for (double t : a.fit.tau2)
      a.total_variance += t;
  }

  // Intercept only: the prediction interval with the summed components (metafor's predict),
  // a structure's one tau2 among them; with a tau2 per level it depends on the level, and is
  // left out (NaN; metafor's predict gives one per level then).
  if (a.fit.p == 1 && a.design.columns.front().factors.empty()) {
    Prediction p;
    p.pred = a.fit.beta[0];
    p.se = a.fit.se[0];
    p.ci_lb = a.fit.ci_lb[0];
    p.ci_ub = a.fit.ci_ub[0];
    const double crit = stats::critical_value(spec.fit.level, a.fit.df);
    const double half = crit * std::sqrt(p.se * p.se + a.total_variance);
    p.pi_lb = p.pred - half;  // NaN with a tau2 per level
    p.pi_ub = p.pred + half;
    a.prediction = p;
    // I2 (Nakagawa & Santos 2012, eq. 20): the summed components against the typical sampling
    // variance of Higgins & Thompson (2002, eq. 9) from the diagonal of V, as for the univariate
    // model. With a tau2 per level the total depends on the level, as the prediction does.
    if (std::isfinite(a.total_variance) && k > 1) {
      double sw = 0.0, sw2 = 0.0;
      for (std::size_t i = 0; i < k; ++i) {
        const double w = 1.0 / data.vi[i];
        sw += w;
        sw2 += w * w;
      }
      a.vt = static_cast<double>(k - 1) / (sw - sw2 / sw);
      a.I2 = 100.0 * a.total_variance / (a.total_variance + a.vt);
    }
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
  if (!a.fit.rho.empty() &&
      std::all_of(a.fit.rho.begin(), a.fit.rho.end(), [](double r) { return std::isnan(r); })) {
    a.diagnostics.push_back({DiagnosticCode::not_estimable,
                             "every tau^2 of the structure is 0, so its correlations are not "
                             "identified (any rho gives the same likelihood) and are reported "
                             "as null",
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

Analysis pooled_analysis(const MultilevelAnalysis& m) {
  assert(m.prediction);
  const MultilevelFit& f = m.fit;
  Analysis a;
  a.source = m.source;
  a.measure = m.measure;
  a.fit.method = f.method;
  a.fit.test = f.test;
  a.fit.level = f.level;
  a.fit.k = f.k;
  a.fit.p = 1;
  a.fit.estimate = f.beta[0];
  a.fit.se = f.se[0];
  a.fit.stat = f.stat[0];
  a.fit.df = f.df;
  a.fit.pval = f.pval[0];
  a.fit.ci_lb = f.ci_lb[0];
  a.fit.ci_ub = f.ci_ub[0];
  a.fit.tau2 = m.total_variance;
  a.fit.tau2_se = kNaN;
  a.fit.Q = f.QE;
  a.fit.Q_df = f.QE_df;
  a.fit.Q_p = f.QE_p;
  a.fit.I2 = m.I2;
  a.fit.vt = m.vt;
  a.fit.H2 = std::isfinite(m.I2) ? 100.0 / (100.0 - m.I2) : kNaN;
  a.fit.termination = f.termination;
  a.fit.iterations = f.iterations;
  a.prediction = *m.prediction;
  a.studies = m.studies;
  a.diagnostics = m.diagnostics;
  return a;
}

}  // namespace evident
