#include <fmt/format.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "command_options.hpp"
#include "commands.hpp"
#include "evident/evident.hpp"
#include "evident/report/review_report.hpp"
#include "option_tables.hpp"
#include "options.hpp"
#include "progress.hpp"
#include "run.hpp"

namespace evident::cli {

namespace {

// The --mcid values by outcome or panel id ("" for every one without an MCID); each id must be
// one of the manifest's.
std::map<std::string, double> mcids(const std::vector<ReviewArgs::Mcid>& items,
                                    const Manifest& manifest) {
  std::map<std::string, double> out;
  for (const auto& [id, value, text] : items) {
    if (!id.empty()) {
      bool known = false;
      for (const auto& o : manifest.outcomes)
        known = known || o.id == id;
      if (manifest.published) {
        for (const auto& p : manifest.published->panels)
          known = known || p.id == id;
      }
      if (!known) {
        throw InputError({"--mcid", 0, 0},
                         fmt::format("'{}': no outcome or published panel has the id '{}' in {}",
                                     text, id, manifest.path));
      }
    }
    out[id] = value;
  }
  return out;
}

int run_review_command(const ReviewArgs& args, Streams& io) {
  const Manifest manifest = read_manifest(args.dir);
  ReviewOptions options;
  options.mcid = mcids(args.mcid, manifest);
  options.allow_outside = args.allow_outside;
  options.since = args.since;
  Progress progress(io.err, io.err_is_terminal);
  options.progress = [&](std::size_t done, std::size_t total, std::string_view what) {
    progress.update(done, total, what);
  };

  const std::string out_path =
      args.out.empty() ? (std::filesystem::path(manifest.dir) / "report.html").string() : args.out;
  // The result file beside the report (living.hpp): what a later run's --since compares with.
  const std::string result_path =
      std::filesystem::path(out_path).replace_extension(".json").string();
  // The report and its result file never go over the manifest or a data file.
  std::vector<std::string> inputs{manifest.path};
  for (const auto& o : manifest.outcomes) {
    for (const auto& d : o.data)
      inputs.push_back((std::filesystem::path(manifest.dir) / d).string());
  }
  if (manifest.published) {
    inputs.push_back((std::filesystem::path(manifest.dir) / manifest.published->data).string());
  }
  refuse_output_over_input("--out", out_path, inputs);
  refuse_output_over_input("--out", result_path, inputs);
  const Review review = run_review(manifest, options);
  progress.clear();
  write_review_html(review, out_path);
  write_review_result(review, result_path);
  render_review_summary(review, io.out, out_path);
  io.out << "Result file: " << result_path << "\n";
  if (!args.plots.empty()) {
    const auto written = write_review_plots(review, args.plots, args.plot_format);
    io.out << "Plots: " << written.size() << " files in " << args.plots << "\n";
  }
  return kExitOk;
}

}  // namespace

Action add_review_command(CLI::App& app) {
  auto args = std::make_shared<ReviewArgs>();
  CLI::App* review = app.add_subcommand(
      "review",
      "Run a review: every outcome of the manifest DIR/review.toml, written as one "
      "self-contained HTML report, with a one-screen summary on standard output.");
  auto options = std::make_shared<CommandOptions>(*review);
  options->add(review_parameters(), *args);
  return [args, options](Streams& io) {
    options->apply();
    return run_review_command(*args, io);
  };
}

}  // namespace evident::cli
