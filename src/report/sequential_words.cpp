#include "report/sequential_words.hpp"

#include <fmt/format.h>

#include <cmath>

namespace evident::detail {

std::string spending_words(SpendingFunction f) {
  return f == SpendingFunction::pocock ? "Pocock" : "O'Brien-Fleming";
}

std::string sequential_conclusion(const SequentialResult& r) {
  const SequentialAnalysis& m = r.monitoring;
  const auto at = [&](std::size_t look) {
    return fmt::format("at study {} ({:.0f} participants, {:.0f}% of the required information)",
                       r.studies[look], r.participants[look], 100.0 * m.information_fraction[look]);
  };
  const double ris = std::ceil(r.information_size.adjusted);
  switch (m.conclusion) {
    case Conclusion::benefit:
      return fmt::format(
          "Firm evidence of benefit: the cumulative z crossed the monitoring boundary for benefit "
          "{}. More trials are not needed to show an effect of this direction.",
          at(*m.decisive_look));
    case Conclusion::harm:
      return fmt::format(
          "Firm evidence of harm: the cumulative z crossed the monitoring boundary for harm {}.",
          at(*m.decisive_look));
    case Conclusion::futility:
      return fmt::format(
          "Futility: the cumulative z entered the futility area {}: an effect as large as "
          "anticipated is unlikely.",
          at(*m.decisive_look));
    case Conclusion::information_size_reached:
      return fmt::format(
          "The required information size ({:.0f} participants) was reached without crossing a "
          "monitoring boundary: no firm evidence of an effect as large as anticipated.",
          ris);
    case Conclusion::not_yet:
      break;
  }
  return fmt::format(
      "Not yet conclusive: no monitoring boundary was crossed, and {:.0f} of the {:.0f} "
      "participants the information size requires have been randomised ({:.0f}%); about {:.0f} "
      "more are needed before the evidence can be called firm either way.",
      r.participants.back(), ris, 100.0 * r.participants.back() / r.information_size.adjusted,
      std::ceil(m.participants_needed));
}

}  // namespace evident::detail
