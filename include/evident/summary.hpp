#pragma once
/// \file
/// An analysis as a whole: the fit and every method's result a report shows, assembled once so
/// renderers only format.

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "evident/confint.hpp"
#include "evident/diagnostic.hpp"
#include "evident/effect.hpp"
#include "evident/fit.hpp"
#include "evident/predict.hpp"

namespace evident {

struct StudyResult {
  std::string study;
  std::size_t line = 0;  ///< source line in the input file
  double yi = 0.0, vi = 0.0;
  double weight = 0.0;              ///< percent of the total weight in the fitted model
  double ci_lb = 0.0, ci_ub = 0.0;  ///< yi -/+ z * sqrt(vi), as metafor's summary of escalc
};

/// Values on the natural scale of the measure (see BackTransform).
struct BackTransformed {
  std::string scale;
  double estimate = 0.0, ci_lb = 0.0, ci_ub = 0.0, pi_lb = 0.0, pi_ub = 0.0;
};

struct Analysis {
  std::string source;  ///< input file name
  Measure measure = Measure::GEN;
  Fit fit;
  Prediction prediction;
  std::optional<HeterogeneityCI> heterogeneity_ci;
  std::optional<BackTransformed> back_transformed;
  std::vector<StudyResult> studies;
  std::vector<Diagnostic> diagnostics;  ///< from effect computation, then from the fit
};

/// Everything that defines one analysis of a table: how effect sizes are computed and how they
/// are pooled. Every front end (command line, review manifest, batch) builds one of these.
struct AnalysisSpec {
  EffectOptions effect;
  FitOptions fit;
};

/// Fits the model to `data` and runs the methods a standard report needs: predict, the Q-profile
/// intervals, weights, per-study intervals and the back-transformation.
[[nodiscard]] Analysis analyse(const EffectData& data, const FitOptions& options,
                               std::string source = {});

/// Computes the effect sizes of `table` (throws InputError for bad input) and analyses them.
[[nodiscard]] Analysis analyse(const StudyTable& table, const AnalysisSpec& spec);

}  // namespace evident
