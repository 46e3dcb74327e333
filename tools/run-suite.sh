#!/usr/bin/env bash
# The main job. Installs missing dependencies, configures and builds, then
# drains a generated coredump through the firmware core and prints the chunks.
set -euo pipefail
cd "$(dirname "$0")/.."

bash tools/deps.sh
cmake --preset default >/dev/null
cmake --build --preset default
build/default/tools/core_demo "$@"
