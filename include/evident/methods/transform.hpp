#pragma once
/// \file
/// Back-transformation of results to the natural scale of a measure (risk ratio from log risk
/// ratio, proportion from logit, r from Fisher's z), as metafor's transf functions.

#include <optional>
#include <span>
#include <string_view>

#include "evident/effect/measure.hpp"

namespace evident {

/// Maps values on the analysis scale of a measure back to its natural scale.
class BackTransform {
 public:
  /// The back-transformation for a measure, or nullopt when the measure is already on its
  /// natural scale (MD, SMD, RD, PR, COR, GEN, IRD, IRSD, IR, MC, SMCC, SMCR). PFT needs the
  /// studies' sample sizes and IRFT their person-times: each uses their harmonic mean (Miller
  /// 1978; metafor's transf.ipft.hm, and transf.iirft at the harmonic mean person-time).
  static std::optional<BackTransform> for_measure(Measure m, std::span<const double> ni = {});
  /// exp, for log ratios given directly (generic input with --transf log).
  static BackTransform exponential(std::string_view scale) { return {Kind::exp, scale}; }

  [[nodiscard]] double operator()(double x) const noexcept;
  /// True when the analysis scale is a logarithm (OR, RR, ROM, and later ratio measures): the
  /// natural scale is a ratio with no effect at 1, drawn on a log axis.
  [[nodiscard]] bool is_exp() const noexcept { return kind_ == Kind::exp; }
  /// Name of the natural-scale quantity ("OR", "RR", "proportion", "r", ...).
  [[nodiscard]] std::string_view scale_name() const noexcept { return scale_name_; }

 private:
  enum class Kind { exp, tanh, ilogit, iarcsin, ipft, square, iirft };
  BackTransform(Kind kind, std::string_view scale, double n = 0.0)
      : kind_(kind), scale_name_(scale), n_(n) {}
  Kind kind_;
  std::string_view scale_name_;
  double n_;  // harmonic mean sample size (ipft) or person-time (iirft)
};

}  // namespace evident
