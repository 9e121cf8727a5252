// Links the installed evident: analyses a CSV file with the in-memory API of the core and prints
// the JSON report the command line prints for the same analysis (check.sh compares the two).
#include <iostream>

#include "evident/effect/effect.hpp"
#include "evident/io/csv.hpp"
#include "evident/io/error.hpp"
#include "evident/methods/summary.hpp"
#include "evident/model/fit.hpp"
#include "evident/report/report.hpp"
#include "evident/version.hpp"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: consumer FILE MEASURE\n";
    return 2;
  }
  try {
    evident::AnalysisSpec spec;
    spec.effect.measure = *evident::parse_measure(argv[2]);
    const evident::StudyTable table = evident::read_csv_file(argv[1]);
    const evident::Analysis analysis = evident::analyse(table, spec);
    evident::find_renderer("json")->render(analysis, std::cout);
    std::cout.flush();
    return std::cout ? 0 : 1;
  } catch (const evident::InputError& e) {
    std::cerr << e.what() << '\n';
    return 2;
  }
}
