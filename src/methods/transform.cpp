#include "evident/transform.hpp"

#include <cmath>
#include <numbers>

namespace evident {

std::optional<BackTransform> BackTransform::for_measure(Measure m, std::span<const double> ni) {
  switch (m) {
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
      double inv = 0.0;
      std::size_t count = 0;
      for (double n : ni) {
        if (std::isfinite(n)) {
          inv += 1.0 / n;
          ++count;
        }
      }
      if (count == 0) return std::nullopt;
      return BackTransform(Kind::ipft, "proportion", static_cast<double>(count) / inv);
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
  }
  return x;
}

}  // namespace evident
