#pragma once
/// \file
/// Which direction of an effect is good: shared by the plots' "favours" labels, the certainty
/// rating of a review and the conclusion of a sequential analysis.

#include <optional>
#include <string_view>

namespace evident {

/// Which values of the effect favour the intervention.
enum class Benefit {
  lower,   ///< lower is better (harms, pain, events such as death)
  higher,  ///< higher is better (response, function)
};

/// "lower" or "higher", case-insensitive; nullopt for anything else.
[[nodiscard]] std::optional<Benefit> parse_benefit(std::string_view name) noexcept;
[[nodiscard]] std::string_view benefit_name(Benefit b) noexcept;

}  // namespace evident
