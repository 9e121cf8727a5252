// The Bayesian normal-normal hierarchical model by numerical integration over tau.
//
// Given tau, with w = 1 / (v + tau^2), mu's posterior is N(m(tau), V(tau)):
//   flat prior:      m = sum w y / sum w,                    V = 1 / sum w
//   N(M, S^2) prior: m = (sum w y + M / S^2) / (sum w + 1 / S^2), V = 1 / (sum w + 1 / S^2)
// and tau's marginal likelihood (mu integrated out) is, with Q = sum w (y - ybar_w)^2,
//   flat:   log L = -1/2 [(k - 1) log 2 pi + sum log(v + tau^2) + log sum w + Q]
//   normal: log L = -1/2 [k log 2 pi + sum log(v + tau^2) + log(1 + S^2 sum w) + Q
//                         + sum w (ybar_w - M)^2 / (1 + S^2 sum w)]
// (Röver 2020, J Stat Softw 93(6), eqs. 6-11; the normal form is the density of
// N(M 1, diag(v + tau^2) + S^2 1 1') written through sum w). tau's posterior is prior x L,
// normalised by an adaptive Gauss-Kronrod (7, 15) quadrature over t in [0, 1) with
// tau = s t / (1 - t); the quadrature's panels and nodes then serve every other summary:
// moments directly, quantiles of tau by integrating within one panel, and the distributions of
// mu, of a new study's effect and of each shrunken study effect as mixtures of normals over the
// nodes (theta_i | tau ~ N(b y_i + (1 - b) m, b v_i + (1 - b)^2 V), b = tau^2 / (v_i + tau^2)).

#include "evident/model/bayes.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <boost/math/quadrature/gauss.hpp>
#include <boost/math/quadrature/gauss_kronrod.hpp>
#include <boost/math/special_functions/erf.hpp>
#include <cassert>
#include <charconv>
#include <cmath>
#include <limits>
#include <numbers>

namespace evident {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kLog2Pi = 1.8378770664093454835606594728112;

using Kronrod = boost::math::quadrature::gauss_kronrod<double, 15>;
using Gauss = boost::math::quadrature::gauss<double, 7>;
constexpr int kNodes = 15;
// Panels the adaptive quadrature may use; far more than a smooth posterior needs (a few dozen).
constexpr std::size_t kMaxPanels = 2000;
// Panels of the first pass, equal in t.
constexpr std::size_t kFirstPanels = 4;

// The quantities integrated with error control: the normalising constant, the first two moments
// of tau, and of mu (E m and E(V + m^2)).
enum Component { kMass, kTau, kTau2, kMu, kMu2, kComponents };
using Values = std::array<double, kComponents>;

struct Node {
  double tau = 0.0;
  double weight = 0.0;  // quadrature weight x density (relative to the reference), in tau measure
  double m = 0.0, V = 0.0;
};

struct Panel {
  double a = 0.0, b = 0.0;  // in t
  Values kronrod{}, gauss{};
  Values l1{};  // the Kronrod sum of |f|
  std::array<Node, kNodes> nodes;
  std::array<double, kNodes> g{};  // the density in t at the nodes (relative to the reference)
  // The error estimate of QUADPACK's qk15 (Piessens et al. 1983, QUADPACK, section 2.2.1):
  // |K - G| is the error of the 7-point Gauss rule; the 15-point Kronrod sum's own error is far
  // smaller for a smooth integrand, l1 (200 |K - G| / l1)^1.5. R's integrate uses the same.
  [[nodiscard]] double error(std::size_t c) const {
    const double diff = std::fabs(kronrod[c] - gauss[c]);
    if (!(l1[c] > 0.0)) return diff;
    return l1[c] * std::min(1.0, std::pow(200.0 * diff / l1[c], 1.5));
  }
};

// Numbers given to the command line as text: a finite number, else nullopt.
std::optional<double> number(std::string_view text) {
  double x = 0.0;
  const auto* end = text.data() + text.size();
  const auto r = std::from_chars(text.data(), end, x);
  if (r.ec != std::errc{} || r.ptr != end || !std::isfinite(x)) return std::nullopt;
  return x;
}

class Model {
 public:
  Model(std::span<const double> y, std::span<const double> v, const BayesOptions& o)
      : y_(y), v_(v), tau_(o.tau), mu_(o.mu) {
    double sum_inv = 0.0;
    for (double vi : v)
      sum_inv += 1.0 / vi;
    // The scale of the map t -> tau: the root mean of the sampling variances in the harmonic
    // sense (bayesmeta's s0), where the likelihood of tau changes shape.
    scale_ = std::sqrt(static_cast<double>(v.size()) / sum_inv);
  }

