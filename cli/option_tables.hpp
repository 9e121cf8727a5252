#pragma once
// The parameters of the command line's own options, declared once each in the form of the
// core's tables (evident/methods/parameters.hpp), with the targets they set: the input file or
// folder, the output format, plots, and the options of batch, simulate and review. Their targets
// live in higher layers (report, review, batch) or are the command line's own, so the tables live
// here; the analysis and method parameters are the core's.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "evident/batch/batch.hpp"
#include "evident/batch/simulate.hpp"
#include "evident/methods/parameters.hpp"
#include "evident/report/plot.hpp"
#include "evident/report/plot_parameters.hpp"
#include "evident/review/findings.hpp"

namespace evident::cli {

/// FILE of fit, influence, bias and batch: a CSV file, or - for standard input.
[[nodiscard]] const ParameterTable<std::string>& file_parameters();

/// --format of fit, influence and bias: a registered renderer's name.
struct OutputArgs {
  std::string format = "text";
};
[[nodiscard]] const ParameterTable<OutputArgs>& format_parameters();

/// `evident batch`: BatchOptions (its spec set by the analysis parameters) and where to write.
struct BatchArgs {
  BatchOptions options;
  std::string out;
};
/// by (listed before the analysis options).
[[nodiscard]] const ParameterTable<BatchArgs>& batch_input_parameters();
/// out, format, threads; the format defaults to the one --out names.
[[nodiscard]] const ParameterTable<BatchArgs>& batch_output_parameters();

/// `evident simulate`.
struct SimulateArgs {
  SimulateOptions options;
  std::string out = "-";
};
/// analyses, k, mu, tau2, vi_min, vi_max, seed, out; their rules are SimulateOptions::validate.
[[nodiscard]] const ParameterTable<SimulateArgs>& simulate_parameters();

/// `evident review`.
struct ReviewArgs {
  std::string dir;
  std::string out;  ///< empty: DIR/report.html
  /// --mcid ID=VALUE, or VALUE (an empty id) for every one without an MCID.
  struct Mcid {
    std::string id;
    double value = 0.0;
    std::string text;  ///< as given
  };
  std::vector<Mcid> mcid;
  std::string plots;  ///< empty: no plot files
  PlotFormat plot_format = PlotFormat::png;
  /// Read data files outside the review folder. Only the command line can say so: a manifest,
  /// which may come from someone else, cannot allow itself to read elsewhere.
  bool allow_outside = false;
  std::string since;  ///< an earlier run's result file; empty: none
};
/// DIR, out, mcid, plots, plot_format, allow_outside, since.
[[nodiscard]] const ParameterTable<ReviewArgs>& review_parameters();

}  // namespace evident::cli
