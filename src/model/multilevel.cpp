#include "evident/model/multilevel.hpp"

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <Eigen/Eigenvalues>
#include <algorithm>
#include <boost/math/tools/toms748_solve.hpp>
#include <cassert>
#include <cmath>
#include <limits>
#include <numbers>
#include <numeric>
#include <optional>
#include <unordered_map>
#include <utility>

#include "stats/distributions.hpp"

namespace evident {

namespace {

using Eigen::MatrixXd;
using Eigen::VectorXd;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// One block of the block-diagonal marginal covariance: the estimates that share a level of some
// component or a sampling covariance, directly or through others.
struct Block {
  std::vector<std::size_t> rows;  // ascending
  MatrixXd V;                     // sampling covariances
  MatrixXd X;
  VectorXd y;
  std::vector<MatrixXd> Z;  // Z_j Z_j' within the block: 1 where two rows share the level of j
  // With a structured component: each row's inner level and whether two rows share the outer.
  std::vector<std::uint32_t> inner;
  MatrixXd same_outer;
};

// Union-find over the estimates (path halving; union by index keeps it deterministic).
class Components {
 public:
  explicit Components(std::size_t n) : parent_(n) { std::iota(parent_.begin(), parent_.end(), 0); }
  std::size_t find(std::size_t i) {
    while (parent_[i] != i) {
      parent_[i] = parent_[parent_[i]];
      i = parent_[i];
    }
    return i;
  }
  void join(std::size_t a, std::size_t b) {
    a = find(a);
    b = find(b);
    if (a != b) parent_[std::max(a, b)] = std::min(a, b);
  }

 private:
  std::vector<std::size_t> parent_;
};

struct Blocks {
  std::vector<Block> blocks;
  MultilevelStatus status = MultilevelStatus::ok;
  std::size_t bad_row = 0;
  std::size_t largest = 0;
};

Blocks make_blocks(const MultilevelData& d, std::size_t max_block) {
  const std::size_t k = d.yi.size();
  const std::size_t p = d.x.p;
  Components uf(k);
  for (const VarianceComponent& c : d.components) {
    std::vector<std::size_t> first(c.levels, k);
    for (std::size_t i = 0; i < k; ++i) {
      std::size_t& f = first[c.level[i]];
      if (f == k) {
        f = i;
      } else {
        uf.join(f, i);
      }
    }
  }
  if (d.structured) {
    std::vector<std::size_t> first(d.structured->outer_levels, k);
    for (std::size_t i = 0; i < k; ++i) {
      std::size_t& f = first[d.structured->outer[i]];
      if (f == k) {
        f = i;
      } else {
        uf.join(f, i);
      }
    }
  }
  for (const SamplingCovariance& s : d.covariances)
    uf.join(s.row, s.col);

  Blocks out;
  std::vector<std::size_t> block_of(k, k);  // block index of each root
  std::vector<std::size_t> index(k);        // position of each row within its block
  for (std::size_t i = 0; i < k; ++i) {
    const std::size_t root = uf.find(i);
    if (block_of[root] == k) {
      block_of[root] = out.blocks.size();
      out.blocks.emplace_back();
    }
    Block& b = out.blocks[block_of[root]];
    index[i] = b.rows.size();
    b.rows.push_back(i);
  }
  for (const Block& b : out.blocks) {
    out.largest = std::max(out.largest, b.rows.size());
    if (b.rows.size() > max_block) {
      out.status = MultilevelStatus::block_too_large;
      out.bad_row = b.rows.front();
      return out;
    }
  }
  for (Block& b : out.blocks) {
    const auto n = static_cast<Eigen::Index>(b.rows.size());
    b.V = MatrixXd::Zero(n, n);
    b.X.resize(n, static_cast<Eigen::Index>(p));
    b.y.resize(n);
    for (Eigen::Index a = 0; a < n; ++a) {
      const std::size_t i = b.rows[static_cast<std::size_t>(a)];
      b.V(a, a) = d.vi[i];
      b.y(a) = d.yi[i];
      for (std::size_t j = 0; j < p; ++j)
        b.X(a, static_cast<Eigen::Index>(j)) = d.x(i, j);
    }
    for (const VarianceComponent& c : d.components) {
      MatrixXd z(n, n);
      for (Eigen::Index a = 0; a < n; ++a) {
        for (Eigen::Index e = 0; e < n; ++e) {
          z(a, e) = c.level[b.rows[static_cast<std::size_t>(a)]] ==
                            c.level[b.rows[static_cast<std::size_t>(e)]]
                        ? 1.0
                        : 0.0;
        }
      }
      b.Z.push_back(std::move(z));
    }
    if (const StructuredComponent* sc = d.structured) {
      b.same_outer.resize(n, n);
      for (Eigen::Index a = 0; a < n; ++a) {
        const std::size_t i = b.rows[static_cast<std::size_t>(a)];
        b.inner.push_back(sc->inner[i]);
        for (Eigen::Index e = 0; e < n; ++e)
          b.same_outer(a, e) = sc->outer[i] == sc->outer[b.rows[static_cast<std::size_t>(e)]];
      }
    }
  }
  for (const SamplingCovariance& s : d.covariances) {
    Block& b = out.blocks[block_of[uf.find(s.row)]];
    const auto a = static_cast<Eigen::Index>(index[s.row]);
    const auto e = static_cast<Eigen::Index>(index[s.col]);
    b.V(a, e) = s.value;
    b.V(e, a) = s.value;
  }
  if (!d.covariances.empty()) {
    for (const Block& b : out.blocks) {
      if (b.V.llt().info() != Eigen::Success) {
        out.status = MultilevelStatus::not_positive_definite;
        out.bad_row = b.rows.front();
        return out;
      }
    }
  }
  return out;
}

// The likelihood and its derivatives at one vector of variance components.
struct Evaluation {
  bool ok = false;
  double ll = kNaN;
  VectorXd beta;
  MatrixXd vb;  // (X'WX)^-1
  double log_det_xwx = 0.0;
  VectorXd score;     // d ll / d sigma2_j
  MatrixXd info;      // the expected information
  MatrixXd observed;  // the observed information, minus the Hessian of ll
};

// The blocks laid out flat for the likelihood, which evaluates them many times: each block's
// rows, design, sampling covariances and, per component, the level of each row renumbered within
// the block. Products with Z_j Z_j' are sums within levels (O(n) or O(n^2) per block), never
// products with a 0/1 matrix.
struct FlatBlocks {
  std::size_t p = 0, m = 0, largest = 0;
  std::vector<std::size_t> start;     // first row of each block; one more at the end
  std::vector<std::size_t> square;    // offset of each block's n x n storage; one more at the end
  std::vector<double> y, X, V;        // X row by row (k x p), V block by block
  std::vector<std::uint32_t> level;   // level[row * m + j], 0 .. groups - 1 within the block
  std::vector<std::uint32_t> groups;  // groups[block * m + j]

  FlatBlocks(const std::vector<Block>& blocks, std::size_t p_, std::size_t m_) : p(p_), m(m_) {
    start.push_back(0);
    square.push_back(0);
    for (const Block& b : blocks) {
      const auto n = static_cast<Eigen::Index>(b.rows.size());
      largest = std::max(largest, b.rows.size());
      start.push_back(start.back() + b.rows.size());
      square.push_back(square.back() + b.rows.size() * b.rows.size());
      for (Eigen::Index a = 0; a < n; ++a) {
        y.push_back(b.y(a));
        for (Eigen::Index c = 0; c < static_cast<Eigen::Index>(p); ++c)
          X.push_back(b.X(a, c));
        for (Eigen::Index c = 0; c < n; ++c)
          V.push_back(b.V(a, c));
      }
      // Levels within the block: rows a and c share level j when Z_j Z_j' is 1 at (a, c).
      std::vector<std::uint32_t> local(b.rows.size() * m);
      for (std::size_t j = 0; j < m; ++j) {
        std::uint32_t count = 0;
        for (Eigen::Index a = 0; a < n; ++a) {
          std::uint32_t id = count;
          for (Eigen::Index c = 0; c < a; ++c) {
            if (b.Z[j](a, c) == 1.0) {
              id = local[static_cast<std::size_t>(c) * m + j];
              break;
            }
          }
          if (id == count) ++count;
          local[static_cast<std::size_t>(a) * m + j] = id;
        }
        groups.push_back(count);
      }
      level.insert(level.end(), local.begin(), local.end());
    }
  }
  [[nodiscard]] std::size_t blocks() const noexcept { return start.size() - 1; }
};

// W = M^-1 and log det M for a symmetric n x n block (row by row, overwritten); false when M is
// not positive definite. Small blocks by plain Cholesky loops (no allocation; the common case of
// a few estimates per study), large ones by Eigen's blocked factorisation.
// A sum of log-determinants kept as a product: mantissa and binary exponent, so a likelihood
// evaluation takes one logarithm, not one per estimate.
class LogDet {
 public:
  void add_log(double x) noexcept { logs_ += x; }
  void multiply(double x) noexcept {
    int e = 0;
    mantissa_ = std::frexp(mantissa_ * x, &e);
    exponent_ += e;
  }
  [[nodiscard]] double value() const noexcept {
    return logs_ + std::log(mantissa_) + static_cast<double>(exponent_) * std::numbers::ln2;
  }

 private:
  double logs_ = 0.0;
  double mantissa_ = 1.0;
  long exponent_ = 0;
};

bool invert_spd(std::size_t n, double* M, double* W, LogDet& log_det) {
  if (n > 48) {
    Eigen::Map<Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> mm(
        M, static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(n));
    Eigen::Map<Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> ww(
        W, static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(n));
    Eigen::LLT<MatrixXd> llt(mm);
    if (llt.info() != Eigen::Success) return false;
    log_det.add_log(2.0 * llt.matrixLLT().diagonal().array().log().sum());
    ww = llt.solve(MatrixXd::Identity(mm.rows(), mm.cols()));
    return true;
  }
  // Cholesky M = L L' in the lower triangle of M; det M is the product of the squared pivots.
  for (std::size_t a = 0; a < n; ++a) {
    for (std::size_t c = 0; c <= a; ++c) {
      double s = M[a * n + c];
      for (std::size_t e = 0; e < c; ++e)
        s -= M[a * n + e] * M[c * n + e];
      if (a == c) {
        if (!(s > 0.0)) return false;
        M[a * n + a] = std::sqrt(s);
        log_det.multiply(s);
      } else {
        M[a * n + c] = s / M[c * n + c];
      }
    }
  }
  // L^-1 in the upper triangle of W (transposed: W[c * n + a] holds (L^-1)_ac for c <= a).
  for (std::size_t c = 0; c < n; ++c) {
    W[c * n + c] = 1.0 / M[c * n + c];
    for (std::size_t a = c + 1; a < n; ++a) {
      double s = 0.0;
      for (std::size_t e = c; e < a; ++e)
        s -= M[a * n + e] * W[c * n + e];
      W[c * n + a] = s / M[a * n + a];
    }
  }
  // M^-1 = L^-T L^-1: (a, c) = sum over e >= max(a, c) of (L^-1)_ea (L^-1)_ec; the lower triangle
  // of M (L, no longer needed) holds the result first, then W is filled symmetrically.
  for (std::size_t a = 0; a < n; ++a) {
    for (std::size_t c = 0; c <= a; ++c) {
      double s = 0.0;
      for (std::size_t e = a; e < n; ++e)
        s += W[a * n + e] * W[c * n + e];
      M[a * n + c] = s;
    }
  }
  for (std::size_t a = 0; a < n; ++a) {
    for (std::size_t c = 0; c <= a; ++c) {
      W[a * n + c] = M[a * n + c];
      W[c * n + a] = M[a * n + c];
    }
  }
  return true;
}

// out = W X for an n x n block W and an n x q matrix X, both row by row.
void multiply(const double* W, const double* X, double* out, std::size_t n, std::size_t q) {
  for (std::size_t a = 0; a < n; ++a) {
    for (std::size_t c = 0; c < q; ++c) {
      double t = 0.0;
      for (std::size_t d = 0; d < n; ++d)
        t += W[a * n + d] * X[d * q + c];
      out[a * q + c] = t;
    }
  }
}

// log det X'X over the blocks (REML's constant), NaN when X is rank deficient.
double log_det_xtx(const std::vector<Block>& blocks, std::size_t p) {
  MatrixXd xtx = MatrixXd::Zero(static_cast<Eigen::Index>(p), static_cast<Eigen::Index>(p));
  for (const Block& b : blocks)
    xtx.noalias() += b.X.transpose() * b.X;
  Eigen::LLT<MatrixXd> llt(xtx);
  return llt.info() == Eigen::Success ? 2.0 * llt.matrixLLT().diagonal().array().log().sum() : kNaN;
}

class Likelihood {
 public:
  Likelihood(const std::vector<Block>& blocks, std::size_t k, std::size_t p, std::size_t m,
             bool reml)
      : flat_(blocks, p, m), k_(k), p_(p), m_(m), reml_(reml) {
    // REML's constant includes 1/2 log det X'X, so that the restricted likelihood does not
    // depend on how the design is parametrised (Harville 1974).
    log_det_xtx_ = log_det_xtx(blocks, p);
    W_.resize(flat_.square.back());
    B_.resize(k * p);
    const std::size_t n = flat_.largest;
    M_.resize(n * n);
    r_.resize(n);
    u_.resize(n);
    sums_.resize(std::max(n, n * p));
    zu_.resize(m * n);
    wzu_.resize(m * n);
    wa_.resize(m * n * n);
    zb_.resize(m * n * p);
    wzb_.resize(n * p);
  }

