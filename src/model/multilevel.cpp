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

class Likelihood {
 public:
  Likelihood(const std::vector<Block>& blocks, std::size_t k, std::size_t p, std::size_t m,
             bool reml)
      : flat_(blocks, p, m), k_(k), p_(p), m_(m), reml_(reml) {
    // REML's constant includes 1/2 log det X'X, so that the restricted likelihood does not
    // depend on how the design is parametrised (Harville 1974).
    MatrixXd xtx = MatrixXd::Zero(static_cast<Eigen::Index>(p), static_cast<Eigen::Index>(p));
    for (const Block& b : blocks)
      xtx.noalias() += b.X.transpose() * b.X;
    Eigen::LLT<MatrixXd> llt(xtx);
    log_det_xtx_ =
        llt.info() == Eigen::Success ? 2.0 * llt.matrixLLT().diagonal().array().log().sum() : kNaN;
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

bool has_intercept(const MultilevelData& d) {
  if (d.x.p == 0) return false;
  for (std::size_t i = 0; i < d.yi.size(); ++i) {
    if (d.x(i, 0) != 1.0) return false;
  }
  return true;
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

std::string_view small_sample_name(SmallSample s) noexcept {
  switch (s) {
    case SmallSample::CR1:
      return "CR1";
    case SmallSample::CR2:
      return "CR2";
  }
  return "?";
}

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
  Likelihood lik(blocks.blocks, f.k, f.p, m, reml);

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
  const bool scan = blocks.blocks.size() < 1000 || (best.theta.array() == 0.0).any();
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
    if (better.size() == 0) break;
    Optimum again = maximise(lik, better, held, scale, options.tolerance, options.max_iterations);
    again.iterations += best.iterations;
    if (!again.at.ok || !(again.at.ll > best.at.ll)) break;
    best = std::move(again);
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
  wald(best.at.beta, best.at.vb, has_intercept(d) && f.p > 1 ? 1 : 0, f.df, f.QM, f.QM_df, f.QM_p);

  // Weights: the diagonal of W at the estimates.
  f.weight.assign(f.k, 0.0);
  {
    double sum = 0.0;
    for (const Block& b : blocks.blocks) {
      MatrixXd M = b.V;
      for (std::size_t j = 0; j < m; ++j)
        M.noalias() += f.sigma2[j] * b.Z[j];
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
      f.p + static_cast<std::size_t>(std::count(held.begin(), held.end(), false)));
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

  if (options.profile) {
    for (std::size_t j = 0; j < m; ++j) {
      if (held[j]) {
        f.sigma2_lb.push_back(kNaN);
        f.sigma2_ub.push_back(kNaN);
        continue;
      }
      const auto [lo, hi] = profile_interval(lik, best, static_cast<Eigen::Index>(j), options.level,
                                             scale, options.tolerance, held);
      f.sigma2_lb.push_back(lo);
      f.sigma2_ub.push_back(hi);
    }
  }
  return f;
}

double multilevel_log_likelihood(const MultilevelData& d, const MultilevelOptions& options,
                                 std::span<const double> sigma2) {
  assert(sigma2.size() == d.components.size());
  if (d.yi.size() <= d.x.p) return kNaN;
  Blocks blocks = make_blocks(d, options.max_block);
  if (blocks.status != MultilevelStatus::ok) return kNaN;
  Likelihood lik(blocks.blocks, d.yi.size(), d.x.p, d.components.size(),
                 options.method == Method::REML);
  VectorXd theta(static_cast<Eigen::Index>(sigma2.size()));
  for (std::size_t j = 0; j < sigma2.size(); ++j)
    theta(static_cast<Eigen::Index>(j)) = sigma2[j];
  const Evaluation e = lik(theta, false);
  return e.ok ? e.ll : kNaN;
}

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
      MatrixXd M = b.V;
      for (std::size_t j = 0; j < d.components.size(); ++j)
        M.noalias() += fit.sigma2[j] * b.Z[j];
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
    auto marginal = [&](std::size_t i, std::size_t j) {
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
          cl.M(a, b) = marginal(i, rows[static_cast<std::size_t>(b)]);
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
      Eigen::SelfAdjointEigenSolver<MatrixXd> eig(S);
      const VectorXd inv_sqrt = eig.eigenvalues().cwiseMax(0.0).cwiseSqrt().cwiseInverse();
      const MatrixXd S_inv_half =
          eig.eigenvectors() * inv_sqrt.asDiagonal() * eig.eigenvectors().transpose();
      const MatrixXd A = cl.L * S_inv_half * cl.L.transpose();
      E[c] = B * cl.X.transpose() * cl.W * A;
      const VectorXd u = E[c] * cl.e;
      vr.noalias() += u * u.transpose();
    }
    for (Eigen::Index i = 0; i < p; ++i) {
      double trace = 0.0;
      double frobenius = 0.0;  // sum over c of P_cc^2, then the off-diagonal terms
      double h4 = 0.0;
      MatrixXd H = MatrixXd::Zero(p, p);
      for (std::size_t c = 0; c < cs.size(); ++c) {
        const VectorXd g = (E[c].row(i) * cs[c].L).transpose();
        const VectorXd h = (E[c].row(i) * cs[c].X * LB).transpose();
        const double pcc = g.squaredNorm() - h.squaredNorm();
        trace += pcc;
        frobenius += pcc * pcc;
        h4 += h.squaredNorm() * h.squaredNorm();
        H.noalias() += h * h.transpose();
      }
      frobenius += H.squaredNorm() - h4;
      df[static_cast<std::size_t>(i)] = trace * trace / frobenius;
    }
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
  const Eigen::Index from = has_intercept(d) && fit.p > 1 ? 1 : 0;
  if (small_sample == SmallSample::CR1) {
    wald(beta, vr, from, n - static_cast<double>(fit.p), r.QM, r.QM_df, r.QM_p);
    r.QM_ddf = n - static_cast<double>(fit.p);
  } else if (p - from == 1) {
    // One coefficient tested: its t statistic squared on its Satterthwaite df.
    const auto last = static_cast<std::size_t>(p - 1);
    r.QM = r.stat[last] * r.stat[last];
    r.QM_df = 1.0;
    r.QM_ddf = df[last];
    r.QM_p = r.pval[last];
  } else {
    r.QM = kNaN;
    r.QM_df = static_cast<double>(p - from);
    r.QM_ddf = kNaN;
    r.QM_p = kNaN;
  }
  return r;
}

}  // namespace evident
