// Running a review: for each outcome, the rows its filters choose from its data files, the
// effect sizes, the analysis and its assessment; the published results and their checks.

#include "evident/review/review.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <memory>
#include <set>

#include "evident/effect/convert.hpp"
#include "evident/effect/effect.hpp"
#include "evident/io/csv.hpp"
#include "evident/methods/transform.hpp"
#include "evident/methods/trial_sequential.hpp"
#include "stats/distributions.hpp"

namespace evident {

namespace {

namespace fs = std::filesystem;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  return std::string(s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1));
}

bool is_missing(std::string_view cell) {
  return parse_number(cell).kind == CellKind::missing;
}

// Glob match with `*` for any run of characters; "" matches a missing cell (empty or NA).
bool glob(std::string_view pattern, std::string_view text) {
  if (pattern.empty()) return is_missing(text);
  std::size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*')
    ++p;
  return p == pattern.size();
}

// The review's data files, each read once. A name resolves against the review folder; the file
// it reaches (symbolic links followed) must lie inside the folder unless the user allowed
// otherwise.
class Files {
 public:
  Files(std::string dir, bool allow_outside) : dir_(std::move(dir)), allow_outside_(allow_outside) {
    std::error_code ec;
    root_ = fs::weakly_canonical(fs::absolute(dir_), ec);
  }

  // The file's resolved path; `where` and `key` place the problem in the manifest.
  std::string resolve(const std::string& name, const SourceLocation& where,
                      const std::string& key) {
    std::error_code ec;
    const fs::path path = fs::weakly_canonical(fs::absolute(fs::path(dir_) / name), ec);
    if (ec) throw InputError(where, fmt::format("{}: '{}': {}", key, name, ec.message()));
    if (!allow_outside_) {
      const auto [end, _] = std::mismatch(root_.begin(), root_.end(), path.begin(), path.end());
      if (end != root_.end()) {
        throw InputError(where, fmt::format("{}: data file '{}' is outside the review folder ({}); "
                                            "give evident review --allow-outside to read it",
                                            key, name, path.string()));
      }
    }
    if (fs::is_directory(path, ec)) {
      throw InputError(where, fmt::format("{}: '{}' is a folder, not a CSV file", key, name));
    }
    return path.string();
  }

  const StudyTable& get(const std::string& name) {
    auto it = cache_.find(name);
    if (it == cache_.end()) {
      it = cache_.emplace(name, read_csv_file((fs::path(dir_) / name).string())).first;
    }
    return it->second;
  }

 private:
  std::string dir_;
  bool allow_outside_ = false;
  fs::path root_;
  std::map<std::string, StudyTable> cache_;
};

// The same file twice in an outcome, or the same row in two of its files, would count its
// studies twice (a narrower interval, a higher certainty): both are errors.
void check_no_duplicate_data(const OutcomeSpec& spec, const std::vector<std::string>& resolved,
                             const std::vector<StudyTable>& views) {
  const std::string key = "outcome '" + spec.id + "' data";
  for (std::size_t i = 0; i < resolved.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (resolved[i] == resolved[j]) {
        throw InputError(spec.location,
                         fmt::format("{}: '{}' is listed twice (as '{}' and '{}'); each study "
                                     "would count twice",
                                     key, resolved[i], spec.data[j], spec.data[i]));
      }
    }
  }
  if (views.size() < 2) return;
  std::map<std::string, std::pair<std::size_t, std::size_t>> seen;  // row text -> file, line
  for (std::size_t f = 0; f < views.size(); ++f) {
    const StudyTable& t = views[f];
    for (std::size_t r = 0; r < t.rows(); ++r) {
      std::string row;
      for (std::size_t c = 0; c < t.columns(); ++c) {
        row += t.cell(r, c);
        row += '\x1f';
      }
      const auto [it, added] = seen.emplace(std::move(row), std::pair{f, t.line(r)});
      if (!added && it->second.first != f) {
        throw InputError(spec.location,
                         fmt::format("{}: the row on line {} of '{}' is also on line {} of '{}': "
                                     "the same study would count twice",
                                     key, t.line(r), spec.data[f], it->second.second,
                                     spec.data[it->second.first]));
      }
    }
  }
}

std::size_t column_or_throw(const StudyTable& t, const std::string& column, const std::string& key,
                            const SourceLocation& where) {
  if (auto c = t.find_column(column)) return *c;
  throw InputError(where,
                   fmt::format("{}: the data file {} has no column '{}'", key, t.source(), column));
}

