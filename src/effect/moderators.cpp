// The design matrix of a meta-regression from columns of the study table, following R's
// model.matrix with treatment contrasts (the coding metafor's `mods = ~ ...` uses): an intercept,
// one column per numeric moderator, one indicator per non-reference level of a categorical one,
// and for an interaction the products of its variables' columns, the first variable varying
// fastest (Chambers & Hastie 1992, Statistical Models in S, ch. 2).

#include "evident/effect/moderators.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

namespace evident {

namespace {

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t at = s.find(sep, start);
    parts.push_back(
        std::string(trim_spaces(s.substr(start, at == std::string_view::npos ? at : at - start))));
    if (at == std::string_view::npos) break;
    start = at + 1;
  }
  return parts;
}

// A variable as written in a term: `col` or `factor(col)`.
struct VariableRef {
  std::string label;
  std::string column;
  bool forced_factor = false;
};

VariableRef parse_variable(const std::string& text, const std::string& term) {
  VariableRef v;
  v.label = text;
  v.column = text;
  constexpr std::string_view kFactor = "factor(";
  if (text.size() > kFactor.size() + 1 && text.compare(0, kFactor.size(), kFactor) == 0 &&
      text.back() == ')') {
    v.column = std::string(trim_spaces(
        std::string_view(text).substr(kFactor.size(), text.size() - kFactor.size() - 1)));
    v.forced_factor = true;
  }
  if (v.column.empty()) {
    throw InputError({"--mods", 0, 0}, fmt::format("empty moderator name in term '{}'", term));
  }
  return v;
}

// A model formula as R reads it (Chambers & Hastie 1992, ch. 2): terms separated by ',' or
// '+', an optional leading '~', and the intercept removed by '- 1' or '0' (kept by '1').
struct Formula {
  std::vector<std::vector<VariableRef>> terms;
  bool intercept = true;
};

// `text` ends in "- 1" (spaces allowed); the rest is put in `rest`.
bool strip_minus_one(std::string_view text, std::string& rest) {
  text = trim_spaces(text);
  if (text.empty() || text.back() != '1') return false;
  std::string_view head = trim_spaces(text.substr(0, text.size() - 1));
  if (head.empty() || head.back() != '-') return false;
  rest = std::string(trim_spaces(head.substr(0, head.size() - 1)));
  return true;
}

// Terms in R's order for `a*b*c`: every subset of the variables, by size, each in the order
// written (a, b, c, a:b, a:c, b:c, a:b:c). A piece that names a column exactly is that column
// (a name may hold '+' or '-').
Formula parse_formula(const std::vector<std::string>& items, const StudyTable& table) {
  Formula f;
  std::vector<std::string> pieces;
  for (std::size_t n = 0; n < items.size(); ++n) {
    std::string item(trim_spaces(items[n]));
    if (n == 0 && !item.empty() && item.front() == '~') item = trim_spaces(item.substr(1));
    if (table.find_column(item)) {
      pieces.push_back(item);
      continue;
    }
    for (std::string& piece : split(item, '+'))
      pieces.push_back(std::move(piece));
  }
  for (std::string& piece : pieces) {
    std::string rest;
    if (!table.find_column(piece) && strip_minus_one(piece, rest)) {
      f.intercept = false;
      if (rest.empty()) continue;
      piece = rest;
    }
    if (piece == "0") {
      f.intercept = false;
      continue;
    }
    if (piece == "1") {
      f.intercept = true;
      continue;
    }
    const std::string term = piece;
    if (term.empty()) throw InputError({"--mods", 0, 0}, "empty term in --mods");
    if (term.find('*') != std::string::npos) {
      std::vector<VariableRef> vars;
      for (const std::string& part : split(term, '*')) {
        if (part.find(':') != std::string::npos) {
          throw InputError(
              {"--mods", 0, 0},
              fmt::format("term '{}': write a*b*c or a:b, not both in one term", term));
        }
        vars.push_back(parse_variable(part, term));
      }
      const std::size_t n = vars.size();
      for (std::size_t size = 1; size <= n; ++size) {
        // subsets of `size` elements in lexicographic order of positions
        std::vector<bool> pick(n, false);
        std::fill(pick.begin(), pick.begin() + static_cast<std::ptrdiff_t>(size), true);
        do {
          std::vector<VariableRef> t;
          for (std::size_t i = 0; i < n; ++i) {
            if (pick[i]) t.push_back(vars[i]);
          }
          f.terms.push_back(std::move(t));
        } while (std::prev_permutation(pick.begin(), pick.end()));
      }
    } else {
      std::vector<VariableRef> t;
      for (const std::string& part : split(term, ':'))
        t.push_back(parse_variable(part, term));
      f.terms.push_back(std::move(t));
    }
  }
  return f;
}

