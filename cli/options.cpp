#include "options.hpp"

#include <fmt/format.h>

#include "evident/csv.hpp"
#include "evident/plot.hpp"

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
                  "tau^2 estimator: FE (alias EE, CE), DL, HE, HS, SJ, ML, REML, EB, PM")
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
  spec.fit.test = *parse_test(args.test);
  spec.fit.level = args.level;
  if (auto problem = spec.fit.validate()) throw InputError({"--level", 0, 0}, *problem);
  return spec;
}

void add_format_option(CLI::App& command, std::string& format) {
  command.add_option("--format", format, "Output: text, json or csv")
      ->check(CLI::IsMember({"text", "json", "csv"}))
      ->capture_default_str();
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
