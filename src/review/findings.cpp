// Summary of findings and suggested GRADE certainty ratings. Every rule is written out here and in
// docs/review.md, with its source; the ratings are suggestions for the reviewers.

#include "evident/review/findings.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <vector>

#include "evident/methods/transform.hpp"

namespace evident {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// Sample size for a two-sided test at alpha = 0.05 with 80% power: z(0.975) + z(0.80).
constexpr double kZAlpha = 1.959963984540054;
constexpr double kZBeta = 0.8416212335729143;
// GRADE's default threshold of an appreciable relative effect when no MCID is given: a relative
// risk reduction or increase of 25% (Guyatt et al. 2011, GRADE guidelines 6, section 7).
constexpr double kGradeRelativeChange = 0.25;
// GRADE's rule of thumb for binary outcomes when a sample size cannot be computed: fewer than
// 300 events rarely meet the optimal information size (Guyatt et al. 2011, GRADE 6).
constexpr double kMinEvents = 300.0;

std::string lower(std::string_view s) {
  std::string out;
  for (char ch : s) {
    if (ch == '_' || ch == '-') ch = ' ';
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  }
  const auto b = out.find_first_not_of(' ');
  if (b == std::string::npos) return {};
  return out.substr(b, out.find_last_not_of(' ') - b + 1);
}

std::string num(double v) {
  if (std::isnan(v)) return "NA";
  const double a = std::fabs(v);
  if (a != 0.0 && (a < 0.01 || a >= 1000)) return fmt::format("{:.3g}", v);
  return fmt::format("{:.2f}", v);
}

std::string percent(double v) {
  return fmt::format("{:.0f}%", v);
}

bool is_binary(Measure m) {
  return m == Measure::OR || m == Measure::RR || m == Measure::RD;
}

double median(std::vector<double> v) {
  v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return !std::isfinite(x); }), v.end());
  if (v.empty()) return kNaN;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// Risk with the intervention for a control risk p0 and an effect on the natural scale.
double risk_with(Measure m, double p0, double effect) {
  switch (m) {
    case Measure::RR:
      return std::min(1.0, p0 * effect);
    case Measure::OR:
      return effect * p0 / (1.0 - p0 + effect * p0);
    case Measure::RD:
      return std::clamp(p0 + effect, 0.0, 1.0);
    default:
      return kNaN;
  }
}

int levels_down(Rating r) {
  if (r == Rating::serious) return 1;
  if (r == Rating::very_serious) return 2;
  return 0;
}

DomainSuggestion risk_of_bias(const Analysis& a, const FindingsInput& in) {
  DomainSuggestion d{"Risk of bias", Rating::not_assessed, {}};
  if (!in.has_risk_of_bias) {
    d.reason = "no risk-of-bias column (rob) in the data: the reviewers must assess it";
    return d;
  }
  double high = 0.0, some = 0.0, unknown = 0.0;
  for (std::size_t i = 0; i < a.studies.size(); ++i) {
    const double w = a.studies[i].weight;
    const auto r = i < in.risk_of_bias.size() ? in.risk_of_bias[i] : std::nullopt;
    if (!r) {
      unknown += w;
    } else if (*r == RiskOfBias::high) {
      high += w;
    } else if (*r == RiskOfBias::some_concerns) {
      some += w;
    }
  }
  // GRADE guidelines 4 (Guyatt et al. 2011): rate down when most of the information comes from
  // studies at high (or, less strongly, unclear) risk of bias. Shares are by analysis weight.
  if (high >= 50.0) {
    d.rating = Rating::very_serious;
  } else if (high + some >= 50.0) {
    d.rating = Rating::serious;
  } else {
    d.rating = Rating::not_serious;
  }
  d.reason = fmt::format(
      "{} of the weight from studies at high risk of bias, {} with some "
      "concerns",
      percent(high), percent(some));
  if (unknown > 0) d.reason += fmt::format(", {} not assessed", percent(unknown));
  return d;
}

