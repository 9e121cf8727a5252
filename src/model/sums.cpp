// The weighted sums of sums.hpp for k >= kBlockedMin: in fixed blocks of kBlock studies, each
// block summed by the same passes (sums.hpp) as the one-loop code, the block partials added in
// block order. Kept out of line: the many small fits of a batch never come here. And the mean of
// the variances, in the same blocks.

#include "model/sums.hpp"

#include <cstddef>

#include "stats/parallel.hpp"

namespace evident::detail {

WeightedSums weighted_sums_blocked(std::span<const double> y, std::span<const double> v,
                                   double tau2, unsigned threads) {
  WeightedSums s;
  double swy = 0.0;
  reduce_blocks<WeightPartial>(
      y.size(), kBlock, threads,
      [&](std::size_t begin, std::size_t end) {
        return weight_pass(y, v, tau2, begin, end, nullptr);
      },
      [&](const WeightPartial& p) {
        s.sw += p.sw;
        s.sw2 += p.sw2;
        s.sw3 += p.sw3;
        swy += p.swy;
      });
  s.mu = swy / s.sw;
  reduce_blocks<ResidualPartial>(
      y.size(), kBlock, threads,
      [&](std::size_t begin, std::size_t end) {
        return residual_pass(y, v, tau2, s.mu, begin, end, nullptr);
      },
      [&](const ResidualPartial& p) {
        s.q += p.q;
        s.sw2r2 += p.sw2r2;
        s.sw3r2 += p.sw3r2;
        s.sw2r += p.sw2r;
      });
  return s;
}

WeightedSums score_sums_blocked(std::span<const double> y, std::span<const double> v, double tau2,
                                unsigned threads) {
  WeightedSums s;
  double swy = 0.0;
  reduce_blocks<ScorePartial>(
      y.size(), kBlock, threads,
      [&](std::size_t begin, std::size_t end) {
        return score_pass(y, v, tau2, begin, end, nullptr);
      },
      [&](const ScorePartial& p) {
        s.sw += p.sw;
        s.sw2 += p.sw2;
        swy += p.swy;
      });
  s.mu = swy / s.sw;
  reduce_blocks<double>(
      y.size(), kBlock, threads,
      [&](std::size_t begin, std::size_t end) {
        return score_residual_pass(y, v, tau2, s.mu, begin, end, nullptr);
      },
      [&](double p) { s.sw2r2 += p; });
  return s;
}

double variance_scale(std::span<const double> v, unsigned threads) {
  double total = 0.0;
  reduce_blocks<double>(
      v.size(), block_size(v.size()), threads,
      [&](std::size_t begin, std::size_t end) {
        double s = 0.0;
        for (std::size_t i = begin; i < end; ++i)
          s += v[i];
        return s;
      },
      [&](double s) { total += s; });
  return total / static_cast<double>(v.size());
}

std::array<WeightedSums, 4> score_sums4_blocked(std::span<const double> y,
                                                std::span<const double> v, const double (&tau2)[4],
                                                unsigned threads) {
  ScorePartial4 total;
  reduce_blocks<ScorePartial4>(
      y.size(), kBlock, threads,
      [&](std::size_t begin, std::size_t end) {
        return score_pass4(y, v, tau2, begin, end, nullptr);
      },
      [&](const ScorePartial4& p) {
        for (std::size_t l = 0; l < 4; ++l) {
          total.sw[l] += p.sw[l];
          total.sw2[l] += p.sw2[l];
          total.swy[l] += p.swy[l];
        }
      });
  double mu[4];
  for (std::size_t l = 0; l < 4; ++l)
    mu[l] = total.swy[l] / total.sw[l];
  ResidualPartial4 residual;
  reduce_blocks<ResidualPartial4>(
      y.size(), kBlock, threads,
      [&](std::size_t begin, std::size_t end) {
        return score_residual_pass4(y, v, tau2, mu, begin, end, nullptr);
      },
      [&](const ResidualPartial4& p) {
        for (std::size_t l = 0; l < 4; ++l)
          residual.sw2r2[l] += p.sw2r2[l];
      });
  std::array<WeightedSums, 4> out;
  for (std::size_t l = 0; l < 4; ++l) {
    out[l].sw = total.sw[l];
    out[l].sw2 = total.sw2[l];
    out[l].mu = mu[l];
    out[l].sw2r2 = residual.sw2r2[l];
  }
  return out;
}

}  // namespace evident::detail
