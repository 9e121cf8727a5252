#include <csignal>
#include <iostream>
#include <string>
#include <vector>

#include "io/output_file.hpp"
#include "run.hpp"

namespace {

// On an interrupt or termination, the half-written temporary files of results, reports and plots
// are removed before the process ends as the signal's default action would end it (SIGKILL cannot
// be caught; docs/cli.md says what it leaves).
extern "C" void remove_partial_and_end(int signal) {
  evident::detail::remove_partial_outputs();
  std::signal(signal, SIG_DFL);
  std::raise(signal);
}

}  // namespace

int main(int argc, char** argv) {
  for (int s : {SIGINT, SIGTERM, SIGHUP})
    std::signal(s, remove_partial_and_end);
  std::ios::sync_with_stdio(false);
  std::vector<std::string> args(argv + 1, argv + argc);
  return evident::cli::run(args, std::cin, std::cout, std::cerr);
}
