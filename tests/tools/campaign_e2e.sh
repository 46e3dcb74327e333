#!/usr/bin/env bash
# Fault campaigns end to end on the built binary: baselines (matrix
# --baseline/--write-baseline), run.power_loss_stops, power-loss sweeps with reboots,
# swarm and shrink, JUnit judged like the exit status, diff by case, trace
# policy. Each check
# names the behaviour it proves; the first that
# fails ends the script with its output.
# Usage: campaign_e2e.sh CHUNKSIM SCENARIO_DIR BROKEN_GLUE.so SOUND_GLUE.so
set -uo pipefail
chunksim=$1 scenarios=$2 broken=$3 sound=$4
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
slow=$scenarios/power_loss_slow_link.ini

fail() {
  echo "FAILED: $1" >&2
  [ -f "$dir/out" ] && cat "$dir/out" >&2
  exit 1
}

# Queries go through the sqlite3 shell, as a user's would; without it the
# checks cannot be made, which is a failure (tools/deps.sh installs it).
command -v sqlite3 >/dev/null || fail "the sqlite3 shell is not installed (tools/deps.sh installs it)"
query() {
  local out
  out=$(sqlite3 "$1" "$2") || fail "sqlite3 $1: query failed: $2"
  [ -n "$out" ] || fail "sqlite3 $1: no result: $2"
  printf '%s\n' "$out"
}

# expect EXIT REGEX WHAT -- COMMAND...: the command exits EXIT and prints REGEX.
expect() {
  local want=$1 regex=$2 what=$3
  shift 4
  "$@" >"$dir/out" 2>&1
  local got=$?
  [ "$got" -eq "$want" ] || fail "$what: exit $got, expected $want"
  grep -Eq -- "$regex" "$dir/out" || fail "$what: no match for /$regex/"
}

# ---- run.power_loss_stops ---------------------------------------------------
cut_erase=(--set 'faults.fault=power_loss on=erase op=0' --db '' -q)
expect 0 ' ok ' "a cut during the clearing erase, device running: the last chunk still arrives" \
  -- "$chunksim" run "$slow" --set run.power_loss_stops=false "${cut_erase[@]}"
expect 1 'power_loss_slow_link +1 lost' "the same cut stopping the device loses the coredump" \
  -- "$chunksim" run "$slow" "${cut_erase[@]}"
expect 1 '"reason": "not delivered.*power lost: the device stopped' "a timed cut (at_us) stops the device too" \
  -- "$chunksim" run "$slow" --set 'faults.fault=power_loss at_us=100ms' --db '' -q --json

# ---- sweep: power cuts with reboot ---------------------------------------------
expect 1 'cut sequences that lose or corrupt data: 3$' \
  "linear sweep finds the clear-before-delivery loss across a reboot with clear on last read" \
  -- "$chunksim" sweep "$slow" --power-loss linear --db "$dir/sweep.db" --trace all -q
grep -Eq "^lost at cuts 3 \(first cut: erase\) case [0-9a-z]{10}: .*power cut in op 3 of boot 1 \(erase_sector\); lost at cut 1" \
  "$dir/out" || fail "sweep names the cut and the operation it interrupted"
grep -Fq "  chunksim run $slow --set run.power_cuts=3" \
  "$dir/out" || fail "sweep prints the repro line of the losing cut"
runs=$(query "$dir/sweep.db" "SELECT count(*) FROM runs")
[ "$runs" -eq 5 ] || fail "sweep records one run per cut point (got $runs)"
boots=$(query "$dir/sweep.db" "SELECT count(*) FROM params WHERE name = 'run.boots' AND value = '2'")
[ "$boots" -eq 5 ] || fail "each run records its two boots (got $boots)"
rows=$(query "$dir/sweep.db" "SELECT count(*) FROM calls WHERE kind = 'boot'")
[ "$rows" -eq 5 ] || fail "each reboot has its row in calls (got $rows)"
expect 0 'cut sequences that lose or corrupt data: none' "no cut point loses it with deferred clear" \
  -- "$chunksim" sweep "$slow" --power-loss linear --set reader.clear_policy=on_confirm --db '' -q
