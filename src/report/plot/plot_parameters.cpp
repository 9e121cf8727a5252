// The plot parameters and writing the plots they ask for.

#include "evident/report/plot_parameters.hpp"

#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <vector>

#include "stats/distributions.hpp"

namespace evident {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
}  // namespace

namespace {

ParameterTable<PlotSettings> make_plot_parameters() {
  ParameterTable<PlotSettings> t;
  // The file's extension names the format (plot_formats()).
  auto plot_path = [](Param<PlotSettings>& p) {
    p.check_note = "PATH";
    p.default_note = "none";
    p.check = [](const ParamValue& v) -> std::optional<std::string> {
      if (plot_format_for_path(std::get<std::string>(v))) return std::nullopt;
      return "a plot file name must end in " + plot_extensions_text();
    };
  };
  Param<PlotSettings> forest = field_param<PlotSettings>(
      "forest", ParamType::text,
      "Write a forest plot to PATH (.svg, .png at 300 dpi, or .pdf; default: none)",
      [](auto& a) -> auto& { return a.forest; });
  plot_path(forest);
  t.params.push_back(std::move(forest));
  Param<PlotSettings> funnel = field_param<PlotSettings>(
      "funnel", ParamType::text,
      "Write a funnel plot (standard error against effect) to PATH (default: none)",
      [](auto& a) -> auto& { return a.funnel; });
  plot_path(funnel);
  t.params.push_back(std::move(funnel));

  t.params.push_back(field_param<PlotSettings>(
      "contours", ParamType::flag,
      "Contour-enhanced funnel plot: shade where p < 0.10, 0.05, 0.01 (default: off, a "
      "pseudo-confidence region around the estimate)",
      [](auto& a) -> auto& { return a.contours; }));
  t.params.back().get = nullptr;  // a flag: off unless given
  t.params.back().default_note = "off";

  t.params.push_back(field_param<PlotSettings>(
      "arms", ParamType::text,
      "Names of the two groups in plots, experimental first, separated by a comma",
      [](auto& a) -> auto& { return a.arms; }));
  t.params.push_back(choice_param<PlotSettings>(
      "benefit", "Which values favour the first group in plots: lower or higher",
      std::vector<Benefit>{Benefit::lower, Benefit::higher}, benefit_name,
      [](auto& a) -> auto& { return a.benefit; }));

  Param<PlotSettings> mcid = field_param<PlotSettings>(
      "mcid", ParamType::number,
      "Minimal clinically important difference, drawn as dashed lines (natural scale: a ratio "
      "for OR/RR, units of the outcome for MD; default: none)",
      [](auto& a) -> auto& { return a.mcid; });
  mcid.check_note = "POSITIVE";
  mcid.default_note = "none";
  mcid.check = [](const ParamValue& v) -> std::optional<std::string> {
    const double x = std::get<double>(v);
    if (x > 0.0) return std::nullopt;
    return fmt::format("expected a positive number, not {}", x);
  };
  t.params.push_back(std::move(mcid));

  Param<PlotSettings> title = field_param<PlotSettings>(
      "title", ParamType::text, "Title of the plots (default: none)",
      [](auto& a) -> auto& { return a.title; });
  title.default_note = "none";
  t.params.push_back(std::move(title));
  return t;
}

ParameterTable<SequentialPlotSettings> make_sequential_plot_parameters() {
  ParameterTable<SequentialPlotSettings> t;
  Param<SequentialPlotSettings> plot = field_param<SequentialPlotSettings>(
      "plot", ParamType::text,
      "Write the TSA plot (cumulative z, monitoring boundaries, information size) to PATH (.svg, "
      ".png at 300 dpi, or .pdf; default: none)",
      [](auto& a) -> auto& { return a.plot; });
  plot.check_note = "PATH";
  plot.default_note = "none";
  plot.check = [](const ParamValue& v) -> std::optional<std::string> {
    if (plot_format_for_path(std::get<std::string>(v))) return std::nullopt;
    return "a plot file name must end in " + plot_extensions_text();
  };
  t.params.push_back(std::move(plot));
  Param<SequentialPlotSettings> title = field_param<SequentialPlotSettings>(
      "title", ParamType::text, "Title of the plot (default: none)",
      [](auto& a) -> auto& { return a.title; });
  title.default_note = "none";
  t.params.push_back(std::move(title));
  return t;
}

}  // namespace