struct CompiledFilter {
  std::vector<std::pair<std::size_t, const FilterCondition*>> conditions;
  bool matches(const StudyTable& t, std::size_t row) const {
    for (const auto& [col, cond] : conditions) {
      const std::string cell = trim(t.cell(row, col));
      bool any = false;
      for (const auto& v : cond->values)
        any = any || glob(trim(v), cell);
      if (!any) return false;
    }
    return true;
  }
};

CompiledFilter compile(const StudyTable& t, const RowFilter& f) {
  CompiledFilter c;
  for (const auto& cond : f.conditions)
    c.conditions.push_back({column_or_throw(t, cond.column, cond.key, cond.where), &cond});
  return c;
}

// Rows kept: `where` matches and no exclude filter does (an empty exclude filter excludes none).
struct Selection {
  CompiledFilter where;
  std::vector<CompiledFilter> exclude;
  Selection(const StudyTable& t, const RowFilter& w, const std::vector<RowFilter>& ex)
      : where(compile(t, w)) {
    for (const auto& f : ex) {
      if (!f.empty()) exclude.push_back(compile(t, f));
    }
  }
  bool keeps(const StudyTable& t, std::size_t row) const {
    if (!where.matches(t, row)) return false;
    return std::none_of(exclude.begin(), exclude.end(),
                        [&](const CompiledFilter& f) { return f.matches(t, row); });
  }
};

// The label of a row from a template such as "{study} {year}".
std::string expand_label(const std::string& templ, const StudyTable& t, std::size_t row,
                         const SourceLocation& where) {
  std::string out;
  for (std::size_t i = 0; i < templ.size(); ++i) {
    if (templ[i] != '{') {
      out += templ[i];
      continue;
    }
    const std::size_t close = templ.find('}', i);
    if (close == std::string::npos) {
      throw InputError(where, fmt::format("label: '{{' without '}}' in \"{}\"", templ));
    }
    const std::string col = templ.substr(i + 1, close - i - 1);
    const auto c = t.find_column(col);
    if (!c) {
      throw InputError(where, fmt::format("label: the data file {} has no column '{}' (named in "
                                          "\"{}\")",
                                          t.source(), col, templ));
    }
    const std::string cell = trim(t.cell(row, *c));
    if (!is_missing(cell)) out += cell;
    i = close;
  }
  // Collapse the spaces an empty field leaves behind.
  std::string collapsed;
  for (char ch : out) {
    if (ch == ' ' && (collapsed.empty() || collapsed.back() == ' ')) continue;
    collapsed += ch;
  }
  return trim(collapsed);
}

// The columns a measure needs; alternatives as "a|b". Empty for input shapes added later (the
// effect-size code then decides).
std::vector<std::string> needed_columns(const OutcomeSpec& o) {
  if (o.design == OutcomeDesign::single_arm) {
    for (const auto& m : o.columns) {
      if (m.name == "xi") return {"xi", "ni"};
    }
    return {"m1i", "sd1i", "n1i"};
  }
  switch (measure_shape(o.analysis.effect.measure)) {
    case InputShape::generic:
      return {"yi", "vi|sei"};
    case InputShape::two_group_means:
      // A group reported as a median with quartiles or range is converted (conv.fivenum's
      // methods, see convert.hpp), so those columns stand in for the mean and SD.
      return {"m1i|median1i", "sd1i|q1_1i|min1i", "n1i", "m2i|median2i", "sd2i|q1_2i|min2i", "n2i"};
    case InputShape::two_by_two:
      return {"ai", "bi|n1i", "ci", "di|n2i"};
    case InputShape::proportion:
      return {"xi", "ni|mi"};
    case InputShape::correlation:
      return {"ri", "ni"};
    default:
      return {};
  }
}

constexpr long kLabelColumn = -1;  // a view column holding the study label
constexpr long kEmptyColumn = -2;  // a mapped column this data file does not have

