#include <fmt/format.h>

#include <map>
#include <memory>
#include <string>

#include "commands.hpp"
#include "evident/evident.hpp"
#include "run.hpp"

namespace evident::cli {

namespace {

struct FitArgs {
  std::string file;
  std::string measure;
  std::string method = "REML";
  std::string test = "z";
  double level = 95.0;
  std::string format = "text";
  std::optional<double> add;
  std::string to = "only0";
};

std::string measure_help() {
  std::string text =
      "Effect-size measure (metafor's codes). Without it, columns yi and vi (or sei) are used "
      "as given.";
  for (Measure m : all_measures()) {
    if (m == Measure::GEN) continue;
    text += fmt::format("\n  {:<5} {}", measure_name(m), measure_description(m));
  }
  return text;
}


StudyTable read_table(const std::string& file, std::istream& in) {
  if (file == "-") return read_csv(in, "<stdin>");
  return read_csv_file(file);
}

ZeroCellRule parse_to(const std::string& s) {
  if (s == "all") return ZeroCellRule::all;
  if (s == "if0all") return ZeroCellRule::if0all;
  if (s == "none") return ZeroCellRule::none;
  return ZeroCellRule::only0;
}

int run_fit(const FitArgs& args, Streams& io) {
  EffectOptions eo;
  if (!args.measure.empty()) eo.measure = *parse_measure(args.measure);
  eo.add = args.add.value_or(default_add(eo.measure));
  eo.to = parse_to(args.to);

  FitOptions fo;
  fo.method = *parse_method(args.method);
  fo.test = *parse_test(args.test);
  fo.level = args.level;
  if (auto problem = fo.validate()) throw InputError({"--level", 0, 0}, *problem);

  const StudyTable table = read_table(args.file, io.in);
  const EffectData data = compute_effects(table, eo);
  const Analysis analysis = analyse(data, fo, table.source());
  render(analysis, *parse_format(args.format), io.out);
  return kExitOk;
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

}  // namespace

Action add_fit_command(CLI::App& app) {
  auto args = std::make_shared<FitArgs>();
  CLI::App* fit = app.add_subcommand(
      "fit", "Pool the studies in a CSV file: common-effect or random-effects meta-analysis.");
  fit->add_option("FILE", args->file, "CSV file with a header row, or - for standard input")
      ->required();
  fit->add_option("--measure", args->measure, measure_help())
      ->check(known(parse_measure, "measure"));
  fit->add_option("--method", args->method,
                  "tau^2 estimator: FE (alias EE, CE), DL, HE, HS, SJ, ML, REML, EB, PM")
      ->check(known(parse_method, "method"))
      ->capture_default_str();
  fit->add_option("--test", args->test,
                  "Test and intervals for the pooled effect: z, or knha (Hartung-Knapp-Sidik-"
                  "Jonkman, t with k - 1 df)")
      ->check(known(parse_test, "test"))
      ->capture_default_str();
  fit->add_option("--level", args->level, "Confidence level in percent")
      ->check(CLI::Range(0.0, 100.0).description("in (0, 100)"))
      ->capture_default_str();
  fit->add_option("--format", args->format, "Output: text, json or csv")
      ->check(CLI::IsMember({"text", "json", "csv"}))
      ->capture_default_str();
  fit->add_option("--add", args->add,
                  "Added to the cells of 2x2 tables and proportions with a zero count (default "
                  "1/2; 0 for PAS and PFT)");
  fit->add_option("--to", args->to,
                  "Which studies get --add: only0 (those with a zero cell), all, if0all (all, if "
                  "any has a zero), none")
      ->check(CLI::IsMember({"only0", "all", "if0all", "none"}))
      ->capture_default_str();
  return [args](Streams& io) { return run_fit(*args, io); };
}

}  // namespace evident::cli
