#pragma once
/// \file
/// A review's manifest: a folder with a `review.toml` naming the question and, for each outcome,
/// its data, measure, method, direction of benefit, MCID and scale. `read_manifest` checks it
/// (every problem names its key, file, line and column). The format is documented in
/// docs/review.md; running the review is review.hpp.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "evident/io/error.hpp"
#include "evident/methods/summary.hpp"
#include "evident/review/findings.hpp"

namespace evident {

/// The manifest's file name inside a review folder.
inline constexpr const char* kManifestName = "review.toml";

/// The question (PICO).
struct ReviewQuestion {
  std::string population, intervention, comparator;
  std::vector<std::string> outcomes;
};

/// One condition of a row filter: the row's value in `column` equals one of `values` (after
/// trimming spaces; `*` matches any run of characters; "" matches an empty cell).
struct FilterCondition {
  std::string column;
  std::vector<std::string> values;
  std::string key;       ///< the key's path in the manifest, e.g. `outcome[2].where.outcome`
  SourceLocation where;  ///< where the key's value is in the manifest
};

/// A row filter: every condition must hold. An empty filter matches every row. An outcome keeps
/// the rows its `where` filter matches and none of its `exclude` filters match.
struct RowFilter {
  std::vector<FilterCondition> conditions;
  [[nodiscard]] bool empty() const noexcept { return conditions.empty(); }
};

/// A column of the data file under a metafor name (`ai = "events_msc"`).
struct ColumnMapping {
  std::string name;    ///< metafor's name (ai, n1i, m1i, ...)
  std::string column;  ///< the column in the data file
  std::string key;     ///< the key's path in the manifest, e.g. `outcome[2].columns.ai`
  SourceLocation where;
};

enum class OutcomeDesign {
  comparative,  ///< two groups: pooled as a comparison
  single_arm,   ///< one group (case series): described per study, never pooled as a comparison
};

struct OutcomeSpec {
  std::string id;                 ///< short name: [a-z0-9_-]
  std::string name;               ///< as shown in the report
  std::string group;              ///< section of the report ("Safety", "Effectiveness")
  std::vector<std::string> data;  ///< data files, relative to the review folder
  RowFilter where;
  std::vector<RowFilter> exclude;
  std::vector<ColumnMapping> columns;
  std::string label = "{study}";  ///< study label: column names in braces
  SourceLocation label_where;
  OutcomeDesign design = OutcomeDesign::comparative;
  AnalysisSpec analysis;
  Benefit benefit = Benefit::lower;
  std::optional<double> mcid;
  std::string mcid_source;
  std::string scale;  ///< what the numbers measure (units, scale range)
  std::optional<double> control_risk;
  std::string control_risk_source;
  bool randomised = true;
  std::string rob_column = "rob";
  std::string experimental = "Intervention", control = "Control";
  std::optional<Rating> indirectness;
  std::string indirectness_reason;
  std::vector<std::string> notes;
  SourceLocation location;  ///< the outcome's table in the manifest
};

/// A panel of published pooled results shown side by side: rows of the published file chosen by
/// a filter, on one scale, against one MCID.
struct PublishedPanel {
  std::string id, title, scale;
  RowFilter where;
  std::vector<RowFilter> exclude;
  bool log_scale = false;  ///< ratios: drawn on a log axis around 1
  std::optional<double> mcid;
  std::string mcid_source;
  Benefit benefit = Benefit::lower;
  std::string compare_outcome;  ///< id of an outcome pooled here, drawn in the same panel
  std::vector<std::string> notes;
  SourceLocation location;
};

/// Published pooled results (other meta-analyses), shown, never pooled with each other.
struct PublishedSpec {
  std::string data;  ///< relative to the review folder
  std::string label = "{paper}";
  /// Columns of the file, by role: estimate, ci_lb, ci_ub, outcome, timepoint, measure, k, n,
  /// notes, source_url, source_location, model (defaults: published_pooled.csv's names).
  std::map<std::string, std::string> columns;
  std::vector<PublishedPanel> panels;
  std::vector<std::string> notes;
  SourceLocation location;
};

/// A caution about the data, shown where it applies (outcome or panel ids, or "published").
struct Caution {
  std::string text;
  std::vector<std::string> applies_to;
  SourceLocation location;
};

struct Manifest {
  std::string dir;   ///< the review folder
  std::string path;  ///< the manifest file
  std::string title;
  ReviewQuestion question;
  std::vector<OutcomeSpec> outcomes;
  std::optional<PublishedSpec> published;
  std::vector<Caution> cautions;
};

/// Reads `DIR/review.toml` (or a manifest file given directly). Throws InputError listing every
/// problem with file, line and column, each naming its key (e.g. `outcome[2].measure: unknown
/// measure 'RRR'`): unknown keys (with the closest known one), wrong types, values out of range,
/// unknown measures or methods, duplicate outcome ids, data files that do not exist.
[[nodiscard]] Manifest read_manifest(const std::string& dir_or_file);

}  // namespace evident
