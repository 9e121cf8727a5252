#!/usr/bin/env bash
# The main job: install what is missing, build in Release, and run evident on the bundled example.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh build -DEVIDENT_BUILD_TESTS=OFF
echo
echo "\$ evident fit data/examples/bcg.csv --measure RR --method REML"
./build/evident fit data/examples/bcg.csv --measure RR --method REML
