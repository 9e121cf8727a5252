// Conversions for imperfectly reported studies (metafor's conv.fivenum and conv.wald; Cochrane
// Handbook table 6.5.a).

#include "evident/effect/convert.hpp"

#include <cassert>
#include <cmath>

#include "stats/distributions.hpp"

namespace evident {

namespace {

bool given(double x) {
  return !std::isnan(x);
}

// Expected range of n standard normal values, over the SD: 2 Phi^-1((n - 0.375) / (n + 0.25))
// (Wan et al. 2014, eq. 7, Blom's approximation). The upper-tail quantile of
// 1 - (n - 0.375) / (n + 0.25) = 0.625 / (n + 0.25) keeps its digits for large n.
double xi_range(double n) {
  return 2.0 * stats::normal_upper_quantile(0.625 / (n + 0.25));
}

// Expected interquartile range over the SD: 2 Phi^-1((0.75 n - 0.125) / (n + 0.25))
// (Wan et al. 2014, eq. 15).
double eta_iqr(double n) {
  return 2.0 * stats::normal_upper_quantile((0.25 * n + 0.375) / (n + 0.25));
}

}  // namespace

std::optional<MeanSdEstimate> estimate_mean_sd(const FiveNumberSummary& s) {
  const double n = s.n;
  if (!(n >= 5.0)) return std::nullopt;  // metafor's conv.fivenum leaves n < 5 out
  const bool range = given(s.min) && given(s.max);
  const bool quartiles = given(s.q1) && given(s.q3);
  const bool only_min_or_max = given(s.min) != given(s.max);
  const bool only_q1_or_q3 = given(s.q1) != given(s.q3);
  if (only_min_or_max || only_q1_or_q3 || (!range && !quartiles)) return std::nullopt;

  MeanSdEstimate e;
  const double med = s.median;  // NaN when not reported: the mean and the test are then NaN
  if (range && !quartiles) {
    e.source = FiveNumberCase::range;
    // Shi et al. (2023), Stat Methods Med Res 32:1338-1360: skewness test for case 1.
    e.skew_stat = std::fabs((s.min + s.max - 2.0 * med) / (s.max - s.min));
    e.skew_crit = 1.0 / std::log(n + 9.0) + 2.5 / (n + 1.0);
    // Luo et al. (2018), Stat Methods Med Res 27:1785-1805, eq. 7.
    const double w = 4.0 / (4.0 + std::pow(n, 0.75));
    e.mean = w * (s.min + s.max) / 2.0 + (1.0 - w) * med;
    e.mean_method = "Luo et al. 2018, eq. 7";
    // Wan et al. (2014), BMC Med Res Methodol 14:135, eq. 9.
    e.sd = (s.max - s.min) / xi_range(n);
    e.sd_method = "Wan et al. 2014, eq. 9";
  } else if (quartiles && !range) {
    e.source = FiveNumberCase::quartiles;
    e.skew_stat = std::fabs((s.q1 + s.q3 - 2.0 * med) / (s.q3 - s.q1));
    e.skew_crit = 2.65 / std::sqrt(n) - 6.0 / (n * n);
    // Luo et al. (2018), eq. 11.
    const double w = 0.7 + 0.39 / n;
    e.mean = w * (s.q1 + s.q3) / 2.0 + (1.0 - w) * med;
    e.mean_method = "Luo et al. 2018, eq. 11";
    // Wan et al. (2014), eq. 16.
    e.sd = (s.q3 - s.q1) / eta_iqr(n);
    e.sd_method = "Wan et al. 2014, eq. 16";
  } else {
    e.source = FiveNumberCase::both;
    e.skew_stat = std::fmax(2.65 * std::log(0.6 * n) / std::sqrt(n) *
                                std::fabs((s.min + s.max - 2.0 * med) / (s.max - s.min)),
                            std::fabs((s.q1 + s.q3 - 2.0 * med) / (s.q3 - s.q1)));
    e.skew_crit = 3.0 / std::sqrt(n) - 40.0 / (n * n * n);
    // Luo et al. (2018), eq. 15.
    const double w1 = 2.2 / (2.2 + std::pow(n, 0.75));
    const double w2 = 0.7 - 0.72 / std::pow(n, 0.55);
    e.mean = w1 * (s.min + s.max) / 2.0 + w2 * (s.q1 + s.q3) / 2.0 + (1.0 - w1 - w2) * med;
    e.mean_method = "Luo et al. 2018, eq. 15";
    // Shi et al. (2020), Res Synth Methods 11:641-654, eq. 10.
    const double w = 1.0 / (1.0 + 0.07 * std::pow(n, 0.6));
    e.sd = w * (s.max - s.min) / xi_range(n) + (1.0 - w) * (s.q3 - s.q1) / eta_iqr(n);
    e.sd_method = "Shi et al. 2020, eq. 10";
  }
  // A NaN statistic (no median) is not significant, as in metafor (isTRUE(NA >= crit)).
  e.skewed = e.skew_stat >= e.skew_crit;
  return e;
}

double variance_from_ci(double lb, double ub, double level_percent) noexcept {
  const double z = stats::critical_value(level_percent, std::nan(""));
  const double se = (ub - lb) / (2.0 * z);
  return se * se;
}

double z_from_p(double p) noexcept {
  return stats::normal_upper_quantile(p / 2.0);
}

double variance_from_z(double yi, double z) noexcept {
  const double se = yi / z;
  return se * se;
}

ArmSummary combine_arms(const ArmSummary& a, const ArmSummary& b) noexcept {
  const double n = a.n + b.n;
  const double mean = (a.n * a.mean + b.n * b.mean) / n;
  const double d = a.mean - b.mean;
  const double ss = (a.n - 1.0) * a.sd * a.sd + (b.n - 1.0) * b.sd * b.sd + a.n * b.n / n * d * d;
  return {n, mean, std::sqrt(ss / (n - 1.0))};
}

}  // namespace evident
