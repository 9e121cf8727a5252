#pragma once
// The command line run in-process, for tests: exit code, standard output and standard error.

#include <sstream>
#include <string>
#include <vector>

#include "cli/run.hpp"

namespace evident::test {

struct CliRun {
  int code = -1;
  std::string out;
  std::string err;
};

inline CliRun run_cli(const std::vector<std::string>& args, const std::string& stdin_text = {}) {
  std::istringstream in(stdin_text);
  std::ostringstream out, err;
  CliRun r;
  r.code = evident::cli::run(args, in, out, err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

}  // namespace evident::test
