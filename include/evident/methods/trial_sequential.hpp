#pragma once
/// \file
/// Trial sequential analysis of a table of studies (`evident sequential`): the cumulative
/// meta-analysis in study order, the required information size from the anticipated effect, and
/// its monitoring by group sequential boundaries (methods/sequential.hpp; Wetterslev et al.
/// 2008, J Clin Epidemiol 61:64-75; Thorlund et al. 2011, the TSA manual of the Copenhagen
/// Trial Unit; Wetterslev et al. 2017, BMC Med Res Methodol 17:39).

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "evident/effect/diagnostic.hpp"
#include "evident/effect/effect.hpp"
#include "evident/effect/measure.hpp"
#include "evident/io/table.hpp"
#include "evident/methods/benefit.hpp"
#include "evident/methods/parameters.hpp"
#include "evident/methods/sequential.hpp"
#include "evident/methods/summary.hpp"

namespace evident {

/// What `evident sequential` is asked for besides the analysis.
struct SequentialSettings {
  std::string order;    ///< column the studies are accrued in (e.g. year); empty: input order
  double alpha = 0.05;  ///< two-sided type I error
  double power = 0.80;  ///< 1 - beta
  /// Binary outcomes: the anticipated relative risk reduction, and the control group's risk
  /// (default: the control arms' pooled event proportion).
  double rrr = 0.20;
  std::optional<double> control_risk;
  /// Continuous outcomes: the anticipated mean difference (required) and the SD it is measured
  /// against (default: the studies' pooled SD; 1 for SMD, whose effect is in SD units).
  std::optional<double> effect;
  std::optional<double> sd;
  SpendingFunction boundary = SpendingFunction::obrien_fleming;
  FutilityRule futility = FutilityRule::none;
  /// The correction of the information size for heterogeneity: diversity D2 (the TSA
  /// program's default), inconsistency I2, or none.
  HeterogeneityCorrection heterogeneity = HeterogeneityCorrection::diversity;
  Benefit benefit = Benefit::lower;
};

/// order, alpha, power, rrr, control_risk, effect, sd, boundary, futility, heterogeneity,
/// benefit.
[[nodiscard]] const ParameterTable<SequentialSettings>& sequential_parameters();

struct SequentialResult {
  std::string source;
  Measure measure = Measure::GEN;
  Method method = Method::REML;
  Test test = Test::z;
  SequentialSettings settings;
  /// Per look (study j added, in order): its label and the cumulative meta-analysis of the
  /// first j studies: estimate, SE, and participants.
  std::vector<std::string> studies;
  std::vector<double> estimate, se, participants;
  /// The anticipated effect as used: control risk and RRR (binary) or mean difference and SD.
  double control_risk = 0.0, rrr = 0.0, effect = 0.0, sd = 0.0;
  bool binary = true;
  InformationSize information_size;
  SequentialAnalysis monitoring;
  /// The last look's estimate with the TSA-adjusted interval on the natural scale (OR, RR),
  /// when the measure has one (pi_lb, pi_ub unused).
  std::optional<BackTransformed> back_transformed;
  std::vector<Diagnostic> diagnostics;
};

/// Computes the effect sizes of `table`, accrues the studies in the order of `settings.order`
/// (ascending, missing values last, ties in input order), fits the model of `spec` to each
/// prefix, and monitors them against the required information size. Needs participants per
/// study: 2x2 tables (OR, RR, RD, PETO) or two-group means (MD, SMD). Throws InputError for bad
/// input and for settings the data cannot use (a continuous outcome without --effect, generic
/// input without group sizes).
[[nodiscard]] SequentialResult analyse_sequential(const StudyTable& table, const AnalysisSpec& spec,
                                                  const SequentialSettings& settings);

/// The same on effect sizes already computed (a review's outcome merged from several files):
/// `order` is the accrual order (indices of `data`'s studies, each once), `pooled_sd` the SD a
/// continuous outcome's anticipated effect is measured against when `settings.sd` is not given
/// (NaN: unknown, an error for MD), `source` the name errors give. `settings.order` is only
/// reported.
[[nodiscard]] SequentialResult analyse_sequential(const EffectData& data, const FitOptions& fit,
                                                  const SequentialSettings& settings,
                                                  std::span<const std::size_t> order,
                                                  double pooled_sd, const std::string& source);

/// A trial sequential analysis of `measure` counts participants and events of 2x2 tables (OR,
/// RR, RD, PETO), or participants of two-group means (MD, SMD).
[[nodiscard]] bool sequential_binary_measure(Measure measure);
[[nodiscard]] bool sequential_continuous_measure(Measure measure);

/// Throws InputError (naming `source`) unless `measure` counts participants: 2x2 tables or
/// two-group means.
void check_sequential_measure(Measure measure, const std::string& source);

}  // namespace evident
