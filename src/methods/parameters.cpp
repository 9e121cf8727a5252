#include "evident/methods/parameters.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <limits>
#include <string>

#include "evident/io/table.hpp"
#include "evident/methods/multilevel.hpp"

namespace evident {

namespace {

constexpr std::string_view kRefOpen = "${";

// ---- conversion of one value per type -----------------------------------------------------

std::optional<double> number_from_text(std::string_view text) {
  const CellValue v = parse_number(text);
  if (v.kind != CellKind::number) return std::nullopt;
  return v.value;
}

std::optional<std::uint64_t> count_from_text(std::string_view text) {
  text = trim_spaces(text);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  std::uint64_t value = 0;
  const char* end = text.data() + text.size();
  const auto r = std::from_chars(text.data(), end, value);
  if (text.empty() || r.ec != std::errc{} || r.ptr != end) return std::nullopt;
  return value;
}

std::string not_a_number(std::string_view text) {
  return fmt::format("expected a number, not '{}'", text);
}
std::string not_a_count(std::string_view text) {
  return fmt::format("expected a whole number (0 or more), not '{}'", text);
}

// The items of one text of a list: split at the delimiter, if the parameter has one.
std::vector<std::string> split_items(const ParamInfo& info, std::string_view text) {
  std::vector<std::string> items;
  if (info.delimiter == 0) {
    items.emplace_back(text);
    return items;
  }
  std::size_t start = 0;
  while (true) {
    const std::size_t at = text.find(info.delimiter, start);
    items.emplace_back(text.substr(start, at == std::string_view::npos ? at : at - start));
    if (at == std::string_view::npos) break;
    start = at + 1;
  }
  return items;
}

// The checks every parameter has beyond its type: its closed list of values, then its own check.
std::optional<std::string> check_value(const ParamInfo& info, const ParamValue& value) {
  if (info.match == ChoiceMatch::exact) {
    const std::string& text = std::get<std::string>(value);
    bool known = false;
    for (const std::string& c : info.choices)
      known = known || c == text;
    // Worded as the command line has always worded it (CLI11's IsMember).
    if (!known) return fmt::format("{} not in {{{}}}", text, fmt::join(info.choices, ","));
  }
  if (info.check) return info.check(value);
  return std::nullopt;
}

}  // namespace

std::string param_ref(std::string_view name) {
  return fmt::format("${{{}}}", name);
}

std::string spell_params(std::string_view text,
                         const std::function<std::string(std::string_view)>& spell) {
  std::string out;
  std::size_t start = 0;
  while (true) {
    const std::size_t open = text.find(kRefOpen, start);
    const std::size_t close =
        open == std::string_view::npos ? open : text.find('}', open + kRefOpen.size());
    if (close == std::string_view::npos) {
      out.append(text.substr(start));
      return out;
    }
    out.append(text.substr(start, open - start));
    out += spell(text.substr(open + kRefOpen.size(), close - open - kRefOpen.size()));
    start = close + 1;
  }
}

std::optional<std::string> value_from_text(const ParamInfo& info, std::string_view text,
                                           ParamValue& out) {
  switch (info.type) {
    case ParamType::text:
      out = std::string(text);
      break;
    case ParamType::number: {
      const auto v = number_from_text(text);
      if (!v) return not_a_number(text);
      out = *v;
      break;
    }
    case ParamType::count: {
      const auto v = count_from_text(text);
      if (!v) return not_a_count(text);
      out = *v;
      break;
    }
    case ParamType::boolean:
    case ParamType::flag:
      if (text != "true" && text != "false") return fmt::format("{} not in {{true,false}}", text);
      out = text == "true";
      break;
    // A list's word holds one item, or several at the delimiter; empty items are kept, so that
    // the check or the analysis can say so (`--mods a,,b` is an empty term, not `a,b`).
    case ParamType::text_list:
      out = split_items(info, text);
      break;
    case ParamType::number_list: {
      std::vector<double> numbers;
      for (const std::string& item : split_items(info, text)) {
        const auto v = number_from_text(item);
        if (!v) return not_a_number(item);
        numbers.push_back(*v);
      }
      out = std::move(numbers);
      break;
    }
  }
  return check_value(info, out);
}

std::optional<std::string> value_from_typed(const ParamInfo& info, const ParamValue& in,
                                            ParamValue& out) {
  // A number of a typed front end, whatever its C++ type; nullopt for anything else.
  auto as_number = [](const ParamValue& v) -> std::optional<double> {
    if (const auto* d = std::get_if<double>(&v)) return *d;
    if (const auto* i = std::get_if<std::int64_t>(&v)) return static_cast<double>(*i);
    if (const auto* u = std::get_if<std::uint64_t>(&v)) return static_cast<double>(*u);
    return std::nullopt;
  };
  switch (info.type) {
    case ParamType::text:
      if (!std::holds_alternative<std::string>(in)) return "expected text";
      out = in;
      break;
    case ParamType::number: {
      const auto v = as_number(in);
      if (!v) return "expected a number";
      if (!std::isfinite(*v)) return "expected a finite number";
      out = *v;
      break;
    }
    case ParamType::count:
      if (const auto* i = std::get_if<std::int64_t>(&in); i && *i >= 0) {
        out = static_cast<std::uint64_t>(*i);
      } else if (const auto* u = std::get_if<std::uint64_t>(&in)) {
        out = *u;
      } else {
        return "expected a whole number (0 or more)";
      }
      break;
    case ParamType::boolean:
    case ParamType::flag:
      if (!std::holds_alternative<bool>(in)) return "expected true or false";
      out = in;
      break;
    case ParamType::text_list:
      if (const auto* s = std::get_if<std::string>(&in)) {
        out = split_items(info, *s);
      } else if (std::holds_alternative<std::vector<std::string>>(in)) {
        out = in;
      } else {
        return "expected text, or a list of texts";
      }
      break;
    case ParamType::number_list:
      if (const auto v = as_number(in)) {
        out = std::vector<double>{*v};
      } else if (std::holds_alternative<std::vector<double>>(in)) {
        out = in;
      } else {
        return "expected a number, or a list of numbers";
      }
      for (double x : std::get<std::vector<double>>(out)) {
        if (!std::isfinite(x)) return "expected finite numbers";
      }
      break;
  }
  return check_value(info, out);
}

std::string value_text(const ParamValue& value) {
  struct Text {
    std::string operator()(bool b) const { return b ? "true" : "false"; }
    std::string operator()(std::int64_t i) const { return fmt::format("{}", i); }
    std::string operator()(std::uint64_t u) const { return fmt::format("{}", u); }
    std::string operator()(double d) const { return fmt::format("{}", d); }
    std::string operator()(const std::string& s) const { return s; }
    std::string operator()(const std::vector<std::string>& v) const {
      return fmt::format("{}", fmt::join(v, ","));
    }
    std::string operator()(const std::vector<double>& v) const {
      return fmt::format("{}", fmt::join(v, ","));
    }
  };
  return std::visit(Text{}, value);
}

// ---- the analysis -----------------------------------------------------------------------------

namespace {

// Every method, in the order the help lists them (the model layer has no such list).
constexpr Method kMethods[] = {Method::FE, Method::DL, Method::HE,   Method::HS,
                               Method::SJ, Method::ML, Method::REML, Method::EB,
                               Method::PM, Method::MH, Method::PETO, Method::BAYES};

std::string measure_help() {
  std::string text =
      "Effect-size measure (metafor's codes). Default: none, columns yi and vi (or sei) are "
      "used as given.";
  for (Measure m : all_measures()) {
    if (m == Measure::GEN) continue;
    text += fmt::format("\n  {:<5} {}", measure_name(m), measure_description(m));
  }
  return text;
}

// A parameter naming one of a closed set of values that `parse` knows (case-insensitive, with
// aliases), e.g. --method: "unknown method 'XYZ'" otherwise.
template <class Target, class T, class Field>
Param<Target> named_param(std::string name, std::string help, std::vector<std::string> names,
                          std::optional<T> (*parse)(std::string_view) noexcept,
                          std::string_view (*name_of)(T), Field field) {
  Param<Target> p;
  p.name = name;
  p.type = ParamType::text;
  p.help = std::move(help);
  p.match = ChoiceMatch::named;
  p.choices = std::move(names);
  p.check = [parse, name](const ParamValue& v) -> std::optional<std::string> {
    const std::string& text = std::get<std::string>(v);
    if (parse(text)) return std::nullopt;
    return fmt::format("unknown {} '{}'", name, text);
  };
  p.set = [parse, field](Target& t, const ParamValue& v) {
    field(t) = *parse(std::get<std::string>(v));
  };
  p.get = [name_of, field](const Target& t) -> std::optional<ParamValue> {
    return ParamValue(std::string(name_of(field(t))));
  };
  return p;
}

template <class Target>
Param<Target> with_default_note(std::string note, Param<Target> p) {
  p.default_note = std::move(note);
  return p;
}

ParameterTable<AnalysisSpec> make_analysis_parameters() {
  ParameterTable<AnalysisSpec> t;
  std::vector<std::string> measures;
  for (Measure m : all_measures())
    measures.emplace_back(measure_name(m));
  Param<AnalysisSpec> measure = named_param<AnalysisSpec>(
      "measure", measure_help(), measures, parse_measure, measure_name,
      [](auto& s) -> auto& { return s.effect.measure; });
  measure.get = nullptr;  // no measure: the effect sizes are given (yi, vi)
  measure.default_note = "none: columns yi and vi (or sei) as given";
  t.params.push_back(std::move(measure));

  std::vector<std::string> methods;
  for (Method m : kMethods)
    methods.emplace_back(method_name(m));
  t.params.push_back(named_param<AnalysisSpec>(
      "method",
      "tau^2 estimator: FE (alias EE, CE), DL, HE, HS, SJ, ML, REML, EB, PM; or MH "
      "(Mantel-Haenszel, for OR, RR, RD, IRR, IRD) or PETO (Peto's odds ratio), which pool the "
      "2x2 tables or counts themselves; or BAYES (the Bayesian random-effects model with the "
      "priors " +
          param_ref("prior_tau") + " and " + param_ref("prior_mu") + ", computed exactly)",
      methods, parse_method, method_name, [](auto& s) -> auto& { return s.fit.method; }));

  t.params.push_back(named_param<AnalysisSpec>(
      "test",
      "Test and intervals for the pooled effect: z, or knha (Hartung-Knapp-Sidik-Jonkman, t with "
      "k - 1 df), or for a multilevel model (" +
          param_ref("random") + ") t (t and F tests with k - p df, as metafor's rma.mv)",
      {std::string(test_name(Test::z)), std::string(test_name(Test::knha)),
       std::string(test_name(Test::t))},
      parse_test, test_name, [](auto& s) -> auto& { return s.fit.test; }));

  Param<AnalysisSpec> level = field_param<AnalysisSpec>(
      "level", ParamType::number, "Confidence level in percent",
      [](auto& s) -> auto& { return s.fit.level; });
  level.check_note = "in (0, 100)";
  // The fit's own check, so the range is written once.
  level.check = [](const ParamValue& v) {
    FitOptions options;
    options.level = std::get<double>(v);
    return options.validate();
  };
  t.params.push_back(std::move(level));

  // The priors of --method BAYES, written as TauPrior::text and MuPrior::text read them.
  Param<AnalysisSpec> prior_tau;
  prior_tau.name = "prior_tau";
  prior_tau.type = ParamType::text;
  prior_tau.help =
      "BAYES: prior on tau, halfnormal:S, halfcauchy:S (S the scale), uniform:A,B or jeffreys "
      "(default halfnormal:0.5, weakly informative for log odds ratios: Friede et al. 2017, "
      "Röver et al. 2021)";
  prior_tau.check_note = "halfnormal:S|halfcauchy:S|uniform:A,B|jeffreys";
  prior_tau.check = [](const ParamValue& v) -> std::optional<std::string> {
    std::string problem;
    if (TauPrior::parse(std::get<std::string>(v), problem)) return std::nullopt;
    return problem;
  };
  prior_tau.set = [](AnalysisSpec& s, const ParamValue& v) {
    std::string problem;
    s.fit.prior_tau = *TauPrior::parse(std::get<std::string>(v), problem);
  };
  prior_tau.get = [](const AnalysisSpec& s) -> std::optional<ParamValue> {
    return ParamValue(s.fit.prior_tau.text());
  };
  t.params.push_back(std::move(prior_tau));

  Param<AnalysisSpec> prior_mu;
  prior_mu.name = "prior_mu";
  prior_mu.type = ParamType::text;
  prior_mu.help = "BAYES: prior on mu, flat or normal:M,S (mean M, standard deviation S)";
  prior_mu.check_note = "flat|normal:M,S";
  prior_mu.check = [](const ParamValue& v) -> std::optional<std::string> {
    std::string problem;
    if (MuPrior::parse(std::get<std::string>(v), problem)) return std::nullopt;
    return problem;
  };
  prior_mu.set = [](AnalysisSpec& s, const ParamValue& v) {
    std::string problem;
    s.fit.prior_mu = *MuPrior::parse(std::get<std::string>(v), problem);
  };
  prior_mu.get = [](const AnalysisSpec& s) -> std::optional<ParamValue> {
    return ParamValue(s.fit.prior_mu.text());
  };
  t.params.push_back(std::move(prior_mu));

  Param<AnalysisSpec> add = field_param<AnalysisSpec>(
      "add", ParamType::number,
      "Added to the cells of 2x2 tables and proportions with a zero count (default 1/2; 0 for "
      "PAS and PFT)",
      [](auto& s) -> auto& { return s.effect.add; });
  add.get = nullptr;  // depends on the measure: resolve_analysis
  add.default_note = "from the measure: 1/2, or 0 for PAS, PFT, IRSD, IRS and IRFT";
  add.check = [](const ParamValue& v) -> std::optional<std::string> {
    if (std::get<double>(v) >= 0.0) return std::nullopt;
    return "the zero-cell correction " + param_ref("add") + " must be 0 or positive";
  };
  t.params.push_back(std::move(add));

  t.params.push_back(choice_param<AnalysisSpec>(
      "to",
      "Which studies get " + param_ref("add") +
          ": only0 (those with a zero cell), all, if0all (all, if any has a zero), none",
      std::vector<ZeroCellRule>(std::begin(kZeroCellRules), std::end(kZeroCellRules)),
      zero_cell_rule_name, [](auto& s) -> auto& { return s.effect.to; }));

  Param<AnalysisSpec> drop00 = field_param<AnalysisSpec>(
      "drop00", ParamType::boolean,
      "true: tables with no events in either group (or only events) get no effect size "
      "(escalc's drop00). Default: true for " +
          param_ref("method") + " MH and PETO, false otherwise",
      [](auto& s) -> auto& { return s.effect.drop00; });
  drop00.get = nullptr;  // depends on the method: resolve_analysis
  drop00.default_note = "true for MH and PETO, false otherwise";
  t.params.push_back(std::move(drop00));

  t.params.push_back(choice_param<AnalysisSpec>(
      "multiarm",
      "Rows of one trial sharing a control arm (same 'trial' id, or same study label and control "
      "data): combine (experimental arms into one, Cochrane Handbook 6.5.2.10), split (the "
      "control shared out between the comparisons), or auto (combine, and say so)",
      std::vector<MultiArm>(std::begin(kMultiArms), std::end(kMultiArms)), multiarm_name,
      [](auto& s) -> auto& { return s.effect.multiarm; }));

  t.params.push_back(choice_param<AnalysisSpec>(
      "transf",
      "Generic input: log when yi, ci_lb and ci_ub are ratios (OR, RR, HR) to be analysed on the "
      "log scale (metafor's conv.wald transf)",
      std::vector<EstimateTransform>(std::begin(kEstimateTransforms),
                                     std::end(kEstimateTransforms)),
      estimate_transform_name, [](auto& s) -> auto& { return s.effect.transf; }));

  // Multilevel models (metafor's rma.mv): the random-effects formulas and sampling covariances.
  Param<AnalysisSpec> random = field_param<AnalysisSpec>(
      "random", ParamType::text_list,
      "Multilevel model: random effects as metafor's formulas, '~ 1 | outer/inner' (outer, and "
      "inner within outer), or '~ inner | outer' (correlated effects of inner's levels within "
      "outer, see " +
          param_ref("struct") +
          "); repeat for further components (crossed or "
          "nested), in order. Fitted by REML or ML (default: none, the univariate model)",
      [](auto& s) -> auto& { return s.multilevel.random; });
  random.greedy = false;
  random.default_note = "none: the univariate model";
  random.check_note = "'~ 1 | a/b' or '~ inner | outer'";
  random.check = [](const ParamValue& v) -> std::optional<std::string> {
    for (const std::string& text : std::get<std::vector<std::string>>(v)) {
      try {
        (void)parse_random_formula(text, "random");
      } catch (const InputError& e) {
        return e.problems().front().message;
      }
    }
    return std::nullopt;
  };
  t.params.push_back(std::move(random));
  t.params.push_back(choice_param<AnalysisSpec>(
      "struct",
      "Multilevel model: the covariance of a correlated random effect '~ inner | outer' "
      "(metafor's struct): CS (one tau2, one rho), HCS (a tau2 per inner level, one rho), UN (a "
      "tau2 per level, a rho per pair), ID (one tau2, uncorrelated), DIAG (a tau2 per level, "
      "uncorrelated), AR (one tau2, rho^|lag| between the sorted levels, as times), HAR (AR with "
      "a tau2 per level)",
      std::vector<Structure>{Structure::CS, Structure::HCS, Structure::UN, Structure::ID,
                             Structure::DIAG, Structure::AR, Structure::HAR},
      structure_name, [](auto& s) -> auto& { return s.multilevel.structure; }));

  Param<AnalysisSpec> rho = field_param<AnalysisSpec>(
      "rho", ParamType::number,
      "Multilevel model: the correlation of the sampling errors of estimates in one " +
          param_ref("cluster") + " (metafor's vcalc with one rho) (default: none, V diagonal)",
      [](auto& s) -> auto& { return s.multilevel.rho; });
  rho.check_note = "in (-1, 1)";
  rho.default_note = "none: V diagonal";
  rho.check = [](const ParamValue& v) -> std::optional<std::string> {
    const double r = std::get<double>(v);
    if (r > -1.0 && r < 1.0) return std::nullopt;
    return fmt::format("a correlation must lie strictly between -1 and 1, not {}", r);
  };
  t.params.push_back(std::move(rho));
  t.params.push_back(with_default_note(
      "none", field_param<AnalysisSpec>(
                  "cluster", ParamType::text,
                  "Multilevel model: the column whose estimates have correlated sampling errors (" +
                      param_ref("rho") + ") (default: none)",
                  [](auto& s) -> auto& { return s.multilevel.cluster; })));
  t.params.push_back(with_default_note(
      "every row its own observation",
      field_param<AnalysisSpec>(
          "obs", ParamType::text,
          "Multilevel model: the column telling the observations of a cluster apart (rows with the "
          "same value are the same observation, correlated 1) (default: every row its own)",
          [](auto& s) -> auto& { return s.multilevel.obs; })));
  Param<AnalysisSpec> v_file = field_param<AnalysisSpec>(
      "V", ParamType::text,
      "Multilevel model: the sampling covariance matrix from a CSV file with columns row, col, "
      "value (1-based data rows of FILE, either triangle; a pair absent is 0, a diagonal entry "
      "replaces vi) (default: none)",
      [](auto& s) -> auto& { return s.multilevel.V; });
  v_file.check_note = "FILE";
  v_file.default_note = "none";
  t.params.push_back(std::move(v_file));
  t.params.push_back(with_default_note(
      "none",
      field_param<AnalysisSpec>(
          "robust", ParamType::text,
          "Multilevel model: cluster-robust standard errors and t tests clustered by this column "
          "(metafor's robust(); the correction: " +
              param_ref("small_sample") + ") (default: none)",
          [](auto& s) -> auto& { return s.multilevel.robust; })));
  t.params.push_back(field_param<AnalysisSpec>(
      "profile", ParamType::boolean,
      "Multilevel model: profile-likelihood intervals of the variance components (metafor's "
      "confint; each costs a few dozen refits: false for speed on very large data)",
      [](auto& s) -> auto& { return s.multilevel.profile; }));
  t.params.push_back(choice_param<AnalysisSpec>(
      "small_sample",
      "Multilevel model, " + param_ref("robust") +
          ": CR1 (the sandwich times n / (n - p), t with n - p df, as metafor's robust()) or "
          "CR2 (bias-reduced, Satterthwaite df, as robust(..., clubSandwich = TRUE))",
      std::vector<SmallSample>{SmallSample::CR1, SmallSample::CR2}, small_sample_name,
      [](auto& s) -> auto& { return s.multilevel.small_sample; }));

  t.finish = resolve_analysis;
  return t;
}

}  // namespace

const ParameterTable<AnalysisSpec>& analysis_parameters() {
  static const ParameterTable<AnalysisSpec> table = make_analysis_parameters();
  return table;
}

std::optional<ParamProblem> resolve_analysis(AnalysisSpec& spec, const GivenParams& given) {
  if (spec.effect.transf == EstimateTransform::log && spec.effect.measure != Measure::GEN) {
    return ParamProblem{
        "transf",
        fmt::format("{} applies to effect sizes given directly (yi with a "
                    "confidence interval or p-value), not to {} {}",
                    param_ref("transf"), param_ref("measure"), measure_name(spec.effect.measure))};
  }
  if (spec.fit.method == Method::BAYES && spec.fit.test == Test::knha) {
    return ParamProblem{"test", fmt::format("{} BAYES gives posterior intervals; {} knha applies "
                                            "to the frequentist estimators",
                                            param_ref("method"), param_ref("test"))};
  }
  if (spec.fit.test == Test::t && !spec.multilevel.active()) {
    return ParamProblem{"test", fmt::format("{} t is the test of multilevel models ({}); for "
                                            "this model use z or knha",
                                            param_ref("test"), param_ref("random"))};
  }
  if (given.contains("small_sample") && spec.multilevel.robust.empty()) {
    return ParamProblem{"small_sample",
                        fmt::format("{} chooses the correction of {}, which is "
                                    "not given",
                                    param_ref("small_sample"), param_ref("robust"))};
  }
  for (const char* ml : {"rho", "cluster", "obs", "V", "robust", "profile", "struct"}) {
    if (given.contains(ml) && !spec.multilevel.active()) {
      return ParamProblem{ml, fmt::format("{} belongs to a multilevel model, which {} asks for",
                                          param_ref(ml), param_ref("random"))};
    }
  }
  if (spec.multilevel.active() && spec.fit.method != Method::REML &&
      spec.fit.method != Method::ML) {
    return ParamProblem{"random", fmt::format("a multilevel model ({}) is fitted by {} REML or "
                                              "ML, not {}",
                                              param_ref("random"), param_ref("method"),
                                              method_name(spec.fit.method))};
  }
  if (spec.multilevel.active() && spec.fit.test == Test::knha) {
    return ParamProblem{"test", fmt::format("a multilevel model ({}) takes {} z or t, not knha",
                                            param_ref("random"), param_ref("test"))};
  }
  for (const char* prior : {"prior_tau", "prior_mu"}) {
    if (given.contains(prior) && spec.fit.method != Method::BAYES) {
      return ParamProblem{prior, fmt::format("{} is the prior of {} BAYES, not of {} {}",
                                             param_ref(prior), param_ref("method"),
                                             param_ref("method"), method_name(spec.fit.method))};
    }
  }
  if (!given.contains("add")) spec.effect.add = default_add(spec.effect.measure);
  // metafor's defaults: rma.mh and rma.peto leave tables without events out of their yi.
  if (!given.contains("drop00")) spec.effect.drop00 = works_on_counts(spec.fit.method);
  spec = resolve_measure(spec);
  return std::nullopt;
}

// ---- moderators and subgroups -----------------------------------------------------------------

namespace {

// "name=value" -> {name, value}, spaces around both trimmed; nullopt without a name and '='.
std::optional<std::pair<std::string, std::string>> assignment(std::string_view text) {
  const auto at = text.find('=');
  if (at == std::string_view::npos || at == 0) return std::nullopt;
  return std::pair{std::string(trim_spaces(text.substr(0, at))),
                   std::string(trim_spaces(text.substr(at + 1)))};
}

std::string not_an_assignment(std::string_view param, std::string_view text) {
  return fmt::format("{} expects name=value, not '{}'", param_ref(param), text);
}

// The values of a --predict point, "a=1,b=x".
std::vector<std::string_view> point_parts(std::string_view text) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const auto comma = text.find(',', start);
    parts.push_back(text.substr(start, comma == std::string_view::npos ? comma : comma - start));
    if (comma == std::string_view::npos) return parts;
    start = comma + 1;
  }
}

