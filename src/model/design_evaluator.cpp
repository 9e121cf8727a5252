#include "model/design_evaluator.hpp"

#include <vector>

#include "model/q_root.hpp"

namespace evident::detail {

namespace {

// X' diag(d) X for one vector d.
Matrix crossprod(DesignView x, std::span<const double> d) {
  const std::size_t p = x.p;
  Matrix m = Matrix::Zero(static_cast<Eigen::Index>(p), static_cast<Eigen::Index>(p));
  double* out = m.data();  // column-major; the upper triangle is filled, then mirrored
  for (std::size_t i = 0; i < d.size(); ++i) {
    const double* xi = &x.values[i * p];
    for (std::size_t a = 0; a < p; ++a) {
      const double da = d[i] * xi[a];
      for (std::size_t b = a; b < p; ++b)
        out[b * p + a] += da * xi[b];
    }
  }
  symmetrize(m);
  return m;
}

}  // namespace

double DesignEvaluator::unweighted_ss() const {
  double mean = 0.0;
  for (double yi : y_)
    mean += yi;
  mean /= static_cast<double>(y_.size());
  double ss = 0.0;
  for (double yi : y_)
    ss += (yi - mean) * (yi - mean);
  return ss;
}

// Ordinary least squares, P0 = I - H, A = (X'X)^-1:
//   tr(P0V)    = sum v - tr(A X'VX)
//   tr(P0VP0V) = sum v^2 - 2 tr(A X'V^2X) + tr(A X'VX A X'VX)
HedgesTerms DesignEvaluator::hedges() {
  HedgesTerms h;
  if (!unweighted(Detail::score)) {
    h.ok = false;
    return h;
  }
  std::vector<double> v2(v_.size());
  double sv = 0.0, sv2 = 0.0;
  for (std::size_t i = 0; i < v_.size(); ++i) {
    v2[i] = v_[i] * v_[i];
    sv += v_[i];
    sv2 += v2[i];
  }
  const Matrix xvx = crossprod(x_, v_);
  const Matrix xv2x = crossprod(x_, v2);
  const Matrix axvx = a * xvx;
  h.rss = q;
  h.trace_pv = sv - axvx.trace();
  h.trace_pvpv = sv2 - 2.0 * trace_product(a, xv2x) + trace_product(axvx, axvx.transpose());
  return h;
}

// At w = 1 / (v + t0), with B = WX, P = W - B A B':
//   tr(PVPV) = sum w^2 v^2 - 2 tr(A X'diag(w^3 v^2)X) + tr(A G A G),  G = X'diag(w^2 v)X
//   tr(PVP)  = sum w^2 v   - 2 tr(A X'diag(w^3 v)X)   + tr(A M2 A G)
SidikJonkmanTerms DesignEvaluator::sidik_jonkman(double t0) {
  SidikJonkmanTerms s;
  if (!at(t0, Detail::derivative)) {
    s.ok = false;
    return s;
  }
  const std::size_t k = y_.size();
  std::vector<double> w2v(k), w3v(k), w3v2(k);
  double sw2v = 0.0, sw2v2 = 0.0;
  for (std::size_t i = 0; i < k; ++i) {
    const double w = 1.0 / (v_[i] + t0);
    w2v[i] = w * w * v_[i];
    w3v[i] = w2v[i] * w;
    w3v2[i] = w3v[i] * v_[i];
    sw2v += w2v[i];
    sw2v2 += w2v[i] * v_[i];
  }
  const Matrix g = crossprod(x_, w2v);
  const Matrix ag = a * g;
  s.q = q;
  s.trace_pp = trace_pp;
  s.trace_pvpv =
      sw2v2 - 2.0 * trace_product(a, crossprod(x_, w3v2)) + trace_product(ag, ag.transpose());
  s.trace_pvp =
      sw2v - 2.0 * trace_product(a, crossprod(x_, w3v)) + trace_product(a * m2, ag.transpose());
  return s;
}

QRoot solve_generalized_q(std::span<const double> y, std::span<const double> v, DesignView x,
                          double target, double tolerance, int max_iterations, unsigned threads) {
  DesignEvaluator ev(y, v, x, threads);
  return solve_generalized_q(ev, target, tolerance, max_iterations);
}

}  // namespace evident::detail
