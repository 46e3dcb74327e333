#!/usr/bin/env bash
# What core/ costs on a Cortex-M4 (-Os), measured the way a board links it.
#
# The cortex-m4 presets build tools/fwsize_main.c into full firmware images
# (newlib nano + nosys, --gc-sections): fwsize_app drains a stored coredump
# through memfault_packetizer_get_chunk(), fwsize_board has the same board
# code without the packetizer, fwsize_app_hwcrc is fwsize_app over a core
# built without its CRC-16 (the board's CRC unit computes it). The SDK-style
# path costs what an app image has beyond fwsize_board: the core, the
# SDK-style layer and the C library code only they pull in. RAM is that
# difference in .data + .bss.
#
# With FWSIZE_SDK_DIR set to a checkout of the Memfault firmware SDK, the same
# main is also linked against the SDK's packetizer path (its logs compiled
# out), with the same compiler and flags, for reference figures side by side.
# Nothing of the SDK is kept.
#
# Usage: [FWSIZE_SDK_DIR=DIR] tools/fwsize.sh [BUILD_DIR_WITH_TABLE [BUILD_DIR_TABLE_FREE]]
#        (default build/cortex-m4 build/cortex-m4-notable)
set -euo pipefail
cd "$(dirname "$0")/.."
tab=${1:-build/cortex-m4}
notab=${2:-build/cortex-m4-notable}
cflags=(-mcpu=cortex-m4 -mthumb -Os -DNDEBUG -std=c99 -ffunction-sections -fdata-sections)
ldflags=(--specs=nano.specs --specs=nosys.specs -Wl,--gc-sections)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for f in "$tab/fwsize_app" "$tab/fwsize_board" "$tab/fwsize_app_hwcrc" "$notab/fwsize_app"; do
  [ -f "$f" ] || { echo "fwsize.sh: $f missing (cmake --workflow --preset cortex-m4; cmake --preset cortex-m4-notable && cmake --build --preset cortex-m4-notable)" >&2; exit 2; }
done

echo "== core/ objects, Cortex-M4 -Os (arm-none-eabi-size) =="
arm-none-eabi-size -t "$tab/core/libchunkcore.a" "$tab/core/libchunkcore_sdk.a"

sizes() { # elf -> "text data bss"
  arm-none-eabi-size "$1" | awk 'NR == 2 {print $1, $2, $3}'
}
# C library members an image's map lists that the board's does not.
libc_extra() { # app.map board.map
  local pat='lib[cg]_nano\.a\(([^)]*)\)'
  comm -23 <(grep -oE "$pat" "$1" | sort -u) <(grep -oE "$pat" "$2" | sort -u) |
    sed -E 's/.*\(lib_a-(.*)\.o\)/\1/' | paste -sd' ' -
}
row() { # label app board
  read -r at ad ab <<<"$(sizes "$2")"
  read -r bt bd bb <<<"$(sizes "$3")"
  printf '  %-44s %6d %6d %6d   %s\n' "$1" $((at - bt)) $((ad - bd)) $((ab - bb)) \
    "$(libc_extra "$2.map" "$3.map")"
}

echo
echo "== the SDK-style path in a full link (fwsize_app - fwsize_board), bytes =="
printf '  %-44s %6s %6s %6s   %s\n' "" text data bss "C library pulled in"
row "chunkcore, CRC-16 with table" "$tab/fwsize_app" "$tab/fwsize_board"
row "chunkcore, table-free CRC-16" "$notab/fwsize_app" "$tab/fwsize_board"
row "chunkcore, the board's CRC unit (BUILTIN=0)" "$tab/fwsize_app_hwcrc" "$tab/fwsize_board"

