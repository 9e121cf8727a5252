#include "evident/methods/bias.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "evident/effect/moderators.hpp"
#include "evident/methods/transform.hpp"
#include "stats/distributions.hpp"

namespace evident {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Rows [1, predictor_i] of a two-column design.
std::vector<double> two_column_design(std::span<const double> predictor) {
  std::vector<double> x;
  x.reserve(2 * predictor.size());
  for (double v : predictor) {
    x.push_back(1.0);
    x.push_back(v);
  }
  return x;
}

// Weighted least squares with weights 1 / vi and a multiplicative dispersion (R's lm with
// weights): the common-effect meta-regression with the Knapp-Hartung factor, which is the
// residual mean square of lm, not truncated; t with k - p df.
MetaRegFit wls(std::span<const double> yi, std::span<const double> vi,
               std::span<const double> predictor, double level) {
  FitOptions o;
  o.method = Method::FE;
  o.test = Test::knha;
  o.level = level;
  const std::vector<double> x = two_column_design(predictor);
  return fit_metareg(yi, vi, {x, 2}, o);
}

// Probability distribution of the number of inversions of a random permutation of n elements
// (Kendall's statistic under independence; the Mahonian numbers divided by n!), by the
// recursion P_n(j) = (1/n) sum_{i=0}^{n-1} P_{n-1}(j - i) with a sliding window sum.
std::vector<double> inversion_distribution(std::size_t n) {
  std::vector<double> p{1.0};
  for (std::size_t m = 2; m <= n; ++m) {
    const std::size_t size = m * (m - 1) / 2 + 1;
    std::vector<double> next(size, 0.0);
    double window = 0.0;
    for (std::size_t j = 0; j < size; ++j) {
      if (j < p.size()) window += p[j];
      if (j >= m && j - m < p.size()) window -= p[j - m];
      next[j] = window / static_cast<double>(m);
    }
    p = std::move(next);
  }
  return p;
}

// Ranks of |values| with ties broken by position (R's rank(..., ties.method = "first")).
std::vector<std::size_t> ranks_first(const std::vector<double>& values) {
  std::vector<std::size_t> order(values.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return std::fabs(values[a]) < std::fabs(values[b]);
  });
  std::vector<std::size_t> rank(values.size());
  for (std::size_t r = 0; r < order.size(); ++r)
    rank[order[r]] = r + 1;
  return rank;
}

}  // namespace

std::string_view egger_predictor_name(EggerPredictor p) noexcept {
  switch (p) {
    case EggerPredictor::sei:
      return "sei";
    case EggerPredictor::vi:
      return "vi";
    case EggerPredictor::ni:
      return "ni";
    case EggerPredictor::ninv:
      return "ninv";
  }
  return "?";
}

std::string_view egger_model_name(EggerModel m) noexcept {
  return m == EggerModel::lm ? "lm" : "rma";
}

std::string_view trimfill_estimator_name(TrimFillEstimator e) noexcept {
  return e == TrimFillEstimator::R0 ? "R0" : "L0";
}

std::string_view funnel_side_name(FunnelSide s) noexcept {
  return s == FunnelSide::right ? "right" : "left";
}

EggerTest regtest(std::span<const double> yi, std::span<const double> vi,
                  std::span<const double> ni, const FitOptions& options, EggerPredictor predictor,
                  EggerModel model) {
  EggerTest t;
  t.predictor = predictor;
  t.model = model;
  const std::size_t k = yi.size();
  std::vector<double> pred(k);
  for (std::size_t i = 0; i < k; ++i) {
    switch (predictor) {
      case EggerPredictor::sei:
        pred[i] = std::sqrt(vi[i]);
        break;
      case EggerPredictor::vi:
        pred[i] = vi[i];
        break;
      case EggerPredictor::ni:
        pred[i] = ni[i];
        break;
      case EggerPredictor::ninv:
        pred[i] = 1.0 / ni[i];
        break;
    }
  }
  MetaRegFit f;
  if (model == EggerModel::lm) {
    f = wls(yi, vi, pred, options.level);
  } else {
    const std::vector<double> x = two_column_design(pred);
    f = fit_metareg(yi, vi, {x, 2}, options);
  }
  if (f.status != RegressionStatus::ok || !(f.k > 2)) return t;
  t.ok = true;
  t.stat = f.stat[1];
  t.df = f.df;
  t.pval = f.pval[1];
  t.slope = f.beta[1];
  if (predictor == EggerPredictor::ni) {
    t.limit_estimate = t.limit_ci_lb = t.limit_ci_ub = kNaN;
  } else {
    t.limit_estimate = f.beta[0];
    t.limit_ci_lb = f.ci_lb[0];
    t.limit_ci_ub = f.ci_ub[0];
  }
  return t;
}

