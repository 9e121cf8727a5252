#!/usr/bin/env bash
# Installs what evident needs to build and test, from Debian packages only.
# R and metafor are test peers (reference values), never runtime dependencies; Chromium is a test
# peer too (the HTML report must open in it without console errors). Plots are drawn with Cairo
# in DejaVu Sans, so text measures and renders the same everywhere; manifests are TOML (toml++).
# clang builds the libFuzzer targets and the sanitizer test build (scripts/test.sh). The Python
# package (python/) is built with pybind11 for Debian's python3, with numpy, pandas and dask.
set -euo pipefail

packages=(
  g++ cmake ninja-build ccache pkg-config clang libclang-rt-dev
  libboost-dev libeigen3-dev libcli11-dev libfmt-dev nlohmann-json3-dev libcairo2-dev
  libtomlplusplus-dev fonts-dejavu-core
  libgtest-dev libgmock-dev libbenchmark-dev
  r-base-core r-cran-metafor r-cran-metadat r-cran-jsonlite r-cran-clubsandwich
  python3 python3-dev pybind11-dev python3-pybind11 python3-numpy python3-pandas python3-dask
  python3-distributed python3-pytest
  chromium
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all packages present"
  exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
