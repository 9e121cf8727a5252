#pragma once
/// \file
/// Effect sizes and sampling variances from study-level data (metafor's escalc).

#include <cstddef>
#include <string>
#include <vector>

#include "evident/diagnostic.hpp"
#include "evident/measure.hpp"
#include "evident/table.hpp"

namespace evident {

/// Which studies of a 2x2 table or proportion get `add` added to their cells (escalc's `to`).
enum class ZeroCellRule {
  only0,   ///< only studies with a zero cell (metafor's default)
  all,     ///< every study
  if0all,  ///< every study, if any study has a zero cell
  none,    ///< never
};

struct EffectOptions {
  Measure measure = Measure::GEN;
  /// Added to the cells of 2x2 tables and proportions as `to` says. metafor's default is 1/2,
  /// except for PAS and PFT where it is 0 (their transformations handle zero counts).
  double add = 0.5;
  ZeroCellRule to = ZeroCellRule::only0;
};

/// Per-study effect sizes, ready to be fitted. Rows of the table that lack a value the measure
/// needs are left out, each with a diagnostic naming it.
struct EffectData {
  Measure measure = Measure::GEN;
  std::vector<double> yi;               ///< observed effect sizes
  std::vector<double> vi;               ///< sampling variances
  std::vector<std::string> labels;      ///< study labels (the `study` column, else the row number)
  std::vector<std::size_t> lines;       ///< source line of each study
  std::vector<double> ni;               ///< total sample size, NaN where the measure has none
  std::vector<Diagnostic> diagnostics;  ///< rows left out, zero cells corrected, ...

  [[nodiscard]] std::size_t k() const noexcept { return yi.size(); }
};

/// Computes yi and vi with escalc's formulas and defaults (large-sample variances, `vtype = "LS"`).
/// With Measure::GEN the table must have `yi` and either `vi` or `sei`.
///
/// Throws InputError naming file, line and column for: a missing column the measure needs, text
/// where a number belongs, a negative variance, SD or count, a group size below what the variance
/// needs, more events than participants, a proportion outside [0, 1], |r| >= 1, or no usable
/// study at all. A missing value (empty cell or NA) is not an error: the row is left out and a
/// diagnostic names it.
[[nodiscard]] EffectData compute_effects(const StudyTable& table, const EffectOptions& options);

/// `add` as escalc's default for the measure: 0 for PAS and PFT, 1/2 otherwise.
[[nodiscard]] double default_add(Measure m) noexcept;

}  // namespace evident
