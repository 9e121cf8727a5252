// libFuzzer entry point: `evident fit` on arbitrary tables (see fuzz_targets.hpp).
#include "fuzz_targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  evident::fuzz::fit_target(data, size);
  return 0;
}
