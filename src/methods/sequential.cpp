#include "evident/methods/sequential.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <utility>

#include "stats/distributions.hpp"
#include "stats/roots.hpp"

namespace evident {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInvSqrt2Pi = 0.398942280401432677939946059934;
constexpr double kSqrtHalf = 0.707106781186547524400844362105;
// Euler's number less one, of the Pocock-type spending function.
constexpr double kEMinus1 = 1.71828182845904523536028747135;
// Grids outside this range of r are either too coarse to be accurate or pointlessly slow.
constexpr int kMinGrid = 8;
constexpr int kMaxGrid = 1024;
// A look whose single-look boundary would exceed this (a two-sided p-value below 4e-33) spends
// no alpha: no path crosses such a boundary, and the grid (17 standard deviations wide at
// r = 32) cannot resolve the probabilities it would take.
constexpr double kMaxBoundary = 12.0;
// Relative tolerance of the boundaries' root finder.
constexpr double kRootTolerance = 1e-13;
constexpr int kRootIterations = 200;
// Without an efficacy boundary the futility search stops this far above the alternative's mean,
// where the normal tail is below 1e-300: the whole of the distribution is inside.
constexpr double kWideOpen = 40.0;

double above(double x) {
  return 0.5 * std::erfc(x * kSqrtHalf);
}  // P(N(0, 1) > x)
double below(double x) {
  return 0.5 * std::erfc(-x * kSqrtHalf);
}  // P(N(0, 1) < x)

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// Jennison & Turnbull's grid (2000, ch. 19) around a mean of 0: 6r - 1 points, equally spaced
// (3 / (2r) apart) within 3 standard deviations and at -3 - 4 log(r / i) beyond. The upper half
// is the lower one mirrored, so that grids about 0 are exactly symmetric.
std::vector<double> base_grid(int r) {
  const int n = 6 * r - 1;
  std::vector<double> x(static_cast<std::size_t>(n));
  for (int i = 1; i < 3 * r; ++i) {
    const double v = i < r ? -3.0 - 4.0 * std::log(static_cast<double>(r) / i)
                           : -3.0 + 3.0 * (i - r) / (2.0 * r);
    x[static_cast<std::size_t>(i - 1)] = v;
    x[static_cast<std::size_t>(n - i)] = -v;
  }
  x[static_cast<std::size_t>(3 * r - 1)] = 0.0;
  return x;
}

// Simpson nodes and weights of one look's continuation region.
struct Nodes {
  std::vector<double> z, w;
};

// Appends the nodes of (lo, hi): the grid points about `centre` inside it, with lo and hi
// themselves when they fall within the grid's span, and the midpoints between them.
void append_interval(const std::vector<double>& base, double centre, double lo, double hi,
                     std::vector<double>& y, Nodes& out) {
  if (!(lo < hi)) return;
  y.clear();
  if (lo > centre + base.front()) y.push_back(lo);
  for (double b : base) {
    const double x = centre + b;
    if (x > lo && x < hi) y.push_back(x);
  }
  if (hi < centre + base.back()) y.push_back(hi);
  const std::size_t n = y.size();
  if (n < 2) return;
  double previous_width = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const double width = i + 1 < n ? y[i + 1] - y[i] : 0.0;
    out.z.push_back(y[i]);
    out.w.push_back(width / 6.0 + previous_width / 6.0);
    if (i + 1 < n) {
      out.z.push_back(0.5 * (y[i] + y[i + 1]));
      out.w.push_back(4.0 * width / 6.0);
    }
    previous_width = width;
  }
}

// The continuation region a < |z| < b (no wedge when a is NaN or not positive).
Nodes region(const std::vector<double>& base, double centre, double a, double b,
             std::vector<double>& scratch) {
  Nodes out;
  if (std::isnan(a) || a <= 0.0) {
    append_interval(base, centre, -b, b, scratch, out);
  } else {
    append_interval(base, centre, -b, -a, scratch, out);
    append_interval(base, centre, a, b, scratch, out);
  }
  return out;
}

// The paths still going after a look: nodes, weights and the sub-density of Z there.
struct State {
  std::vector<double> z{0.0}, w{1.0}, f{1.0};  // before the first look: Z = 0 at t = 0
  double t = 0.0;
};