// A data file's rows for an outcome: filtered, with mapped columns under their metafor names and
// the label in `study`. Only rows with every needed value are kept; the others are listed.
StudyTable make_view(const StudyTable& file, const std::string& display, const OutcomeSpec& o,
                     std::vector<UnusableRow>& unusable) {
  const Selection selection(file, o.where, o.exclude);
  std::vector<std::string> names = file.column_names();
  // Where each view column reads from: an original column, kLabelColumn or kEmptyColumn.
  std::vector<long> source;
  for (std::size_t c = 0; c < names.size(); ++c)
    source.push_back(static_cast<long>(c));
  std::map<std::string, std::string> metafor_to_data;
  auto set_column = [&](const std::string& name, long from) {
    const auto it = std::find(names.begin(), names.end(), name);
    if (it != names.end()) {
      source[static_cast<std::size_t>(it - names.begin())] = from;
    } else {
      names.push_back(name);
      source.push_back(from);
    }
  };
  for (const auto& m : o.columns) {
    // A mapped column another of the outcome's files has (checked by the caller) reads as
    // empty here: the files' rows are analysed together, as one sheet with the union of columns.
    const auto c = file.find_column(m.column);
    set_column(m.name, c ? static_cast<long>(*c) : kEmptyColumn);
    metafor_to_data[m.name] = m.column;
  }
  set_column("study", kLabelColumn);
  // Check the label template once, even when no row matches.
  if (file.rows() > 0) (void)expand_label(o.label, file, 0, o.label_where);

  const auto needed = needed_columns(o);
  const auto measure_type = file.find_column("measure_type");
  StudyTable view(file.source(), names);
  for (std::size_t r = 0; r < file.rows(); ++r) {
    if (!selection.keeps(file, r)) continue;
    std::vector<std::string_view> cells;
    cells.reserve(names.size());
    const std::string label = expand_label(o.label, file, r, o.label_where);
    for (long from : source) {
      cells.push_back(from == kLabelColumn   ? std::string_view(label)
                      : from == kEmptyColumn ? std::string_view()
                                             : file.cell(r, static_cast<std::size_t>(from)));
    }
    // Every needed value present (for "a|b", one of them)?
    std::vector<std::string> missing;
    for (const auto& need : needed) {
      bool present = false;
      std::string shown;
      std::size_t start = 0;
      while (start <= need.size()) {
        const std::size_t bar = std::min(need.find('|', start), need.size());
        const std::string name = need.substr(start, bar - start);
        const auto it = std::find(names.begin(), names.end(), name);
        if (it != names.end() && !is_missing(cells[static_cast<std::size_t>(it - names.begin())])) {
          present = true;
        }
        if (shown.empty()) {
          const auto mapped = metafor_to_data.find(name);
          shown = mapped != metafor_to_data.end() ? mapped->second : name;
        }
        start = bar + 1;
      }
      if (!present) missing.push_back(shown);
    }
    if (!missing.empty()) {
      unusable.push_back({display, file.line(r), label, std::move(missing),
                          measure_type ? trim(file.cell(r, *measure_type)) : std::string()});
      continue;
    }
    view.add_row(cells, file.line(r));
  }
  return view;
}

double cell_number(const StudyTable& t, std::size_t row, std::string_view column) {
  const auto c = t.find_column(column);
  if (!c) return kNaN;
  const CellValue v = parse_number(t.cell(row, *c));
  return v.kind == CellKind::number ? v.value : kNaN;
}

double median(std::vector<double> v) {
  v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return !std::isfinite(x); }), v.end());
  if (v.empty()) return kNaN;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

std::string join(const std::vector<std::string>& v, std::string_view sep = ", ") {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i) out += sep;
    out += v[i];
  }
  return out;
}

// GRADE's appreciable relative change without an MCID (findings.cpp, Guyatt et al. 2011,
// GRADE 6): the trial sequential analysis asks for the same effect, so its information size
// stands beside the optimal information size as the same question with repeated looks.
constexpr double kSequentialRelativeChange = 0.25;

