#pragma once
// What `evident fit` runs when it is asked why studies differ: a meta-regression (--mods, --ref,
// --predict, --permutations, --seed) or a subgroup analysis (--subgroup, --subgroup-tau2), as
// the moderator parameters (evident/methods/parameters.hpp) describe it.

#include <iosfwd>

#include "evident/io/table.hpp"
#include "evident/methods/parameters.hpp"
#include "evident/methods/summary.hpp"
#include "evident/report/report.hpp"

namespace evident::cli {

/// Runs the meta-regression or subgroup analysis the settings ask for and renders it. Throws
/// InputError for a model that needs yi and vi with MH or PETO, and for bad input.
int run_moderator_analysis(const ModeratorSettings& settings, const StudyTable& table,
                           const AnalysisSpec& spec, const Renderer& format, std::ostream& out);

}  // namespace evident::cli
