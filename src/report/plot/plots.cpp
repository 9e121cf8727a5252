// Plots from an Analysis (forest, funnel) and the public drawing entry points.

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "evident/effect/convert.hpp"
#include "evident/io/error.hpp"
#include "evident/methods/transform.hpp"
#include "evident/report/plot.hpp"
#include "io/output_file.hpp"
#include "report/plot/layout.hpp"

namespace evident {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& ch : out)
    ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

// What the effect is called in a plot heading, and its abbreviation.
struct EffectNames {
  std::string name;
  std::string abbrev;
};

EffectNames effect_names(Measure m) {
  switch (m) {
    case Measure::GEN:
      return {"Effect size", "Estimate"};
    case Measure::MD:
      return {"Mean difference", "MD"};
    case Measure::SMD:
      return {"Std. mean difference", "SMD"};
    case Measure::ROM:
      return {"Ratio of means", "ROM"};
    case Measure::OR:
      return {"Odds ratio", "OR"};
    case Measure::RR:
      return {"Risk ratio", "RR"};
    case Measure::RD:
      return {"Risk difference", "RD"};
    case Measure::PR:
      return {"Proportion", "Proportion"};
    case Measure::PLO:
      return {"Log odds (logit proportion)", "Logit"};
    case Measure::PAS:
      return {"Arcsine proportion", "Arcsine"};
    case Measure::PFT:
      return {"Freeman-Tukey proportion", "PFT"};
    case Measure::COR:
      return {"Correlation", "r"};
    case Measure::ZCOR:
      return {"Fisher's z", "z"};
    default:
      return {std::string(measure_description(m)), std::string(measure_name(m))};
  }
}

bool is_log_ratio(Measure m) {
  const auto bt = BackTransform::for_measure(m);
  return bt && bt->is_exp();
}

// The spaces inside one statistic ("p < 0.001", "Q = 12.30") are no-break spaces, so a footnote
// that wraps breaks between statistics, never inside one.
constexpr const char* kNbsp = "\u00a0";

std::string p_text(double p) {
  if (std::isnan(p)) return fmt::format("p{0}={0}NA", kNbsp);
  if (p < 0.001) return fmt::format("p{0}<{0}0.001", kNbsp);
  if (p < 0.01) return fmt::format("p{0}={0}{1:.3f}", kNbsp, p);
  return fmt::format("p{0}={0}{1:.2f}", kNbsp, p);
}

// tau^2 with the two decimals of the other statistics, three below 0.1 so that a small value is
// not shown as 0.00.
std::string tau2_text(double tau2) {
  return tau2 < 0.1 ? fmt::format("{:.3f}", tau2) : fmt::format("{:.2f}", tau2);
}

// Pooling methods that are common-effect models by construction.
bool is_common_effect(const Fit& f) {
  const std::string_view name = method_name(f.method);
  return name == "FE" || name == "MH" || name == "PETO";
}

std::string model_text(const Fit& f) {
  const int level = static_cast<int>(std::lround(f.level));
  const std::string_view name = method_name(f.method);
  std::string weights = "IV";
  if (name == "MH") weights = "M-H";
  if (name == "PETO") weights = "Peto";
  if (is_common_effect(f)) return fmt::format("{}, common effect, {}% CI", weights, level);
  return fmt::format("{}, random ({}{}), {}% CI", weights, name,
                     f.test == Test::knha ? ", HKSJ" : "", level);
}

// The per-arm data of each study, as the user wrote it, with column headings.
struct ArmColumns {
  std::vector<ForestColumn> columns;
  std::vector<std::vector<std::string>> cells;  // per study of the analysis
  std::vector<double> totals;                   // per column; NaN where a total makes no sense
  std::vector<bool> summed;                     // which columns have a total on the summary row
  std::vector<bool> events;                     // which columns are event counts
};

