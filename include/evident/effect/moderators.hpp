#pragma once
/// \file
/// Moderators: the design matrix of a meta-regression built from columns of the study table, as
/// R's model.matrix builds it for metafor's `mods = ~ ...` (treatment coding, interactions).

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "evident/effect/design.hpp"
#include "evident/effect/effect.hpp"
#include "evident/io/table.hpp"

namespace evident {

/// The moderators of a model, as a user names them.
struct ModeratorSpec {
  /// Terms in order: `col` (numeric when every value is a number, otherwise categorical),
  /// `factor(col)` (categorical even when the values are numbers), `a:b` (interaction: the
  /// product of the columns of a and b), `a*b` (short for a, b and a:b; `a*b*c` gives every
  /// main effect and interaction, main effects first, as R's formulas). As in R's formulas, an
  /// item may hold several terms joined by '+', the first may begin with '~', and `- 1` or `0`
  /// removes the intercept (`outcome - 1`: one coefficient per level of outcome). Terms are
  /// ordered by degree and coded as R's model.matrix codes them.
  std::vector<std::string> terms;
  /// Reference level of categorical columns, {column, level}; by default the first level in
  /// sorted order (byte order, which is R's factor() order in the C locale; numbers numerically).
  std::vector<std::pair<std::string, std::string>> reference;
};

/// A column of the table used by the model.
struct ModeratorVariable {
  std::string column;  ///< name in the table
  std::string label;   ///< as named in coefficient names: `col`, or `factor(col)`
  bool categorical = false;
  /// Categorical: every level, the reference first, then the others in sorted order.
  std::vector<std::string> levels;
};

/// A column of the design matrix: the product of one factor per variable it involves (the value
/// of a numeric variable, or the indicator of one level of a categorical one). The intercept has
/// none.
struct DesignColumn {
  /// metafor's coefficient name: `intrcpt`, `ablat`, `allocrandom`, `ablat:allocrandom`.
  std::string name;
  /// {variable index, level index}; the level index is ignored for numeric variables.
  std::vector<std::pair<std::size_t, std::size_t>> factors;
};

/// The design matrix with the data it was built for.
struct Design {
  std::vector<ModeratorVariable> variables;
  std::vector<DesignColumn> columns;  ///< the intercept first, when the model has one
  std::vector<double> x;              ///< k x p, row by row

  [[nodiscard]] std::size_t p() const noexcept { return columns.size(); }
  [[nodiscard]] DesignView view() const noexcept { return {x, columns.size()}; }

  /// Whether the categorical variable `v` has a reference level: false when some column holds
  /// an indicator of its first level (`outcome - 1`, or a factor whose margin is absent), so no
  /// level is absorbed by the others.
  [[nodiscard]] bool has_reference(std::size_t v) const noexcept {
    for (const DesignColumn& c : columns) {
      for (const auto& [var, level] : c.factors) {
        if (var == v && level == 0) return false;
      }
    }
    return true;
  }

  /// The design row for one point: `values` gives each variable's value by column name (a
  /// number, or a level). Throws InputError (located at `option`) if a variable is missing, a
  /// number does not parse, a level is unknown, or a name is not a moderator.
  [[nodiscard]] std::vector<double> row(
      const std::vector<std::pair<std::string, std::string>>& values,
      const std::string& option) const;
};

/// Effect sizes restricted to the studies with every moderator present, and their design.
struct ModeratedData {
  EffectData data;
  Design design;
};

/// Builds the design matrix of `spec` for the studies of `data` (computed from `table`). A study
/// with a missing moderator value (empty or NA) is left out, with a row_excluded_missing
/// diagnostic, as metafor does. A column that is a linear combination of the columns before it
/// (for example a level that never occurs, or a moderator that is constant) is dropped with a
/// moderator_dropped diagnostic, as R's lm and metafor drop redundant predictors (relative
/// tolerance 1e-7 on the residual norm, R's qr tolerance).
///
/// Throws InputError for: an unknown column (with the closest column name), an empty term, a
/// reference level that does not occur, a term repeated, and when no study is left.
[[nodiscard]] ModeratedData build_design(const StudyTable& table, EffectData data,
                                         const ModeratorSpec& spec);

/// The table row of each study of `data` (rows left out by compute_effects have none), found by
/// source line.
[[nodiscard]] std::vector<std::size_t> table_rows(const StudyTable& table, const EffectData& data);

/// The index of the column `name`; throws InputError saying that `option` names a column the
/// file does not have, with the closest existing name when one is within two edits.
[[nodiscard]] std::size_t find_column_or_throw(const StudyTable& table, const std::string& name,
                                               const std::string& option);

/// Keeps the studies of `data` for which `keep[i]` is true (every per-study vector).
[[nodiscard]] EffectData subset(const EffectData& data, const std::vector<bool>& keep);

}  // namespace evident