  Evaluation operator()(const VectorXd& theta, bool derivatives) {
    Evaluation e;
    const std::size_t p = p_;
    const std::size_t m = m_;
    const auto pe = static_cast<Eigen::Index>(p);
    const auto me = static_cast<Eigen::Index>(m);
    MatrixXd xwx = MatrixXd::Zero(pe, pe);
    VectorXd xwy = VectorXd::Zero(pe);
    LogDet log_det;
    const FlatBlocks& f = flat_;
    for (std::size_t bi = 0; bi < f.blocks(); ++bi) {
      const std::size_t s = f.start[bi];
      const std::size_t n = f.start[bi + 1] - s;
      const double* V = &f.V[f.square[bi]];
      const std::uint32_t* lev = &f.level[s * m];
      for (std::size_t a = 0; a < n; ++a) {
        for (std::size_t c = 0; c < n; ++c) {
          double v = V[a * n + c];
          for (std::size_t j = 0; j < m; ++j) {
            if (lev[a * m + j] == lev[c * m + j]) v += theta(static_cast<Eigen::Index>(j));
          }
          M_[a * n + c] = v;
        }
      }
      double* W = &W_[f.square[bi]];
      if (!invert_spd(n, M_.data(), W, log_det)) return e;
      const double* X = &f.X[s * p];
      double* B = &B_[s * p];
      multiply(W, X, B, n, p);
      for (std::size_t a = 0; a < n; ++a) {
        for (std::size_t c = 0; c < p; ++c) {
          xwy(static_cast<Eigen::Index>(c)) += B[a * p + c] * f.y[s + a];
          for (std::size_t d = 0; d < p; ++d)
            xwx(static_cast<Eigen::Index>(c), static_cast<Eigen::Index>(d)) +=
                X[a * p + c] * B[a * p + d];
        }
      }
    }
    Eigen::LLT<MatrixXd> xllt(xwx);
    if (xllt.info() != Eigen::Success) return e;
    e.log_det_xwx = 2.0 * xllt.matrixLLT().diagonal().array().log().sum();
    e.vb = xllt.solve(MatrixXd::Identity(pe, pe));
    e.beta = xllt.solve(xwy);

    double rwr = 0.0;
    VectorXd tr_w = VectorXd::Zero(me);
    VectorXd quad = VectorXd::Zero(me);
    std::vector<MatrixXd> G(m, MatrixXd::Zero(pe, pe));
    MatrixXd tr_wzwz = MatrixXd::Zero(me, me);
    std::vector<MatrixXd> H(m * m, MatrixXd::Zero(pe, pe));
    MatrixXd zwz = MatrixXd::Zero(me, me);   // sum over blocks of (A_j P y)' W (A_l P y)
    MatrixXd xwzu = MatrixXd::Zero(pe, me);  // X'W A_j P y
    for (std::size_t bi = 0; bi < f.blocks(); ++bi) {
      const std::size_t s = f.start[bi];
      const std::size_t n = f.start[bi + 1] - s;
      const double* W = &W_[f.square[bi]];
      const double* X = &f.X[s * p];
      const double* B = &B_[s * p];
      const std::uint32_t* lev = &f.level[s * m];
      for (std::size_t a = 0; a < n; ++a) {
        double fit = 0.0;
        for (std::size_t c = 0; c < p; ++c)
          fit += X[a * p + c] * e.beta(static_cast<Eigen::Index>(c));
        r_[a] = f.y[s + a] - fit;
      }
      multiply(W, r_.data(), u_.data(), n, 1);  // the block of P y
      for (std::size_t a = 0; a < n; ++a)
        rwr += r_[a] * u_[a];
      if (!derivatives) continue;
      for (std::size_t j = 0; j < m; ++j) {
        const std::size_t g = f.groups[bi * m + j];
        auto level_of = [&](std::size_t a) { return lev[a * m + j]; };
        // A_j u: the sum of u within each row's level.
        std::fill(sums_.begin(), sums_.begin() + static_cast<std::ptrdiff_t>(g), 0.0);
        for (std::size_t a = 0; a < n; ++a)
          sums_[level_of(a)] += u_[a];
        double* zu = &zu_[j * n];
        for (std::size_t a = 0; a < n; ++a)
          zu[a] = sums_[level_of(a)];
        for (std::size_t q = 0; q < g; ++q)
          quad(static_cast<Eigen::Index>(j)) += sums_[q] * sums_[q];
        multiply(W, zu, &wzu_[j * n], n, 1);
        for (std::size_t a = 0; a < n; ++a) {
          for (std::size_t c = 0; c < p; ++c)
            xwzu(static_cast<Eigen::Index>(c), static_cast<Eigen::Index>(j)) +=
                B[a * p + c] * zu[a];
        }
        // W A_j: row a's sums of W within each level, spread back over the level's columns.
        double* wa = &wa_[j * n * n];
        for (std::size_t a = 0; a < n; ++a) {
          std::fill(sums_.begin(), sums_.begin() + static_cast<std::ptrdiff_t>(g), 0.0);
          for (std::size_t c = 0; c < n; ++c)
            sums_[level_of(c)] += W[a * n + c];
          for (std::size_t c = 0; c < n; ++c)
            wa[a * n + c] = sums_[level_of(c)];
          tr_w(static_cast<Eigen::Index>(j)) += wa[a * n + a];
        }
        // A_j B: the sum of B's rows within each row's level.
        double* zb = &zb_[j * n * p];
        std::fill(sums_.begin(), sums_.begin() + static_cast<std::ptrdiff_t>(g * p), 0.0);
        for (std::size_t a = 0; a < n; ++a) {
          for (std::size_t c = 0; c < p; ++c)
            sums_[level_of(a) * p + c] += B[a * p + c];
        }
        for (std::size_t a = 0; a < n; ++a) {
          for (std::size_t c = 0; c < p; ++c)
            zb[a * p + c] = sums_[level_of(a) * p + c];
        }
        MatrixXd& gj = G[j];
        for (std::size_t a = 0; a < n; ++a) {
          for (std::size_t c = 0; c < p; ++c) {
            for (std::size_t d = 0; d < p; ++d)
              gj(static_cast<Eigen::Index>(c), static_cast<Eigen::Index>(d)) +=
                  B[a * p + c] * zb[a * p + d];
          }
        }
      }
      for (std::size_t l = 0; l < m; ++l) {
        // W A_l B, shared by every pair (j, l).
        multiply(W, &zb_[l * n * p], wzb_.data(), n, p);
        for (std::size_t j = l; j < m; ++j) {
          const double* waj = &wa_[j * n * n];
          const double* wal = &wa_[l * n * n];
          double t = 0.0;
          for (std::size_t a = 0; a < n; ++a) {
            for (std::size_t c = 0; c < n; ++c)
              t += waj[a * n + c] * wal[c * n + a];
          }
          tr_wzwz(static_cast<Eigen::Index>(j), static_cast<Eigen::Index>(l)) += t;
          const double* zuj = &zu_[j * n];
          const double* wzul = &wzu_[l * n];
          double z = 0.0;
          for (std::size_t a = 0; a < n; ++a)
            z += zuj[a] * wzul[a];
          zwz(static_cast<Eigen::Index>(j), static_cast<Eigen::Index>(l)) += z;
          const double* zbj = &zb_[j * n * p];
          MatrixXd& h = H[j * m + l];
          for (std::size_t a = 0; a < n; ++a) {
            for (std::size_t c = 0; c < p; ++c) {
              for (std::size_t d = 0; d < p; ++d)
                h(static_cast<Eigen::Index>(c), static_cast<Eigen::Index>(d)) +=
                    zbj[a * p + c] * wzb_[a * p + d];
            }
          }
        }
      }
    }
    const double two_pi = std::log(2.0 * std::numbers::pi);
    const double kk = static_cast<double>(k_);
    const double pp = static_cast<double>(p_);
    const double log_det_m = log_det.value();
    e.ll = reml_
               ? -0.5 * ((kk - pp) * two_pi + log_det_m + e.log_det_xwx + rwr) + 0.5 * log_det_xtx_
               : -0.5 * (kk * two_pi + log_det_m + rwr);
    e.ok = std::isfinite(e.ll);
    if (!derivatives) return e;

    // Scores and expected information of the (restricted) likelihood (Harville 1977, eqs. 4.3
    // and 4.4; Searle, Casella & McCulloch 1992, sections 6.3 and 6.6), with A_j = Z_j Z_j' and
    // P = W - WX vb X'W:
    //   REML: s_j = -1/2 tr(P A_j) + 1/2 y'P A_j P y,  I_jl = 1/2 tr(P A_j P A_l)
    //   ML:   s_j = -1/2 tr(W A_j) + 1/2 y'P A_j P y,  I_jl = 1/2 tr(W A_j W A_l)
    // The traces of P are sums over blocks with p x p corrections:
    //   tr(P A) = tr(W A) - tr(vb X'W A W X),
    //   tr(P A P B) = tr(W A W B) - 2 tr(vb X'W A W B W X) + tr(vb X'W A W X vb X'W B W X).
    // The observed information (minus the Hessian), for REML and ML alike (Searle, Casella &
    // McCulloch 1992, eqs. 6.62 and 6.74): u'A_j P A_l u - I_jl with u = P y, where
    //   u'A_j P A_l u = sum over blocks of (A_j u)'W(A_l u) - (X'W A_j u)' vb (X'W A_l u).
    const MatrixXd quad2 = zwz - xwzu.transpose() * e.vb * xwzu;
    e.score.resize(me);
    e.info.resize(me, me);
    e.observed.resize(me, me);
    for (std::size_t j = 0; j < m; ++j) {
      const auto je = static_cast<Eigen::Index>(j);
      const MatrixXd& gj = G[j];
      const double trace = reml_ ? tr_w(je) - (e.vb * gj).trace() : tr_w(je);
      e.score(je) = -0.5 * trace + 0.5 * quad(je);
      for (std::size_t l = 0; l <= j; ++l) {
        const auto le = static_cast<Eigen::Index>(l);
        double t = tr_wzwz(je, le);
        if (reml_) {
          const MatrixXd& gl = G[l];
          t += -2.0 * (e.vb * H[j * m + l]).trace() + (e.vb * gj * e.vb * gl).trace();
        }
        e.info(je, le) = 0.5 * t;
        e.info(le, je) = 0.5 * t;
        e.observed(je, le) = quad2(je, le) - 0.5 * t;
        e.observed(le, je) = e.observed(je, le);
      }
    }
    return e;
  }

