#!/usr/bin/env bash
# evident, metafor (R) and statsmodels side by side on one simulated data set, in the same run:
# generates the data with `evident simulate`, times each tool, checks that their answers agree
# (relative 1e-6 on the estimate and tau2 of the analyses compared) and prints the ratios.
# Then the large-k lines: one REML analysis of k = 10^7 studies, and k = 10^6 with five moderators
# (metafor is not run there: rma() builds k x k matrices and fails beyond about k = 10^4).
#
#   bash bench/compare.sh                  # build/evident, 10^6 analyses of k = 10
#   N=100000 N_METAFOR=500 bash bench/compare.sh
#
# Environment: EVIDENT (binary, default build/evident), N (analyses for evident), K (studies per
# analysis), N_METAFOR and N_STATSMODELS (the first analyses of the same file given to them),
# THREADS (evident's --threads; default all cores), LARGE=0 to skip the large-k lines.
set -euo pipefail
cd "$(dirname "$0")/.."

EVIDENT=${EVIDENT:-build/evident}
N=${N:-1000000}
K=${K:-10}
N_METAFOR=${N_METAFOR:-2000}
N_STATSMODELS=${N_STATSMODELS:-20000}
THREADS=${THREADS:-0}
LARGE=${LARGE:-1}
# Debian's python has numpy and statsmodels; a python3 earlier on PATH (pyenv) may not.
PYTHON=${PYTHON:-/usr/bin/python3}

if [[ ! -x "$EVIDENT" ]]; then
  echo "no evident binary at $EVIDENT: build first (see README)" >&2
  exit 2
fi
if ! "$PYTHON" -c 'import statsmodels' 2>/dev/null; then
  echo "== installing python3-statsmodels"
  SUDO=$([[ $(id -u) -eq 0 ]] && echo "" || echo sudo)
  $SUDO apt-get install -y -q python3-statsmodels >/dev/null
fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

echo "== data: $N analyses of k = $K (evident simulate --seed 1)"
"$EVIDENT" simulate --analyses "$N" --k "$K" --mu 0.2 --tau2 0.1 --vi-min 0.01 --vi-max 0.1 \
  --seed 1 --out "$WORK/sim.csv"
awk -F, -v n="$N_METAFOR" 'NR == 1 || $1 <= n' "$WORK/sim.csv" >"$WORK/sim_metafor.csv"
awk -F, -v n="$N_STATSMODELS" 'NR == 1 || $1 <= n' "$WORK/sim.csv" >"$WORK/sim_statsmodels.csv"

declare -A SECONDS_OF
for method in REML DL; do
  t0=$(now)
  "$EVIDENT" batch "$WORK/sim.csv" --by id --method "$method" --threads "$THREADS" \
    --out "$WORK/evident_$method.csv"
  t1=$(now)
  SECONDS_OF[evident_$method]=$(elapsed "$t0" "$t1")
done

cat >"$WORK/metafor.R" <<'EOF'
suppressPackageStartupMessages(library(metafor))
args <- commandArgs(trailingOnly = TRUE)
dat <- read.csv(args[1])
groups <- split(dat, dat$id)
ctrl <- list(threshold = 1e-10, maxiter = 1000)
for (method in c("REML", "DL")) {
  fits <- vector("list", length(groups))
  time <- system.time(for (i in seq_along(groups)) {
    g <- groups[[i]]
    fits[[i]] <- tryCatch(rma(g$yi, g$vi, method = method, control = ctrl), error = function(e) NULL)
  })[["elapsed"]]
  out <- data.frame(id = as.integer(names(groups)),
                    estimate = sapply(fits, function(f) if (is.null(f)) NA else f$b[1]),
                    tau2 = sapply(fits, function(f) if (is.null(f)) NA else f$tau2))
  write.csv(out, file.path(args[2], paste0("metafor_", method, ".csv")), row.names = FALSE)
  cat(method, time, "\n", file = file.path(args[2], "metafor_times.txt"), append = TRUE)
}
EOF
echo "== metafor: the first $N_METAFOR analyses"
Rscript "$WORK/metafor.R" "$WORK/sim_metafor.csv" "$WORK"