RankTest ranktest(std::span<const double> yi, std::span<const double> vi) {
  RankTest r;
  const std::size_t n = yi.size();
  if (n < 2) return r;
  // Standardised deviations from the common-effect estimate (Begg & Mazumdar 1994, eq. 1).
  double sw = 0.0, swy = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    sw += 1.0 / vi[i];
    swy += yi[i] / vi[i];
  }
  const double theta = swy / sw;
  const double vb = 1.0 / sw;
  std::vector<double> x(n);
  for (std::size_t i = 0; i < n; ++i)
    x[i] = (yi[i] - theta) / std::sqrt(vi[i] - vb);

  // Kendall's tau-b over all pairs (O(k^2), as R's cor).
  auto sign = [](double d) { return d > 0.0 ? 1.0 : (d < 0.0 ? -1.0 : 0.0); };
  double s = 0.0, nx = 0.0, ny = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = i + 1; j < n; ++j) {
      const double sx = sign(x[i] - x[j]);
      const double sy = sign(vi[i] - vi[j]);
      s += sx * sy;
      nx += sx * sx;
      ny += sy * sy;
    }
  }
  if (!(nx > 0.0 && ny > 0.0)) return r;  // a constant variable: tau undefined, as R (NA)
  r.ok = true;
  r.tau = s / std::sqrt(nx * ny);
  const double t0 = static_cast<double>(n) * static_cast<double>(n - 1) / 2.0;
  const bool ties = nx < t0 || ny < t0;
  constexpr std::size_t kExactLimit = 500;
  if (!ties && n <= kExactLimit) {
    // R's cor.test(exact = TRUE): q = number of concordant pairs; two-sided p from the exact
    // distribution of the number of inversions, the tail on q's side doubled.
    r.exact = true;
    const auto q = static_cast<std::size_t>(std::llround((s + t0) / 2.0));
    const std::vector<double> p = inversion_distribution(n);
    double tail = 0.0;
    if (static_cast<double>(q) > t0 / 2.0) {
      for (std::size_t j = q; j < p.size(); ++j)
        tail += p[j];
    } else {
      for (std::size_t j = 0; j <= q; ++j)
        tail += p[j];
    }
    r.pval = std::min(2.0 * tail, 1.0);
    return r;
  }
  // Normal approximation with ties (R's cor.test, Kendall 1970, ch. 4).
  auto tie_sums = [&](std::vector<double> values, double& a, double& b, double& c, double& d) {
    std::sort(values.begin(), values.end());
    a = b = c = d = 0.0;
    for (std::size_t i = 0; i < values.size();) {
      std::size_t j = i;
      while (j < values.size() && values[j] == values[i])
        ++j;
      const auto t = static_cast<double>(j - i);
      if (t > 1.0) {
        a += t * (t - 1.0);
        b += t * (t - 1.0) * (2.0 * t + 5.0);
        c += t * (t - 1.0) * (t - 2.0);
      }
      i = j;
    }
    d = a / 2.0;
  };
  double xa, xb, xc, xd, ya, yb, yc, yd;
  tie_sums(x, xa, xb, xc, xd);
  tie_sums(std::vector<double>(vi.begin(), vi.end()), ya, yb, yc, yd);
  const auto nd = static_cast<double>(n);
  const double stat_s = r.tau * std::sqrt((t0 - xd) * (t0 - yd));
  const double v0 = nd * (nd - 1.0) * (2.0 * nd + 5.0);
  const double var_s = (v0 - xb - yb) / 18.0 + xa * ya / (2.0 * nd * (nd - 1.0)) +
                       xc * yc / (9.0 * nd * (nd - 1.0) * (nd - 2.0));
  const double z = stat_s / std::sqrt(var_s);
  r.pval = 2.0 * stats::normal_sf(std::fabs(z));
  return r;
}

