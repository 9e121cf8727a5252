// Trial sequential analysis of a table of studies: the glue between the cumulative meta-analysis
// (the fits of evident fit, study by study in accrual order), the required information size and
// the monitoring boundaries of methods/sequential.cpp.

#include "evident/methods/trial_sequential.hpp"

#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <utility>

#include "evident/effect/effect.hpp"
#include "evident/effect/moderators.hpp"
#include "evident/io/error.hpp"
#include "evident/methods/transform.hpp"
#include "methods/order.hpp"

namespace evident {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// A check that a number lies in the open interval (lo, hi).
void check_open(ParamInfo& p, double lo, double hi) {
  p.check_note = fmt::format("in ({}, {})", lo, hi);
  p.check = [lo, hi](const ParamValue& v) -> std::optional<std::string> {
    const double x = std::get<double>(v);
    if (x > lo && x < hi) return std::nullopt;
    return fmt::format("expected a number between {} and {}, not {}", lo, hi, x);
  };
}

ParameterTable<SequentialSettings> make_sequential_parameters() {
  ParameterTable<SequentialSettings> t;
  Param<SequentialSettings> order = field_param<SequentialSettings>(
      "order", ParamType::text,
      "Column in which order the studies were published (ascending; e.g. year): the order of "
      "the cumulative meta-analysis",
      [](auto& s) -> auto& { return s.order; });
  order.default_note = "input order";
  t.params.push_back(std::move(order));
  Param<SequentialSettings> alpha = field_param<SequentialSettings>(
      "alpha", ParamType::number, "Two-sided type I error of the monitoring boundaries",
      [](auto& s) -> auto& { return s.alpha; });
  check_open(alpha, 0.0, 1.0);
  t.params.push_back(std::move(alpha));
  Param<SequentialSettings> power = field_param<SequentialSettings>(
      "power", ParamType::number, "Power for the anticipated effect (1 - beta)",
      [](auto& s) -> auto& { return s.power; });
  check_open(power, 0.0, 1.0);
  t.params.push_back(std::move(power));
  Param<SequentialSettings> rrr = field_param<SequentialSettings>(
      "rrr", ParamType::number,
      "Binary outcomes: the anticipated relative risk reduction (0.20: 20%; negative for an "
      "increase)",
      [](auto& s) -> auto& { return s.rrr; });
  check_open(rrr, -1.0, 1.0);
  t.params.push_back(std::move(rrr));
  Param<SequentialSettings> control = field_param<SequentialSettings>(
      "control_risk", ParamType::number,
      "Binary outcomes: the control group's risk (0.1: 10%; default: the control arms' pooled "
      "event proportion)",
      [](auto& s) -> auto& { return s.control_risk; });
  check_open(control, 0.0, 1.0);
  control.default_note = "the control arms' pooled event proportion";
  t.params.push_back(std::move(control));
  Param<SequentialSettings> effect = field_param<SequentialSettings>(
      "effect", ParamType::number,
      "Continuous outcomes: the anticipated mean difference (MD: in the outcome's units; SMD: "
      "in standard deviations; default: none, required for them)",
      [](auto& s) -> auto& { return s.effect; });
  effect.default_note = "none (required for MD and SMD)";
  t.params.push_back(std::move(effect));
  Param<SequentialSettings> sd = field_param<SequentialSettings>(
      "sd", ParamType::number,
      "Continuous outcomes: the standard deviation of the outcome (default: the studies' pooled "
      "SD; 1 for SMD)",
      [](auto& s) -> auto& { return s.sd; });
  sd.default_note = "the studies' pooled SD (1 for SMD)";
  sd.check = [](const ParamValue& v) -> std::optional<std::string> {
    const double x = std::get<double>(v);
    if (x > 0.0 && std::isfinite(x)) return std::nullopt;
    return fmt::format("expected a positive number, not {}", x);
  };
  t.params.push_back(std::move(sd));
  t.params.push_back(choice_param<SequentialSettings>(
      "boundary",
      "Alpha-spending function of the monitoring boundaries (Lan & DeMets 1983): obf "
      "(O'Brien-Fleming type) or pocock",
      std::vector<SpendingFunction>{SpendingFunction::obrien_fleming, SpendingFunction::pocock},
      spending_function_name, [](auto& s) -> auto& { return s.boundary; }));
  t.params.push_back(choice_param<SequentialSettings>(
      "futility",
      "Beta-spending futility boundaries: none, binding (the efficacy boundaries account for "
      "them) or nonbinding",
      std::vector<FutilityRule>{FutilityRule::none, FutilityRule::binding,
                                FutilityRule::nonbinding},
      futility_rule_name, [](auto& s) -> auto& { return s.futility; }));
  t.params.push_back(choice_param<SequentialSettings>(
      "heterogeneity",
      "Heterogeneity correction of the information size: diversity (D2, Wetterslev et al. "
      "2009), inconsistency (I2) or none",
      std::vector<HeterogeneityCorrection>{HeterogeneityCorrection::diversity,
                                           HeterogeneityCorrection::inconsistency,
                                           HeterogeneityCorrection::none},
      heterogeneity_correction_name, [](auto& s) -> auto& { return s.heterogeneity; }));
  t.params.push_back(choice_param<SequentialSettings>(
      "benefit", "Which values favour the intervention: lower or higher",
      std::vector<Benefit>{Benefit::lower, Benefit::higher}, benefit_name,
      [](auto& s) -> auto& { return s.benefit; }));
  t.finish = [](SequentialSettings& s, const GivenParams&) -> std::optional<ParamProblem> {
    if (s.rrr == 0.0) return ParamProblem{"rrr", "a relative risk reduction of 0 needs no trial"};
    if (s.effect && *s.effect == 0.0) {
      return ParamProblem{"effect", "an anticipated effect of 0 needs no trial"};
    }
    return std::nullopt;
  };
  return t;
}

// The pooled SD of two-group means: sqrt(sum (n - 1) sd^2 / sum (n - 1)) over both groups of
// every study (the SD the anticipated mean difference is measured against).
double pooled_sd(const StudyTable& table, const EffectData& data) {
  const auto c = [&](const char* name) { return table.find_column(name); };
  const auto sd1 = c("sd1i"), sd2 = c("sd2i"), n1 = c("n1i"), n2 = c("n2i");
  if (!sd1 || !sd2 || !n1 || !n2) return kNaN;
  const std::vector<std::size_t> rows = table_rows(table, data);
  double num = 0.0, den = 0.0;
  for (std::size_t row : rows) {
    const auto read = [&](std::size_t col) { return parse_number(table.cell(row, col)).value; };
    const double a = read(*n1) - 1.0, b = read(*n2) - 1.0;
    const double s1 = read(*sd1), s2 = read(*sd2);
    if (!(a > 0 && b > 0 && std::isfinite(s1) && std::isfinite(s2))) continue;
    num += a * s1 * s1 + b * s2 * s2;
    den += a + b;
  }
  return den > 0.0 ? std::sqrt(num / den) : kNaN;
}

}  // namespace

