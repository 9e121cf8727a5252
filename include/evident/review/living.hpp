#pragma once
/// \file
/// Living reviews: the result file of a review run (written beside its report), and what changed
/// between two runs. `evident review DIR` writes DIR/report.json (the report's name with .json);
/// `evident review DIR --since OLD.json` compares with an earlier run's file and the report opens
/// with what changed: studies added or removed, estimates, intervals and certainty that changed,
/// and monitoring boundaries crossed since.
///
/// The result file is JSON, documented in docs/review.md:
///   {"format": "evident review result", "version": 1, "evident_version", "title",
///    "outcomes": [{"id", "name", "status", "measure", "method", "k", "participants",
///                  "studies": [...], "estimate", "ci_lb", "ci_ub", "certainty",
///                  "sequential": {"conclusion", "information_fraction", "required"} | null}]}
/// Estimates are on the scale the report prints (ratios for OR and RR).

#include <optional>
#include <string>
#include <vector>

namespace evident {

struct Review;

/// The version of the result file this evident writes and reads.
inline constexpr int kReviewResultVersion = 1;

struct OutcomeSnapshot {
  std::string id, name;
  std::string status;  ///< pooled, described or no_data
  std::string measure, method;
  /// The model beyond the method: "independent" (studies pooled as independent), or the
  /// multilevel model's formulas and structure ("~ 1 | district/school", "~ outcome | trial,
  /// struct UN"). Files written before it was recorded read as "independent".
  std::string model = "independent";
  std::size_t k = 0;
  double participants = 0.0;
  std::vector<std::string> studies;  ///< the labels of the studies used
  /// Pooled outcomes: the estimate and its interval, as printed; the suggested certainty.
  std::optional<double> estimate, ci_lb, ci_ub;
  std::string certainty;
  /// The trial sequential analysis, when the outcome has one.
  std::optional<std::string> sequential_conclusion;
  std::optional<double> information_fraction, required_information;
};

struct ReviewSnapshot {
  int version = kReviewResultVersion;
  std::string evident_version;
  std::string title;
  std::vector<OutcomeSnapshot> outcomes;
};

/// What changed in one outcome between two runs.
struct OutcomeChange {
  std::string id, name;
  bool added = false;    ///< new in this run
  bool removed = false;  ///< in the earlier run only
  std::vector<std::string> studies_added, studies_removed;
  /// The estimate or an interval bound changed (before and after).
  bool estimate_changed = false;
  std::optional<double> estimate_before, ci_lb_before, ci_ub_before;
  std::optional<double> estimate_after, ci_lb_after, ci_ub_after;
  std::string status_before, status_after;        ///< set when the status changed
  std::string certainty_before, certainty_after;  ///< set when the certainty changed
  /// The sequential conclusion changed (e.g. not_yet to benefit: a boundary was crossed).
  std::string sequential_before, sequential_after;
  std::string model_before, model_after;  ///< set when the model changed
  [[nodiscard]] bool any() const;
};

struct ReviewChanges {
  std::string previous;                 ///< the earlier result file, as given
  std::string previous_version;         ///< the evident that wrote it
  std::vector<OutcomeChange> outcomes;  ///< only the outcomes that changed
};

/// The result of a review run as its result file records it.
[[nodiscard]] ReviewSnapshot snapshot(const Review& review);
/// The result file's JSON text.
[[nodiscard]] std::string result_json(const ReviewSnapshot& s);
/// Reads a result file. Throws InputError naming the file for a file that cannot be read, is not
/// JSON, is not an evident result file, or has a version this evident does not read.
[[nodiscard]] ReviewSnapshot read_review_result(const std::string& path);
/// Writes the result file (under a temporary name, renamed when whole). Throws InputError.
void write_review_result(const Review& review, const std::string& path);
/// What changed from `before` to `after`, outcome by outcome (by id), in `after`'s order, then
/// the outcomes `before` has and `after` has not. Numbers count as changed when they differ by
/// more than 1e-9 relative (the same data give the same bits; this only spares rounding in
/// the file).
[[nodiscard]] std::vector<OutcomeChange> compare_reviews(const ReviewSnapshot& before,
                                                         const ReviewSnapshot& after);

}  // namespace evident
