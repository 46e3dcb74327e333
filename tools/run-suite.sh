#!/usr/bin/env bash
# The main job. Installs missing dependencies, configures and builds, then
# runs the default scenario suite (scenarios/*.ini) into a SQLite file and
# prints the summary. Usage: tools/run-suite.sh [DB_FILE [chunksim run options]]
set -euo pipefail
cd "$(dirname "$0")/.."

db=${1:-chunksim.db}
shift || true
bash tools/deps.sh
cmake --preset default >/dev/null
cmake --build --preset default
build/default/tools/chunksim run scenarios/*.ini --db "$db" "$@"
