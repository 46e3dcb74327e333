#!/usr/bin/env bash
# Instructions per message byte of the core, the figure that does not depend
# on the machine's load: one drain of a 1 MiB coredump per chunk size under
# valgrind's callgrind, counting only inside bench_core's bench_drain()
# (framing, varints, CRC and the storage port's memcpy), divided by the
# message's bytes (the 1-byte message header + 1 MiB of payload).
# Columns: the native API and the SDK-style API, each with the CRC-16 table
# and table-free.
# Usage: tools/bench_ipb.sh [BUILD_TOOLS_DIR [CHUNK_BYTES...]]
#        (default build/default/tools; 20 64 244 1024)
set -euo pipefail
dir=${1:-build/default/tools}
shift || true
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(20 64 244 1024)
msg_bytes=$((1024 * 1024 + 1))
command -v valgrind >/dev/null || { echo "bench_ipb.sh: valgrind is not installed" >&2; exit 2; }
for b in bench_core bench_core_notable; do
  [ -x "$dir/$b" ] || { echo "bench_ipb.sh: $dir/$b missing (cmake --build <dir> --target bench)" >&2; exit 2; }
done
out=$(mktemp)
trap 'rm -f "$out"' EXIT

ipb() { # binary [--sdk] chunk_bytes
  valgrind --tool=callgrind --toggle-collect='bench_drain*' --callgrind-out-file="$out" \
    "$@" 1 >/dev/null 2>&1
  awk -v m=$msg_bytes '/^(summary|totals):/ {printf "%.2f", $2 / m; exit}' "$out"
}

echo "bench_ipb: instructions per message byte, 1 MiB coredump from RAM (callgrind)"
printf '%8s %12s %12s %12s %12s\n' chunk_B native_tab sdk_tab native_notab sdk_notab
for n in "${sizes[@]}"; do
  printf '%8s %12s %12s %12s %12s\n' "$n" "$(ipb "$dir/bench_core" "$n")" \
    "$(ipb "$dir/bench_core" --sdk "$n")" "$(ipb "$dir/bench_core_notable" "$n")" \
    "$(ipb "$dir/bench_core_notable" --sdk "$n")"
done
