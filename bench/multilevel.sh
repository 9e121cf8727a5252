#!/usr/bin/env bash
# Three-level models side by side: evident fit --random against metafor's rma.mv (dense, and with
# sparse = TRUE) on the same simulated data, in one run: times each, checks that the answers agree
# (the estimate and both variance components, relative 1e-4: metafor's default optimiser stops
# about 1e-5 from the optimum) and prints the ratios; then evident alone at 10^5 studies x 4
# estimates (4 x 10^5 rows), where metafor's dense fit cannot run.
#
#   bash bench/multilevel.sh                     # sizes 100, 500, 2000 studies for metafor
#   SIZES="100 500" BIG=100000 bash bench/multilevel.sh
#
# Environment: EVIDENT (binary, default build/evident), SIZES (studies x 4 estimates given to
# both), DENSE_MAX (largest size metafor's dense fit is run at; default 500), BIG (studies for
# evident alone). Profile intervals are off in the timings (metafor's rma.mv does not compute
# them either).
set -euo pipefail
cd "$(dirname "$0")/.."
EVIDENT=${EVIDENT:-build/evident}
SIZES=${SIZES:-"100 500 2000"}
DENSE_MAX=${DENSE_MAX:-500}
BIG=${BIG:-100000}
PYTHON=${PYTHON:-/usr/bin/python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

simulate() {  # studies path: three-level data, 4 estimates per study
  "$PYTHON" - "$1" "$2" <<'PY'
import sys
import numpy as np
n, path = int(sys.argv[1]), sys.argv[2]
rng = np.random.default_rng(n)
study = np.repeat(np.arange(1, n + 1), 4)
u = np.repeat(rng.normal(0, np.sqrt(0.05), n), 4)
vi = rng.uniform(0.01, 0.1, 4 * n)
yi = 0.2 + u + rng.normal(0, np.sqrt(0.03), 4 * n) + rng.normal(0, np.sqrt(vi))
with open(path, "w") as f:
    f.write("study,esid,yi,vi\n")
    for s, e, y, v in zip(study, np.arange(1, 4 * n + 1), yi, vi):
        f.write(f"{s},{e},{y!r},{v!r}\n")
PY
}

evident_fit() {  # path -> seconds estimate sigma2_1 sigma2_2
  local start end
  start=$(date +%s.%N)
  "$EVIDENT" fit "$1" --random "~ 1 | study/esid" --profile false --format json >"$work/e.json"
  end=$(date +%s.%N)
  "$PYTHON" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(float(sys.argv[2]), d["estimate"], *d["sigma2"])' \
    "$work/e.json" "$(echo "$end - $start" | bc)"
}

metafor_fit() {  # path sparse -> seconds estimate sigma2_1 sigma2_2
  Rscript -e '
    suppressPackageStartupMessages(library(metafor))
    a <- commandArgs(TRUE); d <- read.csv(a[1])
    t <- system.time(f <- rma.mv(yi, vi, random = ~ 1 | study/esid, data = d,
                                 sparse = as.logical(a[2])))[["elapsed"]]
    cat(t, coef(f)[[1]], f$sigma2, "\n")' "$1" "$2"
}

agree() {  # two result lines -> ok or the differences
  "$PYTHON" -c '
import sys
a = [float(x) for x in sys.argv[1].split()[1:]]
b = [float(x) for x in sys.argv[2].split()[1:]]
bad = [(x, y) for x, y in zip(a, b) if abs(x - y) > 1e-4 * max(abs(x), abs(y))]
print("answers agree" if not bad else f"answers differ: {bad}")' "$1" "$2"
}

printf '%-28s %10s %12s %12s %9s\n' "size" "evident s" "metafor s" "sparse s" "ratio"
for n in $SIZES; do
  simulate "$n" "$work/d.csv"
  e=$(evident_fit "$work/d.csv")
  s=$(metafor_fit "$work/d.csv" TRUE)
  if (( n <= DENSE_MAX )); then d=$(metafor_fit "$work/d.csv" FALSE); else d="NA"; fi
  es=${e%% *}
  ss=${s%% *}
  ds=${d%% *}
  ratio=$(echo "scale=1; $ss / $es" | bc)
  printf '%-28s %10.3f %12s %12.3f %8sx  %s\n' "$n studies x 4 ($((4 * n)) rows)" "$es" "$ds" "$ss" \
    "$ratio" "$(agree "$e" "$s")"
done
simulate "$BIG" "$work/big.csv"
e=$(evident_fit "$work/big.csv")
printf '%-28s %10.3f %12s %12s   (metafor not run)\n' "$BIG studies x 4 ($((4 * BIG)) rows)" "${e%% *}" "-" "-"
