#pragma once
// The evaluator (model/evaluator.hpp) of the intercept-only random-effects model, X = 1: every
// quantity from the weighted sums of model/sums.hpp, in closed form. Its O(k) sums run in one
// loop below kBlockedMin studies and in fixed blocks from there on, so the same bits for any
// thread count. X'WX = sum w is never singular. Internal to the library.

#include <cmath>
#include <cstddef>
#include <optional>
#include <span>

#include "model/evaluator.hpp"
#include "model/sums.hpp"

namespace evident::detail {

// The quantities at one tau2, in closed form from the weighted sums (one intercept, so
// A = 1 / sum w, P y = W r and the traces reduce to sums of powers of w). An aggregate, so that
// Point{weighted_sums(...)} builds the sums in place.
struct InterceptPoint {
  WeightedSums s_;

  static constexpr bool ok() { return true; }
  [[nodiscard]] double sw() const { return s_.sw; }
  [[nodiscard]] double sw2() const { return s_.sw2; }
  [[nodiscard]] double q() const { return s_.q; }
  [[nodiscard]] double yppy() const { return s_.sw2r2; }
  [[nodiscard]] double ypppy() const { return s_.yPPPy(); }
  [[nodiscard]] double trace_p() const { return s_.trace_p(); }
  [[nodiscard]] double trace_pp() const { return s_.trace_pp(); }
  [[nodiscard]] double logdet() const { return std::log(s_.sw); }
  [[nodiscard]] const WeightedSums& sums() const { return s_; }
};

class InterceptEvaluator {
 public:
  using Point = InterceptPoint;

  // `threads` (as FitOptions::threads) serves k >= kBlockedMin only; the numbers do not
  // depend on it.
  InterceptEvaluator(std::span<const double> y, std::span<const double> v, unsigned threads)
      : y_(y), v_(v), threads_(threads) {}

  [[nodiscard]] std::size_t k() const { return y_.size(); }
  [[nodiscard]] static constexpr std::size_t p() { return 1; }

  // weighted_sums at tau2: every quantity (where a sum is not used, the compiler drops it).
  Point q_at(double tau2) { return Point{weighted_sums(y_, v_, tau2, threads_)}; }
  Point derivative_at(double tau2) { return Point{weighted_sums(y_, v_, tau2, threads_)}; }
  // Summed once and kept: the fit reads them again for Cochran's Q.
  Point at_zero() {
    if (!zero_) zero_ = weighted_sums(y_, v_, 0.0, threads_);
    return Point{*zero_};
  }
  // score_sums: sw, sw2, mu and sw2r2 only, bitwise those of weighted_sums.
  Point score_at(double tau2) { return Point{score_sums(y_, v_, tau2, threads_)}; }
  // Four values of tau2 per pass over the studies (score_sums4), the rest one by one.
  template <class Score>
  void scores(std::span<const double> ts, std::span<double> out, Score&& score) {
    std::size_t j = 0;
    for (; j + 4 <= ts.size(); j += 4) {
      const double t4[4] = {ts[j], ts[j + 1], ts[j + 2], ts[j + 3]};
      WeightedSums s4[4];
      score_sums4(y_, v_, t4, s4, threads_);
      for (std::size_t l = 0; l < 4; ++l)
        out[j + l] = score(Point{s4[l]});
    }
    for (; j < ts.size(); ++j)
      out[j] = score(score_at(ts[j]));
  }

  [[nodiscard]] double log_det_marginal(double tau2) const;
  [[nodiscard]] double variance_scale() const { return detail::variance_scale(v_, threads_); }
  [[nodiscard]] double min_variance() const;
  // With one intercept the least squares fit is the unweighted mean: both are sum (y - ybar)^2.
  [[nodiscard]] double unweighted_ss() const;
  [[nodiscard]] double ols_rss() const { return unweighted_ss(); }
  [[nodiscard]] HedgesTerms hedges() const;
  [[nodiscard]] SidikJonkmanTerms sidik_jonkman(double t0) const;

  // The sums at tau2 = 0 if at_zero() has summed them.
  [[nodiscard]] const std::optional<WeightedSums>& summed_at_zero() const { return zero_; }

 private:
  std::span<const double> y_, v_;
  unsigned threads_;
  std::optional<WeightedSums> zero_;
};

static_assert(Tau2Evaluator<InterceptEvaluator>);

}  // namespace evident::detail
