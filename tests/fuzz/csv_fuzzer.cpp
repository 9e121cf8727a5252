// libFuzzer entry point: the CSV reader (see fuzz_targets.hpp for the invariants).
#include "fuzz_targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  evident::fuzz::csv_target(data, size);
  return 0;
}