// The trial sequential analysis of a pooled outcome (review.hpp, OutcomeResult::sequential).
void run_outcome_sequential(OutcomeResult& res, const EffectData& merged,
                            std::optional<double> typical_sd) {
  const OutcomeSpec& o = res.spec;
  const Measure m = merged.measure;
  if (!sequential_binary_measure(m) && !sequential_continuous_measure(m)) {
    res.sequential_note = fmt::format(
        "A trial sequential analysis counts participants; it is not computed for measure {}.",
        measure_name(m));
    return;
  }
  SequentialSettings settings;
  settings.benefit = o.benefit;
  if (sequential_binary_measure(m)) {
    settings.rrr = kSequentialRelativeChange;
    if (res.findings && res.findings->absolute) {
      settings.control_risk = res.findings->absolute->control_risk;
    }
  } else {
    const double sd = m == Measure::SMD ? 1.0 : typical_sd.value_or(kNaN);
    if (!std::isfinite(sd)) {
      res.sequential_note =
          "The trial sequential analysis needs the outcome's SD, which the studies do not give.";
      return;
    }
    settings.sd = sd;
    settings.effect = o.mcid ? std::abs(*o.mcid) : 0.5 * sd;
  }
  // Accrual by year when every table has one (missing years last, ties in the data's order).
  std::vector<std::size_t> order(merged.k());
  std::vector<double> year(merged.k(), kNaN);
  bool has_year = !res.tables.empty();
  for (const auto& t : res.tables)
    has_year = has_year && t.find_column("year").has_value();
  for (std::size_t i = 0; i < merged.k(); ++i) {
    order[i] = i;
    if (has_year) {
      year[i] = cell_number(res.tables[res.study_refs[i].table], res.study_refs[i].row, "year");
    }
  }
  if (has_year) {
    settings.order = "year";
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      if (std::isnan(year[a]) || std::isnan(year[b]))
        return !std::isnan(year[a]) && std::isnan(year[b]);
      return year[a] < year[b];
    });
  }
  try {
    res.sequential = analyse_sequential(merged, o.analysis.fit, settings, order,
                                        typical_sd.value_or(kNaN), res.analysis->source);
  } catch (const InputError& e) {
    res.sequential_note =
        "The trial sequential analysis could not be computed: " +
        (e.problems().empty() ? std::string(e.what()) : e.problems().front().message) + ".";
  }
}

// A number of the outcome's measure as the report reads it: exp() of a log ratio.
std::string natural_text(Measure m, double x) {
  const auto bt = BackTransform::for_measure(m);
  return fmt::format("{:.3g}", bt && bt->is_exp() ? std::exp(x) : x);
}

// The multilevel model the outcome's manifest asks for (random, struct, rho, cluster, robust)
// fitted to the estimates of table `t`, its pooled view as the outcome's analysis, the estimates
// pooled as independent beside it, and a note saying which model was used and why.
void fit_outcome_multilevel(OutcomeResult& res, const EffectData& merged, std::size_t t) {
  const OutcomeSpec& o = res.spec;
  const StudyTable& table = res.tables[t];
  res.multilevel = analyse_multilevel(table, o.analysis, ModeratorSpec{});
  const MultilevelAnalysis& m = *res.multilevel;
  res.analysis = pooled_analysis(m);
  res.independent = analyse(merged, o.analysis.fit, res.analysis->source);
  // The model's estimates (rows with a missing grouping value are left out) by their line.
  std::map<std::size_t, std::size_t> row_of_line;
  for (std::size_t r = 0; r < table.rows(); ++r)
    row_of_line[table.line(r)] = r;
  res.study_refs.clear();
  for (const StudyResult& s : m.studies)
    res.study_refs.push_back({t, row_of_line.at(s.line)});

  // The variance components are in the heterogeneity line; a structure is named here.
  const std::string structure =
      m.structure ? fmt::format(" The levels of {} within each {} are correlated ({} structure).",
                                m.inner, m.structured_outer, structure_name(*m.structure))
                  : std::string();
  const std::string formulas = o.analysis.multilevel.formulas();
  const Analysis& ind = *res.independent;
  res.notes.push_back(fmt::format(
      "Model: a multilevel random-effects model (random = {}; {}), because the estimates are "
      "nested: {} estimates from {} levels of {}, {} of them with more than one, and estimates "
      "of one {} are not independent.{}{} Pooled as if every estimate were an independent "
      "study, the estimate would be {} ({:g}% CI {} to {}).",
      formulas, method_name(m.fit.method), m.fit.k, m.n_clusters, m.outer, m.clusters_with_several,
      m.outer, structure,
      m.rho ? fmt::format(" Sampling errors correlated {:g} within each {}.", *m.rho,
                          o.analysis.multilevel.cluster)
            : std::string(),
      natural_text(m.measure, ind.fit.estimate), ind.fit.level,
      natural_text(m.measure, ind.fit.ci_lb), natural_text(m.measure, ind.fit.ci_ub)));
}

// Estimates pooled as independent that share a study label (other than the rows of a multi-arm
// trial, whose shared control is handled) are named: treating them as independent is wrong when
// they share participants or a setting, and only the reviewers know whether they do.
void note_repeated_studies(OutcomeResult& res) {
  const std::vector<RepeatedStudy> repeated = repeated_studies(*res.analysis);
  if (repeated.empty()) return;
  res.notes.push_back(fmt::format(
      "More than one estimate from one study: {}. They are pooled as independent studies; if the "
      "estimates of a study share participants or a setting, name the clusters in the manifest "
      "(random = [\"~ 1 | study/estimate\"], with a column that numbers the estimates) for a "
      "multilevel model.",
      repeated_studies_text(repeated)));
}