// The bounds of --permutations: two arrangements at least; at most what runs in minutes.
constexpr std::uint64_t kMinPermutations = 2, kMaxPermutations = 100000000;

// mods and ref, declared once for every target holding a ModeratorSpec.
ParameterTable<ModeratorSpec> make_moderator_spec_parameters() {
  ParameterTable<ModeratorSpec> t;
  Param<ModeratorSpec> mods = field_param<ModeratorSpec>(
      "mods", ParamType::text_list,
      "Meta-regression on these columns (comma- or '+'-separated, as R's formulas): numeric "
      "columns as they are, text columns (or factor(col)) as categorical with treatment coding; "
      "a:b is an interaction, a*b stands for a, b and a:b; '- 1' drops the intercept "
      "(\"outcome - 1\": one coefficient per level)",
      [](auto& s) -> auto& { return s.terms; });
  mods.delimiter = ',';
  mods.get = nullptr;
  mods.default_note = "none";
  t.params.push_back(std::move(mods));

  Param<ModeratorSpec> ref;
  ref.name = "ref";
  ref.type = ParamType::text_list;
  ref.help =
      "Reference level of a categorical moderator, col=level (repeatable; default: the first "
      "level in sorted order)";
  ref.default_note = "the first level in sorted order";
  ref.check = [](const ParamValue& v) -> std::optional<std::string> {
    for (const std::string& item : std::get<std::vector<std::string>>(v)) {
      if (!assignment(item)) return not_an_assignment("ref", item);
    }
    return std::nullopt;
  };
  ref.set = [](ModeratorSpec& s, const ParamValue& v) {
    s.reference.clear();
    for (const std::string& item : std::get<std::vector<std::string>>(v))
      s.reference.push_back(*assignment(item));
  };
  t.params.push_back(std::move(ref));
  return t;
}