DomainSuggestion inconsistency(const Analysis& a, const Findings& f) {
  DomainSuggestion d{"Inconsistency", Rating::not_serious, {}};
  const Fit& fit = a.fit;
  if (fit.k < 2) {
    d.rating = Rating::not_applicable;
    d.reason = "one study: consistency cannot be judged";
    return d;
  }
  d.reason = fmt::format("I\u00b2 = {}", percent(fit.I2));
  if (a.heterogeneity_ci) {
    d.reason += fmt::format(" (95% CI {} to {})", percent(a.heterogeneity_ci->I2_lb),
                            percent(a.heterogeneity_ci->I2_ub));
  }
  d.reason += fmt::format(", Q test p = {}", num(fit.Q_p));
  const bool has_pi = std::isfinite(f.pi_lb) && std::isfinite(f.pi_ub);
  const bool pi_spans_null = has_pi && f.pi_lb < f.null_value && f.pi_ub > f.null_value;
  const bool ci_spans_null = f.ci_lb <= f.null_value && f.ci_ub >= f.null_value;
  if (has_pi) d.reason += fmt::format("; prediction interval {} to {}", num(f.pi_lb), num(f.pi_ub));
  // Cochrane Handbook 10.10.2: I2 of 50-90% may be substantial, 75-100% considerable; GRADE 7
  // (Guyatt et al. 2011) also looks at whether effects point in different directions.
  if (fit.I2 >= 75.0 && pi_spans_null) {
    d.rating = Rating::very_serious;
  } else if (fit.I2 >= 50.0 || (fit.Q_p < 0.10 && fit.I2 >= 30.0) ||
             (pi_spans_null && !ci_spans_null)) {
    d.rating = Rating::serious;
  }
  if (fit.k < 5)
    d.reason += fmt::format("; with {} studies heterogeneity is poorly estimated", fit.k);
  return d;
}

DomainSuggestion imprecision(const Analysis& a, const FindingsInput& in, Findings& f) {
  DomainSuggestion d{"Imprecision", Rating::not_serious, {}};
  const bool has_thresholds = std::isfinite(f.important_low) && std::isfinite(f.important_high);
  const bool includes_null = f.ci_lb <= f.null_value && f.ci_ub >= f.null_value;
  const bool includes_low = has_thresholds && f.ci_lb < f.important_low;
  const bool includes_high = has_thresholds && f.ci_ub > f.important_high;
  const bool contains_threshold =
      has_thresholds && ((f.ci_lb < f.important_low && f.ci_ub > f.important_low) ||
                         (f.ci_lb < f.important_high && f.ci_ub > f.important_high));

  // Optimal information size: the participants one adequately powered trial would need
  // (GRADE 6, section 9): alpha 0.05, power 80%.
  std::string ois_text;
  double ois = kNaN;
  if (is_binary(a.measure) && f.absolute) {
    const double p0 = f.absolute->control_risk;
    if (p0 > 0.0 && p0 < 1.0) {
      const double p1 = in.benefit == Benefit::lower
                            ? p0 * (1.0 - kGradeRelativeChange)
                            : std::min(0.99, p0 * (1.0 + kGradeRelativeChange));
      const double z = kZAlpha + kZBeta;
      ois = 2.0 * z * z * (p0 * (1 - p0) + p1 * (1 - p1)) / ((p0 - p1) * (p0 - p1));
      ois_text = fmt::format(
          "optimal information size {:.0f} (control risk {:.1f}%, relative "
          "change 25%)",
          std::ceil(ois), 100 * p0);
    }
  } else if (a.measure == Measure::SMD || (a.measure == Measure::MD && in.typical_sd)) {
    const double sd = a.measure == Measure::SMD ? 1.0 : *in.typical_sd;
    const double z = kZAlpha + kZBeta;
    // Without an MCID, the trial is sized for half a standard deviation, the usual threshold of a
    // minimal important difference on health-related quality-of-life scales (Norman et al. 2003,
    // Med Care 41:582-592), so a tiny trial is not taken for enough information.
    const double delta = in.mcid ? *in.mcid : 0.5 * sd;
    ois = 2.0 * 2.0 * z * z * sd * sd / (delta * delta);
    ois_text = in.mcid ? fmt::format("optimal information size {:.0f} (MCID {}, SD {})",
                                     std::ceil(ois), num(*in.mcid), num(sd))
                       : fmt::format(
                             "optimal information size {:.0f} (no MCID: half an SD = {}, "
                             "Norman et al. 2003)",
                             std::ceil(ois), num(delta));
  }
  f.optimal_information_size = ois;
  bool info_short = false;
  std::string info_text;
  if (std::isfinite(ois) && std::isfinite(in.participants)) {
    info_short = in.participants < ois;
    info_text = fmt::format("{:.0f} participants {} the {}", in.participants,
                            info_short ? "fall short of" : "meet", ois_text);
  } else if (is_binary(a.measure) && std::isfinite(in.events)) {
    info_short = in.events < kMinEvents;
    info_text = fmt::format("{:.0f} events in total{}", in.events,
                            info_short ? " (fewer than 300, GRADE's rule of thumb)" : "");
  }

  d.reason = fmt::format("{}% CI {} to {}", static_cast<int>(std::lround(a.fit.level)),
                         num(f.ci_lb), num(f.ci_ub));
  std::vector<std::string> includes;
  if (includes_null) includes.push_back("no effect");
  const bool low_is_benefit = in.benefit == Benefit::lower;
  if (includes_low) {
    includes.push_back(fmt::format("an important {} (below {})",
                                   low_is_benefit ? "benefit" : "harm", num(f.important_low)));
  }
  if (includes_high) {
    includes.push_back(fmt::format("an important {} (above {})",
                                   low_is_benefit ? "harm" : "benefit", num(f.important_high)));
  }
  if (!includes.empty()) {
    d.reason += " includes ";
    for (std::size_t i = 0; i < includes.size(); ++i) {
      if (i) d.reason += i + 1 == includes.size() ? " and " : ", ";
      d.reason += includes[i];
    }
  } else {
    d.reason += has_thresholds ? " excludes no effect and the thresholds of an important effect"
                               : " excludes no effect";
  }
  if (!info_text.empty()) d.reason += "; " + info_text;
  if (!has_thresholds) d.reason += "; no MCID given";

  // GRADE 6: rate down when the interval includes both appreciable benefit and harm, or when it
  // includes no effect or crosses an MCID threshold while the optimal information size is not
  // met (two levels: two distinct problems), and for any one of: no effect included, an MCID
  // threshold crossed, the information size not met (one level).
  if ((includes_low && includes_high) || ((includes_null || contains_threshold) && info_short)) {
    d.rating = Rating::very_serious;
  } else if (includes_null || contains_threshold || info_short) {
    d.rating = Rating::serious;
  }
  return d;
}

