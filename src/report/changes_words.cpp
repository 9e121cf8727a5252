#include "report/changes_words.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>

#include "report/findings_text.hpp"
#include "report/format.hpp"

namespace evident::detail {

namespace {

std::string studies_text(const std::vector<std::string>& studies, const char* what) {
  return fmt::format("{} {} {}: {}", studies.size(), studies.size() == 1 ? "study" : "studies",
                     what, fmt::join(studies, ", "));
}

std::string effect(const std::string& abbrev, const std::optional<double>& est,
                   const std::optional<double>& lb, const std::optional<double>& ub) {
  if (!est || !std::isfinite(*est)) return "no estimate";
  return fmt::format("{}{} ({} to {})", abbrev.empty() ? "" : abbrev + " ", readable(*est),
                     lb ? readable(*lb) : "-", ub ? readable(*ub) : "-");
}

// The sequential conclusion as the change reads it.
std::string sequential_words(const std::string& before, const std::string& after) {
  if (after == "benefit") return "the monitoring boundary for benefit was crossed";
  if (after == "harm") return "the monitoring boundary for harm was crossed";
  if (after == "futility") return "the futility boundary was crossed";
  if (after == "information_size_reached") return "the required information size was reached";
  return fmt::format("the trial sequential analysis went from {} to {}", before, after);
}

}  // namespace

std::string changes_heading(const ReviewChanges& c) {
  const std::string by =
      c.previous_version.empty() ? "" : fmt::format(" (evident {})", c.previous_version);
  if (c.outcomes.empty()) return fmt::format("No changes since {}{}.", c.previous, by);
  return fmt::format("Changes since {}{}:", c.previous, by);
}

std::vector<std::string> change_sentences(const Review& review) {
  std::vector<std::string> out;
  if (!review.changes) return out;
  for (const OutcomeChange& c : review.changes->outcomes) {
    std::string abbrev;
    for (const auto& o : review.outcomes) {
      if (o.spec.id == c.id) abbrev = effect_abbrev(o.spec.analysis.effect.measure);
    }
    std::vector<std::string> parts;
    if (c.added) {
      parts.push_back("new outcome");
    } else if (c.removed) {
      parts.push_back("no longer in the review");
    }
    if (!c.studies_added.empty() && !c.added)
      parts.push_back(studies_text(c.studies_added, "added"));
    if (!c.studies_removed.empty() && !c.removed) {
      parts.push_back(studies_text(c.studies_removed, "removed"));
    }
    if (!c.status_after.empty()) {
      parts.push_back(fmt::format("status {} became {}", c.status_before, c.status_after));
    }
    if (!c.model_after.empty()) {
      parts.push_back(fmt::format("model {} became {}", c.model_before, c.model_after));
    }
    if (c.estimate_changed) {
      parts.push_back(fmt::format("{} became {}",
                                  effect(abbrev, c.estimate_before, c.ci_lb_before, c.ci_ub_before),
                                  effect(abbrev, c.estimate_after, c.ci_lb_after, c.ci_ub_after)));
    } else if (c.added) {
      parts.push_back(effect(abbrev, c.estimate_after, c.ci_lb_after, c.ci_ub_after));
    }
    if (!c.certainty_after.empty()) {
      parts.push_back(fmt::format("certainty {} became {}", c.certainty_before, c.certainty_after));
    }
    if (!c.sequential_after.empty()) {
      parts.push_back(sequential_words(c.sequential_before, c.sequential_after));
    }
    out.push_back(fmt::format("{}: {}.", c.name, fmt::join(parts, "; ")));
  }
  return out;
}

}  // namespace evident::detail
