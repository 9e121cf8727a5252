#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (AddressSanitizer and UBSan on) and runs each for a
# bounded time, starting from the committed corpus and the test data. A crash input is copied to
# tests/fuzz/regressions/<target>/ (commit it with the fix: the test suite replays it) and the
# script fails. Usage: scripts/fuzz.sh [SECONDS_PER_TARGET]   (default 60)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-${EVIDENT_FUZZ_SECONDS:-60}}

# EVIDENT_FUZZ_BUILD names an existing clang build with -DEVIDENT_FUZZ=ON (scripts/test.sh builds
# one that also runs the test suite under the sanitizers); else build-fuzz is configured here.
build=${EVIDENT_FUZZ_BUILD:-build-fuzz}
if [ ! -f "$build/CMakeCache.txt" ]; then
  CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DEVIDENT_FUZZ=ON -DEVIDENT_SANITIZE=address,undefined -DEVIDENT_BUILD_TESTS=OFF >/dev/null
fi
cmake --build "$build" -j "${EVIDENT_JOBS:-2}" --target csv_fuzzer fit_fuzzer manifest_fuzzer

status=0
for target in csv fit manifest; do
  work=$build/corpus-$target
  crashes=$build/crashes-$target
  mkdir -p "$work" "$crashes"
  cp tests/fuzz/corpus/$target/* "$work"/ 2>/dev/null || true
  if [ "$target" = csv ]; then
    cp tests/reference/data/*.csv tests/data/*.csv "$work"/ 2>/dev/null || true
  fi
  echo "== fuzzing $target for ${seconds}s"
  if ! ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
      "./$build/tests/fuzz/${target}_fuzzer" "$work" -max_total_time="$seconds" \
      -max_len=65536 -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$crashes/" \
      -print_final_stats=1 2>"$build/$target.log"; then
    status=1
    tail -40 "$build/$target.log"
    mkdir -p tests/fuzz/regressions/$target
    cp "$crashes"/* tests/fuzz/regressions/$target/ 2>/dev/null || true
    echo "fuzz: $target crashed; inputs saved in tests/fuzz/regressions/$target/"
  else
    grep -E 'stat::number_of_executed_units|cov:' "$build/$target.log" | tail -2
  fi
done
exit $status