const ParameterTable<ModeratorSpec>& moderator_spec_parameters() {
  static const ParameterTable<ModeratorSpec> table = make_moderator_spec_parameters();
  return table;
}

ParameterTable<ModeratorSettings> make_moderator_parameters() {
  ParameterTable<ModeratorSettings> t;
  for (const Param<ModeratorSpec>& p : moderator_spec_parameters().params) {
    t.params.push_back(lift_param<ModeratorSettings>(
        p, [](auto& s) -> auto& { return s.moderators; }));
  }

  Param<ModeratorSettings> predict;
  predict.name = "predict";
  predict.type = ParamType::text_list;
  predict.help = "Predict at moderator values, e.g. \"ablat=30,alloc=random\" (repeatable)";
  predict.default_note = "none";
  predict.check = [](const ParamValue& v) -> std::optional<std::string> {
    for (const std::string& item : std::get<std::vector<std::string>>(v)) {
      for (std::string_view part : point_parts(item)) {
        if (!assignment(part)) return not_an_assignment("predict", part);
      }
    }
    return std::nullopt;
  };
  predict.set = [](ModeratorSettings& s, const ParamValue& v) {
    s.predict.clear();
    for (const std::string& item : std::get<std::vector<std::string>>(v)) {
      ModeratorValues point;
      for (std::string_view part : point_parts(item))
        point.push_back(*assignment(part));
      s.predict.push_back(std::move(point));
    }
  };
  t.params.push_back(std::move(predict));

  Param<ModeratorSettings> permutations = field_param<ModeratorSettings>(
      "permutations", ParamType::count,
      "Permutation test of the meta-regression with this many permutations (exact when there "
      "are no more distinct permutations than this); default: no permutation test",
      [](auto& s) -> auto& { return s.permutations; });
  permutations.get = nullptr;
  permutations.default_note = "none";
  permutations.check_note = fmt::format("UINT in [{} - {}]", kMinPermutations, kMaxPermutations);
  permutations.check = [](const ParamValue& v) -> std::optional<std::string> {
    const std::uint64_t n = std::get<std::uint64_t>(v);
    if (n >= kMinPermutations && n <= kMaxPermutations) return std::nullopt;
    return fmt::format("Value {} not in range {} to {}", n, kMinPermutations, kMaxPermutations);
  };
  t.params.push_back(std::move(permutations));

  t.params.push_back(field_param<ModeratorSettings>(
      "seed", ParamType::count, "Seed of the random permutations",
      [](auto& s) -> auto& { return s.seed; }));

  Param<ModeratorSettings> subgroup = field_param<ModeratorSettings>(
      "subgroup", ParamType::text,
      "Pool each level of this column separately and test for subgroup differences",
      [](auto& s) -> auto& { return s.subgroup; });
  subgroup.default_note = "none";
  t.params.push_back(std::move(subgroup));

  Param<ModeratorSettings> tau2 = choice_param<ModeratorSettings>(
      "subgroup_tau2",
      "With " + param_ref("subgroup") +
          ": separate (a tau^2 per subgroup; Q test of the subgroup estimates) or common (one "
          "tau^2; meta-regression test on the subgroup factor)",
      std::vector<SubgroupTau2>(std::begin(kSubgroupTau2s), std::end(kSubgroupTau2s)),
      subgroup_tau2_name, [](auto& s) -> auto& { return s.subgroup_tau2; });
  // Its first name, kept for the scripts that use it; simulate's --tau2 is the true tau2.
  tau2.aliases = {"tau2"};
  t.params.push_back(std::move(tau2));

  t.finish = [](ModeratorSettings& s, const GivenParams&) -> std::optional<ParamProblem> {
    auto needs_mods = [](std::string param) {
      return ParamProblem{param, fmt::format("{} needs {}", param_ref(param), param_ref("mods"))};
    };
    if (s.moderators.terms.empty()) {
      if (!s.moderators.reference.empty()) return needs_mods("ref");
      if (!s.predict.empty()) return needs_mods("predict");
      if (s.permutations > 0) return needs_mods("permutations");
    }
    if (s.subgroup.empty() && s.subgroup_tau2 != SubgroupTau2::separate) {
      return ParamProblem{"subgroup_tau2", fmt::format("{} needs {}", param_ref("subgroup_tau2"),
                                                       param_ref("subgroup"))};
    }
    if (!s.moderators.terms.empty() && !s.subgroup.empty()) {
      return ParamProblem{"subgroup",
                          fmt::format("give either {0} or {1} (for a subgroup factor in a "
                                      "meta-regression use {0} COL)",
                                      param_ref("mods"), param_ref("subgroup"))};
    }
    return std::nullopt;
  };
  return t;
}