void run_comparative(OutcomeResult& res) {
  const OutcomeSpec& o = res.spec;
  std::vector<EffectData> parts;
  std::vector<std::size_t> part_table;
  for (std::size_t t = 0; t < res.tables.size(); ++t) {
    if (res.tables[t].rows() == 0) continue;
    parts.push_back(compute_effects(res.tables[t], o.analysis.effect));
    part_table.push_back(t);
  }
  if (parts.empty()) {
    res.status = OutcomeStatus::no_data;
    return;
  }
  EffectData merged;
  merged.measure = o.analysis.effect.measure;
  std::vector<std::string> sources;
  for (std::size_t p = 0; p < parts.size(); ++p) {
    const StudyTable& table = res.tables[part_table[p]];
    sources.push_back(fs::path(table.source()).filename().string());
    std::map<std::size_t, std::size_t> row_of_line;
    for (std::size_t r = 0; r < table.rows(); ++r)
      row_of_line[table.line(r)] = r;
    const EffectData& d = parts[p];
    for (std::size_t i = 0; i < d.k(); ++i) {
      merged.append_study(d, i);
      res.study_refs.push_back({part_table[p], row_of_line.at(d.lines[i])});
    }
    merged.diagnostics.insert(merged.diagnostics.end(), d.diagnostics.begin(), d.diagnostics.end());
    if (d.multiarm) {
      if (!merged.multiarm)
        merged.multiarm = d.multiarm;
      else
        merged.multiarm->trials.insert(merged.multiarm->trials.end(), d.multiarm->trials.begin(),
                                       d.multiarm->trials.end());
    }
  }
  const bool multilevel = o.analysis.multilevel.active();
  if (multilevel) {
    if (parts.size() > 1) {
      throw InputError(o.location,
                       fmt::format("outcome '{}': a multilevel model (random) reads its estimates "
                                   "from one data file; {} files have rows for it",
                                   o.id, parts.size()));
    }
    fit_outcome_multilevel(res, merged, part_table.front());
  } else {
    res.analysis = analyse(merged, o.analysis.fit, join(sources, " + "));
    note_repeated_studies(res);
  }
  res.status = OutcomeStatus::pooled;

  // What the assessment needs from the data, per study in analysis order.
  const Analysis& a = *res.analysis;
  FindingsInput in;
  in.benefit = o.benefit;
  in.mcid = o.mcid;
  in.control_risk = o.control_risk;
  in.randomised = o.randomised;
  in.indirectness = o.indirectness;
  in.indirectness_reason = o.indirectness_reason;
  const InputShape shape = measure_shape(o.analysis.effect.measure);
  double participants = 0.0, events = 0.0;
  std::vector<double> sds;
  std::vector<std::string> double_zero, all_events;
  for (const auto& t : res.tables) {
    if (t.find_column(o.rob_column)) in.has_risk_of_bias = true;
  }
  for (std::size_t i = 0; i < res.study_refs.size(); ++i) {
    const StudyTable& t = res.tables[res.study_refs[i].table];
    const std::size_t r = res.study_refs[i].row;
    if (shape == InputShape::two_by_two) {
      const double ai = cell_number(t, r, "ai"), ci = cell_number(t, r, "ci");
      double n1 = cell_number(t, r, "n1i"), n2 = cell_number(t, r, "n2i");
      if (std::isnan(n1)) n1 = ai + cell_number(t, r, "bi");
      if (std::isnan(n2)) n2 = ci + cell_number(t, r, "di");
      participants += n1 + n2;
      events += ai + ci;
      in.control_risks.push_back(ci / n2);
      in.control_totals.push_back(n2);
      if (ai == 0 && ci == 0) double_zero.push_back(a.studies[i].study);
      if (ai == n1 && ci == n2) {
        all_events.push_back(
            fmt::format("{}, {:.0f}% of the weight", a.studies[i].study, a.studies[i].weight));
      }
    } else if (shape == InputShape::two_group_means) {
      // The study's own total: for arms combined against a shared control (multiarm.hpp), the
      // row holds one arm only.
      if (!multilevel) participants += merged.ni[i];
      // A group reported as a median with quartiles or range has the SD the effect size used
      // (estimate_mean_sd), so the optimal information size still has a typical SD.
      for (const char* group : {"1", "2"}) {
        const std::string g(group);
        double sd = cell_number(t, r, "sd" + g + "i");
        if (std::isnan(sd)) {
          FiveNumberSummary five;
          five.min = cell_number(t, r, "min" + g + "i");
          five.q1 = cell_number(t, r, "q1_" + g + "i");
          five.median = cell_number(t, r, "median" + g + "i");
          five.q3 = cell_number(t, r, "q3_" + g + "i");
          five.max = cell_number(t, r, "max" + g + "i");
          five.n = cell_number(t, r, "n" + g + "i");
          if (const auto est = estimate_mean_sd(five); est && !est->skewed) sd = est->sd;
        }
        sds.push_back(sd);
      }
    } else if (shape == InputShape::proportion || shape == InputShape::correlation) {
      participants += cell_number(t, r, "ni");
    } else {
      participants = kNaN;
    }
    std::optional<RiskOfBias> rob;
    if (const auto c = t.find_column(o.rob_column)) {
      const std::string text = trim(t.cell(r, *c));
      if (!is_missing(text)) {
        rob = parse_risk_of_bias(text);
        if (!rob) {
          throw InputError(t.where(r, *c),
                           fmt::format("'{}' is not a risk-of-bias judgement (column '{}': low, "
                                       "some concerns or high)",
                                       text, o.rob_column));
        }
      }
    }
    in.risk_of_bias.push_back(rob);
  }
  // Estimates nested in a study may share its participants (outcomes, time points) or not
  // (samples): their sum is not the number of participants, and the information size is judged
  // from the confidence interval alone.
  in.participants = multilevel ? kNaN : participants;
  in.events = shape == InputShape::two_by_two && !multilevel ? events : kNaN;
  if (shape == InputShape::two_group_means) {
    const double sd = median(sds);
    if (std::isfinite(sd)) in.typical_sd = sd;
  }
  res.findings = assess(a, in);
  if (multilevel) {
    res.sequential_note =
        "A trial sequential analysis accrues independent trials; it is not computed for a "
        "multilevel model, whose estimates are nested in studies.";
  } else {
    run_outcome_sequential(res, merged, in.typical_sd);
  }

  const bool counts_method = works_on_counts(o.analysis.fit.method);
  if (!all_events.empty() && o.analysis.effect.measure == Measure::RR && !counts_method) {
    res.notes.push_back(fmt::format(
        "Every participant in both arms had an event ({}): after the 1/2 correction its log risk "
        "ratio has a very small variance, so inverse-variance pooling gives it a large weight; "
        "Mantel-Haenszel weights, which depend on the group sizes, would not.",
        join(all_events)));
  }
  if (!double_zero.empty()) {
    res.notes.push_back(fmt::format(
        "No events in either arm ({} {}): such a study cannot tell which arm has the higher "
        "risk; it is shown, and {}.",
        double_zero.size() == 1 ? "study:" : "studies:", join(double_zero),
        counts_method ? "it contributes nothing to the pooled estimate" : "its weight is small"));
  }
}

