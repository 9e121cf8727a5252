#include "evident/methods/sensitivity.hpp"

#include <fmt/format.h>

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <Eigen/LU>
#include <algorithm>
#include <cmath>
#include <limits>

#include "methods/order.hpp"
#include "stats/distributions.hpp"

namespace evident {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

RefitResult from_fit(const Fit& f) {
  RefitResult r;
  r.estimate = f.estimate;
  r.se = f.se;
  r.stat = f.stat;
  r.pval = f.pval;
  r.ci_lb = f.ci_lb;
  r.ci_ub = f.ci_ub;
  r.df = f.df;
  r.Q = f.Q;
  r.Q_p = f.Q_p;
  r.tau2 = f.tau2;
  r.I2 = f.I2;
  r.H2 = f.H2;
  return r;
}

Eigen::MatrixXd matrix(const std::vector<double>& rowwise, std::size_t p) {
  const auto n = static_cast<Eigen::Index>(p);
  Eigen::MatrixXd m(n, n);
  for (Eigen::Index a = 0; a < n; ++a) {
    for (Eigen::Index b = 0; b < n; ++b)
      m(a, b) = rowwise[static_cast<std::size_t>(a * n + b)];
  }
  return m;
}

}  // namespace

std::vector<RefitResult> leave1out(std::span<const double> yi, std::span<const double> vi,
                                   const FitOptions& options) {
  const std::size_t k = yi.size();
  std::vector<RefitResult> out;
  out.reserve(k);
  std::vector<double> y, v;
  for (std::size_t i = 0; i < k; ++i) {
    y.clear();
    v.clear();
    for (std::size_t j = 0; j < k; ++j) {
      if (j == i) continue;
      y.push_back(yi[j]);
      v.push_back(vi[j]);
    }
    out.push_back(from_fit(fit(y, v, options)));
  }
  return out;
}

std::vector<RefitResult> cumulative(std::span<const double> yi, std::span<const double> vi,
                                    std::span<const std::size_t> order, const FitOptions& options) {
  std::vector<RefitResult> out;
  out.reserve(order.size());
  std::vector<double> y, v;
  for (std::size_t i : order) {
    y.push_back(yi[i]);
    v.push_back(vi[i]);
    out.push_back(from_fit(fit(y, v, options)));
  }
  return out;
}

std::vector<InfluenceResult> influence(std::span<const double> yi, std::span<const double> vi,
                                       DesignView x, const MetaRegFit& fit,
                                       const FitOptions& options) {
  const std::size_t k = yi.size();
  const std::size_t p = x.p;
  const auto kd = static_cast<double>(k);
  const auto pd = static_cast<double>(p);
  std::vector<InfluenceResult> out(k);

  // Full-model quantities: weights, hat values, fitted values, (vb)^-1 and det(vb).
  double total_w = 0.0;
  for (double v : vi)
    total_w += 1.0 / (v + fit.tau2);
  const Eigen::MatrixXd vb = matrix(fit.vb, p);
  const Eigen::LLT<Eigen::MatrixXd> vb_llt(vb);
  const double det_vb = vb.determinant();
  std::vector<double> pred_full(k);
  for (std::size_t i = 0; i < k; ++i) {
    const double w = 1.0 / (vi[i] + fit.tau2);
    double hat = 0.0, pred = 0.0;
    for (std::size_t a = 0; a < p; ++a) {
      pred += x(i, a) * fit.beta[a];
      for (std::size_t b = 0; b < p; ++b)
        hat += x(i, a) * fit.xtwx_inv[a * p + b] * x(i, b);
    }
    pred_full[i] = pred;
    InfluenceResult& r = out[i];
    r.hat = w * hat;
    r.weight = 100.0 * w / total_w;
    const double resid = yi[i] - pred;
    r.baujat_x = resid * resid / (vi[i] + fit.tau2);
  }

  std::vector<double> y, v, xs;
  std::vector<double> v_del(k);
  FitOptions fixed = options;
  fixed.method = Method::FE;
  fixed.test = Test::z;
  for (std::size_t i = 0; i < k; ++i) {
    InfluenceResult& r = out[i];
    y.clear();
    v.clear();
    xs.clear();
    for (std::size_t j = 0; j < k; ++j) {
      if (j == i) continue;
      y.push_back(yi[j]);
      v.push_back(vi[j]);
      for (std::size_t a = 0; a < p; ++a)
        xs.push_back(x(j, a));
    }
    const MetaRegFit del = fit_metareg(y, v, {xs, p}, options);
    // (X'W_(-i)X)^-1 over all k studies with the weights 1 / (v + tau2 without i), as metafor's
    // vb.del: a common-effect fit with variances v + tau2_del gives exactly that matrix.
    MetaRegFit all_del;
    if (del.status == RegressionStatus::ok) {
      for (std::size_t j = 0; j < k; ++j)
        v_del[j] = vi[j] + del.tau2;
      all_del = fit_metareg(yi, v_del, x, fixed);
    }
    if (del.status != RegressionStatus::ok || all_del.status != RegressionStatus::ok) {
      r.ok = false;
      r.rstudent = r.dffits = r.cook_d = r.cov_r = r.tau2_del = r.QE_del = kNaN;
      r.baujat_y = kNaN;
      r.dfbetas.assign(p, kNaN);
    } else {
      r.tau2_del = del.tau2;
      r.QE_del = del.QE;
      double delpred = 0.0, vdelpred = 0.0;
      for (std::size_t a = 0; a < p; ++a) {
        delpred += x(i, a) * del.beta[a];
        for (std::size_t b = 0; b < p; ++b)
          vdelpred += x(i, a) * del.vb[a * p + b] * x(i, b);
      }
      const double s2w = del.s2w;
      r.dffits = (pred_full[i] - delpred) / std::sqrt(s2w * r.hat * (del.tau2 + vi[i]));
      Eigen::VectorXd dfb(static_cast<Eigen::Index>(p));
      r.dfbetas.resize(p);
      for (std::size_t a = 0; a < p; ++a) {
        dfb[static_cast<Eigen::Index>(a)] = fit.beta[a] - del.beta[a];
        r.dfbetas[a] =
            dfb[static_cast<Eigen::Index>(a)] / std::sqrt(s2w * all_del.xtwx_inv[a * p + a]);
      }
      r.cook_d = vb_llt.info() == Eigen::Success ? dfb.dot(vb_llt.solve(dfb)) : kNaN;
      r.cov_r = matrix(del.vb, p).determinant() / det_vb;
      // Externally standardised residual (Viechtbauer & Cheung 2010, eq. 8): the residual of
      // study i from the fit without it, over the standard deviation of that difference.
      double resid = yi[i] - delpred;
      if (std::fabs(resid) < 100.0 * std::numeric_limits<double>::epsilon()) resid = 0.0;
      r.rstudent = resid / std::sqrt(vi[i] * s2w + vdelpred + del.tau2 * s2w);
      const double change = delpred - pred_full[i];
      r.baujat_y = change * change / vdelpred;
    }
    // metafor's rule; a NaN comparison is false, as R's NA in `|` with a TRUE elsewhere.
    bool any_dfbetas = false;
    for (double d : r.dfbetas)
      any_dfbetas = any_dfbetas || std::fabs(d) > 1.0;
    r.influential = std::fabs(r.dffits) > 3.0 * std::sqrt(pd / (kd - pd)) ||
                    (1.0 - stats::chisq_sf(r.cook_d, pd)) > 0.5 || r.hat > 3.0 * pd / kd ||
                    any_dfbetas;
  }
  return out;
}

}  // namespace evident

