#!/usr/bin/env bash
# The main job. Installs missing dependencies, configures and builds (quietly:
# the build's output is shown only when it fails), then runs the default
# scenario suite (scenarios/*.ini) into a SQLite file, prints the summary
# table, and writes report.html and ble_default.perfetto.json for the default
# BLE run next to that file.
# Usage: tools/run-suite.sh [DB_FILE [chunksim run options]]
set -euo pipefail
cd "$(dirname "$0")/.."

db=${1:-chunksim.db}
shift || true
bin=build/default/tools/chunksim
buildlog=build/run-suite-build.log

bash tools/deps.sh
mkdir -p build
echo "building $bin (log: $buildlog) ..."
if ! { cmake --preset default && cmake --build --preset default; } >"$buildlog" 2>&1; then
  cat "$buildlog" >&2
  echo "run-suite.sh: the build failed (output above, also in $buildlog)" >&2
  exit 2
fi
echo
rc=0
"$bin" run scenarios/*.ini --db "$db" "$@" || rc=$?
# The default BLE run as an HTML report and a Perfetto trace, next to the DB,
# also when some run failed (that is when they are wanted); not after a usage error.
written=()
# quietly NAME COMMAND...: runs it; its output only when it fails.
quietly() {
  local what=$1 msg
  shift
  if msg=$("$@" 2>&1); then
    written+=("$what")
  else
    echo "$msg" >&2
    rc=$((rc > 1 ? rc : 1)) # a report that was not written fails the job
  fi
}
if [ "$rc" -le 1 ] && [ -n "$db" ]; then
  out=$(dirname "$db")
  quietly "$out/report.html (chunksim report --db $db --scenario ble_default --html)" \
    "$bin" report --db "$db" --scenario ble_default --html "$out/report.html"
  quietly "$out/ble_default.perfetto.json (open in ui.perfetto.dev or chrome://tracing)" \
    "$bin" export --db "$db" --scenario ble_default --format perfetto \
    "$out/ble_default.perfetto.json"
fi
echo
echo "binary: $bin (chunksim --help for every command)"
if [ -n "$db" ] && [ "$rc" -le 1 ]; then
  echo "wrote:  $db (the runs; tables and queries in docs/schema.md)"
  for w in "${written[@]}"; do
    echo "        $w"
  done
fi
exit "$rc"