// A state seen from the next look at t: Z_t sqrt(t) given Z_i = z_i is normal with mean
// z_i sqrt(t_i) + theta (t - t_i) and variance t - t_i. In units of that standard deviation,
// node i sits at c_i and weighs W_i = w_i f_i; `scale` is sqrt(t) / sd.
struct Source {
  std::vector<double> c, W;
  double scale = 1.0;
  bool symmetric = false;  // the null distribution on a symmetric region
};

Source transport(const State& s, double t, double theta) {
  Source out;
  const double d = t - s.t;
  const double sd = std::sqrt(d);
  const double root = std::sqrt(s.t);
  out.scale = std::sqrt(t) / sd;
  out.c.reserve(s.z.size());
  out.W.reserve(s.z.size());
  for (std::size_t i = 0; i < s.z.size(); ++i) {
    const double W = s.w[i] * s.f[i];
    if (W == 0.0) continue;  // underflowed: contributes nothing
    out.c.push_back((s.z[i] * root + theta * d) / sd);
    out.W.push_back(W);
  }
  out.symmetric = theta == 0.0;
  return out;
}

// P(Z >= x, still going) at the look.
double tail_above(const Source& s, double x) {
  const double p = x * s.scale;
  double sum = 0.0;
  for (std::size_t i = 0; i < s.c.size(); ++i)
    sum += s.W[i] * above(p - s.c[i]);
  return sum;
}

// P(Z <= x, still going).
double tail_below(const Source& s, double x) {
  const double p = x * s.scale;
  double sum = 0.0;
  for (std::size_t i = 0; i < s.c.size(); ++i)
    sum += s.W[i] * below(p - s.c[i]);
  return sum;
}

// P(|Z| >= b, still going); the null distribution is symmetric, so its two tails are equal.
double outside(const Source& s, double b) {
  if (s.symmetric) return 2.0 * tail_above(s, b);
  return tail_above(s, b) + tail_below(s, -b);
}

// P(|Z| < a, still going), with the difference of the two normal probabilities taken in the
// tail where it keeps its digits.
double inside(const Source& s, double a) {
  const double p = a * s.scale;
  double sum = 0.0;
  for (std::size_t i = 0; i < s.c.size(); ++i) {
    const double hi = p - s.c[i], lo = -p - s.c[i];
    sum += s.W[i] * (lo > 0.0 ? above(lo) - above(hi) : below(hi) - below(lo));
  }
  return sum;
}

// The sub-density of Z at x.
double density(const Source& s, double x) {
  const double p = x * s.scale;
  double sum = 0.0;
  for (std::size_t i = 0; i < s.c.size(); ++i) {
    const double u = p - s.c[i];
    sum += s.W[i] * std::exp(-0.5 * u * u);
  }
  return sum * s.scale * kInvSqrt2Pi;
}

// Adds the sub-density at the equally spaced nodes x_j = x_0 + j h, j < n, into f. Along
// them the kernel exp(-u_j^2 / 2), u_j = x_j scale - c_i, obeys
// k_{j+1} = k_j exp(-d u_j - d^2 / 2) with d = h scale, and that factor itself changes by
// exp(-d^2) per step: two multiplications per node instead of an exponential. Each source is
// walked outwards from its nearest node, where the kernel only falls, until it underflows.
void add_uniform_block(const Source& s, double x0, double h, std::size_t n, double* f) {
  const double d = h * s.scale;
  const double q = std::exp(-d * d);
  const double last = static_cast<double>(n - 1);
  for (std::size_t i = 0; i < s.c.size(); ++i) {
    const double W = s.W[i];
    const double nearest = std::clamp(std::round((s.c[i] / s.scale - x0) / h), 0.0, last);
    const auto p = static_cast<std::size_t>(nearest);
    const double u = (x0 + nearest * h) * s.scale - s.c[i];
    const double peak = std::exp(-0.5 * u * u);
    f[p] += W * peak;
    double k = peak, ratio = std::exp(-d * u - 0.5 * d * d);
    for (std::size_t j = p + 1; j < n && k > 1e-300; ++j) {
      k *= ratio;
      ratio *= q;
      f[j] += W * k;
    }
    k = peak;
    ratio = std::exp(d * u - 0.5 * d * d);
    for (std::size_t j = p; j > 0 && k > 1e-300; --j) {
      k *= ratio;
      ratio *= q;
      f[j - 1] += W * k;
    }
  }
}

