#!/usr/bin/env bash
# Builds and installs the Python package `evident` for Debian's interpreter /usr/bin/python3, from
# Debian packages only (pybind11, numpy, pandas, dask, distributed; installed by install-deps.sh),
# with no download. Afterwards `/usr/bin/python3 -c 'import evident'` works from any directory.
# Usage: scripts/install-python.sh [BUILD_DIR]   (default build-python; EVIDENT_PYTHON_DIR=DIR
# installs into DIR instead of the interpreter's site directory, e.g. for a user install)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
build=${1:-build-python}
extra=()
[ -n "${EVIDENT_PYTHON_DIR:-}" ] && extra+=("-DEVIDENT_PYTHON_DIR=$EVIDENT_PYTHON_DIR")
bash scripts/build.sh "$build" -DEVIDENT_BUILD_TESTS=OFF -DEVIDENT_PYTHON=ON \
  -DPYTHON_EXECUTABLE=/usr/bin/python3 "${extra[@]}"
cmake --install "$build" --component python
cd /
/usr/bin/python3 -c 'import evident; print("installed evident", evident.__version__, "in", evident.__path__[0])'