  [[nodiscard]] double scale() const { return scale_; }
  [[nodiscard]] bool proper_prior() const {
    return tau_.kind != TauPrior::Kind::jeffreys && !mu_.flat;
  }

  // Whether E tau^j is finite. tau's posterior density falls as tau^-a for large tau: the
  // likelihood as tau^-(k - 1) (flat prior on mu) or tau^-k, times the prior's tail (half-Cauchy
  // tau^-2, Jeffreys tau^-1, the others faster than any power); E tau^j exists when j < a - 1.
  // mu's conditional variance V grows as tau^2 / k, so mu's variance (and a new study's) exists
  // when tau's second moment does.
  [[nodiscard]] bool moment_exists(int j) const {
    const double likelihood = static_cast<double>(y_.size()) - (mu_.flat ? 1.0 : 0.0);
    double prior = std::numeric_limits<double>::infinity();
    if (tau_.kind == TauPrior::Kind::half_cauchy) prior = 2.0;
    if (tau_.kind == TauPrior::Kind::jeffreys) prior = 1.0;
    return static_cast<double>(j) < likelihood + prior - 1.0;
  }

  // The range of t where the prior of tau is positive.
  [[nodiscard]] std::pair<double, double> t_range() const {
    if (tau_.kind == TauPrior::Kind::uniform) return {t_of(tau_.lower), t_of(tau_.upper)};
    return {0.0, 1.0};
  }
  [[nodiscard]] double t_of(double tau) const { return tau / (tau + scale_); }

  // log prior(tau) (normalised when proper) + log L(tau), and mu's conditional mean and variance.
  struct At {
    double log_density = 0.0, m = 0.0, V = 0.0;
  };
  [[nodiscard]] At at(double tau) const {
    const double t2 = tau * tau;
    const std::size_t k = y_.size();
    double sw = 0.0, swy = 0.0, slog = 0.0;
    for (std::size_t i = 0; i < k; ++i) {
      const double w = 1.0 / (v_[i] + t2);
      sw += w;
      swy += w * y_[i];
      slog += std::log(v_[i] + t2);
    }
    const double ybar = swy / sw;
    double q = 0.0;
    for (std::size_t i = 0; i < k; ++i) {
      const double r = y_[i] - ybar;
      q += r * r / (v_[i] + t2);
    }
    At out;
    const auto kd = static_cast<double>(k);
    double log_l = 0.0;
    if (mu_.flat) {
      log_l = -0.5 * ((kd - 1.0) * kLog2Pi + slog + std::log(sw) + q);
      out.m = ybar;
      out.V = 1.0 / sw;
    } else {
      const double s2 = mu_.sd * mu_.sd;
      const double d = ybar - mu_.mean;
      const double one = 1.0 + s2 * sw;
      log_l = -0.5 * (kd * kLog2Pi + slog + std::log(one) + q + sw * d * d / one);
      const double precision = sw + 1.0 / s2;
      out.m = (swy + mu_.mean / s2) / precision;
      out.V = 1.0 / precision;
    }
    out.log_density = log_prior(tau) + log_l;
    return out;
  }

 private:
  [[nodiscard]] double log_prior(double tau) const {
    switch (tau_.kind) {
      case TauPrior::Kind::half_normal: {
        const double z = tau / tau_.scale;
        return std::log(2.0 / (tau_.scale * std::sqrt(2.0 * std::numbers::pi))) - 0.5 * z * z;
      }
      case TauPrior::Kind::half_cauchy: {
        const double z = tau / tau_.scale;
        return std::log(2.0 / (std::numbers::pi * tau_.scale)) - std::log1p(z * z);
      }
      case TauPrior::Kind::uniform:
        return -std::log(tau_.upper - tau_.lower);
      case TauPrior::Kind::jeffreys: {
        double s = 0.0;
        for (double vi : v_) {
          const double x = tau / (vi + tau * tau);
          s += x * x;
        }
        return 0.5 * std::log(s);
      }
    }
    return kNaN;
  }

