#include "options.hpp"

#include <fmt/format.h>

#include <cassert>
#include <vector>

#include "evident/io/csv.hpp"
#include "evident/report/plot.hpp"

namespace evident::cli {

namespace {

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

// A CLI11 validator accepting the names a parser function knows, case-insensitively.
template <class Parse>
CLI::Validator known(Parse parse, std::string what) {
  return CLI::Validator(
      [parse, what](std::string& value) -> std::string {
        if (parse(value)) return {};
        return fmt::format("unknown {} '{}'", what, value);
      },
      "", what);
}

ZeroCellRule parse_to(const std::string& s) {
  if (s == "all") return ZeroCellRule::all;
  if (s == "if0all") return ZeroCellRule::if0all;
  if (s == "none") return ZeroCellRule::none;
  return ZeroCellRule::only0;
}

}  // namespace

void add_analysis_options(CLI::App& command, AnalysisArgs& args) {
  command.add_option("--measure", args.measure, measure_help())
      ->check(known(parse_measure, "measure"));
  command
      .add_option("--method", args.method,
                  "tau^2 estimator: FE (alias EE, CE), DL, HE, HS, SJ, ML, REML, EB, PM; or MH "
                  "(Mantel-Haenszel, for OR, RR, RD, IRR, IRD) or PETO (Peto's odds ratio), "
                  "which pool the 2x2 tables or counts themselves")
      ->check(known(parse_method, "method"))
      ->capture_default_str();
  command
      .add_option("--test", args.test,
                  "Test and intervals for the pooled effect: z, or knha (Hartung-Knapp-Sidik-"
                  "Jonkman, t with k - 1 df)")
      ->check(known(parse_test, "test"))
      ->capture_default_str();
  command.add_option("--level", args.level, "Confidence level in percent")
      ->check(CLI::Range(0.0, 100.0).description("in (0, 100)"))
      ->capture_default_str();
  command.add_option("--add", args.add,
                     "Added to the cells of 2x2 tables and proportions with a zero count "
                     "(default 1/2; 0 for PAS and PFT)");
  command
      .add_option("--to", args.to,
                  "Which studies get --add: only0 (those with a zero cell), all, if0all (all, "
                  "if any has a zero), none")
      ->check(CLI::IsMember({"only0", "all", "if0all", "none"}))
      ->capture_default_str();
  command
      .add_option("--drop00", args.drop00,
                  "true: tables with no events in either group (or only events) get no effect "
                  "size (escalc's drop00). Default: true for --method MH and PETO, false "
                  "otherwise")
      ->check(CLI::IsMember({"true", "false"}));
  command
      .add_option("--multiarm", args.multiarm,
                  "Rows of one trial sharing a control arm (same 'trial' id, or same study "
                  "label and control data): combine (experimental arms into one, Cochrane "
                  "Handbook 6.5.2.10), split (the control shared out between the comparisons), "
                  "or auto (combine, and say so)")
      ->check(CLI::IsMember({"auto", "combine", "split"}))
      ->capture_default_str();
  command
      .add_option("--transf", args.transf,
                  "Generic input: log when yi, ci_lb and ci_ub are ratios (OR, RR, HR) to be "
                  "analysed on the log scale (metafor's conv.wald transf)")
      ->check(CLI::IsMember({"none", "log"}))
      ->capture_default_str();
}

void require_inverse_variance(const AnalysisSpec& spec, std::string_view what) {
  if (!works_on_counts(spec.fit.method)) return;
  throw InputError({"--method", 0, 0},
                   fmt::format("{} needs an inverse-variance model (--method FE, DL, HE, HS, SJ, "
                               "ML, REML, EB or PM); --method {} pools the 2x2 tables themselves",
                               what, method_name(spec.fit.method)));
}

AnalysisSpec to_spec(const AnalysisArgs& args) {
  AnalysisSpec spec;
  if (!args.measure.empty()) spec.effect.measure = *parse_measure(args.measure);
  spec.effect.add = args.add.value_or(default_add(spec.effect.measure));
  if (!(spec.effect.add >= 0.0)) {
    throw InputError({"--add", 0, 0}, "the zero-cell correction --add must be 0 or positive");
  }
  spec.effect.to = parse_to(args.to);
  spec.fit.method = *parse_method(args.method);
  spec.effect.drop00 =
      args.drop00.empty() ? works_on_counts(spec.fit.method) : args.drop00 == "true";
  spec.effect.multiarm = args.multiarm == "combine" ? MultiArm::combine
                         : args.multiarm == "split" ? MultiArm::split
                                                    : MultiArm::automatic;
  spec.effect.transf = args.transf == "log" ? EstimateTransform::log : EstimateTransform::none;
  if (spec.effect.transf == EstimateTransform::log && !args.measure.empty()) {
    throw InputError({"--transf", 0, 0},
                     "--transf applies to effect sizes given directly (yi with a confidence "
                     "interval or p-value), not to --measure " +
                         args.measure);
  }
  spec.fit.test = *parse_test(args.test);
  spec.fit.level = args.level;
  spec.fit.threads = 0;  // a fit of very many studies uses every core; the numbers are the same
  if (auto problem = spec.fit.validate()) throw InputError({"--level", 0, 0}, *problem);
  return spec;
}

void add_format_option(CLI::App& command, std::string& format) {
  std::vector<std::string> names;
  for (const Renderer* r : renderers())
    names.emplace_back(r->name());
  command.add_option("--format", format, "Output: " + renderer_names())
      ->check(CLI::IsMember(names))
      ->capture_default_str();
}

const Renderer& output_format(const std::string& name) {
  const Renderer* r = find_renderer(name);
  assert(r != nullptr && "--format is checked against the registered renderers");
  return *r;
}

void add_plot_options(CLI::App& command, PlotArgs& args) {
  auto plot_path = CLI::Validator(
      [](std::string& value) -> std::string {
        if (plot_format_for_path(value)) return {};
        return "a plot file name must end in .svg, .png (300 dpi) or .pdf";
      },
      "PATH", "plot path");
  command
      .add_option("--forest", args.forest,
                  "Write a forest plot to PATH (.svg, .png at 300 dpi, or .pdf; default: none)")
      ->check(plot_path);
  command
      .add_option("--funnel", args.funnel,
                  "Write a funnel plot (standard error against effect) to PATH (default: none)")
      ->check(plot_path);
  command.add_flag("--contours", args.contours,
                   "Contour-enhanced funnel plot: shade where p < 0.10, 0.05, 0.01 (default: off, "
                   "a pseudo-confidence region around the estimate)");
  command
      .add_option("--arms", args.arms,
                  "Names of the two groups in plots, experimental first, separated by a comma")
      ->capture_default_str();
  command
      .add_option("--benefit", args.benefit,
                  "Which values favour the first group in plots: lower or higher")
      ->check(CLI::IsMember({"lower", "higher"}))
      ->capture_default_str();
  command
      .add_option("--mcid", args.mcid,
                  "Minimal clinically important difference, drawn as dashed lines (natural "
                  "scale: a ratio for OR/RR, units of the outcome for MD; default: none)")
      ->check(CLI::PositiveNumber);
  command.add_option("--title", args.title, "Title of the plots (default: none)");
}

void write_plots(const PlotArgs& args, const Analysis& analysis, const StudyTable& table) {
  if (!args.forest.empty()) {
    ForestOptions o;
    o.title = args.title;
    const auto comma = args.arms.find(',');
    o.group1 = args.arms.substr(0, comma);
    o.group2 = comma == std::string::npos ? "Control" : args.arms.substr(comma + 1);
    o.benefit = parse_benefit(args.benefit).value_or(Benefit::lower);
    o.mcid = args.mcid;
    write_plot(forest_plot(analysis, o, &table), args.forest);
  }
  if (!args.funnel.empty()) {
    FunnelPlot f = funnel_plot(analysis, args.contours);
    f.title = args.title;
    write_plot(f, args.funnel);
  }
}

StudyTable read_table(const std::string& file, std::istream& in) {
  if (file == "-") return read_csv(in, "<stdin>");
  return read_csv_file(file);
}

}  // namespace evident::cli