DomainSuggestion small_study_effects(const Analysis& a, const FindingsInput& in) {
  DomainSuggestion d{"Publication bias", Rating::not_assessed, {}};
  if (in.small_study) {
    const auto& t = *in.small_study;
    // GRADE 5 (Guyatt et al. 2011); asymmetry tests use p < 0.10 (Egger et al. 1997).
    d.rating = t.pval < 0.10 ? Rating::serious : Rating::not_serious;
    d.reason = fmt::format("{}: p = {}", t.method, num(t.pval));
    return d;
  }
  if (a.fit.k < 10) {
    d.reason = fmt::format(
        "{} {}: fewer than 10, too few for a test of funnel plot asymmetry "
        "(Sterne et al. 2011)",
        a.fit.k, a.fit.k == 1 ? "study" : "studies");
  } else {
    d.reason =
        "10 or more studies, but no test for small-study effects was run: inspect the "
        "funnel plot";
  }
  return d;
}

}  // namespace

std::string_view rating_name(Rating r) noexcept {
  switch (r) {
    case Rating::not_serious:
      return "not serious";
    case Rating::serious:
      return "serious";
    case Rating::very_serious:
      return "very serious";
    case Rating::not_assessed:
      return "not assessed";
    case Rating::not_applicable:
      return "not applicable";
  }
  return "";
}

std::optional<Rating> parse_rating(std::string_view name) noexcept {
  const std::string n = lower(name);
  for (Rating r : {Rating::not_serious, Rating::serious, Rating::very_serious, Rating::not_assessed,
                   Rating::not_applicable}) {
    if (n == rating_name(r)) return r;
  }
  return std::nullopt;
}