// One study's source: the table it was read from and its row (nullptr when unknown).
struct StudySource {
  const StudyTable* table = nullptr;
  std::size_t row = 0;
  /// The other experimental arms' rows of a multi-arm trial whose arms were combined against
  /// the shared control (multiarm.hpp): the plot shows the combined arm, as it was analysed.
  std::vector<std::size_t> more_arms;
};

// For every study that is a multi-arm trial with combined arms, the rows of its other arms.
void add_combined_arms(const Analysis& a, std::vector<StudySource>& sources) {
  if (!a.multiarm || a.multiarm->mode != MultiArm::combine) return;
  for (auto& s : sources) {
    if (!s.table) continue;
    const std::size_t line = s.table->line(s.row);
    for (const auto& trial : a.multiarm->trials) {
      if (trial.lines.empty() || trial.lines.front() != line) continue;
      for (std::size_t r = 0; r < s.table->rows(); ++r) {
        const std::size_t other = s.table->line(r);
        if (r != s.row &&
            std::find(trial.lines.begin(), trial.lines.end(), other) != trial.lines.end()) {
          s.more_arms.push_back(r);
        }
      }
    }
  }
}

ArmColumns arm_columns(const Analysis& a, const std::vector<StudySource>& sources,
                       const ForestOptions& o) {
  ArmColumns out;
  auto value = [](const StudySource& s, std::string_view column) -> std::string {
    const auto c = s.table->find_column(column);
    return c ? std::string(trim_spaces(s.table->cell(s.row, *c))) : std::string();
  };
  auto num = [](const std::string& s) {
    const CellValue v = parse_number(s);
    return v.kind == CellKind::number ? v.value : std::nan("");
  };
  auto show = [](double v) { return std::isfinite(v) ? fmt::format("{:g}", v) : std::string(); };
  // A group total: the n column when there is one, else events plus non-events.
  auto total = [=](const StudySource& s, std::string_view events, std::string_view non,
                   std::string_view n) {
    if (s.table->find_column(n)) return value(s, n);
    return show(num(value(s, events)) + num(value(s, non)));
  };
  // The experimental group of a study: its row, or all its arms' rows when they were combined.
  auto arm_rows = [](const StudySource& s) {
    std::vector<StudySource> all{StudySource{s.table, s.row, {}}};
    for (std::size_t r : s.more_arms)
      all.push_back({s.table, r, {}});
    return all;
  };
  auto summed = [=](const StudySource& s, const std::function<std::string(const StudySource&)>& f) {
    if (s.more_arms.empty()) return f(s);
    double sum = 0.0;
    for (const auto& arm : arm_rows(s))
      sum += num(f(arm));
    return show(sum);
  };
  // Mean (0) or SD (1) of the combined arms (Cochrane Handbook table 6.5.a), blank when an arm
  // lacks it (reported as a median, say).
  auto combined = [=](const StudySource& s, int which) {
    if (s.more_arms.empty()) return value(s, which == 0 ? "m1i" : "sd1i");
    std::optional<ArmSummary> acc;
    for (const auto& arm : arm_rows(s)) {
      const ArmSummary one{num(value(arm, "n1i")), num(value(arm, "m1i")), num(value(arm, "sd1i"))};
      if (!(std::isfinite(one.n) && std::isfinite(one.mean) && std::isfinite(one.sd))) {
        return std::string();
      }
      acc = acc ? combine_arms(*acc, one) : one;
    }
    return fmt::format("{:.4g}", which == 0 ? acc->mean : acc->sd);
  };

  struct Spec {
    std::string group, header;
    std::function<std::string(const StudySource&)> get;
    bool summed;
    bool events;
  };
  std::vector<Spec> specs;
  switch (measure_shape(a.measure)) {
    case InputShape::two_by_two:
      specs.push_back({o.group1, "Events",
                       [=](const StudySource& s) {
                         return summed(s, [=](const StudySource& x) { return value(x, "ai"); });
                       },
                       true, true});
      specs.push_back({o.group1, "Total",
                       [=](const StudySource& s) {
                         return summed(
                             s, [=](const StudySource& x) { return total(x, "ai", "bi", "n1i"); });
                       },
                       true, false});
      specs.push_back(
          {o.group2, "Events", [=](const StudySource& s) { return value(s, "ci"); }, true, true});
      specs.push_back({o.group2, "Total",
                       [=](const StudySource& s) { return total(s, "ci", "di", "n2i"); }, true,
                       false});
      break;
    case InputShape::two_group_means: {
      static constexpr std::array<std::string_view, 6> names{"m1i", "sd1i", "n1i",
                                                             "m2i", "sd2i", "n2i"};
      static constexpr std::array<std::string_view, 3> heads{"Mean", "SD", "Total"};
      for (std::size_t i = 0; i < 6; ++i) {
        const std::string_view name = names[i];
        std::function<std::string(const StudySource&)> get = [=](const StudySource& s) {
          return value(s, name);
        };
        if (i == 0 || i == 1) {
          get = [=](const StudySource& s) { return combined(s, static_cast<int>(i)); };
        } else if (i == 2) {
          get = [=](const StudySource& s) {
            return summed(s, [=](const StudySource& x) { return value(x, name); });
          };
        }
        specs.push_back(
            {i < 3 ? o.group1 : o.group2, std::string(heads[i % 3]), get, i % 3 == 2, false});
      }
      break;
    }
    case InputShape::proportion:
      specs.push_back(
          {"", "Events", [=](const StudySource& s) { return value(s, "xi"); }, true, true});
      specs.push_back({"", "Total",
                       [=](const StudySource& s) { return total(s, "xi", "mi", "ni"); }, true,
                       false});
      break;
    case InputShape::correlation:
      specs.push_back(
          {"", "r", [=](const StudySource& s) { return value(s, "ri"); }, false, false});
      specs.push_back(
          {"", "Total", [=](const StudySource& s) { return value(s, "ni"); }, true, false});
      break;
    default:
      break;
  }
  for (const auto& spec : specs) {
    out.columns.push_back({spec.group, spec.header});
    out.summed.push_back(spec.summed);
    out.events.push_back(spec.events);
  }
  out.totals.assign(specs.size(), 0.0);
  for (std::size_t i = 0; i < a.studies.size(); ++i) {
    std::vector<std::string> cells;
    for (std::size_t j = 0; j < specs.size(); ++j) {
      std::string text =
          i < sources.size() && sources[i].table ? specs[j].get(sources[i]) : std::string();
      out.totals[j] += num(text);
      cells.push_back(std::move(text));
    }
    out.cells.push_back(std::move(cells));
  }
  return out;
}

