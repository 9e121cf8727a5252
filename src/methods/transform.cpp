#include "evident/methods/transform.hpp"

#include <cmath>
#include <limits>
#include <numbers>

namespace evident {

namespace {
// Harmonic mean of the finite values; NaN if there are none.
double harmonic_mean(std::span<const double> x) {
  double inv = 0.0;
  std::size_t count = 0;
  for (double v : x) {
    if (std::isfinite(v)) {
      inv += 1.0 / v;
      ++count;
    }
  }
  return count == 0 ? std::nan("") : static_cast<double>(count) / inv;
}
}  // namespace

std::optional<BackTransform> BackTransform::for_measure(Measure m, std::span<const double> ni) {
  switch (m) {
    case Measure::PETO:
      return BackTransform(Kind::exp, "OR");
    case Measure::IRR:
      return BackTransform(Kind::exp, "IRR");
    case Measure::IRLN:
      return BackTransform(Kind::exp, "incidence rate");
    case Measure::IRS:
      // metafor's transf.isqrt: the square, 0 below 0.
      return BackTransform(Kind::square, "incidence rate");
    case Measure::IRFT: {
      const double t = harmonic_mean(ni);
      if (std::isnan(t)) return std::nullopt;
      return BackTransform(Kind::iirft, "incidence rate", t);
    }
    case Measure::OR:
      return BackTransform(Kind::exp, "OR");
    case Measure::RR:
      return BackTransform(Kind::exp, "RR");
    case Measure::ROM:
      return BackTransform(Kind::exp, "ratio of means");
    case Measure::ZCOR:
      return BackTransform(Kind::tanh, "r");
    case Measure::PLO:
      return BackTransform(Kind::ilogit, "proportion");
    case Measure::PAS:
      return BackTransform(Kind::iarcsin, "proportion");
    case Measure::PFT: {
      // Miller (1978), Am Stat 32:138: the inverse of the double arcsine needs a sample size;
      // for a pooled value, the harmonic mean of the studies' sizes (metafor's transf.ipft.hm).
      const double n = harmonic_mean(ni);
      if (std::isnan(n)) return std::nullopt;
      return BackTransform(Kind::ipft, "proportion", n);
    }
    default:
      return std::nullopt;
  }
}

namespace {
// Freeman-Tukey transformation of a proportion p for sample size n (metafor's transf.pft).
double pft(double p, double n) {
  const double x = p * n;
  return 0.5 * (std::asin(std::sqrt(x / (n + 1.0))) + std::asin(std::sqrt((x + 1.0) / (n + 1.0))));
}
}  // namespace

double BackTransform::operator()(double x) const noexcept {
  switch (kind_) {
    case Kind::exp:
      return std::exp(x);
    case Kind::tanh:
      return std::tanh(x);
    case Kind::ilogit:
      return 1.0 / (1.0 + std::exp(-x));
    case Kind::iarcsin: {
      if (x < 0.0) return 0.0;
      if (x > std::numbers::pi / 2.0) return 1.0;
      const double s = std::sin(x);
      return s * s;
    }
    case Kind::ipft: {
      // Miller (1978), eq. 3, clamped to [0, 1] outside the transformation's range.
      if (x > pft(1.0, n_)) return 1.0;
      if (x < pft(0.0, n_)) return 0.0;
      const double s = std::sin(2.0 * x);
      const double c = std::cos(2.0 * x);
      const double inner = s + (s - 1.0 / s) / n_;
      const double sign = (c > 0.0) - (c < 0.0);
      return 0.5 * (1.0 - sign * std::sqrt(1.0 - inner * inner));
    }
    case Kind::square:
      return x < 0.0 ? 0.0 : x * x;
    case Kind::iirft: {
      // Inverse of the Freeman-Tukey transformation of a rate for person-time t (metafor's
      // transf.iirft): (1/t - 8 x^2 + 16 t x^4) / (16 x^2 t), 0 below the value for 0 events.
      const double t = n_;
      if (x < 0.5 / std::sqrt(t)) return 0.0;  // transf.irft(0, t) = sqrt(1/t) / 2
      const double z = (1.0 / t - 8.0 * x * x + 16.0 * t * x * x * x * x) / (16.0 * x * x * t);
      return z <= std::numeric_limits<double>::epsilon() ? 0.0 : z;
    }
  }
  return x;
}

}  // namespace evident