  std::span<const double> y_, v_;
  TauPrior tau_;
  MuPrior mu_;
  double scale_ = 1.0;
};

// The Kronrod nodes of [-1, 1] in the order the panels keep them: the centre, then -x_i, +x_i.
std::array<double, kNodes> kronrod_nodes() {
  std::array<double, kNodes> x{};
  const auto& a = Kronrod::abscissa();
  for (std::size_t i = 1; i < a.size(); ++i) {
    x[2 * i - 1] = -a[i];
    x[2 * i] = a[i];
  }
  return x;
}

// P_0(x) .. P_{n-1}(x), the Legendre polynomials, by their three-term recurrence.
template <std::size_t N>
std::array<double, N> legendre(double x) {
  std::array<double, N> p{};
  p[0] = 1.0;
  if (N > 1) p[1] = x;
  for (std::size_t j = 2; j < N; ++j) {
    const auto jd = static_cast<double>(j);
    p[j] = ((2.0 * jd - 1.0) * x * p[j - 1] - (jd - 1.0) * p[j - 2]) / jd;
  }
  return p;
}

// The polynomial of degree 14 through a panel's 15 node values, as a Legendre series.
class LegendreSeries {
 public:
  explicit LegendreSeries(const std::array<double, kNodes>& values) {
    const auto& inverse = vandermonde_inverse();
    for (std::size_t j = 0; j < kNodes; ++j) {
      double c = 0.0;
      for (std::size_t n = 0; n < kNodes; ++n)
        c += inverse[j][n] * values[n];
      c_[j] = c;
    }
  }

  // The integral from -1 to x and the value at x: with P_j' relations,
  // int_{-1}^x P_0 = x + 1 and int_{-1}^x P_j = (P_{j+1}(x) - P_{j-1}(x)) / (2j + 1).
  [[nodiscard]] std::pair<double, double> integral_and_value(double x) const {
    const auto p = legendre<kNodes + 1>(x);
    double integral = c_[0] * (x + 1.0), value = c_[0];
    for (std::size_t j = 1; j < kNodes; ++j) {
      integral += c_[j] * (p[j + 1] - p[j - 1]) / (2.0 * static_cast<double>(j) + 1.0);
      value += c_[j] * p[j];
    }
    return {integral, value};
  }

 private:
  using Square = std::array<std::array<double, kNodes>, kNodes>;
  // The inverse of V(n, j) = P_j(x_n) at the Kronrod nodes, once (Gauss-Jordan with partial
  // pivoting; V is well conditioned: its rows are near-orthogonal under the Kronrod weights).
  static const Square& vandermonde_inverse() {
    static const Square inverse = [] {
      const auto x = kronrod_nodes();
      Square a{}, inv{};
      for (std::size_t n = 0; n < kNodes; ++n) {
        a[n] = legendre<kNodes>(x[n]);
        inv[n][n] = 1.0;
      }
      for (std::size_t col = 0; col < kNodes; ++col) {
        std::size_t pivot = col;
        for (std::size_t r = col + 1; r < kNodes; ++r) {
          if (std::fabs(a[r][col]) > std::fabs(a[pivot][col])) pivot = r;
        }
        std::swap(a[col], a[pivot]);
        std::swap(inv[col], inv[pivot]);
        const double d = a[col][col];
        for (std::size_t j = 0; j < kNodes; ++j) {
          a[col][j] /= d;
          inv[col][j] /= d;
        }
        for (std::size_t r = 0; r < kNodes; ++r) {
          if (r == col) continue;
          const double factor = a[r][col];
          for (std::size_t j = 0; j < kNodes; ++j) {
            a[r][j] -= factor * a[col][j];
            inv[r][j] -= factor * inv[col][j];
          }
        }
      }
      return inv;
    }();
    return inverse;
  }

