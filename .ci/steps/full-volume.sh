#!/usr/bin/env bash
# The mmap store on nearly full volumes, where a write into a mapped hole (and, on tmpfs, a
# read of one) raises SIGBUS: mounts a 4 MiB tmpfs and a 16 MiB loop-mounted ext4, runs
# tests/unit-mmap-full-volume.cpp on both, and tracectl import and check on the tmpfs.
# Mounting needs root; where it cannot mount, it prints why and skips.
set -euo pipefail
cd "$(dirname "$0")/../.."

skip() {
  echo "full-volume: SKIPPED: $*"
  exit 0
}
[ "$(id -u)" = 0 ] || skip "not root, cannot mount test volumes"
source .ci/lib/apt.sh
apt_install e2fsprogs

work=$(mktemp -d)
cleanup() {
  mountpoint -q "$work/tmpfs" && umount "$work/tmpfs"
  mountpoint -q "$work/ext4" && umount "$work/ext4"
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/tmpfs" "$work/ext4"
mount -t tmpfs -o size=4m tmpfs "$work/tmpfs" || skip "mount -t tmpfs failed"
volumes="$work/tmpfs"
truncate -s 16M "$work/ext4.img"
mkfs.ext4 -q -F "$work/ext4.img"
if mount -o loop "$work/ext4.img" "$work/ext4"; then
  volumes="$volumes:$work/ext4"
else
  echo "full-volume: ext4 SKIPPED: loop mount failed (no loop device?); testing the tmpfs only"
fi

# The README's build (preset test) has built both already; the file's cases run from the runner.
[ -d build/test ] || cmake --preset test >/dev/null
cmake --build build/test -j2 --target tests tracectl >/dev/null
echo "-- unit-mmap-full-volume on $volumes"
TRACE_FULL_VOLUMES="$volumes" build/test/tests/tests "-#" "[#unit-mmap-full-volume]" -w NoTests

echo "-- tracectl on the 4 MiB tmpfs: a 64 MiB log cannot be reserved, and says so"
status=0
build/test/examples/tracectl/tracectl import examples/tracectl/sample/shop.otlp.json --store "$work/tmpfs/s" \
  >"$work/out" 2>&1 || status=$?
cat "$work/out"
[ "$status" = 3 ] || { echo "full-volume: tracectl import exited $status, expected 3" >&2; exit 1; }
grep -q "no space left on" "$work/out" || { echo "full-volume: no 'no space left' message" >&2; exit 1; }
status=0
build/test/examples/tracectl/tracectl check --store "$work/tmpfs/s" >"$work/out" 2>&1 || status=$?
cat "$work/out"
[ "$status" -lt 128 ] || { echo "full-volume: tracectl check died of signal $((status - 128))" >&2; exit 1; }
echo "full-volume: passed"
