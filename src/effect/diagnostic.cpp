#include "evident/effect/diagnostic.hpp"

namespace evident {

std::string_view diagnostic_name(DiagnosticCode code) noexcept {
  switch (code) {
    case DiagnosticCode::row_excluded_missing:
      return "row_excluded_missing";
    case DiagnosticCode::zero_cell_corrected:
      return "zero_cell_corrected";
    case DiagnosticCode::tau2_truncated:
      return "tau2_truncated";
    case DiagnosticCode::single_study:
      return "single_study";
    case DiagnosticCode::knha_with_common_effect:
      return "knha_with_common_effect";
    case DiagnosticCode::not_converged:
      return "not_converged";
    case DiagnosticCode::knha_single_study:
      return "knha_single_study";
    case DiagnosticCode::double_zero:
      return "double_zero";
    case DiagnosticCode::not_estimable:
      return "not_estimable";
    case DiagnosticCode::converted_fivenum:
      return "converted_fivenum";
    case DiagnosticCode::not_converted:
      return "not_converted";
    case DiagnosticCode::converted_wald:
      return "converted_wald";
    case DiagnosticCode::ci_not_symmetric:
      return "ci_not_symmetric";
    case DiagnosticCode::shared_control:
      return "shared_control";
    case DiagnosticCode::moderator_dropped:
      return "moderator_dropped";
    case DiagnosticCode::refit_failed:
      return "refit_failed";
    case DiagnosticCode::method_not_applicable:
      return "method_not_applicable";
    case DiagnosticCode::non_finite_result:
      return "non_finite_result";
    case DiagnosticCode::repeated_study:
      return "repeated_study";
  }
  return "?";
}

}  // namespace evident