// Levenshtein distance, case-insensitive, for "did you mean" suggestions.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j)
    row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      const bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                        std::tolower(static_cast<unsigned char>(b[j - 1]));
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (same ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

// Level order: numerically when every level is a number, else byte order (R's sort in the C
// locale).
void sort_levels(std::vector<std::string>& levels) {
  const bool numeric = std::all_of(levels.begin(), levels.end(), [](const std::string& s) {
    return parse_number(s).kind == CellKind::number;
  });
  if (numeric) {
    std::stable_sort(levels.begin(), levels.end(), [](const std::string& a, const std::string& b) {
      return parse_number(a).value < parse_number(b).value;
    });
  } else {
    std::sort(levels.begin(), levels.end());
  }
}

// Indices of the columns of X (k x p, row by row) that are not linear combinations of the
// columns before them: modified Gram-Schmidt on the columns, dropping a column whose residual
// norm is at most 1e-7 of its norm (R's qr() default tolerance in lm).
std::vector<std::size_t> independent_columns(const std::vector<double>& x, std::size_t k,
                                             std::size_t p) {
  std::vector<std::vector<double>> basis;
  std::vector<std::size_t> kept;
  for (std::size_t j = 0; j < p; ++j) {
    std::vector<double> col(k);
    double norm2 = 0.0;
    for (std::size_t i = 0; i < k; ++i) {
      col[i] = x[i * p + j];
      norm2 += col[i] * col[i];
    }
    for (const auto& q : basis) {
      double dot = 0.0;
      for (std::size_t i = 0; i < k; ++i)
        dot += q[i] * col[i];
      for (std::size_t i = 0; i < k; ++i)
        col[i] -= dot * q[i];
    }
    double res2 = 0.0;
    for (double c : col)
      res2 += c * c;
    if (norm2 == 0.0 || std::sqrt(res2) <= 1e-7 * std::sqrt(norm2)) continue;
    const double r = std::sqrt(res2);
    for (double& c : col)
      c /= r;
    basis.push_back(std::move(col));
    kept.push_back(j);
  }
  return kept;
}

}  // namespace

std::size_t find_column_or_throw(const StudyTable& table, const std::string& name,
                                 const std::string& option) {
  if (auto c = table.find_column(name)) return *c;
  std::string hint;
  std::size_t best = 3;
  for (const auto& col : table.column_names()) {
    const std::size_t d = edit_distance(col, name);
    if (d < best) {
      best = d;
      hint = fmt::format(" (did you mean '{}'?)", col);
    }
  }
  throw InputError(
      {table.source(), 1, 0},
      fmt::format("{} names the column '{}', which the file does not have{}", option, name, hint));
}

std::vector<std::size_t> table_rows(const StudyTable& table, const EffectData& data) {
  std::unordered_map<std::size_t, std::size_t> by_line;
  for (std::size_t r = 0; r < table.rows(); ++r)
    by_line.emplace(table.line(r), r);
  std::vector<std::size_t> rows(data.k());
  for (std::size_t i = 0; i < data.k(); ++i)
    rows[i] = by_line.at(data.lines[i]);
  return rows;
}

EffectData subset(const EffectData& data, const std::vector<bool>& keep) {
  EffectData out;
  out.measure = data.measure;
  out.diagnostics = data.diagnostics;
  out.transf = data.transf;
  out.multiarm = data.multiarm;
  for (std::size_t i = 0; i < data.k(); ++i) {
    if (keep[i]) out.append_study(data, i);
  }
  return out;
}

