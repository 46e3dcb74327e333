#!/bin/sh
# Builds a firmware object without CMake: what chunksim_add_firmware()
# (cmake/ChunksimGlue.cmake) builds, as one cc command line.
#
#   tools/build-firmware.sh --sdk <SDK dir> -o libmyfw.so [-I dir]... [-D NAME[=VALUE]]... \
#       port.c board_mapping.c...
#
# The Memfault SDK's packetizer path from your SDK copy (unchanged), your
# port and board mapping, and chunksim's shim (sim/firmware/), linked with
# the --wrap options that let chunksim's monitor see every coredump storage
# call of the SDK's packetizer, and bound lazily; a variable the object uses
# but nothing defines (which no lazy binding can help) fails the build,
# naming each (sim/firmware/check-undefined.sh). CC and CFLAGS are honoured
# (default: cc, -O1 -g). Prints the command it runs; exits with cc's status,
# or 2 for a usage error.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
usage() {
    echo "usage: $0 --sdk DIR -o OUT.so [-I DIR]... [-D DEF]... SOURCE.c..." >&2
    exit 2
}

sdk= out= flags= sources=
while [ $# -gt 0 ]; do
    case $1 in
    --sdk) [ $# -ge 2 ] || usage; sdk=$2; shift 2 ;;
    -o) [ $# -ge 2 ] || usage; out=$2; shift 2 ;;
    -I | -D) [ $# -ge 2 ] || usage; flags="$flags $1$2"; shift 2 ;;
    -I* | -D*) flags="$flags $1"; shift ;;
    -h | --help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "$0: unknown option $1" >&2; usage ;;
    *) sources="$sources $1"; shift ;;
    esac
done
[ -n "$sdk" ] && [ -n "$out" ] && [ -n "$sources" ] || usage

sdk_files="components/core/src/memfault_data_packetizer.c
components/core/src/memfault_data_source_rle.c
components/util/src/memfault_chunk_transport.c
components/util/src/memfault_varint.c
components/util/src/memfault_crc16_ccitt.c
components/util/src/memfault_rle.c"
coredump_file=components/panics/src/memfault_coredump.c
sdk_sources=
for f in $sdk_files; do
    if [ ! -f "$sdk/$f" ]; then
        echo "$0: --sdk $sdk has no $f: is it a copy of the Memfault firmware SDK?" >&2
        exit 2
    fi
    sdk_sources="$sdk_sources $sdk/$f"
done
if [ ! -f "$sdk/$coredump_file" ]; then
    echo "$0: --sdk $sdk has no $coredump_file: is it a copy of the Memfault firmware SDK?" >&2
    exit 2
fi
includes="-I$sdk/components/include"
[ -d "$sdk/ports/include" ] && includes="$includes -I$sdk/ports/include"
wraps=
for fn in memfault_platform_coredump_storage_get_info memfault_platform_coredump_storage_read \
    memfault_platform_coredump_storage_clear memfault_coredump_read; do
    wraps="$wraps -Wl,--wrap=$fn"
done

# Your directories first, then the SDK's, then chunksim's board interface.
# MEMFAULT_UNITTEST is the SDK's own switch for building on a host (as
# chunksim_add_firmware() sets it): crash-time code only.
# The SDK's coredump file on its own: its memfault_coredump_read is
# interposed where it is defined (sim/firmware/interpose.sh).
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
set -x
# shellcheck disable=SC2086 # word splitting of the lists is intended
${CC:-cc} -c -fPIC -ffunction-sections ${CFLAGS:--O1 -g} -DMEMFAULT_UNITTEST $flags $includes \
    -I"$root/sim/include" "$sdk/$coredump_file" -o "$tmp/coredump.o"
"$root/sim/firmware/interpose.sh" "$tmp/coredump.o" "$tmp/coredump-interposed.o"
# shellcheck disable=SC2086
${CC:-cc} -shared -fPIC ${CFLAGS:--O1 -g} -DMEMFAULT_UNITTEST $flags $includes -I"$root/sim/include" \
    $sdk_sources "$tmp/coredump-interposed.o" $sources "$root/sim/firmware/shim.c" \
    "$root/sim/firmware/sdk_version.c" $wraps -Wl,-z,lazy -o "$out"
"$root/sim/firmware/check-undefined.sh" "$out"
