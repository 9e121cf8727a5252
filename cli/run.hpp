#pragma once
// The command line as a function, so tests run it in-process and main() stays a one-liner.

#include <iosfwd>
#include <string>
#include <vector>

namespace evident::cli {

/// Exit codes (DESIGN.md): success, internal failure, bad input or usage.
inline constexpr int kExitOk = 0;
inline constexpr int kExitInternal = 1;
inline constexpr int kExitBadInput = 2;

/// Runs `evident` with `args` (without the program name). Reads standard input from `in` when
/// the file is "-", writes results to `out` and messages to `err`, and returns the exit code.
/// Never throws.
int run(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
        std::ostream& err);

}  // namespace evident::cli
