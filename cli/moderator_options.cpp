#include "moderator_options.hpp"

#include <ostream>

#include "evident/methods/moderator_analysis.hpp"
#include "options.hpp"

namespace evident::cli {

int run_moderator_analysis(const ModeratorSettings& settings, const StudyTable& table,
                           const AnalysisSpec& spec, const Renderer& format, std::ostream& out) {
  require_inverse_variance(spec, settings.subgroup.empty() ? "--mods" : "--subgroup");
  if (!settings.subgroup.empty()) {
    format.render(analyse_subgroups(table, spec, settings.subgroup, settings.subgroup_tau2), out);
    return 0;
  }
  format.render(analyse_metareg(table, spec, settings.metareg()), out);
  return 0;
}

}  // namespace evident::cli