cat >"$WORK/run_statsmodels.py" <<'EOF'
import csv, sys, time, warnings
import numpy as np
from statsmodels.stats.meta_analysis import combine_effects

ids, yi, vi = [], [], []
with open(sys.argv[1]) as f:
    for row in csv.DictReader(f):
        ids.append(int(row["id"])); yi.append(float(row["yi"])); vi.append(float(row["vi"]))
ids, yi, vi = np.array(ids), np.array(yi), np.array(vi)
bounds = np.flatnonzero(np.diff(ids)) + 1
starts = np.concatenate(([0], bounds)); ends = np.concatenate((bounds, [len(ids)]))
rows = []
warnings.simplefilter("ignore")  # statsmodels warns about the sqrt of a negative tau2
t0 = time.perf_counter()
for s, e in zip(starts, ends):
    r = combine_effects(yi[s:e], vi[s:e], method_re="dl")
    rows.append((ids[s], r.mean_effect_re, r.tau2))
elapsed = time.perf_counter() - t0
with open(sys.argv[2], "w") as f:
    f.write("id,estimate,tau2\n")
    for i, m, t in rows:
        f.write(f"{i},{m!r},{t!r}\n")
print(f"{elapsed:.3f}")
EOF
echo "== statsmodels (DerSimonian-Laird): the first $N_STATSMODELS analyses"
SECONDS_OF[statsmodels_DL]=$("$PYTHON" "$WORK/run_statsmodels.py" "$WORK/sim_statsmodels.csv" \
  "$WORK/statsmodels_DL.csv")
while read -r method secs; do SECONDS_OF[metafor_$method]=$secs; done <"$WORK/metafor_times.txt"

cat >"$WORK/agree.py" <<'EOF'
import csv, sys

def read(path, key_est="estimate", key_tau2="tau2"):
    out = {}
    with open(path) as f:
        for row in csv.DictReader(f):
            est, tau2 = row[key_est], row[key_tau2]
            if est in ("", "NA") or tau2 in ("", "NA"):
                continue
            out[int(row["id"])] = (float(est), float(tau2))
    return out

# Near tau2 = 0, metafor's Fisher scoring stops at about 1e-11 where the maximum is at 0: an
# absolute floor of 1e-4 (1% of the smallest sampling variance, 0.01) keeps such differences from
# reading as relative ones.
TAU2_FLOOR = 1e-4

def rel(a, b, floor):
    return abs(a - b) / max(abs(a), abs(b), floor)

evident, other, name = read(sys.argv[1]), read(sys.argv[2]), sys.argv[3]
truncate = name == "statsmodels"
worst_est = worst_tau2 = 0.0
compared = skipped = 0
for i, (est, tau2) in other.items():
    e = evident[i]
    if truncate and tau2 < 0:
        # statsmodels keeps a negative DerSimonian-Laird tau2 and weights with it; metafor and
        # evident truncate it at 0 (DerSimonian & Laird 1986). Only tau2 is comparable there.
        worst_tau2 = max(worst_tau2, rel(e[1], 0.0, TAU2_FLOOR))
        skipped += 1
        continue
    worst_est = max(worst_est, rel(e[0], est, 1e-8))
    worst_tau2 = max(worst_tau2, rel(e[1], tau2, TAU2_FLOOR))
    compared += 1
ok = worst_est <= 1e-6 and worst_tau2 <= 1e-6
note = f" ({skipped} with a negative tau2 compared on tau2 only)" if skipped else ""
print(f"  {name}: {compared + skipped} analyses, largest relative difference: estimate "
      f"{worst_est:.1e}, tau2 {worst_tau2:.1e}{note}: {'agree' if ok else 'DISAGREE'}")
sys.exit(0 if ok else 1)
EOF