TrimFill trimfill(std::span<const double> yi, std::span<const double> vi,
                  std::span<const std::string> labels, const FitOptions& options,
                  TrimFillEstimator estimator, std::optional<FunnelSide> side) {
  TrimFill t;
  t.estimator = estimator;
  const std::size_t k = yi.size();
  if (k < 2) return t;
  FitOptions inner = options;  // only the estimate is used; it does not depend on the test
  inner.test = Test::z;

  if (side) {
    t.side = *side;
  } else {
    // metafor: regress yi on sqrt(vi) with the same estimator; a negative slope means the
    // small studies lie to the left, so the missing ones are on the right.
    std::vector<double> sei(k);
    for (std::size_t i = 0; i < k; ++i)
      sei[i] = std::sqrt(vi[i]);
    const std::vector<double> x = two_column_design(sei);
    const MetaRegFit egger = fit_metareg(yi, vi, {x, 2}, inner);
    if (egger.status != RegressionStatus::ok) return t;
    t.side = egger.beta[1] < 0.0 ? FunnelSide::right : FunnelSide::left;
  }
  // Work as if studies were missing on the left: flip the signs otherwise.
  const double flip = t.side == FunnelSide::right ? -1.0 : 1.0;
  std::vector<std::size_t> order(k);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return flip * yi[a] < flip * yi[b]; });
  std::vector<double> y(k), v(k);
  for (std::size_t i = 0; i < k; ++i) {
    y[i] = flip * yi[order[i]];
    v[i] = vi[order[i]];
  }

  const auto kd = static_cast<double>(k);
  long k0 = 0;
  long k0_prev = -1;
  double beta = 0.0;
  std::vector<double> centred(k);
  constexpr int kMaxIterations = 100;  // metafor's default maxiter
  while (k0 != k0_prev) {
    if (t.iterations == kMaxIterations) {
      t.converged = false;
      break;
    }
    ++t.iterations;
    k0_prev = k0;
    // The estimate without the k0 most extreme studies on the right.
    const std::size_t kept = k - static_cast<std::size_t>(k0);
    beta =
        fit(std::span<const double>(y).first(kept), std::span<const double>(v).first(kept), inner)
            .estimate;
    for (std::size_t i = 0; i < k; ++i)
      centred[i] = y[i] - beta;
    const std::vector<std::size_t> rank = ranks_first(centred);
    double estimate = 0.0;
    if (estimator == TrimFillEstimator::R0) {
      // R0 = gamma* - 1, gamma* the length of the rightmost run of positive ranks
      // (Duval & Tweedie 2000, JASA, section 2).
      std::size_t max_negative = 0;
      for (std::size_t i = 0; i < k; ++i) {
        if (centred[i] < 0.0) max_negative = std::max(max_negative, rank[i]);
      }
      estimate = (kd - static_cast<double>(max_negative)) - 1.0;
      t.se_k0 = std::sqrt(2.0 * std::max(0.0, estimate) + 2.0);
    } else {
      // L0 = (4 Sr - k (k + 1)) / (2k - 1), Sr the sum of the positive signed ranks.
      double sr = 0.0;
      for (std::size_t i = 0; i < k; ++i) {
        if (centred[i] > 0.0) sr += static_cast<double>(rank[i]);
      }
      estimate = (4.0 * sr - kd * (kd + 1.0)) / (2.0 * kd - 1.0);
      const double e = estimate;
      const double var_sr = (kd * (kd + 1.0) * (2.0 * kd + 1.0) + 10.0 * e * e * e + 27.0 * e * e +
                             17.0 * e - 18.0 * kd * e * e - 18.0 * kd * e + 6.0 * kd * kd * e) /
                            24.0;
      t.se_k0 = std::max(0.0, 4.0 * std::sqrt(var_sr) / (2.0 * kd - 1.0));
    }
    // R's round() rounds half to even; nearbyint does in the default rounding mode.
    k0 = std::max(0L, static_cast<long>(std::nearbyint(estimate)));
    k0 = std::min(k0, static_cast<long>(k) - 1);  // keep at least one study
  }
  t.k0 = static_cast<int>(k0);
  if (estimator == TrimFillEstimator::R0) {
    // metafor: 1 - sum over m = -1 .. k0 - 1 of C(m + 1, m + 1) 0.5^(m + 2) = 0.5^(k0 + 1).
    double sum = 0.0;
    for (long m = -1; m <= k0 - 1; ++m)
      sum += std::pow(0.5, static_cast<double>(m + 2));
    t.p_k0 = 1.0 - sum;
  } else {
    t.p_k0 = kNaN;
  }

  // Reflect the k0 largest about the trimmed estimate and refit everything.
  std::vector<double> y_all(yi.begin(), yi.end());
  std::vector<double> v_all(vi.begin(), vi.end());
  for (long j = 0; j < k0; ++j) {
    const std::size_t i = k - static_cast<std::size_t>(k0) + static_cast<std::size_t>(j);
    FilledStudy f;
    f.study = fmt::format("Filled {}", j + 1);
    f.mirror = labels[order[i]];
    f.yi = flip * (2.0 * beta - y[i]);
    f.vi = v[i];
    y_all.push_back(f.yi);
    v_all.push_back(f.vi);
    t.filled.push_back(std::move(f));
  }
  t.fit = fit(y_all, v_all, options);
  t.ok = true;
  return t;
}

