#pragma once
/// \file
/// Diagnostics: coded notes about a result that a reader should know (a study left out, a zero
/// cell corrected, tau^2 truncated at zero). They are data in the result, never exceptions.

#include <string>
#include <string_view>

namespace evident {

enum class DiagnosticCode {
  row_excluded_missing,     ///< a row lacked a value the measure needs and was left out
  zero_cell_corrected,      ///< `add` was added to the cells of a study with a zero cell
  tau2_truncated,           ///< the tau^2 estimate was negative and set to 0
  single_study,             ///< k = 1: nothing is pooled, heterogeneity is not estimable
  knha_with_common_effect,  ///< the Knapp-Hartung adjustment is not meant for common-effect models
  not_converged,            ///< an iterative estimator stopped before reaching its tolerance
  knha_single_study,        ///< k = 1: Knapp-Hartung has no degrees of freedom; z test used
  double_zero,              ///< a table with no events in either group (or only events)
  not_estimable,            ///< the pooled estimate is undefined for these data (e.g. no events)
  converted_fivenum,        ///< a mean and SD were estimated from a median, quartiles, range
  not_converted,            ///< a five-number summary was not converted (skewed, or n < 5)
  converted_wald,           ///< a sampling variance was computed from a CI, p-value or z value
  ci_not_symmetric,         ///< the estimate is not halfway between its CI bounds
  shared_control,           ///< a multi-arm trial's shared control arm was combined or split
  moderator_dropped,        ///< a design column was a combination of others and was dropped
  refit_failed,             ///< a refit inside a method (leave-one-out, influence, ...) failed
  method_not_applicable,    ///< a method needs more studies or other data than there are
  non_finite_result,        ///< a result that should be a number is not (overflow, degenerate data)
  repeated_study,           ///< several estimates share a study label and are pooled as independent
};

[[nodiscard]] std::string_view diagnostic_name(DiagnosticCode code) noexcept;

/// A diagnostic as shown to a user. `study` is empty when it concerns the whole analysis.
struct Diagnostic {
  DiagnosticCode code;
  std::string message;
  std::string study;
};

}  // namespace evident