echo "== agreement (relative 1e-6; denominators floored at 1e-8 for the estimate, 1e-4 for tau2)"
status=0
"$PYTHON" "$WORK/agree.py" "$WORK/evident_REML.csv" "$WORK/metafor_REML.csv" metafor || status=1
"$PYTHON" "$WORK/agree.py" "$WORK/evident_DL.csv" "$WORK/metafor_DL.csv" metafor || status=1
"$PYTHON" "$WORK/agree.py" "$WORK/evident_DL.csv" "$WORK/statsmodels_DL.csv" statsmodels ||
  status=1

echo "== speed, end to end (evident includes reading the CSV and writing the results)"
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%12.0f", n / s }'; }
printf "  %-22s %10s %12s %14s\n" tool analyses seconds "analyses/s"
for method in REML DL; do
  printf "  %-22s %10d %12s %14s\n" "evident $method" "$N" "${SECONDS_OF[evident_$method]}" \
    "$(rate "$N" "${SECONDS_OF[evident_$method]}")"
  printf "  %-22s %10d %12s %14s\n" "metafor $method" "$N_METAFOR" \
    "${SECONDS_OF[metafor_$method]}" "$(rate "$N_METAFOR" "${SECONDS_OF[metafor_$method]}")"
done
printf "  %-22s %10d %12s %14s\n" "statsmodels DL" "$N_STATSMODELS" \
  "${SECONDS_OF[statsmodels_DL]}" "$(rate "$N_STATSMODELS" "${SECONDS_OF[statsmodels_DL]}")"
ratio() { awk -v n1="$1" -v s1="$2" -v n2="$3" -v s2="$4" 'BEGIN { printf "%.0f", (n1 / s1) / (n2 / s2) }'; }
echo "  evident / metafor, REML: $(ratio "$N" "${SECONDS_OF[evident_REML]}" "$N_METAFOR" \
  "${SECONDS_OF[metafor_REML]}")x; DL: $(ratio "$N" "${SECONDS_OF[evident_DL]}" "$N_METAFOR" \
  "${SECONDS_OF[metafor_DL]}")x"
echo "  evident / statsmodels, DL: $(ratio "$N" "${SECONDS_OF[evident_DL]}" "$N_STATSMODELS" \
  "${SECONDS_OF[statsmodels_DL]}")x"

if [[ "$LARGE" == 1 ]]; then
  echo "== large k (metafor: infeasible beyond about k = 10^4, rma() builds k x k matrices)"
  "$EVIDENT" simulate --analyses 1 --k 10000000 --seed 2 --out "$WORK/k1e7.csv"
  t0=$(now)
  "$EVIDENT" batch "$WORK/k1e7.csv" --by id --out "$WORK/k1e7_batch.csv"
  t1=$(now)
  echo "  REML, k = 10^7, evident batch:               $(elapsed "$t0" "$t1") s"
  t0=$(now)
  "$EVIDENT" fit "$WORK/k1e7.csv" --format csv >"$WORK/k1e7_fit.csv"
  t1=$(now)
  echo "  REML, k = 10^7, evident fit (full report):   $(elapsed "$t0" "$t1") s"
  rm -f "$WORK/k1e7.csv"
  "$EVIDENT" simulate --analyses 1 --k 1000000 --seed 3 --out "$WORK/k1e6.csv"
  awk 'BEGIN { srand(7) } NR == 1 { print $0 ",x1,x2,x3,x4,x5"; next }
       { printf "%s,%.6f,%.6f,%.6f,%.6f,%.6f\n", $0, rand(), rand(), rand(), rand(), rand() }' \
    "$WORK/k1e6.csv" >"$WORK/k1e6_mods.csv"
  t0=$(now)
  "$EVIDENT" fit "$WORK/k1e6_mods.csv" --mods x1,x2,x3,x4,x5 --format csv >"$WORK/k1e6_mods.out"
  t1=$(now)
  echo "  REML, k = 10^6, 5 moderators, evident fit:   $(elapsed "$t0" "$t1") s"
fi
exit $status
