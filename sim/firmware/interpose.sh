#!/bin/sh
# interpose.sh IN.o OUT.o: the SDK's memfault_coredump.o with its
# memfault_coredump_read interposed at its definition, for the build helpers
# (chunksim/firmware.h).
#
# The SDK's coredump data source points at memfault_coredump_read from the
# file that defines its weak default, and a port's own definition (the nRF5
# and nRF Connect SDK ports) replaces that default at link time: no call to
# it crosses a file edge that -Wl,--wrap could see. Here the file's
# definition and every use of it inside the file are renamed to
# chunksim_sdk_coredump_read, made weak, which sim/firmware/shim.c defines:
# it tells chunksim about the read and calls the port's memfault_coredump_read,
# or, if the port has none, the SDK's default under its new alias
# chunksim_sdk_coredump_read_default (the default is compiled with
# -ffunction-sections, so it starts its own section). An object without the
# definition is copied as it is. OBJCOPY and NM name the tools (default:
# objcopy, nm).
set -eu
[ $# -eq 2 ] || { echo "usage: $0 IN.o OUT.o" >&2; exit 2; }
in=$1 out=$2
objcopy=${OBJCOPY:-objcopy}
cp "$in" "$out"
if ! ${NM:-nm} "$in" | grep -Eq ' [TW] memfault_coredump_read$'; then
    exit 0
fi
"$objcopy" --add-symbol \
    chunksim_sdk_coredump_read_default=.text.memfault_coredump_read:0,global,function "$out"
"$objcopy" --redefine-sym memfault_coredump_read=chunksim_sdk_coredump_read "$out"
"$objcopy" --weaken-symbol chunksim_sdk_coredump_read "$out"
