#include "evident/summary.hpp"

#include <fmt/format.h>

#include <cmath>
#include <utility>

#include "evident/transform.hpp"
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

}  // namespace detail

Analysis analyse(const EffectData& data, const FitOptions& options, std::string source) {
  Analysis a;
  a.source = std::move(source);
  a.measure = data.measure;
  a.fit = fit(data.yi, data.vi, options);
  a.prediction = predict(a.fit);
  a.heterogeneity_ci = confint_tau2(data.yi, data.vi, a.fit, options.level);

  if (auto bt = BackTransform::for_measure(data.measure, data.ni)) {
    const BackTransform& t = *bt;
    a.back_transformed = BackTransformed{
        std::string(t.scale_name()), t(a.fit.estimate),    t(a.fit.ci_lb), t(a.fit.ci_ub),
        t(a.prediction.pi_lb),       t(a.prediction.pi_ub)};
  }

  const std::size_t k = data.k();
  std::vector<double> weights(k);
  weights_percent(data.vi, a.fit, weights);
  // Per-study intervals always use the normal quantile, as metafor's summary.escalc and forest.
  const double z = stats::critical_value(options.level, std::nan(""));
  a.studies.reserve(k);
  for (std::size_t i = 0; i < k; ++i) {
    const double half = z * std::sqrt(data.vi[i]);
    a.studies.push_back({data.labels[i], data.lines[i], data.yi[i], data.vi[i], weights[i],
                         data.yi[i] - half, data.yi[i] + half});
  }

  a.diagnostics = data.diagnostics;
  detail::add_fit_diagnostics(a.fit, a.diagnostics);
  return a;
}

Analysis analyse(const StudyTable& table, const AnalysisSpec& spec) {
  return analyse(compute_effects(table, spec.effect), spec.fit, table.source());
}

}  // namespace evident