 private:
  FlatBlocks flat_;
  std::size_t k_, p_, m_;
  bool reml_;
  double log_det_xtx_ = 0.0;
  std::vector<double> W_, B_;  // per block: W = M^-1 and W X, reused by the second pass
  std::vector<double> M_, r_, u_, sums_, zu_, wzu_, wa_, zb_, wzb_;  // scratch
};

// The covariance G of a structured component's inner levels (see Structure) and its derivatives
// with respect to log tau2 and atanh rho, the scales on which it is fitted: there every value of
// the parameters is allowed, a variance stays positive and a correlation inside (-1, 1), as
// metafor's rma.mv parametrises them.
class StructuredCovariance {
 public:
  StructuredCovariance(Structure s, std::size_t levels)
      : s_(s),
        levels_(levels),
        n_tau2_(structure_tau2_count(s, levels)),
        n_rho_(structure_rho_count(s, levels)) {}

  [[nodiscard]] std::size_t n_tau2() const noexcept { return n_tau2_; }
  [[nodiscard]] std::size_t n_rho() const noexcept { return n_rho_; }
  [[nodiscard]] std::size_t levels() const noexcept { return levels_; }
  [[nodiscard]] std::size_t size() const noexcept { return n_tau2_ + n_rho_; }

  // UN is fitted on the Cholesky factor of G (G = L L', phi the entries of L's lower triangle,
  // column by column), as metafor's rma.mv fits it: every phi is then a positive semi-definite G,
  // where tau2 and one rho per pair, each in (-1, 1), need not be (an indefinite G can still give
  // a positive definite marginal covariance and a higher, meaningless, likelihood). The others
  // are fitted on log tau2 and atanh rho.
  [[nodiscard]] bool cholesky() const noexcept { return s_ == Structure::UN; }

  // The natural parameters at phi (size()).
  void natural(const double* phi, std::vector<double>& tau2, std::vector<double>& rho) const {
    tau2.clear();
    rho.clear();
    if (!cholesky()) {
      for (std::size_t t = 0; t < n_tau2_; ++t)
        tau2.push_back(std::exp(phi[t]));
      for (std::size_t r = 0; r < n_rho_; ++r)
        rho.push_back(std::tanh(phi[n_tau2_ + r]));
      return;
    }
    const MatrixXd g = G_phi(phi);
    const auto L = static_cast<Eigen::Index>(levels_);
    for (Eigen::Index l = 0; l < L; ++l)
      tau2.push_back(g(l, l));
    for (Eigen::Index a = 0; a < L; ++a) {
      for (Eigen::Index b = a + 1; b < L; ++b) {
        const double den = std::sqrt(g(a, a) * g(b, b));
        rho.push_back(den > 0.0 ? std::clamp(g(a, b) / den, -1.0, 1.0) : 0.0);
      }
    }
  }

  // phi at the natural parameters; false when there is none (UN: G not positive definite).
  [[nodiscard]] bool phi_of(const double* tau2, const double* rho, double* phi) const {
    if (!cholesky()) {
      for (std::size_t t = 0; t < n_tau2_; ++t)
        phi[t] = std::log(tau2[t]);
      for (std::size_t r = 0; r < n_rho_; ++r)
        phi[n_tau2_ + r] = std::atanh(rho[r]);
      return true;
    }
    Eigen::LLT<MatrixXd> llt(G(tau2, rho));
    if (llt.info() != Eigen::Success) return false;
    const MatrixXd l = llt.matrixL();
    std::size_t i = 0;
    const auto L = static_cast<Eigen::Index>(levels_);
    for (Eigen::Index c = 0; c < L; ++c) {
      for (Eigen::Index r = c; r < L; ++r)
        phi[i++] = l(r, c);
    }
    return true;
  }

  [[nodiscard]] MatrixXd G_phi(const double* phi) const {
    if (!cholesky()) {
      std::vector<double> tau2, rho;
      natural(phi, tau2, rho);
      return G(tau2.data(), rho.data());
    }
    const MatrixXd l = lower(phi);
    return l * l.transpose();
  }

  // dG / dphi_t for each t.
  [[nodiscard]] std::vector<MatrixXd> derivatives_phi(const double* phi) const {
    if (!cholesky()) {
      std::vector<double> tau2, rho;
      natural(phi, tau2, rho);
      return derivatives(tau2.data(), rho.data());
    }
    // G = L L': dG / dL_rc = E_rc L' + L E_cr.
    const MatrixXd l = lower(phi);
    const auto L = static_cast<Eigen::Index>(levels_);
    std::vector<MatrixXd> out;
    for (Eigen::Index c = 0; c < L; ++c) {
      for (Eigen::Index r = c; r < L; ++r) {
        // (E_rc L')_ij = [i = r] L_jc and (L E_cr)_ij = L_ic [j = r].
        MatrixXd e = MatrixXd::Zero(L, L);
        e.row(r) = l.col(c).transpose();
        e.col(r) += l.col(c);
        out.push_back(std::move(e));
      }
    }
    return out;
  }

  // G at tau2 (n_tau2) and rho (n_rho).
  [[nodiscard]] MatrixXd G(const double* tau2, const double* rho) const {
    const auto L = static_cast<Eigen::Index>(levels_);
    MatrixXd g(L, L);
    for (Eigen::Index l = 0; l < L; ++l) {
      for (Eigen::Index c = 0; c < L; ++c)
        g(l, c) = tau(tau2, l) * tau(tau2, c) * corr(rho, l, c);
    }
    return g;
  }

  // dG / d log tau2_t for t < n_tau2, then dG / d atanh rho_r.
  [[nodiscard]] std::vector<MatrixXd> derivatives(const double* tau2, const double* rho) const {
    const auto L = static_cast<Eigen::Index>(levels_);
    const MatrixXd g = G(tau2, rho);
    std::vector<MatrixXd> out;
    for (std::size_t t = 0; t < n_tau2_; ++t) {
      MatrixXd d = g;
      if (n_tau2_ > 1) {
        // tau_l tau_c = sqrt(tau2_l tau2_c): each factor that is tau_t contributes one half.
        const auto te = static_cast<Eigen::Index>(t);
        for (Eigen::Index l = 0; l < L; ++l) {
          for (Eigen::Index c = 0; c < L; ++c)
            d(l, c) *= 0.5 * ((l == te ? 1.0 : 0.0) + (c == te ? 1.0 : 0.0));
        }
      }
      out.push_back(std::move(d));
    }
    for (std::size_t r = 0; r < n_rho_; ++r) {
      MatrixXd d = MatrixXd::Zero(L, L);
      const double jac = 1.0 - rho[r] * rho[r];  // d rho / d atanh rho
      for (Eigen::Index l = 0; l < L; ++l) {
        for (Eigen::Index c = 0; c < L; ++c) {
          if (l == c) continue;
          double dc = 0.0;
          const auto lag = static_cast<int>(std::abs(l - c));
          switch (s_) {
            case Structure::CS:
            case Structure::HCS:
              dc = 1.0;
              break;
            case Structure::UN:
              dc = pair(l, c) == r ? 1.0 : 0.0;
              break;
            case Structure::AR:
            case Structure::HAR:
              dc = lag * std::pow(rho[0], lag - 1);
              break;
            case Structure::ID:
            case Structure::DIAG:
              break;
          }
          d(l, c) = tau(tau2, l) * tau(tau2, c) * dc * jac;
        }
      }
      out.push_back(std::move(d));
    }
    return out;
  }

 private:
  [[nodiscard]] MatrixXd lower(const double* phi) const {
    const auto L = static_cast<Eigen::Index>(levels_);
    MatrixXd l = MatrixXd::Zero(L, L);
    std::size_t i = 0;
    for (Eigen::Index c = 0; c < L; ++c) {
      for (Eigen::Index r = c; r < L; ++r)
        l(r, c) = phi[i++];
    }
    return l;
  }
  [[nodiscard]] double tau(const double* tau2, Eigen::Index l) const {
    return std::sqrt(tau2[n_tau2_ > 1 ? static_cast<std::size_t>(l) : 0]);
  }
  // The position of the pair (l, c), l != c, in UN's list (1,2), (1,3), ..., (2,3), ...
  [[nodiscard]] std::size_t pair(Eigen::Index l, Eigen::Index c) const {
    const auto a = static_cast<std::size_t>(std::min(l, c));
    const auto b = static_cast<std::size_t>(std::max(l, c));
    return a * levels_ - a * (a + 1) / 2 + (b - a - 1);
  }
  [[nodiscard]] double corr(const double* rho, Eigen::Index l, Eigen::Index c) const {
    if (l == c) return 1.0;
    switch (s_) {
      case Structure::CS:
      case Structure::HCS:
        return rho[0];
      case Structure::UN:
        return rho[pair(l, c)];
      case Structure::AR:
      case Structure::HAR:
        return std::pow(rho[0], static_cast<int>(std::abs(l - c)));
      case Structure::ID:
      case Structure::DIAG:
        return 0.0;
    }
    return 0.0;
  }

  Structure s_;
  std::size_t levels_, n_tau2_, n_rho_;
};

// The natural values of a model's variance parameters: sigma2 per component (held ones at 0),
// then a structured component's tau2 and rho.
struct Variances {
  std::vector<double> sigma2, tau2, rho;
};

// M for one block at the given variances: V + sum_j sigma2_j Z_j Z_j' + the structured part.
MatrixXd marginal(const Block& b, const Variances& v, const MatrixXd* g) {
  MatrixXd M = b.V;
  for (std::size_t j = 0; j < v.sigma2.size(); ++j)
    M.noalias() += v.sigma2[j] * b.Z[j];
  if (g) {
    const auto n = static_cast<Eigen::Index>(b.rows.size());
    for (Eigen::Index a = 0; a < n; ++a) {
      for (Eigen::Index c = 0; c < n; ++c) {
        if (b.same_outer(a, c) != 0.0) {
          M(a, c) += (*g)(static_cast<Eigen::Index>(b.inner[static_cast<std::size_t>(a)]),
                          static_cast<Eigen::Index>(b.inner[static_cast<std::size_t>(c)]));
        }
      }
    }
  }
  return M;
}

// The (restricted) likelihood of a model with a structured component, its score and expected
// information on the unconstrained scale phi: log sigma2_j for the free components, then log
// tau2_t and atanh rho_r. The same formulas as Likelihood (Harville 1977, eqs. 4.3 and 4.4) with
// D_t = dM / dphi_t in place of A_j:
//   s_t = -1/2 tr(P D_t) + 1/2 u'D_t u,  I_st = 1/2 tr(P D_s P D_t),  u = P y,
// computed with dense blocks (the structured part is not a sum within levels), which costs the
// sum over blocks of n^3 per parameter: still linear in the number of blocks.
class DenseLikelihood {
 public:
  DenseLikelihood(const std::vector<Block>& blocks, std::size_t k, std::size_t p,
                  std::vector<std::size_t> free_components, std::size_t m,
                  const StructuredCovariance& g, bool reml)
      : blocks_(blocks),
        k_(k),
        p_(p),
        m_(m),
        free_(std::move(free_components)),
        g_(g),
        reml_(reml) {
    log_det_xtx_ = log_det_xtx(blocks, p);
  }

  [[nodiscard]] std::size_t size() const noexcept { return free_.size() + g_.size(); }