  std::array<double, kNodes> c_{};
};

// The posterior of tau as quadrature panels, with the reference its densities are relative to.
class Posterior {
 public:
  Posterior(const Model& model, double tolerance) : model_(model) {
    // Integrals that diverge (heavy tails) are not controlled: their sums would never settle.
    controlled_ = {true, model.moment_exists(1), model.moment_exists(2), true,
                   model.moment_exists(2)};
    const auto [lo, hi] = model.t_range();
    const double width = (hi - lo) / static_cast<double>(kFirstPanels);
    for (std::size_t p = 0; p < kFirstPanels; ++p) {
      const double a = lo + width * static_cast<double>(p);
      panels_.push_back(make(a, p + 1 == kFirstPanels ? hi : a + width));
    }
    for (;;) {
      const Values total = totals();
      // Each integral's scale: the positive ones their value; E m relative to the root mean
      // square of mu, so a mean near 0 does not demand an absolute precision beyond need.
      Values scale = total;
      scale[kMu] = controlled_[kMu2] ? std::sqrt(std::fabs(total[kMass] * total[kMu2]))
                                     : std::fabs(total[kMass]);
      std::size_t worst = 0;
      double worst_error = -1.0;
      bool done = true;
      error_ = 0.0;
      for (std::size_t c = 0; c < kComponents; ++c) {
        double e = 0.0;
        for (const Panel& p : panels_)
          e += p.error(c);
        if (!controlled_[c] || !(scale[c] > 0.0)) continue;
        error_ = std::max(error_, e / scale[c]);
        if (!(e <= tolerance * scale[c])) done = false;
      }
      if (done) break;
      if (panels_.size() >= kMaxPanels) {
        converged_ = false;
        break;
      }
      for (std::size_t p = 0; p < panels_.size(); ++p) {
        double e = 0.0;
        for (std::size_t c = 0; c < kComponents; ++c) {
          if (controlled_[c] && scale[c] > 0.0) e += panels_[p].error(c) / scale[c];
        }
        if (e > worst_error) {
          worst_error = e;
          worst = p;
        }
      }
      const Panel split = panels_[worst];
      const double mid = 0.5 * (split.a + split.b);
      panels_[worst] = make(split.a, mid);
      panels_.insert(panels_.begin() + static_cast<std::ptrdiff_t>(worst) + 1, make(mid, split.b));
    }
    mass_ = totals()[kMass];
    cumulative_.resize(panels_.size() + 1, 0.0);
    for (std::size_t p = 0; p < panels_.size(); ++p)
      cumulative_[p + 1] = cumulative_[p] + panels_[p].kronrod[kMass];
  }

  [[nodiscard]] const std::vector<Panel>& panels() const { return panels_; }
  [[nodiscard]] double mass() const { return mass_; }  // relative to exp(reference())
  [[nodiscard]] double reference() const { return reference_; }
  [[nodiscard]] bool converged() const { return converged_; }
  [[nodiscard]] double error() const { return error_; }
  [[nodiscard]] int evaluations() const { return evaluations_; }
  [[nodiscard]] Values totals() const {
    Values total{};
    for (const Panel& p : panels_) {
      for (std::size_t c = 0; c < kComponents; ++c)
        total[c] += p.kronrod[c];
    }
    return total;
  }

  // The density of tau's posterior at tau (normalised).
  [[nodiscard]] double density(double tau) {
    return std::exp(model_.at(tau).log_density - reference_) / mass_;
  }

  // The p-quantile of tau. The panel that holds it is found from the cumulative masses; within
  // it, the density is the polynomial through its 15 nodes (in Legendre form, so its integral is
  // exact), which reproduces the panel's quadrature to its accuracy without evaluating the
  // density again.
  [[nodiscard]] double tau_quantile(double p) const {
    const double target = p * mass_;
    std::size_t at = static_cast<std::size_t>(
        std::upper_bound(cumulative_.begin(), cumulative_.end(), target) - cumulative_.begin());
    at = std::clamp<std::size_t>(at, 1, panels_.size()) - 1;
    const Panel& panel = panels_[at];
    const LegendreSeries series(panel.g);
    const double half = 0.5 * (panel.b - panel.a);
    const double need = (target - cumulative_[at]) / half;  // in the panel's x in [-1, 1]
    // Newton steps on the cumulative integral, inside a shrinking bracket.
    double lo = -1.0, hi = 1.0;
    double x = std::clamp(2.0 * need * half / panel.kronrod[kMass] - 1.0, -1.0, 1.0);
    for (int iteration = 0; iteration < 100; ++iteration) {
      const auto [integral, density] = series.integral_and_value(x);
      const double f = integral - need;
      if (f > 0.0) {
        hi = x;
      } else {
        lo = x;
      }
      double next = density > 0.0 ? x - f / density : 0.5 * (lo + hi);
      if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
      const bool small = std::fabs(next - x) <= 1e-15;
      x = next;
      if (small || hi - lo <= 1e-15) break;
    }
    return tau_of(0.5 * (panel.a + panel.b) + half * x);
  }

