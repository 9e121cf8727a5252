// The plot parameters and writing the plots they ask for.

#include "evident/report/plot_parameters.hpp"

#include <fmt/format.h>

#include <vector>

namespace evident {

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

}  // namespace

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
  if (!settings.forest.empty()) {
    write_plot(forest_plot(analysis, settings.forest_options(), &table), settings.forest);
  }
  if (!settings.funnel.empty()) {
    FunnelPlot f = funnel_plot(analysis, settings.contours);
    f.title = settings.title;
    write_plot(f, settings.funnel);
  }
}

}  // namespace evident
