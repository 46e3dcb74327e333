#!/usr/bin/env bash
# Fuzzes the capture parser and the reassembler (tests/fuzz/fuzz_capture.c)
# with libFuzzer, ASan and UBSan: configures a clang build in build/fuzz,
# builds the target and runs it for N seconds (default 60) from the seed
# corpus and the saved regressions. A crash leaves its input in
# build/fuzz/artifacts/ and fails this script; fix it, then keep the input
# in tests/fuzz/regressions/ (the normal build replays it in CTest).
# Usage: tools/fuzz.sh [SECONDS [libFuzzer options]]
set -euo pipefail
cd "$(dirname "$0")/.."

secs=${1:-60}
shift || true
build=build/fuzz

if ! command -v clang >/dev/null; then
  echo "fuzz.sh: clang is not installed (tools/deps.sh installs it)" >&2
  exit 2
fi
CC=clang cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang -DCHUNKSIM_FUZZ=ON >/dev/null
cmake --build "$build" --target fuzz_capture

# New inputs go to a scratch corpus; the seeds in the tree stay as committed.
work="$build/corpus"
mkdir -p "$work" "$build/artifacts"
"$build/tests/fuzz/fuzz_capture" \
  -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
  -dict=tests/fuzz/capture.dict -print_final_stats=1 \
  -artifact_prefix="$build/artifacts/" "$@" \
  "$work" tests/fuzz/corpus tests/fuzz/regressions
