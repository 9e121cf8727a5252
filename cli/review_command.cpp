#include <fmt/format.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "commands.hpp"
#include "evident/evident.hpp"
#include "evident/report/review_report.hpp"
#include "progress.hpp"
#include "run.hpp"

namespace evident::cli {

namespace {

struct ReviewArgs {
  std::string dir;
  std::string out;  // empty: DIR/report.html
  std::vector<std::string> mcid;
  std::string plots;  // empty: no plot files
  std::string plot_format = "png";
  bool allow_outside = false;
};

// --mcid VALUE (every outcome without an MCID) or --mcid ID=VALUE.
std::map<std::string, double> parse_mcids(const std::vector<std::string>& items,
                                          const Manifest& manifest) {
  std::map<std::string, double> out;
  for (const auto& item : items) {
    const auto eq = item.find('=');
    const std::string id = eq == std::string::npos ? "" : item.substr(0, eq);
    const std::string value = eq == std::string::npos ? item : item.substr(eq + 1);
    const CellValue v = parse_number(value);
    if (v.kind != CellKind::number || !(v.value > 0)) {
      throw InputError({"--mcid", 0, 0},
                       fmt::format("'{}': expected a positive number, or ID=NUMBER", item));
    }
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
                                     item, id, manifest.path));
      }
    }
    out[id] = v.value;
  }
  return out;
}

int run_review_command(const ReviewArgs& args, Streams& io) {
  const Manifest manifest = read_manifest(args.dir);
  ReviewOptions options;
  options.mcid = parse_mcids(args.mcid, manifest);
  options.allow_outside = args.allow_outside;
  Progress progress(io.err, io.err_is_terminal);
  options.progress = [&](std::size_t done, std::size_t total, std::string_view what) {
    progress.update(done, total, what);
  };
  const Review review = run_review(manifest, options);
  progress.clear();

  const std::string out_path =
      args.out.empty() ? (std::filesystem::path(manifest.dir) / "report.html").string() : args.out;
  write_review_html(review, out_path);
  render_review_summary(review, io.out, out_path);
  if (!args.plots.empty()) {
    const auto format = plot_format_for_path("x." + args.plot_format);
    const auto written = write_review_plots(review, args.plots, *format);
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
  review->add_option("DIR", args->dir, "Review folder holding review.toml and its data files")
      ->required();
  review->add_option("--out", args->out,
                     "Where to write the HTML report (default: DIR/report.html)");
  review
      ->add_option("--mcid", args->mcid,
                   "Minimal clinically important difference: ID=VALUE for one outcome or "
                   "published panel, or VALUE for every one without its own MCID (repeatable; "
                   "default: the manifest's mcid keys)")
      ->allow_extra_args(false);
  review->add_option("--plots", args->plots,
                     "Also write every plot of the report into this folder (default: none)");
  review
      ->add_option("--plot-format", args->plot_format,
                   "Format of the --plots files: png (300 dpi), svg or pdf")
      ->check(CLI::IsMember({"png", "svg", "pdf"}))
      ->capture_default_str();
  review->add_flag(
      "--allow-outside", args->allow_outside,
      "Read data files the manifest names outside the review folder (default: refused, "
      "since a review folder may come from someone else)");
  return [args](Streams& io) { return run_review_command(*args, io); };
}

}  // namespace evident::cli
