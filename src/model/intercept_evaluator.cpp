#include "model/intercept_evaluator.hpp"

#include <algorithm>
#include <limits>

#include "model/q_root.hpp"
#include "stats/parallel.hpp"

namespace evident::detail {

namespace {

// Every O(k) sum here runs through reduce_blocks with block_size(k): one plain loop below
// kBlockedMin, the fixed blocks of sums.hpp from there on, so the same bits for any thread count.

// sum over i < k of term(i), in that order within each block.
template <typename Term>
double sum_terms(std::size_t k, unsigned threads, Term term) {
  double total = 0.0;
  reduce_blocks<double>(
      k, block_size(k), threads,
      [&](std::size_t begin, std::size_t end) {
        double s = 0.0;
        for (std::size_t i = begin; i < end; ++i)
          s += term(i);
        return s;
      },
      [&](double s) { total += s; });
  return total;
}

// Sum of squared deviations from the unweighted mean.
double sum_sq_dev(std::span<const double> y, unsigned threads) {
  const double mean = sum_terms(y.size(), threads, [&](std::size_t i) { return y[i]; }) /
                      static_cast<double>(y.size());
  return sum_terms(y.size(), threads, [&](std::size_t i) { return (y[i] - mean) * (y[i] - mean); });
}

}  // namespace

double InterceptEvaluator::log_det_marginal(double tau2) const {
  return sum_terms(v_.size(), threads_, [&](std::size_t i) { return std::log(v_[i] + tau2); });
}

double InterceptEvaluator::unweighted_ss() const {
  return sum_sq_dev(y_, threads_);
}

double InterceptEvaluator::min_variance() const {
  double vmin = std::numeric_limits<double>::infinity();
  reduce_blocks<double>(
      v_.size(), block_size(v_.size()), threads_,
      [&](std::size_t begin, std::size_t end) {
        return *std::min_element(v_.begin() + static_cast<std::ptrdiff_t>(begin),
                                 v_.begin() + static_cast<std::ptrdiff_t>(end));
      },
      [&](double p) { vmin = std::min(vmin, p); });
  return vmin;
}

// With one intercept P0 = I - J/k, so tr(P0V) = (1 - 1/k) sum v and
// tr(P0VP0V) = (1 - 2/k) sum v^2 + (sum v)^2 / k^2.
[[gnu::flatten]] HedgesTerms InterceptEvaluator::hedges() const {
  const auto k = static_cast<double>(y_.size());
  struct VarianceSums {
    double sv = 0.0, sv2 = 0.0;
  };
  VarianceSums total;
  reduce_blocks<VarianceSums>(
      v_.size(), block_size(v_.size()), threads_,
      [&](std::size_t begin, std::size_t end) {
        VarianceSums p;
        for (std::size_t i = begin; i < end; ++i) {
          p.sv += v_[i];
          p.sv2 += v_[i] * v_[i];
        }
        return p;
      },
      [&](const VarianceSums& p) {
        total.sv += p.sv;
        total.sv2 += p.sv2;
      });
  const double sv = total.sv, sv2 = total.sv2;
  HedgesTerms h;
  h.trace_pv = sv * (1.0 - 1.0 / k);
  h.trace_pvpv = (1.0 - 2.0 / k) * sv2 + sv * sv / (k * k);
  h.rss = sum_sq_dev(y_, threads_);
  return h;
}

// Closed forms for one intercept, P at weights 1 / (v + t0), S = sum w:
//   tr(PVPV) = sum w^2 v^2 - 2 sum w^3 v^2 / S + (sum w^2 v)^2 / S^2
//   tr(PVP)  = sum w^2 v   - 2 sum w^3 v   / S + sum w^2 * sum w^2 v / S^2
SidikJonkmanTerms InterceptEvaluator::sidik_jonkman(double t0) const {
  const WeightedSums s = weighted_sums(y_, v_, t0, threads_);
  struct TraceSums {
    double sw2v = 0.0, sw2v2 = 0.0, sw3v = 0.0, sw3v2 = 0.0;
  };
  TraceSums total;
  reduce_blocks<TraceSums>(
      v_.size(), block_size(v_.size()), threads_,
      [&](std::size_t begin, std::size_t end) {
        TraceSums p;
        for (std::size_t i = begin; i < end; ++i) {
          const double w = 1.0 / (v_[i] + t0);
          const double w2v = w * w * v_[i];
          p.sw2v += w2v;
          p.sw2v2 += w2v * v_[i];
          p.sw3v += w2v * w;
          p.sw3v2 += w2v * w * v_[i];
        }
        return p;
      },
      [&](const TraceSums& p) {
        total.sw2v += p.sw2v;
        total.sw2v2 += p.sw2v2;
        total.sw3v += p.sw3v;
        total.sw3v2 += p.sw3v2;
      });
  const double sw2v = total.sw2v, sw2v2 = total.sw2v2, sw3v = total.sw3v, sw3v2 = total.sw3v2;
  const double S = s.sw;
  SidikJonkmanTerms j;
  j.q = s.q;
  j.trace_pp = s.trace_pp();
  j.trace_pvpv = sw2v2 - 2.0 * sw3v2 / S + sw2v * sw2v / (S * S);
  j.trace_pvp = sw2v - 2.0 * sw3v / S + s.sw2 * sw2v / (S * S);
  return j;
}

QRoot solve_generalized_q(std::span<const double> y, std::span<const double> v, double target,
                          double tolerance, int max_iterations, unsigned threads) {
  InterceptEvaluator ev(y, v, threads);
  return solve_generalized_q(ev, target, tolerance, max_iterations);
}

}  // namespace evident::detail
