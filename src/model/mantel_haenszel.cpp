// Mantel-Haenszel and Peto pooling of 2x2 tables and incidence counts (metafor's rma.mh and
// rma.peto). Sums run over the tables as given: no continuity correction is needed, and a table
// with no events adds nothing where it carries no information.

#include "evident/model/mantel_haenszel.hpp"

#include <cassert>
#include <cmath>

#include "stats/distributions.hpp"

namespace evident {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Estimate, standard error, z test and Wald interval (metafor: z with normal quantiles).
void set_estimate(Fit& f, double beta, double se) {
  f.estimate = beta;
  f.se = se;
  f.stat = beta / se;
  f.pval = stats::two_sided_p(f.stat, kNaN);
  const double crit = stats::critical_value(f.level, kNaN);
  f.ci_lb = beta - crit * se;
  f.ci_ub = beta + crit * se;
  if (std::isnan(beta)) {
    f.termination = Termination::not_estimable;
    f.notes |= kNoteNotEstimable;
  }
}

Fit start(Method method, std::size_t k, double level) {
  Fit f;
  f.method = method;
  f.test = Test::z;
  f.level = level;
  f.k = k;
  f.p = 1;
  f.df = kNaN;
  f.tau2 = 0.0;
  f.tau2_se = kNaN;
  f.termination = Termination::closed_form;
  return f;
}

std::size_t count_finite(std::span<const double> yi) {
  std::size_t n = 0;
  for (double y : yi)
    n += std::isfinite(y) ? 1 : 0;
  return n;
}

// Heterogeneity as rma.mh: Q = sum (yi - beta)^2 / vi around the pooled estimate, over the studies
// with an effect size; I2 and H2 from Q (Higgins & Thompson 2002, eqs. 6 and 10).
void set_heterogeneity_from_q(Fit& f, double q, std::size_t k_yi) {
  const double df = static_cast<double>(k_yi) - 1.0;
  f.Q_df = std::fmax(0.0, df);
  if (k_yi > 1) {
    f.Q = std::isnan(q) ? q : std::fmax(0.0, q);
    f.Q_p = stats::chisq_sf(f.Q, df);
    f.I2 = std::isnan(f.Q) ? kNaN : std::fmax(0.0, 100.0 * (f.Q - df) / f.Q);
    f.H2 = f.Q / df;
  } else {
    f.Q = 0.0;
    f.Q_p = 1.0;
    f.I2 = 0.0;
    f.H2 = 1.0;
  }
}

std::vector<double> percent(std::vector<double> w) {
  double total = 0.0;
  for (double x : w)
    total += x;
  for (double& x : w)
    x = 100.0 * x / total;
  return w;
}

// Breslow-Day and Tarone's tests of homogeneous odds ratios given the pooled odds ratio psi
// (Breslow & Day 1980, eq. 4.30; Tarone 1985). The expected count of each table under psi is the
// root of a quadratic in [max(0, n1 + xt - N), min(n1, xt)].
void set_homogeneity_tests(CmhTests& t, std::span<const std::array<double, 4>> counts, double psi) {
  double bd = 0.0, sum_diff = 0.0, sum_var = 0.0;
  std::size_t k_pos = 0;
  for (const auto& [a, b, c, d] : counts) {
    const double n1 = a + b, n2 = c + d, n = n1 + n2, xt = a + c, yt = b + d;
    double n11;
    if (psi == 1.0) {
      n11 = n1 / n * xt;
    } else {
      const double aa = psi * (n1 + xt) + (n2 - xt);
      const double bb = std::sqrt(aa * aa - 4.0 * n1 * xt * psi * (psi - 1.0));
      n11 = (aa - bb) / (2.0 * (psi - 1.0));
    }
    if (!(n11 > 0 && xt > 0 && yt > 0)) continue;
    ++k_pos;
    const double n12 = n1 - n11, n21 = xt - n11, n22 = n11 - n1 - xt + n;
    const double inv_var = 1.0 / n11 + 1.0 / n12 + 1.0 / n21 + 1.0 / n22;  // 1 / Var(a | psi)
    bd += (a - n11) * (a - n11) * inv_var;
    sum_diff += a - n11;
    sum_var += 1.0 / inv_var;
  }
  t.breslow_day = std::fmax(0.0, bd);
  t.tarone = std::fmax(0.0, bd - sum_diff * sum_diff / sum_var);
  t.tarone_df = static_cast<double>(k_pos) - 1.0;
  if (k_pos > 1) {
    t.breslow_day_p = stats::chisq_sf(t.breslow_day, t.tarone_df);
    t.tarone_p = stats::chisq_sf(t.tarone, t.tarone_df);
  }
}

}  // namespace

