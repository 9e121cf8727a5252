// libFuzzer entry point: review manifests (see fuzz_targets.hpp).
#include "fuzz_targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  evident::fuzz::manifest_target(data, size);
  return 0;
}