if [ -n "${FWSIZE_SDK_DIR:-}" ]; then
  sdk=$FWSIZE_SDK_DIR/components
  [ -f "$sdk/core/src/memfault_data_packetizer.c" ] ||
    { echo "fwsize.sh: $FWSIZE_SDK_DIR is not a Memfault firmware SDK checkout" >&2; exit 2; }
  mkdir -p "$tmp/cfg"
  echo '#define MEMFAULT_PLATFORM_HAS_LOG_CONFIG 1' >"$tmp/cfg/memfault_platform_config.h"
  for lvl in DEBUG INFO WARN ERROR RAW; do
    echo "#define MEMFAULT_LOG_$lvl(...) do { } while (0)"
  done >"$tmp/cfg/memfault_platform_log_config.h"
  touch "$tmp/cfg/memfault_trace_reason_user_config.def" \
    "$tmp/cfg/memfault_metrics_heartbeat_config.def" "$tmp/cfg/memfault_reboot_reason_user_config.def"
  srcs=("$sdk/core/src/memfault_data_packetizer.c" "$sdk/util/src/memfault_chunk_transport.c"
    "$sdk/util/src/memfault_crc16_ccitt.c" "$sdk/util/src/memfault_varint.c"
    "$sdk/panics/src/memfault_coredump.c")
  sdk_link() { # name extra-flags...
    local name=$1
    shift
    arm-none-eabi-gcc "${cflags[@]}" "$@" -I"$sdk/include" -I"$tmp/cfg" "${ldflags[@]}" \
      -Wl,-Map="$tmp/$name.map" -o "$tmp/$name" tools/fwsize_main.c "${srcs[@]}" 2>"$tmp/$name.log" ||
      { cat "$tmp/$name.log" >&2; exit 1; }
  }
  sdk_link sdk_board -DFWSIZE_BOARD_ONLY
  sdk_link sdk_app
  sdk_link sdk_app_notab -DMEMFAULT_CRC16_LOOKUP_TABLE_ENABLE=0
  sdk_link sdk_app_hwcrc -DMEMFAULT_CRC16_BUILTIN=0 -DFWSIZE_BOARD_CRC
  row "Memfault SDK, CRC-16 with table" "$tmp/sdk_app" "$tmp/sdk_board"
  row "Memfault SDK, table-free CRC-16" "$tmp/sdk_app_notab" "$tmp/sdk_board"
  row "Memfault SDK, the board's CRC unit" "$tmp/sdk_app_hwcrc" "$tmp/sdk_board"
fi
echo "  (bss of the CRC-unit rows includes the 12-byte stand-in unit of fwsize_main.c)"

# The async read core and the RLE source are not on the SDK-style path; a
# partial link keeps what each one's API reaches.
partial_text() { # out.o roots...
  local out=$1
  shift
  local u=()
  for r in "$@"; do u+=("-Wl,-u,$r"); done
  arm-none-eabi-gcc "${cflags[@]}" -nostdlib -Wl,-r -Wl,--gc-sections "${u[@]}" -o "$out" \
    "$tab/core/libchunkcore.a"
  arm-none-eabi-size -A "$out" | awk '/^\.text|^\.rodata/ {s += $2} END {print s}'
}
echo
echo "== partial links (.text + .rodata bytes) =="
printf '  %-44s %6d\n' "async read core alone" "$(partial_text "$tmp/async.o" chunkcore_async_init \
  chunkcore_async_storage chunkcore_async_prepare chunkcore_async_complete chunkcore_async_cancel \
  chunkcore_async_rewind)"
printf '  %-44s %6d\n' "RLE coredump source alone (chunkcore/rle.h)" \
  "$(partial_text "$tmp/rle.o" chunkcore_rle_init chunkcore_rle_source)"

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
arm-none-eabi-gcc "${cflags[@]}" -c -Icore/include -o "$tmp/ram.o" "$tmp/ram.c"
echo
echo "== RAM (bytes) =="
arm-none-eabi-nm -S --size-sort "$tmp/ram.o" | while read -r _ size _ name; do
  printf "  %-20s %6d\n" "$name" "$((16#$size))"
done
echo "  SDK-style path: .data + .bss above (its packetizer and 8 bytes of its own)"
echo "  async core RAM = sizeof(chunkcore_async_t) + window buffer (e.g. +4096 for a 4 KiB window, +8192 double-buffered)"