 private:
  [[nodiscard]] double tau_of(double t) const { return model_.scale() * t / (1.0 - t); }

  // g(t): the posterior density of tau in the measure dt, relative to the reference.
  [[nodiscard]] double integrand(double t) {
    ++evaluations_;
    const double tau = tau_of(t);
    const double jacobian = model_.scale() / ((1.0 - t) * (1.0 - t));
    return std::exp(model_.at(tau).log_density - reference_) * jacobian;
  }

  // One panel: the Kronrod and Gauss sums of every component, and the nodes.
  Panel make(double a, double b) {
    Panel p;
    p.a = a;
    p.b = b;
    const double half = 0.5 * (b - a), centre = 0.5 * (a + b);
    const auto& x = Kronrod::abscissa();
    const auto& wk = Kronrod::weights();
    const auto& wg = Gauss::weights();
    std::array<Model::At, kNodes> at;
    std::array<double, kNodes> t, jacobian;
    // Nodes in order: the centre, then the pairs -x_i, +x_i.
    for (std::size_t i = 0; i < x.size(); ++i) {
      for (int side = (i == 0 ? 1 : 0); side < 2; ++side) {
        const std::size_t n = i == 0 ? 0 : 2 * i - 1 + static_cast<std::size_t>(side);
        t[n] = centre + (side == 0 ? -half : half) * x[i];
        const double tau = tau_of(t[n]);
        at[n] = model_.at(tau);
        jacobian[n] = model_.scale() / ((1.0 - t[n]) * (1.0 - t[n]));
        p.nodes[n].tau = tau;
        ++evaluations_;
      }
    }
    if (!reference_set_) {
      reference_ = at[0].log_density;
      reference_set_ = true;
    }
    double peak = -std::numeric_limits<double>::infinity();
    for (const auto& a2 : at)
      peak = std::max(peak, a2.log_density);
    // Keep the densities near 1 so nothing overflows or vanishes: when a panel holds values far
    // above the reference, move the reference up and rescale what is stored.
    if (peak > reference_ + 200.0) rescale(peak);
    for (std::size_t n = 0; n < kNodes; ++n) {
      const std::size_t i = n == 0 ? 0 : (n + 1) / 2;
      const double g = std::exp(at[n].log_density - reference_) * jacobian[n];
      const double tau = p.nodes[n].tau;
      const Values f = {g, g * tau, g * tau * tau, g * at[n].m, g * (at[n].V + at[n].m * at[n].m)};
      for (std::size_t c = 0; c < kComponents; ++c) {
        p.kronrod[c] += f[c] * wk[i] * half;
        p.l1[c] += std::fabs(f[c]) * wk[i] * half;
        if (i % 2 == 0) p.gauss[c] += f[c] * wg[i / 2] * half;
      }
      p.nodes[n].weight = g * wk[i] * half;
      p.g[n] = g;
      p.nodes[n].m = at[n].m;
      p.nodes[n].V = at[n].V;
    }
    return p;
  }

  void rescale(double new_reference) {
    const double factor = std::exp(reference_ - new_reference);
    for (Panel& p : panels_) {
      for (std::size_t c = 0; c < kComponents; ++c) {
        p.kronrod[c] *= factor;
        p.gauss[c] *= factor;
        p.l1[c] *= factor;
      }
      for (Node& n : p.nodes)
        n.weight *= factor;
      for (double& g : p.g)
        g *= factor;
    }
    reference_ = new_reference;
  }

