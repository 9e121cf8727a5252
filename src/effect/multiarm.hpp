#pragma once
// Multi-arm trials: rows of one trial that compare different arms with the same control arm.
// Pooled as they are, the control's participants would count once per row (Cochrane Handbook,
// section 23.3.4). Internal to the effect readers.

#include <array>
#include <cstddef>
#include <string>
#include <vector>

#include "effect/rows.hpp"

namespace evident::detail {

/// The kind of data an arm holds, which decides how arms combine and how a control splits.
enum class ArmKind {
  counts,  ///< events, participants
  means,   ///< mean, SD, participants
  rates,   ///< events, person-time
};

/// One row's experimental and control arm.
struct ArmPair {
  std::size_t row = 0;            ///< source row (the first row, for a combined trial)
  std::array<double, 3> treat{};  ///< counts: {events, n}; means: {mean, sd, n}; rates: {events, t}
  std::array<double, 3> control{};
  std::string label;  ///< when not empty, the study label to show (a combined trial's id)
};

/// Groups rows that share a control arm: rows with the same `trial` cell (their control data
/// must then be identical, else a problem is recorded), or without a `trial` column, rows with
/// the same study label and identical control data. Each group is combined into one row or its
/// control split, as `mode` says; `out` receives the report and one diagnostic per trial.
/// Rows that share nothing are returned unchanged, in input order.
/// With `options.multiarm_within`, combining merges only the arms of a trial with the same value
/// in that column (EffectOptions::multiarm_within).
std::vector<ArmPair> resolve_shared_controls(std::vector<ArmPair> pairs, ArmKind kind,
                                             const EffectOptions& options, RowReader& rows,
                                             EffectData& out);

}  // namespace evident::detail
