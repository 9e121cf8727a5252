// The weighted sums of sums.hpp for k >= kBlockedMin: in fixed blocks of kBlock studies, each
// block summed with the operations of the one-loop code in sums.hpp in the same order, the block
// partials added in block order. Kept out of line: the many small fits of a batch never come here.

#include "model/sums.hpp"

#include <cstddef>

#include "stats/parallel.hpp"

namespace evident::detail {

namespace {

struct WeightPartial {  // first pass of weighted_sums
  double sw = 0.0, sw2 = 0.0, sw3 = 0.0, swy = 0.0;
};

struct ResidualPartial {  // second pass of weighted_sums
  double q = 0.0, sw2r2 = 0.0, sw3r2 = 0.0, sw2r = 0.0;
};

struct ScorePartial {  // first pass of score_sums
  double sw = 0.0, sw2 = 0.0, swy = 0.0;
};

struct ScorePartial4 {  // score_sums4: four lanes, first pass (and sw2r2 in the second)
  double sw[4] = {}, sw2[4] = {}, swy[4] = {};
};

struct ResidualPartial4 {
  double sw2r2[4] = {};
};

}  // namespace

WeightedSums weighted_sums_blocked(std::span<const double> y, std::span<const double> v,
                                   double tau2, unsigned threads) {
  WeightedSums s;
  double swy = 0.0;
  reduce_blocks<WeightPartial>(
      y.size(), kBlock, threads,
      [&](std::size_t begin, std::size_t end) {
        WeightPartial p;
        for (std::size_t i = begin; i < end; ++i) {
          const double w = 1.0 / (v[i] + tau2);
          const double w2 = w * w;
          p.sw += w;
          p.sw2 += w2;
          p.sw3 += w2 * w;
          p.swy += w * y[i];
        }
        return p;
      },
      [&](const WeightPartial& p) {
        s.sw += p.sw;
        s.sw2 += p.sw2;
        s.sw3 += p.sw3;
        swy += p.swy;
      });
  s.mu = swy / s.sw;
  const double mu = s.mu;
  reduce_blocks<ResidualPartial>(
      y.size(), kBlock, threads,
      [&](std::size_t begin, std::size_t end) {
        ResidualPartial p;
        for (std::size_t i = begin; i < end; ++i) {
          const double w = 1.0 / (v[i] + tau2);
          const double r = y[i] - mu;
          const double wr = w * r;
          p.q += wr * r;
          p.sw2r2 += wr * wr;
          p.sw3r2 += wr * wr * w;
          p.sw2r += wr * w;
        }
        return p;
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
        ScorePartial p;
        for (std::size_t i = begin; i < end; ++i) {
          const double w = 1.0 / (v[i] + tau2);
          p.sw += w;
          p.sw2 += w * w;
          p.swy += w * y[i];
        }
        return p;
      },
      [&](const ScorePartial& p) {
        s.sw += p.sw;
        s.sw2 += p.sw2;
        swy += p.swy;
      });
  s.mu = swy / s.sw;
  const double mu = s.mu;
  reduce_blocks<double>(
      y.size(), kBlock, threads,
      [&](std::size_t begin, std::size_t end) {
        double sw2r2 = 0.0;
        for (std::size_t i = begin; i < end; ++i) {
          const double w = 1.0 / (v[i] + tau2);
          const double wr = w * (y[i] - mu);
          sw2r2 += wr * wr;
        }
        return sw2r2;
      },
      [&](double p) { s.sw2r2 += p; });
  return s;
}

std::array<WeightedSums, 4> score_sums4_blocked(std::span<const double> y,
                                                std::span<const double> v, const double (&tau2)[4],
                                                unsigned threads) {
  ScorePartial4 total;
  reduce_blocks<ScorePartial4>(
      y.size(), kBlock, threads,
      [&](std::size_t begin, std::size_t end) {
        ScorePartial4 p;
        for (std::size_t i = begin; i < end; ++i) {
          for (std::size_t l = 0; l < 4; ++l) {
            const double w = 1.0 / (v[i] + tau2[l]);
            p.sw[l] += w;
            p.sw2[l] += w * w;
            p.swy[l] += w * y[i];
          }
        }
        return p;
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
        ResidualPartial4 p;
        for (std::size_t i = begin; i < end; ++i) {
          for (std::size_t l = 0; l < 4; ++l) {
            const double w = 1.0 / (v[i] + tau2[l]);
            const double wr = w * (y[i] - mu[l]);
            p.sw2r2[l] += wr * wr;
          }
        }
        return p;
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
