#include <fmt/format.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "commands.hpp"
#include "evident/evident.hpp"
#include "options.hpp"
#include "run.hpp"

namespace evident::cli {

namespace {

struct BiasArgs {
  std::string file;
  AnalysisArgs analysis;
  std::string predictor = "sei";
  std::string model = "rma";
  std::string estimator = "L0";
  std::string side;
  double fsn_alpha = 0.05;
  std::optional<double> orwin_target;
  double pet_peese_alpha = 0.05;
  std::vector<double> contours{10.0, 5.0, 1.0};
  std::string format = "text";
};

int run_bias(const BiasArgs& args, Streams& io) {
  const AnalysisSpec spec = to_spec(args.analysis);
  require_inverse_variance(spec, "evident bias");
  BiasOptions options;
  if (args.predictor == "vi") options.predictor = EggerPredictor::vi;
  if (args.predictor == "ni") options.predictor = EggerPredictor::ni;
  if (args.predictor == "ninv") options.predictor = EggerPredictor::ninv;
  options.model = args.model == "lm" ? EggerModel::lm : EggerModel::rma;
  options.estimator = args.estimator == "R0" ? TrimFillEstimator::R0 : TrimFillEstimator::L0;
  if (args.side == "left") options.side = FunnelSide::left;
  if (args.side == "right") options.side = FunnelSide::right;
  options.fsn_alpha = args.fsn_alpha;
  options.orwin_target = args.orwin_target;
  options.pet_peese_alpha = args.pet_peese_alpha;
  options.contour_levels = args.contours;
  const StudyTable table = read_table(args.file, io.in);
  output_format(args.format).render(analyse_bias(table, spec, options), io.out);
  return kExitOk;
}

}  // namespace

Action add_bias_command(CLI::App& app) {
  auto args = std::make_shared<BiasArgs>();
  CLI::App* cmd = app.add_subcommand(
      "bias",
      "Small-study effects and publication bias: Egger's regression test, Begg's rank "
      "correlation, trim-and-fill, fail-safe N, PET-PEESE and contour-enhanced funnel data.");
  cmd->add_option("FILE", args->file, "CSV file with a header row, or - for standard input")
      ->required();
  add_analysis_options(*cmd, args->analysis);
  cmd->add_option("--predictor", args->predictor,
                  "Egger's test: regress on sei, vi, ni (sample size) or ninv (1 / ni)")
      ->check(CLI::IsMember({"sei", "vi", "ni", "ninv"}))
      ->capture_default_str();
  cmd->add_option("--egger-model", args->model,
                  "Egger's test: rma (meta-regression with --method and --test, metafor's "
                  "default) or lm (weighted least squares, Egger et al. 1997)")
      ->check(CLI::IsMember({"rma", "lm"}))
      ->capture_default_str();
  cmd->add_option("--estimator", args->estimator, "Trim-and-fill estimator of missing studies")
      ->check(CLI::IsMember({"L0", "R0"}))
      ->capture_default_str();
  cmd->add_option("--side", args->side,
                  "Side of the funnel where studies are missing (default: from Egger's "
                  "regression, as metafor)")
      ->check(CLI::IsMember({"left", "right"}));
  cmd->add_option("--fsn-alpha", args->fsn_alpha, "Significance level of the fail-safe N")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd->add_option("--orwin-target", args->orwin_target,
                  "Orwin's fail-safe N: the target effect (default: half the mean effect)");
  cmd->add_option("--pet-peese-alpha", args->pet_peese_alpha,
                  "PET-PEESE: one-sided level of PET's test that switches to PEESE")
      ->check(CLI::Range(0.0, 0.5))
      ->capture_default_str();
  cmd->add_option("--contours", args->contours,
                  "Funnel plot contours: two-sided significance levels in percent")
      ->delimiter(',')
      ->check(CLI::Range(0.0, 100.0))
      ->capture_default_str();
  add_format_option(*cmd, args->format);
  return [args](Streams& io) { return run_bias(*args, io); };
}

}  // namespace evident::cli