  const Model& model_;
  std::array<bool, kComponents> controlled_{};
  std::vector<Panel> panels_;
  std::vector<double> cumulative_;
  double reference_ = 0.0;
  bool reference_set_ = false;
  double mass_ = 0.0;
  double error_ = 0.0;
  bool converged_ = true;
  int evaluations_ = 0;
};

double normal_cdf(double z) {
  return 0.5 * std::erfc(-z / std::numbers::sqrt2);
}
double normal_pdf(double z) {
  return std::exp(-0.5 * z * z) * 0.5 * std::numbers::inv_sqrtpi * std::numbers::sqrt2;
}

// A mixture of normals over the quadrature nodes: component j has weight w_j (summing to 1),
// mean mean(node) and variance var(node).
class Mixture {
 public:
  template <class Mean, class Variance>
  Mixture(const Posterior& posterior, Mean mean, Variance variance) {
    const double mass = posterior.mass();
    for (const Panel& p : posterior.panels()) {
      for (const Node& n : p.nodes) {
        if (!(n.weight > 0.0)) continue;
        weights_.push_back(n.weight / mass);
        means_.push_back(mean(n));
        sds_.push_back(std::sqrt(variance(n)));
      }
    }
  }

  // Mean, SD (when `finite_variance`: NaN for a mixture whose variance diverges) and the median
  // and central interval.
  [[nodiscard]] PosteriorSummary summary(double level, bool finite_variance) const {
    PosteriorSummary s;
    double m1 = 0.0, m2 = 0.0;
    for (std::size_t j = 0; j < weights_.size(); ++j) {
      m1 += weights_[j] * means_[j];
      m2 += weights_[j] * (sds_[j] * sds_[j] + means_[j] * means_[j]);
    }
    s.mean = m1;
    s.sd = finite_variance ? std::sqrt(std::max(0.0, m2 - m1 * m1)) : kNaN;
    const double alpha = 1.0 - level / 100.0;
    s.median = quantile(0.5, s);
    s.ci_lb = quantile(alpha / 2.0, s);
    s.ci_ub = quantile(1.0 - alpha / 2.0, s);
    return s;
  }

  [[nodiscard]] double pdf(double x) const {
    double d = 0.0;
    for (std::size_t j = 0; j < weights_.size(); ++j)
      d += weights_[j] * normal_pdf((x - means_[j]) / sds_[j]) / sds_[j];
    return d;
  }

  struct Moments {
    double cdf = 0.0, pdf = 0.0, slope = 0.0;  // F(x), F'(x), F''(x)
  };
  [[nodiscard]] Moments cdf_pdf_slope(double x) const {
    Moments m;
    for (std::size_t j = 0; j < weights_.size(); ++j) {
      const double z = (x - means_[j]) / sds_[j];
      const double density = weights_[j] * normal_pdf(z) / sds_[j];
      m.cdf += weights_[j] * normal_cdf(z);
      m.pdf += density;
      m.slope -= density * z / sds_[j];
    }
    return m;
  }

  [[nodiscard]] double cdf(double x) const {
    double f = 0.0;
    for (std::size_t j = 0; j < weights_.size(); ++j)
      f += weights_[j] * normal_cdf((x - means_[j]) / sds_[j]);
    return f;
  }

  // The p-quantile: Newton steps from the normal approximation, inside a bracket that widens
  // until it holds the quantile (the mixture's tails are no lighter than its widest component's).
  [[nodiscard]] double quantile(double p, const PosteriorSummary& s) const {
    // Without a finite SD, the spread of the components that carry most weight starts the
    // bracket; it is widened until it holds the quantile either way.
    double sd = s.sd;
    if (!(sd > 0.0)) {
      sd = 0.0;
      for (std::size_t j = 0; j < weights_.size(); ++j)
        sd += weights_[j] * std::min(sds_[j], 1.0);
      if (!(sd > 0.0)) sd = 1.0;
    }
    double x = s.mean + sd * std::numbers::sqrt2 * normal_quantile_z(2.0 * p - 1.0);
    // The bracket is open until the iterates have been on both sides of the quantile; a step
    // that leaves it is replaced by bisection, or, while a side is still open, by a step of
    // twice the distance so far towards it.
    constexpr double kInf = std::numeric_limits<double>::infinity();
    double lo = -kInf, hi = kInf;
    double reach = sd;
    // Halley's steps (the density's slope comes with no more special functions) converge
    // cubically: once a step is below 1e-9 of the scale, the next would be below 1e-27 of it, so
    // that step is the last.
    for (int iteration = 0; iteration < 200; ++iteration) {
      const Moments m = cdf_pdf_slope(x);
      const double f = m.cdf - p;
      if (f == 0.0) break;
      if (f > 0.0) {
        hi = x;
      } else {
        lo = x;
      }
      const double denominator = 2.0 * m.pdf * m.pdf - f * m.slope;
      double next = denominator > 0.0 ? x - 2.0 * f * m.pdf / denominator : kNaN;
      if (!(next > lo && next < hi)) {
        if (std::isfinite(lo) && std::isfinite(hi)) {
          next = 0.5 * (lo + hi);
        } else {
          reach *= 2.0;
          next = f > 0.0 ? x - reach : x + reach;
        }
      }
      const double step = std::fabs(next - x);
      x = next;
      if (step <= 1e-9 * sd || step <= 1e-15 * std::fabs(x)) break;
    }
    return x;
  }

