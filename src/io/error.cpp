#include "evident/error.hpp"

#include <fmt/format.h>

#include <utility>

namespace evident {

std::string InputProblem::format() const {
  if (where.file.empty()) return message;
  if (where.line == 0) return fmt::format("{}: {}", where.file, message);
  if (where.column == 0) return fmt::format("{}:{}: {}", where.file, where.line, message);
  return fmt::format("{}:{}:{}: {}", where.file, where.line, where.column, message);
}

namespace {
std::string join(const std::vector<InputProblem>& problems) {
  std::string text;
  for (const auto& p : problems) {
    if (!text.empty()) text += '\n';
    text += p.format();
  }
  return text;
}
}  // namespace

InputError::InputError(std::vector<InputProblem> problems)
    : std::runtime_error(join(problems)), problems_(std::move(problems)) {}

InputError::InputError(SourceLocation where, std::string message)
    : InputError(std::vector<InputProblem>{InputProblem{std::move(where), std::move(message)}}) {}

void ProblemList::add(SourceLocation where, std::string message) {
  ++count_;
  if (problems_.size() < kMaxKept) problems_.push_back({std::move(where), std::move(message)});
}

void ProblemList::add_first(SourceLocation where, std::string message) {
  ++count_;
  problems_.insert(problems_.begin(), {std::move(where), std::move(message)});
  if (problems_.size() > kMaxKept) problems_.pop_back();
}

void ProblemList::throw_if_any() const {
  if (count_ == 0) return;
  auto problems = problems_;
  if (count_ > problems.size()) {
    problems.push_back(
        {SourceLocation{}, fmt::format("... and {} more problems", count_ - problems.size())});
  }
  throw InputError(std::move(problems));
}

}  // namespace evident

#include "evident/diagnostic.hpp"

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
  }
  return "?";
}

}  // namespace evident