  [[nodiscard]] Variances variances(const VectorXd& phi) const {
    Variances v;
    v.sigma2.assign(m_, 0.0);
    Eigen::Index i = 0;
    for (std::size_t j : free_)
      v.sigma2[j] = std::exp(phi(i++));
    g_.natural(phi.data() + i, v.tau2, v.rho);
    return v;
  }

  Evaluation operator()(const VectorXd& phi, bool derivatives) {
    const auto offset = static_cast<Eigen::Index>(free_.size());
    return evaluate(variances(phi), g_.G_phi(phi.data() + offset),
                    derivatives ? g_.derivatives_phi(phi.data() + offset) : std::vector<MatrixXd>{},
                    derivatives);
  }

  // The likelihood at the natural parameters `v` with the structure's G = `g` (and, for the
  // score and information, dG / dphi = `dg`).
  Evaluation evaluate(const Variances& v, const MatrixXd& g, const std::vector<MatrixXd>& dg,
                      bool derivatives) {
    Evaluation e;
    const auto pe = static_cast<Eigen::Index>(p_);
    MatrixXd xwx = MatrixXd::Zero(pe, pe);
    VectorXd xwy = VectorXd::Zero(pe);
    double log_det_m = 0.0;
    W_.resize(blocks_.size());
    for (std::size_t bi = 0; bi < blocks_.size(); ++bi) {
      const Block& b = blocks_[bi];
      Eigen::LLT<MatrixXd> llt(marginal(b, v, &g));
      if (llt.info() != Eigen::Success) return e;
      log_det_m += 2.0 * llt.matrixLLT().diagonal().array().log().sum();
      W_[bi] = llt.solve(MatrixXd::Identity(b.V.rows(), b.V.cols()));
      const MatrixXd wx = W_[bi] * b.X;
      xwx.noalias() += b.X.transpose() * wx;
      xwy.noalias() += wx.transpose() * b.y;
    }
    Eigen::LLT<MatrixXd> xllt(xwx);
    if (xllt.info() != Eigen::Success) return e;
    e.log_det_xwx = 2.0 * xllt.matrixLLT().diagonal().array().log().sum();
    e.vb = xllt.solve(MatrixXd::Identity(pe, pe));
    e.beta = xllt.solve(xwy);

    const std::size_t T = size();
    const auto te = static_cast<Eigen::Index>(T);
    double rwr = 0.0;
    VectorXd tr_w = VectorXd::Zero(te);
    VectorXd quad = VectorXd::Zero(te);
    std::vector<MatrixXd> G(T, MatrixXd::Zero(pe, pe));      // X'W D_t W X
    MatrixXd tr_pp = MatrixXd::Zero(te, te);                 // tr(W D_s W D_t)
    std::vector<MatrixXd> H(T * T, MatrixXd::Zero(pe, pe));  // X'W D_s W D_t W X
    for (std::size_t bi = 0; bi < blocks_.size(); ++bi) {
      const Block& b = blocks_[bi];
      const MatrixXd& W = W_[bi];
      const VectorXd u = W * (b.y - b.X * e.beta);
      rwr += (b.y - b.X * e.beta).dot(u);
      if (!derivatives) continue;
      const MatrixXd wx = W * b.X;
      std::vector<MatrixXd> wd(T), dwx(T);
      for (std::size_t t = 0; t < T; ++t) {
        const MatrixXd D = derivative(b, v, dg, t);
        const auto ti = static_cast<Eigen::Index>(t);
        wd[t] = W * D;
        dwx[t] = D * wx;
        tr_w(ti) += wd[t].trace();
        quad(ti) += u.dot(D * u);
        G[t].noalias() += wx.transpose() * dwx[t];
      }
      for (std::size_t s = 0; s < T; ++s) {
        for (std::size_t t = s; t < T; ++t) {
          tr_pp(static_cast<Eigen::Index>(s), static_cast<Eigen::Index>(t)) +=
              wd[s].cwiseProduct(wd[t].transpose()).sum();
          H[s * T + t].noalias() += dwx[s].transpose() * (W * dwx[t]);
        }
      }
    }
    const double two_pi = std::log(2.0 * std::numbers::pi);
    const double kk = static_cast<double>(k_);
    const double pp = static_cast<double>(p_);
    e.ll = reml_
               ? -0.5 * ((kk - pp) * two_pi + log_det_m + e.log_det_xwx + rwr) + 0.5 * log_det_xtx_
               : -0.5 * (kk * two_pi + log_det_m + rwr);
    e.ok = std::isfinite(e.ll);
    if (!derivatives) return e;
    e.score.resize(te);
    e.info.resize(te, te);
    for (std::size_t s = 0; s < T; ++s) {
      const auto si = static_cast<Eigen::Index>(s);
      const double trace = reml_ ? tr_w(si) - (e.vb * G[s]).trace() : tr_w(si);
      e.score(si) = -0.5 * trace + 0.5 * quad(si);
      for (std::size_t t = s; t < T; ++t) {
        const auto ti = static_cast<Eigen::Index>(t);
        double x = tr_pp(si, ti);
        if (reml_) x += -2.0 * (e.vb * H[s * T + t]).trace() + (e.vb * G[s] * e.vb * G[t]).trace();
        e.info(si, ti) = 0.5 * x;
        e.info(ti, si) = 0.5 * x;
      }
    }
    return e;
  }

  // W of each block at the last evaluation.
  [[nodiscard]] const std::vector<MatrixXd>& W() const noexcept { return W_; }

 private:
  // D_t within block b.
  [[nodiscard]] MatrixXd derivative(const Block& b, const Variances& v,
                                    const std::vector<MatrixXd>& dg, std::size_t t) const {
    if (t < free_.size()) return v.sigma2[free_[t]] * b.Z[free_[t]];
    const MatrixXd& d = dg[t - free_.size()];
    const auto n = static_cast<Eigen::Index>(b.rows.size());
    MatrixXd D = MatrixXd::Zero(n, n);
    for (Eigen::Index a = 0; a < n; ++a) {
      for (Eigen::Index c = 0; c < n; ++c) {
        if (b.same_outer(a, c) != 0.0) {
          D(a, c) = d(static_cast<Eigen::Index>(b.inner[static_cast<std::size_t>(a)]),
                      static_cast<Eigen::Index>(b.inner[static_cast<std::size_t>(c)]));
        }
      }
    }
    return D;
  }

