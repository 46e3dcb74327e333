#!/usr/bin/env bash
# The main job's report and export, small: one BLE run recorded, then
# `chunksim report --html` and `chunksim export` on it; the trace is checked by
# check_perfetto.py with python3 (a dependency: tools/deps.sh installs it).
# Usage: report_export_e2e.sh CHUNKSIM SCENARIO.ini PYTHON3 CHECK_PERFETTO.py
set -euo pipefail
chunksim=$1 scenario=$2 python=${3:-} check=${4:-}
if [ -z "$python" ] || [ ! -x "$python" ]; then
  echo "python3 not found (got '$python'): the Perfetto trace cannot be checked;" \
    "tools/deps.sh installs it" >&2
  exit 1
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

"$chunksim" run "$scenario" --db "$dir/x.db" -q \
  --set coredump.size_bytes=8KiB --set link.att_mtu=247 >/dev/null
"$chunksim" report --db "$dir/x.db" --scenario ble_default --html "$dir/report.html"
"$chunksim" export --db "$dir/x.db" --scenario ble_default --format perfetto "$dir/t.json"

# Self-contained: nothing fetched, no script; every <svg> closed.
if grep -Eq 'https?://|<script|src=|href=' "$dir/report.html"; then
  echo "report.html refers to something outside itself" >&2
  exit 1
fi
opened=$(grep -o '<svg' "$dir/report.html" | wc -l)
closed=$(grep -o '</svg>' "$dir/report.html" | wc -l)
if [ "$opened" -lt 2 ] || [ "$opened" -ne "$closed" ]; then
  echo "report.html: $opened <svg> against $closed </svg>" >&2
  exit 1
fi
"$python" "$check" "$dir/t.json"
echo "report and export ok"