FailSafeN fsn(std::span<const double> yi, std::span<const double> vi, double alpha,
              std::optional<double> orwin_target) {
  FailSafeN f;
  f.alpha = alpha;
  const std::size_t k = yi.size();
  const auto kd = static_cast<double>(k);
  // metafor rounds up, except that values within sqrt(eps) of an integer are rounded.
  auto round_up = [](double x) {
    if (std::isinf(x)) return x;
    const double r = std::nearbyint(x);
    return std::fabs(x - r) >= std::sqrt(std::numeric_limits<double>::epsilon()) ? std::ceil(x) : r;
  };
  // Rosenthal (1979), Psychol Bull 86:638-641, with Stouffer's method.
  double sz = 0.0;
  for (std::size_t i = 0; i < k; ++i)
    sz += yi[i] / std::sqrt(vi[i]);
  const double z_avg = std::fabs(sz / std::sqrt(kd));
  f.rosenthal_pval = stats::normal_sf(z_avg);
  const double z_alpha = stats::normal_upper_quantile(alpha);
  f.rosenthal = round_up(std::max(0.0, kd * (z_avg / z_alpha) * (z_avg / z_alpha) - kd));

  // Orwin (1983), J Educ Stat 8:157-159, unweighted.
  double mean = 0.0;
  for (double y : yi)
    mean += y;
  mean /= kd;
  f.orwin_mean = mean;
  double target = orwin_target.value_or(mean / 2.0);
  if (target == 0.0) {
    f.orwin = std::numeric_limits<double>::infinity();
  } else {
    if ((target > 0.0) != (mean > 0.0)) target = -target;
    f.orwin = round_up(std::max(0.0, kd * (mean - target) / target));
  }
  f.orwin_target = target;

  // Rosenberg (2005), Evolution 59:464-468: the common-effect model.
  double sw = 0.0, swy = 0.0;
  for (std::size_t i = 0; i < k; ++i) {
    sw += 1.0 / vi[i];
    swy += yi[i] / vi[i];
  }
  f.rosenberg_mean = swy / sw;
  const double zval = f.rosenberg_mean / std::sqrt(1.0 / sw);
  f.rosenberg_pval = 2.0 * stats::normal_sf(std::fabs(zval));
  const double zq = stats::normal_upper_quantile(alpha / 2.0);
  const double wp = (swy / zq) * (swy / zq) - sw;
  f.rosenberg = round_up(std::max(0.0, kd * wp / sw));
  return f;
}

PetPeese pet_peese(std::span<const double> yi, std::span<const double> vi, double level,
                   double alpha) {
  PetPeese out;
  out.alpha = alpha;
  const std::size_t k = yi.size();
  std::vector<double> sei(k);
  for (std::size_t i = 0; i < k; ++i)
    sei[i] = std::sqrt(vi[i]);
  auto estimate = [&](std::span<const double> predictor) {
    RegressionEstimate e;
    const MetaRegFit f = wls(yi, vi, predictor, level);
    if (f.status != RegressionStatus::ok || !(f.k > 2)) return e;
    e.ok = true;
    e.estimate = f.beta[0];
    e.se = f.se[0];
    e.stat = f.stat[0];
    e.df = f.df;
    e.pval = f.pval[0];
    e.ci_lb = f.ci_lb[0];
    e.ci_ub = f.ci_ub[0];
    e.slope = f.beta[1];
    e.slope_pval = f.pval[1];
    return e;
  };
  out.pet = estimate(sei);
  out.peese = estimate(vi);
  // One-sided test in the direction of the PET estimate at alpha: two-sided p < 2 alpha.
  out.use_peese = out.pet.ok && out.peese.ok && out.pet.pval < 2.0 * alpha;
  return out;
}