const ParameterTable<SequentialSettings>& sequential_parameters() {
  static const ParameterTable<SequentialSettings> table = make_sequential_parameters();
  return table;
}

SequentialResult analyse_sequential(const StudyTable& table, const AnalysisSpec& spec,
                                    const SequentialSettings& settings) {
  const AnalysisSpec s = resolve_measure(spec);
  const EffectData data = compute_effects(table, s.effect);
  check_sequential_measure(data.measure, table.source());
  const std::vector<std::size_t> order = detail::order_by(table, data, settings.order);
  const double sd = sequential_continuous_measure(data.measure) && data.measure != Measure::SMD
                        ? pooled_sd(table, data)
                        : kNaN;
  return analyse_sequential(data, s.fit, settings, order, sd, table.source());
}

bool sequential_binary_measure(Measure m) {
  return m == Measure::OR || m == Measure::RR || m == Measure::RD || m == Measure::PETO;
}

bool sequential_continuous_measure(Measure m) {
  return m == Measure::MD || m == Measure::SMD;
}

void check_sequential_measure(Measure measure, const std::string& source) {
  if (!sequential_binary_measure(measure) && !sequential_continuous_measure(measure)) {
    throw InputError({source, 0, 0},
                     fmt::format("a trial sequential analysis counts participants: it needs 2x2 "
                                 "tables (--measure OR, RR, RD or PETO) or two-group means (MD, "
                                 "SMD), not measure {}",
                                 measure_name(measure)));
  }
}