ParameterTable<InfluenceSettings> make_influence_parameters() {
  ParameterTable<InfluenceSettings> t;
  for (const Param<ModeratorSpec>& p : moderator_spec_parameters().params) {
    t.params.push_back(lift_param<InfluenceSettings>(
        p, [](auto& s) -> auto& { return s.moderators; }));
  }
  Param<InfluenceSettings> order = field_param<InfluenceSettings>(
      "order", ParamType::text,
      "Column that orders the cumulative meta-analysis (ascending; e.g. year); default: input "
      "order",
      [](auto& s) -> auto& { return s.order; });
  order.default_note = "input order";
  t.params.push_back(std::move(order));
  return t;
}

}  // namespace

MetaRegRequest ModeratorSettings::metareg() const {
  MetaRegRequest request;
  request.moderators = moderators;
  request.predict = predict;
  if (permutations > 0) {
    PermutationOptions perm;
    perm.iterations = permutations;
    perm.seed = seed;
    request.permutation = perm;
  }
  return request;
}

const ParameterTable<ModeratorSettings>& moderator_parameters() {
  static const ParameterTable<ModeratorSettings> table = make_moderator_parameters();
  return table;
}

const ParameterTable<InfluenceSettings>& influence_parameters() {
  static const ParameterTable<InfluenceSettings> table = make_influence_parameters();
  return table;
}

