#!/usr/bin/env bash
# Prints what core/ costs on a Cortex-M4 (-Os): per object, then the packetizer
# path and the async read core as a firmware link keeps them (--gc-sections),
# with and without the CRC-16 table, and the async core's RAM.
# Usage: tools/fwsize.sh BUILD_DIR_WITH_TABLE BUILD_DIR_TABLE_FREE
set -euo pipefail
tab=${1:-build/cortex-m4}
notab=${2:-build/cortex-m4-notable}
cc=(arm-none-eabi-gcc -mcpu=cortex-m4 -mthumb -Os -nostdlib)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "== core/ objects, Cortex-M4 -Os (arm-none-eabi-size) =="
arm-none-eabi-size -t "$tab/core/libchunkcore.a" "$tab/core/libchunkcore_sdk.a"

# The public packetizer API and the coredump source are the roots; the
# partial link keeps what they reach. memcpy/strlen stay undefined (libc).
pkt_roots=(chunkcore_packetizer_init chunkcore_packetizer_begin chunkcore_packetizer_next
  chunkcore_packetizer_get_chunk chunkcore_packetizer_abort chunkcore_packetizer_confirm
  chunkcore_packetizer_data_available chunkcore_packetizer_set_active_sources
  chunkcore_packetizer_last_chunk_final chunkcore_coredump_init)
async_roots=(chunkcore_async_init chunkcore_async_storage chunkcore_async_prepare
  chunkcore_async_complete chunkcore_async_cancel chunkcore_async_rewind)
rle_roots=(chunkcore_rle_init chunkcore_rle_source)

gc_text() { # out.o lib roots...
  local out=$1 lib=$2
  shift 2
  local u=()
  for r in "$@"; do u+=("-Wl,-u,$r"); done
  "${cc[@]}" -Wl,-r -Wl,--gc-sections "${u[@]}" -o "$out" "$lib"
  arm-none-eabi-size -A "$out" | awk '/^\.text|^\.rodata/ {s += $2} END {print s}'
}

echo
echo "== linked with --gc-sections (.text + .rodata bytes) =="
printf '%-58s %8s\n' "packetizer + transport + varint + CRC + coredump source" ""
printf '  %-56s %8s\n' "with CRC-16 table" "$(gc_text "$tmp/p1.o" "$tab/core/libchunkcore.a" "${pkt_roots[@]}")"
printf '  %-56s %8s\n' "table-free CRC-16" "$(gc_text "$tmp/p2.o" "$notab/core/libchunkcore.a" "${pkt_roots[@]}")"
printf '%-58s %8s\n' "async read core alone" "$(gc_text "$tmp/a.o" "$tab/core/libchunkcore.a" "${async_roots[@]}")"
printf '%-58s %8s\n' "packetizer path + RLE coredump source (CRC-16 table)" \
  "$(gc_text "$tmp/r.o" "$tab/core/libchunkcore.a" "${pkt_roots[@]}" "${rle_roots[@]}")"

cat >"$tmp/ram.c" <<'C'
#include "chunkcore/async.h"
#include "chunkcore/coredump.h"
#include "chunkcore/packetizer.h"
#include "chunkcore/rle.h"
chunkcore_async_t ram_async;
chunkcore_packetizer_t ram_packetizer;
chunkcore_coredump_t ram_coredump;
chunkcore_rle_t ram_rle;
C
"${cc[@]}" -c -Icore/include -o "$tmp/ram.o" "$tmp/ram.c"
echo
echo "== RAM (bytes) =="
arm-none-eabi-nm -S --size-sort "$tmp/ram.o" | while read -r _ size _ name; do printf "  %-20s %6d\n" "$name" "$((16#$size))"; done
echo "  async core RAM = sizeof(chunkcore_async_t) + window buffer (e.g. +4096 for a 4 KiB window, +8192 double-buffered)"
