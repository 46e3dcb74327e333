#!/usr/bin/env bash
# Installs what chunksim needs from Debian 12's packages, and nothing when all
# is present (so CI and the README commands can call it every time). The list
# is complete for a minimal Debian 12 (debootstrap --variant=minbase, plus
# git): tools/fresh-debian.sh proves it. Installs run with
# --no-install-recommends, so a package that is only recommended (clang's
# runtime libraries) is named here.
set -euo pipefail

pkgs=(
  build-essential cmake ninja-build pkg-config
  libuv1-dev libcmocka-dev libsqlite3-dev libinih-dev nettle-dev libjansson-dev
  gcc-arm-none-eabi libnewlib-arm-none-eabi binutils-arm-none-eabi
  clang libclang-rt-14-dev
  sqlite3 python3
  valgrind
)

missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "deps.sh: installing ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