 private:
  static double normal_quantile_z(double z) {
    return boost::math::erf_inv(std::clamp(z, -1.0 + 1e-16, 1.0 - 1e-16));
  }
  std::vector<double> weights_, means_, sds_;
};

}  // namespace

std::string TauPrior::text() const {
  switch (kind) {
    case Kind::half_normal:
      return fmt::format("halfnormal:{}", scale);
    case Kind::half_cauchy:
      return fmt::format("halfcauchy:{}", scale);
    case Kind::uniform:
      return fmt::format("uniform:{},{}", lower, upper);
    case Kind::jeffreys:
      return "jeffreys";
  }
  return "?";
}

std::optional<TauPrior> TauPrior::parse(std::string_view text, std::string& problem) {
  TauPrior p;
  const auto colon = text.find(':');
  const std::string_view name = text.substr(0, colon);
  const std::string_view args = colon == std::string_view::npos ? "" : text.substr(colon + 1);
  const char* usage = "halfnormal:S, halfcauchy:S, uniform:A,B or jeffreys";
  if (name == "jeffreys" && colon == std::string_view::npos) {
    p.kind = Kind::jeffreys;
    return p;
  }
  if (name == "halfnormal" || name == "halfcauchy") {
    p.kind = name == "halfnormal" ? Kind::half_normal : Kind::half_cauchy;
    const auto s = number(args);
    if (!s || !(*s > 0.0)) {
      problem = fmt::format("'{}': the scale S of {}:S must be a positive number", text, name);
      return std::nullopt;
    }
    p.scale = *s;
    return p;
  }
  if (name == "uniform") {
    p.kind = Kind::uniform;
    const auto comma = args.find(',');
    const auto a = number(args.substr(0, comma));
    const auto b = comma == std::string_view::npos ? std::nullopt : number(args.substr(comma + 1));
    if (!a || !b || !(*a >= 0.0) || !(*b > *a)) {
      problem = fmt::format("'{}': uniform:A,B needs numbers 0 <= A < B", text);
      return std::nullopt;
    }
    p.lower = *a;
    p.upper = *b;
    return p;
  }
  problem = fmt::format("'{}' is not a prior for tau: {}", text, usage);
  return std::nullopt;
}

std::string MuPrior::text() const {
  return flat ? std::string("flat") : fmt::format("normal:{},{}", mean, sd);
}

std::optional<MuPrior> MuPrior::parse(std::string_view text, std::string& problem) {
  MuPrior p;
  if (text == "flat") return p;
  if (text.substr(0, 7) == "normal:") {
    const std::string_view args = text.substr(7);
    const auto comma = args.find(',');
    const auto m = number(args.substr(0, comma));
    const auto s = comma == std::string_view::npos ? std::nullopt : number(args.substr(comma + 1));
    if (m && s && *s > 0.0) {
      p.flat = false;
      p.mean = *m;
      p.sd = *s;
      return p;
    }
    problem = fmt::format("'{}': normal:M,S needs a mean M and a positive SD S", text);
    return std::nullopt;
  }
  problem = fmt::format("'{}' is not a prior for mu: flat or normal:M,S", text);
  return std::nullopt;
}

std::optional<std::string> BayesOptions::validate() const {
  if (!(level > 0.0 && level < 100.0)) {
    return fmt::format("level must be a percentage strictly between 0 and 100, not {}", level);
  }
  if (!(tolerance > 0.0 && tolerance < 1.0)) {
    return fmt::format("the quadrature tolerance must be in (0, 1), not {}", tolerance);
  }
  std::string problem;
  if (!TauPrior::parse(tau.text(), problem)) return problem;
  if (!mu.flat && !(mu.sd > 0.0 && std::isfinite(mu.sd) && std::isfinite(mu.mean))) {
    return "the prior of mu needs a finite mean and a positive SD";
  }
  return std::nullopt;
}

