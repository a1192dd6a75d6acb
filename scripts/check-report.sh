#!/usr/bin/env bash
# Browser check of report.html: renders it in headless Chromium, takes a
# screenshot, and fails on a console error, a blank page or a missing chart.
#
#   scripts/check-report.sh [REPORT] [SCREENSHOT]
#   (defaults: out/report.html, docs/report.png)
#
# Needs Debian's `chromium` (.ci/run installs it when missing).
set -euo pipefail
report=$(realpath "${1:-out/report.html}")
shot=$(realpath -m "${2:-docs/report.png}")
browser=$(command -v chromium || command -v chromium-browser || true)
[ -n "$browser" ] || { echo "chromium not found (apt-get install chromium)"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
       --disable-background-networking --disable-component-update --disable-sync
       --user-data-dir="$work/profile" --enable-logging=stderr --v=0)

# The DOM as the browser built it: every chart must be there.
"$browser" "${flags[@]}" --dump-dom "file://$report" > "$work/dom.html" 2> "$work/dom.log"
for id in chart-scores chart-aging chart-forecast chart-calibration chart-iv; do
  grep -q "id=\"$id\"><svg" "$work/dom.html" || { echo "missing chart: $id"; exit 1; }
done
grep -q "Credit risk early warning" "$work/dom.html" || { echo "blank page: no heading"; exit 1; }

# Console errors (Chromium logs them as CONSOLE lines with level ERROR).
"$browser" "${flags[@]}" --window-size=1200,3000 --screenshot="$shot" "file://$report" 2> "$work/shot.log" > /dev/null
if grep -E 'CONSOLE.*(ERROR|error)|Uncaught' "$work/dom.log" "$work/shot.log"; then
  echo "console errors in the report"; exit 1
fi
# A blank page compresses to a few KB; a rendered report is far larger.
size=$(stat -c %s "$shot")
[ "$size" -gt 60000 ] || { echo "screenshot is $size bytes: blank page?"; exit 1; }
echo "report OK: $(grep -c '<svg' "$work/dom.html") charts, screenshot $shot ($size bytes)"