ModeratedData build_design(const StudyTable& table, EffectData data, const ModeratorSpec& spec) {
  const Formula formula = parse_formula(spec.terms, table);
  const auto& terms = formula.terms;

  // Variables in order of first appearance; a term is a list of variable indices.
  Design design;
  std::vector<std::size_t> var_column;  // table column of each variable
  std::vector<bool> forced;
  std::vector<std::vector<std::size_t>> term_vars;
  for (const auto& term : terms) {
    std::vector<std::size_t> idx;
    for (const VariableRef& ref : term) {
      std::size_t v = design.variables.size();
      for (std::size_t j = 0; j < design.variables.size(); ++j) {
        if (design.variables[j].label == ref.label) v = j;
      }
      if (v == design.variables.size()) {
        var_column.push_back(find_column_or_throw(table, ref.column, "--mods"));
        design.variables.push_back({ref.column, ref.label, ref.forced_factor, {}});
        forced.push_back(ref.forced_factor);
      }
      if (std::find(idx.begin(), idx.end(), v) != idx.end()) {
        throw InputError({"--mods", 0, 0},
                         fmt::format("the term '{}' names a variable twice", ref.label));
      }
      idx.push_back(v);
    }
    // R's terms(): the variables of a term in the order they first appear in the formula (so
    // `b + a:b` names b:a columns), a:b and b:a the same term, a repeated term (also from a*b
    // plus a) kept once, and terms ordered by degree, main effects first.
    std::sort(idx.begin(), idx.end());
    if (std::find(term_vars.begin(), term_vars.end(), idx) == term_vars.end()) {
      term_vars.push_back(std::move(idx));
    }
  }
  std::stable_sort(term_vars.begin(), term_vars.end(),
                   [](const auto& a, const auto& b) { return a.size() < b.size(); });
  if (term_vars.empty() && !formula.intercept) {
    throw InputError({"--mods", 0, 0},
                     "--mods removes the intercept and names no moderator: the model has no "
                     "coefficient");
  }

  // Studies with every moderator present; the others are left out, as metafor does.
  const std::vector<std::size_t> rows = table_rows(table, data);
  std::vector<bool> keep(data.k(), true);
  std::vector<Diagnostic> excluded;
  for (std::size_t i = 0; i < data.k(); ++i) {
    std::vector<std::string> missing;
    for (std::size_t v = 0; v < design.variables.size(); ++v) {
      if (parse_number(table.cell(rows[i], var_column[v])).kind == CellKind::missing) {
        missing.push_back(design.variables[v].column);
      }
    }
    if (!missing.empty()) {
      keep[i] = false;
      excluded.push_back({DiagnosticCode::row_excluded_missing,
                          fmt::format("{}:{}: study left out of the meta-regression: no value "
                                      "for the moderator {}",
                                      table.source(), data.lines[i], fmt::join(missing, ", ")),
                          data.labels[i]});
    }
  }
  EffectData kept = subset(data, keep);
  kept.diagnostics.insert(kept.diagnostics.end(), excluded.begin(), excluded.end());
  std::vector<std::size_t> kept_rows;
  for (std::size_t i = 0; i < data.k(); ++i) {
    if (keep[i]) kept_rows.push_back(rows[i]);
  }
  const std::size_t k = kept.k();
  if (k == 0) {
    throw InputError({table.source(), 0, 0},
                     "no study has a value for every moderator named in --mods");
  }

  // Numeric or categorical, and the levels.
  for (std::size_t v = 0; v < design.variables.size(); ++v) {
    ModeratorVariable& var = design.variables[v];
    bool numeric = !forced[v];
    for (std::size_t r = 0; numeric && r < kept_rows.size(); ++r) {
      numeric = parse_number(table.cell(kept_rows[r], var_column[v])).kind == CellKind::number;
    }
    var.categorical = !numeric;
    if (numeric) continue;
    // Levels in order of first appearance; a hash set keeps this linear in k (a numeric column
    // read as a factor can have as many levels as studies).
    std::vector<std::string> levels;
    std::unordered_set<std::string> seen;
    for (std::size_t r : kept_rows) {
      std::string cell(trim_spaces(table.cell(r, var_column[v])));
      if (seen.insert(cell).second) levels.push_back(std::move(cell));
    }
    sort_levels(levels);
    for (const auto& [column, level] : spec.reference) {
      if (column != var.column && column != var.label) continue;
      auto it = std::find(levels.begin(), levels.end(), level);
      if (it == levels.end()) {
        throw InputError({"--ref", 0, 0}, fmt::format("'{}' is not a level of '{}' (levels: {})",
                                                      level, column, fmt::join(levels, ", ")));
      }
      std::rotate(levels.begin(), it, it + 1);  // the reference first, the others in order
    }
    var.levels = std::move(levels);
  }
  for (const auto& reference : spec.reference) {
    // Named, not structured, bindings: clang 14 cannot capture the latter in a lambda.
    const auto& column = reference.first;
    const auto& level = reference.second;
    const bool known = std::any_of(
        design.variables.begin(), design.variables.end(), [&](const ModeratorVariable& var) {
          return var.categorical && (var.column == column || var.label == column);
        });
    if (!known) {
      throw InputError(
          {"--ref", 0, 0},
          fmt::format("--ref {}={}: '{}' is not a categorical moderator", column, level, column));
    }
  }

  // Coding of each categorical variable in each term, R's rule (model.matrix; Chambers &
  // Hastie 1992, sec. 2.4.1): contrasts (the levels after the reference) when the term without
  // that variable is in the model (the empty term being the intercept), otherwise an indicator
  // for every level; so `x:a` alone gets every level of a. Without an intercept the first
  // categorical variable of the first term holding one is coded by indicators of every level.
  std::vector<std::vector<bool>> full(term_vars.size());
  for (std::size_t t = 0; t < term_vars.size(); ++t) {
    full[t].assign(term_vars[t].size(), false);
    for (std::size_t n = 0; n < term_vars[t].size(); ++n) {
      std::vector<std::size_t> margin = term_vars[t];
      margin.erase(margin.begin() + static_cast<std::ptrdiff_t>(n));
      const bool present =
          margin.empty()
              ? formula.intercept
              : std::find(term_vars.begin(), term_vars.begin() + static_cast<std::ptrdiff_t>(t),
                          margin) != term_vars.begin() + static_cast<std::ptrdiff_t>(t);
      full[t][n] = !present;
    }
  }
  if (!formula.intercept) {
    bool switched = false;
    for (std::size_t t = 0; t < term_vars.size() && !switched; ++t) {
      for (std::size_t n = 0; n < term_vars[t].size() && !switched; ++n) {
        if (design.variables[term_vars[t][n]].categorical) {
          full[t][n] = true;
          switched = true;
        }
      }
    }
  }

  // Columns: the intercept, then for each term every combination of its variables' columns.
  std::vector<DesignColumn> columns;
  if (formula.intercept) columns.push_back({"intrcpt", {}});
  for (std::size_t t = 0; t < term_vars.size(); ++t) {
    const auto& term = term_vars[t];
    std::vector<std::vector<std::pair<std::size_t, std::size_t>>> combos{{}};
    for (std::size_t n = 0; n < term.size(); ++n) {
      const std::size_t v = term[n];
      const ModeratorVariable& var = design.variables[v];
      std::vector<std::size_t> options;
      if (var.categorical) {
        for (std::size_t l = full[t][n] ? 0 : 1; l < var.levels.size(); ++l)
          options.push_back(l);
      } else {
        options.push_back(0);
      }
      // The first variable varies fastest: extend every existing combination by each option,
      // options in the outer loop.
      std::vector<std::vector<std::pair<std::size_t, std::size_t>>> next;
      for (std::size_t o : options) {
        for (const auto& c : combos) {
          auto e = c;
          e.emplace_back(v, o);
          next.push_back(std::move(e));
        }
      }
      combos = std::move(next);
    }
    for (auto& c : combos) {
      std::string name;
      for (const auto& [v, l] : c) {
        const ModeratorVariable& var = design.variables[v];
        if (!name.empty()) name += ':';
        name += var.label;
        if (var.categorical) name += var.levels[l];
      }
      columns.push_back({std::move(name), std::move(c)});
    }
  }

  // Values.
  const std::size_t p_all = columns.size();
  std::vector<double> x(k * p_all);
  for (std::size_t i = 0; i < k; ++i) {
    for (std::size_t j = 0; j < p_all; ++j) {
      double value = 1.0;
      for (const auto& [v, l] : columns[j].factors) {
        const ModeratorVariable& var = design.variables[v];
        const std::string cell(trim_spaces(table.cell(kept_rows[i], var_column[v])));
        value *= var.categorical ? (cell == var.levels[l] ? 1.0 : 0.0) : parse_number(cell).value;
      }
      x[i * p_all + j] = value;
    }
  }

  // Redundant columns are dropped, as R's lm and metafor do.
  const std::vector<std::size_t> kept_cols = independent_columns(x, k, p_all);
  if (kept_cols.size() < p_all) {
    std::vector<std::string> dropped;
    for (std::size_t j = 0; j < p_all; ++j) {
      if (std::find(kept_cols.begin(), kept_cols.end(), j) == kept_cols.end()) {
        dropped.push_back(columns[j].name);
      }
    }
    kept.diagnostics.push_back(
        {DiagnosticCode::moderator_dropped,
         fmt::format("redundant moderator column{} dropped (a combination of the columns before "
                     "it): {}",
                     dropped.size() > 1 ? "s" : "", fmt::join(dropped, ", ")),
         {}});
  }
  const std::size_t p = kept_cols.size();
  design.x.resize(k * p);
  for (std::size_t i = 0; i < k; ++i) {
    for (std::size_t j = 0; j < p; ++j)
      design.x[i * p + j] = x[i * p_all + kept_cols[j]];
  }
  for (std::size_t j : kept_cols)
    design.columns.push_back(columns[j]);
  return {std::move(kept), std::move(design)};
}

