#pragma once
// Weighted sums of the intercept-only random-effects model at a given tau2, from which every
// estimator, score and trace below is computed in O(k) without forming the k x k matrix
// P = W - W 1 (1'W1)^-1 1'W (metafor forms it; these are its closed forms for one intercept).

#include <array>
#include <cassert>
#include <cstddef>
#include <span>

namespace evident::detail {

struct WeightedSums {
  double sw = 0.0;     // sum w,          w = 1 / (v + tau2)
  double sw2 = 0.0;    // sum w^2
  double sw3 = 0.0;    // sum w^3
  double mu = 0.0;     // weighted mean, sum w y / sum w
  double q = 0.0;      // sum w r^2,      r = y - mu      (= y'Py, the generalised Q)
  double sw2r2 = 0.0;  // sum w^2 r^2                      (= y'PPy)
  double sw3r2 = 0.0;  // sum w^3 r^2
  double sw2r = 0.0;   // sum w^2 r

  // tr(P) = sum w - sum w^2 / sum w
  [[nodiscard]] double trace_p() const { return sw - sw2 / sw; }
  // tr(PP) = sum w^2 - 2 sum w^3 / sum w + (sum w^2 / sum w)^2
  [[nodiscard]] double trace_pp() const {
    const double a = sw2 / sw;
    return sw2 - 2.0 * sw3 / sw + a * a;
  }
  // y'PPPy = sum w^3 r^2 - (sum w^2 r)^2 / sum w
  [[nodiscard]] double yPPPy() const { return sw3r2 - sw2r * sw2r / sw; }
};

// From this many studies on, every O(k) sum of the intercept-only fit is taken in fixed blocks of
// kBlock consecutive studies: each block summed in study order exactly as the code for smaller k
// sums all of them, then the block partial sums added in block order by one thread. The blocks
// can then run on several threads (FitOptions::threads) and, as the partition does not depend on
// the thread count, the result is the same to the last bit for any count. Below kBlockedMin the
// sums run in one loop as before, so the metafor reference values and golden files keep every
// bit. Each pass starts its helper threads anew (some 45 us per thread), and a pass over 2^17
// studies takes 75-300 us on one core: measured on 2 cores, a REML or DL fit on two threads took
// 2-3 times as long as on one at 2^15 studies, about as long at 2^17, 0.6-0.7 times at 2^20.
// kBlock: 8192 studies, enough that adding the block partials costs nothing, few enough that the
// 1221 blocks of 10^7 studies share out evenly over the threads.
inline constexpr std::size_t kBlockedMin = std::size_t{1} << 17;
inline constexpr std::size_t kBlock = std::size_t{1} << 13;

// The block size for a sum over k studies: one block of all of them below kBlockedMin, so the
// helpers of stats/parallel.hpp run the same loop as a plain one would, bit for bit.
constexpr std::size_t block_size(std::size_t k) {
  return k < kBlockedMin ? (k > 0 ? k : 1) : kBlock;
}

WeightedSums weighted_sums_blocked(std::span<const double> y, std::span<const double> v,
                                   double tau2, unsigned threads);
WeightedSums score_sums_blocked(std::span<const double> y, std::span<const double> v, double tau2,
                                unsigned threads);
// Returned by value rather than through score_sums4's `out`, which would then escape and have to
// be filled in full on every call (the compiler drops the unused sums of the inline loops).
std::array<WeightedSums, 4> score_sums4_blocked(std::span<const double> y,
                                                std::span<const double> v, const double (&tau2)[4],
                                                unsigned threads);

// Mean of the sampling variances: the scale that makes tolerances independent of the units of y.
// Summed as every O(k) sum of the intercept-only model, in the blocks of block_size(k).
double variance_scale(std::span<const double> v, unsigned threads);

// Up to this many studies, the weights of the first pass are kept for the second (on the stack),
// which halves the divisions of the many small fits of a batch; beyond it they are recomputed.
// Either way each weight is the same division, so the sums are the same to the last bit.
inline constexpr std::size_t kKeptWeights = 64;

// The passes over studies [begin, end) from which the sums are made: the one-loop sums below run
// them over all studies, the blocked sums of sums.cpp over each block, so both perform the same
// operations in the same order. `kept`, when not null, receives the weights of the first pass
// (indexed from `begin`) and gives them back to the second.
struct WeightPartial {  // first pass of weighted_sums
  double sw = 0.0, sw2 = 0.0, sw3 = 0.0, swy = 0.0;
};
struct ResidualPartial {  // second pass of weighted_sums
  double q = 0.0, sw2r2 = 0.0, sw3r2 = 0.0, sw2r = 0.0;
};
struct ScorePartial {  // first pass of score_sums
  double sw = 0.0, sw2 = 0.0, swy = 0.0;
};
struct ScorePartial4 {  // first pass of score_sums4, four values of tau2
  double sw[4] = {}, sw2[4] = {}, swy[4] = {};
};
struct ResidualPartial4 {  // second pass of score_sums4
  double sw2r2[4] = {};
};

inline WeightPartial weight_pass(std::span<const double> y, std::span<const double> v, double tau2,
                                 std::size_t begin, std::size_t end, double* kept) {
  WeightPartial p;
  for (std::size_t i = begin; i < end; ++i) {
    const double w = 1.0 / (v[i] + tau2);
    if (kept != nullptr) kept[i - begin] = w;
    const double w2 = w * w;
    p.sw += w;
    p.sw2 += w2;
    p.sw3 += w2 * w;
    p.swy += w * y[i];
  }
  return p;
}

inline ResidualPartial residual_pass(std::span<const double> y, std::span<const double> v,
                                     double tau2, double mu, std::size_t begin, std::size_t end,
                                     const double* kept) {
  ResidualPartial p;
  for (std::size_t i = begin; i < end; ++i) {
    const double w = kept != nullptr ? kept[i - begin] : 1.0 / (v[i] + tau2);
    const double r = y[i] - mu;
    const double wr = w * r;
    p.q += wr * r;
    p.sw2r2 += wr * wr;
    p.sw3r2 += wr * wr * w;
    p.sw2r += wr * w;
  }
  return p;
}

inline ScorePartial score_pass(std::span<const double> y, std::span<const double> v, double tau2,
                               std::size_t begin, std::size_t end, double* kept) {
  ScorePartial p;
  for (std::size_t i = begin; i < end; ++i) {
    const double w = 1.0 / (v[i] + tau2);
    if (kept != nullptr) kept[i - begin] = w;
    p.sw += w;
    p.sw2 += w * w;
    p.swy += w * y[i];
  }
  return p;
}

inline double score_residual_pass(std::span<const double> y, std::span<const double> v, double tau2,
                                  double mu, std::size_t begin, std::size_t end,
                                  const double* kept) {
  double sw2r2 = 0.0;
  for (std::size_t i = begin; i < end; ++i) {
    const double w = kept != nullptr ? kept[i - begin] : 1.0 / (v[i] + tau2);
    const double wr = w * (y[i] - mu);
    sw2r2 += wr * wr;
  }
  return sw2r2;
}

// Four sets of sums, one per value of tau2: each set is otherwise bound by the latency of its
// own additions; four independent sets overlap (and vectorise). Every lane performs the
// operations of score_pass in the same order.
inline ScorePartial4 score_pass4(std::span<const double> y, std::span<const double> v,
                                 const double (&tau2)[4], std::size_t begin, std::size_t end,
                                 double (*kept)[4]) {
  ScorePartial4 p;
  for (std::size_t i = begin; i < end; ++i) {
    for (std::size_t l = 0; l < 4; ++l) {
      const double w = 1.0 / (v[i] + tau2[l]);
      if (kept != nullptr) kept[i - begin][l] = w;
      p.sw[l] += w;
      p.sw2[l] += w * w;
      p.swy[l] += w * y[i];
    }
  }
  return p;
}

inline ResidualPartial4 score_residual_pass4(std::span<const double> y, std::span<const double> v,
                                             const double (&tau2)[4], const double (&mu)[4],
                                             std::size_t begin, std::size_t end,
                                             const double (*kept)[4]) {
  ResidualPartial4 p;
  for (std::size_t i = begin; i < end; ++i) {
    for (std::size_t l = 0; l < 4; ++l) {
      const double w = kept != nullptr ? kept[i - begin][l] : 1.0 / (v[i] + tau2[l]);
      const double wr = w * (y[i] - mu[l]);
      p.sw2r2[l] += wr * wr;
    }
  }
  return p;
}

// Two passes: the weighted mean first, then sums of residuals (more accurate than expanding
// sum w (y - mu)^2 into sum w y^2 - mu^2 sum w). `threads` serves k >= kBlockedMin only.
inline WeightedSums weighted_sums(std::span<const double> y, std::span<const double> v, double tau2,
                                  unsigned threads) {
  assert(y.size() == v.size() && !y.empty());
  if (y.size() >= kBlockedMin) return weighted_sums_blocked(y, v, tau2, threads);
  double weights[kKeptWeights];
  double* kept = y.size() <= kKeptWeights ? weights : nullptr;
  const WeightPartial a = weight_pass(y, v, tau2, 0, y.size(), kept);
  WeightedSums s;
  s.sw = a.sw;
  s.sw2 = a.sw2;
  s.sw3 = a.sw3;
  s.mu = a.swy / a.sw;
  const ResidualPartial b = residual_pass(y, v, tau2, s.mu, 0, y.size(), kept);
  s.q = b.q;
  s.sw2r2 = b.sw2r2;
  s.sw3r2 = b.sw3r2;
  s.sw2r = b.sw2r;
  return s;
}

// Only sw, sw2, mu and sw2r2 (the rest stay 0): what the score of the (restricted) likelihood
// needs, for the grid scan that evaluates it many times. Each is accumulated with the same
// operations in the same order as in weighted_sums, so the values are bitwise the same.
inline WeightedSums score_sums(std::span<const double> y, std::span<const double> v, double tau2,
                               unsigned threads) {
  assert(y.size() == v.size() && !y.empty());
  if (y.size() >= kBlockedMin) return score_sums_blocked(y, v, tau2, threads);
  double weights[kKeptWeights];
  double* kept = y.size() <= kKeptWeights ? weights : nullptr;
  const ScorePartial a = score_pass(y, v, tau2, 0, y.size(), kept);
  WeightedSums s;
  s.sw = a.sw;
  s.sw2 = a.sw2;
  s.mu = a.swy / a.sw;
  s.sw2r2 = score_residual_pass(y, v, tau2, s.mu, 0, y.size(), kept);
  return s;
}

// score_sums at four values of tau2 in one pass over the studies; each result is bitwise the one
// score_sums gives.
inline void score_sums4(std::span<const double> y, std::span<const double> v,
                        const double (&tau2)[4], WeightedSums (&out)[4], unsigned threads) {
  assert(y.size() == v.size() && !y.empty());
  if (y.size() >= kBlockedMin) {
    const std::array<WeightedSums, 4> blocked = score_sums4_blocked(y, v, tau2, threads);
    for (std::size_t l = 0; l < 4; ++l)
      out[l] = blocked[l];
    return;
  }
  double weights[kKeptWeights][4];
  double(*kept)[4] = y.size() <= kKeptWeights ? weights : nullptr;
  const ScorePartial4 a = score_pass4(y, v, tau2, 0, y.size(), kept);
  double mu[4];
  for (std::size_t l = 0; l < 4; ++l)
    mu[l] = a.swy[l] / a.sw[l];
  const ResidualPartial4 b = score_residual_pass4(y, v, tau2, mu, 0, y.size(), kept);
  for (std::size_t l = 0; l < 4; ++l) {
    out[l] = WeightedSums{};
    out[l].sw = a.sw[l];
    out[l].sw2 = a.sw2[l];
    out[l].mu = mu[l];
    out[l].sw2r2 = b.sw2r2[l];
  }
}

}  // namespace evident::detail
