#!/usr/bin/env bash
# Proves the README's two commands on a freshly installed machine: bootstraps
# a minimal Debian 12 root (debootstrap --variant=minbase bookworm, plus git
# and ca-certificates only) from this machine's configured Debian mirror,
# clones this repository's committed HEAD into it, and runs there, as root,
# exactly as the README writes them:
#   ./tools/run-suite.sh            (no standard input)
#   ./tools/test.sh                 (no standard input, CI=true, as CI runs it)
# Prints both commands' exit codes and wall times, and exits 0 only when both
# exited 0. Everything it mounts is unmounted on every exit path; the root is
# deleted unless --keep. Needs root, network access to the mirror, about
# 4 GiB of disk, and minutes; it is not part of CI.
# Usage: tools/fresh-debian.sh [--keep] [--mirror URL] [--dir DIR]
#   logs: build/fresh-debian/{debootstrap,run-suite,test}.log
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
head=$(git rev-parse --short HEAD)

keep=false
mirror=${MIRROR:-}
root=
while [ $# -gt 0 ]; do
  case $1 in
    --keep) keep=true ;;
    --mirror) mirror=$2; shift ;;
    --dir) root=$2; shift ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "fresh-debian.sh: unknown argument '$1' (--help)" >&2; exit 2 ;;
  esac
  shift
done

if [ "$(id -u)" -ne 0 ]; then
  echo "fresh-debian.sh: needs root (debootstrap, chroot, mount)" >&2
  exit 2
fi
if ! command -v debootstrap >/dev/null; then
  echo "fresh-debian.sh: installing debootstrap" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null ||
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; }
fi
if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
  echo "fresh-debian.sh: note: uncommitted changes are not in the clone (HEAD $head)" >&2
fi

# The first Debian (not security) mirror this machine's apt is configured with.
configured_mirror() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk '/^URIs:/ {u = $2} /^Suites:/ && u != "" && $0 !~ /security/ {print u; exit}' "$f"
  done
  if [ -f /etc/apt/sources.list ]; then
    awk '$1 == "deb" && $0 !~ /security/ {for (i = 2; i <= NF; i++) if ($i ~ /:\/\//) {print $i; exit}}' \
      /etc/apt/sources.list
  fi
}
[ -n "$mirror" ] || mirror=$(configured_mirror | head -1)
[ -n "$mirror" ] || mirror=http://deb.debian.org/debian

logs=$repo/build/fresh-debian
mkdir -p "$logs"
[ -n "$root" ] || root=$(mktemp -d /var/tmp/chunksim-fresh.XXXXXX)
mkdir -p "$root"
root=$(cd "$root" && pwd)
mounted=()

cleanup() {
  local i
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
    umount -R "${mounted[$i]}" 2>/dev/null || umount -R -l "${mounted[$i]}" || true
  done
  if grep -qF " $root/" /proc/mounts; then
    echo "fresh-debian.sh: something is still mounted under $root; not deleting it" >&2
    return
  fi
  if ! $keep; then
    rm -rf --one-file-system "$root"
  else
    echo "fresh-debian.sh: kept $root" >&2
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# mount_in TARGET MOUNT-ARGS...: mounts and remembers it for cleanup.
mount_in() {
  local target=$1
  shift
  mkdir -p "$target"
  mount "$@" "$target"
  mounted+=("$target")
}

echo "debootstrap --variant=minbase bookworm $root $mirror (log: $logs/debootstrap.log)"
t0=$SECONDS
if ! debootstrap --variant=minbase --include=git,ca-certificates bookworm "$root" "$mirror" \
  >"$logs/debootstrap.log" 2>&1; then
  tail -n 20 "$logs/debootstrap.log" >&2
  echo "fresh-debian.sh: debootstrap failed" >&2
  exit 1
fi
echo "  done in $((SECONDS - t0)) s"

mount_in "$root/proc" -t proc proc
mount_in "$root/sys" -t sysfs sysfs
mount_in "$root/dev" --rbind /dev
mount --make-rslave "$root/dev"
cp /etc/resolv.conf "$root/etc/resolv.conf"
git clone --quiet "$repo" "$root/root/chunksim"
git -C "$root/root/chunksim" checkout --quiet "$head"

# in_root LOG COMMAND: runs a bash command in the clone, as on a fresh login.
in_root() {
  local log=$1 cmd=$2
  chroot "$root" /usr/bin/env -i HOME=/root TERM="${TERM:-dumb}" LANG=C.UTF-8 \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    /bin/bash -c "cd /root/chunksim && $cmd" </dev/null >"$log" 2>&1
}

# timed NAME LOG COMMAND: runs COMMAND in the root; sets rc_NAME and t_NAME.
timed() {
  local name=$1 log=$2 cmd=$3 t0=$SECONDS rc=0
  echo "$cmd (log: $log)"
  in_root "$log" "$cmd" || rc=$?
  printf -v "rc_$name" '%d' "$rc"
  printf -v "t_$name" '%d' $((SECONDS - t0))
  echo "  exit $rc in $((SECONDS - t0)) s"
}
timed suite "$logs/run-suite.log" './tools/run-suite.sh'
timed test "$logs/test.log" 'CI=true ./tools/test.sh'

echo
echo "fresh Debian 12 (minbase + git), clone of $head:"
printf '  %-22s exit %d  %5d s  (includes installing the dependencies)\n' \
  ./tools/run-suite.sh "$rc_suite" "$t_suite"
printf '  %-22s exit %d  %5d s\n' "CI=true ./tools/test.sh" "$rc_test" "$t_test"
echo "  test.sh's last line: $(tail -n 1 "$logs/test.log")"
[ "$rc_suite" -eq 0 ] && [ "$rc_test" -eq 0 ]