// The sub-density at every node: Jennison & Turnbull's recursion, the O(m^2) part. Runs of
// nodes at the central spacing 3 / (4r) of the grid (Simpson's midpoints included) take the
// recurrence above, the others (tails and ends) one exponential per pair. A symmetric source on
// exactly symmetric nodes gives a symmetric density, so half of it is mirrored.
State advance(const Source& s, Nodes nodes, double t, int r) {
  State out;
  out.t = t;
  const std::size_t m = nodes.z.size();
  out.f.assign(m, 0.0);
  std::size_t computed = m;
  if (s.symmetric) {
    bool mirror = true;
    for (std::size_t j = 0; j < m && mirror; ++j)
      mirror = nodes.z[j] == -nodes.z[m - 1 - j];
    if (mirror) computed = (m + 1) / 2;
  }
  const double h = 3.0 / (4.0 * r);
  const double scale = s.scale * kInvSqrt2Pi;
  constexpr std::size_t kShortestRun = 16;
  std::size_t j = 0;
  while (j < computed) {
    std::size_t end = j + 1;
    while (end < computed && std::fabs(nodes.z[end] - nodes.z[end - 1] - h) <= 1e-10 * h)
      ++end;
    if (end - j >= kShortestRun) {
      add_uniform_block(s, nodes.z[j], h, end - j, out.f.data() + j);
      for (std::size_t i = j; i < end; ++i)
        out.f[i] *= scale;
    } else {
      for (std::size_t i = j; i < end; ++i)
        out.f[i] = density(s, nodes.z[i]);
    }
    j = end;
  }
  for (std::size_t i = computed; i < m; ++i)
    out.f[i] = out.f[m - 1 - i];
  out.z = std::move(nodes.z);
  out.w = std::move(nodes.w);
  return out;
}

double tolerance(double x) {
  return kRootTolerance * std::max(1.0, std::fabs(x));
}

// b with P_0(|Z| >= b, still going) = target > 0, solved for log P (the probabilities span
// hundreds of orders of magnitude at small t). Its bracket is [0, b'] with b' the boundary of a
// single look, P(|N(0, 1)| >= b') = target: the paths still going are fewer than all paths.
double efficacy_boundary(const Source& s, double target, std::uint32_t& notes) {
  const double marginal = stats::normal_upper_quantile(0.5 * target);
  if (marginal > kMaxBoundary) return kInf;
  const double all = outside(s, 0.0);
  if (!(all > target)) {
    notes |= kSequentialNoteAlphaShort;
    return 0.0;
  }
  const double at_marginal = outside(s, marginal);
  if (!(at_marginal < target)) return marginal;
  const double log_target = std::log(target);
  auto f_df = [&](double b) {
    const double p = outside(s, b);
    const double g = s.symmetric ? 2.0 * density(s, b) : density(s, b) + density(s, -b);
    return std::pair<double, double>{std::log(p) - log_target, -g / p};
  };
  const auto root = stats::newton_bracketed(
      f_df, 0.0, marginal, std::log(all) - log_target, std::log(at_marginal) - log_target,
      std::nextafter(marginal, 0.0), tolerance, kRootIterations);
  return root.x;
}

// a in [0, cap] with P_theta(|Z| < a, still going) = target > 0, the probability at cap being
// above it.
double futility_boundary(const Source& s, double target, double cap, double at_cap) {
  auto f_df = [&](double a) {
    return std::pair<double, double>{inside(s, a) - target, density(s, a) + density(s, -a)};
  };
  // P(|Z| < a) is 2 a g(0) for small a: the first step is nearly the root.
  const double slope = 2.0 * density(s, 0.0);
  const double start = slope > 0.0 ? target / slope : 0.5 * cap;
  const auto root = stats::newton_bracketed(f_df, 0.0, cap, -target, at_cap - target, start,
                                            tolerance, kRootIterations);
  return root.x;
}

