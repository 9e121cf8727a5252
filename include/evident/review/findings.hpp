#pragma once
/// \file
/// Summary of findings: the relative and absolute effect of a pooled outcome, its comparison
/// with a minimal clinically important difference (MCID), and suggested GRADE certainty ratings
/// with their reasons. The ratings are suggestions computed from the numbers by fixed rules
/// (documented in docs/review.md); the reviewers make the judgement.
///
/// Sources: GRADE Handbook (Schünemann et al., eds., 2013), chapter 5; Guyatt et al. (2011)
/// GRADE guidelines 4 (risk of bias), 5 (publication bias), 6 (imprecision), 7 (inconsistency),
/// J Clin Epidemiol 64:407-415, 1277-1282, 1283-1293, 1294-1302; Cochrane Handbook (version 6.4,
/// 2023) chapters 10.10 and 14; Santesso et al. (2020) GRADE guidelines 26: informative statements
/// to communicate the findings of systematic reviews, J Clin Epidemiol 119:126-135.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "evident/methods/benefit.hpp"
#include "evident/methods/summary.hpp"

namespace evident {

/// A GRADE domain as the program suggests rating it.
enum class Rating {
  not_serious,
  serious,       ///< rate down one level
  very_serious,  ///< rate down two levels
  not_assessed,  ///< the program cannot judge it (no data for it); the reviewers must
  not_applicable,
};

enum class Certainty { very_low, low, moderate, high };

[[nodiscard]] std::string_view rating_name(Rating r) noexcept;
[[nodiscard]] std::optional<Rating> parse_rating(std::string_view name) noexcept;
[[nodiscard]] std::string_view certainty_name(Certainty c) noexcept;

/// Risk of bias of one study, as RoB 2 names it (`low`, `some concerns`, `high`; `unclear` and
/// `moderate` are read as some concerns, `serious` and `critical` as high).
enum class RiskOfBias { low, some_concerns, high };
[[nodiscard]] std::optional<RiskOfBias> parse_risk_of_bias(std::string_view text) noexcept;

struct DomainSuggestion {
  std::string domain;  ///< "Risk of bias", "Inconsistency", ...
  Rating rating = Rating::not_assessed;
  std::string reason;          ///< why, with the numbers
  bool from_reviewer = false;  ///< given in the manifest, not suggested by the program
};

/// A result of a test for small-study effects (e.g. Egger's regression), when one was run.
struct SmallStudyTest {
  std::string method;  ///< e.g. "Egger's regression test"
  double statistic = 0.0;
  double pval = 0.0;
};

/// What the numbers allow a plain-language statement to claim.
enum class EffectDirection {
  reduces,                  ///< the effect is below the line of no effect
  increases,                ///< above it
  little_or_no_difference,  ///< within the range of trivial effects
};

struct AbsoluteEffect {
  double control_risk = 0.0;                        ///< assumed risk without the intervention
  std::string control_risk_source;                  ///< where it came from
  double risk = 0.0, risk_lb = 0.0, risk_ub = 0.0;  ///< with the intervention
  /// (risk - control_risk) per 1000 people, with its interval.
  double per_1000 = 0.0, per_1000_lb = 0.0, per_1000_ub = 0.0;
};

/// Everything about an outcome the assessment needs besides the Analysis.
struct FindingsInput {
  Benefit benefit = Benefit::lower;
  /// On the natural scale: a ratio above 1 for OR/RR (1.25 means 25% relative change), units of
  /// the outcome for MD, standard deviations for SMD, an absolute risk for RD.
  std::optional<double> mcid;
  /// Assumed control-group risk for binary outcomes; without it, the median control-group risk
  /// of the studies (GRADE Handbook 5.1).
  std::optional<double> control_risk;
  std::vector<double> control_risks;   ///< observed per study (events / total), for the median
  std::vector<double> control_totals;  ///< control-group size per study (same order)
  bool randomised = true;              ///< GRADE starts randomised evidence at high certainty
  double participants = 0.0;           ///< total in the analysis (NaN when unknown)
  double events = 0.0;                 ///< total events (binary outcomes; NaN otherwise)
  std::optional<double> typical_sd;    ///< for the optimal information size of a mean difference
  std::vector<std::optional<RiskOfBias>> risk_of_bias;  ///< per study, in Analysis order
  bool has_risk_of_bias = false;                        ///< a `rob` column was present
  std::optional<SmallStudyTest> small_study;
  /// Reviewers' judgement of indirectness (the program cannot suggest one).
  std::optional<Rating> indirectness;
  std::string indirectness_reason;
};

struct Findings {
  Measure measure = Measure::GEN;
  bool ratio = false;  ///< estimates are exp(analysis scale)
  /// On the natural scale (a ratio for OR/RR/ROM).
  double estimate = 0.0, ci_lb = 0.0, ci_ub = 0.0, pi_lb = 0.0, pi_ub = 0.0;
  double null_value = 0.0;  ///< natural scale: 1 for ratios, else 0
  /// Thresholds of an important effect on the natural scale (below `important_low` or above
  /// `important_high`); NaN when there is none (a difference measure without an MCID).
  double important_low = 0.0, important_high = 0.0;
  std::string threshold_source;  ///< "MCID 1.5" or "GRADE default: relative change of 25%"
  std::optional<AbsoluteEffect> absolute;
  std::string mcid_comparison;  ///< the CI against the MCID and against no effect, in words
  double optimal_information_size = 0.0;  ///< participants; NaN when not computable
  double participants = 0.0;              ///< as given in FindingsInput
  double events = 0.0;                    ///< as given in FindingsInput
  std::vector<DomainSuggestion> domains;
  Certainty start = Certainty::high;
  Certainty certainty = Certainty::high;  ///< suggested: start minus the levels rated down
  /// Risk of bias or indirectness could not be assessed: the certainty is at most `certainty`.
  bool at_most = false;
  EffectDirection direction = EffectDirection::little_or_no_difference;
  /// Certainty the plain-language statement may express: never above `certainty`, and at most
  /// low ("may") when the confidence interval includes no effect.
  Certainty statement_certainty = Certainty::high;
};

/// Assesses a pooled outcome. Never throws; what cannot be judged is rated not_assessed with the
/// reason.
[[nodiscard]] Findings assess(const Analysis& analysis, const FindingsInput& input);

}  // namespace evident
