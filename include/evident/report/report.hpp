#pragma once
/// \file
/// Rendering an Analysis: text for people, JSON and CSV for programs. Renderers only format.

#include <iosfwd>
#include <optional>
#include <string_view>

#include "evident/methods/bias.hpp"
#include "evident/methods/moderator_analysis.hpp"
#include "evident/methods/sensitivity.hpp"
#include "evident/methods/summary.hpp"

namespace evident {

enum class Format { text, json, csv };

[[nodiscard]] std::optional<Format> parse_format(std::string_view name) noexcept;

/// A metafor-style summary: model, heterogeneity with Q-profile intervals, Q test, the pooled
/// estimate with its confidence and prediction intervals, and the table of studies.
void render_text(const Analysis& a, std::ostream& out);
/// One JSON object with the keys documented in docs/cli.md (metafor's names and meanings).
void render_json(const Analysis& a, std::ostream& out);
/// A header and one row of the pooled result's scalar values (the JSON keys, flattened).
void render_csv(const Analysis& a, std::ostream& out);

void render(const Analysis& a, Format format, std::ostream& out);

/// Meta-regression: the coefficient table, QM and QE tests, R2, residual heterogeneity,
/// predictions and the permutation test (JSON keys in docs/cli.md; CSV: one row per coefficient).
void render_text(const MetaRegAnalysis& a, std::ostream& out);
void render_json(const MetaRegAnalysis& a, std::ostream& out);
void render_csv(const MetaRegAnalysis& a, std::ostream& out);
void render(const MetaRegAnalysis& a, Format format, std::ostream& out);

/// Subgroup analysis: the overall result, one pooled result per subgroup and the test for
/// subgroup differences (CSV: the overall row, then one row per subgroup).
void render_text(const SubgroupAnalysis& a, std::ostream& out);
void render_json(const SubgroupAnalysis& a, std::ostream& out);
void render_csv(const SubgroupAnalysis& a, std::ostream& out);
void render(const SubgroupAnalysis& a, Format format, std::ostream& out);

/// `evident influence`: leave-one-out, influence diagnostics, cumulative results and Baujat
/// coordinates (CSV: one row per study).
void render_text(const InfluenceAnalysis& a, std::ostream& out);
void render_json(const InfluenceAnalysis& a, std::ostream& out);
void render_csv(const InfluenceAnalysis& a, std::ostream& out);
void render(const InfluenceAnalysis& a, Format format, std::ostream& out);

/// `evident bias`: Egger, Begg, trim-and-fill, fail-safe N, PET-PEESE and funnel plot data
/// (CSV: one row of headline numbers).
void render_text(const BiasAnalysis& a, std::ostream& out);
void render_json(const BiasAnalysis& a, std::ostream& out);
void render_csv(const BiasAnalysis& a, std::ostream& out);
void render(const BiasAnalysis& a, Format format, std::ostream& out);

}  // namespace evident