std::string join_names(const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i) out += ", ";
    out += names[i];
  }
  return out;
}

template <class Plot>
void write_any(const Plot& plot, const std::string& path) {
  const auto format = plot_format_for_path(path);
  if (!format) {
    throw InputError({path, 0, 0}, "a plot file name must end in " + plot_extensions_text());
  }
  const std::string bytes = render_plot(plot, *format);
  detail::OutputFile out(path);  // renamed into place once whole
  out.stream() << bytes;
  out.commit();
}

}  // namespace

std::optional<PlotFormat> plot_format_for_path(std::string_view path) noexcept {
  const auto dot = path.rfind('.');
  if (dot == std::string_view::npos) return std::nullopt;
  return parse_plot_format(lower(path.substr(dot + 1)));
}

std::string plot_extensions_text() {
  const auto all = plot_formats();
  std::string text;
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (i > 0) text += i + 1 == all.size() ? " or " : ", ";
    text += '.';
    text += all[i].name;
    text += all[i].note;
  }
  return text;
}

namespace {

// The parts of a forest plot every model shares: title, effect names and axis, favours labels.
void forest_frame(ForestPlot& p, Measure measure, int level, const ForestOptions& o) {
  const EffectNames names = effect_names(measure);
  p.title = o.title;
  p.effect_name = names.name;
  p.estimate_header = fmt::format("{} [{}% CI]", names.abbrev, level);
  p.log_scale = is_log_ratio(measure);
  p.null_value = 0.0;
  // Proportions and correlations describe one group: nothing is favoured unless the caller says.
  const InputShape shape = measure_shape(measure);
  const bool comparison = shape != InputShape::proportion && shape != InputShape::correlation;
  const std::string fav1 = comparison ? "Favours " + o.group1 : "";
  const std::string fav2 = comparison ? "Favours " + o.group2 : "";
  p.favours_left =
      !o.favours_left.empty() ? o.favours_left : (o.benefit == Benefit::lower ? fav1 : fav2);
  p.favours_right =
      !o.favours_right.empty() ? o.favours_right : (o.benefit == Benefit::lower ? fav2 : fav1);
}

// The minimal clinically important difference as dashed lines either side of no effect.
void add_mcid(ForestPlot& p, Measure measure, const ForestOptions& o) {
  if (!o.mcid || !(*o.mcid > 0)) return;
  const EffectNames names = effect_names(measure);
  double m = *o.mcid;
  if (p.log_scale) {
    m = std::fabs(std::log(m));
    p.references.push_back({-m, "MCID"});
    p.references.push_back({m, "MCID"});
    p.footnotes.push_back(
        fmt::format("Dashed lines: minimal clinically important difference ({} "
                    "{:.2f} and {:.2f})",
                    names.abbrev, std::exp(-m), std::exp(m)));
  } else {
    p.references.push_back({-m, "MCID"});
    p.references.push_back({m, "MCID"});
    p.footnotes.push_back(
        fmt::format("Dashed lines: minimal clinically important difference (\u00b1{:g})", m));
  }
}

ForestPlot build_forest(const Analysis& a, const ForestOptions& o,
                        const std::vector<StudySource>* sources) {
  ForestPlot p;
  const Fit& f = a.fit;
  const int level = static_cast<int>(std::lround(f.level));
  forest_frame(p, a.measure, level, o);
  p.model_text = model_text(f);

  ArmColumns arms;
  if (sources) {
    std::vector<StudySource> with_arms = *sources;
    add_combined_arms(a, with_arms);
    arms = arm_columns(a, with_arms, o);
    p.columns = arms.columns;
  }
  for (std::size_t i = 0; i < a.studies.size(); ++i) {
    const StudyResult& s = a.studies[i];
    ForestRow r;
    r.kind = ForestRowKind::study;
    r.label = s.study;
    if (i < arms.cells.size()) r.cells = arms.cells[i];
    r.estimate = s.yi;
    r.ci_lb = s.ci_lb;
    r.ci_ub = s.ci_ub;
    r.weight = s.weight;
    p.rows.push_back(std::move(r));
  }
  ForestRow total;
  total.kind = ForestRowKind::summary;
  total.label = fmt::format("Total ({}% CI)", level);
  total.estimate = f.estimate;
  total.ci_lb = f.ci_lb;
  total.ci_ub = f.ci_ub;
  total.weight = 100.0;
  bool any_events = false;
  for (std::size_t j = 0; j < arms.columns.size(); ++j) {
    const bool show = arms.summed[j] && !arms.events[j] && std::isfinite(arms.totals[j]);
    total.cells.push_back(show ? fmt::format("{:g}", arms.totals[j]) : "");
    any_events = any_events || arms.events[j];
  }
  p.rows.push_back(std::move(total));
  if (any_events) {
    ForestRow ev;
    ev.kind = ForestRowKind::text;
    ev.label = "Total events";
    ev.estimate = ev.ci_lb = ev.ci_ub = std::nan("");
    ev.weight = std::nan("");
    for (std::size_t j = 0; j < arms.columns.size(); ++j) {
      ev.cells.push_back(arms.events[j] && std::isfinite(arms.totals[j])
                             ? fmt::format("{:g}", arms.totals[j])
                             : "");
    }
    p.rows.push_back(std::move(ev));
  }
  if (!is_common_effect(f) && f.k >= 3 && std::isfinite(a.prediction.pi_lb)) {
    ForestRow pi;
    pi.kind = ForestRowKind::prediction;
    pi.label = "Prediction interval";
    pi.estimate = std::nan("");
    pi.ci_lb = a.prediction.pi_lb;
    pi.ci_ub = a.prediction.pi_ub;
    pi.weight = std::nan("");
    p.rows.push_back(std::move(pi));
  }

  // Footnotes: heterogeneity and the overall test as RevMan prints them, then what a reader
  // must know about the data (zero cells corrected, rows left out).
  if (f.k < 2) {
    p.footnotes.push_back("Heterogeneity: not applicable (one study)");
  } else if (is_common_effect(f)) {
    p.footnotes.push_back(
        fmt::format("Heterogeneity: Q{0}={0}{1:.2f}, df{0}={0}{2} ({3}); "
                    "I\u00b2{0}={0}{4:.0f}%",
                    kNbsp, f.Q, static_cast<long>(f.Q_df), p_text(f.Q_p), f.I2));
  } else {
    p.footnotes.push_back(
        fmt::format("Heterogeneity: \u03c4\u00b2{0}={0}{1}; Q{0}={0}{2:.2f}, "
                    "df{0}={0}{3} ({4}); I\u00b2{0}={0}{5:.0f}%",
                    kNbsp, tau2_text(f.tau2), f.Q, static_cast<long>(f.Q_df), p_text(f.Q_p), f.I2));
  }
  if (f.test == Test::knha && std::isfinite(f.df)) {
    p.footnotes.push_back(
        fmt::format("Test for overall effect: t{0}={0}{1:.2f}, df{0}={0}{2} ({3})", kNbsp, f.stat,
                    static_cast<long>(f.df), p_text(f.pval)));
  } else {
    p.footnotes.push_back(fmt::format("Test for overall effect: z{0}={0}{1:.2f} ({2})", kNbsp,
                                      f.stat, p_text(f.pval)));
  }
  std::vector<std::string> corrected, left_out, from_medians, combined_arms;
  std::string correction_all;
  auto add_once = [](std::vector<std::string>& v, const std::string& name) {
    if (!name.empty() && std::find(v.begin(), v.end(), name) == v.end()) v.push_back(name);
  };
  for (const auto& d : a.diagnostics) {
    if (d.code == DiagnosticCode::converted_fivenum) add_once(from_medians, d.study);
  }
  if (a.multiarm && a.multiarm->mode == MultiArm::combine) {
    for (const auto& t : a.multiarm->trials)
      add_once(combined_arms, t.trial);
  }
  for (const auto& d : a.diagnostics) {
    if (d.code == DiagnosticCode::zero_cell_corrected) {
      if (d.study.empty()) {
        correction_all = d.message;
      } else {
        corrected.push_back(d.study);
      }
    } else if (d.code == DiagnosticCode::row_excluded_missing && !d.study.empty()) {
      left_out.push_back(d.study);
    }
  }
  if (!correction_all.empty()) {
    p.footnotes.push_back("Zero cells: " + correction_all);
  } else if (!corrected.empty()) {
    p.footnotes.push_back("A zero cell: 1/2 added to each cell of " + join_names(corrected));
  }
  if (!left_out.empty()) p.footnotes.push_back("Left out (missing data): " + join_names(left_out));
  if (!from_medians.empty()) {
    p.footnotes.push_back(
        "Means and SDs estimated from medians with quartiles or ranges (Luo et "
        "al. 2018; Wan et al. 2014): " +
        join_names(from_medians));
  }
  if (!combined_arms.empty()) {
    p.footnotes.push_back("Experimental arms combined against their shared control: " +
                          join_names(combined_arms));
  }
  add_mcid(p, a.measure, o);
  return p;
}

}  // namespace

