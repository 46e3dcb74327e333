#!/usr/bin/env bash
# Fuzzes chunksim's input parsers with libFuzzer, ASan and UBSan
# (tests/fuzz/fuzz_TARGET.c): configures a clang build in build/fuzz, builds
# the target and runs it for N seconds (default 60) from its seeds and saved
# regressions. Targets:
#   capture   capture parser and reassembler (tests/fuzz/corpus)
#   scenario  scenario parser and the recorded-text round trip (scenarios/)
#   matrix    matrix expansion, case ids and repro lines (scenarios/ci/)
#   all       each of them in turn, N seconds each
# libFuzzer's own output goes to build/fuzz/fuzz_TARGET.log; the terminal gets
# one line per target (executions, crashes), and the log's tail when the
# fuzzer failed. A crash leaves its input in build/fuzz/artifacts/ and fails
# this script; fix it, then keep the input in tests/fuzz/regressions*/ (the
# normal build replays those in CTest).
# Usage: tools/fuzz.sh [TARGET] [SECONDS [libFuzzer options]]
set -euo pipefail
cd "$(dirname "$0")/.."

target=capture
case ${1:-} in
  capture|scenario|matrix|all) target=$1; shift ;;
  ''|[0-9]*) ;;
  *) echo "fuzz.sh: unknown target '$1' (capture, scenario, matrix, all)" >&2; exit 2 ;;
esac
secs=${1:-60}
shift || true
build=build/fuzz

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
if ! CC=clang cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_COMPILER=clang -DCHUNKSIM_FUZZ=ON >"$build/build.log" 2>&1; then
  cat "$build/build.log" >&2
  echo "fuzz.sh: configuring $build failed (log: $build/build.log)" >&2
  exit 2
fi

# fuzz_one TARGET: builds and runs one target for $secs seconds.
fuzz_one() {
  local t=$1
  shift
  local name=fuzz_$t log="$build/fuzz_$t.log" work="$build/corpus-$t"
  local regressions=tests/fuzz/regressions
  [ "$t" = capture ] || regressions=tests/fuzz/regressions-$t
  local seeds=(tests/fuzz/corpus) opts=(-max_len=65536 -dict=tests/fuzz/capture.dict)
  case $t in
    scenario) seeds=(scenarios) opts=(-max_len=8192 -dict=tests/fuzz/scenario.dict) ;;
    matrix) seeds=(scenarios/ci) opts=(-max_len=4096 -dict=tests/fuzz/scenario.dict) ;;
  esac
  if ! cmake --build "$build" --target "$name" >>"$build/build.log" 2>&1; then
    cat "$build/build.log" >&2
    echo "fuzz.sh: building $name failed (log: $build/build.log)" >&2
    return 2
  fi
  # New inputs go to a scratch corpus; the seeds in the tree stay as committed.
  mkdir -p "$work" "$build/artifacts"
  local rc=0
  "$build/tests/fuzz/$name" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
    "${opts[@]}" -print_final_stats=1 -artifact_prefix="$build/artifacts/$t-" "$@" \
    "$work" "${seeds[@]}" "$regressions" >"$log" 2>&1 || rc=$?
  local execs crashes
  execs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+).*/\1/p' "$log" | tail -1)
  crashes=$(grep -cE '^artifact_prefix=.*; Test unit written to ' "$log" || true)
  echo "fuzz: $name ${secs} s, ${execs:-?} executions, $crashes crash(es), exit $rc (log: $log)"
  if [ "$rc" -ne 0 ] || [ -z "$execs" ]; then
    tail -n 60 "$log" >&2
    return 1
  fi
}

failed=0
for t in $([ "$target" = all ] && echo capture scenario matrix || echo "$target"); do
  fuzz_one "$t" "$@" || failed=1
done
exit "$failed"
