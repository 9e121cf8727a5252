#include "evident/methods/moderator_analysis.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "evident/methods/transform.hpp"
#include "methods/fit_notes.hpp"
#include "stats/distributions.hpp"

namespace evident {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::optional<BackTransformed> back_transform(Measure measure, std::span<const double> ni,
                                              const Prediction& p) {
  auto bt = BackTransform::for_measure(measure, ni);
  if (!bt) return std::nullopt;
  const BackTransform& t = *bt;
  return BackTransformed{
      std::string(t.scale_name()), t(p.pred), t(p.ci_lb), t(p.ci_ub), t(p.pi_lb), t(p.pi_ub)};
}

std::string describe_failure(RegressionStatus status, std::size_t k, std::size_t p, Method method) {
  if (status == RegressionStatus::too_few_studies) {
    return fmt::format("{} {} too few for a model with {} coefficient{}{} (metafor stops here too)",
                       k, k == 1 ? "study is" : "studies are", p, p == 1 ? "" : "s",
                       method == Method::FE ? "" : " and tau^2");
  }
  return "the moderators are linearly dependent for the studies at hand (X'WX is singular)";
}

std::vector<StudyResult> study_results(const EffectData& data, double tau2, double level) {
  std::vector<StudyResult> out;
  double total = 0.0;
  for (double v : data.vi)
    total += 1.0 / (v + tau2);
  const double z = stats::critical_value(level, kNaN);
  for (std::size_t i = 0; i < data.k(); ++i) {
    const double half = z * std::sqrt(data.vi[i]);
    out.push_back({data.labels[i], data.lines[i], data.yi[i], data.vi[i],
                   100.0 / (data.vi[i] + tau2) / total, data.yi[i] - half, data.yi[i] + half});
  }
  return out;
}

}  // namespace

std::string_view subgroup_tau2_name(SubgroupTau2 t) noexcept {
  return t == SubgroupTau2::common ? "common" : "separate";
}

MetaRegAnalysis analyse_metareg(const StudyTable& table, const AnalysisSpec& spec,
                                const MetaRegRequest& request) {
  ModeratedData md = build_design(table, compute_effects(table, spec.effect), request.moderators);
  const EffectData& data = md.data;
  MetaRegAnalysis a;
  a.source = table.source();
  a.measure = data.measure;
  a.fit = fit_metareg(data.yi, data.vi, md.design.view(), spec.fit);
  // fit_metareg fits one study with an intercept alone, as fit() does; a meta-regression asked
  // for moderators has no such case: when dropping redundant columns leaves as many coefficients
  // as studies, there are too few studies, as for any k <= p (k < p for FE; docs/cli.md).
  const bool random = spec.fit.method != Method::FE;
  if (!request.moderators.terms.empty() && a.fit.status == RegressionStatus::ok &&
      (data.k() < md.design.p() || (random && data.k() == md.design.p()))) {
    a.fit.status = RegressionStatus::too_few_studies;
  }
  if (a.fit.status != RegressionStatus::ok) {
    throw InputError({table.source(), 0, 0},
                     "cannot fit the meta-regression: " +
                         describe_failure(a.fit.status, data.k(), md.design.p(), spec.fit.method));
  }
  a.design = std::move(md.design);
  const DesignView x = a.design.view();

  // R2 against the model without moderators (metafor refits it with the same estimator; a model
  // without an intercept has none).
  a.R2 = kNaN;
  a.tau2_without = kNaN;
  if (a.fit.p > 1 && x.has_intercept()) {
    const Fit without = fit(data.yi, data.vi, spec.fit);
    a.tau2_without = without.tau2;
    a.R2 = pseudo_r2(a.fit, without.tau2, without.Q);
  }
  a.heterogeneity_ci = confint_tau2(data.yi, data.vi, x, a.fit, spec.fit.level);

  for (const ModeratorValues& values : request.predict) {
    PredictionResult r;
    r.values = values;
    r.x = a.design.row(values, "--predict");
    r.prediction = predict(a.fit, r.x);
    r.back_transformed = back_transform(data.measure, data.ni, r.prediction);
    a.predictions.push_back(std::move(r));
  }
  if (request.permutation) {
    a.permutation = permutation_test(data.yi, data.vi, x, a.fit, spec.fit, *request.permutation);
  }

  a.studies = study_results(data, a.fit.tau2, spec.fit.level);
  a.fitted.resize(data.k());
  for (std::size_t i = 0; i < data.k(); ++i) {
    double f = 0.0;
    for (std::size_t j = 0; j < a.fit.p; ++j)
      f += x(i, j) * a.fit.beta[j];
    a.fitted[i] = f;
  }
  a.diagnostics = data.diagnostics;
  detail::add_note_diagnostics(a.fit.notes, a.fit.method, a.fit.iterations, a.diagnostics);
  return a;
}

