#include "evident/methods/summary.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <set>
#include <span>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "evident/methods/transform.hpp"
#include "evident/model/bayes.hpp"
#include "methods/fit_notes.hpp"
#include "stats/distributions.hpp"

namespace evident {

namespace detail {

void add_fit_diagnostics(const Fit& f, std::vector<Diagnostic>& out) {
  add_note_diagnostics(f.notes, f.method, f.iterations, out);
}

void add_note_diagnostics(std::uint32_t notes, Method method, int iterations,
                          std::vector<Diagnostic>& out) {
  if (notes & kNoteSingleStudy) {
    out.push_back({DiagnosticCode::single_study,
                   "only one study: its estimate is reported, heterogeneity cannot be estimated",
                   {}});
  }
  if (notes & kNoteTau2Truncated) {
    out.push_back(
        {DiagnosticCode::tau2_truncated,
         fmt::format("the {} estimate of tau^2 was negative and is set to 0", method_name(method)),
         {}});
  }
  if (notes & kNoteKnhaCommon) {
    out.push_back({DiagnosticCode::knha_with_common_effect,
                   "the Knapp-Hartung adjustment is meant for random-effects models; with a "
                   "common-effect model it only rescales the standard error",
                   {}});
  }
  if (notes & kNoteKnhaSingleStudy) {
    out.push_back({DiagnosticCode::knha_single_study,
                   "with one study the Knapp-Hartung test has no degrees of freedom; the z test "
                   "is used instead",
                   {}});
  }
  if (notes & kNoteNotConverged) {
    out.push_back({DiagnosticCode::not_converged,
                   fmt::format("the {} iteration stopped after {} iterations without reaching "
                               "its tolerance",
                               method_name(method), iterations),
                   {}});
  }
}

// The last line of defence of "no number without a reason": a pooled estimate, standard error or
// tau2 that is not a finite number, where no other diagnostic already says why, is named here.
void add_non_finite_diagnostic(const Fit& f, std::vector<Diagnostic>& out) {
  if (f.notes & (kNoteNotEstimable | kNoteNotConverged)) return;
  const bool finite = std::isfinite(f.estimate) && std::isfinite(f.se) && std::isfinite(f.tau2) &&
                      std::isfinite(f.ci_lb) && std::isfinite(f.ci_ub);
  if (finite) return;
  out.push_back({DiagnosticCode::non_finite_result,
                 "the pooled result is not a finite number: the effect sizes and variances are "
                 "too far apart in scale to be combined in double precision",
                 {}});
}

}  // namespace detail

namespace {

// MH and PETO pool counts with a given measure and only the z test (rma.mh and rma.peto have no
// other).
void check_method(const FitOptions& options, Measure measure, bool has_counts) {
  if (!works_on_counts(options.method)) return;
  const std::string_view method = method_name(options.method);
  if (options.test != Test::z) {
    throw InputError({"--test", 0, 0},
                     fmt::format("--method {} uses the z test; --test {} applies to "
                                 "inverse-variance models",
                                 method, test_name(options.test)));
  }
  const bool ok =
      options.method == Method::PETO
          ? measure == Measure::PETO
          : (measure == Measure::OR || measure == Measure::RR || measure == Measure::RD ||
             measure == Measure::IRR || measure == Measure::IRD);
  if (!ok || !has_counts) {
    throw InputError(
        {"--method", 0, 0},
        options.method == Method::PETO
            ? fmt::format("--method PETO pools 2x2 tables (ai bi ci di, or ai n1i ci n2i) as "
                          "Peto odds ratios; it does not apply to measure {}",
                          measure_name(measure))
            : fmt::format("--method MH pools 2x2 tables with measure OR, RR or RD, or two "
                          "incidence rates with IRR or IRD; it does not apply to measure {}",
                          measure_name(measure)));
  }
}

void add_back_transform(Analysis& a, const EffectData& data) {
  std::optional<BackTransform> bt = BackTransform::for_measure(data.measure, data.ni);
  if (data.measure == Measure::GEN && data.transf == EstimateTransform::log) {
    bt = BackTransform::exponential("ratio");
  }
  if (!bt) return;
  const BackTransform& t = *bt;
  a.back_transformed = BackTransformed{
      std::string(t.scale_name()), t(a.fit.estimate),    t(a.fit.ci_lb), t(a.fit.ci_ub),
      t(a.prediction.pi_lb),       t(a.prediction.pi_ub)};
}

// One row of the study table; a study without an effect size (drop00) shows NaN.
StudyResult study_row(const EffectData& data, std::size_t i, double weight, double z) {
  const double half = z * std::sqrt(data.vi[i]);
  return {data.labels[i], data.lines[i],     data.yi[i],       data.vi[i],
          weight,         data.yi[i] - half, data.yi[i] + half};
}

// Estimates that share a study label are pooled as independent, which only the user knows to be
// right: they are named.
void add_repeated_study_diagnostic(Analysis& a) {
  const std::vector<RepeatedStudy> repeated = repeated_studies(a);
  if (repeated.empty()) return;
  a.diagnostics.push_back(
      {DiagnosticCode::repeated_study,
       fmt::format("more than one estimate from one study: {}; they are pooled as independent "
                   "studies, which is wrong if they share participants or a setting (a "
                   "multilevel model, --random \"~ 1 | study/estimate\", does not assume it)",
                   repeated_studies_text(repeated)),
       {}});
}

// The diagnostics every analysis ends with: a result that is not finite, repeated study labels.
void finish_diagnostics(Analysis& a) {
  detail::add_non_finite_diagnostic(a.fit, a.diagnostics);
  add_repeated_study_diagnostic(a);
}

Analysis analyse_counts(const EffectData& data, const FitOptions& options, bool details,
                        Analysis a) {
  const TableFit t =
      options.method == Method::PETO
          ? fit_peto(data.counts, data.yi, data.vi, options.level)
          : fit_mantel_haenszel(data.counts, data.yi, data.vi, data.measure, options.level);
  a.fit = t.fit;
  a.prediction = predict(a.fit);
  a.k_yi = t.k_yi;
  if (t.has_tests) a.cmh = t.tests;
  if (details) {
    add_back_transform(a, data);
    const double z = stats::critical_value(options.level, std::nan(""));
    for (std::size_t i = 0; i < data.k(); ++i)
      a.studies.push_back(study_row(data, i, t.weights[i], z));
  }
  a.diagnostics = data.diagnostics;
  const bool any_corrected = std::any_of(
      data.diagnostics.begin(), data.diagnostics.end(),
      [](const Diagnostic& d) { return d.code == DiagnosticCode::zero_cell_corrected; });
  if (any_corrected) {
    a.diagnostics.push_back(
        {DiagnosticCode::zero_cell_corrected,
         fmt::format("the {} estimate uses the counts as given; the zero-cell correction only "
                     "enters the studies' yi and vi and the test of heterogeneity",
                     options.method == Method::PETO ? "Peto" : "Mantel-Haenszel"),
         {}});
  }
  if (a.fit.notes & kNoteNotEstimable) {
    a.diagnostics.push_back(
        {DiagnosticCode::not_estimable,
         options.method == Method::PETO
             ? std::string("Peto's odds ratio is not estimable: one of the two outcomes occurs "
                           "in no table")
             : fmt::format("the Mantel-Haenszel {} is not estimable: no events in one of the "
                           "groups of every table",
                           measure_name(data.measure)),
         {}});
  }
  finish_diagnostics(a);
  return a;
}

}  // namespace

namespace {

// Method::BAYES: the posterior by fit_bayes (model/bayes.hpp), summarised where a fit's numbers
// stand (summary.hpp, Analysis::bayes), with Cochran's Q of the data from the common-effect fit.
Analysis analyse_bayes(std::span<const double> yi, std::span<const double> vi,
                       const EffectData& data, const FitOptions& options, bool details,
                       Analysis a) {
  BayesOptions b;
  b.tau = options.prior_tau;
  b.mu = options.prior_mu;
  b.level = options.level;
  b.theta = details;
  BayesFit post = fit_bayes(yi, vi, b);
  FitOptions common = options;
  common.method = Method::FE;
  common.test = Test::z;
  a.fit = fit(yi, vi, common);
  const double nan = std::nan("");
  Fit& f = a.fit;
  f.method = Method::BAYES;
  f.estimate = post.mu.mean;
  f.se = post.mu.sd;
  f.stat = f.pval = f.df = nan;
  f.ci_lb = post.mu.ci_lb;
  f.ci_ub = post.mu.ci_ub;
  f.tau2 = f.tau2_se = f.I2 = f.H2 = nan;
  f.termination = post.termination;
  f.iterations = post.evaluations;
  f.notes = post.k == 1 ? kNoteSingleStudy : kNoteNone;
  a.prediction =
      Prediction{post.mu.mean,          post.mu.sd,           post.mu.ci_lb, post.mu.ci_ub,
                 post.predictive.ci_lb, post.predictive.ci_ub};
  if (details) {
    // Quantiles carry over through a monotone transformation, means do not: the natural scale
    // shows the transformed posterior median of mu (the posterior median of the ratio) with its
    // interval.
    f.estimate = post.mu.median;
    add_back_transform(a, data);
    f.estimate = post.mu.mean;
    const double z = stats::critical_value(options.level, nan);
    for (std::size_t i = 0; i < data.k(); ++i)
      a.studies.push_back(study_row(data, i, nan, z));
  }
  a.diagnostics = data.diagnostics;
  if (post.termination == Termination::max_iterations) {
    a.diagnostics.push_back(
        {DiagnosticCode::not_converged,
         fmt::format("the numerical integration over tau stopped at its panel limit with an "
                     "estimated relative error of {:.1e}",
                     post.error),
         {}});
  } else if (post.termination == Termination::not_estimable) {
    a.diagnostics.push_back({DiagnosticCode::not_estimable,
                             "the posterior is improper (Jeffreys' prior for tau with a flat "
                             "prior for mu and one study): give a proper prior",
                             {}});
  }
  a.bayes = std::move(post);
  add_repeated_study_diagnostic(a);
  return a;
}

}  // namespace

std::vector<RepeatedStudy> repeated_studies(const Analysis& a) {
  std::set<std::size_t> multiarm_lines;
  if (a.multiarm) {
    for (const SharedControl& t : a.multiarm->trials)
      multiarm_lines.insert(t.lines.begin(), t.lines.end());
  }
  std::vector<RepeatedStudy> order;
  std::unordered_map<std::string_view, std::size_t> index;
  for (const StudyResult& st : a.studies) {
    if (multiarm_lines.contains(st.line)) continue;
    const auto [it, added] = index.try_emplace(st.study, order.size());
    if (added) order.push_back({st.study, 0});
    ++order[it->second].estimates;
  }
  std::erase_if(order, [](const RepeatedStudy& r) { return r.estimates < 2; });
  return order;
}

std::string repeated_studies_text(const std::vector<RepeatedStudy>& repeated) {
  // Ten names say what is meant; a file of thousands of studies would otherwise print them all.
  constexpr std::size_t kShown = 10;
  std::string text;
  for (std::size_t i = 0; i < repeated.size() && i < kShown; ++i) {
    if (i > 0) text += ", ";
    text += fmt::format("{} ({} estimates)", repeated[i].study, repeated[i].estimates);
  }
  if (repeated.size() > kShown)
    text += fmt::format(" and {} more studies", repeated.size() - kShown);
  return text;
}

Analysis analyse(const EffectData& data, const FitOptions& options, std::string source,
                 bool details) {
  check_method(options, data.measure, !data.counts.empty());
  Analysis a;
  a.source = std::move(source);
  a.measure = data.measure;
  a.multiarm = data.multiarm;
  if (works_on_counts(options.method)) return analyse_counts(data, options, details, std::move(a));

  // Inverse-variance models use the studies with an effect size; with drop00 some have none.
  const std::size_t k_yi = data.k_yi();
  if (k_yi == 0) {
    throw InputError({a.source, 0, 0},
                     "no study has an effect size: every table has no events in either group "
                     "(or only events) and drop00 leaves them out");
  }
  // The studies' own arrays when every one has an effect size (a copy of ten million studies'
  // would cost more than the fit); otherwise those with one.
  std::vector<double> kept_yi, kept_vi;
  std::span<const double> yi = data.yi, vi = data.vi;
  if (k_yi < data.k()) {
    kept_yi.reserve(k_yi);
    kept_vi.reserve(k_yi);
    for (std::size_t i = 0; i < data.k(); ++i) {
      if (!std::isfinite(data.yi[i])) continue;
      kept_yi.push_back(data.yi[i]);
      kept_vi.push_back(data.vi[i]);
    }
    yi = kept_yi;
    vi = kept_vi;
    a.k_yi = k_yi;
  }
  if (options.method == Method::BAYES)
    return analyse_bayes(yi, vi, data, options, details, std::move(a));
  a.fit = fit(yi, vi, options);
  a.prediction = predict(a.fit);
  if (details) {
    a.heterogeneity_ci = confint_tau2(yi, vi, a.fit, options.level);
    add_back_transform(a, data);
    std::vector<double> weights(k_yi);
    weights_percent(vi, a.fit, weights);
    // Per-study intervals always use the normal quantile, as metafor's summary.escalc and forest.
    const double z = stats::critical_value(options.level, std::nan(""));
    a.studies.reserve(data.k());
    for (std::size_t i = 0, j = 0; i < data.k(); ++i) {
      const bool fitted = std::isfinite(data.yi[i]);
      a.studies.push_back(study_row(data, i, fitted ? weights[j++] : std::nan(""), z));
    }
  }

  a.diagnostics = data.diagnostics;
  detail::add_fit_diagnostics(a.fit, a.diagnostics);
  finish_diagnostics(a);
  return a;
}

AnalysisSpec resolve_measure(AnalysisSpec s) {
  // rma.peto analyses Peto odds ratios; rma.mh's default measure is OR.
  if (s.fit.method == Method::PETO &&
      (s.effect.measure == Measure::GEN || s.effect.measure == Measure::OR)) {
    s.effect.measure = Measure::PETO;
  }
  if (s.fit.method == Method::MH && s.effect.measure == Measure::GEN) {
    s.effect.measure = Measure::OR;
  }
  return s;
}

Analysis analyse(const StudyTable& table, const AnalysisSpec& spec) {
  const AnalysisSpec s = resolve_measure(spec);
  check_method(s.fit, s.effect.measure, true);
  return analyse(compute_effects(table, s.effect), s.fit, table.source(), s.details);
}

void require_univariate(const AnalysisSpec& spec, std::string_view what) {
  if (!spec.multilevel.active()) return;
  throw InputError({"--random", 0, 0},
                   fmt::format("{} does not take multilevel models (--random) yet; evident fit "
                               "does",
                               what));
}

}  // namespace evident
