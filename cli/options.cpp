#include "options.hpp"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cassert>
#include <filesystem>

#include "command_options.hpp"
#include "evident/io/csv.hpp"
#include "evident/methods/parameters.hpp"
#include "evident/report/plot.hpp"

namespace evident::cli {

AnalysisSpec command_line_spec() {
  AnalysisSpec spec;
  spec.fit.threads = 0;
  return spec;
}

AnalysisSpec parse_analysis_spec(const std::vector<std::string>& args) {
  CLI::App app;
  AnalysisSpec spec = command_line_spec();
  CommandOptions options(app);
  options.add(analysis_parameters(), spec);
  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 parses from the back
  app.parse(reversed);
  options.apply();
  return spec;
}

void require_inverse_variance(const AnalysisSpec& spec, std::string_view what) {
  require_univariate(spec, what);
  if (spec.fit.method == Method::BAYES) {
    throw InputError({"--method", 0, 0},
                     fmt::format("{} is not available for --method BAYES yet (evident fit and "
                                 "batch are)",
                                 what));
  }
  if (!works_on_counts(spec.fit.method)) return;
  throw InputError({"--method", 0, 0},
                   fmt::format("{} needs an inverse-variance model (--method FE, DL, HE, HS, SJ, "
                               "ML, REML, EB or PM); --method {} pools the 2x2 tables themselves",
                               what, method_name(spec.fit.method)));
}

void refuse_output_over_input(const std::string& option, const std::string& output,
                              const std::vector<std::string>& inputs) {
  if (output.empty() || output == "-") return;
  std::error_code ec;
  for (const std::string& input : inputs) {
    if (input.empty() || input == "-") continue;
    if (std::filesystem::equivalent(output, input, ec) && !ec) {
      throw InputError({option, 0, 0},
                       fmt::format("'{}' is an input of this run ({}): writing there would destroy "
                                   "it; give another file name",
                                   output, input));
    }
  }
}

const Renderer& output_format(const std::string& name) {
  const Renderer* r = find_renderer(name);
  assert(r != nullptr && "--format is checked against the registered renderers");
  return *r;
}

StudyTable read_table(const std::string& file, std::istream& in) {
  if (file == "-") return read_csv(in, "<stdin>");
  return read_csv_file(file);
}

}  // namespace evident::cli
