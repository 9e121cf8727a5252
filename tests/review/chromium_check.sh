#!/usr/bin/env bash
# Renders the knee review's report in headless Chromium and fails on any console error, failed
# resource or script error; keeps the report and screenshots in OUT for people to look at.
#
#   chromium_check.sh EVIDENT_BINARY REVIEW_DIR OUT_DIR
#
# Exits 77 (CTest: skipped) when no Chromium is installed; scripts/install-deps.sh installs
# Debian's chromium, so CI always runs it.
set -euo pipefail
evident=$1
review=$2
out=$3

browser=""
for candidate in chromium chromium-browser google-chrome; do
  if command -v "$candidate" >/dev/null 2>&1; then
    browser=$(command -v "$candidate")
    break
  fi
done
if [ -z "$browser" ]; then
  echo "SKIPPED: no chromium found (install it with scripts/install-deps.sh)"
  exit 77
fi

mkdir -p "$out"
rm -f "$out"/report.html "$out"/*.png "$out"/*.log
"$evident" review "$review" --out "$out/report.html" > "$out/summary.txt"

# Runs the browser on a page; stderr (its log, with console messages) goes to $2.
render() {
  local page=$1 log=$2 shot=$3 height=$4
  local profile
  profile=$(mktemp -d)
  # Flags: no sandbox (containers), no GPU, nothing fetched from the network by the browser
  # itself; a virtual time budget lets inline images decode before the screenshot.
  timeout 180 "$browser" --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run --disable-default-apps \
    --user-data-dir="$profile" --hide-scrollbars --enable-logging=stderr --v=0 \
    --virtual-time-budget=5000 --window-size=1280,"$height" --screenshot="$shot" \
    "file://$page" > /dev/null 2> "$log" || { rm -rf "$profile"; return 1; }
  rm -rf "$profile"
}

# Console messages appear in the log as "CONSOLE(...)" or ":CONSOLE:" lines; resource and script
# failures name themselves.
problems() {
  grep -E "CONSOLE|Uncaught|Failed to load resource|net::ERR_|Refused to|Not allowed to load" "$1" || true
}

# First prove the check can see a console error at all, so a silent log means a clean page.
probe="$out/probe.html"
printf '<!DOCTYPE html><html><body><script>console.error("evident-probe-error")</script></body></html>\n' > "$probe"
render "$probe" "$out/probe.log" "$out/probe.png" 200
if ! grep -q "evident-probe-error" "$out/probe.log"; then
  echo "FAIL: this Chromium does not log console messages to stderr; cannot check the report"
  cat "$out/probe.log"
  exit 1
fi

report=$(cd "$out" && pwd)/report.html
render "$report" "$out/chromium.log" "$out/report_top.png" 1800
render "$report" "$out/chromium_full.log" "$out/report_full.png" 16000
found=$(problems "$out/chromium.log"; problems "$out/chromium_full.log")
if [ -n "$found" ]; then
  echo "FAIL: the report produced console or loading errors:"
  echo "$found"
  exit 1
fi
for shot in "$out/report_top.png" "$out/report_full.png"; do
  size=$(stat -c %s "$shot" 2>/dev/null || echo 0)
  # A blank page compresses to a few kilobytes; the report is far larger.
  if [ "$size" -lt 50000 ]; then
    echo "FAIL: $shot is missing or blank ($size bytes)"
    exit 1
  fi
done
echo "OK: report renders in $(basename "$browser") without console errors"
echo "    screenshots: $out/report_top.png, $out/report_full.png"
