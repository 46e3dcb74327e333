#!/usr/bin/env bash
# Every test: unit and scenario suites, the unit suites again under
# ASan+UBSan, the Cortex-M4 build of core/ with its size, the CI regression
# suite against its baseline, and 20 s of fuzzing per target. Installs missing
# dependencies first (tools/deps.sh).
#
# Every step runs even when an earlier one failed, so one run shows every
# failure; each failed step is named. The last line is the count over every
# ctest test of every preset and every case of the CI suite:
#   tests: N passed, N failed
# A step that fails without counting a test (a build, the size report, the
# fuzzer) adds one to the failures. Exit status 0 only when nothing failed.
set -uo pipefail
cd "$(dirname "$0")/.."

logs=build/logs
passed=0
failed=0
failed_steps=()

step_failed() {
  echo "test.sh: step '$1' failed${2:+: $2}" >&2
  failed_steps+=("$1")
}

# ctest_counts LOG: adds ctest's "N% tests passed, F tests failed out of T".
ctest_counts() {
  local line total bad
  line=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$1" | tail -1)
  [ -n "$line" ] || return 1
  total=${line##* }
  bad=$(sed -E 's/.* ([0-9]+) tests? failed.*/\1/' <<<"$line")
  passed=$((passed + total - bad))
  failed=$((failed + bad))
}

# ctest_step PRESET: configure, build and test one preset.
ctest_step() {
  local preset=$1 log="$logs/ctest-$1.log"
  echo "== $preset: configure, build, ctest"
  if ! cmake --preset "$preset" >"$logs/configure-$preset.log" 2>&1; then
    cat "$logs/configure-$preset.log"
    step_failed "$preset configure"
    failed=$((failed + 1))
    return
  fi
  if ! cmake --build --preset "$preset"; then
    step_failed "$preset build"
    failed=$((failed + 1))
    return
  fi
  ctest --preset "$preset" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  if ! ctest_counts "$log"; then
    step_failed "$preset ctest" "no summary line from ctest (exit $rc)"
    failed=$((failed + 1))
  elif [ "$rc" -ne 0 ]; then
    step_failed "$preset ctest" "exit $rc"
  fi
}

# plain_step NAME COMMAND...: a step that counts as one failure when it fails.
plain_step() {
  local name=$1
  shift
  echo "== $name"
  if ! "$@"; then
    step_failed "$name"
    failed=$((failed + 1))
  fi
}

# The CI regression suite: every case's outcome against the checked-in
# baseline (scenarios/ci/README.md). A case passes when its outcome is the
# baseline's; a changed, new or vanished case fails.
ci_suite_step() {
  local log="$logs/ci-suite.log" bin=build/default/tools/chunksim
  echo "== CI suite: scenarios/ci/*.ini against scenarios/ci/baseline.tsv"
  if [ ! -x "$bin" ]; then
    step_failed "CI suite" "$bin was not built"
    failed=$((failed + 1))
    return
  fi
  rm -f build/default/ci.db
  "$bin" matrix scenarios/ci/*.ini -q --db build/default/ci.db \
    --baseline scenarios/ci/baseline.tsv 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]} cases changed gone
  cases=$(sed -nE 's/^([0-9]+) case\(s\), .*/\1/p' "$log" | tail -1)
  if [ -z "$cases" ] || ! grep -qE '^baseline .*: [0-9]+ change\(s\)' "$log"; then
    step_failed "CI suite" "no case count or baseline verdict (exit $rc)"
    failed=$((failed + 1))
    return
  fi
  changed=$(grep -cE '^(CHANGED|NEW) ' "$log")
  gone=$(grep -cE '^GONE ' "$log")
  passed=$((passed + cases - changed))
  failed=$((failed + changed + gone))
  [ "$rc" -eq 0 ] || step_failed "CI suite" "exit $rc"
}

mkdir -p "$logs"
if ! bash tools/deps.sh; then
  echo "test.sh: tools/deps.sh could not install the dependencies" >&2
  echo "tests: 0 passed, 1 failed"
  exit 1
fi

ctest_step default
ctest_step asan
plain_step "cortex-m4 build" bash -c 'cmake --preset cortex-m4 >/dev/null &&
  cmake --build --preset cortex-m4'
plain_step "cortex-m4-notable build" bash -c 'cmake --preset cortex-m4-notable >/dev/null &&
  cmake --build --preset cortex-m4-notable'
plain_step "size report" tools/fwsize.sh build/cortex-m4 build/cortex-m4-notable
ci_suite_step
plain_step "fuzz" tools/fuzz.sh all 20

if [ ${#failed_steps[@]} -gt 0 ]; then
  echo "test.sh: failed steps: $(printf '%s; ' "${failed_steps[@]}")(logs in $logs/)" >&2
fi
echo "tests: $passed passed, $failed failed"
[ ${#failed_steps[@]} -eq 0 ] && [ "$failed" -eq 0 ]