TableFit fit_mantel_haenszel(std::span<const std::array<double, 4>> counts,
                             std::span<const double> yi, std::span<const double> vi,
                             Measure measure, double level) {
  assert(counts.size() == yi.size() && yi.size() == vi.size() && !counts.empty());
  TableFit out;
  out.fit = start(Method::MH, counts.size(), level);
  out.k_yi = count_finite(yi);
  Fit& f = out.fit;
  std::vector<double> w;
  w.reserve(counts.size());

  switch (measure) {
    case Measure::OR: {
      // Mantel & Haenszel (1959): R / S; variance of Robins, Breslow & Greenland (1986), eq. 11.
      double r = 0, s = 0, pr = 0, ps_qr = 0, qs = 0;
      double cmh_num = 0, cmh_den = 0, sum_xt = 0, sum_yt = 0;
      for (const auto& [a, b, c, d] : counts) {
        const double n = a + b + c + d, n1 = a + b, n2 = c + d, xt = a + c, yt = b + d;
        const double p = (a + d) / n, q = (b + c) / n, ri = a / n * d, si = b / n * c;
        r += ri;
        s += si;
        pr += p * ri;
        ps_qr += p * si + q * ri;
        qs += q * si;
        w.push_back(si);
        cmh_num += a - n1 / n * xt;
        cmh_den += n1 / n * (n2 / n) * (xt * (yt / (n - 1.0)));
        sum_xt += xt;
        sum_yt += yt;
      }
      const bool estimable = r != 0.0 && s != 0.0;
      const double psi = estimable ? r / s : kNaN;
      set_estimate(
          f, std::log(psi),
          estimable ? std::sqrt(0.5 * (pr / (r * r) + ps_qr / (r * s) + qs / (s * s))) : kNaN);
      out.has_tests = true;
      if (sum_xt != 0.0 && sum_yt != 0.0) {
        // Cochran-Mantel-Haenszel statistic with continuity correction 1/2 (metafor's MH).
        const double dev = std::fabs(cmh_num) - 0.5;
        out.tests.CMH = dev * dev / cmh_den;
        out.tests.CMH_p = stats::chisq_sf(out.tests.CMH, 1.0);
      }
      if (estimable) set_homogeneity_tests(out.tests, counts, psi);
      break;
    }
    case Measure::RR: {
      // Greenland & Robins (1985), Biometrics 41:55-68: R / S and its variance.
      double r = 0, s = 0, v = 0, sum_a = 0, sum_c = 0;
      for (const auto& [a, b, c, d] : counts) {
        const double n = a + b + c + d, n1 = a + b, n2 = c + d;
        r += a * (n2 / n);
        s += c * (n1 / n);
        v += n1 / n * (n2 / n) * (a + c) - a / n * c;
        sum_a += a;
        sum_c += c;
        w.push_back(c / n * n1);
      }
      const bool estimable = sum_a != 0.0 && sum_c != 0.0;
      set_estimate(f, estimable ? std::log(r / s) : kNaN,
                   estimable ? std::sqrt(v / (r * s)) : kNaN);
      break;
    }
    case Measure::RD: {
      // Greenland & Robins (1985): weighted difference and its variance.
      double num = 0, den = 0, v1 = 0, v2 = 0;
      for (const auto& [a, b, c, d] : counts) {
        const double n = a + b + c + d, n1 = a + b, n2 = c + d;
        num += a * (n2 / n) - c * (n1 / n);
        den += n1 * (n2 / n);
        v1 +=
            c * (n1 / n) * (n1 / n) - a * (n2 / n) * (n2 / n) + n1 / n * (n2 / n) * (n2 - n1) / 2.0;
        v2 += a * (n2 - c) / n + c * (n1 - a) / n;
        w.push_back(n1 / n * n2);
      }
      const double beta = num / den;
      set_estimate(f, beta, std::sqrt((beta * v1 + v2 / 2.0) / (den * den)));
      break;
    }
    case Measure::IRR: {
      // Rothman, Greenland & Lash (2008), Modern Epidemiology, ch. 15: person-time analogues.
      double r = 0, s = 0, v = 0, sum_x1 = 0, sum_x2 = 0;
      for (const auto& [x1, t1, x2, t2] : counts) {
        const double t = t1 + t2;
        r += x1 * (t2 / t);
        s += x2 * (t1 / t);
        v += t1 / t * (t2 / t) * (x1 + x2);
        sum_x1 += x1;
        sum_x2 += x2;
        w.push_back(x2 / t * t1);
      }
      const bool estimable = sum_x1 != 0.0 && sum_x2 != 0.0;
      set_estimate(f, estimable ? std::log(r / s) : kNaN,
                   estimable ? std::sqrt(v / (r * s)) : kNaN);
      break;
    }
    case Measure::IRD: {
      double num = 0, den = 0, v = 0;
      for (const auto& [x1, t1, x2, t2] : counts) {
        const double t = t1 + t2;
        const double wi = t1 / t * t2;
        num += (x1 * t2 - x2 * t1) / t;
        den += wi;
        v += wi * wi * (x1 / (t1 * t1) + x2 / (t2 * t2));
        w.push_back(wi);
      }
      set_estimate(f, num / den, std::sqrt(v) / den);
      break;
    }
    default:
      assert(false && "Mantel-Haenszel pooling is defined for OR, RR, RD, IRR and IRD");
      break;
  }

  double q = 0.0;
  for (std::size_t i = 0; i < yi.size(); ++i) {
    if (!std::isfinite(yi[i])) continue;
    const double e = yi[i] - f.estimate;
    q += e * e / vi[i];
  }
  set_heterogeneity_from_q(f, q, out.k_yi);
  out.weights = percent(std::move(w));
  return out;
}

