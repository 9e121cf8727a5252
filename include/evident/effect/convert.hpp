#pragma once
/// \file
/// Conversions for imperfectly reported studies: means and SDs from a median with quartiles
/// and/or range (metafor's conv.fivenum), sampling variances from a confidence interval or p-value
/// (metafor's conv.wald), and two arms combined into one (Cochrane Handbook, table 6.5.a).
/// The effect-size readers use them when a row lacks the usual columns; they are public so other
/// front ends can show the same numbers.

#include <limits>
#include <optional>
#include <string_view>

namespace evident {

/// What a study reported of its sample's distribution. NaN marks a value not reported.
struct FiveNumberSummary {
  static constexpr double kNone = std::numeric_limits<double>::quiet_NaN();
  double min = kNone, q1 = kNone, median = kNone, q3 = kNone, max = kNone;
  double n = kNone;  ///< sample size
};

/// Which values the estimate was made from (the three cases of Wan et al. 2014 and Luo et al.
/// 2018).
enum class FiveNumberCase {
  range,      ///< min, median, max (case 1)
  quartiles,  ///< q1, median, q3 (case 2)
  both,       ///< min, q1, median, q3, max (case 3)
};

/// A mean and SD estimated from a five-number summary, assuming normal data, with metafor's
/// default methods (conv.fivenum, method "luo/wan/shi"):
/// - mean: Luo et al. (2018), eqs. 7 (range), 11 (quartiles), 15 (both); it needs the median and
///   is NaN without it;
/// - SD: Wan et al. (2014), eqs. 9 (range) and 16 (quartiles); Shi et al. (2020), eq. 10 (both).
/// `skew_stat` and `skew_crit` are the test for skewness of Shi et al. (2023); when
/// `skewed` (stat >= crit), the normal-based estimates are unreliable and metafor does not use
/// them.
struct MeanSdEstimate {
  FiveNumberCase source = FiveNumberCase::quartiles;
  double mean = 0.0, sd = 0.0;
  double skew_stat = 0.0, skew_crit = 0.0;  ///< NaN when the median is not reported
  bool skewed = false;
  std::string_view mean_method;  ///< e.g. "Luo et al. 2018, eq. 11"
  std::string_view sd_method;    ///< e.g. "Wan et al. 2014, eq. 16"
};

/// The estimate, or nullopt when the summary is none of the three cases (min and max, or q1 and
/// q3, must be given together) or n < 5 (metafor's limit for these methods). The values must be
/// ordered (min <= q1 <= median <= q3 <= max; asserted: readers check and report it).
[[nodiscard]] std::optional<MeanSdEstimate> estimate_mean_sd(const FiveNumberSummary& s);

/// The sampling variance of an estimate from its Wald-type confidence interval,
/// ((ub - lb) / (2 z))^2 with z the normal quantile of the interval's level (in percent), as
/// metafor's conv.wald. The bounds must be on the analysis scale (e.g. log odds ratios).
[[nodiscard]] double variance_from_ci(double lb, double ub, double level_percent) noexcept;

/// The z value of a two-sided p-value of a Wald test: the normal quantile 1 - p/2.
[[nodiscard]] double z_from_p(double p) noexcept;

/// The sampling variance of an estimate `yi` from its Wald test statistic, (yi / z)^2.
[[nodiscard]] double variance_from_z(double yi, double z) noexcept;

/// One arm of a trial: size, mean and SD.
struct ArmSummary {
  double n = 0.0, mean = 0.0, sd = 0.0;
};

/// Two arms combined into one (Cochrane Handbook for Systematic Reviews of Interventions,
/// version 6, section 6.5.2.10, table 6.5.a): the sizes add, the mean is the weighted mean and
/// the SD that of the pooled sample, sqrt(((n1-1) sd1^2 + (n2-1) sd2^2 + n1 n2 / (n1 + n2)
/// (m1 - m2)^2) / (n1 + n2 - 1)). More arms are combined one after another.
[[nodiscard]] ArmSummary combine_arms(const ArmSummary& a, const ArmSummary& b) noexcept;

}  // namespace evident
