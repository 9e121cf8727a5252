#!/usr/bin/env bash
# Installs the build into a scratch prefix, builds tests/package against it with
# find_package(evident), and checks that the program prints what `evident fit` prints.
# Usage: check.sh SOURCE_DIR BUILD_DIR WORK_DIR
set -euo pipefail
src=$1 build=$2 work=$3
rm -rf "$work"
mkdir -p "$work"
cmake --install "$build" --prefix "$work/prefix" >"$work/install.log"
cmake -S "$src/tests/package" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$work/prefix" >"$work/configure.log"
cmake --build "$work/build" >"$work/build.log"
data="$src/data/examples/bcg.csv"
"$work/build/consumer" "$data" RR >"$work/consumer.json"
"$work/prefix/bin/evident" fit "$data" --measure RR --format json >"$work/cli.json"
cmp "$work/consumer.json" "$work/cli.json"
# The installed headers are the public ones only: no internal header of src/ leaks.
if find "$work/prefix/include" -type f | grep -v '\.hpp$'; then
  echo "installed include/ holds files that are not headers" >&2
  exit 1
fi
echo "find_package(evident) consumer: links and prints what evident fit prints"