FunnelData funnel(std::span<const std::string> labels, std::span<const double> yi,
                  std::span<const double> vi, double estimate,
                  std::span<const double> significance_levels) {
  FunnelData f;
  f.estimate = estimate;
  f.studies.assign(labels.begin(), labels.end());
  f.yi.assign(yi.begin(), yi.end());
  for (double v : vi) {
    f.sei.push_back(std::sqrt(v));
    f.sei_max = std::max(f.sei_max, f.sei.back());
  }
  for (double level : significance_levels) {
    f.contours.push_back({level, stats::normal_upper_quantile(level / 200.0)});
  }
  return f;
}

BiasAnalysis analyse_bias(const StudyTable& table, const AnalysisSpec& spec,
                          const BiasOptions& options) {
  const EffectData data = compute_effects(table, spec.effect);
  BiasAnalysis a;
  a.overall = analyse(data, spec.fit, table.source());
  const std::size_t k = data.k();

  // Sample sizes for the ni and ninv predictors: the measure's, else an `ni` column.
  std::vector<double> ni = data.ni;
  if (options.predictor == EggerPredictor::ni || options.predictor == EggerPredictor::ninv) {
    const bool missing = std::any_of(ni.begin(), ni.end(), [](double n) { return std::isnan(n); });
    if (missing) {
      const auto col = table.find_column("ni");
      if (!col) {
        throw InputError({table.source(), 1, 0},
                         "the ni and ninv predictors need sample sizes: a measure computed from "
                         "group sizes, or a column 'ni'");
      }
      const std::vector<std::size_t> rows = table_rows(table, data);
      for (std::size_t i = 0; i < k; ++i) {
        const CellValue c = parse_number(table.cell(rows[i], *col));
        if (c.kind != CellKind::number || !(c.value > 0.0)) {
          throw InputError(table.where(rows[i], *col),
                           "the ni and ninv predictors need a positive sample size in 'ni'");
        }
        ni[i] = c.value;
      }
    }
  }

  a.egger = regtest(data.yi, data.vi, ni, spec.fit, options.predictor, options.model);
  if (!a.egger.ok) {
    a.diagnostics.push_back({DiagnosticCode::method_not_applicable,
                             "Egger's regression test needs at least 3 studies (and, with a "
                             "random-effects model, more studies than coefficients)",
                             {}});
  }
  a.begg = ranktest(data.yi, data.vi);
  if (!a.begg.ok) {
    a.diagnostics.push_back({DiagnosticCode::method_not_applicable,
                             "the rank correlation test needs at least 2 studies with differing "
                             "variances",
                             {}});
  }
  a.trimfill = trimfill(data.yi, data.vi, data.labels, spec.fit, options.estimator, options.side);
  if (!a.trimfill.ok) {
    a.diagnostics.push_back({DiagnosticCode::method_not_applicable,
                             "trim-and-fill needs at least 2 studies (3 to choose the side)",
                             {}});
  } else if (auto bt = BackTransform::for_measure(data.measure, data.ni)) {
    const Fit& f = a.trimfill.fit;
    a.trimfill_back_transformed = BackTransformed{std::string(bt->scale_name()),
                                                  (*bt)(f.estimate),
                                                  (*bt)(f.ci_lb),
                                                  (*bt)(f.ci_ub),
                                                  kNaN,
                                                  kNaN};
  }
  if (a.trimfill.ok && !a.trimfill.converged) {
    a.diagnostics.push_back({DiagnosticCode::not_converged,
                             "trim-and-fill: the number of missing studies did not settle in 100 "
                             "iterations; the last value is shown",
                             {}});
  }
  a.fsn = fsn(data.yi, data.vi, options.fsn_alpha, options.orwin_target);
  a.pet_peese = pet_peese(data.yi, data.vi, spec.fit.level, options.pet_peese_alpha);
  if (!a.pet_peese.pet.ok) {
    a.diagnostics.push_back(
        {DiagnosticCode::method_not_applicable, "PET-PEESE needs at least 3 studies", {}});
  }
  a.funnel = funnel(data.labels, data.yi, data.vi, a.overall.fit.estimate, options.contour_levels);
  return a;
}

}  // namespace evident
