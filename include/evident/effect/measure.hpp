#pragma once
/// \file
/// Effect-size measures, named with metafor's codes (escalc's `measure` argument).

#include <optional>
#include <span>
#include <string_view>

namespace evident {

enum class Measure {
  GEN,  ///< generic: yi with vi or sei given directly
  // two-group means: m1i sd1i n1i m2i sd2i n2i
  MD,   ///< raw mean difference
  SMD,  ///< standardised mean difference, Hedges' g (exact small-sample correction)
  ROM,  ///< log ratio of means
  // 2x2 tables: ai bi ci di, or ai n1i ci n2i
  OR,    ///< log odds ratio
  RR,    ///< log risk ratio
  RD,    ///< risk difference
  PETO,  ///< log odds ratio by Peto's one-step method (Yusuf et al. 1985)
  // single proportions: xi ni
  PR,   ///< raw proportion
  PLO,  ///< logit proportion
  PAS,  ///< arcsine square-root proportion
  PFT,  ///< Freeman-Tukey double arcsine proportion
  // correlations: ri ni
  COR,   ///< raw correlation
  ZCOR,  ///< Fisher's r-to-z transformed correlation
  // two incidence rates: x1i t1i x2i t2i (events and person-time per group)
  IRR,   ///< log incidence rate ratio
  IRD,   ///< incidence rate difference
  IRSD,  ///< square root transformed incidence rate difference
  // single incidence rates: xi ti
  IR,    ///< raw incidence rate
  IRLN,  ///< log incidence rate
  IRS,   ///< square root transformed incidence rate
  IRFT,  ///< Freeman-Tukey transformed incidence rate
  // paired (pre-post) designs: m1i m2i sd1i sd2i ni ri
  MC,    ///< raw mean change
  SMCC,  ///< standardised mean change, change-score standardisation
  SMCR,  ///< standardised mean change, raw-score standardisation (needs only sd1i)
};

/// The shape of the data a measure is computed from.
enum class InputShape {
  generic,
  two_group_means,
  two_by_two,
  proportion,
  correlation,
  incidence_two,  ///< x1i t1i x2i t2i
  incidence,      ///< xi ti
  paired,         ///< m1i m2i sd1i sd2i ni ri
};

[[nodiscard]] std::string_view measure_name(Measure m) noexcept;
/// A measure from its metafor code (case-insensitive); nullopt if unknown.
[[nodiscard]] std::optional<Measure> parse_measure(std::string_view code) noexcept;
[[nodiscard]] InputShape measure_shape(Measure m) noexcept;
/// Every measure, in declaration order (for help texts and tests).
[[nodiscard]] std::span<const Measure> all_measures() noexcept;
/// One line saying what the measure is, for help and reports.
[[nodiscard]] std::string_view measure_description(Measure m) noexcept;

}  // namespace evident
