#!/usr/bin/env bash
# An interrupted run leaves no half-written file: evident simulate into a file, SIGTERM (then
# SIGINT) while it writes, and no `.NAME.partial-*` may remain; the exit status is the signal's.
# Usage: signal_check.sh EVIDENT WORK_DIR
set -u
evident=$1 work=$2
rm -rf "$work" && mkdir -p "$work"
for sig in TERM INT; do
  "$evident" simulate --analyses 100000000 --k 10 --out "$work/sim.csv" &
  pid=$!
  for _ in $(seq 1 200); do  # up to 20 s for the temporary file to appear
    compgen -G "$work/.sim.csv.partial-*" >/dev/null && break
    sleep 0.1
  done
  if ! compgen -G "$work/.sim.csv.partial-*" >/dev/null; then
    echo "no temporary file appeared"; kill -KILL $pid; exit 1
  fi
  kill -$sig $pid
  wait $pid
  status=$?
  expected=$((128 + $(kill -l $sig)))
  if [ "$status" -ne "$expected" ]; then echo "SIG$sig: exit status $status, not $expected"; exit 1; fi
  if compgen -G "$work/.sim.csv.partial-*" >/dev/null || [ -e "$work/sim.csv" ]; then
    echo "SIG$sig left a file:"; ls -la "$work"; exit 1
  fi
done
echo "interrupted runs leave no partial files"