# Every pair of cuts, the second counted on the rebooted device's operations.
expect 1 'cut sequences: [0-9]+ tried, [1-9][0-9]* lost, 0 corrupt, 0 violation' \
  "exhaustive:2 with clear on last read loses the coredump for some pairs" \
  -- "$chunksim" sweep "$slow" --power-loss exhaustive:2 --db '' -q
grep -Eq "^lost at cuts 0,3 \(first cut: read\) .*lost at cut 2" "$dir/out" ||
  fail "a pair whose second cut hits the rebooted device's clearing erase is lost at cut 2"
expect 0 'cut sequences: [1-9][0-9]* tried, 0 lost, 0 corrupt, 0 violation' \
  "exhaustive:2 with clear on confirm loses nothing" \
  -- "$chunksim" sweep "$slow" --power-loss exhaustive:2 --set reader.clear_policy=on_confirm --db '' -q
expect 0 '^cuts 4 ' "log sweep: 0, 1, 2, 4 and the last op" \
  -- "$chunksim" sweep "$slow" --power-loss log --list
[ "$(grep -c '^cuts ' "$dir/out")" -eq 4 ] || fail "log sweep of 5 ops has 4 cut points"
expect 1 "lost at cuts 0 \(first cut: erase\)" "exhaustive over erases only (--on erase)" \
  -- "$chunksim" sweep "$slow" --power-loss exhaustive:3 --on erase --db '' -q
expect 2 'DEPTH must be 1 to 16' "a bad sweep mode is a usage error" \
  -- "$chunksim" sweep "$slow" --power-loss exhaustive:x
expect 2 'a sweep takes one' "a matrix file is refused by sweep" \
  -- "$chunksim" sweep "$scenarios/ci/mtu23.ini" --power-loss log

# ---- baselines ------------------------------------------------------------------
m=$scenarios/ci/mtu23.ini
expect 0 'baseline written to .* \(120 cases\)' "--write-baseline writes every case" \
  -- "$chunksim" matrix "$m" --db '' -q --write-baseline "$dir/b.tsv"
[ "$(grep -vc '^#' "$dir/b.tsv")" -eq 120 ] || fail "one line per case"
expect 0 'baseline .*: 0 change' "the same matrix matches its baseline" \
  -- "$chunksim" matrix "$m" --db '' -q --baseline "$dir/b.tsv"
first=$(grep -v '^#' "$dir/b.tsv" | head -1)
id=${first%%$'\t'*}
awk -F'\t' -v OFS='\t' '!/^#/ && !done {$4 = ($4 == "lost" ? "ok" : "lost"); done = 1} 1' \
  "$dir/b.tsv" >"$dir/changed.tsv"
expect 1 "^CHANGED $id mtu23 seed 1: " "a changed outcome fails with the case" \
  -- "$chunksim" matrix "$m" --db '' -q --baseline "$dir/changed.tsv"
grep -Eq '^  chunksim run .*mtu23.ini --seed 1 --set' "$dir/out" || fail "changed case has a repro line"
grep -v "^$id" "$dir/b.tsv" >"$dir/missing.tsv"
expect 1 "^NEW $id " "a case the baseline lacks fails" \
  -- "$chunksim" matrix "$m" --db '' -q --baseline "$dir/missing.tsv"
{ cat "$dir/b.tsv"; printf 'zzzzzzzzzz\tmtu23\t99\tok\n'; } >"$dir/extra.tsv"
expect 1 "^GONE zzzzzzzzzz mtu23 seed 99" "a baseline case the matrix lost fails" \
  -- "$chunksim" matrix "$m" --db '' -q --baseline "$dir/extra.tsv"
