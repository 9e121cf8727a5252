#pragma once
// What changed since an earlier run of a living review (review/living.hpp), in words: one
// sentence per changed outcome, shared by the terminal summary and the HTML report (internal to
// the report layer).

#include <string>
#include <vector>

#include "evident/review/review.hpp"

namespace evident::detail {

// The heading: "Changes since PREVIOUS (evident X):" or "No changes since PREVIOUS." when
// nothing changed.
std::string changes_heading(const ReviewChanges& c);

// Per changed outcome: its name and what changed ("1 study added: Smith 2025; RR 0.28 (0.0032
// to 23.87) became RR 0.30 (0.01 to 9.10); certainty low became moderate; the monitoring
// boundary for benefit was crossed").
std::vector<std::string> change_sentences(const Review& review);

}  // namespace evident::detail