ForestPlot forest_plot(const MultilevelAnalysis& a, const ForestOptions& o) {
  // The estimates grouped by the outer factor of the first formula (a heading per level, in
  // order of first appearance), each with its interval and its share of the model's weight
  // (metafor's weights for rma.mv: the diagonal of W), then the pooled estimate of an
  // intercept-only model with its prediction interval, or each coefficient's interval.
  ForestPlot p;
  const MultilevelFit& f = a.fit;
  const int level = static_cast<int>(std::lround(f.level));
  forest_frame(p, a.measure, level, o);
  p.model_text = fmt::format("IV, multilevel ({}), {}% CI", method_name(f.method), level);
  p.study_header = "Estimate";
  std::vector<std::string> order;
  std::map<std::string, std::vector<std::size_t>> members;
  for (std::size_t i = 0; i < a.studies.size(); ++i) {
    auto [it, added] = members.try_emplace(a.clusters[i]);
    if (added) order.push_back(a.clusters[i]);
    it->second.push_back(i);
  }
  const double nan = std::nan("");
  for (const std::string& cluster : order) {
    ForestRow heading;
    heading.kind = ForestRowKind::heading;
    heading.label = a.outer + " " + cluster;
    heading.estimate = heading.ci_lb = heading.ci_ub = heading.weight = nan;
    p.rows.push_back(std::move(heading));
    for (std::size_t i : members[cluster]) {
      const StudyResult& s = a.studies[i];
      ForestRow r;
      r.label = s.study;
      r.estimate = s.yi;
      r.ci_lb = s.ci_lb;
      r.ci_ub = s.ci_ub;
      r.weight = s.weight;
      p.rows.push_back(std::move(r));
    }
  }
  if (a.prediction) {
    ForestRow total;
    total.kind = ForestRowKind::summary;
    total.label = fmt::format("Total ({}% CI)", level);
    total.estimate = a.prediction->pred;
    total.ci_lb = a.prediction->ci_lb;
    total.ci_ub = a.prediction->ci_ub;
    total.weight = 100.0;
    p.rows.push_back(std::move(total));
    if (std::isfinite(a.prediction->pi_lb)) {  // none with a tau2 per level of a struct
      ForestRow pi;
      pi.kind = ForestRowKind::prediction;
      pi.label = "Prediction interval";
      pi.estimate = pi.weight = nan;
      pi.ci_lb = a.prediction->pi_lb;
      pi.ci_ub = a.prediction->pi_ub;
      p.rows.push_back(std::move(pi));
    }
  } else {
    for (std::size_t c = 0; c < f.p; ++c) {
      ForestRow r;
      r.kind = ForestRowKind::summary;
      r.label = a.design.columns[c].name;
      r.estimate = f.beta[c];
      r.ci_lb = f.ci_lb[c];
      r.ci_ub = f.ci_ub[c];
      r.weight = nan;
      p.rows.push_back(std::move(r));
    }
  }
  std::string components;
  for (std::size_t j = 0; j < f.sigma2.size(); ++j) {
    components += fmt::format("{}\u03c3\u00b2 {}{}={}{} ({} levels)", j == 0 ? "" : "; ",
                              a.sigma2_names[j], kNbsp, kNbsp, tau2_text(f.sigma2[j]), f.levels[j]);
  }
  if (a.structure) {
    // The correlated random effect: its tau2 (one, or per inner level) and rho (one, or UN's
    // range over the pairs).
    std::string tau2;
    for (std::size_t l = 0; l < f.tau2.size(); ++l) {
      tau2 += fmt::format("{}{}", l == 0 ? "" : ", ",
                          f.tau2.size() > 1 ? a.inner_levels[l] + kNbsp + tau2_text(f.tau2[l])
                                            : tau2_text(f.tau2[l]));
    }
    std::string rho;
    if (f.rho.size() == 1) {
      rho = fmt::format("; \u03c1{0}={0}{1:.2f}", kNbsp, f.rho.front());
    } else if (!f.rho.empty()) {
      const auto [lo, hi] = std::minmax_element(f.rho.begin(), f.rho.end());
      rho = fmt::format("; \u03c1 from {:.2f} to {:.2f}", *lo, *hi);
    }
    components +=
        fmt::format("{}\u03c4\u00b2 {} | {} ({}){}={}{}{}", components.empty() ? "" : "; ", a.inner,
                    a.structured_outer, structure_name(*a.structure), kNbsp, kNbsp, tau2, rho);
  }
  p.footnotes.push_back("Variance components: " + components);
  p.footnotes.push_back(fmt::format("Heterogeneity: QE{0}={0}{1:.2f}, df{0}={0}{2} ({3})", kNbsp,
                                    f.QE, static_cast<long>(f.QE_df), p_text(f.QE_p)));
  if (a.prediction) {
    const char* stat = f.test == Test::t ? "t" : "z";
    p.footnotes.push_back(
        f.test == Test::t
            ? fmt::format("Test for overall effect: {0}{1}={1}{2:.2f}, df{1}={1}{3} ({4})", stat,
                          kNbsp, f.stat[0], static_cast<long>(f.df), p_text(f.pval[0]))
            : fmt::format("Test for overall effect: {0}{1}={1}{2:.2f} ({3})", stat, kNbsp,
                          f.stat[0], p_text(f.pval[0])));
  }
  add_mcid(p, a.measure, o);
  return p;
}