std::optional<std::string> check_fractions(std::span<const double> t) {
  if (t.empty()) return "no looks";
  double previous = 0.0;
  for (double x : t) {
    if (!std::isfinite(x) || !(x > previous)) {
      return "information fractions must be finite, positive and strictly increasing";
    }
    previous = x;
  }
  return std::nullopt;
}

bool is_probability(double p) {
  return p > 0.0 && p < 1.0;
}

}  // namespace

// ---- names --------------------------------------------------------------------------------------

std::string_view spending_function_name(SpendingFunction f) noexcept {
  return f == SpendingFunction::pocock ? "pocock" : "obf";
}

std::optional<SpendingFunction> parse_spending_function(std::string_view name) noexcept {
  if (equal_ignoring_case(name, "obf") || equal_ignoring_case(name, "obrien-fleming")) {
    return SpendingFunction::obrien_fleming;
  }
  if (equal_ignoring_case(name, "pocock")) return SpendingFunction::pocock;
  return std::nullopt;
}

std::string_view futility_rule_name(FutilityRule r) noexcept {
  switch (r) {
    case FutilityRule::binding:
      return "binding";
    case FutilityRule::nonbinding:
      return "nonbinding";
    case FutilityRule::none:
      break;
  }
  return "none";
}

std::optional<FutilityRule> parse_futility_rule(std::string_view name) noexcept {
  if (equal_ignoring_case(name, "none")) return FutilityRule::none;
  if (equal_ignoring_case(name, "binding")) return FutilityRule::binding;
  if (equal_ignoring_case(name, "nonbinding") || equal_ignoring_case(name, "non-binding")) {
    return FutilityRule::nonbinding;
  }
  return std::nullopt;
}

std::string_view heterogeneity_correction_name(HeterogeneityCorrection c) noexcept {
  switch (c) {
    case HeterogeneityCorrection::diversity:
      return "diversity";
    case HeterogeneityCorrection::inconsistency:
      return "inconsistency";
    case HeterogeneityCorrection::none:
      break;
  }
  return "none";
}

std::optional<HeterogeneityCorrection> parse_heterogeneity_correction(
    std::string_view name) noexcept {
  if (equal_ignoring_case(name, "none")) return HeterogeneityCorrection::none;
  if (equal_ignoring_case(name, "diversity") || equal_ignoring_case(name, "D2")) {
    return HeterogeneityCorrection::diversity;
  }
  if (equal_ignoring_case(name, "inconsistency") || equal_ignoring_case(name, "I2")) {
    return HeterogeneityCorrection::inconsistency;
  }
  return std::nullopt;
}

std::string_view conclusion_name(Conclusion c) noexcept {
  switch (c) {
    case Conclusion::benefit:
      return "benefit";
    case Conclusion::harm:
      return "harm";
    case Conclusion::futility:
      return "futility";
    case Conclusion::information_size_reached:
      return "information_size_reached";
    case Conclusion::not_yet:
      break;
  }
  return "not_yet";
}

// ---- spending and boundaries ------------------------------------------------------------------

double spent_error(SpendingFunction f, double total, double t) noexcept {
  if (!(t > 0.0)) return 0.0;
  if (t >= 1.0) return total;
  if (f == SpendingFunction::pocock) return total * std::log1p(kEMinus1 * t);
  // 2 - 2 Phi(x) as an upper tail, so that the tiny errors of early looks keep their digits.
  return 2.0 * above(stats::normal_upper_quantile(0.5 * total) / std::sqrt(t));
}

std::optional<std::string> BoundaryOptions::validate() const {
  if (!is_probability(alpha)) return "alpha must be in (0, 1)";
  if (!is_probability(beta)) return "beta must be in (0, 1)";
  if (grid < kMinGrid || grid > kMaxGrid) {
    return "the grid parameter r must be between " + std::to_string(kMinGrid) + " and " +
           std::to_string(kMaxGrid);
  }
  return std::nullopt;
}