std::vector<double> Design::row(const std::vector<std::pair<std::string, std::string>>& values,
                                const std::string& option) const {
  // The value of each variable, by column name or label.
  std::vector<std::optional<std::string>> given(variables.size());
  for (const auto& [name, value] : values) {
    bool found = false;
    for (std::size_t v = 0; v < variables.size(); ++v) {
      if (variables[v].column == name || variables[v].label == name) {
        given[v] = trim_spaces(value);
        found = true;
      }
    }
    if (!found) {
      throw InputError({option, 0, 0},
                       fmt::format("{}: '{}' is not a moderator of the model", option, name));
    }
  }
  std::vector<std::string> missing;
  for (std::size_t v = 0; v < variables.size(); ++v) {
    if (!given[v]) missing.push_back(variables[v].column);
  }
  if (!missing.empty()) {
    throw InputError({option, 0, 0},
                     fmt::format("{}: give a value for every moderator; missing: {}", option,
                                 fmt::join(missing, ", ")));
  }
  std::vector<double> numeric(variables.size(), 0.0);
  std::vector<std::size_t> level(variables.size(), 0);
  for (std::size_t v = 0; v < variables.size(); ++v) {
    const ModeratorVariable& var = variables[v];
    if (var.categorical) {
      auto it = std::find(var.levels.begin(), var.levels.end(), *given[v]);
      if (it == var.levels.end()) {
        throw InputError({option, 0, 0},
                         fmt::format("{}: '{}' is not a level of '{}' (levels: {})", option,
                                     *given[v], var.column, fmt::join(var.levels, ", ")));
      }
      level[v] = static_cast<std::size_t>(it - var.levels.begin());
    } else {
      const CellValue c = parse_number(*given[v]);
      if (c.kind != CellKind::number) {
        throw InputError({option, 0, 0}, fmt::format("{}: '{}' is not a number (moderator '{}')",
                                                     option, *given[v], var.column));
      }
      numeric[v] = c.value;
    }
  }
  std::vector<double> out(columns.size(), 1.0);
  for (std::size_t j = 0; j < columns.size(); ++j) {
    for (const auto& [v, l] : columns[j].factors) {
      out[j] *= variables[v].categorical ? (level[v] == l ? 1.0 : 0.0) : numeric[v];
    }
  }
  return out;
}

}  // namespace evident