expect 0 'baseline .*: 0 change' "a shard is compared with its own cases only" \
  -- "$chunksim" matrix "$m" --db '' -q --shard 2/3 --baseline "$dir/b.tsv"
{ cat "$dir/b.tsv"; printf '%s\n' "$first"; } >"$dir/dup.tsv"
expect 2 "dup.tsv:12[0-9]: case $id is listed again \(first on line 3\)" "a duplicate id is an input error" \
  -- "$chunksim" matrix "$m" --db '' -q --baseline "$dir/dup.tsv"
printf '# x\n%s\tmtu23\t1\tfine\n' "$id" >"$dir/bad.tsv"
expect 2 "bad.tsv:2: outcome 'fine'" "an unknown outcome is an input error naming the line" \
  -- "$chunksim" matrix "$m" --db '' -q --baseline "$dir/bad.tsv"
printf 'short\tmtu23\t1\tok\n' >"$dir/bad.tsv"
expect 2 "bad.tsv:1: case id 'short'" "a bad id is an input error" \
  -- "$chunksim" matrix "$m" --db '' -q --baseline "$dir/bad.tsv"
printf '%s\tmtu23\tok\n' "$id" >"$dir/bad.tsv"
expect 2 "bad.tsv:1: expected 4 tab-separated fields" "a short line is an input error" \
  -- "$chunksim" matrix "$m" --db '' -q --baseline "$dir/bad.tsv"
expect 2 "nothing.tsv: No such file" "a missing baseline is an input error" \
  -- "$chunksim" matrix "$m" --db '' -q --baseline "$dir/nothing.tsv"

# ---- swarm ----------------------------------------------------------------------
small=(--set coredump.size_bytes=8KiB --set flash.size_bytes=1MiB --set link.att_mtu=247
       --set reader.read_timeout_us=50ms --set run.max_sim_us=20s)
"$chunksim" swarm "$scenarios/ble_default.ini" --seeds 1..40 "${small[@]}" --list >"$dir/l1"
"$chunksim" swarm "$scenarios/ble_default.ini" --seeds 1..40 "${small[@]}" --list >"$dir/l2"
cmp -s "$dir/l1" "$dir/l2" || fail "swarm draws the same cases from the same seeds"
[ "$(grep -c "faults.fault=" "$dir/l1")" -gt 30 ] || fail "swarm turns fault kinds on"
[ "$(sort -u -k2,2 "$dir/l1" | wc -l)" -eq 40 ] || fail "swarm cases have distinct ids"
expect 1 'cases that lose or corrupt data or break the contract: [1-9][0-9]* of 200' \
  "swarm runs the draws and finds damage" \
  -- "$chunksim" swarm "$scenarios/ble_default.ini" --seeds 1..200 "${small[@]}" --db "$dir/swarm.db" -q
