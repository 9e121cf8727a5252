#pragma once
/// \file
/// Plots: forest, funnel, bubble and Baujat plots, drawn by one drawing code (Cairo) into SVG, PNG
/// (300 dpi) or PDF, chosen by the file extension.
///
/// Each plot is described by plain data (the structs below), so any method can feed a plot:
/// `forest_plot()` and `funnel_plot()` build them from an Analysis; the drawing functions only
/// lay out and draw what they are given (they never compute a statistic). Text is measured with
/// the font it is drawn in (DejaVu Sans), and the layout makes room for it, so no two texts
/// overlap whatever the number of studies or the length of their names.

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "evident/io/table.hpp"
#include "evident/methods/multilevel.hpp"
#include "evident/methods/summary.hpp"
#include "evident/review/findings.hpp"

namespace evident {

/// A file format of plots. Each is drawn by its own Cairo surface (src/report/plot/canvas.cpp)
/// and registered in plot_formats(), from which file-name checks and option choices come.
enum class PlotFormat { svg, png, pdf };

struct PlotFormatInfo {
  PlotFormat format;
  std::string_view name;  ///< also the file extension
  std::string_view note;  ///< said after the extension in messages, e.g. " (300 dpi)"
};

/// Every plot format, in the order messages list them.
[[nodiscard]] std::span<const PlotFormatInfo> plot_formats() noexcept;
[[nodiscard]] std::string_view plot_format_name(PlotFormat format) noexcept;
/// The format of a name (svg, png, pdf), if any.
[[nodiscard]] std::optional<PlotFormat> parse_plot_format(std::string_view name) noexcept;
/// The format named by a path's extension (.svg, .png, .pdf; case-insensitive), if any.
[[nodiscard]] std::optional<PlotFormat> plot_format_for_path(std::string_view path) noexcept;
/// What plot file names may end in, in words: ".svg, .png (300 dpi) or .pdf".
[[nodiscard]] std::string plot_extensions_text();

// ---- forest plot -------------------------------------------------------------------------------

/// A text column left of the graph (per-arm data, for example). `group` is a heading spanning
/// consecutive columns with the same group ("MSC" over "Events" and "Total").
struct ForestColumn {
  std::string group;
  std::string header;
  bool text = false;  ///< left-aligned words rather than right-aligned numbers
};

enum class ForestRowKind {
  study,       ///< a square sized by weight with its confidence interval
  heading,     ///< a subgroup heading (bold label, nothing drawn)
  summary,     ///< a pooled estimate: a diamond over its confidence interval
  prediction,  ///< a prediction interval: a bar, no point
  text,        ///< a label and cells only (a subgroup's heterogeneity, totals)
};

/// One row. Values are on the analysis scale (log scale for ratio measures); NaN where absent.
struct ForestRow {
  ForestRowKind kind = ForestRowKind::study;
  std::string label;
  std::vector<std::string> cells;  ///< one per ForestColumn (may be shorter: the rest are empty)
  double estimate = 0.0, ci_lb = 0.0, ci_ub = 0.0;
  double weight = 0.0;  ///< percent; sizes the square and fills the weight column (NaN: neither)
  bool open = false;    ///< drawn hollow (for example a study filled in by trim-and-fill)
};

/// A vertical reference line, e.g. a minimal clinically important difference.
struct ReferenceLine {
  double value = 0.0;  ///< analysis scale
  std::string label;
};

struct ForestPlot {
  std::string title;
  std::string study_header = "Study";
  std::vector<ForestColumn> columns;
  std::vector<ForestRow> rows;
  /// The effect, e.g. "Risk ratio", and how it was pooled, e.g. "IV, random, 95% CI": the
  /// headings of the graph and of the estimate column.
  std::string effect_name;
  std::string model_text;
  /// Heading of the column with each row's estimate and interval as text.
  std::string estimate_header = "Estimate [95% CI]";
  /// Values are logarithms of ratios: the axis is drawn on the natural scale (log axis) and the
  /// estimates are printed exponentiated.
  bool log_scale = false;
  double null_value = 0.0;  ///< the line of no effect (analysis scale)
  bool show_weights = true;
  int digits = 2;
  std::string favours_left, favours_right;
  std::vector<ReferenceLine> references;
  /// Lines under the table: totals, heterogeneity, the test for the overall effect.
  std::vector<std::string> footnotes;
};

struct ForestOptions {
  std::string title;
  std::string group1 = "Group 1";  ///< names of the two arms (experimental first)
  std::string group2 = "Group 2";
  Benefit benefit = Benefit::lower;
  /// Overrides the "favours" labels built from the group names and `benefit`.
  std::string favours_left, favours_right;
  /// A minimal clinically important difference on the natural scale (a ratio for ratio
  /// measures), drawn as dashed lines on both sides of the line of no effect.
  std::optional<double> mcid;
};

/// A forest plot of an analysis: one row per study with its weight, the pooled diamond, the
/// prediction interval (random-effects models), totals, heterogeneity and the overall test. When
/// `table` is given (the table the analysis was computed from), the per-arm data of each study
/// (events / total, or mean, SD and n) are shown in columns, found by the study's source line.
[[nodiscard]] ForestPlot forest_plot(const Analysis& analysis, const ForestOptions& options,
                                     const StudyTable* table = nullptr);
/// As above, with each study's table and row given directly (one per study of the analysis), for
/// analyses of studies read from several files.
[[nodiscard]] ForestPlot forest_plot(const Analysis& analysis, const ForestOptions& options,
                                     std::span<const StudyTable* const> tables,
                                     std::span<const std::size_t> rows);

/// A forest plot of a multilevel model: the estimates grouped under the levels of the outer
/// factor (a heading per level), the pooled diamond and prediction interval of an intercept-only
/// model (or one diamond per coefficient), the variance components, QE and the overall test.
[[nodiscard]] ForestPlot forest_plot(const MultilevelAnalysis& analysis,
                                     const ForestOptions& options);

// ---- funnel plot -------------------------------------------------------------------------------

struct FunnelPlot {
  std::string title;
  std::string x_label;
  std::vector<double> yi, sei;      ///< analysis scale
  std::vector<std::string> labels;  ///< study labels (used for accessibility text)
  std::vector<bool> open;           ///< drawn hollow: studies filled in by trim-and-fill
  double estimate = 0.0;            ///< the centre of the pseudo-confidence region
  double level = 95.0;
  bool log_scale = false;
  double null_value = 0.0;
  /// Contour-enhanced funnel (Peters et al. 2008, J Clin Epidemiol 61:991): shaded regions of
  /// statistical significance (p < 0.10, 0.05, 0.01) around the line of no effect, instead of
  /// the pseudo-confidence region around the estimate.
  bool contours = false;
};

/// A funnel plot of an analysis: yi against its standard error (inverted axis), the pooled
/// estimate and its pseudo-confidence region (or significance contours).
[[nodiscard]] FunnelPlot funnel_plot(const Analysis& analysis, bool contours = false);

// ---- scatter plots for later methods -----------------------------------------------------------

/// A bubble plot of a meta-regression: yi against one moderator, points sized by weight, with the
/// fitted line and its confidence band (evaluated by the caller at `line_x`).
struct BubblePlot {
  std::string title, x_label, y_label;
  std::vector<double> x, yi, weight;
  std::vector<double> line_x, line_y, band_lb, band_ub;  ///< may be empty
  bool log_scale = false;  ///< yi are log ratios: the y axis is drawn on the natural scale
};

/// A Baujat plot (Baujat et al. 2002, Stat Med 21:2641): each study's contribution to Cochran's Q
/// (x) against its influence on the pooled estimate (y).
struct BaujatPlot {
  std::string title;
  std::vector<double> x, y;
  std::vector<std::string> labels;
};

// ---- trial sequential analysis ----------------------------------------------------------------

/// The TSA plot as the Copenhagen TSA program draws it: the cumulative z curve against the
/// cumulative number of participants, the monitoring boundaries (and futility wedge) up to the
/// required information size, the conventional limits of a single test, and the information
/// size as a vertical line.
struct SequentialPlot {
  std::string title;
  std::vector<double> participants, z;     ///< per look
  std::vector<double> efficacy, futility;  ///< boundaries per look (inf / NaN: none)
  /// Where the boundaries lie ahead, with further looks up to the information size
  /// (participants and boundaries; drawn dashed); empty once it is reached.
  std::vector<double> projected_participants, projected_efficacy, projected_futility;
  double information_size = 0.0;
  double conventional = 1.959963984540054;  ///< the single test's critical value
  std::string benefit_side;                 ///< e.g. "Favours intervention" (upper or lower half)
  bool benefit_up = false;                  ///< benefit is positive z
};

// ---- drawing -----------------------------------------------------------------------------------

/// The plot drawn in `format`: SVG or PDF text, or PNG bytes (300 dpi, with its pHYs chunk).
[[nodiscard]] std::string render_plot(const ForestPlot& plot, PlotFormat format);
[[nodiscard]] std::string render_plot(const FunnelPlot& plot, PlotFormat format);
[[nodiscard]] std::string render_plot(const BubblePlot& plot, PlotFormat format);
[[nodiscard]] std::string render_plot(const BaujatPlot& plot, PlotFormat format);
[[nodiscard]] std::string render_plot(const SequentialPlot& plot, PlotFormat format);

/// Draws the plot into `path`, in the format its extension names. Throws InputError naming the
/// path for an unknown extension or a file that cannot be written.
void write_plot(const ForestPlot& plot, const std::string& path);
void write_plot(const FunnelPlot& plot, const std::string& path);
void write_plot(const BubblePlot& plot, const std::string& path);
void write_plot(const BaujatPlot& plot, const std::string& path);
void write_plot(const SequentialPlot& plot, const std::string& path);

}  // namespace evident
