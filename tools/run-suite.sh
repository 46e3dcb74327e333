#!/usr/bin/env bash
# The main job. Installs missing dependencies, configures and builds, then
# runs the default scenario suite (scenarios/*.ini) into a SQLite file,
# prints the summary, and writes report.html and ble_default.perfetto.json
# for the default BLE run next to that file.
# Usage: tools/run-suite.sh [DB_FILE [chunksim run options]]
set -euo pipefail
cd "$(dirname "$0")/.."

db=${1:-chunksim.db}
shift || true
bash tools/deps.sh
cmake --preset default >/dev/null
cmake --build --preset default
rc=0
build/default/tools/chunksim run scenarios/*.ini --db "$db" "$@" || rc=$?
# The default BLE run as an HTML report and a Perfetto trace, next to the DB,
# also when some run failed (that is when they are wanted); not after a usage error.
if [ "$rc" -le 1 ] && [ -n "$db" ]; then
  out=$(dirname "$db")
  build/default/tools/chunksim report --db "$db" --scenario ble_default --html "$out/report.html"
  build/default/tools/chunksim export --db "$db" --scenario ble_default --format perfetto \
    "$out/ble_default.perfetto.json"
fi
exit "$rc"
