#pragma once
/// \file
/// A review as a unit: `run_review` runs every outcome of a manifest (manifest.hpp) and assembles
/// what a report shows; the report itself is rendered by review_report.hpp.

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "evident/io/table.hpp"
#include "evident/methods/multilevel.hpp"
#include "evident/methods/summary.hpp"
#include "evident/methods/trial_sequential.hpp"
#include "evident/review/findings.hpp"
#include "evident/review/living.hpp"
#include "evident/review/manifest.hpp"

namespace evident {

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
  /// An outcome whose manifest names its clusters (`random`): the multilevel model fitted (then
  /// `analysis` is its pooled view, pooled_analysis) and, for comparison, the same estimates
  /// pooled as if they were independent.
  std::optional<MultilevelAnalysis> multilevel;
  std::optional<Analysis> independent;
  std::vector<UnusableRow> unusable;
  std::optional<Findings> findings;
  std::vector<SeriesResult> series;
  std::vector<std::string> notes;  ///< what the reader must know (method used instead, ...)
  // Results of later methods, shown when present (leave-one-out, influence, bias tests).
  std::vector<ResultTable> sensitivity;
  std::vector<ResultTable> bias;
  std::vector<bool> funnel_open;  ///< per funnel point: filled in by trim-and-fill
  /// "Is more evidence needed?": the trial sequential analysis of a pooled outcome of 2x2
  /// tables or two-group means, studies accrued by `year` (when the data have it), the
  /// information size for the effect GRADE's optimal information size is computed for (a
  /// relative change of 25%; the MCID, else half an SD), O'Brien-Fleming boundaries, alpha 0.05,
  /// power 80%, diversity-adjusted. Empty with `sequential_note` saying why when it does not
  /// apply or cannot be computed.
  std::optional<SequentialResult> sequential;
  std::string sequential_note;
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
  /// With ReviewOptions::since: what changed since that run.
  std::optional<ReviewChanges> changes;
};

struct ReviewOptions {
  /// MCIDs given on the command line, by outcome or panel id; the empty id applies to every
  /// outcome and panel without an MCID of its own.
  std::map<std::string, double> mcid;
  /// Data files outside the review folder (after following symbolic links) are an error unless
  /// this is set: a review folder may come from someone else, and its manifest must not make
  /// evident read, and embed in a report, files elsewhere on the machine.
  bool allow_outside = false;
  /// A living review: the result file of an earlier run (living.hpp) to compare with; empty:
  /// none.
  std::string since;
  /// Called before each step (`done` of `total`), for a progress indicator.
  std::function<void(std::size_t done, std::size_t total, std::string_view what)> progress;
};

/// Runs every outcome of the manifest. Throws InputError for bad data (file, line, column) or
/// a manifest key that does not fit the data (a filter or mapped column the file lacks).
[[nodiscard]] Review run_review(const Manifest& manifest, const ReviewOptions& options = {});

}  // namespace evident
