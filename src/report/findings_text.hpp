#pragma once
// Words for results: effects with their intervals, absolute effects, certainty, and the
// plain-language statements of a review. Shared by the HTML report and the terminal summary;
// formatting only (every number comes from the Review).

#include <string>

#include "evident/review/review.hpp"

namespace evident::detail {

// "RR", "MD", ... as a short name of the measure.
[[nodiscard]] std::string effect_abbrev(Measure m);
// A number for reading: 2 decimals, or 3 significant digits when very small or large.
[[nodiscard]] std::string readable(double v);
// "RR 1.05 (95% CI 0.86 to 1.28)" on the natural scale.
[[nodiscard]] std::string effect_text(const Findings& f, Measure m, double level);
// "25 more per 1000 (70 fewer to 140 more)".
[[nodiscard]] std::string per_1000_text(const AbsoluteEffect& a);
// "+25 (-70 to +140)" for narrow tables.
[[nodiscard]] std::string per_1000_short(const AbsoluteEffect& a);
// "low", or "at most low" when risk of bias or indirectness was not assessed.
[[nodiscard]] std::string certainty_label(const Findings& f);
// "⊕⊕◯◯ low".
[[nodiscard]] std::string certainty_symbols(Certainty c);
// Number of studies and participants of a pooled outcome: "3 studies, 110 participants".
[[nodiscard]] std::string size_text(const OutcomeResult& o);
// The plain-language statement of a pooled outcome (Santesso et al. 2020), never stronger than
// its numbers.
[[nodiscard]] std::string plain_statement(const OutcomeResult& o);
// One sentence on what the published panel shows, with no claim beyond the printed numbers.
[[nodiscard]] std::string panel_statement(const PublishedPanelResult& p);
// Why an outcome without data could not be analysed, naming the rows that matched.
[[nodiscard]] std::string missing_text(const OutcomeResult& o);
// The same in one short sentence, for a table cell.
[[nodiscard]] std::string missing_short(const OutcomeResult& o);
// The outcome's total participants (NaN when unknown).
[[nodiscard]] double participants(const OutcomeResult& o);

}  // namespace evident::detail
