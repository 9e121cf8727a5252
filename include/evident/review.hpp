#pragma once
/// \file
/// A review as a unit: a folder with a manifest (`review.toml`) naming the question and, for each
/// outcome, its data, measure, method, direction of benefit, MCID and scale. `read_manifest`
/// checks the manifest (every problem names its key, file, line and column); `run_review` runs
/// every outcome and assembles what a report shows. The manifest format is documented in
/// docs/review.md.

#include <cstddef>
#include <functional>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "evident/error.hpp"
#include "evident/findings.hpp"
#include "evident/plot.hpp"
#include "evident/summary.hpp"
#include "evident/table.hpp"

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

// ---- results -----------------------------------------------------------------------------------

/// A row that matched an outcome's filters but lacks values its measure needs.
struct UnusableRow {
  std::string file;
  std::size_t line = 0;
  std::string study;
  std::vector<std::string> missing;  ///< data-file column names
  std::string kind;                  ///< the row's `measure_type`, when the file has one
};

/// Where a study of a pooled analysis came from: a table of OutcomeResult::tables and a row.
struct StudyRef {
  std::size_t table = 0;
  std::size_t row = 0;
};

/// One study of a single-arm outcome, described (not pooled).
struct SeriesResult {
  std::string study;
  StudyRef ref;
  /// Events: x of n with an exact (Clopper-Pearson) interval for the proportion.
  double events = 0.0, total = 0.0, proportion = 0.0, ci_lb = 0.0, ci_ub = 0.0;
  /// Continuous: mean (SD) after and before (m1i sd1i n1i, m2i sd2i n2i), NaN where absent.
  double mean = 0.0, sd = 0.0, n = 0.0, mean_before = 0.0, sd_before = 0.0, n_before = 0.0;
};

/// A table of results a further method adds to an outcome (sensitivity, bias), rendered as is.
struct ResultTable {
  std::string title;
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::string note;
};

enum class OutcomeStatus {
  pooled,     ///< at least one comparison could be analysed
  described,  ///< a single-arm outcome: per-study description
  no_data,    ///< no row has the values the measure needs
};

struct OutcomeResult {
  OutcomeSpec spec;
  OutcomeStatus status = OutcomeStatus::no_data;
  /// Per data file: the rows used (matching the filters, with the values the measure needs),
  /// every original column kept, mapped columns added under their metafor names and `study`
  /// holding the label.
  std::vector<StudyTable> tables;
  std::optional<Analysis> analysis;
  std::vector<StudyRef> study_refs;  ///< per study of `analysis`
  std::vector<UnusableRow> unusable;
  std::optional<Findings> findings;
  std::vector<SeriesResult> series;
  std::vector<std::string> notes;  ///< what the reader must know (method used instead, ...)
  // Results of later methods, shown when present (leave-one-out, influence, bias tests).
  std::vector<ResultTable> sensitivity;
  std::vector<ResultTable> bias;
  std::vector<bool> funnel_open;  ///< per funnel point: filled in by trim-and-fill
};

/// A published pooled result, as printed, with the checks evident could make.
struct PublishedRow {
  std::size_t line = 0;
  std::string label, outcome, timepoint, measure, model, k, n, notes, source_url, source_location;
  std::string estimate_text, ci_text;               ///< as printed
  double estimate = 0.0, ci_lb = 0.0, ci_ub = 0.0;  ///< NaN where not a number
  std::vector<std::string> flags;                   ///< problems found in the numbers themselves
};

struct PublishedPanelResult {
  PublishedPanel spec;
  std::vector<PublishedRow> rows;
};

struct PublishedResult {
  std::string file;
  std::vector<PublishedRow> rows;  ///< every row of the file
  std::size_t papers = 0;          ///< distinct labels
  std::vector<PublishedPanelResult> panels;
};

struct Review {
  Manifest manifest;
  std::vector<OutcomeResult> outcomes;
  std::optional<PublishedResult> published;
};

struct ReviewOptions {
  /// MCIDs given on the command line, by outcome or panel id; the empty id applies to every
  /// outcome and panel without an MCID of its own.
  std::map<std::string, double> mcid;
  /// Called before each step (`done` of `total`), for a progress indicator.
  std::function<void(std::size_t done, std::size_t total, std::string_view what)> progress;
};

/// Runs every outcome of the manifest. Throws InputError for bad data (file, line, column) or
/// a manifest key that does not fit the data (a filter or mapped column the file lacks).
[[nodiscard]] Review run_review(const Manifest& manifest, const ReviewOptions& options = {});

/// The report as one self-contained HTML file: inline CSS, plots as inline images, no scripts,
/// no external resources.
void render_review_html(const Review& review, std::ostream& out);
/// The same report written to `path` under a temporary name and renamed into place when complete
/// (an interrupted run leaves no partial report). Throws InputError naming `path` when it cannot
/// be written.
void write_review_html(const Review& review, const std::string& path);
/// The plots of a review, as the report draws them: a pooled outcome's forest plot (per-arm
/// data, favours labels, MCID lines) and funnel plot, and a published panel's estimates with
/// their intervals against the MCID (the outcome it names drawn as a diamond).
[[nodiscard]] ForestPlot outcome_forest_plot(const OutcomeResult& outcome);
[[nodiscard]] FunnelPlot outcome_funnel_plot(const OutcomeResult& outcome);
[[nodiscard]] ForestPlot published_panel_plot(const Review& review,
                                              const PublishedPanelResult& panel);
/// Writes every plot of the review into `dir` (created if needed) as ID_forest, ID_funnel (three
/// or more studies) and PANEL files in `format`; returns the paths written.
std::vector<std::string> write_review_plots(const Review& review, const std::string& dir,
                                            PlotFormat format);

/// A summary that fits on one terminal screen: one line per outcome.
void render_review_summary(const Review& review, std::ostream& out, const std::string& report_path);

}  // namespace evident
