// Text for people: trial sequential analysis (`evident sequential`). Formatting only.

#include <fmt/format.h>

#include <cmath>
#include <ostream>
#include <string>

#include "report/format.hpp"
#include "report/render_util.hpp"
#include "report/sequential_words.hpp"
#include "report/text/text.hpp"

namespace evident::detail {

namespace {

std::string boundary_text(double b) {
  return std::isfinite(b) ? fixed(b, 2) : std::string("-");
}

}  // namespace

void render_text(const SequentialResult& r, std::ostream& out) {
  const SequentialSettings& s = r.settings;
  const SequentialAnalysis& m = r.monitoring;
  const InformationSize& ris = r.information_size;
  out << fmt::format("Trial sequential analysis (k = {}; {} boundaries, alpha = {}, power = {})\n",
                     r.studies.size(), spending_words(s.boundary), s.alpha, s.power);
  if (!r.source.empty()) out << "Data: " << r.source << "; ";
  out << fmt::format("measure {} ({}), {} cumulative meta-analysis\n\n", measure_name(r.measure),
                     measure_description(r.measure), method_name(r.method));

  out << fmt::format("Required information size: {:.0f} participants\n", std::ceil(ris.adjusted));
  if (r.binary) {
    out << fmt::format("  for a relative risk reduction of {:.0f}% from a control risk of {:.1f}%",
                       100.0 * r.rrr, 100.0 * r.control_risk);
  } else {
    out << fmt::format("  for a mean difference of {} with SD {}", r.effect, fixed(r.sd, 2));
  }
  out << fmt::format("; {:.0f} for one trial", std::ceil(ris.unadjusted));
  if (ris.correction != HeterogeneityCorrection::none) {
    out << fmt::format(", x {} for {} = {:.1f}%", fixed(ris.adjustment_factor, 2),
                       ris.correction == HeterogeneityCorrection::diversity ? "diversity D^2"
                                                                            : "inconsistency I^2",
                       100.0 * ris.heterogeneity);
  }
  out << fmt::format("\nAccrued: {:.0f} participants ({:.1f}% of the required information)\n\n",
                     r.participants.back(), 100.0 * m.information_fraction.back());

  std::size_t w = 5;
  for (const auto& label : r.studies)
    w = std::max(w, shorten(label).size());
  const bool futility = s.futility != FutilityRule::none;
  out << fmt::format("{:<{}} {:>12} {:>9} {:>9} {:>8} {:>9}{}\n", "study", w, "participants",
                     "fraction", "estimate", "z", "boundary", futility ? "  futility" : "");
  for (std::size_t j = 0; j < r.studies.size(); ++j) {
    out << fmt::format("{:<{}} {:>12.0f} {:>8.1f}% {:>9} {:>8} {:>9}", shorten(r.studies[j]), w,
                       r.participants[j], 100.0 * m.information_fraction[j],
                       fixed(r.estimate[j], 4), fixed(m.z[j], 3),
                       boundary_text(m.boundaries.efficacy[j]));
    if (futility) out << fmt::format("  {:>8}", boundary_text(m.boundaries.futility[j]));
    out << '\n';
  }
  out << '\n' << sequential_conclusion(r) << '\n';
  const int level = static_cast<int>(std::lround(100.0 * (1.0 - s.alpha)));
  out << fmt::format("TSA-adjusted {}% CI of the last estimate ({}): [{}, {}]", level,
                     fixed(r.estimate.back(), 4), fixed(m.adjusted_ci_lb, 4),
                     fixed(m.adjusted_ci_ub, 4));
  if (r.back_transformed) {
    const auto& b = *r.back_transformed;
    out << fmt::format("; {} {} [{}, {}]", b.scale, fixed(b.estimate, 4), fixed(b.ci_lb, 4),
                       fixed(b.ci_ub, 4));
  }
  out << '\n';
  out << "Sequential methods control the error of repeated looks; they do not replace the "
         "assessment of risk of bias and of the other GRADE domains (Cochrane Handbook, ch. 22).\n";
  write_diagnostics(r.diagnostics, out);
}

}  // namespace evident::detail
