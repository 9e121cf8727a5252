#pragma once
/// \file
/// Effect sizes and sampling variances from study-level data (metafor's escalc).

#include <array>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "evident/effect/diagnostic.hpp"
#include "evident/effect/measure.hpp"
#include "evident/io/columns.hpp"
#include "evident/io/table.hpp"

namespace evident {

/// Which studies of a 2x2 table or proportion get `add` added to their cells (escalc's `to`).
enum class ZeroCellRule {
  only0,   ///< only studies with a zero cell (metafor's default)
  all,     ///< every study
  if0all,  ///< every study, if any study has a zero cell
  none,    ///< never
};

/// What to do with several rows of one trial that compare different arms with one shared control
/// arm (rows with the same `trial`, or the same `study` label and identical control data).
/// Pooling them as they are would count the control's participants once per row.
enum class MultiArm {
  automatic,  ///< combine, and say in the diagnostics that this was the default
  combine,    ///< combine the experimental arms into one (Cochrane Handbook 6.5.2.10, table 6.5.a)
  split,  ///< keep the comparisons, each with an equal share of the control arm (Handbook 23.3.4)
};

/// Scale of the estimates and confidence bounds in generic input (conv.wald's `transf`).
enum class EstimateTransform {
  none,  ///< as given: already on the analysis scale
  log,   ///< ratios (OR, RR, HR, ...): their logs are analysed
};

/// Every value of the options above, in the order help texts list them, and their names as
/// escalc and the command line spell them (only0, all, if0all, none; auto, combine, split; none,
/// log).
inline constexpr ZeroCellRule kZeroCellRules[] = {ZeroCellRule::only0, ZeroCellRule::all,
                                                  ZeroCellRule::if0all, ZeroCellRule::none};
inline constexpr MultiArm kMultiArms[] = {MultiArm::automatic, MultiArm::combine, MultiArm::split};
inline constexpr EstimateTransform kEstimateTransforms[] = {EstimateTransform::none,
                                                            EstimateTransform::log};
[[nodiscard]] std::string_view zero_cell_rule_name(ZeroCellRule r) noexcept;
[[nodiscard]] std::string_view multiarm_name(MultiArm m) noexcept;
[[nodiscard]] std::string_view estimate_transform_name(EstimateTransform t) noexcept;

struct EffectOptions {
  Measure measure = Measure::GEN;
  /// Added to the cells of 2x2 tables, proportions and incidence counts as `to` says. metafor's
  /// default is 1/2, except for PAS, PFT, IRSD, IRS and IRFT where it is 0 (their
  /// transformations handle zero counts).
  double add = 0.5;
  ZeroCellRule to = ZeroCellRule::only0;
  /// escalc's drop00: a 2x2 table with no events in either group (or only events), or two
  /// incidence rates with no events, gets no effect size. Off by default, as in escalc; the
  /// Mantel-Haenszel and Peto analyses turn it on, as rma.mh and rma.peto do.
  bool drop00 = false;
  /// Rows of one trial sharing a control arm (2x2 tables, two-group means, incidence rates).
  MultiArm multiarm = MultiArm::automatic;
  /// Generic input: the scale of `yi`, `ci_lb` and `ci_ub` (conv.wald's `transf`).
  EstimateTransform transf = EstimateTransform::none;
  /// A column whose values separate the arms of one trial (a subgroup analysis by an arm-level
  /// variable): `combine` merges only the arms with the same value, so each subgroup compares its
  /// own arms with the control; `split` shares the control out among all the trial's arms as
  /// always. Empty: none. Set by the subgroup analysis, not a user option.
  std::string multiarm_within;

  bool operator==(const EffectOptions&) const = default;
};

/// One trial whose rows share a control arm, and what was done with it.
struct SharedControl {
  std::string trial;               ///< the trial id (`trial` column, else the study label)
  std::vector<std::string> arms;   ///< the labels of its rows, in input order
  std::vector<std::size_t> lines;  ///< their source lines
};

/// Multi-arm trials found in the input; present only when there was at least one.
struct MultiArmReport {
  MultiArm mode = MultiArm::combine;  ///< combine or split (never automatic)
  bool by_default = false;            ///< true when no --multiarm was given
  std::vector<SharedControl> trials;
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
  /// Per study, the counts as given (before any zero-cell correction): `ai bi ci di` for 2x2
  /// tables, `x1i t1i x2i t2i` for two incidence rates; empty for other shapes. The
  /// Mantel-Haenszel and Peto fitters work on these.
  std::vector<std::array<double, 4>> counts;
  /// Trials with a shared control arm, if any.
  std::optional<MultiArmReport> multiarm;
  /// Generic input given as ratios (--transf log): yi are their logs.
  EstimateTransform transf = EstimateTransform::none;

  /// Number of studies. With `drop00`, a table without an effect size keeps its counts and has
  /// NaN in yi and vi: it takes part in the Mantel-Haenszel and Peto sums only.
  [[nodiscard]] std::size_t k() const noexcept { return yi.size(); }
  /// Number of studies with an effect size (finite yi).
  [[nodiscard]] std::size_t k_yi() const noexcept;

  /// Appends study `i` of `from`, with every per-study field (yi, vi, label, line, ni, counts),
  /// so code that selects or merges studies never forgets one. Both must have the same measure.
  void append_study(const EffectData& from, std::size_t i);
};

/// Computes yi and vi with escalc's formulas and defaults (large-sample variances, `vtype = "LS"`).
/// With Measure::GEN the table must have `yi` and, per row, `vi`, `sei`, a confidence interval
/// (`ci_lb`, `ci_ub`) or a p-value (`pval`) or test statistic (`zval`) (metafor's conv.wald).
/// Two-group means may give, per group, a median with quartiles and/or range instead of the mean
/// and SD (`median1i q1_1i q3_1i min1i max1i`, the same with 2; metafor's conv.fivenum).
///
/// Throws InputError naming file, line and column for: a missing column the measure needs, text
/// where a number belongs, a negative variance, SD or count, a group size below what the variance
/// needs, more events than participants, a proportion outside [0, 1], |r| >= 1, or no usable
/// study at all. A missing value (empty cell or NA) is not an error: the row is left out and a
/// diagnostic names it.
[[nodiscard]] EffectData compute_effects(const StudyTable& table, const EffectOptions& options);

/// The same from columns in memory (io/columns.hpp): `compute_effects(table_from_columns(c),
/// options)`. Thread-safe, as every function of the core.
[[nodiscard]] EffectData compute_effects(const StudyColumns& columns, const EffectOptions& options);

/// The names of the study-level columns the measures read (metafor's argument names: yi, vi,
/// sei, ai, bi, ci, di, n1i, n2i, m1i, sd1i, ..., and study, trial): for a front end that tells
/// a column from an option by its name (Python's escalc(df, ai="tpos", measure="OR")).
[[nodiscard]] std::span<const std::string_view> study_column_names() noexcept;

/// `add` as escalc's default for the measure: 0 for PAS, PFT, IRSD, IRS and IRFT, 1/2 otherwise.
[[nodiscard]] double default_add(Measure m) noexcept;

}  // namespace evident
