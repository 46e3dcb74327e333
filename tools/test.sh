#!/usr/bin/env bash
# Every test: unit and scenario suites, the unit suites again under
# ASan+UBSan, and the Cortex-M4 build of core/ with its size. Installs
# missing dependencies first (tools/deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

bash tools/deps.sh
cmake --workflow --preset default
cmake --workflow --preset asan
cmake --workflow --preset cortex-m4
cmake --preset cortex-m4-notable >/dev/null
cmake --build --preset cortex-m4-notable
tools/fwsize.sh build/cortex-m4 build/cortex-m4-notable
# The CI regression suite: every case's outcome against the checked-in
# baseline (scenarios/ci/README.md); any change fails.
rm -f build/default/ci.db
build/default/tools/chunksim matrix scenarios/ci/*.ini -q --db build/default/ci.db \
    --baseline scenarios/ci/baseline.tsv
tools/fuzz.sh 60