void run_single_arm(OutcomeResult& res) {
  const bool events = std::any_of(res.spec.columns.begin(), res.spec.columns.end(),
                                  [](const ColumnMapping& m) { return m.name == "xi"; });
  const double level = res.spec.analysis.fit.level;
  for (std::size_t t = 0; t < res.tables.size(); ++t) {
    const StudyTable& table = res.tables[t];
    for (std::size_t r = 0; r < table.rows(); ++r) {
      SeriesResult s;
      s.study = table.cell(r, *table.find_column("study"));
      s.ref = {t, r};
      auto value = [&](std::string_view col) {
        const auto c = table.find_column(col);
        if (!c) return kNaN;
        const CellValue v = parse_number(table.cell(r, *c));
        if (v.kind == CellKind::not_number) {
          throw InputError(table.where(r, *c),
                           fmt::format("'{}' is not a number (column '{}')", table.cell(r, *c),
                                       table.column_names()[*c]));
        }
        return v.kind == CellKind::number ? v.value : kNaN;
      };
      s.events = s.total = s.proportion = s.ci_lb = s.ci_ub = kNaN;
      s.mean = s.sd = s.n = s.mean_before = s.sd_before = s.n_before = kNaN;
      if (events) {
        s.events = value("xi");
        s.total = value("ni");
        if (!(s.total > 0) || s.events < 0 || s.events > s.total) {
          throw InputError(
              table.where(r, *table.find_column("xi")),
              fmt::format("{} events in {} participants is not a proportion", s.events, s.total));
        }
        s.proportion = s.events / s.total;
        std::tie(s.ci_lb, s.ci_ub) = stats::clopper_pearson(s.events, s.total, level);
      } else {
        s.mean = value("m1i");
        s.sd = value("sd1i");
        s.n = value("n1i");
        s.mean_before = value("m2i");
        s.sd_before = value("sd2i");
        s.n_before = value("n2i");
      }
      res.series.push_back(std::move(s));
    }
  }
  res.status = res.series.empty() ? OutcomeStatus::no_data : OutcomeStatus::described;
}