std::string_view certainty_name(Certainty c) noexcept {
  switch (c) {
    case Certainty::very_low:
      return "very low";
    case Certainty::low:
      return "low";
    case Certainty::moderate:
      return "moderate";
    case Certainty::high:
      return "high";
  }
  return "";
}

std::optional<RiskOfBias> parse_risk_of_bias(std::string_view text) noexcept {
  const std::string n = lower(text);
  if (n == "low") return RiskOfBias::low;
  if (n == "some concerns" || n == "some" || n == "unclear" || n == "moderate") {
    return RiskOfBias::some_concerns;
  }
  if (n == "high" || n == "serious" || n == "critical") return RiskOfBias::high;
  return std::nullopt;
}

Findings assess(const Analysis& a, const FindingsInput& in) {
  Findings f;
  const auto bt = BackTransform::for_measure(a.measure);
  f.measure = a.measure;
  f.ratio = bt && bt->is_exp();
  auto natural = [&](double x) { return f.ratio ? std::exp(x) : x; };
  f.estimate = natural(a.fit.estimate);
  f.ci_lb = natural(a.fit.ci_lb);
  f.ci_ub = natural(a.fit.ci_ub);
  f.pi_lb = natural(a.prediction.pi_lb);
  f.pi_ub = natural(a.prediction.pi_ub);
  f.null_value = f.ratio ? 1.0 : 0.0;
  f.participants = in.participants;
  f.events = in.events;

  // Thresholds of an important effect: the MCID either side of no effect, or for ratios GRADE's
  // default relative change of 25% (RR 0.75 and 1.25).
  f.important_low = f.important_high = kNaN;
  if (in.mcid && *in.mcid > 0) {
    if (f.ratio) {
      const double m = *in.mcid >= 1.0 ? *in.mcid : 1.0 / *in.mcid;
      f.important_low = 1.0 / m;
      f.important_high = m;
    } else {
      f.important_low = -*in.mcid;
      f.important_high = *in.mcid;
    }
    f.threshold_source = fmt::format("MCID {}", num(*in.mcid));
  } else if (f.ratio) {
    f.important_low = 1.0 - kGradeRelativeChange;
    f.important_high = 1.0 + kGradeRelativeChange;
    f.threshold_source = "GRADE's default thresholds 0.75 and 1.25";
  }

  if (is_binary(a.measure)) {
    AbsoluteEffect abs;
    if (in.control_risk) {
      abs.control_risk = *in.control_risk;
      abs.control_risk_source = "assumed control risk given in the manifest";
    } else {
      abs.control_risk = median(in.control_risks);
      abs.control_risk_source = "median control-group risk of the studies";
      // With most control groups free of events the median is 0, and a ratio applied to 0 says
      // nothing; the overall control-group risk then stands for the population's risk.
      if (abs.control_risk == 0.0 && in.control_totals.size() == in.control_risks.size()) {
        double events = 0.0, total = 0.0;
        for (std::size_t i = 0; i < in.control_risks.size(); ++i) {
          if (!std::isfinite(in.control_risks[i]) || !std::isfinite(in.control_totals[i])) continue;
          events += in.control_risks[i] * in.control_totals[i];
          total += in.control_totals[i];
        }
        if (total > 0 && events > 0) {
          abs.control_risk = events / total;
          abs.control_risk_source =
              fmt::format("overall control-group risk, {:.0f} events in {:.0f} (the median is 0)",
                          events, total);
        }
      }
    }
    if (std::isfinite(abs.control_risk)) {
      const double p0 = abs.control_risk;
      abs.risk = risk_with(a.measure, p0, f.estimate);
      abs.risk_lb = risk_with(a.measure, p0, f.ci_lb);
      abs.risk_ub = risk_with(a.measure, p0, f.ci_ub);
      abs.per_1000 = 1000.0 * (abs.risk - p0);
      abs.per_1000_lb = 1000.0 * (abs.risk_lb - p0);
      abs.per_1000_ub = 1000.0 * (abs.risk_ub - p0);
      f.absolute = abs;
    }
  }

  // The interval against the MCID (or GRADE's default thresholds) and against no effect.
  const bool has_thresholds = std::isfinite(f.important_low);
  const bool includes_null = f.ci_lb <= f.null_value && f.ci_ub >= f.null_value;
  if (has_thresholds) {
    const bool low_is_benefit = in.benefit == Benefit::lower;
    const std::string below = low_is_benefit ? "benefit" : "harm";
    const std::string above = low_is_benefit ? "harm" : "benefit";
    if (f.ci_ub < f.important_low) {
      f.mcid_comparison = fmt::format("the whole interval shows an important {} (beyond {})", below,
                                      num(f.important_low));
    } else if (f.ci_lb > f.important_high) {
      f.mcid_comparison = fmt::format("the whole interval shows an important {} (beyond {})", above,
                                      num(f.important_high));
    } else if (f.ci_lb >= f.important_low && f.ci_ub <= f.important_high) {
      f.mcid_comparison = includes_null
                              ? "the interval excludes important effects: little or no difference"
                              : "the interval excludes important effects and no effect: a small "
                                "effect, less than important";
    } else {
      std::vector<std::string> parts;
      if (f.ci_lb < f.important_low) parts.push_back("an important " + below);
      if (includes_null) parts.push_back("no effect");
      if (f.ci_ub > f.important_high) parts.push_back("an important " + above);
      f.mcid_comparison = "the interval includes ";
      for (std::size_t i = 0; i < parts.size(); ++i) {
        if (i) f.mcid_comparison += i + 1 == parts.size() ? " and " : ", ";
        f.mcid_comparison += parts[i];
      }
    }
    f.mcid_comparison += " (" + f.threshold_source + ")";
  } else {
    f.mcid_comparison =
        includes_null ? "the interval includes no effect (no MCID given)"
                      : "the interval excludes no effect (no MCID given, so importance is not "
                        "judged)";
  }

  f.start = in.randomised ? Certainty::high : Certainty::low;
  f.domains.push_back(risk_of_bias(a, in));
  f.domains.push_back(inconsistency(a, f));
  DomainSuggestion ind{"Indirectness", Rating::not_assessed,
                       "the reviewers judge whether population, intervention, comparator and "
                       "outcome match the question"};
  if (in.indirectness) {
    ind.rating = *in.indirectness;
    ind.reason = in.indirectness_reason.empty() ? "reviewers' judgement" : in.indirectness_reason;
    ind.from_reviewer = true;
  }
  f.domains.push_back(ind);
  f.domains.push_back(imprecision(a, in, f));
  f.domains.push_back(small_study_effects(a, in));
  int level = static_cast<int>(f.start);
  for (const auto& d : f.domains)
    level -= levels_down(d.rating);
  f.certainty = static_cast<Certainty>(std::max(0, level));
  for (const auto& d : f.domains) {
    if (d.rating == Rating::not_assessed &&
        (d.domain == "Risk of bias" || d.domain == "Indirectness")) {
      f.at_most = f.certainty != Certainty::very_low;
    }
  }

  if (has_thresholds) {
    if (f.estimate < f.important_low) {
      f.direction = EffectDirection::reduces;
    } else if (f.estimate > f.important_high) {
      f.direction = EffectDirection::increases;
    } else {
      f.direction = EffectDirection::little_or_no_difference;
    }
  } else if (!includes_null) {
    f.direction = f.estimate < f.null_value ? EffectDirection::reduces : EffectDirection::increases;
  } else {
    f.direction = EffectDirection::little_or_no_difference;
  }
  // Never stronger than the numbers: an effect whose interval includes no effect is at most
  // something that "may" happen, whatever the other domains say.
  f.statement_certainty = f.certainty;
  if (includes_null && f.direction != EffectDirection::little_or_no_difference) {
    f.statement_certainty = std::min(f.statement_certainty, Certainty::low);
  }
  // An interval that holds both an important benefit and an important harm supports no
  // direction at all: the statement is that the evidence is very uncertain.
  if (has_thresholds && f.ci_lb < f.important_low && f.ci_ub > f.important_high) {
    f.statement_certainty = Certainty::very_low;
  }
  // Unassessed risk of bias or indirectness can only lower the certainty: the statement does not
  // claim more than "may".
  if (f.at_most) f.statement_certainty = std::min(f.statement_certainty, Certainty::low);
  return f;
}

}  // namespace evident