SubgroupAnalysis analyse_subgroups(const StudyTable& table, const AnalysisSpec& spec,
                                   const std::string& column, SubgroupTau2 tau2) {
  // The overall analysis counts each shared control arm once. The subgroups are formed before
  // the arms of a multi-arm trial are combined, so each comparison lands in its own subgroup
  // (an arm-level subgroup variable: the arms of one trial may differ), and each subgroup's
  // result is that subgroup analysed alone.
  const EffectData overall = compute_effects(table, spec.effect);
  EffectOptions by_subgroup = spec.effect;
  by_subgroup.multiarm_within = column;
  const EffectData data = compute_effects(table, by_subgroup);
  SubgroupAnalysis s;
  s.column = column;
  s.overall = analyse(overall, spec.fit, table.source());
  // What the subgroups did with a trial whose arms they separate.
  for (const Diagnostic& d : data.diagnostics) {
    if (d.code != DiagnosticCode::shared_control) continue;
    const bool same = std::any_of(overall.diagnostics.begin(), overall.diagnostics.end(),
                                  [&](const Diagnostic& o) { return o.message == d.message; });
    if (!same) s.diagnostics.push_back(d);
  }

  // The subgroup factor as a design (intercept + treatment coding), which gives the levels in
  // sorted order and, for common tau2, the meta-regression itself.
  ModeratorSpec factor;
  factor.terms = {"factor(" + column + ")"};
  ModeratedData md = build_design(table, data, factor);
  for (std::size_t i = data.diagnostics.size(); i < md.data.diagnostics.size(); ++i) {
    Diagnostic d = md.data.diagnostics[i];
    if (d.code == DiagnosticCode::row_excluded_missing) {
      // "... left out of the meta-regression: no value for the moderator c" in subgroup words
      auto replace = [&](std::string_view from, std::string_view to) {
        if (auto at = d.message.find(from); at != std::string::npos) {
          d.message.replace(at, from.size(), to);
        }
      };
      replace("of the meta-regression", "of the subgroups");
      replace("the moderator", "the subgroup column");
    }
    s.diagnostics.push_back(std::move(d));
  }
  const ModeratorVariable& var = md.design.variables.at(0);
  const std::vector<std::string>& levels = var.levels;
  const EffectData& used = md.data;
  const DesignView x = md.design.view();

  // Studies of each level, from the design's indicator columns (level 0 is the reference).
  std::vector<std::size_t> level_of(used.k(), 0);
  for (std::size_t j = 1; j < md.design.p(); ++j) {
    const std::size_t l = md.design.columns[j].factors.at(0).second;
    for (std::size_t i = 0; i < used.k(); ++i) {
      if (x(i, j) == 1.0) level_of[i] = l;
    }
  }

  std::optional<MetaRegFit> common;
  s.test.tau2 = tau2;
  if (tau2 == SubgroupTau2::common) {
    common = fit_metareg(used.yi, used.vi, x, spec.fit);
    if (common->status != RegressionStatus::ok) {
      throw InputError(
          {table.source(), 0, 0},
          "cannot fit the common-tau^2 subgroup model: " +
              describe_failure(common->status, used.k(), md.design.p(), spec.fit.method));
    }
  }

  FitOptions fe = spec.fit;
  fe.method = Method::FE;
  fe.test = Test::z;
  for (std::size_t l = 0; l < levels.size(); ++l) {
    std::vector<bool> keep(used.k());
    for (std::size_t i = 0; i < used.k(); ++i)
      keep[i] = level_of[i] == l;
    const EffectData g = subset(used, keep);
    if (g.k() == 0) continue;  // a level of a dropped (redundant) column cannot be empty here
    SubgroupResult r;
    r.level = levels[l];
    r.k = g.k();
    const Fit q = fit(g.yi, g.vi, fe);  // Cochran's Q within the subgroup
    r.Q = q.Q;
    r.Q_df = q.Q_df;
    r.Q_p = q.Q_p;
    Prediction pred;
    if (common) {
      std::vector<double> row(md.design.p(), 0.0);
      row[0] = 1.0;
      for (std::size_t j = 1; j < md.design.p(); ++j) {
        if (md.design.columns[j].factors.at(0).second == l) row[j] = 1.0;
      }
      pred = predict(*common, row);
      r.estimate = pred.pred;
      r.se = pred.se;
      r.stat = r.estimate / r.se;
      r.df = common->df;
      r.pval = stats::two_sided_p(r.stat, r.df);
      r.tau2 = common->tau2;
      if (g.k() > 1 && spec.fit.method != Method::FE) {
        r.I2 = 100.0 * r.tau2 / (q.vt + r.tau2);
        r.H2 = r.tau2 / q.vt + 1.0;
      } else {
        r.I2 = q.I2;
        r.H2 = q.H2;
      }
      r.termination = common->termination;
      r.iterations = common->iterations;
    } else {
      const Fit f = fit(g.yi, g.vi, spec.fit);
      pred = predict(f);
      r.estimate = f.estimate;
      r.se = f.se;
      r.stat = f.stat;
      r.df = f.df;
      r.pval = f.pval;
      r.tau2 = f.tau2;
      r.I2 = f.I2;
      r.H2 = f.H2;
      r.termination = f.termination;
      r.iterations = f.iterations;
      if (f.notes & kNoteNotConverged) {
        s.diagnostics.push_back({DiagnosticCode::not_converged,
                                 fmt::format("subgroup {}: the {} iteration did not converge",
                                             r.level, method_name(f.method)),
                                 {}});
      }
    }
    r.ci_lb = pred.ci_lb;
    r.ci_ub = pred.ci_ub;
    r.pi_lb = pred.pi_lb;
    r.pi_ub = pred.pi_ub;
    r.back_transformed = back_transform(g.measure, g.ni, pred);
    if (g.k() == 1) {
      s.diagnostics.push_back({DiagnosticCode::single_study,
                               fmt::format("subgroup {} has one study", r.level), g.labels[0]});
    }
    s.subgroups.push_back(std::move(r));
  }

  const auto groups = static_cast<double>(s.subgroups.size());
  s.test.df = groups - 1.0;
  s.test.ddf = kNaN;
  s.test.tau2_common = kNaN;
  if (s.subgroups.size() < 2) {
    s.test.Q = s.test.p = kNaN;
    s.diagnostics.push_back({DiagnosticCode::method_not_applicable,
                             fmt::format("'{}' has fewer than two subgroups: no test for "
                                         "subgroup differences",
                                         column),
                             {}});
  } else if (common) {
    s.test.Q = common->QM;
    s.test.p = common->QM_p;
    s.test.ddf = common->test == Test::knha ? common->df : kNaN;
    s.test.tau2_common = common->tau2;
  } else {
    // Cochran's Q of the subgroup estimates (Borenstein et al. 2009, eq. 19.7 with the
    // random-effects estimates: Q between = sum w_g (est_g - est_w)^2, w_g = 1 / se_g^2).
    double sw = 0.0, swy = 0.0;
    for (const auto& r : s.subgroups) {
      const double w = 1.0 / (r.se * r.se);
      sw += w;
      swy += w * r.estimate;
    }
    const double mean = swy / sw;
    double q = 0.0;
    for (const auto& r : s.subgroups) {
      const double d = r.estimate - mean;
      q += d * d / (r.se * r.se);
    }
    s.test.Q = q;
    s.test.p = stats::chisq_sf(q, s.test.df);
  }
  return s;
}

double pseudo_r2(const MetaRegFit& fit, double tau2_without, double q_without) {
  if (fit.status != RegressionStatus::ok) return kNaN;
  if (fit.method == Method::FE) {
    // metafor: the adjusted R2 of lm(yi ~ X, weights = 1 / vi): 1 - (QE / Q) (k - 1) / (k - p).
    if (!(q_without > 0.0)) return 0.0;
    const auto k = static_cast<double>(fit.k);
    const auto p = static_cast<double>(fit.p);
    return std::fmax(0.0, 100.0 * (1.0 - fit.QE / q_without * (k - 1.0) / (k - p)));
  }
  if (tau2_without == 0.0) return 0.0;
  return std::fmax(0.0, 100.0 * (tau2_without - fit.tau2) / tau2_without);
}

}  // namespace evident