// ---- published results -------------------------------------------------------------------------

const std::map<std::string, std::string>& default_published_columns() {
  static const std::map<std::string, std::string> columns{{"estimate", "estimate"},
                                                          {"ci_lb", "ci_low"},
                                                          {"ci_ub", "ci_high"},
                                                          {"outcome", "outcome"},
                                                          {"timepoint", "timepoint_months"},
                                                          {"measure", "effect_measure"},
                                                          {"k", "k"},
                                                          {"n", "n_participants"},
                                                          {"notes", "notes"},
                                                          {"source_url", "source_url"},
                                                          {"source_location", "source_location"},
                                                          {"model", "model"}};
  return columns;
}

bool is_difference_measure(std::string_view m) {
  return m.find("MD") != std::string_view::npos || m.find("difference") != std::string_view::npos;
}

PublishedResult run_published(const PublishedSpec& spec, Files& files, const Manifest& m,
                              const ReviewOptions& options) {
  PublishedResult res;
  res.file = spec.data;
  (void)files.resolve(spec.data, spec.location, "published.data");
  const StudyTable& t = files.get(spec.data);
  auto column = [&](const std::string& role) -> std::optional<std::size_t> {
    const auto it = spec.columns.find(role);
    const std::string name =
        it != spec.columns.end() ? it->second : default_published_columns().at(role);
    const auto c = t.find_column(name);
    if (!c && it != spec.columns.end()) {
      throw InputError(spec.location, fmt::format("published.columns.{}: the data file {} has no "
                                                  "column '{}'",
                                                  role, t.source(), name));
    }
    return c;
  };
  std::map<std::string, std::optional<std::size_t>> cols;
  for (const auto& [role, name] : default_published_columns())
    cols[role] = column(role);
  auto text = [&](std::size_t r, const std::string& role) {
    return cols[role] ? trim(t.cell(r, *cols[role])) : std::string();
  };
  auto number = [](const std::string& s) {
    const CellValue v = parse_number(s);
    return v.kind == CellKind::number ? v.value : kNaN;
  };
  std::set<std::string> papers;
  for (std::size_t r = 0; r < t.rows(); ++r) {
    PublishedRow row;
    row.line = t.line(r);
    row.label = expand_label(spec.label, t, r, spec.location);
    papers.insert(row.label);
    row.outcome = text(r, "outcome");
    row.timepoint = text(r, "timepoint");
    row.measure = text(r, "measure");
    row.model = text(r, "model");
    row.k = text(r, "k");
    row.n = text(r, "n");
    row.notes = text(r, "notes");
    row.source_url = text(r, "source_url");
    row.source_location = text(r, "source_location");
    row.estimate_text = text(r, "estimate");
    const std::string lb = text(r, "ci_lb"), ub = text(r, "ci_ub");
    row.ci_text = lb.empty() && ub.empty() ? "" : fmt::format("{} to {}", lb, ub);
    row.estimate = number(row.estimate_text);
    row.ci_lb = number(lb);
    row.ci_ub = number(ub);
    // Checks on the printed numbers themselves.
    const bool complete =
        std::isfinite(row.estimate) && std::isfinite(row.ci_lb) && std::isfinite(row.ci_ub);
    if (complete && (row.estimate < row.ci_lb || row.estimate > row.ci_ub)) {
      row.flags.push_back(
          "the printed interval does not contain the estimate (a minus sign may "
          "be missing in the source)");
    } else if (complete && is_difference_measure(row.measure)) {
      // A difference's interval is symmetric about the estimate up to rounding; a ratio's is
      // symmetric only on the log scale.
      const double up = row.ci_ub - row.estimate, down = row.estimate - row.ci_lb;
      if (std::fabs(up - down) > 0.2 * (row.ci_ub - row.ci_lb) + 0.02) {
        row.flags.push_back(
            "the interval is asymmetric around the estimate, which a "
            "difference's interval is not: these may be ratios mislabelled");
      }
    }
    res.rows.push_back(std::move(row));
  }
  res.papers = papers.size();
  for (const auto& panel : spec.panels) {
    PublishedPanelResult pr;
    pr.spec = panel;
    if (!pr.spec.mcid) {
      if (auto it = options.mcid.find(panel.id); it != options.mcid.end()) {
        pr.spec.mcid = it->second;
      } else if (auto all = options.mcid.find(""); all != options.mcid.end()) {
        pr.spec.mcid = all->second;
      }
      if (pr.spec.mcid) pr.spec.mcid_source = "given on the command line (--mcid)";
    } else if (auto it = options.mcid.find(panel.id); it != options.mcid.end()) {
      pr.spec.mcid = it->second;
      pr.spec.mcid_source = "given on the command line (--mcid)";
    }
    const Selection selection(t, panel.where, panel.exclude);
    for (std::size_t r = 0; r < t.rows(); ++r) {
      if (selection.keeps(t, r)) pr.rows.push_back(res.rows[r]);
    }
    res.panels.push_back(std::move(pr));
  }
  (void)m;
  return res;
}

}  // namespace