namespace evident {

namespace {}  // namespace

InfluenceAnalysis analyse_influence(const StudyTable& table, const AnalysisSpec& spec,
                                    const ModeratorSpec& moderators,
                                    const std::string& order_column) {
  InfluenceAnalysis a;
  const EffectData data = compute_effects(table, spec.effect);
  EffectData used;
  Design design;
  MetaRegFit model;
  if (moderators.terms.empty()) {
    a.overall = analyse(data, spec.fit, table.source());
    used = data;
    design.columns = {{"intrcpt", {}}};
    design.x.assign(data.k(), 1.0);
    model = fit_metareg(used.yi, used.vi, design.view(), spec.fit);
  } else {
    MetaRegRequest request;
    request.moderators = moderators;
    a.metareg = analyse_metareg(table, spec, request);
    ModeratedData md = build_design(table, data, moderators);
    used = std::move(md.data);
    design = std::move(md.design);
    model = a.metareg->fit;
  }
  a.studies = used.labels;
  for (const auto& c : design.columns)
    a.coefficients.push_back(c.name);
  if (used.k() < 2) {
    a.diagnostics.push_back({DiagnosticCode::method_not_applicable,
                             "one study: leave-one-out, influence and cumulative results need "
                             "at least two",
                             {}});
    return a;
  }
  a.influence = influence(used.yi, used.vi, design.view(), model, spec.fit);
  for (std::size_t i = 0; i < used.k(); ++i) {
    if (!a.influence[i].ok) {
      a.diagnostics.push_back({DiagnosticCode::refit_failed,
                               fmt::format("the model without {} could not be fitted (the "
                                           "moderators become linearly dependent); its "
                                           "influence diagnostics are missing",
                                           used.labels[i]),
                               used.labels[i]});
    }
  }
  if (!moderators.terms.empty()) {
    a.diagnostics.push_back({DiagnosticCode::method_not_applicable,
                             "leave-one-out and cumulative results are for models without "
                             "moderators (as in metafor)",
                             {}});
    return a;
  }
  a.leave1out = leave1out(used.yi, used.vi, spec.fit);
  a.order_column = order_column;
  a.order = detail::order_by(table, used, order_column);
  a.cumulative = cumulative(used.yi, used.vi, a.order, spec.fit);
  return a;
}

}  // namespace evident
