#include "stats/distributions.hpp"

#include <boost/math/distributions/beta.hpp>
#include <boost/math/distributions/chi_squared.hpp>
#include <boost/math/distributions/fisher_f.hpp>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <limits>

namespace evident::stats {

namespace {

namespace bm = boost::math;
// No exceptions from Boost.Math: a domain error becomes NaN, an overflow infinity, and both are
// reported by the caller as data. Doubles are not promoted to long double: double precision is
// what metafor (R) computes in, and it is faster.
using Policy = bm::policies::policy<bm::policies::domain_error<bm::policies::ignore_error>,
                                    bm::policies::pole_error<bm::policies::ignore_error>,
                                    bm::policies::overflow_error<bm::policies::ignore_error>,
                                    bm::policies::evaluation_error<bm::policies::ignore_error>,
                                    bm::policies::promote_double<false>>;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

}  // namespace

double normal_sf(double z) noexcept {
  if (std::isnan(z)) return kNaN;
  // erfc keeps full relative precision far into the tail.
  return 0.5 * std::erfc(z / std::sqrt(2.0));
}

double normal_upper_quantile(double p) noexcept {
  if (!(p > 0.0 && p < 1.0)) return kNaN;
  return bm::quantile(bm::complement(bm::normal_distribution<double, Policy>(0.0, 1.0), p));
}

double chisq_sf(double x, double df) noexcept {
  if (std::isnan(x) || !(df > 0.0)) return kNaN;
  if (x <= 0.0) return 1.0;
  if (std::isinf(x)) return 0.0;
  return bm::cdf(bm::complement(bm::chi_squared_distribution<double, Policy>(df), x));
}

double chisq_quantile(double p, double df) noexcept {
  if (!(p > 0.0 && p < 1.0) || !(df > 0.0)) return kNaN;
  return bm::quantile(bm::chi_squared_distribution<double, Policy>(df), p);
}

double f_sf(double x, double df1, double df2) noexcept {
  if (std::isnan(x) || !(df1 > 0.0) || !(df2 > 0.0)) return kNaN;
  if (x <= 0.0) return 1.0;
  if (std::isinf(x)) return 0.0;
  return bm::cdf(bm::complement(bm::fisher_f_distribution<double, Policy>(df1, df2), x));
}

double t_sf(double t, double df) noexcept {
  if (std::isnan(t) || !(df > 0.0)) return kNaN;
  if (std::isinf(t)) return t > 0 ? 0.0 : 1.0;
  return bm::cdf(bm::complement(bm::students_t_distribution<double, Policy>(df), t));
}

double t_upper_quantile(double p, double df) noexcept {
  if (!(p > 0.0 && p < 1.0) || !(df > 0.0)) return kNaN;
  return bm::quantile(bm::complement(bm::students_t_distribution<double, Policy>(df), p));
}

double two_sided_p(double stat, double df) noexcept {
  if (std::isnan(stat)) return kNaN;
  const double a = std::fabs(stat);
  return 2.0 * (std::isnan(df) ? normal_sf(a) : t_sf(a, df));
}

double critical_value(double level_percent, double df) noexcept {
  const double alpha = 1.0 - level_percent / 100.0;
  if (std::isnan(df)) {
    // A batch asks for the same normal quantile millions of times: remember the last one.
    thread_local double last_alpha = kNaN, last_quantile = kNaN;
    if (alpha != last_alpha) {
      last_quantile = normal_upper_quantile(alpha / 2.0);
      last_alpha = alpha;
    }
    return last_quantile;
  }
  return t_upper_quantile(alpha / 2.0, df);
}

double beta_quantile(double p, double a, double b) noexcept {
  if (!(p > 0.0 && p < 1.0) || !(a > 0.0) || !(b > 0.0)) return kNaN;
  return bm::quantile(bm::beta_distribution<double, Policy>(a, b), p);
}

std::pair<double, double> clopper_pearson(double x, double n, double level_percent) noexcept {
  if (!(n > 0.0) || x < 0.0 || x > n) return {kNaN, kNaN};
  const double alpha = 1.0 - level_percent / 100.0;
  // Clopper & Pearson (1934): the exact interval from beta quantiles; 0 and 1 at the ends.
  const double lb = x == 0.0 ? 0.0 : beta_quantile(alpha / 2.0, x, n - x + 1.0);
  const double ub = x == n ? 1.0 : beta_quantile(1.0 - alpha / 2.0, x + 1.0, n - x);
  return {lb, ub};
}

}  // namespace evident::stats