Review run_review(const Manifest& manifest, const ReviewOptions& options) {
  Review review;
  review.manifest = manifest;
  // The earlier run's result file first: a wrong file fails before any work.
  std::optional<ReviewSnapshot> before;
  if (!options.since.empty()) before = read_review_result(options.since);
  Files files(manifest.dir, options.allow_outside);
  const std::size_t total = manifest.outcomes.size() + (manifest.published ? 1 : 0);
  std::size_t done = 0;
  for (const auto& spec : manifest.outcomes) {
    if (options.progress) options.progress(done, total, spec.name);
    OutcomeResult res;
    res.spec = spec;
    // An MCID from the command line: by id, or for every outcome without one.
    if (auto it = options.mcid.find(spec.id); it != options.mcid.end()) {
      res.spec.mcid = it->second;
      res.spec.mcid_source = "given on the command line (--mcid)";
    } else if (auto all = options.mcid.find(""); all != options.mcid.end() && !spec.mcid) {
      res.spec.mcid = all->second;
      res.spec.mcid_source = "given on the command line (--mcid)";
    }
    if (!spec.analysis.multilevel.V.empty()) {
      // V's rows are positions in the analysed file, and an outcome analyses the rows its
      // filters keep: positions that would silently point at other rows.
      throw InputError(spec.location,
                       fmt::format("outcome '{}': a sampling covariance file (V) is not read in a "
                                   "review; give rho and cluster, or use evident fit --V",
                                   spec.id));
    }
    // Where each data file is, before anything is read from it.
    std::vector<std::string> resolved;
    for (const auto& name : spec.data)
      resolved.push_back(files.resolve(name, spec.location, "outcome '" + spec.id + "' data"));
    // Every mapped column must be in at least one of the outcome's data files (a typo is an
    // error, not an empty column).
    for (const auto& m : spec.columns) {
      const bool found = std::any_of(spec.data.begin(), spec.data.end(), [&](const auto& name) {
        return files.get(name).find_column(m.column).has_value();
      });
      if (!found) (void)column_or_throw(files.get(spec.data.front()), m.column, m.key, m.where);
    }
    for (const auto& name : spec.data) {
      const StudyTable& file = files.get(name);
      res.tables.push_back(make_view(file, name, res.spec, res.unusable));
    }
    check_no_duplicate_data(spec, resolved, res.tables);
    if (spec.design == OutcomeDesign::single_arm) {
      run_single_arm(res);
    } else {
      run_comparative(res);
    }
    review.outcomes.push_back(std::move(res));
    ++done;
  }
  if (manifest.published) {
    if (options.progress) options.progress(done, total, "published results");
    review.published = run_published(*manifest.published, files, manifest, options);
    ++done;
  }
  if (!options.since.empty()) {
    ReviewChanges changes;
    changes.previous = options.since;
    changes.previous_version = before->evident_version;
    changes.outcomes = compare_reviews(*before, snapshot(review));
    review.changes = std::move(changes);
  }
  if (options.progress) options.progress(done, total, "");
  return review;
}

}  // namespace evident
