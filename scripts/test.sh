#!/usr/bin/env bash
# Every test: install what is missing, prove the committed metafor reference values are metafor's,
# build in Release (GCC) and run the suite and the Python package's tests (pytest), then build
# with clang under AddressSanitizer and UBSan (with libFuzzer coverage), run the suite again and
# fuzz each target for a bounded time; last, the batch tests (the only multi-threaded code) under
# ThreadSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh

echo "== metafor reference values: regenerate and compare with the committed files"
Rscript tests/reference/generate.R --check
Rscript tests/reference/nonconvergence.R --check
Rscript tests/reference/generate_designs.R --check
Rscript tests/reference/generate_methods.R --check
Rscript tests/reference/generate_sequential.R --check
Rscript tests/reference/generate_bayes.R --check
Rscript tests/reference/generate_multilevel.R --check

echo "== Release build (GCC) and tests"
bash scripts/build.sh build -DEVIDENT_WERROR=ON -DEVIDENT_BUILD_TESTS=ON -DEVIDENT_PYTHON=ON
# The multilevel optimum is checked against a likelihood grid on 10,000 random data sets here.
EVIDENT_MULTILEVEL_TRIALS=10000 ctest --test-dir build --output-on-failure --no-tests=error -j 2

echo "== Python package: pytest against the command line's JSON, metafor's values and dask"
(cd build && EVIDENT_CLI="$PWD/evident" PYTHONPATH="$PWD/python" \
  /usr/bin/python3 -m pytest -q -p no:cacheprovider ../python/tests)

echo "== clang: AddressSanitizer + UndefinedBehaviorSanitizer build and tests"
CC=clang CXX=clang++ bash scripts/build.sh build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DEVIDENT_WERROR=ON -DEVIDENT_BUILD_TESTS=ON -DEVIDENT_SANITIZE=address,undefined -DEVIDENT_FUZZ=ON
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan --output-on-failure --no-tests=error -j 2

echo "== libFuzzer: each target for ${EVIDENT_FUZZ_SECONDS:-60} s (a crash input is kept in tests/fuzz/regressions/)"
EVIDENT_FUZZ_BUILD=build-asan bash scripts/fuzz.sh "${EVIDENT_FUZZ_SECONDS:-60}"

echo "== ThreadSanitizer build: the batch tests (the batch pool and readers, and a large fit's blocked sums)"
cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEVIDENT_WERROR=ON \
  -DEVIDENT_SANITIZE=thread >/dev/null
cmake --build build-tsan -j "${EVIDENT_JOBS:-2}" --target evident_batch_tests
TSAN_OPTIONS=halt_on_error=1 ./build-tsan/tests/evident_batch_tests

echo "== all tests passed"