ForestPlot forest_plot(const Analysis& a, const ForestOptions& o, const StudyTable* table) {
  if (!table) return build_forest(a, o, nullptr);
  std::map<std::size_t, std::size_t> row_of_line;
  for (std::size_t r = 0; r < table->rows(); ++r)
    row_of_line[table->line(r)] = r;
  std::vector<StudySource> sources;
  for (const auto& s : a.studies) {
    const auto it = row_of_line.find(s.line);
    sources.push_back(it == row_of_line.end() ? StudySource{} : StudySource{table, it->second, {}});
  }
  return build_forest(a, o, &sources);
}

ForestPlot forest_plot(const Analysis& a, const ForestOptions& o,
                       std::span<const StudyTable* const> tables,
                       std::span<const std::size_t> rows) {
  std::vector<StudySource> sources;
  for (std::size_t i = 0; i < tables.size() && i < rows.size(); ++i)
    sources.push_back({tables[i], rows[i], {}});
  return build_forest(a, o, &sources);
}

FunnelPlot funnel_plot(const Analysis& a, bool contours) {
  FunnelPlot p;
  const EffectNames names = effect_names(a.measure);
  p.log_scale = is_log_ratio(a.measure);
  p.x_label = p.log_scale ? names.name + " (log scale)" : names.name;
  p.estimate = a.fit.estimate;
  p.level = a.fit.level;
  p.contours = contours;
  for (const auto& s : a.studies) {
    p.yi.push_back(s.yi);
    p.sei.push_back(std::sqrt(s.vi));
    p.labels.push_back(s.study);
    p.open.push_back(false);
  }
  return p;
}

std::string render_plot(const ForestPlot& plot, PlotFormat format) {
  return plot::draw(plot::layout_forest(plot), format);
}
std::string render_plot(const FunnelPlot& plot, PlotFormat format) {
  return plot::draw(plot::layout_funnel(plot), format);
}
std::string render_plot(const BubblePlot& plot, PlotFormat format) {
  return plot::draw(plot::layout_bubble(plot), format);
}
std::string render_plot(const BaujatPlot& plot, PlotFormat format) {
  return plot::draw(plot::layout_baujat(plot), format);
}

void write_plot(const ForestPlot& plot, const std::string& path) {
  write_any(plot, path);
}
void write_plot(const FunnelPlot& plot, const std::string& path) {
  write_any(plot, path);
}
void write_plot(const BubblePlot& plot, const std::string& path) {
  write_any(plot, path);
}
std::string render_plot(const SequentialPlot& plot, PlotFormat format) {
  return plot::draw(plot::layout_sequential(plot), format);
}

void write_plot(const SequentialPlot& plot, const std::string& path) {
  write_any(plot, path);
}

void write_plot(const BaujatPlot& plot, const std::string& path) {
  write_any(plot, path);
}

}  // namespace evident