grep -Eq '^read_error +[0-9]+ +[0-9]+$' "$dir/out" || fail "swarm prints the per-kind table"
recorded=$(query "$dir/swarm.db" \
  "SELECT count(*) FROM runs r JOIN scenarios s USING (scenario_id)
   WHERE s.config_text LIKE '%; --set faults.fault=%'")
[ "$recorded" -gt 30 ] || fail "the drawn faults are in the recorded scenario text ($recorded)"
expect 2 'expected a probability' "a bad --p is a usage error" \
  -- "$chunksim" swarm "$scenarios/ble_default.ini" --seeds 1..2 --p 2

# ---- shrink ---------------------------------------------------------------------
big=(--seed 7 --set 'faults.fault=read_error rate=0.05' --set 'faults.fault=read_late rate=0.1 delay_us=20ms'
     --set link.loss_rate=0.05 --set link.att_mtu=247 -q)
expect 1 '^shrunk: 1 fault rule\(s\), 1 other override\(s\), coredump 64 bytes' \
  "a broken reader's failure shrinks to one fault, the smallest coredump" \
  -- "$chunksim" shrink "$scenarios/ble_default.ini" --glue "$broken" "${big[@]}"
grep -Eq '^  fault = read_error op=0$' "$dir/out" || fail "shrink ends at one failed read, the first"
grep -Eq '^case [0-9a-z]{10} fails: violation: wrong_bytes' "$dir/out" || fail "shrink names the failure"
repro=$(grep -E '^  chunksim run .*--glue' "$dir/out" | tail -1)
[ -n "$repro" ] || fail "shrink prints the repro line"
expect 1 ' violation ' "the shrunk case's repro line fails alone" \
  -- bash -c "\"$chunksim\" ${repro#  chunksim } --db '' -q"
expect 0 'passes .*nothing to shrink' "the shrunk case passes with the sound reader" \
  -- "$chunksim" shrink "$scenarios/ble_default.ini" --glue "$sound" --seed 1 \
     --set coredump.size_bytes=64 --set 'faults.fault=read_error op=0'
expect 1 '^  fault = power_loss on=erase op=0$' "a file's own fault rule is kept when it is the cause" \
  -- "$chunksim" shrink "$scenarios/power_loss_erase.ini" --set run.power_loss_stops=true \
     --set link.kind=network --set link.latency_us=200ms --set 'faults.fault=read_late rate=0.2 delay_us=5ms' -q
grep -Eq '^shrunk: 1 fault rule' "$dir/out" || fail "the unrelated rule is dropped"
grep -Fq -- "--set faults.fault=none" "$dir/out" && fail "the file's rule needs no override to stay"
expect 2 'name one with --case' "a matrix file needs --case" \
  -- "$chunksim" shrink "$m"
expect 2 'no such case' "an unknown --case is an input error" \
  -- "$chunksim" shrink "$m" --case 0000000000

# ---- JUnit says what the exit status says; diff matches by case -------------
ci=("$scenarios"/ci/*.ini)
baseline=$scenarios/ci/baseline.tsv
junit_count() { grep -c "$2" "$1"; }
expect 0 'baseline .*: 0 change\(s\)' "the CI suite against its baseline: no change" \
  -- "$chunksim" matrix "${ci[@]}" -q --db "$dir/a.db" --baseline "$baseline" --junit "$dir/same.xml"
[ "$(junit_count "$dir/same.xml" '<failure')" -eq 0 ] ||
  fail "no change: JUnit holds no failure, though cases end lost or corrupt as their baseline says"
grep -Eq '<testsuites name="chunksim" tests="[1-9][0-9]*" failures="0" errors="0"' "$dir/same.xml" ||
  fail "no change: the JUnit totals say 0 failures"
# One line of a copy tampered with: that case, and only it, changed.
awk -F'\t' 'BEGIN { OFS = "\t" } !/^#/ && !done && $4 == "ok" { $4 = "lost"; done = 1; id = $1 }
  { print } END { print id > "/dev/stderr" }' "$baseline" >"$dir/tampered.tsv" 2>"$dir/id" ||
  fail "cannot write the tampered baseline"
id=$(cat "$dir/id")
expect 1 "^CHANGED $id .*: ok, baseline \(line [0-9]+\) lost" "one tampered baseline line: one change" \
  -- "$chunksim" matrix "${ci[@]}" -q --db "$dir/b.db" --baseline "$dir/tampered.tsv" \
     --junit "$dir/changed.xml"
grep -q 'baseline .*: 1 change(s)' "$dir/out" || fail "one tampered line: exactly one change"
[ "$(junit_count "$dir/changed.xml" '<failure')" -eq 1 ] || fail "one change: exactly one JUnit failure"
grep -A1 '<testcase .*">$' "$dir/changed.xml" | grep -q "changed: ok, baseline (line [0-9]*) lost" ||
  fail "the failing testcase says what changed"
grep -q "^case $id\$" "$dir/changed.xml" || fail "the failing testcase is the tampered case"
grep -Eq '<testcase classname="[^"]+" name="[a-z_0-9]+\[[^]]*=[^]]*\] seed [0-9]+"' "$dir/changed.xml" ||
  fail "testcase names are the file, the cell's values and the seed"
grep -q '^repro: chunksim run ' "$dir/changed.xml" || fail "the failure text holds the repro line"
runs=$(query "$dir/a.db" "SELECT count(DISTINCT case_id) || ' ' || count(*) FROM runs")
[ "${runs% *}" = "${runs#* }" ] || fail "every run of a matrix has its own case id (got $runs)"
cell=$(query "$dir/a.db" "SELECT case_file || ' ' || case_cell FROM runs WHERE case_id = '$id'")
case "$cell" in "$scenarios"/ci/*.ini\ *=*) ;; *) fail "runs store the case's file and cell (got $cell)" ;; esac
expect 0 '^[0-9]+ run\(s\) matched \(0 changed\), 0 only in BASE, 0 only in NEW: 0 regression' \
  "two runs of the same suite: diff matches every case and finds them identical" \
  -- "$chunksim" diff "$dir/a.db" "$dir/b.db"
matched=$(grep -Eo '^[0-9]+ run' "$dir/out")
[ "${matched% run}" -eq "${runs#* }" ] || fail "diff matches each case on its own ($matched of ${runs#* })"
expect 1 'cut sequences that lose or corrupt data: 3$' "sweep --junit: one losing cut" \
  -- "$chunksim" sweep "$slow" --power-loss linear --db '' -q --junit "$dir/sweep.xml"
[ "$(junit_count "$dir/sweep.xml" '<failure')" -eq 1 ] || fail "sweep: the losing cut, and only it, fails in JUnit"
grep -q 'name="power_loss_slow_link\[power_cuts=3\] seed' "$dir/sweep.xml" ||
  fail "sweep: testcases are named by their cut"
expect 0 'lose or corrupt data: none' "sweep --junit with deferred clear: nothing lost" \
  -- "$chunksim" sweep "$slow" --power-loss linear --set reader.clear_policy=on_confirm --db '' -q \
     --junit "$dir/sweep0.xml"
[ "$(junit_count "$dir/sweep0.xml" '<failure\|<error')" -eq 0 ] || fail "sweep: exit 0, no JUnit failure"

# ---- trace policy -------------------------------------------------------------
# --trace failures (the default): every case's runs row; only the case that
# fails keeps its trace, from a re-run of its seed that ended the same.
expect 1 'cut sequences that lose or corrupt data: 3$' "sweep with the default trace policy" \
  -- "$chunksim" sweep "$slow" --power-loss linear --db "$dir/tf.db" -q
runs=$(query "$dir/tf.db" "SELECT count(*) FROM runs")
[ "$runs" -eq 5 ] || fail "--trace failures: one runs row per case (got $runs)"
traced=$(query "$dir/tf.db" "SELECT group_concat(outcome) FROM runs WHERE run_id IN (SELECT run_id FROM calls)")
[ "$traced" = "lost" ] || fail "--trace failures: only the failing case has its calls (got $traced)"
grep -q NONDETERMINISTIC "$dir/out" && fail "--trace failures: the re-run ended as the first run did"
expect 1 'cut sequences that lose or corrupt data: 3$' "sweep with --trace none" \
  -- "$chunksim" sweep "$slow" --power-loss linear --db "$dir/tn.db" -q --trace none
rows=$(query "$dir/tn.db" "SELECT ((SELECT count(*) FROM calls) + (SELECT count(*) FROM images)) || ' ' || count(*) FROM runs")
[ "$rows" = "0 5" ] || fail "--trace none: runs rows only, no calls and no image (got $rows)"
expect 2 "--trace sometimes: expected failures, all or none" "a policy that does not exist" \
  -- "$chunksim" sweep "$slow" --power-loss linear --db '' --trace sometimes

echo "campaign ok"
