#!/bin/sh
# check-undefined.sh OBJECT.so: the build helpers' last step. A firmware
# object loads lazily (RTLD_LAZY): a function it calls but does not define
# stops nothing until a run calls it. A variable it uses (a linker script's
# symbol, a driver's table) or a function whose address it takes is bound
# when the object loads, so one that nothing defines stops every run before
# it starts, one name at a time. This names them all at once, at build time,
# and fails. NM and READELF name the tools (default: nm, readelf).
set -eu
[ $# -eq 1 ] || { echo "usage: $0 OBJECT.so" >&2; exit 2; }
so=$1
# Undefined, not weak, not versioned (a libc symbol is versioned).
undefined=$(${NM:-nm} -D --undefined-only "$so" | awk '$1 == "U" && $2 !~ /@/ { print $2 }')
[ -n "$undefined" ] || exit 0
# Symbols of relocations outside the PLT: bound at load.
at_load=$(${READELF:-readelf} -rW "$so" |
    awk '/^Relocation section/ { plt = ($3 ~ /plt/) } !plt && NF >= 5 && $1 ~ /^[0-9a-f]+$/ { print $5 }' |
    sort -u)
missing=
for s in $undefined; do
    # A sanitizer build's runtime: the sanitized chunksim that loads the object has it.
    case $s in __asan_* | __ubsan_* | __lsan_* | __sanitizer_*) continue ;; esac
    if printf '%s\n' "$at_load" | grep -qx "$s"; then
        missing="$missing $s"
    fi
done
[ -z "$missing" ] && exit 0
echo "$so: uses variables (or takes the address of functions) that it does not define:$missing" >&2
echo "  the loader binds these when the object loads, so no run could start: define them in" >&2
echo "  your board mapping (a linker script's symbols, a driver's tables: data the simulation" >&2
echo "  never reads if only crash-time code uses it), or leave out the file that uses them" >&2
exit 1