Boundaries group_sequential_boundaries(std::span<const double> t, const BoundaryOptions& options) {
  Boundaries out;
  if (auto problem = options.validate()) {
    out.message = *problem;
    return out;
  }
  if (auto problem = check_fractions(t)) {
    out.message = *problem;
    return out;
  }
  const std::size_t m = t.size();
  const bool futility = options.futility != FutilityRule::none;
  out.t.assign(t.begin(), t.end());
  out.final_look = static_cast<std::size_t>(
      std::find_if(t.begin(), t.end(), [](double x) { return x >= 1.0; }) - t.begin());
  const std::size_t last = out.final_look < m ? out.final_look + 1 : m;
  out.drift = stats::normal_upper_quantile(0.5 * options.alpha) +
              stats::normal_upper_quantile(options.beta);
  const double theta = out.drift;

  out.efficacy.assign(m, kInf);
  out.futility.assign(m, kNaN);
  out.alpha_spent.resize(m);
  out.alpha_crossing.assign(m, 0.0);
  out.beta_spent.assign(m, kNaN);
  out.futility_crossing.assign(m, futility ? 0.0 : kNaN);
  out.power = futility ? 0.0 : kNaN;
  for (std::size_t k = 0; k < m; ++k) {
    out.alpha_spent[k] = 2.0 * spent_error(options.alpha_spending, 0.5 * options.alpha, t[k]);
    if (futility) out.beta_spent[k] = spent_error(options.beta_spending, options.beta, t[k]);
  }

  const std::vector<double> base = base_grid(options.grid);
  std::vector<double> scratch;
  State null_state, alternative_state;
  for (std::size_t k = 0; k < last; ++k) {
    const Source null_source = transport(null_state, t[k], 0.0);
    const double d_alpha = out.alpha_spent[k] - (k > 0 ? out.alpha_spent[k - 1] : 0.0);
    if (d_alpha > 0.0) {
      out.efficacy[k] = efficacy_boundary(null_source, d_alpha, out.notes);
      if (std::isfinite(out.efficacy[k])) {
        out.alpha_crossing[k] = outside(null_source, out.efficacy[k]);
      }
    }
    const double b = out.efficacy[k];

    Source alternative_source;
    if (futility) {
      alternative_source = transport(alternative_state, t[k], theta);
      const double d_beta = out.beta_spent[k] - (k > 0 ? out.beta_spent[k - 1] : 0.0);
      const double cap = std::isfinite(b) ? b : theta * std::sqrt(t[k]) + kWideOpen;
      const double at_cap = inside(alternative_source, cap);
      double a = 0.0;
      if (k == out.final_look) {
        a = b;
      } else if (d_beta > 0.0) {
        if (at_cap <= d_beta) {
          a = b;
          out.notes |= kSequentialNoteFutilityClosed;
        } else {
          a = futility_boundary(alternative_source, d_beta, cap, at_cap);
        }
      }
      out.futility[k] = a;
      out.futility_crossing[k] = std::isfinite(a) ? inside(alternative_source, a) : at_cap;
      if (std::isfinite(b)) out.power += tail_above(alternative_source, b);
    }

    if (k + 1 < last) {
      const double wedge = options.futility == FutilityRule::binding ? out.futility[k] : kNaN;
      null_state = advance(null_source, region(base, 0.0, wedge, b, scratch), t[k], options.grid);
      if (futility) {
        alternative_state = advance(
            alternative_source, region(base, theta * std::sqrt(t[k]), out.futility[k], b, scratch),
            t[k], options.grid);
      }
    }
  }
  out.ok = true;
  return out;
}

