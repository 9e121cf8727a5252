#!/usr/bin/env bash
# Every test: install what is missing, prove the committed metafor reference values are metafor's,
# build in Release and run the suite, then again under AddressSanitizer and UBSan, and the batch
# tests under ThreadSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh

echo "== metafor reference values: regenerate and compare with the committed files"
Rscript tests/reference/generate.R --check
Rscript tests/reference/nonconvergence.R --check
Rscript tests/reference/generate_designs.R --check
Rscript tests/reference/generate_methods.R --check

echo "== Release build and tests"
bash scripts/build.sh build -DEVIDENT_WERROR=ON
ctest --test-dir build --output-on-failure -j 2

echo "== AddressSanitizer + UndefinedBehaviorSanitizer build and tests"
bash scripts/build.sh build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEVIDENT_WERROR=ON \
  -DEVIDENT_SANITIZE=address,undefined
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan --output-on-failure -j 2

echo "== ThreadSanitizer build: the batch tests (the only multi-threaded code)"
cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEVIDENT_WERROR=ON \
  -DEVIDENT_SANITIZE=thread >/dev/null
cmake --build build-tsan -j "${EVIDENT_JOBS:-2}" --target evident_tests
TSAN_OPTIONS=halt_on_error=1 ./build-tsan/tests/evident_tests --gtest_filter='Batch*'

echo "== all tests passed"
