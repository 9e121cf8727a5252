#pragma once
// Distribution functions evident needs, as thin wrappers over Boost.Math so that its heavy headers
// stay in one translation unit. Upper tails are computed directly (complement), not as 1 - cdf, so
// small p-values keep their digits. Domain problems give NaN rather than exceptions.

#include <utility>

namespace evident::stats {

/// P(Z > z) for a standard normal Z.
double normal_sf(double z) noexcept;
/// The z with P(Z > z) = p.
double normal_upper_quantile(double p) noexcept;

/// P(X > x) for X ~ chi-squared(df).
double chisq_sf(double x, double df) noexcept;
/// The x with P(X <= x) = p for X ~ chi-squared(df).
double chisq_quantile(double p, double df) noexcept;

/// P(F > x) for F ~ F(df1, df2).
double f_sf(double x, double df1, double df2) noexcept;

/// P(T > t) for T ~ Student t(df).
double t_sf(double t, double df) noexcept;
/// The t with P(T > t) = p.
double t_upper_quantile(double p, double df) noexcept;

/// Two-sided p-value of a z or t statistic: 2 P(|Z| > |z|); df <= 0 or NaN means normal.
double two_sided_p(double stat, double df) noexcept;
/// Critical value for a two-sided interval of `level` percent: z or t(df) quantile.
double critical_value(double level_percent, double df) noexcept;

/// The x with P(X <= x) = p for X ~ Beta(a, b).
double beta_quantile(double p, double a, double b) noexcept;
/// Exact (Clopper-Pearson) interval for a proportion of x events in n, `level` in percent.
std::pair<double, double> clopper_pearson(double x, double n, double level_percent) noexcept;

}  // namespace evident::stats