const ParameterTable<SequentialPlotSettings>& sequential_plot_parameters() {
  static const ParameterTable<SequentialPlotSettings> table = make_sequential_plot_parameters();
  return table;
}

SequentialPlot sequential_plot(const SequentialResult& r, const std::string& title) {
  SequentialPlot p;
  p.title = title;
  p.participants = r.participants;
  p.z = r.monitoring.z;
  p.efficacy = r.monitoring.boundaries.efficacy;
  p.futility = r.monitoring.boundaries.futility;
  p.information_size = r.information_size.adjusted;
  // Where the boundaries lie ahead: the same design with a look every 5% of the information
  // size after the last one, up to it, computed by the same recursion (methods/sequential.hpp),
  // as the TSA program draws its boundaries up to the required information size.
  const std::vector<double>& fraction = r.monitoring.information_fraction;
  if (!fraction.empty() && fraction.back() < 1.0) {
    std::vector<double> t(fraction.begin(), fraction.end());
    for (double f = std::floor(fraction.back() * 20.0 + 1.0) / 20.0; f < 1.0 - 1e-9; f += 0.05)
      t.push_back(f);
    t.push_back(1.0);
    BoundaryOptions o;
    o.alpha = r.settings.alpha;
    o.alpha_spending = r.settings.boundary;
    o.futility = r.settings.futility;
    o.beta = 1.0 - r.settings.power;
    o.grid = 128;
    const Boundaries b = group_sequential_boundaries(t, o);
    if (b.ok) {
      for (std::size_t j = fraction.size() - 1; j < t.size(); ++j) {
        p.projected_participants.push_back(t[j] * p.information_size);
        p.projected_efficacy.push_back(b.efficacy[j]);
        p.projected_futility.push_back(b.futility.empty() ? kNaN : b.futility[j]);
      }
    }
  }
  p.conventional = stats::normal_upper_quantile(r.settings.alpha / 2.0);
  // Benefit is a positive z when higher values favour the intervention.
  p.benefit_up = r.settings.benefit == Benefit::higher;
  p.benefit_side =
      p.benefit_up ? "Favours intervention (upper half)" : "Favours intervention (lower half)";
  return p;
}

ForestOptions PlotSettings::forest_options() const {
  ForestOptions o;
  o.title = title;
  const auto comma = arms.find(',');
  o.group1 = arms.substr(0, comma);
  o.group2 = comma == std::string::npos ? "Control" : arms.substr(comma + 1);
  o.benefit = benefit;
  o.mcid = mcid;
  return o;
}

const ParameterTable<PlotSettings>& plot_parameters() {
  static const ParameterTable<PlotSettings> table = make_plot_parameters();
  return table;
}

void write_plots(const PlotSettings& settings, const Analysis& analysis, const StudyTable& table) {
  if (analysis.bayes && (!settings.forest.empty() || !settings.funnel.empty())) {
    throw InputError({settings.forest.empty() ? "--funnel" : "--forest", 0, 0},
                     "the plots of --method BAYES (posteriors, shrunken estimates) are not drawn "
                     "yet");
  }
  if (!settings.forest.empty()) {
    write_plot(forest_plot(analysis, settings.forest_options(), &table), settings.forest);
  }
  if (!settings.funnel.empty()) {
    FunnelPlot f = funnel_plot(analysis, settings.contours);
    f.title = settings.title;
    write_plot(f, settings.funnel);
  }
}

void write_plots(const PlotSettings& settings, const MultilevelAnalysis& analysis) {
  if (!settings.funnel.empty() && !analysis.prediction) {
    throw InputError({"--funnel", 0, 0},
                     "a funnel plot of a multilevel model with moderators is not drawn yet (it "
                     "would plot residuals)");
  }
  if (!settings.forest.empty()) {
    write_plot(forest_plot(analysis, settings.forest_options()), settings.forest);
  }
  if (!settings.funnel.empty()) {
    FunnelPlot f = funnel_plot(pooled_analysis(analysis), settings.contours);
    f.title = settings.title;
    write_plot(f, settings.funnel);
  }
}

}  // namespace evident
