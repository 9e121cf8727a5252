#include "evident/io/error.hpp"

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