TableFit fit_peto(std::span<const std::array<double, 4>> counts, std::span<const double> yi,
                  std::span<const double> vi, double level) {
  assert(counts.size() == yi.size() && yi.size() == vi.size() && !counts.empty());
  (void)vi;
  TableFit out;
  out.fit = start(Method::PETO, counts.size(), level);
  out.k_yi = count_finite(yi);
  Fit& f = out.fit;
  // Observed minus expected events in group 1 and the hypergeometric variance, per table.
  double sum_oe = 0.0, sum_v = 0.0, sum_oe2_v = 0.0;
  std::size_t k_pos = 0;
  std::vector<double> w;
  w.reserve(counts.size());
  for (const auto& [a, b, c, d] : counts) {
    const double n1 = a + b, n2 = c + d, n = n1 + n2, xt = a + c, yt = b + d;
    const double e = xt * n1 / n;
    const double v = xt * yt * (n1 / n) * (n2 / n) / (n - 1.0);
    sum_oe += a - e;
    sum_v += v;
    w.push_back(v);
    if (v > 0) {
      ++k_pos;
      sum_oe2_v += (a - e) * (a - e) / v;
    }
  }
  if (sum_v == 0.0) {
    set_estimate(f, kNaN, kNaN);
  } else {
    set_estimate(f, sum_oe / sum_v, std::sqrt(1.0 / sum_v));
  }
  // Yusuf et al. (1985): heterogeneity of the tables' (O - E) around the pooled one; metafor
  // uses k_yi - 1 degrees of freedom and reports nothing with fewer than two informative tables.
  const double df = static_cast<double>(out.k_yi) - 1.0;
  f.Q_df = std::fmax(0.0, df);
  f.Q = sum_v > 0 ? std::fmax(0.0, sum_oe2_v - sum_oe * sum_oe / sum_v) : kNaN;
  if (k_pos > 1) {
    f.Q_p = stats::chisq_sf(f.Q, df);
    f.I2 = std::fmax(0.0, 100.0 * (f.Q - df) / f.Q);
    f.H2 = f.Q / df;
  } else {
    f.Q_p = 1.0;
    f.I2 = 0.0;
    f.H2 = 1.0;
  }
  out.weights = percent(std::move(w));
  return out;
}

}  // namespace evident
