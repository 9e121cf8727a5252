#pragma once
/// \file
/// Errors in input: every problem names the file, line, column and what is wrong.

#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

namespace evident {

/// A place in an input file. `line` and `column` are 1-based; 0 means "not applicable" (for
/// example a problem with the whole file, or with a command-line option).
struct SourceLocation {
  std::string file;
  std::size_t line = 0;
  std::size_t column = 0;
};

/// One thing wrong with the input, and where.
struct InputProblem {
  SourceLocation where;
  std::string message;

  /// `file:line:column: message`, the form compilers use, so editors can jump to it.
  [[nodiscard]] std::string format() const;
};

/// Thrown when input cannot be used (malformed CSV, a text where a number belongs, a negative
/// variance, ...). It carries every problem found, not just the first, up to a limit. The command
/// line maps it to exit code 2. Numerical outcomes of a valid input are never reported this way:
/// they are data inside the result (see Fit::termination and diagnostics).
class InputError : public std::runtime_error {
 public:
  explicit InputError(std::vector<InputProblem> problems);
  InputError(SourceLocation where, std::string message);

  [[nodiscard]] const std::vector<InputProblem>& problems() const noexcept { return problems_; }

 private:
  std::vector<InputProblem> problems_;
};

/// Collects input problems so a reader can report all of them at once. `throw_if_any()` throws
/// an InputError holding what was collected.
class ProblemList {
 public:
  /// At most this many problems are kept; a final line says how many more there were.
  static constexpr std::size_t kMaxKept = 20;

  void add(SourceLocation where, std::string message);
  /// Adds a problem ahead of those already added (one found later that explains the others).
  void add_first(SourceLocation where, std::string message);
  [[nodiscard]] bool empty() const noexcept { return count_ == 0; }
  [[nodiscard]] std::size_t size() const noexcept { return count_; }
  void throw_if_any() const;

 private:
  std::vector<InputProblem> problems_;
  std::size_t count_ = 0;
};

}  // namespace evident