  const std::vector<Block>& blocks_;
  std::size_t k_, p_, m_;
  std::vector<std::size_t> free_;
  const StructuredCovariance& g_;
  bool reml_;
  double log_det_xtx_ = 0.0;
  std::vector<MatrixXd> W_;
};

// Fisher scoring on phi (unconstrained), every step checked to raise the likelihood (halved
// until it does), stopped when no natural parameter moves by more than `tol` (variances relative
// to max(value, scale), correlations absolutely). A variance whose maximum is at 0 drifts towards
// it on the log scale until its steps are below the tolerance.
struct DenseOptimum {
  VectorXd phi;
  Evaluation at;
  Termination termination = Termination::converged;
  int iterations = 0;
};

DenseOptimum maximise_dense(DenseLikelihood& lik, VectorXd phi, const std::vector<bool>& fixed,
                            double scale, double tol, int max_iterations) {
  DenseOptimum o;
  Evaluation ev = lik(phi, true);
  // The free coordinates: a fixed one (a parameter held at its boundary, phi = +-inf) takes no
  // step, and its row of the information, zero there, is left out of the solve.
  std::vector<Eigen::Index> open;
  for (Eigen::Index i = 0; i < phi.size(); ++i) {
    if (!fixed[static_cast<std::size_t>(i)]) open.push_back(i);
  }
  const auto n_open = static_cast<Eigen::Index>(open.size());
  auto change = [&](const VectorXd& a, const VectorXd& b) {
    const Variances va = lik.variances(a);
    const Variances vb = lik.variances(b);
    double c = 0.0;
    for (std::size_t j = 0; j < va.sigma2.size(); ++j)
      c = std::max(c, std::abs(va.sigma2[j] - vb.sigma2[j]) / std::max(vb.sigma2[j], scale));
    for (std::size_t j = 0; j < va.tau2.size(); ++j)
      c = std::max(c, std::abs(va.tau2[j] - vb.tau2[j]) / std::max(vb.tau2[j], scale));
    for (std::size_t j = 0; j < va.rho.size(); ++j)
      c = std::max(c, std::abs(va.rho[j] - vb.rho[j]));
    return c;
  };
  // The observed information on the open coordinates at phi: central differences of the exact
  // score. False when the likelihood cannot be evaluated next to phi.
  auto observed_information = [&](const VectorXd& at, MatrixXd& observed) {
    observed.resize(n_open, n_open);
    for (Eigen::Index a = 0; a < n_open; ++a) {
      const Eigen::Index i = open[static_cast<std::size_t>(a)];
      const double h = 1e-5 * std::max(1.0, std::abs(at(i)));
      VectorXd up = at;
      VectorXd down = at;
      up(i) += h;
      down(i) -= h;
      const Evaluation eu = lik(up, true);
      const Evaluation ed = lik(down, true);
      if (!eu.ok || !ed.ok) return false;
      for (Eigen::Index c = 0; c < n_open; ++c) {
        const Eigen::Index j = open[static_cast<std::size_t>(c)];
        observed(c, a) = -(eu.score(j) - ed.score(j)) / (2.0 * h);
      }
    }
    observed = 0.5 * (observed + observed.transpose()).eval();
    return observed.allFinite();
  };
  auto open_score = [&](const Evaluation& e) {
    VectorXd g(n_open);
    for (Eigen::Index a = 0; a < n_open; ++a)
      g(a) = e.score(open[static_cast<std::size_t>(a)]);
    return g;
  };
  bool stopped = false;  // by the stop rule, at a maximum
  for (int it = 1; it <= max_iterations; ++it) {
    o.iterations = it;
    if (!ev.ok) break;
    if (n_open == 0) break;
    VectorXd score(n_open);
    MatrixXd info(n_open, n_open);
    for (Eigen::Index a = 0; a < n_open; ++a) {
      score(a) = ev.score(open[static_cast<std::size_t>(a)]);
      for (Eigen::Index c = 0; c < n_open; ++c)
        info(a, c) = ev.info(open[static_cast<std::size_t>(a)], open[static_cast<std::size_t>(c)]);
    }
    Eigen::LDLT<MatrixXd> ldlt(info);
    VectorXd reduced = ldlt.solve(score);
    if (ldlt.info() != Eigen::Success || !reduced.allFinite()) {
      reduced = score.cwiseQuotient(info.diagonal().cwiseMax(1e-300));
    }
    VectorXd step = VectorXd::Zero(phi.size());
    for (Eigen::Index a = 0; a < n_open; ++a)
      step(open[static_cast<std::size_t>(a)]) = reduced(a);
    // On the log and atanh scales a step of a few units is already a factor of e^5 in a
    // variance or a correlation at 0.9999: longer ones are shortened before the line search.
    const double longest = step.cwiseAbs().maxCoeff();
    if (longest > 5.0) step *= 5.0 / longest;
    auto raises = [&](const Evaluation& at) {
      return at.ok && at.ll >= ev.ll - 1e-12 * std::abs(ev.ll);
    };
    VectorXd next = phi + step;
    Evaluation at_next = lik(next, true);
    bool accepted = raises(at_next) && at_next.ll > ev.ll;
    if (!accepted) {
      // The expected information can be a poor model of the likelihood far from a maximum and
      // near a singular G (UN's Cholesky factor with a zero on its diagonal): Fisher steps then
      // need halving many times and crawl. Newton on the observed information (central
      // differences of the exact score), damped as Levenberg-Marquardt until a step raises the
      // likelihood (Nocedal & Wright 2006, Numerical Optimization, sec. 10.3), does not.
      MatrixXd observed;
      if (observed_information(phi, observed)) {
        const double size = std::max(observed.diagonal().cwiseAbs().maxCoeff(), 1e-12);
        for (double lambda : {0.0, 1e-6, 1e-4, 1e-2, 1e-1, 1.0, 1e1, 1e2, 1e4, 1e6}) {
          MatrixXd A = observed;
          A.diagonal().array() += lambda * size;
          Eigen::LLT<MatrixXd> llt(A);
          if (llt.info() != Eigen::Success) continue;
          const VectorXd r = llt.solve(score);
          VectorXd s2 = VectorXd::Zero(phi.size());
          for (Eigen::Index a = 0; a < n_open; ++a)
            s2(open[static_cast<std::size_t>(a)]) = r(a);
          const double l2 = s2.cwiseAbs().maxCoeff();
          if (l2 > 5.0) s2 *= 5.0 / l2;
          VectorXd candidate = phi + s2;
          Evaluation at = lik(candidate, true);
          if (at.ok && at.ll > ev.ll) {
            next = std::move(candidate);
            at_next = std::move(at);
            accepted = true;
            break;
          }
        }
      }
    }
    for (double length = 0.5; !accepted && length > 1e-18; length *= 0.5) {
      next = phi + length * step;
      at_next = lik(next, true);
      accepted = raises(at_next);
    }
    if (!accepted) {  // no step raises the likelihood: phi is its maximum to rounding
      stopped = true;
      break;
    }
    const double moved = change(next, phi);
    phi = next;
    ev = std::move(at_next);
    if (moved <= tol) {
      stopped = true;
      break;
    }
    if (it == max_iterations) o.termination = Termination::max_iterations;
  }
  // Polish. Along a direction where the likelihood is nearly flat (a tau2 of a level with few
  // clusters), a change of 1e-5 in the estimate moves the log-likelihood by 1e-12, under what
  // the line search can tell from rounding. The score is exact there: Newton steps on the
  // observed information are taken while they shrink it, the likelihood not falling beyond
  // rounding.
  for (int polish = 0; stopped && ev.ok && n_open > 0 && polish < 8; ++polish) {
    MatrixXd observed;
    if (!observed_information(phi, observed)) break;
    Eigen::LLT<MatrixXd> llt(observed);
    if (llt.info() != Eigen::Success) break;  // not concave here: a boundary, left as it is
    const VectorXd g = open_score(ev);
    const VectorXd r = llt.solve(g);
    if (!r.allFinite() || r.cwiseAbs().maxCoeff() > 1.0) break;
    VectorXd candidate = phi;
    for (Eigen::Index a = 0; a < n_open; ++a)
      candidate(open[static_cast<std::size_t>(a)]) += r(a);
    Evaluation at = lik(candidate, true);
    if (!at.ok || at.ll < ev.ll - 1e-13 * std::abs(ev.ll)) break;
    const VectorXd g2 = open_score(at);
    if (!(g2.dot(llt.solve(g2)) < g.dot(r))) break;
    const double moved = change(candidate, phi);
    phi = std::move(candidate);
    ev = std::move(at);
    if (moved <= tol) break;
  }
  o.phi = phi;
  o.at = std::move(ev);
  return o;
}

struct Optimum {
  VectorXd theta;
  Evaluation at;
  Termination termination = Termination::converged;
  int iterations = 0;
};

// Fisher scoring on sigma2 >= 0 with components `fixed` held at their start values (for the
// profile likelihood). A component at 0 whose score is not positive stays there (the
// likelihood falls into the boundary); every step raises the likelihood or is halved until it
// does; the search stops when no step moves a free component by more than `tol` relative to
// max(sigma2_j, scale).
Optimum maximise(Likelihood& lik, VectorXd theta, const std::vector<bool>& fixed, double scale,
                 double tol, int max_iterations) {
  const Eigen::Index m = theta.size();
  Optimum o;
  Evaluation ev = lik(theta, true);
  for (int it = 1; it <= max_iterations; ++it) {
    o.iterations = it;
    if (!ev.ok) break;
    std::vector<Eigen::Index> free;
    for (Eigen::Index j = 0; j < m; ++j) {
      if (fixed[static_cast<std::size_t>(j)]) continue;
      if (theta(j) > 0.0 || ev.score(j) > 0.0) free.push_back(j);
    }
    if (free.empty()) {
      o.theta = theta;
      o.at = std::move(ev);
      o.termination = Termination::boundary;
      return o;
    }
    const auto f = static_cast<Eigen::Index>(free.size());
    MatrixXd info(f, f);
    MatrixXd observed(f, f);
    VectorXd score(f);
    for (Eigen::Index a = 0; a < f; ++a) {
      const Eigen::Index ja = free[static_cast<std::size_t>(a)];
      score(a) = ev.score(ja);
      for (Eigen::Index c = 0; c < f; ++c) {
        const Eigen::Index jc = free[static_cast<std::size_t>(c)];
        info(a, c) = ev.info(ja, jc);
        observed(a, c) = ev.observed(ja, jc);
      }
    }
    // Newton's step with the observed information where the likelihood is concave (quadratic
    // convergence near the maximum), else Fisher scoring's with the expected information (always
    // positive semi-definite, robust far from it).
    Eigen::LLT<MatrixXd> newton(observed);
    VectorXd step;
    if (newton.info() == Eigen::Success) step = newton.solve(score);
    Eigen::LDLT<MatrixXd> ldlt(info);
    if (newton.info() != Eigen::Success || !step.allFinite()) step = ldlt.solve(score);
    if (!step.allFinite() || (newton.info() != Eigen::Success && ldlt.info() != Eigen::Success)) {
      // A singular information (a component the data cannot tell apart from another): a scaled
      // gradient step, which the line search still makes safe.
      step = score.cwiseQuotient(info.diagonal().cwiseMax(1e-300));
    }
    double length = 1.0;
    VectorXd next = theta;
    Evaluation at_next;
    bool accepted = false;
    for (int half = 0; half < 80; ++half) {
      next = theta;
      for (Eigen::Index a = 0; a < f; ++a) {
        const Eigen::Index j = free[static_cast<std::size_t>(a)];
        next(j) = std::max(0.0, theta(j) + length * step(a));
      }
      at_next = lik(next, true);
      if (at_next.ok && at_next.ll >= ev.ll - 1e-12 * std::abs(ev.ll)) {
        accepted = true;
        break;
      }
      length *= 0.5;
    }
    if (!accepted) {
      // No step along the scoring direction raises the likelihood: theta is its maximum to
      // rounding error.
      o.theta = theta;
      o.at = std::move(ev);
      o.termination = Termination::converged;
      return o;
    }
    double change = 0.0;
    for (Eigen::Index j = 0; j < m; ++j) {
      change = std::max(change, std::abs(next(j) - theta(j)) / std::max(next(j), scale));
    }
    theta = next;
    ev = std::move(at_next);
    if (change <= tol) {
      bool boundary = false;
      for (Eigen::Index j = 0; j < m; ++j)
        boundary = boundary || (!fixed[static_cast<std::size_t>(j)] && theta(j) == 0.0);
      o.theta = theta;
      o.at = std::move(ev);
      o.termination = boundary ? Termination::boundary : Termination::converged;
      return o;
    }
  }
  o.theta = theta;
  o.at = std::move(ev);
  o.termination = Termination::max_iterations;
  return o;
}

// Wald test of the coefficients `from` .. p - 1 with covariance vb: chi2, or F with ddf.
void wald(const VectorXd& beta, const MatrixXd& vb, Eigen::Index from, double ddf, double& qm,
          double& qm_df, double& qm_p) {
  const Eigen::Index q = beta.size() - from;
  qm_df = static_cast<double>(q);
  if (q <= 0) {
    qm = kNaN;
    qm_p = kNaN;
    return;
  }
  const VectorXd b = beta.tail(q);
  const MatrixXd v = vb.bottomRightCorner(q, q);
  qm = b.dot(v.llt().solve(b));
  if (std::isfinite(ddf)) {
    qm /= qm_df;
    qm_p = stats::f_sf(qm, qm_df, ddf);
  } else {
    qm_p = stats::chisq_sf(qm, qm_df);
  }
}

// The profile-likelihood interval of component j (metafor's confint on an rma.mv fit): the
// values where 2 (ll_max - ll_profile) equals the chi2(1) quantile of the level, the others
// re-maximised at each value; the lower end is 0 when the profile at 0 stays above it.
std::pair<double, double> profile_interval(Likelihood& lik, const Optimum& best, Eigen::Index j,
                                           double level, double scale, double tol,
                                           const std::vector<bool>& held) {
  const double target = best.at.ll - 0.5 * stats::chisq_quantile(level / 100.0, 1.0);
  std::vector<bool> fixed = held;  // components held at 0 stay there
  fixed[static_cast<std::size_t>(j)] = true;
  auto profile = [&](double value) {
    VectorXd start = best.theta;
    start(j) = value;
    const Optimum o = maximise(lik, start, fixed, scale, tol, 1000);
    return o.at.ok ? o.at.ll - target : kNaN;
  };
  auto bisect = [&](double lo, double hi, double f_lo, double f_hi) {
    // f(lo) and f(hi) of opposite signs; the profile is monotone on each side of the maximum.
    // TOMS 748 (Alefeld, Potra & Shi 1995, ACM Trans Math Softw 21:327-344) brackets the root
    // like bisection but converges superlinearly: about ten refits instead of forty.
    std::uintmax_t iterations = 200;
    const auto close = [&](double a, double b) {
      return std::abs(b - a) <= 1e-10 * std::max(std::abs(b), scale);
    };
    const auto [a, b] =
        boost::math::tools::toms748_solve(profile, lo, hi, f_lo, f_hi, close, iterations);
    return 0.5 * (a + b);
  };
  const double est = best.theta(j);
  double lower = 0.0;
  const double at_zero = profile(0.0);
  if (at_zero < 0.0 && est > 0.0) lower = bisect(0.0, est, at_zero, best.at.ll - target);
  double hi = std::max(est, scale) * 2.0;
  double f_hi = profile(hi);
  for (int it = 0; it < 200 && f_hi > 0.0; ++it) {
    hi *= 2.0;
    f_hi = profile(hi);
  }
  const double upper = f_hi <= 0.0 ? bisect(est, hi, best.at.ll - target, f_hi) : kNaN;
  return {lower, upper};
}

}  // namespace

std::string_view structure_name(Structure s) noexcept {
  switch (s) {
    case Structure::CS:
      return "CS";
    case Structure::HCS:
      return "HCS";
    case Structure::UN:
      return "UN";
    case Structure::ID:
      return "ID";
    case Structure::DIAG:
      return "DIAG";
    case Structure::AR:
      return "AR";
    case Structure::HAR:
      return "HAR";
  }
  return "?";
}

std::size_t structure_tau2_count(Structure s, std::size_t levels) noexcept {
  switch (s) {
    case Structure::CS:
    case Structure::ID:
    case Structure::AR:
      return 1;
    case Structure::HCS:
    case Structure::UN:
    case Structure::DIAG:
    case Structure::HAR:
      return levels;
  }
  return 0;
}

std::size_t structure_rho_count(Structure s, std::size_t levels) noexcept {
  switch (s) {
    case Structure::CS:
    case Structure::HCS:
    case Structure::AR:
    case Structure::HAR:
      return levels > 1 ? 1 : 0;
    case Structure::UN:
      return levels * (levels - 1) / 2;
    case Structure::ID:
    case Structure::DIAG:
      return 0;
  }
  return 0;
}

std::string_view small_sample_name(SmallSample s) noexcept {
  switch (s) {
    case SmallSample::CR1:
      return "CR1";
    case SmallSample::CR2:
      return "CR2";
  }
  return "?";
}

namespace {

// The fit without a structured component: Fisher scoring and Newton on sigma2 >= 0 (maximise),
// then scans for a higher maximum.
Optimum fit_components(Likelihood& lik, std::size_t n_blocks, const VectorXd& theta,
                       const std::vector<bool>& held, double total, double scale,
                       const MultilevelOptions& options) {
  Optimum best = maximise(lik, theta, held, scale, options.tolerance, options.max_iterations);
  // The likelihood of several variance components need not be concave: with few clusters a
  // component can have a local maximum at 0 and a higher one inside. A scan along each
  // component's axis through the optimum (0, and 2^-10 .. 2^3 times the variance beyond the
  // sampling variances) finds such a higher point; the search restarts from it, until no point
  // of the scan is higher.
  const double reach =
      std::max({total, 0.1 * scale, best.theta.size() ? best.theta.maxCoeff() : 0.0});
  // With many independent blocks the likelihood is close to its quadratic approximation and the
  // scan is skipped unless a component is at the boundary, where local maxima were seen.
  const bool scan = n_blocks < 1000 || (best.theta.array() == 0.0).any();
  for (int round = 0; scan && best.at.ok && round < 8; ++round) {
    VectorXd better;
    double ll_better = best.at.ll + 1e-10 * std::max(1.0, std::abs(best.at.ll));
    for (Eigen::Index j = 0; j < best.theta.size(); ++j) {
      if (held[static_cast<std::size_t>(j)]) continue;
      for (int e = -11; e <= 3; ++e) {
        VectorXd t = best.theta;
        t(j) = e < -10 ? 0.0 : std::ldexp(reach, e);
        const Evaluation at = lik(t, false);
        if (at.ok && at.ll > ll_better) {
          ll_better = at.ll;
          better = t;
        }
      }
    }
    // The likelihood can also rise towards a face of the boundary along a path the axes miss: a
    // component at 0 with the others moving (found by the grid check of the suite on one of
    // 10,000 random three-level data sets). Each component inside is set to 0 and the others
    // refitted; a higher face restarts the search from it.
    for (Eigen::Index j = 0; better.size() == 0 && j < best.theta.size(); ++j) {
      if (held[static_cast<std::size_t>(j)] || best.theta(j) == 0.0) continue;
      VectorXd t = best.theta;
      t(j) = 0.0;
      std::vector<bool> fixed = held;
      fixed[static_cast<std::size_t>(j)] = true;
      const Optimum face =
          maximise(lik, t, fixed, scale, options.tolerance, options.max_iterations);
      if (face.at.ok && face.at.ll > ll_better) {
        ll_better = face.at.ll;
        better = face.theta;
      }
    }
    if (better.size() == 0) break;
    Optimum again = maximise(lik, better, held, scale, options.tolerance, options.max_iterations);
    again.iterations += best.iterations;
    if (!again.at.ok || !(again.at.ll > best.at.ll)) break;
    best = std::move(again);
  }
  return best;
}

// The fit with a structured component: Fisher scoring on log variances and atanh correlations
// (DenseLikelihood), from rho = 0.5 and, where there is a correlation and few enough blocks for
// the second fit to cost little, from rho = 0 too (the likelihood in rho can have two maxima);
// the higher maximum is kept. Sets f.tau2, f.rho and `g_at`.
Optimum fit_structured(const MultilevelData& d, const std::vector<Block>& blocks, MultilevelFit& f,
                       double total, double scale, const MultilevelOptions& options,
                       std::optional<MatrixXd>& g_at) {
  const StructuredComponent& sc = *d.structured;
  const StructuredCovariance g(sc.structure, sc.inner_levels);
  std::vector<std::size_t> free;
  for (std::size_t j = 0; j < f.held.size(); ++j) {
    if (!f.held[j]) free.push_back(j);
  }
  DenseLikelihood lik(blocks, f.k, f.p, free, f.held.size(), g, options.method == Method::REML);
  const double start =
      std::log(std::max(total, 0.1 * scale) / static_cast<double>(free.size() + 1));
  std::optional<DenseOptimum> best;
  std::vector<bool> fixed(lik.size(), false);
  int iterations = 0;
  for (double rho0 : {0.5, 0.0}) {
    if (best && (g.n_rho() == 0 || blocks.size() >= 1000)) break;
    VectorXd phi(static_cast<Eigen::Index>(lik.size()));
    for (std::size_t i = 0; i < free.size(); ++i)
      phi(static_cast<Eigen::Index>(i)) = start;
    const std::vector<double> tau2(g.n_tau2(), std::exp(start));
    const std::vector<double> rho(g.n_rho(), rho0);
    if (!g.phi_of(tau2.data(), rho.data(), phi.data() + free.size())) continue;
    // UN's search is first given a short budget: one that crawls towards G = 0 is cut short
    // there, checked against that face below, and resumed only when the face is lower.
    const int budget =
        g.cholesky() ? std::min(options.max_iterations, 200) : options.max_iterations;
    DenseOptimum o = maximise_dense(lik, phi, fixed, scale, options.tolerance, budget);
    iterations += o.iterations;
    if (o.at.ok && (!best || o.at.ll > best->at.ll)) best = std::move(o);
  }
  Optimum out;
  out.iterations = iterations;
  if (!best) return out;
  // The boundary. On the log and atanh scales a maximum at a variance of 0 or a correlation of
  // +-1 (CS with no variance within clusters beyond the shared one is rho = 1) is approached
  // ever more slowly, as the score in phi vanishes there, and the stop rule can fire short of it.
  // A parameter that drifted towards its boundary is held there (phi = -inf or +-inf: exp and
  // tanh give 0 and +-1 exactly) and the others fitted again; the boundary is kept when its
  // maximum is at least as high (the Karush-Kuhn-Tucker point of the constrained problem).
  // A face (parameters `hold` held where `phi` puts them, the others refitted) replaces the best
  // point when its maximum is at least as high, to rounding.
  auto keep_face = [&](VectorXd phi, std::vector<bool> hold) {
    DenseOptimum o =
        maximise_dense(lik, std::move(phi), hold, scale, options.tolerance, options.max_iterations);
    iterations += o.iterations;
    if (!o.at.ok || o.at.ll < best->at.ll - 1e-12 * std::abs(best->at.ll)) return false;
    best = std::move(o);
    fixed = std::move(hold);
    return true;
  };
  for (int round = 0; round < 6; ++round) {
    bool moved = false;
    // A parameter held at its boundary while the others were still far from their maximum may
    // belong inside once they have moved: each is released from a point near its boundary and
    // kept free when that raises the likelihood.
    for (Eigen::Index i = 0; i < best->phi.size() && !moved; ++i) {
      if (!fixed[static_cast<std::size_t>(i)]) continue;
      const auto n_var = static_cast<Eigen::Index>(free.size() + g.n_tau2());
      std::vector<bool> hold = fixed;
      hold[static_cast<std::size_t>(i)] = false;
      VectorXd phi = best->phi;
      phi(i) = i < n_var ? std::log(1e-2 * scale) : std::copysign(std::atanh(0.9), phi(i));
      DenseOptimum o =
          maximise_dense(lik, phi, hold, scale, options.tolerance, options.max_iterations);
      iterations += o.iterations;
      if (o.at.ok && o.at.ll > best->at.ll + 1e-12 * std::abs(best->at.ll)) {
        best = std::move(o);
        fixed = std::move(hold);
        moved = true;
      }
    }
    if (moved) continue;
    // UN's Cholesky factor reaches its boundary (a zero on L's diagonal) inside its scale.
    const auto n_var = static_cast<Eigen::Index>(free.size() + g.n_tau2());
    const auto n_phi = g.cholesky() ? static_cast<Eigen::Index>(free.size()) : best->phi.size();
    for (Eigen::Index i = 0; i < n_phi; ++i) {
      if (fixed[static_cast<std::size_t>(i)]) continue;
      const double x = i < n_var ? std::exp(best->phi(i)) : std::tanh(best->phi(i));
      const bool near = i < n_var ? x < 1e-3 * scale : std::abs(x) > 0.95;
      if (!near) continue;
      std::vector<bool> hold = fixed;
      hold[static_cast<std::size_t>(i)] = true;
      VectorXd phi = best->phi;
      phi(i) = i < n_var ? -std::numeric_limits<double>::infinity()
                         : std::copysign(std::numeric_limits<double>::infinity(), x);
      if (keep_face(std::move(phi), std::move(hold))) {
        moved = true;
        break;
      }
    }
    if (!moved) break;
  }
  // G = 0. When every tau2 of UN is at 0, its Cholesky factor approaches 0, where the score and
  // the information in L vanish together: the steps shrink with L and the search crawls without
  // reaching it (dat.kalaian1996: 2,000 iterations). When G is small at the best point found, the
  // face L = 0 is fitted (the other components refitted) and kept when it is as high; rho is then
  // not identified, and reported as such.
  bool g_zero = false;
  if (g.cholesky()) {
    const MatrixXd g_best = g.G_phi(best->phi.data() + free.size());
    if (g_best.diagonal().maxCoeff() < 1e-3 * scale ||
        best->termination == Termination::max_iterations) {
      std::vector<bool> hold = fixed;
      VectorXd phi = best->phi;
      for (std::size_t i = free.size(); i < hold.size(); ++i) {
        hold[i] = true;
        phi(static_cast<Eigen::Index>(i)) = 0.0;
      }
      g_zero = keep_face(std::move(phi), std::move(hold));
    }
    if (!g_zero && best->termination == Termination::max_iterations &&
        options.max_iterations > 200) {
      DenseOptimum o =
          maximise_dense(lik, best->phi, fixed, scale, options.tolerance, options.max_iterations);
      iterations += o.iterations;
      if (o.at.ok && o.at.ll >= best->at.ll) best = std::move(o);
    }
  }
  out.iterations = iterations;
  Variances v = lik.variances(best->phi);
  if (g_zero) std::fill(v.rho.begin(), v.rho.end(), kNaN);
  // A variance that drifted to a negligible value is at its boundary, 0, as metafor's would be
  // reported at its optimiser's floor.
  bool boundary = false;
  auto floor_at_zero = [&](std::vector<double>& xs) {
    for (double& x : xs) {
      if (x < 1e-10 * scale) {
        x = 0.0;
        boundary = true;
      }
    }
  };
  floor_at_zero(v.sigma2);
  floor_at_zero(v.tau2);
  boundary = boundary || g_zero;
  for (double r : v.rho)
    boundary = boundary || std::abs(r) == 1.0;
  out.theta =
      Eigen::Map<const VectorXd>(v.sigma2.data(), static_cast<Eigen::Index>(v.sigma2.size()));
  out.at = std::move(best->at);
  out.termination = best->termination == Termination::converged && boundary ? Termination::boundary
                                                                            : best->termination;
  f.tau2 = v.tau2;
  f.rho = v.rho;
  g_at = g.G(f.tau2.data(), f.rho.data());
  return out;
}

}  // namespace

MultilevelFit fit_multilevel(const MultilevelData& d, const MultilevelOptions& options) {
  assert(options.method == Method::REML || options.method == Method::ML);
  assert(d.vi.size() == d.yi.size() && d.x.rows() == d.yi.size());
  MultilevelFit f;
  f.method = options.method;
  f.test = options.test;
  f.level = options.level;
  f.k = d.yi.size();
  f.p = d.x.p;
  const std::size_t m = d.components.size();
  if (f.k <= f.p) {
    f.status = MultilevelStatus::too_few_estimates;
    return f;
  }
  Blocks blocks = make_blocks(d, options.max_block);
  f.blocks = blocks.blocks.size();
  f.largest_block = blocks.largest;
  if (blocks.status != MultilevelStatus::ok) {
    f.status = blocks.status;
    f.bad_row = blocks.bad_row;
    return f;
  }
  const bool reml = options.method == Method::REML;

  // Start: the residual variance of least squares beyond the mean sampling variance, shared
  // equally between the components (any positive start reaches the same maximum; this one is on
  // the data's scale).
  double scale = 0.0;
  for (double v : d.vi)
    scale += v;
  scale /= static_cast<double>(f.k);
  double rss = 0.0;
  {
    const auto p = static_cast<Eigen::Index>(f.p);
    MatrixXd xtx = MatrixXd::Zero(p, p);
    VectorXd xty = VectorXd::Zero(p);
    for (const Block& b : blocks.blocks) {
      xtx.noalias() += b.X.transpose() * b.X;
      xty.noalias() += b.X.transpose() * b.y;
    }
    Eigen::LLT<MatrixXd> llt(xtx);
    if (llt.info() != Eigen::Success) {
      f.status = MultilevelStatus::rank_deficient;
      return f;
    }
    const VectorXd b0 = llt.solve(xty);
    for (const Block& b : blocks.blocks)
      rss += (b.y - b.X * b0).squaredNorm();
  }
  const double total = rss / static_cast<double>(f.k - f.p) - scale;
  VectorXd theta = VectorXd::Constant(static_cast<Eigen::Index>(m),
                                      std::max(total, 0.1 * scale) / static_cast<double>(m));
  // A factor with a single level cannot be told apart from the intercept (or from the other
  // components when there is none): its component is held at 0, as metafor holds it, and says so.
  std::vector<bool> held(m, false);
  for (std::size_t j = 0; j < m; ++j) {
    if (d.components[j].levels <= 1) {
      held[j] = true;
      theta(static_cast<Eigen::Index>(j)) = 0.0;
    }
  }
  f.held = held;
  std::optional<Likelihood> lik;  // the model without a structured component
  std::optional<MatrixXd> g_at;   // G at the estimates, with one
  Optimum best;
  if (d.structured) {
    best = fit_structured(d, blocks.blocks, f, total, scale, options, g_at);
  } else {
    lik.emplace(blocks.blocks, f.k, f.p, m, reml);
    best = fit_components(*lik, blocks.blocks.size(), theta, held, total, scale, options);
  }
  if (!best.at.ok) {
    f.status = MultilevelStatus::rank_deficient;
    return f;
  }
  f.termination = best.termination;
  f.iterations = best.iterations;

  const auto p = static_cast<Eigen::Index>(f.p);
  f.sigma2.assign(best.theta.data(), best.theta.data() + best.theta.size());
  for (std::size_t j = 0; j < m; ++j) {
    f.at_boundary.push_back(f.sigma2[j] == 0.0);
    f.levels.push_back(d.components[j].levels);
  }
  f.df = options.test == Test::t ? static_cast<double>(f.k - f.p) : kNaN;
  const double crit = stats::critical_value(options.level, f.df);
  f.vb.resize(f.p * f.p);
  for (Eigen::Index a = 0; a < p; ++a) {
    for (Eigen::Index c = 0; c < p; ++c)
      f.vb[static_cast<std::size_t>(a * p + c)] = best.at.vb(a, c);
    const double b = best.at.beta(a);
    const double se = std::sqrt(best.at.vb(a, a));
    f.beta.push_back(b);
    f.se.push_back(se);
    f.stat.push_back(b / se);
    f.pval.push_back(stats::two_sided_p(b / se, f.df));
    f.ci_lb.push_back(b - crit * se);
    f.ci_ub.push_back(b + crit * se);
  }
  wald(best.at.beta, best.at.vb, static_cast<Eigen::Index>(d.x.first_tested()), f.df, f.QM, f.QM_df,
       f.QM_p);

  // Weights: the diagonal of W at the estimates.
  f.weight.assign(f.k, 0.0);
  {
    double sum = 0.0;
    const Variances at{f.sigma2, f.tau2, f.rho};
    for (const Block& b : blocks.blocks) {
      const MatrixXd M = marginal(b, at, g_at ? &*g_at : nullptr);
      const MatrixXd W = M.llt().solve(MatrixXd::Identity(M.rows(), M.cols()));
      for (std::size_t a = 0; a < b.rows.size(); ++a) {
        f.weight[b.rows[a]] = W(static_cast<Eigen::Index>(a), static_cast<Eigen::Index>(a));
        sum += f.weight[b.rows[a]];
      }
    }
    for (double& w : f.weight)
      w *= 100.0 / sum;
  }

  // QE: the generalised least squares fit under V alone (every sigma2 = 0).
  f.QE_df = static_cast<double>(f.k - f.p);
  {
    MatrixXd xwx = MatrixXd::Zero(p, p);
    VectorXd xwy = VectorXd::Zero(p);
    double ywy = 0.0;
    for (const Block& b : blocks.blocks) {
      Eigen::LLT<MatrixXd> llt(b.V);
      const MatrixXd wx = llt.solve(b.X);
      const VectorXd wy = llt.solve(b.y);
      xwx.noalias() += b.X.transpose() * wx;
      xwy.noalias() += b.X.transpose() * wy;
      ywy += b.y.dot(wy);
    }
    Eigen::LLT<MatrixXd> llt(xwx);
    f.QE = llt.info() == Eigen::Success ? ywy - xwy.dot(llt.solve(xwy)) : kNaN;
    f.QE_p = stats::chisq_sf(f.QE, f.QE_df);
  }

  // Fit statistics as metafor's fitstats: the coefficients and the variance components count as
  // parameters; REML's BIC and AICc use the k - p residual degrees of freedom.
  const double parms = static_cast<double>(
      f.p + static_cast<std::size_t>(std::count(held.begin(), held.end(), false)) + f.tau2.size() +
      f.rho.size());
  const double n = reml ? static_cast<double>(f.k - f.p) : static_cast<double>(f.k);
  f.logLik = best.at.ll;
  double ll_saturated = 0.0;  // ML deviance: against the saturated model, y = mu exactly
  if (!reml) {
    double log_det_v = 0.0;
    for (const Block& b : blocks.blocks)
      log_det_v += 2.0 * Eigen::LLT<MatrixXd>(b.V).matrixLLT().diagonal().array().log().sum();
    ll_saturated = -0.5 * (static_cast<double>(f.k) * std::log(2.0 * std::numbers::pi) + log_det_v);
  }
  f.deviance = reml ? -2.0 * f.logLik : -2.0 * (f.logLik - ll_saturated);
  f.AIC = -2.0 * f.logLik + 2.0 * parms;
  f.BIC = -2.0 * f.logLik + parms * std::log(n);
  const double nn = std::max(n, parms + 2.0);
  f.AICc = -2.0 * f.logLik + 2.0 * parms * nn / (nn - parms - 1.0);

  if (options.profile && lik) {
    for (std::size_t j = 0; j < m; ++j) {
      if (held[j]) {
        f.sigma2_lb.push_back(kNaN);
        f.sigma2_ub.push_back(kNaN);
        continue;
      }
      const auto [lo, hi] = profile_interval(*lik, best, static_cast<Eigen::Index>(j),
                                             options.level, scale, options.tolerance, held);
      f.sigma2_lb.push_back(lo);
      f.sigma2_ub.push_back(hi);
    }
  }
  return f;
}

double multilevel_log_likelihood(const MultilevelData& d, const MultilevelOptions& options,
                                 std::span<const double> sigma2, std::span<const double> tau2,
                                 std::span<const double> rho) {
  assert(sigma2.size() == d.components.size());
  if (d.yi.size() <= d.x.p) return kNaN;
  Blocks blocks = make_blocks(d, options.max_block);
  if (blocks.status != MultilevelStatus::ok) return kNaN;
  const bool reml = options.method == Method::REML;
  if (d.structured) {
    const StructuredCovariance g(d.structured->structure, d.structured->inner_levels);
    assert(tau2.size() == g.n_tau2() && rho.size() == g.n_rho());
    DenseLikelihood lik(blocks.blocks, d.yi.size(), d.x.p, {}, sigma2.size(), g, reml);
    const Variances v{
        {sigma2.begin(), sigma2.end()}, {tau2.begin(), tau2.end()}, {rho.begin(), rho.end()}};
    const Evaluation e = lik.evaluate(v, g.G(tau2.data(), rho.data()), {}, false);
    return e.ok ? e.ll : kNaN;
  }
  Likelihood lik(blocks.blocks, d.yi.size(), d.x.p, d.components.size(), reml);
  VectorXd theta(static_cast<Eigen::Index>(sigma2.size()));
  for (std::size_t j = 0; j < sigma2.size(); ++j)
    theta(static_cast<Eigen::Index>(j)) = sigma2[j];
  const Evaluation e = lik(theta, false);
  return e.ok ? e.ll : kNaN;
}

namespace {

// The symmetric (pseudo-)inverse square root of a symmetric positive semi-definite matrix:
// eigenvalues at or below 1e-12 count as 0 (as clubSandwich's matrix_power, whose CR2 numbers
// metafor reports). A cluster whose estimates alone determine a coefficient (a moderator level
// seen in one cluster) has such a zero eigenvalue in M_c - X_c B X_c'; its pseudo-inverse keeps
// CR2 defined there, where the inverse would not exist.
MatrixXd inverse_square_root(const MatrixXd& m) {
  Eigen::SelfAdjointEigenSolver<MatrixXd> eig(m);
  if (eig.info() != Eigen::Success) return MatrixXd::Constant(m.rows(), m.cols(), kNaN);
  const VectorXd inv_sqrt =
      eig.eigenvalues().unaryExpr([](double v) { return v > 1e-12 ? 1.0 / std::sqrt(v) : 0.0; });
  return eig.eigenvectors() * inv_sqrt.asDiagonal() * eig.eigenvectors().transpose();
}

// The cluster-robust Wald test of coefficients `from` .. p - 1 with CR2's covariance vr, as
// Hotelling's T^2 with the degrees of freedom of Tipton & Pustejovsky (2015, J Educ Behav Stat
// 40:604-634, section 3, "HTZ"; clubSandwich's Wald_test default, which metafor's robust() with
// clubSandwich = TRUE reports). With q tested coefficients and per cluster c the rows of G_c and
// H_c for them (see robust_multilevel), P_cd = [c = d] G_c G_c' - H_c H_d' (q x q) is the
// covariance kernel of the estimator's pieces, Omega = sum_c P_cc its expectation and
// B_cd = Omega^-1/2 P_cd Omega^-1/2. The estimator's total variance matches a Wishart with
//   nu = q (q + 1) / sum_st sum_cd (B_cd[s,t] B_cd[t,s] + B_cd[s,s] B_cd[t,t])
// degrees of freedom; then F = (nu - q + 1) / (nu q) Q on q and nu - q + 1 df. The double sum
// over clusters is reduced to single sums: with a_c = G~_c G~_c', b_c = H~_c H~_c' (the ~ rows
// multiplied by Omega^-1/2) and S_su = sum_c h~_sc h~_uc',
//   sum_cd B_cd[s,t] B_cd[u,v] = sum_c (a_c[s,t] a_c[u,v] - a_c[s,t] b_c[u,v]
//                                       - b_c[s,t] a_c[u,v]) + tr(S_su S_vt),
// so the test costs O(clusters q^2 p^2), not O(clusters^2). For q = 1 it is the t test of the
// coefficient with its Satterthwaite df.
void htz_test(const VectorXd& beta, const MatrixXd& vr, Eigen::Index from,
              const std::vector<MatrixXd>& G, const std::vector<MatrixXd>& H, RobustFit& r) {
  const Eigen::Index p = beta.size();
  const Eigen::Index q = p - from;
  r.QM = kNaN;
  r.QM_df = static_cast<double>(q);
  r.QM_ddf = kNaN;
  r.QM_p = kNaN;
  if (q <= 0) return;
  MatrixXd omega = MatrixXd::Zero(q, q);
  for (std::size_t c = 0; c < G.size(); ++c) {
    const auto gc = G[c].bottomRows(q);
    const auto hc = H[c].bottomRows(q);
    omega.noalias() += gc * gc.transpose() - hc * hc.transpose();
  }
  const MatrixXd omega_inv_half = inverse_square_root(omega);
  if (!omega_inv_half.allFinite()) return;
  std::vector<MatrixXd> a(G.size());
  std::vector<MatrixXd> b(G.size());
  MatrixXd S = MatrixXd::Zero(q * p, q * p);  // block (s, u) is S_su
  VectorXd z(q * p);
  for (std::size_t c = 0; c < G.size(); ++c) {
    const MatrixXd gt = omega_inv_half * G[c].bottomRows(q);
    const MatrixXd ht = omega_inv_half * H[c].bottomRows(q);
    a[c] = gt * gt.transpose();
    b[c] = ht * ht.transpose();
    for (Eigen::Index s = 0; s < q; ++s)
      z.segment(s * p, p) = ht.row(s).transpose();
    S.noalias() += z * z.transpose();
  }
  auto block = [&](Eigen::Index s, Eigen::Index u) { return S.block(s * p, u * p, p, p); };
  auto sum_bb = [&](Eigen::Index s, Eigen::Index t, Eigen::Index u, Eigen::Index v) {
    double total = block(s, u).cwiseProduct(block(v, t).transpose()).sum();
    for (std::size_t c = 0; c < a.size(); ++c)
      total += a[c](s, t) * a[c](u, v) - a[c](s, t) * b[c](u, v) - b[c](s, t) * a[c](u, v);
    return total;
  };
  double total_variance = 0.0;
  for (Eigen::Index s = 0; s < q; ++s) {
    for (Eigen::Index t = 0; t < q; ++t)
      total_variance += sum_bb(s, t, t, s) + sum_bb(s, s, t, t);
  }
  const double nu = static_cast<double>(q * (q + 1)) / total_variance;

  const VectorXd bt = beta.tail(q);
  Eigen::LLT<MatrixXd> llt(vr.bottomRightCorner(q, q));
  if (llt.info() != Eigen::Success) return;
  const double Q = bt.dot(llt.solve(bt));
  const double qd = static_cast<double>(q);
  const double ddf = nu - qd + 1.0;
  const double f = std::max((nu - qd + 1.0) / nu, 0.0) * Q / qd;
  // metafor reports max(0, F) and max(0, ddf), and no p-value when ddf is not positive.
  r.QM = std::max(0.0, f);
  r.QM_ddf = std::max(0.0, ddf);
  if (ddf > 0.0) r.QM_p = stats::f_sf(f, qd, ddf);
}

}  // namespace

RobustFit robust_multilevel(const MultilevelData& d, const MultilevelFit& fit,
                            std::span<const std::uint32_t> cluster, SmallSample small_sample) {
  RobustFit r;
  r.small_sample = small_sample;
  const auto p = static_cast<Eigen::Index>(fit.p);
  const std::size_t k = d.yi.size();
  Eigen::Map<const MatrixXd> vb_map(fit.vb.data(), p, p);  // symmetric: either order
  const MatrixXd vb = vb_map;
  VectorXd beta(p);
  for (Eigen::Index a = 0; a < p; ++a)
    beta(a) = fit.beta[static_cast<std::size_t>(a)];

  std::vector<std::uint32_t> ids(cluster.begin(), cluster.end());
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  r.n_clusters = ids.size();
  std::vector<std::vector<std::size_t>> members(ids.size());
  for (std::size_t i = 0; i < k; ++i) {
    members[static_cast<std::size_t>(std::lower_bound(ids.begin(), ids.end(), cluster[i]) -
                                     ids.begin())]
        .push_back(i);
  }
  const double n = static_cast<double>(r.n_clusters);
  MatrixXd vr = MatrixXd::Zero(p, p);
  const Variances at{fit.sigma2, fit.tau2, fit.rho};
  std::optional<MatrixXd> g_at;
  if (d.structured) {
    g_at = StructuredCovariance(d.structured->structure, d.structured->inner_levels)
               .G(fit.tau2.data(), fit.rho.data());
  }
  std::vector<double> df(fit.p, n - static_cast<double>(fit.p));

  if (small_sample == SmallSample::CR1) {
    // The sandwich (Hedges, Tipton & Johnson 2010, Res Synth Methods 1:39-65, eq. 6; metafor's
    // robust()): with the bread vb X'W of the model fit and its residuals e, the sum over
    // clusters of (sum_i in c vb (WX)_i' e_i)(.)', times n / (n - p), t and F on n - p df.
    Blocks blocks = make_blocks(d, std::numeric_limits<std::size_t>::max());
    std::vector<std::size_t> cluster_of(k);
    for (std::size_t c = 0; c < members.size(); ++c) {
      for (std::size_t i : members[c])
        cluster_of[i] = c;
    }
    std::vector<VectorXd> u(ids.size(), VectorXd::Zero(p));
    for (const Block& b : blocks.blocks) {
      const MatrixXd M = marginal(b, at, g_at ? &*g_at : nullptr);
      const MatrixXd wx = M.llt().solve(b.X);
      const VectorXd e = b.y - b.X * beta;
      for (std::size_t a = 0; a < b.rows.size(); ++a) {
        const auto row = static_cast<Eigen::Index>(a);
        u[cluster_of[b.rows[a]]].noalias() += vb * wx.row(row).transpose() * e(row);
      }
    }
    for (const VectorXd& uc : u)
      vr.noalias() += uc * uc.transpose();
    vr *= n / (n - static_cast<double>(fit.p));
  } else {
    // CR2 with the fitted model as working covariance (Tipton 2015, eqs. 6-8; Pustejovsky &
    // Tipton 2018, J Bus Econ Stat 36:672-683, section 2): for each cluster c, with M_c its
    // block of the marginal covariance, W_c = M_c^-1, M_c = L_c L_c' and B = (sum X_c'W_c X_c)^-1,
    //   A_c = L_c [L_c' (M_c - X_c B X_c') L_c]^-1/2 L_c',
    //   V_R = B (sum_c X_c'W_c A_c e_c e_c' A_c W_c X_c) B,
    // and per coefficient the Satterthwaite degrees of freedom (tr P)^2 / |P|_F^2 with
    //   P_cd = [c = d] |g_c|^2 - h_c . h_d,  g_c = E_c[i,] L_c,  h_c = E_c[i,] X_c L_B,
    // E_c = B X_c'W_c A_c and L_B L_B' = B.
    std::unordered_map<std::uint64_t, double> covariance;
    for (const SamplingCovariance& s : d.covariances) {
      const std::uint64_t lo = std::min(s.row, s.col);
      const std::uint64_t hi = std::max(s.row, s.col);
      covariance[lo * k + hi] = s.value;
    }
    auto covariance_of = [&](std::size_t i, std::size_t j) {
      double v = 0.0;
      if (i == j) {
        v = d.vi[i];
      } else {
        const auto it = covariance.find(std::min(i, j) * k + std::max(i, j));
        if (it != covariance.end()) v = it->second;
      }
      for (std::size_t c = 0; c < d.components.size(); ++c) {
        if (d.components[c].level[i] == d.components[c].level[j]) v += fit.sigma2[c];
      }
      if (g_at && d.structured->outer[i] == d.structured->outer[j]) {
        v += (*g_at)(static_cast<Eigen::Index>(d.structured->inner[i]),
                     static_cast<Eigen::Index>(d.structured->inner[j]));
      }
      return v;
    };
    struct Cluster {
      MatrixXd M, X, W, L;
      VectorXd e;
    };
    std::vector<Cluster> cs(members.size());
    MatrixXd xwx = MatrixXd::Zero(p, p);
    for (std::size_t c = 0; c < members.size(); ++c) {
      const std::vector<std::size_t>& rows = members[c];
      const auto nc = static_cast<Eigen::Index>(rows.size());
      Cluster& cl = cs[c];
      cl.M.resize(nc, nc);
      cl.X.resize(nc, p);
      cl.e.resize(nc);
      for (Eigen::Index a = 0; a < nc; ++a) {
        const std::size_t i = rows[static_cast<std::size_t>(a)];
        for (Eigen::Index b = 0; b < nc; ++b)
          cl.M(a, b) = covariance_of(i, rows[static_cast<std::size_t>(b)]);
        for (Eigen::Index j = 0; j < p; ++j)
          cl.X(a, j) = d.x(i, static_cast<std::size_t>(j));
        cl.e(a) = d.yi[i] - cl.X.row(a).dot(beta);
      }
      Eigen::LLT<MatrixXd> llt(cl.M);
      cl.L = llt.matrixL();
      cl.W = llt.solve(MatrixXd::Identity(nc, nc));
      xwx.noalias() += cl.X.transpose() * cl.W * cl.X;
    }
    const MatrixXd B = xwx.llt().solve(MatrixXd::Identity(p, p));
    const MatrixXd LB = B.llt().matrixL();
    std::vector<MatrixXd> E(cs.size());
    for (std::size_t c = 0; c < cs.size(); ++c) {
      const Cluster& cl = cs[c];
      const MatrixXd S = cl.L.transpose() * (cl.M - cl.X * B * cl.X.transpose()) * cl.L;
      const MatrixXd A = cl.L * inverse_square_root(S) * cl.L.transpose();
      E[c] = B * cl.X.transpose() * cl.W * A;
      const VectorXd u = E[c] * cl.e;
      vr.noalias() += u * u.transpose();
    }
    // Per cluster, G_c = E_c L_c and H_c = E_c X_c L_B: row i of each gives g_c and h_c above.
    std::vector<MatrixXd> G(cs.size());
    std::vector<MatrixXd> H(cs.size());
    for (std::size_t c = 0; c < cs.size(); ++c) {
      G[c] = E[c] * cs[c].L;
      H[c] = E[c] * cs[c].X * LB;
    }
    for (Eigen::Index i = 0; i < p; ++i) {
      double trace = 0.0;
      double frobenius = 0.0;  // sum over c of P_cc^2, then the off-diagonal terms
      double h4 = 0.0;
      MatrixXd HH = MatrixXd::Zero(p, p);
      for (std::size_t c = 0; c < cs.size(); ++c) {
        const VectorXd g = G[c].row(i).transpose();
        const VectorXd h = H[c].row(i).transpose();
        const double pcc = g.squaredNorm() - h.squaredNorm();
        trace += pcc;
        frobenius += pcc * pcc;
        h4 += h.squaredNorm() * h.squaredNorm();
        HH.noalias() += h * h.transpose();
      }
      frobenius += HH.squaredNorm() - h4;
      df[static_cast<std::size_t>(i)] = trace * trace / frobenius;
    }
    htz_test(beta, vr, static_cast<Eigen::Index>(d.x.first_tested()), G, H, r);
  }

  r.vb.assign(vr.data(), vr.data() + vr.size());
  for (Eigen::Index a = 0; a < p; ++a) {
    const auto ai = static_cast<std::size_t>(a);
    const double b = beta(a);
    const double se = std::sqrt(vr(a, a));
    const double crit = stats::critical_value(fit.level, df[ai]);
    r.se.push_back(se);
    r.stat.push_back(b / se);
    r.df.push_back(df[ai]);
    r.pval.push_back(stats::two_sided_p(b / se, df[ai]));
    r.ci_lb.push_back(b - crit * se);
    r.ci_ub.push_back(b + crit * se);
  }
  if (small_sample == SmallSample::CR1) {
    wald(beta, vr, static_cast<Eigen::Index>(d.x.first_tested()), n - static_cast<double>(fit.p),
         r.QM, r.QM_df, r.QM_p);
    r.QM_ddf = n - static_cast<double>(fit.p);
  }
  return r;
}

}  // namespace evident