BayesFit fit_bayes(std::span<const double> yi, std::span<const double> vi,
                   const BayesOptions& options) {
  assert(yi.size() == vi.size() && !yi.empty());
  assert(!options.validate());
  BayesFit f;
  f.k = yi.size();
  f.level = options.level;
  f.tau_prior = options.tau;
  f.mu_prior = options.mu;
  const PosteriorSummary none{kNaN, kNaN, kNaN, kNaN, kNaN};
  // Jeffreys' prior behaves as 1 / tau for large tau and the flat-prior likelihood of one study
  // does not decay at all: their product has no finite integral.
  if (options.tau.kind == TauPrior::Kind::jeffreys && options.mu.flat && f.k == 1) {
    f.termination = Termination::not_estimable;
    f.mu = f.tau = f.predictive = none;
    f.theta.assign(options.theta ? f.k : 0, none);
    f.marginal_likelihood = f.log_marginal_likelihood = kNaN;
    f.error = kNaN;
    return f;
  }
  const Model model(yi, vi, options);
  Posterior posterior(model, options.tolerance);
  f.termination = posterior.converged() ? Termination::converged : Termination::max_iterations;
  f.error = posterior.error();

  const Values total = posterior.totals();
  const double mass = total[kMass];
  const double alpha = 1.0 - options.level / 100.0;
  const bool second = model.moment_exists(2);
  f.tau.mean = model.moment_exists(1) ? total[kTau] / mass : kNaN;
  f.tau.sd =
      second ? std::sqrt(std::max(0.0, total[kTau2] / mass - f.tau.mean * f.tau.mean)) : kNaN;
  f.tau.median = posterior.tau_quantile(0.5);
  f.tau.ci_lb = posterior.tau_quantile(alpha / 2.0);
  f.tau.ci_ub = posterior.tau_quantile(1.0 - alpha / 2.0);

  const Mixture mu(
      posterior, [](const Node& n) { return n.m; }, [](const Node& n) { return n.V; });
  f.mu = mu.summary(options.level, second);
  const Mixture predictive(
      posterior, [](const Node& n) { return n.m; },
      [](const Node& n) { return n.V + n.tau * n.tau; });
  f.predictive = predictive.summary(options.level, second);
  if (options.theta) {
    for (std::size_t i = 0; i < f.k; ++i) {
      const double y = yi[i], v = vi[i];
      auto shrink = [v](const Node& n) { return n.tau * n.tau / (v + n.tau * n.tau); };
      const Mixture theta(
          posterior, [&](const Node& n) { return shrink(n) * y + (1.0 - shrink(n)) * n.m; },
          [&](const Node& n) {
            const double b = shrink(n);
            return b * v + (1.0 - b) * (1.0 - b) * n.V;
          });
      f.theta.push_back(theta.summary(options.level, true));
    }
  }
  if (model.proper_prior()) {
    f.log_marginal_likelihood = std::log(mass) + posterior.reference();
    f.marginal_likelihood = std::exp(f.log_marginal_likelihood);
  } else {
    f.marginal_likelihood = f.log_marginal_likelihood = kNaN;
  }
  if (options.densities) {
    const double top = posterior.tau_quantile(0.995);
    for (std::size_t j = 0; j < kPlotPoints; ++j) {
      const double tau = top * static_cast<double>(j) / static_cast<double>(kPlotPoints - 1);
      f.tau_density.x.push_back(tau);
      f.tau_density.density.push_back(posterior.density(tau));
    }
    const double lo = mu.quantile(0.0025, f.mu), hi = mu.quantile(0.9975, f.mu);
    for (std::size_t j = 0; j < kPlotPoints; ++j) {
      const double x =
          lo + (hi - lo) * static_cast<double>(j) / static_cast<double>(kPlotPoints - 1);
      f.mu_density.x.push_back(x);
      f.mu_density.density.push_back(mu.pdf(x));
    }
  }
  f.evaluations = posterior.evaluations();
  return f;
}

}  // namespace evident