ExitProbabilities exit_probabilities(std::span<const double> t, std::span<const double> efficacy,
                                     std::span<const double> futility, double theta, int grid) {
  ExitProbabilities out;
  if (auto problem = check_fractions(t)) {
    out.message = *problem;
    return out;
  }
  if (efficacy.size() != t.size() || (!futility.empty() && futility.size() != t.size())) {
    out.message = "one efficacy boundary (and no or one futility boundary) per look is needed";
    return out;
  }
  if (grid < kMinGrid || grid > kMaxGrid || !std::isfinite(theta)) {
    out.message = "the grid parameter or the drift is out of range";
    return out;
  }
  for (std::size_t k = 0; k < t.size(); ++k) {
    if (std::isnan(efficacy[k]) || efficacy[k] < 0.0 || (!futility.empty() && futility[k] < 0.0)) {
      out.message = "boundaries must be non-negative";
      return out;
    }
  }
  const std::size_t m = t.size();
  out.upper.assign(m, 0.0);
  out.lower.assign(m, 0.0);
  out.futility.assign(m, 0.0);
  const std::vector<double> base = base_grid(grid);
  std::vector<double> scratch;
  State state;
  for (std::size_t k = 0; k < m; ++k) {
    Source source = transport(state, t[k], theta);
    source.symmetric = false;  // the wedge given need not leave a symmetric region
    const double b = efficacy[k];
    const double a = futility.empty() ? kNaN : futility[k];
    if (std::isfinite(b)) {
      out.upper[k] = tail_above(source, b);
      out.lower[k] = tail_below(source, -b);
    }
    if (a > 0.0) {
      const double edge = std::isfinite(std::min(a, b))
                              ? std::min(a, b)
                              : std::fabs(theta) * std::sqrt(t[k]) + kWideOpen;
      out.futility[k] = inside(source, edge);
    }
    if (k + 1 < m)
      state = advance(source, region(base, theta * std::sqrt(t[k]), a, b, scratch), t[k], grid);
  }
  out.ok = true;
  return out;
}

// ---- information size -------------------------------------------------------------------------

namespace {

InformationSize finish_information_size(double unadjusted, const InformationSizeOptions& options) {
  InformationSize out;
  out.unadjusted = unadjusted;
  out.correction = options.correction;
  if (options.correction != HeterogeneityCorrection::none) {
    if (!(options.heterogeneity >= 0.0 && options.heterogeneity < 1.0)) {
      out.message = "the heterogeneity (D2 or I2) must be a fraction in [0, 1)";
      return out;
    }
    out.heterogeneity = options.heterogeneity;
    out.adjustment_factor = 1.0 / (1.0 - options.heterogeneity);
  }
  out.adjusted = out.unadjusted * out.adjustment_factor;
  out.ok = true;
  return out;
}

std::optional<std::string> check_errors(const InformationSizeOptions& options) {
  if (!is_probability(options.alpha)) return "alpha must be in (0, 1)";
  if (!is_probability(options.power)) return "power must be in (0, 1)";
  return std::nullopt;
}

// (z_{1-alpha/2} + z_{1-beta})^2.
double z_squared(const InformationSizeOptions& options) {
  const double z = stats::normal_upper_quantile(0.5 * options.alpha) +
                   stats::normal_upper_quantile(1.0 - options.power);
  return z * z;
}

}  // namespace

InformationSize information_size_binary(double control_risk, double relative_risk_reduction,
                                        const InformationSizeOptions& options) {
  InformationSize out;
  if (auto problem = check_errors(options)) {
    out.message = *problem;
    return out;
  }
  const double pc = control_risk;
  const double pe = pc * (1.0 - relative_risk_reduction);
  if (!is_probability(pc) || !std::isfinite(relative_risk_reduction) ||
      relative_risk_reduction == 0.0 || !is_probability(pe)) {
    out.message =
        "the control-group risk must be in (0, 1) and the relative risk reduction non-zero, "
        "with an intervention-group risk in (0, 1)";
    return out;
  }
  const double p = 0.5 * (pc + pe);
  const double delta = pc - pe;
  return finish_information_size(4.0 * z_squared(options) * p * (1.0 - p) / (delta * delta),
                                 options);
}

InformationSize information_size_continuous(double mean_difference, double sd,
                                            const InformationSizeOptions& options) {
  InformationSize out;
  if (auto problem = check_errors(options)) {
    out.message = *problem;
    return out;
  }
  if (!std::isfinite(mean_difference) || mean_difference == 0.0 || !std::isfinite(sd) ||
      !(sd > 0.0)) {
    out.message = "the mean difference must be non-zero and the standard deviation positive";
    return out;
  }
  return finish_information_size(
      4.0 * z_squared(options) * sd * sd / (mean_difference * mean_difference), options);
}