SequentialResult analyse_sequential(const EffectData& data, const FitOptions& fit,
                                    const SequentialSettings& settings,
                                    std::span<const std::size_t> order, double pooled_sd,
                                    const std::string& source) {
  check_sequential_measure(data.measure, source);
  if (fit.method == Method::BAYES) {
    // Boundaries control the type I error of repeated frequentist tests; a posterior has none.
    throw InputError({"--method", 0, 0},
                     "a trial sequential analysis monitors the z statistics of a frequentist "
                     "model; --method BAYES has a posterior instead");
  }
  SequentialResult r;
  r.source = source;
  r.measure = data.measure;
  r.method = fit.method;
  r.test = fit.test;
  r.settings = settings;
  r.diagnostics = data.diagnostics;
  r.binary = sequential_binary_measure(data.measure);

  // Participants of each study: both groups.
  std::vector<double> n(data.k(), kNaN);
  for (std::size_t i = 0; i < data.k(); ++i) {
    if (!data.counts.empty()) {
      const auto& c = data.counts[i];
      n[i] = c[0] + c[1] + c[2] + c[3];
    } else {
      n[i] = data.ni[i];
    }
    if (!(n[i] > 0.0)) {
      throw InputError(
          {source, data.lines[i], 0},
          fmt::format("study '{}': its number of participants is not known", data.labels[i]));
    }
  }

  // The anticipated effect, and the heterogeneity of all studies for its correction.
  const Analysis all = analyse(data, fit, source, false);
  InformationSizeOptions ris;
  ris.alpha = settings.alpha;
  ris.power = settings.power;
  ris.correction = settings.heterogeneity;
  if (settings.heterogeneity == HeterogeneityCorrection::diversity) {
    FitOptions common = fit;
    common.method = works_on_counts(fit.method) ? fit.method : Method::FE;
    common.test = Test::z;
    const Analysis fixed = analyse(data, common, source, false);
    ris.heterogeneity = is_random_effects(fit.method)
                            ? diversity(all.fit.se * all.fit.se, fixed.fit.se * fixed.fit.se)
                            : 0.0;
  } else if (settings.heterogeneity == HeterogeneityCorrection::inconsistency) {
    ris.heterogeneity = is_random_effects(fit.method) ? all.fit.I2 / 100.0 : 0.0;
  }
  if (!(ris.heterogeneity >= 0.0 && ris.heterogeneity < 1.0)) ris.heterogeneity = 0.0;
  if (r.binary) {
    r.rrr = settings.rrr;
    if (settings.control_risk) {
      r.control_risk = *settings.control_risk;
    } else {
      double events = 0.0, total = 0.0;
      for (const auto& c : data.counts) {
        events += c[2];
        total += c[2] + c[3];
      }
      r.control_risk = total > 0.0 ? events / total : kNaN;
    }
    r.effect = r.sd = kNaN;
    r.information_size = information_size_binary(r.control_risk, r.rrr, ris);
  } else {
    if (!settings.effect) {
      throw InputError({"--effect", 0, 0},
                       "a continuous outcome needs the anticipated mean difference (--effect)");
    }
    r.effect = *settings.effect;
    r.sd = settings.sd ? *settings.sd : (data.measure == Measure::SMD ? 1.0 : pooled_sd);
    if (!(r.sd > 0.0)) {
      throw InputError({"--sd", 0, 0},
                       "the SD of the outcome cannot be found from the studies: give --sd");
    }
    r.control_risk = r.rrr = kNaN;
    r.information_size = information_size_continuous(r.effect, r.sd, ris);
  }
  if (!r.information_size.ok) {
    throw InputError({source, 0, 0},
                     "the information size cannot be computed: " + r.information_size.message);
  }

  // The cumulative meta-analysis, one look per study in accrual order. A look whose studies
  // have no effect size yet (tables without events under drop00) is no look: its
  // participants count at the next.
  EffectData prefix;
  prefix.measure = data.measure;
  double accrued = 0.0;
  for (std::size_t i : order) {
    prefix.append_study(data, i);
    accrued += n[i];
    if (prefix.k_yi() == 0 && !works_on_counts(fit.method)) continue;
    const Analysis a = analyse(prefix, fit, source, false);
    if (!(std::isfinite(a.fit.estimate) && a.fit.se > 0.0)) continue;
    r.studies.push_back(data.labels[i]);
    r.estimate.push_back(a.fit.estimate);
    r.se.push_back(a.fit.se);
    r.participants.push_back(accrued);
  }
  if (r.studies.empty()) {
    throw InputError({source, 0, 0}, "no cumulative meta-analysis has an estimate");
  }

  SequentialOptions o;
  o.boundaries.alpha = settings.alpha;
  o.boundaries.alpha_spending = settings.boundary;
  o.boundaries.futility = settings.futility;
  o.boundaries.beta = 1.0 - settings.power;
  // The finer grid: looks a small trial apart fall in the coarse tails of the default one
  // (BoundaryOptions::grid); a review has tens of looks, where this costs milliseconds.
  o.boundaries.grid = 128;
  o.information_size = r.information_size.adjusted;
  o.benefit = settings.benefit;
  r.monitoring = trial_sequential_analysis(r.estimate, r.se, r.participants, o);
  if (!r.monitoring.ok) {
    throw InputError({source, 0, 0},
                     "the monitoring boundaries cannot be computed: " + r.monitoring.message);
  }
  if (const auto bt = BackTransform::for_measure(data.measure, data.ni)) {
    const double nan = kNaN;
    r.back_transformed = BackTransformed{std::string(bt->scale_name()),
                                         (*bt)(r.estimate.back()),
                                         (*bt)(r.monitoring.adjusted_ci_lb),
                                         (*bt)(r.monitoring.adjusted_ci_ub),
                                         nan,
                                         nan};
  }
  return r;
}

}  // namespace evident
