#!/usr/bin/env bash
# Fuzzes the capture parser and the reassembler (tests/fuzz/fuzz_capture.c)
# with libFuzzer, ASan and UBSan: configures a clang build in build/fuzz,
# builds the target and runs it for N seconds (default 60) from the seed
# corpus and the saved regressions. libFuzzer's own output goes to
# build/fuzz/fuzz_capture.log; the terminal gets one line (executions,
# crashes), and the log's tail when the fuzzer failed. A crash leaves its
# input in build/fuzz/artifacts/ and fails this script; fix it, then keep the
# input in tests/fuzz/regressions/ (the normal build replays it in CTest).
# Usage: tools/fuzz.sh [SECONDS [libFuzzer options]]
set -euo pipefail
cd "$(dirname "$0")/.."

secs=${1:-60}
shift || true
build=build/fuzz
target=fuzz_capture
log="$build/$target.log"

if ! command -v clang >/dev/null; then
  echo "fuzz.sh: clang is not installed (tools/deps.sh installs it)" >&2
  exit 2
fi
# clang's runtime libraries are only a Recommends of clang: name what is missing.
fuzzer_lib=$(clang -print-file-name="libclang_rt.fuzzer-$(uname -m).a")
if [ ! -f "$fuzzer_lib" ]; then
  fuzzer_lib=$(clang -print-runtime-dir)/libclang_rt.fuzzer-$(uname -m).a
fi
if [ ! -f "$fuzzer_lib" ]; then
  echo "fuzz.sh: libFuzzer's runtime ($fuzzer_lib) is missing: install" \
    "libclang-rt-$(clang -dumpversion | cut -d. -f1)-dev (tools/deps.sh does)" >&2
  exit 2
fi
mkdir -p "$build"
if ! { CC=clang cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
         -DCMAKE_C_COMPILER=clang -DCHUNKSIM_FUZZ=ON &&
       cmake --build "$build" --target "$target"; } >"$build/build.log" 2>&1; then
  cat "$build/build.log" >&2
  echo "fuzz.sh: building $target failed (log: $build/build.log)" >&2
  exit 2
fi

# New inputs go to a scratch corpus; the seeds in the tree stay as committed.
work="$build/corpus"
mkdir -p "$work" "$build/artifacts"
rc=0
"$build/tests/fuzz/$target" \
  -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
  -dict=tests/fuzz/capture.dict -print_final_stats=1 \
  -artifact_prefix="$build/artifacts/" "$@" \
  "$work" tests/fuzz/corpus tests/fuzz/regressions >"$log" 2>&1 || rc=$?

execs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+).*/\1/p' "$log" | tail -1)
crashes=$(grep -cE '^artifact_prefix=.*; Test unit written to ' "$log" || true)
echo "fuzz: $target ${secs} s, ${execs:-?} executions, $crashes crash(es), exit $rc (log: $log)"
if [ "$rc" -ne 0 ] || [ -z "$execs" ]; then
  tail -n 60 "$log" >&2
  exit 1
fi
