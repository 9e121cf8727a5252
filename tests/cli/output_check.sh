#!/usr/bin/env bash
# Output that cannot be written is never a success, and output never destroys what it must not:
# every subcommand exits non-zero with "writing standard output failed" when standard output is
# /dev/full or closed; a device (/dev/null) or FIFO given as an output file is written into, not
# replaced; a symbolic link is followed; an output that is one of the run's inputs is refused.
# Usage: output_check.sh EVIDENT REPO WORK_DIR
set -u
evident=$1 repo=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
fail() { echo "FAIL: $*"; exit 1; }
bcg="$repo/tests/reference/data/bcg.csv"
printf 'id,yi,vi\n1,0.1,0.01\n1,0.2,0.02\n2,0.3,0.01\n2,0.1,0.03\n' > "$work/in.csv"
cp -r "$repo/data/knee_msc" "$work/review"

commands=(
  "fit $bcg --measure RR"
  "fit $bcg --measure RR --format json"
  "fit $bcg --measure RR --format csv"
  "fit $bcg --measure RR --mods ablat"
  "influence $bcg --measure RR"
  "bias $bcg --measure RR"
  "sequential $bcg --measure RR"
  "batch $work/in.csv --by id --out -"
  "simulate --analyses 5 --k 3"
  "review $work/review --out $work/review.html"
  "--help"
  "--version"
)
for c in "${commands[@]}"; do
  # shellcheck disable=SC2086
  "$evident" $c > /dev/full 2> "$work/err"
  status=$?
  [ "$status" -ne 0 ] || fail "'$c' > /dev/full exited 0"
  grep -q "writing standard output failed" "$work/err" || fail "'$c' > /dev/full: $(cat "$work/err")"
  # shellcheck disable=SC2086
  "$evident" $c >&- 2> "$work/err"
  [ $? -ne 0 ] || fail "'$c' with standard output closed exited 0"
done

# A device is written into, never replaced (as root a rename over /dev/null would succeed).
"$evident" batch "$work/in.csv" --by id --format csv --out /dev/null || fail "batch --out /dev/null"
[ -c /dev/null ] || fail "/dev/null is no longer a device"
"$evident" fit "$bcg" --measure RR --format json > /dev/null || fail "fit > /dev/null"

# A FIFO stays a FIFO and receives the results.
mkfifo "$work/pipe.csv"
cat "$work/pipe.csv" > "$work/from_pipe.csv" &
reader=$!
"$evident" batch "$work/in.csv" --by id --out "$work/pipe.csv" || fail "batch --out FIFO"
wait $reader
[ -p "$work/pipe.csv" ] || fail "the FIFO was replaced"
[ "$(wc -l < "$work/from_pipe.csv")" -eq 3 ] || fail "the FIFO did not get the results"

# A symbolic link is followed: the link stays, its target gets the plot.
ln -s "$work/target.svg" "$work/link.svg"
"$evident" fit "$bcg" --measure RR --forest "$work/link.svg" > /dev/null || fail "--forest link"
[ -L "$work/link.svg" ] || fail "the link was replaced"
grep -q "<svg" "$work/target.svg" || fail "the link's target has no plot"

# An output that is an input is refused, and the input is left whole.
before=$(cksum < "$work/in.csv")
"$evident" batch "$work/in.csv" --by id --out "$work/in.csv" 2> "$work/err"
[ $? -eq 2 ] || fail "batch --out INPUT did not exit 2"
[ "$(cksum < "$work/in.csv")" = "$before" ] || fail "batch --out INPUT changed the input"
grep -q "is an input of this run" "$work/err" || fail "batch --out INPUT: $(cat "$work/err")"
before=$(cksum < "$work/review/studies.csv")
"$evident" review "$work/review" --out "$work/review/studies.csv" > /dev/null 2> "$work/err"
[ $? -eq 2 ] || fail "review --out DATA did not exit 2"
[ "$(cksum < "$work/review/studies.csv")" = "$before" ] || fail "review --out DATA changed it"
echo "outputs are checked and never destroy inputs, devices, FIFOs or links"