double diversity(double variance_random, double variance_common) noexcept {
  if (!std::isfinite(variance_random) || !std::isfinite(variance_common) ||
      !(variance_random > 0.0) || !(variance_common > 0.0)) {
    return kNaN;
  }
  return std::max(0.0, (variance_random - variance_common) / variance_random);
}

// ---- monitoring ---------------------------------------------------------------------------------

SequentialAnalysis trial_sequential_analysis(std::span<const double> estimate,
                                             std::span<const double> se,
                                             std::span<const double> participants,
                                             const SequentialOptions& options) {
  SequentialAnalysis out;
  const std::size_t n = estimate.size();
  if (n == 0 || se.size() != n || participants.size() != n) {
    out.message = "one estimate, standard error and participant count per look is needed";
    return out;
  }
  if (!std::isfinite(options.information_size) || !(options.information_size > 0.0)) {
    out.message = "the information size must be positive";
    return out;
  }
  for (std::size_t j = 0; j < n; ++j) {
    if (!std::isfinite(estimate[j]) || !std::isfinite(se[j]) || !(se[j] > 0.0)) {
      out.message = "estimates must be finite and standard errors positive (look " +
                    std::to_string(j + 1) + ")";
      return out;
    }
  }
  double previous = 0.0;
  for (double x : participants) {
    if (!std::isfinite(x) || !(x > previous)) {
      out.message = "participant counts must be finite, positive and strictly increasing";
      return out;
    }
    previous = x;
  }
  out.information_fraction.resize(n);
  for (std::size_t j = 0; j < n; ++j) {
    out.information_fraction[j] = participants[j] / options.information_size;
  }
  out.boundaries = group_sequential_boundaries(out.information_fraction, options.boundaries);
  if (!out.boundaries.ok) {
    out.message = out.boundaries.message;
    return out;
  }
  const Boundaries& bounds = out.boundaries;
  const bool futility = options.boundaries.futility != FutilityRule::none;
  out.z.resize(n);
  out.ci_lb.resize(n);
  out.ci_ub.resize(n);
  for (std::size_t j = 0; j < n; ++j) {
    out.z[j] = estimate[j] / se[j];
    const double b = bounds.efficacy[j];
    out.ci_lb[j] = std::isfinite(b) ? estimate[j] - b * se[j] : -kInf;
    out.ci_ub[j] = std::isfinite(b) ? estimate[j] + b * se[j] : kInf;
  }

  const std::size_t last = bounds.final_look < n ? bounds.final_look + 1 : n;
  for (std::size_t j = 0; j < last; ++j) {
    const double z = out.z[j], b = bounds.efficacy[j];
    if (!out.first_upper && z >= b) out.first_upper = j;
    if (!out.first_lower && z <= -b) out.first_lower = j;
    if (futility && !out.first_futility && std::fabs(z) < bounds.futility[j]) {
      out.first_futility = j;
    }
    if (out.decisive_look) continue;
    if (std::fabs(z) >= b) {
      const bool lower = z < 0.0;
      out.conclusion =
          lower == (options.benefit == Benefit::lower) ? Conclusion::benefit : Conclusion::harm;
      out.decisive_look = j;
    } else if (futility && std::fabs(z) < bounds.futility[j]) {
      out.conclusion = Conclusion::futility;
      out.decisive_look = j;
    }
  }
  if (!out.decisive_look && bounds.final_look < n) {
    out.conclusion = Conclusion::information_size_reached;
    out.decisive_look = bounds.final_look;
  }
  if (out.conclusion == Conclusion::not_yet) {
    out.participants_needed = options.information_size - participants[n - 1];
  }
  out.adjusted_z = bounds.efficacy[std::min(n, last) - 1];
  out.adjusted_ci_lb =
      std::isfinite(out.adjusted_z) ? estimate[n - 1] - out.adjusted_z * se[n - 1] : -kInf;
  out.adjusted_ci_ub =
      std::isfinite(out.adjusted_z) ? estimate[n - 1] + out.adjusted_z * se[n - 1] : kInf;
  out.ok = true;
  return out;
}

}  // namespace evident