// ---- publication bias -------------------------------------------------------------------------

namespace {

// A number in [lo, hi], worded as the command line has always worded it (CLI11's Range).
void check_range(ParamInfo& p, double lo, double hi) {
  p.check_note = fmt::format("FLOAT in [{} - {}]", lo, hi);
  p.check = [lo, hi](const ParamValue& v) -> std::optional<std::string> {
    auto outside = [lo, hi](double x) {
      return fmt::format("Value {} not in range {} to {}", x, std::to_string(lo),
                         std::to_string(hi));
    };
    if (const auto* one = std::get_if<double>(&v)) {
      if (!(*one >= lo && *one <= hi)) return outside(*one);
    } else {
      for (double x : std::get<std::vector<double>>(v)) {
        if (!(x >= lo && x <= hi)) return outside(x);
      }
    }
    return std::nullopt;
  };
}

ParameterTable<BiasOptions> make_bias_parameters() {
  ParameterTable<BiasOptions> t;
  t.params.push_back(choice_param<BiasOptions>(
      "predictor", "Egger's test: regress on sei, vi, ni (sample size) or ninv (1 / ni)",
      std::vector<EggerPredictor>(std::begin(kEggerPredictors), std::end(kEggerPredictors)),
      egger_predictor_name, [](auto& o) -> auto& { return o.predictor; }));
  t.params.push_back(choice_param<BiasOptions>(
      "egger_model",
      "Egger's test: rma (meta-regression with " + param_ref("method") + " and " +
          param_ref("test") +
          ", metafor's default) or lm (weighted least squares, Egger et al. 1997)",
      std::vector<EggerModel>(std::begin(kEggerModels), std::end(kEggerModels)), egger_model_name,
      [](auto& o) -> auto& { return o.model; }));
  t.params.push_back(choice_param<BiasOptions>(
      "estimator", "Trim-and-fill estimator of missing studies",
      std::vector<TrimFillEstimator>(std::begin(kTrimFillEstimators),
                                     std::end(kTrimFillEstimators)),
      trimfill_estimator_name, [](auto& o) -> auto& { return o.estimator; }));
  Param<BiasOptions> side = choice_param<BiasOptions>(
      "side",
      "Side of the funnel where studies are missing (default: from Egger's regression, as "
      "metafor)",
      std::vector<FunnelSide>(std::begin(kFunnelSides), std::end(kFunnelSides)), funnel_side_name,
      [](auto& o) -> auto& { return o.side; });
  side.default_note = "from Egger's regression";
  t.params.push_back(std::move(side));

  Param<BiasOptions> fsn_alpha = field_param<BiasOptions>(
      "fsn_alpha", ParamType::number, "Significance level of the fail-safe N",
      [](auto& o) -> auto& { return o.fsn_alpha; });
  check_range(fsn_alpha, 0.0, 1.0);
  t.params.push_back(std::move(fsn_alpha));

  Param<BiasOptions> orwin = field_param<BiasOptions>(
      "orwin_target", ParamType::number,
      "Orwin's fail-safe N: the target effect (default: half the mean effect)",
      [](auto& o) -> auto& { return o.orwin_target; });
  orwin.default_note = "half the mean effect";
  t.params.push_back(std::move(orwin));

  Param<BiasOptions> pet_peese = field_param<BiasOptions>(
      "pet_peese_alpha", ParamType::number,
      "PET-PEESE: one-sided level of PET's test that switches to PEESE",
      [](auto& o) -> auto& { return o.pet_peese_alpha; });
  check_range(pet_peese, 0.0, 0.5);
  t.params.push_back(std::move(pet_peese));

  Param<BiasOptions> contours = field_param<BiasOptions>(
      "contours", ParamType::number_list,
      "Funnel plot contours: two-sided significance levels in percent",
      [](auto& o) -> auto& { return o.contour_levels; });
  contours.delimiter = ',';
  // Strictly inside: a 0% or 100% significance contour has no z (it would be drawn nowhere).
  contours.check_note = "numbers in (0, 100)";
  contours.check = [](const ParamValue& v) -> std::optional<std::string> {
    for (double x : std::get<std::vector<double>>(v)) {
      if (!(x > 0.0 && x < 100.0)) {
        return fmt::format(
            "a contour is a significance level in percent, strictly between 0 "
            "and 100, not {}",
            x);
      }
    }
    return std::nullopt;
  };
  t.params.push_back(std::move(contours));
  return t;
}

}  // namespace

const ParameterTable<BiasOptions>& bias_parameters() {
  static const ParameterTable<BiasOptions> table = make_bias_parameters();
  return table;
}

}  // namespace evident
